"""Calibration to the 2015 record: targets, their statistics, the objective and the fit.

The record is ``sim/data/targets.toml``: each target names an outcome column (or several to add
up), a window of dates, how the window is summarised (``mean`` a day, ``sum``, or ``last``
day), the recorded value and its uncertainty (one standard deviation). Targets with
``role = "calibration"`` are fitted; those with ``role = "validation"`` never are (see
``sim/evidence/validation.py``).

``calais-sim calibrate`` runs the ``calais-2015`` scenario for as many days as the calibration
targets need, ``R`` times at every parameter vector with the same seeds (common random numbers:
replicate ``i`` of every vector uses child ``i`` of one root seed), takes each target's
statistic in every replicate and its mean over the replicates, and minimises

    objective = sum over the calibration targets of ((replicate mean - value) / sd) ** 2

over the few parameters the figures cannot set directly (:data:`FREE`) with scipy's
differential evolution; each generation's parameter vectors run as one batch through
:func:`sim.runs.executors.execute` (local processes or a Dask cluster). The fitted values,
rounded to :data:`SIGNIFICANT` significant digits, are written to ``sim/data/calibration.toml`` with
their provenance, and :mod:`sim.params` reads its defaults for these parameters from there.
The fit is reported per target as a z-score and as the relative difference
``|model - record| / record`` (averaged over the targets, as Flee does).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.errors import RunFailed, UsageError
from sim.evidence import defaults
from sim.resources import package_path

DATA = package_path("data")
ROLES = ("calibration", "validation")
SUMMARIES = ("mean", "sum", "last")
TARGET_KEYS = ("role", "outcome", "start", "end", "summary", "value", "sd", "source")
SIGNIFICANT = 3
"""Significant digits kept in the fitted values (the fit is far less precise than that)."""
TARGETS_FILE = defaults.TARGETS_FILE
CALIBRATION_FILE = defaults.CALIBRATION_FILE
SCENARIO_FILE = defaults.SCENARIO_FILE
DEFAULT_REPLICATES = defaults.CALIBRATE_REPLICATES
DEFAULT_POPSIZE = defaults.CALIBRATE_POPSIZE
DEFAULT_MAXITER = defaults.CALIBRATE_MAXITER


class TargetsError(UsageError):
    """A targets file that cannot be used: names the file, the target and what is wrong."""


# --- targets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One figure of the record the model is compared with.

    Attributes:
        name: the target's key in the file.
        role: ``calibration`` (fitted) or ``validation`` (compared only).
        outcomes: the daily outcome columns added up.
        start, end: the window of dates, both included (a model day's date is its evening's).
        summary: ``mean`` a day over the window, ``sum`` over it, or the ``last`` day.
        value: the recorded value.
        sd: its uncertainty, one standard deviation.
        source: where the figure comes from.
    """

    name: str
    role: Literal["calibration", "validation"]
    outcomes: tuple[str, ...]
    start: dt.date
    end: dt.date
    summary: Literal["mean", "sum", "last"]
    value: float
    sd: float
    source: str

    @property
    def label(self) -> str:
        """The outcome(s) as text: ``a`` or ``a + b``."""
        return " + ".join(self.outcomes)

    def statistic(self, frame: pd.DataFrame) -> float:
        """The target's statistic in one run's daily frame.

        Raises:
            UsageError: the run does not cover the window, or lacks an outcome column.
        """
        missing = [c for c in self.outcomes if c not in frame.columns]
        if missing:
            raise UsageError(
                f"target {self.name}: the model has no outcome {', '.join(missing)} "
                "(see sim/model/outcomes.py)"
            )
        dates = pd.to_datetime(frame["date"])
        first, last = dates.iloc[0].date(), dates.iloc[-1].date()
        if self.start < first or self.end > last:
            raise UsageError(
                f"target {self.name}: its window {self.start} - {self.end} is not within the "
                f"run ({first} - {last})"
            )
        inside = (dates >= pd.Timestamp(self.start)) & (dates <= pd.Timestamp(self.end))
        daily = frame.loc[inside, list(self.outcomes)].to_numpy(dtype=float).sum(axis=1)
        if self.summary == "mean":
            return float(daily.mean())
        if self.summary == "sum":
            return float(daily.sum())
        return float(daily[-1])


