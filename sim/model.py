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

import math
from collections import deque

import mesa
import numpy as np
import pandas as pd

from sim.agents import (
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
from sim.geography import CalaisMap
from sim.metrics import COLUMNS, OUTCOMES, DayCounter
from sim.params import WAYS, per_way
from sim.policies import Levers
from sim.scenario import Scenario, build
from sim.traffic import PORT as TRAFFIC_PORT
from sim.traffic import TUNNEL as TRAFFIC_TUNNEL
from sim.traffic import Traffic

NOON = 12
HOURS_PER_DAY = 24
# Which traffic stream each way in depends on: the beach route ends in the port.
WAY_TRAFFIC = np.array([TRAFFIC_PORT, TRAFFIC_PORT, TRAFFIC_TUNNEL])
NEWS_MEMORY = 0.7  # weight of earlier days in the camp's running success rate per way
MAX_CROSS_CHANCE = 0.9

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
        self._add_migrants(scenario.population.initial_migrants)
        sm = scenario.smuggling
        for i in range(sm.initial_networks):
            SmugglingNetwork(self, i % len(WAYS), sm.places_per_night, sm.price_eur)
        self.running = True

    # --- set-up ---------------------------------------------------------------------------

    def _set_constants(self) -> None:
        s = self.params
        self.base_detection = np.array(per_way(s.enforcement, "base_detection"))
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
        m.belief[rows] = self.params.behaviour.prior_success
        for r in rows.tolist():
            m.agents[r] = Migrant(self, r)

    def _remove_migrants(self, rows: np.ndarray) -> None:
        m = self.migrants
        for r in rows.tolist():
            m.agents[r].remove()
            m.agents[r] = None
        m.release(rows)

    # --- helpers for agents and the map ------------------------------------------------------

    def patrol_cell(self, way: int) -> tuple[int, int]:
        """A random cell on the patrol line of a way in."""
        cells = self.map.patrol_cells[WAYS[way]]
        col, row = cells[self.rng.integers(len(cells))]
        return int(col), int(row)

    def migrant_cells(self, rows: np.ndarray) -> list[tuple[int, int]]:
        """Grid cells of the given migrants, from their state and how far they have walked."""
        m = self.migrants
        routes = self.map.routes()
        camp = self.map.camp_cells
        out: list[tuple[int, int]] = []
        for r in rows.tolist():
            state = m.state[r]
            if state in (OUT, BACK, TRYING):
                route = routes[WAYS[m.way[r]]]
                k = len(route.cells) - 1
                hours = max(self._route_hours[m.way[r]], 1e-9)
                left = 0.0 if state == TRYING else float(m.eta[r]) / hours
                frac = 1 - left if state in (OUT, TRYING) else left
                col, row = route.cells[min(k, max(0, round(frac * k)))]
            else:
                col, row = camp[r % len(camp)]
            out.append((int(col), int(row)))
        return out

    @property
    def clock(self) -> int:
        """Clock hour of the step about to run."""
        return (NOON + self.hour) % HOURS_PER_DAY

    @property
    def units(self) -> list[EnforcementUnit]:
        """Enforcement units, in creation order."""
        return list(self.agents_by_type.get(EnforcementUnit, []))

    @property
    def networks(self) -> list[SmugglingNetwork]:
        """Smuggling networks operating, in creation order."""
        return list(self.agents_by_type.get(SmugglingNetwork, []))

    # --- the step ----------------------------------------------------------------------------

    def step(self) -> None:
        """Advance the model by one hour."""
        clock = self.clock
        behaviour = self.params.behaviour
        if clock == NOON:
            self._begin_day()
        self.counter.add("traffic_disruption_hours", self.traffic.step(self.hour))
        for unit in self.units:
            unit.patrol()
        self._walk()
        if clock == behaviour.night_start_hour:
            self._set_out()
        if self._is_night(clock):
            self._try()
        if clock == behaviour.night_end_hour:
            self._dawn()
        self.hour += 1
        if self.clock == NOON:
            self._end_day()

    def _is_night(self, clock: int) -> bool:
        b = self.params.behaviour
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
            for _ in range(HOURS_PER_DAY):
                self.step()
            if progress is not None:
                progress(self.day)
        return self.timeseries()

    # --- noon: the day's measures, fences, units, arrivals ----------------------------------

    def _begin_day(self) -> None:
        levers = Levers()
        for measure in self.params.measures:
            if measure.in_force(self.day):
                measure.apply(self, self.day - measure.start_day, levers)
        self.levers = levers
        changed = False
        for w, way in enumerate(WAYS):
            if levers.fence[w] > self.map.fence_level(way) + 1e-12:
                self.map.raise_fence(way, float(levers.fence[w]))
                changed = True
        if changed:
            self._route_hours = self._routes_hours()
        self.fence_levels = np.array([self.map.fence_level(w) for w in WAYS])
        self.traffic.set_day(
            levers.traffic_capacity, levers.clear_factor, levers.incident_hours_factor
        )
        self._deploy_units()
        self._arrive()
        self.removals_today = 0

    def _deploy_units(self) -> None:
        """Match units to the fund and the measures; move some towards recent tries."""
        levers, enf = self.levers, self.params.enforcement
        pinned_want = np.floor(levers.pinned_units + 0.5).astype(int)
        movable_want = math.floor(enf.base_units + levers.movable_units + 0.5)
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
        for _ in range(movable_want - len(movable)):
            w = int(np.argmax(target - np.bincount([u.way for u in movable], minlength=3)))
            movable.append(EnforcementUnit(self, w, pinned=False))
        current = np.bincount([u.way for u in movable], minlength=3)
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
        m = self.migrants
        moving = np.flatnonzero((m.state == OUT) | (m.state == BACK))
        if moving.size == 0:
            return
        m.eta[moving] -= 1.0
        done = moving[m.eta[moving] <= 0]
        out = done[m.state[done] == OUT]
        m.state[out] = TRYING
        m.state[done[m.state[done] == BACK]] = CAMP

    def _set_out(self) -> None:
        """Migrants in the camp decide whether to go out, where, and whether to buy a place."""
        m, b, sm = self.migrants, self.params.behaviour, self.params.smuggling
        camp = np.flatnonzero((m.state == CAMP) & (m.recovered_day <= self.day))
        goers = camp[self.rng.random(camp.size) < b.try_propensity]
        if goers.size == 0:
            return
        networks = self.networks
        places = np.zeros(len(WAYS))
        for net in networks:
            places[net.way] += net.places
        offered = places > 0
        can_pay = m.money[goers] >= sm.price_eur
        chance = m.belief[goers].astype(float)
        boosted = np.minimum(chance * sm.success_multiplier, 1.0)
        with_help = offered[None, :] & can_pay[:, None]
        chance = np.where(with_help, boosted, chance)
        risk = self.death_chance + self.injury_chance
        utility = (
            b.success_weight * np.log(np.maximum(chance, 1e-6))
            - b.distance_weight * self.map_km()[None, :]
            - b.risk_weight * risk[None, :]
        )
        utility += self.rng.gumbel(size=utility.shape)
        way = np.argmax(utility, axis=1).astype(np.int8)
        m.way[goers] = way
        m.state[goers] = OUT
        m.eta[goers] = self._route_hours[way]
        m.tries[goers] = 0
        m.network[goers] = -1
        self.nights_today += np.bincount(way, minlength=len(WAYS))
        self._sell_places(goers, way, networks)

    def map_km(self) -> np.ndarray:
        """Walking distance from the camp to each way in, in km (fences lengthen it)."""
        return self._route_hours * self.params.behaviour.walk_speed_kmh

    def _sell_places(self, goers: np.ndarray, way: np.ndarray, networks: list) -> None:
        """Networks sell tonight's places to those who want one; record unmet demand."""
        m, sm = self.migrants, self.params.smuggling
        wants = self.rng.random(goers.size) < sm.buy_propensity
        pays = m.money[goers] >= sm.price_eur
        on_credit = ~pays & (self.rng.random(goers.size) < sm.debt_share)
        buyers = goers[wants & (pays | on_credit)]
        buyer_way = way[wants & (pays | on_credit)]
        for w in range(len(WAYS)):
            here = buyers[buyer_way == w]
            nets = [n for n in networks if n.way == w]
            if here.size == 0:
                continue
            here = self.rng.permutation(here)
            start = 0
            for net in nets:
                sold = here[start : start + net.places]
                start += sold.size
                paid = m.money[sold] >= net.price
                m.money[sold[paid]] -= net.price
                m.victim[sold[~paid]] = True
                m.network[sold] = net.unique_id
                net.sell(int(sold.size), int(paid.sum()))
                self.counter.add("smuggling_revenue_eur", float(paid.sum()) * net.price)
            self.unmet_demand += max(0, here.size - start)

    def _try(self) -> None:
        """One hour of tries at the ways in, all at once."""
        m = self.migrants
        t = np.flatnonzero(m.state == TRYING)
        if t.size == 0:
            return
        way = m.way[t].astype(np.intp)
        n_way = np.bincount(way, minlength=3).astype(float)
        levers, enf, sm = self.levers, self.params.enforcement, self.params.smuggling
        reach = np.minimum(1.0, self.units_at * enf.catches_per_unit_hour / np.maximum(n_way, 1))
        escape = (1 - np.minimum(1.0, self.base_detection + levers.detection_boost)) * (
            1 - enf.unit_efficacy * reach
        )
        detect_chance = 1 - escape
        queue_mult = self.traffic.chance_multiplier()[WAY_TRAFFIC]
        cross_chance = self.cross_chance * (1 - self.fence_levels) * queue_mult
        smuggled = m.network[t] >= 0
        boost = np.where(smuggled, sm.success_multiplier, 1.0)
        p_cross = np.minimum(cross_chance[way] * boost, MAX_CROSS_CHANCE)

        u = self.rng.random(t.size)
        dies = u < self.death_chance[way]
        hurt = ~dies & (u < self.death_chance[way] + self.injury_chance[way])
        rest = ~(dies | hurt)
        detected = rest & (self.rng.random(t.size) < detect_chance[way])
        crosses = rest & ~detected & (self.rng.random(t.size) < p_cross)
        failed = rest & ~detected & ~crosses

        c = self.counter
        tries = np.bincount(way, minlength=3)
        for w, name in enumerate(WAYS):
            c.add(f"attempts_{name}", tries[w])
        c.add("attempts_total", t.size)
        c.add("smuggled_attempts", int(smuggled.sum()))
        self.tries_today += tries
        crossed = np.bincount(way[crosses], minlength=3)
        for w, name in enumerate(WAYS):
            c.add(f"crossings_{name}", crossed[w])
        self.crossed_today += crossed
        c.add("crossings_total", int(crosses.sum()))
        c.add("deaths", int(dies.sum()))
        c.add("injuries", int(hurt.sum()))
        c.add("detections", int(detected.sum()))

        incidents = self.rng.random(t.size) < self.incident_chance[way]
        for crossing in np.unique(WAY_TRAFFIC[way[incidents]]):
            self.traffic.incident(int(crossing), self.hour)

        m.recovered_day[t[hurt]] = self.day + 1 + self.params.behaviour.injury_recovery_days
        removed = self._remove_detected(t[detected])
        m.tries[t[failed]] += 1
        spent = failed & (m.tries[t] >= self.params.behaviour.tries_per_night)
        ends = t[hurt | (detected & ~np.isin(t, removed)) | spent]
        self._night_failed(ends)
        self._remove_migrants(np.concatenate([t[crosses | dies], removed]))

    def _remove_detected(self, detected: np.ndarray) -> np.ndarray:
        """Removals: detected migrants with no protection claim, within the day's places."""
        levers = self.levers
        room = int(levers.removal_capacity) - self.removals_today
        if levers.removal_share <= 0 or room <= 0 or detected.size == 0:
            return detected[:0]
        m = self.migrants
        liable = detected[~m.claim[detected]]
        chosen = liable[self.rng.random(liable.size) < levers.removal_share][:room]
        self.removals_today += chosen.size
        self.counter.add("removals", chosen.size)
        self.counter.add("spend_eur", chosen.size * levers.cost_per_removal)
        return chosen

    def _night_failed(self, rows: np.ndarray) -> None:
        """The night ended without crossing: learn from it and walk back to the camp."""
        if rows.size == 0:
            return
        m, b = self.migrants, self.params.behaviour
        way = m.way[rows].astype(np.intp)
        m.belief[rows, way] *= 1 - b.learning_rate
        m.failures[rows] += 1
        m.state[rows] = BACK
        m.eta[rows] = self._route_hours[way]
        m.network[rows] = -1

    def _dawn(self) -> None:
        """Everyone still out turns back."""
        m = self.migrants
        trying = np.flatnonzero(m.state == TRYING)
        self._night_failed(trying)
        out = np.flatnonzero(m.state == OUT)
        if out.size:
            walked = self._route_hours[m.way[out].astype(np.intp)] - m.eta[out]
            m.state[out] = BACK
            m.eta[out] = np.maximum(walked, 0.0)
            m.network[out] = -1

    # --- before noon: news, decisions, networks, the day's record -----------------------

    def _end_day(self) -> None:
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
        m, b = self.migrants, self.params.behaviour
        rate = np.where(
            self.nights_today > 0, self.crossed_today / np.maximum(self.nights_today, 1), self.news
        )
        self.news = NEWS_MEMORY * self.news + (1 - NEWS_MEMORY) * rate
        self.recent_tries = 0.5 * self.recent_tries + 0.5 * (self.tries_today + 1)
        camp = np.flatnonzero(m.state == CAMP)
        m.belief[camp] += b.social_rate * (self.news[None, :] - m.belief[camp])
        self.crossed_today = np.zeros(len(WAYS))
        self.tries_today = np.zeros(len(WAYS))
        self.nights_today = np.zeros(len(WAYS))

    def _decide(self) -> None:
        """Campaigns reach the camp; discouraged migrants claim asylum in France or leave."""
        m, b, levers = self.migrants, self.params.behaviour, self.levers
        camp = np.flatnonzero(m.state == CAMP)
        if camp.size == 0:
            return
        if levers.campaign_reach > 0:
            reached = camp[self.rng.random(camp.size) < levers.campaign_reach]
            m.appeal[reached] = np.maximum(m.appeal[reached] - levers.appeal_shift, 0.0)
        discouraged = m.failures[camp] / (m.failures[camp] + b.give_up_failures)
        p_asylum = b.asylum_hazard * (1 - m.appeal[camp]) * (0.25 + discouraged)
        p_leave = b.departure_hazard * discouraged
        u = self.rng.random(camp.size)
        asylum = camp[u < p_asylum]
        leave = camp[(u >= p_asylum) & (u < p_asylum + p_leave)]
        self.counter.add("asylum_claims_france", asylum.size)
        self.counter.add("departures", leave.size)
        self._remove_migrants(np.concatenate([asylum, leave]))

    def _identify_victims(self) -> None:
        rate = self.levers.victim_identification
        if rate <= 0:
            return
        m = self.migrants
        victims = np.flatnonzero(m.victim & (m.state == CAMP))
        found = victims[self.rng.random(victims.size) < rate]
        self.counter.add("victims_protected", found.size)
        self._remove_migrants(found)

    def _networks_day(self) -> None:
        """Investigators dismantle networks; new ones enter where demand went unmet."""
        sm, levers = self.params.smuggling, self.levers
        hazard = min(1.0, sm.dismantle_hazard * levers.dismantle_factor)
        for net in self.networks:
            net.sold_tonight = 0
            if net.investigated(hazard):
                self.counter.add("networks_dismantled", 1)
                net.remove()
        room = sm.max_networks - len(self.networks)
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
        c.set("networks_active", len(self.networks))
        c.set("enforcement_units", len(self.units))
        c.set("lorry_queue", self.traffic.queued())
        c.add("spend_eur", self.levers.spend_eur)
        self.rows.append(c.close())

    # --- results ---------------------------------------------------------------------------

    def timeseries(self) -> pd.DataFrame:
        """The daily outcomes so far, one row a day, columns as in :data:`sim.metrics.COLUMNS`."""
        values = np.array(self.rows).reshape(len(self.rows), len(OUTCOMES))
        frame = pd.DataFrame(values, columns=[o.name for o in OUTCOMES])
        for o in OUTCOMES:
            if o.unit in ("people", "tries", "networks", "units"):
                frame[o.name] = frame[o.name].round().astype("int64")
        days = np.arange(len(self.rows))
        frame.insert(0, "date", [self.params.date_of(int(d)) for d in days])
        frame.insert(0, "day", days)
        frame["date"] = pd.to_datetime(frame["date"])
        return frame[list(COLUMNS)]


__all__ = ["GONE", "CalaisModel", "default_map"]
