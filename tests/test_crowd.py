"""The crowd's pull (ODD 7.2): who went out to a way last night raises its utility tonight.

Exact checks of the formula on the stub model of ``test_submodels``, that the model keeps last
night's crowd per way, and that on a real model the pull moves the choice towards the crowded
way (and does nothing with its weight at zero, the default).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import CalaisModel, going_out, tries
from sim.params import WAYS

from .conftest import small
from .test_submodels import FixedRng, going_model

BELIEF = np.array([[0.2, 0.3, 0.8], [0.0, 0.6, 0.4]])
CAN_PAY = np.array([True, False])
OFFERED = np.array([True, False, True])


def utilities(**behaviour) -> np.ndarray:
    model = going_model()
    for key, value in behaviour.items():
        setattr(model.params.behaviour, key, value)
    return going_out.way_utilities(model, BELIEF, CAN_PAY, OFFERED)


def test_the_pull_is_weight_times_log_one_plus_crowd_over_scale():
    pulled = utilities(crowd_weight=1.5, crowd_scale=100.0) - utilities(crowd_weight=0.0)
    expected = 1.5 * np.log1p(np.array([0.0, 50.0, 300.0]) / 100.0)
    assert pulled == pytest.approx(np.tile(expected, (2, 1)))


def test_a_larger_scale_weakens_the_pull():
    strong = utilities(crowd_weight=1.0, crowd_scale=50.0)
    weak = utilities(crowd_weight=1.0, crowd_scale=500.0)
    assert np.all(strong[:, 1:] > weak[:, 1:])
    assert strong[:, 0] == pytest.approx(weak[:, 0])  # no one went to the port: no pull


def test_the_model_keeps_last_night_s_crowd_per_way():
    model = CalaisModel(small("baseline"), seed=np.random.SeedSequence(3))
    assert list(model.crowd) == [0.0, 0.0, 0.0]
    frame = model.run(3)
    last = frame.iloc[-1]
    assert list(model.crowd) == [float(last[f"people_out_{w}"]) for w in WAYS]
    assert model.crowd.sum() > 0


def tunnel_choices(weight: float, crowd: list[float]) -> int:
    """How many of the camp choose the tunnel tonight, on the same draws."""
    scenario = small("baseline", f"behaviour.crowd_weight={weight}")
    model = CalaisModel(scenario, seed=np.random.SeedSequence(5))
    model.crowd = np.array(crowd)
    camp = np.arange(model.migrants.high)
    return int(np.count_nonzero(going_out.choose(model, camp) == WAYS.index("tunnel")))


def test_a_crowd_at_a_way_draws_more_to_it():
    alone = tunnel_choices(1.0, [0.0, 0.0, 0.0])
    crowded = tunnel_choices(1.0, [0.0, 0.0, 1000.0])
    assert crowded > 1.5 * alone


def test_with_no_weight_the_crowd_changes_nothing():
    assert tunnel_choices(0.0, [0.0, 0.0, 1000.0]) == tunnel_choices(0.0, [0.0, 0.0, 0.0])


def test_in_a_run_tonight_s_choice_meets_last_night_s_crowd(monkeypatch):
    seen = []
    choose = going_out.choose

    def spy(model, camp):
        seen.append(model.crowd.copy())
        return choose(model, camp)

    monkeypatch.setattr(going_out, "choose", spy)
    model = CalaisModel(
        small("baseline", "behaviour.crowd_weight=1"), seed=np.random.SeedSequence(3)
    )
    frame = model.run(3)
    assert list(seen[0]) == [0.0, 0.0, 0.0]
    for night, crowd in enumerate(seen[1:]):
        assert list(crowd) == [float(frame.iloc[night][f"people_out_{w}"]) for w in WAYS]


def test_the_pull_changes_a_run():
    def tunnel_tries(weight: float) -> float:
        scenario = small("baseline", f"behaviour.crowd_weight={weight}")
        return CalaisModel(scenario, seed=np.random.SeedSequence(4)).run(10).attempts_tunnel.sum()

    assert tunnel_tries(1.0) != tunnel_tries(0.0)


# --- the crowd's shield: the stopping rule ------------------------------------------------


def shielded(shield: float) -> np.ndarray:
    model = going_model()
    model.params.behaviour.crowd_shield = shield
    return tries.persistence(model)


def test_the_shield_raises_persistence_towards_one_with_the_crowd():
    # persistence 0.5, crowd 0 / 50 / 300 at port / beach / tunnel, scale 100
    expected = 0.5 + 0.5 * 0.8 * np.array([0.0, 50 / 150, 300 / 400])
    assert shielded(0.8) == pytest.approx(expected)
    assert list(shielded(0.0)) == [0.5, 0.5, 0.5]


def test_a_failed_try_in_a_crowd_is_tried_again_where_one_alone_is_not():
    # one blocked try at the port (no crowd) and one at the tunnel (crowd 300), both drawing
    # 0.6 for "again": above persistence 0.5, below the tunnel's 0.5 + 0.5 x 300 / 400
    blocked = [0.5, 0.9, 0.0, 0.0, 0.0, 0.0, 0.6, 0.9]
    u = np.array([blocked, blocked]).T
    model = going_model(fence_levels=np.array([1.0, 1.0, 1.0]))
    model.params.behaviour.crowd_shield = 1.0
    model.rng = FixedRng(u)
    h = tries.HourOfTries(model, np.array([0, 2]), np.array([False, False]))
    assert list(h.blocked) == [True, True]
    assert list(h.again) == [False, True]
