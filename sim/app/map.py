"""The map of Calais drawn at each frame, tonight's numbers at each way in, and its legend.

The map is an image drawn with numpy and Pillow (zones, fences and place names cached), with
migrants coloured by what they are doing, police units, smuggling networks and tonight's
crossings and detections.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass

import numpy as np
import solara
from matplotlib import font_manager
from mesa.visualization.utils import update_counter
from PIL import Image, ImageDraw, ImageFont

from sim.app.runs import Workshop, is_night
from sim.model.agents import BACK, CAMP, OUT, TRYING
from sim.model.calais import CalaisModel
from sim.params import WAYS
from sim.world.geography import ZONE_COLOURS, CalaisMap

CELL_PX = 12
"""Pixels per grid cell on the map."""
MAP_QUALITY = 90
"""JPEG quality of the map."""
NIGHT_SHADE = np.array([0.78, 0.8, 0.92])
"""Colour factors of the map at night (darker, bluer)."""


@dataclass(frozen=True)
class Mark:
    """How something is drawn on the map and named in its legend."""

    label: str
    colour: str
    size: float
    rim: bool = True


MIGRANT_MARKS: dict[int, Mark] = {
    CAMP: Mark("in the camp", "#3b2412", 1.5, rim=False),
    OUT: Mark("walking to a way in", "#ffffff", 3.2),
    TRYING: Mark("trying to get across", "#00e5ff", 3.0, rim=False),
    BACK: Mark("walking back to the camp", "#b0b0b0", 3.2),
}
UNIT_MARK = Mark("police unit", "#1f5fe0", 6.0)
NETWORK_MARK = Mark("smuggling network", "#d81b60", 8.0)
CROSSED_MARK = Mark("crossed", "#22b14c", 9.0)
STOPPED_MARK = Mark("stopped by police or security", "#d32f2f", 6.0)
FENCE_COLOUR = "#8a1010"
RIM = (40, 40, 40)
"""The outline of migrants' dots (dark grey, so that a crowd of them does not turn black)."""

PLACE_LABELS: dict[str, tuple[str, tuple[float, float]]] = {
    "camp_centre": ("Camp", (0.5, 4.0)),
    "town_centre": ("Calais", (-1.0, 0.5)),
    "ferry_terminal": ("Port", (0.5, -3.8)),
    "tunnel_terminal": ("Tunnel terminal", (-2.0, 3.0)),
    "bleriot_plage": ("Beach", (-3.0, -2.2)),
}
"""Places named on the map: a point of the map file, its name, and where to write it (cells)."""
WAY_NAMES: dict[str, str] = {"port": "Port", "beach": "Beach", "tunnel": "Tunnel"}
JITTER = np.random.default_rng(2015).random((1 << 16, 2))
"""A fixed offset in its cell for each migrant row, so that a migrant stays put between frames."""


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    weight = "bold" if bold else "normal"
    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight=weight))
    return ImageFont.truetype(path, size)


FONT_PLACE = _font(True, 16)
FONT_COUNT = _font(True, 14)


