"""A Dask distributed cluster as an executor: connecting to it, checking it, running jobs on it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sim.errors import UsageError, setting
from sim.runs import results as rf
from sim.runs.jobs import (
    VERSIONS_THAT_SHAPE_NUMBERS,
    Job,
    RunResult,
    failed,
    run_one,
    worker_versions,
)


def connect(scheduler: str) -> Any:
    """A ``distributed.Client`` for a scheduler's address or scheduler file, checked able to
    run calais-sim (a warning if its workers' versions differ from this process's).

    Raises:
        UsageError: the scheduler cannot be reached, or its workers cannot import the package.
    """
    from distributed import Client

    looks_like_file = "://" not in scheduler and (
        scheduler.endswith(".json") or os.sep in scheduler
    )
    try:
        is_file = Path(scheduler).is_file()
    except (OSError, ValueError):
        is_file = False
    if looks_like_file and not is_file:
        raise UsageError(f"{setting('scheduler')} {scheduler}: no such scheduler file")
    address = scheduler_address(scheduler) if is_file else scheduler
    if "://" in address and not re.fullmatch(r"[a-z][a-z0-9+.-]*://\S+", address):
        raise UsageError(
            f"{setting('scheduler')} {scheduler}: not a scheduler address ({address!r})"
        )
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise UsageError(
            f"{setting('scheduler')} {scheduler}: cannot reach the Dask scheduler ({exc})"
        ) from None
    try:
        _check_cluster(client)
    except BaseException:
        client.close()
        raise
    return client


CONNECT_TIMEOUT = "10s"
"""How long to wait for a Dask scheduler to answer."""


MAX_SCHEDULER_FILE_BYTES = 1_000_000


def scheduler_address(path: str) -> str:
    """The address in a Dask scheduler file (JSON with an ``"address"`` like ``tcp://h:p``).

    Raises:
        UsageError: the file is not such a document; nothing is connected to.
    """
    where = f"{setting('scheduler')} {path}"
    try:
        info = os.stat(path)
        if info.st_size > MAX_SCHEDULER_FILE_BYTES:
            raise UsageError(f"{where}: too large to be a scheduler file")
        doc = json.loads(Path(path).read_bytes().decode("utf-8"))
    except UsageError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else type(exc).__name__
        raise UsageError(f"{where}: not a Dask scheduler file (not JSON: {reason})") from None
    address = doc.get("address") if isinstance(doc, dict) else None
    if not isinstance(address, str) or not re.fullmatch(
        r"[a-z][a-z0-9+.-]*://[^\s/]+(:\d{1,5})?/?", address
    ):
        raise UsageError(
            f'{where}: not a Dask scheduler file (no "address" such as tcp://host:8786)'
        )
    return address


def _check_cluster(client: Any) -> None:
    try:
        theirs = client.run(worker_versions)
    except Exception as exc:
        raise UsageError(
            f"the Dask workers cannot run calais-sim ({type(exc).__name__}: {exc}); "
            "install the same version on every worker"
        ) from None
    mine = {k: rf.versions()[k] for k in VERSIONS_THAT_SHAPE_NUMBERS}
    for address, versions in theirs.items():
        differ = {k: versions.get(k) for k in mine if versions.get(k) != mine[k]}
        if differ:
            print(
                f"warning: Dask worker {address} has {differ}, this process {mine}: "
                "its numbers may differ",
                file=sys.stderr,
            )


def on_dask(jobs: Sequence[Job], scheduler: Any) -> Iterator[RunResult]:
    """Run jobs on a Dask cluster (an address, a scheduler file or a client); yield their
    results as they finish. A cluster named by address or file is connected to and let go."""
    from distributed import as_completed

    own = isinstance(scheduler, str | Path)
    client = connect(str(scheduler)) if own else scheduler
    futures: dict[Any, Job] = {}
    try:
        tag = f"{os.getpid()}-{time.time_ns()}"
        for job in jobs:
            key = f"calais-sim-{job.run_id}-{tag}"
            futures[client.submit(run_one, job, pure=False, key=key)] = job
        for fut in as_completed(list(futures), loop=client.loop):
            job = futures.pop(fut)
            try:
                result = fut.result()
            except Exception as exc:  # a worker lost, a task cancelled
                result = failed(job, f"{type(exc).__name__}: {exc}")
            fut.release()
            yield result
    finally:
        if futures:
            with contextlib.suppress(Exception):
                client.cancel(list(futures))
        if own:
            client.close()
