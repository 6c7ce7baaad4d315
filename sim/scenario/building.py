"""The :class:`Scenario`, and how a merged scenario document is checked key by key and built
into one: the top-level keys, the parameter sections and the tables of measures and events."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.errors import setting
from sim.measures.policies import DAY_UNIT, EVENTS, POLICIES, Measure
from sim.params import SECTIONS, Spec, specs, value_type
from sim.scenario.assignments import apply_assignment
from sim.scenario.errors import ScenarioError, describe, suggest
from sim.scenario.reading import json_copy
from sim.scenario.toml_text import dumps_toml

TOP_LEVEL: dict[str, str] = {
    "name": "Short name of the scenario, used in tables and file names (at most 100 characters).",
    "description": "What the scenario represents (at most 2,000 characters).",
    "extends": "Scenario file this one inherits from (path relative to this file).",
    "start_date": "Calendar date of the first simulated day.",
    "days": "Number of days simulated.",
    "seed": "Seed of the random numbers (same seed, same results).",
}


TEXT_LIMITS: dict[str, int] = {"name": 100, "description": 2_000}
"""Longest text (in characters) each top-level text field may hold: the name names files, and
the description titles figures and tables."""


MEASURE_TABLES: dict[str, dict[str, type[Measure]]] = {"policies": POLICIES, "events": EVENTS}


DEFAULT_START = dt.date(2015, 6, 1)


MAX_DAYS = 36_500


@dataclass(frozen=True)
class Scenario:
    """A resolved, validated scenario: every parameter with its value.

    Attributes:
        name: short name used in tables and file names.
        description: what the scenario represents.
        start_date: calendar date of day 0.
        days: number of simulated days.
        seed: seed of the run's random numbers.
        sections: parameter tables by name (``population``, ``behaviour``, ...).
        measures: measures and events in force, in file order, with start days as numbers.
        document: the resolved document (defaults filled in), as written by :meth:`to_toml`.
        source: the file it was read from, if any.
    """

    name: str
    description: str
    start_date: dt.date
    days: int
    seed: int
    sections: Mapping[str, Any]
    measures: tuple[Measure, ...]
    document: Mapping[str, Any]
    source: str | None = None

    def __getattr__(self, item: str) -> Any:
        sections = self.__dict__.get("sections", {})
        if item in sections:
            return sections[item]
        raise AttributeError(item)

    def to_toml(self) -> str:
        """The full resolved scenario as TOML text that loads back to the same scenario."""
        return dumps_toml(self.document)

    def with_overrides(self, assignments: Iterable[str]) -> Scenario:
        """A copy with ``KEY=VALUE`` assignments applied (dotted keys, TOML values)."""
        doc = json_copy(self.document)
        set_keys = [apply_assignment(doc, item) for item in assignments]
        return build(doc, source=self.source, set_keys=set_keys)

    def date_of(self, day: int) -> dt.date:
        """Calendar date of simulated ``day``."""
        return self.start_date + dt.timedelta(days=day)


def check_value(value: Any, default: Any, spec: Spec, where: str, file: str | None) -> Any:
    """Check one value against its parameter's type and range; return it normalised."""
    want = value_type(default)

    def fail(why: str) -> ScenarioError:
        return ScenarioError(why, file=file, key=where)

    if spec.unit == DAY_UNIT:
        if isinstance(value, bool) or not isinstance(value, int | dt.date):
            raise fail(f"must be a day number or a date, not {describe(value)}")
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, int) and not in_range(value, spec):
            raise fail(
                f"must be a day number from {spec.lo:g} to {spec.hi:g}, or a date, not {value}"
            )
        return value
    if want is bool:
        if not isinstance(value, bool):
            raise fail(f"must be true or false, not {describe(value)}")
        return value
    if want in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"must be a number, not {describe(value)}")
        if want is int and not (isinstance(value, int) or float(value).is_integer()):
            raise fail(f"must be a whole number, not {describe(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise fail(f"must be a finite number, not {describe(value)}")
        if spec.lo is not None and value < spec.lo:
            raise fail(f"must be at least {spec.lo:g} {spec.unit}, not {describe(value)}")
        if spec.hi is not None and value > spec.hi:
            raise fail(f"must be at most {spec.hi:g} {spec.unit}, not {describe(value)}")
        return int(value) if want is int else float(value)
    if want is str:
        if not isinstance(value, str):
            raise fail(f"must be a string, not {describe(value)}")
        if spec.choices is not None and value not in spec.choices:
            raise fail(f"must be one of {', '.join(spec.choices)}, not {describe(value)}")
        return value
    raise fail(f"unsupported parameter type {want.__name__}")


def in_range(value: float, spec: Spec) -> bool:
    """Whether a number lies within a parameter's declared range."""
    return (spec.lo is None or value >= spec.lo) and (spec.hi is None or value <= spec.hi)


def check_table(
    table: Any, cls: type, where: str, file: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate a parameter table against a dataclass; return (constructor args, full table)."""
    if not isinstance(table, Mapping):
        raise ScenarioError(f"must be a table, not {describe(table)}", file=file, key=where)
    declared = specs(cls)
    args: dict[str, Any] = {}
    for key in table:  # unknown keys first, then values in declared order: the error named
        if key not in declared:  # does not depend on the order the keys were written in
            raise ScenarioError(
                f"unknown key{suggest(key, declared)}", file=file, key=f"{where}.{key}"
            )
    for key, (default, spec) in declared.items():
        if key in table:
            args[key] = check_value(table[key], default, spec, f"{where}.{key}", file)
    full = {k: args.get(k, default) for k, (default, _) in declared.items()}
    return args, full


def day_number(value: int | dt.date, start: dt.date) -> int:
    """A day given as a number or a date, as days from the scenario's start."""
    return (value - start).days if isinstance(value, dt.date) else int(value)


def build(
    doc: Mapping[str, Any], source: str | None = None, set_keys: Iterable[str] = ()
) -> Scenario:
    """Validate a merged scenario document and build the :class:`Scenario`.

    Args:
        doc: the document (every table merged, overrides applied).
        source: the file it came from, named in errors.
        set_keys: dotted keys set by ``--set``: an error at (or in or above) one of them names
            ``--set`` instead of the file.
    """
    set_keys = set(set_keys)

    def origin(key: str) -> str | None:
        for k in set_keys:
            if key == k or key.startswith(k + ".") or k.startswith(key + "."):
                return setting("overrides")
        return source

    try:
        return _build(dict(doc), source)
    except ScenarioError as exc:
        if exc.key and exc.file == source:
            exc.file = origin(exc.key)
        raise


def _build(doc: dict[str, Any], source: str | None) -> Scenario:
    allowed = set(TOP_LEVEL) | set(SECTIONS) | set(MEASURE_TABLES)
    for key in doc:
        if key not in allowed:
            raise ScenarioError(f"unknown key{suggest(key, allowed)}", file=source, key=key)
    top = _top_level(doc, source)
    start = top["start_date"]
    sections: dict[str, Any] = {}
    document: dict[str, Any] = dict(top)
    for name, cls in SECTIONS.items():
        args, full = check_table(doc.get(name, {}), cls, name, source)
        sections[name] = cls(**args)
        document[name] = full
    measures: list[Measure] = []
    for table_name, registry in MEASURE_TABLES.items():
        document[table_name], built = _measures(doc, table_name, registry, start, source)
        measures += built
    return Scenario(
        name=top["name"],
        description=top["description"],
        start_date=start,
        days=top["days"],
        seed=top["seed"],
        sections=sections,
        measures=tuple(measures),
        document=document,
        source=source,
    )


def _top_level(doc: Mapping[str, Any], source: str | None) -> dict[str, Any]:
    """The top-level keys checked, defaults filled in, in the document's order (the start
    date as a date)."""
    defaults = {"description": "", "start_date": DEFAULT_START, "days": 120, "seed": 0}
    top = {**defaults, **{k: doc[k] for k in TOP_LEVEL if k in doc and k != "extends"}}
    if not isinstance(top.get("name"), str) or not top["name"].strip():
        raise ScenarioError("must be a non-empty string", file=source, key="name")
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,99}", top["name"]):
        raise ScenarioError(
            "may hold only letters, digits and _ . @ + -, must not start with . @ + -, and "
            f"must be at most 100 characters (it names files), not {describe(top['name'])}",
            file=source,
            key="name",
        )
    if not isinstance(top["description"], str):
        raise ScenarioError("must be a string", file=source, key="description")
    for key, limit in TEXT_LIMITS.items():
        if len(top[key]) > limit:
            raise ScenarioError(
                f"must be at most {limit:,} characters, not {len(top[key]):,}",
                file=source,
                key=key,
            )
    start = top["start_date"]
    if isinstance(start, dt.datetime):
        start = start.date()
    if not isinstance(start, dt.date):
        raise ScenarioError(
            f"must be a date such as 2015-06-01, not {describe(start)}",
            file=source,
            key="start_date",
        )
    for key, lo, hi in (("days", 1, MAX_DAYS), ("seed", 0, 2**63 - 1)):
        value = top[key]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ScenarioError(
                f"must be a whole number from {lo} to {hi}, not {describe(value)}",
                file=source,
                key=key,
            )
    if (dt.date.max - start).days < top["days"] - 1:
        raise ScenarioError(
            f"is too late for a run of {top['days']} days (it would pass {dt.date.max})",
            file=source,
            key="start_date",
        )
    keys = ("name", "description", "start_date", "days", "seed")
    return {k: start if k == "start_date" else top[k] for k in keys}


def _measures(
    doc: Mapping[str, Any],
    table_name: str,
    registry: Mapping[str, type],
    start: dt.date,
    source: str | None,
) -> tuple[dict[str, Any], list[Measure]]:
    """A table of measures (or events): each entry checked, as written out in full, and the
    measures built from them."""
    table = doc.get(table_name, {})
    if not isinstance(table, Mapping):
        raise ScenarioError("must be a table of measures", file=source, key=table_name)
    written: dict[str, Any] = {}
    measures: list[Measure] = []
    for key, params in table.items():
        kind, _, label = key.partition("@")
        if kind not in registry:
            raise ScenarioError(
                f"unknown {'measure' if table_name == 'policies' else 'event'}"
                f"{suggest(kind, registry)}",
                file=source,
                key=f"{table_name}.{key}",
            )
        if "@" in key and not label:
            raise ScenarioError("empty label after '@'", file=source, key=f"{table_name}.{key}")
        cls = registry[kind]
        args, full = check_table(params, cls, f"{table_name}.{key}", source)
        written[key] = full
        args["start_day"] = day_number(full["start_day"], start)
        measures.append(cls(**args))
    return written, measures
