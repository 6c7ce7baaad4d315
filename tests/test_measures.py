"""Each measure moves what it targets, the intended way, against the baseline.

Fixed seeds, four replicates each (common random numbers), and a margin well outside the
replicate noise.
"""

from __future__ import annotations

import pytest

from .conftest import replicate_means, small

# (scenario, extra overrides, outcome, direction, relative margin)
EFFECTS = [
    ("port-fencing", (), "crossings_port", "lower", 0.3),
    ("port-fencing", (), "attempts_port", "lower", 0.1),
    ("beach-security", (), "crossings_beach", "lower", 0.3),
    ("tunnel-security", (), "crossings_tunnel", "lower", 0.3),
    ("intervention-fund", (), "enforcement_units", "higher", 0.1),
    # more police stop a larger share of tries; fewer go out, so the count of stops need not rise
    ("intervention-fund", (), "detections/attempts_total", "higher", 0.1),
    ("intervention-fund", (), "crossings_total", "lower", 0.1),
    ("information-campaign", (), "asylum_claims_france", "higher", 0.15),
    ("information-campaign", (), "arrivals", "lower", 0.03),
    (
        "anti-smuggling",
        ("policies.anti_smuggling.dismantle_factor=4.0",),
        "networks_dismantled",
        "higher",
        0.5,
    ),
    ("transit-cooperation", (), "arrivals", "lower", 0.05),
    ("returns", (), "removals", "higher", None),
    ("victim-support", (), "victims_protected", "higher", None),
    ("traffic-resumption", (), "traffic_disruption_hours", "lower", 0.3),
    ("ferry-strikes", (), "traffic_disruption_hours", "higher", 0.5),
    ("full-package", (), "crossings_total", "lower", 0.3),
    ("full-package", (), "deaths", "lower", 0.1),
]


def value(means: dict[str, float], outcome: str) -> float:
    """An outcome's mean, or the ratio of two (``"a/b"``)."""
    top, _, bottom = outcome.partition("/")
    return means[top] / means[bottom] if bottom else means[top]


@pytest.mark.parametrize(
    ("name", "extra", "outcome", "direction", "margin"),
    EFFECTS,
    ids=[f"{e[0]}-{e[2]}" for e in EFFECTS],
)
def test_measure_moves_its_target(baseline_means, name, extra, outcome, direction, margin):
    base = value(baseline_means, outcome)
    got = value(replicate_means(small(name, *extra)), outcome)
    if margin is None:  # the baseline has none of it at all
        assert base == 0 and got > 0
    elif direction == "lower":
        assert got < base * (1 - margin), (got, base)
    else:
        assert got > base * (1 + margin), (got, base)


def test_baseline_spends_nothing_and_measures_cost_money(baseline_means):
    assert baseline_means["spend_eur"] == 0
    # the fence's declared cost, exactly (tests/test_levers.py checks every measure's)
    assert replicate_means(small("port-fencing"), replicates=1)["spend_eur"] == pytest.approx(7e6)


def test_a_measure_switched_off_is_the_baseline():
    off = small("port-fencing", "policies.port_fencing.enabled=false")
    base = small("baseline")
    assert replicate_means(off, 2) == replicate_means(base, 2)


def test_a_measure_acts_only_from_its_start_day():
    late = small("port-fencing", "policies.port_fencing.start_day=40")
    early = small("port-fencing")
    assert replicate_means(late, 2)["crossings_port"] > replicate_means(early, 2)["crossings_port"]
