"""Reading scenario files: TOML with limits (size, depth, the chain of ``extends``), merged
table by table over the files a scenario extends."""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.scenario.errors import ScenarioError

MAX_FILE_BYTES = 1_000_000
"""Largest scenario file read (real ones are a few kilobytes)."""


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
