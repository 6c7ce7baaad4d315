"""The day's submodels, exactly, on a stub model with chosen draws.

Arrivals, buying places, walking, removals, news, giving up, victim identification, networks
and deployment (``sim.model.arrivals`` ... ``sim.model.deployment``) are each run on a stub
model holding a real ``MigrantStore`` and ``DayCounter`` and a random generator that hands out
chosen numbers and records what it was asked for. Each result is checked against the
documented formula written out by hand (ODD 7.1-7.12), with draws just either side of each
chance, so a changed term, constant or comparison changes what happens to a known migrant.
These run in milliseconds, so the mutation run (``benchmarks/mutation.sh``) uses them.
"""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace

import numpy as np
import pytest

from sim.model import arrivals, deployment, giving_up, news, places, removals, victims, walking
from sim.model import networks as networks_module
from sim.model.agents import BACK, CAMP, GONE, OUT, TRYING, MigrantStore
from sim.model.outcomes import DayCounter


class Rng:
    """Hands out the given draws, method by method in order, and records each call."""

    def __init__(self, **draws) -> None:
        self.draws = {name: list(values) for name, values in draws.items()}
        self.calls: list[tuple] = []

    def _take(self, name: str, *args):
        self.calls.append((name, *args))
        return self.draws[name].pop(0)

    def _array(self, name: str, size, *args) -> np.ndarray:
        out = np.asarray(self._take(name, *args, size), dtype=float)
        assert out.shape == (size,)
        return out

    def random(self, size=None):
        if size is None:
            return float(self._take("random", None))
        return self._array("random", size)

    def standard_normal(self, size) -> np.ndarray:
        return self._array("standard_normal", size)

    def beta(self, a, b, size) -> np.ndarray:
        return self._array("beta", size, a, b)

    def poisson(self, lam):
        return self._take("poisson", lam)

    def permutation(self, x) -> np.ndarray:
        out = np.asarray(self._take("permutation", np.asarray(x).tolist()))
        assert sorted(out.tolist()) == sorted(np.asarray(x).tolist())
        return out

    def choice(self, n, p):
        return self._take("choice", n, np.asarray(p).tolist())

    def left(self) -> dict[str, list]:
        """Draws not handed out."""
        return {k: v for k, v in self.draws.items() if v}


class Stub:
    """A model with the attributes the day's submodels read and write."""

    def __init__(self, rng: Rng | None = None, **attrs) -> None:
        self.migrants = MigrantStore(64)  # no growth: rows are taken in order
        self.counter = DayCounter()
        self.rng = rng if rng is not None else Rng()
        self.registered: list[list[int]] = []
        self.removed: list[list[int]] = []
        self._units: list = []
        self._networks: list = []
        for key, value in attrs.items():
            setattr(self, key, value)

    def register_migrants(self, rows: list[int]) -> None:
        assert isinstance(rows, list)
        self.registered.append(rows)

    def remove_migrants(self, rows: np.ndarray) -> None:
        self.removed.append(np.asarray(rows).tolist())
        self.migrants.release(np.asarray(rows, dtype=np.int64))

    def abroad_rows(self) -> tuple[np.ndarray, np.ndarray]:
        m = self.migrants
        rows = np.flatnonzero(m.state[: m.high] > CAMP)
        return rows, m.state[rows]

    @property
    def units(self) -> list:
        return list(self._units)

    @property
    def networks(self) -> list:
        return list(self._networks)

    def count(self, name: str) -> float:
        return float(self.counter.values[self.counter.index[name]])


def people(model: Stub, state, **columns) -> np.ndarray:
    """Rows of new migrants in ``state`` (one a row), with the given columns."""
    state = np.asarray(state)
    rows = model.migrants.allocate(state.size)
    model.migrants.state[rows] = state
    for name, values in columns.items():
        getattr(model.migrants, name)[rows] = values
    return rows


# --- arrivals -------------------------------------------------------------------------------


def arrivals_model(rng: Rng, appeal_mean: float = 0.75, **levers) -> Stub:
    population = SimpleNamespace(
        money_median_eur=1000.0,
        money_spread=0.5,
        uk_appeal_mean=appeal_mean,
        protection_share=0.4,
        daily_arrivals=60.0,
    )
    behaviour = SimpleNamespace(prior_success=0.3)
    lever = dict(arrivals_factor=0.5, arrivals_delayed_share=0.25, arrivals_delay_days=2)
    lever.update(levers)
    return Stub(
        rng,
        params=SimpleNamespace(population=population, behaviour=behaviour),
        levers=SimpleNamespace(**lever),
        arrivals_due=deque([1.0]),
        news=np.array([0.02, 0.05, 0.01]),  # what the camp says of each way today
    )


