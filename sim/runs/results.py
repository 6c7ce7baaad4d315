"""Result files: written atomically, recorded with everything needed to rerun them, checked on load.

A single run's directory holds ``timeseries.parquet`` (the daily outcomes), ``overview.png`` and
``manifest.json``. The manifest is written last and records the resolved scenario, the seed,
the versions of the package, Mesa and numpy, the command line, the time, and a SHA-256 digest of
each data file, so that a reader can tell a whole directory from a half-written one.
See ``results/README.md`` for the format.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import io
import json
import math
import os
import platform
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import BadInput, setting

MANIFEST = "manifest.json"
TIMESERIES = "timeseries.parquet"
FORMAT_VERSION = 1


class ResultsError(BadInput):
    """A result directory that cannot be read as whole: names the file and what is wrong."""


class FolderBusy(ResultsError):
    """An output folder that another process is writing into."""


MAX_NAME_BYTES = 255
"""Longest file or folder name most file systems take."""


def check_out_folder(out: str | Path, option: str = setting("out")) -> None:
    """Refuse an output folder that cannot be written, before anything runs.

    The folder must be a directory or not exist yet; every name in its path must fit the file
    system (255 bytes); the nearest existing folder above it must be a directory on a file
    system that takes new files (not read-only, not ``/proc`` or ``/sys``).

    Raises:
        ResultsError: naming ``option``, the folder and the reason.
    """
    out = Path(out)

    def fail(why: str) -> ResultsError:
        return ResultsError(f"{option} {out}: {why}")

    for part in out.parts:
        if len(os.fsencode(part)) > MAX_NAME_BYTES:
            raise fail(f"a name in the path is longer than {MAX_NAME_BYTES} bytes")
    try:
        info = os.stat(out)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        info = None
    except (OSError, ValueError) as exc:
        raise fail(f"cannot be used ({exc})") from None
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise fail("exists and is not a directory")
    parent = out
    while True:
        try:
            if parent.exists() or parent == parent.parent:
                break
        except (OSError, ValueError) as exc:
            raise fail(f"cannot be used ({exc})") from None
        parent = parent.parent
    if not parent.is_dir():
        raise fail(f"{parent} is a file, not a directory")
    real = parent.resolve()
    if real.parts[1:2] in (("proc",), ("sys",), ("dev",)):
        raise fail(f"{real} is a system folder, not a place for results")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise fail(f"cannot write in {parent}")
    try:  # a read-only mount, or a file system that takes no files
        with tempfile.TemporaryFile(dir=parent, prefix=".calais-sim-probe."):
            pass
    except OSError as exc:
        why = "read-only file system" if exc.errno == errno.EROFS else exc.strerror or str(exc)
        raise fail(f"cannot write in {parent} ({why})") from None


@contextlib.contextmanager
def folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on an output folder while writing into it (created if need be).

    The lock is ``fcntl.flock`` on the folder itself, taken without waiting: a second writer
    (another ``run`` into the same ``--out``, another sweep or ``--resume`` on it) is refused at
    once with :class:`FolderBusy`. The kernel drops the lock when the holder exits, however it
    ends (SIGKILL included), and no lock file is left behind.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not on a POSIX system: no lock
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(
                f"{folder}: another calais-sim process is writing into this folder; wait for it "
                f"to finish (or stop it), or choose another {setting('out')}"
            ) from None
        yield
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write a file through a temporary file in the same folder, then rename it into place.

    A reader sees either the old file or the whole new one, never a part.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write bytes to a file atomically."""
    atomic_write(path, lambda fh: fh.write(data))


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON atomically (dates as ISO text)."""
    write_bytes(path, (json.dumps(obj, indent=2, default=str) + "\n").encode())


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


def digest(path: str | Path) -> str:
    """SHA-256 of a file, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


