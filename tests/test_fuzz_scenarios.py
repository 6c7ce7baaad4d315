"""Scenario files and ``--set`` values, fuzzed: every input loads or is refused with a named error.

The generators build scenario documents from the schema itself (:func:`sim.schema.groups` and
:data:`sim.scenario.TOP_LEVEL`), so a new parameter or measure is fuzzed without editing here.
Each generated document carries an oracle: the set of dotted keys the generator made wrong
(a bad value, an unknown key, a near-miss typo, a table where a value belongs...). Then:

* no fault: the document must load, hold the values written, and round-trip through
  ``to_toml()``;
* faults: it must raise :class:`ScenarioError` naming the file, one of the faulty keys (none
  only for text that is not TOML at all) and a one-line reason, with the nearest valid name
  for a typo;
* nothing else may escape (TypeError, KeyError, OverflowError, RecursionError...).

Arbitrary text and bytes, ``extends`` chains (cycles, missing files, directories) and ``--set``
strings are fuzzed the same way. Hypothesis runs derandomised (a fixed seed and no example
database), so the same examples run every time.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import setting
from sim.params import SECTIONS
from sim.scenario.building import MAX_DAYS, TOP_LEVEL, Scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import from_text, load_scenario
from sim.scenario.schema import Key, groups

from .conftest import SCENARIOS

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

GROUPS = groups()
SECTION_GROUPS = [g for g in GROUPS if g.kind == "section"]
MEASURE_GROUPS = [g for g in GROUPS if g.kind != "section"]
ALLOWED_TOP = set(TOP_LEVEL) | set(SECTIONS) | {"policies", "events"}
DAY_RANGE = (-36_500, 36_500)
LAST_START = dt.date(9999, 12, 31) - dt.timedelta(days=MAX_DAYS)
"""The latest start date that no valid number of days can run past the calendar's end."""
PARSE = "<not TOML>"
"""The fault of a document that is not valid TOML at all: its error names no key."""
BASELINE = load_scenario(SCENARIOS / "baseline.toml")


# --- writing generated documents as TOML ------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """A value written into the TOML text exactly as given."""

    text: str


@dataclass(frozen=True)
class Inline:
    """A table written inline (``{a = 1}``) rather than under a header."""

    table: dict


