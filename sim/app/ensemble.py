"""The cards' intervals: a small ensemble of the chosen scenario and the baseline, run in the
background in worker processes while the map plays one run.

Replicate ``i`` of both arms runs on the same seed, child ``i`` of the scenario's seed
(:func:`sim.runs.jobs.replicate_seeds`, :meth:`sim.runs.jobs.Job.seeded`: common random
numbers, as a sweep pairs them), so each card's difference is the mean of paired differences
``scenario - baseline``, with the 95% bootstrap interval that ``calais-sim compare`` gives
(:func:`sim.runs.statistics.bootstrap_ci`, :func:`sim.runs.statistics.verdict`). With "show
uncertainty", replicate ``i`` of both arms also takes its parameters from draw ``i`` of the
shipped posterior, drawn as ``calais-sim sweep --posterior`` draws them
(:func:`sim.runs.draws.draw`), so that the interval holds what the record cannot pin down as
well as luck.

An :class:`Ensemble` runs in its own worker processes (:func:`sim.runs.executors.process_pool`,
:data:`WORKERS` of them), started from a thread so that the page never waits; :meth:`cancel`
stops its workers at once (a change of settings, a closed session) and frees its results.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import math
import os
import signal
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.evidence.defaults import POSTERIOR_FILE
from sim.model.outcomes import OUTCOME_BY_NAME
from sim.runs import draws as dr
from sim.runs.executors import process_pool, start_forkserver, stop_pool
from sim.runs.jobs import Job, run_one
from sim.runs.statistics import CONFIDENCE, bootstrap_ci, verdict
from sim.scenario.building import Scenario

REPLICATES = 8
"""Paired runs an ensemble makes of each arm: at 2,500 migrants and 120 days, 16 runs of about
0.3 s each on an idle core (benchmarks/app_ensemble.py measures the whole ensemble)."""
WORKERS = 2
"""Worker processes an ensemble runs on (this machine has two cores)."""
LEVEL = f"{CONFIDENCE:.0%}"
"""The intervals' confidence level, for people ('95%')."""


_WARM = threading.Event()
_LIVE: weakref.WeakSet[Ensemble] = weakref.WeakSet()


def warm_up() -> None:
    """Start, in the background and once a server, the process the ensembles' workers are
    forked from, so that the first ensemble does not wait for it (two seconds or so); and stop
    every ensemble and that process when the server stops."""
    if not _WARM.is_set():
        _WARM.set()
        atexit.register(shut_down)
        threading.Thread(target=start_forkserver, daemon=True, name="app-warm-up").start()


def shut_down() -> None:
    """Stop every ensemble's workers, then the process they are forked from and the
    multiprocessing resource tracker, and wait for them: a stopped server leaves no process
    behind (left alone, they would end a moment after it)."""
    for ensemble in list(_LIVE):
        ensemble.cancel()
    import multiprocessing.forkserver
    import multiprocessing.resource_tracker

    # Python has no public way to stop them; these are the methods its own tests use. The
    # fork server holds nothing but imported modules: killed, it does not spend a second or
    # two tearing them down while the server's stop waits.
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    with contextlib.suppress(Exception):
        if server is not None and server._forkserver_pid is not None:
            os.kill(server._forkserver_pid, signal.SIGKILL)
    for helper in (server, getattr(multiprocessing.resource_tracker, "_resource_tracker", None)):
        with contextlib.suppress(Exception):
            helper._stop()  # type: ignore[union-attr]


@dataclass(frozen=True)
class EnsemblePlan:
    """What an ensemble runs: one (scenario, baseline) pair of jobs a replicate.

    Attributes:
        pairs: replicate ``i``'s jobs, both on the seed of child ``i``.
        draws: posterior draws the replicates' parameters come from (0: the fitted values).
        same: the two arms are the same scenario (their runs are identical; run once).
    """

    pairs: tuple[tuple[Job, Job], ...]
    draws: int
    same: bool

    @property
    def jobs(self) -> list[Job]:
        """The runs to make: both arms of every replicate, the scenario's once if the same."""
        return [job for pair in self.pairs for job in (pair[1:] if self.same else pair)]


