"""The comparison cards: each main outcome of the chosen run against the baseline's.

Also the "Take it home" card (the downloads).
"""

from __future__ import annotations

from dataclasses import dataclass

import solara
from mesa.visualization.utils import update_counter

from sim.app.formats import fmt_amount
from sim.app.runs import Workshop, outcome_value, results_parquet
from sim.app.settings import BASELINE_FILE, workshop_toml
from sim.model.outcomes import MAIN_OUTCOMES, OUTCOME_BY_NAME

SHOWN_OUTCOMES: tuple[str, ...] = (*MAIN_OUTCOMES, "networks_dismantled")
OUTCOME_TITLES: dict[str, str] = {
    "crossings_total": "Crossings to the UK",
    "attempts_total": "Tries at the ways in",
    "deaths": "Deaths",
    "injuries": "Injuries",
    "migrants_present": "People in Calais now",
    "networks_active": "Smuggling networks now",
    "networks_dismantled": "Networks dismantled",
    "traffic_disruption_hours": "Traffic lost",
    "spend_eur": "Spent on measures",
    "enforcement_units": "Police units now",
    "lorry_queue": "Lorries queuing now",
}


def versus(value: float, base: float | None, better: str | None, unit: str = "") -> tuple[str, str]:
    """How a value compares with the baseline's, and whether that is 'better', 'worse' or not.

    >>> versus(62, 100, "lower")
    ('−38% against the baseline', 'better')
    """
    if base is None:
        return "", ""
    if round(value) == round(base):
        return "same as the baseline", "same"
    if base == 0:
        sign = "+" if value > base else "-"
        text = f"{sign}{fmt_amount(abs(value - base), unit)} against the baseline"
    else:
        change = (value - base) / abs(base) * 100
        digits = 0 if abs(change) >= 1 else 1
        text = f"{change:+.{digits}f}% against the baseline"
    text = text.replace("-", "−")  # a true minus sign
    if better is None:
        return text, "neutral"
    lower = value < base
    return text, "better" if lower == (better == "lower") else "worse"


@dataclass(frozen=True)
class Comparison:
    """One outcome of the chosen run, the baseline's, and how they compare."""

    name: str
    title: str
    doc: str
    value: str
    base: str
    change: str
    verdict: str


def compare(workshop: Workshop) -> list[Comparison]:
    """The main outcomes so far, each against the baseline."""
    frame, base_frame = workshop.frames()
    out = []
    with workshop.lock:
        for name in SHOWN_OUTCOMES:
            o = OUTCOME_BY_NAME[name]
            value = outcome_value(workshop.chosen, frame, name)
            base = None
            if workshop.baseline is not None and base_frame is not None:
                base = outcome_value(workshop.baseline, base_frame, name)
            if value is None:
                continue
            change, verdict = versus(value, base, o.better, o.unit)
            out.append(
                Comparison(
                    name=name,
                    title=OUTCOME_TITLES.get(name, name.replace("_", " ").capitalize()),
                    doc=o.doc,
                    value=fmt_amount(value, o.unit),
                    base="" if base is None else fmt_amount(base, o.unit),
                    change=change,
                    verdict=verdict,
                )
            )
    return out


@solara.component
def Outcomes(workshop: Workshop) -> None:
    """The main outcomes so far, against the baseline."""
    update_counter.get()  # drawn again at every step
    rows = compare(workshop)
    with solara.Card("Against the baseline", classes=["calais-card", "calais-outcomes"]):
        if workshop.baseline is None:
            why = workshop.baseline_problem or f"no {BASELINE_FILE} in the scenarios folder"
            solara.Warning(f"No baseline to compare with: {why}.", dense=True)
        else:
            solara.Text(
                f"So far, against {BASELINE_FILE} with the same seed, population and days.",
                classes=["calais-doc"],
            )
        cells = []
        for row in rows:
            base = f'<div class="calais-base">baseline {row.base}</div>' if row.base else ""
            cells.append(
                f'<div class="calais-outcome calais-outcome-{row.name}" title="{row.doc}">'
                f'<div class="calais-outcome-title">{row.title}</div>'
                f'<div class="calais-outcome-value">{row.value}</div>'
                f'<div class="calais-change calais-{row.verdict}">{row.change}</div>{base}</div>'
            )
        solara.HTML(tag="div", unsafe_innerHTML="".join(cells), classes=["calais-outcome-grid"])


@solara.component
def TakeHome(workshop: Workshop) -> None:
    """Downloads: the run's daily results and the scenario as the controls set it.

    The files are made when asked for, from the run as it is then.
    """
    settings = workshop.settings
    toml_name, _ = workshop_toml(settings)
    name = settings.scenario.name
    with solara.Card("Take it home", classes=["calais-card", "calais-downloads"]):
        solara.Text(
            "The scenario as set here, and this run's daily results so far (the Parquet file "
            f"that calais-sim run writes). Rerun the scenario with: calais-sim run {toml_name}",
            classes=["calais-doc"],
        )
        with solara.Row():
            solara.FileDownload(
                lambda: workshop_toml(settings)[1],
                filename=toml_name,
                label="Scenario (TOML)",
                mime_type="application/toml",
            )
            solara.FileDownload(
                lambda: results_parquet(workshop),
                filename=f"{name}-results.parquet",
                label="Results (Parquet)",
                mime_type="application/vnd.apache.parquet",
            )
