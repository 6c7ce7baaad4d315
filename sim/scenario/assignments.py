"""Overrides: ``KEY=VALUE`` assignments (the dotted key, the value in TOML syntax) parsed and
applied to a scenario document."""

from __future__ import annotations

import tomllib
from typing import Any

from sim.errors import setting
from sim.scenario.errors import ScenarioError, describe
from sim.scenario.reading import check_depth


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
