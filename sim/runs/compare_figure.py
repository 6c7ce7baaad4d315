"""The comparison's figure: each scenario's bands over time against the baseline, then the paired
differences from the baseline with their intervals, one panel an outcome, and the costs."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.model.outcomes import Outcome
from sim.runs import results as rf
from sim.runs.arms import Arm, arm_frames, arms, baseline_arm
from sim.runs.compare import COST_OUTCOME

COLOURS = {"better": "#2a9d3a", "worse": "#c0392b"}


NEUTRAL = "0.45"


def figure(
    results: rf.SweepResults, table: pd.DataFrame, baseline: str, outcomes: Sequence[Outcome]
) -> Any:
    """Bands over time for each scenario against the baseline (the first outcome), then the
    paired differences from the baseline with their intervals, one panel an outcome."""
    import matplotlib.pyplot as plt

    others = [a for a in arms(results, baseline) if a.scenario != baseline]
    first = outcomes[0]
    cols = min(5, max(1, len(others)))
    top_rows = max(1, math.ceil(len(others) / cols))
    panels = len(outcomes) + 1  # and the cost-effectiveness panel
    fcols = min(4, panels)
    frows = math.ceil(panels / fcols)
    forest_h = 0.9 + 0.24 * max(1, len(others))
    fig = plt.figure(
        figsize=(4 * max(cols, fcols), 2.6 * top_rows + forest_h * frows + 0.8),
        layout="constrained",
    )
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.6 * top_rows, forest_h * frows])
    _top_panels(top, results, baseline, others, first, (top_rows, cols))
    _bottom_panels(bottom, table, outcomes, others, (frows, fcols))
    note = _common_days_note(table)
    if note:
        fig.supxlabel(note, fontsize=8, style="italic")
    return fig


def _top_panels(
    top: Any,
    results: rf.SweepResults,
    baseline: str,
    others: list[Arm],
    first: Outcome,
    shape: tuple[int, int],
) -> None:
    """One panel a scenario: its band over time for the first outcome, the baseline's dashed."""
    from sim.runs.plots import band

    cumulative = first.summary == "sum"
    top.suptitle(
        f"{first.name.replace('_', ' ')}{' (cumulative)' if cumulative else ''}: median and "
        f"5-95% band over replicates; the baseline"
        f"{'' if baseline == 'baseline' else f' ({baseline})'} dashed grey",
        fontsize=10,
    )
    axes = np.atleast_1d(top.subplots(*shape, squeeze=False)).ravel()
    for ax, arm in zip(axes, others, strict=False):
        runs = arm_frames(results, arm)
        base = arm_frames(results, baseline_arm(results, arm, baseline))
        if base:
            band(ax, base[0]["date"], base, first.name, cumulative, "0.55", None, "--")
        if runs:
            band(ax, runs[0]["date"], runs, first.name, cumulative, "#1f77b4", None, "-")
        ax.set_title(wrap(arm.label), fontsize=8)
        if first.unit == "EUR":
            eur_millions(ax.yaxis)
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes[len(others) :]:
        ax.set_visible(False)


def _bottom_panels(
    bottom: Any,
    table: pd.DataFrame,
    outcomes: Sequence[Outcome],
    others: list[Arm],
    shape: tuple[int, int],
) -> None:
    """One panel an outcome: the paired differences with their intervals; then the costs."""
    bottom.suptitle(
        "Paired difference from the baseline (scenario - baseline, per run), mean and 95% CI: "
        "green better, red worse",
        fontsize=10,
    )
    faxes = np.atleast_1d(bottom.subplots(*shape, squeeze=False)).ravel()
    for ax, outcome in zip(faxes, outcomes, strict=False):
        _forest(ax, table, outcome, others)
    _cost_panel(faxes[len(outcomes)], table, others)
    for ax in faxes[len(outcomes) + 1 :]:
        ax.set_visible(False)


def _common_days_note(table: pd.DataFrame) -> str:
    """Which comparisons are over the days both runs ran only ('' if none)."""
    notes = sorted(
        {
            f"{label}: {m.group(0)}"
            for label, note in zip(table["label"], table["note"].fillna(""), strict=True)
            if (m := re.search(r"over the first \d+ days, which both ran \([^)]*\)", note))
        }
    )
    return "Compared over the common days only: " + "; ".join(notes) if notes else ""


