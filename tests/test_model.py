"""The model's core properties: no migrant lost, reproducibility, sane counts, Mesa agents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model import CalaisModel
from sim.model.agents import Migrant, SmugglingNetwork
from sim.model.outcomes import COLUMNS, EXITS

from .conftest import small


@pytest.fixture(scope="module")
def full_run() -> tuple[CalaisModel, pd.DataFrame]:
    """The small full package: every measure at once, so every flow is exercised."""
    model = CalaisModel(small("full-package"), seed=7)
    return model, model.run()


def test_columns_are_the_declared_outcomes(full_run):
    _, frame = full_run
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 60
    assert frame["date"].iloc[0] == pd.Timestamp("2015-06-01")
    assert frame["day"].tolist() == list(range(60))


def test_no_migrant_is_lost(full_run):
    _, frame = full_run
    before = np.concatenate([[1000], frame["migrants_present"].to_numpy()[:-1]])
    expected = before + frame["arrivals"] - frame[list(EXITS)].sum(axis=1)
    assert (frame["migrants_present"] == expected).all()
    # every exit happened at least once, so the identity is tested on all of its terms
    assert (frame[list(EXITS)].sum() > 0).all()


def test_counts_are_never_negative(full_run):
    _, frame = full_run
    numeric = frame.drop(columns=["day", "date"])
    assert (numeric >= 0).all().all()


def test_tries_cover_their_outcomes(full_run):
    _, frame = full_run
    for way in ("port", "beach", "tunnel"):
        assert (frame[f"attempts_{way}"] >= frame[f"crossings_{way}"]).all()
    outcomes = frame[["crossings_total", "detections", "deaths", "injuries"]].sum(axis=1)
    assert (frame["attempts_total"] >= outcomes).all()
    by_way = frame[[f"crossings_{w}" for w in ("port", "beach", "tunnel")]].sum(axis=1)
    assert (by_way == frame["crossings_total"]).all()


def test_migrants_are_mesa_agents_backed_by_rows(full_run):
    model, frame = full_run
    migrants = model.agents_by_type[Migrant]
    assert len(migrants) == frame["migrants_present"].iloc[-1] == model.migrants.count()
    agent = next(iter(migrants))
    assert agent.state in {"in camp", "walking out", "trying", "walking back"}
    agent.money = 1234.0
    assert model.migrants.money[agent.row] == 1234.0
    assert set(agent.beliefs) == {"port", "beach", "tunnel"}
    col, row = agent.pos
    assert 0 <= col < model.map.width and 0 <= row < model.map.height
    assert len(model.agents_by_type[SmugglingNetwork]) == frame["networks_active"].iloc[-1]


def test_same_seed_same_numbers_different_seed_different():
    scenario = small("baseline", "days=20")
    a = CalaisModel(scenario, seed=3).run()
    b = CalaisModel(scenario, seed=3).run()
    c = CalaisModel(scenario, seed=4).run()
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_scenario_seed_is_used_when_none_given():
    scenario = small("baseline", "days=10", "seed=11")
    pd.testing.assert_frame_equal(CalaisModel(scenario).run(), CalaisModel(scenario, seed=11).run())


def test_migrants_go_out_only_at_night():
    model = CalaisModel(small("baseline", "days=2"), seed=1)
    out_by_clock = {}
    for _ in range(48):
        clock = model.clock
        model.step()
        out_by_clock.setdefault(clock, 0)
        out_by_clock[clock] += int((model.migrants.state >= 1).sum())
    day_hours = [13, 14, 15, 16, 17, 18, 19]
    assert all(out_by_clock[h] == 0 for h in day_hours)
    assert out_by_clock[23] > 0


def test_arrivals_scale_with_the_arrival_rate():
    low = CalaisModel(small("baseline", "population.daily_arrivals=10"), seed=2).run()
    high = CalaisModel(small("baseline", "population.daily_arrivals=60"), seed=2).run()
    # Poisson around rate x 60 days: within 4 sd (tests/test_levers.py checks the factor)
    assert abs(low["arrivals"].sum() - 600) < 4 * 600**0.5
    assert abs(high["arrivals"].sum() - 3600) < 4 * 3600**0.5


def test_a_strike_builds_queues_and_stops_traffic():
    frame = CalaisModel(small("ferry-strikes"), seed=5).run()
    strike = frame[frame["date"] == "2015-06-23"].iloc[0]
    calm = frame[frame["date"] == "2015-06-10"].iloc[0]
    assert strike["traffic_disruption_hours"] >= 24
    assert strike["lorry_queue"] > 1000 > calm["lorry_queue"]


def test_fences_lengthen_the_walk_as_they_are_built():
    model = CalaisModel(small("tunnel-security"), seed=1)
    before = model.map_km()[2]
    model.run(30)
    assert model.map_km()[2] > before
    assert model.map.fence_level("tunnel") == pytest.approx(0.6)


def test_detections_and_deaths_by_way_add_up(full_run):
    _, frame = full_run
    ways = ("port", "beach", "tunnel")
    assert (frame[[f"detections_{w}" for w in ways]].sum(axis=1) == frame["detections"]).all()
    assert (frame[[f"deaths_{w}" for w in ways]].sum(axis=1) == frame["deaths"]).all()
    assert frame["detections_tunnel"].sum() > 0


def test_run_is_the_same_as_stepping_hour_by_hour():
    """``run`` skips quiet hours and Mesa's event list; ``step`` goes hour by hour: same model."""
    scenario = small("full-package", "days=6")
    fast, slow = CalaisModel(scenario, seed=9), CalaisModel(scenario, seed=9)
    fast.run(3)
    for _ in range(3 * 24):
        slow.step()
    assert (fast.time, fast.steps, fast.hour, fast.day) == (slow.time, slow.steps, 72, 3)
    assert fast.rng.bit_generator.state == slow.rng.bit_generator.state
    assert [u.pos for u in fast.units] == [u.pos for u in slow.units]
    pd.testing.assert_frame_equal(fast.timeseries(), slow.timeseries())
    # after a run, Mesa's own stepping carries on from where it stopped
    fast.step()
    slow.step()
    assert fast.steps == slow.steps == 73
    pd.testing.assert_frame_equal(fast.run(2), slow.run(2))