def quote(text: str) -> str:
    """A TOML basic string (written here independently of sim.scenario.loading's writer)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def key_text(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else quote(key)


def value_text(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, Inline | dict):
        table = value.table if isinstance(value, Inline) else value
        return "{" + ", ".join(f"{key_text(k)} = {value_text(v)}" for k, v in table.items()) + "}"
    raise TypeError(value)


def toml_text(doc: dict[str, Any]) -> str:
    """A generated document as TOML: plain dicts become tables under headers."""
    lines: list[str] = []

    def table(path: list[str], body: dict[str, Any]) -> None:
        if path:
            lines.append("[" + ".".join(key_text(p) for p in path) + "]")
        for key, value in body.items():
            if not isinstance(value, dict):
                lines.append(f"{key_text(key)} = {value_text(value)}")
        for key, value in body.items():
            if isinstance(value, dict):
                table([*path, key], value)

    table([], doc)
    return "\n".join(lines) + "\n"


# --- values ------------------------------------------------------------------------------------

small_text = st.text(max_size=12)
dates = st.dates()
times = st.times()
offsets = st.integers(-23 * 60, 23 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
datetimes = st.datetimes() | st.builds(
    lambda d, tz: d.replace(tzinfo=tz), st.datetimes(min_value=dt.datetime(2, 1, 1)), offsets
)
scalars = (
    st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | small_text
    | dates
    | times
    | datetimes
)
nested = st.lists(scalars, max_size=3) | st.dictionaries(small_text, scalars, max_size=3).map(
    Inline
)
not_toml = st.sampled_from(
    [
        Raw("1" + "0" * 4400),  # beyond Python's digit limit for int()
        Raw("[" * 40 + "]" * 40),  # deeper than any scenario
        Raw("[" * 1500 + "]" * 1500),  # deeper than the parser's recursion
        Raw("{a = " * 40 + "1" + "}" * 40),
        Raw("'unterminated"),
        Raw(""),
    ]
)


def bounds(key: Key) -> tuple[float, float]:
    lo = -1e9 if key.spec.lo is None else key.spec.lo
    hi = 1e9 if key.spec.hi is None else key.spec.hi
    return lo, hi


def valid_value(key: Key) -> st.SearchStrategy:
    """Values the key accepts, paired with what the loaded scenario must hold."""
    lo, hi = bounds(key)
    if key.kind == "bool":
        values = st.booleans().map(lambda v: (v, v))
    elif key.kind == "int":
        ints = st.integers(math.ceil(lo), math.floor(hi))
        values = ints.map(lambda v: (v, v)) | ints.map(lambda v: (float(v), v))
    elif key.kind == "float":
        values = st.floats(lo, hi).map(lambda v: (v, v)) | st.integers(
            math.ceil(lo), math.floor(hi)
        ).map(lambda v: (v, float(v)))
    elif key.kind == "str":
        values = (st.sampled_from(key.spec.choices) if key.spec.choices else st.text()).map(
            lambda v: (v, v)
        )
    elif key.kind == "day":
        values = (
            st.integers(*DAY_RANGE).map(lambda v: (v, v))
            | dates.map(lambda v: (v, v))
            | datetimes.map(lambda v: (v, v.date()))
        )
    else:  # a new kind of parameter: fuzz it by hand
        raise AssertionError(f"no generator for {key.kind} ({key.path})")
    return values


def invalid_value(key: Key) -> st.SearchStrategy:
    """Values the key must refuse: wrong types, out of range, not finite, not whole..."""
    lo, hi = bounds(key)
    wrong = nested | not_toml
    if key.kind == "bool":
        wrong |= st.integers() | st.floats() | small_text | dates | times
    elif key.kind in ("int", "float"):
        wrong |= st.booleans() | small_text | dates | times | datetimes
        wrong |= st.sampled_from([math.nan, math.inf, -math.inf])
        wrong |= st.integers(max_value=math.ceil(lo) - 1) | st.integers(
            min_value=math.floor(hi) + 1
        )
        wrong |= st.sampled_from([2**63, 10**400, -(10**400)])
        wrong |= st.floats(max_value=lo, exclude_max=True) | st.floats(
            min_value=hi, exclude_min=True
        )
        if key.kind == "int":
            wrong |= st.floats(lo, hi).filter(lambda v: not v.is_integer())
    elif key.kind == "str":
        wrong |= st.integers() | st.booleans() | dates
        if key.spec.choices:
            wrong |= small_text.filter(lambda v: v not in key.spec.choices)
    elif key.kind == "day":
        wrong |= st.floats() | small_text | st.booleans() | times
        wrong |= st.integers(max_value=DAY_RANGE[0] - 1) | st.integers(min_value=DAY_RANGE[1] + 1)
    return wrong


def fault_of(value: Any, key: str) -> str:
    """The fault a bad value makes: its key, or PARSE if the text is not TOML at all."""
    return PARSE if isinstance(value, Raw) else key


@st.composite
def typo(draw, word: str) -> str:
    """A near miss of ``word``: one letter dropped, added, replaced or two swapped."""
    op = draw(st.sampled_from(["drop", "add", "replace", "swap"]))
    i = draw(st.integers(0, len(word) - 1))
    ch = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz_"))
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "add":
        return word[:i] + ch + word[i:]
    if op == "replace":
        return word[:i] + ch + word[i + 1 :]
    return word[:i] + word[i + 1 : i + 2] + word[i] + word[i + 2 :]


# --- documents with their faults -----------------------------------------------------------------


@dataclass
class Generated:
    """A generated document, what it must load as, and what is wrong with it."""

    doc: dict[str, Any]
    faults: set[str]
    typos: set[str]
    expect: dict[tuple[str, ...], Any]
    faulty: int
    """How many things to make wrong at most: a valid document tests the loader as much as a
    bad one, and a document with a single fault tests that each check works alone."""

    def bad(self, key: str, value: Any = None, near_miss: bool = False) -> None:
        fault = fault_of(value, key)
        self.faults.add(fault)
        if near_miss:
            self.typos.add(fault)


def chance(draw, out: Generated, n: int) -> bool:
    """Until the document has its faults, true one time in ``n``; in a valid one, never."""
    return len(out.faults) < out.faulty and draw(st.integers(1, n)) == 1


def pick(draw, valid: st.SearchStrategy, invalid: st.SearchStrategy, out: Generated):
    """Draw a valid value, or (in a faulty document, one time in ten) an invalid one."""
    if chance(draw, out, 10):
        return False, draw(invalid)
    return True, draw(valid)


@st.composite
def parameter_table(draw, g, keys: list[Key], where: str, out: Generated) -> dict[str, Any]:
    """A table of a section or measure: some keys, valid or not, and some unknown keys."""
    table: dict[str, Any] = {}
    declared = {k.name for k in g.keys}
    for key in draw(st.lists(st.sampled_from(keys), unique_by=lambda k: k.name, max_size=6)):
        ok, value = pick(draw, valid_value(key), invalid_value(key), out)
        if ok:
            table[key.name], out.expect[(*where.split(".", 1), key.name)] = value
        else:
            table[key.name] = value
            out.bad(f"{where}.{key.name}", value)
    if chance(draw, out, 6):  # a near-miss of a declared key
        name = draw(typo(draw(st.sampled_from(sorted(declared)))))
        if name and name not in declared and name not in table:
            table[name] = draw(scalars)
            out.bad(f"{where}.{name}", near_miss=True)
    if chance(draw, out, 8):  # an unknown key
        name = draw(st.text(min_size=1, max_size=8))
        if name not in declared and name not in table:
            table[name] = draw(scalars)
            out.bad(f"{where}.{name}")
    if chance(draw, out, 10) and g.keys:  # a table where a value belongs
        key = draw(st.sampled_from(g.keys))
        table[key.name] = draw(st.dictionaries(small_text, scalars, max_size=2))
        out.expect.pop((*where.split(".", 1), key.name), None)
        out.bad(f"{where}.{key.name}")
    return table


TOP_VALUES: dict[str, tuple[st.SearchStrategy, st.SearchStrategy]] = {
    "name": (
        st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,30}\Z").map(lambda v: (v, v)),
        st.sampled_from(["", " ", ".", "..", ".hidden", "-x", "a b", "a/b", "é", "x" * 101])
        | st.integers()
        | st.booleans()
        | nested
        | not_toml,
    ),
    "description": (
        st.text(max_size=40).map(lambda v: (v, v)),
        st.integers() | st.floats() | dates | nested | not_toml,
    ),
    "start_date": (
        st.dates(max_value=LAST_START).map(lambda v: (v, v))
        | st.datetimes(max_value=dt.datetime.combine(LAST_START, dt.time())).map(
            lambda v: (v, v.date())
        ),
        small_text | st.integers() | times | st.booleans() | nested | not_toml,
    ),
    "days": (
        st.integers(1, MAX_DAYS).map(lambda v: (v, v)),
        st.integers(max_value=0)
        | st.integers(min_value=MAX_DAYS + 1)
        | st.floats()
        | small_text
        | st.booleans()
        | dates
        | nested
        | not_toml,
    ),
    "seed": (
        st.integers(0, 2**63 - 1).map(lambda v: (v, v)),
        st.integers(max_value=-1)
        | st.integers(min_value=2**63, max_value=2**200)
        | st.floats()
        | small_text
        | st.booleans()
        | nested
        | not_toml,
    ),
}


@st.composite
def documents(draw, with_name: bool = True) -> Generated:
    """A scenario document mixing valid and invalid keys, values and tables."""
    out = Generated({}, set(), set(), {}, faulty=draw(st.sampled_from([0, 0, 1, 1, 2, 3])))
    doc = out.doc
    for key, (valid, invalid) in TOP_VALUES.items():
        if key == "name" and not with_name:
            if chance(draw, out, 10):
                continue
        elif draw(st.booleans()):
            continue
        ok, value = pick(draw, valid, invalid, out)
        if ok:
            doc[key], out.expect[(key,)] = value
        else:
            doc[key] = value
            out.bad(key, value)
    if "name" not in doc and not with_name:
        out.bad("name")
    if chance(draw, out, 20):  # a start so late that the run passes 9999-12-31
        doc["start_date"] = dt.date(9999, 12, draw(st.integers(1, 31)))
        doc["days"] = draw(st.integers(32, MAX_DAYS))
        out.expect.pop(("start_date",), None)
        out.expect.pop(("days",), None)
        out.bad("start_date")

    for g in draw(st.lists(st.sampled_from(SECTION_GROUPS), unique_by=lambda g: g.table)):
        if chance(draw, out, 16):
            doc[g.table] = draw(scalars | st.lists(scalars, max_size=2))
            out.bad(g.table)
        else:
            doc[g.table] = draw(parameter_table(g, list(g.keys), g.table, out))

    for g in draw(st.lists(st.sampled_from(MEASURE_GROUPS), max_size=5)):
        table_name, kind = g.table.split(".")
        measures = doc.setdefault(table_name, {})
        if not isinstance(measures, dict):
            continue
        label = draw(st.sampled_from(["none", "label", "label", *(["empty", "typo"] * out.faulty)]))
        name = kind
        if label == "typo":
            name = draw(typo(kind))
            registry = {h.table.split(".")[1] for h in GROUPS if h.table.startswith(table_name)}
            if name in registry:
                continue
        key = name
        if label in ("label", "typo") and draw(st.booleans()):
            key = f"{name}@{draw(st.text(min_size=1, max_size=8))}"
        elif label == "empty":
            key = f"{name}@"
        if key in measures:
            continue
        where = f"{table_name}.{key}"
        if chance(draw, out, 16):
            measures[key] = draw(scalars)
            out.bad(where)
            continue
        measures[key] = draw(parameter_table(g, list(g.keys), where, out))
        if label == "typo":
            out.bad(where, near_miss=True)
        elif label == "empty":
            out.bad(where)

    if chance(draw, out, 30):
        table = draw(st.sampled_from(["policies", "events"]))
        doc[table] = draw(scalars)
        out.bad(table)
    if chance(draw, out, 2):  # a near miss of a top-level key
        name = draw(typo(draw(st.sampled_from(sorted(ALLOWED_TOP)))))
        if name and name not in ALLOWED_TOP and name not in doc:
            doc[name] = draw(scalars | st.dictionaries(small_text, scalars, max_size=2))
            out.bad(name, near_miss=True)
    if chance(draw, out, 10):  # an unknown top-level key
        name = draw(st.text(min_size=1, max_size=10))
        if name not in ALLOWED_TOP and name not in doc:
            doc[name] = draw(scalars)
            out.bad(name)
    if out.faulty and not out.faults:
        doc["sed"] = 1
        out.bad("sed", near_miss=True)
    # the dictionaries the loader would see: drop expectations for tables that were replaced
    out.expect = {
        path: v for path, v in out.expect.items() if isinstance(lookup(doc, path[:-1]), dict)
    }
    return out


def lookup(doc: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


# --- the properties --------------------------------------------------------------------------


def round_trips(scenario: Scenario) -> None:
    """A loaded scenario's TOML loads back to the same scenario, and writes the same text."""
    text = scenario.to_toml()
    again = from_text(text, "<round trip>")
    assert again.to_toml() == text
    assert again.document == scenario.document
    assert again.measures == scenario.measures
    assert dict(again.sections) == dict(scenario.sections)
    assert (again.name, again.description, again.start_date, again.days, again.seed) == (
        scenario.name,
        scenario.description,
        scenario.start_date,
        scenario.days,
        scenario.seed,
    )


