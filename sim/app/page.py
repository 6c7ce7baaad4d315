"""The workshop page: pick a scenario, switch measures on and off, watch Calais, compare.

Served by ``calais-sim app`` (see :mod:`sim.app.server`). The page uses Mesa's
``ModelController`` (Play, Step and Reset) and draws the rest itself. ``SolaraViz`` itself is
not used: its header names the model class, its "Render Interval" slider, "Use Threads" box and
"Time: 102.0" counter mean nothing to a participant, and it cannot be told to leave them out.
The page's own parts:

* the header, naming the chosen scenario (and saying when the controls changed it);
* a labelled speed control (an hour, a night, a day or a week a frame) and a clock with the
  simulated date and time;

* the controls, in the sidebar: the scenario files of the ``scenarios/`` folder, the population,
  the seed, and every measure, event and model parameter of the scenario schema
  (:func:`sim.scenario.schema.groups`), each with its unit and a one-line explanation. A value
  is checked by the same rules as a scenario file (:mod:`sim.scenario.loading`); one outside a
  control's range is refused with a message. Changing a setting starts the run again from its
  first day.
* the map of Calais with the migrants coloured by what they are doing, the police units, the
  smuggling networks and tonight's crossings and detections at each way in;
* the main outcomes against the baseline, as numbers and as charts;
* downloads of the run's daily results and of the scenario as the controls set it.

One step is one simulated hour, in the chosen scenario and in the baseline, which run side by
side with the same seed (:class:`Workshop`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import io
import itertools
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import mesa
import numpy as np
import pandas as pd
import solara
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter
from PIL import Image, ImageDraw, ImageFont

from sim.app.server import SCENARIOS_ENV, default_scenarios
from sim.measures.policies import DAY_UNIT, EVENTS, POLICIES
from sim.model.agents import BACK, CAMP, OUT, TRYING
from sim.model.calais import NOON, CalaisModel
from sim.model.outcomes import MAIN_OUTCOMES, OUTCOME_BY_NAME
from sim.params import SECTIONS, WAYS, specs
from sim.resources import package_path
from sim.runs.plots import PANELS, WAY_COLOURS
from sim.scenario.loading import (
    MAX_DAYS,
    Scenario,
    ScenarioError,
    build,
    check_value,
    day_number,
    json_copy,
    load_scenario,
    scenario_files,
)
from sim.scenario.schema import Group, Key, groups
from sim.world.geography import ZONE_COLOURS, CalaisMap

TITLE = "Calais 2015: what do the border measures do?"
BASELINE_FILE = "baseline.toml"
APP_MAX_MIGRANTS = 20_000
"""Most migrants at the start in the app (larger runs: ``calais-sim run``)."""
MAX_SEED = 2**63 - 1
PLAY_INTERVAL_MS = 200
"""Mesa's pause between frames while playing. It must stay well above the time the page takes
to draw itself (up to 150 ms on a busy machine), or Mesa's play loop can stall."""
SPEEDS: dict[str, int] = {"an hour": 1, "a night": 12, "a day": 24, "a week": 168}
"""The speed control's choices: how much simulated time Play and Step advance a frame (hours)."""
HOURS_PER_FRAME = SPEEDS["a day"]
"""The speed to start with: a day a frame, so a 120-day run plays in well under 30 s."""

# --- scenarios and the controls' settings ----------------------------------------------------


def scenario_folder() -> Path:
    """The folder whose scenario files the picker offers."""
    env = os.environ.get(SCENARIOS_ENV)
    return Path(env) if env else default_scenarios()


def scenario_choices(folder: Path) -> list[str]:
    """The names of the scenario files in ``folder``: all the picker offers."""
    return [path.name for path in scenario_files(folder)]


def load_choice(folder: Path, name: str) -> Scenario:
    """Load a scenario file the picker offers; any other name is refused."""
    if name not in scenario_choices(folder):
        raise ScenarioError("not one of the scenario files offered", file=name)
    return load_scenario(folder / name)


def picker_refusal(exc: ScenarioError, folder: Path) -> str:
    """Why the picker refused a value, naming files by their names (never the server's paths)."""
    text = str(exc)
    for place in {str(folder.resolve()), str(folder), str(folder.absolute())}:
        text = text.replace(place + os.sep, "").replace(place, "the scenario folder")
    return f"Refused: {text}"


_REVISIONS = itertools.count()


