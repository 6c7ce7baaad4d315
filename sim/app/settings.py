"""The page's settings: the scenario files offered, the scenario as the controls set it.

:class:`Settings` is what the controls say (a file of the scenarios folder and the changes made
to it); :func:`baseline_for` is the baseline it is compared with; :func:`workshop_toml` is the
scenario as a file ``calais-sim run`` reads.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim.app.formats import fmt_value
from sim.app.server import SCENARIOS_ENV, default_scenarios
from sim.measures.policies import EVENTS, POLICIES
from sim.params import SECTIONS, specs
from sim.scenario.loading import (
    Scenario,
    ScenarioError,
    build,
    json_copy,
    load_scenario,
    scenario_files,
)

BASELINE_FILE = "baseline.toml"
APP_MAX_MIGRANTS = 20_000
"""Most migrants at the start in the app (larger runs: ``calais-sim run``)."""
MAX_SEED = 2**63 - 1


def scenario_folder() -> Path:
    """The folder whose scenario files the picker offers."""
    env = os.environ.get(SCENARIOS_ENV)
    return Path(env) if env else default_scenarios()


def scenario_choices(folder: Path) -> list[str]:
    """The names of the scenario files in ``folder``: all the picker offers."""
    return [path.name for path in scenario_files(folder)]


def load_choice(folder: Path, name: str) -> Scenario:
    """Load a scenario file the picker offers; any other name is refused."""
    if name not in scenario_choices(folder):
        raise ScenarioError("not one of the scenario files offered", file=name)
    return load_scenario(folder / name)


def picker_refusal(exc: ScenarioError, folder: Path) -> str:
    """Why the picker refused a value, naming files by their names (never the server's paths)."""
    text = str(exc)
    for place in {str(folder.resolve()), str(folder), str(folder.absolute())}:
        text = text.replace(place + os.sep, "").replace(place, "the scenario folder")
    return f"Refused: {text}"


_REVISIONS = itertools.count()


@dataclass(frozen=True)
class Settings:
    """What the controls say: the scenario file picked, and the scenario with the changes made.

    Attributes:
        folder: the folder of scenario files.
        file: the name of the file picked.
        scenario: the scenario as the controls set it (validated).
        original: the scenario as the file has it.
    """

    folder: Path
    file: str
    scenario: Scenario
    original: Scenario
    revision: int = field(default_factory=lambda: next(_REVISIONS))
    """Different for every change: the controls start afresh (messages of refusal cleared)."""
    uncertainty: bool = False
    """The "show uncertainty" switch: the cards' ensemble draws its parameters from the shipped
    posterior (:mod:`sim.app.ensemble`). Not part of the scenario: it changes no run."""

    @classmethod
    def from_file(cls, folder: Path, name: str) -> Settings:
        """The settings of a scenario file of the folder, unchanged."""
        scenario = load_choice(folder, name)
        return cls(folder, name, scenario, scenario)

    def with_value(self, table: tuple[str, ...], name: str, value: Any) -> Settings:
        """These settings with one key of the scenario set (checked as a file's would be)."""
        doc = json_copy(self.scenario.document)
        target = doc
        for part in table:
            target = target.setdefault(part, {})
        target[name] = value
        return replace(self, scenario=build(doc, source=self.file), revision=next(_REVISIONS))

    def with_uncertainty(self, on: bool) -> Settings:
        """These settings with the "show uncertainty" switch set (the controls stay as they
        are: same revision)."""
        return replace(self, uncertainty=bool(on))

    def changes(self) -> list[str]:
        """What the controls changed from the file, for people to read.

        For example ``['port fencing on', 'port fencing strength 0.6 → 0.8', 'seed 1 → 2']``.
        """
        now, before = self.scenario.document, self.original.document
        out = [
            f"{name.replace('_', ' ')} {before[name]} → {now[name]}"
            for name in ("start_date", "days", "seed")
            if now[name] != before[name]
        ]
        for section in SECTIONS:
            out += _changed_keys(section, before[section], now[section])
        for kind, registry in (("policies", POLICIES), ("events", EVENTS)):
            for instance, table in now.get(kind, {}).items():
                title = instance.replace("_", " ")
                old = before.get(kind, {}).get(instance)
                on, was_on = table.get("enabled", True), bool(old and old.get("enabled", True))
                if on != was_on:
                    out.append(f"{title} {'on' if on else 'off'}")
                if on:
                    defaults = {
                        k: d for k, (d, _) in specs(registry[instance.partition("@")[0]]).items()
                    }
                    out += _changed_keys(title, old or defaults, table)
        return out


def _changed_keys(title: str, before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    return [
        f"{title} {key.replace('_', ' ')} {fmt_value(before.get(key))} → {fmt_value(value)}"
        for key, value in now.items()
        if key != "enabled" and value != before.get(key)
    ]


def default_settings(folder: Path | None = None) -> Settings:
    """The settings the page opens with: the baseline file, or the first file of the folder."""
    folder = scenario_folder() if folder is None else folder
    choices = scenario_choices(folder)
    if not choices:
        raise ScenarioError("holds no scenario files (*.toml)", file=folder)
    return Settings.from_file(folder, BASELINE_FILE if BASELINE_FILE in choices else choices[0])


def baseline_for(settings: Settings) -> Scenario | None:
    """The baseline file with the chosen scenario's dates, seed and model parameters.

    It differs from the chosen scenario by its measures and events only; ``None`` when the
    folder has no baseline file.
    """
    path = settings.folder / BASELINE_FILE
    if not path.is_file():
        return None
    doc = json_copy(load_scenario(path).document)
    chosen = settings.scenario.document
    for key in ("start_date", "days", "seed", *SECTIONS):
        doc[key] = json_copy(chosen[key])
    return build(doc, source=str(path))


def workshop_toml(settings: Settings) -> tuple[str, str]:
    """The scenario as the controls set it: a file name and TOML that ``calais-sim run`` reads.

    A scenario changed in the app is renamed ``<name>-workshop`` (it names the results'
    folder) and its description lists the changes.
    """
    scenario, changes = settings.scenario, settings.changes()
    if changes:
        doc = json_copy(scenario.document)
        doc["name"] = f"{scenario.name}-workshop"[:100]
        doc["description"] = (
            f"{scenario.description} Changed in the workshop app: {'; '.join(changes)}."
        ).strip()
        scenario = build(doc, source=settings.file)
    header = (
        f"# Scenario set in the calais-sim workshop app on {dt.date.today().isoformat()}, "
        f"from {settings.file}.\n# Rerun it with: calais-sim run {scenario.name}.toml\n\n"
    )
    return f"{scenario.name}.toml", header + scenario.to_toml()
