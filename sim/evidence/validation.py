"""The calibrated 2015 scenario against the record: ``calais-sim validation``.

Runs ``scenarios/calais-2015.toml`` with the fitted values of ``sim/data/calibration.toml``
applied, ``R`` times from a root seed other than the calibration's, for as many days as the
latest target needs, and compares every target of ``sim/data/targets.toml``: those the
calibration fitted and, out of sample, those it never saw. It also reports figures of the record
that are not targets, where the model can speak to them. It writes:

- ``docs/img/validation.png``: one panel per target, the model's replicates (median and 90%
  band) against the record and its uncertainty;
- ``docs/img/validation_summary.png``: every target on one scale, model over record;
- ``docs/validation_table.md``: the table of the fit, also written into ``docs/validation.md``
  between its ``<!-- validation:start -->`` and ``<!-- validation:end -->`` markers (and the
  fitted values between ``<!-- calibration:start -->`` and ``<!-- calibration:end -->``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import RunFailed
from sim.evidence import defaults
from sim.evidence.calibration import CALIBRATION_FILE, SCENARIO_FILE
from sim.evidence.calibration_file import fitted_overrides, read_calibration
from sim.evidence.targets import (
    Target,
    TargetFit,
    averaged_relative_difference,
    days_needed,
    target_fits,
)
from sim.evidence.validation_figures import figure_summary, figure_targets, num, png

DEFAULT_REPLICATES = defaults.VALIDATION_REPLICATES


VALIDATION_SEED = defaults.VALIDATION_SEED


NIGHT_OF_27_JULY = dt.date(2015, 7, 27)
"""The night of 27/28 July 2015: about 2,000 tries at the tunnel by 200 to 1,000 people."""


@dataclass(frozen=True)
class Other:
    """A figure of the record that is not a target, and what the model says about it."""

    name: str
    record: str
    model: str
    verdict: str
    source: str


@dataclass
class Validation:
    """The replicates of the calibrated scenario and how they compare with the record."""

    scenario: Any
    seed: int
    frames: list[pd.DataFrame]
    fits: list[TargetFit]
    others: list[Other]

    def by_role(self, role: str) -> list[TargetFit]:
        """The fits of the targets with this role."""
        return [f for f in self.fits if f.target.role == role]


def calibrated_scenario(
    path: str | Path = SCENARIO_FILE,
    calibration: str | Path = CALIBRATION_FILE,
    overrides: Sequence[str] = (),
) -> Any:
    """The scenario with the fitted values applied over whatever its files set."""
    from sim.scenario.loading import load_scenario

    return load_scenario(path, [*fitted_overrides(calibration), *overrides])


def validate(
    scenario: Any,
    targets: Sequence[Target],
    replicates: int = DEFAULT_REPLICATES,
    seed: int = VALIDATION_SEED,
    workers: int | None = None,
    scheduler: Any = None,
) -> Validation:
    """Run the scenario ``replicates`` times for the targets' days; compare every target.

    Raises:
        RunFailed: a run raised.
    """
    from sim.runs.jobs import make_jobs

    days = max(days_needed(scenario.start_date, targets), _day(scenario, NIGHT_OF_27_JULY) + 1)
    scenario = scenario.with_overrides([f"days={days}"])
    jobs = make_jobs([(scenario.to_toml(), {})], replicates, seed)
    runs = run_frames(jobs, workers, scheduler, "a validation run")
    return Validation(scenario, seed, runs, target_fits(runs, targets), other_figures(runs))


def run_frames(
    jobs: Sequence[Any], workers: int | None, scheduler: Any, what: str
) -> list[pd.DataFrame]:
    """Every job's daily frame, in the order of the jobs' replicate indices.

    Raises:
        RunFailed: a run raised (``what`` names it in the message).
    """
    from sim.runs.executors import execute

    frames: dict[int, pd.DataFrame] = {}
    with contextlib.closing(execute(jobs, workers, scheduler)) as results:
        for result in results:
            if not result.ok:
                raise RunFailed(f"{what} failed: {result.error}")
            frames[result.job.replicate] = result.frame
    return [frames[j.replicate] for j in sorted(jobs, key=lambda j: j.replicate)]


def pinned(path: str | Path, calibration: str | Path = CALIBRATION_FILE) -> dict[str, Any]:
    """The fitted keys that a scenario file (or one it extends) sets itself, with its values:
    such a file does not take the fitted default unless the fitted value is applied over it."""
    from sim.scenario.reading import read_document

    doc = read_document(Path(path))
    out = {}
    for key in read_calibration(calibration).get("parameters", {}):
        section, _, name = key.partition(".")
        if isinstance(doc.get(section), dict) and name in doc[section]:
            out[key] = doc[section][name]
    return out


def _day(scenario: Any, date: dt.date) -> int:
    return (date - scenario.start_date).days


def other_figures(frames: Sequence[pd.DataFrame]) -> list[Other]:
    """What the runs say about figures of the record that are not targets."""
    out = []
    night = [_on(f, NIGHT_OF_27_JULY, "attempts_tunnel") for f in frames]
    people = [_on(f, NIGHT_OF_27_JULY, "people_out_tunnel") for f in frames]
    if all(v is not None for v in night + people):
        lo, mid, hi = np.quantile(night, [0.025, 0.5, 0.975])
        per_person = np.median(np.array(night) / np.maximum(people, 1))
        out.append(
            Other(
                "tunnel tries, night of 27/28 July 2015",
                "about 2,000 tries at the terminal, by 200 to 1,000 people",
                f"{mid:,.0f} tries (95% of replicates {lo:,.0f} - {hi:,.0f}) by "
                f"{np.median(people):,.0f} people ({per_person:.1f} tries a person)",
                "tries a person come from behaviour.persistence (the stopping rule within a "
                "night); the tries and the people of 27-29 July are calibration targets",
                "Guardian; VICE (Eurotunnel)",
            )
        )
    out.append(
        Other(
            "deaths around Calais in 2014",
            "17",
            "not simulated: the runs start on 1 June 2015",
            "cannot say",
            "Calais Migrant Solidarity via Newsweek",
        )
    )
    return out


def _on(frame: pd.DataFrame, date: dt.date, column: str) -> float | None:
    rows = frame[pd.to_datetime(frame["date"]) == pd.Timestamp(date)]
    return float(rows[column].iloc[0]) if len(rows) else None


def table_markdown(v: Validation) -> str:
    """The comparison with the record as Markdown: targets, summary lines and other figures."""
    lines = [
        "| target | role | outcome | window | record ± sd | model mean | model 95% range "
        "| z | \\|model − record\\| / record |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in v.fits:
        t = f.target
        lo, hi = f.interval()
        role = "calibration" if t.role == "calibration" else "**validation** (out of sample)"
        lines.append(
            f"| `{t.name}` | {role} | {t.label} ({t.summary}) | {t.start} – {t.end} "
            f"| {num(t.value)} ± {num(t.sd)} | {num(f.mean)} | {num(lo)} – {num(hi)} "
            f"| {f.z:+.2f} | {f.relative_difference:.0%} |"
        )
    lines.append("")
    for role, name in (("calibration", "calibration targets"), ("validation", "validation")):
        fits = v.by_role(role)
        if fits:
            lines.append(
                f"- Averaged relative difference, {name} ({len(fits)}): "
                f"**{averaged_relative_difference(fits):.0%}**; within 2 sd of the record: "
                f"{sum(abs(f.z) <= 2 for f in fits)} of {len(fits)}."
            )
    lines.append(
        f"- All targets ({len(v.fits)}): averaged relative difference "
        f"**{averaged_relative_difference(v.fits):.0%}**."
    )
    lines.append(
        f"- {len(v.frames)} replicates of `{v.scenario.name}` over {v.scenario.days} days from "
        f"{v.scenario.start_date}, root seed {v.seed} (the calibration used another)."
    )
    if v.others:
        lines += [
            "",
            "Figures of the record that are not targets:",
            "",
            "| figure | record | model | what the model can say | source |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {o.name} | {o.record} | {o.model} | {o.verdict} | {o.source} |" for o in v.others
        ]
    return "\n".join(lines) + "\n"


def calibration_markdown(doc: Mapping[str, Any]) -> str:
    """The fitted values and the calibration's provenance as Markdown."""
    method, result = doc.get("method", {}), doc.get("result", {})
    lines = [
        "| parameter | fitted | search range | hand-set before | set by |",
        "| --- | ---: | --- | ---: | --- |",
    ]
    for key, p in doc.get("parameters", {}).items():
        scale = " (log)" if p.get("scale") == "log" else ""
        lines.append(
            f"| `{key}` | {p['value']:.3g} | {p['lo']:g} – {p['hi']:g}{scale} | "
            f"{p['start']:g} | {p.get('why', '')} |"
        )
    lines += [
        "",
        f"Objective (sum of squared z-scores over the calibration targets): "
        f"{result.get('objective', float('nan')):.2f} at the fitted values, "
        f"{result.get('objective_at_start', float('nan')):.2f} at the hand-set ones; averaged "
        f"relative difference {result.get('averaged_relative_difference', float('nan')):.0%} "
        f"(hand-set: {result.get('averaged_relative_difference_at_start', float('nan')):.0%}).",
        f"Found by {method.get('optimiser', '?')}, {method.get('generations', '?')} generations "
        f"of {method.get('popsize', '?')} vectors a parameter, {method.get('runs', '?')} runs "
        f"({method.get('replicates', '?')} replicates a vector, root seed "
        f"{method.get('seed', '?')}, {method.get('days', '?')} days of "
        f"`{method.get('scenario', '?')}`), in {method.get('seconds', '?')} s; command "
        f"`{method.get('command', '?')}`, {method.get('date', '?')}.",
    ]
    return "\n".join(lines) + "\n"


