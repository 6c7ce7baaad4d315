"""The calibration's file, ``sim/data/calibration.toml``: the fitted values with their
provenance, written and read back; and the table of a fit, target by target."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.errors import UsageError
from sim.evidence.calibration import CALIBRATION_FILE, SIGNIFICANT, Calibration
from sim.evidence.targets import TargetFit, averaged_relative_difference, objective

HEADER = (
    "# Written by `calais-sim calibrate`: the fitted defaults of sim/params.py and how they were\n"
    "# found. Do not edit by hand: run the command again (see docs/validation.md).\n\n"
)


def calibration_document(cal: Calibration, command: Sequence[str]) -> dict[str, Any]:
    """The content of ``calibration.toml``: fitted values, bounds, objective, fit, provenance."""
    from sim.runs.results import versions

    return {
        "method": {
            "objective": "sum over the calibration targets of ((replicate mean - value) / sd)^2",
            "optimiser": "scipy.optimize.differential_evolution (search on [0, 1] per "
            "parameter, log scale where noted; not polished)",
            "popsize": cal.popsize,
            "maxiter": cal.maxiter,
            "generations": cal.generations,
            "evaluations": cal.evaluations,
            "runs": cal.runs,
            "seconds": round(cal.seconds, 1),
            "replicates": cal.replicates,
            "seed": cal.seed,
            "seeds": f"replicate i of every vector uses child i of SeedSequence({cal.seed})",
            "scenario": cal.scenario,
            "scenario_sha256": cal.scenario_sha256,
            "days": cal.days,
            "targets_sha256": cal.targets_sha256,
            "rounding": f"fitted values rounded to {SIGNIFICANT} significant digits, "
            "then evaluated again",
            "command": " ".join(command),
            "date": dt.datetime.now(dt.UTC).replace(microsecond=0),
        },
        "versions": versions(),
        "result": {
            "objective": round(cal.fitted.objective, 4),
            "objective_at_start": round(cal.start.objective, 4),
            "averaged_relative_difference": round(cal.fitted.ard, 4),
            "averaged_relative_difference_at_start": round(cal.start.ard, 4),
        },
        "parameters": parameter_entries(cal),
        "fit": {
            f.target.name: {
                "outcome": f.target.label,
                "window": f"{f.target.start} - {f.target.end}",
                "summary": f.target.summary,
                "record": f.target.value,
                "sd": f.target.sd,
                "model_mean": round(f.mean, 4),
                "model_sd": round(f.spread, 4),
                "z": round(f.z, 4),
                "relative_difference": round(f.relative_difference, 4),
                "model_mean_at_start": round(s.mean, 4),
            }
            for f, s in zip(cal.fitted.fits, cal.start.fits, strict=True)
        },
    }


def parameter_entries(cal: Calibration) -> dict[str, dict[str, Any]]:
    """Each fitted key's entry in ``calibration.toml``: value, bounds, scale, start, why."""
    out: dict[str, dict[str, Any]] = {}
    for p in cal.free:
        out[p.key] = {
            "value": cal.fitted.values[p.key],
            "lo": p.lo,
            "hi": p.hi,
            "scale": "log" if p.log else "linear",
            "start": p.start,
            "why": p.why,
        }
        for key in p.also:
            out[key] = {**out[p.key], "tied_to": p.key, "why": f"takes the value of {p.key}"}
    return out


def write_calibration(path: str | Path, document: Mapping[str, Any]) -> None:
    """Write a calibration document as TOML, atomically."""
    from sim.runs.results import write_bytes
    from sim.scenario.toml_text import dumps_toml

    write_bytes(path, (HEADER + dumps_toml(document)).encode())


def read_calibration(path: str | Path = CALIBRATION_FILE) -> dict[str, Any]:
    """Read a calibration file.

    Raises:
        UsageError: the file is missing or not TOML.
    """
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no calibration yet (run calais-sim calibrate)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the calibration ({exc})") from None


def fitted_overrides(path: str | Path = CALIBRATION_FILE) -> list[str]:
    """The fitted values as ``KEY=VALUE`` assignments, to apply them to any scenario."""
    doc = read_calibration(path)
    return [f"{key}={entry['value']!r}" for key, entry in doc.get("parameters", {}).items()]


def fit_table(fits: Sequence[TargetFit], start: Sequence[TargetFit] | None = None) -> str:
    """The fit per target as a text table, with the averaged relative difference."""
    head = f"{'target':<28}{'record':>10}{'sd':>8}{'model':>10}{'z':>7}{'|rel. diff.|':>14}"
    if start is not None:
        head += f"{'hand-set':>10}"
    lines = [head]
    for i, f in enumerate(fits):
        line = (
            f"{f.target.name:<28}{f.target.value:>10,.1f}{f.target.sd:>8,.1f}{f.mean:>10,.1f}"
            f"{f.z:>7.2f}{f.relative_difference:>14.1%}"
        )
        if start is not None:
            line += f"{start[i].mean:>10,.1f}"
        lines.append(line)
    lines.append(
        f"objective (sum of z^2) {objective(fits):.3f}; averaged relative difference "
        f"{averaged_relative_difference(fits):.1%}"
    )
    return "\n".join(lines)
