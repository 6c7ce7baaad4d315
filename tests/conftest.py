"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.model import CalaisModel
from sim.model.outcomes import summarise
from sim.scenario.loading import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SMALL = ("population.initial_migrants=1000", "population.daily_arrivals=30", "days=60")
"""Overrides that make a library scenario small enough for tests."""


WITHOUT_ROOT_OVERRIDES = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]
"""Root without the capabilities that let it read and write any file (CI runs as root)."""


def cli_bound_by_modes(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``calais-sim`` in a fresh interpreter that file and folder modes bind, also as root.

    A normal user is bound by them already; root is run under ``setpriv`` without
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so an unreadable file or a read-only folder is
    refused to it too, and the tests of those cases run instead of being skipped as root.
    """
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.fail("as root, file modes bind only under setpriv (util-linux), not found")
        prefix = WITHOUT_ROOT_OVERRIDES
    return subprocess.run(
        [*prefix, sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def small(name: str, *extra: str) -> Scenario:
    """A library scenario, made small."""
    return load_scenario(SCENARIOS / f"{name}.toml", [*SMALL, *extra])


def replicate_means(scenario: Scenario, replicates: int = 4, root: int = 1) -> dict[str, float]:
    """Mean of each outcome's run summary over replicates seeded from one root."""
    seeds = np.random.SeedSequence(root).spawn(replicates)
    runs = [summarise(CalaisModel(scenario, seed=s).run()) for s in seeds]
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


@pytest.fixture(scope="session")
def baseline_means() -> dict[str, float]:
    """The small baseline's outcomes, averaged over replicates."""
    return replicate_means(small("baseline"))
