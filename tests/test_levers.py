"""Every lever of every measure moves what it should: effect tests with power, and exact checks.

Three kinds of test (docs/testing.md lists the deliberate bugs each one catches):

- **Lever settings**: each measure, applied on a day, writes exactly its parameters on
  :class:`~sim.measures.policies.Levers` (signs, factors, units, the build ramp).
- **Effects**: each parameter, alone (the measure's other parts at zero), moves its outcome
  against the same measure with that parameter at zero, on common random numbers; where the
  parameter scales, the outcome is ordered along the dose (0 < 0.3 < 0.6 < 0.9). The sizes and
  replicates were chosen so that each test fails with its lever at zero and passes on root
  seeds 1-5 (``CALAIS_LEVER_ROOT=<n> pytest tests/test_levers.py`` to check another root).
- **Exact checks** where the model is exact: before its start day a measure leaves every day
  equal to the baseline's, column for column; spending is the sum of the declared costs; a
  strike stops traffic on exactly its days; removals never exceed the day's places.
"""

from __future__ import annotations

import itertools
import os
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.measures.policies import (
    BEACH,
    EVENTS,
    POLICIES,
    PORT,
    TRAFFIC_PORT,
    TRAFFIC_TUNNEL,
    TUNNEL,
    AntiSmuggling,
    BeachSecurity,
    FerryStrike,
    InformationCampaign,
    InterventionFund,
    Levers,
    Measure,
    PoliceReinforcement,
    PortFencing,
    Returns,
    TrafficResumption,
    TransitCooperation,
    TunnelSecurity,
    VictimSupport,
    event,
    policy,
)
from sim.model import CalaisModel
from sim.model.outcomes import summarise
from sim.scenario.building import Scenario

from .conftest import small

ROOT = int(os.environ.get("CALAIS_LEVER_ROOT", "1"))
"""Root seed of the effect tests (fixed in the suite; checked by hand on 1-5)."""
UNIT_COST = 1_000.0


def stub_model(unit_cost: float = UNIT_COST) -> SimpleNamespace:
    """The little of the model that measures read when they apply."""
    enforcement = SimpleNamespace(unit_cost_eur_per_day=unit_cost)
    return SimpleNamespace(params=SimpleNamespace(enforcement=enforcement))


def applied(measure, since: int = 0, levers: Levers | None = None) -> Levers:
    levers = levers if levers is not None else Levers()
    measure.apply(stub_model(), since, levers)
    return levers


# --- lever settings: exact ------------------------------------------------------------------


def test_port_fence_rises_with_the_build_and_costs_its_price():
    m = PortFencing(strength=0.6, build_days=10, cost_eur=1e6)
    assert applied(m, 0).fence[PORT] == pytest.approx(0.06)
    assert applied(m, 4).fence[PORT] == pytest.approx(0.3)
    assert applied(m, 9).fence[PORT] == pytest.approx(0.6)
    assert applied(m, 50).fence[PORT] == pytest.approx(0.6)
    assert list(applied(m, 50).fence[[BEACH, TUNNEL]]) == [0, 0]
    assert sum(applied(m, d).spend_eur for d in range(60)) == pytest.approx(1e6)
    assert applied(PortFencing(strength=0.9, build_days=0), 0).fence[PORT] == pytest.approx(0.9)


def test_beach_security_builds_barriers_stations_patrols_and_pays():
    m = BeachSecurity(barrier_strength=0.5, build_days=5, patrol_units=3.0, cost_eur=1e6)
    lv = applied(m, 10)
    assert lv.fence[BEACH] == pytest.approx(0.5)
    assert lv.pinned_units[BEACH] == 3.0 and lv.pinned_units[[PORT, TUNNEL]].sum() == 0
    assert lv.spend_eur == pytest.approx(3 * UNIT_COST)
    assert applied(m, 0).fence[BEACH] == pytest.approx(0.1)
    assert sum(applied(m, d).spend_eur for d in range(30)) == pytest.approx(1e6 + 90 * UNIT_COST)


