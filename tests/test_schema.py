"""The schema drives the docs and the app: it covers every key, and the docs are current."""

from __future__ import annotations

from sim.measures.policies import EVENTS, POLICIES
from sim.scenario.schema import groups, markdown

from .conftest import ROOT


def test_docs_scenarios_md_is_current():
    assert (ROOT / "docs" / "scenarios.md").read_text() == markdown(), (
        "docs/scenarios.md is stale: run `python -m sim.scenario.schema > docs/scenarios.md`"
    )


def test_every_measure_and_event_has_a_group_with_enabled_and_start():
    tables = {g.table for g in groups()}
    assert {f"policies.{n}" for n in POLICIES} <= tables
    assert {f"events.{n}" for n in EVENTS} <= tables
    for g in groups():
        if g.kind != "section":
            assert [k.name for k in g.keys][:2] == ["enabled", "start_day"]
        for k in g.keys:
            assert k.spec.doc and k.spec.unit and k.spec.source, k.path
