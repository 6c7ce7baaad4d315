"""The day-by-day charts: the panels of :data:`sim.runs.plots.PANELS`, the baseline dashed.

Drawn with Matplotlib's object interface (never pyplot: the page draws them in a thread).
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import solara
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from mesa.visualization.utils import update_counter

from sim.app.runs import Workshop
from sim.params import WAYS
from sim.runs.plots import PANELS, WAY_COLOURS

SERIES_COLOURS: dict[str, str] = {
    "migrants_present": "#37474f",
    "deaths": "#212121",
    "injuries": "#e65100",
    "networks_active": "#d81b60",
    "networks_dismantled": "#2e7d32",
    "traffic_disruption_hours": "#6a1b9a",
}


def _series_label(column: str) -> str:
    for way in WAYS:
        if column.endswith(f"_{way}"):
            return way
    return column.replace("networks_", "").replace("_", " ")


def draw_charts(frame: pd.DataFrame, base: pd.DataFrame | None, start: dt.date) -> bytes:
    """The main outcomes day by day (the panels of :data:`sim.plots.PANELS`) as PNG.

    The chosen run is drawn solid, the baseline dashed in the same colour.
    """
    fig = Figure(figsize=(10.4, 3.6), dpi=92)  # wide and low: in view below the map
    axes = fig.subplots(2, 3, sharex=True)
    fig.subplots_adjust(left=0.06, right=0.99, top=0.92, bottom=0.1, wspace=0.3, hspace=0.42)
    days = frame["day"].to_numpy()

    def date_label(x: float, _pos: int) -> str:
        day = start + dt.timedelta(days=round(x))
        return f"{day.day} {day:%b}"

    for ax, (title, columns, cumulative) in zip(axes.flat, PANELS, strict=True):
        for column in columns:
            colour = WAY_COLOURS.get(_series_label(column)) or SERIES_COLOURS.get(column, "#444")
            values = frame[column].to_numpy(dtype=float)
            ax.plot(days, values.cumsum() if cumulative else values, color=colour, lw=1.8,
                    label=_series_label(column))  # fmt: skip
            if base is not None and len(base):
                b = base[column].to_numpy(dtype=float)
                ax.plot(base["day"].to_numpy(), b.cumsum() if cumulative else b, "--",
                        color=colour, lw=1.2, alpha=0.75)  # fmt: skip
        ax.set_title(title, fontsize=10.5)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        if len(columns) > 1:
            ax.legend(fontsize=8, loc="upper left", frameon=False)
    axes.flat[0].xaxis.set_major_locator(MaxNLocator(5, integer=True))
    axes.flat[0].xaxis.set_major_formatter(FuncFormatter(date_label))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


@solara.component
def Charts(workshop: Workshop) -> None:
    """The main outcomes day by day, the baseline dashed (drawn in the background)."""
    update_counter.get()  # drawn again at every step
    frame, base = workshop.frames()
    start = workshop.settings.scenario.start_date
    days = len(frame)
    if workshop.running and days > CHART_EVERY_DAYS:  # playing: every so many days, not each
        days -= days % CHART_EVERY_DAYS
    key = (id(workshop), days)

    def render() -> bytes | None:
        return draw_charts(frame, base, start) if len(frame) else None

    result = solara.use_thread(render, dependencies=[key], intrusive_cancel=False)
    with solara.Card("Day by day", classes=["calais-card", "calais-charts"]):
        solara.Text(
            "Solid: this run. Dashed: the baseline. Each day runs from noon to noon. While the "
            f"run plays, the charts follow every {CHART_EVERY_DAYS} days.",
            classes=["calais-doc"],
        )
        if not len(frame):
            solara.Text("The charts start once the first day is over.", classes=["calais-doc"])
        elif result.value is not None:
            solara.Image(result.value, width="100%")


CHART_EVERY_DAYS = 20
"""While a run plays, the charts are drawn again every this many days (drawing them takes about a
second, which at every frame would slow Play several times over); when it ends, at once."""
