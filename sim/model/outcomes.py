"""The daily outcomes, declared once.

Every table, plot and comparison draws its list of outcomes from :data:`OUTCOMES`: the name of
the column, what it counts, its unit, whether more is better or worse, and how a run's days are
summarised into one number (``sum`` over the days, ``mean`` of the days, or the ``last`` day).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Outcome:
    """One daily outcome column."""

    name: str
    doc: str
    unit: str
    better: Literal["lower", "higher", None]
    summary: Literal["sum", "mean", "last"]


OUTCOMES: tuple[Outcome, ...] = (
    Outcome(
        "migrants_present",
        "Migrants in and around Calais at the end of the day.",
        "people",
        None,
        "mean",
    ),
    Outcome("arrivals", "Migrants who arrived from upstream.", "people", "lower", "sum"),
    Outcome("attempts_port", "Tries to get into a lorry at the port.", "tries", None, "sum"),
    Outcome("attempts_beach", "Tries to reach the port via the beach.", "tries", None, "sum"),
    Outcome("attempts_tunnel", "Tries at the tunnel terminal.", "tries", None, "sum"),
    Outcome("attempts_total", "Tries at all ways in.", "tries", "lower", "sum"),
    Outcome(
        "people_out_port", "Migrants who went out to the port that night.", "people", None, "sum"
    ),
    Outcome(
        "people_out_beach", "Migrants who went out by the beach that night.", "people", None, "sum"
    ),
    Outcome(
        "people_out_tunnel",
        "Migrants who went out to the tunnel terminal that night.",
        "people",
        None,
        "sum",
    ),
    Outcome(
        "crossings_port", "Migrants who reached the UK via the port.", "people", "lower", "sum"
    ),
    Outcome(
        "crossings_beach",
        "Migrants who reached the UK via the beach and the port.",
        "people",
        "lower",
        "sum",
    ),
    Outcome(
        "crossings_tunnel", "Migrants who reached the UK via the tunnel.", "people", "lower", "sum"
    ),
    Outcome("crossings_total", "Migrants who reached the UK.", "people", "lower", "sum"),
    Outcome(
        "detections",
        "Tries stopped: intrusions stopped at a perimeter and people found in vehicles.",
        "tries",
        None,
        "sum",
    ),
    Outcome("detections_port", "Tries stopped at the port (both stages).", "tries", None, "sum"),
    Outcome("detections_beach", "Tries stopped on the beach way.", "tries", None, "sum"),
    Outcome("detections_tunnel", "Tries stopped at the tunnel, both stages.", "tries", None, "sum"),
    Outcome(
        "intrusions_stopped_port",
        "Intrusions stopped at the port's perimeter (fences, patrols, cameras).",
        "tries",
        None,
        "sum",
    ),
    Outcome(
        "intrusions_stopped_beach",
        "Intrusions from the beach stopped before the port's lorries.",
        "tries",
        None,
        "sum",
    ),
    Outcome(
        "intrusions_stopped_tunnel",
        "Intrusions stopped at the tunnel terminal's perimeter (Eurotunnel's interceptions).",
        "tries",
        None,
        "sum",
    ),
    Outcome(
        "finds_port", "People found hidden in lorries at the port's checks.", "tries", None, "sum"
    ),
    Outcome(
        "finds_beach",
        "People of the beach way found hidden in lorries at the port's checks.",
        "tries",
        None,
        "sum",
    ),
    Outcome(
        "finds_tunnel",
        "People found hidden in lorries or trains at the tunnel's checks.",
        "tries",
        None,
        "sum",
    ),
    Outcome("injuries", "Migrants injured while trying.", "people", "lower", "sum"),
    Outcome("deaths", "Migrants who died while trying.", "people", "lower", "sum"),
    Outcome("deaths_port", "Migrants who died while trying at the port.", "people", "lower", "sum"),
    Outcome("deaths_beach", "Migrants who died on the beach way.", "people", "lower", "sum"),
    Outcome(
        "deaths_tunnel", "Migrants who died while trying at the tunnel.", "people", "lower", "sum"
    ),
    Outcome(
        "asylum_claims_france",
        "Migrants who claimed asylum in France and left the camp.",
        "people",
        None,
        "sum",
    ),
    Outcome(
        "departures",
        "Migrants who gave up on Calais and left the region (inland, another country).",
        "people",
        None,
        "sum",
    ),
    Outcome(
        "displaced",
        "Migrants who gave up on Calais for now and moved along the coast (Dunkirk, "
        "Grande-Synthe and other sites).",
        "people",
        None,
        "sum",
    ),
    Outcome(
        "removals",
        "Detected migrants with no protection claim who were removed.",
        "people",
        None,
        "sum",
    ),
    Outcome(
        "victims_protected",
        "Victims of trafficking identified and taken out of exploitation.",
        "people",
        "higher",
        "sum",
    ),
    Outcome(
        "smuggled_attempts",
        "Tries made with a place bought from a network.",
        "tries",
        "lower",
        "sum",
    ),
    Outcome(
        "networks_active",
        "Smuggling networks operating at the end of the day.",
        "networks",
        "lower",
        "mean",
    ),
    Outcome(
        "networks_dismantled", "Networks dismantled by investigators.", "networks", "higher", "sum"
    ),
    Outcome("smuggling_revenue_eur", "Money paid to networks for places.", "EUR", "lower", "sum"),
    Outcome(
        "enforcement_units",
        "Enforcement units deployed at the end of the day.",
        "units",
        None,
        "mean",
    ),
    Outcome(
        "traffic_disruption_hours",
        "Hours of lost traffic at the port and the tunnel "
        "(an hour at half capacity counts as half an hour).",
        "hours",
        "lower",
        "sum",
    ),
    Outcome(
        "lorry_queue",
        "Lorries queued for the port and the tunnel at the end of the day.",
        "lorries",
        "lower",
        "mean",
    ),
    Outcome("spend_eur", "Money spent on measures.", "EUR", None, "sum"),
)
"""All daily outcomes, in column order (after ``day`` and ``date``)."""

OUTCOME_BY_NAME: dict[str, Outcome] = {o.name: o for o in OUTCOMES}
OUTCOME_INDEX: dict[str, int] = {o.name: i for i, o in enumerate(OUTCOMES)}
"""Each outcome's place in a day's values (:class:`DayCounter`)."""
COLUMNS: tuple[str, ...] = ("day", "date", *(o.name for o in OUTCOMES))
"""The columns of a run's daily time series."""
MAIN_OUTCOMES: tuple[str, ...] = (
    "crossings_total",
    "attempts_total",
    "deaths",
    "injuries",
    "migrants_present",
    "networks_active",
    "traffic_disruption_hours",
    "spend_eur",
)
"""The outcomes shown first in summaries, plots and the app."""
EXITS: tuple[str, ...] = (
    "crossings_total",
    "deaths",
    "asylum_claims_france",
    "departures",
    "displaced",
    "removals",
    "victims_protected",
)
"""Ways of leaving the population: ``migrants_present`` changes by ``arrivals`` minus these."""


