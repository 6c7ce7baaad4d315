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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.params import SECTIONS, Spec, specs, value_type
from sim.policies import DAY_UNIT, EVENTS, POLICIES, Measure

TOP_LEVEL: dict[str, str] = {
    "name": "Short name of the scenario, used in tables and file names.",
    "description": "What the scenario represents.",
    "extends": "Scenario file this one inherits from (path relative to this file).",
    "start_date": "Calendar date of the first simulated day.",
    "days": "Number of days simulated.",
    "seed": "Seed of the random numbers (same seed, same results).",
}
MEASURE_TABLES: dict[str, dict[str, type[Measure]]] = {"policies": POLICIES, "events": EVENTS}
DEFAULT_START = dt.date(2015, 6, 1)
MAX_DAYS = 36_500


class ScenarioError(Exception):
    """A scenario that cannot be used: names the file, the key and what is wrong."""

    def __init__(self, message: str, *, file: str | Path | None = None, key: str | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.key) if part)
        return f"{where}: {self.message}" if where else self.message


def suggest(word: str, options: Iterable[str]) -> str:
    """A 'did you mean' phrase naming the nearest valid option, or ''."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""


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
        for item in assignments:
            apply_assignment(doc, item)
        return build(doc, source=self.source)

    def date_of(self, day: int) -> dt.date:
        """Calendar date of simulated ``day``."""
        return self.start_date + dt.timedelta(days=day)


def json_copy(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a scenario document (tables, lists and scalars)."""
    if isinstance(doc, Mapping):
        return {k: json_copy(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [json_copy(v) for v in doc]  # type: ignore[return-value]
    return doc  # type: ignore[return-value]


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``over`` onto ``base``: tables merge, everything else is replaced."""
    out = json_copy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = json_copy(value)
    return out


def read_document(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file and everything it extends into one merged document."""
    path = Path(path)
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved))
        raise ScenarioError(f"'extends' forms a cycle ({cycle})", file=path, key="extends")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("file not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the file ({exc})", file=path) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML ({exc})", file=path) from None
    parent = doc.pop("extends", None)
    if parent is None:
        return doc
    if not isinstance(parent, str) or not parent:
        raise ScenarioError("must be a file name (a string)", file=path, key="extends")
    parent_path = path.parent / parent
    if not parent_path.exists():
        raise ScenarioError(f"extends a missing file '{parent}'", file=path, key="extends")
    return merge(read_document(parent_path, (*chain, resolved)), doc)


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, resolve and validate a scenario file, then apply ``KEY=VALUE`` overrides."""
    doc = read_document(Path(path))
    doc.setdefault("name", Path(path).stem)
    for item in overrides:
        apply_assignment(doc, item)
    return build(doc, source=str(path))


def parse_assignment(item: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=VALUE`` into its key path and its value (parsed as TOML, else a string)."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError("expected KEY=VALUE", file="--set", key=item)
    parts = [p.strip().strip('"') for p in key.split(".")]
    if any(not p for p in parts):
        raise ScenarioError("empty part in the dotted key", file="--set", key=key)
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return parts, value


def apply_assignment(doc: dict[str, Any], item: str) -> None:
    """Set one ``KEY=VALUE`` assignment in a document, creating tables as needed."""
    parts, value = parse_assignment(item)
    table = doc
    for i, part in enumerate(parts[:-1]):
        nxt = table.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise ScenarioError("is not a table", file="--set", key=".".join(parts[: i + 1]))
        table = nxt
    table[parts[-1]] = value
    doc.setdefault("_set", []).append(".".join(parts))


def check_value(value: Any, default: Any, spec: Spec, where: str, file: str | None) -> Any:
    """Check one value against its parameter's type and range; return it normalised."""
    want = value_type(default)

    def fail(why: str) -> ScenarioError:
        return ScenarioError(why, file=file, key=where)

    if spec.unit == DAY_UNIT:
        if isinstance(value, bool) or not isinstance(value, int | dt.date):
            raise fail(f"must be a day number or a date, not {value!r}")
        if isinstance(value, dt.datetime):
            value = value.date()
        return value
    if want is bool:
        if not isinstance(value, bool):
            raise fail(f"must be true or false, not {value!r}")
        return value
    if want in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"must be a number, not {value!r}")
        if want is int and not (isinstance(value, int) or float(value).is_integer()):
            raise fail(f"must be a whole number, not {value!r}")
        if not math.isfinite(value):
            raise fail(f"must be a finite number, not {value!r}")
        if spec.lo is not None and value < spec.lo:
            raise fail(f"must be at least {spec.lo:g} {spec.unit}, not {value!r}")
        if spec.hi is not None and value > spec.hi:
            raise fail(f"must be at most {spec.hi:g} {spec.unit}, not {value!r}")
        return int(value) if want is int else float(value)
    if want is str:
        if not isinstance(value, str):
            raise fail(f"must be a string, not {value!r}")
        if spec.choices is not None and value not in spec.choices:
            raise fail(f"must be one of {', '.join(spec.choices)}, not {value!r}")
        return value
    raise fail(f"unsupported parameter type {want.__name__}")


