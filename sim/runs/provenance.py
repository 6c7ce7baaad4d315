"""What a result file records to be rerun: the scenario, the seed, the versions, the command
line, the time; and Parquet files that carry it in their metadata."""

from __future__ import annotations

import datetime as dt
import io
import json
import platform
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.files import atomic_write

FORMAT_VERSION = 1
"""The version of the result formats, in every manifest."""
PROVENANCE_PREFIX = "calais_sim."
"""Prefix of the provenance keys in each Parquet file's key-value metadata."""


def provenance(scenario: str, seed: Any) -> dict[str, str]:
    """What a result file says about itself, as Parquet key-value metadata (text values).

    Keys ``calais_sim.scenario`` (the resolved scenario TOML, or JSON of {name: TOML} for a
    sweep's ``runs.parquet``), ``calais_sim.seed`` (JSON) and ``calais_sim.versions`` (JSON of
    :func:`versions`: the package, Python, Mesa, numpy...). Read them with
    ``pyarrow.parquet.read_schema(path).metadata``.
    """
    return {
        f"{PROVENANCE_PREFIX}scenario": scenario,
        f"{PROVENANCE_PREFIX}seed": json.dumps(seed, default=str),
        f"{PROVENANCE_PREFIX}versions": json.dumps(versions()),
    }


def frame_parquet_bytes(frame: pd.DataFrame, metadata: dict[str, str] | None = None) -> bytes:
    """A DataFrame as Parquet bytes (no index), with ``metadata`` added to the schema's."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    return parquet_bytes(table, metadata)


def write_parquet(
    path: str | Path, frame: pd.DataFrame, metadata: dict[str, str] | None = None
) -> None:
    """Write a DataFrame as Parquet atomically, with ``metadata`` in its key-value metadata."""
    data = frame_parquet_bytes(frame, metadata)
    atomic_write(path, lambda fh: fh.write(data))


def parquet_bytes(table: Any, metadata: dict[str, str] | None = None) -> bytes:
    """A pyarrow Table as Parquet bytes, with ``metadata`` added to its schema's metadata."""
    import pyarrow.parquet as pq

    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def versions() -> dict[str, str]:
    """Versions of the package, Python, Mesa, numpy and the other libraries that shape results."""
    import mesa
    import numpy
    import pyarrow
    import scipy

    import sim

    return {
        "calais_sim": sim.__version__,
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
    }


def command_line() -> list[str]:
    """The command line of this process."""
    return [Path(sys.argv[0]).name, *sys.argv[1:]]


def base_manifest(kind: str, command: list[str] | None = None) -> dict[str, Any]:
    """The fields every manifest has: kind, format, versions, command, time."""
    return {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "versions": versions(),
        "command": command if command is not None else command_line(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
