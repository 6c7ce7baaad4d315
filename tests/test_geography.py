"""Tests of the Calais map: loading, validation, distances, fences and route caching."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.world.geography import (
    WAYS,
    ZONE_COLOURS,
    ZONES,
    CalaisMap,
    MapError,
    Route,
)

REQUIRED_ZONES = (
    "sea",
    "beach",
    "town",
    "camp",
    "port",
    "port_access",
    "approach_road",
    "lorry_park",
    "motorway",
    "tunnel_terminal",
    "tunnel_access",
    "open",
)


@pytest.fixture(scope="module")
def packaged() -> CalaisMap:
    return CalaisMap.load()


@pytest.fixture
def cmap(packaged: CalaisMap) -> CalaisMap:
    return packaged.copy()


# --------------------------------------------------------------------------- loading


def test_packaged_map_loads_with_expected_size(packaged: CalaisMap) -> None:
    assert packaged.cell_m == 200
    assert 60 <= packaged.width <= 80
    assert 40 <= packaged.height <= 50
    assert packaged.terrain.shape == (packaged.height, packaged.width)
    assert packaged.terrain.dtype == np.int8
    assert packaged.fence.shape == packaged.terrain.shape
    assert packaged.fence.dtype == np.float32
    assert not packaged.fence.any()


def test_all_zones_present_and_coloured(packaged: CalaisMap) -> None:
    for zone in REQUIRED_ZONES:
        assert zone in ZONES
        assert packaged.zone_mask(zone).any(), zone
    assert set(ZONE_COLOURS) == set(ZONES)
    present = set(np.unique(packaged.terrain).tolist())
    assert present <= set(range(len(ZONES)))


def test_sea_lies_north_and_port_access_is_small(packaged: CalaisMap) -> None:
    sea = packaged.zone_mask("sea")
    assert sea[0].all(), "row 0 (north edge) should be open sea"
    assert not sea[-1].any(), "the southern edge is inland"
    assert 2 <= packaged.zone_mask("port_access").sum() <= 4


def test_points_on_land_and_camp_centre_in_camp(packaged: CalaisMap) -> None:
    land = ~(packaged.zone_mask("sea") | packaged.zone_mask("water"))
    for name, (col, row) in packaged.points.items():
        assert land[row, col], name
    col, row = packaged.points["camp_centre"]
    assert packaged.zone_mask("camp")[row, col]
    camp = {tuple(c) for c in packaged.camp_cells.tolist()}
    assert (col, row) in camp
    assert len(camp) == packaged.zone_mask("camp").sum()


def test_entry_and_patrol_cells(packaged: CalaisMap) -> None:
    port_zone = packaged.zone_mask("port")
    for way in WAYS:
        entries = packaged.entry_cells[way]
        assert entries.ndim == 2 and entries.shape[1] == 2 and len(entries) >= 1
        patrol = {tuple(c) for c in packaged.patrol_cells[way].tolist()}
        assert {tuple(c) for c in entries.tolist()} <= patrol
        assert len(patrol) > len(entries)
        for col, row in packaged.patrol_cells[way]:
            assert ZONES[packaged.terrain[row, col]] not in ("sea", "water")
    for col, row in packaged.entry_cells["port"]:
        assert ZONES[packaged.terrain[row, col]] == "port_access"
    for col, row in packaged.entry_cells["tunnel"]:
        assert ZONES[packaged.terrain[row, col]] == "tunnel_access"
    for col, row in packaged.entry_cells["beach"]:
        assert ZONES[packaged.terrain[row, col]] == "beach"
        assert port_zone[max(0, row - 1) : row + 2, max(0, col - 1) : col + 2].any()


def test_load_accepts_explicit_path(packaged: CalaisMap) -> None:
    path = Path(__file__).resolve().parents[1] / "sim" / "world" / "maps" / "calais.toml"
    other = CalaisMap.load(path)
    assert np.array_equal(other.terrain, packaged.terrain)
    assert other.points == packaged.points


# --------------------------------------------------------------------------- distances


def test_walking_distances_match_real_geography(packaged: CalaisMap) -> None:
    port, beach, tunnel = (packaged.distance_km(w) for w in WAYS)
    assert 1.5 <= port <= 3.5
    assert 1.0 <= beach <= 3.5
    assert 6.0 <= tunnel <= 10.0
    assert tunnel > 1.5 * max(port, beach)


def test_routes_are_connected_walkable_paths(packaged: CalaisMap) -> None:
    routes = packaged.routes()
    assert tuple(routes) == WAYS
    impassable = packaged.zone_mask("sea") | packaged.zone_mask("water")
    for way, route in routes.items():
        assert isinstance(route, Route) and route.way == way
        cells = route.cells
        assert tuple(cells[0]) == packaged.points["camp_centre"]
        assert tuple(cells[-1]) in {tuple(c) for c in packaged.entry_cells[way].tolist()}
        steps = np.abs(np.diff(cells, axis=0))
        assert (steps.max(axis=1) == 1).all(), "8-connected unit steps"
        assert not impassable[cells[:, 1], cells[:, 0]].any()
        # the effective length is at least the geometric length of the path
        geometric = packaged.cell_m * np.hypot(steps[:, 0], steps[:, 1]).sum()
        assert route.length_m >= geometric - 1e-6
        assert route.hours(5.0) == pytest.approx(route.length_m / 5000.0)


def test_route_hours_rejects_bad_speed(packaged: CalaisMap) -> None:
    with pytest.raises(ValueError):
        packaged.routes()["port"].hours(0.0)


# --------------------------------------------------------------------------- fences


@pytest.mark.parametrize("way", WAYS)
def test_fence_lengthens_only_the_fenced_route(cmap: CalaisMap, way: str) -> None:
    before = {w: r.length_m for w, r in cmap.routes().items()}
    cmap.raise_fence(way, 1.0)
    after = {w: r.length_m for w, r in cmap.routes().items()}
    assert after[way] > before[way]
    # climbing a full fence costs about 5 cells' worth (1 km here) on the fenced route
    assert after[way] - before[way] <= 5 * cmap.cell_m + 1e-6
    for other in WAYS:
        if other != way:
            assert after[other] == pytest.approx(before[other])
    assert cmap.fence_level(way) == pytest.approx(1.0)


def test_fence_is_monotone_and_bounded(cmap: CalaisMap) -> None:
    cmap.raise_fence("beach", 0.6)
    assert cmap.fence_level("beach") == pytest.approx(0.6)
    cmap.raise_fence("beach", 0.3)  # never lowers
    assert cmap.fence_level("beach") == pytest.approx(0.6)
    assert cmap.fence_level("port") == 0.0
    assert float(cmap.fence.max()) <= 1.0
    with pytest.raises(ValueError):
        cmap.raise_fence("beach", 1.5)
    with pytest.raises(ValueError):
        cmap.raise_fence("ferry", 0.5)


def test_partial_fence_lengthens_less_than_full(cmap: CalaisMap) -> None:
    base = cmap.routes()["tunnel"].length_m
    cmap.raise_fence("tunnel", 0.4)
    half = cmap.routes()["tunnel"].length_m
    cmap.raise_fence("tunnel", 1.0)
    full = cmap.routes()["tunnel"].length_m
    assert base < half < full


def test_tunnel_fence_covers_the_terminal_perimeter(cmap: CalaisMap) -> None:
    cmap.raise_fence("tunnel", 0.8)
    fenced = cmap.fence > 0
    terminal = cmap.zone_mask("tunnel_terminal") | cmap.zone_mask("tunnel_access")
    assert fenced.sum() > len(cmap.entry_cells["tunnel"])
    assert not (fenced & ~terminal).any()


def test_copy_has_independent_fence(packaged: CalaisMap) -> None:
    a = packaged.copy()
    b = packaged.copy()
    a.raise_fence("port", 1.0)
    assert a.fence_level("port") == 1.0
    assert b.fence_level("port") == 0.0
    assert packaged.fence_level("port") == 0.0
    assert b.routes()["port"].length_m < a.routes()["port"].length_m


# --------------------------------------------------------------------------- cache


def test_routes_are_cached_until_fence_changes(cmap: CalaisMap) -> None:
    first = cmap.routes()
    assert cmap.routes() is first
    version = cmap.fence_version
    cmap.raise_fence("port", 0.0)  # no change: cache kept
    assert cmap.fence_version == version
    assert cmap.routes() is first
    cmap.raise_fence("port", 0.5)
    assert cmap.fence_version == version + 1
    second = cmap.routes()
    assert second is not first
    assert cmap.routes() is second


def test_direct_fence_write_invalidates_cache(cmap: CalaisMap) -> None:
    first = cmap.routes()
    col, row = cmap.entry_cells["port"][0]
    cmap.fence[:] = 0.0
    cmap.fence[cmap.entry_cells["port"][:, 1], cmap.entry_cells["port"][:, 0]] = 1.0
    assert (col, row) in {tuple(c) for c in cmap.entry_cells["port"].tolist()}
    second = cmap.routes()
    assert second is not first
    assert second["port"].length_m > first["port"].length_m


# --------------------------------------------------------------------------- drawing


def test_rgb_image_and_fence_shading(cmap: CalaisMap) -> None:
    img = cmap.rgb()
    assert img.shape == (cmap.height, cmap.width, 3)
    assert img.dtype.kind == "f"
    assert img.min() >= 0.0 and img.max() <= 1.0
    col, row = cmap.entry_cells["port"][0]
    before = img[row, col].copy()
    cmap.raise_fence("port", 1.0)
    after = cmap.rgb()[row, col]
    assert after.sum() < before.sum()  # darker
    assert after[0] > after[1] and after[0] > after[2]  # reddish
    sea_col, sea_row = 0, 0
    assert np.array_equal(cmap.rgb()[sea_row, sea_col], img[sea_row, sea_col])


def test_zone_mask_rejects_unknown_zone(packaged: CalaisMap) -> None:
    with pytest.raises(ValueError):
        packaged.zone_mask("moon")


# --------------------------------------------------------------------------- broken files

SMALL_GRID = [
    "~~~~~~~~~~",
    "::PPPP::..",
    "..PGPP..J.",
    "..r.....J.",
    "..r..EEX..",
    "..r..EEE..",
]

SMALL_HEADER = """cell_m = 200

