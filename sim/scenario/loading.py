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

import copy
import dataclasses
import datetime as dt
import difflib
import math
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import BadInput, setting
from sim.measures.policies import DAY_UNIT, EVENTS, POLICIES, Measure
from sim.params import SECTIONS, Spec, specs, value_type

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
MAX_FILE_BYTES = 1_000_000
"""Largest scenario file read (real ones are a few kilobytes)."""
MEASURE_TABLES: dict[str, dict[str, type[Measure]]] = {"policies": POLICIES, "events": EVENTS}
DEFAULT_START = dt.date(2015, 6, 1)
MAX_DAYS = 36_500


class ScenarioError(BadInput):
    """A scenario that cannot be used: names the file, the key and what is wrong."""

    def __init__(self, message: str, *, file: str | Path | None = None, key: str | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.key) if part)
        return escape_controls(f"{where}: {self.message}" if where else self.message)


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def escape_controls(text: str) -> str:
    """``text`` with its control characters (newlines...) escaped, so a message is one line."""
    return CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def describe(value: Any) -> str:
    """A short description of a value for a message: its repr, or its kind if long or nested."""
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}... ({len(text)} characters)"


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
        set_keys = [apply_assignment(doc, item) for item in assignments]
        return build(doc, source=self.source, set_keys=set_keys)

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


MAX_DEPTH = 32
"""Deepest nesting of tables and arrays a scenario document may have (real ones have 3)."""
MAX_EXTENDS = 32
"""Longest chain of ``extends`` a scenario file may have."""


def parse_toml(text: str, file: str | Path) -> dict[str, Any]:
    """Parse TOML text, raising every failure as a :class:`ScenarioError` naming ``file``."""
    try:
        doc = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or an integer beyond Python's digit limit
        raise ScenarioError(f"not valid TOML ({exc})", file=file) from None
    except RecursionError:
        raise ScenarioError(
            "not valid TOML (arrays or tables nested too deeply)", file=file
        ) from None
    check_depth(doc, file)
    return doc


def check_depth(doc: Any, file: str | Path | None, key: str | None = None) -> None:
    """Refuse tables and arrays nested deeper than :data:`MAX_DEPTH` (without recursing)."""
    todo = [(doc, 0)]
    while todo:
        value, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError(
                f"tables or arrays nested more than {MAX_DEPTH} deep", file=file, key=key
            )
        if isinstance(value, Mapping):
            todo.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            todo.extend((v, depth + 1) for v in value)


def read_document(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file and everything it extends into one merged document."""
    path = Path(path)
    try:
        resolved = path.resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        raise ScenarioError(f"cannot read the file ({exc})", file=path) from None
    if resolved in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved))
        raise ScenarioError(f"'extends' forms a cycle ({cycle})", file=path, key="extends")
    doc = parse_toml(read_text(path), path)
    parent = doc.pop("extends", None)
    if parent is None:
        return doc
    if not isinstance(parent, str) or not parent:
        raise ScenarioError("must be a file name (a string)", file=path, key="extends")
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(
            f"a chain of more than {MAX_EXTENDS} files extending each other",
            file=path,
            key="extends",
        )
    parent_path = path.parent / parent
    try:
        found = parent_path.is_file()
        missing = not found and not parent_path.exists()
    except (OSError, ValueError):  # a name holding a NUL byte, or too long for the system
        found, missing = False, True
    if missing:
        raise ScenarioError(f"extends a missing file {parent!r}", file=path, key="extends")
    if not found:
        raise ScenarioError(
            f"extends {parent!r}, which is not a readable file", file=path, key="extends"
        )
    return merge(read_document(parent_path, (*chain, resolved)), doc)


def read_text(path: Path) -> str:
    """The text of a scenario file: a regular file of at most :data:`MAX_FILE_BYTES`, UTF-8.

    Devices, pipes and sockets are refused before they are opened (a FIFO would block, a device
    such as ``/dev/zero`` never ends); the file is opened non-blocking and checked again, so a
    path swapped for a pipe between the two checks cannot block either.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError("file not found", file=path) from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"cannot read the file ({exc})", file=path) from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError("is a directory, not a scenario file", file=path)
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(
            "is not a regular file (a device, pipe or socket); only files are read", file=path
        )
    if info.st_size > MAX_FILE_BYTES:
        raise ScenarioError(
            f"is {info.st_size:,} bytes; a scenario file may be at most {MAX_FILE_BYTES:,}",
            file=path,
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ScenarioError("is not a regular file; only files are read", file=path)
            data = fh.read(MAX_FILE_BYTES + 1)
    except ScenarioError:
        raise
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"cannot read the file ({exc})", file=path) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(f"a scenario file may be at most {MAX_FILE_BYTES:,} bytes", file=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"cannot read the file: not UTF-8 text ({exc})", file=path) from None


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


