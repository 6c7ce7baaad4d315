"""The sidebar's controls: the scenario card, the measures, the events and the assumptions.

Generated from the scenario schema (:func:`sim.scenario.schema.groups`); every change is
checked as a scenario file's would be and starts a new pair of runs from the first day.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import solara

from sim.app.fields import Commit, KeyControl, NumberField, control_key
from sim.app.formats import fmt_date
from sim.app.runs import Workshop
from sim.app.settings import APP_MAX_MIGRANTS, MAX_SEED, Settings, picker_refusal, scenario_choices
from sim.scenario.loading import (
    MAX_DAYS,
    ScenarioError,
    check_value,
)
from sim.scenario.schema import Group, Key, groups


def commit_key(
    settings: Settings, apply: Callable[[Settings], None], table: tuple[str, ...], key: Key
) -> Commit:
    """A control's commit: check the value as a scenario file's, then start a new run."""
    where = ".".join((*table, key.name))

    def commit(value: Any) -> str | None:
        try:
            value = check_value(value, key.default, key.spec, where, None)
            apply(settings.with_value(table, key.name, value))
        except ScenarioError as exc:
            return exc.message
        return None

    return commit


def measure_instances(settings: Settings, group: Group) -> list[str]:
    """The tables of a measure (or event) in the scenario: ``name`` and ``name@label`` ones.

    A measure absent from the scenario is listed once, by its name, switched off.
    """
    kind, name = group.table.split(".", 1)
    present = [
        key for key in settings.scenario.document.get(kind, {}) if key.partition("@")[0] == name
    ]
    return present or [name]


@solara.component
def MeasureBlock(group: Group, settings: Settings, apply: Callable[[Settings], None]) -> None:
    """A measure's switch, with its explanation, and its parameters when it is in force."""
    kind, name = group.table.split(".", 1)
    start = settings.scenario.start_date
    with solara.Div(classes=["calais-group", f"calais-group-{name}"]):
        for instance in measure_instances(settings, group):
            table = settings.scenario.document.get(kind, {}).get(instance)
            in_force = bool(table and table.get("enabled", True))
            label = instance.partition("@")[2]

            def switch(on: bool, instance: str = instance) -> None:
                with contextlib.suppress(ScenarioError):
                    apply(settings.with_value((kind, instance), "enabled", on))

            solara.v.Switch(
                label=group.title + (f" ({label})" if label else ""),
                v_model=in_force,
                on_v_model=switch,
                hint=group.doc,
                persistent_hint=True,
                dense=True,
                inset=True,
                class_="calais-switch",
            )
            if in_force:
                for key in group.keys:
                    if key.name != "enabled":
                        commit = commit_key(settings, apply, (kind, instance), key)
                        value = table[key.name]
                        KeyControl(key, value, commit, start).key(
                            control_key(settings, f"{instance}.{key.name}", key, value)
                        )


@solara.component
def SectionBlock(group: Group, settings: Settings, apply: Callable[[Settings], None]) -> None:
    """The parameters of one section of the model (its assumptions)."""
    table = settings.scenario.document[group.table]
    with solara.Div(classes=["calais-group", f"calais-section-{group.table}"]):
        solara.Text(f"{group.title}: {group.doc}", classes=["calais-section-title"])
        for key in group.keys:
            if key.path == POPULATION_KEY:
                continue  # in the scenario card
            commit = commit_key(settings, apply, (group.table,), key)
            value = table[key.name]
            KeyControl(key, value, commit, settings.scenario.start_date).key(
                control_key(settings, key.path, key, value)
            )


POPULATION_KEY = "population.initial_migrants"