def test_tunnel_security_fence_guards_and_detection():
    m = TunnelSecurity(
        fence_strength=0.6, build_days=4, guard_units=2.0, detection_boost=0.2, cost_eur=4e6
    )
    lv = applied(m, 1)
    assert lv.fence[TUNNEL] == pytest.approx(0.3)
    assert lv.detection_boost[TUNNEL] == pytest.approx(0.1)
    lv = applied(m, 10)
    assert lv.fence[TUNNEL] == pytest.approx(0.6)
    assert lv.detection_boost[TUNNEL] == pytest.approx(0.2)
    assert lv.detection_boost[[PORT, BEACH]].sum() == 0
    assert lv.pinned_units[TUNNEL] == 2.0
    assert lv.spend_eur == pytest.approx(2 * UNIT_COST)
    assert applied(m, 0).spend_eur == pytest.approx(1e6 + 2 * UNIT_COST)


def test_fences_take_the_strongest_boosts_and_units_add():
    lv = applied(PortFencing(strength=0.3, build_days=0))
    applied(PortFencing(strength=0.7, build_days=0), levers=lv)
    applied(PortFencing(strength=0.5, build_days=0), levers=lv)
    assert lv.fence[PORT] == pytest.approx(0.7)
    lv = applied(PoliceReinforcement(way="tunnel", units=2.0, detection_boost=0.1))
    applied(TunnelSecurity(build_days=0, guard_units=1.0, detection_boost=0.2), levers=lv)
    assert lv.pinned_units[TUNNEL] == 3.0
    assert lv.detection_boost[TUNNEL] == pytest.approx(0.3)


@pytest.mark.parametrize("way", ["port", "beach", "tunnel"])
def test_police_reinforcement_stations_its_units_where_told(way):
    w = ["port", "beach", "tunnel"].index(way)
    lv = applied(PoliceReinforcement(way=way, units=2.0, detection_boost=0.15))
    assert lv.pinned_units[w] == 2.0 and lv.pinned_units.sum() == 2.0
    assert lv.detection_boost[w] == pytest.approx(0.15) and lv.detection_boost.sum() == 0.15
    assert lv.spend_eur == pytest.approx(2 * UNIT_COST)


def test_intervention_fund_buys_units_and_detection_for_its_days():
    m = InterventionFund(
        amount_eur=3.65e6, spend_days=365, enforcement_share=0.5, detection_per_meur=0.02
    )
    lv = applied(m, 0)
    assert lv.spend_eur == pytest.approx(1e4)
    assert lv.movable_units == pytest.approx(1e4 * 0.5 / UNIT_COST)
    assert list(lv.detection_boost) == pytest.approx([3.65 * 0.5 * 0.02] * 3)
    done = applied(m, 365)
    assert done.spend_eur == 0 and done.movable_units == 0 and done.detection_boost.sum() == 0


def test_information_campaign_reach_shift_deterrence_and_cost():
    lv = applied(InformationCampaign(reach_per_day=0.1, appeal_shift=0.2, arrivals_reduction=0.3))
    applied(InformationCampaign(reach_per_day=0.1, appeal_shift=0.1, arrivals_reduction=0.5), 0, lv)
    assert lv.campaign_reach == pytest.approx(1 - 0.9 * 0.9)
    assert lv.appeal_shift == pytest.approx(0.2)
    assert lv.arrivals_factor == pytest.approx(0.7 * 0.5)
    assert lv.spend_eur == pytest.approx(2 * 3_000.0)


def test_anti_smuggling_factors_multiply():
    lv = applied(AntiSmuggling(dismantle_factor=2.0, entry_factor=0.5, cost_eur_per_day=10.0))
    applied(AntiSmuggling(dismantle_factor=1.5, entry_factor=0.8, cost_eur_per_day=5.0), 0, lv)
    assert lv.dismantle_factor == pytest.approx(3.0)
    assert lv.entry_factor == pytest.approx(0.4)
    assert lv.spend_eur == pytest.approx(15.0)


def test_transit_cooperation_ramps_up_lower_and_later_arrivals():
    m = TransitCooperation(arrivals_reduction=0.2, delayed_share=0.4, delay_days=7, ramp_days=10)
    half = applied(m, 4)
    assert half.arrivals_factor == pytest.approx(1 - 0.2 * 0.5)
    assert half.arrivals_delayed_share == pytest.approx(0.2)
    full = applied(m, 20)
    assert full.arrivals_factor == pytest.approx(0.8)
    assert full.arrivals_delayed_share == pytest.approx(0.4)
    assert full.arrivals_delay_days == 7
    assert full.spend_eur == pytest.approx(10_000.0)


