"""Throughput of the Calais model against Mesa's own BoltzmannWealth example, on what users run.

Each workload runs in a fresh Python subprocess, one after the other:

1. The Calais model: ``calais-2015`` and ``baseline`` as the files are (their own size and
   length), and ``full-package@n``: full-package for 60 days at ``n`` initial migrants with daily
   arrivals scaled alike (the file's 80 a day at 2,500, times n / 2,500). Timed: building the
   model and ``run()``, which returns the daily table. Migrant-days are the sum over the days of
   ``migrants_present``. A first run, not timed, gives these and warms up; peak memory is the
   subprocess's ``ru_maxrss``, read right after it and before any run of step 2.
2. Mesa's ``BoltzmannWealth`` for 60 steps with as many agents as the workload has migrants:
   ``n`` for ``name@n``, the mean number present for a scenario at its own size; on a square grid
   with one cell per agent. Timed: building the model and the 60 steps, data collection included.

After that first run the two models take turns (Boltzmann, Calais, Boltzmann, Calais, ...), so
that each Calais run has a Boltzmann run next to it in time. Each timing is the best of
``--repeats`` runs (same seed), each after ``gc.collect()``. The ratio is migrant-days per
second over Boltzmann agent-steps per second, from the two best times; ``pairs`` is the range of
the ratios of the ``--repeats`` pairs taken one by one, which shows how much the machine's speed
moved during the measurement. ``--phases W`` times one run of workload ``W`` by phase of the
day. Usage::

    .venv/bin/python benchmarks/throughput.py     # the four workloads of WORKLOADS
    .venv/bin/python benchmarks/throughput.py --workloads calais-2015 --json out.json
    .venv/bin/python benchmarks/throughput.py --phases calais-2015
    .venv/bin/python benchmarks/throughput.py --calais-only full-package@10000   # e.g. to profile
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
SCENARIOS = ROOT / "scenarios"
DAYS = 60
BASE_MIGRANTS = 2500
BASE_ARRIVALS = 80.0
SEED = 1
WORKLOADS = ("calais-2015", "baseline", "full-package@10000", "full-package@100000")
"""What users run: the two library scenarios as they are (their own size and length), and
full-package for 60 days at 10,000 and 100,000 initial migrants (arrivals scaled alike)."""
GOALS = {
    "ratio calais-2015": (">=", 30.0),
    "ratio full-package@10000": (">=", 40.0),
    "scaling 100,000 / 10,000": ("<=", 1.2),
    "peak RSS MB at 100,000": ("<=", 1000.0),
}
"""The goals of the performance issue (issue 15)."""
PHASES = {
    "_begin_day": "noon: measures, fences, units, arrivals",
    "step": "traffic",
    "advance": "traffic",
    "_patrol": "patrols",
    "_flush_patrols": "patrols",
    "_walk": "walking",
    "_set_out": "nightfall: going out, places sold",
    "_try": "tries",
    "_dawn": "dawn",
    "_end_day": "end of day: news, decisions, networks, record",
    "timeseries": "the daily table",
}
"""Methods timed by ``--phases`` (those that exist: older trees lack some), by phase."""


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load(workload: str) -> Any:
    """The scenario of a workload: ``name`` (the file as it is) or ``name@n`` (60 days at
    ``n`` initial migrants, arrivals scaled from the file's 80 a day at 2,500)."""
    from sim.scenario.loading import load_scenario

    name, _, size = workload.partition("@")
    if not size:
        return load_scenario(SCENARIOS / f"{name}.toml")
    n = int(size)
    return load_scenario(
        SCENARIOS / f"{name}.toml",
        [
            f"population.initial_migrants={n}",
            f"population.daily_arrivals={BASE_ARRIVALS * n / BASE_MIGRANTS}",
            f"days={DAYS}",
        ],
    )


def run_calais(scenario: Any) -> dict[str, float]:
    """One timed run of the Calais model (building it and ``run()``), after ``gc.collect()``."""
    from sim.model import CalaisModel

    gc.collect()
    started = time.perf_counter()
    frame = CalaisModel(scenario, seed=SEED).run()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "migrant_days": float(frame["migrants_present"].sum()),
        "mean_present": float(frame["migrants_present"].mean()),
    }


