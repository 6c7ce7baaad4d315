"""Many runs: seeds, executors, files written as runs finish, and resume.

A sweep runs every scenario, at every point of a grid, ``R`` times. Its runs are :class:`Job`
values holding everything a worker needs (the resolved scenario as TOML text, the seed's entropy
and spawn key, the number of days), so that the same pure function, :func:`run_one`, runs them in
this process, in local worker processes, or on a Dask distributed cluster, with identical numbers.

Seeds: one root ``numpy.random.SeedSequence(seed)`` and one child per replicate index
(``root.spawn(R)``); replicate ``i`` of every scenario and grid point uses child ``i`` (common
random numbers), so differences between scenarios are paired by replicate.

Files: each finished run is written at once (its time series, then its record) through atomic
renames; ``runs.parquet`` and ``manifest.json`` are rebuilt from the records every few seconds and
at the end (see ``results/README.md``). A stopped sweep started again with ``--resume`` runs only
what has no record, and runs again the runs that failed.

Other modules run their own designs through the same machinery: build jobs with
:func:`make_jobs`, then :func:`execute` them (results in memory) or :func:`run_jobs` them (files
in a directory, resumable).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import Interrupted, UsageError, check_stop, setting, signals_held
from sim.resources import package_path
from sim.runs import results as rf
from sim.scenario.loading import (
    Scenario,
    ScenarioError,
    from_text,
    key_parts,
    load_scenario,
    split_assignment,
)

MAX_SEED = 2**63 - 1
CHECKPOINT_SECONDS = 2.0
"""How often ``runs.parquet`` and the manifest are rebuilt while a sweep runs."""
RESERVED_GRID_KEYS = ("name", "seed", "extends")
VERSIONS_THAT_SHAPE_NUMBERS = ("calais_sim", "mesa", "numpy")


# --- jobs and seeds -------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One run: everything a worker needs to make it, and the names it is filed under.

    Attributes:
        run_id: the run's name, from its scenario, grid point and replicate (see :func:`run_id`).
        scenario: the scenario's name.
        text: the resolved scenario as TOML (grid values applied).
        replicate: the replicate index; its seed is child ``replicate`` of the root.
        entropy: the root seed's entropy.
        spawn_key: the child's spawn key (``(replicate,)`` for a sweep).
        days: number of days to run.
        point: the grid (or design) values of this run, by dotted key.
    """

    run_id: str
    scenario: str
    text: str
    replicate: int
    entropy: int
    spawn_key: tuple[int, ...]
    days: int
    point: Mapping[str, Any] = field(default_factory=dict)

    def seed_sequence(self) -> np.random.SeedSequence:
        """The run's seed."""
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


def replicate_seeds(seed: int, replicates: int) -> list[np.random.SeedSequence]:
    """One child of ``SeedSequence(seed)`` per replicate index."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UsageError(f"the seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}")
    return np.random.SeedSequence(seed).spawn(replicates)


def point_tag(point: Mapping[str, Any]) -> str:
    """A short, stable name for a grid point: ``g`` and 8 hex digits of its values' digest."""
    text = json.dumps(sorted(point.items()), default=str, separators=(",", ":"))
    return "g" + hashlib.sha256(text.encode()).hexdigest()[:8]


def run_id(scenario: str, point: Mapping[str, Any], replicate: int) -> str:
    """The run's name, the same whenever the same sweep is planned: ``<scenario>__r003``, or
    ``<scenario>__g1a2b3c4d__r003`` at a grid point."""
    parts = [scenario, point_tag(point)] if point else [scenario]
    return "__".join([*parts, f"r{replicate:03d}"])


def make_jobs(
    designs: Iterable[tuple[str, Mapping[str, Any]]], replicates: int, seed: int
) -> list[Job]:
    """Jobs for design points: each one run ``replicates`` times with common random numbers.

    Args:
        designs: (resolved scenario TOML text, the point's values by name) pairs; the values
            become columns of ``runs.parquet`` and must be scalars.
        replicates: runs per design point; replicate ``i`` of every point uses the same seed.
        seed: the root seed.

    Raises:
        ScenarioError: a text is not a valid scenario.
        UsageError: two design points would share a run id.
    """
    if replicates < 1:
        raise UsageError(f"replicates must be at least 1, not {replicates}")
    seeds = replicate_seeds(seed, replicates)
    jobs: list[Job] = []
    for text, point in designs:
        scenario = scenario_from_text(text)
        for rep, child in enumerate(seeds):
            jobs.append(
                Job(
                    run_id=run_id(scenario.name, point, rep),
                    scenario=scenario.name,
                    text=text,
                    replicate=rep,
                    entropy=int(child.entropy),
                    spawn_key=tuple(int(k) for k in child.spawn_key),
                    days=scenario.days,
                    point=dict(point),
                )
            )
    ids = [j.run_id for j in jobs]
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise UsageError(f"two runs would both be named {twice}: give each design point a label")
    return jobs