def _rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _disc(radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixel offsets (dy, dx) of a disc's inside and of its one-pixel rim."""
    r = math.ceil(radius)
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    d = np.hypot(dx, dy)
    inside = d <= radius - 1
    rim = (d <= radius) & ~inside
    return np.argwhere(inside) - r, np.argwhere(rim) - r


def _stamp(img: np.ndarray, xy: np.ndarray, offsets: np.ndarray, colour: tuple) -> None:
    """Paint the pixels ``xy + offsets`` (clipped to the image) in one colour."""
    if xy.size == 0 or offsets.size == 0:
        return
    h, w = img.shape[:2]
    y = (xy[:, 1, None] + offsets[None, :, 0]).ravel()
    x = (xy[:, 0, None] + offsets[None, :, 1]).ravel()
    ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    img[y[ok], x[ok]] = colour


_TERRAIN: dict[tuple, np.ndarray] = {}
_TERRAIN_LOCK = threading.Lock()


def terrain_image(cmap: CalaisMap, night: bool) -> np.ndarray:
    """The map's zones and fences, with the places named, as an RGB image (cached)."""
    key = (cmap.source, cmap.terrain.shape, cmap.fence.tobytes(), night)
    with _TERRAIN_LOCK:
        if key in _TERRAIN:
            return _TERRAIN[key]
    rgb = cmap.rgb()
    if night:
        rgb = rgb * NIGHT_SHADE
    big = np.repeat(np.repeat(rgb, CELL_PX, axis=0), CELL_PX, axis=1)
    canvas = Image.fromarray((big * 255).round().astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for point, (name, (dc, dr)) in PLACE_LABELS.items():
        if point in cmap.points:
            col, row = cmap.points[point]
            xy = ((col + 0.5 + dc) * CELL_PX, (row + 0.5 + dr) * CELL_PX)
            draw.text(
                xy,
                name,
                font=FONT_PLACE,
                anchor="mm",
                fill=(25, 25, 25),
                stroke_width=3,
                stroke_fill=(255, 255, 255),
            )
    image = np.asarray(canvas).copy()
    image.flags.writeable = False
    with _TERRAIN_LOCK:
        if len(_TERRAIN) > 32:
            _TERRAIN.clear()
        _TERRAIN[key] = image
    return image


@dataclass(frozen=True)
class NightAtWay:
    """What happened at one way in tonight (or last night, before nightfall)."""

    way: str
    tries: int
    crossed: int
    stopped: int


def night_events(model: CalaisModel) -> tuple[str, list[NightAtWay]]:
    """Tonight's tries, crossings and detections at each way in ('last night' before dusk)."""
    index = model.counter.index
    values, when = model.counter.values, "Tonight"
    if values[index["attempts_total"]] == 0 and model.rows:
        values, when = model.rows[-1], "Last night"
    return when, [
        NightAtWay(
            way,
            round(values[index[f"attempts_{way}"]]),
            round(values[index[f"crossings_{way}"]]),
            round(values[index[f"detections_{way}"]]),
        )
        for way in WAYS
    ]


def _diamond(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, fill: str) -> None:
    points = [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
    draw.polygon(points, fill=fill, outline="white", width=2)


def _star(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, fill: str) -> None:
    points = []
    for i in range(10):
        angle = math.pi / 2 + i * math.pi / 5
        radius = r if i % 2 == 0 else r * 0.45
        points.append((x + radius * math.cos(angle), y - radius * math.sin(angle)))
    draw.polygon(points, fill=fill, outline="black", width=1)


def _cross(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, fill: str) -> None:
    for (x0, y0), (x1, y1) in (((x - r, y - r), (x + r, y + r)), ((x - r, y + r), (x + r, y - r))):
        draw.line([(x0, y0), (x1, y1)], fill="white", width=6)
        draw.line([(x0, y0), (x1, y1)], fill=fill, width=3)


def migrant_positions(model: CalaisModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every migrant's row, state and cell on the grid (column, row), as the model places them.

    Migrants in the camp are spread over its cells; those on the way, along their route by how
    far they have walked; those trying, at their way in (:meth:`CalaisModel.migrant_cells`).
    """
    rows = model.migrants.alive()
    state = model.migrants.state[rows]
    cells = np.asarray(model.migrant_cells(rows), dtype=np.float64).reshape(-1, 2)
    return rows, state, cells


def draw_map(model: CalaisModel) -> bytes:
    """The map now, as JPEG: zones and fences, migrants, units, networks, tonight's events.

    JPEG rather than PNG: it is drawn at every step, and JPEG encodes several times faster.
    """
    img = terrain_image(model.map, is_night(model)).copy()
    rows, state, cells = migrant_positions(model)
    # those trying crowd round their way in; walkers spread a little along their route
    spread = np.select([state == TRYING, state == CAMP], [3.2, 0.85], 1.4)[:, None]
    xy = ((cells + 0.5 + (JITTER[rows % len(JITTER)] - 0.5) * spread) * CELL_PX).astype(np.int64)
    for code, mark in MIGRANT_MARKS.items():
        inside, rim = _disc(mark.size)
        chosen = xy[state == code]
        _stamp(img, chosen, inside, _rgb(mark.colour))
        if mark.rim:
            _stamp(img, chosen, rim, RIM)

    canvas = Image.fromarray(img)
    draw = ImageDraw.Draw(canvas)
    routes = model.map.routes()
    placed = dict.fromkeys(range(len(WAYS)), 0)
    for net in model.networks:  # in a small block beside the route, a few cells from the way in
        i = placed[net.way]
        placed[net.way] += 1
        cells_on_route = routes[WAYS[net.way]].cells
        col, row = cells_on_route[max(0, len(cells_on_route) - 4)]
        x = (col + 1.4 + 1.1 * (i % 4)) * CELL_PX
        y = (row - 0.8 - 1.1 * (i // 4)) * CELL_PX
        _diamond(draw, x, y, NETWORK_MARK.size, NETWORK_MARK.colour)
    for k, unit in enumerate(model.units):
        col, row = unit.pos
        x, y = (col + 0.5) * CELL_PX + (k % 3 - 1) * 3, (row + 0.5) * CELL_PX + (k % 2) * 3
        r = UNIT_MARK.size
        box = [x - r, y - r, x + r, y + r]
        draw.rectangle(box, fill=UNIT_MARK.colour, outline="white", width=2)

    _, nights = night_events(model)
    for night in nights:
        col, row = routes[night.way].cells[-1]
        x, y = (col + 0.5) * CELL_PX, (row + 0.5) * CELL_PX
        if night.crossed:
            r = min(CROSSED_MARK.size + 2 * math.sqrt(night.crossed), 22)
            _star(draw, x + 9, y - 9, r, CROSSED_MARK.colour)
            _count(draw, x + 9 + r + 2, y - 9, night.crossed, CROSSED_MARK.colour)
        if night.stopped:
            _cross(draw, x - 9, y + 9, STOPPED_MARK.size, STOPPED_MARK.colour)
            _count(
                draw, x - 9 - STOPPED_MARK.size - 3, y + 9, night.stopped, STOPPED_MARK.colour, "rm"
            )

    out = io.BytesIO()
    canvas.save(out, format="jpeg", quality=MAP_QUALITY, subsampling=0)  # 4:4:4: crisp colours
    return out.getvalue()


def _count(draw: ImageDraw.ImageDraw, x: float, y: float, n: int, colour: str, anchor="lm") -> None:
    draw.text(
        (x, y),
        f"{n:,}",
        font=FONT_COUNT,
        anchor=anchor,
        fill=colour,
        stroke_width=3,
        stroke_fill="white",
    )


def legend_html() -> str:
    """The map's legend as HTML, in the colours the map uses."""

    def dot(mark: Mark) -> str:
        rim = "#000" if mark.rim else mark.colour
        return (
            f'<span class="calais-key" style="background:{mark.colour};border-color:{rim};'
            'border-radius:50%"></span>'
        )

    def item(symbol: str, text: str) -> str:
        return f'<span class="calais-legend-item">{symbol}{text}</span>'

    zones = {
        "camp": "camp",
        "port": "port",
        "lorry_park": "lorry parks",
        "approach_road": "roads to the port",
        "motorway": "motorway",
        "tunnel_terminal": "tunnel terminal",
        "beach": "beach",
        "town": "town",
    }
    items = [item(dot(mark), mark.label) for mark in MIGRANT_MARKS.values()]
    items += [
        item(f'<span class="calais-key" style="background:{UNIT_MARK.colour}"></span>', "police"),
        item(
            f'<span class="calais-key calais-diamond" style="background:{NETWORK_MARK.colour}">'
            "</span>",
            "smuggling network",
        ),
        item(f'<b style="color:{CROSSED_MARK.colour}">★</b>&nbsp;', CROSSED_MARK.label),
        item(f'<b style="color:{STOPPED_MARK.colour}">✕</b>&nbsp;', STOPPED_MARK.label),
        item(f'<span class="calais-key" style="background:{FENCE_COLOUR}"></span>', "fence"),
    ]
    zone_items = [
        item(
            f'<span class="calais-key calais-zone" style="background:{ZONE_COLOURS[zone]}"></span>',
            text,
        )
        for zone, text in zones.items()
    ]
    return (
        '<div class="calais-legend">'
        + "".join(items)
        + '</div><div class="calais-legend calais-legend-zones">'
        + "".join(zone_items)
        + "</div>"
    )


@solara.component
def MapView(workshop: Workshop) -> None:
    """The map of Calais now, its legend and tonight's numbers at each way in."""
    update_counter.get()  # drawn again at every step
    with workshop.lock:
        png = draw_map(workshop.chosen)
        when, nights = night_events(workshop.chosen)
    with solara.Div(classes=["calais-map"]):
        solara.Image(png, width="100%", format="jpeg")
    parts = []
    for night in nights:
        parts.append(
            f"<b>{WAY_NAMES.get(night.way, night.way)}</b> {night.tries:,} tries, "
            f"{night.crossed:,} crossed, {night.stopped:,} stopped"
        )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<b>{when} at the ways in</b> — " + "; ".join(parts),
        classes=["calais-tonight"],
    )


@solara.component
def Legend() -> None:
    """The map's legend (it never changes)."""
    solara.HTML(tag="div", unsafe_innerHTML=legend_html())
