"""Calibration to the 2015 record: the free parameters, the objective's evaluation and the fit.

``calais-sim calibrate`` runs the ``calais-2015`` scenario for as many days as the calibration
targets (:mod:`sim.evidence.targets`) need, ``R`` times at every parameter vector with the same
seeds (common random numbers: replicate ``i`` of every vector uses child ``i`` of one root
seed), takes each target's statistic in every replicate and its mean over the replicates, and
minimises

    objective = sum over the calibration targets of ((replicate mean - value) / sd) ** 2

over the few parameters the figures cannot set directly (:data:`FREE`) with scipy's
differential evolution; each generation's parameter vectors run as one batch through
:func:`sim.runs.executors.execute` (local processes or a Dask cluster). The fitted values,
rounded to :data:`SIGNIFICANT` significant digits, are written to ``sim/data/calibration.toml``
with their provenance (:mod:`sim.evidence.calibration_file`), and :mod:`sim.params` reads its
defaults for these parameters from there.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim import params
from sim.errors import RunFailed, UsageError, setting
from sim.evidence import defaults
from sim.evidence.targets import (
    Target,
    TargetFit,
    averaged_relative_difference,
    days_needed,
    objective,
    target_fits,
)
from sim.resources import package_path

DATA = package_path("data")


SIGNIFICANT = 3
"""Significant digits kept in the fitted values (the fit is far less precise than that)."""


CALIBRATION_FILE = defaults.CALIBRATION_FILE


SCENARIO_FILE = defaults.SCENARIO_FILE


DEFAULT_REPLICATES = defaults.CALIBRATE_REPLICATES


DEFAULT_POPSIZE = defaults.CALIBRATE_POPSIZE


DEFAULT_MAXITER = defaults.CALIBRATE_MAXITER


@dataclass(frozen=True)
class Free:
    """A parameter the calibration fits.

    Attributes:
        key: its dotted scenario key.
        lo, hi: the search bounds.
        start: the value set by hand before any calibration (a member of the first
            generation, and the default when no calibration file exists).
        log: search on a log scale (for chances spanning orders of magnitude).
        why: which target sets it and why the bounds.
        also: other keys that take the same value (a parameter tied to this one).
    """

    key: str
    lo: float
    hi: float
    start: float
    log: bool = False
    why: str = ""
    also: tuple[str, ...] = ()

    @classmethod
    def declared(cls, key: str, start: float, also: tuple[str, ...] = ()) -> Free:
        """The parameter at ``key``, searched over the prior declared beside it in
        :mod:`sim.params`; ``start`` is its hand-set value."""
        p = params.prior(key)
        return cls(key, p.lo, p.hi, start, p.log, p.why, also)

    def to_unit(self, value: float) -> float:
        """The value as a position from 0 (lo) to 1 (hi)."""
        if self.log:
            return (math.log(value) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo))
        return (value - self.lo) / (self.hi - self.lo)

    def from_unit(self, u: float) -> float:
        """The value at position ``u`` from 0 (lo) to 1 (hi)."""
        u = min(1.0, max(0.0, float(u)))
        if self.log:
            return math.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo)))
        return self.lo + u * (self.hi - self.lo)


FREE: tuple[Free, ...] = (
    Free.declared("population.daily_arrivals", 80.0),
    Free.declared("behaviour.stay_utility", -5.0),
    Free.declared("behaviour.persistence", 0.6),
    Free.declared("enforcement.perimeter_detection_tunnel", 0.3),
    Free.declared("enforcement.base_detection_port", 0.35, ("enforcement.base_detection_beach",)),
    Free.declared("risk.death_chance_tunnel", 2e-4),
    Free.declared("behaviour.prior_success", 0.08),
)
"""The parameters ``calais-sim calibrate`` fits by default: seven, against the eight calibration
targets of ``sim/data/targets.toml``."""


OPTIONAL_FREE: dict[str, Free] = {
    p.key: p
    for p in (
        Free.declared("behaviour.crowd_weight", 0.0),
        Free.declared("behaviour.success_weight", 1.0),
    )
}
"""Parameters that are set, not fitted, but that ``calais-sim calibrate --also-fit KEY`` fits
with the others: to test whether a mechanism the record does not ask for would fit it better
(``docs/validation.md``: the mechanisms tried for the night of 27/28 July, and the choice's
elasticity tried against the re-read record)."""


def free_parameters(also: Sequence[str] = ()) -> tuple[Free, ...]:
    """:data:`FREE` and the optional parameters named in ``also``.

    Raises:
        UsageError: a key is not an optional free parameter.
    """
    unknown = [k for k in also if k not in OPTIONAL_FREE]
    if unknown:
        raise UsageError(
            f"{setting('also_fit')}: {unknown[0]} cannot be fitted (it can: "
            f"{', '.join(OPTIONAL_FREE)})"
        )
    return FREE + tuple(OPTIONAL_FREE[k] for k in dict.fromkeys(also))


def assignments(free: Sequence[Free], values: Mapping[str, float]) -> dict[str, float]:
    """The free parameters' values with those of the keys tied to them."""
    out = dict(values)
    for p in free:
        out.update({key: values[p.key] for key in p.also})
    return out