# --- planning a sweep -------------------------------------------------------------------------


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``KEY=V1,V2,...`` options as {dotted key: [values as TOML text]}, in order."""
    grid: dict[str, list[str]] = {}
    for item in items:
        key, sep, raw = split_assignment(item)
        key = key.strip()
        values = [v.strip() for v in raw.split(",")]
        if not sep or not key or not all(values):
            raise UsageError(
                f"{setting('grid')} {item}: expected KEY=V1,V2,... (values split at commas)"
            )
        try:
            parts = key_parts(key)
        except ScenarioError as exc:
            raise UsageError(f"{setting('grid')} {item}: {exc.message}") from None
        if ".".join(parts) in RESERVED_GRID_KEYS:
            raise UsageError(f"{setting('grid')} {item}: '{key}' cannot vary within a sweep")
        if key in grid:
            raise UsageError(f"{setting('grid')} {item}: '{key}' is given twice")
        if len(set(values)) != len(values):
            raise UsageError(f"{setting('grid')} {item}: a value is repeated")
        grid[key] = values
    return grid


def document_value(scenario: Scenario, key: str) -> Any:
    """The resolved value of a dotted key in a scenario (as validated, e.g. 10 -> 10.0)."""
    value: Any = scenario.document
    for part in key_parts(key):
        value = value[part]
    return value


def grid_applies(scenario: Scenario, key: str) -> bool:
    """Whether a grid key varies a scenario: a measure's key only where the measure is on."""
    parts = key_parts(key)
    if len(parts) < 3 or parts[0] != "policies":
        return True
    table = scenario.document.get("policies", {}).get(parts[1])
    return isinstance(table, Mapping) and bool(table.get("enabled", False))