def test_newcomers_have_money_appeal_claims_and_the_camps_news_and_nothing_left_over():
    rng = Rng(
        standard_normal=[[0.0, 1.0, -2.0]],
        beta=[[0.1, 0.5, 0.9]],
        random=[[0.39, 0.4, 0.41]],
    )
    model = arrivals_model(rng)
    m = model.migrants
    # rows a migrant left earlier hold its state: every column must be written again
    m.way[:3], m.eta[:3], m.tries[:3], m.failures[:3] = 2, 5.0, 3, 4
    m.network[:3], m.victim[:3], m.recovered_day[:3], m.belief[:3] = 7, True, 9, 0.9
    arrivals.newcomers(model, 3)
    assert list(m.state[:4]) == [CAMP, CAMP, CAMP, GONE]
    for column in ("way", "eta", "tries", "failures", "recovered_day"):
        assert list(getattr(m, column)[:3]) == [0, 0, 0], column
    assert list(m.network[:3]) == [-1, -1, -1]
    assert list(m.victim[:3]) == [False, False, False]
    assert m.money[:3] == pytest.approx(1000.0 * np.exp(0.5 * np.array([0.0, 1.0, -2.0])))
    # beta(mean x 8, (1 - mean) x 8)
    assert rng.calls[1] == ("beta", 6.0, 2.0, 3)
    assert m.appeal[:3] == pytest.approx([0.1, 0.5, 0.9])
    assert list(m.claim[:3]) == [True, False, False]  # protection share 0.4
    # a newcomer believes what the camp says of each way, not the prior it started from
    assert m.belief[:3] == pytest.approx(np.tile([0.02, 0.05, 0.01], (3, 1)))
    assert model.registered == [[0, 1, 2]]
    assert m.high == 3


@pytest.mark.parametrize(("mean", "a", "b"), [(1.0, 8.0, 1e-3), (0.0, 1e-3, 8.0)])
def test_an_appeal_mean_of_zero_or_one_keeps_the_beta_draw_defined(mean, a, b):
    rng = Rng(standard_normal=[[0.0]], beta=[[0.5]], random=[[0.5]])
    arrivals.newcomers(arrivals_model(rng, appeal_mean=mean), 1)
    assert rng.calls[1] == ("beta", pytest.approx(a), pytest.approx(b), 1)


@pytest.mark.parametrize("n", [0, -1])
def test_no_newcomers_draw_nothing(n):
    model = arrivals_model(Rng())
    arrivals.newcomers(model, n)
    assert model.rng.calls == [] and model.registered == [] and model.migrants.high == 0


def test_one_newcomer_joins():
    rng = Rng(standard_normal=[[0.0]], beta=[[0.5]], random=[[0.5]])
    model = arrivals_model(rng)
    arrivals.newcomers(model, 1)
    assert model.registered == [[0]]


def test_arrivals_are_the_day_s_due_with_the_held_share_delayed():
    rng = Rng(poisson=[2], standard_normal=[[0.0, 0.0]], beta=[[0.5, 0.5]], random=[[0.9, 0.9]])
    model = arrivals_model(rng)
    arrivals.arrive(model)
    # expected 60 x 0.5 = 30, of which 0.25 (7.5) held 2 days: today 1 (from before) + 22.5
    assert rng.calls[0] == ("poisson", pytest.approx(23.5))
    assert list(model.arrivals_due) == pytest.approx([0.0, 7.5])
    assert model.count("arrivals") == 2
    assert model.registered == [[0, 1]]


def test_arrivals_without_a_delay_are_all_due_today():
    rng = Rng(poisson=[0])
    model = arrivals_model(rng, arrivals_delay_days=0)
    model.arrivals_due = deque()
    arrivals.arrive(model)
    assert rng.calls == [("poisson", pytest.approx(30.0))]
    assert list(model.arrivals_due) == []
    assert model.count("arrivals") == 0


# --- places ---------------------------------------------------------------------------------


class Net:
    def __init__(self, way: int, places: int, price: float, uid: int) -> None:
        self.way, self.places, self.price, self.unique_id = way, places, price, uid
        self.sales: list[tuple[int, int]] = []

    def sell(self, buyers: int, paying: int) -> None:
        self.sales.append((buyers, paying))


def test_networks_sell_places_in_turn_to_those_who_want_and_pay_or_owe():
    money = [600.0, 400.0, 500.0, 100.0, 700.0, 800.0, 50.0, 900.0]
    way = [0, 0, 0, 0, 0, 2, 2, 1]
    rng = Rng(
        # wants a place: below buy propensity 0.5
        random=[
            [0.1, 0.2, 0.49, 0.5, 0.1, 0.1, 0.1, 0.1],
            # on credit (only those who cannot pay 500): below debt share 0.5
            [0.9, 0.3, 0.9, 0.1, 0.9, 0.9, 0.7, 0.1],
        ],
        permutation=[[4, 1, 0, 2], [7], [5]],
    )
    sm = SimpleNamespace(buy_propensity=0.5, price_eur=500.0, debt_share=0.5)
    model = Stub(rng, params=SimpleNamespace(smuggling=sm), unmet_demand=1.0)
    goers = people(model, [OUT] * 8, money=money)
    model.counter.add("smuggling_revenue_eur", 100.0)
    a, b, c = Net(0, 2, 450.0, 11), Net(0, 1, 600.0, 12), Net(2, -1, 300.0, 13)
    places.sell_places(model, goers, np.array(way), [a, b, c])
    # buyers: 0, 2, 4 (pay), 1 (on credit), 5 (pays); 3 wants none, 6 cannot pay nor owe,
    # 7 wants one at the beach, where no network sells
    assert rng.calls[2] == ("permutation", [0, 1, 2, 4])
    assert rng.calls[3] == ("permutation", [7])
    assert rng.calls[4] == ("permutation", [5])
    # the port's shuffled buyers 4, 1, 0, 2: a sells 2 (4 pays 450, 1 cannot: a victim),
    # b sells 1 (0 pays 600), 2 is left without a place; the tunnel's network has none
    m = model.migrants
    assert list(m.money[:8]) == [0.0, 400.0, 500.0, 100.0, 250.0, 800.0, 50.0, 900.0]
    assert list(m.victim[:8]) == [False, True, False, False, False, False, False, False]
    assert list(m.network[:8]) == [12, 11, -1, -1, 11, -1, -1, -1]
    assert a.sales == [(2, 1)] and b.sales == [(1, 1)] and c.sales == [(0, 0)]
    assert model.count("smuggling_revenue_eur") == 100.0 + 450.0 + 600.0
    # unmet: 2 at the port, 7 at the beach, 5 at the tunnel
    assert model.unmet_demand == 1.0 + 3
    assert rng.left() == {}