def outcome(load: Callable[[], Scenario]) -> Scenario | ScenarioError:
    """Load, returning the scenario or the ScenarioError; anything else fails the test."""
    try:
        return load()
    except ScenarioError as err:
        return err


def check_error(err: ScenarioError, file: str, keys: set[str]) -> None:
    """A refusal names the file, one of the keys at fault (if any is), and one line of reason."""
    assert err.file == file, err
    assert err.message, err
    assert "\n" not in str(err) and "\r" not in str(err)
    assert str(err).startswith(f"{file}: ")
    if keys:
        assert err.key in keys, f"{err} (faults: {sorted(keys)})"
        assert err.key in str(err) or "\\" in str(err)


def check_document(gen: Generated, result: Scenario | ScenarioError, file: str) -> None:
    if gen.faults:
        assert isinstance(result, ScenarioError), f"loaded, though {sorted(gen.faults)} are wrong"
        keys = gen.faults - {PARSE}
        if PARSE in gen.faults and result.key is None:
            keys = set()
        check_error(result, file, keys)
        if result.key in gen.typos:
            assert "did you mean" in result.message, result
        return
    assert isinstance(result, Scenario), f"valid document refused: {result}"
    for path, want in gen.expect.items():
        got = lookup(result.document, path)
        assert got == want and type(got) is type(want), (path, got, want)
    round_trips(result)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(gen=documents(with_name=False))
