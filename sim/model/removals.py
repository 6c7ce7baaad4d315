"""Removals (ODD 7.7): detected migrants with no strong claim to protection may be removed.

Of those detected this hour (stopped at the perimeter or found aboard), each without a strong
claim is removed with the measures' ``removal_share``, within the places left today
(``removal_capacity``); each removal costs ``cost_per_removal``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.calais import CalaisModel


def remove_detected(
    model: CalaisModel, tries: np.ndarray, detected: np.ndarray
) -> np.ndarray | None:
    """Which of the trying migrants ``tries`` are removed (a mask over ``tries``), given who was
    ``detected``; None if no one can be."""
    levers = model.levers
    room = int(levers.removal_capacity) - model.removals_today
    if levers.removal_share <= 0 or room <= 0 or not detected.any():
        return None
    liable = np.flatnonzero(detected)
    liable = liable[~model.migrants.claim[tries[liable]]]
    chosen = liable[model.rng.random(liable.size) < levers.removal_share][:room]
    removed = np.zeros(tries.size, dtype=bool)
    removed[chosen] = True
    model.removals_today += chosen.size
    model.counter.add("removals", chosen.size)
    model.counter.add("spend_eur", chosen.size * levers.cost_per_removal)
    return removed