@dataclass(frozen=True)
class Settings:
    """What the controls say: the scenario file picked, and the scenario with the changes made.

    Attributes:
        folder: the folder of scenario files.
        file: the name of the file picked.
        scenario: the scenario as the controls set it (validated).
        original: the scenario as the file has it.
    """

    folder: Path
    file: str
    scenario: Scenario
    original: Scenario
    revision: int = field(default_factory=lambda: next(_REVISIONS))
    """Different for every change: the controls start afresh (messages of refusal cleared)."""

    @classmethod
    def from_file(cls, folder: Path, name: str) -> Settings:
        """The settings of a scenario file of the folder, unchanged."""
        scenario = load_choice(folder, name)
        return cls(folder, name, scenario, scenario)

    def with_value(self, table: tuple[str, ...], name: str, value: Any) -> Settings:
        """These settings with one key of the scenario set (checked as a file's would be)."""
        doc = json_copy(self.scenario.document)
        target = doc
        for part in table:
            target = target.setdefault(part, {})
        target[name] = value
        return replace(self, scenario=build(doc, source=self.file), revision=next(_REVISIONS))

    def changes(self) -> list[str]:
        """What the controls changed from the file, for people to read.

        For example ``['port fencing on', 'port fencing strength 0.6 → 0.8', 'seed 1 → 2']``.
        """
        now, before = self.scenario.document, self.original.document
        out = [
            f"{name.replace('_', ' ')} {before[name]} → {now[name]}"
            for name in ("start_date", "days", "seed")
            if now[name] != before[name]
        ]
        for section in SECTIONS:
            out += _changed_keys(section, before[section], now[section])
        for kind, registry in (("policies", POLICIES), ("events", EVENTS)):
            for instance, table in now.get(kind, {}).items():
                title = instance.replace("_", " ")
                old = before.get(kind, {}).get(instance)
                on, was_on = table.get("enabled", True), bool(old and old.get("enabled", True))
                if on != was_on:
                    out.append(f"{title} {'on' if on else 'off'}")
                if on:
                    defaults = {
                        k: d for k, (d, _) in specs(registry[instance.partition("@")[0]]).items()
                    }
                    out += _changed_keys(title, old or defaults, table)
        return out


