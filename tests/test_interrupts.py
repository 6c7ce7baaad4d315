"""``calais-sim run`` stopped at random moments leaves nothing a reader would take for whole.

Real processes, real signals: each run is started in a fresh interpreter and sent SIGINT,
SIGTERM or SIGKILL after a delay drawn (from a fixed seed) across the whole life of a run: while
the commands are set up, while the model runs, while the figure and the files are written, and
after it has finished. Whatever the moment, the output directory then holds either

* no ``manifest.json``, and :func:`sim.results.load_run` refuses it with ``ResultsError``, or
* a complete, consistent set: ``load_run`` accepts it and it holds the same numbers as a run
  that was never stopped (or, when a run was stopped while writing over an earlier run, the
  earlier run whole, if the stop came before the new run began to write).

SIGINT and SIGTERM end the run cleanly: exit code 130 or 143, one line on stderr, no traceback
and no temporary ``.*.tmp`` file left behind. (SIGKILL cannot be handled: a temporary file may
stay, but no reader takes it for a result.)

The delays count from the moment the program has installed its signal handlers (read from
``/proc/<pid>/status``), not from the moment the interpreter was started, so that machine load
during start-up does not decide what is tested. Where a stop lands varies with the machine's
speed; what must hold does not, wherever it lands.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from sim.runs.results import MANIFEST, ResultsError, load_run

from .conftest import SCENARIOS

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads signal handlers from /proc (Linux)"
)

SEED = 20150702
"""Seed of the delays: the same moments are tried on every run of the tests."""
RUN = [
    "run",
    str(SCENARIOS / "calais-2015.toml"),
    "--days",
    "200",
    "--set",
    "population.initial_migrants=1500",
    "--quiet",
    "--force",
]
"""A run long enough (a few seconds) that stops land in each of its phases."""
RUN_FILES = {"timeseries.parquet", "overview.png", MANIFEST}
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -signal.SIGKILL}
STOPS_PER_SIGNAL = 4


def handlers_installed(pid: int) -> bool | None:
    """Whether the process catches SIGTERM yet (None once it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    except (FileNotFoundError, ProcessLookupError):
        return None
    return False


@dataclass
class Outcome:
    """How a (possibly stopped) run ended."""

    out: Path
    signum: int | None
    delay: float
    returncode: int
    stderr: str
    seconds: float
    """Time from the handlers being installed to the end of the process."""


def run_and_stop(out: Path, seed: int, signum: int | None = None, delay: float = 0.0) -> Outcome:
    """Start ``calais-sim run``; once its handlers are in place wait ``delay`` s, then signal."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *RUN, "--seed", str(seed), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while handlers_installed(proc.pid) is False and time.monotonic() < deadline:
        time.sleep(0.002)
    ready = time.monotonic()
    if signum is not None:
        time.sleep(delay)
        proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=300)
    return Outcome(out, signum, delay, proc.returncode, stderr, time.monotonic() - ready)


def run_all(jobs: list[tuple]) -> list[Outcome]:
    """Run jobs two at a time (this machine has two cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda job: run_and_stop(*job), jobs))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[pd.DataFrame, float, Path]:
    """A run never stopped, how long it took (beside another run, as the stopped runs will
    be run two at a time), and an earlier run with another seed to write over."""
    folder = tmp_path_factory.mktemp("reference")
    outcomes = run_all([(folder / "reference", SEED), (folder / "earlier", SEED + 1)])
    for o in outcomes:
        assert o.returncode == 0, o.stderr
    frame, _ = load_run(folder / "reference")
    return frame, outcomes[0].seconds, folder / "earlier"


def delays(signum: int, duration: float) -> list[float]:
    """Moments spread over the run's life and a little after it: one in each of equal slices."""
    rng = random.Random(SEED + signum)
    span = duration * 1.1
    return [span * (i + rng.random()) / STOPS_PER_SIGNAL for i in range(STOPS_PER_SIGNAL)]


