"""Result files: written atomically, recorded with everything needed to rerun them, checked on load.

A single run's directory holds ``timeseries.parquet`` (the daily outcomes), ``overview.png`` and
``manifest.json``. The manifest is written last and records the resolved scenario, the seed,
the versions of the package, Mesa and numpy, the command line, the time, and a SHA-256 digest of
each data file, so that a reader can tell a whole directory from a half-written one.
See ``results/README.md`` for the format.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

MANIFEST = "manifest.json"
TIMESERIES = "timeseries.parquet"
FORMAT_VERSION = 1


class ResultsError(Exception):
    """A result directory that cannot be read as whole: names the file and what is wrong."""


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


def write_parquet(path: str | Path, frame: pd.DataFrame) -> None:
    """Write a DataFrame as Parquet atomically."""
    atomic_write(path, lambda fh: frame.to_parquet(fh, index=False))


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
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    write_parquet(out / TIMESERIES, frame)
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


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """Read and parse a directory's manifest, or raise :class:`ResultsError`."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise ResultsError(f"{path}: no manifest; the directory is not a finished result")
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: unreadable manifest ({exc})") from None


def check_files(folder: str | Path, manifest: dict[str, Any]) -> None:
    """Check that every file the manifest lists exists and has the recorded digest."""
    for name, want in manifest.get("files", {}).items():
        path = Path(folder) / name
        if not path.exists():
            raise ResultsError(f"{path}: listed in the manifest but missing")
        if digest(path) != want:
            raise ResultsError(f"{path}: contents differ from the manifest (damaged or replaced)")


def load_run(folder: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Load a single run's time series and manifest, checking them against each other."""
    manifest = read_manifest(folder)
    check_files(folder, manifest)
    frame = pd.read_parquet(Path(folder) / TIMESERIES)
    if len(frame) != manifest.get("rows", len(frame)):
        raise ResultsError(
            f"{Path(folder) / TIMESERIES}: {len(frame)} rows, manifest says {manifest['rows']}"
        )
    return frame, manifest
