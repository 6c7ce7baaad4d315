"""The statistics of a comparison: bootstrap confidence intervals (BCa, the percentile method
where BCa is undefined) from a fixed seed, and what an interval says (higher, lower, unclear;
better, worse)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

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


SIGN_ROBUST_SHARE = 0.9
"""The share of posterior draws whose mean effect must have the overall sign to call it robust."""


def variance_split(effects: np.ndarray, groups: np.ndarray) -> dict[str, float | str]:
    """Split an effect's variance into parameters (between draws) and luck (within draws).

    The one-way random-effects ANOVA estimator: the within-draw variance is the pooled
    within-group mean square; the between-draw variance is ``(MSB - MSW) / n0`` (``n0`` the
    usual effective group size; for ``R`` runs a draw, the variance of the draws' means minus
    ``within / R``), floored at 0. Also the share of draws whose mean effect has the sign of the
    overall mean, and whether that share reaches :data:`SIGN_ROBUST_SHARE`.

    Args:
        effects: one effect a paired run (scenario minus baseline).
        groups: the posterior draw of each run.

    Returns:
        ``var_parameters``, ``var_luck``, ``share_parameters`` (of their sum), ``draws``,
        ``sign_share``, ``sign_robust`` ("yes" or "no"); NaN where undefined (fewer than two
        draws, or one run a draw).
    """
    effects = np.asarray(effects, dtype=float)
    frame = pd.DataFrame({"e": effects, "g": np.asarray(groups)})
    by = frame.groupby("g")["e"]
    means, sizes = by.mean(), by.size()
    k, n = len(means), len(effects)
    within = math.nan
    if n > k:
        within = float(((frame["e"] - by.transform("mean")) ** 2).sum() / (n - k))
    between = math.nan
    if k >= 2 and not math.isnan(within):
        msb = float((sizes * (means - effects.mean()) ** 2).sum() / (k - 1))
        n0 = (n - float((sizes**2).sum()) / n) / (k - 1)
        between = max(0.0, (msb - within) / n0)
    total = between + within
    share = between / total if total > 0 else (0.0 if total == 0 else math.nan)
    overall = float(effects.mean()) if n else math.nan
    sign = np.sign(overall) if n else 0.0
    sign_share = float((np.sign(means.to_numpy()) == sign).mean()) if k and sign != 0 else 0.0
    return {
        "draws": k,
        "var_parameters": between,
        "var_luck": within,
        "share_parameters": share,
        "sign_share": sign_share,
        "sign_robust": "yes" if sign != 0 and sign_share >= SIGN_ROBUST_SHARE else "no",
    }
