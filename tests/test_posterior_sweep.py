"""Sweeps over a calibration's posterior: draws, pairing, manifest, bad input, and the split of
an effect's variance into parameters (between draws) and luck (within draws)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main
from sim.errors import UsageError
from sim.runs import draws as dr
from sim.runs.plan import plan_sweep

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
PAIR = [str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "port-fencing.toml")]
TINY = ["--set", "population.initial_migrants=300", "--days", "4"]


def write_posterior(path: Path, weights=(0.5, 0.0, 0.5), arrivals=(5.0, 40.0, 15.0)) -> Path:
    """A small synthetic posterior: three particles over the daily arrivals."""
    pd.DataFrame(
        {
            "population.daily_arrivals": list(arrivals),
            "weight": list(weights),
            "generation": [2] * len(weights),
        }
    ).to_parquet(path)
    return path


def sweep_args(post: Path, out: Path, *extra: str) -> list[str]:
    return ["sweep", *PAIR, *TINY, "--posterior", str(post), "--out", str(out), "--quiet", *extra]


def test_draws_follow_the_weights_and_repeat_with_the_seed(tmp_path):
    post = dr.load_posterior(write_posterior(tmp_path / "p.parquet"))
    first = dr.draw(post, 200, 7)
    assert first == dr.draw(post, 200, 7)
    assert 1 not in first  # weight 0: never drawn
    assert 60 < first.count(0) < 140
    assert dr.draw(post, 200, 8) != first


def test_every_scenario_gets_the_same_draws_and_seeds(tmp_path):
    post = write_posterior(tmp_path / "p.parquet")
    sweep = plan_sweep(PAIR, 2, 11, ["population.initial_migrants=300", "days=4"], None, post, 3)
    jobs = sweep.jobs()
    assert len(jobs) == 2 * 3 * 2
    by = {}
    for job in jobs:
        by.setdefault(job.scenario, []).append(
            (
                job.replicate,
                job.point["draw"],
                job.point["population.daily_arrivals"],
                job.entropy,
                job.spawn_key,
            )
        )
    base, fence = by.values()
    assert base == fence
    assert [r for r, *_ in base] == list(range(6))
    assert [d for _, d, *_ in base] == [0, 0, 1, 1, 2, 2]
    assert {a for *_, a, _, _ in [(r, d, a, e, k) for r, d, a, e, k in base]} <= {5.0, 15.0}
    again = plan_sweep(PAIR, 2, 11, ["population.initial_migrants=300", "days=4"], None, post, 3)
    assert [j.text for j in again.jobs()] == [j.text for j in jobs]


def test_runs_record_their_draw_and_manifest_the_posterior_and_resume(tmp_path, capsys):
    post = write_posterior(tmp_path / "p.parquet")
    out = tmp_path / "s"
    assert main(sweep_args(post, out, "--replicates", "2", "--draws", "2", "--workers", "1")) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 2 * 2 * 2
    assert {"draw", "particle", "population.daily_arrivals"} <= set(runs.columns)
    assert sorted(runs["draw"].unique()) == [0, 1]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["posterior"] == {
        "path": str(post),
        "sha256": dr.file_sha256(post),
        "draws": 2,
    }
    assert main(["sweep", "--resume", "--out", str(out), "--quiet", "--workers", "1"]) == 0
    assert "8 runs (8 from before)" in capsys.readouterr().out
    write_posterior(post, weights=(0.2, 0.3, 0.5))
    assert main(["sweep", "--resume", "--out", str(out), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert str(post) in err and "has changed" in err


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (None, "no such file"),
        (lambda p: pd.DataFrame({"population.daily_arrivals": [1.0]}).to_parquet(p), "no 'weight'"),
        (
            lambda p: pd.DataFrame({"population.daily_arival": [1.0], "weight": [1.0]}).to_parquet(
                p
            ),
            "not a parameter",
        ),
        (lambda p: write_posterior(p, weights=(0.5, -0.5, 1.0)), "negative"),
        (lambda p: p.write_text("not parquet"), "not a parquet file"),
    ],
)
def test_bad_posterior_exits_2_naming_the_file_and_writes_nothing(tmp_path, capsys, make, message):
    post = tmp_path / "p.parquet"
    if make:
        make(post)
    out = tmp_path / "s"
    assert main(sweep_args(post, out)) == 2
    err = capsys.readouterr().err
    assert str(post) in err and message in err and "Traceback" not in err
    assert not out.exists()


def test_draws_below_one_are_refused(tmp_path, capsys):
    post = write_posterior(tmp_path / "p.parquet")
    with pytest.raises(SystemExit) as exc:
        main(sweep_args(post, tmp_path / "s", "--draws", "0"))
    assert exc.value.code == 2
    with pytest.raises(UsageError, match="at least 1"):
        dr.draw(dr.load_posterior(post), 0, 1)


def test_variance_split_all_between_draws():
    from sim.runs.statistics import variance_split

    groups = np.repeat(np.arange(5), 4)
    effects = groups.astype(float) * 2.0 + 1.0  # no spread within a draw
    split = variance_split(effects, groups)
    assert split["var_luck"] == 0.0
    assert split["var_parameters"] == pytest.approx(np.var([1, 3, 5, 7, 9], ddof=1))
    assert split["share_parameters"] == 1.0
    assert split["sign_share"] == 1.0 and split["sign_robust"] == "yes"


def test_variance_split_none_between_draws():
    from sim.runs.statistics import variance_split

    groups = np.repeat(np.arange(4), 3)
    effects = np.tile([-2.0, 0.0, 5.0], 4)  # every draw has the same runs
    split = variance_split(effects, groups)
    assert split["var_parameters"] == 0.0
    assert split["var_luck"] == pytest.approx(np.var([-2.0, 0.0, 5.0], ddof=1))
    assert split["share_parameters"] == 0.0
    mixed = variance_split(np.array([1.0, 1.0, -1.0, -1.0, 3.0, 3.0]), np.repeat([0, 1, 2], 2))
    assert mixed["sign_share"] == pytest.approx(2 / 3) and mixed["sign_robust"] == "no"


def test_compare_over_a_posterior_splits_the_variance(tmp_path, capsys):
    post = write_posterior(tmp_path / "p.parquet")
    out = tmp_path / "s"
    assert main(sweep_args(post, out, "--replicates", "2", "--draws", "3", "--workers", "1")) == 0
    assert main(["compare", str(out), "--metric", "crossings_total"]) == 0
    text = capsys.readouterr().out
    assert "posterior draws" in text and "sign robust" in text
    table = pd.read_csv(out / "comparison.csv")
    row = table[(table["scenario"] == "port-fencing") & (table["outcome"] == "crossings_total")]
    assert len(row) == 1
    row = row.iloc[0]
    assert row["draws"] == 3 and row["n_pairs"] == 6
    assert row["var_parameters"] >= 0 and row["var_luck"] >= 0
    assert 0 <= row["share_parameters"] <= 1 and row["sign_robust"] in ("yes", "no")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--draws", "3"], "--draws needs --posterior"),
        (["--grid", "population.daily_arrivals=5,10"], "also given in --grid"),
    ],
)
def test_draws_without_posterior_and_a_drawn_key_in_the_grid_are_refused(
    tmp_path, capsys, extra, message
):
    post = write_posterior(tmp_path / "p.parquet")
    args = sweep_args(post, tmp_path / "s", *extra)
    if extra[0] == "--draws":
        args.remove("--posterior")
        args.remove(str(post))
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s").exists()
