"""Replicates of one scenario and the spread of their outcomes (``calais-sim run --replicates``)."""

from __future__ import annotations

from typing import Any

from sim.errors import RunFailed


def replicate_spread(scenario: Any, replicates: int, workers: int | None) -> dict[str, dict]:
    """Run ``replicates`` replicates of a scenario (seeds: the children of its seed); for each
    outcome's run summary, the mean, the 95% bootstrap interval of the mean, and the central
    95% of the replicates."""
    import numpy as np

    from sim.model.outcomes import summarise
    from sim.runs.executors import execute
    from sim.runs.jobs import make_jobs
    from sim.runs.statistics import bootstrap_ci

    jobs = make_jobs([(scenario.to_toml(), {})], replicates, scenario.seed)
    runs = {}
    for result in execute(jobs, workers):
        if not result.ok:
            raise RunFailed(f"replicate {result.job.replicate} failed: {result.error}")
        runs[result.job.replicate] = summarise(result.frame)
    out = {}
    for name in runs[0]:
        values = np.array([runs[r][name] for r in range(replicates)])
        low, high, _ = bootstrap_ci(values)
        lo95, hi95 = np.quantile(values, [0.025, 0.975])
        out[name] = {
            "mean": float(values.mean()),
            "mean_ci95": [low, high],
            "runs95": [float(lo95), float(hi95)],
        }
    return out
