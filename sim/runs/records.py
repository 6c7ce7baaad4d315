"""A sweep's files, one a run: its record, its time series, and the table of them all.

A sweep's directory holds ``manifest.json``, ``runs.parquet`` (one row a run), ``timeseries/``
(one Parquet file a finished run, together a dataset) and ``records/`` (one small JSON record a
run, written as each run finishes; ``runs.parquet`` is rebuilt from them). The manifest's
``state`` is ``complete`` only when every planned run has a record; a complete manifest holds
the digest of ``runs.parquet``, and ``runs.parquet`` the digest of each run's time series."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.files import of_kind
from sim.runs.provenance import frame_parquet_bytes

RUNS = "runs.parquet"


TIMESERIES_DIR = "timeseries"


RECORDS_DIR = "records"


ID_COLUMNS: tuple[str, ...] = ("run_id", "scenario", "replicate")
"""The columns that name a run, first in ``runs.parquet`` and in every time series file."""


RUN_COLUMNS: tuple[str, ...] = (
    "seed_entropy",
    "seed_spawn_key",
    "status",
    "error",
    "wall_seconds",
    "n_days",
    "timeseries_sha256",
)
"""The columns of ``runs.parquet`` between the grid values and the summary outcomes."""


def summary_column(outcome: Any) -> str:
    """The ``runs.parquet`` column holding an outcome's run summary (``total_``, ``mean_``...)."""
    prefix = {"sum": "total", "mean": "mean", "last": "last"}[outcome.summary]
    return f"{prefix}_{outcome.name}"


def summary_columns() -> list[str]:
    """Every summary column: ``total_<x>`` for summed outcomes, then ``mean_<x>`` for all."""
    from sim.model.outcomes import OUTCOMES

    cols = [summary_column(o) for o in OUTCOMES if o.summary != "mean"]
    return cols + [f"mean_{o.name}" for o in OUTCOMES]


def run_summary(frame: pd.DataFrame) -> dict[str, float]:
    """A run's summary outcomes by column name: totals (or last values) and daily means."""
    from sim.model.outcomes import OUTCOMES, summarise_with_means

    values, means = summarise_with_means(frame)
    out = {summary_column(o): values[o.name] for o in OUTCOMES if o.summary != "mean"}
    out.update({f"mean_{name}": value for name, value in means.items()})
    return out


RECORD_FIELDS: dict[str, type | tuple[type, ...]] = {
    "run_id": str,
    "scenario": str,
    "replicate": int,
    "point": dict,
    "seed_entropy": int,
    "seed_spawn_key": list,
    "status": str,
    "error": str,
    "wall_seconds": (int, float),
    "n_days": int,
    "timeseries_sha256": (str, type(None)),
    "summary": dict,
}
"""The fields of a sweep's run record (``records/<run_id>.json``) and their types."""


def check_record(record: Any) -> str | None:
    """What is wrong with a run record's shape, or None if it is whole.

    A finished run's record must hold the digest of its time series and every summary column.
    """
    if not isinstance(record, dict):
        return f"not a record (a JSON object), but a {type(record).__name__}"
    for key, kind in RECORD_FIELDS.items():
        if key not in record:
            return f"lacks the field {key!r}"
        if not of_kind(record[key], kind):
            return f"field {key!r} has the wrong type ({type(record[key]).__name__})"
    if not all(of_kind(k, int) for k in record["seed_spawn_key"]):
        return "field 'seed_spawn_key' must be a list of whole numbers"
    if record["status"] == "ok":
        if not isinstance(record["timeseries_sha256"], str):
            return "a finished run's record lacks the digest of its time series"
        summary = record["summary"]
        if set(summary) != set(summary_columns()) or not all(
            of_kind(v, (int, float)) for v in summary.values()
        ):
            return "field 'summary' does not hold every summary outcome as a number"
    return None


def summaries_agree(recorded: dict[str, Any], frame: pd.DataFrame) -> list[str]:
    """The summary columns whose recorded value differs from the one computed from ``frame``."""
    computed = run_summary(frame)
    wrong = []
    for col, value in computed.items():
        got = recorded.get(col)
        if got is None or not of_kind(got, (int, float)):
            wrong.append(col)
            continue
        got, value = float(got), float(value)
        if math.isnan(got) and math.isnan(value):
            continue
        if not math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-9):
            wrong.append(col)
    return wrong


def timeseries_path(folder: str | Path, run_id: str) -> Path:
    """Where a sweep keeps a run's daily outcomes."""
    return Path(folder) / TIMESERIES_DIR / f"{run_id}.parquet"


def record_path(folder: str | Path, run_id: str) -> Path:
    """Where a sweep keeps a run's record."""
    return Path(folder) / RECORDS_DIR / f"{run_id}.json"


def timeseries_bytes(
    frame: pd.DataFrame,
    run_id: str,
    scenario: str,
    replicate: int,
    metadata: dict[str, str] | None = None,
) -> bytes:
    """A run's daily outcomes as Parquet bytes, led by the columns that name the run, with
    ``metadata`` (see :func:`provenance`) in the file's key-value metadata."""
    out = frame.copy()
    out.insert(0, "replicate", pd.Series(replicate, index=out.index, dtype="int64"))
    out.insert(0, "scenario", pd.Series(scenario, index=out.index, dtype="str"))
    out.insert(0, "run_id", pd.Series(run_id, index=out.index, dtype="str"))
    return frame_parquet_bytes(out, metadata)


def _arrow_type(values: list[Any]) -> Any:
    import datetime

    import pyarrow as pa

    kinds = {type(v) for v in values if v is not None}
    if kinds == {bool}:
        return pa.bool_()
    if kinds == {int}:
        return pa.int64()
    if kinds and kinds <= {int, float}:
        return pa.float64()
    if kinds == {datetime.date}:
        return pa.date32()
    return pa.string()


def runs_table(rows: list[dict[str, Any]], grid_keys: list[str]) -> Any:
    """``runs.parquet`` as a pyarrow Table with a fixed schema, whatever the number of rows.

    Args:
        rows: one dict a run, with the keys of :data:`ID_COLUMNS`, :data:`RUN_COLUMNS`, the
            grid keys and (for finished runs) :func:`summary_columns`.
        grid_keys: the grid's (or design's) dotted keys, one column each after the run's name.
    """
    import pyarrow as pa

    fields = [
        ("run_id", pa.string()),
        ("scenario", pa.string()),
        ("replicate", pa.int64()),
        *((key, _arrow_type([r.get(key) for r in rows])) for key in grid_keys),
        ("seed_entropy", pa.int64()),
        ("seed_spawn_key", pa.list_(pa.int64())),
        ("status", pa.string()),
        ("error", pa.string()),
        ("wall_seconds", pa.float64()),
        ("n_days", pa.int64()),
        ("timeseries_sha256", pa.string()),
        *((col, pa.float64()) for col in summary_columns()),
    ]
    schema = pa.schema(fields)
    for key in grid_keys:
        if schema.field(key).type == pa.string():
            for r in rows:
                if r.get(key) is not None and not isinstance(r[key], str):
                    r[key] = str(r[key])
    columns = {name: [r.get(name) for r in rows] for name, _ in fields}
    return pa.Table.from_pydict(columns, schema=schema)