def test_generated_documents_load_or_name_the_fault(gen):
    check_document(gen, outcome(lambda: from_text(toml_text(gen.doc), "<fuzz>")), "<fuzz>")


@FUZZ
@given(gen=documents())
def test_generated_files_load_or_name_the_fault(gen, workdir):
    path = workdir / "generated.toml"
    path.write_text(toml_text(gen.doc), encoding="utf-8")
    check_document(gen, outcome(lambda: load_scenario(path)), str(path))


@FUZZ
@given(gen=documents(), extends=st.text(max_size=10) | st.integers())
def test_extends_in_text_is_refused(gen, extends):
    gen.doc["extends"] = extends
    result = outcome(lambda: from_text(toml_text(gen.doc), "<fuzz>"))
    assert isinstance(result, ScenarioError)
    assert result.file == "<fuzz>" and "\n" not in str(result)


TOML_LINES = st.one_of(
    st.sampled_from(sorted(ALLOWED_TOP)).map(lambda k: f"[{k}]"),
    st.sampled_from([g.table for g in GROUPS]).map(lambda t: f"[{t}]"),
    st.tuples(
        st.sampled_from([k.name for g in GROUPS for k in g.keys] + sorted(TOP_LEVEL)),
        scalars | nested,
    ).map(lambda kv: f"{kv[0]} = {value_text(kv[1])}"),
    st.text(max_size=20),
)