def round_significant(value: float, digits: int = SIGNIFICANT) -> float:
    """``value`` rounded to ``digits`` significant digits."""
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits - 1}e}")


@dataclass
class Evaluation:
    """The model at one parameter vector: every replicate's statistic for every target."""

    values: dict[str, float]
    fits: list[TargetFit]

    @property
    def objective(self) -> float:
        """Sum of squared z-scores (see :func:`objective`)."""
        return objective(self.fits)

    @property
    def ard(self) -> float:
        """Averaged relative difference."""
        return averaged_relative_difference(self.fits)


class Evaluator:
    """Runs the scenario at parameter vectors, R replicates each with the same seeds.

    Args:
        scenario: the resolved scenario (its ``days`` is replaced by what the targets need).
        targets: the targets whose statistics are taken.
        replicates: runs per vector.
        seed: the root seed; replicate ``i`` of every vector uses its child ``i``.
        workers: local worker processes (default one per CPU).
        scheduler: a Dask scheduler's address or scheduler file, or a ``distributed.Client``.
    """

    def __init__(
        self,
        scenario: Any,
        targets: Sequence[Target],
        replicates: int,
        seed: int,
        workers: int | None = None,
        scheduler: Any = None,
    ) -> None:
        self.targets = tuple(targets)
        self.days = days_needed(scenario.start_date, self.targets)
        self.scenario = scenario.with_overrides([f"days={self.days}"])
        self.replicates = replicates
        self.seed = seed
        self.workers = workers
        self.scheduler = scheduler
        self.evaluations = 0
        self.runs = 0

    def scenario_at(self, values: Mapping[str, float]) -> Any:
        """The scenario with parameter values set."""
        return self.scenario.with_overrides(f"{k}={v!r}" for k, v in values.items())

    def evaluate(self, vectors: Sequence[Mapping[str, float]]) -> list[Evaluation]:
        """Run every vector's replicates as one batch; return their evaluations in order.

        Raises:
            RunFailed: a run raised.
        """
        from sim.runs.executors import execute
        from sim.runs.jobs import make_jobs

        designs = [(self.scenario_at(v).to_toml(), {"point": i}) for i, v in enumerate(vectors)]
        jobs = make_jobs(designs, self.replicates, self.seed)
        frames: dict[tuple[int, int], pd.DataFrame] = {}
        with contextlib.closing(execute(jobs, self.workers, self.scheduler)) as results:
            for result in results:
                if not result.ok:
                    raise RunFailed(f"a calibration run failed: {result.error}")
                frames[(result.job.point["point"], result.job.replicate)] = result.frame
        self.evaluations += len(vectors)
        self.runs += len(jobs)
        out = []
        for i, values in enumerate(vectors):
            runs = [frames[(i, r)] for r in range(self.replicates)]
            out.append(Evaluation(dict(values), target_fits(runs, self.targets)))
        return out


@contextlib.contextmanager
def dask_client(scheduler: str | None) -> Iterator[Any]:
    """A Dask client for the length of a block (None without a scheduler)."""
    if scheduler is None:
        yield None
        return
    from sim.runs.cluster import connect

    client = connect(scheduler)
    try:
        yield client
    finally:
        client.close()