def wrap(label: str, width: int = 38) -> str:
    """A scenario label broken into lines so that a panel's title is not clipped."""
    import textwrap

    return "\n".join(textwrap.wrap(label, width, break_on_hyphens=False)) or label


def eur_millions(axis: Any) -> None:
    """Tick labels in millions of euros (``2.5m``), never an offset such as ``1e7``."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x / 1e6:,.3g}m"))


def _cost_panel(ax: Any, table: pd.DataFrame, others: list[Arm]) -> None:
    """Euros per crossing prevented (with its interval) and per death prevented (ratio of the
    mean extra spend to the mean deaths prevented), one row a scenario that spends money."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ys = np.arange(len(others))[::-1]
    by = table.set_index(["label", "outcome"])
    for y, arm in zip(ys, others, strict=True):
        key = (arm.label, COST_OUTCOME)
        if key in by.index and not math.isnan(by.loc[key, "mean"]):
            r = by.loc[key]
            lo = r["ci_low"] if not math.isnan(r["ci_low"]) else r["mean"]
            hi = r["ci_high"] if not math.isnan(r["ci_high"]) else r["mean"]
            ax.errorbar(
                r["mean"],
                y + 0.15,
                xerr=_bar(r["mean"], lo, hi),
                fmt="o",
                color="#1f77b4",
                ms=4,
                capsize=2,
            )
        spend, deaths = (arm.label, "spend_eur"), (arm.label, "deaths")
        if spend in by.index and deaths in by.index:
            extra, prevented = by.loc[spend, "diff"], -by.loc[deaths, "diff"]
            if extra > 0 and prevented > 0:
                ax.plot(extra / prevented, y - 0.15, "s", color="#8c2d8c", ms=4)
    ax.plot([], [], "s", color="#8c2d8c", ms=4, label="per death prevented (means)")
    ax.plot([], [], "o", color="#1f77b4", ms=4, label="per crossing prevented (95% CI)")
    ax.set_yticks(ys, [wrap(a.label, 30) for a in others], fontsize=7)
    if any(line.get_xdata().size for line in ax.get_lines()):
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: f"{x / 1e6:,.3g}m" if abs(x) >= 1e6 else f"{x / 1e3:,.0f}k")
    )
    ax.set_ylim(-0.6, len(others) - 0.4)
    ax.set_title("Cost-effectiveness (EUR extra spent per ... prevented)", fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=6, loc="best")


def _bar(value: float, lo: float, hi: float) -> list[list[float]]:
    """An error bar's two arms; an interval of identical runs can miss its mean by rounding
    (the mean of the resampled means is summed in another order), so arms are never negative."""
    return [[max(0.0, value - lo)], [max(0.0, hi - value)]]


def _forest(ax: Any, table: pd.DataFrame, outcome: Outcome, others: list[Arm]) -> None:
    part = table[table["outcome"] == outcome.name].set_index("label")
    ys = np.arange(len(others))[::-1]
    for y, arm in zip(ys, others, strict=True):
        if arm.label not in part.index:
            continue
        r = part.loc[arm.label]
        if math.isnan(r["diff"]):
            continue
        colour = COLOURS.get(r["verdict"], NEUTRAL)
        lo = r["diff_ci_low"] if not math.isnan(r["diff_ci_low"]) else r["diff"]
        hi = r["diff_ci_high"] if not math.isnan(r["diff_ci_high"]) else r["diff"]
        ax.errorbar(
            r["diff"], y, xerr=_bar(r["diff"], lo, hi), fmt="o", color=colour, ms=4, capsize=2
        )
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(ys, [wrap(a.label, 30) for a in others], fontsize=7)
    if outcome.unit == "EUR":
        eur_millions(ax.xaxis)
    how = "total" if outcome.summary == "sum" else outcome.summary
    ax.set_title(f"{outcome.name} ({outcome.unit}, {how} a run)", fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