def test_returns_open_places_and_price_removals():
    lv = applied(Returns(removal_share=0.4, capacity_per_day=7.0, cost_eur_per_removal=900.0))
    assert lv.removal_share == pytest.approx(0.4)
    assert lv.removal_capacity == 7.0
    assert lv.cost_per_removal == 900.0
    assert lv.spend_eur == 0  # paid per removal, by the model


def test_victim_support_identifies_and_pays():
    lv = applied(VictimSupport(identification_rate=0.05, cost_eur_per_day=10.0))
    assert lv.victim_identification == pytest.approx(0.05)
    assert lv.spend_eur == pytest.approx(10.0)


def test_traffic_resumption_factors():
    lv = applied(TrafficResumption(incident_hours_factor=0.25, clear_factor=3.0))
    assert lv.incident_hours_factor == pytest.approx(0.25)
    assert lv.clear_factor == pytest.approx(3.0)
    assert lv.spend_eur == pytest.approx(5_000.0)


def test_ferry_strike_lowers_capacity_on_exactly_its_days():
    strike = FerryStrike(start_day=10, days=3, port_capacity=0.2, tunnel_capacity=0.5)
    assert [d for d in range(30) if strike.in_force(d)] == [10, 11, 12]
    lv = applied(strike)
    assert lv.traffic_capacity[TRAFFIC_PORT] == pytest.approx(0.2)
    assert lv.traffic_capacity[TRAFFIC_TUNNEL] == pytest.approx(0.5)


def test_two_instances_combine_factors_multiply_places_add_chances_compound():
    # a measure listed twice (with labels) or on top of another writing the same lever must
    # combine with what is already there, never overwrite it
    lv = applied(TransitCooperation(arrivals_reduction=0.2, delayed_share=0.1, ramp_days=0))
    applied(TransitCooperation(arrivals_reduction=0.5, delayed_share=0.3, ramp_days=0), 0, lv)
    assert lv.arrivals_factor == pytest.approx(0.8 * 0.5)
    assert lv.arrivals_delayed_share == pytest.approx(0.3)
    lv = applied(InformationCampaign(arrivals_reduction=0.5))
    applied(TransitCooperation(arrivals_reduction=0.2, ramp_days=0), 0, lv)
    assert lv.arrivals_factor == pytest.approx(0.5 * 0.8)

    lv = applied(Returns(removal_share=0.2, capacity_per_day=7.0, cost_eur_per_removal=900.0))
    applied(Returns(removal_share=0.4, capacity_per_day=5.0, cost_eur_per_removal=500.0), 0, lv)
    assert lv.removal_capacity == 12.0
    assert lv.removal_share == pytest.approx(0.4)
    assert lv.cost_per_removal == 900.0

    lv = applied(VictimSupport(identification_rate=0.1, cost_eur_per_day=10.0))
    applied(VictimSupport(identification_rate=0.2, cost_eur_per_day=5.0), 0, lv)
    assert lv.victim_identification == pytest.approx(1 - 0.9 * 0.8)
    assert lv.spend_eur == pytest.approx(15.0)

    lv = applied(TrafficResumption(incident_hours_factor=0.5, clear_factor=2.0))
    applied(TrafficResumption(incident_hours_factor=0.4, clear_factor=3.0), 0, lv)
    assert lv.incident_hours_factor == pytest.approx(0.2)
    assert lv.clear_factor == pytest.approx(6.0)
    assert lv.spend_eur == pytest.approx(2 * 5_000.0)


def test_overlapping_strikes_multiply_the_capacity_left():
    lv = applied(FerryStrike(port_capacity=0.5, tunnel_capacity=0.6))
    applied(FerryStrike(port_capacity=0.4, tunnel_capacity=0.5), 0, lv)
    assert lv.traffic_capacity[TRAFFIC_PORT] == pytest.approx(0.2)
    assert lv.traffic_capacity[TRAFFIC_TUNNEL] == pytest.approx(0.3)


@pytest.mark.parametrize(
    "make",
    [
        lambda days: PortFencing(build_days=days, cost_eur=1e6),
        lambda days: BeachSecurity(build_days=days, patrol_units=0.0, cost_eur=1e6),
        lambda days: TunnelSecurity(build_days=days, cost_eur=1e6),
    ],
    ids=["port", "beach", "tunnel"],
)
@pytest.mark.parametrize("days", [0, 1, 2])
def test_a_build_of_zero_or_one_day_pays_its_whole_cost_on_the_first_day(make, days):
    spend = [applied(make(days), since).spend_eur for since in range(10)]
    assert sum(spend) == pytest.approx(1e6)
    assert spend[0] == pytest.approx(1e6 / max(days, 1))
    assert all(s == 0 for s in spend[max(days, 1) :])