def time_calais(workload: str, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` time of building the model and ``run()`` (the scenario's days)."""
    scenario = load(workload)
    runs = [run_calais(scenario) for _ in range(repeats)]
    return {
        **runs[-1],
        "seconds": min(r["seconds"] for r in runs),
        "initial": float(scenario.population.initial_migrants),
        "days": float(scenario.days),
        "peak_rss_mb": peak_rss_mb(),
    }


def grid_side(n: int) -> int:
    """The side of BoltzmannWealth's square grid for ``n`` agents: about one cell an agent."""
    return max(1, round(math.sqrt(n)))


def run_boltzmann(n: int) -> float:
    """Seconds to build BoltzmannWealth with ``n`` agents and run 60 steps, after
    ``gc.collect()``."""
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    side = grid_side(n)
    gc.collect()
    started = time.perf_counter()
    model = BoltzmannWealth(BoltzmannScenario(n=n, width=side, height=side, rng=SEED))
    for _ in range(DAYS):
        model.step()
    return time.perf_counter() - started


def agents_of(workload: str, calais: dict[str, float]) -> int:
    """The Boltzmann size a workload is compared with: the initial migrants of a sized
    workload (``name@n``), the mean number present for a scenario run at its own size."""
    return int(calais["initial"]) if "@" in workload else round(calais["mean_present"])


def measure(workload: str, repeats: int) -> dict[str, Any]:
    """Both timings for one workload, in this process (meant to be a fresh subprocess).

    A first Calais run gives the sizes and the peak memory, and warms up; then the two models
    take turns, so that each Calais run has a Boltzmann run next to it in time: a drift in the
    machine's speed moves both timings of a pair alike, and the spread of the pairs' ratios
    shows it.
    """
    calais = time_calais(workload, 1)
    scenario, n = load(workload), agents_of(workload, calais)
    calais_s, boltz_s = [], []
    for _ in range(repeats):
        boltz_s.append(run_boltzmann(n))
        calais_s.append(run_calais(scenario)["seconds"])
    md = calais["migrant_days"]
    pair_ratios = [md * b / (c * n * DAYS) for c, b in zip(calais_s, boltz_s, strict=True)]
    md_per_s = md / min(calais_s)
    steps_per_s = n * DAYS / min(boltz_s)
    return {
        "boltzmann_agents": n,
        "migrant_days_per_s": md_per_s,
        "boltzmann_agent_steps_per_s": steps_per_s,
        "ratio": md_per_s / steps_per_s,
        "ratio_n_x_days": n * calais["days"] / min(calais_s) / steps_per_s,
        "pair_ratios": pair_ratios,
        "peak_rss_mb": calais["peak_rss_mb"],
        "migrant_days": md,
        "days": calais["days"],
        "calais_seconds": min(calais_s),
        "us_per_hour": min(calais_s) / (calais["days"] * 24) * 1e6,
        "boltzmann_seconds": min(boltz_s),
        "boltzmann_grid": f"{grid_side(n)}x{grid_side(n)}",
        "seconds_per_migrant_day": min(calais_s) / md,
    }


def phases(workload: str) -> dict[str, float]:
    """Seconds spent in each phase of one run of ``workload`` (each method's own time, the
    methods it calls that are timed too left out); the rest is the hourly loop and Mesa."""
    from sim.model import CalaisModel

    spent: dict[str, float] = {}
    stack: list[float] = []  # time spent in timed callees, per open timed call

    def timed(fn: Any, phase: str) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            stack.append(0.0)
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                took = time.perf_counter() - started
                inner = stack.pop()
                spent[phase] = spent.get(phase, 0.0) + took - inner
                if stack:
                    stack[-1] += took

        return wrapper

    model = CalaisModel(load(workload), seed=SEED)
    for obj in (model, model.traffic):
        for name, phase in PHASES.items():
            if name == "step" and obj is model:
                continue  # the model's step is the hour itself, not a phase
            if callable(getattr(obj, name, None)):
                setattr(obj, name, timed(getattr(obj, name), phase))
    gc.collect()
    started = time.perf_counter()
    model.run()
    total = time.perf_counter() - started
    spent["the hourly loop and Mesa's step"] = total - sum(spent.values())
    return {"total": total, "hours": float(model.hour), **spent}


def count_calls(workload: str) -> str:
    """Work done by one run of ``workload``, counted (the same on a loaded machine): Python
    function calls, hours run one by one, and hours through Mesa's event list."""
    import cProfile
    import pstats

    from sim.model import CalaisModel

    model = CalaisModel(load(workload), seed=SEED)
    profile = cProfile.Profile()
    profile.enable()
    model.run()
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]

    def calls(names: tuple[str, ...], file: str) -> int:
        return sum(v[1] for k, v in stats.items() if k[2] in names and file in k[0])

    total = sum(v[1] for v in stats.values())
    return (
        f"{workload}: {total:,} Python function calls; {model.hour:,} hours, of which run "
        f"hour by hour: {calls(('_hour', 'step'), 'calais.py'):,}; through Mesa's event "
        f"list: {calls(('_wrapped_step',), 'model.py'):,}"
    )


def print_phases(workload: str) -> None:
    """Print :func:`phases` as a table."""
    spent = phases(workload)
    total, hours = spent.pop("total"), spent.pop("hours")
    print(f"{workload}: {total:.3f} s for {hours:,.0f} hours ({total / hours * 1e6:.1f} us/hour)")
    for phase, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {phase:<48} {seconds:7.3f} s {100 * seconds / total:5.1f} %")


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


def run_workload(workload: str, repeats: int) -> dict[str, Any]:
    """Measure one workload in a fresh subprocess, so that none shares memory or caches."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", workload, "--repeats", str(repeats)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def check_goals(runs: dict[str, Any], result: dict[str, Any]) -> None:
    """Print each goal of the issue that the measured workloads allow to check."""
    values: dict[str, float] = {}
    for workload in ("calais-2015", "full-package@10000"):
        if workload in runs:
            values[f"ratio {workload}"] = runs[workload]["ratio"]
    small, large = runs.get("full-package@10000"), runs.get("full-package@100000")
    if small and large:
        scaling = large["seconds_per_migrant_day"] / small["seconds_per_migrant_day"]
        result["cost_per_migrant_day_100k_over_10k"] = scaling
        values["scaling 100,000 / 10,000"] = scaling
    if large:
        values["peak RSS MB at 100,000"] = large["peak_rss_mb"]
    for name, value in values.items():
        way, goal = GOALS[name]
        met = value >= goal if way == ">=" else value <= goal
        print(f"goal {name}: {value:.2f} (goal {way} {goal:g}) {'met' if met else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workloads",
        type=lambda s: s.split(","),
        default=list(WORKLOADS),
        help="comma-separated: a library scenario's name, or name@n (default: %(default)s)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="best of this many (default 3)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument(
        "--calais-only", metavar="W", help="only run workload W once and print its time"
    )
    parser.add_argument("--phases", metavar="W", help="time one run of workload W by phase")
    parser.add_argument("--calls", metavar="W", help="count the work of one run of workload W")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.calais_only is not None:
        r = time_calais(args.calais_only, 1)
        print(
            f"{args.calais_only}: {r['migrant_days']:,.0f} migrant-days in "
            f"{r['seconds']:.3f} s, peak RSS {r['peak_rss_mb']:.0f} MB"
        )
        return 0
    if args.phases is not None:
        print_phases(args.phases)
        return 0
    if args.calls is not None:
        print(count_calls(args.calls))
        return 0
    if args.child is not None:
        print(json.dumps(measure(args.child, args.repeats)))
        return 0

    info = machine()
    print(f"{info['cpu']}, {info['cores']} cores; Python {info['python']}, Mesa {info['mesa']}")
    print(f"each workload vs BoltzmannWealth at its size, {DAYS} steps; best of {args.repeats}")
    print(
        f"{'workload':<20} {'days':>4} {'agents':>7} {'migrant-days':>12} {'calais s':>8} "
        f"{'us/hour':>8} {'boltz s':>8} {'ratio':>6} {'(n x days)':>10} {'peak MB':>8} "
        f"{'pairs':>11}"
    )
    runs: dict[str, Any] = {}
    for workload in args.workloads:
        r = runs[workload] = run_workload(workload, args.repeats)
        print(
            f"{workload:<20} {r['days']:>4.0f} {r['boltzmann_agents']:>7,} "
            f"{r['migrant_days']:>12,.0f} {r['calais_seconds']:>8.3f} {r['us_per_hour']:>8.1f} "
            f"{r['boltzmann_seconds']:>8.3f} {r['ratio']:>6.1f} {r['ratio_n_x_days']:>10.1f} "
            f"{r['peak_rss_mb']:>8.0f} "
            f"{min(r['pair_ratios']):>5.1f}-{max(r['pair_ratios']):<5.1f}",
            flush=True,
        )
    result: dict[str, Any] = {"workloads": runs, "machine": info}
    check_goals(runs, result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
