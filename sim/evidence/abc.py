"""Bayesian calibration by ABC-SMC (pyabc): ``calais-sim calibrate --method abc``.

The point fit (:mod:`sim.evidence.calibration`) finds one parameter vector; this module finds a
posterior: the parameter vectors the June-July 2015 record allows, with weights.

- **Priors** (:data:`PRIORS`) are declared once, beside the parameters in :mod:`sim.params`
  (``prior=Prior(lo, hi, why, log)``): uniform over the range, log-uniform where ``log``. The
  seven fitted parameters' priors are also the point fit's search ranges
  (:class:`~sim.evidence.calibration.Free`); four assumptions that the sensitivity analysis and
  ``docs/validation.md`` name have their own.
- **Summary statistics** are the calibration targets (dated up to 31 July 2015), each taken from
  one run of the scenario; the **distance** is the sum over the targets of
  ((statistic - record) / sd)^2, the point fit's objective for one run.
- **Seeds**: every run draws a fresh seed (no common random numbers): ABC needs the model's own
  noise, and one shared seed would condition the posterior on one realisation of luck.
- **Proposals**: each generation perturbs the last one's particles with a multivariate normal
  kernel whose covariance is :data:`KERNEL_SCALING` times pyabc's default (the particles'
  weighted covariance shrunk by Silverman's rule). At the default, ten parameters and 100
  particles, the importance weights degenerate (an effective sample size of 2-18 of 100 from
  the second generation on); the wider kernel kept 47-82 of 100 effective in the shipped run,
  whose threshold after ten generations was 18.7 (16.3 at the default).
- **Sampling** runs on local processes (pyabc's multicore sampler) or a Dask cluster (pyabc's
  ``DaskDistributedSampler``). pyabc keeps every generation (particles, weights, distances,
  statistics, epsilon, number of runs) in an SQLite database ``abc.db`` in the output folder;
  a run killed and started again with the same ``--out`` loads it and continues from the last
  finished generation (the generation under way when it was killed is lost).

The posterior's files are written by :mod:`sim.evidence.posterior`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim import params
from sim.errors import UsageError, setting
from sim.evidence.calibration import FREE
from sim.evidence.defaults import ABC_OUT
from sim.evidence.targets import Target

DEFAULT_OUT = Path(ABC_OUT)
DATABASE = "abc.db"
RUN_FILE = "abc-run.json"
KERNEL_SCALING = 4.0
"""Factor on the proposal kernel's covariance (pyabc's ``scaling``; 1 is its default). At 1
the weights of ten parameters degenerate. Compared on 50 particles over five generations
(``calibrate --method abc --population 50 --generations 5 --seed 1 --workers 1``, once with
this constant set to each of 1, 2 and 4), the effective sample sizes of generations 1-4 were
4-12 of 50 at 1, 4-20 at 2 and 21-24 at 4, with last thresholds of 35, 32 and 32: the wider
kernel costs no precision."""


@dataclass(frozen=True)
class Prior:
    """A parameter's prior: uniform over ``lo``-``hi``, or log-uniform when ``log``.

    Attributes:
        key: the dotted scenario key.
        lo, hi: the range.
        log: log-uniform (for chances spanning orders of magnitude).
        why: why this range.
        also: keys that take the same value (tied to this one).
    """

    key: str
    lo: float
    hi: float
    log: bool = False
    why: str = ""
    also: tuple[str, ...] = ()

    @classmethod
    def declared(cls, key: str, also: tuple[str, ...] = ()) -> Prior:
        """The prior declared beside the parameter in :mod:`sim.params` (``also``: keys tied
        to it)."""
        p = params.prior(key)
        return cls(key, p.lo, p.hi, p.log, p.why, also)

    @property
    def name(self) -> str:
        """The parameter's name for pyabc (an identifier)."""
        return self.key.replace(".", "__")

    @property
    def scale(self) -> str:
        """``log`` or ``linear``."""
        return "log" if self.log else "linear"

    def coordinate(self, value: float) -> float:
        """The value on the prior's scale (log10 where log-uniform)."""
        return math.log10(value) if self.log else float(value)

    def value(self, coordinate: float) -> float:
        """The value at a coordinate of the prior's scale."""
        return 10.0**coordinate if self.log else float(coordinate)

    @property
    def bounds(self) -> tuple[float, float]:
        """The range on the prior's scale."""
        return self.coordinate(self.lo), self.coordinate(self.hi)

    def rv(self) -> Any:
        """The prior as a pyabc random variable over the coordinate (uniform)."""
        import pyabc

        lo, hi = self.bounds
        return pyabc.RV("uniform", lo, hi - lo)


ASSUMPTIONS: tuple[Prior, ...] = tuple(
    Prior.declared(key)
    for key in (
        "behaviour.success_weight",
        "behaviour.learning_rate",
        "behaviour.social_rate",
        "smuggling.success_multiplier",
    )
)
"""The assumptions that matter most (the sensitivity analysis; docs/validation.md)."""

PRIORS: tuple[Prior, ...] = (*(Prior.declared(f.key, f.also) for f in FREE), *ASSUMPTIONS)
"""Every prior ``calais-sim calibrate --method abc`` knows, fitted parameters first."""


def select_priors(keys: Sequence[str] | None) -> tuple[Prior, ...]:
    """The priors of the keys asked for (all of :data:`PRIORS` when none are).

    Raises:
        UsageError: a key has no prior.
    """
    if not keys:
        return PRIORS
    by_key = {p.key: p for p in PRIORS}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise UsageError(
            f"{setting('parameters')}: {unknown[0]} has no prior (known: {', '.join(by_key)})"
        )
    return tuple(by_key[k] for k in dict.fromkeys(keys))


