"""Sweeps on a real Dask cluster: a scheduler and two workers in their own processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.runs import executors
from sim.runs import jobs as jobs_module
from sim.runs.results import load

from .test_sweep import PAIR, TINY_SET, group_members, same_numbers, small_sweep, wait_for

DASK = Path(sys.executable).with_name("dask")


@pytest.fixture(scope="module")
def scheduler_file(tmp_path_factory) -> Path:
    """A Dask scheduler and two single-threaded workers on 127.0.0.1, stopped afterwards."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    path = folder / "scheduler.json"
    procs: list[subprocess.Popen] = []

    def start(*args: str) -> None:
        log = open(folder / f"{len(procs)}.log", "wb")  # noqa: SIM115 - closed with the process
        procs.append(
            subprocess.Popen(
                [str(DASK), *args], stdout=log, stderr=log, cwd=folder, start_new_session=True
            )
        )

    try:
        start(
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(path),
        )
        wait_for(path.exists, timeout=60)
        for i in range(2):
            start(
                "worker",
                "--scheduler-file",
                str(path),
                "--nworkers",
                "1",
                "--nthreads",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--name",
                f"worker-{i}",
                "--local-directory",
                str(folder / f"worker-{i}"),
            )
        with Client(scheduler_file=str(path), timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
        yield path
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            for pid in group_members(proc.pid):
                os.kill(pid, signal.SIGKILL)


def test_sweep_on_a_dask_cluster_gives_the_local_numbers(scheduler_file, tmp_path, capsys):
    args = [*PAIR, "--replicates", "3", "--days", "12", *TINY_SET, "--seed", "3", "--quiet"]
    args += ["--grid", "population.daily_arrivals=5,15"]
    assert (
        main(["sweep", *args, "--scheduler", str(scheduler_file), "--out", str(tmp_path / "d")])
        == 0
    )
    assert "on the Dask cluster at" in capsys.readouterr().out
    assert main(["sweep", *args, "--workers", "2", "--out", str(tmp_path / "local")]) == 0
    on_dask, local = load(tmp_path / "d"), load(tmp_path / "local")
    assert len(on_dask.runs) == 12
    same_numbers(on_dask, local)


def test_jobs_reach_every_worker_by_address_and_match_in_process_runs(scheduler_file):
    from distributed import Client

    address = json.loads(scheduler_file.read_text())["address"]
    assert address.startswith("tcp://127.0.0.1:")
    jobs = small_sweep(replicates=4, days=10).jobs()
    with Client(address, timeout="30s") as client:
        assert len(client.scheduler_info()["workers"]) == 2
        results = list(executors.execute(jobs, scheduler=client))
    here = {job.run_id: jobs_module.run_one(job).frame for job in jobs}
    assert sorted(r.job.run_id for r in results) == sorted(here)
    for result in results:
        assert result.ok
        pd.testing.assert_frame_equal(result.frame, here[result.job.run_id], check_exact=True)


def test_missing_scheduler_file_is_bad_input(tmp_path, capsys):
    out = tmp_path / "s"
    code = main(
        ["sweep", *PAIR, *TINY_SET, "--scheduler", str(tmp_path / "nope.json"), "--out", str(out)]
    )
    assert code == 2
    assert "no such scheduler file" in capsys.readouterr().err
    assert not out.exists()
