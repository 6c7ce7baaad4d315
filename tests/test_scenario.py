"""Scenario files: the library loads, inheritance and overrides work, bad input is named."""

from __future__ import annotations

import datetime as dt

import pytest

from sim.errors import setting
from sim.measures.policies import EVENTS, POLICIES
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import from_text, load_scenario, scenario_files

from .conftest import SCENARIOS

STATEMENT_MEASURES = {
    "port_fencing",
    "beach_security",
    "tunnel_security",
    "intervention_fund",
    "information_campaign",
    "anti_smuggling",
    "transit_cooperation",
    "returns",
    "victim_support",
    "traffic_resumption",
}


def test_every_measure_of_the_statement_is_registered():
    assert STATEMENT_MEASURES <= set(POLICIES)
    assert "ferry_strike" in EVENTS


@pytest.mark.parametrize("path", scenario_files(SCENARIOS), ids=lambda p: p.stem)
def test_library_scenario_loads_and_round_trips(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    again = from_text(scenario.to_toml())
    assert again.to_toml() == scenario.to_toml()
    assert again.measures == scenario.measures
    assert dict(again.sections) == dict(scenario.sections)


def test_library_has_a_file_per_measure_and_the_packages():
    names = {p.stem for p in scenario_files(SCENARIOS)}
    assert {"baseline", "full-package", "calais-2015"} <= names
    for measure in STATEMENT_MEASURES:
        assert measure.replace("_", "-") in names
    assert load_scenario(SCENARIOS / "baseline.toml").measures == ()
    full = {type(m).name for m in load_scenario(SCENARIOS / "full-package.toml").measures}
    assert full == STATEMENT_MEASURES


def test_calais_2015_dates_become_day_numbers():
    s = load_scenario(SCENARIOS / "calais-2015.toml")
    assert s.start_date == dt.date(2015, 6, 1)
    assert s.date_of(s.days - 1) == dt.date(2015, 12, 31)
    starts = {(type(m).name, m.start_day) for m in s.measures}
    assert ("ferry_strike", 22) in starts  # 23 June
    assert ("tunnel_security", 57) in starts  # 28 July
    assert ("police_reinforcement", 58) in starts  # 29 July
    assert ("anti_smuggling", 80) in starts  # 20 August


def test_extends_inherits_and_overrides(tmp_path):
    (tmp_path / "base.toml").write_text(
        'name = "base"\ndays = 30\n[population]\ninitial_migrants = 100\ndaily_arrivals = 5.0\n'
    )
    (tmp_path / "child.toml").write_text(
        'extends = "base.toml"\nname = "child"\n[population]\ndaily_arrivals = 9.0\n'
    )
    s = load_scenario(tmp_path / "child.toml")
    assert (s.days, s.population.initial_migrants, s.population.daily_arrivals) == (30, 100, 9.0)


def test_set_overrides_with_dotted_keys():
    s = load_scenario(
        SCENARIOS / "baseline.toml",
        [
            "policies.port_fencing.enabled=true",
            "population.initial_migrants=10000",
            "policies.port_fencing.start_day=2015-06-10",
        ],
    )
    assert s.population.initial_migrants == 10000
    (fence,) = s.measures
    assert fence.enabled and fence.start_day == 9


def write(tmp_path, text: str, name: str = "s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("name = 'x'\ndays = -3\n", "days", "whole number from 1"),
        ("name = 'x'\ndays = 'ten'\n", "days", "whole number"),
        (
            "name = 'x'\n[population]\nprotection_share = 1.5\n",
            "population.protection_share",
            "at most 1",
        ),
        (
            "name = 'x'\n[population]\ninitial_migrants = 2.5\n",
            "population.initial_migrants",
            "whole number",
        ),
        (
            "name = 'x'\n[population]\ninital_migrants = 2\n",
            "population.inital_migrants",
            "did you mean 'initial_migrants'",
        ),
        (
            "name = 'x'\n[policies.port_fencin]\n",
            "policies.port_fencin",
            "did you mean 'port_fencing'",
        ),
        (
            "name = 'x'\n[policies.port_fencing]\nenabled = 'yes'\n",
            "policies.port_fencing.enabled",
            "true or false",
        ),
        (
            "name = 'x'\n[policies.police_reinforcement]\nway = 'sea'\n",
            "policies.police_reinforcement.way",
            "one of port, beach, tunnel",
        ),
        ("name = 'x'\npopulaton = 3\n", "populaton", "did you mean 'population'"),
        ("name = 'x'\nstart_date = 'June'\n", "start_date", "must be a date"),
        ("name = 'x'\n[events.ferry_strike]\ndays = 0\n", "events.ferry_strike.days", "at least 1"),
    ],
)
def test_bad_values_name_file_key_and_problem(tmp_path, text, key, words):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert err.file == str(path) and err.key == key
    assert words in str(err) and str(path) in str(err)


def test_invalid_toml_is_named(tmp_path):
    path = write(tmp_path, "name = 'x\n")
    with pytest.raises(ScenarioError, match="not valid TOML") as info:
        load_scenario(path)
    assert info.value.file == str(path)


def test_missing_file_and_missing_parent(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.toml")
    path = write(tmp_path, "extends = 'gone.toml'\n")
    with pytest.raises(ScenarioError, match=r"extends a missing file 'gone\.toml'"):
        load_scenario(path)


def test_extends_cycle_is_reported(tmp_path):
    write(tmp_path, "extends = 'b.toml'\n", "a.toml")
    write(tmp_path, "extends = 'a.toml'\n", "b.toml")
    with pytest.raises(ScenarioError, match="cycle") as info:
        load_scenario(tmp_path / "a.toml")
    assert info.value.key == "extends"


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("population.initial_migrants=-5", "at least 0"),
        ("population.nope=1", "unknown key"),
        ("days", "expected KEY=VALUE"),
        ("policies..x=1", "empty part"),
        ("population=3", "must be a table"),
    ],
)
def test_bad_set_values_are_named(item, words):
    with pytest.raises(ScenarioError, match=words) as info:
        load_scenario(SCENARIOS / "baseline.toml", [item])
    assert info.value.file == setting("overrides")


def test_set_value_that_is_not_toml_is_a_string():
    s = load_scenario(SCENARIOS / "baseline.toml", ["policies.police_reinforcement.way=beach"])
    assert s.measures[0].way == "beach"