def replace_block(text: str, name: str, content: str) -> str:
    """``text`` with what lies between ``<!-- name:start -->`` and ``<!-- name:end -->``
    replaced by ``content`` (unchanged if the markers are absent)."""
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", flags=re.DOTALL)
    return pattern.sub(lambda m: m.group(1) + "\n" + content + "\n" + m.group(2), text)


def write_outputs(
    v: Validation, docs: Path, calibration: str | Path = CALIBRATION_FILE
) -> list[Path]:
    """Write the figures and the table into ``docs``; fill the blocks of ``validation.md``."""
    from sim.runs.results import write_bytes

    img = docs / "img"
    written = {
        img / "validation.png": png(figure_targets(v)),
        img / "validation_summary.png": png(figure_summary(v)),
    }
    table = table_markdown(v)
    written[docs / "validation_table.md"] = (
        "<!-- Written by `calais-sim validation`; do not edit by hand. -->\n\n" + table
    ).encode()
    doc = docs / "validation.md"
    if doc.exists():
        text = replace_block(doc.read_text(encoding="utf-8"), "validation", table)
        text = replace_block(
            text, "calibration", calibration_markdown(read_calibration(calibration))
        )
        written[doc] = text.encode()
    for path, data in written.items():
        write_bytes(path, data)
    return list(written)
