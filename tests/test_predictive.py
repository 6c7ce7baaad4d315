"""Posterior predictive checks (``calais-sim validation --posterior``): the draws, the coverage
logic, bad posterior files and a whole command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import BadInput
from sim.evidence.defaults import POSTERIOR_FILE
from sim.evidence.predictive import Predictive, draw_parameters, read_posterior
from sim.evidence.targets import load_targets


def posterior(weights: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "population.daily_arrivals": [10.0 * (i + 1) for i in range(len(weights))],
            "weight": weights,
            "generation": 3,
        }
    )


def test_draws_follow_the_weights_and_repeat_with_the_seed():
    frame = posterior([0.0, 0.25, 0.75])
    draws = draw_parameters(frame, 4000, seed=7)
    values = np.array([d["population.daily_arrivals"] for d in draws])
    assert 10.0 not in values  # a particle of weight 0 is never drawn
    assert abs(np.mean(values == 30.0) - 0.75) < 0.03
    assert draw_parameters(frame, 50, seed=7) == draws[:50]
    assert draw_parameters(frame, 50, seed=8) != draws[:50]


def test_the_shipped_posterior_reads_and_names_scenario_keys():
    frame = read_posterior(POSTERIOR_FILE)
    assert np.isclose(frame["weight"].sum(), 1.0)
    assert "population.daily_arrivals" in frame.columns


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


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (None, "no such posterior file"),
        ("not parquet", "not a Parquet file"),
        (pd.DataFrame({"population.daily_arrivals": [1.0]}), "no 'weight' column"),
        (posterior([0.5, -0.1]), "weight: must be finite"),
        (pd.DataFrame({"weight": [1.0]}), "no parameter column"),
    ],
    ids=["missing", "not-parquet", "no-weight", "negative", "no-parameter"],
)
def test_a_bad_posterior_file_is_named_with_what_is_wrong(tmp_path: Path, frame, message):
    path = tmp_path / "posterior.parquet"
    if isinstance(frame, pd.DataFrame):
        frame.to_parquet(path)
    elif frame is not None:
        path.write_text(frame)
    with pytest.raises(BadInput, match=message) as info:
        read_posterior(path)
    assert str(path) in str(info.value)


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
