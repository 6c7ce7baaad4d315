"""``calais-sim`` from a wheel installed outside the checkout: the scenario library, the map
and the record come with it (package data), and a run works from any folder.

The wheel is built without build isolation and installed without its dependencies into a new
virtual environment that borrows this environment's site-packages (a ``.pth`` line, so that
no network is needed and this checkout's editable install is not seen there).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEEDS = ("build", "setuptools")
PIP_OFFLINE = ("--no-deps", "--no-index")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The ``calais-sim`` script of a wheel installed in a new environment."""
    missing = [m for m in NEEDS if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"building a wheel needs {', '.join(missing)} (the test extra)")
    tmp = tmp_path_factory.mktemp("installed")
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("calais_sim-*.whl")
    env_dir = tmp / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            *PIP_OFFLINE,
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env_dir / "bin" / "calais-sim"


def calais_sim(script: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the installed ``calais-sim`` in ``cwd``."""
    return subprocess.run(
        [str(script), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_the_installed_package_is_not_the_checkout(installed, tmp_path):
    python = installed.parent / "python"
    where = subprocess.run(
        [str(python), "-c", "import sim; print(sim.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert not Path(where).is_relative_to(ROOT), where


def test_a_packaged_scenario_runs_from_any_folder(installed, tmp_path):
    python = installed.parent / "python"
    scenario = subprocess.run(
        [str(python), "-c", "from sim.resources import scenario_file as f; print(f('baseline'))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(scenario).is_file() and not Path(scenario).is_relative_to(ROOT)
    done = calais_sim(installed, tmp_path, "validate", scenario)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: ")
    done = calais_sim(installed, tmp_path, "run", scenario, "--days", "3", "--quiet")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "results" / "baseline"
    for name in ("timeseries.parquet", "overview.png", "manifest.json"):
        assert (out / name).is_file(), name
