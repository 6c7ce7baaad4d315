"""Victim identification (ODD 7.10): victims of trafficking in the camp may be identified.

Each day each victim of debt bondage in the camp is identified with the measures'
``victim_identification`` rate; those identified are protected and leave the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import CAMP

if TYPE_CHECKING:
    from sim.model.calais import CalaisModel


def identify_victims(model: CalaisModel) -> None:
    """Identify some of the victims of trafficking in the camp; they are protected."""
    rate = model.levers.victim_identification
    if rate <= 0:
        return
    m = model.migrants
    h = m.high
    victims = np.flatnonzero(m.victim[:h] & (m.state[:h] == CAMP))
    found = victims[model.rng.random(victims.size) < rate]
    model.counter.add("victims_protected", found.size)
    model.remove_migrants(found)
