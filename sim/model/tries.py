"""Tries at a way in (ODD 7.6): an hour's tries in two stages, and the stopping rule.

Each night hour, every migrant at a way in makes one try:

1. **Risk**: it dies (``risk.death_chance_<way>``) or is hurt (``risk.injury_chance_<way>``).
2. **The perimeter**: a share of tries meet lorries queued on the approaches, outside any
   perimeter (``q / (q + traffic.queue_scale)`` for ``q`` lorries queued at the crossing);
   the others meet the perimeter, where the fence blocks a try with the fence's level and
   guards, cameras and mobile units stop an intrusion (``enforcement.perimeter_detection_<way>``,
   and the units' reach: ``unit_efficacy`` x ``min(1, units x catches_per_unit_hour / tries)``).
3. **Aboard**: past the perimeter, the checks of lorries and trains (scanners, dogs,
   searches) find a hidden migrant with ``enforcement.base_detection_<way>`` plus the measures'
   detection boost; one not found gets aboard unseen and crosses with
   ``traffic.cross_chance_<way>`` x the queue multiplier (x ``smuggling.success_multiplier`` with
   a bought place), or finds no way aboard this hour.

Fences and patrols act on the first stage, checks on the second; the day's outcomes keep
intrusions stopped at the perimeter (``intrusions_stopped_<way>``) apart from people found in
vehicles (``finds_<way>``), as the record does.

**Stopping rule**: a try that fails without ending the night (blocked, stopped at the
perimeter and escorted off, or no way aboard) is followed by another the next hour with chance
``behaviour.persistence``; otherwise the migrant walks back. Found in a vehicle, hurt, removed,
crossed or dead ends the night. So busy nights have many tries by few people (27/28 July 2015).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import removals, walking
from sim.model.agents import TRYING
from sim.model.outcomes import OUTCOME_INDEX
from sim.model.traffic import PORT, TUNNEL
from sim.params import WAYS

if TYPE_CHECKING:
    from sim.model.calais import CalaisModel

WAY_TRAFFIC = np.array([PORT, PORT, TUNNEL])
"""Which traffic stream each way in depends on: the beach route ends in the port."""
MAX_CROSS_CHANCE = 0.9


def chances(model: CalaisModel, tries: np.ndarray) -> np.ndarray:
    """This hour's chances per way (columns): death, death or hurt, outside the perimeter,
    blocked by the fence, stopped at the perimeter, found aboard, cross alone, cross helped,
    incident. ``tries`` is the number of tries at each way this hour."""
    enf, mult = model.params.enforcement, model.params.smuggling.success_multiplier
    queue_mult = model.traffic.chance_multiplier()[WAY_TRAFFIC]
    reach = np.minimum(1.0, model.units_at * enf.catches_per_unit_hour / np.maximum(tries, 1))
    stopped = 1 - (1 - model.perimeter_detection) * (1 - enf.unit_efficacy * reach)
    found = np.minimum(1.0, model.base_detection + model.levers.detection_boost)
    cross = model.cross_chance
    return np.array(
        [
            model.death_chance,
            model.death_chance + model.injury_chance,
            1 - 1 / queue_mult,
            model.fence_levels,
            stopped,
            found,
            np.minimum(cross, MAX_CROSS_CHANCE),
            np.minimum(cross * mult, MAX_CROSS_CHANCE),
            model.incident_chance,
        ]
    )


def persistence(model: CalaisModel) -> np.ndarray:
    """The chance, per way, that a migrant whose try failed tries again the next hour: the
    stopping rule's ``behaviour.persistence``, raised by the crowd at the way tonight
    (``crowd_shield``: those stopped rejoin the crowd)."""
    b = model.params.behaviour
    crowd = model.crowd
    return b.persistence + (1 - b.persistence) * b.crowd_shield * crowd / (crowd + b.crowd_scale)


class HourOfTries:
    """What became of one hour's tries (masks over the trying migrants)."""

    def __init__(self, model: CalaisModel, way: np.ndarray, smuggled: np.ndarray) -> None:
        n = way.size
        tries = np.bincount(way, minlength=3)
        (death, hurt_or_dead, outside, fence, stop, find, alone, helped, incident) = chances(
            model, tries
        )[:, way]
        u = model.rng.random((8, n))
        self.tries = tries
        self.dies = u[0] < death
        self.hurt = ~self.dies & (u[0] < hurt_or_dead)
        rest = ~(self.dies | self.hurt)
        at_perimeter = rest & (u[1] >= outside)
        self.blocked = at_perimeter & (u[2] < fence)
        self.stopped = at_perimeter & ~self.blocked & (u[3] < stop)
        reached = rest & ~self.blocked & ~self.stopped
        self.found = reached & (u[4] < find)
        self.crosses = reached & ~self.found & (u[5] < np.where(smuggled, helped, alone))
        no_place = reached & ~self.found & ~self.crosses
        self.again = (self.blocked | self.stopped | no_place) & (u[6] < persistence(model)[way])
        self.failed = self.blocked | self.stopped | no_place
        self.incident = u[7] < incident

    @property
    def detected(self) -> np.ndarray:
        """Tries stopped by someone: at the perimeter or found aboard."""
        return self.stopped | self.found