def test_each_measure_adds_to_the_spending_and_the_units_already_there():
    # start from levers another measure has already written on
    for m in (
        PortFencing(build_days=10, cost_eur=1e6),
        BeachSecurity(build_days=10, patrol_units=0.0, cost_eur=1e6),
    ):
        lv = Levers(spend_eur=500.0)
        applied(m, 0, lv)
        assert lv.spend_eur == pytest.approx(500.0 + 1e5)
    lv = applied(PoliceReinforcement(way="beach", units=2.0, detection_boost=0.1))
    applied(BeachSecurity(patrol_units=3.0), 0, lv)
    assert lv.pinned_units[BEACH] == 5.0
    lv = applied(TunnelSecurity(build_days=0, guard_units=1.0, detection_boost=0.2))
    applied(PoliceReinforcement(way="tunnel", units=2.0, detection_boost=0.1), 0, lv)
    applied(PoliceReinforcement(way="tunnel", units=4.0, detection_boost=0.05), 0, lv)
    assert lv.pinned_units[TUNNEL] == 7.0
    assert lv.detection_boost[TUNNEL] == pytest.approx(0.35)
    lv = applied(InterventionFund(amount_eur=3.65e6, spend_days=365, enforcement_share=0.5))
    applied(InterventionFund(amount_eur=7.3e6, spend_days=365, enforcement_share=0.5), 0, lv)
    assert lv.movable_units == pytest.approx(3 * 1e4 * 0.5 / UNIT_COST)
    assert lv.spend_eur == pytest.approx(3e4)


def test_intervention_fund_units_at_any_unit_cost_and_detection_exactly_capped():
    m = InterventionFund(
        amount_eur=3.65e6, spend_days=365, enforcement_share=0.5, detection_per_meur=0.02
    )
    cheap = Levers()
    m.apply(stub_model(unit_cost=0.5), 0, cheap)
    assert cheap.movable_units == pytest.approx(1e4 * 0.5 / 0.5)
    free = Levers()
    m.apply(stub_model(unit_cost=0.0), 0, free)  # no price: no units bought, nothing divided
    assert free.movable_units == 0 and free.spend_eur == pytest.approx(1e4)
    # EUR 1.825m of technology x 0.02 per million, exactly
    assert list(cheap.detection_boost) == pytest.approx([0.0365] * 3, rel=1e-12)
    big = applied(InterventionFund(amount_eur=1e9, enforcement_share=0.0, detection_per_meur=0.01))
    assert list(big.detection_boost) == [1.0, 1.0, 1.0]


def test_one_information_campaign_reaches_its_daily_share():
    lv = applied(InformationCampaign(reach_per_day=0.1))
    assert lv.campaign_reach == pytest.approx(0.1)
    lv = applied(InformationCampaign(reach_per_day=0.1), 0, Levers(campaign_reach=0.5))
    assert lv.campaign_reach == pytest.approx(1 - 0.5 * 0.9)


def test_the_registration_decorators_register_the_class_under_its_name():
    # the library's measures were registered at import; this calls the decorators themselves
    for register, table in ((policy, POLICIES), (event, EVENTS)):

        class Probe(Measure):
            pass

        try:
            assert register("probe_measure")(Probe) is Probe
            assert Probe.name == "probe_measure"
            assert table["probe_measure"] is Probe
        finally:
            table.pop("probe_measure", None)
    assert all(cls.name == name for name, cls in {**POLICIES, **EVENTS}.items())


@pytest.mark.parametrize("name", sorted(POLICIES) + sorted(EVENTS))
def test_every_measure_is_in_force_from_exactly_its_start_day(name):
    cls = POLICIES.get(name) or EVENTS[name]
    m = cls(start_day=15)
    assert not m.in_force(14) and not m.in_force(0) and not m.in_force(5)
    assert m.in_force(15)
    assert not cls(start_day=15, enabled=False).in_force(20)


# --- exact checks on runs ---------------------------------------------------------------------

QUIET = (
    "population.initial_migrants=300",
    "population.daily_arrivals=10",
    "days=30",
)
NO_INCIDENTS = ("traffic.incident_chance_port=0", "traffic.incident_chance_tunnel=0")


def run(scenario: Scenario, seed: int = 7) -> pd.DataFrame:
    return CalaisModel(scenario, seed=seed).run()