def plan_ensemble(
    chosen: Scenario, baseline: Scenario, replicates: int = REPLICATES, uncertainty: bool = False
) -> EnsemblePlan:
    """The paired runs of ``chosen`` and ``baseline``: replicate ``i`` of both on child ``i`` of
    the chosen scenario's seed, and, with ``uncertainty``, on posterior draw ``i`` too."""
    from sim.runs.jobs import replicate_seeds

    seeds = replicate_seeds(chosen.seed, replicates)
    particles: list[int | None] = [None] * replicates
    posterior = None
    if uncertainty:
        posterior = dr.load_posterior(POSTERIOR_FILE, [chosen, baseline])
        particles = list(dr.draw(posterior, replicates, chosen.seed))
    pairs = []
    for i, (child, particle) in enumerate(zip(seeds, particles, strict=True)):
        pair = []
        for arm, scenario in (("scenario", chosen), ("baseline", baseline)):
            recorded: dict[str, Any] = {"arm": arm}
            if posterior is not None and particle is not None:
                scenario = scenario.with_overrides(dr.assignments(posterior, particle))
                recorded.update(draw=i, particle=particle)
            pair.append(Job.seeded(scenario, scenario.to_toml(), {}, i, child, recorded))
        pairs.append((pair[0], pair[1]))
    same = all(a.text == b.text for a, b in pairs)
    return EnsemblePlan(tuple(pairs), replicates if uncertainty else 0, same)


def ensemble_key(
    chosen: Scenario, baseline: Scenario, uncertainty: bool, replicates: int = REPLICATES
) -> str:
    """The same for the same ensemble (so a run started again reuses the one it has)."""
    text = "\0".join((chosen.to_toml(), baseline.to_toml(), str(uncertainty), str(replicates)))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Difference:
    """An outcome's paired difference at a day: mean, interval and what it says.

    Attributes:
        day: whole days simulated that the difference is over (totals) or at (levels).
        mean: mean of the paired differences, scenario minus baseline.
        low, high: its 95% bootstrap interval.
        base: the baseline's mean.
        verdict: ``better``, ``worse``, ``higher``, ``lower`` or ``no clear difference``
            (:func:`sim.runs.statistics.verdict`).
        pairs: paired runs it is computed from.
    """

    day: int
    mean: float
    low: float
    high: float
    base: float
    verdict: str
    pairs: int

    @property
    def clear(self) -> bool:
        """Whether the interval leaves out zero."""
        return self.verdict != "no clear difference"


