"""CalaisModel: the world, and the order of a step.

A step is one hour. A model day runs from noon to noon, so that each night is whole inside one
day; the day's ``date`` is the date of its evening. The order within a day:

* noon: measures in force set the day's levers; fences are raised; units are redeployed towards
  recent tries; arrivals from upstream join the camp.
* every hour: traffic moves; units patrol; migrants on the way walk.
* at nightfall: migrants in the camp decide whether to go out tonight, choose a way in by what
  they believe of each way's chances, its distance and risk, and what networks offer; some buy
  a place.
* each night hour: migrants at a way in try: they cross, are detected (and walk back, or are
  removed), are hurt, die, or fail and try again within the night.
* at dawn: everyone still out walks back.
* before noon: the camp shares news and beliefs move; discouraged migrants claim asylum in
  France or leave; victims of trafficking may be identified; networks are dismantled and new
  ones enter; the day's outcomes are recorded.
"""

from __future__ import annotations

import functools
import math
from collections import deque

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import OrthogonalMooreGrid

from sim.measures.policies import Levers
from sim.model import going_out
from sim.model.agents import (
    BACK,
    CAMP,
    GONE,
    OUT,
    TRYING,
    EnforcementUnit,
    Migrant,
    MigrantStore,
    SmugglingNetwork,
)
from sim.model.outcomes import COLUMNS, OUTCOMES, DayCounter
from sim.model.traffic import Traffic
from sim.model.tries import WAY_TRAFFIC, HourOfTries
from sim.params import WAYS, per_way
from sim.scenario.loading import Scenario, build
from sim.world.geography import CalaisMap