def test_a_debt_share_of_zero_gives_no_credit_even_on_a_draw_of_zero():
    rng = Rng(random=[[0.0], [0.0]])
    sm = SimpleNamespace(buy_propensity=0.5, price_eur=500.0, debt_share=0.0)
    model = Stub(rng, params=SimpleNamespace(smuggling=sm), unmet_demand=0.0)
    goers = people(model, [OUT], money=[0.0])
    net = Net(0, 5, 500.0, 1)
    places.sell_places(model, goers, np.array([0]), [net])
    assert net.sales == [] and not model.migrants.victim[0]
    assert model.unmet_demand == 0.0


def test_a_way_with_no_buyers_does_not_stop_the_next_and_all_served_is_no_unmet_demand():
    rng = Rng(random=[[0.1], [0.9]], permutation=[[0]])
    sm = SimpleNamespace(buy_propensity=0.5, price_eur=500.0, debt_share=0.5)
    model = Stub(rng, params=SimpleNamespace(smuggling=sm), unmet_demand=0.0)
    goers = people(model, [OUT], money=[900.0])
    port, tunnel = Net(0, 5, 500.0, 1), Net(2, 5, 400.0, 2)
    places.sell_places(model, goers, np.array([2]), [port, tunnel])
    assert port.sales == [] and tunnel.sales == [(1, 1)]
    assert model.migrants.money[0] == 500.0 and model.migrants.network[0] == 2
    assert model.unmet_demand == 0.0
    assert model.count("smuggling_revenue_eur") == 400.0


def test_no_buyers_sell_nothing():
    rng = Rng(random=[[0.9, 0.9], [0.1, 0.1]])
    sm = SimpleNamespace(buy_propensity=0.5, price_eur=500.0, debt_share=0.5)
    model = Stub(rng, params=SimpleNamespace(smuggling=sm), unmet_demand=0.0)
    goers = people(model, [OUT, OUT], money=[900.0, 0.0])
    net = Net(0, 5, 500.0, 1)
    places.sell_places(model, goers, np.array([0, 0]), [net])
    assert net.sales == [] and model.unmet_demand == 0.0
    assert model.count("smuggling_revenue_eur") == 0.0


# --- removals -------------------------------------------------------------------------------


def removal_model(rng: Rng, share=0.5, capacity=3.0, today=1) -> Stub:
    levers = SimpleNamespace(removal_capacity=capacity, removal_share=share, cost_per_removal=1e3)
    model = Stub(rng, levers=levers, removals_today=today)
    people(model, [TRYING] * 6, claim=[False, True, False, False, False, False])
    return model


def test_removals_take_the_detected_without_a_claim_within_the_places_left():
    rng = Rng(random=[[0.1, 0.5, 0.2, 0.3]])
    model = removal_model(rng)
    model.counter.add("spend_eur", 5.0)
    detected = np.array([True, True, False, True, True, True])
    tries = np.array([0, 1, 2, 3, 4, 5])
    removed = removals.remove_detected(model, tries, detected)
    # liable: 0, 3, 4, 5 (1 has a claim, 2 was not detected); drawn below 0.5: 0, 4, 5;
    # places left today: 3 - 1 = 2
    assert rng.calls == [("random", 4)]
    assert list(removed) == [True, False, False, False, True, False]
    assert model.removals_today == 3
    assert model.count("removals") == 2
    assert model.count("spend_eur") == 5.0 + 2 * 1e3


def test_one_place_left_is_one_removal():
    rng = Rng(random=[[0.1, 0.1, 0.1, 0.1, 0.1]])
    model = removal_model(rng, capacity=3.0, today=2)
    removed = removals.remove_detected(model, np.arange(6), np.ones(6, dtype=bool))
    assert list(removed) == [True, False, False, False, False, False]
    assert model.removals_today == 3


def test_removals_are_masks_over_the_tries_rows():
    rng = Rng(random=[[0.1]])
    model = removal_model(rng, capacity=9.0)
    # the tries are rows 5 and 1 (1 has a claim): only row 5 is liable
    removed = removals.remove_detected(model, np.array([5, 1]), np.array([True, True]))
    assert list(removed) == [True, False]


