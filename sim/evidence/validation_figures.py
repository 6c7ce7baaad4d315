"""The figures of the validation: one panel a target, the model's replicates against the record
(``docs/img/validation.png``), and every target on one scale (``validation_summary.png``)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.evidence.targets import (
    Target,
    TargetFit,
    averaged_relative_difference,
)

if TYPE_CHECKING:  # only in annotations: validation imports this module
    from sim.evidence.validation import Validation


def _series(frame: pd.DataFrame, target: Target) -> np.ndarray:
    return frame[list(target.outcomes)].to_numpy(dtype=float).sum(axis=1)


def figure_targets(v: Validation) -> Any:
    """One panel per target: the model's replicates (median, 90% band) and the record."""
    import matplotlib.pyplot as plt

    from sim.runs import plots  # noqa: F401  (selects the Agg backend)

    n = len(v.fits)
    cols = 3
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(13, 3.1 * rows), layout="constrained")
    dates = pd.to_datetime(v.frames[0]["date"])
    for ax, f in zip(axes.flat, v.fits, strict=False):
        _panel(ax, dates, v.frames, f)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(
        f"{v.scenario.name}, calibrated: {len(v.frames)} replicates (median, 90% band) against "
        "the record (value ± 1 and 2 sd)",
        fontsize=11,
    )
    return fig


def _panel(ax: Any, dates: pd.Series, frames: Sequence[pd.DataFrame], f: TargetFit) -> None:
    t = f.target
    colour = "#1f77b4" if t.role == "calibration" else "#2ca02c"
    values = np.array([_series(fr, t) for fr in frames])
    inside = ((dates >= pd.Timestamp(t.start)) & (dates <= pd.Timestamp(t.end))).to_numpy()
    if t.summary == "sum":
        # The running total over the window, against the record's total at its end.
        values = np.where(inside, values, 0.0).cumsum(axis=1)
        keep = dates >= pd.Timestamp(t.start) - pd.Timedelta(days=3)
        keep &= dates <= pd.Timestamp(t.end) + pd.Timedelta(days=3)
        keep = keep.to_numpy()
        x, values = dates[keep], values[:, keep]
        what = "running total over the window"
    else:
        x = dates
        what = "a day" if t.summary == "mean" else "last day"
    median = np.median(values, axis=0)
    lo, hi = np.quantile(values, [0.05, 0.95], axis=0)
    ax.fill_between(x, lo, hi, color=colour, alpha=0.25, lw=0)
    ax.plot(x, median, color=colour, lw=1.3, label="model")
    start, end = pd.Timestamp(t.start), pd.Timestamp(t.end) + pd.Timedelta(hours=23)
    if t.summary == "sum":
        ax.errorbar([end], [t.value], yerr=[[2 * t.sd], [2 * t.sd]], fmt="none", color="k", lw=0.8)
        ax.errorbar([end], [t.value], yerr=[[t.sd], [t.sd]], fmt="o", color="k", ms=4, lw=2)
    else:
        ax.axvspan(start, end, color="0.85", lw=0)
        ax.fill_between([start, end], t.value - 2 * t.sd, t.value + 2 * t.sd, color="k", alpha=0.1)
        ax.fill_between([start, end], t.value - t.sd, t.value + t.sd, color="k", alpha=0.2)
        ax.plot([start, end], [t.value, t.value], color="k", lw=1.5, label="record")
    role = "calibration" if t.role == "calibration" else "validation (out of sample)"
    ax.set_title(f"{t.name}: {role}\n{t.label}, {what}", fontsize=8.5)
    ax.text(
        0.01,
        0.97,
        f"model {num(f.mean)} vs record {num(t.value)} ± {num(t.sd)} (z {f.z:+.1f})",
        transform=ax.transAxes,
        fontsize=7.5,
        va="top",
    )
    ax.grid(alpha=0.3)
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylim(bottom=0)


def figure_summary(v: Validation) -> Any:
    """Every target on one scale: the model's replicates over the record, with the record's
    uncertainty (1 and 2 sd) around 1."""
    import matplotlib.pyplot as plt

    from sim.runs import plots  # noqa: F401

    fits = v.fits
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(fits) + 1.4), layout="constrained")
    for i, f in enumerate(fits):
        y = len(fits) - 1 - i
        t = f.target
        rel = t.sd / t.value
        ax.plot(
            [max(1 - 2 * rel, 0.01), 1 + 2 * rel], [y, y], color="0.8", lw=9, solid_capstyle="butt"
        )
        ax.plot([max(1 - rel, 0.01), 1 + rel], [y, y], color="0.6", lw=9, solid_capstyle="butt")
        lo, hi = f.interval()
        colour = "#1f77b4" if t.role == "calibration" else "#2ca02c"
        ax.plot([max(lo / t.value, 0.01), max(hi / t.value, 0.01)], [y, y], color=colour, lw=2)
        ax.plot([max(f.mean / t.value, 0.01)], [y], "o", color=colour, ms=6)
    ax.axvline(1, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(range(len(fits)), [f.target.name for f in reversed(fits)], fontsize=8)
    ax.set_xlabel("model / record (log scale)")
    ax.plot(
        [], [], "o-", color="#1f77b4", label="calibration target: model mean, 95% of replicates"
    )
    ax.plot([], [], "o-", color="#2ca02c", label="validation target (out of sample)")
    ax.plot([], [], color="0.6", lw=6, label="record ± 1 sd")
    ax.plot([], [], color="0.8", lw=6, label="record ± 2 sd")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3, axis="x")
    ax.set_title(
        f"Model against record: ARD {averaged_relative_difference(fits):.0%} over {len(fits)} "
        "targets",
        fontsize=10,
    )
    return fig


def png(fig: Any) -> bytes:
    """A figure as PNG bytes (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def num(x: float) -> str:
    """A number as the validation's tables and panels show it: three figures or so."""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"
