"""Sweeps: seeds, executors, files written as runs finish, failures, stops and resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli.main import main
from sim.runs import executors, store
from sim.runs import jobs as jobs_module
from sim.runs import plan as plan_module
from sim.runs.plan import plan_sweep
from sim.runs.results import ResultsError, SweepResults, load
from sim.runs.sweep import run_sweep

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
TINY = ("population.initial_migrants=300", "population.daily_arrivals=10")
"""Overrides that make a library scenario run in a tenth of a second."""
TINY_SET = [arg for item in TINY for arg in ("--set", item)]
PAIR = [str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "port-fencing.toml")]


def small_sweep(
    replicates: int = 3, days: int = 15, grid: dict | None = None, names=PAIR, seed: int = 11
) -> plan_module.Sweep:
    """Two library scenarios, made tiny."""
    return plan_sweep(names, replicates, seed, [*TINY, f"days={days}"], grid)


def same_numbers(a: SweepResults, b: SweepResults) -> None:
    """Two sweeps hold the same runs with identical numbers (wall times aside)."""
    cols = [c for c in a.runs.columns if c != "wall_seconds"]
    ra, rb = (
        r.runs[cols]
        .sort_values("run_id")
        .reset_index(drop=True)
        .assign(seed_spawn_key=lambda f: f["seed_spawn_key"].map(tuple))
        for r in (a, b)
    )
    pd.testing.assert_frame_equal(ra, rb, check_exact=True)
    ta, tb = (r.timeseries.sort_values(["run_id", "day"]).reset_index(drop=True) for r in (a, b))
    pd.testing.assert_frame_equal(ta, tb, check_exact=True)


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``calais-sim`` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=timeout
    )


# --- seeds and names ------------------------------------------------------------------------


def test_replicate_seeds_are_shared_across_scenarios_and_grid_points():
    plan = small_sweep(replicates=4, grid={"population.daily_arrivals": ["5", "10"]})
    jobs = plan.jobs()
    assert len(jobs) == 2 * 2 * 4
    children = np.random.SeedSequence(11).spawn(4)
    for job in jobs:
        child = children[job.replicate]
        assert (job.entropy, job.spawn_key) == (child.entropy, child.spawn_key)
        assert job.spawn_key == (job.replicate,)
    assert len({j.run_id for j in jobs}) == len(jobs)


def test_run_ids_are_the_same_whenever_the_sweep_is_planned():
    grid = {"population.daily_arrivals": ["5", "10"]}
    first, again = small_sweep(grid=grid).jobs(), small_sweep(grid=grid).jobs()
    assert [j.run_id for j in first] == [j.run_id for j in again]
    assert first[0].run_id.startswith("baseline__g") and first[0].run_id.endswith("__r000")
    replanned = plan_module.Sweep.from_manifest(small_sweep(grid=grid).manifest_fields()).jobs()
    assert store.plan_digest(replanned) == store.plan_digest(first)


def test_default_root_seed_is_the_first_scenarios_seed():
    plan = plan_sweep(PAIR, 2, None, TINY)
    assert plan.seed == 20150702
    assert all("seed = 20150702" in text for text in plan.manifest_fields()["scenarios"].values())


# --- executors ------------------------------------------------------------------------------


def test_same_numbers_in_process_and_on_one_or_two_local_processes(tmp_path):
    plan = small_sweep(grid={"population.daily_arrivals": ["5", "10"]})
    run_sweep(plan, tmp_path / "inproc", workers=1, progress=False)
    run_sweep(plan, tmp_path / "two", workers=2, progress=False)
    in_process, two = load(tmp_path / "inproc"), load(tmp_path / "two")
    same_numbers(in_process, two)
    one = {r.job.run_id: r.frame for r in executors._on_processes(plan.jobs(), 1)}
    for run_id, frame in one.items():
        mine = in_process.timeseries[in_process.timeseries["run_id"] == run_id]
        pd.testing.assert_frame_equal(
            mine.drop(columns=["run_id", "scenario", "replicate"]).reset_index(drop=True),
            frame.astype({"date": mine["date"].dtype}),
            check_exact=True,
        )
    assert len(one) == 12


def test_grid_values_are_columns_and_change_the_runs(tmp_path):
    plan = small_sweep(replicates=2, grid={"population.daily_arrivals": ["5", "20"]})
    run_sweep(plan, tmp_path / "s", workers=1, progress=False)
    res = load(tmp_path / "s")
    assert res.grid_keys == ["population.daily_arrivals"]
    assert res.runs["population.daily_arrivals"].tolist() == [5.0, 5.0, 20.0, 20.0] * 2
    totals = res.runs.groupby("population.daily_arrivals")["total_arrivals"].mean()
    assert totals[20.0] > 2 * totals[5.0]
    assert len(res.replicate_frames("baseline", **{"population.daily_arrivals": 20.0})) == 2


# --- result files ---------------------------------------------------------------------------


def test_result_files_record_seeds_versions_scenarios_and_summaries(tmp_path):
    plan = small_sweep()
    run_sweep(plan, tmp_path / "s", workers=1, progress=False)
    out = tmp_path / "s"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["state"] == "complete"
    assert manifest["seed"] == 11 and manifest["replicates"] == 3
    assert {"calais_sim", "mesa", "numpy"} <= set(manifest["versions"])
    assert "port_fencing" in manifest["scenarios"]["port-fencing"]
    assert len(manifest["run_ids"]) == 6
    runs = pq.read_table(out / "runs.parquet").to_pandas()
    assert runs["run_id"].tolist() == manifest["run_ids"]
    assert (runs["seed_entropy"] == 11).all()
    assert [list(k) for k in runs["seed_spawn_key"]] == [[0], [1], [2]] * 2
    series = pd.read_parquet(out / "timeseries")
    assert len(series) == 6 * 15
    by_run = series.groupby("run_id")
    for row in runs.itertuples():
        days = by_run.get_group(row.run_id)
        assert row.total_crossings_total == days["crossings_total"].sum()
        assert row.mean_migrants_present == pytest.approx(days["migrants_present"].mean())
        assert row.n_days == 15 and row.status == "ok" and row.error == ""


def test_failed_run_is_recorded_the_others_finish_and_resume_runs_it_again(
    tmp_path, monkeypatch, capsys
):
    real = jobs_module.simulate

    def breaks_once(text, entropy, spawn_key, days):
        if tuple(spawn_key) == (1,) and 'name = "port-fencing"' in text:
            raise RuntimeError("the model broke")
        return real(text, entropy, spawn_key, days)

    monkeypatch.setattr(jobs_module, "simulate", breaks_once)
    out = tmp_path / "s"
    args = ["sweep", *PAIR, "--replicates", "3", "--days", "10", *TINY_SET, "--out", str(out)]
    assert main([*args, "--workers", "1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "1 of 6 runs failed" in err and "RuntimeError: the model broke" in err
    runs = pd.read_parquet(out / "runs.parquet")
    failed = runs[runs["status"] == "failed"]
    assert failed["run_id"].tolist() == ["port-fencing__r001"]
    assert failed["error"].iloc[0] == "RuntimeError: the model broke"
    assert np.isnan(failed["total_crossings_total"].iloc[0])
    assert (runs["status"] == "ok").sum() == 5
    assert set(pd.read_parquet(out / "timeseries")["run_id"]) == set(runs["run_id"]) - {
        "port-fencing__r001"
    }
    assert len(load(out).failed_runs) == 1
    before = {p.name: p.stat().st_mtime_ns for p in (out / "timeseries").iterdir()}

    monkeypatch.setattr(jobs_module, "simulate", real)
    assert main(["sweep", "--resume", "--out", str(out), "--workers", "1", "--quiet"]) == 0
    res = load(out)
    assert (res.runs["status"] == "ok").all() and len(res.runs) == 6
    after = {p.name: p.stat().st_mtime_ns for p in (out / "timeseries").iterdir()}
    assert {k: after[k] for k in before} == before  # the finished runs were not made again
    assert set(after) - set(before) == {"port-fencing__r001.parquet"}


def test_stopped_sweep_keeps_its_runs_and_asks_for_resume(tmp_path, monkeypatch, capsys):
    real, calls = jobs_module.simulate, []

    def stop_at_fourth(*args):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(jobs_module, "simulate", stop_at_fourth)
    out = tmp_path / "s"
    args = ["sweep", *PAIR, "--replicates", "3", "--days", "10", *TINY_SET, "--out", str(out)]
    assert main([*args, "--workers", "1", "--quiet"]) == 130
    assert "3 of 6 runs kept" in capsys.readouterr().err
    assert json.loads((out / "manifest.json").read_text())["state"] == "stopped"
    assert len(load(out, partial=True).runs) == 3
    with pytest.raises(ResultsError, match="stopped before it finished"):
        load(out)

    monkeypatch.setattr(jobs_module, "simulate", real)
    assert main([*args, "--quiet"]) == 2
    assert "add --resume" in capsys.readouterr().err
    assert main([*args, "--replicates", "4", "--resume", "--quiet"]) == 2
    assert "different sweep (its replicates differ)" in capsys.readouterr().err
    monkeypatch.setattr(store, "source_digest", lambda: "the code as edited since")
    assert main([*args, "--resume", "--workers", "1", "--quiet"]) == 0
    printed = capsys.readouterr()
    assert "3 from before" in printed.out and "code has changed since the sweep" in printed.err
    reference = tmp_path / "ref"
    run_sweep(small_sweep(days=10, seed=20150702), reference, workers=1, progress=False)
    same_numbers(load(out), load(reference))


def test_finished_sweep_is_replaced_by_the_same_command_with_force(tmp_path):
    out = tmp_path / "s"
    args = ["sweep", *PAIR, "--replicates", "2", "--days", "5", *TINY_SET, "--out", str(out)]
    assert main([*args, "--workers", "1", "--quiet"]) == 0
    first = load(out)
    assert main([*args, "--workers", "1", "--quiet", "--force"]) == 0
    same_numbers(first, load(out))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--grid", "population.daily_arrivals=10,-5"], "--grid: population.daily_arrivals"),
        (["--grid", "population.daily_arrivals"], "expected KEY=V1,V2"),
        (["--grid", "seed=1,2"], "'seed' cannot vary"),
        (["--set", "population.initial_migrant=5"], "did you mean 'initial_migrants'"),
        (["--replicates", "0"], "must be at least 1"),
        ([str(SCENARIOS / "baseline.toml")], "are both named 'baseline'"),
    ],
)
def test_bad_input_is_one_message_exit_2_and_writes_nothing(tmp_path, capsys, extra, message):
    out = tmp_path / "s"
    try:
        code = main(["sweep", *PAIR, *extra, *TINY_SET, "--out", str(out), "--quiet"])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_folder_holding_other_files_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    code = main(["sweep", *PAIR, *TINY_SET, "--days", "3", "--out", str(tmp_path), "--quiet"])
    assert code == 2
    assert "is not empty and holds no sweep" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# --- damaged directories --------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "s"
    run_sweep(small_sweep(replicates=2, days=8), out, workers=1, progress=False)
    return out


def damaged(finished: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    return out


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def edit_manifest(out: Path, change) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    change(manifest)
    (out / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda o: truncate(o / "runs.parquet"), r"runs.parquet: contents differ"),
        (
            lambda o: truncate(o / "timeseries" / "port-fencing__r001.parquet"),
            r"port-fencing__r001.parquet: contents differ .*truncated",
        ),
        (
            lambda o: (o / "timeseries" / "baseline__r000.parquet").unlink(),
            r"baseline__r000.parquet: missing",
        ),
        (lambda o: (o / "runs.parquet").unlink(), r"runs.parquet: listed in the manifest"),
        (
            lambda o: shutil.copy(
                o / "timeseries" / "baseline__r000.parquet", o / "timeseries" / "extra.parquet"
            ),
            r"files of no finished run of the sweep: extra.parquet",
        ),
        (lambda o: (o / "manifest.json").unlink(), r"no manifest"),
        (
            lambda o: (o / "manifest.json").write_text('{"kind": "sweep", "run_i'),
            r"unreadable manifest",
        ),
        (
            lambda o: edit_manifest(o, lambda m: m["run_ids"].pop()),
            r"runs the manifest does not list: port-fencing__r001",
        ),
        (
            lambda o: edit_manifest(o, lambda m: m["run_ids"].append("returns__r000")),
            r"complete but 1 of its 5 runs are missing",
        ),
    ],
)
def test_load_refuses_a_damaged_directory(finished, tmp_path, damage, message):
    out = damaged(finished, tmp_path)
    damage(out)
    with pytest.raises(ResultsError, match=message):
        load(out)


def test_load_refuses_truncated_runs_table_of_a_stopped_sweep(finished, tmp_path):
    out = damaged(finished, tmp_path)
    edit_manifest(out, lambda m: m.update(state="stopped"))
    assert len(load(out, partial=True).runs) == 4
    truncate(out / "runs.parquet")
    with pytest.raises(ResultsError, match=r"runs.parquet: contents differ from the manifest"):
        load(out, partial=True)
    edit_manifest(out, lambda m: m.update(files={}))  # a stopped sweep's digest is required too
    with pytest.raises(ResultsError, match=r"manifest.json: lists no digest of runs.parquet"):
        load(out, partial=True)


# --- stopped by signals, resumed ------------------------------------------------------------

KILL_ARGS = [*PAIR, "--replicates", "8", "--days", "40", *TINY_SET, "--seed", "5"]
KILL_RUNS = 16


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> SweepResults:
    out = tmp_path_factory.mktemp("whole") / "s"
    assert main(["sweep", *KILL_ARGS, "--workers", "1", "--quiet", "--out", str(out)]) == 0
    return load(out)


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("waited too long")
        time.sleep(0.01)


def group_members(pgid: int) -> list[int]:
    """Processes still alive in a process group."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def readable_without_the_project(out: Path) -> int:
    """Read every result file with pandas and pyarrow alone; return the finished runs."""
    json.loads((out / "manifest.json").read_text())
    runs = pd.read_parquet(out / "runs.parquet")
    assert pq.read_table(out / "runs.parquet").num_rows == len(runs)
    for path in (out / "timeseries").glob("*.parquet"):
        assert len(pd.read_parquet(path)) == 40
    series = pq.read_table(out / "timeseries").to_pandas()
    assert len(series) == 40 * series["run_id"].nunique()
    for path in (out / "records").glob("*.json"):
        json.loads(path.read_text())
    return len(list((out / "records").glob("*.json")))


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130), (signal.SIGTERM, 143)],
    ids=["SIGKILL", "SIGINT", "SIGTERM"],
)
def test_sweep_stopped_by_a_signal_then_resumed_makes_every_run_exactly_once(
    tmp_path, uninterrupted, signum, code
):
    out = tmp_path / "s"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", *KILL_ARGS, "--workers", "2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for(lambda: len(list((out / "records").glob("*.json"))) >= 3, timeout=90)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == code, err
        wait_for(lambda: not group_members(proc.pid), timeout=15)  # no worker left behind
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in group_members(proc.pid):
            os.kill(pid, signal.SIGKILL)
    if signum != signal.SIGKILL:
        assert "finish with: calais-sim sweep --resume" in err and "Traceback" not in err
    kept = readable_without_the_project(out)
    assert 3 <= kept < KILL_RUNS, "the sweep was not stopped part-way"
    with pytest.raises(ResultsError, match="stopped before it finished"):
        load(out)
    # a SIGKILL can land inside an atomic write and leave its hidden temporary file, which the
    # resume removes (checked below); the records are the files that are not hidden
    before = {
        p.name: p.stat().st_mtime_ns
        for p in (out / "records").iterdir()
        if not p.name.startswith(".")
    }

    res = cli("sweep", "--resume", "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    assert f"{kept} from before" in res.stdout
    after = {p.name: p.stat().st_mtime_ns for p in (out / "records").iterdir()}
    assert {k: after[k] for k in before} == before  # nothing made twice
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temporary file left
    assert readable_without_the_project(out) == KILL_RUNS
    resumed = load(out)
    assert sorted(resumed.runs["run_id"]) == sorted(uninterrupted.runs["run_id"])
    assert (resumed.timeseries.groupby("run_id").size() == 40).all()
    same_numbers(resumed, uninterrupted)


class BreakingPool:
    """A stand-in for the local pool: answers each job at once, without running it, and breaks
    at its ``breaks_at``-th job (as when a worker dies), refusing every job after it."""

    def __init__(self, breaks_at: int | None, log: dict) -> None:
        self.breaks_at, self.log, self.taken = breaks_at, log, 0

    def submit(self, fn, job):
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        if self.taken == self.breaks_at:
            raise BrokenProcessPool("the pool is broken")
        self.taken += 1
        self.log["submitted"] += 1
        in_flight = self.log["submitted"] - len(self.log["seen"])
        self.log["most_in_flight"] = max(self.log["most_in_flight"], in_flight)
        fut = Future()
        if self.taken == self.breaks_at:
            self.log["broke"] += 1
            fut.set_exception(BrokenProcessPool("a worker died"))
        else:
            fut.set_result(jobs_module.RunResult(job, "ok"))
        return fut

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def with_breaking_pools(monkeypatch, breaks: list[int | None], n_jobs: int = 50):
    """What ``_on_processes`` yields for ``n_jobs`` jobs on 2 workers when its successive
    pools break at the given jobs, and what the pools saw."""
    log = {"submitted": 0, "seen": [], "most_in_flight": 0, "broke": 0}
    pools = iter(breaks)
    monkeypatch.setattr(executors, "process_pool", lambda w: BreakingPool(next(pools), log))
    jobs = [jobs_module.Job(f"r{i:03d}", "x", "", i, 0, (i,), 1, {}) for i in range(n_jobs)]
    for result in executors._on_processes(jobs, 2):
        log["seen"].append(result)
    return jobs, log


def test_local_workers_are_handed_a_few_jobs_at_a_time_and_a_broken_pool_loses_none(
    monkeypatch,
):
    # the pool breaks at its 13th job, the next at its 5th; the third finishes the rest
    jobs, log = with_breaking_pools(monkeypatch, [13, 5, None])
    assert log["broke"] == 2
    assert sorted(r.job.run_id for r in log["seen"]) == [j.run_id for j in jobs]
    assert all(r.ok for r in log["seen"])  # each job made once, none lost with a pool
    _, whole = with_breaking_pools(monkeypatch, [None])
    assert len(whole["seen"]) == 50
    assert whole["most_in_flight"] == 2 * executors.IN_FLIGHT_PER_WORKER


def test_jobs_of_a_pool_that_breaks_three_times_are_failed_with_the_reason(monkeypatch):
    jobs, log = with_breaking_pools(monkeypatch, [3, 1, 1], n_jobs=20)
    done = [r for r in log["seen"] if r.ok]
    lost = [r for r in log["seen"] if not r.ok]
    assert len(done) == 2 and len(lost) == 18
    assert sorted(r.job.run_id for r in log["seen"]) == [j.run_id for j in jobs]
    assert {r.error for r in lost} == {"a worker process died while running it (three times)"}


def test_a_finished_sweep_is_kept_unless_resume_or_force(tmp_path, capsys):
    out = tmp_path / "s"
    args = ["sweep", *PAIR, "--replicates", "2", "--days", "4", *TINY_SET, "--out", str(out)]
    assert main([*args, "--workers", "1", "--quiet"]) == 0
    before = (out / "runs.parquet").read_bytes()
    capsys.readouterr()
    assert main([*args, "--workers", "1", "--quiet"]) == 2
    assert "holds a finished sweep: add --resume" in capsys.readouterr().err
    assert (out / "runs.parquet").read_bytes() == before
    assert main([*args, "--workers", "1", "--quiet", "--resume"]) == 0
    assert main([*args, "--workers", "1", "--quiet", "--force"]) == 0


def test_the_points_of_a_large_design_have_distinct_names():
    # a Sobol analysis at 1,024 base samples of 20 factors files 22,528 points by sample index
    tags = {jobs_module.point_tag({"sample": i}) for i in range(200_000)}
    assert len(tags) == 200_000


def test_a_plan_in_which_two_runs_share_a_name_is_refused_before_anything_is_written(tmp_path):
    from sim.errors import UsageError
    from sim.runs.sweep import run_jobs

    job = small_sweep().jobs()[0]
    twin = jobs_module.Job(job.run_id, job.scenario, job.text, 1, 0, (1,), job.days, {})
    with pytest.raises(UsageError, match=f"two runs would both be named {job.run_id}"):
        run_jobs([job, twin], tmp_path / "s", workers=1, progress=False)
    assert not (tmp_path / "s").exists()


def _collector() -> tuple[tuple[int, int, int], int]:
    import gc

    return gc.get_threshold(), gc.get_freeze_count()


def test_local_workers_collect_garbage_less_often_and_this_process_is_left_as_it_was():
    import gc

    before = gc.get_threshold()
    pool = executors.process_pool(1)
    try:
        threshold, frozen = pool.submit(_collector).result(timeout=120)
    finally:
        executors.stop_pool(pool)
    assert threshold[0] == executors.YOUNG_COLLECTION_EVERY > before[0]
    assert frozen > 1000  # the imports' objects, out of every collection
    list(executors.execute([], workers=1))
    with executors._collecting_less():
        assert gc.get_threshold()[0] == executors.YOUNG_COLLECTION_EVERY
    assert gc.get_threshold() == before


STOP_WHILE_SENDING = """
import time
from concurrent.futures import FIRST_COMPLETED, wait
from sim.runs.executors import process_pool, stop_pool

for stop in range(5):
    pool = process_pool(2)
    pending = {pool.submit(bytes, 1_000_000) for _ in range(8)}
    until = time.monotonic() + 0.05 * (stop + 1)
    while time.monotonic() < until:
        done, pending = wait(pending, timeout=0.01, return_when=FIRST_COMPLETED)
        pending |= {pool.submit(bytes, 1_000_000) for _ in done}
    stop_pool(pool)
print("stopped")
"""


def test_a_pool_stopped_while_its_workers_send_results_lets_the_process_exit():
    """Workers terminated half-way through sending a result (a megabyte each, so that most
    stops land in one) leave no reader waiting for the rest: the process exits (before the
    fix it waited for ever, and a sweep stopped by Ctrl-C did not exit)."""
    done = subprocess.run(
        [sys.executable, "-c", STOP_WHILE_SENDING], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stopped"
