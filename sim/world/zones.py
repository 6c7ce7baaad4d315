"""The zones of the map of Calais, the ways in, and what walking through each zone costs."""

from __future__ import annotations

import math

WAYS: tuple[str, ...] = ("port", "beach", "tunnel")
"""The ways in, in the index order used everywhere."""

ZONES: tuple[str, ...] = (
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
    "water",
)
"""Zone names; the index of a name is its code in :attr:`CalaisMap.terrain`."""

ZONE_COLOURS: dict[str, str] = {
    "sea": "#2f6db3",
    "beach": "#f1e0a0",
    "town": "#b9aea3",
    "camp": "#e8742a",
    "port": "#6f7487",
    "port_access": "#ffd21f",
    "approach_road": "#8a5a2b",
    "lorry_park": "#9b6cc4",
    "motorway": "#2b2b2b",
    "tunnel_terminal": "#4f7f5a",
    "tunnel_access": "#ff3fb4",
    "open": "#cfe6a8",
    "water": "#7ab8e8",
}
"""A matplotlib colour (hex string) per zone, for drawing the map."""

WALK_COST: dict[str, float] = {
    "sea": math.inf,
    "water": math.inf,
    "beach": 1.2,
    "town": 1.0,
    "camp": 1.0,
    "open": 1.0,
    "approach_road": 1.5,
    "lorry_park": 1.5,
    "motorway": 2.0,
    "port": 3.0,
    "port_access": 1.0,
    "tunnel_terminal": 3.0,
    "tunnel_access": 1.0,
}
"""Walking cost per zone, as a multiple of the plain distance (inf = impassable).

The secured interiors of the port and of the tunnel terminal are costly so that routes to
one way never cut through another way's premises."""

FENCE_CLIMB_CELLS: float = 5.0
"""Extra walking cost of entering a cell with fence strength 1, in cells' worth of distance."""

IMPASSABLE: frozenset[str] = frozenset(z for z, c in WALK_COST.items() if math.isinf(c))
