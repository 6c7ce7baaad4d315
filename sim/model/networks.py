"""Smuggling networks: dismantling and entry (ODD 7.11).

Each day investigators dismantle each network with chance ``smuggling.dismantle_hazard`` x the
measures' ``dismantle_factor`` (:meth:`SmugglingNetwork.investigated`). New networks enter,
up to ``smuggling.max_networks``, a Poisson number around the day's unmet demand over
``smuggling.entry_demand`` x ``entry_factor``; each serves a way drawn in proportion to recent
tries, with ``smuggling.places_per_night`` places at ``smuggling.price_eur``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model.agents import SmugglingNetwork
from sim.params import WAYS

if TYPE_CHECKING:
    from sim.model.calais import CalaisModel


def networks_day(model: CalaisModel) -> None:
    """Investigators dismantle networks; new ones enter where demand went unmet."""
    sm, levers, rng = model.params.smuggling, model.levers, model.rng
    hazard = min(1.0, sm.dismantle_hazard * levers.dismantle_factor)
    for net in model.networks:
        net.sold_tonight = 0
        if net.investigated(hazard):
            model.counter.add("networks_dismantled", 1)
            net.remove()
    room = sm.max_networks - len(model.networks)
    expected = model.unmet_demand / sm.entry_demand * levers.entry_factor
    entrants = min(room, int(rng.poisson(expected))) if room > 0 else 0
    weights = model.recent_tries / model.recent_tries.sum()
    for _ in range(entrants):
        way = int(rng.choice(len(WAYS), p=weights))
        SmugglingNetwork(model, way, sm.places_per_night, sm.price_eur)
    model.unmet_demand = 0.0