@FUZZ
@given(text=st.text() | st.lists(TOML_LINES, max_size=8).map("\n".join))
def test_arbitrary_text_loads_or_is_refused(text):
    result = outcome(lambda: from_text(text, "<text>"))
    if isinstance(result, ScenarioError):
        check_error(result, "<text>", set())
    else:
        round_trips(result)


@settings(FUZZ, max_examples=100)
@given(data=st.binary(max_size=200) | st.text(max_size=100).map(lambda t: t.encode("utf-16")))
def test_arbitrary_bytes_in_a_file_load_or_are_refused(data, workdir):
    path = workdir / "bytes.toml"
    path.write_bytes(data)
    result = outcome(lambda: load_scenario(path))
    if isinstance(result, ScenarioError):
        check_error(result, str(path), set())
    else:
        round_trips(result)


# --- extends ------------------------------------------------------------------------------------


@st.composite
def valid_tables(draw) -> dict[str, Any]:
    """A small valid document, without a name (each file of a chain adds to it)."""
    doc: dict[str, Any] = {}
    for key in ("days", "seed", "description"):
        if draw(st.booleans()):
            doc[key] = draw(TOP_VALUES[key][0])[0]
    for g in draw(st.lists(st.sampled_from(GROUPS), max_size=3, unique_by=lambda g: g.table)):
        keys = draw(st.lists(st.sampled_from(g.keys), max_size=3, unique_by=lambda k: k.name))
        table = {k.name: draw(valid_value(k))[0] for k in keys}
        head, _, rest = g.table.partition(".")
        if rest:
            doc.setdefault(head, {})[rest] = table
        else:
            doc[head] = table
    return doc


EXTENDS_KINDS = ["none", "file", "file", "missing", "directory", "not a string", "empty", "null"]