def _changed_keys(title: str, before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    return [
        f"{title} {key.replace('_', ' ')} {fmt_value(before.get(key))} → {fmt_value(value)}"
        for key, value in now.items()
        if key != "enabled" and value != before.get(key)
    ]


def default_settings(folder: Path | None = None) -> Settings:
    """The settings the page opens with: the baseline file, or the first file of the folder."""
    folder = scenario_folder() if folder is None else folder
    choices = scenario_choices(folder)
    if not choices:
        raise ScenarioError("holds no scenario files (*.toml)", file=folder)
    return Settings.from_file(folder, BASELINE_FILE if BASELINE_FILE in choices else choices[0])


def baseline_for(settings: Settings) -> Scenario | None:
    """The baseline file with the chosen scenario's dates, seed and model parameters.

    It differs from the chosen scenario by its measures and events only; ``None`` when the
    folder has no baseline file.
    """
    path = settings.folder / BASELINE_FILE
    if not path.is_file():
        return None
    doc = json_copy(load_scenario(path).document)
    chosen = settings.scenario.document
    for key in ("start_date", "days", "seed", *SECTIONS):
        doc[key] = json_copy(chosen[key])
    return build(doc, source=str(path))


def workshop_toml(settings: Settings) -> tuple[str, str]:
    """The scenario as the controls set it: a file name and TOML that ``calais-sim run`` reads.

    A scenario changed in the app is renamed ``<name>-workshop`` (it names the results'
    folder) and its description lists the changes.
    """
    scenario, changes = settings.scenario, settings.changes()
    if changes:
        doc = json_copy(scenario.document)
        doc["name"] = f"{scenario.name}-workshop"[:100]
        doc["description"] = (
            f"{scenario.description} Changed in the workshop app: {'; '.join(changes)}."
        ).strip()
        scenario = build(doc, source=settings.file)
    header = (
        f"# Scenario set in the calais-sim workshop app on {dt.date.today().isoformat()}, "
        f"from {settings.file}.\n# Rerun it with: calais-sim run {scenario.name}.toml\n\n"
    )
    return f"{scenario.name}.toml", header + scenario.to_toml()


# --- the runs ---------------------------------------------------------------------------------


class Workshop(mesa.Model):
    """The chosen scenario and the baseline, run side by side with the same seed.

    One step is one simulated hour in both. The run stops after the scenario's last day.

    Args:
        settings: what the controls say; Mesa's Reset passes the page's live settings
            (a ``solara.Reactive``) and a new run starts from their current value.
    """

    def __init__(self, settings: Settings | solara.Reactive[Settings] | None = None) -> None:
        if isinstance(settings, solara.Reactive):
            settings = settings.value
        settings = default_settings() if settings is None else settings
        super().__init__(rng=settings.scenario.seed)
        self.settings = settings
        self.lock = threading.RLock()
        self.chosen = CalaisModel(settings.scenario)
        self.baseline_problem: str | None = None
        try:
            base = baseline_for(settings)
        except ScenarioError as exc:
            base, self.baseline_problem = None, str(exc)
        self.baseline = CalaisModel(base) if base is not None else None
        self._frames: tuple[int, pd.DataFrame, pd.DataFrame | None] | None = None
        self.running = True

    def step(self) -> None:
        """One hour in both runs; nothing once the run has ended.

        Mesa's Play and Step call this as many times as the speed says, also past the last
        hour; both runs stop together on the scenario's last hour, whatever the speed.
        """
        with self.lock:
            if not self.running:
                return
            self.chosen.step()
            if self.baseline is not None:
                self.baseline.step()
            self.running = self.chosen.running and (self.baseline is None or self.baseline.running)

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The daily outcomes of the chosen run and of the baseline so far (whole days)."""
        with self.lock:
            if self._frames is None or self._frames[0] != self.chosen.day:
                base = self.baseline.timeseries() if self.baseline is not None else None
                self._frames = (self.chosen.day, self.chosen.timeseries(), base)
            return self._frames[1], self._frames[2]


# --- outcomes against the baseline -------------------------------------------------------------

SHOWN_OUTCOMES: tuple[str, ...] = (*MAIN_OUTCOMES, "networks_dismantled")
OUTCOME_TITLES: dict[str, str] = {
    "crossings_total": "Crossings to the UK",
    "attempts_total": "Tries at the ways in",
    "deaths": "Deaths",
    "injuries": "Injuries",
    "migrants_present": "People in Calais now",
    "networks_active": "Smuggling networks now",
    "networks_dismantled": "Networks dismantled",
    "traffic_disruption_hours": "Traffic lost",
    "spend_eur": "Spent on measures",
    "enforcement_units": "Police units now",
    "lorry_queue": "Lorries queuing now",
}


def live_level(model: CalaisModel, name: str) -> float | None:
    """The current level of an outcome recorded once a day, where the model can say it now."""
    if name == "migrants_present":
        return float(model.migrants.count())
    if name == "networks_active":
        return float(len(model.networks))
    if name == "enforcement_units":
        return float(len(model.units))
    if name == "lorry_queue":
        return float(model.traffic.queued())
    return None


def outcome_value(model: CalaisModel, frame: pd.DataFrame, name: str) -> float | None:
    """An outcome so far: totals include the day under way; levels are the current ones."""
    if OUTCOME_BY_NAME[name].summary == "sum":
        today = model.counter.values[model.counter.index[name]]
        return float(frame[name].sum()) + float(today)
    level = live_level(model, name)
    if level is not None:
        return level
    return float(frame[name].iloc[-1]) if len(frame) else None


def fmt_amount(value: float, unit: str) -> str:
    """A value with its unit, for people to read."""
    if unit == "EUR":
        if abs(value) >= 1e6:
            return f"EUR {value / 1e6:,.1f} million"
        return f"EUR {value:,.0f}"
    if unit == "hours":
        return f"{value:,.0f} hours"
    return f"{value:,.0f}"


def versus(value: float, base: float | None, better: str | None, unit: str = "") -> tuple[str, str]:
    """How a value compares with the baseline's, and whether that is 'better', 'worse' or not.

    >>> versus(62, 100, "lower")
    ('−38% against the baseline', 'better')
    """
    if base is None:
        return "", ""
    if round(value) == round(base):
        return "same as the baseline", "same"
    if base == 0:
        sign = "+" if value > base else "-"
        text = f"{sign}{fmt_amount(abs(value - base), unit)} against the baseline"
    else:
        change = (value - base) / abs(base) * 100
        digits = 0 if abs(change) >= 1 else 1
        text = f"{change:+.{digits}f}% against the baseline"
    text = text.replace("-", "−")  # a true minus sign
    if better is None:
        return text, "neutral"
    lower = value < base
    return text, "better" if lower == (better == "lower") else "worse"


@dataclass(frozen=True)
class Comparison:
    """One outcome of the chosen run, the baseline's, and how they compare."""

    name: str
    title: str
    doc: str
    value: str
    base: str
    change: str
    verdict: str


def compare(workshop: Workshop) -> list[Comparison]:
    """The main outcomes so far, each against the baseline."""
    frame, base_frame = workshop.frames()
    out = []
    with workshop.lock:
        for name in SHOWN_OUTCOMES:
            o = OUTCOME_BY_NAME[name]
            value = outcome_value(workshop.chosen, frame, name)
            base = None
            if workshop.baseline is not None and base_frame is not None:
                base = outcome_value(workshop.baseline, base_frame, name)
            if value is None:
                continue
            change, verdict = versus(value, base, o.better, o.unit)
            out.append(
                Comparison(
                    name=name,
                    title=OUTCOME_TITLES.get(name, name.replace("_", " ").capitalize()),
                    doc=o.doc,
                    value=fmt_amount(value, o.unit),
                    base="" if base is None else fmt_amount(base, o.unit),
                    change=change,
                    verdict=verdict,
                )
            )
    return out


# --- the map ------------------------------------------------------------------------------------

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


def is_night(model: CalaisModel) -> bool:
    """Whether the hour about to be simulated is one of the night's (migrants go out)."""
    b, clock = model.params.behaviour, model.clock
    if b.night_start_hour <= b.night_end_hour:
        return b.night_start_hour <= clock < b.night_end_hour
    return clock >= b.night_start_hour or clock < b.night_end_hour


def model_time(model: CalaisModel) -> dt.datetime:
    """The simulated date and time now (a run starts at noon on its first day)."""
    start = dt.datetime.combine(model.params.start_date, dt.time(NOON))
    return start + dt.timedelta(hours=model.hour)


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
    """Every migrant's row, state and place on the grid (column, row; fractions of a cell).

    Migrants in the camp are spread over its cells; those on the way are placed along their
    route by how far they have walked, between cells; those trying, at their way in.
    """
    m = model.migrants
    rows = m.alive()
    state = m.state[rows]
    camp = model.map.camp_cells
    xy = camp[rows % len(camp)].astype(np.float64)
    abroad = np.flatnonzero(state > CAMP)
    if abroad.size:
        routes = model.map.routes()
        speed = model.params.behaviour.walk_speed_kmh
        way = m.way[rows[abroad]]
        for w, name in enumerate(WAYS):
            chosen = abroad[way == w]
            if chosen.size == 0:
                continue
            cells = routes[name].cells
            last = len(cells) - 1
            left = np.clip(m.eta[rows[chosen]] / max(routes[name].hours(speed), 1e-9), 0, 1)
            left = np.where(state[chosen] == TRYING, 0.0, left)
            walked = np.where(state[chosen] == BACK, left, 1 - left) * last
            i = np.clip(np.floor(walked).astype(np.int64), 0, last)
            j = np.minimum(i + 1, last)
            t = (walked - i)[:, None]
            xy[chosen] = cells[i] * (1 - t) + cells[j] * t
    return rows, state, xy


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


# --- charts -------------------------------------------------------------------------------------

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
    fig = Figure(figsize=(10.4, 5.4), dpi=92)
    axes = fig.subplots(2, 3, sharex=True)
    fig.subplots_adjust(left=0.06, right=0.99, top=0.93, bottom=0.08, wspace=0.3, hspace=0.32)
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


# --- take it home -------------------------------------------------------------------------------


def results_parquet(workshop: Workshop) -> bytes:
    """The chosen run's daily outcomes so far, as the Parquet file ``calais-sim run`` writes."""
    frame, _ = workshop.frames()
    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    return out.getvalue()


# --- the controls -------------------------------------------------------------------------------


def key_label(key: Key) -> str:
    """A control's label, from its key's name."""
    if key.name == "start_day":
        return "Starts on day"
    words = key.name.replace("_per_meur", "_per_million").replace("_eur", "").replace("_kmh", "")
    words = words.replace("_", " ")
    return words[:1].upper() + words[1:]


def slider_step(key: Key, value: Any) -> float | None:
    """The step of a slider for a key, or None when a number field suits it better.

    Sliders are for numbers with a short range: shares, chances, factors, a few units.
    """
    lo, hi = key.spec.lo, key.spec.hi
    if key.kind not in ("int", "float") or lo is None or hi is None or hi <= lo:
        return None
    if key.kind == "int":
        step = 1.0 if hi - lo <= 200 else None
    elif hi - lo > 100:
        step = None
    else:
        ref = abs(key.default) or (hi - lo) / 10
        step = 10 ** math.floor(math.log10(ref)) / 10
        step = min(max(step, (hi - lo) / 1000), (hi - lo) / 20)
    if step is None:
        return None
    ticks = (value - lo) / step
    return step if abs(ticks - round(ticks)) < 1e-6 else None


def parse_number(text: str, kind: str) -> Any:
    """A number typed in a field (``1,000`` and ``1_000`` are fine); a date for day keys.

    Read exactly (as a decimal, never through a float), so a whole number of any size, such
    as a 19-digit seed, comes back as typed; a whole number for an ``int`` or ``day`` key is an
    ``int``, anything else a ``float``.
    """
    text = (text or "").strip().replace(",", "").replace("_", "").replace(" ", "")
    if kind == "day":
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(text)
    what = "a day number or a date (2015-07-01)" if kind == "day" else "a number"
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise ValueError(f"type {what}, not {text!r}") from None
    if not number.is_finite():
        raise ValueError(f"type {what}, not {text!r}")
    if number.adjusted() > 308:  # beyond any float; 1e999999999 as an int would fill memory
        raise ValueError(f"type {what} of at most 308 digits, not {text[:40]!r}")
    if kind in ("int", "day") and number == number.to_integral_value():
        return int(number)
    return float(number)


def fmt_value(value: Any, step: float | None = None) -> str:
    """A value as a control shows it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if step is not None and step < 1:
        return f"{value:.{max(0, -math.floor(math.log10(step)))}f}"
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.6g}"


def fmt_date(day: dt.date) -> str:
    """A date for people: 'Wed 1 July 2015'."""
    return f"{day:%a} {day.day} {day:%B %Y}"


Commit = Callable[[Any], "str | None"]
"""Applies a control's new value; returns why it was refused, or None."""


@solara.component
def NumberField(
    label: str,
    value: Any,
    kind: str,
    on_commit: Commit,
    hint: str = "",
    test_id: str = "",
    plain: bool = False,
) -> None:
    """A number typed in a field, applied on Enter or when leaving it; refused if invalid.

    ``plain`` shows the number without thousands separators (a seed).
    """
    text, set_text = solara.use_state(str(value) if plain else fmt_value(value))
    error, set_error = solara.use_state(None)

    def commit(new: str | None) -> None:
        set_text(new or "")
        try:
            problem = on_commit(parse_number(new or "", kind))
        except ValueError as exc:
            problem = str(exc)
        set_error(problem)

    solara.InputText(
        label,
        value=text,
        on_value=commit,
        error=f"Refused: {error}" if error else False,
        message=hint,
        continuous_update=False,
        dense=True,
        classes=["calais-field", *([test_id] if test_id else [])],
    )


@solara.component
def SliderField(
    label: str, value: float, lo: float, hi: float, step: float, on_commit: Commit
) -> None:
    """A slider, applied when released (not at every pixel of a drag)."""
    is_int = float(step).is_integer() and float(lo).is_integer()
    with solara.Row(classes=["calais-slider-head"]):
        solara.Text(label, classes=["calais-label"])
        solara.Text(fmt_value(value, step), classes=["calais-value"])
    slider = solara.v.Slider(
        v_model=value,
        min=lo,
        max=hi,
        step=step,
        thumb_label=True,
        hide_details=True,
        dense=True,
        class_="calais-slider",
    )

    def released(_widget: Any, _event: str, data: Any) -> None:
        on_commit(round(float(data)) if is_int else float(data))

    solara.v.use_event(slider, "change", released)


@solara.component
def KeyControl(key: Key, value: Any, on_commit: Commit, start: dt.date) -> None:
    """The control of one scenario key, with its unit and its explanation.

    A switch for on/off, a list for a choice, a slider for a number with a short range, a
    field for any other number (a day: its number or its date), a text field for text.
    """
    spec = key.spec
    unit = "" if spec.unit in ("on/off", DAY_UNIT) else spec.unit
    label = key_label(key) + (f" ({unit})" if unit else "")
    with solara.Div(classes=["calais-control", f"calais-key-{key.name}"]):
        if key.kind == "bool":
            solara.Switch(label=label, value=bool(value), on_value=on_commit)
        elif spec.choices:
            solara.Select(label, value=value, values=list(spec.choices), on_value=on_commit)
        elif key.kind == "day":
            number = day_number(value, start)
            when = start + dt.timedelta(days=number)
            hint = f"{spec.doc} Day {number} is {fmt_date(when)}."
            NumberField(label, number, "day", on_commit, hint=hint)
        elif key.kind not in ("int", "float"):
            solara.InputText(label, value=str(value), on_value=on_commit, message=spec.doc)
        elif (step := slider_step(key, value)) is not None:
            SliderField(label, value, spec.lo, spec.hi, step, on_commit)
        else:
            span = (
                f" From {fmt_value(spec.lo)} to {fmt_value(spec.hi)}."
                if spec.lo is not None
                else ""
            )
            NumberField(label, value, key.kind, on_commit, hint=spec.doc + span)
        if key.kind == "bool" or spec.choices or slider_step(key, value) is not None:
            solara.Text(spec.doc, classes=["calais-doc"])


def commit_key(
    settings: Settings, apply: Callable[[Settings], None], table: tuple[str, ...], key: Key
) -> Commit:
    """A control's commit: check the value as a scenario file's, then start a new run."""
    where = ".".join((*table, key.name))

    def commit(value: Any) -> str | None:
        try:
            value = check_value(value, key.default, key.spec, where, None)
            apply(settings.with_value(table, key.name, value))
        except ScenarioError as exc:
            return exc.message
        return None

    return commit


def measure_instances(settings: Settings, group: Group) -> list[str]:
    """The tables of a measure (or event) in the scenario: ``name`` and ``name@label`` ones.

    A measure absent from the scenario is listed once, by its name, switched off.
    """
    kind, name = group.table.split(".", 1)
    present = [
        key for key in settings.scenario.document.get(kind, {}) if key.partition("@")[0] == name
    ]
    return present or [name]


@solara.component
def MeasureBlock(group: Group, settings: Settings, apply: Callable[[Settings], None]) -> None:
    """A measure's switch, with its explanation, and its parameters when it is in force."""
    kind, name = group.table.split(".", 1)
    start = settings.scenario.start_date
    with solara.Div(classes=["calais-group", f"calais-group-{name}"]):
        for instance in measure_instances(settings, group):
            table = settings.scenario.document.get(kind, {}).get(instance)
            in_force = bool(table and table.get("enabled", True))
            label = instance.partition("@")[2]

            def switch(on: bool, instance: str = instance) -> None:
                with contextlib.suppress(ScenarioError):
                    apply(settings.with_value((kind, instance), "enabled", on))

            solara.v.Switch(
                label=group.title + (f" ({label})" if label else ""),
                v_model=in_force,
                on_v_model=switch,
                hint=group.doc,
                persistent_hint=True,
                dense=True,
                inset=True,
                class_="calais-switch",
            )
            if in_force:
                for key in group.keys:
                    if key.name != "enabled":
                        commit = commit_key(settings, apply, (kind, instance), key)
                        KeyControl(key, table[key.name], commit, start).key(
                            f"{settings.revision}:{instance}.{key.name}"
                        )


@solara.component
def SectionBlock(group: Group, settings: Settings, apply: Callable[[Settings], None]) -> None:
    """The parameters of one section of the model (its assumptions)."""
    table = settings.scenario.document[group.table]
    with solara.Div(classes=["calais-group", f"calais-section-{group.table}"]):
        solara.Text(f"{group.title}: {group.doc}", classes=["calais-section-title"])
        for key in group.keys:
            if key.path == POPULATION_KEY:
                continue  # in the scenario card
            commit = commit_key(settings, apply, (group.table,), key)
            KeyControl(key, table[key.name], commit, settings.scenario.start_date).key(
                f"{settings.revision}:{key.path}"
            )


POPULATION_KEY = "population.initial_migrants"


@solara.component
def ScenarioCard(settings: Settings, apply: Callable[[Settings], None], notice: str | None) -> None:
    """The scenario file, the population, the seed and the length of the run."""
    problem, set_problem = solara.use_state(None)
    scenario = settings.scenario

    def pick(name: str) -> None:
        try:
            apply(Settings.from_file(settings.folder, name))
            set_problem(None)
        except ScenarioError as exc:
            set_problem(picker_refusal(exc, settings.folder))

    def top(name: str, lo: int, hi: int) -> Commit:
        def commit(value: Any) -> str | None:
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                return f"must be a whole number from {lo:,} to {hi:,}"
            try:
                apply(settings.with_value((), name, value))
            except ScenarioError as exc:
                return exc.message
            return None

        return commit

    population = next(k for g in groups() for k in g.keys if k.path == POPULATION_KEY)

    def set_population(value: Any) -> str | None:
        if isinstance(value, int | float) and value > APP_MAX_MIGRANTS:
            return (
                f"at most {APP_MAX_MIGRANTS:,} people in the app "
                "(run larger ones with calais-sim run)"
            )
        return commit_key(settings, apply, ("population",), population)(value)

    with solara.Card("Scenario", classes=["calais-card", "calais-scenario"]):
        solara.Text(
            "▶ plays, ❚❚ pauses, Step moves on, Reset starts again. The speed says how much "
            "simulated time each frame moves on.",
            classes=["calais-doc", "calais-howto"],
        )
        if notice:
            (solara.Warning if notice.startswith("Refused") else solara.Info)(notice, dense=True)
        solara.Select(
            "Scenario file",
            value=settings.file,
            values=scenario_choices(settings.folder),
            on_value=pick,
            classes=["calais-picker"],
        )
        if problem:
            solara.Error(problem, dense=True)
        solara.Text(settings.original.description, classes=["calais-doc"])
        solara.Text(
            f"{scenario.days} days from {fmt_date(scenario.start_date)}. Any change starts "
            "the run again from its first day.",
            classes=["calais-doc"],
        )
        value = scenario.document["population"]["initial_migrants"]
        NumberField(
            "Migrants at the start (people)",
            value,
            "int",
            set_population,
            hint=f"0 to {APP_MAX_MIGRANTS:,}. {population.spec.doc}",
            test_id="calais-population",
        ).key(f"{settings.revision}:population")
        NumberField(
            "Seed",
            scenario.seed,
            "int",
            top("seed", 0, MAX_SEED),
            hint="Same seed, same run; the baseline uses it too.",
            test_id="calais-seed",
            plain=True,
        ).key(f"{settings.revision}:seed")
        NumberField(
            "Days simulated",
            scenario.days,
            "int",
            top("days", 1, MAX_DAYS),
            hint=f"1 to {MAX_DAYS:,}",
            test_id="calais-days",
        ).key(f"{settings.revision}:days")
        changes = settings.changes()
        if changes:
            solara.Text(
                f"Changed from {settings.file}: " + "; ".join(changes) + ".",
                classes=["calais-changes"],
            )
            solara.Button(
                f"Back to {settings.file} as it is",
                on_click=lambda: pick(settings.file),
                text=True,
                color="primary",
                classes=["calais-undo"],
            )


@solara.component
def AssumptionsCard(settings: Settings, apply: Callable[[Settings], None]) -> None:
    """The model's parameters, folded away until asked for."""
    shown, set_shown = solara.use_state(False)
    sections = [g for g in groups() if g.kind == "section"]
    count = sum(len(g.keys) for g in sections) - 1
    with solara.Card("Model assumptions", classes=["calais-card", "calais-assumptions"]):
        solara.Text(
            f"The {count} parameters every scenario shares (the baseline too), with their "
            "sources in docs/scenarios.md.",
            classes=["calais-doc"],
        )
        solara.Button(
            "Hide them" if shown else "Show them",
            on_click=lambda: set_shown(not shown),
            text=True,
            color="primary",
        )
        if shown:
            for group in sections:
                SectionBlock(group, settings, apply)


@solara.component
def ControlPanel(settings: solara.Reactive[Settings], model: solara.Reactive[Workshop]) -> None:
    """The sidebar's controls: every change makes a new pair of runs from the first day."""
    notice, set_notice = solara.use_state(None)

    def apply(new: Settings) -> None:
        """Start new runs with ``new``; raise ScenarioError (and say so) if they cannot start."""
        ended = not model.value.running
        try:
            workshop = Workshop(new)
        except Exception as exc:  # a valid scenario the model cannot run: refuse it, with why
            problem = f"the model cannot run with this ({type(exc).__name__}: {exc})"
            set_notice(f"Refused: {problem}")
            raise ScenarioError(problem) from exc
        settings.set(new)
        model.set(workshop)
        set_notice("The last run had ended: press Reset to play the new one." if ended else None)

    current = settings.value
    measures = [g for g in groups() if g.kind == "measure"]
    events = [g for g in groups() if g.kind == "event"]
    with solara.Sidebar():
        ScenarioCard(current, apply, notice)
        with solara.Card("Measures", classes=["calais-card", "calais-measures"]):
            solara.Text(
                "Switch a measure on to see and set its parameters. The baseline has none.",
                classes=["calais-doc"],
            )
            for group in measures:
                MeasureBlock(group, current, apply)
        with solara.Card("Events", classes=["calais-card", "calais-events"]):
            for group in events:
                MeasureBlock(group, current, apply)
        AssumptionsCard(current, apply)


@solara.component
def ControlHost(settings: solara.Reactive[Settings], model: solara.Reactive[Workshop]) -> None:
    """Holds the control panel one level down, so that it follows Mesa's cards in the sidebar."""
    ControlPanel(settings, model)


# --- the main view ------------------------------------------------------------------------------


@solara.component
def Clock(workshop: Workshop) -> None:
    """The simulated date and hour, and how far the run has got."""
    update_counter.get()  # drawn again at every step
    run = workshop.chosen
    now = model_time(run)
    night = "night" if is_night(run) else "day"
    day = min(run.day + 1, run.params.days)
    status = "the run has ended" if not workshop.running else f"day {day} of {run.params.days}"
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f'<span class="calais-date" data-hour="{run.hour}">'
            f"{fmt_date(now.date())}, {now:%H:%M}</span>"
            f'<span class="calais-daynight">{night}</span>'
            f'<span class="calais-progress">{status} · {workshop.settings.scenario.name}</span>'
        ),
        classes=["calais-clock"],
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


