"""CalaisModel: the world, and the order of a step (ODD section 3).

A step is one hour. A model day runs from noon to noon, so that each night is whole inside one
day; the day's ``date`` is the date of its evening. The order within a day, each phase a named
submodel of ODD section 7 in its own module:

* noon: measures in force set the day's levers (:mod:`sim.measures`); fences are raised; units
  are redeployed towards recent tries (:mod:`~sim.model.deployment`); arrivals from upstream
  join the camp (:mod:`~sim.model.arrivals`).
* every hour: traffic moves (:mod:`~sim.model.traffic`); units patrol
  (:func:`~sim.model.deployment.patrol`); migrants on the way walk (:mod:`~sim.model.walking`).
* at nightfall: migrants in the camp decide whether to go out tonight and choose a way in by
  what they believe of each way's chances, its distance and risk, and what networks offer
  (:mod:`~sim.model.going_out`); some buy a place (:mod:`~sim.model.places`).
* each night hour: migrants at a way in try (:mod:`~sim.model.tries`): they cross, are detected
  (and walk back, or are removed: :mod:`~sim.model.removals`), are hurt, die, or fail and try
  again within the night.
* at dawn: everyone still out walks back (:func:`~sim.model.walking.dawn`).
* before noon: the camp shares news and beliefs move (:mod:`~sim.model.news`); discouraged
  migrants claim asylum in France or leave (:mod:`~sim.model.giving_up`); victims of
  trafficking may be identified (:mod:`~sim.model.victims`); networks are dismantled and new
  ones enter (:mod:`~sim.model.networks`); the day's outcomes are recorded
  (:mod:`~sim.model.outcomes`).

The model keeps the wiring (state, registries of agents) and this order only.
"""

from __future__ import annotations

import functools
from collections import deque

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import OrthogonalMooreGrid

from sim.measures.policies import Levers
from sim.model import (
    arrivals,
    deployment,
    giving_up,
    going_out,
    mesa_clock,
    networks,
    news,
    tries,
    victims,
    walking,
)
from sim.model.agents import (
    CAMP,
    GONE,
    EnforcementUnit,
    Migrant,
    MigrantStore,
    SmugglingNetwork,
)
from sim.model.outcomes import DayCounter, daily_table
from sim.model.traffic import Traffic
from sim.model.tries import WAY_TRAFFIC
from sim.params import WAYS, per_way
from sim.scenario.loading import Scenario, build
from sim.world.geography import CalaisMap

NOON = 12
HOURS_PER_DAY = 24

_MAP_CACHE: dict[str, CalaisMap] = {}


def default_map() -> CalaisMap:
    """The packaged map of Calais, loaded once per process (each model copies it)."""
    if "calais" not in _MAP_CACHE:
        _MAP_CACHE["calais"] = CalaisMap.load()
    return _MAP_CACHE["calais"]