def write_run(
    out: str | Path,
    frame: pd.DataFrame,
    scenario_text: str,
    seed: dict[str, Any],
    figure: Any | None = None,
    command: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a single run's directory: time series, figure, then the manifest last.

    Args:
        out: the directory (created if needed; an old manifest there is removed first, so a
            crash part-way never leaves an old manifest beside new data).
        frame: the daily outcomes.
        scenario_text: the full resolved scenario as TOML.
        seed: how the run was seeded (``{"seed": ..., "entropy": ..., "spawn_key": [...]}``).
        figure: a matplotlib figure to save as ``overview.png``, or None.
        command: the command line to record (default: this process's).
        extra: further manifest fields.
    """
    out = Path(out)
    with folder_lock(out):
        (out / MANIFEST).unlink(missing_ok=True)
        write_parquet(out / TIMESERIES, frame, provenance(scenario_text, seed))
        files = {TIMESERIES: digest(out / TIMESERIES)}
        if figure is not None:
            buf = io.BytesIO()
            figure.savefig(buf, format="png", dpi=110)
            write_bytes(out / "overview.png", buf.getvalue())
            files["overview.png"] = digest(out / "overview.png")
        manifest = base_manifest("run", command)
        manifest.update(
            {
                "scenario": scenario_text,
                "seed": seed,
                "days": len(frame),
                "rows": len(frame),
                "files": files,
                **(extra or {}),
            }
        )
        write_json(out / MANIFEST, manifest)
    return out


MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
"""Largest JSON document (manifest, run record) read."""

MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "kind": str,
    "format_version": int,
    "versions": dict,
    "command": list,
    "created": str,
    "scenario": str,
    "scenario_name": str,
    "seed": (dict, int),
    "days": int,
    "rows": int,
    "files": dict,
    "wall_seconds": (int, float),
    "replicates": (dict, int),
    "state": str,
    "run_ids": list,
    "scenarios": dict,
    "grid": dict,
    "grid_keys": list,
    "counts": dict,
    "plan": str,
    "plan_sha256": str,
    "source_sha256": str,
    "resumed": list,
    "updated": str,
}
"""The type of each field a manifest may have (both kinds); others are kept unchecked."""


def read_json_document(path: Path) -> Any:
    """Read a JSON document written by calais-sim, raising every failure as a ValueError.

    Refuses what is not a regular file, is too large, is not UTF-8, is not JSON, or nests too
    deeply for the parser.
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > MAX_DOCUMENT_BYTES:
            raise ValueError(f"{info.st_size:,} bytes, more than any calais-sim writes")
        data = path.read_bytes()
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc})") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    except OSError as exc:
        raise ValueError(str(exc)) from None


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    return isinstance(value, kinds)