def check(o: Outcome, want: pd.DataFrame, earlier: pd.DataFrame | None = None) -> str:
    """What must hold after a stop; returns where the stop landed, for the report."""
    stopped = o.returncode != 0
    if stopped:
        assert o.returncode == EXIT_CODES[o.signum], (o.returncode, o.stderr)
    if o.signum != signal.SIGKILL:
        assert "Traceback" not in o.stderr, o.stderr
        if stopped:
            name = signal.Signals(o.signum).name
            assert o.stderr.strip() == f"calais-sim: interrupted ({name})", o.stderr
    files = {p.name for p in o.out.iterdir()} if o.out.exists() else set()
    temporary = {f for f in files if f.startswith(".") and f.endswith(".tmp")}
    assert files - temporary <= RUN_FILES, files
    if o.signum != signal.SIGKILL:
        assert not temporary, f"temporary files left after {o.signum}: {temporary}"
    if MANIFEST not in files:
        assert stopped, "a run that ended well left no manifest"
        if o.out.exists():
            with pytest.raises(ResultsError):
                load_run(o.out)
        return "stopped before writing" if not files else "stopped while writing"
    frame, manifest = load_run(o.out)  # checks each file against the manifest's digests
    if earlier is not None and manifest["seed"]["seed"] != SEED:
        pd.testing.assert_frame_equal(frame, earlier)
        return "stopped before writing over the earlier run"
    assert manifest["seed"]["seed"] == SEED
    pd.testing.assert_frame_equal(frame, want)
    return "finished" if not stopped else "stopped after writing"


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name
)
def test_a_stopped_run_leaves_a_whole_result_or_none(reference, signum, tmp_path):
    want, duration, _ = reference
    moments = delays(signum, duration)
    outcomes = run_all([(tmp_path / f"stop{i}", SEED, signum, d) for i, d in enumerate(moments)])
    landed = [check(o, want) for o in outcomes]
    # the earliest stop always lands before the run could have finished
    assert outcomes[0].returncode == EXIT_CODES[signum], landed
    print(dict(zip([round(d, 2) for d in moments], landed, strict=True)))


HOOK = """
import os, signal, sys
phase, signum, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.argv = ["calais-sim", *sys.argv[4:]]
import sim.runs.files as files
import sim.runs.provenance as provenance
import sim.runs.single as single
from sim.model import CalaisModel

def stop(name):
    with open(marker, "a") as fh:
        fh.write(name + "\\n")
    os.kill(os.getpid(), signum)

end_day = CalaisModel._end_day
def hooked_end_day(model):
    end_day(model)
    if phase == "running" and model.day == 10:
        stop("running")
CalaisModel._end_day = hooked_end_day

atomic_write = files.atomic_write
def hooked_atomic_write(path, write):
    name = os.path.basename(str(path))
    def hooked_write(fh):
        write(fh)
        if phase == "writing " + name:
            stop(phase)
    atomic_write(path, hooked_write)
    if phase == "after " + name:
        stop(phase)
files.atomic_write = provenance.atomic_write = hooked_atomic_write  # both write files

write_run = single.write_run
def hooked_write_run(*args, **kwargs):
    out = write_run(*args, **kwargs)
    if phase == "finished":
        stop(phase)
    return out
single.write_run = hooked_write_run

from sim.cli.main import entry
entry()
"""
"""Runs ``calais-sim`` with a stop sent by the process to itself at a named phase: on day 10
of the model, inside the write of a file (its temporary file open), after a file is in place,
or once the whole run is written. The phase is written to a marker file first, so each test
asserts that the phase it is named for was reached, whatever the machine's speed."""
SHORT = ["--days", "20"]
PHASES = {
    "running": "stopped before writing",
    "writing timeseries.parquet": "stopped before writing",
    "after timeseries.parquet": "stopped while writing",
    "writing overview.png": "stopped while writing",
    "writing manifest.json": "stopped while writing",
    "finished": "stopped after writing",
}
"""Each phase, and where :func:`check` must say the stop landed."""


