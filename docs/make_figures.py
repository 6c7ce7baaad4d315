"""Draw the figures of docs/model.md.

Run from the repository root::

    .venv/bin/python docs/make_figures.py

It writes ``docs/img/map.png``: the packaged grid of Calais coloured by zone, the fence lines
that fence measures raise, the entry cells of the three ways in, and the walking route from
the camp to each of them (the routes of a map with no fence built).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.runs.plots import WAY_COLOURS
from sim.world.geography import WAYS, ZONE_COLOURS, ZONES, CalaisMap

OUT = Path(__file__).resolve().parent / "img"

LABELS: dict[str, tuple[str, tuple[int, int]]] = {
    "camp_centre": ("camp", (6, 6)),
    "town_centre": ("town centre", (6, 6)),
    "ferry_terminal": ("ferry terminal", (-90, 6)),
    "bleriot_plage": ("Blériot-Plage", (6, 6)),
    "tunnel_terminal": ("tunnel terminal, Coquelles", (-60, 10)),
    "tunnel_portal": ("tunnel portal", (6, 6)),
}
"""Named points of the map file to write on the figure: label and its offset in points."""

ROUTE_WIDTH: dict[str, float] = {"tunnel": 5.0, "beach": 3.4, "port": 1.8}
"""Line widths of the routes, widest drawn first, so that shared stretches show every route."""

HALO = [pe.withStroke(linewidth=3, foreground="white")]


def _km(cells: np.ndarray, cell_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Centres of (col, row) cells in km east and km south of the map's north-west corner."""
    cells = np.asarray(cells, dtype=float).reshape(-1, 2)
    return (cells[:, 0] + 0.5) * cell_km, (cells[:, 1] + 0.5) * cell_km


def draw_map(cmap: CalaisMap) -> plt.Figure:
    """The map with its zones, fence lines, entry cells and walking routes."""
    cell_km = cmap.cell_m / 1000.0
    fig, ax = plt.subplots(figsize=(12.5, 6.6), layout="constrained")
    ax.imshow(
        cmap.rgb(),
        extent=(0, cmap.width * cell_km, cmap.height * cell_km, 0),
        interpolation="nearest",
    )

    for way in WAYS:
        x, y = _km(cmap.fence_cells[way], cell_km)
        ax.scatter(x, y, s=10, marker="s", facecolor="none", edgecolor="#8b0000", lw=0.7)

    routes = cmap.routes()
    for way in WAYS:  # a white edge under all routes, so they stand out from the terrain
        x, y = _km(routes[way].cells, cell_km)
        ax.plot(x, y, color="white", lw=ROUTE_WIDTH[way] + 2.4, solid_capstyle="round")
    for way in sorted(WAYS, key=ROUTE_WIDTH.__getitem__, reverse=True):
        colour = WAY_COLOURS[way]
        x, y = _km(routes[way].cells, cell_km)
        ax.plot(x, y, color=colour, lw=ROUTE_WIDTH[way], solid_capstyle="round")
        ex, ey = _km(cmap.entry_cells[way], cell_km)
        ax.scatter(ex, ey, s=55, marker="o", color=colour, edgecolor="black", lw=0.8, zorder=5)
        ax.scatter(
            x[-1], y[-1], s=190, marker="*", color=colour, edgecolor="black", lw=0.8, zorder=6
        )

    for name, (label, offset) in LABELS.items():
        if name in cmap.points:
            px, py = _km(np.array(cmap.points[name]), cell_km)
            ax.plot(px, py, marker="+", color="black", ms=8, mew=1.5)
            ax.annotate(
                label,
                (px[0], py[0]),
                xytext=offset,
                textcoords="offset points",
                fontsize=9,
                path_effects=HALO,
            )

    ax.set_xlabel("km east of the western edge (about 1.76° E)")
    ax.set_ylabel("km south of the northern edge")
    ax.set_title(
        f"The Calais grid: {cmap.width} × {cmap.height} cells of {cmap.cell_m:g} m, "
        "and the walking routes from the camp to the three ways in"
    )

    zones = [
        Patch(facecolor=ZONE_COLOURS[z], edgecolor="grey", label=z.replace("_", " ")) for z in ZONES
    ]
    ways = [
        Line2D(
            [],
            [],
            color=WAY_COLOURS[w],
            lw=ROUTE_WIDTH[w],
            label=f"route to the {w} ({routes[w].length_m / 1000:.1f} km effective)",
        )
        for w in WAYS
    ]
    marks = [
        Line2D([], [], ls="", marker="o", color="grey", mec="black", label="entry cells of a way"),
        Line2D(
            [],
            [],
            ls="",
            marker="*",
            ms=12,
            color="grey",
            mec="black",
            label="entry cell a route ends at",
        ),
        Line2D(
            [],
            [],
            ls="",
            marker="s",
            mfc="none",
            mec="#8b0000",
            label="fence line (raised by measures)",
        ),
    ]
    ax.legend(
        handles=[*zones, *ways, *marks],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8.5,
        frameon=False,
    )
    return fig


def main() -> None:
    """Write every figure under docs/img/."""
    OUT.mkdir(parents=True, exist_ok=True)
    fig = draw_map(CalaisMap.load())
    fig.savefig(OUT / "map.png", dpi=130)
    plt.close(fig)
    print(f"wrote {OUT / 'map.png'}")


if __name__ == "__main__":
    main()