# Each measure, with the parameters that make it act (and cost) from its first day.
MEASURE_ON = {
    "port_fencing": (),
    "beach_security": (),
    "tunnel_security": ("guard_units=1.0",),
    "intervention_fund": (),
    "information_campaign": (),
    "anti_smuggling": ("dismantle_factor=3.0",),
    "transit_cooperation": (),
    "returns": ("removal_share=0.9",),
    "victim_support": ("identification_rate=0.2",),
    "traffic_resumption": (),
    "police_reinforcement": (),
}


def with_measure(name: str, *params: str, base: tuple[str, ...] = QUIET) -> Scenario:
    keys = [f"policies.{name}.{p}" for p in ("enabled=true", *MEASURE_ON[name], *params)]
    return small("baseline", *base, *keys)


@pytest.fixture(scope="module")
def quiet_baseline() -> pd.DataFrame:
    return run(small("baseline", *QUIET))


@pytest.mark.parametrize("name", sorted(MEASURE_ON))
def test_a_measure_before_its_start_day_leaves_those_days_as_the_baseline(quiet_baseline, name):
    start = 12
    got = run(with_measure(name, f"start_day={start}"))
    pd.testing.assert_frame_equal(got.iloc[:start], quiet_baseline.iloc[:start])
    # and from its start day it acts: the run is no longer the baseline
    assert not got.iloc[start:].equals(quiet_baseline.iloc[start:])
    assert not got.iloc[start].equals(quiet_baseline.iloc[start]) or name == "returns"


def declared_spend(scenario: Scenario, frame: pd.DataFrame) -> np.ndarray:
    """Each day's spending from the measures' declared costs, written from the docs alone."""
    unit = scenario.enforcement.unit_cost_eur_per_day
    spend = np.zeros(len(frame))
    for m in scenario.measures:
        for day in range(len(frame)):
            since = day - m.start_day
            if not m.enabled or since < 0:
                continue
            build = max(getattr(m, "build_days", 1), 1)
            if isinstance(m, (PortFencing, BeachSecurity, TunnelSecurity)) and since < build:
                spend[day] += m.cost_eur / build
            if isinstance(m, BeachSecurity):
                spend[day] += m.patrol_units * unit
            if isinstance(m, TunnelSecurity):
                spend[day] += m.guard_units * unit
            if isinstance(m, PoliceReinforcement):
                spend[day] += m.units * unit
            if isinstance(m, InterventionFund) and since < m.spend_days:
                spend[day] += m.amount_eur / m.spend_days
            if hasattr(m, "cost_eur_per_day"):
                spend[day] += m.cost_eur_per_day
            if isinstance(m, Returns):
                spend[day] += frame["removals"].iloc[day] * m.cost_eur_per_removal
    return spend


def test_spending_is_exactly_the_sum_of_the_declared_costs():
    scenario = small(
        "full-package",
        *QUIET,
        "policies.port_fencing.start_day=3",
        "policies.returns.removal_share=0.9",
        "policies.returns.cost_eur_per_removal=777",
        "policies.intervention_fund.spend_days=20",
        "policies.police_reinforcement.enabled=true",
        "policies.police_reinforcement.start_day=5",
        "policies.police_reinforcement.units=3",
    )
    frame = run(scenario)
    assert frame["removals"].sum() > 0
    np.testing.assert_allclose(frame["spend_eur"], declared_spend(scenario, frame), rtol=1e-9)


def test_port_fencing_spends_exactly_its_cost():
    frame = run(small("port-fencing", *QUIET))
    assert frame["spend_eur"].sum() == pytest.approx(7e6)


def test_removals_are_charged_and_within_the_day_s_places():
    frame = run(with_measure("returns", "capacity_per_day=3", "cost_eur_per_removal=5000"))
    assert frame["removals"].max() == 3
    assert (frame["removals"] <= 3).all()
    np.testing.assert_allclose(frame["spend_eur"], frame["removals"] * 5000.0)


@pytest.mark.parametrize(("days", "port", "tunnel"), [(1, 0.0, 0.6), (3, 0.5, 0.25), (6, 0.0, 1.0)])
def test_a_strike_disrupts_traffic_on_exactly_its_days(days, port, tunnel):
    keys = [
        "events.ferry_strike.start_day=8",
        f"events.ferry_strike.days={days}",
        f"events.ferry_strike.port_capacity={port}",
        f"events.ferry_strike.tunnel_capacity={tunnel}",
    ]
    frame = run(small("baseline", *QUIET, *NO_INCIDENTS, *keys))
    want = np.zeros(len(frame))
    want[8 : 8 + days] = 24 * (1 - port) + 24 * (1 - tunnel)
    np.testing.assert_allclose(frame["traffic_disruption_hours"], want)


