"""Bayesian calibration (ABC-SMC): priors, the distance, resuming, and recovery of a known truth."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import params
from sim.evidence import abc
from sim.evidence.calibration import FREE
from sim.evidence.defaults import ABC_PRIORS
from sim.evidence.posterior import report, weighted_quantile, write_posterior
from sim.evidence.targets import Target
from sim.model import CalaisModel
from sim.scenario.loading import load_scenario
from tests.conftest import SCENARIOS

pytest.importorskip("pyabc")

SMALL = ("days=30", "population.initial_migrants=600")
TRUTH = {"population.daily_arrivals": 25.0, "behaviour.stay_utility": -4.0}
PRIORS = (
    abc.Prior("population.daily_arrivals", 5.0, 60.0, why="test"),
    abc.Prior("behaviour.stay_utility", -12.0, 0.0, why="test"),
)


def test_priors_declared_once_beside_the_fitted_parameters():
    keys = [p.key for p in abc.PRIORS]
    assert keys[: len(FREE)] == [f.key for f in FREE]
    for prior, free in zip(abc.PRIORS, FREE, strict=False):
        assert (prior.lo, prior.hi, prior.log, prior.why) == (free.lo, free.hi, free.log, free.why)
    for key in (
        "behaviour.success_weight",
        "behaviour.learning_rate",
        "behaviour.social_rate",
        "smuggling.success_multiplier",
    ):
        assert key in keys
    assert all(p.why and p.lo < p.hi for p in abc.PRIORS)
    assert len(abc.PRIORS) == ABC_PRIORS
    # a log-uniform prior works on log10; tied keys follow the parameter
    death = next(p for p in abc.PRIORS if p.log and p.key.startswith("risk."))
    assert death.value(death.coordinate(2e-4)) == pytest.approx(2e-4)
    port = next(p for p in abc.PRIORS if p.also)
    values = abc.values_of([port], {port.name: 0.5})
    assert values == {port.key: 0.5, **dict.fromkeys(port.also, 0.5)}
    with pytest.raises(abc.UsageError, match="has no prior"):
        abc.select_priors(["behaviour.nothing"])


def test_distance_scales_by_each_figures_sd():
    targets = [_target("a", 100.0, 10.0), _target("b", 5.0, 1.0)]
    distance = abc.ScaledDistance(targets)
    assert distance({"a": 120.0, "b": 4.0}, abc.observed(targets)) == pytest.approx(4.0 + 1.0)


def test_weighted_quantile():
    q = weighted_quantile(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 0.0]), [0.05, 0.95])
    assert q == pytest.approx([1.0, 1.0])


def _target(name: str, value: float, sd: float, outcome: str = "migrants_present") -> Target:
    return Target(
        name,
        "calibration",
        (outcome,),
        dt.date(2015, 6, 20),
        dt.date(2015, 6, 30),
        "mean",
        value,
        sd,
        "simulated at a known truth",
    )


def synthetic_record() -> tuple[str, list[Target]]:
    """The small scenario's text, and targets simulated at :data:`TRUTH` (3 replicates)."""
    scenario = load_scenario(SCENARIOS / "calais-2015.toml", SMALL)
    truth = scenario.with_overrides(f"{k}={v!r}" for k, v in TRUTH.items())
    shapes = [("camp", "migrants_present"), ("tries", "attempts_tunnel")]
    frames = [CalaisModel(truth, seed=s).run(30) for s in np.random.SeedSequence(3).spawn(3)]
    targets = []
    for name, outcome in shapes:
        stub = _target(name, 1.0, 1.0, outcome)
        value = float(np.mean([stub.statistic(f) for f in frames]))
        targets.append(_target(name, value, max(0.1 * value, 1.0), outcome))
    return scenario.to_toml(), targets


def test_abc_recovers_a_known_truth_and_resumes(tmp_path: Path):
    text, targets = synthetic_record()
    simulator = abc.Simulator(text, targets, 30, PRIORS)
    settings = abc.Settings(
        hashlib.sha256(text.encode()).hexdigest(),
        ("camp", "tries"),
        tuple(TRUTH),
        population=20,
        days=30,
    )
    out = tmp_path / "abc"
    options = {"min_epsilon": 0.0, "workers": 2, "seed": 1}
    first = abc.infer(simulator, targets, out, settings, generations=2, **options)
    assert first.max_t == 1
    kept = first.get_distribution(m=0, t=1)[0]
    # started again with the same --out: loads the run and continues where it stopped
    history = abc.infer(simulator, targets, out, settings, generations=3, **options)
    assert history.max_t == 2 and len(history.all_runs()) == 1
    pd.testing.assert_frame_equal(history.get_distribution(m=0, t=1)[0], kept)
    # asking for no more generations than are done runs nothing
    assert abc.infer(simulator, targets, out, settings, generations=3, **options).max_t == 2
    with pytest.raises(abc.UsageError, match="other settings"):
        abc.infer(simulator, targets, out, abc.Settings("x", (), (), 20, 30), 3, 0.0)

    write_posterior(history, PRIORS, out)
    summary = pd.read_csv(out / "summary.csv").set_index("parameter")
    for key, truth in TRUTH.items():
        row = summary.loc[key]
        assert row.ci90_lo <= truth <= row.ci90_hi, (key, row.ci90_lo, row.ci90_hi)
        assert row.width_ratio < 1.0
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert posterior["weight"].sum() == pytest.approx(1.0)
    generations = pd.read_csv(out / "generations.csv")
    assert list(generations["generation"]) == [0, 1, 2]
    assert (generations["samples"] > 0).all()
    # the last generation's ESS is that of the weights written to posterior.parquet
    w = posterior["weight"].to_numpy()
    assert generations["ess"].iloc[-1] == pytest.approx(1 / np.sum(w**2))
    ess, particles = generations["ess"], generations["particles"]
    assert ((ess >= 1) & (ess <= particles * (1 + 1e-9))).all()
    assert (out / "pairs.png").stat().st_size > 0


def test_every_prior_is_declared_beside_its_parameter_and_proposes_only_valid_values():
    for p in (*abc.PRIORS, *FREE):
        section, _, name = p.key.partition(".")
        spec = params.specs(params.SECTIONS[section])[name][1]
        assert spec.prior is not None, p.key
        assert (p.lo, p.hi, p.log) == (spec.prior.lo, spec.prior.hi, spec.prior.log), p.key
        # a value the prior can propose is one the scenario loader accepts
        assert spec.lo <= p.lo < p.hi <= spec.hi, p.key
        assert not p.log or p.lo > 0, p.key
    with pytest.raises(KeyError, match="declares no prior"):
        params.prior("population.initial_migrants")


def test_the_report_warns_when_a_few_particles_carry_the_weight(tmp_path: Path):
    summary = pd.DataFrame(
        [
            {
                "parameter": "population.daily_arrivals",
                "median": 30.0,
                "ci90_lo": 25.0,
                "ci90_hi": 35.0,
                "prior_lo": 20.0,
                "prior_hi": 200.0,
                "width_ratio": 0.06,
            }
        ]
    )

    def generations(ess: float) -> pd.DataFrame:
        return pd.DataFrame(
            {"generation": [0, 1], "samples": [150, 300], "particles": [100, 100]}
            | {"epsilon": [50.0, 20.0], "wall_time": [10.0, 20.0], "ess": [100.0, ess]}
        )

    assert "warning" not in report(summary, generations(47.0), tmp_path)
    text = report(summary, generations(5.1), tmp_path)
    assert "effective sample size is 5.1 of 100 particles" in text
