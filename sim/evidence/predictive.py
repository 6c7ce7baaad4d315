"""Posterior predictive checks: ``calais-sim validation --posterior FILE``.

Each of ``D`` parameter sets drawn from an ABC posterior (``posterior.parquet`` of ``calais-sim
calibrate --method abc``, or the one shipped as ``sim/data/posterior.parquet``) is applied over
the calibrated 2015 scenario and run once, each draw on its own seed (child ``d`` of the root
seed): the spread of a target's statistic over the draws is then parameter uncertainty and luck
together. A target is *covered* when the record's value lies in the 90% predictive interval.

Two intervals are reported per target: the model's statistic over the draws, and the same with
the record's own uncertainty added (each draw's statistic plus a normal error of the target's
sd, as the ABC distance assumes): the second is the interval in which a new reading of the record
would fall if the model were right, and is the one coverage is judged on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import BadInput
from sim.evidence.targets import Target

LEVEL = 0.90
"""The predictive interval's level."""


def read_posterior(path: str | Path) -> pd.DataFrame:
    """A posterior file: one row per particle, parameters by dotted key and ``weight``.

    Raises:
        BadInput: the file is missing or unreadable, or is not a posterior (no parameter, no
            ``weight`` column, weights negative, not finite or summing to 0).
    """
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such posterior file")
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
        raise BadInput(f"{path}: not a Parquet file ({type(exc).__name__})") from None
    if "weight" not in frame.columns:
        raise BadInput(f"{path}: not a posterior (no 'weight' column)")
    w = frame["weight"].to_numpy(float)
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise BadInput(f"{path}: weight: must be finite, at least 0 and not all 0")
    if not parameter_keys(frame):
        raise BadInput(f"{path}: not a posterior (no parameter column such as 'section.name')")
    return frame


def parameter_keys(posterior: pd.DataFrame) -> list[str]:
    """The posterior's parameters: its columns named as dotted scenario keys."""
    return [c for c in posterior.columns if "." in c]


def draw_parameters(posterior: pd.DataFrame, draws: int, seed: int) -> list[dict[str, float]]:
    """``draws`` parameter sets resampled by weight, reproducibly from ``seed``."""
    w = posterior["weight"].to_numpy(float)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    rows = rng.choice(len(posterior), size=draws, p=w / w.sum())
    keys = parameter_keys(posterior)
    return [{k: float(posterior[k].iloc[i]) for k in keys} for i in rows]


@dataclass(frozen=True)
class Predictive:
    """One target's posterior predictive sample and whether it covers the record."""

    target: Target
    values: np.ndarray
    """The target's statistic in each draw's run."""
    noisy: np.ndarray
    """The same with the record's uncertainty added (normal, the target's sd)."""

    def interval(self, with_record_error: bool = True) -> tuple[float, float]:
        """The central 90% predictive interval."""
        v = self.noisy if with_record_error else self.values
        lo, hi = np.quantile(v, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
        return float(lo), float(hi)

    def covers(self, with_record_error: bool = True) -> bool:
        """Whether the record's value lies in the interval."""
        lo, hi = self.interval(with_record_error)
        return lo <= self.target.value <= hi


def predictive_check(
    scenario: Any,
    posterior: pd.DataFrame,
    targets: Sequence[Target],
    draws: int,
    seed: int,
    workers: int | None = None,
    scheduler: Any = None,
) -> list[Predictive]:
    """Run ``scenario`` once for each of ``draws`` posterior draws; each target's sample.

    Raises:
        ScenarioError: a posterior parameter is not a valid key or value of the scenario.
        RunFailed: a run raised.
    """
    from sim.evidence.targets import days_needed
    from sim.evidence.validation import run_frames
    from sim.runs.jobs import make_jobs

    days = days_needed(scenario.start_date, targets)
    jobs = []
    for d, values in enumerate(draw_parameters(posterior, draws, seed)):
        at = scenario.with_overrides([f"days={days}", *(f"{k}={v!r}" for k, v in values.items())])
        (job,) = make_jobs([(at.to_toml(), {"draw": d})], 1, seed)
        # every draw its own seed (child d of the root), not the common one of a sweep
        child = np.random.SeedSequence(seed).spawn(draws)[d]
        jobs.append(dataclasses.replace(job, replicate=d, spawn_key=tuple(child.spawn_key)))
    runs = run_frames(jobs, workers, scheduler, "a posterior predictive run")
    noise = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
    out = []
    for t in targets:
        values = np.array([t.statistic(f) for f in runs])
        out.append(Predictive(t, values, values + noise.normal(0.0, t.sd, size=draws)))
    return out


def coverage(checks: Sequence[Predictive], role: str, with_record_error: bool = True) -> float:
    """The share of the targets with this role whose record the interval covers."""
    chosen = [c for c in checks if c.target.role == role]
    return float(np.mean([c.covers(with_record_error) for c in chosen])) if chosen else 0.0


def predictive_frame(checks: Sequence[Predictive]) -> pd.DataFrame:
    """One row per target: the record, the predictive median and both 90% intervals."""
    rows = []
    for c in checks:
        lo, hi = c.interval(False)
        nlo, nhi = c.interval(True)
        rows.append(
            {
                "target": c.target.name,
                "role": c.target.role,
                "record": c.target.value,
                "record_sd": c.target.sd,
                "median": float(np.median(c.values)),
                "model_lo90": lo,
                "model_hi90": hi,
                "predictive_lo90": nlo,
                "predictive_hi90": nhi,
                "covered": c.covers(True),
            }
        )
    return pd.DataFrame(rows)


def predictive_text(checks: Sequence[Predictive]) -> str:
    """The check as a table with the coverage per role."""
    frame = predictive_frame(checks)
    lines = [
        f"{'target':<32}{'role':<13}{'record':>9}{'median':>9}{'90% predictive':>22}{'covered':>9}"
    ]
    for r in frame.itertuples():
        interval = f"{r.predictive_lo90:.0f} - {r.predictive_hi90:.0f}"
        lines.append(
            f"{r.target:<32}{r.role:<13}{r.record:>9.0f}{r.median:>9.0f}{interval:>22}"
            f"{'yes' if r.covered else 'no':>9}"
        )
    for role, name in (("calibration", "calibration"), ("validation", "out of sample")):
        n = int((frame["role"] == role).sum())
        lines.append(
            f"{name}: {coverage(checks, role):.0%} of {n} targets covered "
            f"(model's own spread only: {coverage(checks, role, False):.0%})"
        )
    return "\n".join(lines)