def load_targets(
    path: str | Path = TARGETS_FILE, columns: Sequence[str] | None = None
) -> tuple[Target, ...]:
    """Read and check a targets file.

    Args:
        path: the TOML file.
        columns: the outcome columns a target may name (default: every outcome of
            :data:`sim.metrics.OUTCOMES`).

    Raises:
        TargetsError: the file is missing, not TOML, or a target is malformed (the message names
            the file, the target and the key).
    """
    from sim.model.outcomes import OUTCOME_BY_NAME

    path = Path(path)
    known = set(OUTCOME_BY_NAME if columns is None else columns)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetsError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetsError(f"{path}: cannot read the file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(f"{path}: not valid TOML ({exc})") from None
    extra = sorted(set(doc) - {"targets"})
    if extra:
        raise TargetsError(f"{path}: {extra[0]}: unknown key (only [targets.NAME] tables)")
    table = doc.get("targets")
    if not isinstance(table, dict) or not table:
        raise TargetsError(f"{path}: no [targets.NAME] tables")
    return tuple(_target(path, name, body, known) for name, body in table.items())


def _target(path: Path, name: str, body: Any, known: set[str]) -> Target:
    def fail(key: str | None, why: str) -> TargetsError:
        where = f"targets.{name}" + (f".{key}" if key else "")
        return TargetsError(f"{path}: {where}: {why}")

    if not isinstance(body, dict):
        raise fail(None, "must be a table")
    for key in body:
        if key not in TARGET_KEYS:
            raise fail(key, f"unknown key (a target has {', '.join(TARGET_KEYS)})")
    for key in TARGET_KEYS:
        if key not in body:
            raise fail(key, "missing")
    if body["role"] not in ROLES:
        raise fail("role", f"must be one of {', '.join(ROLES)}, not {body['role']!r}")
    outcome = body["outcome"]
    outcomes = (outcome,) if isinstance(outcome, str) else outcome
    if (
        not isinstance(outcomes, list | tuple)
        or not outcomes
        or not all(isinstance(o, str) for o in outcomes)
    ):
        raise fail("outcome", "must be an outcome's name or a non-empty list of names")
    for o in outcomes:
        if o not in known:
            raise fail(
                "outcome", f"{o!r} is not an outcome of the model (see sim/model/outcomes.py)"
            )
    if len(set(outcomes)) != len(outcomes):
        raise fail("outcome", "names an outcome twice")
    for key in ("start", "end"):
        if not isinstance(body[key], dt.date) or isinstance(body[key], dt.datetime):
            raise fail(key, f"must be a date such as 2015-07-01, not {body[key]!r}")
    if body["end"] < body["start"]:
        raise fail("end", f"is before start ({body['start']})")
    if body["summary"] not in SUMMARIES:
        raise fail("summary", f"must be one of {', '.join(SUMMARIES)}, not {body['summary']!r}")
    for key in ("value", "sd"):
        v = body[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise fail(key, f"must be a finite number, not {v!r}")
    if body["value"] <= 0:
        raise fail("value", "must be above 0 (fit is reported relative to it)")
    if body["sd"] <= 0:
        raise fail("sd", "must be above 0")
    if not isinstance(body["source"], str) or not body["source"].strip():
        raise fail("source", "must name where the figure comes from")
    return Target(
        name=name,
        role=body["role"],
        outcomes=tuple(outcomes),
        start=body["start"],
        end=body["end"],
        summary=body["summary"],
        value=float(body["value"]),
        sd=float(body["sd"]),
        source=body["source"].strip(),
    )


def days_needed(start: dt.date, targets: Sequence[Target]) -> int:
    """Days a run from ``start`` must last to cover every target's window.

    Raises:
        UsageError: a window starts before ``start``.
    """
    early = [t for t in targets if t.start < start]
    if early:
        raise UsageError(
            f"target {early[0].name} starts on {early[0].start}, before the scenario ({start})"
        )
    return max((t.end - start).days + 1 for t in targets)


# --- the fit's quality --------------------------------------------------------------------


@dataclass(frozen=True)
class TargetFit:
    """How the model's replicates compare with one target."""

    target: Target
    values: np.ndarray
    """The statistic in each replicate."""

    @property
    def mean(self) -> float:
        """Mean over the replicates."""
        return float(np.mean(self.values))

    @property
    def spread(self) -> float:
        """Standard deviation over the replicates (0 with one replicate)."""
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else 0.0

    @property
    def z(self) -> float:
        """(replicate mean - value) / sd."""
        return (self.mean - self.target.value) / self.target.sd

    @property
    def relative_difference(self) -> float:
        """|replicate mean - value| / value, Flee's measure."""
        return abs(self.mean - self.target.value) / self.target.value

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """The central ``level`` range of the replicates' values."""
        q = (1 - level) / 2
        lo, hi = np.quantile(self.values, [q, 1 - q])
        return float(lo), float(hi)


def objective(fits: Sequence[TargetFit]) -> float:
    """Sum of squared z-scores of the replicate means."""
    return float(sum(f.z**2 for f in fits))


def averaged_relative_difference(fits: Sequence[TargetFit]) -> float:
    """Mean of |model - record| / record over the targets (Flee's validation measure)."""
    return float(np.mean([f.relative_difference for f in fits]))


def target_fits(frames: Sequence[pd.DataFrame], targets: Sequence[Target]) -> list[TargetFit]:
    """Each target's statistic in every replicate's frame."""
    return [TargetFit(t, np.array([t.statistic(f) for f in frames])) for t in targets]


# --- free parameters ----------------------------------------------------------------------


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
    Free(
        "population.daily_arrivals",
        20.0,
        200.0,
        80.0,
        why="the camp's size in early July (3,000) given 2,500 at the start: no count of "
        "arrivals exists; bounds from no growth without arrivals to the camp doubling in a month",
    ),
    Free(
        "behaviour.stay_utility",
        -12.0,
        0.0,
        -5.0,
        why="the tries a night at the tunnel (about 500 in early July): how readily migrants "
        "go out is observed only through the tries they make",
    ),
    Free(
        "behaviour.persistence",
        0.0,
        0.95,
        0.6,
        why="the night of 27/28 July (about 1,750 tries at the tunnel by fewer than 400 "
        "people): how many tries a person makes in a night is only seen on such nights",
    ),
    Free(
        "enforcement.perimeter_detection_tunnel",
        0.02,
        0.9,
        0.3,
        why="the interceptions by Eurotunnel (about 180 a day): the share of intrusions that "
        "Eurotunnel's own security stops is not published",
    ),
    Free(
        "enforcement.base_detection_port",
        0.02,
        0.9,
        0.35,
        why="the tries stopped at the port (about 170 a day, port and beach ways together, "
        "21 June - 11 July): the share of hidden migrants the checks find is not published; "
        "the beach way ends at the same port, so its checks are the port's",
        also=("enforcement.base_detection_beach",),
    ),
    Free(
        "risk.death_chance_tunnel",
        1e-5,
        2e-3,
        2e-4,
        log=True,
        why="the 9 deaths from 26 June to 29 July 2015: a chance of death per try is never "
        "recorded; searched on a log scale over two orders of magnitude around the hand-set value",
    ),
)
"""The parameters ``calais-sim calibrate`` fits by default, one for each calibration target."""


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


# --- evaluating parameter vectors ---------------------------------------------------------


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


# --- the fit ------------------------------------------------------------------------------


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
    from scipy.optimize import differential_evolution

    free = tuple(free)
    started = time.perf_counter()
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


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


# --- the calibration file -----------------------------------------------------------------


def calibration_document(cal: Calibration, command: Sequence[str]) -> dict[str, Any]:
    """The content of ``calibration.toml``: fitted values, bounds, objective, fit, provenance."""
    from sim.runs.results import versions

    return {
        "method": {
            "objective": "sum over the calibration targets of ((replicate mean - value) / sd)^2",
            "optimiser": "scipy.optimize.differential_evolution (search on [0, 1] per "
            "parameter, log scale where noted; not polished)",
            "popsize": cal.popsize,
            "maxiter": cal.maxiter,
            "generations": cal.generations,
            "evaluations": cal.evaluations,
            "runs": cal.runs,
            "seconds": round(cal.seconds, 1),
            "replicates": cal.replicates,
            "seed": cal.seed,
            "seeds": f"replicate i of every vector uses child i of SeedSequence({cal.seed})",
            "scenario": cal.scenario,
            "scenario_sha256": cal.scenario_sha256,
            "days": cal.days,
            "targets_sha256": cal.targets_sha256,
            "rounding": f"fitted values rounded to {SIGNIFICANT} significant digits, "
            "then evaluated again",
            "command": " ".join(command),
            "date": dt.datetime.now(dt.UTC).replace(microsecond=0),
        },
        "versions": versions(),
        "result": {
            "objective": round(cal.fitted.objective, 4),
            "objective_at_start": round(cal.start.objective, 4),
            "averaged_relative_difference": round(cal.fitted.ard, 4),
            "averaged_relative_difference_at_start": round(cal.start.ard, 4),
        },
        "parameters": parameter_entries(cal),
        "fit": {
            f.target.name: {
                "outcome": f.target.label,
                "window": f"{f.target.start} - {f.target.end}",
                "summary": f.target.summary,
                "record": f.target.value,
                "sd": f.target.sd,
                "model_mean": round(f.mean, 4),
                "model_sd": round(f.spread, 4),
                "z": round(f.z, 4),
                "relative_difference": round(f.relative_difference, 4),
                "model_mean_at_start": round(s.mean, 4),
            }
            for f, s in zip(cal.fitted.fits, cal.start.fits, strict=True)
        },
    }


def parameter_entries(cal: Calibration) -> dict[str, dict[str, Any]]:
    """Each fitted key's entry in ``calibration.toml``: value, bounds, scale, start, why."""
    out: dict[str, dict[str, Any]] = {}
    for p in cal.free:
        out[p.key] = {
            "value": cal.fitted.values[p.key],
            "lo": p.lo,
            "hi": p.hi,
            "scale": "log" if p.log else "linear",
            "start": p.start,
            "why": p.why,
        }
        for key in p.also:
            out[key] = {**out[p.key], "tied_to": p.key, "why": f"takes the value of {p.key}"}
    return out


HEADER = (
    "# Written by `calais-sim calibrate`: the fitted defaults of sim/params.py and how they were\n"
    "# found. Do not edit by hand: run the command again (see docs/validation.md).\n\n"
)


def write_calibration(path: str | Path, document: Mapping[str, Any]) -> None:
    """Write a calibration document as TOML, atomically."""
    from sim.runs.results import write_bytes
    from sim.scenario.loading import dumps_toml

    write_bytes(path, (HEADER + dumps_toml(document)).encode())


def read_calibration(path: str | Path = CALIBRATION_FILE) -> dict[str, Any]:
    """Read a calibration file.

    Raises:
        UsageError: the file is missing or not TOML.
    """
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no calibration yet (run calais-sim calibrate)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the calibration ({exc})") from None


def fitted_overrides(path: str | Path = CALIBRATION_FILE) -> list[str]:
    """The fitted values as ``KEY=VALUE`` assignments, to apply them to any scenario."""
    doc = read_calibration(path)
    return [f"{key}={entry['value']!r}" for key, entry in doc.get("parameters", {}).items()]


# --- reporting ----------------------------------------------------------------------------


def fit_table(fits: Sequence[TargetFit], start: Sequence[TargetFit] | None = None) -> str:
    """The fit per target as a text table, with the averaged relative difference."""
    head = f"{'target':<28}{'record':>10}{'sd':>8}{'model':>10}{'z':>7}{'|rel. diff.|':>14}"
    if start is not None:
        head += f"{'hand-set':>10}"
    lines = [head]
    for i, f in enumerate(fits):
        line = (
            f"{f.target.name:<28}{f.target.value:>10,.1f}{f.target.sd:>8,.1f}{f.mean:>10,.1f}"
            f"{f.z:>7.2f}{f.relative_difference:>14.1%}"
        )
        if start is not None:
            line += f"{start[i].mean:>10,.1f}"
        lines.append(line)
    lines.append(
        f"objective (sum of z^2) {objective(fits):.3f}; averaged relative difference "
        f"{averaged_relative_difference(fits):.1%}"
    )
    return "\n".join(lines)
