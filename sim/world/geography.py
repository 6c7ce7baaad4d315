"""Grid geography of the Calais area (2015): zones, ways in, fences and walking routes.

The map is a TOML file (``sim/world/maps/calais.toml`` by default) holding a character grid of
200 m cells, a legend from characters to zone names, named points and the definition of the
three ways migrants use to try to cross (``port``, ``beach``, ``tunnel``).  A :class:`CalaisMap`
holds the static terrain plus a mutable fence layer; :meth:`CalaisMap.routes` gives the walking
route from the camp to the nearest entry cell of each way, lengthened by fences.
"""

from __future__ import annotations

import importlib.resources
import tomllib
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import BadInput
from sim.world.routing import Route, WalkingGraph, cells_of, dilate8
from sim.world.zones import IMPASSABLE, WAYS, ZONE_COLOURS, ZONES

if TYPE_CHECKING:
    from mesa.discrete_space import OrthogonalMooreGrid

__all__ = ["WAYS", "ZONES", "ZONE_COLOURS", "CalaisMap", "MapError", "Route"]


class MapError(BadInput, ValueError):
    """A map file is malformed; the message names the file and what is wrong."""


def _hex_to_rgb(colour: str) -> tuple[float, float, float]:
    h = colour.lstrip("#")
    return (int(h[0:2], 16) / 255.0, int(h[2:4], 16) / 255.0, int(h[4:6], 16) / 255.0)


