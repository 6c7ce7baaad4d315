"""Long and large: three simulated years, and 100,000 migrants, stay sound and bounded in memory.

A model's memory must follow its population, not the time it has run: rows of departed migrants
are reused, their Mesa agents are let go, and nothing accumulates day after day but the one row a
day of outcomes. Each test checks the model's invariants (no migrant lost, counts never
negative, tries covering their outcomes), that the migrant store stays within a small factor of
the largest population it held, that no Mesa agent outlives its migrant, network or unit (by
counting the live objects), and that the process's resident memory does not keep growing once
the population is steady.
"""

from __future__ import annotations

import gc

import psutil
import pytest

from sim.model import CalaisModel
from sim.model.agents import GONE, EnforcementUnit, Migrant, SmugglingNetwork
from sim.scenario.loading import load_scenario

from .conftest import SCENARIOS, small
from .test_invariants import check_invariants

YEAR = 365
MIB = 2**20
STORE_FACTOR = 4
"""The migrant store may hold at most this many rows per migrant at the peak (it doubles)."""
MIN_ROWS = 1024
"""...or this many rows, whatever the population (the store's smallest size)."""
RSS_GROWTH_MIB = 64
"""Most the process may grow between the end of the first year and the end of the third."""


def live(cls: type) -> int:
    """Objects of a class still alive in this process."""
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is cls)


def check_memory(model: CalaisModel, peak: int) -> None:
    """The store follows the population; every live agent is one the model still has."""
    m = model.migrants
    present = m.count()
    assert present == int((m.state != GONE).sum())
    assert len(m.free) + present == m.capacity
    assert m.capacity <= STORE_FACTOR * max(peak, MIN_ROWS), (m.capacity, peak)
    units, networks = len(model.units), len(model.networks)
    assert len(model.agents) == present + units + networks
    assert live(Migrant) == present
    assert live(EnforcementUnit) == units
    assert live(SmugglingNetwork) == networks


@pytest.mark.parametrize("name", ["calais-2015", "full-package"])
def test_three_years(name):
    """Three years of 2015's measures and events (or every measure at once), steady flows."""
    scenario = small(name, f"days={3 * YEAR}")
    model = CalaisModel(scenario, seed=3)
    process = psutil.Process()
    model.run(YEAR)
    gc.collect()
    after_one_year = process.memory_info().rss
    frame = model.run(2 * YEAR)
    gc.collect()
    growth = (process.memory_info().rss - after_one_year) / MIB

    assert len(frame) == 3 * YEAR
    check_invariants(scenario, model, frame)
    peak = int(frame["migrants_present"].max())
    check_memory(model, peak)
    # a steady flow: several times the peak population came (and went) over the three years
    assert frame["arrivals"].sum() > 3 * peak
    assert growth < RSS_GROWTH_MIB, f"grew {growth:.0f} MiB in the second and third years"


def test_a_hundred_thousand_migrants():
    scenario = load_scenario(
        SCENARIOS / "calais-2015.toml", ["population.initial_migrants=100000", "days=10"]
    )
    process = psutil.Process()
    before = process.memory_info().rss
    model = CalaisModel(scenario, seed=5)
    model.run(1)
    gc.collect()
    after_first_day = process.memory_info().rss
    frame = model.run(scenario.days - 1)
    gc.collect()
    growth = (process.memory_info().rss - after_first_day) / MIB

    assert len(frame) == 10
    check_invariants(scenario, model, frame)
    assert frame["attempts_total"].min() > 10_000  # they all act: tens of thousands of tries
    check_memory(model, int(frame["migrants_present"].max()))
    # a whole population in memory costs a few hundred bytes a migrant, and then stays put
    assert (after_first_day - before) / 100_000 < 4096
    assert growth < RSS_GROWTH_MIB, f"grew {growth:.0f} MiB over nine days"