@solara.component
def Outcomes(workshop: Workshop) -> None:
    """The main outcomes so far, against the baseline."""
    update_counter.get()  # drawn again at every step
    rows = compare(workshop)
    with solara.Card("Against the baseline", classes=["calais-card", "calais-outcomes"]):
        if workshop.baseline is None:
            why = workshop.baseline_problem or f"no {BASELINE_FILE} in the scenarios folder"
            solara.Warning(f"No baseline to compare with: {why}.", dense=True)
        else:
            solara.Text(
                f"So far, against {BASELINE_FILE} with the same seed, population and days.",
                classes=["calais-doc"],
            )
        cells = []
        for row in rows:
            base = f'<div class="calais-base">baseline {row.base}</div>' if row.base else ""
            cells.append(
                f'<div class="calais-outcome calais-outcome-{row.name}" title="{row.doc}">'
                f'<div class="calais-outcome-title">{row.title}</div>'
                f'<div class="calais-outcome-value">{row.value}</div>'
                f'<div class="calais-change calais-{row.verdict}">{row.change}</div>{base}</div>'
            )
        solara.HTML(tag="div", unsafe_innerHTML="".join(cells), classes=["calais-outcome-grid"])


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


@solara.component
def TakeHome(workshop: Workshop) -> None:
    """Downloads: the run's daily results and the scenario as the controls set it.

    The files are made when asked for, from the run as it is then.
    """
    settings = workshop.settings
    toml_name, _ = workshop_toml(settings)
    name = settings.scenario.name
    with solara.Card("Take it home", classes=["calais-card", "calais-downloads"]):
        solara.Text(
            "The scenario as set here, and this run's daily results so far (the Parquet file "
            f"that calais-sim run writes). Rerun the scenario with: calais-sim run {toml_name}",
            classes=["calais-doc"],
        )
        with solara.Row():
            solara.FileDownload(
                lambda: workshop_toml(settings)[1],
                filename=toml_name,
                label="Scenario (TOML)",
                mime_type="application/toml",
            )
            solara.FileDownload(
                lambda: results_parquet(workshop),
                filename=f"{name}-results.parquet",
                label="Results (Parquet)",
                mime_type="application/vnd.apache.parquet",
            )


