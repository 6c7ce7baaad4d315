"""The plan of a sweep: scenarios x grid points x replicates, checked before anything runs.

:func:`plan_sweep` loads the scenarios and checks every grid point; :class:`Sweep` turns the
plan into jobs (:mod:`sim.runs.jobs`) and into the manifest's description of it, from which a
stopped sweep is planned again to resume it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UsageError, setting
from sim.runs import draws as dr
from sim.runs.jobs import (
    Job,
    make_jobs,
    point_tag,
    replicate_seeds,
    scenario_from_text,
)
from sim.scenario.assignments import key_parts, split_assignment
from sim.scenario.building import Scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario

RESERVED_GRID_KEYS = ("name", "seed", "extends")
DEFAULT_DRAWS = 20


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``KEY=V1,V2,...`` options as {dotted key: [values as TOML text]}, in order."""
    grid: dict[str, list[str]] = {}
    for item in items:
        key, sep, raw = split_assignment(item)
        key = key.strip()
        values = [v.strip() for v in raw.split(",")]
        if not sep or not key or not all(values):
            raise UsageError(
                f"{setting('grid')} {item}: expected KEY=V1,V2,... (values split at commas)"
            )
        try:
            parts = key_parts(key)
        except ScenarioError as exc:
            raise UsageError(f"{setting('grid')} {item}: {exc.message}") from None
        if ".".join(parts) in RESERVED_GRID_KEYS:
            raise UsageError(f"{setting('grid')} {item}: '{key}' cannot vary within a sweep")
        if key in grid:
            raise UsageError(f"{setting('grid')} {item}: '{key}' is given twice")
        if len(set(values)) != len(values):
            raise UsageError(f"{setting('grid')} {item}: a value is repeated")
        grid[key] = values
    return grid


def document_value(scenario: Scenario, key: str) -> Any:
    """The resolved value of a dotted key in a scenario (as validated, e.g. 10 -> 10.0)."""
    value: Any = scenario.document
    for part in key_parts(key):
        value = value[part]
    return value


def grid_applies(scenario: Scenario, key: str) -> bool:
    """Whether a grid key varies a scenario: a measure's key only where the measure is on."""
    parts = key_parts(key)
    if len(parts) < 3 or parts[0] != "policies":
        return True
    table = scenario.document.get("policies", {}).get(parts[1])
    return isinstance(table, Mapping) and bool(table.get("enabled", False))


