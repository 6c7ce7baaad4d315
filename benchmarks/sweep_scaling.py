"""Sweep speed-up: the same 20-run sweep on 1 and on 2 local worker processes.

Runs ``calais-sim sweep`` as a user would, once with ``--workers 1`` and once with
``--workers 2`` (each in its own output folder), times each command from start to exit (wall
clock: interpreter start, imports, worker start-up and writing results included), checks that
both sweeps produced the same runs with the same numbers, and prints the speed-up (time on 1
worker / time on 2 workers).

The default sweep is ``scenarios/full-package.toml`` at 30,000 initial migrants (arrivals scaled
alike, 960 a day) for a year (365 days), 20 replicates: runs long enough (about 6 s each) that
the start-up below does not decide the figure, as in a real sweep. It also times the same commands
with 2 replicates of 1 day, which is almost all start-up (the interpreter, the imports, and with
2 workers the worker processes, which import the model once more): the part of a sweep that
does not run in parallel. Usage::

    .venv/bin/python benchmarks/sweep_scaling.py
    .venv/bin/python benchmarks/sweep_scaling.py --migrants 2500 --days 120 --json out.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "full-package.toml"
BASE_MIGRANTS = 2500
BASE_ARRIVALS = 80.0
GOAL = 1.8
"""The performance issue's goal for the 2-worker speed-up."""


def calais_sim() -> list[str]:
    """The command that starts ``calais-sim`` with this interpreter's environment."""
    script = Path(sys.executable).with_name("calais-sim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim"]


def sweep_command(args: argparse.Namespace, workers: int, out: Path) -> list[str]:
    """The ``calais-sim sweep`` command line for ``workers`` local processes."""
    arrivals = BASE_ARRIVALS * args.migrants / BASE_MIGRANTS
    cmd = [
        *calais_sim(),
        "sweep",
        str(args.scenario),
        "--replicates",
        str(args.replicates),
        "--workers",
        str(workers),
        "--set",
        f"population.initial_migrants={args.migrants}",
        "--set",
        f"population.daily_arrivals={arrivals}",
        "--out",
        str(out),
        "--quiet",
    ]
    cmd += ["--days", str(args.days)]
    return cmd


def timed_sweep(cmd: list[str]) -> float:
    """Run one sweep command to the end; return its wall-clock seconds."""
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - started


def same_runs(a: Path, b: Path) -> bool:
    """Whether two sweep folders hold the same runs with the same daily numbers."""
    import pandas as pd

    files_a = sorted(p.relative_to(a) for p in (a / "timeseries").rglob("*.parquet"))
    files_b = sorted(p.relative_to(b) for p in (b / "timeseries").rglob("*.parquet"))
    if not files_a or files_a != files_b:
        return False
    return all(pd.read_parquet(a / f).equals(pd.read_parquet(b / f)) for f in files_a)


def main(argv: list[str] | None = None) -> int:
    """Time the sweep on 1 and 2 workers and print the speed-up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", type=Path, default=SCENARIO, help="scenario file")
    parser.add_argument("--replicates", type=int, default=20, help="runs in the sweep (20)")
    parser.add_argument(
        "--migrants", type=int, default=30_000, help="initial migrants (default 30000)"
    )
    parser.add_argument("--days", type=int, default=365, help="days per run (default 365)")
    parser.add_argument(
        "--repeats", type=int, default=1, help="time each sweep this many times, keep the best"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    tiny = argparse.Namespace(**{**vars(args), "replicates": 2, "days": 1})
    best = {1: math.inf, 2: math.inf}
    startup = {1: math.inf, 2: math.inf}
    with tempfile.TemporaryDirectory(prefix="sweep-scaling-") as tmp:
        outs = {w: Path(tmp) / f"workers{w}" for w in best}
        for _ in range(args.repeats):
            for workers, out in outs.items():
                shutil.rmtree(out, ignore_errors=True)
                seconds = timed_sweep(sweep_command(tiny, workers, out))
                startup[workers] = min(startup[workers], seconds)
                shutil.rmtree(out, ignore_errors=True)
                best[workers] = min(best[workers], timed_sweep(sweep_command(args, workers, out)))
        identical = same_runs(outs[1], outs[2])
    speedup = best[1] / best[2]
    print(" ".join(sweep_command(args, 2, Path("DIR"))))
    print(f"cores: {os.cpu_count()}; best of {args.repeats}")
    print(f"1 worker:  {best[1]:7.2f} s   (start-up, 2 runs of 1 day: {startup[1]:5.2f} s)")
    print(f"2 workers: {best[2]:7.2f} s   (start-up, 2 runs of 1 day: {startup[2]:5.2f} s)")
    print(f"speed-up:  {speedup:7.2f} (goal >= {GOAL:g}) {'met' if speedup >= GOAL else 'NOT met'}")
    print(f"same runs, same numbers on 1 and 2 workers: {identical}")
    result: dict[str, Any] = {
        "scenario": str(args.scenario),
        "replicates": args.replicates,
        "migrants": args.migrants,
        "days": args.days,
        "seconds_1_worker": best[1],
        "seconds_2_workers": best[2],
        "startup_seconds_1_worker": startup[1],
        "startup_seconds_2_workers": startup[2],
        "speedup": speedup,
        "identical_results": identical,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
