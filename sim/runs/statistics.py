"""The statistics of a comparison: bootstrap confidence intervals (BCa, the percentile method
where BCa is undefined) from a fixed seed, and what an interval says (higher, lower, unclear;
better, worse)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from sim.model.outcomes import Outcome

BOOTSTRAP_SEED = 20150702


N_RESAMPLES = 9999


CONFIDENCE = 0.95


def bootstrap_ci(*samples: np.ndarray, statistic: Any = None) -> tuple[float, float, str]:
    """A 95% bootstrap confidence interval and the method that gave it.

    Args:
        samples: one sample (the interval is of its mean), or several paired samples of equal
            length for ``statistic``.
        statistic: a vectorised ``f(*samples, axis)``; default the mean.

    Returns:
        (low, high, method): ``BCa``, ``percentile`` where BCa is undefined, ``constant`` when
        every value is the same (the interval is that value), or NaNs and ``""`` below 2 values.
    """
    from scipy import stats

    data = [np.asarray(s, dtype=float) for s in samples]
    n = len(data[0])
    if n < 2:
        return math.nan, math.nan, ""
    if statistic is None:
        statistic = np.mean
        if np.all(data[0] == data[0][0]):
            return float(data[0][0]), float(data[0][0]), "constant"
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = stats.bootstrap(
                tuple(data),
                statistic,
                n_resamples=N_RESAMPLES,
                confidence_level=CONFIDENCE,
                method=method,
                paired=len(data) > 1,
                vectorized=True,
                rng=np.random.default_rng(BOOTSTRAP_SEED),
            )
        low, high = (float(v) for v in res.confidence_interval)
        if math.isfinite(low) and math.isfinite(high):
            return low, high, method
    return math.nan, math.nan, ""


def direction(low: float, high: float) -> str:
    """``higher``, ``lower`` or ``unclear`` from a difference's interval."""
    if low > 0:
        return "higher"
    if high < 0:
        return "lower"
    return "unclear"


def verdict(outcome: Outcome, low: float, high: float) -> str:
    """``better``/``worse`` for outcomes with a good direction, else ``higher``/``lower``;
    ``no clear difference`` when the interval holds zero."""
    way = direction(low, high)
    if way == "unclear" or math.isnan(low):
        return "no clear difference"
    if outcome.better is None:
        return way
    return "better" if way == outcome.better else "worse"


def ratio_of_means(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    """The ratio of two samples' means (a statistic for :func:`bootstrap_ci`)."""
    return np.mean(a, axis=axis) / np.mean(b, axis=axis)
