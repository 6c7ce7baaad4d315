"""The posterior of ``calais-sim calibrate --method abc`` as files in the output folder.

- ``posterior.parquet``: the last generation's particles, one row each: every parameter's value
  (on its natural scale, by dotted key), ``weight`` (summing to 1) and ``generation``.
- ``summary.csv``: per parameter, the prior's range and scale, the weighted mean, median and
  90% credible interval, the prior's and the posterior's 90% widths (on the prior's scale: log10
  where log-uniform) and their ratio (near 1: the record leaves it free; well below 1: the
  record pins it down), and the weighted correlation with every other parameter (``corr:KEY``).
- ``generations.csv``: per generation the runs it took (``samples``), the particles accepted,
  the acceptance threshold ``epsilon``, the acceptance rate, the wall time and the effective
  sample size of the weights (``ess``, ``1 / sum(w^2)`` for weights summing to 1: how many
  equally weighted particles the generation is worth).
- ``pairs.png``: the pair plot of the posterior over the prior's ranges.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.evidence.abc import Prior

LEVEL = 0.90
"""The credible interval's level."""

LOW_ESS_SHARE = 0.2
"""Below this share of the particles, the last generation's effective sample size is reported
as too small for its intervals to be trusted."""


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of its weighted empirical CDF, interpolated)."""
    keep = np.asarray(weights, float) > 0
    v, w = np.asarray(values, float)[keep], np.asarray(weights, float)[keep]
    order = np.argsort(v)
    v, w = v[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cdf, v)


def weighted_corr(frame: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """The weighted correlation matrix of a frame's columns."""
    x = frame.to_numpy(float)
    w = np.asarray(weights, float) / np.sum(weights)
    centred = x - w @ x
    cov = (centred * w[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    return pd.DataFrame(corr, index=frame.columns, columns=frame.columns)


def posterior_frame(history: Any, priors: Sequence[Prior]) -> pd.DataFrame:
    """The last generation's particles on their natural scales, with weights."""
    particles, weights = history.get_distribution(m=0, t=history.max_t)
    out = pd.DataFrame({p.key: [p.value(c) for c in particles[p.name]] for p in priors})
    out["weight"] = np.asarray(weights, float) / np.sum(weights)
    out["generation"] = int(history.max_t)
    return out


def summary_frame(posterior: pd.DataFrame, priors: Sequence[Prior]) -> pd.DataFrame:
    """Per parameter: prior, weighted mean, median, 90% interval, widths and correlations."""
    w = posterior["weight"].to_numpy()
    q = [(1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2]
    coords = pd.DataFrame({p.key: [p.coordinate(v) for v in posterior[p.key]] for p in priors})
    corr = weighted_corr(coords, w)
    rows = []
    for p in priors:
        lo, median, hi = weighted_quantile(posterior[p.key].to_numpy(), w, q)
        c_lo, _, c_hi = weighted_quantile(coords[p.key].to_numpy(), w, q)
        b_lo, b_hi = p.bounds
        prior_width = LEVEL * (b_hi - b_lo)
        row = {
            "parameter": p.key,
            "prior_lo": p.lo,
            "prior_hi": p.hi,
            "scale": p.scale,
            "mean": float(np.sum(w * posterior[p.key])),
            "median": median,
            "ci90_lo": lo,
            "ci90_hi": hi,
            "prior_width90": prior_width,
            "posterior_width90": c_hi - c_lo,
            "width_ratio": (c_hi - c_lo) / prior_width,
        }
        row.update({f"corr:{o.key}": float(corr.loc[p.key, o.key]) for o in priors})
        rows.append(row)
    return pd.DataFrame(rows)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of importance weights: ``sum(w)^2 / sum(w^2)``."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / np.sum(w**2))


def generations_frame(history: Any) -> pd.DataFrame:
    """Per generation: runs, particles accepted, threshold, acceptance rate, wall time and
    effective sample size."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].rename(columns={"t": "generation"})
    out = pops[["generation", "samples", "particles", "epsilon", "wall_time"]].copy()
    out["acceptance_rate"] = out["particles"] / out["samples"]
    out["runs_total"] = out["samples"].cumsum()
    out["ess"] = [
        effective_sample_size(history.get_distribution(m=0, t=int(t))[1]) for t in out["generation"]
    ]
    return out.reset_index(drop=True)


def pair_plot(posterior: pd.DataFrame, priors: Sequence[Prior], path: Path) -> None:
    """The posterior's pair plot over the prior ranges: histograms on the diagonal, weighted
    particles below it (log axes for log-uniform priors)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(priors)
    w = posterior["weight"].to_numpy()
    fig, axes = plt.subplots(n, n, figsize=(1.7 * n + 1, 1.7 * n + 1), squeeze=False)
    for i, pi in enumerate(priors):
        for j, pj in enumerate(priors):
            ax = axes[i][j]
            if j > i:
                ax.set_axis_off()
                continue
            _pair_panel(ax, posterior, w, pi, pj, diagonal=i == j)
            ax.tick_params(labelsize=6)
            if i == n - 1:
                ax.set_xlabel(pj.key.split(".")[-1], fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(pi.key.split(".")[-1], fontsize=7)
    fig.suptitle(
        f"ABC-SMC posterior, generation {int(posterior['generation'].iloc[0])} "
        f"({len(posterior)} particles); axes span the priors",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _pair_panel(
    ax: Any, posterior: pd.DataFrame, w: np.ndarray, pi: Prior, pj: Prior, diagonal: bool
) -> None:
    x = posterior[pj.key].to_numpy()
    if pj.log:
        ax.set_xscale("log")
    ax.set_xlim(pj.lo, pj.hi)
    if diagonal:
        edges = np.geomspace(pj.lo, pj.hi, 16) if pj.log else np.linspace(pj.lo, pj.hi, 16)
        ax.hist(x, bins=edges, weights=w, color="tab:blue", alpha=0.8)
        ax.set_yticks([])
        return
    y = posterior[pi.key].to_numpy()
    ax.scatter(x, y, s=4 + 400 * w, alpha=0.5, color="tab:blue", linewidths=0)
    if pi.log:
        ax.set_yscale("log")
    ax.set_ylim(pi.lo, pi.hi)


def write_posterior(history: Any, priors: Sequence[Prior], out: Path) -> str:
    """Write the posterior's files into ``out``; return a report of them as text."""
    from sim.runs.results import write_bytes

    posterior = posterior_frame(history, priors)
    summary = summary_frame(posterior, priors)
    generations = generations_frame(history)
    posterior.to_parquet(out / "posterior.parquet", index=False)
    write_bytes(out / "summary.csv", summary.to_csv(index=False).encode())
    write_bytes(out / "generations.csv", generations.to_csv(index=False).encode())
    pair_plot(posterior, priors, out / "pairs.png")
    return report(summary, generations, out)


def report(summary: pd.DataFrame, generations: pd.DataFrame, out: Path) -> str:
    """The generations and the posterior summary as text."""
    lines = [
        f"{'generation':>10}{'runs':>8}{'accepted':>10}{'epsilon':>12}{'seconds':>10}{'ESS':>8}"
    ]
    for g in generations.itertuples():
        lines.append(
            f"{g.generation:>10}{g.samples:>8}{g.particles:>10}{g.epsilon:>12.2f}"
            f"{g.wall_time:>10.0f}{g.ess:>8.1f}"
        )
    lines.append(f"runs in all: {int(generations['samples'].sum())}")
    last = generations.iloc[-1]
    if last["ess"] < LOW_ESS_SHARE * last["particles"]:
        lines.append(
            f"warning: the last generation's effective sample size is {last['ess']:.1f} of "
            f"{int(last['particles'])} particles: a few particles carry the weight, so the "
            "intervals below are likely too narrow; run with more particles a generation"
        )
    lines.append("")
    lines.append(f"{'parameter':<40}{'median':>10}{'90% interval':>24}{'prior':>22}{'width':>7}")
    for r in summary.itertuples():
        interval = f"{r.ci90_lo:.3g} - {r.ci90_hi:.3g}"
        prior = f"{r.prior_lo:g} - {r.prior_hi:g}"
        lines.append(
            f"{r.parameter:<40}{r.median:>10.3g}{interval:>24}{prior:>22}{r.width_ratio:>7.2f}"
        )
    lines.append(
        "(width: the posterior's 90% width over the prior's, on the prior's scale; near 1 the "
        "record leaves the parameter free)"
    )
    lines.append(f"written to {out}: posterior.parquet, summary.csv, generations.csv, pairs.png")
    return "\n".join(lines)
