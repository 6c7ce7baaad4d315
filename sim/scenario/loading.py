"""Scenario files: schema, loading, inheritance (``extends``), overrides (``--set``), errors.

A scenario file is TOML::

    name = "port-fencing"
    description = "..."
    extends = "baseline.toml"        # optional: inherit, then override
    start_date = 2015-06-01
    days = 120
    seed = 1

    [population]                      # any table of sim.params.SECTIONS
    initial_migrants = 2500

    [policies.port_fencing]           # a measure of sim.policies.POLICIES
    start_day = 2015-06-15            # a day number or a date

    [events."ferry_strike@june23"]    # an event of sim.policies.EVENTS, with a label
    start_day = 2015-06-23

Every problem is raised as :class:`ScenarioError`, naming the file, the key and what is wrong.

This module loads and checks scenarios; the parts, one module each: reading the files and
``extends`` (:mod:`sim.scenario.reading`), overrides (:mod:`sim.scenario.assignments`), the
:class:`Scenario` and its checks (:mod:`sim.scenario.building`), TOML written back
(:mod:`sim.scenario.toml_text`) and the errors (:mod:`sim.scenario.errors`).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.measures.policies import Measure
from sim.scenario.assignments import apply_assignment
from sim.scenario.building import (
    MAX_DAYS,
    MEASURE_TABLES,
    Scenario,
    build,
    check_value,
    day_number,
)
from sim.scenario.errors import ScenarioError
from sim.scenario.reading import json_copy, parse_toml, read_document

__all__ = [
    "MAX_DAYS",
    "MAX_ERRORS",
    "Scenario",
    "ScenarioError",
    "build",
    "check_scenario",
    "check_value",
    "day_number",
    "from_text",
    "json_copy",
    "load_scenario",
    "measure_fields",
    "measure_labels",
    "never_in_force",
    "scenario_files",
]
"""This module's own functions, and the names the page (``sim.app``) and the model import from
here though they are defined in :mod:`sim.scenario.building` and :mod:`sim.scenario.reading`."""


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, resolve and validate a scenario file, then apply ``KEY=VALUE`` overrides."""
    doc = read_document(Path(path))
    doc.setdefault("name", Path(path).stem)
    set_keys = [apply_assignment(doc, item) for item in overrides]
    return build(doc, source=str(path), set_keys=set_keys)


MAX_ERRORS = 50
"""The most errors :func:`check_scenario` reports for one file."""


def check_scenario(
    path: str | Path, overrides: Iterable[str] = ()
) -> tuple[Scenario | None, list[ScenarioError], list[str]]:
    """Check a scenario file and report every error that can be told apart, and warnings.

    The loader stops at the first error; here, after an error at a key, that key is left out
    and the rest checked again, so a file with three wrong values gets three errors. An error
    that names no key (the file cannot be read or parsed, ``extends`` is broken) ends the check.

    Returns:
        (the scenario, or None if there were errors; the errors; warnings about what can
        never take effect, such as a measure starting after the run ends).
    """
    try:
        doc = read_document(Path(path))
        doc.setdefault("name", Path(path).stem)
        set_keys = [apply_assignment(doc, item) for item in overrides]
    except ScenarioError as exc:
        return None, [exc], []
    work = copy.deepcopy(doc)
    errors: list[ScenarioError] = []
    while len(errors) < MAX_ERRORS:
        try:
            scenario = build(work, source=str(path), set_keys=set_keys)
        except ScenarioError as exc:
            if any(str(e) == str(exc) or (exc.key and e.key == exc.key) for e in errors):
                break  # the key left out is required: its first error says enough
            errors.append(exc)
            if not exc.key or not _remove_key(work, exc.key):
                break
            continue
        if errors:
            break
        return scenario, [], never_in_force(scenario)
    return None, errors, []


def _remove_key(doc: dict[str, Any], key: str) -> bool:
    """Remove a dotted key (whose parts may hold dots, as labels do) from a document."""
    table: Any = doc
    rest = key
    while isinstance(table, dict):
        for k in sorted(table, key=len, reverse=True):
            if rest == k:
                del table[k]
                return True
            if rest.startswith(f"{k}."):
                table, rest = table[k], rest[len(k) + 1 :]
                break
        else:
            return False
    return False


def measure_labels(scenario: Scenario) -> list[str]:
    """Each measure's and event's name as written in the file, label included
    (``intervention_fund@august``), in the order of ``scenario.measures``."""
    return [key for table in MEASURE_TABLES for key in scenario.document.get(table, {})]


def never_in_force(scenario: Scenario) -> list[str]:
    """Warnings about measures and events that can never take effect in the run."""
    warnings = []
    for label, measure in zip(measure_labels(scenario), scenario.measures, strict=True):
        if measure.enabled and measure.start_day >= scenario.days:
            warnings.append(
                f"{label} starts on day {measure.start_day}, but the run ends on day "
                f"{scenario.days - 1} ({scenario.days} days): it never takes effect"
            )
    return warnings


def from_text(text: str, source: str = "<text>") -> Scenario:
    """Build a scenario from TOML text (which may not use ``extends``)."""
    doc = parse_toml(text, source)
    if "extends" in doc:
        raise ScenarioError("'extends' needs a file on disk", file=source, key="extends")
    return build(doc, source=source)


def scenario_files(folder: str | Path) -> list[Path]:
    """The scenario files in a folder, sorted by name."""
    return sorted(Path(folder).glob("*.toml"))


def measure_fields(cls: type[Measure]) -> list[dataclasses.Field]:
    """The parameter fields of a measure class, in declaration order."""
    return list(dataclasses.fields(cls))
