"""Global sensitivity analysis with SALib: ``calais-sim sensitivity --method morris|sobol``.

The problem (:data:`FACTORS`) names the model's main parameters and the measures' strengths by
their dotted scenario keys, each with a range: the schema's where it is narrow enough, otherwise
a narrower one justified beside it. A ``dummy`` factor is sampled like the others but sets no
parameter; its value picks the seeds of its point's runs. Points that differ in other factors
only share their seeds (common random numbers), so their differences are the factors' effects;
points that differ in the dummy differ by chance alone, so an index no larger than the
dummy's cannot be told apart from noise.

Every design point gets a sample index. The design is written first (``design.csv``, one row a
sample, with ``problem.json``); the runs go through :func:`sim.runs.sweep.run_jobs` (local processes
or a Dask cluster, files written as runs finish, ``--resume`` after a stop), each filed with its
sample index; the replicate means are then joined to the design by that index, never by the
order in which runs finished. Indices with their confidence intervals are written to
``indices.csv`` and drawn in ``sensitivity.png``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import RunFailed, UsageError, setting
from sim.evidence import defaults
from sim.evidence.sensitivity_figure import figure

METHODS = defaults.SENSITIVITY_METHODS


SCENARIO_FILE = defaults.SCENARIO_FILE


DUMMY = "dummy"
"""A factor that sets no parameter: its value only picks the root seed of its point's replicates
(see :func:`plan_jobs`), so its index is what chance alone makes of the outcome."""


DUMMY_SEEDS = 1_000_000
"""A point's root seed is the analysis's seed plus ``round(dummy * DUMMY_SEEDS)``."""


DEFAULT_SAMPLES = defaults.SENSITIVITY_SAMPLES


DEFAULT_REPLICATES = defaults.SENSITIVITY_REPLICATES


DEFAULT_DAYS = defaults.SENSITIVITY_DAYS


DEFAULT_OUTCOMES = defaults.SENSITIVITY_OUTCOMES


CONFIDENCE = 0.95


RESAMPLES = 1000


@dataclass(frozen=True)
class Factor:
    """A factor of the analysis: a dotted scenario key and the range it is sampled over."""

    key: str
    lo: float
    hi: float
    why: str


FACTORS: tuple[Factor, ...] = (
    Factor("population.daily_arrivals", 20.0, 120.0, "around the fitted value; no count exists"),
    Factor("behaviour.stay_utility", -8.0, -2.0, "around the fitted value"),
    Factor("behaviour.success_weight", 0.5, 5.0, "assumption: a fifth to twice the default"),
    Factor("behaviour.distance_weight", 0.0, 0.4, "assumption: none to three times the default"),
    Factor("behaviour.learning_rate", 0.05, 0.5, "assumption: a fifth to twice the default"),
    Factor("behaviour.social_rate", 0.02, 0.4, "assumption: a seventh to nearly 3 times"),
    Factor("smuggling.buy_propensity", 0.1, 0.6, "assumption"),
    Factor("smuggling.success_multiplier", 1.0, 5.0, "assumption: no help to twice the default"),
    Factor(
        "enforcement.base_detection_port",
        0.02,
        0.6,
        "from the fitted value (the calibration's lower bound) to most lorries searched",
    ),
    Factor("enforcement.base_detection_tunnel", 0.05, 0.6, "around the fitted value"),
    Factor("enforcement.unit_efficacy", 0.2, 0.9, "assumption"),
    Factor("enforcement.catches_per_unit_hour", 2.0, 12.0, "assumption: a third to twice"),
    Factor("traffic.cross_chance_port", 0.01, 0.06, "set by hand: a third to twice"),
    Factor("traffic.cross_chance_tunnel", 0.01, 0.06, "set by hand: a third to twice"),
    Factor("risk.death_chance_tunnel", 5e-5, 5e-4, "around the fitted value"),
    Factor("policies.port_fencing.strength", 0.0, 1.0, "the measure's whole range"),
    Factor("policies.tunnel_security.fence_strength", 0.0, 1.0, "the measure's whole range"),
    Factor("policies.police_reinforcement.units", 0.0, 6.0, "none to as many as in Calais"),
    Factor(
        'policies."intervention_fund@july".amount_eur',
        0.0,
        50e6,
        "none to twice the EUR 25m of July 2015",
    ),
    Factor(DUMMY, 0.0, 1.0, "changes nothing: the noise floor of the indices"),
)
"""The default problem, for ``scenarios/calais-2015.toml`` (which has every measure named)."""


def problem(factors: Sequence[Factor] = FACTORS) -> dict[str, Any]:
    """The SALib problem: names (dotted keys) and bounds."""
    return {
        "num_vars": len(factors),
        "names": [f.key for f in factors],
        "bounds": [[f.lo, f.hi] for f in factors],
    }


def sample(factors: Sequence[Factor], method: str, samples: int, seed: int) -> pd.DataFrame:
    """The design: one row a point, a ``sample`` index column, then one column a factor.

    Args:
        factors: the problem.
        method: ``morris`` (``samples`` trajectories of ``k + 1`` points) or ``sobol``
            (Saltelli's scheme, first and total order: ``samples * (k + 2)`` points).
        samples: trajectories (Morris) or base samples (Sobol, a power of 2).
        seed: the sampler's seed.
    """
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    prob = problem(factors)
    if method == "morris":
        x = morris_sample.sample(prob, samples, num_levels=4, seed=seed)
    elif method == "sobol":
        if samples & (samples - 1):
            raise UsageError(f"{setting('samples')}: Sobol needs a power of 2, not {samples}")
        x = sobol_sample.sample(prob, samples, calc_second_order=False, seed=seed)
    else:
        raise UsageError(f"{setting('method')}: one of {', '.join(METHODS)}, not {method!r}")
    design = pd.DataFrame(x, columns=prob["names"])
    design.insert(0, "sample", np.arange(len(design), dtype=np.int64))
    return design


def check_factors(scenario: Any, factors: Sequence[Factor]) -> None:
    """Refuse factors the scenario cannot vary: a measure it does not have (setting its key
    would switch the measure on), or an unknown key.

    Raises:
        UsageError: naming the factor.
    """
    from sim.scenario.assignments import parse_assignment
    from sim.scenario.errors import ScenarioError

    for f in factors:
        if f.key == DUMMY:
            continue
        parts, _ = parse_assignment(f"{f.key}=0")
        if parts[0] in ("policies", "events") and parts[1] not in scenario.document[parts[0]]:
            raise UsageError(
                f"factor {f.key}: scenario {scenario.name} has no {parts[0]}.{parts[1]} "
                "(setting it would switch that measure on)"
            )
        try:
            scenario.with_overrides([f"{f.key}={f.lo!r}"])
        except ScenarioError as exc:
            raise UsageError(f"factor {f.key}: {exc}") from None


def designs(
    scenario: Any, factors: Sequence[Factor], design: pd.DataFrame
) -> list[tuple[str, dict[str, int]]]:
    """(scenario text, ``{"sample": i}``) for every design point: the runs' plan."""
    keys = [f.key for f in factors if f.key != DUMMY]
    out = []
    for row in design.itertuples(index=False):
        values = dict(zip(design.columns, row, strict=True))
        text = scenario.with_overrides(f"{k}={float(values[k])!r}" for k in keys).to_toml()
        out.append((text, {"sample": int(values["sample"])}))
    return out


def point_seed(seed: int, design_row: dict[str, Any]) -> int:
    """The root seed of a design point's replicates: ``seed``, moved by the dummy's value."""
    return seed + round(float(design_row.get(DUMMY, 0.0)) * DUMMY_SEEDS)


def plan_jobs(
    scenario: Any, factors: Sequence[Factor], design: pd.DataFrame, replicates: int, seed: int
) -> list[Any]:
    """Every run of the analysis: ``replicates`` runs a design point, filed with its sample
    index; points with the same dummy value share their seeds."""
    from sim.runs.jobs import make_jobs

    groups: dict[int, list[tuple[str, dict[str, int]]]] = {}
    rows = design.to_dict("records")
    for row, plan in zip(rows, designs(scenario, factors, design), strict=True):
        groups.setdefault(point_seed(seed, row), []).append(plan)
    jobs = [job for s, plans in groups.items() for job in make_jobs(plans, replicates, s)]
    return sorted(jobs, key=lambda j: (j.point["sample"], j.replicate))


def replicate_means(
    runs: pd.DataFrame, design: pd.DataFrame, outcomes: Sequence[str]
) -> pd.DataFrame:
    """Mean of each outcome's run summary over the replicates of each sample, in the design's
    order of samples (joined by the ``sample`` column, whatever the order of ``runs``).

    Raises:
        UsageError: a sample has no finished run.
    """
    from sim.model.outcomes import OUTCOME_BY_NAME
    from sim.runs.results import summary_column

    columns = {o: summary_column(OUTCOME_BY_NAME[o]) for o in outcomes}
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    means = ok.groupby("sample")[list(columns.values())].mean()
    means = means.reindex(design["sample"].to_numpy())
    missing = means.index[means.isna().any(axis=1)].tolist()
    if missing:
        raise UsageError(
            f"{len(missing)} design points have no finished run (samples {missing[:5]}...): "
            f"finish them with {setting('resume')}"
        )
    means.columns = list(columns)
    return means


def analyse(
    factors: Sequence[Factor],
    method: str,
    design: pd.DataFrame,
    runs: pd.DataFrame,
    outcomes: Sequence[str] = DEFAULT_OUTCOMES,
    seed: int = 0,
) -> pd.DataFrame:
    """Sensitivity indices with confidence intervals, one row per outcome and factor.

    Args:
        factors: the problem.
        method: ``morris`` or ``sobol``.
        design: the design with its ``sample`` column (see :func:`sample`).
        runs: one row a run with its ``sample`` and summary columns (``runs.parquet``).
        outcomes: the outcomes analysed.
        seed: the bootstrap's seed.

    Returns:
        For Morris: ``mu_star``, ``mu_star_conf`` (half-width of the 95% interval), ``mu``,
        ``sigma``; for Sobol: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    """
    from SALib.analyze import morris, sobol

    prob = problem(factors)
    means = replicate_means(runs, design, outcomes)
    x = design[prob["names"]].to_numpy(dtype=float)
    rows = []
    for outcome in outcomes:
        y = means[outcome].to_numpy(dtype=float)
        if method == "morris":
            res = morris.analyze(
                prob, x, y, num_resamples=RESAMPLES, conf_level=CONFIDENCE, seed=seed
            )
            cols = ("mu_star", "mu_star_conf", "mu", "sigma")
        else:
            res = sobol.analyze(
                prob,
                y,
                calc_second_order=False,
                num_resamples=RESAMPLES,
                conf_level=CONFIDENCE,
                seed=seed,
            )
            cols = ("S1", "S1_conf", "ST", "ST_conf")
        for i, name in enumerate(prob["names"]):
            rows.append({"outcome": outcome, "factor": name, **{c: float(res[c][i]) for c in cols}})
    return pd.DataFrame(rows)


def run_analysis(
    scenario: Any,
    out: str | Path,
    method: str = "morris",
    samples: int | None = None,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
    factors: Sequence[Factor] = FACTORS,
    outcomes: Sequence[str] = DEFAULT_OUTCOMES,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Plan, run and analyse; write ``problem.json``, ``design.csv``, ``runs/``,
    ``indices.csv`` and ``sensitivity.png`` into ``out``; return the indices.

    Raises:
        UsageError: bad options, a factor the scenario cannot vary, or ``out`` holding another
            analysis (``resume``) or something else.
        RunFailed: some runs failed (``--resume`` runs them again).
    """
    from sim.evidence.validation_figures import png
    from sim.runs.results import write_bytes, write_json

    out = Path(out)
    samples = samples or DEFAULT_SAMPLES[method]
    check_factors(scenario, factors)
    plan = {
        "method": method,
        "samples": samples,
        "replicates": replicates,
        "seed": seed,
        "scenario": scenario.to_toml(),
        "factors": [f.__dict__ for f in factors],
        "outcomes": list(outcomes),
    }
    design = sample(factors, method, samples, seed)
    _check_out(out, plan, resume, overwrite)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "problem.json", {**plan, "problem": problem(factors)})
    write_bytes(out / "design.csv", design.to_csv(index=False).encode())
    jobs = plan_jobs(scenario, factors, design, replicates, seed)
    fields = {
        "plan": f"sensitivity-{method}",
        "seed": seed,
        "replicates": replicates,
        "grid_keys": ["sample"],
    }
    runs = _run_design(jobs, out / "runs", fields, workers, scheduler, resume, overwrite, progress)
    indices = analyse(factors, method, design, runs, outcomes, seed)
    write_bytes(out / "indices.csv", indices.to_csv(index=False).encode())
    title = (
        f"{method.capitalize()} indices with 95% intervals: {scenario.name}, {scenario.days} "
        f"days, {len(design)} points x {replicates} replicates (grey: the dummy factor)"
    )
    write_bytes(out / "sensitivity.png", png(figure(indices, method, title, DUMMY)))
    return indices


def _run_design(
    jobs: Sequence[Any],
    out: Path,
    fields: dict[str, Any],
    workers: int | None,
    scheduler: str | None,
    resume: bool,
    overwrite: bool,
    progress: bool,
) -> pd.DataFrame:
    """Run the design's jobs into ``out`` (resumable); the table of its runs.

    Raises:
        RunFailed: some runs failed.
    """
    from sim.runs.results import load
    from sim.runs.sweep import run_jobs

    report = run_jobs(
        jobs,
        out,
        fields,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        overwrite=overwrite,
        progress=progress,
    )
    if report.failed:
        raise RunFailed(
            f"{len(report.failed)} of {report.planned} runs failed ({report.failed[0][1]}); "
            f"run again with {setting('resume')}"
        )
    return load(out).runs


def _check_out(out: Path, plan: dict[str, Any], resume: bool, overwrite: bool) -> None:
    """Refuse an output directory that holds something else, or another analysis to resume."""
    if not out.exists():
        if resume:
            raise UsageError(f"{setting('resume')}: {out} holds no analysis to finish")
        return
    if not out.is_dir():
        raise UsageError(f"{setting('out')} {out}: exists and is not a directory")
    if not (out / "problem.json").exists():
        if any(out.iterdir()):
            raise UsageError(
                f"{setting('out')} {out}: not empty and holds no analysis; choose another"
            )
        return
    if resume:
        try:
            old = json.loads((out / "problem.json").read_text())
        except (OSError, ValueError) as exc:
            raise UsageError(f"{out / 'problem.json'}: unreadable ({exc})") from None
        if {k: old.get(k) for k in plan} != plan:
            raise UsageError(
                f"{out} holds another analysis (other method, samples, seed, scenario, factors "
                f"or outcomes): resume it with the same options, or choose another {setting('out')}"
            )
        return
    manifest = out / "runs" / "manifest.json"
    state = json.loads(manifest.read_text()).get("state") if manifest.exists() else None
    if state != "complete" and not overwrite:
        raise UsageError(
            f"{out} holds an unfinished analysis: add {setting('resume')} to finish it, or "
            f"{setting('overwrite')} to start again"
        )
