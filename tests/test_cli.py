"""The command line end to end, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.model.outcomes import COLUMNS, EXITS

from .conftest import SCENARIOS, SMALL

SMALL_SET = [arg for item in SMALL if not item.startswith("days") for arg in ("--set", item)]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``calais-sim`` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=timeout
    )


def test_run_writes_timeseries_manifest_and_plot(tmp_path):
    out = tmp_path / "run"
    res = cli(
        "run",
        str(SCENARIOS / "port-fencing.toml"),
        "--days",
        "30",
        "--seed",
        "5",
        *SMALL_SET,
        "--out",
        str(out),
    )
    assert res.returncode == 0, res.stderr
    assert "crossings_total" in res.stdout
    frame = pq.read_table(out / "timeseries.parquet").to_pandas()
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 30
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"]["seed"] == 5
    assert {"calais_sim", "mesa", "numpy"} <= set(manifest["versions"])
    assert "port_fencing" in manifest["scenario"] and "days = 30" in manifest["scenario"]
    assert manifest["command"][1:3] == ["run", str(SCENARIOS / "port-fencing.toml")]
    assert (out / "overview.png").read_bytes()[:4] == b"\x89PNG"
    before = [1000, *frame["migrants_present"].tolist()[:-1]]
    assert (
        frame["migrants_present"] == before + frame["arrivals"] - frame[list(EXITS)].sum(axis=1)
    ).all()


def test_same_seed_gives_identical_files(tmp_path):
    for name in ("a", "b"):
        res = cli(
            "run",
            str(SCENARIOS / "baseline.toml"),
            "--days",
            "15",
            *SMALL_SET,
            "--out",
            str(tmp_path / name),
            "--quiet",
        )
        assert res.returncode == 0, res.stderr
    a = pd.read_parquet(tmp_path / "a" / "timeseries.parquet")
    b = pd.read_parquet(tmp_path / "b" / "timeseries.parquet")
    pd.testing.assert_frame_equal(a, b)
    ma = json.loads((tmp_path / "a" / "manifest.json").read_text())
    mb = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert ma["files"]["timeseries.parquet"] == mb["files"]["timeseries.parquet"]


def test_the_resolved_scenario_in_the_manifest_reruns_the_same(tmp_path):
    res = cli(
        "run",
        str(SCENARIOS / "calais-2015.toml"),
        "--days",
        "10",
        *SMALL_SET,
        "--out",
        str(tmp_path / "a"),
        "--quiet",
    )
    assert res.returncode == 0, res.stderr
    text = json.loads((tmp_path / "a" / "manifest.json").read_text())["scenario"]
    (tmp_path / "again.toml").write_text(text)
    res = cli("run", str(tmp_path / "again.toml"), "--out", str(tmp_path / "b"), "--quiet")
    assert res.returncode == 0, res.stderr
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "a" / "timeseries.parquet"),
        pd.read_parquet(tmp_path / "b" / "timeseries.parquet"),
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--set", "policies.port_fencin.enabled=true"], "did you mean 'port_fencing'"),
        (["--set", "population.initial_migrants=-1"], "population.initial_migrants"),
        (["--days", "0"], "at least 1"),
        (["--seed", "x"], "whole number"),
    ],
)
def test_bad_input_is_one_message_exit_2_and_no_output(tmp_path, args, words):
    out = tmp_path / "never"
    res = cli("run", str(SCENARIOS / "baseline.toml"), *args, "--out", str(out))
    assert res.returncode == 2
    assert words in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()


def test_broken_scenario_file_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 'bad'\n[policies.returns]\nremoval_share = 3\n")
    res = cli("run", str(bad), "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert f"{bad}: policies.returns.removal_share: must be at most 1" in res.stderr
    assert "Traceback" not in res.stderr


def test_debug_shows_the_traceback(tmp_path):
    res = cli("--debug", "run", str(tmp_path / "missing.toml"))
    assert res.returncode == 2 and "Traceback" in res.stderr


def test_validate_reports_each_file():
    res = cli("validate", *[str(p) for p in sorted(SCENARIOS.glob("*.toml"))])
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("ok: ") == len(list(SCENARIOS.glob("*.toml")))


def test_validate_fails_on_a_bad_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("extends = 'bad.toml'\n")
    res = cli("validate", str(SCENARIOS / "baseline.toml"), str(bad))
    assert res.returncode == 2
    assert "ok: " in res.stdout and "cycle" in res.stderr


def commands() -> list[str]:
    """Every subcommand the parser knows, so a new command is covered without editing here."""
    from sim.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help(command):
    res = cli(command, "--help")
    assert res.returncode == 0 and f"usage: calais-sim {command}" in res.stdout


def test_run_refuses_to_write_over_an_earlier_run_without_force(tmp_path):
    out = tmp_path / "run"
    args = ["run", str(SCENARIOS / "baseline.toml"), "--days", "3", *SMALL_SET, "--out", str(out)]
    assert cli(*args, "--quiet").returncode == 0
    first = (out / "timeseries.parquet").read_bytes()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["overrides"] == [*SMALL_SET[1::2], "days=3"]
    again = cli(*args, "--quiet", "--seed", "9")
    assert again.returncode == 2
    assert "holds an earlier run's results; add --force" in again.stderr
    assert (out / "timeseries.parquet").read_bytes() == first
    assert cli(*args, "--quiet", "--seed", "9", "--force").returncode == 0
    assert json.loads((out / "manifest.json").read_text())["seed"]["seed"] == 9


def test_each_parquet_file_carries_its_provenance(tmp_path):
    out, sweep = tmp_path / "run", tmp_path / "sweep"
    base = str(SCENARIOS / "baseline.toml")
    res = cli("run", base, "--days", "3", "--seed", "4", *SMALL_SET, "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    meta = pq.read_schema(out / "timeseries.parquet").metadata
    assert meta[b"calais_sim.scenario"].decode() == manifest["scenario"]
    assert json.loads(meta[b"calais_sim.seed"])["seed"] == 4
    versions = json.loads(meta[b"calais_sim.versions"])
    assert {"calais_sim", "mesa", "numpy"} <= set(versions)
    args = ["sweep", base, "--replicates", "1", "--days", "3", *SMALL_SET, "--out", str(sweep)]
    assert cli(*args, "--quiet", "--workers", "1").returncode == 0
    for path in [sweep / "runs.parquet", *sorted((sweep / "timeseries").glob("*.parquet"))]:
        meta = pq.read_schema(path).metadata
        assert "baseline" in meta[b"calais_sim.scenario"].decode(), path
        assert json.loads(meta[b"calais_sim.versions"])["mesa"] == versions["mesa"]


def test_validate_reports_every_error_warns_and_lists_labels(tmp_path, capsys):
    from sim.cli.main import main

    parent = (SCENARIOS / "baseline.toml").as_posix()
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'extends = "{parent}"\nname = "bad"\n[population]\ninitial_migrants = -5\n'
        'daily_arrivals = "many"\n[policies.port_fencing]\nstrength = 7\n'
    )
    late = tmp_path / "late.toml"
    late.write_text(
        f'extends = "{parent}"\nname = "late"\n[policies."intervention_fund@august"]\n'
        "start_day = 500\n[policies.returns]\n"
    )
    assert main(["validate", str(bad), str(late)]) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 3
    for key in ("initial_migrants", "daily_arrivals", "port_fencing.strength"):
        assert any(key in line for line in errors), key
    assert "(intervention_fund@august, returns)" in captured.out
    assert "intervention_fund@august starts on day 500" in captured.err
    assert "never takes effect" in captured.err


def test_every_readme_command_is_valid_as_printed_in_an_activated_environment():
    """The README's blocks say `. .venv/bin/activate` first, and each command parses."""
    import re
    import shlex
    from pathlib import Path

    from sim.cli.main import build_parser

    text = (Path(__file__).parents[1] / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.DOTALL)
    commands = 0
    for block in blocks:
        lines = block.replace("\\\n", " ").splitlines()
        uses = [x for x in lines if x.strip().startswith("calais-sim")]
        if uses:
            assert lines[0].strip() == ". .venv/bin/activate", block
        for line in uses:
            words = shlex.split(line, comments=True)[1:]
            if words == ["--help"]:
                continue
            build_parser().parse_args(words)
            commands += 1
    assert commands >= 8
    from sim.cli.main import main

    library = sorted(str(p) for p in (Path(__file__).parents[1] / "scenarios").glob("*.toml"))
    assert main(["validate", *library]) == 0  # `calais-sim validate scenarios/*.toml`
    quick = next(b for b in blocks if "pip install -e ." in b)
    assert ".venv/bin/calais-sim sweep" in quick and ".venv/bin/calais-sim compare" in quick
