"""Matplotlib figures shared by the command line and the web app.

The overview is drawn on a plain :class:`~matplotlib.figure.Figure` (no pyplot, which a command
that writes one PNG does not need), with a fixed layout and explicit date ticks: constrained
layout measures every label several times over, and the automatic date locator tries every
interval it knows, which together cost ``calais-sim run`` more than the model itself.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # the figures of the other commands, which use pyplot, are drawn off-screen

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter, FixedLocator

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

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_DATE_TICKS = 7
"""At most this many labelled dates under a panel (each label is about 0.5 inch wide)."""

OVERVIEW_INCHES = (13.0, 6.5)
OVERVIEW_DPI = 110
OVERVIEW_MARGINS = {
    # Fractions of the figure, for labels of up to six digits left of each panel, two lines of
    # dates below, the figure's title and a panel title above; fixed rather than measured.
    "left": 0.055,
    "right": 0.99,
    "bottom": 0.085,
    "top": 0.895,
    "wspace": 0.21,
    "hspace": 0.22,
}


def _colour(column: str) -> str | None:
    for way, colour in WAY_COLOURS.items():
        if column.endswith(way):
            return colour
    return None


def day_numbers(dates: Any) -> np.ndarray:
    """Dates as days since 1970-01-01 (floats): the x of every overview panel."""
    return np.asarray(dates, dtype="datetime64[D]").astype(float)


def date_ticks(first: np.datetime64, last: np.datetime64) -> tuple[np.ndarray, list[str]]:
    """Where to put date labels between two days, and the labels.

    A span that holds the first day of three months or more gets the first of every 1, 2, 3, 6
    or 12 months (whole years beyond), labelled ``Jun``; a shorter one every 1, 2, 7 or 14 days
    from its first, labelled ``3 Jun``; at most :data:`MAX_DATE_TICKS` of them. The year is
    written under the first label and under the first label of each new year.

    Returns:
        The ticks as day numbers (see :func:`day_numbers`) and their labels.
    """
    first, last = np.datetime64(first, "D"), np.datetime64(last, "D")
    month, day = np.timedelta64(1, "M"), np.timedelta64(1, "D")
    months = np.arange(
        np.datetime64(first, "M") + month * bool(np.datetime64(first, "M") < first),
        np.datetime64(last, "M") + month,
    )
    if len(months) >= 3:
        step = next(s for s in _steps((1, 2, 3, 6, 12)) if len(months) / s <= MAX_DATE_TICKS)
        months = months[months.astype(int) % step == 0]
        ticks = months.astype("datetime64[D]")
        names = [MONTHS[m % 12] for m in months.astype(int)]
    else:
        span = (last - first).astype(int) + 1
        step = next(s for s in _steps((1, 2, 7, 14)) if span / s <= MAX_DATE_TICKS)
        ticks = np.arange(first, last + day, step * day)
        names = [f"{d.day} {MONTHS[d.month - 1]}" for d in ticks.tolist()]
    years = ticks.astype("datetime64[Y]").astype(int) + 1970
    labels = [
        f"{name}\n{year}" if i == 0 or year != years[i - 1] else name
        for i, (name, year) in enumerate(zip(names, years, strict=True))
    ]
    return ticks.astype(float), labels


def _steps(base: tuple[int, ...]):
    """The steps in turn, then multiples of the last without end."""
    yield from base
    k = 2
    while True:
        yield base[-1] * k
        k += 1


Run = Mapping[str, Any]
"""One run's daily outcomes: a DataFrame, or any mapping of column names to arrays."""


def overview(
    frames: Run | Sequence[Run],
    title: str = "",
    baseline: Run | Sequence[Run] | None = None,
) -> Figure:
    """The main outcomes over time in six panels.

    Args:
        frames: one run's daily outcomes, or several replicates' (drawn as a median line and a
            5-95% band).
        title: the figure's title.
        baseline: optionally the baseline's runs, drawn dashed in grey for comparison.
    """
    fig, axes = _panels()
    _draw_runs(fig, axes, _runs(frames), title, [] if baseline is None else _runs(baseline))
    return fig


def overview_png(frames: Run | Sequence[Run], title: str = "") -> bytes:
    """The overview of one run (or of replicates) as the PNG ``calais-sim run`` writes."""
    return _png(overview(frames, title))


class PreparedOverview:
    """An overview laid out and drawn once, empty, before its run is known.

    The first draw of a figure costs more than any later one (the fonts loaded, every tick and
    label made and measured); a process with time to spare pays it here, so that :meth:`png`
    has only the run's lines and labels to add. The PNG is that of :func:`overview_png`.
    """

    def __init__(self) -> None:
        self.fig, self.axes = _panels()
        _png(self.fig)

    def png(self, frames: Run | Sequence[Run], title: str = "") -> bytes:
        """The overview of ``frames`` (once only: the figure is then drawn)."""
        _draw_runs(self.fig, self.axes, _runs(frames), title, [])
        return _png(self.fig)


def _panels() -> tuple[Figure, np.ndarray]:
    """The overview's figure and its six panels, with their titles and grids, no data."""
    fig = Figure(figsize=OVERVIEW_INCHES)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3, sharex=True, gridspec_kw=OVERVIEW_MARGINS)
    for ax, (panel, _, _) in zip(axes.flat, PANELS, strict=True):
        ax.set_title(panel, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.tick_params(axis="x", labelsize=8)
    return fig, axes


def _draw_runs(fig: Figure, axes: np.ndarray, runs: list[Run], title: str, base: list[Run]) -> None:
    """The runs' lines (and the baseline's, dashed), legends, date ticks and title."""
    days = day_numbers(runs[0]["date"])
    base_days = day_numbers(base[0]["date"]) if base else None
    for ax, (_, columns, cumulative) in zip(axes.flat, PANELS, strict=True):
        for column in columns:
            label = column.replace("_", " ")
            band(ax, days, runs, column, cumulative, _colour(column), label, "-")
            if base:
                band(ax, base_days, base, column, cumulative, "0.55", None, "--")
        if len(columns) > 1 or base:
            ax.legend(fontsize=7, loc="best")
    if base:
        axes.flat[0].plot([], [], "--", color="0.55", label="baseline")
        axes.flat[0].legend(fontsize=7, loc="best")
    every = np.concatenate([days, base_days]) if base else days
    ticks, labels = date_ticks(*np.array([every.min(), every.max()]).astype("datetime64[D]"))
    # One shared x axis: setting its ticks on one panel sets them on all six.
    axes.flat[0].xaxis.set_major_locator(FixedLocator(ticks))
    axes.flat[0].xaxis.set_major_formatter(FixedFormatter(labels))
    if title:
        fig.suptitle(title)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=OVERVIEW_DPI)
    return buf.getvalue()


def _runs(frames: Run | Sequence[Run]) -> list[Run]:
    # A DataFrame or a dict is one run; a list or tuple holds several.
    return list(frames) if isinstance(frames, Sequence) else [frames]


def band(ax, dates, runs, column, cumulative, colour, label, style) -> None:
    """One outcome on a panel: its median over the runs, and with several runs the 5-95% band."""
    values = np.array([np.asarray(r[column], dtype=float) for r in runs])
    if cumulative:
        values = values.cumsum(axis=1)
    median = np.median(values, axis=0)
    (line,) = ax.plot(dates, median, style, color=colour, label=label, lw=1.4)
    if len(runs) > 1:
        lo, hi = np.quantile(values, [0.05, 0.95], axis=0)
        ax.fill_between(dates, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
