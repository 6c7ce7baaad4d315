"""Buying places and debt bondage (ODD 7.4): at nightfall networks sell places to goers.

Each migrant going out wants a place with chance ``smuggling.buy_propensity``; one who cannot
pay the price buys on credit with chance ``smuggling.debt_share``. At each way in, the buyers in
random order are served by the way's networks in turn, each up to its ``places``; one who buys on
credit becomes a victim of trafficking (debt bondage). Buyers left without a place are the unmet
demand that draws new networks in (ODD 7.11).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.params import WAYS

if TYPE_CHECKING:
    from sim.model.agents import SmugglingNetwork
    from sim.model.calais import CalaisModel


def sell_places(
    model: CalaisModel, goers: np.ndarray, way: np.ndarray, networks: list[SmugglingNetwork]
) -> None:
    """Networks sell tonight's places to those of ``goers`` (going to ``way``) who want one;
    the rest of the demand is recorded as unmet."""
    m, sm, rng = model.migrants, model.params.smuggling, model.rng
    wants = rng.random(goers.size) < sm.buy_propensity
    pays = m.money[goers] >= sm.price_eur
    on_credit = ~pays & (rng.random(goers.size) < sm.debt_share)
    buys = wants & (pays | on_credit)
    buyers = goers[buys]
    buyer_way = way[buys]
    values = model.counter.values
    i_revenue = model.counter.index["smuggling_revenue_eur"]
    by_way: list[list[SmugglingNetwork]] = [[] for _ in WAYS]
    for net in networks:
        by_way[net.way].append(net)
    revenue = values[i_revenue]
    for w, nets in enumerate(by_way):
        here = buyers[buyer_way == w]
        if here.size == 0:
            continue
        here = rng.permutation(here)
        # the networks serve the shuffled buyers in turn, each up to its places
        n_sold, left = [], here.size
        for net in nets:
            n_sold.append(min(max(0, net.places), left))
            left -= n_sold[-1]
        start = here.size - left
        if start:
            sold = here[:start]
            owner = np.repeat(np.arange(len(nets)), n_sold)
            price = np.array([n.price for n in nets], dtype=np.float64)[owner]
            paid = m.money[sold] >= price
            m.money[sold[paid]] -= price[paid]
            m.victim[sold[~paid]] = True
            m.network[sold] = np.array([n.unique_id for n in nets])[owner]
            n_paid = np.bincount(owner[paid], minlength=len(nets)).tolist()
        else:
            n_paid = n_sold
        for net, s, p in zip(nets, n_sold, n_paid, strict=True):
            net.sell(s, p)
            revenue += float(p) * net.price
        model.unmet_demand += left
    values[i_revenue] = revenue
