"""Matplotlib figures shared by the command line and the web app."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.params import WAYS

WAY_COLOURS = {"port": "#1f77b4", "beach": "#e0a030", "tunnel": "#8c2d8c"}

PANELS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("People in Calais", ("migrants_present",), False),
    ("Tries a day, by way in", tuple(f"attempts_{w}" for w in WAYS), False),
    ("Crossings to the UK (cumulative)", tuple(f"crossings_{w}" for w in WAYS), True),
    ("Deaths and injuries (cumulative)", ("deaths", "injuries"), True),
    ("Smuggling networks", ("networks_active", "networks_dismantled"), False),
    ("Traffic lost (hours a day)", ("traffic_disruption_hours",), False),
)
"""The overview's panels: title, columns, and whether they are drawn cumulatively."""


def _colour(column: str) -> str | None:
    for way, colour in WAY_COLOURS.items():
        if column.endswith(way):
            return colour
    return None


def overview(
    frames: pd.DataFrame | Sequence[pd.DataFrame],
    title: str = "",
    baseline: pd.DataFrame | Sequence[pd.DataFrame] | None = None,
) -> Figure:
    """The main outcomes over time in six panels.

    Args:
        frames: one run's daily outcomes, or several replicates' (drawn as a median line and a
            5-95% band).
        title: the figure's title.
        baseline: optionally the baseline's runs, drawn dashed in grey for comparison.
    """
    runs = [frames] if isinstance(frames, pd.DataFrame) else list(frames)
    base = (
        []
        if baseline is None
        else ([baseline] if isinstance(baseline, pd.DataFrame) else list(baseline))
    )
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharex=True, layout="constrained")
    dates = runs[0]["date"]
    for ax, (panel, columns, cumulative) in zip(axes.flat, PANELS, strict=True):
        for column in columns:
            label = column.replace("_", " ")
            band(ax, dates, runs, column, cumulative, _colour(column), label, "-")
            if base:
                band(ax, base[0]["date"], base, column, cumulative, "0.55", None, "--")
        ax.set_title(panel, fontsize=10)
        ax.grid(alpha=0.3)
        if len(columns) > 1 or base:
            ax.legend(fontsize=7, loc="best")
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    if base:
        axes.flat[0].plot([], [], "--", color="0.55", label="baseline")
        axes.flat[0].legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(title)
    return fig


def band(ax, dates, runs, column, cumulative, colour, label, style) -> None:
    values = np.array([r[column].to_numpy(dtype=float) for r in runs])
    if cumulative:
        values = values.cumsum(axis=1)
    median = np.median(values, axis=0)
    (line,) = ax.plot(dates, median, style, color=colour, label=label, lw=1.4)
    if len(runs) > 1:
        lo, hi = np.quantile(values, [0.05, 0.95], axis=0)
        ax.fill_between(dates, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