@solara.component
def MainView(workshop: Workshop) -> None:
    """Everything right of the sidebar (each part is drawn again at every step)."""
    with solara.Div(classes=["calais-main"]):
        Clock(workshop)
        with solara.Div(classes=["calais-top"]):
            with solara.Div(classes=["calais-left"]):
                MapView(workshop)
                Legend()
                TakeHome(workshop)
            with solara.Div(classes=["calais-right"]):
                Outcomes(workshop)
        Charts(workshop)


CHART_EVERY_DAYS = 20
"""While a run plays, the charts are drawn again every this many days (drawing them takes about a
second, which at every frame would slow Play several times over); when it ends, at once."""

CSS_FILE = package_path("app", "assets", "app.css")


def header_title(settings: Settings) -> str:
    """The header: the page's question and the scenario being played."""
    changed = ", changed here" if settings.changes() else ""
    return f"{TITLE} Scenario: {settings.scenario.name} ({settings.file}{changed})"


@solara.component
def PlayCard(
    model: solara.Reactive[Workshop],
    settings: solara.Reactive[Settings],
    hours_per_frame: solara.Reactive[int],
) -> None:
    """Play, Step and Reset (Mesa's), and the speed, labelled in simulated time."""
    params = solara.use_reactive({"settings": settings})
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    threads = solara.use_reactive(False)
    names = {hours: name for name, hours in SPEEDS.items()}
    with solara.Card("Play", classes=["calais-card", "calais-play"]):
        ModelController(
            model,
            model_parameters=params,
            play_interval=play_interval,
            render_interval=hours_per_frame,
            use_threads=threads,
        )
        solara.ToggleButtonsSingle(
            value=names[hours_per_frame.value],
            values=list(SPEEDS),
            on_value=lambda name: hours_per_frame.set(SPEEDS[name]),
            dense=True,
            classes=["calais-speed"],
        )
        solara.Text(
            f"Speed: {names[hours_per_frame.value]} of simulated time a frame.",
            classes=["calais-doc", "calais-speed-label"],
        )


@solara.component
def page() -> None:
    """The workshop page."""
    initial = solara.use_memo(default_settings, [])
    settings = solara.use_reactive(initial)
    model = solara.use_reactive(solara.use_memo(lambda: Workshop(initial), []))
    hours_per_frame = solara.use_reactive(HOURS_PER_FRAME)
    with solara.Column(gap="0px"):  # the parts that only fill the bars take no room
        solara.Title(TITLE)
        solara.Style(CSS_FILE)
        with solara.AppBar():
            solara.AppBarTitle(header_title(settings.value))
        with solara.Sidebar():
            PlayCard(model, settings, hours_per_frame)
        ControlHost(settings, model)
        MainView(model.value)