def test_traffic_resumption_clears_the_strike_queue_faster_and_shortens_incidents():
    strike = ("events.ferry_strike.start_day=5", "events.ferry_strike.days=2")
    queues = {}
    for clear in (1.0, 2.0, 4.0):
        scenario = with_measure(
            "traffic_resumption",
            f"clear_factor={clear}",
            "incident_hours_factor=1.0",
            base=(*QUIET, *NO_INCIDENTS, *strike),
        )
        queues[clear] = run(scenario)["lorry_queue"].to_numpy()
    after = slice(7, 30)
    assert queues[1.0][after].sum() > 1.5 * queues[2.0][after].sum() > 0
    assert queues[2.0][after].sum() > 1.5 * queues[4.0][after].sum()
    assert queues[4.0][-1] == 0
    # the same queue built up during the strike, whatever the clearing
    assert queues[1.0][5] == pytest.approx(queues[4.0][5], rel=0.2)


def test_traffic_resumption_shortens_incidents_in_proportion():
    incidents = ("traffic.incident_chance_tunnel=0.05", "traffic.incident_chance_port=0.05")
    lost = {}
    for factor in (1.0, 0.5, 0.0):
        scenario = with_measure(
            "traffic_resumption",
            f"incident_hours_factor={factor}",
            "clear_factor=1.0",
            base=(*QUIET, *incidents),
        )
        lost[factor] = run(scenario)["traffic_disruption_hours"].sum()
    assert lost[0.0] == 0
    assert lost[1.0] > 1.5 * lost[0.5] > 0


def test_stationed_units_are_the_units_on_duty():
    base = run(small("baseline", *QUIET))["enforcement_units"]
    for name, key, n in [
        ("police_reinforcement", "units", 3),
        ("tunnel_security", "guard_units", 2),
        ("beach_security", "patrol_units", 4),
    ]:
        got = run(with_measure(name, f"{key}={n}"))["enforcement_units"]
        np.testing.assert_array_equal(got, base + n)


def test_fences_are_built_to_their_strength():
    scenario = small(
        "full-package",
        *QUIET,
        "policies.port_fencing.strength=0.7",
        "policies.beach_security.barrier_strength=0.4",
        "policies.tunnel_security.fence_strength=0.8",
    )
    model = CalaisModel(scenario, seed=3)
    model.run()
    levels = [model.map.fence_level(w) for w in ("port", "beach", "tunnel")]
    assert levels == pytest.approx([0.7, 0.4, 0.8])
    assert list(model.fence_levels) == pytest.approx([0.7, 0.4, 0.8])


def test_arrivals_are_the_rate_times_the_arrivals_factor():
    """Arrivals are Poisson around rate x factor; 40,000 expected, so 4 sd is 2%."""
    keys = ("population.initial_migrants=50", "population.daily_arrivals=2000", "days=20")
    for reduction in (0.0, 0.3):
        scenario = small(
            "baseline",
            *keys,
            "policies.transit_cooperation.enabled=true",
            f"policies.transit_cooperation.arrivals_reduction={reduction}",
            "policies.transit_cooperation.delayed_share=0",
            "policies.transit_cooperation.ramp_days=0",
        )
        got = run(scenario)["arrivals"].sum()
        want = 2000 * 20 * (1 - reduction)
        assert abs(got - want) < 4 * np.sqrt(want), (reduction, got, want)


def test_held_arrivals_come_exactly_delay_days_later():
    scenario = small(
        "baseline",
        "population.initial_migrants=50",
        "population.daily_arrivals=500",
        "days=30",
        "policies.transit_cooperation.enabled=true",
        "policies.transit_cooperation.arrivals_reduction=0",
        "policies.transit_cooperation.delayed_share=1.0",
        "policies.transit_cooperation.delay_days=10",
        "policies.transit_cooperation.ramp_days=0",
    )
    arrivals = run(scenario)["arrivals"].to_numpy()
    assert arrivals[:10].sum() == 0
    assert arrivals[10:].min() > 400


# --- effects with power -----------------------------------------------------------------------

