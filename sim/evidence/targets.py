"""The 2015 record as targets, and how well a run's outcomes fit them.

The record is ``sim/data/targets.toml``: each target names an outcome column (or several to add
up), a window of dates, how the window is summarised (``mean`` a day, ``sum``, or ``last``
day), the recorded value and its uncertainty (one standard deviation). Targets with
``role = "calibration"`` are fitted (:mod:`sim.evidence.calibration`); those with
``role = "validation"`` never are (:mod:`sim.evidence.validation`). The fit is reported per
target as a z-score and as the relative difference ``|model - record| / record`` (averaged over
the targets, as Flee does).
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.evidence import defaults

ROLES = ("calibration", "validation")


SUMMARIES = ("mean", "sum", "last")


TARGET_KEYS = ("role", "outcome", "start", "end", "summary", "value", "sd", "source")


TARGETS_FILE = defaults.TARGETS_FILE


class TargetsError(UsageError):
    """A targets file that cannot be used: names the file, the target and what is wrong."""


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
