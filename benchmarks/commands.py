"""Whole commands as a user runs them: ``calais-sim --help``, ``validate`` and ``run`` on the
library's baseline, each timed as a whole process (start to exit) over several runs.

Each run is a fresh ``python -m sim ...`` started from the tree being measured, so that the tree's
own ``sim`` is the one imported; its wall time is taken around the process, its CPU time (user
plus system, the process and the processes it waited for, such as the one that draws ``run``'s
figure) and peak memory from the kernel's accounting of the finished process (``os.wait4``).
One warm-up run of each command is not counted. The figures printed are medians.

With ``--before TREE`` (another checkout, e.g. ``git worktree add`` or ``git archive`` of an
older commit), both trees are run in turn, before then after, run by run, and the ratio
before / after is taken pair by pair, so that a change in the machine's load moves both alike::

    git archive c0ffee1 | tar -x -C /tmp/before
    .venv/bin/python benchmarks/commands.py --before /tmp/before --runs 7

``--phases`` traces one ``run`` of this tree instead: when each of its phases ended.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"--help": 0.3, "run": 1.5}
"""Goals of the performance issue: whole-process wall seconds of the command."""


def commands(tree: Path, out: Path) -> dict[str, list[str]]:
    """The commands timed, by label, as arguments of ``python -m sim`` run in ``tree``."""
    baseline = str(tree / "scenarios" / "baseline.toml")
    return {
        "--help": ["--help"],
        "validate": ["validate", baseline],
        "run": ["run", baseline, "--quiet", "--force", "--out", str(out)],
    }


def time_once(tree: Path, args: list[str]) -> dict[str, float]:
    """One whole process of ``python -m sim ARGS`` in ``tree``: wall and CPU s, peak MiB."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"python -m sim {' '.join(args)} in {tree}: exit {proc.returncode}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
    }


def measure(trees: dict[str, Path], runs: int, warmup: int = 1) -> dict[str, Any]:
    """Every command of every tree, the trees in turn run by run; all the figures."""
    out = Path(tempfile.mkdtemp(prefix="calais-commands-"))
    figures: dict[str, dict[str, list[dict[str, float]]]] = {
        label: {name: [] for name in trees} for label in commands(ROOT, out)
    }
    for label in figures:
        for i in range(warmup + runs):
            for name, tree in trees.items():
                args = commands(tree, out / name)[label]
                one = time_once(tree, args)
                if i >= warmup:
                    figures[label][name].append(one)
    return figures


def summary(figures: dict[str, Any]) -> dict[str, Any]:
    """Medians of each figure; with two trees, the median of the ratios pair by pair."""
    result: dict[str, Any] = {}
    for label, by_tree in figures.items():
        row = {
            name: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "peak_mib")}
            | {"wall_range": [min(r["wall"] for r in rs), max(r["wall"] for r in rs)]}
            for name, rs in by_tree.items()
        }
        if len(by_tree) == 2:
            before, after = by_tree["before"], by_tree["after"]
            row["ratio"] = {
                k: statistics.median(b[k] / a[k] for b, a in zip(before, after, strict=True))
                for k in ("wall", "cpu")
            }
        result[label] = row
    return result


def report(result: dict[str, Any], runs: int) -> None:
    """Print the medians, the ratios and the goals."""
    names = [n for n in ("before", "after") if n in next(iter(result.values()))]
    print(f"whole process, median of {runs} runs after a warm-up; load {os.getloadavg()[0]:.1f}")
    head = "".join(f"{n + ' wall (min-max)':>27}{n + ' cpu':>12}{n + ' MiB':>12}" for n in names)
    print(f"{'command':<10}{head}{'  before/after wall, cpu' if len(names) == 2 else ''}")
    for label, row in result.items():
        cells = "".join(
            f"{row[n]['wall']:>11.3f} s ({low:.2f}-{high:.2f})"
            f"{row[n]['cpu']:>10.3f} s{row[n]['peak_mib']:>12.1f}"
            for n in names
            for low, high in [row[n]["wall_range"]]
        )
        ratio = (
            f"  {row['ratio']['wall']:.2f} x, {row['ratio']['cpu']:.2f} x" if "ratio" in row else ""
        )
        print(f"{label:<10}{cells}{ratio}")
    for label, goal in GOALS.items():
        got = result[label]["after"]["wall"]
        verdict = "met" if got <= goal else "NOT met"
        print(f"goal {label}: {got:.3f} s wall (goal <= {goal} s) {verdict}")


PHASES = """
import atexit, sys, time
T0 = time.perf_counter()
marks = []
import sim.cli.run as run
import sim.runs.overview_process as op

def timed(owner, name, start=None, end=None):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        if start:
            marks.append((start, time.perf_counter() - T0))
        out = inner(*args, **kwargs)
        if end:
            marks.append((end, time.perf_counter() - T0))
        return out
    setattr(owner, name, wrapper)

timed(op.OverviewProcess, "__init__", end="the figure's process forked")
timed(run, "check_out_dir", end="the scenario read and checked, the output folder checked")
timed(run, "_simulate", "NumPy, pandas, SciPy and Mesa imported", "the model built and run")
timed(op.OverviewProcess, "png", end="the PNG received (drawn here if no second process)")
timed(run, "_write", end="the three files written")
atexit.register(lambda: [print(f"{t:6.3f}  {name}", file=sys.stderr) for name, t in marks])
sys.argv = ["calais-sim", *sys.argv[1:]]
from sim.cli.main import entry
entry()
"""
"""One ``run`` with the end of each of its phases stamped (seconds from the start of the
command's own code), for this tree's command line."""


def phases() -> None:
    """Print when each phase of one ``run`` of the baseline ended."""
    out = Path(tempfile.mkdtemp(prefix="calais-phases-"))
    args = commands(ROOT, out / "run")["run"]
    done = subprocess.run(
        [sys.executable, "-c", PHASES, *args], cwd=ROOT, capture_output=True, text=True
    )
    print(done.stderr, end="")


def main(argv: list[str] | None = None) -> int:
    """Time the whole commands of this tree, and of ``--before`` if given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", metavar="TREE", help="another checkout to time in turn")
    parser.add_argument("--runs", type=int, default=5, help="counted runs (default 5)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    parser.add_argument("--phases", action="store_true", help="trace one run by phase, only")
    args = parser.parse_args(argv)
    if args.phases:
        phases()
        return 0
    trees = {"after": ROOT}
    if args.before:
        trees = {"before": Path(args.before).resolve(), "after": ROOT}
    figures = measure(trees, args.runs)
    result = summary(figures)
    report(result, args.runs)
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": figures, "medians": result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