[legend]
"~" = "sea"
":" = "beach"
"." = "open"
"P" = "port"
"G" = "port_access"
"r" = "approach_road"
"J" = "camp"
"E" = "tunnel_terminal"
"X" = "tunnel_access"
"w" = "water"

[ways.port]
entry = "port_access"

[ways.beach]
entry = "beach"
adjacent_to = "port"

[ways.tunnel]
entry = "tunnel_access"
fence_perimeter = "tunnel_terminal"

[points]
camp_centre = [8, 2]
"""


def write_map(tmp_path: Path, rows: list[str], header: str = SMALL_HEADER) -> Path:
    path = tmp_path / "map.toml"
    grid = "\n".join(rows)
    path.write_text(f'grid = """\n{grid}\n"""\n{header}', encoding="utf-8")
    return path


def test_small_valid_map_loads(tmp_path: Path) -> None:
    m = CalaisMap.load(write_map(tmp_path, SMALL_GRID))
    assert (m.width, m.height) == (10, 6)
    assert {tuple(c) for c in m.entry_cells["beach"].tolist()} == {(1, 1), (6, 1)}
    assert all(np.isfinite(m.distance_km(w)) for w in WAYS)


def _assert_map_error(path: Path, *fragments: str) -> None:
    with pytest.raises(MapError) as info:
        CalaisMap.load(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_unequal_rows_rejected(tmp_path: Path) -> None:
    rows = [*SMALL_GRID[:3], SMALL_GRID[3] + ".", *SMALL_GRID[4:]]
    _assert_map_error(write_map(tmp_path, rows), "row 3", "11")


def test_unknown_character_rejected(tmp_path: Path) -> None:
    rows = [*SMALL_GRID[:4], "..r..EEXQ.", SMALL_GRID[5]]
    _assert_map_error(write_map(tmp_path, rows), "'Q'", "legend")


def test_unknown_zone_in_legend_rejected(tmp_path: Path) -> None:
    header = SMALL_HEADER.replace('"w" = "water"', '"w" = "swamp"')
    _assert_map_error(write_map(tmp_path, SMALL_GRID, header), "swamp")


def test_missing_camp_rejected(tmp_path: Path) -> None:
    rows = [r.replace("J", ".") for r in SMALL_GRID]
    _assert_map_error(write_map(tmp_path, rows), "camp")


def test_unreachable_entry_rejected(tmp_path: Path) -> None:
    # a canal of water cuts the tunnel terminal off from the camp
    rows = [
        "~~~~~~~~~~",
        "::PPPP::..",
        "..PGPP..J.",
        "..r.....J.",
        "wwwwwwwwww",
        "..r..EEX..",
    ]
    _assert_map_error(write_map(tmp_path, rows), "tunnel", "reachable")


def test_point_in_the_sea_rejected(tmp_path: Path) -> None:
    header = SMALL_HEADER + "harbour = [3, 0]\n"
    _assert_map_error(write_map(tmp_path, SMALL_GRID, header), "harbour", "land")


def test_point_outside_grid_rejected(tmp_path: Path) -> None:
    header = SMALL_HEADER + "far = [30, 2]\n"
    _assert_map_error(write_map(tmp_path, SMALL_GRID, header), "far", "outside")


def test_way_without_entry_cells_rejected(tmp_path: Path) -> None:
    rows = [r.replace("G", "P") for r in SMALL_GRID]
    _assert_map_error(write_map(tmp_path, rows), "port", "no entry cells")


def test_invalid_toml_rejected(tmp_path: Path) -> None:
    path = tmp_path / "map.toml"
    path.write_text("cell_m = = 200\n", encoding="utf-8")
    _assert_map_error(path, "TOML")


def test_missing_file_rejected(tmp_path: Path) -> None:
    _assert_map_error(tmp_path / "nowhere.toml", "cannot read")


def test_the_map_is_a_mesa_grid_with_terrain_and_fence_layers():
    from sim.model import CalaisModel
    from sim.scenario.loading import load_scenario

    from .conftest import SCENARIOS

    model = CalaisModel(load_scenario(SCENARIOS / "port-fencing.toml", ["days=30"]), seed=1)
    grid = model.grid
    assert grid.dimensions == (model.map.width, model.map.height)
    assert len(list(grid.all_cells)) == model.map.width * model.map.height
    x, y = (int(v) for v in model.map.camp_cells[0])
    assert grid.terrain.data[x, y] == ZONES.index("camp")
    assert float(grid.fence.data.max()) == 0.0
    model.run()
    # the fence a measure raises shows in the layer
    assert float(grid.fence.data.max()) > 0.5
    assert np.array_equal(grid.fence.data.T, model.map.fence)