NOON = 12
HOURS_PER_DAY = 24
ABROAD = (OUT, TRYING, BACK)  # the states of migrants out of the camp (all codes above CAMP)
assert min(ABROAD) > CAMP > GONE
NEWS_MEMORY = 0.7  # weight of earlier days in the camp's running success rate per way

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
        # the scenario's sections, looked up once (they are read every hour)
        self._behaviour = scenario.behaviour
        self._enforcement = scenario.enforcement
        self._smuggling = scenario.smuggling
        b = self._behaviour
        self._night = [self._is_night(clock) for clock in range(HOURS_PER_DAY)]
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
        self._route_hours = self._routes_hours()
        self.news = np.full(len(WAYS), scenario.behaviour.prior_success)
        self.recent_tries = np.ones(len(WAYS))
        self.tries_today = np.zeros(len(WAYS))
        self.crossed_today = np.zeros(len(WAYS))
        self.nights_today = np.zeros(len(WAYS))
        self.unmet_demand = 0.0
        self.removals_today = 0
        self.arrivals_due: deque[float] = deque()
        self.present_start = scenario.population.initial_migrants
        # Rows of migrants who may be out of the camp (a superset, in row order): the night's
        # phases look at these instead of scanning every row. Rebuilt from a full scan at
        # nightfall and whenever states are written from outside (``migrants_moved``).
        self._abroad = np.zeros(0, dtype=np.int64)
        self._abroad_stale = False
        self._patrols_due = 0  # hours whose patrol draws are not yet made (_flush_patrols)
        self._patrol_cells = [[(int(c), int(r)) for c, r in self.map.patrol_cells[w]] for w in WAYS]
        self._patrol_len = np.array([len(cells) for cells in self._patrol_cells])
        index = self.counter.index
        self._i_disruption = index["traffic_disruption_hours"]
        self._i_revenue = index["smuggling_revenue_eur"]
        self._add_migrants(scenario.population.initial_migrants)
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
        speed = self._behaviour.walk_speed_kmh
        return np.array([routes[w].hours(speed) for w in WAYS])

    def _add_migrants(self, n: int) -> None:
        """Newcomers join the camp with money, a pull to the UK, a claim or not, and priors."""
        if n <= 0:
            return
        pop, m = self.params.population, self.migrants
        rows = m.allocate(n)
        m.state[rows] = CAMP
        m.way[rows] = 0
        m.eta[rows] = 0
        m.tries[rows] = 0
        m.failures[rows] = 0
        m.money[rows] = pop.money_median_eur * np.exp(
            pop.money_spread * self.rng.standard_normal(n)
        )
        concentration = 8.0
        a = max(pop.uk_appeal_mean * concentration, 1e-3)
        b = max((1 - pop.uk_appeal_mean) * concentration, 1e-3)
        m.appeal[rows] = self.rng.beta(a, b, n)
        m.claim[rows] = self.rng.random(n) < pop.protection_share
        m.network[rows] = -1
        m.victim[rows] = False
        m.recovered_day[rows] = 0
        m.belief[rows] = self._behaviour.prior_success
        self._register_migrants(rows.tolist())

    def _remove_migrants(self, rows: np.ndarray) -> None:
        """Migrants of ``rows`` leave Calais: their Mesa agents are removed, their rows freed."""
        if rows.size == 0:
            return
        store = self.migrants.agents
        for r in rows.tolist():
            store[r].remove()
            store[r] = None
        self.migrants.release(rows)

    def _register_migrants(self, rows: list[int]) -> None:
        """Create a Mesa ``Migrant`` agent for each of ``rows``."""
        store = self.migrants.agents
        for r in rows:
            store[r] = Migrant(self, r)

    def migrants_moved(self) -> None:
        """Tell the model that migrants' states were written from outside its own phases.

        The model keeps the rows of migrants out of the camp between phases; writes through
        a ``Migrant``'s attributes call this themselves.
        """
        self._abroad_stale = True

    def _abroad_rows(self) -> tuple[np.ndarray, np.ndarray]:
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

    # --- helpers for agents and the map ------------------------------------------------------

    def patrol_cell(self, way: int) -> tuple[int, int]:
        """A random cell on the patrol line of a way in."""
        cells = self.map.patrol_cells[WAYS[way]]
        col, row = cells[self.rng.integers(len(cells))]
        return int(col), int(row)

    def migrant_cells(self, rows: np.ndarray) -> list[tuple[int, int]]:
        """Grid cells of the given migrants, from their state and how far they have walked."""
        m = self.migrants
        rows = np.asarray(rows, dtype=np.int64)
        camp = self.map.camp_cells
        cells = camp[rows % len(camp)]
        state = m.state[rows]
        abroad = state > CAMP
        if abroad.any():
            routes = self.map.routes()
            way = m.way[rows]
            for w, name in enumerate(WAYS):
                sel = np.flatnonzero(abroad & (way == w))
                if sel.size == 0:
                    continue
                route = routes[name]
                k = len(route.cells) - 1
                hours = max(self._route_hours[w], 1e-9)
                st = state[sel]
                left = np.where(st == TRYING, 0.0, m.eta[rows[sel]].astype(np.float64) / hours)
                frac = np.where(st == BACK, left, 1 - left)
                step = np.clip(np.round(frac * k), 0, k).astype(np.int64)
                cells[sel] = route.cells[step]
        return [(int(c), int(r)) for c, r in cells.tolist()]

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
            self._walk()
        if clock == self._night_start:
            self._set_out()
            abroad = True
        if abroad and self._night[clock]:
            self._try()
        if abroad and clock == self._night_end:
            self._dawn()
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
        """Every unit moves to another point of its way's patrol line, once for each hour
        since the last flush (``unit.patrol()``): the draws of all those hours at once, the
        same numbers in the same order as hour by hour, and each unit ends where the last
        hour put it. Called before anything else draws from ``rng``, and after each step."""
        hours, self._patrols_due = self._patrols_due, 0
        units = self.agents_by_type.get(EnforcementUnit)
        if not hours or not units:
            return
        units = list(units)
        cells = self._patrol_cells
        # one draw per unit and hour: a uniform pick of a cell of each unit's line
        last = self.rng.random(hours * len(units))[-len(units) :]
        for unit, u in zip(units, last.tolist(), strict=True):
            line = cells[unit.way]
            unit.pos = line[int(u * len(line))]

    def _is_night(self, clock: int) -> bool:
        b = self._behaviour
        if b.night_start_hour <= b.night_end_hour:
            return b.night_start_hour <= clock < b.night_end_hour
        return clock >= b.night_start_hour or clock < b.night_end_hour

    def run(self, days: int | None = None, progress=None) -> pd.DataFrame:
        """Run ``days`` days (default: the scenario's) and return the daily outcomes.

        Args:
            days: how many days to run from now.
            progress: optional callable taking the number of days done, called each day.
        """
        days = self.params.days if days is None else days
        for _ in range(days):
            if self._mesa_plain():
                self._advance(HOURS_PER_DAY)
                self._flush_patrols()
                self._mesa_skip(HOURS_PER_DAY)
            else:
                for _ in range(HOURS_PER_DAY):
                    self.step()
            if progress is not None:
                progress(self.day)
        return self.timeseries()

    def _mesa_plain(self) -> bool:
        """Whether Mesa's clock holds nothing but the hourly step: no simulator, no other
        event, ``step`` not replaced. Then :meth:`run` can move Mesa's time and step count
        over a day at once (:meth:`_mesa_skip`) instead of hour by hour through its events."""
        gen = getattr(self, "_default_schedule", None)
        events = getattr(getattr(self, "_event_list", None), "_events", None)
        if gen is None or events is None or len(events) != 1:
            return False
        schedule = gen.schedule
        user = getattr(getattr(self, "_user_step", None), "__func__", None)
        return (
            getattr(self, "_simulator", True) is None
            and user is CalaisModel.step  # a subclass's own step runs hour by hour
            and self.__dict__.get("step") == self._wrapped_step
            and gen.is_active
            and not getattr(gen, "_paused", True)
            and events[0] is gen._current_event
            and not events[0].CANCELED
            and events[0].time == self.time + 1
            and schedule.interval == 1.0
            and schedule.count is None
            and schedule.end is None
        )

    def _mesa_skip(self, hours: int) -> None:
        """Move Mesa's clock, step count and hourly event on by ``hours`` steps, as that many
        ``step()`` calls would have (see :meth:`_mesa_plain`)."""
        gen = self._default_schedule
        self._event_list.pop_event()
        self.time += hours
        self.steps += hours
        gen._execution_count += hours
        gen._schedule_next(self.time + 1)

    # --- noon: the day's measures, fences, units, arrivals ----------------------------------

    def _begin_day(self) -> None:
        self._flush_patrols()
        levers = Levers()
        for measure in self.params.measures:
            if measure.in_force(self.day):
                measure.apply(self, self.day - measure.start_day, levers)
        self.levers = levers
        levels = [self.map.fence_level(w) for w in WAYS]
        changed = False
        for w, way in enumerate(WAYS):
            if levers.fence[w] > levels[w] + 1e-12:
                self.map.raise_fence(way, float(levers.fence[w]))
                changed = True
        if changed:
            self._route_hours = self._routes_hours()
            levels = [self.map.fence_level(w) for w in WAYS]
        self.fence_levels = np.array(levels)
        self.traffic.set_day(
            levers.traffic_capacity, levers.clear_factor, levers.incident_hours_factor
        )
        self._deploy_units()
        self._arrive()
        self.removals_today = 0

    def _deploy_units(self) -> None:
        """Match units to the fund and the measures; move some towards recent tries."""
        levers, enf = self.levers, self._enforcement
        # However much money buys, no more units exist than the country's mobile forces.
        pinned_want = np.floor(np.minimum(levers.pinned_units, enf.max_units) + 0.5).astype(int)
        room = max(0, enf.max_units - int(pinned_want.sum()))
        movable_want = math.floor(min(enf.base_units + levers.movable_units, room) + 0.5)
        units = self.units
        pinned = [u for u in units if u.pinned]
        movable = [u for u in units if not u.pinned]
        for w in range(len(WAYS)):
            here = [u for u in pinned if u.way == w]
            for u in here[pinned_want[w] :]:
                u.remove()
            for _ in range(pinned_want[w] - len(here)):
                EnforcementUnit(self, w, pinned=True)
        for u in movable[movable_want:]:
            u.remove()
        movable = movable[:movable_want]
        target = self._share_out(movable_want, self.recent_tries)
        current = np.bincount([u.way for u in movable], minlength=3)
        for _ in range(movable_want - len(movable)):
            w = int(np.argmax(target - current))
            movable.append(EnforcementUnit(self, w, pinned=False))
            current[w] += 1
        moves = math.floor(enf.redeploy_share * movable_want + 0.5)
        for _ in range(moves):
            gap = target - current
            src, dst = int(np.argmin(gap)), int(np.argmax(gap))
            if gap[dst] <= 0 or gap[src] >= 0:
                break
            unit = next(u for u in movable if u.way == src)
            unit.redeploy(dst)
            current[src] -= 1
            current[dst] += 1
        self.units_at = np.bincount([u.way for u in self.units], minlength=3).astype(float)

    @staticmethod
    def _share_out(n: int, weights: np.ndarray) -> np.ndarray:
        """Split ``n`` whole units in proportion to ``weights`` (largest remainders)."""
        if n <= 0:
            return np.zeros(len(weights), dtype=int)
        quota = n * weights / weights.sum()
        base = np.floor(quota).astype(int)
        order = np.argsort(-(quota - base), kind="stable")
        base[order[: n - base.sum()]] += 1
        return base

    def _arrive(self) -> None:
        pop, levers = self.params.population, self.levers
        expected = pop.daily_arrivals * levers.arrivals_factor
        held = expected * levers.arrivals_delayed_share
        while len(self.arrivals_due) <= levers.arrivals_delay_days:
            self.arrivals_due.append(0.0)
        self.arrivals_due[0] += expected - held
        self.arrivals_due[levers.arrivals_delay_days] += held
        n = int(self.rng.poisson(self.arrivals_due.popleft()))
        self._add_migrants(n)
        self.counter.add("arrivals", n)

    # --- the night -----------------------------------------------------------------------------

    def _walk(self) -> None:
        rows, state = self._abroad_rows()
        if rows.size == 0:
            return
        m = self.migrants
        walking = (state == OUT) | (state == BACK)
        moving = rows[walking]
        if moving.size == 0:
            return
        eta = m.eta[moving] - np.float32(1.0)
        m.eta[moving] = eta
        arrived = eta <= 0
        if arrived.any():
            done = moving[arrived]
            out = state[walking][arrived] == OUT
            m.state[done[out]] = TRYING
            m.state[done[~out]] = CAMP

    def _set_out(self) -> None:
        """Migrants in the camp choose to stay or a way in (:mod:`sim.model.going_out`); some
        buy a place."""
        self._flush_patrols()
        m = self.migrants
        h = m.high
        camp = np.flatnonzero((m.state[:h] == CAMP) & (m.recovered_day[:h] <= self.day))
        if camp.size == 0:
            return  # no one to choose: no draws either
        choice = going_out.choose(self, camp)
        goers = camp[choice >= 0]
        if goers.size == 0:
            return
        way = choice[choice >= 0].astype(np.int8)
        m.way[goers] = way
        m.state[goers] = OUT
        m.eta[goers] = self._route_hours[way]
        m.tries[goers] = 0
        m.network[goers] = -1
        gone_out = np.bincount(way, minlength=len(WAYS))
        self.nights_today += gone_out
        for w, name in enumerate(WAYS):
            self.counter.add(f"people_out_{name}", gone_out[w])
        self._abroad = np.flatnonzero(m.state[:h] > CAMP)
        self._abroad_stale = False
        self._sell_places(goers, way, self.networks)

    def opportunity(self) -> np.ndarray:
        """How much queued lorries raise each way's chances, as the camp hears of them."""
        return self.traffic.chance_multiplier()[WAY_TRAFFIC]

    def map_km(self) -> np.ndarray:
        """Walking distance from the camp to each way in, in km (fences lengthen it)."""
        return self._route_hours * self._behaviour.walk_speed_kmh

    def _sell_places(self, goers: np.ndarray, way: np.ndarray, networks: list) -> None:
        """Networks sell tonight's places to those who want one; record unmet demand."""
        m, sm = self.migrants, self._smuggling
        wants = self.rng.random(goers.size) < sm.buy_propensity
        pays = m.money[goers] >= sm.price_eur
        on_credit = ~pays & (self.rng.random(goers.size) < sm.debt_share)
        buys = wants & (pays | on_credit)
        buyers = goers[buys]
        buyer_way = way[buys]
        values = self.counter.values
        by_way: list[list[SmugglingNetwork]] = [[] for _ in WAYS]
        for net in networks:
            by_way[net.way].append(net)
        revenue = values[self._i_revenue]
        for w, nets in enumerate(by_way):
            here = buyers[buyer_way == w]
            if here.size == 0:
                continue
            here = self.rng.permutation(here)
            # the networks serve the shuffled buyers in turn, each up to its places
            ends = np.cumsum([max(0, n.places) for n in nets], dtype=np.int64)
            start = min(here.size, int(ends[-1])) if nets else 0
            if start:
                sold = here[:start]
                owner = np.searchsorted(ends, np.arange(start), side="right")
                price = np.array([n.price for n in nets], dtype=np.float64)[owner]
                paid = m.money[sold] >= price
                m.money[sold[paid]] -= price[paid]
                m.victim[sold[~paid]] = True
                m.network[sold] = np.array([n.unique_id for n in nets])[owner]
                n_sold = np.bincount(owner, minlength=len(nets)).tolist()
                n_paid = np.bincount(owner[paid], minlength=len(nets)).tolist()
            else:
                n_sold = n_paid = [0] * len(nets)
            for net, s, p in zip(nets, n_sold, n_paid, strict=True):
                net.sell(s, p)
                revenue += float(p) * net.price
            self.unmet_demand += max(0, here.size - start)
        values[self._i_revenue] = revenue

    def _try(self) -> None:
        """One hour of tries at the ways in, all at once (:mod:`sim.model.tries`)."""
        self._flush_patrols()
        m = self.migrants
        rows, state = self._abroad_rows()
        t = rows[state == TRYING]
        if t.size == 0:
            return
        way = m.way[t].astype(np.intp)
        smuggled = m.network[t] >= 0
        hour = HourOfTries(self, way, smuggled)
        self._count_tries(way, smuggled, hour)
        if hour.incident.any():
            for crossing in sorted(set(WAY_TRAFFIC[way[hour.incident]].tolist())):
                self.traffic.incident(crossing, self.hour)
        if hour.hurt.any():
            m.recovered_day[t[hour.hurt]] = self.day + 1 + self._behaviour.injury_recovery_days
        detected = hour.detected
        removed = self._remove_detected(t, detected)
        if removed is None:
            removed = np.zeros(t.size, dtype=bool)
        m.tries[t] += 1
        ends = (hour.hurt | hour.found | (hour.failed & ~hour.again)) & ~removed
        self._night_failed(t[ends])
        gone = t[hour.crosses | hour.dies]
        # after the others: the order in which rows are freed counts
        self._remove_migrants(np.concatenate([gone, t[removed]]))

    def _count_tries(self, way: np.ndarray, smuggled: np.ndarray, hour: HourOfTries) -> None:
        """Add an hour of tries to the day's outcomes, by name."""
        c = self.counter
        detected = hour.detected

        def per_way(mask: np.ndarray) -> list[int]:
            return np.bincount(way[mask], minlength=len(WAYS)).tolist()

        crossed = per_way(hour.crosses)
        by_way = {
            "attempts": hour.tries.tolist(),
            "crossings": crossed,
            "intrusions_stopped": per_way(hour.stopped),
            "finds": per_way(hour.found),
            "detections": per_way(detected),
            "deaths": per_way(hour.dies),
        }
        for outcome, counts in by_way.items():
            for name, n in zip(WAYS, counts, strict=True):
                c.add(f"{outcome}_{name}", n)
        c.add("attempts_total", way.size)
        c.add("smuggled_attempts", np.count_nonzero(smuggled))
        c.add("crossings_total", sum(crossed))
        c.add("deaths", sum(by_way["deaths"]))
        c.add("injuries", np.count_nonzero(hour.hurt))
        c.add("detections", sum(by_way["detections"]))
        self.tries_today += hour.tries
        self.crossed_today += crossed

    def _remove_detected(self, tries: np.ndarray, detected: np.ndarray) -> np.ndarray | None:
        """Removals: detected migrants with no protection claim, within the day's places.

        Returns which of ``tries`` are removed (a mask over ``tries``), or None if no one can be.
        """
        levers = self.levers
        room = int(levers.removal_capacity) - self.removals_today
        if levers.removal_share <= 0 or room <= 0 or not detected.any():
            return None
        m = self.migrants
        liable = np.flatnonzero(detected)
        liable = liable[~m.claim[tries[liable]]]
        chosen = liable[self.rng.random(liable.size) < levers.removal_share][:room]
        removed = np.zeros(tries.size, dtype=bool)
        removed[chosen] = True
        self.removals_today += chosen.size
        self.counter.add("removals", chosen.size)
        self.counter.add("spend_eur", chosen.size * levers.cost_per_removal)
        return removed

    def _night_failed(self, rows: np.ndarray) -> None:
        """The night ended without crossing: learn from it and walk back to the camp."""
        if rows.size == 0:
            return
        m, b = self.migrants, self._behaviour
        way = m.way[rows].astype(np.intp)
        m.belief[rows, way] *= 1 - b.learning_rate
        m.failures[rows] += 1
        m.state[rows] = BACK
        m.eta[rows] = self._route_hours[way]
        m.network[rows] = -1

    def _dawn(self) -> None:
        """Everyone still out turns back."""
        m = self.migrants
        rows, state = self._abroad_rows()
        if rows.size == 0:
            return
        self._night_failed(rows[state == TRYING])
        out = rows[state == OUT]
        if out.size:
            walked = self._route_hours[m.way[out].astype(np.intp)] - m.eta[out]
            m.state[out] = BACK
            m.eta[out] = np.maximum(walked, 0.0)
            m.network[out] = -1

    # --- before noon: news, decisions, networks, the day's record -----------------------

    def _end_day(self) -> None:
        self._flush_patrols()
        self._share_news()
        self._decide()
        self._identify_victims()
        self._networks_day()
        self._record()
        self.day += 1
        if self.day >= self.params.days:
            self.running = False

    def _share_news(self) -> None:
        """The camp hears how each way went; beliefs move towards what is heard."""
        m, b = self.migrants, self._behaviour
        rate = np.where(
            self.nights_today > 0, self.crossed_today / np.maximum(self.nights_today, 1), self.news
        )
        self.news = NEWS_MEMORY * self.news + (1 - NEWS_MEMORY) * rate
        self.recent_tries = 0.5 * self.recent_tries + 0.5 * (self.tries_today + 1)
        h = m.high
        belief = m.belief[:h]
        moved = belief + b.social_rate * (self.news[None, :] - belief)
        np.copyto(belief, moved, casting="same_kind", where=(m.state[:h] == CAMP)[:, None])
        self.crossed_today = np.zeros(len(WAYS))
        self.tries_today = np.zeros(len(WAYS))
        self.nights_today = np.zeros(len(WAYS))

    def _decide(self) -> None:
        """Campaigns reach the camp; some claim asylum in France; the hopeless give up on
        Calais, along the coast or out of the region (ODD 7.7)."""
        m, b, levers = self.migrants, self._behaviour, self.levers
        camp = np.flatnonzero(m.state[: m.high] == CAMP)
        if camp.size == 0:
            return
        if levers.campaign_reach > 0:
            reached = camp[self.rng.random(camp.size) < levers.campaign_reach]
            m.appeal[reached] = np.maximum(m.appeal[reached] - levers.appeal_shift, 0.0)
        failures = m.failures[camp]
        discouraged = failures / (failures + b.give_up_failures)
        best = m.belief[camp].max(axis=1)
        hopeless = np.clip(1.0 - best / b.prior_success, 0.0, 1.0)
        p_asylum = b.asylum_hazard * (1 - m.appeal[camp]) * (0.25 + discouraged)
        p_leave = b.departure_hazard * hopeless
        u = self.rng.random(camp.size)
        asylum = camp[u < p_asylum]
        leaving = (u >= p_asylum) & (u < p_asylum + p_leave)
        coast = leaving & (self.rng.random(camp.size) < b.coast_share)
        self.counter.add("asylum_claims_france", asylum.size)
        self.counter.add("displaced", np.count_nonzero(coast))
        self.counter.add("departures", np.count_nonzero(leaving & ~coast))
        self._remove_migrants(np.concatenate([asylum, camp[coast], camp[leaving & ~coast]]))

    def _identify_victims(self) -> None:
        rate = self.levers.victim_identification
        if rate <= 0:
            return
        m = self.migrants
        h = m.high
        victims = np.flatnonzero(m.victim[:h] & (m.state[:h] == CAMP))
        found = victims[self.rng.random(victims.size) < rate]
        self.counter.add("victims_protected", found.size)
        self._remove_migrants(found)

    def _networks_day(self) -> None:
        """Investigators dismantle networks; new ones enter where demand went unmet."""
        sm, levers = self._smuggling, self.levers
        hazard = min(1.0, sm.dismantle_hazard * levers.dismantle_factor)
        networks = self.networks
        # one draw for all networks: the same numbers as ``net.investigated`` one by one
        caught = (self.rng.random(len(networks)) < hazard).tolist()
        for net, found in zip(networks, caught, strict=True):
            net.sold_tonight = 0
            if found:
                self.counter.add("networks_dismantled", 1)
                net.remove()
        room = sm.max_networks - len(self.agents_by_type.get(SmugglingNetwork, ()))
        expected = self.unmet_demand / sm.entry_demand * levers.entry_factor
        entrants = min(room, int(self.rng.poisson(expected))) if room > 0 else 0
        weights = self.recent_tries / self.recent_tries.sum()
        for _ in range(entrants):
            way = int(self.rng.choice(len(WAYS), p=weights))
            SmugglingNetwork(self, way, sm.places_per_night, sm.price_eur)
        self.unmet_demand = 0.0

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
        """The daily outcomes so far, one row a day, columns as in :data:`sim.metrics.COLUMNS`."""
        values = np.array(self.rows).reshape(len(self.rows), len(OUTCOMES))
        days = np.arange(len(self.rows))
        start = np.datetime64(self.params.date_of(0), "D")
        columns: dict[str, np.ndarray] = {
            "day": days,
            "date": (start + days).astype("datetime64[s]"),
        }
        for i, o in enumerate(OUTCOMES):
            column = values[:, i]
            if o.unit in ("people", "tries", "networks", "units"):
                column = column.round().astype("int64")
            columns[o.name] = column
        return pd.DataFrame({name: columns[name] for name in COLUMNS})


__all__ = ["GONE", "CalaisModel", "default_map"]