def test_a_fractional_capacity_is_whole_places():
    rng = Rng(random=[[0.1, 0.1, 0.1, 0.1, 0.1]])
    model = removal_model(rng, capacity=2.9, today=0)
    removed = removals.remove_detected(model, np.arange(6), np.ones(6, dtype=bool))
    assert np.count_nonzero(removed) == 2


@pytest.mark.parametrize(
    ("share", "capacity", "today", "detected"),
    [(0.0, 3.0, 0, True), (0.5, 3.0, 3, True), (0.5, 3.0, 4, True), (0.5, 3.0, 0, False)],
    ids=["no share", "no places left", "over the places", "no one detected"],
)
def test_no_removals_draw_nothing(share, capacity, today, detected):
    model = removal_model(Rng(), share=share, capacity=capacity, today=today)
    got = removals.remove_detected(model, np.arange(6), np.full(6, detected))
    assert got is None
    assert model.rng.calls == [] and model.removals_today == today
    assert model.count("removals") == 0


# --- victims --------------------------------------------------------------------------------


def test_victims_in_the_camp_are_identified_at_the_rate():
    rng = Rng(random=[[0.4, 0.5, 0.1]])
    model = Stub(rng, levers=SimpleNamespace(victim_identification=0.5))
    people(
        model,
        [CAMP, CAMP, OUT, CAMP, GONE, CAMP],
        victim=[True, False, True, True, True, True],
    )
    victims.identify_victims(model)
    # victims in camp: 0, 3, 5; drawn below 0.5: 0 and 5
    assert rng.calls == [("random", 3)]
    assert model.removed == [[0, 5]]
    assert model.count("victims_protected") == 2


def test_victims_beyond_the_highest_row_are_not_looked_at():
    rng = Rng(random=[[0.1]])
    model = Stub(rng, levers=SimpleNamespace(victim_identification=0.5))
    people(model, [CAMP], victim=[True])
    model.migrants.state[1], model.migrants.victim[1] = CAMP, True  # above ``high``: unused
    victims.identify_victims(model)
    assert model.removed == [[0]]


def test_no_identification_draws_nothing():
    model = Stub(Rng(), levers=SimpleNamespace(victim_identification=0.0))
    people(model, [CAMP], victim=[True])
    victims.identify_victims(model)
    assert model.rng.calls == [] and model.removed == []


# --- networks -------------------------------------------------------------------------------


class Investigated:
    def __init__(self, model: Stub, caught: bool) -> None:
        self.model, self.caught, self.sold_tonight = model, caught, 9
        self.hazards: list[float] = []
        model._networks.append(self)

    def investigated(self, hazard: float) -> bool:
        self.hazards.append(hazard)
        return self.caught

    def remove(self) -> None:
        self.model._networks.remove(self)


def networks_model(rng: Rng, max_networks=5, factor=2.0, monkeypatch=None) -> Stub:
    sm = SimpleNamespace(
        dismantle_hazard=0.4,
        max_networks=max_networks,
        entry_demand=10.0,
        places_per_night=7,
        price_eur=800.0,
    )
    levers = SimpleNamespace(dismantle_factor=factor, entry_factor=0.5)
    model = Stub(
        rng,
        params=SimpleNamespace(smuggling=sm),
        levers=levers,
        unmet_demand=30.0,
        recent_tries=np.array([1.0, 3.0, 4.0]),
    )
    model.entered = []

    def enter(m, way, places, price):
        assert m is model
        m.entered.append((way, places, price))

    monkeypatch.setattr(networks_module, "SmugglingNetwork", enter)
    return model


def test_networks_are_dismantled_and_enter_where_demand_went_unmet(monkeypatch):
    rng = Rng(poisson=[6], choice=[2, 0, 1, 2])
    model = networks_model(rng, monkeypatch=monkeypatch)
    nets = [Investigated(model, caught) for caught in (True, False, True)]
    networks_module.networks_day(model)
    assert [n.hazards for n in nets] == [[pytest.approx(0.8)]] * 3  # 0.4 x 2
    assert [n.sold_tonight for n in nets] == [0, 0, 0]
    assert model.count("networks_dismantled") == 2
    assert model.networks == [nets[1]]
    # unmet 30 / entry demand 10 x entry factor 0.5; room for 5 - 1 = 4 of the 6 drawn
    assert rng.calls[0] == ("poisson", pytest.approx(1.5))
    assert rng.calls[1:] == [("choice", 3, pytest.approx([1 / 8, 3 / 8, 4 / 8]))] * 4
    assert model.entered == [(2, 7, 800.0), (0, 7, 800.0), (1, 7, 800.0), (2, 7, 800.0)]
    assert model.unmet_demand == 0.0


def test_the_dismantling_chance_is_at_most_one(monkeypatch):
    model = networks_model(Rng(poisson=[0]), factor=3.0, monkeypatch=monkeypatch)
    net = Investigated(model, False)
    networks_module.networks_day(model)
    assert net.hazards == [1.0]


def test_entrants_fill_the_room_left(monkeypatch):
    rng = Rng(poisson=[3], choice=[1])
    model = networks_model(rng, max_networks=2, monkeypatch=monkeypatch)
    Investigated(model, False)
    networks_module.networks_day(model)
    assert model.entered == [(1, 7, 800.0)]


