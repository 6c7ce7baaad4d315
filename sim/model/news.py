"""Learning from the camp's news (ODD 7.8): each day the camp hears how each way went.

The camp keeps a running success rate per way (the day's crossings over the nights spent at the
way, weighted ``1 - NEWS_MEMORY`` against earlier days; a way no one tried keeps its rate).
Each migrant in the camp moves its belief towards it at ``behaviour.social_rate``. Own failures
are learnt at the end of each night (:func:`sim.model.walking.turn_back`). The day's tries also
feed ``recent_tries``, which draws new networks and movable units (ODD 7.11, 7.12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import CAMP
from sim.params import WAYS

if TYPE_CHECKING:
    from sim.model.calais import CalaisModel

NEWS_MEMORY = 0.7  # weight of earlier days in the camp's running success rate per way


def share_news(model: CalaisModel) -> None:
    """The camp hears how each way went; beliefs move towards what is heard; the day's counts
    of nights, tries and crossings start again."""
    m = model.migrants
    rate = np.where(
        model.nights_today > 0,
        model.crossed_today / np.maximum(model.nights_today, 1),
        model.news,
    )
    model.news = NEWS_MEMORY * model.news + (1 - NEWS_MEMORY) * rate
    model.recent_tries = 0.5 * model.recent_tries + 0.5 * (model.tries_today + 1)
    h = m.high
    belief = m.belief[:h]
    moved = belief + model.params.behaviour.social_rate * (model.news[None, :] - belief)
    np.copyto(belief, moved, casting="same_kind", where=(m.state[:h] == CAMP)[:, None])
    model.crossed_today = np.zeros(len(WAYS))
    model.tries_today = np.zeros(len(WAYS))
    model.nights_today = np.zeros(len(WAYS))
