"""Results, read back: a sweep's directory (or a single run's) loaded whole and checked.

:func:`load` reads ``runs.parquet``, the time series and the manifest, and refuses a directory
that is not whole. The files themselves are written and described by :mod:`sim.runs.files`
(atomic writes, the output folder), :mod:`sim.runs.provenance` (what a file records to be
rerun), :mod:`sim.runs.single` (a single run's directory) and :mod:`sim.runs.records` (a sweep's
files, one a run); their names are importable from here too, as ``results.X``, for the code
that reads and writes results through one name.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import setting
from sim.runs.files import (
    FolderBusy,
    ResultsError,
    check_out_folder,
    digest,
    folder_lock,
    read_json_document,
    write_bytes,
    write_json,
)
from sim.runs.provenance import base_manifest, command_line, parquet_bytes, provenance, versions
from sim.runs.records import (
    ID_COLUMNS,
    RECORDS_DIR,
    RUN_COLUMNS,
    RUNS,
    TIMESERIES_DIR,
    check_record,
    record_path,
    run_summary,
    runs_table,
    summaries_agree,
    summary_column,
    summary_columns,
    timeseries_bytes,
    timeseries_path,
)
from sim.runs.single import MANIFEST, TIMESERIES, check_files, load_run, read_manifest, write_run

__all__ = [
    "ID_COLUMNS",
    "MANIFEST",
    "RECORDS_DIR",
    "RUNS",
    "RUN_COLUMNS",
    "TIMESERIES",
    "TIMESERIES_DIR",
    "FolderBusy",
    "ResultsError",
    "SweepResults",
    "base_manifest",
    "check_out_folder",
    "check_record",
    "command_line",
    "digest",
    "folder_lock",
    "load",
    "load_run",
    "parquet_bytes",
    "provenance",
    "read_json_document",
    "read_manifest",
    "record_path",
    "run_summary",
    "runs_table",
    "summaries_agree",
    "summary_column",
    "timeseries_bytes",
    "timeseries_path",
    "versions",
    "write_bytes",
    "write_json",
    "write_run",
]
"""What the module offers: its own readers and the names of the result files' modules."""


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
    doubled = sorted(r for r, n in Counter(have).items() if n > 1)
    if doubled:
        raise ResultsError(f"{where}: runs listed more than once: {', '.join(doubled[:5])}")
    stray = sorted(set(have) - set(planned))
    if stray:
        raise ResultsError(
            f"{where}: runs the manifest does not list: {', '.join(stray[:5])}"
            f"{' ...' if len(stray) > 5 else ''}"
        )
    listed = set(have)
    lacking = [r for r in planned if r not in listed]
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