@settings(FUZZ, max_examples=150)
@given(
    files=st.lists(
        st.tuples(valid_tables(), st.sampled_from(EXTENDS_KINDS), st.integers(0, 3)),
        min_size=1,
        max_size=4,
    ),
    garbage=st.none() | st.integers(0, 3),
)
def test_extends_chains_load_or_name_the_file(files, garbage, workdir):
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        folder = Path(tmp)
        (folder / "a-folder.toml").mkdir()
        names = [f"f{i}.toml" for i in range(len(files))]
        for i, (doc, kind, target) in enumerate(files):
            doc = dict(doc)
            doc["extends"] = {
                "none": None,
                "file": names[target % len(names)],
                "missing": "gone.toml",
                "directory": "a-folder.toml",
                "not a string": 3,
                "empty": "",
                "null": Raw('"nul\\u0000.toml"'),
            }[kind]
            if doc["extends"] is None:
                del doc["extends"]
            text = toml_text(doc)
            if garbage == i:  # an unknown key no file extending this one can take away
                text += "\nnot_a_key = 1\n"
            (folder / names[i]).write_text(text, encoding="utf-8")

        # follow the chain as the loader must
        seen: list[int] = []
        i, problem = 0, None
        while True:
            if i in seen:
                problem = ("cycle", names[i])
                break
            seen.append(i)
            _, kind, target = files[i]
            if kind == "none":
                break
            if kind != "file":
                problem = (kind, names[i])
                break
            i = target % len(names)

        result = outcome(lambda: load_scenario(folder / names[0]))
        if problem is not None:
            assert isinstance(result, ScenarioError), f"loaded despite {problem}"
            assert result.key == "extends" and "\n" not in str(result)
            assert result.file == str(folder / problem[1]), (result, problem)
            if problem[0] == "cycle":
                assert "cycle" in result.message
        elif garbage is not None and garbage in seen:
            assert isinstance(result, ScenarioError)
            assert result.file in {str(folder / names[j]) for j in seen}
        else:
            assert isinstance(result, Scenario), result
            assert result.name == "f0"
            round_trips(result)


# --- --set --------------------------------------------------------------------------------------

ALL_KEYS = [k for g in GROUPS for k in g.keys]


@st.composite
def assignments(draw) -> tuple[str, list[str] | None, str | None, Any]:
    """One ``--set`` string: (text, key path, expected fault key or 'any'/None, expected value).

    The fault is None for a valid assignment, a dotted key for an invalid one, and 'any' when
    only the file (``--set``) can be predicted.
    """
    kind = draw(st.sampled_from(["valid", "valid", "invalid", "typo", "text value", "garbage"]))
    if kind == "garbage":
        text = draw(st.text(max_size=30))
        return text, None, "any", None
    top = draw(st.integers(0, 4)) == 0
    if top:
        name = draw(st.sampled_from(list(TOP_VALUES)))
        path, (valid, invalid) = [name], TOP_VALUES[name]
    else:
        key = draw(st.sampled_from(ALL_KEYS))
        head, _, rest = key.path.rpartition(".")
        path = [*head.split(".", 1), rest]
        if len(path) == 3 and draw(st.booleans()):
            path[1] = f"{path[1]}@{draw(st.text(min_size=1, max_size=6))}"
        valid, invalid = valid_value(key), invalid_value(key)
    invalid = invalid.filter(lambda v: not isinstance(v, Raw))  # as --set, not TOML is text
    if kind == "typo":
        i = draw(st.integers(0, len(path) - 1))
        word = path[i].partition("@")[0]
        wrong = draw(typo(word))
        known = (
            ALLOWED_TOP
            if i == 0
            else {k.path.split(".")[-1] for k in ALL_KEYS}
            | {g.table.split(".")[-1] for g in GROUPS}
        )
        if not wrong or wrong in known:
            kind = "valid"
        else:
            path[i] = wrong + path[i][len(word) :]
    key_text_ = ".".join(key_text(p) for p in path)
    if kind == "text value":
        return f"{key_text_}={draw(st.text(max_size=12))}", path, "any", None
    if kind == "invalid":
        value = draw(invalid)
        return f"{key_text_}={value_text(value)}", path, ".".join(path), None
    value, want = draw(valid)
    text = f"{key_text_} = {value_text(value)}"
    if kind == "typo":
        return text, path, ".".join(path[: i + 1]) if i < 2 else ".".join(path), None
    return text, path, None, want