def whole_number_commit(
    settings: Settings, apply: Callable[[Settings], None], name: str, lo: int, hi: int
) -> Commit:
    """The commit of a whole number at the top of the scenario (the seed, the days)."""

    def commit(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            return f"must be a whole number from {lo:,} to {hi:,}"
        try:
            apply(settings.with_value((), name, value))
        except ScenarioError as exc:
            return exc.message
        return None

    return commit


def population_commit(settings: Settings, apply: Callable[[Settings], None]) -> Commit:
    """The commit of the population: checked as a file's, and at most the app's largest."""
    population = next(k for g in groups() for k in g.keys if k.path == POPULATION_KEY)

    def commit(value: Any) -> str | None:
        if isinstance(value, int | float) and value > APP_MAX_MIGRANTS:
            return (
                f"at most {APP_MAX_MIGRANTS:,} people in the app "
                "(run larger ones with calais-sim run)"
            )
        return commit_key(settings, apply, ("population",), population)(value)

    return commit


def run_fields(settings: Settings, apply: Callable[[Settings], None]) -> None:
    """The population, the seed and the days simulated (drawn in the card being built)."""
    scenario = settings.scenario
    population = next(k for g in groups() for k in g.keys if k.path == POPULATION_KEY)
    NumberField(
        "Migrants at the start (people)",
        scenario.document["population"]["initial_migrants"],
        "int",
        population_commit(settings, apply),
        hint=f"0 to {APP_MAX_MIGRANTS:,}. {population.spec.doc}",
        test_id="calais-population",
    ).key(f"{settings.revision}:population")
    NumberField(
        "Seed",
        scenario.seed,
        "int",
        whole_number_commit(settings, apply, "seed", 0, MAX_SEED),
        hint="Same seed, same run; the baseline uses it too.",
        test_id="calais-seed",
        plain=True,
    ).key(f"{settings.revision}:seed")
    NumberField(
        "Days simulated",
        scenario.days,
        "int",
        whole_number_commit(settings, apply, "days", 1, MAX_DAYS),
        hint=f"1 to {MAX_DAYS:,}",
        test_id="calais-days",
    ).key(f"{settings.revision}:days")


def changes_note(settings: Settings, pick: Callable[[str], None]) -> None:
    """What the controls changed from the file, and a button back to it (if anything changed)."""
    changes = settings.changes()
    if changes:
        solara.Text(
            f"Changed from {settings.file}: " + "; ".join(changes) + ".",
            classes=["calais-changes"],
        )
        solara.Button(
            f"Back to {settings.file} as it is",
            on_click=lambda: pick(settings.file),
            text=True,
            color="primary",
            classes=["calais-undo"],
        )


@solara.component
def ScenarioCard(settings: Settings, apply: Callable[[Settings], None], notice: str | None) -> None:
    """The scenario file, the population, the seed and the length of the run."""
    problem, set_problem = solara.use_state(None)
    scenario = settings.scenario

    def pick(name: str) -> None:
        try:
            apply(Settings.from_file(settings.folder, name))
            set_problem(None)
        except ScenarioError as exc:
            set_problem(picker_refusal(exc, settings.folder))

    with solara.Card("Scenario", classes=["calais-card", "calais-scenario"]):
        solara.Text(
            "▶ plays, ❚❚ pauses, Step moves on, Reset starts again. The speed says how much "
            "simulated time each frame moves on.",
            classes=["calais-doc", "calais-howto"],
        )
        if notice:
            (solara.Warning if notice.startswith("Refused") else solara.Info)(notice, dense=True)
        solara.Select(
            "Scenario file",
            value=settings.file,
            values=scenario_choices(settings.folder),
            on_value=pick,
            classes=["calais-picker"],
        )
        if problem:
            solara.Error(problem, dense=True)
        solara.Text(settings.original.description, classes=["calais-doc"])
        solara.Text(
            f"{scenario.days} days from {fmt_date(scenario.start_date)}. Any change starts "
            "the run again from its first day.",
            classes=["calais-doc"],
        )
        run_fields(settings, apply)
        changes_note(settings, pick)


@solara.component
def AssumptionsCard(settings: Settings, apply: Callable[[Settings], None]) -> None:
    """The model's parameters, folded away until asked for."""
    shown, set_shown = solara.use_state(False)
    sections = [g for g in groups() if g.kind == "section"]
    count = sum(len(g.keys) for g in sections) - 1
    with solara.Card("Model assumptions", classes=["calais-card", "calais-assumptions"]):
        solara.Text(
            f"The {count} parameters every scenario shares (the baseline too), with their "
            "sources in docs/scenarios.md.",
            classes=["calais-doc"],
        )
        solara.Button(
            "Hide them" if shown else "Show them",
            on_click=lambda: set_shown(not shown),
            text=True,
            color="primary",
        )
        if shown:
            for group in sections:
                SectionBlock(group, settings, apply)


@solara.component
def ControlPanel(settings: solara.Reactive[Settings], model: solara.Reactive[Workshop]) -> None:
    """The sidebar's controls: every change makes a new pair of runs from the first day."""
    notice, set_notice = solara.use_state(None)

    def apply(new: Settings) -> None:
        """Start new runs with ``new``; raise ScenarioError (and say so) if they cannot start."""
        ended = not model.value.running
        new = new.with_uncertainty(settings.value.uncertainty)  # the switch stays as it was
        try:
            workshop = Workshop(new)
        except Exception as exc:  # a valid scenario the model cannot run: refuse it, with why
            problem = f"the model cannot run with this ({type(exc).__name__}: {exc})"
            set_notice(f"Refused: {problem}")
            raise ScenarioError(problem) from exc
        settings.set(new)
        model.set(workshop)
        set_notice("The last run had ended: press Reset to play the new one." if ended else None)

    current = settings.value
    measures = [g for g in groups() if g.kind == "measure"]
    events = [g for g in groups() if g.kind == "event"]
    with solara.Sidebar():
        ScenarioCard(current, apply, notice)
        with solara.Card("Measures", classes=["calais-card", "calais-measures"]):
            solara.Text(
                "Switch a measure on to see and set its parameters. The baseline has none.",
                classes=["calais-doc"],
            )
            for group in measures:
                MeasureBlock(group, current, apply)
        with solara.Card("Events", classes=["calais-card", "calais-events"]):
            for group in events:
                MeasureBlock(group, current, apply)
        AssumptionsCard(current, apply)


@solara.component
def ControlHost(settings: solara.Reactive[Settings], model: solara.Reactive[Workshop]) -> None:
    """Holds the control panel one level down, so that it follows Mesa's cards in the sidebar."""
    ControlPanel(settings, model)
