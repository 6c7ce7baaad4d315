"""Scenarios written back as TOML text: the resolved document, every value as it was read."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

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
