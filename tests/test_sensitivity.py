"""Global sensitivity analysis: the design's sample index, alignment of results by it, Morris
against a dummy factor, Sobol's indices, and the factors the scenario can vary."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main
from sim.errors import UsageError
from sim.evidence import sensitivity as sa
from sim.runs.results import load
from sim.scenario.loading import load_scenario
from tests.conftest import SCENARIOS

SMALL = ("population.initial_migrants=600", "days=20")
FACTORS = (
    sa.Factor("population.daily_arrivals", 10.0, 120.0, "test"),
    sa.Factor("behaviour.stay_utility", -8.0, -2.0, "test"),
    sa.Factor(sa.DUMMY, 0.0, 1.0, "test"),
)
OUTCOMES = ("migrants_present", "attempts_total")


@pytest.fixture(scope="module")
def morris_run(tmp_path_factory):
    """A small Morris analysis of the baseline, run once for the module."""
    out = tmp_path_factory.mktemp("morris")
    scenario = load_scenario(SCENARIOS / "baseline.toml", SMALL)
    indices = sa.run_analysis(
        scenario,
        out,
        "morris",
        samples=6,
        replicates=1,
        seed=4,
        factors=FACTORS,
        outcomes=OUTCOMES,
        workers=1,
        progress=False,
    )
    return out, indices


def test_the_design_is_written_with_its_sample_index_before_the_runs(morris_run):
    out, _ = morris_run
    design = pd.read_csv(out / "design.csv")
    assert design["sample"].tolist() == list(range(6 * (len(FACTORS) + 1)))
    assert list(design.columns[1:]) == [f.key for f in FACTORS]
    problem = json.loads((out / "problem.json").read_text())
    assert problem["problem"]["names"] == [f.key for f in FACTORS]
    runs = load(out / "runs").runs
    assert sorted(runs["sample"]) == design["sample"].tolist()
    # Each run carries the values of its own design row.
    for row in runs.itertuples():
        arrivals = design.loc[design["sample"] == row.sample, "population.daily_arrivals"]
        assert row.mean_arrivals == pytest.approx(arrivals.iloc[0], rel=0.5)


def test_indices_are_joined_by_sample_index_not_by_order_of_completion(morris_run):
    out, indices = morris_run
    design = pd.read_csv(out / "design.csv")
    runs = load(out / "runs").runs
    shuffled = runs.sample(frac=1.0, random_state=np.random.default_rng(0))
    assert not shuffled["sample"].is_monotonic_increasing
    again = sa.analyse(FACTORS, "morris", design, shuffled, OUTCOMES, seed=4)
    pd.testing.assert_frame_equal(again, indices)
    # Whereas results joined to the wrong design rows give other indices.
    wrong = runs.assign(sample=runs["sample"].to_numpy()[::-1])
    assert not sa.analyse(FACTORS, "morris", design, wrong, OUTCOMES, seed=4).equals(indices)


def test_morris_ranks_the_dummy_below_arrivals_for_the_camps_size(morris_run):
    _, indices = morris_run
    camp = indices[indices["outcome"] == "migrants_present"].set_index("factor")
    assert camp.loc["population.daily_arrivals", "mu_star"] > camp.loc[sa.DUMMY, "mu_star"]
    assert (
        camp.loc["population.daily_arrivals", "mu_star"]
        - camp.loc["population.daily_arrivals", "mu_star_conf"]
        > camp.loc[sa.DUMMY, "mu_star"]
    )
    tries = indices[indices["outcome"] == "attempts_total"].set_index("factor")
    assert tries.loc["behaviour.stay_utility", "mu_star"] > tries.loc[sa.DUMMY, "mu_star"]
    assert (indices["mu_star_conf"] >= 0).all()


def test_a_design_point_missing_from_the_results_is_refused(morris_run):
    out, _ = morris_run
    design = pd.read_csv(out / "design.csv")
    runs = load(out / "runs").runs
    with pytest.raises(UsageError, match="no finished run"):
        sa.analyse(FACTORS, "morris", design, runs[runs["sample"] != 3], OUTCOMES)


def test_sobol_gives_first_and_total_order_indices_with_intervals(tmp_path):
    scenario = load_scenario(SCENARIOS / "baseline.toml", SMALL)
    indices = sa.run_analysis(
        scenario,
        tmp_path / "sobol",
        "sobol",
        samples=8,
        replicates=1,
        seed=2,
        factors=FACTORS,
        outcomes=("migrants_present",),
        workers=1,
        progress=False,
    )
    assert set(indices.columns) == {"outcome", "factor", "S1", "S1_conf", "ST", "ST_conf"}
    assert len(pd.read_csv(tmp_path / "sobol" / "design.csv")) == 8 * (len(FACTORS) + 2)
    total = indices.set_index("factor")["ST"]
    assert total["population.daily_arrivals"] > total[sa.DUMMY]
    assert (tmp_path / "sobol" / "sensitivity.png").read_bytes()[:4] == b"\x89PNG"


def test_the_default_factors_are_all_variable_in_the_2015_scenario():
    sa.check_factors(load_scenario(SCENARIOS / "calais-2015.toml"), sa.FACTORS)
    assert len({f.key for f in sa.FACTORS}) == len(sa.FACTORS)
    assert sa.DUMMY in {f.key for f in sa.FACTORS}


def test_a_measure_the_scenario_lacks_cannot_be_a_factor():
    baseline = load_scenario(SCENARIOS / "baseline.toml")
    fence = sa.Factor("policies.port_fencing.strength", 0.0, 1.0, "test")
    with pytest.raises(UsageError, match="would switch that measure on"):
        sa.check_factors(baseline, [fence])
    with pytest.raises(UsageError, match=r"factor behaviour\.nonsense"):
        sa.check_factors(baseline, [sa.Factor("behaviour.nonsense", 0.0, 1.0, "test")])


def test_sobol_needs_a_power_of_two():
    with pytest.raises(UsageError, match="power of 2"):
        sa.sample(FACTORS, "sobol", 6, seed=0)


def test_the_command_refuses_to_overwrite_an_unfinished_analysis(tmp_path, capsys):
    out = tmp_path / "sa"
    (out / "runs").mkdir(parents=True)
    (out / "problem.json").write_text("{}")
    (out / "runs" / "manifest.json").write_text('{"state": "running"}')
    code = main(["sensitivity", "--samples", "2", "--days", "5", "--out", str(out)])
    assert code == 2
    assert "--resume" in capsys.readouterr().err
