"""The comparison cards: each main outcome of the page's run, and its difference from the
baseline over the background ensemble (:mod:`sim.app.ensemble`), with its interval.

The number on a card is the page's one run (the map's); the difference below it is the mean of
the ensemble's paired differences, coloured green or red only when its 95% interval leaves out
zero ("no clear difference" otherwise), and "being computed" until the ensemble is done.

Also the "Take it home" card (the downloads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import solara
import solara.lab
from mesa.visualization.utils import update_counter

from sim.app.ensemble import LEVEL, REPLICATES, Difference, Ensemble
from sim.app.formats import fmt_amount, fmt_signed
from sim.app.runs import Workshop, outcome_value, results_parquet
from sim.app.settings import BASELINE_FILE, workshop_toml
from sim.model.outcomes import MAIN_OUTCOMES, OUTCOME_BY_NAME, Outcome

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


def ensemble_day(workshop: Workshop) -> int:
    """The day the cards' differences are at: the whole days the page's run has simulated
    (the run's last day once it has ended), at least the first."""
    run = workshop.chosen
    return max(1, min(run.day, run.params.days))


def describe(diff: Difference, outcome: Outcome, days: int) -> tuple[str, str, str]:
    """A paired difference for people: what it says, its interval, and its colour's class.

    Coloured (``better`` green, ``worse`` red) only where the interval leaves out zero; a
    difference with no good direction (spending) is ``neutral`` either way.

    >>> from sim.model.outcomes import OUTCOME_BY_NAME
    >>> d = Difference(day=30, mean=-5, low=-8, high=-2, base=50, verdict="better", pairs=10)
    >>> describe(d, OUTCOME_BY_NAME["deaths"], 120)
    ('−5 (−10%) by day 30', '95% interval −8 to −2', 'better')
    """
    when = f"by the end (day {days})" if diff.day >= days else f"by day {diff.day}"
    if outcome.summary != "sum":
        when = f"on the last day ({days})" if diff.day >= days else f"on day {diff.day}"
    interval = f"{LEVEL} interval {fmt_signed(diff.low, outcome.unit)} to "
    interval += fmt_signed(diff.high, outcome.unit)
    if not diff.clear:
        return f"no clear difference {when}", interval, "unclear"
    text = fmt_signed(diff.mean, outcome.unit)
    if diff.base:
        change = 100 * diff.mean / abs(diff.base)
        text += f" ({change:+.{0 if abs(change) >= 1 else 1}f}%)".replace("-", "−")
    verdict = diff.verdict if diff.verdict in ("better", "worse") else "neutral"
    return f"{text} {when}", interval, verdict


def ensemble_status(ensemble: Ensemble | None) -> str:
    """What the cards say while their intervals are not there yet (or cannot be)."""
    if ensemble is None or ensemble.state == "waiting":
        return "▶ or Step computes the interval"
    if ensemble.state == "failed":
        return f"no interval: {ensemble.error}"
    if ensemble.state == "cancelled":
        return "interval stopped"
    done, total = ensemble.finished_runs, ensemble.total
    return (
        f"interval being computed ({done} of {total} runs)" if total else "interval being computed"
    )


@dataclass(frozen=True)
class Comparison:
    """One outcome of the page's run, its baseline's, and the ensemble's paired difference."""

    name: str
    title: str
    doc: str
    value: str
    base: str
    change: str
    interval: str
    verdict: str


def compare(workshop: Workshop) -> list[Comparison]:
    """The main outcomes so far, each with the ensemble's difference from the baseline."""
    frame, base_frame = workshop.frames()
    out = []
    with workshop.lock:
        ensemble = workshop.ensemble
        day, days = ensemble_day(workshop), workshop.chosen.params.days
        for name in SHOWN_OUTCOMES:
            o = OUTCOME_BY_NAME[name]
            value = outcome_value(workshop.chosen, frame, name)
            base = None
            if workshop.baseline is not None and base_frame is not None:
                base = outcome_value(workshop.baseline, base_frame, name)
            if value is None:
                continue
            change, interval, verdict = "", "", "pending"
            if workshop.baseline is not None:
                diff = ensemble.difference(name, day) if ensemble is not None else None
                if diff is None:
                    change = ensemble_status(ensemble)
                else:
                    change, interval, verdict = describe(diff, o, days)
            out.append(
                Comparison(
                    name=name,
                    title=OUTCOME_TITLES.get(name, name.replace("_", " ").capitalize()),
                    doc=o.doc,
                    value=fmt_amount(value, o.unit),
                    base="" if base is None else fmt_amount(base, o.unit),
                    change=change,
                    interval=interval,
                    verdict=verdict,
                )
            )
    return out


WAIT_S = 30.0
"""How long a watcher waits for the ensemble to change before it looks again."""


def outcomes_note(workshop: Workshop) -> str:
    """What the cards show, in a sentence."""
    ensemble = workshop.ensemble
    draws = ensemble.draws if ensemble is not None else 0
    runs = f"{REPLICATES} paired runs"
    if workshop.settings.uncertainty:
        runs = f"{draws or REPLICATES} paired runs across {draws or REPLICATES} posterior draws"
    return (
        f"The number is this run's so far, against the baseline's run beside it. Below it, the "
        f"difference from {BASELINE_FILE} over {runs} (same seeds in both), with its "
        f'{LEVEL} interval: "no clear difference" when the interval holds zero.'
    )


@solara.component
def UncertaintySwitch(workshop: Workshop, on_change: Callable[[bool], None]) -> None:
    """The "show uncertainty" switch: the ensemble's parameters drawn from the posterior."""
    solara.v.Switch(
        label="Show uncertainty",
        v_model=workshop.settings.uncertainty,
        on_v_model=on_change,
        hint="Each paired run also draws the model's fitted parameters from the 2015 "
        "calibration's posterior, so the interval holds what the record cannot pin down "
        "(the assumptions set here for those parameters are then not used).",
        persistent_hint=True,
        dense=True,
        inset=True,
        class_="calais-switch calais-uncertainty",
    )


@solara.component
def Outcomes(workshop: Workshop, on_uncertainty: Callable[[bool], None] | None = None) -> None:
    """The main outcomes so far, against the baseline, with the ensemble's intervals."""
    update_counter.get()  # drawn again at every step
    ensemble = workshop.ensemble
    version = ensemble.version if ensemble is not None else -1

    def watch() -> int:
        """Wait in a thread for the ensemble to change: the cards are drawn again then, also
        while the run is paused."""
        return ensemble.wait_change(version, WAIT_S) if ensemble is not None else version

    solara.lab.use_task(watch, dependencies=[id(ensemble), version])
    rows = compare(workshop)
    with solara.Card("Against the baseline", classes=["calais-card", "calais-outcomes"]):
        if workshop.baseline is None:
            why = workshop.baseline_problem or f"no {BASELINE_FILE} in the scenarios folder"
            solara.Warning(f"No baseline to compare with: {why}.", dense=True)
        else:
            solara.Text(outcomes_note(workshop), classes=["calais-doc"])
            if on_uncertainty is not None:
                UncertaintySwitch(workshop, on_uncertainty)
        cells = []
        for row in rows:
            base = f'<div class="calais-base">baseline {row.base}</div>' if row.base else ""
            interval = f'<div class="calais-interval">{row.interval}</div>' if row.interval else ""
            cells.append(
                f'<div class="calais-outcome calais-outcome-{row.name}" title="{row.doc}">'
                f'<div class="calais-outcome-title">{row.title}</div>'
                f'<div class="calais-outcome-value">{row.value}</div>{base}'
                f'<div class="calais-change calais-{row.verdict}">{row.change}</div>'
                f"{interval}</div>"
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
