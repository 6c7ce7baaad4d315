"""A single run's directory: ``timeseries.parquet`` (the daily outcomes), ``overview.png`` and
``manifest.json``. The manifest is written last and records the resolved scenario, the seed,
the versions of the package, Mesa and numpy, the command line, the time, and a SHA-256 digest of
each data file, so that a reader can tell a whole directory from a half-written one.
See ``results/README.md`` for the format."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.files import (
    ResultsError,
    digest,
    folder_lock,
    of_kind,
    read_json_document,
    write_bytes,
    write_json,
)
from sim.runs.provenance import base_manifest, provenance, write_parquet

MANIFEST = "manifest.json"


TIMESERIES = "timeseries.parquet"


def write_run(
    out: str | Path,
    frame: pd.DataFrame,
    scenario_text: str,
    seed: dict[str, Any],
    figure: Any | bytes | None = None,
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
        figure: a matplotlib figure to save as ``overview.png``, or the PNG's bytes, or None.
        command: the command line to record (default: this process's).
        extra: further manifest fields.
    """
    out = Path(out)
    with folder_lock(out):
        (out / MANIFEST).unlink(missing_ok=True)
        write_parquet(out / TIMESERIES, frame, provenance(scenario_text, seed))
        files = {TIMESERIES: digest(out / TIMESERIES)}
        if figure is not None:
            if isinstance(figure, bytes):
                png = figure
            else:
                buf = io.BytesIO()
                figure.savefig(buf, format="png", dpi=110)
                png = buf.getvalue()
            write_bytes(out / "overview.png", png)
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
        if key in manifest and not of_kind(manifest[key], kind):
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
        if not isinstance(seed, dict) or not of_kind(seed.get("entropy", 0), int):
            raise ResultsError(f"{path}: field 'seed' must be a table with a whole 'entropy'")
        if not isinstance(seed.get("spawn_key", []), list) or not all(
            of_kind(k, int) for k in seed.get("spawn_key", [])
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
