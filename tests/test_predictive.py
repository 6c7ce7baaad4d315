"""Posterior predictive checks (``calais-sim validation --posterior``): the coverage logic, the
shipped posterior and the whole command (reading and drawing a posterior: test_posterior_sweep)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.evidence.defaults import POSTERIOR_FILE, SCENARIO_FILE
from sim.evidence.predictive import Predictive
from sim.evidence.targets import load_targets
from sim.runs.draws import load_posterior
from sim.scenario.loading import load_scenario


def test_the_shipped_posterior_is_a_posterior_of_the_2015_scenario():
    scenario = load_scenario(SCENARIO_FILE)
    posterior = load_posterior(POSTERIOR_FILE, [scenario])
    assert np.isclose(sum(posterior.weights), 1.0)
    assert "population.daily_arrivals" in posterior.keys


def test_coverage_is_the_record_inside_the_central_interval():
    (target,) = [t for t in load_targets() if t.name == "population_early_july"]
    inside = np.linspace(target.value - 100, target.value + 100, 101)
    check = Predictive(target, inside, inside)
    assert check.covers()
    lo, hi = check.interval()
    assert lo < target.value < hi and np.isclose(hi - lo, 180.0)
    above = inside + 500
    assert not Predictive(target, above, above).covers()
    # the record's uncertainty can cover what the model's own spread alone does not
    assert Predictive(target, above, above - 500).covers()
    assert not Predictive(target, above, above - 500).covers(with_record_error=False)


def validation(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", "validation", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_refuses_a_bad_posterior_with_exit_2_and_writes_nothing(tmp_path: Path):
    bad = tmp_path / "p.parquet"
    pd.DataFrame({"weight": [1.0]}).to_parquet(bad)
    out = tmp_path / "out"
    proc = validation("--posterior", str(bad), "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    assert str(bad) in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_the_command_writes_each_targets_interval_the_same_on_the_same_seed(tmp_path: Path):
    csvs = []
    for name in ("a", "b"):
        proc = validation(
            "--posterior", str(POSTERIOR_FILE), "--draws", "3", "--workers", "1",
            "--out", str(tmp_path / name),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert "out of sample:" in proc.stdout and "targets covered" in proc.stdout
        csvs.append((tmp_path / name / "predictive.csv").read_bytes())
    assert csvs[0] == csvs[1]
    table = pd.read_csv(tmp_path / "a" / "predictive.csv")
    assert len(table) == len(load_targets())
    assert (table["model_lo90"] <= table["median"]).all()
    assert (table["median"] <= table["model_hi90"]).all()