def values_of(priors: Sequence[Prior], particle: Mapping[str, float]) -> dict[str, float]:
    """Scenario values (tied keys included) from a pyabc particle's coordinates."""
    out: dict[str, float] = {}
    for p in priors:
        v = p.value(float(particle[p.name]))
        out[p.key] = v
        out.update({k: v for k in p.also})
    return out


# --- the model, as pyabc sees it ----------------------------------------------------------


class Simulator:
    """One run of the scenario at a particle; returns each target's statistic.

    Picklable: pyabc sends it to its worker processes or Dask workers.
    """

    def __init__(self, text: str, targets: Sequence[Target], days: int, priors: Sequence[Prior]):
        self.text = text
        self.targets = tuple(targets)
        self.days = days
        self.priors = tuple(priors)

    def __call__(self, particle: Mapping[str, float]) -> dict[str, float]:
        """Run once with a fresh seed at the particle's values."""
        from sim.runs.jobs import scenario_from_text, simulate

        values = values_of(self.priors, particle)
        scenario = scenario_from_text(self.text).with_overrides(
            f"{k}={v!r}" for k, v in values.items()
        )
        entropy = int(np.random.randint(0, 2**31 - 1))
        frame = simulate(scenario.to_toml(), entropy, (), self.days)
        return {t.name: t.statistic(frame) for t in self.targets}


class ScaledDistance:
    """Sum over the targets of ((statistic - record) / sd)^2."""

    def __init__(self, targets: Sequence[Target]):
        self.sd = {t.name: t.sd for t in targets}

    def __call__(self, x: Mapping[str, float], x0: Mapping[str, float]) -> float:
        """The distance between a run's statistics and the record's."""
        return float(sum(((x[k] - x0[k]) / s) ** 2 for k, s in self.sd.items()))


def observed(targets: Sequence[Target]) -> dict[str, float]:
    """The record's values, as pyabc's observed statistics."""
    return {t.name: t.value for t in targets}


# --- the inference ------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What an inference is: checked equal when a run is resumed."""

    scenario_sha256: str
    targets: tuple[str, ...]
    parameters: tuple[str, ...]
    population: int
    days: int

    def document(self) -> dict[str, Any]:
        """As JSON."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self).items()}


def sampler(workers: int | None, client: Any) -> Any:
    """pyabc's Dask sampler on a client, or its multicore sampler on local processes."""
    from pyabc.sampler import DaskDistributedSampler, MulticoreEvalParallelSampler

    from sim.runs.executors import default_workers

    if client is not None:
        return DaskDistributedSampler(dask_client=client)
    return MulticoreEvalParallelSampler(n_procs=workers or default_workers())


def prepare(out: Path, settings: Settings, fresh: bool) -> tuple[str, int | None]:
    """The database URL and the run id to continue (None: start a new run).

    Raises:
        UsageError: the folder holds an inference with other settings.
    """
    from pyabc import History

    out.mkdir(parents=True, exist_ok=True)
    db = out / DATABASE
    run_file = out / RUN_FILE
    url = f"sqlite:///{db.resolve()}"
    if fresh or not db.exists():
        db.unlink(missing_ok=True)
        run_file.write_text(json.dumps(settings.document(), indent=2))
        return url, None
    old = json.loads(run_file.read_text()) if run_file.exists() else None
    if old != settings.document():
        raise UsageError(
            f"{setting('out')} {out}: holds an inference with other settings ({run_file}); use "
            f"another folder, or {setting('fresh')} to start again there"
        )
    history = History(url)
    ids = [int(run.id) for run in history.all_runs()]
    if not ids:
        return url, None
    history.id = ids[-1]
    if history.max_t < 0:  # killed before the first generation finished
        db.unlink()
        return url, None
    return url, ids[-1]


def infer(
    simulator: Simulator,
    targets: Sequence[Target],
    out: Path,
    settings: Settings,
    generations: int,
    min_epsilon: float,
    budget: float | None = None,
    workers: int | None = None,
    client: Any = None,
    fresh: bool = False,
    seed: int | None = None,
) -> Any:
    """Run (or continue) ABC-SMC until ``generations`` are done, the threshold reaches
    ``min_epsilon`` or ``budget`` seconds have passed; return pyabc's ``History``."""
    import pyabc

    if seed is not None:
        np.random.seed(seed)
    priors = simulator.priors
    prior = pyabc.Distribution(**{p.name: p.rv() for p in priors})
    abc = pyabc.ABCSMC(
        simulator,
        prior,
        ScaledDistance(targets),
        transitions=pyabc.MultivariateNormalTransition(scaling=KERNEL_SCALING),
        population_size=settings.population,
        sampler=sampler(workers, client),
    )
    url, run_id = prepare(out, settings, fresh)
    if run_id is None:
        history = abc.new(url, observed(targets))
    else:
        history = abc.load(url, run_id)
        print(f"resuming run {run_id} of {out / DATABASE}: {history.max_t + 1} generation(s) done")
    left = generations - (history.max_t + 1)
    if left <= 0:
        return history
    walltime = dt.timedelta(seconds=budget) if budget else None
    return abc.run(minimum_epsilon=min_epsilon, max_nr_populations=left, max_walltime=walltime)