@pytest.mark.parametrize("max_networks", [1, 0])
def test_no_room_no_entrants_and_no_draw(monkeypatch, max_networks):
    model = networks_model(Rng(), max_networks=max_networks, monkeypatch=monkeypatch)
    Investigated(model, False)
    networks_module.networks_day(model)
    assert model.rng.calls == [] and model.entered == []
    assert model.unmet_demand == 0.0


# --- news -----------------------------------------------------------------------------------


def test_the_camp_hears_each_way_s_success_and_beliefs_move_towards_it():
    model = Stub(
        params=SimpleNamespace(behaviour=SimpleNamespace(social_rate=0.25)),
        news=np.array([0.1, 0.2, 0.3]),
        nights_today=np.array([10.0, 0.0, 1.0]),
        crossed_today=np.array([2.0, 5.0, 1.0]),
        tries_today=np.array([3.0, 0.0, 9.0]),
        recent_tries=np.array([2.0, 4.0, 6.0]),
    )
    belief = [[0.5, 0.5, 0.5], [0.0, 1.0, 0.25], [0.75, 0.0, 0.5]]
    people(model, [CAMP, OUT, CAMP], belief=belief)
    model.migrants.belief[3] = 0.5  # above ``high``: unused
    news.share_news(model)
    # rates 2/10, none tried the beach (keeps 0.2), 1/1; weighted 0.3 against 0.7 of before
    heard = 0.7 * np.array([0.1, 0.2, 0.3]) + 0.3 * np.array([0.2, 0.2, 1.0])
    assert model.news == pytest.approx(heard)
    assert model.recent_tries == pytest.approx(
        0.5 * np.array([2, 4, 6]) + 0.5 * np.array([4, 1, 10])
    )
    b = np.array(belief)
    moved = b + 0.25 * (heard - b)
    got = model.migrants.belief
    assert got[0] == pytest.approx(moved[0], rel=1e-6)
    assert list(got[1]) == [0.0, 1.0, 0.25]  # out of the camp: unchanged
    assert got[2] == pytest.approx(moved[2], rel=1e-6)
    assert list(got[3]) == [0.5, 0.5, 0.5]
    for name in ("crossed_today", "tries_today", "nights_today"):
        assert list(getattr(model, name)) == [0.0, 0.0, 0.0], name


# --- giving up ------------------------------------------------------------------------------

# per kind of migrant: appeal, reached by the campaign, failures, best belief
KINDS = [
    (0.5, True, 0, 0.5),
    (0.25, False, 2, 0.25),
    (0.875, False, 6, 0.125),
    (0.125, True, 2, 0.0),
    (0.625, True, 1, 0.375),
]


def test_asylum_and_leaving_follow_the_documented_chances():
    b = SimpleNamespace(
        give_up_failures=2.0,
        prior_success=0.5,
        asylum_hazard=0.25,
        departure_hazard=0.5,
        coast_share=0.5,
    )
    levers = SimpleNamespace(campaign_reach=0.5, appeal_shift=0.25)
    # four of each kind: just below and above the asylum chance, and below and above the
    # chance of asylum or leaving; the two who leave below and above the coast share
    d = 1e-4
    appeal, reach, u, coast, failures, belief, expect = [], [], [], [], [], [], []
    for a, reached, f, best in KINDS:
        after = max(a - 0.25, 0.0) if reached else a
        disc = f / (f + 2.0)
        p_asylum = 0.25 * (1 - after) * (0.25 + disc)
        p_leave = 0.5 * min(max(1 - best / 0.5, 0.0), 1.0)
        appeal += [a] * 4
        reach += [0.5 - d if reached else 0.5] * 4
        u += [p_asylum - d, p_asylum + d, p_asylum + p_leave - d, p_asylum + p_leave + d]
        coast += [0.9, 0.5 - d, 0.5, 0.1]
        failures += [f] * 4
        belief += [[best / 2, best, 0.0]] * 4
        for draw, along in zip(u[-4:], coast[-4:], strict=True):
            if draw < p_asylum:
                expect.append("asylum")
            elif draw < p_asylum + p_leave:
                expect.append("coast" if along < 0.5 else "departs")
            else:
                expect.append("stays")
    # no pull to the UK (asylum chance 0) and a draw of 0: leaves (hopeless) or stays (not)
    for best, outcome in ((0.25, "departs"), (0.5, "stays")):
        appeal.append(1.0)
        reach.append(0.9)
        u.append(0.0)
        coast.append(0.9)
        failures.append(0)
        belief.append([best, 0.0, 0.0])
        expect.append(outcome)
    n = len(expect)
    # an OUT migrant in the middle is not in the camp: no draw for it
    state = [CAMP] * n
    state.insert(3, OUT)
    for column in (appeal, failures, belief):
        column.insert(3, column[0])
    rng = Rng(random=[reach, u, coast])
    model = Stub(rng, params=SimpleNamespace(behaviour=b), levers=levers)
    rows = people(model, state, appeal=appeal, failures=failures, belief=belief)
    camp = np.delete(rows, 3)
    giving_up.decide(model)
    assert rng.calls == [("random", n)] * 3
    order = model.removed[0]
    asylum = [r for r, e in zip(camp.tolist(), expect, strict=True) if e == "asylum"]
    coast_rows = [r for r, e in zip(camp.tolist(), expect, strict=True) if e == "coast"]
    departs = [r for r, e in zip(camp.tolist(), expect, strict=True) if e == "departs"]
    assert order == asylum + coast_rows + departs
    assert model.count("asylum_claims_france") == len(asylum) == 6
    assert model.count("displaced") == len(coast_rows) == 4
    assert model.count("departures") == len(departs) == 5
    # the campaign lowered the reached kinds' appeal by 0.25, not below 0
    shifted = [max(a - 0.25, 0.0) if r else a for a, r, _, _ in KINDS]
    assert list(model.migrants.appeal[camp][: 4 * len(KINDS) : 4]) == pytest.approx(shifted)
    assert model.migrants.appeal[rows[3]] == pytest.approx(0.5)


