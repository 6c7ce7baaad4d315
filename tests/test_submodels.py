"""The going-out and tries submodels, exactly, on a stub model with chosen numbers.

Each formula of ``sim.model.going_out`` (the logit utility and the choice) and of
``sim.model.tries`` (an hour's chances and what the drawn numbers make of each try) is checked
against the same formula written out by hand, with the random numbers chosen so that each
branch (dies, hurt, outside the perimeter, blocked, stopped, found, crosses, no place, tries
again) is taken by a known try. These run in milliseconds, so the mutation run uses them.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.model import going_out, tries
from sim.model.tries import MAX_CROSS_CHANCE, HourOfTries


class Traffic:
    def __init__(self, multiplier) -> None:
        self.multiplier = np.asarray(multiplier, dtype=float)

    def chance_multiplier(self) -> np.ndarray:
        return self.multiplier


class FixedRng:
    """Returns the given uniforms (in the shape asked for) instead of random ones."""

    def __init__(self, *draws: np.ndarray) -> None:
        self.draws = list(draws)
        self.shapes: list = []

    def random(self, shape) -> np.ndarray:
        self.shapes.append(shape)
        out = np.asarray(self.draws.pop(0), dtype=float)
        assert out.shape == (shape if isinstance(shape, tuple) else (shape,))
        return out


def stub(**over) -> SimpleNamespace:
    """A model with distinct numbers per way, so a mixed-up way or term changes the result."""
    enforcement = SimpleNamespace(catches_per_unit_hour=2.0, unit_efficacy=0.5)
    smuggling = SimpleNamespace(success_multiplier=1.5, price_eur=500.0)
    behaviour = SimpleNamespace(
        persistence=0.5,
        success_weight=2.0,
        distance_weight=0.3,
        risk_weight=40.0,
        stay_utility=-1.0,
        crowd_weight=0.0,
        crowd_shield=0.0,
        crowd_scale=100.0,
    )
    model = SimpleNamespace(
        params=SimpleNamespace(enforcement=enforcement, smuggling=smuggling, behaviour=behaviour),
        traffic=Traffic([2.0, 4.0]),  # port, tunnel
        units_at=np.array([1.0, 0.0, 3.0]),
        perimeter_detection=np.array([0.2, 0.1, 0.3]),
        base_detection=np.array([0.3, 0.2, 0.4]),
        levers=SimpleNamespace(detection_boost=np.array([0.1, 0.0, 0.7])),
        cross_chance=np.array([0.2, 0.7, 0.5]),
        death_chance=np.array([0.01, 0.02, 0.03]),
        injury_chance=np.array([0.04, 0.05, 0.06]),
        fence_levels=np.array([0.6, 0.5, 0.4]),
        incident_chance=np.array([0.05, 0.05, 0.08]),
        crowd=np.array([0.0, 50.0, 300.0]),
    )
    for key, value in over.items():
        setattr(model, key, value)
    return model


# --- tries.chances --------------------------------------------------------------------------


def test_chances_are_the_documented_formulas_per_way():
    model = stub()
    got = tries.chances(model, np.array([4, 0, 2]))
    assert got.shape == (9, 3)
    death, dead_or_hurt, outside, fence, stopped, found, alone, helped, incident = got
    assert list(death) == pytest.approx([0.01, 0.02, 0.03])
    assert list(dead_or_hurt) == pytest.approx([0.05, 0.07, 0.09])
    # the beach depends on the port's queue: multipliers port 2, beach 2, tunnel 4
    assert list(outside) == pytest.approx([1 - 1 / 2, 1 - 1 / 2, 1 - 1 / 4])
    assert list(fence) == [0.6, 0.5, 0.4]
    # reach = min(1, units x catches / max(tries, 1)): port 1x2/4, beach 0, tunnel min(1, 3x2/2)
    reach = np.array([0.5, 0.0, 1.0])
    assert list(stopped) == pytest.approx(
        list(1 - (1 - np.array([0.2, 0.1, 0.3])) * (1 - 0.5 * reach))
    )
    # base + boost, the tunnel's 1.1 capped at 1
    assert list(found) == pytest.approx([0.4, 0.2, 1.0])
    # alone: the beach's 0.7 stays; helped: x1.5, capped at MAX_CROSS_CHANCE
    assert list(alone) == pytest.approx([0.2, 0.7, 0.5])
    assert list(helped) == pytest.approx([0.3, MAX_CROSS_CHANCE, 0.75])
    assert list(incident) == pytest.approx([0.05, 0.05, 0.08])


def test_units_reach_is_shared_among_the_tries_and_none_tried_counts_as_one():
    model = stub(units_at=np.array([1.0, 1.0, 1.0]), perimeter_detection=np.zeros(3))
    stopped = tries.chances(model, np.array([0, 1, 8]))[4]
    # 1 unit x 2 catches: reach 1 with no or one try, 2/8 with eight; efficacy 0.5
    assert list(stopped) == pytest.approx([0.5, 0.5, 0.5 * 2 / 8])


def test_cross_chance_is_capped_alone_as_well():
    model = stub(cross_chance=np.array([0.95, 0.9, 0.1]))
    alone = tries.chances(model, np.array([1, 1, 1]))[6]
    assert list(alone) == pytest.approx([MAX_CROSS_CHANCE, MAX_CROSS_CHANCE, 0.1])


# --- tries.HourOfTries ------------------------------------------------------------------------


def hour(u: np.ndarray, way, smuggled, **over) -> HourOfTries:
    model = stub(**over)
    model.rng = FixedRng(u)
    return HourOfTries(model, np.asarray(way), np.asarray(smuggled, dtype=bool))


def test_each_try_meets_the_branch_its_numbers_choose():
    # all at the port: death 0.01, dead or hurt 0.05, outside 0.5, fence 0.6, found 0.4,
    # alone 0.2, helped 0.3, persistence 0.5, incident 0.05; one try and one unit, so the
    # perimeter stops with 1 - 0.8 x (1 - 0.5 x 1) = 0.6
    cases = {
        #              risk  outside fence stop  find  cross again incident
        "dies": [0.005, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        "hurt": [0.03, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.9],
        "blocked": [0.5, 0.9, 0.1, 0.0, 0.0, 0.0, 0.1, 0.9],
        "stopped": [0.5, 0.9, 0.7, 0.1, 0.0, 0.0, 0.9, 0.9],
        "found": [0.5, 0.9, 0.7, 0.7, 0.1, 0.0, 0.1, 0.9],
        "crosses": [0.5, 0.9, 0.7, 0.7, 0.5, 0.1, 0.1, 0.9],
        "no place": [0.5, 0.9, 0.7, 0.7, 0.5, 0.25, 0.1, 0.9],
        "outside, found": [0.5, 0.1, 0.1, 0.1, 0.1, 0.9, 0.1, 0.9],
        "outside, crosses": [0.5, 0.1, 0.1, 0.1, 0.9, 0.1, 0.1, 0.01],
    }
    u = np.array(list(cases.values())).T
    n = u.shape[1]
    h = hour(u, [0] * n, [False] * n, units_at=np.array([n, 0.0, 0.0]) / 2)
    names = list(cases)

    def who(mask) -> list[str]:
        return [names[i] for i in np.flatnonzero(mask)]

    assert list(h.tries) == [n, 0, 0]
    assert who(h.dies) == ["dies"]
    assert who(h.hurt) == ["hurt"]
    assert who(h.blocked) == ["blocked"]
    assert who(h.stopped) == ["stopped"]
    assert who(h.found) == ["found", "outside, found"]
    assert who(h.crosses) == ["crosses", "outside, crosses"]
    assert who(h.failed) == ["blocked", "stopped", "no place"]
    assert who(h.again) == ["blocked", "no place"]
    assert who(h.detected) == ["stopped", "found", "outside, found"]
    assert who(h.incident) == ["dies", "outside, crosses"]


def test_a_bought_place_crosses_with_the_helped_chance():
    # cross draw 0.25: above alone (0.2), below helped (0.3)
    u = np.array([[0.5, 0.9, 0.7, 0.7, 0.5, 0.25, 0.9, 0.9]] * 2).T
    h = hour(u, [0, 0], [False, True], units_at=np.zeros(3), perimeter_detection=np.zeros(3))
    assert list(h.crosses) == [False, True]
    assert list(h.failed) == [True, False]


def test_the_chances_are_those_of_each_try_s_own_way():
    # the same numbers at the three ways: the fence stops at the port (0.6) and beach (0.5)
    # but not the tunnel (0.4); found aboard only at the tunnel (1.0)
    u = np.array([[0.5, 0.9, 0.45, 0.99, 0.9, 0.99, 0.9, 0.9]] * 3).T
    h = hour(u, [0, 1, 2], [False] * 3)
    assert list(h.tries) == [1, 1, 1]
    assert list(h.blocked) == [True, True, False]
    assert list(h.found) == [False, False, True]


# --- going_out ------------------------------------------------------------------------------


def going_model(**over) -> SimpleNamespace:
    model = stub(**over)
    model.opportunity = lambda: np.array([1.0, 2.0, 1.0])
    model.map_km = lambda: np.array([2.0, 4.0, 10.0])
    return model


def test_way_utilities_are_the_logit_utility():
    model = going_model()
    belief = np.array([[0.2, 0.3, 0.8], [0.0, 0.6, 0.4]])
    can_pay = np.array([True, False])
    offered = np.array([True, False, True])
    got = going_out.way_utilities(model, belief, can_pay, offered)
    # migrant 0 is helped at the port and the tunnel (x1.5, capped at 1); opportunity x2 at
    # the beach (capped at 1); migrant 1 cannot pay; a zero chance is floored at TINY_CHANCE
    chance = np.array([[0.3, 0.6, 1.0], [going_out.TINY_CHANCE, 1.0, 0.4]])
    risk = np.array([0.05, 0.07, 0.09])
    expected = 2.0 * np.log(chance) - 0.3 * np.array([2.0, 4.0, 10.0]) - 40.0 * risk
    assert got == pytest.approx(expected)


def test_the_choice_is_the_best_utility_after_gumbel_noise():
    model = going_model()
    model.migrants = SimpleNamespace(
        money=np.array([0.0, 1000.0, 0.0, 1000.0]),
        belief=np.array([[0.9, 0.9, 0.9], [0.2, 0.3, 0.8], [1e-9, 1e-9, 1e-9], [0.5, 0.1, 0.1]]),
    )
    model.networks = [SimpleNamespace(way=2, places=3), SimpleNamespace(way=0, places=0)]
    camp = np.array([3, 1, 2])
    half = np.full((3, 4), 0.5)  # equal noise: the choice is the best utility itself
    model.rng = FixedRng(half)
    got = going_out.choose(model, camp)
    belief = model.migrants.belief[camp]
    utility = np.column_stack(
        [
            np.full(3, -1.0),
            going_out.way_utilities(
                model, belief, np.array([True, True, False]), np.array([False, False, True])
            ),
        ]
    )
    assert list(got) == list(np.argmax(utility, axis=1) - 1)
    assert got[2] == -1  # hopeless beliefs: stays
    assert model.rng.shapes == [(3, 4)]

    # a small uniform is a large Gumbel draw: it makes the first stay and the second take
    # the tunnel; the third's equal noise leaves it staying
    assert list(got[:2]) != [-1, 2]
    noise = np.full((3, 4), 0.5)
    noise[0, 0] = 1e-12
    noise[1, 3] = 1e-12
    model.rng = FixedRng(noise)
    assert list(going_out.choose(model, camp)) == [-1, 2, -1]


def test_the_best_option_is_argmax_down_each_column_first_of_equals():
    rng = np.random.default_rng(3)
    utility = rng.integers(0, 3, size=(4, 500)).astype(float)  # many ties
    utility[:, :50] = rng.random((4, 50))
    assert going_out.best_option(utility).tolist() == np.argmax(utility, axis=0).tolist()


def test_units_reach_counts_no_try_as_one():
    # half a catch an hour per unit: one unit reaches half of one try, and of none
    model = stub(units_at=np.ones(3), perimeter_detection=np.zeros(3))
    model.params.enforcement.catches_per_unit_hour = 0.5
    stopped = tries.chances(model, np.array([0, 1, 2]))[4]
    assert list(stopped) == pytest.approx([0.5 * 0.5, 0.5 * 0.5, 0.5 * 0.25])


def certain_or_impossible(fence: float) -> HourOfTries:
    """Every try draws 0.0 (which ``rng.random`` can give) against chances of 0, or a fence 1."""
    zero = np.zeros(3)
    model = stub(
        traffic=Traffic([1.0, 1.0]),  # no queue: nobody outside the perimeter
        units_at=zero,
        perimeter_detection=zero,
        base_detection=zero,
        levers=SimpleNamespace(detection_boost=zero),
        cross_chance=zero,
        death_chance=zero,
        injury_chance=zero,
        fence_levels=np.full(3, fence),
        incident_chance=zero,
    )
    model.params.behaviour.persistence = 0.0
    model.rng = FixedRng(np.zeros((8, 3)))
    return HourOfTries(model, np.array([0, 1, 2]), np.array([False, True, False]))


def test_a_chance_of_zero_never_happens_even_on_a_draw_of_zero():
    h = certain_or_impossible(fence=0.0)
    for outcome in ("dies", "hurt", "blocked", "stopped", "found", "crosses", "again", "incident"):
        assert not getattr(h, outcome).any(), outcome
    assert h.failed.all()  # no way aboard


def test_with_no_queue_every_try_meets_the_perimeter_and_a_full_fence_blocks_it():
    h = certain_or_impossible(fence=1.0)
    assert h.blocked.all() and h.failed.all()
    assert not (h.found | h.crosses | h.stopped).any()


def test_choose_offers_the_ways_where_networks_have_places_to_those_who_can_pay(monkeypatch):
    seen = {}

    def spy(model, belief, can_pay, offered):
        seen.update(belief=belief, can_pay=can_pay, offered=offered)
        return np.zeros((belief.shape[0], 3))

    monkeypatch.setattr(going_out, "way_utilities", spy)
    model = going_model()
    model.migrants = SimpleNamespace(
        money=np.array([499.0, 500.0, 501.0, 0.0]), belief=np.arange(12.0).reshape(4, 3)
    )
    model.networks = [
        SimpleNamespace(way=0, places=1),  # one place is an offer
        SimpleNamespace(way=2, places=2),
        SimpleNamespace(way=2, places=0),  # a full network does not hide another's places
        SimpleNamespace(way=1, places=0),
    ]
    model.rng = FixedRng(np.full((3, 4), 0.5))
    going_out.choose(model, np.array([2, 0, 1]))
    assert list(seen["offered"]) == [True, False, True]
    assert list(seen["can_pay"]) == [True, False, True]  # the price is 500
    assert seen["belief"].tolist() == model.migrants.belief[[2, 0, 1]].tolist()


# --- tries.count_tries ---------------------------------------------------------------------


def test_an_hour_s_outcomes_are_counted_per_way_from_each_try_s_own_outcome():
    """count_tries codes each try by the one outcome it had; so its counts must equal each
    mask's per-way count, which holds only if no try has two of them."""
    from sim.model import CalaisModel
    from sim.params import WAYS

    from .conftest import small

    model = CalaisModel(small("baseline"), seed=np.random.SeedSequence(11))
    model.run(1)  # the day's units, fences and chances are set
    rng = np.random.default_rng(4)
    way = rng.integers(0, 3, 3000)
    smuggled = rng.random(3000) < 0.3
    for name in ("death_chance", "injury_chance", "fence_levels", "cross_chance"):
        setattr(model, name, np.array([0.1, 0.2, 0.3]))  # every outcome happens at every way
    h = HourOfTries(model, way, smuggled)
    before = model.counter.values.copy()
    tries.count_tries(model, way, smuggled, h)
    added = dict(zip(model.counter.index, model.counter.values - before, strict=True))
    masks = {
        "crossings": h.crosses,
        "intrusions_stopped": h.stopped,
        "finds": h.found,
        "detections": h.detected,
        "deaths": h.dies,
    }
    for outcome, mask in masks.items():
        per_way = np.bincount(way[mask], minlength=3)
        assert per_way.min() > 0, outcome  # the test sees every outcome at every way
        assert [added[f"{outcome}_{w}"] for w in WAYS] == per_way.tolist(), outcome
    assert added["attempts_total"] == 3000
    assert added["crossings_total"] == h.crosses.sum()
    assert added["detections"] == h.detected.sum()
