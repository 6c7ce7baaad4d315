"""Asylum in France, and giving up on Calais (ODD 7.9): each day, who stops trying.

Information campaigns (the measures' ``campaign_reach``) lower the pull to the UK of those they
reach by ``appeal_shift``. Then each migrant in the camp claims asylum in France with chance
``behaviour.asylum_hazard`` x (1 - pull to the UK) x (0.25 + discouragement), discouragement
being failures / (failures + ``behaviour.give_up_failures``), or else leaves with chance
``behaviour.departure_hazard`` x hopelessness (how far its best belief has fallen below the
prior): along the coast with ``behaviour.coast_share`` (displaced), otherwise out of the region.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import CAMP

if TYPE_CHECKING:
    from sim.model.calais import CalaisModel


def decide(model: CalaisModel) -> None:
    """Campaigns reach the camp; some claim asylum in France; the hopeless give up on Calais,
    along the coast or out of the region."""
    m, b, levers, rng = model.migrants, model.params.behaviour, model.levers, model.rng
    camp = np.flatnonzero(m.state[: m.high] == CAMP)
    if camp.size == 0:
        return
    if levers.campaign_reach > 0:
        reached = camp[rng.random(camp.size) < levers.campaign_reach]
        m.appeal[reached] = np.maximum(m.appeal[reached] - levers.appeal_shift, 0.0)
    failures = m.failures[camp]
    discouraged = failures / (failures + b.give_up_failures)
    # the best way's belief: the maximum of the ways' columns, taken column by column (a
    # max along each migrant's row of 3 costs three times more)
    best = functools.reduce(np.maximum, m.belief.T[:, camp])
    hopeless = np.clip(1.0 - best / b.prior_success, 0.0, 1.0)
    p_asylum = b.asylum_hazard * (1 - m.appeal[camp]) * (0.25 + discouraged)
    p_leave = b.departure_hazard * hopeless
    u = rng.random(camp.size)
    asylum = camp[u < p_asylum]
    leaving = (u >= p_asylum) & (u < p_asylum + p_leave)
    coast = leaving & (rng.random(camp.size) < b.coast_share)
    model.counter.add("asylum_claims_france", asylum.size)
    model.counter.add("displaced", np.count_nonzero(coast))
    model.counter.add("departures", np.count_nonzero(leaving & ~coast))
    model.remove_migrants(np.concatenate([asylum, camp[coast], camp[leaving & ~coast]]))
