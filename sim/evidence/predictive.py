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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.evidence.targets import Target
from sim.runs.draws import Posterior, assignments, draw

LEVEL = 0.90
"""The predictive interval's level."""
RECORD_ERROR_STREAM = 0x5245
"""Mixed into the root seed for the record's errors, a stream no run uses."""
RECORD_ERRORS_PER_RUN = 200
"""Record errors drawn for each run, so that the interval with them is not itself noisy."""


@dataclass(frozen=True)
class Predictive:
    """One target's posterior predictive sample and whether it covers the record."""

    target: Target
    values: np.ndarray
    """The target's statistic in each draw's run."""
    noisy: np.ndarray
    """The same with the record's uncertainty added (normal, the target's sd; several errors
    a run)."""

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
    posterior: Posterior,
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
    from sim.runs.jobs import Job, replicate_seeds

    days = days_needed(scenario.start_date, targets)
    children = replicate_seeds(seed, draws)  # every draw its own seed, not a sweep's common one
    jobs = []
    for d, particle in enumerate(draw(posterior, draws, seed)):
        at = scenario.with_overrides([f"days={days}", *assignments(posterior, particle)])
        jobs.append(Job.seeded(at, at.to_toml(), {"draw": d}, d, children[d]))
    runs = run_frames(jobs, workers, scheduler, "a posterior predictive run")
    noise = np.random.default_rng([seed, RECORD_ERROR_STREAM])
    out = []
    for t in targets:
        values = np.array([t.statistic(f) for f in runs])
        errors = noise.normal(0.0, t.sd, size=(draws, RECORD_ERRORS_PER_RUN))
        out.append(Predictive(t, values, (values[:, None] + errors).ravel()))
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
