"""Python's garbage collector in a sweep's worker: runs of a Sobol design with the collector as
Python sets it, and as the local workers set it (:func:`sim.runs.executors.collect_less`).

Both in one process, point by point: each design point (a Sobol sample over the default
sensitivity factors of ``calais-2015``, seed 0, as ``calais-sim sensitivity --method sobol``
draws it) is run once with each setting, the first setting alternating from point to point, the
same seed both times (the two runs give the same numbers: the collector changes none). Timed:
building the model and ``run()``; the collector's own time from ``gc.callbacks``. Usage::

    .venv/bin/python benchmarks/collector.py                # 24 points, 120 days
    .venv/bin/python benchmarks/collector.py --points 4 --days 30
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any

import numpy as np

from sim.evidence import sensitivity
from sim.model import CalaisModel
from sim.runs.executors import collect_less
from sim.scenario.loading import from_text, load_scenario

PYTHON = gc.get_threshold()


class CollectorClock:
    """The time Python's collector spends, summed over its collections."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started


def as_python_sets_it() -> None:
    """The collector of a fresh interpreter: nothing frozen, Python's thresholds."""
    gc.unfreeze()
    gc.set_threshold(*PYTHON)


def timed_run(text: str, seed: int, days: int, clock: CollectorClock) -> tuple[float, float, Any]:
    """(seconds, the collector's seconds, daily table) of one run (no collection first: a
    worker's runs follow one another as they come)."""
    before = clock.seconds
    started = time.perf_counter()
    frame = CalaisModel(from_text(text), seed=seed).run(days)
    return time.perf_counter() - started, clock.seconds - before, frame


def main(argv: list[str] | None = None) -> int:
    """Time the two settings over the points and print the means and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=24, help="design points (default 24)")
    parser.add_argument("--days", type=int, default=120, help="days a run (default 120)")
    args = parser.parse_args(argv)
    scenario = load_scenario(sensitivity.SCENARIO_FILE)
    design = sensitivity.sample(sensitivity.FACTORS, "sobol", 16, seed=0)
    design = design.sample(args.points, random_state=0)
    plans = sensitivity.designs(scenario, sensitivity.FACTORS, design)
    settings = {"python": as_python_sets_it, "workers": collect_less}
    clock = CollectorClock()
    took = {name: np.zeros((len(plans), 2)) for name in settings}
    for i, (text, point) in enumerate(plans):
        order = list(settings) if i % 2 == 0 else list(settings)[::-1]
        frames = []
        for name in order:
            settings[name]()
            seconds, collecting, frame = timed_run(text, point["sample"], args.days, clock)
            took[name][i] = seconds, collecting
            frames.append(frame)
        assert frames[0].equals(frames[1]), "the collector changed a run's numbers"
    as_python_sets_it()
    print(f"{len(plans)} runs of calais-2015 ({args.days} days) at points of a Sobol design:")
    for name, label in (("python", f"Python's {PYTHON}"), ("workers", "the workers'")):
        run, collecting = took[name].mean(axis=0)
        print(
            f"  {label:24s} {run:6.3f} s a run, of which the collector {collecting:6.3f} s "
            f"({100 * collecting / run:4.1f}%)"
        )
    ratio = took["workers"][:, 0].sum() / took["python"][:, 0].sum()
    print(f"  time with the workers' setting / with Python's: {ratio:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