def run_stopped_at(out: Path, phase: str, signum: int, seed: int = SEED) -> tuple[Outcome, str]:
    """``calais-sim run`` (short) stopped by ``signum`` at ``phase``; and the phases reached."""
    marker = out.parent / f"{out.name}.reached"
    args = [*RUN, *SHORT, "--seed", str(seed), "--out", str(out)]
    cmd = [sys.executable, "-c", HOOK, phase, str(int(signum)), str(marker), *args]
    started = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    outcome = Outcome(out, signum, 0.0, proc.returncode, proc.stderr, time.monotonic() - started)
    return outcome, marker.read_text() if marker.exists() else ""


@pytest.fixture(scope="module")
def short_reference(tmp_path_factory) -> tuple[pd.DataFrame, Path]:
    """The short run never stopped, and an earlier short run (another seed) to write over."""
    folder = tmp_path_factory.mktemp("short")
    jobs = [folder / "reference", folder / "earlier"]
    args = [[*RUN, *SHORT, "--seed", str(SEED + i), "--out", str(p)] for i, p in enumerate(jobs)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda a: subprocess.run([sys.executable, "-m", "sim", *a]), args))
    assert [d.returncode for d in done] == [0, 0]
    return load_run(folder / "reference")[0], folder / "earlier"


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name
)
def test_a_run_stopped_in_each_phase_leaves_a_whole_result_or_none(
    short_reference, signum, tmp_path
):
    want, _ = short_reference
    jobs = [(tmp_path / f"stop{i}", phase) for i, phase in enumerate(PHASES)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda job: run_stopped_at(*job, signum), jobs))
    for (_, phase), (outcome, reached) in zip(jobs, done, strict=True):
        assert reached == f"{phase}\n", (phase, reached, outcome.stderr)
        assert outcome.returncode == EXIT_CODES[signum], (phase, outcome.stderr)
        expected = PHASES[phase]
        if signum == signal.SIGKILL and phase.startswith("writing"):
            expected = "stopped while writing"  # its temporary file stays
        assert check(outcome, want) == expected, phase


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_a_run_stopped_while_writing_over_an_earlier_run_never_mixes_them(
    short_reference, signum, tmp_path
):
    want, earlier_run = short_reference
    earlier, _ = load_run(earlier_run)
    landed = {
        "running": "stopped before writing over the earlier run",
        "writing timeseries.parquet": "stopped while writing",
        "after timeseries.parquet": "stopped while writing",
        "writing manifest.json": "stopped while writing",
        "finished": "stopped after writing",
    }
    jobs = []
    for i, phase in enumerate(landed):
        shutil.copytree(earlier_run, tmp_path / f"over{i}")
        jobs.append((tmp_path / f"over{i}", phase))
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda job: run_stopped_at(*job, signum), jobs))
    for (_, phase), (outcome, reached) in zip(jobs, done, strict=True):
        assert reached == f"{phase}\n", (phase, reached, outcome.stderr)
        assert check(outcome, want, earlier) == landed[phase], phase


def test_a_stop_whose_exception_was_lost_is_honoured_at_the_next_safe_point(tmp_path, monkeypatch):
    """A signal landing in a finalizer cannot raise there; the run still stops, writing nothing."""
    from sim import errors
    from sim.cli import main as cli

    from .conftest import SCENARIOS

    monkeypatch.setattr(errors, "_pending_stops", [signal.SIGTERM])
    out = tmp_path / "o"
    code = cli.main(
        ["run", str(SCENARIOS / "baseline.toml"), "--days", "3", "--out", str(out), "--quiet"]
    )
    assert code == 128 + signal.SIGTERM
    assert not (out / "manifest.json").exists()
