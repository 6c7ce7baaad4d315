"""Going out, and the choice of a way in (ODD 7.2, 7.3): each night each migrant in the camp
stays or chooses a way in.

One discrete choice over four options, staying and the three ways in, on one utility with
Gumbel noise (a multinomial logit, as in Flee's route choice and Routes and Rumours):

    U(way) = success_weight * log(believed chance x opportunity)
             - distance_weight * km - risk_weight * risk per try           (+ Gumbel)
    U(stay) = behaviour.stay_utility                                       (+ Gumbel)

The believed chance is the migrant's own belief for the way, raised by
``smuggling.success_multiplier`` where a network offers places and the migrant can pay. The
opportunity is what the camp hears of queues: lorries queued on the approaches raise the
chance of a way in by the traffic's queue multiplier. So when every way looks hopeless (beliefs
lowered by failed nights and by the camp's news of fences and police), fewer go out: the
measures deter. When a strike fills the A16 with lorries, more go: opportunity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import places
from sim.model.agents import CAMP, OUT
from sim.params import WAYS

if TYPE_CHECKING:
    from sim.model.calais import CalaisModel

TINY_CHANCE = 1e-6  # floor of a believed chance inside the log


def way_utilities(
    model: CalaisModel, belief: np.ndarray, can_pay: np.ndarray, offered: np.ndarray
) -> np.ndarray:
    """Utility of each way in (columns, in :data:`WAYS` order) for each migrant (rows).

    Args:
        model: the model (its map, risks and traffic).
        belief: each migrant's believed chance per way, shape (n, 3).
        can_pay: whether each migrant can pay a network's price, shape (n,).
        offered: whether a network offers places at each way tonight, shape (3,).
    """
    b, sm = model.params.behaviour, model.params.smuggling
    chance = belief.astype(float)
    helped = offered[None, :] & can_pay[:, None]
    chance = np.where(helped, np.minimum(chance * sm.success_multiplier, 1.0), chance)
    chance = np.minimum(chance * model.opportunity()[None, :], 1.0)
    risk = model.death_chance + model.injury_chance
    utility = (
        b.success_weight * np.log(np.maximum(chance, TINY_CHANCE))
        - b.distance_weight * model.map_km()[None, :]
        - b.risk_weight * risk[None, :]
    )
    if b.crowd_weight:
        utility += crowd_pull(model)[None, :]
    return utility


def crowd_pull(model: CalaisModel) -> np.ndarray:
    """The crowd's pull on each way in: ``crowd_weight x ln(1 + crowd / crowd_scale)``, where
    the crowd is who went out to the way last night."""
    b = model.params.behaviour
    return b.crowd_weight * np.log1p(model.crowd / b.crowd_scale)


def choose(model: CalaisModel, camp: np.ndarray) -> np.ndarray:
    """Tonight's choice of each migrant of ``camp``: -1 to stay, else the index of a way in."""
    m = model.migrants
    places = np.zeros(len(WAYS))
    for net in model.networks:
        places[net.way] += net.places
    can_pay = m.money[camp] >= model.params.smuggling.price_eur
    utility = np.empty((camp.size, len(WAYS) + 1))
    utility[:, 0] = model.params.behaviour.stay_utility
    utility[:, 1:] = way_utilities(model, m.belief[camp], can_pay, places > 0)
    # Gumbel noise, as ``rng.gumbel`` draws it but in one vectorised pass
    utility -= np.log(-np.log(1.0 - model.rng.random(utility.shape)))
    return np.argmax(utility, axis=1) - 1


def set_out(model: CalaisModel) -> None:
    """Nightfall: migrants in the camp (and recovered) choose to stay or a way in, those going
    set off, and some buy a place (:mod:`sim.model.places`)."""
    m = model.migrants
    h = m.high
    camp = np.flatnonzero((m.state[:h] == CAMP) & (m.recovered_day[:h] <= model.day))
    if camp.size == 0:
        model.crowd = np.zeros(len(WAYS))
        return  # no one to choose: no draws either
    choice = choose(model, camp)  # on last night's crowd
    goers = camp[choice >= 0]
    if goers.size == 0:
        model.crowd = np.zeros(len(WAYS))
        return
    way = choice[choice >= 0].astype(np.int8)
    m.way[goers] = way
    m.state[goers] = OUT
    m.eta[goers] = model.route_hours[way]
    m.tries[goers] = 0
    m.network[goers] = -1
    gone_out = np.bincount(way, minlength=len(WAYS))
    model.nights_today += gone_out
    model.crowd = gone_out.astype(float)
    for w, name in enumerate(WAYS):
        model.counter.add(f"people_out_{name}", gone_out[w])
    model.migrants_moved()
    places.sell_places(model, goers, way, model.networks)