def try_hour(model: CalaisModel) -> None:
    """One hour of tries at the ways in, all at once: count them, set off incidents, hurt,
    remove, send back or let cross (those who cross or die leave the model)."""
    m = model.migrants
    rows, state = model.abroad_rows()
    t = rows[state == TRYING]
    if t.size == 0:
        return
    way = m.way[t].astype(np.intp)
    smuggled = m.network[t] >= 0
    hour = HourOfTries(model, way, smuggled)
    count_tries(model, way, smuggled, hour)
    if hour.incident.any():
        for crossing in sorted(set(WAY_TRAFFIC[way[hour.incident]].tolist())):
            model.traffic.incident(crossing, model.hour)
    if hour.hurt.any():
        recovery = model.params.behaviour.injury_recovery_days
        m.recovered_day[t[hour.hurt]] = model.day + 1 + recovery
    removed = removals.remove_detected(model, t, hour.detected)
    if removed is None:
        removed = np.zeros(t.size, dtype=bool)
    m.tries[t] += 1
    ends = (hour.hurt | hour.found | (hour.failed & ~hour.again)) & ~removed
    walking.turn_back(model, t[ends])
    gone = t[hour.crosses | hour.dies]
    # after the others: the order in which rows are freed counts
    model.remove_migrants(np.concatenate([gone, t[removed]]))


_BY_WAY = np.array(
    [
        OUTCOME_INDEX[f"{outcome}_{way}"]
        for outcome in (
            "attempts",
            "crossings",
            "intrusions_stopped",
            "finds",
            "detections",
            "deaths",
        )
        for way in WAYS
    ]
)
"""Where :func:`count_tries` adds its per-way counts in the day's outcomes, outcome by outcome."""
_TOTALS = np.array(
    [
        OUTCOME_INDEX[name]
        for name in (
            "attempts_total",
            "smuggled_attempts",
            "crossings_total",
            "deaths",
            "injuries",
            "detections",
        )
    ]
)
"""Where :func:`count_tries` adds its totals."""
_NONE = 4
"""The code of a try that neither crossed, was stopped, was found nor died."""


def count_tries(
    model: CalaisModel, way: np.ndarray, smuggled: np.ndarray, hour: HourOfTries
) -> None:
    """Add an hour of tries to the day's outcomes, by name."""
    # a try crosses, is stopped, is found or dies, or none of these (one code each, as the
    # masks exclude each other): the per-way counts of all four in one bincount
    kind = np.full(way.size, _NONE, dtype=np.intp)
    for code, mask in enumerate((hour.crosses, hour.stopped, hour.found, hour.dies)):
        kind[mask] = code
    kind *= len(WAYS)
    kind += way
    per_way = np.bincount(kind, minlength=(_NONE + 1) * len(WAYS))[: _NONE * len(WAYS)]
    crossed, stopped, found, dies = per_way.reshape(_NONE, len(WAYS))
    detected = stopped + found
    values = model.counter.values
    values[_BY_WAY] += np.concatenate([hour.tries, crossed, stopped, found, detected, dies])
    values[_TOTALS] += [
        way.size,
        np.count_nonzero(smuggled),
        crossed.sum(),
        dies.sum(),
        np.count_nonzero(hour.hurt),
        detected.sum(),
    ]
    model.tries_today += hour.tries
    model.crossed_today += crossed