def check_table(
    table: Any, cls: type, where: str, file: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate a parameter table against a dataclass; return (constructor args, full table)."""
    if not isinstance(table, Mapping):
        raise ScenarioError(f"must be a table, not {table!r}", file=file, key=where)
    declared = specs(cls)
    args: dict[str, Any] = {}
    for key, value in table.items():
        if key not in declared:
            raise ScenarioError(
                f"unknown key{suggest(key, declared)}", file=file, key=f"{where}.{key}"
            )
        default, spec = declared[key]
        args[key] = check_value(value, default, spec, f"{where}.{key}", file)
    full = {k: args.get(k, default) for k, (default, _) in declared.items()}
    return args, full


def day_number(value: int | dt.date, start: dt.date) -> int:
    """A day given as a number or a date, as days from the scenario's start."""
    return (value - start).days if isinstance(value, dt.date) else int(value)


def build(doc: Mapping[str, Any], source: str | None = None) -> Scenario:
    """Validate a merged scenario document and build the :class:`Scenario`."""
    doc = dict(doc)
    set_keys = set(doc.pop("_set", []))

    def origin(key: str) -> str | None:
        return "--set" if any(key.startswith(k) or k.startswith(key) for k in set_keys) else source

    try:
        return _build(doc, source, origin)
    except ScenarioError as exc:
        if exc.key and exc.file == source:
            exc.file = origin(exc.key)
        raise


def _build(doc: dict[str, Any], source: str | None, origin: Any) -> Scenario:
    allowed = set(TOP_LEVEL) | set(SECTIONS) | set(MEASURE_TABLES)
    for key in doc:
        if key not in allowed:
            raise ScenarioError(f"unknown key{suggest(key, allowed)}", file=source, key=key)
    defaults = {"description": "", "start_date": DEFAULT_START, "days": 120, "seed": 0}
    top = {**defaults, **{k: doc[k] for k in TOP_LEVEL if k in doc and k != "extends"}}
    if not isinstance(top.get("name"), str) or not top["name"].strip():
        raise ScenarioError("must be a non-empty string", file=source, key="name")
    if not re.fullmatch(r"[A-Za-z0-9_.@+-]+", top["name"]):
        raise ScenarioError(
            "may hold only letters, digits and _ . @ + - (it names files)", file=source, key="name"
        )
    if not isinstance(top["description"], str):
        raise ScenarioError("must be a string", file=source, key="description")
    start = top["start_date"]
    if isinstance(start, dt.datetime):
        start = start.date()
    if not isinstance(start, dt.date):
        raise ScenarioError(
            f"must be a date such as 2015-06-01, not {start!r}", file=source, key="start_date"
        )
    for key, lo, hi in (("days", 1, MAX_DAYS), ("seed", 0, 2**63 - 1)):
        value = top[key]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ScenarioError(
                f"must be a whole number from {lo} to {hi}, not {value!r}", file=source, key=key
            )

    sections: dict[str, Any] = {}
    document: dict[str, Any] = {
        "name": top["name"],
        "description": top["description"],
        "start_date": start,
        "days": top["days"],
        "seed": top["seed"],
    }
    for name, cls in SECTIONS.items():
        args, full = check_table(doc.get(name, {}), cls, name, source)
        sections[name] = cls(**args)
        document[name] = full

    measures: list[Measure] = []
    for table_name, registry in MEASURE_TABLES.items():
        table = doc.get(table_name, {})
        if not isinstance(table, Mapping):
            raise ScenarioError("must be a table of measures", file=source, key=table_name)
        document[table_name] = {}
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
            document[table_name][key] = full
            args["start_day"] = day_number(full["start_day"], start)
            measures.append(cls(**args))
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


def from_text(text: str, source: str = "<text>") -> Scenario:
    """Build a scenario from TOML text (which may not use ``extends``)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML ({exc})", file=source) from None
    if "extends" in doc:
        raise ScenarioError("'extends' needs a file on disk", file=source, key="extends")
    return build(doc, source=source)


# --- writing TOML -------------------------------------------------------------------------------

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    """A TOML key, quoted when it is not a bare key."""
    return key if BARE_KEY.fullmatch(key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """One scalar as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(f"cannot write {value!r} as TOML")


def dumps_toml(doc: Mapping[str, Any]) -> str:
    """Write a scenario document (scalars, tables, tables of tables) as TOML text."""
    lines: list[str] = []

    def table(path: list[str], body: Mapping[str, Any]) -> None:
        scalars = {k: v for k, v in body.items() if not isinstance(v, Mapping)}
        tables = {k: v for k, v in body.items() if isinstance(v, Mapping)}
        if path and (scalars or not tables):
            lines.append("")
            lines.append("[" + ".".join(toml_key(p) for p in path) + "]")
        for key, value in scalars.items():
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
        for key, value in tables.items():
            table([*path, key], value)

    table([], doc)
    return "\n".join(lines).lstrip("\n") + "\n"


def scenario_files(folder: str | Path) -> list[Path]:
    """The scenario files in a folder, sorted by name."""
    return sorted(Path(folder).glob("*.toml"))


def measure_fields(cls: type[Measure]) -> list[dataclasses.Field]:
    """The parameter fields of a measure class, in declaration order."""
    return list(dataclasses.fields(cls))
