"""The comparison cards: each main outcome of the page's run, and its difference from the
baseline over the background ensemble (:mod:`sim.app.ensemble`), with its interval.

The number on a card is the page's one run (the map's); the difference below it is the mean of
the ensemble's paired differences, coloured green or red only when its 95% interval leaves out
zero ("no clear difference" otherwise), and "being computed" until the ensemble is done.

Also the "Take it home" card (the downloads).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import solara
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


def describe(diff: Difference, outcome: Outcome) -> tuple[str, str, str]:
    """A paired difference for people: what it says, its interval, and its colour's class.

    Coloured (``better`` green, ``worse`` red) only where the interval leaves out zero; a
    difference with no good direction (spending) is ``neutral`` either way.

    >>> from sim.model.outcomes import OUTCOME_BY_NAME
    >>> d = Difference(day=30, mean=-5, low=-8, high=-2, base=50, verdict="better", pairs=8)
    >>> describe(d, OUTCOME_BY_NAME["deaths"])
    ('−5 (−10%)', '−8 to −2', 'better')
    """
    interval = f"{fmt_signed(diff.low, outcome.unit)} to {fmt_signed(diff.high, outcome.unit)}"
    if not diff.clear:
        return "no clear difference", interval, "unclear"
    text = fmt_signed(diff.mean, outcome.unit)
    if diff.base:
        change = 100 * diff.mean / abs(diff.base)
        text += f" ({change:+.{0 if abs(change) >= 1 else 1}f}%)".replace("-", "−")
    verdict = diff.verdict if diff.verdict in ("better", "worse") else "neutral"
    return text, interval, verdict


def when(day: int, days: int) -> str:
    """The day the differences are at, for people."""
    return f"by the end (day {days})" if day >= days else f"by day {day}"


def ensemble_status(ensemble: Ensemble | None) -> str:
    """Where the ensemble has got, while the cards have no interval (or cannot have one)."""
    if ensemble is None or ensemble.state == "waiting":
        return "▶ or Step starts computing the intervals."
    if ensemble.state == "failed":
        return f"No intervals: {ensemble.error}."
    if ensemble.state == "cancelled":
        return "The intervals were stopped."
    if ensemble.state == "done":
        return ""
    done, total = ensemble.finished_runs, ensemble.total
    runs = f" ({done} of {total} runs)" if total else ""
    return f"Computing the intervals in the background{runs}…"


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
        day = ensemble_day(workshop)
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
                    change = "interval: ▶"
                    if ensemble is not None and ensemble.state == "running":
                        change = "interval: computing…"
                    elif ensemble is not None and ensemble.state != "waiting":
                        change = "no interval"
                else:
                    change, interval, verdict = describe(diff, o)
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
    """What the cards show, in a sentence or two."""
    ensemble = workshop.ensemble
    draws = (ensemble.draws if ensemble is not None else 0) or REPLICATES
    runs = f"{REPLICATES} paired runs (same seeds)"
    if workshop.settings.uncertainty:
        runs = (
            f"{draws} paired runs across {draws} posterior draws (same seeds; each pair's "
            "parameters drawn from the 2015 calibration's posterior, not the ones set here)"
        )
    day = when(ensemble_day(workshop), workshop.settings.scenario.days)
    status = ensemble_status(ensemble)
    return (
        f"This run (the map's) and its baseline run; under them, the difference from "
        f'{BASELINE_FILE} {day} over {runs}: mean and {LEVEL} interval ("no clear '
        f'difference" when it holds zero). {status}'
    ).strip()


@solara.component
def UncertaintySwitch(on: bool, on_change: Callable[[bool], None]) -> None:
    """The "show uncertainty" switch: the ensemble's parameters drawn from the posterior.

    Given the switch's value (not the runs, which stay the same object), so that it is drawn
    again when the value changes."""
    solara.v.Switch(
        label="Show uncertainty",
        v_model=on,
        on_v_model=on_change,
        hint="Each pair's parameters drawn from the 2015 posterior too (not the ones set here).",
        persistent_hint=False,  # the note under it says what the intervals are across
        dense=True,
        inset=True,
        class_="calais-switch calais-uncertainty",
    )


@solara.component
def Outcomes(
    workshop: Workshop,
    uncertainty: bool = False,
    on_uncertainty: Callable[[bool], None] | None = None,
) -> None:
    """The main outcomes so far, against the baseline, with the ensemble's intervals.

    ``uncertainty``: the "show uncertainty" switch's value (the runs' own, passed so that the
    cards are drawn again when it changes)."""
    update_counter.get()  # drawn again at every step
    ensemble = workshop.ensemble
    version = ensemble.version if ensemble is not None else -1

    def watch() -> int:
        """Wait in a thread for the ensemble to change: the cards are drawn again then, also
        while the run is paused."""
        return ensemble.wait_change(version, WAIT_S) if ensemble is not None else version

    # read, so that this card is drawn again when the thread ends
    _ = solara.use_thread(watch, dependencies=[id(ensemble), version], intrusive_cancel=False).state
    rows = compare(workshop)
    # the title and the switch share a row: with the intervals the cards are taller, and the
    # day-by-day charts below them must stay in view at 1440x900
    with solara.Card(classes=["calais-card", "calais-outcomes"]):
        with solara.Row(classes=["calais-outcomes-head"], justify="space-between"):
            solara.Text("Against the baseline", classes=["calais-outcomes-title"])
            if workshop.baseline is not None and on_uncertainty is not None:
                UncertaintySwitch(uncertainty, on_uncertainty)
        if workshop.baseline is None:
            why = workshop.baseline_problem or f"no {BASELINE_FILE} in the scenarios folder"
            solara.Warning(f"No baseline to compare with: {why}.", dense=True)
        else:
            solara.Text(outcomes_note(workshop), classes=["calais-doc", "calais-outcomes-note"])
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
        state = ensemble.state if ensemble is not None else "waiting"
        seconds = ensemble.seconds if ensemble is not None else math.nan
        solara.HTML(
            tag="div",
            unsafe_innerHTML="".join(cells),
            classes=["calais-outcome-grid", f"calais-ensemble-{state}"],
            # how long the ensemble took, for the browser tests and benchmarks/app_ensemble.py
            attributes={"data-ensemble-seconds": "" if math.isnan(seconds) else f"{seconds:.2f}"},
        )


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
