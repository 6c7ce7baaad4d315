"""docs/analysing-results.md works as written, and results/README.md documents every column."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.runs.sweep import plan_sweep, run_sweep

from .test_sweep import ROOT, SCENARIOS, TINY

DOC = ROOT / "docs" / "analysing-results.md"
README = ROOT / "results" / "README.md"
SNIPPET = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A folder holding ``results/library``: a small sweep of three library scenarios."""
    folder = tmp_path_factory.mktemp("analyst")
    paths = [SCENARIOS / f"{n}.toml" for n in ("baseline", "port-fencing", "full-package")]
    sweep = plan_sweep(paths, 4, 9, [*TINY, "days=30"])
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
