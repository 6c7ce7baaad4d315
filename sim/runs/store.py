"""A sweep's directory: each run filed as it finishes, and a stopped sweep taken up again.

Each finished run is written at once (its time series, then its record) through atomic
renames; ``runs.parquet`` and ``manifest.json`` are rebuilt from the records every few seconds
and at the end (see ``results/README.md``). A stopped sweep opened again to resume it makes only
what has no record, and makes again the runs that failed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import Interrupted, UsageError, setting
from sim.resources import package_path
from sim.runs import results as rf
from sim.runs.jobs import VERSIONS_THAT_SHAPE_NUMBERS, Job, RunResult, check_unique_names

CHECKPOINT_SECONDS = 2.0
"""How often ``runs.parquet`` and the manifest are rebuilt while a sweep runs, at most."""

CHECKPOINT_SHARE = 0.05
"""The share of the sweep's own time that rebuilding them may take: a rebuild grows with the
runs finished, so in a sweep of thousands they are rebuilt less often than every
``CHECKPOINT_SECONDS`` (a stopped sweep loses nothing by it: every run has its record)."""


class Stopped(Interrupted):
    """A sweep stopped by Ctrl-C or a signal; what was finished is kept.

    Attributes:
        signum: the signal that stopped it.
        report: what had been done, once the files are written.
    """

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signum)
        self.report: SweepReport | None = None


@dataclass
class SweepReport:
    """What a call of :func:`run_jobs` did."""

    folder: Path
    planned: int
    ok: int
    failed: list[tuple[str, str]]
    before: int
    seconds: float
    complete: bool

    @property
    def finished(self) -> int:
        """Runs with a record (finished or failed)."""
        return self.ok + len(self.failed)


@functools.cache
def source_digest() -> str:
    """A digest of the package's code and data files, to tell apart two states of the code
    that carry the same version number (as in a development install)."""
    root = package_path()
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if (
            path.is_file()
            and path.suffix in (".py", ".toml", ".json", ".csv")
            and ("__pycache__" not in path.parts)
        ):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def plan_digest(jobs: Sequence[Job]) -> str:
    """A digest of everything that decides a sweep's numbers: its runs, texts, seeds and days."""
    h = hashlib.sha256()
    for j in jobs:
        text = hashlib.sha256(j.text.encode()).hexdigest()
        h.update(json.dumps([j.run_id, text, j.entropy, list(j.spawn_key), j.days]).encode())
    return h.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class SweepStore:
    """A sweep's directory: each run filed as it finishes; ``runs.parquet`` and the manifest
    rebuilt from the records every few seconds and at the end.

    Args:
        folder: the directory.
        jobs: every planned run, in the order of ``runs.parquet``.
        fields: what the manifest records about the plan (see :meth:`Sweep.manifest_fields`).
        command: the command line to record (default: this process's).
    """

    def __init__(
        self,
        folder: str | Path,
        jobs: Sequence[Job],
        fields: Mapping[str, Any],
        command: list[str] | None = None,
    ) -> None:
        check_unique_names(jobs)  # before anything is written: a run filed over another is lost
        self.folder = Path(folder)
        self.jobs = list(jobs)
        self.fields = dict(fields)
        keys = self.fields.get("grid_keys")
        if keys is None:  # jobs of another design: their values are its keys
            keys = list(dict.fromkeys(k for j in jobs for k in j.point))
        self.fields["grid_keys"] = list(keys)
        self.command = command
        self.plan = plan_digest(self.jobs)
        self.records: dict[str, dict[str, Any]] = {}
        self.manifest: dict[str, Any] = {}
        self.last_checkpoint = 0.0
        self.checkpoint_cost = 0.0

    # opening

    def open(self, resume: bool = False, overwrite: bool = False) -> list[Job]:
        """Start the sweep, or take up the one in the folder; return the runs still to make.

        Raises:
            UsageError: the folder holds something else, an unfinished sweep without
                ``resume``, or a different sweep (or versions) with ``resume``.
        """
        old = self._old_manifest()
        if old is not None and resume:
            self._check_same(old)
            self.manifest = {
                **old,
                "resumed": [*old.get("resumed", []), {"command": self._command(), "time": _now()}],
            }
            self._read_records()
        else:
            if old is not None:
                if old.get("state") == "complete" and not overwrite:
                    raise UsageError(
                        f"{self.folder} holds a finished sweep: add {setting('resume')} to keep "
                        f"its runs (only missing ones are made), or {setting('overwrite')} to "
                        "start again"
                    )
                if old.get("state") != "complete" and not overwrite:
                    counts = old.get("counts", {})
                    raise UsageError(
                        f"{self.folder} holds an unfinished sweep "
                        f"({counts.get('ok', '?')} of {counts.get('planned', '?')} runs finished):"
                        f" add {setting('resume')} to finish it, or {setting('overwrite')} to "
                        "start again"
                    )
                self._remove_old()
            elif any(p.is_file() and not p.name.startswith(".") for p in self._files()):
                raise UsageError(
                    f"{self.folder} is not empty and holds no sweep: choose another "
                    f"{setting('out')}"
                )
            self.manifest = {
                **rf.base_manifest("sweep", self.command),
                "source_sha256": source_digest(),
                **self.fields,
            }
        self.manifest.update(plan_sha256=self.plan, run_ids=[j.run_id for j in self.jobs])
        self._remove_temporary()
        self.checkpoint("running")
        todo = [j for j in self.jobs if self.records.get(j.run_id, {}).get("status") != "ok"]
        # Replicate by replicate, so that a sweep stopped early holds whole sets of pairs.
        return sorted(todo, key=lambda j: j.replicate)

    def _command(self) -> list[str]:
        return self.command if self.command is not None else rf.command_line()

    def _files(self) -> list[Path]:
        return list(self.folder.rglob("*")) if self.folder.exists() else []

    def _old_manifest(self) -> dict[str, Any] | None:
        if not (self.folder / rf.MANIFEST).exists():
            return None
        try:
            old = rf.read_manifest(self.folder)
        except rf.ResultsError as exc:
            raise UsageError(f"{exc}: choose another {setting('out')}") from None
        if old.get("kind") != "sweep":
            raise UsageError(
                f"{self.folder} holds other results (a {old.get('kind')!r}): choose another "
                f"{setting('out')}"
            )
        return old

    def _check_same(self, old: Mapping[str, Any]) -> None:
        if old.get("plan_sha256") != self.plan:
            what = [
                name
                for name in ("scenarios", "seed", "replicates", "grid", "posterior")
                if name in self.fields and old.get(name) != self.fields[name]
            ]
            raise UsageError(
                f"{self.folder} holds a different sweep (its {', '.join(what) or 'runs'} "
                f"differ): resume it with the same scenarios and options (or {setting('resume')} "
                f"alone), or choose another {setting('out')}"
            )
        mine = rf.versions()
        theirs = old.get("versions", {})
        differ = [
            f"{k} {theirs.get(k)} -> {mine[k]}"
            for k in VERSIONS_THAT_SHAPE_NUMBERS
            if theirs.get(k) != mine[k]
        ]
        if differ:
            raise UsageError(
                f"{self.folder}: the sweep was started with other versions ({', '.join(differ)}); "
                f"finish it with those, or start again with {setting('overwrite')}"
            )
        if old.get("source_sha256") not in (None, source_digest()):
            print(
                f"warning: calais-sim's code has changed since the sweep in {self.folder} was "
                "started (same version number): runs made now may not match those made then; "
                "start it again to make every run with this code",
                file=sys.stderr,
            )

    def _read_records(self) -> None:
        by_id = {j.run_id for j in self.jobs}
        for path in sorted((self.folder / rf.RECORDS_DIR).glob("*.json")):
            record = self._whole_record(path)
            if record is not None and record["run_id"] in by_id:
                self.records[record["run_id"]] = record

    def _whole_record(self, path: Path) -> dict[str, Any] | None:
        """A run record that is whole and agrees with its time series; None (the run is made
        again) for one that is damaged, edited, or for a file other than its own."""
        try:
            record = rf.read_json_document(path)
        except ValueError:
            return None
        if rf.check_record(record) is not None or path.stem != record["run_id"]:
            return None
        if record["status"] != "ok":
            return record
        ts = rf.timeseries_path(self.folder, record["run_id"])
        try:
            if not ts.is_file() or rf.digest(ts) != record["timeseries_sha256"]:
                return None
            if rf.summaries_agree(record["summary"], pd.read_parquet(ts)):
                return None
        except Exception:  # an unreadable or damaged file: the run is made again
            return None
        return record

    def _remove_old(self) -> None:
        for name in (rf.TIMESERIES_DIR, rf.RECORDS_DIR):
            sub = self.folder / name
            if sub.is_dir():
                for path in sub.glob("*.parquet" if name == rf.TIMESERIES_DIR else "*.json"):
                    path.unlink()
        for name in (rf.RUNS, "comparison.csv", "comparison.png", rf.MANIFEST):
            (self.folder / name).unlink(missing_ok=True)

    def _remove_temporary(self) -> None:
        for folder in (self.folder, self.folder / rf.TIMESERIES_DIR, self.folder / rf.RECORDS_DIR):
            for path in folder.glob(".*.tmp") if folder.is_dir() else ():
                path.unlink(missing_ok=True)

    # filing runs

    def add(self, result: RunResult) -> None:
        """File a finished (or failed) run: its time series, then its record."""
        job = result.job
        record: dict[str, Any] = {
            "run_id": job.run_id,
            "scenario": job.scenario,
            "replicate": job.replicate,
            "point": dict(job.point),
            "seed_entropy": job.entropy,
            "seed_spawn_key": list(job.spawn_key),
            "status": result.status,
            "error": result.error,
            "traceback": result.traceback,
            "wall_seconds": round(result.wall_seconds, 4),
            "n_days": job.days,
            "timeseries_sha256": None,
            "summary": {},
            "finished": _now(),
        }
        ts = rf.timeseries_path(self.folder, job.run_id)
        if result.ok and result.frame is not None:
            seed = {"entropy": job.entropy, "spawn_key": list(job.spawn_key)}
            meta = rf.provenance(job.text, {**seed, "replicate": job.replicate})
            data = rf.timeseries_bytes(result.frame, job.run_id, job.scenario, job.replicate, meta)
            rf.write_bytes(ts, data)
            record.update(
                n_days=len(result.frame),
                timeseries_sha256=hashlib.sha256(data).hexdigest(),
                summary=rf.run_summary(result.frame),
            )
        else:
            ts.unlink(missing_ok=True)
        rf.write_json(rf.record_path(self.folder, job.run_id), record)
        self.records[job.run_id] = record
        every = max(CHECKPOINT_SECONDS, self.checkpoint_cost / CHECKPOINT_SHARE)
        if time.monotonic() - self.last_checkpoint >= every:
            self.checkpoint("running")

    def rows(self) -> list[dict[str, Any]]:
        """The rows of ``runs.parquet``: one a run with a record, in the planned order."""
        rows = []
        for job in self.jobs:
            rec = self.records.get(job.run_id)
            if rec is None:
                continue
            rows.append(
                {
                    "run_id": job.run_id,
                    "scenario": job.scenario,
                    "replicate": job.replicate,
                    **job.point,
                    **{k: rec[k] for k in rf.RUN_COLUMNS},
                    **rec["summary"],
                }
            )
        return rows

    def counts(self) -> dict[str, int]:
        """Planned, finished and failed runs."""
        ok = sum(r["status"] == "ok" for r in self.records.values())
        return {"planned": len(self.jobs), "ok": ok, "failed": len(self.records) - ok}

    def checkpoint(self, state: str) -> None:
        """Rewrite ``runs.parquet``, then the manifest (``state``: running, stopped, complete)."""
        started = time.monotonic()
        meta = rf.provenance(
            json.dumps(self.fields.get("scenarios", {})), {"root": self.fields.get("seed")}
        )
        data = rf.parquet_bytes(
            rf.runs_table(
                self.rows(), [*self.fields["grid_keys"], *self.fields.get("draw_columns", [])]
            ),
            meta,
        )
        new = hashlib.sha256(data).hexdigest()
        old = self.manifest.get("files", {}).get(rf.RUNS)
        if (self.folder / rf.MANIFEST).exists() and old not in (None, new):
            # first say that the new table may be there, so a stop between the two writes
            # leaves a runs.parquet the manifest accounts for
            rf.write_json(
                self.folder / rf.MANIFEST,
                {**self.manifest, "files_previous": {rf.RUNS: old}, "files": {rf.RUNS: new}},
            )
        rf.write_bytes(self.folder / rf.RUNS, data)
        self.manifest.pop("files_previous", None)
        self.manifest.update(
            state=state, updated=_now(), counts=self.counts(), files={rf.RUNS: new}
        )
        rf.write_json(self.folder / rf.MANIFEST, self.manifest)
        self.last_checkpoint = time.monotonic()
        self.checkpoint_cost = self.last_checkpoint - started

    def finish(self, stopped: bool = False) -> bool:
        """Write the final ``runs.parquet`` and manifest; return whether every run has a record."""
        complete = len(self.records) == len(self.jobs)
        self.checkpoint("complete" if complete else ("stopped" if stopped else "running"))
        return complete
