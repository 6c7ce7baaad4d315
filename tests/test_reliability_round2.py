"""Reliability, round two (issue 13): devices and pipes as scenarios, text limits, one writer a
folder, the loader's shape checks, digests of partial sweeps, records that agree with their time
series, quoted grid keys, ``sweep --out`` checks, broken scheduler files, one line on SIGINT."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.cli.main import main
from sim.errors import UsageError
from sim.runs import cluster
from sim.runs import jobs as jobs_module
from sim.runs import results as rf
from sim.runs.plan import plan_sweep
from sim.runs.results import ResultsError, folder_lock, load
from sim.runs.sweep import run_sweep
from sim.scenario.building import TEXT_LIMITS, TOP_LEVEL
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import from_text, load_scenario
from sim.scenario.reading import MAX_FILE_BYTES

from .conftest import cli_bound_by_modes

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASELINE = str(SCENARIOS / "baseline.toml")
TINY = ["population.initial_migrants=300", "population.daily_arrivals=10"]
TINY_SET = [arg for item in TINY for arg in ("--set", item)]
SMALL = [BASELINE, "--replicates", "2", "--days", "6", *TINY_SET, "--quiet"]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``calais-sim`` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=timeout
    )


def small_sweep(out: Path, replicates: int = 2) -> Path:
    """A finished tiny sweep of the baseline in ``out``."""
    plan = plan_sweep([BASELINE], replicates, 3, [*TINY, "days=6"])
    run_sweep(plan, out, workers=1, progress=False)
    return out


def edit_json(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


# --- item 2: only regular files, of bounded size; text fields bounded ------------------------


def test_a_pipe_or_a_device_as_scenario_is_refused_at_once(tmp_path):
    fifo = tmp_path / "f.toml"
    os.mkfifo(fifo)
    res = cli("validate", str(fifo), "/dev/zero", timeout=60)  # used to block, or fill memory
    assert res.returncode == 2, res.stderr
    lines = res.stderr.splitlines()
    assert lines == [
        f"error: {fifo}: is not a regular file (a device, pipe or socket); only files are read",
        "error: /dev/zero: is not a regular file (a device, pipe or socket); only files are read",
    ]
    res = cli("run", str(fifo), "--out", str(tmp_path / "o"), timeout=60)
    assert res.returncode == 2 and "not a regular file" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "o").exists()


def test_a_scenario_file_over_the_size_limit_is_refused(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text('name = "big"\n' + "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    with pytest.raises(ScenarioError, match=r"big.toml: is 1,000,0\d\d bytes; a scenario file"):
        load_scenario(big)
    child = tmp_path / "child.toml"
    child.write_text('extends = "big.toml"\n')
    with pytest.raises(ScenarioError, match="at most 1,000,000"):
        load_scenario(child)


@pytest.mark.parametrize("key", ["name", "description"])
def test_text_fields_have_declared_limits(key):
    limit = TEXT_LIMITS[key]
    assert f"at most {limit:,} characters" in TOP_LEVEL[key]
    ok = "d" * limit
    head = "" if key == "name" else 'name = "x"\n'
    assert getattr(from_text(f'{head}{key} = "{ok}"'), key) == ok
    with pytest.raises(ScenarioError, match=rf"<text>: {key}: .*at most {limit:,} characters"):
        from_text(f'{head}{key} = "{ok}d"')


# --- item 3: one writer a folder --------------------------------------------------------------


def test_a_run_into_a_folder_being_written_is_refused(tmp_path, capsys):
    out = tmp_path / "o"
    with folder_lock(out):
        args = ["run", BASELINE, "--days", "3", *TINY_SET, "--out", str(out), "--quiet"]
        assert main(args) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith(
        "another calais-sim process is writing into this folder; "
        "wait for it to finish (or stop it), or choose another --out"
    )
    assert list(out.iterdir()) == []
    assert main(args) == 0  # once the other writer is done
    rf.load_run(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no lock file left


def test_a_second_sweep_or_resume_into_a_folder_being_written_is_refused(tmp_path, capsys):
    out = tmp_path / "s"
    with folder_lock(out):
        assert main(["sweep", *SMALL, "--workers", "1", "--out", str(out)]) == 2
        assert "another calais-sim process is writing" in capsys.readouterr().err
        assert list(out.iterdir()) == []
    small_sweep(out)
    edit_json(out / "manifest.json", lambda m: m.update(state="stopped"))
    before = {p.name: p.stat().st_mtime_ns for p in (out / "records").iterdir()}
    with folder_lock(out):
        assert main(["sweep", "--resume", "--out", str(out), "--quiet"]) == 2
        assert "another calais-sim process is writing" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in (out / "records").iterdir()} == before


def test_two_sweeps_started_together_one_is_refused(tmp_path):
    out = tmp_path / "s"
    args = [sys.executable, "-m", "sim", "sweep", *SMALL, "--replicates", "6", "--workers", "1"]
    procs = [
        subprocess.Popen(
            [*args, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    codes = sorted(code for code, _ in results)
    # either they overlapped (one refused, the reason given) or ran one after the other
    if codes == [0, 2]:
        assert any("another calais-sim process is writing" in err for _, err in results)
    else:
        assert codes == [0, 0] or any("holds an unfinished sweep" in e for _, e in results)
    assert len(load(out).runs) == 6


# --- item 4: every document the loader reads is checked for its shape -------------------------


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    return small_sweep(tmp_path_factory.mktemp("finished") / "s")


@pytest.fixture(scope="module")
def single_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "r"
    assert main(["run", BASELINE, "--days", "3", *TINY_SET, "--out", str(out), "--quiet"]) == 0
    return out


MANIFEST_DAMAGE = {
    "high-bit byte": lambda m: m.write_bytes(m.read_bytes().replace(b"sweep", b"sw\xe9ep", 1)),
    "an array": lambda m: m.write_text("[]"),
    "a string": lambda m: m.write_text('"sweep"'),
    "files as an array": lambda m: edit_json(m, lambda d: d.update(files=[])),
    "seed as text": lambda m: edit_json(m, lambda d: d.update(seed="x")),
    "deep nesting": lambda m: m.write_text("[" * 100_000),
    "kind run in a sweep": lambda m: edit_json(m, lambda d: d.update(kind="run")),
    "run_ids of numbers": lambda m: edit_json(m, lambda d: d.update(run_ids=[1, 2])),
    "files naming a missing file": lambda m: edit_json(m, lambda d: d["files"].update(x="0")),
    "a null": lambda m: m.write_text("null"),
}


@pytest.mark.parametrize("damage", list(MANIFEST_DAMAGE), ids=list(MANIFEST_DAMAGE))
def test_a_damaged_sweep_manifest_is_refused_naming_it(finished, tmp_path, damage, capsys):
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    MANIFEST_DAMAGE[damage](out / "manifest.json")
    with pytest.raises(ResultsError, match=r"manifest.json|/x: listed"):
        load(out)
    assert main(["compare", str(out)]) == 2  # bad input, not "run failed"
    err = capsys.readouterr().err.strip()
    assert err.startswith("calais-sim: error: ") and "Traceback" not in err


@pytest.mark.parametrize(
    "damage", ["high-bit byte", "an array", "seed as text", "deep nesting", "a null"]
)
def test_a_damaged_run_manifest_is_refused_naming_it(single_run, tmp_path, damage):
    out = tmp_path / "copy"
    shutil.copytree(single_run, out)
    change = MANIFEST_DAMAGE[damage]
    if damage == "high-bit byte":
        change = lambda m: m.write_bytes(m.read_bytes().replace(b'"run"', b'"r\xe9n"', 1))  # noqa: E731
    change(out / "manifest.json")
    with pytest.raises(ResultsError, match=r"manifest\.json"):
        load(out)
    with pytest.raises(ResultsError, match=r"manifest\.json"):
        rf.load_run(out)


RECORD_DAMAGE = {
    "not UTF-8": lambda r: r.write_bytes(b"\xff\xfe" + r.read_bytes()),
    "an array": lambda r: r.write_text("[]"),
    "deep nesting": lambda r: r.write_text("[" * 100_000),
    "summary as an array": lambda r: edit_json(r, lambda d: d.update(summary=[])),
    "status as a number": lambda r: edit_json(r, lambda d: d.update(status=1)),
    "no run id": lambda r: edit_json(r, lambda d: d.pop("run_id")),
    "spawn key of text": lambda r: edit_json(r, lambda d: d.update(seed_spawn_key=["a"])),
}


@pytest.mark.parametrize("damage", list(RECORD_DAMAGE), ids=list(RECORD_DAMAGE))
def test_damaged_records_are_made_again_on_resume(finished, tmp_path, damage, capsys):
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    edit_json(out / "manifest.json", lambda m: m.update(state="stopped"))
    record = out / "records" / "baseline__r001.json"
    RECORD_DAMAGE[damage](record)
    assert main(["sweep", "--resume", "--out", str(out), "--quiet", "--workers", "1"]) == 0
    assert "1 from before" in capsys.readouterr().out
    assert rf.check_record(json.loads(record.read_text())) is None
    again = load(out)
    ref = load(finished)
    assert (
        again.runs["total_crossings_total"].tolist() == ref.runs["total_crossings_total"].tolist()
    )


# --- item 5: digests of partial sweeps; records agree with their time series -------------------


def replace_value(path: Path, column: str, row: int, value: float) -> None:
    """Rewrite a Parquet file (still valid) with one value changed."""
    table = pq.read_table(path)
    values = table.column(column).to_pylist()
    values[row] = value
    i = table.schema.get_field_index(column)
    table = table.set_column(i, table.schema.field(i), pa.array(values, table.schema.field(i).type))
    pq.write_table(table, path)


def test_a_stopped_sweep_records_the_digest_of_its_runs_table(finished, tmp_path, monkeypatch):
    out = tmp_path / "s"
    real, calls = jobs_module.simulate, []

    def stop_at_third(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(jobs_module, "simulate", stop_at_third)
    plan = plan_sweep([BASELINE], 4, 3, [*TINY, "days=6"])
    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, out, workers=1, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["state"] == "stopped"
    assert manifest["files"]["runs.parquet"] == rf.digest(out / "runs.parquet")
    assert len(load(out, partial=True).runs) == 2
    replace_value(out / "runs.parquet", "total_crossings_total", 0, 12345.0)  # valid, edited
    with pytest.raises(ResultsError, match=r"runs.parquet: contents differ from the manifest"):
        load(out, partial=True)


def test_single_bit_flips_in_a_partial_runs_table_are_caught(finished, tmp_path):
    out = tmp_path / "s"
    shutil.copytree(finished, out)
    edit_json(out / "manifest.json", lambda m: m.update(state="stopped"))
    data = (out / "runs.parquet").read_bytes()
    for i in range(0, len(data), max(1, len(data) // 40)):
        flipped = bytearray(data)
        flipped[i] ^= 1 << (i % 8)
        (out / "runs.parquet").write_bytes(bytes(flipped))
        with pytest.raises(ResultsError, match=r"runs\.parquet"):
            load(out, partial=True)


def test_an_edited_summary_disagrees_with_the_time_series(finished, tmp_path):
    out = tmp_path / "s"
    shutil.copytree(finished, out)
    replace_value(out / "runs.parquet", "total_crossings_total", 1, 12345.0)
    edit_json(
        out / "manifest.json",
        lambda m: m["files"].update({"runs.parquet": rf.digest(out / "runs.parquet")}),
    )  # the digest made to match: the time series still tells
    with pytest.raises(ResultsError, match="baseline__r001: total_crossings_total disagree"):
        load(out)


def test_an_edited_record_is_made_again_on_resume(finished, tmp_path, capsys):
    out = tmp_path / "s"
    shutil.copytree(finished, out)
    edit_json(out / "manifest.json", lambda m: m.update(state="stopped"))
    record = out / "records" / "baseline__r000.json"
    edit_json(record, lambda r: r["summary"].update(total_crossings_total=12345.0))
    assert main(["sweep", "--resume", "--out", str(out), "--quiet", "--workers", "1"]) == 0
    assert "1 from before" in capsys.readouterr().out
    got = load(out).runs.set_index("run_id")["total_crossings_total"]
    ref = load(finished).runs.set_index("run_id")["total_crossings_total"]
    assert got["baseline__r000"] == ref["baseline__r000"] != 12345.0


def test_a_checkpoint_stopped_between_its_two_writes_still_loads(finished, tmp_path):
    out = tmp_path / "s"
    shutil.copytree(finished, out)
    old = rf.digest(out / "runs.parquet")
    edit_json(out / "manifest.json", lambda m: m.update(state="stopped"))
    replace_value(out / "runs.parquet", "wall_seconds", 0, 1.0)  # as a newer checkpoint might
    edit_json(
        out / "manifest.json",
        lambda m: m.update(
            files={"runs.parquet": rf.digest(out / "runs.parquet")},
            files_previous={"runs.parquet": old},
        ),
    )
    assert len(load(out, partial=True).runs) == 2


# --- item 6: quoted keys in --grid ------------------------------------------------------------


def test_a_grid_key_with_a_quoted_part_works_as_with_set(tmp_path):
    out = tmp_path / "s"
    key = 'events."ferry_strike@23.06".days'
    args = ["sweep", *SMALL, "--replicates", "1", "--workers", "1", "--out", str(out)]
    assert main([*args, "--grid", f"{key}=1,2"]) == 0
    runs = load(out).runs
    assert sorted(runs[key]) == [1.0, 2.0] or sorted(runs[key]) == [1, 2]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["grid"] == {key: ["1", "2"]}
    set_run = load_scenario(BASELINE, [*TINY, f"{key}=2"])
    assert set_run.document["events"]["ferry_strike@23.06"]["days"] == 2


# --- item 7: sweep --out (and run --out) checked ----------------------------------------------


def out_cases(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    (tmp_path / "afile").write_text("x")
    return {
        "a file": (tmp_path / "afile", "exists and is not a directory"),
        "below a file": (tmp_path / "afile" / "s", "is a file, not a directory"),
        "a name over 255": (tmp_path / ("x" * 256), "longer than 255 bytes"),
        "under /proc": (Path("/proc/calais-sim-results"), "system folder"),
    }


@pytest.mark.parametrize("case", ["a file", "below a file", "a name over 255", "under /proc"])
@pytest.mark.parametrize("command", ["sweep", "run", "resume"])
def test_an_out_that_cannot_be_written_is_exit_2(tmp_path, capsys, case, command):
    out, message = out_cases(tmp_path)[case]
    if command == "sweep":
        args = ["sweep", *SMALL, "--workers", "1", "--out", str(out)]
    elif command == "resume":
        args = ["sweep", "--resume", "--out", str(out), "--quiet"]
    else:
        args = ["run", BASELINE, "--days", "3", *TINY_SET, "--out", str(out), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("calais-sim: error: --out")


@pytest.mark.parametrize("command", ["sweep", "run"])
def test_a_read_only_out_is_exit_2(tmp_path, command):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    out = ro / "s"
    if command == "sweep":
        args = ["sweep", *SMALL, "--workers", "1", "--out", str(out)]
    else:
        args = ["run", BASELINE, "--days", "3", *TINY_SET, "--out", str(out), "--quiet"]
    try:
        res = cli_bound_by_modes(*args)
        assert res.returncode == 2, res.stderr
        err = res.stderr.strip().splitlines()
        assert len(err) == 1, res.stderr
        assert err[0].startswith(f"calais-sim: error: --out {out}: cannot write in {ro}"), err[0]
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


# --- item 8: a scheduler file holding garbage ---------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"garbage\n",
        b"[]",
        b'{"address": 5}',
        b'{"address": "no address"}',
        b"\xff\xfe",
        b"[" * 10**5,
    ],
    ids=["text", "array", "number", "not-an-address", "not-utf8", "deep"],
)
def test_a_scheduler_file_holding_garbage_is_refused_at_once(tmp_path, capsys, content):
    path = tmp_path / "scheduler.json"
    path.write_bytes(content)
    started = time.monotonic()
    with pytest.raises(UsageError, match="not a Dask scheduler file"):
        cluster.connect(str(path))
    assert time.monotonic() - started < 5


def test_a_scheduler_file_holding_garbage_on_the_command_line(tmp_path):
    path = tmp_path / "scheduler.json"
    path.write_text("garbage\n")
    started = time.monotonic()
    res = cli("sweep", *SMALL, "--out", str(tmp_path / "s"), "--scheduler", str(path))
    assert time.monotonic() - started < 30  # was 41 s
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip() == (
        f"calais-sim: error: --scheduler {path}: not a Dask scheduler file (not JSON: "
        "JSONDecodeError)"
    )
    assert not (tmp_path / "s").exists()


# --- item 10: SIGINT to a sweep says so once ---------------------------------------------------


def test_sigint_to_a_sweep_prints_one_line(tmp_path):
    out = tmp_path / "s"
    args = [BASELINE, "--replicates", "40", "--days", "40", *TINY_SET, "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", *args, "--workers", "1", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while len(list((out / "records").glob("*.json"))) < 2:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("calais-sim: stopped (SIGINT): ")
