"""Walking on precomputed routes (ODD 7.5): out to a way in, back to the camp, and dawn.

A migrant going out walks ``model.route_hours[way]`` hours (the route's length over
``behaviour.walk_speed_kmh``; fences lengthen routes) and starts trying on arrival. A night that
ends without crossing sends the migrant back over the same route, after learning from the
failure (ODD 7.8): the belief in that way falls by ``behaviour.learning_rate``. At dawn everyone
still out turns back: those still walking out return over what they have walked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import BACK, CAMP, OUT, TRYING
from sim.params import WAYS

if TYPE_CHECKING:
    from sim.model.calais import CalaisModel


def walk(model: CalaisModel) -> None:
    """An hour of walking: those arriving at a way in start trying; those back are in camp."""
    rows, state = model.abroad_rows()
    if rows.size == 0:
        return
    m = model.migrants
    walking = (state == OUT) | (state == BACK)
    moving = rows[walking]
    if moving.size == 0:
        return
    eta = m.eta[moving] - np.float32(1.0)
    m.eta[moving] = eta
    arrived = eta <= 0
    if arrived.any():
        done = moving[arrived]
        out = state[walking][arrived] == OUT
        m.state[done[out]] = TRYING
        m.state[done[~out]] = CAMP


def turn_back(model: CalaisModel, rows: np.ndarray) -> None:
    """The night ended without crossing: learn from it and walk back to the camp."""
    if rows.size == 0:
        return
    m = model.migrants
    way = m.way[rows].astype(np.intp)
    m.belief[rows, way] *= 1 - model.params.behaviour.learning_rate
    m.failures[rows] += 1
    m.state[rows] = BACK
    m.eta[rows] = model.route_hours[way]
    m.network[rows] = -1


def dawn(model: CalaisModel) -> None:
    """Everyone still out turns back."""
    m = model.migrants
    rows, state = model.abroad_rows()
    if rows.size == 0:
        return
    turn_back(model, rows[state == TRYING])
    out = rows[state == OUT]
    if out.size:
        walked = model.route_hours[m.way[out].astype(np.intp)] - m.eta[out]
        m.state[out] = BACK
        m.eta[out] = np.maximum(walked, 0.0)
        m.network[out] = -1


def cells(model: CalaisModel, rows: np.ndarray) -> list[tuple[int, int]]:
    """Grid cells of the given migrants, from their state and how far they have walked."""
    m = model.migrants
    rows = np.asarray(rows, dtype=np.int64)
    camp = model.map.camp_cells
    where = camp[rows % len(camp)]
    state = m.state[rows]
    abroad = state > CAMP
    if abroad.any():
        routes = model.map.routes()
        way = m.way[rows]
        for w, name in enumerate(WAYS):
            sel = np.flatnonzero(abroad & (way == w))
            if sel.size == 0:
                continue
            route = routes[name]
            k = len(route.cells) - 1
            hours = max(model.route_hours[w], 1e-9)
            st = state[sel]
            left = np.where(st == TRYING, 0.0, m.eta[rows[sel]].astype(np.float64) / hours)
            frac = np.where(st == BACK, left, 1 - left)
            step = np.clip(np.round(frac * k), 0, k).astype(np.int64)
            where[sel] = route.cells[step]
    return [(int(c), int(r)) for c, r in where.tolist()]