EFFECT = (
    "population.initial_migrants=2500",
    "population.daily_arrivals=60",
    "days=40",
)
REPLICATES = 3


def means(scenario: Scenario, replicates: int = REPLICATES) -> dict[str, float]:
    seeds = np.random.SeedSequence(ROOT).spawn(replicates)
    runs = [summarise(CalaisModel(scenario, seed=s).run()) for s in seeds]
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


def value(m: dict[str, float], outcome: str) -> float:
    top, _, bottom = outcome.partition("/")
    return m[top] / m[bottom] if bottom else m[top]


def dose(name: str, key: str, levels, outcome: str, *fixed: str, base=EFFECT) -> list[float]:
    out = []
    for level in levels:
        scenario = with_measure(name, *fixed, f"{key}={level}", base=base)
        out.append(value(means(scenario), outcome))
    return out


def strictly(values: list[float], direction: str, step: float) -> bool:
    pairs = list(itertools.pairwise(values))
    if direction == "lower":
        return all(b < a * (1 - step) for a, b in pairs)
    return all(b > a * (1 + step) for a, b in pairs)


# (measure, parameter, levels, outcome, direction, relative step, the measure's other parts)
DOSES = [
    (
        "port_fencing",
        "strength",
        (0, 0.3, 0.6, 0.9),
        "finds_port/attempts_port",
        "lower",
        0.1,
        ("build_days=0",),
    ),
    (
        "beach_security",
        "barrier_strength",
        (0, 0.3, 0.6, 0.9),
        "finds_beach/attempts_beach",
        "lower",
        0.1,
        ("build_days=0", "patrol_units=0"),
    ),
    (
        "tunnel_security",
        "fence_strength",
        (0, 0.3, 0.6, 0.9),
        "finds_tunnel/attempts_tunnel",
        "lower",
        0.1,
        ("build_days=0", "guard_units=0", "detection_boost=0"),
    ),
    (
        "tunnel_security",
        "detection_boost",
        (0, 0.1, 0.3),
        "finds_tunnel/attempts_tunnel",
        "higher",
        0.1,
        ("build_days=0", "guard_units=0", "fence_strength=0"),
    ),
    (
        "police_reinforcement",
        "units",
        (0, 10, 30),
        "intrusions_stopped_tunnel/attempts_tunnel",
        "higher",
        0.03,
        ("way=tunnel", "detection_boost=0"),
    ),
    (
        "police_reinforcement",
        "detection_boost",
        (0, 0.1, 0.3),
        "finds_port/attempts_port",
        "higher",
        0.02,
        ("way=port", "units=0"),
    ),
    (
        "intervention_fund",
        "amount_eur",
        (0, 15e6, 45e6),
        "enforcement_units",
        "higher",
        0.2,
        ("detection_per_meur=0", "spend_days=100"),
    ),
    (
        "intervention_fund",
        "detection_per_meur",
        (0, 0.01, 0.03),
        "finds_tunnel/attempts_tunnel",
        "higher",
        0.05,
        ("enforcement_share=0",),
    ),
    (
        "information_campaign",
        "reach_per_day",
        (0, 0.05, 0.2),
        "asylum_claims_france",
        "higher",
        0.05,
        ("arrivals_reduction=0",),
    ),
    (
        "anti_smuggling",
        "dismantle_factor",
        (1, 3, 9),
        "networks_dismantled",
        "higher",
        0.3,
        ("entry_factor=1",),
    ),
    (
        "anti_smuggling",
        "entry_factor",
        (0, 1, 3),
        "networks_active",
        "higher",
        0.02,
        ("dismantle_factor=3",),
    ),
    (
        "returns",
        "removal_share",
        (0, 0.1, 0.4),
        "removals",
        "higher",
        0.1,
        ("capacity_per_day=1000",),
    ),
    (
        "victim_support",
        "identification_rate",
        (0, 0.02, 0.1),
        "victims_protected",
        "higher",
        0.3,
        (),
    ),
]


@pytest.mark.parametrize(
    ("name", "key", "levels", "outcome", "direction", "step", "fixed"),
    DOSES,
    ids=[f"{d[0]}-{d[1]}" for d in DOSES],
)
def test_each_lever_moves_its_outcome_along_its_dose(
    name, key, levels, outcome, direction, step, fixed
):
    got = dose(name, key, levels, outcome, *fixed)
    assert strictly(got, direction, step), dict(zip(levels, got, strict=True))
