"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

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