@dataclass(frozen=True)
class Sweep:
    """What a sweep runs: scenarios x grid points x replicates.

    Attributes:
        scenarios: the resolved scenarios (overrides applied, seed set to the root seed).
        replicates: runs per scenario and grid point.
        seed: the root seed.
        grid: each grid key's values as given (TOML text), for a full factorial.
        overrides: the ``--set`` (and ``--days``, ``--seed``) assignments applied to every
            scenario, recorded in the manifest so that ``compare`` can tell whether the
            baseline was changed.
    """

    scenarios: tuple[Scenario, ...]
    replicates: int
    seed: int
    grid: Mapping[str, Sequence[str]] = field(default_factory=dict)
    overrides: tuple[str, ...] = ()
    posterior: dr.Posterior | None = None
    draws: int = 0

    def particles(self) -> list[int]:
        """The posterior particle each draw uses (none without a posterior)."""
        return dr.draw(self.posterior, self.draws, self.seed) if self.posterior else []

    def points(self) -> list[dict[str, str]]:
        """Every grid point, as {key: value as given}; one empty point without a grid."""
        keys = list(self.grid)
        return [
            dict(zip(keys, combo, strict=True)) for combo in itertools.product(*self.grid.values())
        ]

    def designs(self) -> list[tuple[str, dict[str, Any]]]:
        """(scenario text, grid values) for every scenario and grid point.

        A grid key of a measure (``policies.<measure>.<field>``) varies only the scenarios in
        which that measure is on: the baseline, with every measure off, is run once as the
        reference, not switched on by the grid. Other keys (population, days...) vary every
        scenario, and each point is compared with the baseline at the same point.

        Raises:
            ScenarioError: a grid value is not valid for a scenario (named as ``--grid``).
            UsageError: a measure's grid key applies to no scenario of the sweep.
        """
        out = []
        for key in self.grid:
            if not any(grid_applies(s, key) for s in self.scenarios):
                raise UsageError(
                    f"{setting('grid')} {key}: the measure is on in none of the scenarios, so the "
                    "grid would change nothing"
                )
        for scenario in self.scenarios:
            seen: set[str] = set()
            for full in self.points():
                point = {k: v for k, v in full.items() if grid_applies(scenario, k)}
                if point_tag(point) in seen:
                    continue
                seen.add(point_tag(point))
                try:
                    at = scenario.with_overrides(f"{k}={v}" for k, v in point.items())
                except ScenarioError as exc:
                    exc.file = (
                        setting("grid") if exc.file in (setting("overrides"), None) else exc.file
                    )
                    exc.message = f"{exc.message} (scenario {scenario.name})"
                    raise
                values = {k: document_value(at, k) for k in point}
                out.append((at.to_toml(), values))
        return out

    def jobs(self) -> list[Job]:
        """Every run, scenario by scenario, grid point by point, replicate by replicate.

        With a posterior, replicate ``i = d * R + r`` uses draw ``d`` and child ``i`` of the
        root seed, so every scenario gets the same draws and the same seeds (paired).
        """
        if self.posterior is None:
            return make_jobs(self.designs(), self.replicates, self.seed)
        posterior = self.posterior
        particles = self.particles()
        seeds = replicate_seeds(self.seed, len(particles) * self.replicates)
        jobs: list[Job] = []
        for text, point in self.designs():
            at = scenario_from_text(text)
            for d, particle in enumerate(particles):
                drawn = at.with_overrides(dr.assignments(posterior, particle))
                values = {k: document_value(drawn, k) for k in posterior.keys}
                body = drawn.to_toml()
                for r in range(self.replicates):
                    i = d * self.replicates + r
                    recorded = {"draw": d, "particle": particle, **values}
                    jobs.append(Job.seeded(drawn, body, point, i, seeds[i], recorded))
        return jobs

    def manifest_fields(self) -> dict[str, Any]:
        """What the manifest records to describe (and re-plan) this sweep."""
        return {
            "plan": "grid",
            "scenarios": {s.name: s.to_toml() for s in self.scenarios},
            "seed": self.seed,
            "replicates": self.replicates,
            "grid": {k: list(v) for k, v in self.grid.items()},
            "grid_keys": list(self.grid),
            "overrides": list(self.overrides),
            "grid_scope": {
                s.name: [k for k in self.grid if grid_applies(s, k)] for s in self.scenarios
            },
            **self.posterior_fields(),
        }

    def posterior_fields(self) -> dict[str, Any]:
        """What the manifest records of the posterior the draws come from (none without)."""
        if self.posterior is None:
            return {}
        return {
            "posterior": {
                "path": self.posterior.path,
                "sha256": self.posterior.sha256,
                "draws": self.draws,
            },
            "draw_columns": ["draw", "particle", *self.posterior.keys],
        }

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> Sweep:
        """The sweep a manifest describes (to resume it without naming its scenarios again)."""
        if manifest.get("plan") != "grid":
            raise UsageError(
                "this directory's runs were not planned as a sweep; resume them "
                "with the tool that made them"
            )
        try:
            scenarios = tuple(
                scenario_from_text(text, f"manifest.json: scenario {name}")
                for name, text in manifest["scenarios"].items()
            )
            grid = {str(k): [str(v) for v in vs] for k, vs in manifest["grid"].items()}
            posterior, draws = None, 0
            if manifest.get("posterior"):
                recorded = manifest["posterior"]
                posterior = dr.load_posterior(recorded["path"], scenarios)
                if posterior.sha256 != recorded["sha256"]:
                    raise UsageError(
                        f"{setting('posterior')} {recorded['path']}: the file has changed since "
                        "the sweep was started (its sha256 differs): the draws would not be the "
                        f"same; put the original back, or start again with {setting('overwrite')}"
                    )
                draws = int(recorded["draws"])
            return cls(
                scenarios,
                int(manifest["replicates"]),
                int(manifest["seed"]),
                grid,
                tuple(str(o) for o in manifest.get("overrides", ())),
                posterior,
                draws,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UsageError(
                f"manifest.json: not the plan of a sweep ({type(exc).__name__}: {exc}); "
                f"start again with the scenario files and {setting('overwrite')}"
            ) from None


def plan_sweep(
    paths: Sequence[str | Path],
    replicates: int,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    grid: Mapping[str, Sequence[str]] | None = None,
    posterior: str | Path | None = None,
    draws: int | None = None,
) -> Sweep:
    """Load and check the scenarios of a sweep.

    Args:
        paths: scenario files.
        replicates: runs per scenario and grid point.
        seed: the root seed (default: the first scenario's seed).
        overrides: ``KEY=VALUE`` assignments applied to every scenario (``--set``, ``--days``).
        grid: {dotted key: values as TOML text} for a full factorial (see :func:`parse_grid`).
        posterior: a calibration's ``posterior.parquet``: run ``draws`` parameter sets drawn
            from it by weight, ``replicates`` runs each.
        draws: parameter sets to draw (default :data:`DEFAULT_DRAWS`).

    Raises:
        ScenarioError: a file, an override or a grid value is bad.
        UsageError: two files share a scenario name, or the replicates or seed are out of range.
    """
    if replicates < 1:
        raise UsageError(f"replicates must be at least 1, not {replicates}")
    loaded = [load_scenario(p, overrides) for p in paths]
    if not loaded:
        raise UsageError("no scenario files given")
    seen: dict[str, str | None] = {}
    for s in loaded:
        if s.name in seen:
            raise UsageError(
                f"{s.source} and {seen[s.name]} are both named '{s.name}': names label the runs"
            )
        seen[s.name] = s.source
    root = loaded[0].seed if seed is None else seed
    replicate_seeds(root, 1)  # checks the range
    scenarios = tuple(s.with_overrides([f"seed={root}"]) for s in loaded)
    drawn = None
    if posterior is not None:
        drawn = dr.load_posterior(posterior, scenarios)
        draws = DEFAULT_DRAWS if draws is None else draws
        dr.draw(drawn, draws, root)  # checks the number of draws
        both = [k for k in drawn.keys if k in (grid or {})]
        if both:
            raise UsageError(
                f"{setting('posterior')} {posterior}: {both[0]} is drawn from the posterior and "
                f"also given in {setting('grid')}"
            )
    elif draws is not None:
        raise UsageError(f"{setting('draws')} needs {setting('posterior')}")
    sweep = Sweep(
        scenarios, replicates, root, dict(grid or {}), tuple(overrides), drawn, draws or 0
    )
    sweep.designs()  # every grid point is checked before anything runs
    return sweep
