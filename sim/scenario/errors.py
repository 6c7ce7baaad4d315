"""A scenario's errors: :class:`ScenarioError` names the file, the key and what is wrong, on one
line, with the nearest valid name when a name is unknown."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sim.errors import BadInput


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