def test_no_campaign_draws_no_reach_and_an_empty_camp_draws_nothing():
    b = SimpleNamespace(
        give_up_failures=2.0,
        prior_success=0.5,
        asylum_hazard=0.25,
        departure_hazard=0.5,
        coast_share=0.5,
    )
    rng = Rng(random=[[0.9], [0.9]])
    model = Stub(rng, params=SimpleNamespace(behaviour=b))
    model.levers = SimpleNamespace(campaign_reach=0.0, appeal_shift=0.25)
    people(model, [CAMP], appeal=[0.5], belief=[[0.5, 0.5, 0.5]])
    giving_up.decide(model)
    assert rng.calls == [("random", 1)] * 2
    assert model.migrants.appeal[0] == 0.5
    empty = Stub(Rng(), params=SimpleNamespace(behaviour=b), levers=model.levers)
    people(empty, [OUT])
    giving_up.decide(empty)
    assert empty.rng.calls == [] and empty.removed == []


# --- walking --------------------------------------------------------------------------------


def walking_model() -> Stub:
    model = Stub(
        params=SimpleNamespace(behaviour=SimpleNamespace(learning_rate=0.25)),
        route_hours=np.array([2.0, 3.0, 5.0]),
    )
    return model


def test_an_hour_of_walking_brings_the_arrived_to_their_way_or_the_camp():
    model = walking_model()
    state = [OUT, OUT, BACK, BACK, TRYING, CAMP, OUT]
    eta = [1.0, 2.5, 0.5, 3.0, 0.0, 4.0, 0.25]
    people(model, state, eta=eta)
    walking.walk(model)
    m = model.migrants
    assert list(m.state[:7]) == [TRYING, OUT, CAMP, BACK, TRYING, CAMP, TRYING]
    assert list(m.eta[:7]) == [0.0, 1.5, -0.5, 2.0, 0.0, 4.0, -0.75]


def test_one_walker_arrives_and_half_an_hour_left_is_not_arrived():
    model = walking_model()
    people(model, [OUT], eta=[1.0])
    walking.walk(model)
    assert model.migrants.state[0] == TRYING
    model = walking_model()
    people(model, [TRYING, OUT], eta=[0.0, 1.5])
    walking.walk(model)
    assert list(model.migrants.state[:2]) == [TRYING, OUT]
    assert model.migrants.eta[1] == 0.5


def test_walking_with_only_tries_out_changes_nothing():
    model = walking_model()
    people(model, [TRYING, CAMP], eta=[0.5, 0.5])
    walking.walk(model)
    assert list(model.migrants.state[:2]) == [TRYING, CAMP]
    assert list(model.migrants.eta[:2]) == [0.5, 0.5]


def test_a_failed_night_teaches_and_sends_back_over_the_route():
    model = walking_model()
    belief = [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
    rows = people(
        model, [TRYING] * 3, way=[1, 0, 2], belief=belief, network=[4, 5, 6], failures=[0, 1, 2]
    )
    walking.turn_back(model, rows[[0, 2]])
    m = model.migrants
    assert m.belief[:3].tolist() == [[0.5, 0.375, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.375]]
    assert list(m.failures[:3]) == [1, 1, 3]
    assert list(m.state[:3]) == [BACK, TRYING, BACK]
    assert list(m.eta[:3]) == [3.0, 0.0, 5.0]
    assert list(m.network[:3]) == [-1, 5, -1]


def test_dawn_turns_back_the_trying_and_those_still_walking_out():
    model = walking_model()
    state = [TRYING, OUT, OUT, BACK, CAMP]
    rows = people(
        model,
        state,
        way=[0, 1, 2, 0, 0],
        eta=[0.0, 1.0, 7.0, 1.5, 0.0],
        network=[1, 2, 3, 4, 5],
        belief=[[0.5, 0.5, 0.5]] * 5,
    )
    walking.dawn(model)
    m = model.migrants
    assert list(m.state[rows]) == [BACK, BACK, BACK, BACK, CAMP]
    # the trying walk the whole route back; those walking out what they walked (3 - 1), or
    # none if they had not started (7 > 5)
    assert list(m.eta[rows]) == [2.0, 2.0, 0.0, 1.5, 0.0]
    assert list(m.network[rows]) == [-1, -1, -1, 4, 5]
    assert list(m.failures[rows]) == [1, 0, 0, 0, 0]
    assert m.belief[0].tolist() == [0.375, 0.5, 0.5]


def test_dawn_turns_back_a_single_migrant_trying():
    model = walking_model()
    people(model, [TRYING], way=[2], belief=[[0.5, 0.5, 0.5]])
    walking.dawn(model)
    assert model.migrants.state[0] == BACK and model.migrants.eta[0] == 5.0


def test_the_map_cells_follow_the_walk():
    model = walking_model()
    route = {
        name: SimpleNamespace(cells=np.array([[10 + i, w] for i in range(5)]))
        for w, name in enumerate(("port", "beach", "tunnel"))
    }
    model.map = SimpleNamespace(camp_cells=np.array([[0, 0], [1, 0], [2, 0]]), routes=lambda: route)
    model.route_hours = np.array([4.0, 8.0, 0.0])
    state = [CAMP, CAMP, CAMP, CAMP, TRYING, OUT, BACK, OUT, BACK, OUT]
    way = [0, 0, 0, 0, 1, 0, 0, 1, 1, 2]
    eta = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 5.0, 0.0]
    people(model, state, way=way, eta=eta)
    got = walking.cells(model, np.arange(10))
    # camp: cell of row % 3; trying: the way's end (4 of 0-4); out with 1 of 4 hours left:
    # 3/4 of the way (cell 3); back with 1 of 4 left: 1; out 2 of 8 left: 3; back 5 of 8 left:
    # round(2.5) = 2; a route of no hours: its end
    assert got == [
        (0, 0),
        (1, 0),
        (2, 0),
        (0, 0),
        (14, 1),
        (13, 0),
        (11, 0),
        (13, 1),
        (12, 1),
        (14, 2),
    ]


