"""A sweep's arms (a scenario at a grid point), their baselines, and the values compared: each
arm's run summaries by replicate, and the choice and checks of the baseline and the outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.errors import UsageError, setting
from sim.model.outcomes import OUTCOME_BY_NAME, Outcome
from sim.runs import results as rf
from sim.scenario.errors import suggest


@dataclass(frozen=True)
class Arm:
    """A scenario at a grid point: the runs compared as one group."""

    scenario: str
    point: tuple[tuple[str, Any], ...]

    @property
    def label(self) -> str:
        """The scenario's name, with its grid values if any."""
        if not self.point:
            return self.scenario
        return f"{self.scenario} [{', '.join(f'{k}={v}' for k, v in self.point)}]"


def arms(results: rf.SweepResults, first: str | None = None) -> list[Arm]:
    """Every scenario and grid point with finished runs, in the sweep's order (``first``
    first)."""
    keys = results.grid_keys
    runs = results.ok_runs
    order = {name: i for i, name in enumerate(results.scenarios)}
    if first is not None:
        order[first] = -1
    found = runs[["scenario", *keys]].drop_duplicates()
    found = found.assign(_o=found["scenario"].map(order)).sort_values(["_o", *keys])
    return [
        Arm(row[0], tuple((k, v) for k, v in zip(keys, row[1:], strict=True) if not pd.isna(v)))
        for row in found[["scenario", *keys]].itertuples(index=False)
    ]


def arm_runs(results: rf.SweepResults, arm: Arm) -> pd.DataFrame:
    """An arm's finished runs (rows of ``runs.parquet``)."""
    runs = results.ok_runs[results.ok_runs["scenario"] == arm.scenario]
    point = dict(arm.point)
    for key in results.grid_keys:  # a key the grid did not vary in this scenario is empty
        runs = runs[runs[key] == point[key]] if key in point else runs[runs[key].isna()]
    return runs


def baseline_arm(results: rf.SweepResults, arm: Arm, baseline: str) -> Arm:
    """The baseline's runs an arm is compared with: at the same grid point, on the keys the
    grid varied in the baseline (none, for a measure's key: the baseline is run once)."""
    for candidate in arms(results, baseline):
        if candidate.scenario == baseline and all(
            dict(arm.point).get(k) == v for k, v in candidate.point
        ):
            return candidate
    return Arm(baseline, arm.point)


def baseline_changes(results: rf.SweepResults, baseline: str) -> list[str]:
    """What changed a measure of the baseline: ``--set`` or ``--grid`` keys under
    ``policies.`` applied to it (population, days or seed change every scenario alike and
    leave the baseline the reference)."""
    manifest = results.manifest
    changed = [
        f"{setting('overrides')} {item}"
        for item in manifest.get("overrides", [])
        if item.split("=", 1)[0].strip().startswith("policies.")
    ]
    scope = manifest.get("grid_scope")
    keys = scope.get(baseline, []) if scope is not None else results.grid_keys
    changed += [f"{setting('grid')} {k}" for k in keys if k.strip().startswith("policies.")]
    return changed


def check_baseline(results: rf.SweepResults, baseline: str, allow_changed: bool = False) -> None:
    """Refuse to compare with a baseline whose measures a ``--set`` or ``--grid`` changed.

    Raises:
        UsageError: the baseline was changed, and ``allow_changed`` is false.
    """
    changed = baseline_changes(results, baseline)
    if changed and not allow_changed:
        raise UsageError(
            f"{results.folder}: the baseline '{baseline}' was changed by "
            f"{', '.join(changed)}, so it is no longer the reference (every difference would "
            "be against a changed baseline); rerun without it, or add "
            f"{setting('allow_changed_baseline')} to compare anyway"
        )


def arm_values(
    results: rf.SweepResults, arm: Arm, outcome: Outcome, days: int | None = None
) -> pd.Series:
    """An outcome's run summaries for an arm's finished runs, indexed by replicate.

    Args:
        days: summarise only the first ``days`` days (from the time series); default: the
            whole run (from ``runs.parquet``).
    """
    runs = arm_runs(results, arm)
    if days is None:
        values = runs.set_index("replicate")[rf.summary_column(outcome)]
        return values.sort_index().astype(float)
    ts = results.timeseries
    ts = ts[ts["run_id"].isin(runs["run_id"]) & (ts["day"] < days)]
    how = {"sum": "sum", "mean": "mean", "last": "last"}[outcome.summary]
    by_run = ts.groupby("run_id")[outcome.name].agg(how).astype(float)
    replicate = runs.set_index("run_id")["replicate"]
    return by_run.set_axis(replicate[by_run.index].to_numpy()).rename_axis("replicate").sort_index()


def common_days(results: rf.SweepResults, arm: Arm, base_arm: Arm) -> int | None:
    """The days an arm and its baseline both ran, when their runs' lengths differ; else None."""
    if arm == base_arm:
        return None
    lengths = set(arm_runs(results, arm)["n_days"]) | set(arm_runs(results, base_arm)["n_days"])
    return int(min(lengths)) if len(lengths) > 1 else None


def choose_outcomes(names: Sequence[str] | None, default: Sequence[str]) -> list[Outcome]:
    """Outcomes by name (``--metric``), or the default list; unknown names are refused."""
    chosen = []
    for name in names or default:
        if name not in OUTCOME_BY_NAME:
            raise UsageError(
                f"{setting('metric')} {name}: unknown outcome{suggest(name, OUTCOME_BY_NAME)}"
            )
        chosen.append(OUTCOME_BY_NAME[name])
    return chosen


def choose_baseline(results: rf.SweepResults, name: str | None) -> str:
    """The baseline scenario: the one named, else ``baseline`` if run, else the first."""
    names = results.scenarios
    if name is None:
        return "baseline" if "baseline" in names else names[0]
    if name not in names:
        raise UsageError(
            f"{setting('baseline')} {name}: no such scenario in the sweep{suggest(name, names)}"
        )
    return name


def arm_frames(results: rf.SweepResults, arm: Arm) -> list[pd.DataFrame]:
    """An arm's daily outcomes, one frame a finished replicate."""
    return results.replicate_frames(arm.scenario, **dict(arm.point))