@dataclass
class Calibration:
    """What a calibration found, and how."""

    free: tuple[Free, ...]
    fitted: Evaluation
    start: Evaluation
    replicates: int
    seed: int
    days: int
    scenario: str
    scenario_sha256: str
    targets_sha256: str
    popsize: int
    maxiter: int
    generations: int
    evaluations: int
    runs: int
    seconds: float
    history: list[float] = field(default_factory=list)

    @property
    def values(self) -> dict[str, float]:
        """The fitted values by dotted key."""
        return dict(self.fitted.values)


def fit(
    evaluator: Evaluator,
    free: Sequence[Free] = FREE,
    popsize: int = DEFAULT_POPSIZE,
    maxiter: int = DEFAULT_MAXITER,
    seed: int = 0,
    report: Callable[[str], None] | None = None,
) -> Calibration:
    """Fit the free parameters to the evaluator's targets by differential evolution.

    The search runs on [0, 1] per parameter (log-scaled where :attr:`Free.log`); each
    generation's vectors are evaluated as one batch of runs. The best vector is rounded to
    :data:`SIGNIFICANT` digits and evaluated again beside the hand-set starting values, so that
    what is reported is exactly what is written.

    Args:
        evaluator: runs the scenario and scores vectors.
        free: the parameters to fit.
        popsize: differential evolution's population, as a multiple of the parameters.
        maxiter: most generations after the first.
        seed: seeds the optimiser's own random choices.
        report: called with a line of progress after each generation.
    """
    free = tuple(free)
    started = time.perf_counter()
    best, history = search(evaluator, free, popsize, maxiter, seed, report, started)
    start = {p.key: p.start for p in free}
    fitted, at_start = evaluator.evaluate([assignments(free, best), assignments(free, start)])
    return Calibration(
        free=free,
        fitted=fitted,
        start=at_start,
        replicates=evaluator.replicates,
        seed=evaluator.seed,
        days=evaluator.days,
        scenario=evaluator.scenario.name,
        scenario_sha256=hashlib.sha256(evaluator.scenario.to_toml().encode()).hexdigest(),
        targets_sha256="",
        popsize=popsize,
        maxiter=maxiter,
        generations=len(history),
        evaluations=evaluator.evaluations,
        runs=evaluator.runs,
        seconds=time.perf_counter() - started,
        history=history,
    )


def search(
    evaluator: Evaluator,
    free: Sequence[Free],
    popsize: int,
    maxiter: int,
    seed: int,
    report: Callable[[str], None] | None,
    started: float,
) -> tuple[dict[str, float], list[float]]:
    """The differential evolution of :func:`fit`: the best vector found, rounded to
    :data:`SIGNIFICANT` digits, and the search's best objective after each generation."""
    from scipy.optimize import differential_evolution

    history: list[float] = []

    def vectors(units: np.ndarray) -> list[dict[str, float]]:
        return [
            assignments(free, {p.key: p.from_unit(u) for p, u in zip(free, col, strict=True)})
            for col in units.T
        ]

    def scores(units: np.ndarray) -> np.ndarray:
        units = np.atleast_2d(np.asarray(units).T).T  # (parameters, vectors)
        return np.array([e.objective for e in evaluator.evaluate(vectors(units))])

    def generation(intermediate_result: Any) -> None:
        history.append(float(intermediate_result.fun))
        if report:
            best = ", ".join(
                f"{p.key.split('.')[-1]}={p.from_unit(u):.4g}"
                for p, u in zip(free, intermediate_result.x, strict=True)
            )
            report(
                f"generation {len(history)}: search's best objective (sum of z^2, values "
                f"unrounded) {intermediate_result.fun:.3f} "
                f"({best}); {evaluator.runs} runs, {time.perf_counter() - started:.0f} s"
            )

    result = differential_evolution(
        scores,
        bounds=[(0.0, 1.0)] * len(free),
        popsize=popsize,
        maxiter=maxiter,
        init="sobol" if _power_of_two(popsize * len(free)) else "latinhypercube",
        x0=np.array([p.to_unit(p.start) for p in free]),
        rng=np.random.default_rng(seed),
        polish=False,
        vectorized=True,
        updating="deferred",
        tol=0.0,
        atol=0.0,
        callback=generation,
    )
    best = {p.key: round_significant(p.from_unit(u)) for p, u in zip(free, result.x, strict=True)}
    return best, history


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0