class CalaisModel(mesa.Model):
    """Migrants, smuggling networks, enforcement units and traffic at Calais.

    Args:
        scenario: the resolved scenario (defaults: the built-in baseline).
        seed: overrides the scenario's seed; an int or a ``numpy.random.SeedSequence``.
        calais_map: the map to use (defaults: the packaged map of Calais).
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        seed: int | np.random.SeedSequence | None = None,
        calais_map: CalaisMap | None = None,
    ) -> None:
        scenario = scenario if scenario is not None else build({"name": "default"})
        if seed is None:
            seed = scenario.seed
        seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        super().__init__(rng=np.random.default_rng(seq))
        self.params: Scenario = scenario
        self.seed_sequence = seq
        b = scenario.behaviour
        self._night = [self.is_night(clock) for clock in range(HOURS_PER_DAY)]
        self._night_start, self._night_end = b.night_start_hour, b.night_end_hour
        self.map = (calais_map or default_map()).copy()
        self.day = 0
        self.hour = 0  # hours since the start
        self.levers = Levers()
        self.counter = DayCounter()
        self.rows: list[np.ndarray] = []
        self.migrants = MigrantStore(max(1024, scenario.population.initial_migrants * 2))
        self.traffic = Traffic(scenario.traffic)
        self._set_constants()
        self.route_hours = self._routes_hours()
        """Hours of walking from the camp to each way in (fences lengthen them)."""
        self.news = np.full(len(WAYS), b.prior_success)
        self.crowd = np.zeros(len(WAYS))  # who went out to each way last night (ODD 7.2)
        self.recent_tries = np.ones(len(WAYS))
        self.tries_today = np.zeros(len(WAYS))
        self.crossed_today = np.zeros(len(WAYS))
        self.nights_today = np.zeros(len(WAYS))
        self.unmet_demand = 0.0
        self.removals_today = 0
        self.arrivals_due: deque[float] = deque()
        self.present_start = scenario.population.initial_migrants
        # Rows of migrants who may be out of the camp (a superset, in row order): the night's
        # phases look at these instead of scanning every row. Rebuilt from a full scan
        # whenever states are written from outside the night's phases (``migrants_moved``).
        self._abroad = np.zeros(0, dtype=np.int64)
        self._abroad_stale = False
        self._patrols_due = 0  # hours whose patrol draws are not yet made (_flush_patrols)
        self.patrol_lines = [[(int(c), int(r)) for c, r in self.map.patrol_cells[w]] for w in WAYS]
        """The cells of each way's patrol line, as (column, row)."""
        self._i_disruption = self.counter.index["traffic_disruption_hours"]
        arrivals.newcomers(self, scenario.population.initial_migrants)
        sm = scenario.smuggling
        for i in range(sm.initial_networks):
            SmugglingNetwork(self, i % len(WAYS), sm.places_per_night, sm.price_eur)
        self.running = True

    # --- set-up ---------------------------------------------------------------------------

    def _set_constants(self) -> None:
        s = self.params
        self.base_detection = np.array(per_way(s.enforcement, "base_detection"))
        self.perimeter_detection = np.array(per_way(s.enforcement, "perimeter_detection"))
        self.cross_chance = np.array(per_way(s.traffic, "cross_chance"))
        self.death_chance = np.array(per_way(s.risk, "death_chance"))
        self.injury_chance = np.array(per_way(s.risk, "injury_chance"))
        self.incident_chance = np.array(
            [
                s.traffic.incident_chance_port,
                s.traffic.incident_chance_port,
                s.traffic.incident_chance_tunnel,
            ]
        )

    def _routes_hours(self) -> np.ndarray:
        routes = self.map.routes()
        speed = self.params.behaviour.walk_speed_kmh
        return np.array([routes[w].hours(speed) for w in WAYS])

    def is_night(self, clock: int) -> bool:
        """Whether hour ``clock`` of a day (0-23) is in the night, when migrants go out."""
        b = self.params.behaviour
        if b.night_start_hour <= b.night_end_hour:
            return b.night_start_hour <= clock < b.night_end_hour
        return clock >= b.night_start_hour or clock < b.night_end_hour

    # --- the migrants as Mesa agents -------------------------------------------------------

    def register_migrants(self, rows: list[int]) -> None:
        """Create a Mesa ``Migrant`` agent for each of ``rows`` (Mesa registers each)."""
        store = self.migrants.agents
        for r in rows:
            store[r] = Migrant(self, r)

    def remove_migrants(self, rows: np.ndarray) -> None:
        """Migrants of ``rows`` leave Calais: their Mesa agents are removed, their rows freed."""
        if rows.size == 0:
            return
        store = self.migrants.agents
        for r in rows.tolist():
            store[r].remove()
            store[r] = None
        self.migrants.release(rows)

    def migrants_moved(self) -> None:
        """Tell the model that migrants' states were written other than by the night's walking
        and tries (going out, or a write through a ``Migrant``'s attributes, which calls this
        itself): the rows of migrants out of the camp are found again when next needed."""
        self._abroad_stale = True

    def abroad_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows of migrants out of the camp now (walking out, trying, walking back), in order,
        and their states."""
        m = self.migrants
        if self._abroad_stale:
            self._abroad = np.flatnonzero(m.state[: m.high] > CAMP)
            self._abroad_stale = False
        rows = self._abroad
        state = m.state[rows]
        out = state > CAMP
        if not out.all():
            rows = self._abroad = rows[out]
            state = state[out]
        return rows, state

    # --- helpers for agents, submodels and the map -------------------------------------------

    def patrol_cell(self, way: int) -> tuple[int, int]:
        """A random cell on the patrol line of a way in."""
        cells = self.map.patrol_cells[WAYS[way]]
        col, row = cells[self.rng.integers(len(cells))]
        return int(col), int(row)

    def migrant_cells(self, rows: np.ndarray) -> list[tuple[int, int]]:
        """Grid cells of the given migrants (:func:`sim.model.walking.cells`)."""
        return walking.cells(self, rows)

    def opportunity(self) -> np.ndarray:
        """How much queued lorries raise each way's chances, as the camp hears of them."""
        return self.traffic.chance_multiplier()[WAY_TRAFFIC]

    def map_km(self) -> np.ndarray:
        """Walking distance from the camp to each way in, in km (fences lengthen it)."""
        return self.route_hours * self.params.behaviour.walk_speed_kmh

    @functools.cached_property
    def grid(self) -> OrthogonalMooreGrid:
        """The map of Calais as a Mesa ``OrthogonalMooreGrid`` with the property layers
        ``terrain`` and ``fence`` (built on first use; see :meth:`CalaisMap.mesa_grid`)."""
        return self.map.mesa_grid(self.random)

    @property
    def clock(self) -> int:
        """Clock hour of the step about to run."""
        return (NOON + self.hour) % HOURS_PER_DAY

    @property
    def units(self) -> list[EnforcementUnit]:
        """Enforcement units, in creation order."""
        return list(self.agents_by_type.get(EnforcementUnit, ()))

    @property
    def networks(self) -> list[SmugglingNetwork]:
        """Smuggling networks operating, in creation order."""
        return list(self.agents_by_type.get(SmugglingNetwork, ()))

    # --- the step ----------------------------------------------------------------------------

    def step(self) -> None:
        """Advance the model by one hour (Mesa's step): afterwards every unit stands where it
        patrols this hour and the random stream is where the hour left it."""
        self._hour()
        self._flush_patrols()

    def _hour(self) -> None:
        """One hour; the units' patrol draws are left due (:meth:`_flush_patrols`)."""
        clock = (NOON + self.hour) % HOURS_PER_DAY
        if clock == NOON:
            self._begin_day()
        lost = self.traffic.step(self.hour)
        if lost:
            self.counter.values[self._i_disruption] += lost
        self._patrols_due += 1
        abroad = self._abroad.size or self._abroad_stale  # anyone out of the camp
        if abroad:
            walking.walk(self)
        if clock == self._night_start:
            self._set_out()
            abroad = True
        if abroad and self._night[clock]:
            self._try()
        if abroad and clock == self._night_end:
            walking.dawn(self)
        self.hour += 1
        if (clock + 1) % HOURS_PER_DAY == NOON:
            self._end_day()

    def _advance(self, hours: int) -> None:
        """Run ``hours`` hours, the same as as many :meth:`_hour` calls, but each span of quiet
        hours (no one out of the camp, no nightfall, no noon) in one go: traffic moves over
        the span in one call, the patrols' draws are left due, and nothing else happens."""
        end = self.hour + hours
        while self.hour < end:
            clock = (NOON + self.hour) % HOURS_PER_DAY
            if clock in (NOON, self._night_start) or self._abroad.size or self._abroad_stale:
                self._hour()
                continue
            # quiet until nightfall or noon, whichever comes first, or the end of the call
            to_night = (self._night_start - clock) % HOURS_PER_DAY
            to_noon = (NOON - clock) % HOURS_PER_DAY
            span = min(to_night, to_noon, end - self.hour)
            values = self.counter.values
            values[self._i_disruption] = self.traffic.advance(
                self.hour, span, float(values[self._i_disruption])
            )
            self._patrols_due += span
            self.hour += span
            if span == to_noon:
                self._end_day()

    def _flush_patrols(self) -> None:
        """The patrols of the hours since the last flush (:func:`sim.model.deployment.patrol`),
        drawn at once. Called before anything else draws from ``rng``, and after each step."""
        hours, self._patrols_due = self._patrols_due, 0
        deployment.patrol(self, hours)

    def run(self, days: int | None = None, progress=None) -> pd.DataFrame:
        """Run ``days`` days (default: the scenario's) and return the daily outcomes.

        Args:
            days: how many days to run from now.
            progress: optional callable taking the number of days done, called each day.
        """
        days = self.params.days if days is None else days
        for _ in range(days):
            if mesa_clock.only_hourly_steps(self, CalaisModel.step):
                self._advance(HOURS_PER_DAY)
                self._flush_patrols()
                mesa_clock.skip(self, HOURS_PER_DAY)
            else:
                for _ in range(HOURS_PER_DAY):
                    self.step()
            if progress is not None:
                progress(self.day)
        return self.timeseries()

    # --- noon, nightfall, the night's tries, and before noon ------------------------------

    def _begin_day(self) -> None:
        """Noon: the day's levers, fences, units and arrivals."""
        self._flush_patrols()
        levers = Levers()
        for measure in self.params.measures:
            if measure.in_force(self.day):
                measure.apply(self, self.day - measure.start_day, levers)
        self.levers = levers
        self._raise_fences()
        self.traffic.set_day(
            levers.traffic_capacity, levers.clear_factor, levers.incident_hours_factor
        )
        deployment.deploy_units(self)
        arrivals.arrive(self)
        self.removals_today = 0

    def _raise_fences(self) -> None:
        """Raise each fence to the day's level, if higher; routes lengthen with them."""
        levels = [self.map.fence_level(w) for w in WAYS]
        changed = False
        for w, way in enumerate(WAYS):
            if self.levers.fence[w] > levels[w] + 1e-12:
                self.map.raise_fence(way, float(self.levers.fence[w]))
                changed = True
        if changed:
            self.route_hours = self._routes_hours()
            levels = [self.map.fence_level(w) for w in WAYS]
        self.fence_levels = np.array(levels)

    def _set_out(self) -> None:
        """Nightfall (:func:`sim.model.going_out.set_out`)."""
        self._flush_patrols()
        going_out.set_out(self)

    def _try(self) -> None:
        """An hour of tries (:func:`sim.model.tries.try_hour`)."""
        self._flush_patrols()
        tries.try_hour(self)

    def _end_day(self) -> None:
        """Before noon: news, decisions, victims, networks, the day's record."""
        self._flush_patrols()
        news.share_news(self)
        giving_up.decide(self)
        victims.identify_victims(self)
        networks.networks_day(self)
        self._record()
        self.day += 1
        if self.day >= self.params.days:
            self.running = False

    def _record(self) -> None:
        c = self.counter
        c.set("migrants_present", self.migrants.count())
        c.set("networks_active", len(self.agents_by_type.get(SmugglingNetwork, ())))
        c.set("enforcement_units", len(self.agents_by_type.get(EnforcementUnit, ())))
        c.set("lorry_queue", self.traffic.queued())
        c.add("spend_eur", self.levers.spend_eur)
        self.rows.append(c.close())

    # --- results ---------------------------------------------------------------------------

    def timeseries(self) -> pd.DataFrame:
        """The daily outcomes so far, one row a day (:func:`sim.model.outcomes.daily_table`)."""
        return daily_table(self.rows, self.params.date_of(0))


__all__ = ["GONE", "CalaisModel", "default_map"]
