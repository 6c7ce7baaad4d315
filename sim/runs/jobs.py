"""Runs as values: a :class:`Job` holds everything a worker needs, and :func:`run_one` makes it.

A job carries the resolved scenario as TOML text, the seed's entropy and spawn key, and the
number of days, so that the same pure function, :func:`run_one`, runs it in this process, in a
local worker process or on a Dask worker, with identical numbers (see :mod:`sim.runs.executors`).

Seeds: one root ``numpy.random.SeedSequence(seed)`` and one child per replicate index
(``root.spawn(R)``); replicate ``i`` of every scenario and design point uses child ``i`` (common
random numbers), so differences between scenarios are paired by replicate.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.runs import results as rf
from sim.scenario.building import Scenario
from sim.scenario.loading import from_text

MAX_SEED = 2**63 - 1


VERSIONS_THAT_SHAPE_NUMBERS = ("calais_sim", "mesa", "numpy")


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

    @classmethod
    def seeded(
        cls,
        scenario: Scenario,
        text: str,
        point: Mapping[str, Any],
        replicate: int,
        child: np.random.SeedSequence,
        recorded: Mapping[str, Any] | None = None,
    ) -> Job:
        """Replicate ``replicate`` of ``scenario`` (as TOML ``text``) at grid ``point``, on the
        seed ``child``; ``recorded`` values (a posterior draw's) are filed with the point's but
        do not name the run."""
        return cls(
            run_id=run_id(scenario.name, point, replicate),
            scenario=scenario.name,
            text=text,
            replicate=replicate,
            entropy=int(child.entropy),
            spawn_key=tuple(int(k) for k in child.spawn_key),
            days=scenario.days,
            point={**point, **(recorded or {})},
        )


def replicate_seeds(seed: int, replicates: int) -> list[np.random.SeedSequence]:
    """One child of ``SeedSequence(seed)`` per replicate index."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UsageError(f"the seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}")
    return np.random.SeedSequence(seed).spawn(replicates)


POINT_TAG_DIGITS = 16
"""Hex digits of a point's digest in its name: 64 bits, so that two of a million points share
a name with a chance of about 3e-8 (with 8 digits, two of the 22,528 points of a Sobol analysis
at 1,024 base samples did)."""


def point_tag(point: Mapping[str, Any]) -> str:
    """A short, stable name for a grid point: ``g`` and 16 hex digits of its values' digest."""
    text = json.dumps(sorted(point.items()), default=str, separators=(",", ":"))
    return "g" + hashlib.sha256(text.encode()).hexdigest()[:POINT_TAG_DIGITS]


def run_id(scenario: str, point: Mapping[str, Any], replicate: int) -> str:
    """The run's name, the same whenever the same sweep is planned: ``<scenario>__r003``, or
    ``<scenario>__g1a2b3c4d5e6f7a8b__r003`` at a grid point."""
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
        jobs.extend(
            Job.seeded(scenario, text, point, rep, child) for rep, child in enumerate(seeds)
        )
    check_unique_names(jobs)
    return jobs


def check_unique_names(jobs: Sequence[Job]) -> None:
    """Refuse a plan in which two runs share a name (one would be filed over the other).

    Raises:
        UsageError: naming the first name given twice.
    """
    seen: set[str] = set()
    for job in jobs:
        if job.run_id in seen:
            raise UsageError(
                f"two runs would both be named {job.run_id}: give each design point a label"
            )
        seen.add(job.run_id)


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


def failed(job: Job, why: str) -> RunResult:
    """The result of a job that did not finish, and why (a worker lost, a result not sent)."""
    return RunResult(job, "failed", error=why)


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


def worker_versions() -> dict[str, str]:
    """The versions a worker has (run on Dask workers to check they match this process)."""
    return rf.versions()
