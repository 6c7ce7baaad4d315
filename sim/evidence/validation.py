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
import io
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

DEFAULT_REPLICATES = defaults.VALIDATION_REPLICATES
VALIDATION_SEED = defaults.VALIDATION_SEED
NIGHT_OF_27_JULY = dt.date(2015, 7, 27)
"""The night of 27/28 July 2015: about 2,000 tries at the tunnel by fewer than 400 people."""


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
    from sim.runs.executors import execute
    from sim.runs.jobs import make_jobs

    days = max(days_needed(scenario.start_date, targets), _day(scenario, NIGHT_OF_27_JULY) + 1)
    scenario = scenario.with_overrides([f"days={days}"])
    jobs = make_jobs([(scenario.to_toml(), {})], replicates, seed)
    frames: dict[int, pd.DataFrame] = {}
    with contextlib.closing(execute(jobs, workers, scheduler)) as results:
        for result in results:
            if not result.ok:
                raise RunFailed(f"a validation run failed: {result.error}")
            frames[result.job.replicate] = result.frame
    runs = [frames[r] for r in range(replicates)]
    return Validation(scenario, seed, runs, target_fits(runs, targets), other_figures(runs))


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
                "about 2,000 tries at the terminal, by fewer than 400 people",
                f"{mid:,.0f} tries (95% of replicates {lo:,.0f} - {hi:,.0f}) by "
                f"{np.median(people):,.0f} people ({per_person:.1f} tries a person)",
                "tries a person come from behaviour.persistence (the stopping rule within a "
                "night); the tries are a calibration target, the people are not",
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


# --- tables -------------------------------------------------------------------------------


def _num(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


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
            f"| {_num(t.value)} ± {_num(t.sd)} | {_num(f.mean)} | {_num(lo)} – {_num(hi)} "
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


# --- figures ------------------------------------------------------------------------------


def _series(frame: pd.DataFrame, target: Target) -> np.ndarray:
    return frame[list(target.outcomes)].to_numpy(dtype=float).sum(axis=1)


def figure_targets(v: Validation) -> Any:
    """One panel per target: the model's replicates (median, 90% band) and the record."""
    import matplotlib.pyplot as plt

    from sim.runs import plots  # noqa: F401  (selects the Agg backend)

    n = len(v.fits)
    cols = 3
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(13, 3.1 * rows), layout="constrained")
    dates = pd.to_datetime(v.frames[0]["date"])
    for ax, f in zip(axes.flat, v.fits, strict=False):
        _panel(ax, dates, v.frames, f)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(
        f"{v.scenario.name}, calibrated: {len(v.frames)} replicates (median, 90% band) against "
        "the record (value ± 1 and 2 sd)",
        fontsize=11,
    )
    return fig


def _panel(ax: Any, dates: pd.Series, frames: Sequence[pd.DataFrame], f: TargetFit) -> None:
    t = f.target
    colour = "#1f77b4" if t.role == "calibration" else "#2ca02c"
    values = np.array([_series(fr, t) for fr in frames])
    inside = ((dates >= pd.Timestamp(t.start)) & (dates <= pd.Timestamp(t.end))).to_numpy()
    if t.summary == "sum":
        # The running total over the window, against the record's total at its end.
        values = np.where(inside, values, 0.0).cumsum(axis=1)
        keep = dates >= pd.Timestamp(t.start) - pd.Timedelta(days=3)
        keep &= dates <= pd.Timestamp(t.end) + pd.Timedelta(days=3)
        keep = keep.to_numpy()
        x, values = dates[keep], values[:, keep]
        what = "running total over the window"
    else:
        x = dates
        what = "a day" if t.summary == "mean" else "last day"
    median = np.median(values, axis=0)
    lo, hi = np.quantile(values, [0.05, 0.95], axis=0)
    ax.fill_between(x, lo, hi, color=colour, alpha=0.25, lw=0)
    ax.plot(x, median, color=colour, lw=1.3, label="model")
    start, end = pd.Timestamp(t.start), pd.Timestamp(t.end) + pd.Timedelta(hours=23)
    if t.summary == "sum":
        ax.errorbar([end], [t.value], yerr=[[2 * t.sd], [2 * t.sd]], fmt="none", color="k", lw=0.8)
        ax.errorbar([end], [t.value], yerr=[[t.sd], [t.sd]], fmt="o", color="k", ms=4, lw=2)
    else:
        ax.axvspan(start, end, color="0.85", lw=0)
        ax.fill_between([start, end], t.value - 2 * t.sd, t.value + 2 * t.sd, color="k", alpha=0.1)
        ax.fill_between([start, end], t.value - t.sd, t.value + t.sd, color="k", alpha=0.2)
        ax.plot([start, end], [t.value, t.value], color="k", lw=1.5, label="record")
    role = "calibration" if t.role == "calibration" else "validation (out of sample)"
    ax.set_title(f"{t.name}: {role}\n{t.label}, {what}", fontsize=8.5)
    ax.text(
        0.01,
        0.97,
        f"model {_num(f.mean)} vs record {_num(t.value)} ± {_num(t.sd)} (z {f.z:+.1f})",
        transform=ax.transAxes,
        fontsize=7.5,
        va="top",
    )
    ax.grid(alpha=0.3)
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylim(bottom=0)


def figure_summary(v: Validation) -> Any:
    """Every target on one scale: the model's replicates over the record, with the record's
    uncertainty (1 and 2 sd) around 1."""
    import matplotlib.pyplot as plt

    from sim.runs import plots  # noqa: F401

    fits = v.fits
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(fits) + 1.4), layout="constrained")
    for i, f in enumerate(fits):
        y = len(fits) - 1 - i
        t = f.target
        rel = t.sd / t.value
        ax.plot(
            [max(1 - 2 * rel, 0.01), 1 + 2 * rel], [y, y], color="0.8", lw=9, solid_capstyle="butt"
        )
        ax.plot([max(1 - rel, 0.01), 1 + rel], [y, y], color="0.6", lw=9, solid_capstyle="butt")
        lo, hi = f.interval()
        colour = "#1f77b4" if t.role == "calibration" else "#2ca02c"
        ax.plot([max(lo / t.value, 0.01), max(hi / t.value, 0.01)], [y, y], color=colour, lw=2)
        ax.plot([max(f.mean / t.value, 0.01)], [y], "o", color=colour, ms=6)
    ax.axvline(1, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(range(len(fits)), [f.target.name for f in reversed(fits)], fontsize=8)
    ax.set_xlabel("model / record (log scale)")
    ax.plot(
        [], [], "o-", color="#1f77b4", label="calibration target: model mean, 95% of replicates"
    )
    ax.plot([], [], "o-", color="#2ca02c", label="validation target (out of sample)")
    ax.plot([], [], color="0.6", lw=6, label="record ± 1 sd")
    ax.plot([], [], color="0.8", lw=6, label="record ± 2 sd")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3, axis="x")
    ax.set_title(
        f"Model against record: ARD {averaged_relative_difference(fits):.0%} over {len(fits)} "
        "targets",
        fontsize=10,
    )
    return fig


def png(fig: Any) -> bytes:
    """A figure as PNG bytes (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


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
