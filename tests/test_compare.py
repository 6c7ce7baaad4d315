"""Comparisons: intervals recomputed independently, paired differences, cost per crossing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy import stats

from sim.cli.main import main
from sim.errors import UsageError
from sim.model.outcomes import MAIN_OUTCOMES, OUTCOMES
from sim.runs import arms, compare_figure
from sim.runs import compare as cmp
from sim.runs.plan import plan_sweep
from sim.runs.results import load
from sim.runs.sweep import run_sweep

from .test_sweep import SCENARIOS, TINY, TINY_SET, cli, damaged, truncate

NAMES = ("baseline", "port-fencing", "full-package", "information-campaign")
REPLICATES = 6


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """A small sweep: the baseline and three measures, six replicates, 40 days."""
    out = tmp_path_factory.mktemp("compare") / "s"
    paths = [SCENARIOS / f"{n}.toml" for n in NAMES]
    run_sweep(plan_sweep(paths, REPLICATES, 4, [*TINY, "days=40"]), out, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def table(library) -> pd.DataFrame:
    return cmp.compare(load(library))


def runs_by_hand(folder: Path) -> pd.DataFrame:
    """``runs.parquet`` read with pyarrow alone."""
    return pq.read_table(folder / "runs.parquet").to_pandas()


def values(runs: pd.DataFrame, scenario: str, column: str) -> pd.Series:
    return runs[runs["scenario"] == scenario].set_index("replicate")[column].sort_index()


def row(table: pd.DataFrame, scenario: str, outcome: str) -> pd.Series:
    found = table[(table["scenario"] == scenario) & (table["outcome"] == outcome)]
    assert len(found) == 1
    return found.iloc[0]


def numpy_percentile_interval(x: np.ndarray, seed: int = 1) -> tuple[float, float]:
    """A plain bootstrap of the mean: resample with replacement, take the 2.5 and 97.5%."""
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(20_000, len(x)))].mean(axis=1)
    return tuple(np.quantile(means, [0.025, 0.975]))


@pytest.mark.parametrize(
    ("scenario", "outcome"),
    [
        ("port-fencing", "crossings_port"),
        ("baseline", "attempts_total"),
        ("full-package", "migrants_present"),
    ],
)
def test_mean_and_interval_agree_with_an_independent_bootstrap(library, table, scenario, outcome):
    column = ("mean_" if outcome == "migrants_present" else "total_") + outcome
    x = values(runs_by_hand(library), scenario, column).to_numpy()
    r = row(table, scenario, outcome)
    assert r["n"] == REPLICATES and r["mean"] == pytest.approx(x.mean(), rel=1e-12)
    again = stats.bootstrap(
        (x,), np.mean, method="BCa", n_resamples=9999, rng=np.random.default_rng(20150702)
    ).confidence_interval
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((again.low, again.high), rel=1e-12)
    assert r["ci_method"] == "BCa"
    low, high = numpy_percentile_interval(x)
    width = r["ci_high"] - r["ci_low"]
    assert abs(low - r["ci_low"]) < 0.35 * width and abs(high - r["ci_high"]) < 0.35 * width
    assert r["ci_low"] < x.mean() < r["ci_high"]


def test_full_package_lowers_crossings_paired_by_replicate(library, table):
    runs = runs_by_hand(library)
    fenced = values(runs, "full-package", "total_crossings_total")
    base = values(runs, "baseline", "total_crossings_total")
    d = (fenced - base).to_numpy()
    r = row(table, "full-package", "crossings_total")
    assert r["n_pairs"] == REPLICATES and r["baseline"] == "baseline"
    assert r["diff"] == pytest.approx(d.mean(), rel=1e-12)
    assert r["diff_pct"] == pytest.approx(100 * d.mean() / base.mean())
    again = stats.bootstrap((d,), np.mean, rng=np.random.default_rng(20150702))
    ci = again.confidence_interval
    assert (r["diff_ci_low"], r["diff_ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert r["diff"] < 0 and r["diff_ci_high"] < 0
    assert r["verdict"] == "better"


def test_verdict_follows_each_outcomes_better_direction(table):
    for o in OUTCOMES:
        for r in table[table["outcome"] == o.name].itertuples():
            if r.scenario == "baseline":
                assert r.verdict == "baseline" and math.isnan(r.diff)
            elif r.diff_ci_low > 0 or r.diff_ci_high < 0:
                way = "higher" if r.diff_ci_low > 0 else "lower"
                want = way if o.better is None else ("better" if way == o.better else "worse")
                assert r.verdict == want
            else:
                assert r.verdict == "no clear difference"


def test_euros_per_crossing_prevented_against_the_baseline(library, table):
    runs = runs_by_hand(library)
    costs = table[table["outcome"] == cmp.COST_OUTCOME].set_index("scenario")
    spenders = {s for s in NAMES if values(runs, s, "total_spend_eur").mean() > 0}
    assert set(costs.index) == spenders and "full-package" in spenders
    for name in spenders:
        extra = values(runs, name, "total_spend_eur") - values(runs, "baseline", "total_spend_eur")
        prevented = values(runs, "baseline", "total_crossings_total") - values(
            runs, name, "total_crossings_total"
        )
        r = costs.loc[name]
        if prevented.mean() > 0:
            assert r["mean"] == pytest.approx(extra.mean() / prevented.mean(), rel=1e-12)
        else:
            assert math.isnan(r["mean"]) and r["note"].startswith("no crossings prevented")
    full = costs.loc["full-package"]
    assert full["ci_low"] < full["mean"] < full["ci_high"]
    assert "crossings prevented a run" in full["note"]


def test_compare_command_writes_table_and_figure(library, capsys):
    assert main(["compare", str(library), "--metric", "crossings_port,deaths"]) == 0
    out = capsys.readouterr().out
    assert "crossings_port: Tries" not in out and "crossings_port:" in out
    assert "Cost-effectiveness" in out and "full-package" in out
    csv = pd.read_csv(library / "comparison.csv")
    assert set(csv["outcome"]) == {"crossings_port", "deaths", cmp.COST_OUTCOME}
    assert (library / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["compare", str(library), "--baseline", "port-fencing"]) == 0
    csv = pd.read_csv(library / "comparison.csv")
    assert set(csv["outcome"]) == {o.name for o in OUTCOMES} | {cmp.COST_OUTCOME}
    assert set(csv["baseline"]) == {"port-fencing"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "crossing_total"], "did you mean 'crossings_total'"),
        (["--baseline", "port-fence"], "did you mean 'port-fencing'"),
    ],
)
def test_unknown_metric_or_baseline_is_bad_input(library, capsys, args, message):
    assert main(["compare", str(library), *args]) == 2
    assert message in capsys.readouterr().err


def test_grid_points_are_compared_with_the_baseline_at_the_same_point(tmp_path):
    grid = {"population.daily_arrivals": ["5", "20"]}
    paths = [SCENARIOS / "baseline.toml", SCENARIOS / "port-fencing.toml"]
    run_sweep(
        plan_sweep(paths, 3, 2, [*TINY, "days=10"], grid), tmp_path, workers=1, progress=False
    )
    results = load(tmp_path)
    table = cmp.compare(results, metrics=["arrivals"])
    assert set(table["outcome"]) == {"arrivals", cmp.COST_OUTCOME}
    table = table[table["outcome"] == "arrivals"]
    runs, key = results.runs, "population.daily_arrivals"
    for _, r in table[table["scenario"] == "port-fencing"].iterrows():
        at = runs[runs[key] == r[key]]
        d = values(at, "port-fencing", "total_arrivals") - values(at, "baseline", "total_arrivals")
        assert r["diff"] == pytest.approx(d.mean())
        assert r["label"] == f"port-fencing [{key}={r[key]}]"
    assert sorted(table[key]) == [5.0, 5.0, 20.0, 20.0]


def test_compare_on_a_damaged_directory_is_one_message_exit_2(library, tmp_path):
    out = damaged(library, tmp_path)
    truncate(out / "timeseries" / "baseline__r001.parquet")
    res = cli("compare", str(out))
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "baseline__r001.parquet" in res.stderr
    assert "Traceback" not in res.stderr


def test_runs_of_different_lengths_are_compared_over_the_days_both_ran(tmp_path):
    base = tmp_path / "short.toml"
    parent = (SCENARIOS / "baseline.toml").as_posix()
    base.write_text(f'extends = "{parent}"\nname = "baseline"\ndays = 8\n')
    (tmp_path / "long.toml").write_text(
        'extends = "short.toml"\nname = "longer"\ndays = 12\n[policies.port_fencing]\n'
    )
    out = tmp_path / "s"
    paths = [base, tmp_path / "long.toml"]
    run_sweep(plan_sweep(paths, 3, 1, list(TINY)), out, workers=1, progress=False)
    results = load(out)
    r = row(cmp.compare(results, metrics=["crossings_total"]), "longer", "crossings_total")
    daily = pd.read_parquet(out / "timeseries")
    first = daily[daily["day"] < 8].groupby(["scenario", "replicate"])["crossings_total"].sum()
    assert r["mean"] == pytest.approx(first["longer"].mean())
    assert r["diff"] == pytest.approx((first["longer"] - first["baseline"]).mean())
    assert (
        r["note"] == "over the first 8 days, which both ran (the scenario ran 12, the baseline 8)"
    )


def readme_command(start: str) -> list[str]:
    """The README's command that starts with ``start`` (continuation lines joined), as words,
    without ``calais-sim`` and the comment."""
    text = (Path(__file__).parents[1] / "README.md").read_text().replace("\\\n", " ")
    line = next(x for x in text.splitlines() if x.strip().startswith(start))
    return line.split("#")[0].split()[1:]


def test_readme_sweep_example_shows_returns_removing_people(tmp_path, capsys):
    words = readme_command("calais-sim sweep scenarios/baseline.toml scenarios/returns.toml")
    assert "--grid" in words and "policies.returns.removal_share=0.1,0.3,0.5" in words
    out = tmp_path / "sweep"
    # the README's command, made cheap: later options win over the README's --replicates
    args = [*words, "--replicates", "3", "--days", "20", *TINY_SET, "--out", str(out)]
    assert main([*args, "--workers", "1", "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["grid_scope"] == {
        "baseline": [],
        "returns": ["policies.returns.removal_share"],
    }
    assert "returns" not in manifest["scenarios"]["baseline"]
    capsys.readouterr()
    assert main(["compare", str(out), "--metric", "removals"]) == 0
    table = pd.read_csv(out / "comparison.csv")
    removals = table[(table["outcome"] == "removals") & (table["scenario"] == "returns")]
    assert len(removals) == 3
    assert (removals["diff_ci_low"] > 0).all() and (removals["verdict"] == "higher").all()
    base = table[(table["outcome"] == "removals") & (table["scenario"] == "baseline")]
    assert base["mean"].tolist() == [0.0]


def test_compare_refuses_a_baseline_changed_by_set_or_grid(tmp_path, capsys):
    pair = [str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "port-fencing.toml")]
    out = tmp_path / "s"
    sweep = ["sweep", *pair, "--replicates", "2", "--days", "5", *TINY_SET, "--quiet"]
    changed = ["--set", "policies.returns.enabled=true", "--out", str(out)]
    assert main([*sweep, *changed, "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["compare", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--set policies.returns.enabled=true" in err and "--allow-changed-baseline" in err
    assert main(["compare", str(out), "--allow-changed-baseline"]) == 0


def test_a_measures_grid_on_no_scenario_is_refused():
    with pytest.raises(UsageError, match="none of the scenarios"):
        plan_sweep(
            [SCENARIOS / "baseline.toml"], 1, 1, TINY, {"policies.returns.removal_share": ["0.1"]}
        )


def test_comparison_figure_has_costs_a_eur_axis_and_the_common_days_note(tmp_path):
    base = tmp_path / "short.toml"
    base.write_text(
        f'extends = "{(SCENARIOS / "baseline.toml").as_posix()}"\nname = "baseline"\ndays = 8\n'
    )
    (tmp_path / "long.toml").write_text(
        'extends = "short.toml"\nname = "a-long-scenario-name-with-returns-on"\ndays = 12\n'
        "[policies.returns]\n"
    )
    out = tmp_path / "s"
    run_sweep(
        plan_sweep([base, tmp_path / "long.toml"], 3, 1, list(TINY)), out, workers=1, progress=False
    )
    results = load(out)
    shown = arms.choose_outcomes(None, MAIN_OUTCOMES)
    fig = compare_figure.figure(results, cmp.compare(results), "baseline", shown)
    fig.canvas.draw()
    axes = [ax for sub in fig.subfigs for ax in sub.axes if ax.get_visible()]
    titles = [ax.get_title() for ax in axes]
    assert any(t.startswith("Cost-effectiveness") for t in titles)
    spend = next(ax for ax in axes if ax.get_title().startswith("spend_eur"))
    assert spend.xaxis.get_offset_text().get_text() == ""
    assert all(t.get_text().endswith("m") for t in spend.get_xticklabels() if t.get_text())
    assert "Compared over the common days only" in fig._supxlabel.get_text()


def test_error_bars_of_identical_runs_are_not_negative():
    """Identical paired runs give an interval that can miss its mean by rounding (found on a
    posterior sweep of the library: a measure's spending the same in every run)."""
    from sim.runs.compare_figure import _bar

    mean = 2.0**21
    assert _bar(mean, mean + 0.25, mean + 0.25) == [[0.0], [0.25]]
    assert _bar(10.0, 8.0, 13.0) == [[2.0], [3.0]]