class DayCounter:
    """Accumulates the current day's outcomes; the model adds to it, then closes the day."""

    def __init__(self) -> None:
        self.index = OUTCOME_INDEX
        self.values = np.zeros(len(OUTCOMES))

    def add(self, name: str, amount: float) -> None:
        """Add ``amount`` to today's ``name``."""
        self.values[self.index[name]] += amount

    def set(self, name: str, value: float) -> None:
        """Set today's ``name`` (for levels such as ``migrants_present``)."""
        self.values[self.index[name]] = value

    def close(self) -> np.ndarray:
        """Return today's values and start a new day at zero."""
        out = self.values.copy()
        self.values[:] = 0.0
        return out


def summarise(frame) -> dict[str, float]:
    """One number per outcome for a run's daily frame: totals, means or last values."""
    return summarise_with_means(frame)[0]


def summarise_with_means(frame) -> tuple[dict[str, float], dict[str, float]]:
    """:func:`summarise`'s numbers, and each outcome's mean over the days, from one pass."""
    sums, means = _sums_and_means(frame)
    last = frame.iloc[-1]
    out: dict[str, float] = {}
    for i, o in enumerate(OUTCOMES):
        if o.summary == "sum":
            out[o.name] = float(sums[i])
        elif o.summary == "mean":
            out[o.name] = float(means[i])
        else:
            out[o.name] = float(last[o.name])
    return out, {o.name: float(m) for o, m in zip(OUTCOMES, means, strict=True)}


def _sums_and_means(frame) -> tuple[np.ndarray, np.ndarray]:
    """Each outcome's sum and mean over the days, in :data:`OUTCOMES` order, as pandas makes
    them to the last bit (NaN skipped; each column summed as one contiguous row), in one pass
    instead of a pandas reduction per column (the summary of every run of a sweep)."""
    values = np.ascontiguousarray(frame[[o.name for o in OUTCOMES]].to_numpy(np.float64).T)
    sums = np.nansum(values, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / np.count_nonzero(~np.isnan(values), axis=1)
    return sums, means


def daily_table(rows: list[np.ndarray], start: object) -> pd.DataFrame:
    """The daily outcomes ``rows`` (one :meth:`DayCounter.close` a day, from the date
    ``start``) as a table, one row a day, columns as in :data:`COLUMNS`; counts as integers."""
    values = np.array(rows).reshape(len(rows), len(OUTCOMES))
    days = np.arange(len(rows))
    first = np.datetime64(start, "D")
    columns: dict[str, np.ndarray] = {
        "day": days,
        "date": (first + days).astype("datetime64[s]"),
    }
    for i, o in enumerate(OUTCOMES):
        column = values[:, i]
        if o.unit in ("people", "tries", "networks", "units"):
            column = column.round().astype("int64")
        columns[o.name] = column
    return pd.DataFrame({name: columns[name] for name in COLUMNS})