class CalaisMap:
    """The Calais grid: static terrain, named points, ways in, and a mutable fence layer."""

    cell_m: float
    width: int
    height: int
    terrain: np.ndarray
    points: dict[str, tuple[int, int]]
    entry_cells: dict[str, np.ndarray]
    patrol_cells: dict[str, np.ndarray]
    fence_cells: dict[str, np.ndarray]
    camp_cells: np.ndarray
    fence: np.ndarray
    fence_version: int

    def __init__(
        self,
        *,
        cell_m: float,
        terrain: np.ndarray,
        points: dict[str, tuple[int, int]],
        entry_cells: dict[str, np.ndarray],
        fence_cells: dict[str, np.ndarray],
        source: str = "<memory>",
    ) -> None:
        self.source = source
        self.cell_m = float(cell_m)
        self.height, self.width = terrain.shape
        self.terrain = terrain
        self.terrain.flags.writeable = False
        self.points = dict(points)
        self.entry_cells = entry_cells
        self.fence_cells = fence_cells
        land = ~np.isin(terrain, [ZONES.index(z) for z in IMPASSABLE])
        self.patrol_cells = {}
        for way, cells in entry_cells.items():
            mask = np.zeros(terrain.shape, dtype=bool)
            mask[cells[:, 1], cells[:, 0]] = True
            self.patrol_cells[way] = cells_of(dilate8(mask) & land)
        self.camp_cells = cells_of(terrain == ZONES.index("camp"))
        self.fence = np.zeros(terrain.shape, dtype=np.float32)
        self.fence_version = 0
        self._graph = WalkingGraph(terrain, self.cell_m)
        self._cache: tuple[int, np.ndarray, dict[str, Route]] | None = None

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path | None = None) -> CalaisMap:
        """Load and validate a map file; default: the packaged ``sim/world/maps/calais.toml``."""
        if path is None:
            res = importlib.resources.files("sim").joinpath("world", "maps", "calais.toml")
            name = str(res)
            try:
                text = res.read_text(encoding="utf-8")
            except OSError as exc:
                raise MapError(f"{name}: cannot read the packaged map: {exc}") from exc
        else:
            name = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise MapError(f"{name}: cannot read map file: {exc}") from exc
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise MapError(f"{name}: not valid TOML: {exc}") from exc
        return cls._from_dict(data, name)

    @classmethod
    def _from_dict(cls, data: dict[str, Any], name: str) -> CalaisMap:
        """The map of a parsed map file, checked step by step (each step raises a
        :class:`MapError` naming the file and what is wrong)."""

        def fail(msg: str) -> MapError:
            return MapError(f"{name}: {msg}")

        cell_m = cls._read_cell_m(data, fail)
        terrain = cls._read_terrain(data, cls._read_legend(data, fail), fail)
        points = cls._read_points(data, terrain, fail)
        cls._check_camp(terrain, points, fail)
        entry_cells, fence_cells = cls._read_ways(data, terrain, fail)
        cmap = cls(
            cell_m=cell_m,
            terrain=terrain,
            points=points,
            entry_cells=entry_cells,
            fence_cells=fence_cells,
            source=name,
        )
        cmap._check_reachable(fail)
        return cmap

    @staticmethod
    def _read_cell_m(data: dict[str, Any], fail: Callable[[str], MapError]) -> float:
        """The side of a cell in metres: a positive number."""
        cell_m = data.get("cell_m")
        if isinstance(cell_m, bool) or not isinstance(cell_m, int | float) or cell_m <= 0:
            raise fail(f"'cell_m' must be a positive number, got {cell_m!r}")
        return float(cell_m)

    @staticmethod
    def _read_legend(data: dict[str, Any], fail: Callable[[str], MapError]) -> dict[str, int]:
        """The legend: each single character of the grid and the index of its zone."""
        legend = data.get("legend")
        if not isinstance(legend, dict) or not legend:
            raise fail("missing or empty [legend] table")
        codes: dict[str, int] = {}
        for ch, zone in legend.items():
            if len(ch) != 1:
                raise fail(f"legend key {ch!r} is not a single character")
            if zone not in ZONES:
                raise fail(f"legend maps {ch!r} to unknown zone {zone!r} (known: {list(ZONES)})")
            codes[ch] = ZONES.index(zone)
        return codes

    @staticmethod
    def _read_terrain(
        data: dict[str, Any], codes: dict[str, int], fail: Callable[[str], MapError]
    ) -> np.ndarray:
        """The grid string as zone codes, (rows, columns): rectangular, every character in the
        legend."""
        grid = data.get("grid")
        if not isinstance(grid, str):
            raise fail("missing 'grid' string")
        rows = [r.rstrip("\r") for r in grid.strip("\n").split("\n")]
        if not rows or not rows[0]:
            raise fail("the grid is empty")
        width = len(rows[0])
        for i, row in enumerate(rows):
            if len(row) != width:
                raise fail(f"grid row {i} has {len(row)} characters, row 0 has {width}")
            for j, ch in enumerate(row):
                if ch not in codes:
                    raise fail(f"grid row {i}, column {j}: character {ch!r} is not in the legend")
        return np.array([[codes[ch] for ch in row] for row in rows], dtype=np.int8)

    @staticmethod
    def _read_points(
        data: dict[str, Any], terrain: np.ndarray, fail: Callable[[str], MapError]
    ) -> dict[str, tuple[int, int]]:
        """The named points, as (column, row): inside the grid and on land."""
        height, width = terrain.shape
        impassable = [ZONES.index(z) for z in IMPASSABLE]
        raw_points = data.get("points", {})
        if not isinstance(raw_points, dict):
            raise fail("[points] must be a table of name = [col, row]")
        points: dict[str, tuple[int, int]] = {}
        for pname, value in raw_points.items():
            if (
                not isinstance(value, list)
                or len(value) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            ):
                raise fail(f"point {pname!r} must be [col, row] integers, got {value!r}")
            col, row = value
            if not (0 <= col < width and 0 <= row < height):
                raise fail(f"point {pname!r} {value} is outside the {width}x{height} grid")
            if terrain[row, col] in impassable:
                zone = ZONES[terrain[row, col]]
                raise fail(f"point {pname!r} {value} is not on land (zone {zone!r})")
            points[pname] = (col, row)
        return points

    @staticmethod
    def _check_camp(
        terrain: np.ndarray, points: dict[str, tuple[int, int]], fail: Callable[[str], MapError]
    ) -> None:
        """The grid has camp cells, and the point ``camp_centre`` is on one."""
        camp_code = ZONES.index("camp")
        if not (terrain == camp_code).any():
            raise fail("the grid has no camp cells (zone 'camp')")
        if "camp_centre" not in points:
            raise fail("missing point 'camp_centre'")
        cc, cr = points["camp_centre"]
        if terrain[cr, cc] != camp_code:
            raise fail(f"point 'camp_centre' {[cc, cr]} is not on a camp cell")

    @classmethod
    def _read_ways(
        cls, data: dict[str, Any], terrain: np.ndarray, fail: Callable[[str], MapError]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Each way's entry cells and fence cells, from its ``[ways.<way>]`` table."""
        ways = data.get("ways")
        if not isinstance(ways, dict):
            raise fail("missing [ways] table")
        entry_cells: dict[str, np.ndarray] = {}
        fence_cells: dict[str, np.ndarray] = {}
        for way in WAYS:
            spec = ways.get(way)
            if not isinstance(spec, dict):
                raise fail(f"missing [ways.{way}] table")
            entry_mask = cls._zone_spec(spec, "entry", terrain, fail, way)
            if "adjacent_to" in spec:
                entry_mask &= dilate8(cls._zone_spec(spec, "adjacent_to", terrain, fail, way))
            if not entry_mask.any():
                raise fail(f"way {way!r} has no entry cells")
            fence_mask = entry_mask.copy()
            if "fence_perimeter" in spec:
                zone_mask = cls._zone_spec(spec, "fence_perimeter", terrain, fail, way)
                outside = ~(zone_mask | entry_mask)
                fence_mask |= zone_mask & dilate8(outside)
            entry_cells[way] = cells_of(entry_mask)
            fence_cells[way] = cells_of(fence_mask)
        unknown = set(ways) - set(WAYS)
        if unknown:
            raise fail(f"unknown way(s) {sorted(unknown)} in [ways] (known: {list(WAYS)})")
        return entry_cells, fence_cells

    def _check_reachable(self, fail: Callable[[str], MapError]) -> None:
        """Some entry cell of every way can be reached on foot from ``camp_centre``."""
        width = self.terrain.shape[1]
        cc, cr = self.points["camp_centre"]
        dist, _ = self._graph.distances(self.fence, cr * width + cc)
        for way in WAYS:
            cells = self.entry_cells[way]
            if not np.isfinite(dist[cells[:, 1] * width + cells[:, 0]]).any():
                raise fail(f"no entry cell of way {way!r} is reachable from 'camp_centre'")

    @staticmethod
    def _zone_spec(spec: dict[str, Any], key: str, terrain: np.ndarray, fail: Any, way: str):
        zone = spec.get(key)
        if zone not in ZONES:
            raise fail(f"[ways.{way}] {key} = {zone!r} is not a zone name")
        return terrain == ZONES.index(zone)

    # ------------------------------------------------------------------ state
    def copy(self) -> CalaisMap:
        """A map sharing the static terrain but with its own, independent fence layer."""
        new = object.__new__(CalaisMap)
        new.__dict__.update(self.__dict__)
        new.points = dict(self.points)
        new.fence = self.fence.copy()
        # the route cache stays valid: it is keyed on the fence state, which is equal here
        return new

    def mesa_grid(self, random: Random) -> OrthogonalMooreGrid:
        """This map as a Mesa grid: cell ``(x, y)`` is column ``x``, row ``y``; its property
        layers ``terrain`` (zone codes, :data:`ZONES`) and ``fence`` (strength 0-1).

        From then on the map's fence array is the ``fence`` layer's data (a transposed view),
        so a fence raised by a measure shows in the layer at once. Built on demand, not with
        every model: a 70 x 45 grid of Mesa cells costs more to build than a 120-day run of
        the core, which computes on the arrays (docs/architecture.md).
        """
        from mesa.discrete_space import OrthogonalMooreGrid, PropertyLayer

        grid = OrthogonalMooreGrid((self.width, self.height), random=random)
        terrain = PropertyLayer("terrain", (self.width, self.height), 0, dtype=np.int64)
        terrain.data = self.terrain.T
        fence = PropertyLayer("fence", (self.width, self.height), 0.0, dtype=np.float32)
        fence.data = self.fence.T
        grid.add_property_layer(terrain)
        grid.add_property_layer(fence)
        self.fence = fence.data.T
        return grid

    def _check_way(self, way: str) -> None:
        if way not in WAYS:
            raise ValueError(f"unknown way {way!r}; expected one of {WAYS}")

    def raise_fence(self, way: str, level: float) -> None:
        """Raise the fence along ``way``'s fence line to at least ``level`` (in [0, 1])."""
        self._check_way(way)
        if not 0.0 <= level <= 1.0:
            raise ValueError(f"fence level must be in [0, 1], got {level}")
        cells = self.fence_cells[way]
        current = self.fence[cells[:, 1], cells[:, 0]]
        new = np.maximum(current, np.float32(level))
        if np.any(new != current):
            self.fence[cells[:, 1], cells[:, 0]] = new
            self.fence_version += 1

    def fence_level(self, way: str) -> float:
        """Mean fence strength over ``way``'s entry cells."""
        self._check_way(way)
        cells = self.entry_cells[way]
        return float(self.fence[cells[:, 1], cells[:, 0]].mean())

    # ------------------------------------------------------------------ routes
    def routes(self) -> dict[str, Route]:
        """Walking routes camp_centre -> nearest entry cell of each way (cached per fence state)."""
        if (
            self._cache is not None
            and self._cache[0] == self.fence_version
            and np.array_equal(self._cache[1], self.fence)
        ):
            return self._cache[2]
        cc, cr = self.points["camp_centre"]
        dist, pred = self._graph.distances(self.fence, cr * self.width + cc)
        out: dict[str, Route] = {}
        for way in WAYS:
            cells = self.entry_cells[way]
            flat = cells[:, 1] * self.width + cells[:, 0]
            target = int(flat[int(np.argmin(dist[flat]))])
            if not np.isfinite(dist[target]):
                raise RuntimeError(f"{self.source}: way {way!r} unreachable from the camp")
            path = [target]
            while path[-1] != cr * self.width + cc:
                path.append(int(pred[path[-1]]))
            idx = np.array(path[::-1], dtype=np.int64)
            route_cells = np.column_stack([idx % self.width, idx // self.width])
            route_cells.flags.writeable = False  # routes may be shared between map copies
            out[way] = Route(way=way, cells=route_cells, length_m=float(dist[target]))
        self._cache = (self.fence_version, self.fence.copy(), out)
        return out

    def distance_km(self, way: str) -> float:
        """Effective walking distance from the camp to ``way`` in km."""
        self._check_way(way)
        return self.routes()[way].length_m / 1000.0

    # ------------------------------------------------------------------ views
    def zone_mask(self, zone: str) -> np.ndarray:
        """Boolean (height, width) mask of the cells of ``zone``."""
        if zone not in ZONES:
            raise ValueError(f"unknown zone {zone!r}; expected one of {ZONES}")
        return self.terrain == ZONES.index(zone)

    def rgb(self) -> np.ndarray:
        """(height, width, 3) float image by :data:`ZONE_COLOURS`, fenced cells shaded red."""
        palette = np.array([_hex_to_rgb(ZONE_COLOURS[z]) for z in ZONES])
        img = palette[self.terrain]
        f = np.clip(self.fence.astype(np.float64), 0.0, 1.0)[..., None] * 0.85
        fence_red = np.array([0.6, 0.0, 0.0])
        return img * (1.0 - f) + fence_red * f
