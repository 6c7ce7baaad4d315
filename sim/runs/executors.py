"""Where runs are made: in this process, in local worker processes, or on a Dask cluster.

:func:`execute` runs jobs and yields their results as they finish; every executor sends the
same function, :func:`sim.runs.jobs.run_one`, to its workers. The Dask cluster is reached
through :mod:`sim.runs.cluster`.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sim.errors import UsageError, signals_held
from sim.runs.cluster import on_dask
from sim.runs.jobs import Job, RunResult, failed, run_one

YOUNG_COLLECTION_EVERY = 50_000
"""Net new objects between two collections of the youngest generation while runs are made
(Python's default is 700). A run makes and drops tens of thousands of objects, a Mesa agent for
every migrant; at the default the collector goes over them again and again
(``benchmarks/collector.py`` measures the difference). When collections happen changes no
number a run computes, only how long cyclic garbage (a finished run's model) waits to be freed.
"""


def collect_less() -> None:
    """A worker's collector: what the imports made is frozen out of every collection, and the
    young generation is collected every :data:`YOUNG_COLLECTION_EVERY` new objects."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])


@contextlib.contextmanager
def _collecting_less() -> Iterator[None]:
    """Runs in this process: the young generation collected as in a worker, for the block."""
    old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _in_this_process(jobs: Sequence[Job]) -> Iterator[RunResult]:
    """Run the jobs one after the other in this process."""
    with _collecting_less():
        for job in jobs:
            yield run_one(job)


def _init_worker(parent: int) -> None:
    """Start a local worker: import the model once, collect garbage less often
    (:func:`collect_less`), ignore Ctrl-C (the parent stops workers), and exit if the parent
    dies (a killed sweep leaves no workers behind)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from sim.model import default_map

    default_map()
    collect_less()
    born = _process_start(parent)

    def watch() -> None:
        while born is not None and _process_start(parent) == born:
            time.sleep(0.25)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="watch-parent").start()


def _process_start(pid: int) -> str | None:
    """When a living process started (None once it is gone or a zombie): a PID that is reused
    by a later process gives another start."""
    if not Path("/proc/self/stat").exists():  # no /proc: whether the PID exists at all
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "alive"
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if stat[0] in ("Z", "X") else stat[19]


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def execute(
    jobs: Sequence[Job], workers: int | None = None, scheduler: Any = None
) -> Iterator[RunResult]:
    """Run jobs and yield their results as they finish (in no particular order).

    Args:
        jobs: what to run.
        workers: local worker processes (default: one per CPU); 1 runs in this process.
        scheduler: a Dask scheduler's address (``tcp://host:port``), a scheduler file, or a
            ``distributed.Client``; when given, the runs go to that cluster and ``workers`` is
            ignored.

    Close the iterator (``contextlib.closing``) to stop early: the workers are stopped.
    """
    if scheduler is not None:
        return on_dask(jobs, scheduler)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise UsageError(f"workers must be at least 1, not {workers}")
    if workers == 1 or len(jobs) <= 1:
        return _in_this_process(jobs)
    return _on_processes(jobs, min(workers, len(jobs)))


def _context() -> Any:
    import multiprocessing as mp

    # forkserver: workers start from a clean process that has imported the model once, rather
    # than from a copy of this one (which may hold threads: the progress bar's, Dask's).
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.model"])
        return ctx
    return mp.get_context("spawn")


def start_forkserver() -> None:
    """Start the process that local workers are forked from, if it is not running (it imports
    the model once, a second or two): a pool made later starts its workers at once."""
    import multiprocessing.forkserver

    if _context().get_start_method() == "forkserver":
        multiprocessing.forkserver.ensure_running()


def process_pool(workers: int) -> Any:
    """A pool of ``workers`` local worker processes, started as :func:`execute` starts them
    (each imports the model once, ignores Ctrl-C and exits if this process dies)."""
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=_init_worker, initargs=(os.getpid(),)
    )


def stop_pool(pool: Any) -> None:
    """Stop a pool's workers now, busy or not, and drop the jobs it had not started."""
    # Python 3.12 has no public way to stop a busy worker: terminate them by their handles,
    # before the pool is shut down (a worker still starting would miss the pool's queues).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.join(timeout=5)
    # A worker terminated while it sent a result leaves half a message in the results pipe:
    # the pool's thread that reads it would wait for the rest for ever, and keep this process
    # from exiting. With this process's own end for writing closed, it reads end of file.
    results = getattr(pool, "_result_queue", None)
    if results is not None:
        results._writer.close()
    pool.shutdown(wait=False, cancel_futures=True)


IN_FLIGHT_PER_WORKER = 4
"""Jobs handed to the pool per worker at a time: enough to keep every worker busy, few enough
that waiting for the next result costs the same however many jobs a sweep has (waiting on all
of them at once costs time in proportion to their number, for every result)."""


def _hand_out(
    pool: Any, pending: dict[Any, Job], waiting: Iterator[Job], workers: int, broken: list[Job]
) -> None:
    """Submit waiting jobs until ``IN_FLIGHT_PER_WORKER`` a worker are pending; a job that a
    broken pool refuses goes to ``broken``."""
    from concurrent.futures.process import BrokenProcessPool

    for job in itertools.islice(waiting, workers * IN_FLIGHT_PER_WORKER - len(pending)):
        try:
            pending[pool.submit(run_one, job)] = job
        except BrokenProcessPool:
            broken.append(job)
            return


def _on_processes(jobs: Sequence[Job], workers: int) -> Iterator[RunResult]:
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    todo = list(jobs)
    restarts = 0
    while todo:
        pool, finished, broken = None, False, []
        waiting, pending = iter(todo), {}
        try:
            with signals_held():  # a stop while workers start would leave one half-started
                pool = process_pool(workers)
                _hand_out(pool, pending, waiting, workers, broken)
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = pending.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken.append(job)
                        continue
                    except Exception as exc:  # a result that could not be sent back
                        result = failed(job, f"{type(exc).__name__}: {exc}")
                    yield result
                if not broken:  # a broken pool takes no more jobs; they go to the next
                    _hand_out(pool, pending, waiting, workers, broken)
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True)
            elif pool is not None:
                stop_pool(pool)
        todo = [*broken, *waiting]
        if todo:
            restarts += 1
            if restarts > 2:
                for job in todo:
                    yield failed(job, "a worker process died while running it (three times)")
                return
