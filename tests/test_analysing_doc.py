"""docs/analysing-results.md works as written, and results/README.md documents every column."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.runs import compare as cmp
from sim.runs.plan import plan_sweep
from sim.runs.results import load
from sim.runs.sweep import run_sweep

from .test_sweep import ROOT, SCENARIOS, TINY

DOC = ROOT / "docs" / "analysing-results.md"
README = ROOT / "results" / "README.md"
SNIPPET = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A folder holding ``results/library``: a small sweep of three library scenarios."""
    folder = tmp_path_factory.mktemp("analyst")
    paths = []
    # calais-2015 runs longer than the baseline, as in the library
    lengths = {"baseline": 30, "port-fencing": 30, "full-package": 30, "calais-2015": 45}
    for name, days in lengths.items():
        path = folder / f"{name}.toml"
        parent = (SCENARIOS / f"{name}.toml").as_posix()
        path.write_text(f'extends = "{parent}"\nname = "{name}"\ndays = {days}\n')
        paths.append(path)
    sweep = plan_sweep(paths, 4, 9, list(TINY))
    run_sweep(sweep, folder / "results" / "library", workers=1, progress=False)
    return folder


def test_every_python_snippet_of_the_guide_runs_in_order(workspace, monkeypatch):
    snippets = SNIPPET.findall(DOC.read_text())
    assert len(snippets) >= 10
    monkeypatch.chdir(workspace)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "guide"}
    for number, code in enumerate(snippets, start=1):
        try:
            exec(compile(code, f"{DOC.name}, snippet {number}", "exec"), namespace)
        except Exception as exc:
            pytest.fail(f"snippet {number} of {DOC.name} fails: {exc!r}\n\n{code}")
    assert (workspace / "crossings.png").read_bytes()[:4] == b"\x89PNG"
    assert len(namespace["effect"]) == 4  # one paired difference a replicate
    assert namespace["effect"]["baseline"].eq(0).all()
    # the recipe's relative changes are compare's, over the common days for calais-2015
    table = cmp.compare(load(workspace / "results" / "library"))
    for name in ("calais-2015", "port-fencing"):
        for column in ("crossings_total", "deaths", "migrants_present"):
            row = table[(table["scenario"] == name) & (table["outcome"] == column)].iloc[0]
            assert namespace["changes"].loc[name, column] == round(row["diff_pct"], 1)
    row = table[(table["scenario"] == "calais-2015") & (table["outcome"] == "crossings_total")]
    assert row["note"].iloc[0].startswith("over the first 30 days")
    whole = namespace["runs"].pivot(
        index="replicate", columns="scenario", values="total_crossings_total"
    )
    naive = 100 * (whole["calais-2015"] - whole["baseline"]).mean() / whole["baseline"].mean()
    assert round(naive, 1) != namespace["changes"].loc["calais-2015", "crossings_total"]


def test_results_readme_documents_every_column_and_field(workspace, capsys):
    text = README.read_text()
    library = workspace / "results" / "library"
    assert main(["compare", str(library), "--metric", "crossings_total"]) == 0
    capsys.readouterr()
    runs = pd.read_parquet(library / "runs.parquet")
    series = pd.read_parquet(library / "timeseries")
    comparison = pd.read_csv(library / "comparison.csv")
    manifest = json.loads((library / "manifest.json").read_text())
    record = json.loads(next((library / "records").glob("*.json")).read_text())
    for column in [*runs.columns, *series.columns, *comparison.columns]:
        name = re.sub(r"^(total|mean|last)_", "", column)
        assert f"`{name}`" in text, f"{column} is not documented in {README}"
    for field in [*manifest, *record]:
        assert f"`{field}`" in text, f"manifest or record field {field} is not documented"


def test_results_readme_documents_a_single_runs_files(tmp_path, capsys):
    text = README.read_text()
    out = tmp_path / "run"
    base = str(SCENARIOS / "baseline.toml")
    assert (
        main(
            [
                "run",
                base,
                "--days",
                "3",
                *[a for t in TINY for a in ("--set", t)],
                "--out",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    manifest = json.loads((out / "manifest.json").read_text())
    for name in [*manifest, *manifest["seed"], *manifest["files"]]:
        assert f"`{name}`" in text, f"{name} of a single run is not documented in {README}"
    for column in pd.read_parquet(out / "timeseries.parquet").columns:
        assert f"`{column}`" in text
