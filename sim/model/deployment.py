"""Enforcement deployment (ODD 7.12): each noon units are matched to the day's levers, and
every hour each unit patrols its way's patrol line.

Pinned units: ``pinned_units`` of each way rounded, extra ones withdrawn (the most recently
created first), missing ones created; they never move. Movable units:
``enforcement.base_units + movable_units`` rounded, extra ones withdrawn; their target is their
number shared out over the ways in proportion to recent tries (largest remainders); new ones are
placed at the way furthest below its target; at most ``enforcement.redeploy_share`` of them move
(:meth:`EnforcementUnit.redeploy`), one at a time, from the way most above its target to the way
most below it. No more units exist than ``enforcement.max_units``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import EnforcementUnit
from sim.params import WAYS

if TYPE_CHECKING:
    from sim.model.calais import CalaisModel


def share_out(n: int, weights: np.ndarray) -> np.ndarray:
    """Split ``n`` whole units in proportion to ``weights`` (largest remainders)."""
    if n <= 0:
        return np.zeros(len(weights), dtype=int)
    quota = n * weights / weights.sum()
    base = np.floor(quota).astype(int)
    order = np.argsort(-(quota - base), kind="stable")
    base[order[: n - base.sum()]] += 1
    return base


def deploy_units(model: CalaisModel) -> None:
    """Match units to the fund and the measures; move some towards recent tries; set
    ``model.units_at``, the units stationed at each way."""
    levers, enf = model.levers, model.params.enforcement
    # However much money buys, no more units exist than the country's mobile forces.
    pinned_want = np.floor(np.minimum(levers.pinned_units, enf.max_units) + 0.5).astype(int)
    room = max(0, enf.max_units - int(pinned_want.sum()))
    movable_want = math.floor(min(enf.base_units + levers.movable_units, room) + 0.5)
    units = model.units
    _station_pinned(model, [u for u in units if u.pinned], pinned_want)
    _deploy_movable(model, [u for u in units if not u.pinned], movable_want)
    model.units_at = np.bincount([u.way for u in model.units], minlength=3).astype(float)


def _station_pinned(model: CalaisModel, pinned: list[EnforcementUnit], want: np.ndarray) -> None:
    """Withdraw or create pinned units until each way has ``want`` of them."""
    for w in range(len(WAYS)):
        here = [u for u in pinned if u.way == w]
        for u in here[want[w] :]:
            u.remove()
        for _ in range(want[w] - len(here)):
            EnforcementUnit(model, w, pinned=True)


def _deploy_movable(model: CalaisModel, movable: list[EnforcementUnit], want: int) -> None:
    """Withdraw or create movable units until there are ``want``, then move some of them
    towards their target shares of recent tries."""
    for u in movable[want:]:
        u.remove()
    movable = movable[:want]
    target = share_out(want, model.recent_tries)
    current = np.bincount([u.way for u in movable], minlength=3)
    for _ in range(want - len(movable)):
        w = int(np.argmax(target - current))
        movable.append(EnforcementUnit(model, w, pinned=False))
        current[w] += 1
    moves = math.floor(model.params.enforcement.redeploy_share * want + 0.5)
    for _ in range(moves):
        gap = target - current
        src, dst = int(np.argmin(gap)), int(np.argmax(gap))
        if gap[dst] <= 0 or gap[src] >= 0:
            break
        unit = next(u for u in movable if u.way == src)
        unit.redeploy(dst)
        current[src] -= 1
        current[dst] += 1


def patrol(model: CalaisModel, hours: int) -> None:
    """``hours`` hours of patrols: each hour every unit moves to a point of its way's patrol
    line (:meth:`EnforcementUnit.patrol`). The draws of all those hours are made at once, the
    same numbers in the same order as hour by hour, and each unit ends where the last hour put
    it."""
    units = model.units
    if not hours or not units:
        return
    # one draw per unit and hour: a uniform pick of a cell of each unit's line
    last = model.rng.random(hours * len(units))[-len(units) :]
    for unit, u in zip(units, last.tolist(), strict=True):
        unit.patrol(u)
