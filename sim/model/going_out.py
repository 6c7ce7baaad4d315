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
    # worked on the ways' rows of a (3, n) array: the same numbers, but arithmetic along rows
    # of n runs far faster than along each migrant's row of 3 (this runs every night)
    chance = belief.T.astype(float, order="C")
    if offered.any():
        helped = offered[:, None] & can_pay[None, :]
        chance = np.where(helped, np.minimum(chance * sm.success_multiplier, 1.0), chance)
    chance *= model.opportunity()[:, None]
    np.minimum(chance, 1.0, out=chance)
    np.maximum(chance, TINY_CHANCE, out=chance)
    utility = np.log(chance, out=chance)
    utility *= b.success_weight
    utility -= (b.distance_weight * model.map_km())[:, None]
    utility -= (b.risk_weight * (model.death_chance + model.injury_chance))[:, None]
    if b.crowd_weight:
        utility += crowd_pull(model)[:, None]
    return utility.T


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
    # options in rows (stay, then the ways), migrants in columns, as in way_utilities
    utility = np.empty((len(WAYS) + 1, camp.size))
    utility[0] = model.params.behaviour.stay_utility
    utility[1:] = way_utilities(model, m.belief.T[:, camp].T, can_pay, places > 0).T
    # Gumbel noise, as ``rng.gumbel`` draws it (-log(-log(1 - u))), one draw per migrant and
    # option in the order of an (n, options) array
    noise = np.ascontiguousarray(model.rng.random((camp.size, len(WAYS) + 1)).T)
    np.subtract(1.0, noise, out=noise)
    np.log(noise, out=noise)
    np.negative(noise, out=noise)
    utility -= np.log(noise, out=noise)
    return best_option(utility) - 1


def best_option(utility: np.ndarray) -> np.ndarray:
    """The row of each column's largest utility, the first of equals (as ``argmax`` on axis
    0, but row by row: faster than reducing each column of a few)."""
    best = utility[0].copy()
    choice = np.zeros(utility.shape[1], dtype=np.intp)
    for option in range(1, utility.shape[0]):
        better = utility[option] > best
        choice[better] = option
        np.maximum(best, utility[option], out=best)
    return choice


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
