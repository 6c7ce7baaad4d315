"""The scenario schema as data: every table and key with its meaning, unit, default and range.

One source of truth for the documentation (``docs/scenarios.md``, written by
``python -m sim.scenario.schema``) and the web app's controls: a new parameter or measure
appears in both without editing either.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from typing import Any

from sim.measures.policies import DAY_UNIT, EVENTS, POLICIES
from sim.params import SECTIONS, Spec, specs, value_type
from sim.scenario.building import TOP_LEVEL


@dataclass(frozen=True)
class Key:
    """One key of a scenario file."""

    path: str
    """Dotted key as used by ``--set`` (``policies.port_fencing.strength``)."""
    name: str
    default: Any
    spec: Spec

    @property
    def kind(self) -> str:
        """'bool', 'int', 'float', 'str' or 'day' (a day number or a date)."""
        if self.spec.unit == DAY_UNIT:
            return "day"
        return value_type(self.default).__name__


@dataclass(frozen=True)
class Group:
    """A table of a scenario file: a parameter section, a measure or an event."""

    table: str
    """Its dotted name (``population``, ``policies.port_fencing``, ``events.ferry_strike``)."""
    kind: str
    """'section', 'measure' or 'event'."""
    title: str
    doc: str
    keys: tuple[Key, ...]


def _doc(cls: type) -> str:
    return (inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " ")


def _group(table: str, kind: str, cls: type) -> Group:
    keys = tuple(
        Key(f"{table}.{name}", name, default, spec) for name, (default, spec) in specs(cls).items()
    )
    title = table.rsplit(".", 1)[-1].replace("_", " ").capitalize()
    return Group(table, kind, title, _doc(cls), keys)


def groups() -> list[Group]:
    """Every table of a scenario file: sections, then measures, then events."""
    out = [_group(name, "section", cls) for name, cls in SECTIONS.items()]
    out += [_group(f"policies.{name}", "measure", cls) for name, cls in POLICIES.items()]
    out += [_group(f"events.{name}", "event", cls) for name, cls in EVENTS.items()]
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _range(spec: Spec) -> str:
    if spec.choices:
        return " / ".join(spec.choices)
    if spec.lo is None and spec.hi is None:
        return ""
    return f"{_fmt(spec.lo)} – {_fmt(spec.hi)}"


def _source(spec: Spec) -> str:
    """The source, and the prior where the parameter declares one."""
    if spec.prior is None:
        return spec.source
    p = spec.prior
    scale = "log-uniform" if p.log else "uniform"
    return f"{spec.source}; prior: {scale}, {_fmt(p.lo)} – {_fmt(p.hi)}"


def markdown() -> str:
    """``docs/scenarios.md``: every key of a scenario file, with meaning, unit, default, source."""
    lines = [
        "# Scenario files: every key",
        "",
        "Written by `python -m sim.scenario.schema > docs/scenarios.md` from the declarations in",
        "`sim/params.py` and `sim/measures/policies.py`; a test checks that it is current.",
        "",
        "A scenario is a TOML file. Top-level keys:",
        "",
        "| key | meaning |",
        "| --- | --- |",
        *(f"| `{k}` | {v} |" for k, v in TOP_LEVEL.items()),
        "",
        "Any key can also be set on the command line with `--set KEY=VALUE` (the dotted key",
        "below, the value in TOML syntax), for example `--set policies.returns.enabled=true`.",
        "A measure is in force when its table is present (`[policies.<name>]`) and `enabled` is",
        "true; the same measure may appear several times with a label",
        '(`[policies."tunnel_security@august"]`), each with its own start and parameters.',
        "Sources marked 'assumption' are judgement; 'calibrated' values are fitted to the 2015",
        "record (see `docs/validation.md`).",
        "",
    ]
    heading = {"section": "Model parameters", "measure": "Measures", "event": "Events"}
    shown = set()
    for g in groups():
        if g.kind not in shown:
            shown.add(g.kind)
            lines += [f"## {heading[g.kind]}", ""]
        lines += [f"### `[{g.table}]`", "", g.doc, ""]
        lines += [
            "| key | meaning | unit | default | range | source |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for k in g.keys:
            lines.append(
                f"| `{k.name}` | {k.spec.doc} | {k.spec.unit} | {_fmt(k.default)} | "
                f"{_range(k.spec)} | {_source(k.spec)} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown())