def test_the_core_uses_mesa_public_api_only():
    """Agents are made and removed through Mesa's public calls; only ``mesa_clock.py`` (which
    says why) touches Mesa's event list."""
    import re
    from pathlib import Path

    import sim

    private = re.compile(
        r"_HardKeyAgentSet|_agents_by_type|_all_agents|agent_id_counter|cls\.__new__"
        r"|_event_list|_default_schedule"
    )
    root = Path(sim.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in sorted((root / "model").glob("*.py")) + sorted((root / "world").glob("*.py"))
        if path.name != "mesa_clock.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if private.search(line)
    ]
    assert offenders == []


def test_networks_and_units_act_through_their_own_methods(monkeypatch):
    """The model dismantles networks by ``SmugglingNetwork.investigated`` and moves units by
    ``EnforcementUnit.patrol``."""
    from sim.model.agents import EnforcementUnit

    calls = {"investigated": 0, "patrol": 0}
    investigated, patrol = SmugglingNetwork.investigated, EnforcementUnit.patrol

    def count_investigated(self, hazard):
        calls["investigated"] += 1
        return investigated(self, hazard)

    def count_patrol(self, draw):
        calls["patrol"] += 1
        patrol(self, draw)

    monkeypatch.setattr(SmugglingNetwork, "investigated", count_investigated)
    monkeypatch.setattr(EnforcementUnit, "patrol", count_patrol)
    model = CalaisModel(small("full-package", "days=2"), seed=3)
    model.run(2)
    assert calls["investigated"] > 0 and calls["patrol"] > 0
