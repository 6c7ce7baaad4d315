"""Many runs: a planned sweep, or any list of jobs, run into a directory as they finish.

A sweep runs every scenario, at every point of a grid, ``R`` times. The parts, one module each:
the plan (:mod:`sim.runs.plan`), the runs as values and their seeds (:mod:`sim.runs.jobs`), the
executors (:mod:`sim.runs.executors`: this process, local worker processes; and
:mod:`sim.runs.cluster`: Dask), and the directory the runs are filed into, which a stopped
sweep is resumed from (:mod:`sim.runs.store`). This module puts them together.

Other modules run their own designs through the same machinery: build jobs with
:func:`sim.runs.jobs.make_jobs`, then :func:`sim.runs.executors.execute` them (results in
memory) or :func:`run_jobs` them (files in a directory, resumable).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.errors import check_stop
from sim.runs import results as rf
from sim.runs.cluster import connect
from sim.runs.executors import execute
from sim.runs.jobs import Job
from sim.runs.plan import Sweep
from sim.runs.store import Stopped, SweepReport, SweepStore


def run_jobs(
    jobs: Sequence[Job],
    out: str | Path,
    fields: Mapping[str, Any] | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    command: list[str] | None = None,
) -> SweepReport:
    """Run jobs into a sweep directory, filing each run as it finishes.

    Args:
        jobs: every run of the sweep (see :func:`make_jobs`, :meth:`Sweep.jobs`).
        out: the directory.
        fields: what the manifest records about the plan (scenarios' texts, seed, grid...).
        workers: local worker processes (default: one per CPU; 1 runs in this process).
        scheduler: a Dask scheduler's address or scheduler file, to run on that cluster.
        resume: take up the sweep already in ``out``: make only the runs it lacks (and again
            those that failed).
        overwrite: replace an unfinished sweep in ``out`` (a finished one is always replaced).
        progress: show a progress bar on stderr.
        command: the command line to record.

    Raises:
        Stopped: on Ctrl-C or SIGTERM, after writing what was finished (``.report``).
        UsageError: see :meth:`SweepStore.open`; a scheduler that cannot be reached.
        ResultsError: ``out`` cannot be written (see :func:`sim.runs.results.check_out_folder`).
        FolderBusy: another process is writing into ``out``.
    """
    started = time.perf_counter()
    rf.check_out_folder(out)
    store = SweepStore(out, jobs, fields or {}, command)
    client = connect(scheduler) if isinstance(scheduler, str) else scheduler
    try:
        with rf.folder_lock(out):  # one writer at a time: a second sweep or --resume is refused
            return _run_jobs(store, workers, client, resume, overwrite, progress, started)
    finally:
        if isinstance(scheduler, str):
            client.close()


def _run_jobs(
    store: SweepStore,
    workers: int | None,
    client: Any,
    resume: bool,
    overwrite: bool,
    progress: bool,
    started: float,
) -> SweepReport:
    from tqdm import tqdm

    before = 0

    def report(complete: bool) -> SweepReport:
        failed = [(r["run_id"], r["error"]) for r in store.rows() if r["status"] != "ok"]
        return SweepReport(
            store.folder,
            len(store.jobs),
            store.counts()["ok"],
            failed,
            before,
            time.perf_counter() - started,
            complete,
        )

    bar = tqdm(
        total=len(store.jobs),
        desc="sweep",
        unit="run",
        file=sys.stderr,
        disable=None if progress else True,
        postfix="failed 0",
    )
    try:
        todo = store.open(resume=resume, overwrite=overwrite)
        before = len(store.jobs) - len(todo)
        bar.update(before)
        failed = 0
        with contextlib.closing(execute(todo, workers, client)) as results:
            for result in results:
                store.add(result)
                bar.update(1)
                check_stop()  # a stop that landed in a finalizer is honoured between runs
                if not result.ok:
                    failed += 1
                    bar.set_postfix_str(f"failed {failed}")
    except KeyboardInterrupt as exc:
        bar.close()
        stopped = (
            exc if isinstance(exc, Stopped) else Stopped(getattr(exc, "signum", signal.SIGINT))
        )
        if store.manifest:  # the folder was taken up: file what was finished
            store.finish(stopped=True)
        stopped.report = report(False)
        raise stopped from None
    bar.close()
    return report(store.finish())


def run_sweep(sweep: Sweep, out: str | Path, **options: Any) -> SweepReport:
    """Run a planned sweep into ``out``; ``options`` as for :func:`run_jobs`."""
    return run_jobs(sweep.jobs(), out, sweep.manifest_fields(), **options)