def test_the_map_cells_at_the_ends_of_short_routes():
    model = walking_model()
    route = {
        name: SimpleNamespace(cells=np.array([[10 + i, w] for i in range(5)]))
        for w, name in enumerate(("port", "beach", "tunnel"))
    }
    model.map = SimpleNamespace(camp_cells=np.array([[0, 0]]), routes=lambda: route)
    # no one at the beach; the tunnel's route is half an hour
    model.route_hours = np.array([4.0, 8.0, 0.5])
    state = [OUT, OUT, BACK, OUT]
    way = [0, 0, 0, 2]
    # just set out (cell 0); not yet started, further than the route (clamped to 0); back
    # with more than the route left (clamped to the way's end); 1/4 h of 1/2 h left: cell 2
    eta = [4.0, 6.0, 6.0, 0.25]
    people(model, state, way=way, eta=eta)
    assert walking.cells(model, np.arange(4)) == [(10, 0), (10, 0), (14, 0), (12, 2)]
    # no rows (a list, as callers may pass): no cells
    assert walking.cells(model, []) == []


# --- deployment -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "weights", "expected"),
    [
        (5, [1, 1, 2], [1, 1, 3]),
        (1, [1, 1, 1], [1, 0, 0]),
        (3, [1, 3, 0], [1, 2, 0]),
        (4, [1, 1, 2], [1, 1, 2]),
        (2, [3, 1, 1], [1, 1, 0]),
        (0, [1, 1, 1], [0, 0, 0]),
        (-1, [1, 1, 1], [0, 0, 0]),
    ],
)
def test_share_out_is_largest_remainders(n, weights, expected):
    got = deployment.share_out(n, np.array(weights, dtype=float))
    assert list(got) == expected and got.sum() == max(n, 0)
    assert got.dtype.kind == "i"  # whole units


def test_share_out_breaks_ties_by_order_and_shares_nothing_over_no_weights():
    # twenty ways, remainders 1/3 and 2/3 alternately: the five largest are the first five
    # of the 2/3s, in order (a sort that is not stable may pick others)
    got = deployment.share_out(5, np.array([1.0, 2.0] * 10))
    assert list(np.flatnonzero(got)) == [1, 3, 5, 7, 9]
    assert list(deployment.share_out(0, np.zeros(3))) == [0, 0, 0]


class Unit:
    def __init__(self, model: Stub, way: int, pinned: bool) -> None:
        self.model, self.way, self.pinned = model, way, pinned
        self.draws: list[float] = []
        self.moves: list[int] = []
        model._units.append(self)

    def remove(self) -> None:
        self.model._units.remove(self)

    def redeploy(self, way: int) -> None:
        self.moves.append(way)
        self.way = way

    def patrol(self, draw: float) -> None:
        self.draws.append(draw)


def deploy_model(monkeypatch, pinned, movable, redeploy_share=0.5, max_units=10) -> Stub:
    enf = SimpleNamespace(base_units=2, max_units=max_units, redeploy_share=redeploy_share)
    model = Stub(
        params=SimpleNamespace(enforcement=enf),
        levers=SimpleNamespace(pinned_units=np.array(pinned), movable_units=movable),
        recent_tries=np.array([1.0, 1.0, 2.0]),
    )
    monkeypatch.setattr(deployment, "EnforcementUnit", Unit)
    return model