def check_manifest(path: Path, manifest: Any) -> dict[str, Any]:
    """Check a manifest's shape (an object, each known field of its type); return it.

    Raises:
        ResultsError: naming the file and the field at fault.
    """
    if not isinstance(manifest, dict):
        raise ResultsError(
            f"{path}: not a manifest (a JSON object), but a {type(manifest).__name__}"
        )
    for key, kind in MANIFEST_FIELDS.items():
        if key in manifest and not _is(manifest[key], kind):
            raise ResultsError(
                f"{path}: field {key!r} has the wrong type ({type(manifest[key]).__name__})"
            )
    if manifest.get("kind") not in ("run", "sweep"):
        raise ResultsError(f"{path}: kind {manifest.get('kind')!r}, not a sweep or a run")
    files = manifest.get("files", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise ResultsError(f"{path}: field 'files' must map file names to digests")
    for name in files:
        if Path(name).is_absolute() or ".." in Path(name).parts or not name:
            raise ResultsError(f"{path}: field 'files' names a file outside the folder: {name!r}")
    lists = {"run_ids": str, "grid_keys": str, "command": str}
    for key, kind in lists.items():
        if key in manifest and not all(isinstance(v, kind) for v in manifest[key]):
            raise ResultsError(f"{path}: field {key!r} must be a list of strings")
    if not all(isinstance(v, str) for v in manifest.get("scenarios", {}).values()):
        raise ResultsError(f"{path}: field 'scenarios' must map names to scenario texts")
    if manifest["kind"] == "run":
        if TIMESERIES not in files:
            raise ResultsError(f"{path}: a run's manifest must list {TIMESERIES} in 'files'")
        seed = manifest.get("seed", {})
        if not isinstance(seed, dict) or not _is(seed.get("entropy", 0), int):
            raise ResultsError(f"{path}: field 'seed' must be a table with a whole 'entropy'")
        if not isinstance(seed.get("spawn_key", []), list) or not all(
            _is(k, int) for k in seed.get("spawn_key", [])
        ):
            raise ResultsError(
                f"{path}: field 'seed' must have a list of whole numbers as 'spawn_key'"
            )
    return manifest


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """Read, parse and check a directory's manifest, or raise :class:`ResultsError`."""
    path = Path(folder) / MANIFEST
    try:
        present = path.exists()
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: cannot be read ({exc})") from None
    if not present:
        raise ResultsError(f"{path}: no manifest; the directory is not a finished result")
    try:
        manifest = read_json_document(path)
    except ValueError as exc:
        raise ResultsError(f"{path}: unreadable manifest ({exc})") from None
    return check_manifest(path, manifest)


def check_files(folder: str | Path, manifest: dict[str, Any]) -> None:
    """Check that every file the manifest lists exists and has the recorded digest.

    An unfinished sweep's manifest may also hold ``files_previous``: the digest of the
    ``runs.parquet`` it is replacing, written before the new one, so that a stop between the
    two writes leaves a file the manifest accounts for.
    """
    previous = manifest.get("files_previous", {}) if manifest.get("state") != "complete" else {}
    if not isinstance(previous, dict):
        raise ResultsError(f"{Path(folder) / MANIFEST}: field 'files_previous' must be a table")
    for name, want in manifest.get("files", {}).items():
        path = Path(folder) / name
        if not path.is_file():
            raise ResultsError(f"{path}: listed in the manifest but missing")
        try:
            got = digest(path)
        except OSError as exc:
            raise ResultsError(f"{path}: cannot be read ({exc})") from None
        if got != want and got != previous.get(name):
            raise ResultsError(f"{path}: contents differ from the manifest (damaged or replaced)")


def load_run(folder: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Load a single run's time series and manifest, checking them against each other."""
    manifest = read_manifest(folder)
    check_files(folder, manifest)
    try:
        frame = pd.read_parquet(Path(folder) / TIMESERIES)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise ResultsError(f"{Path(folder) / TIMESERIES}: unreadable ({exc})") from None
    if len(frame) != manifest.get("rows", len(frame)):
        raise ResultsError(
            f"{Path(folder) / TIMESERIES}: {len(frame)} rows, manifest says {manifest['rows']}"
        )
    return frame, manifest


# --- sweeps: many runs in one directory ---------------------------------------------------------
#
# A sweep's directory holds ``manifest.json``, ``runs.parquet`` (one row a run), ``timeseries/``
# (one Parquet file a finished run, together a dataset) and ``records/`` (one small JSON record a
# run, written as each run finishes; ``runs.parquet`` is rebuilt from them). The manifest's
# ``state`` is ``complete`` only when every planned run has a record; a complete manifest holds
# the digest of ``runs.parquet``, and ``runs.parquet`` the digest of each run's time series.

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
    from sim.model.outcomes import OUTCOMES, summarise

    values = summarise(frame)
    out = {summary_column(o): values[o.name] for o in OUTCOMES if o.summary != "mean"}
    out.update({f"mean_{o.name}": float(frame[o.name].mean()) for o in OUTCOMES})
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
        if not _is(record[key], kind):
            return f"field {key!r} has the wrong type ({type(record[key]).__name__})"
    if not all(_is(k, int) for k in record["seed_spawn_key"]):
        return "field 'seed_spawn_key' must be a list of whole numbers"
    if record["status"] == "ok":
        if not isinstance(record["timeseries_sha256"], str):
            return "a finished run's record lacks the digest of its time series"
        summary = record["summary"]
        if set(summary) != set(summary_columns()) or not all(
            _is(v, (int, float)) for v in summary.values()
        ):
            return "field 'summary' does not hold every summary outcome as a number"
    return None


def summaries_agree(recorded: dict[str, Any], frame: pd.DataFrame) -> list[str]:
    """The summary columns whose recorded value differs from the one computed from ``frame``."""
    computed = run_summary(frame)
    wrong = []
    for col, value in computed.items():
        got = recorded.get(col)
        if got is None or not _is(got, (int, float)):
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


def parquet_bytes(table: Any, metadata: dict[str, str] | None = None) -> bytes:
    """A pyarrow Table as Parquet bytes, with ``metadata`` added to its schema's metadata."""
    import pyarrow.parquet as pq

    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


class SweepResults:
    """A sweep's (or a single run's) result files, checked against each other.

    Attributes:
        folder: the directory.
        manifest: the parsed ``manifest.json``.
        runs: one row a run (``runs.parquet``), in the manifest's order.
        complete: whether every planned run has finished (or failed).
    """

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        runs: pd.DataFrame,
        timeseries: pd.DataFrame | None = None,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.runs = runs
        self.complete = manifest.get("state", "complete") == "complete"
        self._timeseries = timeseries

    @property
    def timeseries(self) -> pd.DataFrame:
        """The daily outcomes of every finished run (read on first use), led by ``run_id``,
        ``scenario`` and ``replicate``."""
        if self._timeseries is None:
            self._timeseries = _read_timeseries(self.folder, self.ok_runs["run_id"].tolist())
        return self._timeseries

    @property
    def scenarios(self) -> list[str]:
        """The scenarios' names, in the order they were given."""
        named = list(self.manifest.get("scenarios", {}))
        return named or list(dict.fromkeys(self.runs["scenario"]))

    @property
    def grid_keys(self) -> list[str]:
        """The columns of ``runs`` that hold grid (or design) values."""
        return list(self.manifest.get("grid_keys", []))

    @property
    def ok_runs(self) -> pd.DataFrame:
        """The runs that finished without error."""
        return self.runs[self.runs["status"] == "ok"]

    @property
    def failed_runs(self) -> pd.DataFrame:
        """The runs that raised, with their ``error``."""
        return self.runs[self.runs["status"] != "ok"]

    def replicate_frames(self, scenario: str, **point: Any) -> list[pd.DataFrame]:
        """One daily frame per finished replicate of a scenario (at a grid point, if given)."""
        runs = self.ok_runs[self.ok_runs["scenario"] == scenario]
        for key, value in point.items():
            runs = runs[runs[key] == value]
        ts = self.timeseries
        return [
            ts[ts["run_id"] == run_id].reset_index(drop=True)
            for run_id in runs.sort_values("replicate")["run_id"]
        ]


def _read_timeseries(folder: Path, run_ids: list[str]) -> pd.DataFrame:
    import pyarrow.dataset as ds

    from sim.model.outcomes import COLUMNS

    if not run_ids:
        return pd.DataFrame(columns=[*ID_COLUMNS, *COLUMNS])
    paths = [str(timeseries_path(folder, r)) for r in run_ids]
    try:
        return ds.dataset(paths, format="parquet").to_table().to_pandas()
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise ResultsError(f"{folder / TIMESERIES_DIR}: unreadable ({exc})") from None


def load(folder: str | Path, partial: bool = False) -> SweepResults:
    """Load a sweep directory (or a single run's) after checking its files agree.

    Args:
        folder: the directory written by ``calais-sim sweep`` (or ``calais-sim run``).
        partial: accept a sweep that was stopped before every run finished (its finished runs
            only); by default such a sweep is refused with a message saying how to finish it.

    Raises:
        ResultsError: a file is missing, truncated, damaged, or disagrees with the manifest.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    kind = manifest.get("kind")
    if kind == "run":
        return _load_single_run(folder, manifest)
    if kind != "sweep":
        raise ResultsError(f"{folder / MANIFEST}: kind {kind!r}, not a sweep or a run")
    if not isinstance(manifest.get("run_ids"), list):
        raise ResultsError(f"{folder / MANIFEST}: no list of run ids")
    complete = manifest.get("state") == "complete"
    if not complete and not partial:
        counts = manifest.get("counts", {})
        have = counts.get("ok", 0) + counts.get("failed", 0) if isinstance(counts, dict) else "?"
        raise ResultsError(
            f"{folder}: the sweep was stopped before it finished ({have} of "
            f"{len(manifest['run_ids'])} runs); finish it with "
            f"`calais-sim sweep {setting('resume')} {setting('out')} {folder}`, or load it with "
            "partial=True"
        )
    if RUNS not in manifest.get("files", {}):
        raise ResultsError(f"{folder / MANIFEST}: lists no digest of {RUNS}")
    check_files(folder, manifest)
    runs = _read_runs(folder / RUNS)
    _check_runs(folder, manifest, runs, complete, partial)
    _check_timeseries(folder, runs, complete)
    return SweepResults(folder, manifest, runs)


def _read_runs(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    if not path.exists():
        raise ResultsError(f"{path}: missing")
    try:
        runs = pq.read_table(path).to_pandas()
    except Exception as exc:
        raise ResultsError(f"{path}: unreadable, truncated or damaged ({exc})") from None
    missing = [c for c in (*ID_COLUMNS, *RUN_COLUMNS) if c not in runs.columns]
    if missing:
        raise ResultsError(f"{path}: lacks the columns {', '.join(missing)}")
    return runs


def _check_runs(
    folder: Path, manifest: dict[str, Any], runs: pd.DataFrame, complete: bool, partial: bool
) -> None:
    planned = manifest["run_ids"]
    have = runs["run_id"].tolist()
    where = folder / RUNS
    doubled = sorted({r for r in have if have.count(r) > 1})
    if doubled:
        raise ResultsError(f"{where}: runs listed more than once: {', '.join(doubled[:5])}")
    stray = sorted(set(have) - set(planned))
    if stray:
        raise ResultsError(
            f"{where}: runs the manifest does not list: {', '.join(stray[:5])}"
            f"{' ...' if len(stray) > 5 else ''}"
        )
    lacking = [r for r in planned if r not in set(have)]
    if complete and lacking:
        raise ResultsError(
            f"{where}: the manifest says the sweep is complete but {len(lacking)} of its "
            f"{len(planned)} runs are missing (first: {lacking[0]})"
        )
    if not complete and not partial:
        raise ResultsError(
            f"{folder}: the sweep was stopped before it finished ({len(have)} of {len(planned)} "
            f"runs); finish it with `calais-sim sweep {setting('resume')} {setting('out')} "
            f"{folder}`, "
            "or load it with partial=True"
        )
    names = set(manifest.get("scenarios", {}))
    odd = sorted(set(runs["scenario"]) - names) if names else []
    if odd:
        raise ResultsError(f"{where}: scenarios the manifest does not list: {', '.join(odd)}")
    lost = [k for k in manifest.get("grid_keys", []) if k not in runs.columns]
    if lost:
        raise ResultsError(f"{where}: lacks the grid columns {', '.join(lost)}")


def _check_timeseries(folder: Path, runs: pd.DataFrame, complete: bool) -> None:
    if complete:  # read as a dataset, the folder must hold exactly the finished runs
        ok = set(runs.loc[runs["status"] == "ok", "run_id"])
        stray = sorted(
            p.name for p in (folder / TIMESERIES_DIR).glob("*.parquet") if p.stem not in ok
        )
        if stray:
            raise ResultsError(
                f"{folder / TIMESERIES_DIR}: files of no finished run of the sweep: "
                f"{', '.join(stray[:5])}{' ...' if len(stray) > 5 else ''}"
            )
    for run_id, status, sha in runs[["run_id", "status", "timeseries_sha256"]].itertuples(
        index=False
    ):
        if status != "ok":
            continue
        path = timeseries_path(folder, run_id)
        if not path.exists():
            raise ResultsError(f"{path}: missing (run {run_id} is listed as finished)")
        if digest(path) != sha:
            raise ResultsError(
                f"{path}: contents differ from the digest in {RUNS} (truncated or damaged)"
            )
    _check_summaries(folder, runs)


def _check_summaries(folder: Path, runs: pd.DataFrame) -> None:
    """Every finished run's summary in ``runs.parquet`` agrees with its time series."""
    cols = [c for c in summary_columns() if c in runs.columns]
    if len(cols) != len(summary_columns()):
        raise ResultsError(f"{folder / RUNS}: lacks summary columns")
    for row in runs.loc[runs["status"] == "ok", ["run_id", *cols]].to_dict("records"):
        path = timeseries_path(folder, row["run_id"])
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise ResultsError(f"{path}: unreadable ({exc})") from None
        try:
            wrong = summaries_agree(row, frame)
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsError(f"{path}: not a run's time series ({exc})") from None
        if wrong:
            raise ResultsError(
                f"{folder / RUNS}: run {row['run_id']}: {', '.join(wrong[:3])} "
                "disagree with its time series (edited or damaged)"
            )


def _load_single_run(folder: Path, manifest: dict[str, Any]) -> SweepResults:
    frame, manifest = load_run(folder)
    name = manifest.get("scenario_name", folder.name)
    seed = manifest.get("seed", {})
    row = {
        "run_id": name,
        "scenario": name,
        "replicate": 0,
        "seed_entropy": seed.get("entropy"),
        "seed_spawn_key": list(seed.get("spawn_key", [])),
        "status": "ok",
        "error": "",
        "wall_seconds": manifest.get("wall_seconds"),
        "n_days": len(frame),
        "timeseries_sha256": manifest.get("files", {}).get(TIMESERIES),
        **run_summary(frame),
    }
    runs = runs_table([row], []).to_pandas()
    series = frame.copy()
    series.insert(0, "replicate", 0)
    series.insert(0, "scenario", name)
    series.insert(0, "run_id", name)
    manifest = {**manifest, "scenarios": {name: manifest.get("scenario", "")}}
    return SweepResults(folder, manifest, runs, series)
