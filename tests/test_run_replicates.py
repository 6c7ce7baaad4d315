"""``calais-sim run --replicates R``: every reported outcome with its spread across replicates,
and the same files as a single run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main
from sim.model import CalaisModel
from sim.model.outcomes import summarise
from sim.scenario.loading import load_scenario
from tests.conftest import SCENARIOS

ARGS = ["--days", "12", "--set", "population.initial_migrants=500", "--quiet"]


def test_replicates_add_intervals_but_leave_the_single_runs_files_as_they_were(tmp_path, capsys):
    one, many = tmp_path / "one", tmp_path / "many"
    assert main(["run", str(SCENARIOS / "baseline.toml"), *ARGS, "--out", str(one)]) == 0
    capsys.readouterr()
    many_args = ["--out", str(many), "--replicates", "3", "--workers", "1"]
    code = main(["run", str(SCENARIOS / "baseline.toml"), *ARGS, *many_args])
    assert code == 0
    printed = capsys.readouterr().out
    assert "95% CI of the mean" in printed and "mean of 3" in printed
    pd.testing.assert_frame_equal(
        pd.read_parquet(one / "timeseries.parquet"), pd.read_parquet(many / "timeseries.parquet")
    )
    assert "replicates" not in json.loads((one / "manifest.json").read_text())
    spread = json.loads((many / "manifest.json").read_text())["replicates"]
    assert spread["count"] == 3
    # The replicates are the children of the scenario's seed, as in a sweep with that root.
    scenario = load_scenario(SCENARIOS / "baseline.toml", ["days=12", ARGS[3]])
    seeds = np.random.SeedSequence(scenario.seed).spawn(3)
    tries = [summarise(CalaisModel(scenario, seed=s).run())["attempts_total"] for s in seeds]
    got = spread["outcomes"]["attempts_total"]
    assert got["mean"] == pytest.approx(np.mean(tries))
    assert min(tries) <= got["runs95"][0] <= got["mean"] <= got["runs95"][1] <= max(tries)
    assert got["mean_ci95"][0] <= got["mean"] <= got["mean_ci95"][1]