def parse_assignment(item: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=VALUE`` into its key path and its value (parsed as TOML, else a string).

    The key may quote its parts as TOML does (``events."ferry_strike@23.06".days=2``).
    """
    key, sep, raw = split_assignment(item)
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(f"expected KEY=VALUE, not {describe(item)}", file=setting("overrides"))
    parts = key_parts(key)
    if parts == ["extends"]:
        raise ScenarioError(
            "cannot be set on the command line (name the file to extend in the scenario)",
            file=setting("overrides"),
            key=key,
        )
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        value = raw
    check_depth(value, setting("overrides"), ".".join(parts))
    return parts, value


def key_parts(key: str) -> list[str]:
    """The parts of a dotted key, TOML quoting allowed (``events."ferry_strike@23.06".days``).

    The one parser of keys for ``--set`` and ``--grid``.

    Raises:
        ScenarioError: a part is empty.
    """
    key = key.strip()
    parts = quoted_key(key) or [p.strip().strip('"') for p in key.split(".")]
    if any(not p for p in parts):
        raise ScenarioError("empty part in the dotted key", file=setting("overrides"), key=key)
    return parts


def split_assignment(item: str) -> tuple[str, str, str]:
    """Split ``KEY=VALUE`` at the first ``=`` outside the key's quotes (like str.partition)."""
    quote = ""
    escaped = False
    for i, ch in enumerate(item):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            return item[:i], "=", item[i + 1 :]
    return item.partition("=")


def quoted_key(key: str) -> list[str] | None:
    """The parts of a dotted key that quotes some of them, read as TOML; None if it quotes none."""
    if not any(q in key for q in "\"'") or any(c in key for c in "\n\r="):
        return None
    try:
        table: Any = tomllib.loads(f"{key} = 0")
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return None
    parts: list[str] = []
    while isinstance(table, dict) and len(table) == 1:
        ((part, table),) = table.items()
        parts.append(part)
    return parts if table == 0 and not isinstance(table, bool) else None


def apply_assignment(doc: dict[str, Any], item: str) -> str:
    """Set one ``KEY=VALUE`` assignment in a document, creating tables as needed.

    Returns the dotted key that was set.
    """
    parts, value = parse_assignment(item)
    table = doc
    for i, part in enumerate(parts[:-1]):
        nxt = table.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise ScenarioError(
                "is not a table", file=setting("overrides"), key=".".join(parts[: i + 1])
            )
        table = nxt
    table[parts[-1]] = value
    return ".".join(parts)


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
    doc = parse_toml(text, source)
    if "extends" in doc:
        raise ScenarioError("'extends' needs a file on disk", file=source, key="extends")
    return build(doc, source=source)


# --- writing TOML -------------------------------------------------------------------------------

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


TOML_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped, the rest as is.

    (JSON's escaping is not TOML's: it writes characters beyond the BMP as surrogate pairs,
    which TOML refuses, and leaves DEL unescaped, which TOML forbids.)
    """
    out = []
    for ch in text:
        if ch in TOML_ESCAPES:
            out.append(TOML_ESCAPES[ch])
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    """A TOML key, quoted when it is not a bare key."""
    return key if BARE_KEY.fullmatch(key) else toml_string(key)


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
        return toml_string(value)
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
