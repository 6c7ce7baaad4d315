"""Arrivals and the delay pipeline (ODD 7.1): newcomers join the camp each noon.

Each day ``population.daily_arrivals`` x the measures' ``arrivals_factor`` are expected; a share
``arrivals_delayed_share`` of them is held upstream for ``arrivals_delay_days`` days. The day's
newcomers are a Poisson draw around what is due today. Each newcomer has money (log-normal
around ``population.money_median_eur``), a pull to the UK (a beta draw around
``population.uk_appeal_mean``), a strong claim to protection or not
(``population.protection_share``) and, for every way, the belief the camp's news holds of it
that day (newcomers hear the camp: ODD 7.1, 7.8). On day 0 the news is ``behaviour.prior_success``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import CAMP

if TYPE_CHECKING:
    from sim.model.calais import CalaisModel

APPEAL_CONCENTRATION = 8.0  # of the beta draw of the pull to the UK: the spread around its mean


def newcomers(model: CalaisModel, n: int) -> None:
    """``n`` newcomers join the camp with money, a pull to the UK, a claim or not, and the
    camp's news of each way as their beliefs."""
    if n <= 0:
        return
    pop, m, rng = model.params.population, model.migrants, model.rng
    rows = m.allocate(n)
    m.state[rows] = CAMP
    m.way[rows] = 0
    m.eta[rows] = 0
    m.tries[rows] = 0
    m.failures[rows] = 0
    m.money[rows] = pop.money_median_eur * np.exp(pop.money_spread * rng.standard_normal(n))
    a = max(pop.uk_appeal_mean * APPEAL_CONCENTRATION, 1e-3)
    b = max((1 - pop.uk_appeal_mean) * APPEAL_CONCENTRATION, 1e-3)
    m.appeal[rows] = rng.beta(a, b, n)
    m.claim[rows] = rng.random(n) < pop.protection_share
    m.network[rows] = -1
    m.victim[rows] = False
    m.recovered_day[rows] = 0
    m.belief[rows] = model.news
    model.register_migrants(rows.tolist())


def arrive(model: CalaisModel) -> None:
    """Today's arrivals from upstream, some held back by the measures' delays, join the camp."""
    pop, levers, due = model.params.population, model.levers, model.arrivals_due
    expected = pop.daily_arrivals * levers.arrivals_factor
    held = expected * levers.arrivals_delayed_share
    while len(due) <= levers.arrivals_delay_days:
        due.append(0.0)
    due[0] += expected - held
    due[levers.arrivals_delay_days] += held
    n = int(model.rng.poisson(due.popleft()))
    newcomers(model, n)
    model.counter.add("arrivals", n)
