"""Throughput of the Calais model against Mesa's own BoltzmannWealth example.

For each size n (initial migrants; default 1,000, 10,000 and 100,000) a fresh Python subprocess
runs, one after the other:

1. ``scenarios/full-package.toml`` for 60 days with ``n`` initial migrants and daily arrivals
   scaled alike (the file's 80 a day at 2,500 people, times n / 2,500). Timed: building the
   model and ``run(60)``, which returns the daily table. Migrant-days simulated are the sum over
   the days of ``migrants_present`` (the population at the end of each day). Peak memory is the
   subprocess's peak resident set size (``ru_maxrss``), read right after this run and before
   step 2, so it covers the interpreter, the imports and this run only.
2. Mesa's ``BoltzmannWealth`` with ``n`` agents for 60 steps, on a square grid with one cell per
   agent (the example's own density: 100 agents on 10 x 10). Timed: building the model and the
   60 steps, data collection included, as the example ships.

Each timing is the best of ``--repeats`` runs (same seed each time), each started after a full
garbage collection (``gc.collect()``), so that neither model pays for collecting what the imports
or the other model left; the collections a model's own objects cause are timed. The ratio is
migrant-days per second over Boltzmann agent-steps per second. Usage::

    .venv/bin/python benchmarks/throughput.py                  # 1,000, 10,000, 100,000
    .venv/bin/python benchmarks/throughput.py --sizes 10000 --json out.json
    .venv/bin/python benchmarks/throughput.py --calais-only 10000   # one run, e.g. to profile
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "full-package.toml"
DAYS = 60
BASE_MIGRANTS = 2500
BASE_ARRIVALS = 80.0
SEED = 1
GOALS = {"ratio at 10,000": 20.0, "scaling 100,000 / 10,000": 1.2, "peak RSS MB at 100,000": 1000}
"""The goals of the performance issue: at least 20, at most 1.2, at most 1,000 MB (1 GB)."""


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def time_calais(n: int, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` time of building and running full-package for 60 days at ``n``."""
    from sim.model import CalaisModel
    from sim.scenario.loading import load_scenario

    arrivals = BASE_ARRIVALS * n / BASE_MIGRANTS
    scenario = load_scenario(
        SCENARIO,
        [f"population.initial_migrants={n}", f"population.daily_arrivals={arrivals}"],
    )
    best = math.inf
    migrant_days = 0.0
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        model = CalaisModel(scenario, seed=SEED)
        frame = model.run(DAYS)
        best = min(best, time.perf_counter() - started)
        migrant_days = float(frame["migrants_present"].sum())
        del model, frame
    return {"seconds": best, "migrant_days": migrant_days, "peak_rss_mb": peak_rss_mb()}


def time_boltzmann(n: int, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` time of building BoltzmannWealth with ``n`` agents and 60 steps."""
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    side = max(1, round(math.sqrt(n)))
    best = math.inf
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        model = BoltzmannWealth(BoltzmannScenario(n=n, width=side, height=side, rng=SEED))
        for _ in range(DAYS):
            model.step()
        best = min(best, time.perf_counter() - started)
        del model
    return {"seconds": best, "grid_side": side}


def measure(n: int, repeats: int) -> dict[str, Any]:
    """Both timings for one size, in this process (meant to be a fresh subprocess)."""
    calais = time_calais(n, repeats)
    boltz = time_boltzmann(n, repeats)
    md_per_s = calais["migrant_days"] / calais["seconds"]
    steps_per_s = n * DAYS / boltz["seconds"]
    return {
        "migrant_days_per_s": md_per_s,
        "boltzmann_agent_steps_per_s": steps_per_s,
        "ratio": md_per_s / steps_per_s,
        "ratio_initial_x_days": n * DAYS / calais["seconds"] / steps_per_s,
        "peak_rss_mb": calais["peak_rss_mb"],
        "migrant_days": calais["migrant_days"],
        "calais_seconds": calais["seconds"],
        "boltzmann_seconds": boltz["seconds"],
        "boltzmann_grid": f"{boltz['grid_side']}x{boltz['grid_side']}",
        "seconds_per_migrant_day": calais["seconds"] / calais["migrant_days"],
    }


def machine() -> dict[str, Any]:
    """CPU model, core count, Python and library versions."""
    from importlib.metadata import version

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "mesa": version("mesa"),
        "numpy": version("numpy"),
        "pandas": version("pandas"),
    }


def run_size(n: int, repeats: int) -> dict[str, Any]:
    """Measure one size in a fresh subprocess, so that sizes do not share memory or caches."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n), "--repeats", str(repeats)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1000, 10_000, 100_000],
        help="comma-separated initial migrant counts (default: 1000,10000,100000)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="best of this many (default 3)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument(
        "--calais-only",
        type=int,
        metavar="N",
        help="only run the Calais model once at N migrants (for profiling) and print its time",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.calais_only is not None:
        r = time_calais(args.calais_only, 1)
        print(
            f"{args.calais_only:,} migrants: {r['migrant_days']:,.0f} migrant-days in "
            f"{r['seconds']:.3f} s, peak RSS {r['peak_rss_mb']:.0f} MB"
        )
        return 0
    if args.child is not None:
        print(json.dumps(measure(args.child, args.repeats)))
        return 0

    info = machine()
    print(f"{info['cpu']}, {info['cores']} cores; Python {info['python']}, Mesa {info['mesa']}")
    print(f"full-package, {DAYS} days vs BoltzmannWealth, {DAYS} steps; best of {args.repeats}")
    header = (
        f"{'migrants':>9} {'migrant-days':>12} {'calais s':>9} {'migrant-days/s':>15} "
        f"{'boltz s':>8} {'boltz steps/s':>14} {'ratio':>7} {'(n x days)':>10} {'peak RSS MB':>12}"
    )
    print(header)
    sizes: dict[str, Any] = {}
    for n in args.sizes:
        r = run_size(n, args.repeats)
        sizes[str(n)] = r
        print(
            f"{n:>9,} {r['migrant_days']:>12,.0f} {r['calais_seconds']:>9.3f} "
            f"{r['migrant_days_per_s']:>15,.0f} {r['boltzmann_seconds']:>8.3f} "
            f"{r['boltzmann_agent_steps_per_s']:>14,.0f} {r['ratio']:>7.1f} "
            f"{r['ratio_initial_x_days']:>10.1f} {r['peak_rss_mb']:>12.0f}",
            flush=True,
        )
    result: dict[str, Any] = {"sizes": sizes, "machine": info, "days": DAYS}
    if "10000" in sizes and "100000" in sizes:
        scaling = (
            sizes["100000"]["seconds_per_migrant_day"] / sizes["10000"]["seconds_per_migrant_day"]
        )
        result["cost_per_migrant_day_100k_over_10k"] = scaling
        print(f"cost per migrant-day, 100,000 / 10,000: {scaling:.2f}")
    checks = []
    if "10000" in sizes:
        checks.append(("ratio at 10,000", sizes["10000"]["ratio"], ">="))
    if "cost_per_migrant_day_100k_over_10k" in result:
        checks.append(
            ("scaling 100,000 / 10,000", result["cost_per_migrant_day_100k_over_10k"], "<=")
        )
    if "100000" in sizes:
        checks.append(("peak RSS MB at 100,000", sizes["100000"]["peak_rss_mb"], "<="))
    for name, value, way in checks:
        goal = GOALS[name]
        met = value >= goal if way == ">=" else value <= goal
        print(f"goal {name}: {value:.2f} (goal {way} {goal:g}) {'met' if met else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