def test_units_are_matched_to_the_levers_and_moved_towards_the_tries(monkeypatch):
    model = deploy_model(monkeypatch, pinned=[2.5, 0.4, 1.6], movable=1.6)
    pin0 = Unit(model, 0, True)
    pin1 = [Unit(model, 1, True), Unit(model, 1, True)]
    movable = [Unit(model, w, False) for w in (1, 1, 1, 0, 2, 2)]
    deployment.deploy_units(model)
    units = model.units
    # pinned: round(2.5) = 3 at the port (2 created), round(0.4) = 0 at the beach (both
    # withdrawn), round(1.6) = 2 at the tunnel (created)
    pinned = [u for u in units if u.pinned]
    assert pin0 in pinned and not any(u in units for u in pin1)
    assert sorted(u.way for u in pinned) == [0, 0, 0, 2, 2]
    # movable: round(2 + 1.6) = 4 (the last two withdrawn), targets [1, 1, 2] of 4; round(0.5
    # x 4) = 2 moves, each from the beach (3, target 1) to the tunnel (0, target 2)
    kept = [u for u in units if not u.pinned]
    assert kept == movable[:4]
    assert [u.moves for u in kept] == [[2], [2], [], []]
    assert [u.way for u in kept] == [2, 2, 1, 0]
    assert list(model.units_at) == [4.0, 1.0, 4.0]


def test_units_are_created_where_furthest_below_target(monkeypatch):
    model = deploy_model(monkeypatch, pinned=[0.0, 0.0, 0.0], movable=1.0, redeploy_share=1.0)
    model.recent_tries = np.array([1.0, 3.0, 0.0])
    deployment.deploy_units(model)
    # 3 movable, targets [1, 2, 0]: created at the beach, then the port, then the beach
    assert [(u.way, u.pinned) for u in model.units] == [(1, False), (0, False), (1, False)]
    assert [u.moves for u in model.units] == [[], [], []]


def test_no_more_units_than_the_mobile_forces(monkeypatch):
    model = deploy_model(monkeypatch, pinned=[12.0, 0.0, 0.0], movable=5.0)
    deployment.deploy_units(model)
    assert list(model.units_at) == [10.0, 0.0, 0.0]
    model = deploy_model(monkeypatch, pinned=[3.0, 0.0, 4.0], movable=5.0)
    deployment.deploy_units(model)
    # room 10 - 7 = 3 movable of the 2 + 5 wanted
    assert sum(not u.pinned for u in model.units) == 3
    assert model.units_at.sum() == 10.0


def test_moves_stop_when_every_way_is_at_its_target(monkeypatch):
    model = deploy_model(monkeypatch, pinned=[0.0, 0.0, 0.0], movable=2.0, redeploy_share=1.0)
    units = [Unit(model, w, False) for w in (0, 1, 2, 2)]
    deployment.deploy_units(model)
    assert [u.moves for u in units] == [[], [], [], []]
    model = deploy_model(monkeypatch, pinned=[0.0, 0.0, 0.0], movable=2.0, redeploy_share=0.6)
    units = [Unit(model, w, False) for w in (0, 0, 0, 0)]
    deployment.deploy_units(model)
    # round(0.6 x 4) = 2 of the 3 moves needed: the port's first two go to the tunnel, beach
    assert [u.moves for u in units] == [[2], [1], [], []]


def test_created_units_count_where_they_are_created(monkeypatch):
    model = deploy_model(monkeypatch, pinned=[0.0, 0.0, 0.0], movable=3.0, redeploy_share=1.0)
    units = [Unit(model, 0, False) for _ in range(3)]
    deployment.deploy_units(model)
    # 5 movable, targets [1, 1, 3]; 3 at the port: two created at the tunnel, then the port's
    # first goes to the beach and its second to the tunnel
    assert [u.way for u in model.units[3:]] == [2, 2]
    assert [u.moves for u in units] == [[1], [2], []]


@pytest.mark.parametrize(
    ("ways", "tries", "moves"),
    [
        # two ways above target: each move leaves from the one most above it
        ([0, 0, 1, 1], [1.0, 1.0, 2.0], [[2], [], [2], []]),
        # two ways below target: each move goes to the one most below it
        ([0, 0, 0, 2], [0.0, 1.0, 1.0], [[1], [1], [2], []]),
    ],
)
def test_each_move_counts_where_it_leaves_and_arrives(monkeypatch, ways, tries, moves):
    model = deploy_model(monkeypatch, pinned=[0.0, 0.0, 0.0], movable=2.0, redeploy_share=1.0)
    model.recent_tries = np.array(tries)
    units = [Unit(model, w, False) for w in ways]
    deployment.deploy_units(model)
    assert [u.moves for u in units] == moves


def test_patrols_draw_once_a_unit_and_hour_and_keep_the_last(monkeypatch):
    model = deploy_model(monkeypatch, pinned=[0.0] * 3, movable=0.0)
    a, b = Unit(model, 0, True), Unit(model, 1, False)
    model.rng = Rng(random=[[0.1, 0.2, 0.3, 0.4, 0.7, 0.9]])
    deployment.patrol(model, 3)
    assert model.rng.calls == [("random", 6)]
    assert a.draws == [0.7] and b.draws == [0.9]
    deployment.patrol(model, 0)
    empty = deploy_model(monkeypatch, pinned=[0.0] * 3, movable=0.0)
    deployment.patrol(empty, 2)
    assert model.rng.calls == [("random", 6)] and empty.rng.calls == []