def conflicts(a: list[str], b: list[str]) -> bool:
    """Whether one key path is the other or lies inside it."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


@settings(FUZZ, max_examples=300)
@given(items=st.lists(assignments(), max_size=3))
def test_set_strings_apply_or_name_the_assignment(items, workdir):
    kept: list[tuple[str, list[str] | None, str | None, Any]] = []
    for item in items:
        if item[1] is None or not any(
            other[1] is not None and conflicts(item[1], other[1]) for other in kept
        ):
            kept.append(item)
    texts = [t for t, _, _, _ in kept]
    faults = {f for _, _, f, _ in kept if f is not None}

    by_method = outcome(lambda: BASELINE.with_overrides(texts))
    by_file = outcome(lambda: load_scenario(SCENARIOS / "baseline.toml", texts))
    assert type(by_method) is type(by_file)
    if isinstance(by_method, ScenarioError):
        assert faults, f"valid assignments {texts} refused: {by_method}"
        assert str(by_method) == str(by_file)
        exact = faults - {"any"}
        check_error(by_method, setting("overrides"), exact if "any" not in faults else set())
        assert by_method.key or "KEY=VALUE" in by_method.message, by_method
        return
    assert by_method.to_toml() == by_file.to_toml()
    assert "any" in faults or not faults, f"{texts} applied, though {sorted(faults)} are wrong"
    garbage = any(path is None for _, path, _, _ in kept)  # may set any key again
    for _, path, fault, want in kept:
        if fault is None and not garbage:
            got = lookup(by_method.document, tuple(path))
            assert got == want and type(got) is type(want), (path, got, want)
    round_trips(by_method)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("_set = 3", "_set"),  # once a TypeError: the loader kept its own notes in the document
        ('_set = ["days"]\ndays = 0', "_set"),  # ...and let a file blame --set for its errors
        ("[population]\ndaily_arrivals = 1" + "0" * 400, "population.daily_arrivals"),
        ("[population]\ninitial_migrants = 1" + "0" * 400, "population.initial_migrants"),
        ("days = 1" + "0" * 5000, None),  # beyond int()'s digit limit: once a ValueError
        ("x = " + "[" * 3000 + "]" * 3000, None),  # once a RecursionError
        ("[policies.returns]\nstart_day = 99999999999", "policies.returns.start_day"),
        ("start_date = 9999-12-01", "start_date"),  # once an OverflowError at the run's end
        ('name = ".."', "name"),  # would have written its results into results/..
        ('[policies."returns@\U0001f680"]', ""),  # once written back as invalid TOML
        (r'description = "\u007f\U0001f680"', ""),  # TOML escapes
    ],
)
def test_documents_that_once_escaped(text, key):
    if not text.startswith("name"):
        text = f'name = "x"\n{text}'
    result = outcome(lambda: from_text(text, "<text>"))
    if key == "":
        assert isinstance(result, Scenario), result
        round_trips(result)
    else:
        assert isinstance(result, ScenarioError), result
        check_error(result, "<text>", {key} if key else set())


@pytest.mark.parametrize(
    ("item", "key"),
    [
        ('events."ferry_strike@23.06".days=2', None),
        ("policies.returns@a.removal_share=0.5", None),
        ("extends=baseline.toml", "extends"),
        ("name=..", "name"),
        ("start_date=9999-12-01", "start_date"),
        ("population.initial_migrants=1" + "0" * 5000, "population.initial_migrants"),
        ("population.initial_migrants=" + "[" * 2000 + "]" * 2000, "population.initial_migrants"),
        ("description=\U0001f680 \x7f", None),
    ],
)
def test_set_edge_cases(item, key):
    result = outcome(lambda: BASELINE.with_overrides([item]))
    if key is None:
        assert isinstance(result, Scenario), result
        round_trips(result)
    else:
        assert (
            isinstance(result, ScenarioError)
            and result.key == key
            and result.file == setting("overrides")
        )