class Ensemble:
    """A plan's runs in the background, and the paired differences they give, day by day.

    Args:
        plan: the runs (:func:`plan_ensemble`), or a function that makes them (called in the
            background: drawing from the posterior takes a few tenths of a second).
        key: what :attr:`key` returns (default: a new key).
        workers: worker processes.
        pool: makes the pool of worker processes (for tests).
    """

    def __init__(
        self,
        plan: EnsemblePlan | Callable[[], EnsemblePlan],
        key: str = "",
        workers: int = WORKERS,
        pool: Callable[[int], Any] = process_pool,
    ) -> None:
        self.plan: EnsemblePlan | None = plan if isinstance(plan, EnsemblePlan) else None
        self._make_plan = plan if callable(plan) else None
        self.key = key or f"ensemble-{id(self)}"
        """The same for the same runs (see :func:`ensemble_key`)."""
        self.workers = workers
        self._make_pool = pool
        self._changed = threading.Condition()
        self._pool: Any = None
        self._thread: threading.Thread | None = None
        self._frames: dict[tuple[str, int], pd.DataFrame] = {}
        self._paths: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
        self._cache: dict[tuple[str, int], Difference] = {}
        self.state = "waiting"
        """``waiting`` (not started), ``running``, ``done``, ``failed`` or ``cancelled``."""
        self.error = ""
        self.version = 0
        """Goes up at every change (a run finished, done, failed, cancelled)."""
        self.started = self.finished = math.nan
        """When it started and finished (``time.monotonic``)."""

    @property
    def total(self) -> int:
        """How many runs it makes (0 until planned)."""
        plan = self.plan
        return len(plan.jobs) if plan is not None else 0

    @property
    def draws(self) -> int:
        """Posterior draws its replicates' parameters come from (0: the fitted values)."""
        plan = self.plan
        return plan.draws if plan is not None else 0

    @property
    def finished_runs(self) -> int:
        """How many of its runs have finished."""
        with self._changed:
            return len(self._frames)

    @property
    def seconds(self) -> float:
        """Wall seconds from start to finish (NaN until done)."""
        return self.finished - self.started

    def start(self) -> None:
        """Start the runs in the background (once; a cancelled ensemble does not start)."""
        with self._changed:
            if self.state != "waiting":
                return
            self.state = "running"
            self.started = time.monotonic()
            self._bump()
            _LIVE.add(self)
            self._thread = threading.Thread(target=self._run, daemon=True, name="app-ensemble")
            self._thread.start()

    def cancel(self) -> None:
        """Stop its workers now and let its results go (the settings changed, the session
        closed)."""
        with self._changed:
            if self.state == "cancelled":
                return
            was_running = self.state == "running"
            self.state = "cancelled"
            pool, self._pool = self._pool, None
            self._frames, self._paths, self._cache = {}, None, {}
            self._bump()
        if pool is not None and was_running:
            stop_pool(pool)

    def processes(self) -> list[Any]:
        """The worker processes it runs on now (none before it starts and after it ends)."""
        with self._changed:
            pool = self._pool
        return list((getattr(pool, "_processes", None) or {}).values())

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the background thread to end; whether it has."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def wait_change(self, version: int, timeout: float) -> int:
        """Block until :attr:`version` differs from ``version`` (or ``timeout`` s); return it."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != version, timeout)
            return self.version

    def _bump(self) -> None:
        self.version += 1
        self._changed.notify_all()

    def _run(self) -> None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            if self.plan is None and self._make_plan is not None:
                self.plan = self._make_plan()
        except Exception as exc:  # a posterior that does not fit the scenario: say so
            self._fail(f"{type(exc).__name__}: {exc}")
            return
        assert self.plan is not None
        jobs = self.plan.jobs
        with self._changed:
            self._bump()  # the total is known
        try:
            pool = self._make_pool(min(self.workers, len(jobs)))
        except Exception as exc:  # no processes: say so on the cards
            self._fail(f"the worker processes did not start ({type(exc).__name__}: {exc})")
            return
        with self._changed:
            if self.state != "running":  # cancelled while the pool started
                stop_pool(pool)
                return
            self._pool = pool
        try:
            pending = {pool.submit(run_one, job): job for job in jobs}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = pending.pop(fut)
                    result = fut.result()
                    if not result.ok:
                        raise RuntimeError(f"run {job.replicate} failed: {result.error}")
                    with self._changed:
                        if self.state != "running":
                            return
                        self._frames[(job.point["arm"], job.replicate)] = result.frame
                        self._bump()
        except (BrokenProcessPool, RuntimeError, OSError) as exc:
            with self._changed:
                cancelled = self.state == "cancelled"
            if not cancelled:
                self._fail(str(exc) or type(exc).__name__)
            return
        except Exception as exc:  # a cancelled future, a pool shut down under it
            with self._changed:
                cancelled = self.state == "cancelled"
            if not cancelled:
                self._fail(f"{type(exc).__name__}: {exc}")
            return
        pool.shutdown(wait=True)
        with self._changed:
            if self.state != "running":
                return
            self._pool = None
            self._paths = self._daily_paths()
            self._frames = {}  # the paths hold what the cards need
            self.state = "done"
            self.finished = time.monotonic()
            self._bump()

    def _fail(self, why: str) -> None:
        with self._changed:
            if self.state == "cancelled":
                return
            pool, self._pool = self._pool, None
            self.state, self.error = "failed", why
            self._frames = {}
            self._bump()
        if pool is not None:
            stop_pool(pool)

    def _daily_paths(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each outcome's value by replicate and day, for both arms: running totals for summed
        outcomes, the day's value for levels."""
        assert self.plan is not None
        n = len(self.plan.pairs)
        arms = ("baseline", "baseline") if self.plan.same else ("scenario", "baseline")
        paths = {}
        for name, outcome in OUTCOME_BY_NAME.items():
            mats = []
            for arm in arms:
                rows = [self._frames[(arm, i)][name].to_numpy(dtype=float) for i in range(n)]
                mat = np.vstack(rows)
                mats.append(np.cumsum(mat, axis=1) if outcome.summary == "sum" else mat)
            paths[name] = (mats[0], mats[1])
        return paths

    def difference(self, name: str, day: int) -> Difference | None:
        """Outcome ``name``'s paired difference over the first ``day`` whole days (or on day
        ``day`` for a level); None until the ensemble is done.

        ``day`` is clipped to the days run (at least one).
        """
        with self._changed:
            paths = self._paths
            if paths is None:
                return None
            x, b = paths[name]
            day = max(1, min(int(day), x.shape[1]))
            cached = self._cache.get((name, day))
        if cached is not None:
            return cached
        d = x[:, day - 1] - b[:, day - 1]
        low, high, _ = bootstrap_ci(d)
        out = Difference(
            day=day,
            mean=float(d.mean()),
            low=low,
            high=high,
            base=float(b[:, day - 1].mean()),
            verdict=verdict(OUTCOME_BY_NAME[name], low, high),
            pairs=len(d),
        )
        with self._changed:
            if self._paths is paths:
                self._cache[(name, day)] = out
        return out
