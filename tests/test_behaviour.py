"""The behaviour that lets measures deter: the going-out choice, the two stages of a try, the
stopping rule within a night, opportunity from queues, and displacement along the coast.

Fixed seeds and replicate means on the small library scenarios (``conftest.small``), with
margins well outside the replicate noise.
"""

from __future__ import annotations

import numpy as np

from sim.model.agents import CAMP
from sim.model.calais import CalaisModel
from sim.params import WAYS

from .conftest import replicate_means, small


def people_out(means: dict[str, float]) -> float:
    """People who went out over the run, all ways in."""
    return sum(means[f"people_out_{w}"] for w in ("port", "beach", "tunnel"))


def test_fewer_go_out_when_every_way_looks_hopeless():
    closed = [f"traffic.cross_chance_{w}=0.0" for w in ("port", "beach", "tunnel")]
    hopeful = replicate_means(small("baseline"), 3)
    hopeless = replicate_means(small("baseline", *closed), 3)
    # nights out per migrant present: no one crosses, so more stay in the camp, yet fewer go
    rate = {
        k: people_out(m) / m["migrants_present"] for k, m in (("on", hopeful), ("off", hopeless))
    }
    assert hopeless["migrants_present"] > hopeful["migrants_present"]
    assert rate["off"] < 0.75 * rate["on"], rate


def test_staying_is_a_choice_against_the_ways_in():
    likes_camp = replicate_means(small("baseline", "behaviour.stay_utility=0.0"), 3)
    restless = replicate_means(small("baseline", "behaviour.stay_utility=-10.0"), 3)
    assert people_out(likes_camp) < 0.5 * people_out(restless)


def test_port_fencing_deters_going_to_the_port_not_only_getting_through(baseline_means):
    fenced = replicate_means(small("port-fencing"))
    assert fenced["people_out_port"] < 0.9 * baseline_means["people_out_port"]
    # of those who still go out, a larger share goes to the tunnel: tries are displaced
    share = {
        k: m["people_out_tunnel"] / people_out(m)
        for k, m in (("on", fenced), ("off", baseline_means))
    }
    assert share["on"] > share["off"], share


def test_a_strike_brings_more_people_out_and_more_finds_at_the_port():
    days = ("days=4", "start_date=2015-06-21")
    strike = "events.ferry_strike@x.start_day=2015-06-22"
    base = replicate_means(small("baseline", *days), 6)
    struck = replicate_means(small("baseline", *days, strike, "events.ferry_strike@x.days=3"), 6)
    assert struck["people_out_port"] + struck["people_out_beach"] > 1.1 * (
        base["people_out_port"] + base["people_out_beach"]
    )
    assert struck["finds_port"] > 1.2 * base["finds_port"]


def test_persistence_sets_the_tries_a_person_makes_in_a_night():
    once = replicate_means(small("baseline", "behaviour.persistence=0.0"), 3)
    many = replicate_means(small("baseline", "behaviour.persistence=0.9"), 3)
    assert once["attempts_total"] / people_out(once) < 1.2
    assert many["attempts_total"] / people_out(many) > 2.5


def test_fences_act_on_the_perimeter_and_checks_aboard():
    short = ("days=5",)
    loose = replicate_means(small("baseline", *short, "enforcement.base_detection_port=0.05"), 4)
    tight = replicate_means(small("baseline", *short, "enforcement.base_detection_port=0.9"), 4)
    assert tight["finds_port"] > 3 * loose["finds_port"]
    # the checks aboard do not change what the perimeter stops, night for night
    assert (
        abs(tight["intrusions_stopped_port"] - loose["intrusions_stopped_port"])
        < 0.25 * (loose["intrusions_stopped_port"])
    )


def test_detections_are_perimeter_stops_plus_finds(baseline_means):
    for w in ("port", "beach", "tunnel"):
        stops, finds = baseline_means[f"intrusions_stopped_{w}"], baseline_means[f"finds_{w}"]
        assert baseline_means[f"detections_{w}"] == stops + finds


def test_the_hopeless_move_along_the_coast():
    stays = replicate_means(small("baseline", "behaviour.departure_hazard=0.0"), 2)
    hopeless = replicate_means(
        small("baseline", "behaviour.prior_success=0.5", "behaviour.departure_hazard=0.05"), 2
    )
    assert stays["displaced"] == 0 and stays["departures"] == 0
    assert hopeless["displaced"] > 1.0 * hopeless["departures"] > 0


def test_newcomers_hear_the_camp_so_a_closed_way_deters_them_too():
    # no one can cross at the tunnel: the camp's news of it falls, and those who arrive believe
    # the news, not the starting prior (with a fixed prior, the day's newcomers would hold it)
    scenario = small("baseline", "traffic.cross_chance_tunnel=0.0", "days=30")
    model = CalaisModel(scenario, seed=3)
    frame = model.run()
    m, tunnel = model.migrants, WAYS.index("tunnel")
    camp = np.flatnonzero(m.state[: m.high] == CAMP)
    prior = scenario.behaviour.prior_success
    assert frame["arrivals"].sum() > 500  # newcomers came every day
    assert model.news[tunnel] < 0.05 * prior
    assert m.belief[camp, tunnel].max() < 0.25 * prior
    # the ways that stay open keep their news
    assert model.news[WAYS.index("port")] > 5 * model.news[tunnel]