@dataclass(frozen=True)
class Sweep:
    """What a sweep runs: scenarios x grid points x replicates.

    Attributes:
        scenarios: the resolved scenarios (overrides applied, seed set to the root seed).
        replicates: runs per scenario and grid point.
        seed: the root seed.
        grid: each grid key's values as given (TOML text), for a full factorial.
        overrides: the ``--set`` (and ``--days``, ``--seed``) assignments applied to every
            scenario, recorded in the manifest so that ``compare`` can tell whether the
            baseline was changed.
    """

    scenarios: tuple[Scenario, ...]
    replicates: int
    seed: int
    grid: Mapping[str, Sequence[str]] = field(default_factory=dict)
    overrides: tuple[str, ...] = ()

    def points(self) -> list[dict[str, str]]:
        """Every grid point, as {key: value as given}; one empty point without a grid."""
        keys = list(self.grid)
        return [
            dict(zip(keys, combo, strict=True)) for combo in itertools.product(*self.grid.values())
        ]

    def designs(self) -> list[tuple[str, dict[str, Any]]]:
        """(scenario text, grid values) for every scenario and grid point.

        A grid key of a measure (``policies.<measure>.<field>``) varies only the scenarios in
        which that measure is on: the baseline, with every measure off, is run once as the
        reference, not switched on by the grid. Other keys (population, days...) vary every
        scenario, and each point is compared with the baseline at the same point.

        Raises:
            ScenarioError: a grid value is not valid for a scenario (named as ``--grid``).
            UsageError: a measure's grid key applies to no scenario of the sweep.
        """
        out = []
        for key in self.grid:
            if not any(grid_applies(s, key) for s in self.scenarios):
                raise UsageError(
                    f"{setting('grid')} {key}: the measure is on in none of the scenarios, so the "
                    "grid would change nothing"
                )
        for scenario in self.scenarios:
            seen: set[str] = set()
            for full in self.points():
                point = {k: v for k, v in full.items() if grid_applies(scenario, k)}
                if point_tag(point) in seen:
                    continue
                seen.add(point_tag(point))
                try:
                    at = scenario.with_overrides(f"{k}={v}" for k, v in point.items())
                except ScenarioError as exc:
                    exc.file = (
                        setting("grid") if exc.file in (setting("overrides"), None) else exc.file
                    )
                    exc.message = f"{exc.message} (scenario {scenario.name})"
                    raise
                values = {k: document_value(at, k) for k in point}
                out.append((at.to_toml(), values))
        return out

    def jobs(self) -> list[Job]:
        """Every run, scenario by scenario, grid point by point, replicate by replicate."""
        return make_jobs(self.designs(), self.replicates, self.seed)

    def manifest_fields(self) -> dict[str, Any]:
        """What the manifest records to describe (and re-plan) this sweep."""
        return {
            "plan": "grid",
            "scenarios": {s.name: s.to_toml() for s in self.scenarios},
            "seed": self.seed,
            "replicates": self.replicates,
            "grid": {k: list(v) for k, v in self.grid.items()},
            "grid_keys": list(self.grid),
            "overrides": list(self.overrides),
            "grid_scope": {
                s.name: [k for k in self.grid if grid_applies(s, k)] for s in self.scenarios
            },
        }

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> Sweep:
        """The sweep a manifest describes (to resume it without naming its scenarios again)."""
        if manifest.get("plan") != "grid":
            raise UsageError(
                "this directory's runs were not planned as a sweep; resume them "
                "with the tool that made them"
            )
        try:
            scenarios = tuple(
                scenario_from_text(text, f"manifest.json: scenario {name}")
                for name, text in manifest["scenarios"].items()
            )
            grid = {str(k): [str(v) for v in vs] for k, vs in manifest["grid"].items()}
            return cls(
                scenarios,
                int(manifest["replicates"]),
                int(manifest["seed"]),
                grid,
                tuple(str(o) for o in manifest.get("overrides", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UsageError(
                f"manifest.json: not the plan of a sweep ({type(exc).__name__}: {exc}); "
                f"start again with the scenario files and {setting('overwrite')}"
            ) from None


def plan_sweep(
    paths: Sequence[str | Path],
    replicates: int,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    grid: Mapping[str, Sequence[str]] | None = None,
) -> Sweep:
    """Load and check the scenarios of a sweep.

    Args:
        paths: scenario files.
        replicates: runs per scenario and grid point.
        seed: the root seed (default: the first scenario's seed).
        overrides: ``KEY=VALUE`` assignments applied to every scenario (``--set``, ``--days``).
        grid: {dotted key: values as TOML text} for a full factorial (see :func:`parse_grid`).

    Raises:
        ScenarioError: a file, an override or a grid value is bad.
        UsageError: two files share a scenario name, or the replicates or seed are out of range.
    """
    if replicates < 1:
        raise UsageError(f"replicates must be at least 1, not {replicates}")
    loaded = [load_scenario(p, overrides) for p in paths]
    if not loaded:
        raise UsageError("no scenario files given")
    seen: dict[str, str | None] = {}
    for s in loaded:
        if s.name in seen:
            raise UsageError(
                f"{s.source} and {seen[s.name]} are both named '{s.name}': names label the runs"
            )
        seen[s.name] = s.source
    root = loaded[0].seed if seed is None else seed
    replicate_seeds(root, 1)  # checks the range
    scenarios = tuple(s.with_overrides([f"seed={root}"]) for s in loaded)
    sweep = Sweep(scenarios, replicates, root, dict(grid or {}), tuple(overrides))
    sweep.designs()  # every grid point is checked before anything runs
    return sweep


# --- the worker -------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What a worker sends back: the job, its status, and its daily outcomes if it finished."""

    job: Job
    status: str
    error: str = ""
    traceback: str = ""
    wall_seconds: float = 0.0
    frame: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        """Whether the run finished."""
        return self.status == "ok"


@functools.lru_cache(maxsize=256)
def scenario_from_text(text: str, source: str = "<sweep>") -> Scenario:
    """A scenario from its resolved text, for planning (cached: many jobs share one text)."""
    return from_text(text, source)


def simulate(text: str, entropy: int, spawn_key: Sequence[int], days: int) -> pd.DataFrame:
    """Run one scenario for ``days`` days from a seed; return its daily outcomes.

    The text is parsed afresh for each run (a few milliseconds), so that no run can see what an
    earlier run in the same worker left in a scenario's objects.
    """
    from sim.model import CalaisModel

    seed = np.random.SeedSequence(entropy, spawn_key=tuple(spawn_key))
    return CalaisModel(from_text(text, "<sweep>"), seed=seed).run(days)


def run_one(job: Job) -> RunResult:
    """Run a job, catching what it raises: the function every executor sends to its workers."""
    started = time.perf_counter()
    try:
        frame = simulate(job.text, job.entropy, job.spawn_key, job.days)
    except Exception as exc:
        return RunResult(
            job,
            "failed",
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
            wall_seconds=time.perf_counter() - started,
        )
    return RunResult(job, "ok", wall_seconds=time.perf_counter() - started, frame=frame)


def _failed(job: Job, why: str) -> RunResult:
    return RunResult(job, "failed", error=why)


def _init_worker(parent: int) -> None:
    """Start a local worker: import the model once, ignore Ctrl-C (the parent stops workers),
    and exit if the parent dies (a killed sweep leaves no workers behind)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from sim.model import default_map

    default_map()
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


def worker_versions() -> dict[str, str]:
    """The versions a worker has (run on Dask workers to check they match this process)."""
    return rf.versions()


# --- executors --------------------------------------------------------------------------------


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
        return _on_dask(jobs, scheduler)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise UsageError(f"workers must be at least 1, not {workers}")
    if workers == 1 or len(jobs) <= 1:
        return (run_one(job) for job in jobs)
    return _on_processes(jobs, min(workers, len(jobs)))


def _pool(workers: int) -> Any:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # forkserver: workers start from a clean process that has imported the model once, rather
    # than from a copy of this one (which may hold threads: the progress bar's, Dask's).
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.model"])
    else:
        ctx = mp.get_context("spawn")
    return ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(os.getpid(),)
    )


def _stop_pool(pool: Any) -> None:
    # Python 3.12 has no public way to stop a busy worker: terminate them by their handles,
    # before the pool is shut down (a worker still starting would miss the pool's queues).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.join(timeout=5)
    pool.shutdown(wait=False, cancel_futures=True)


def _on_processes(jobs: Sequence[Job], workers: int) -> Iterator[RunResult]:
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    todo = list(jobs)
    restarts = 0
    while todo:
        pool, finished = None, False
        try:
            with signals_held():  # a stop while workers start would leave one half-started
                pool = _pool(workers)
                pending = {pool.submit(run_one, job): job for job in todo}
            broken: list[Job] = []
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
                        result = _failed(job, f"{type(exc).__name__}: {exc}")
                    yield result
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True)
            elif pool is not None:
                _stop_pool(pool)
        todo = broken
        if todo:
            restarts += 1
            if restarts > 2:
                for job in todo:
                    yield _failed(job, "a worker process died while running it (three times)")
                return


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


def _on_dask(jobs: Sequence[Job], scheduler: Any) -> Iterator[RunResult]:
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
                result = _failed(job, f"{type(exc).__name__}: {exc}")
            fut.release()
            yield result
    finally:
        if futures:
            with contextlib.suppress(Exception):
                client.cancel(list(futures))
        if own:
            client.close()


# --- the sweep's directory --------------------------------------------------------------------


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
        self.folder = Path(folder)
        self.jobs = list(jobs)
        self.fields = dict(fields)
        keys = self.fields.get("grid_keys") or list(dict.fromkeys(k for j in jobs for k in j.point))
        self.fields["grid_keys"] = list(keys)
        self.command = command
        self.plan = plan_digest(self.jobs)
        self.records: dict[str, dict[str, Any]] = {}
        self.manifest: dict[str, Any] = {}
        self.last_checkpoint = 0.0

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
                for name in ("scenarios", "seed", "replicates", "grid")
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
        if time.monotonic() - self.last_checkpoint >= CHECKPOINT_SECONDS:
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
        meta = rf.provenance(
            json.dumps(self.fields.get("scenarios", {})), {"root": self.fields.get("seed")}
        )
        data = rf.parquet_bytes(rf.runs_table(self.rows(), self.fields["grid_keys"]), meta)
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

    def finish(self, stopped: bool = False) -> bool:
        """Write the final ``runs.parquet`` and manifest; return whether every run has a record."""
        complete = len(self.records) == len(self.jobs)
        self.checkpoint("complete" if complete else ("stopped" if stopped else "running"))
        return complete


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
