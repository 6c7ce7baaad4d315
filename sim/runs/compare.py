"""Comparing a sweep's scenarios: means, paired differences from a baseline, costs.

For each scenario (at each grid point) and each outcome of :data:`sim.metrics.OUTCOMES`, a run is
summarised by one number (its total over the days for summed outcomes, its daily mean for
levels). Across replicates this gives the scenario's mean with a 95% bootstrap confidence interval
(``scipy.stats.bootstrap``, BCa, 9,999 resamples from a fixed seed; the percentile method where
BCa is undefined). Because replicate ``i`` of every scenario uses the same seed (common random
numbers), each scenario is compared with the baseline run by run: the paired differences
``scenario - baseline`` by replicate, their mean and its interval. Where a scenario spends money,
the extra euros per crossing prevented against the baseline, with its interval (paired bootstrap
of the ratio of means), or a plain statement that crossings were not (clearly) prevented.

This module builds the comparison table and its text; the arms and the values compared are in
:mod:`sim.runs.arms`, the intervals in :mod:`sim.runs.statistics`, the figure in
:mod:`sim.runs.compare_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from sim.errors import UsageError
from sim.model.outcomes import OUTCOME_BY_NAME, OUTCOMES, Outcome
from sim.runs import results as rf
from sim.runs.arms import (
    Arm,
    arm_runs,
    arm_values,
    arms,
    baseline_arm,
    choose_baseline,
    choose_outcomes,
    common_days,
)
from sim.runs.statistics import bootstrap_ci, ratio_of_means, variance_split, verdict

COST_OUTCOME = "eur_per_crossing_prevented"
"""The pseudo-outcome of the cost-effectiveness rows of the comparison table."""


CROSSINGS, SPEND = "crossings_total", "spend_eur"


def compare(
    results: rf.SweepResults, baseline: str | None = None, metrics: Sequence[str] | None = None
) -> pd.DataFrame:
    """The comparison table: one row a scenario (and grid point) and outcome.

    Args:
        results: a loaded sweep (:func:`sim.results.load`).
        baseline: the scenario the others are compared with (see :func:`choose_baseline`).
        metrics: outcome names (default: every outcome).

    Returns:
        Columns ``scenario``, the grid keys, ``label``, ``baseline``, ``outcome``, ``unit``,
        ``better``, ``summary``, ``n``, ``mean``, ``ci_low``, ``ci_high``, ``ci_method``,
        ``n_pairs``, ``diff``, ``diff_ci_low``, ``diff_ci_high``, ``diff_pct``, ``verdict``,
        ``note`` (see ``results/README.md``); for a sweep over a posterior, also ``draws``,
        ``var_parameters``, ``var_luck``, ``share_parameters``, ``sign_share`` and
        ``sign_robust`` (see :func:`variance_split`); after each scenario that spends money, a
        row whose outcome is ``eur_per_crossing_prevented``.
    """
    if results.ok_runs.empty:
        raise UsageError(f"{results.folder}: no finished runs to compare")
    base = choose_baseline(results, baseline)
    outcomes = choose_outcomes(metrics, [o.name for o in OUTCOMES])
    rows = []
    for arm in arms(results, base):
        base_arm = arm if arm.scenario == base else baseline_arm(results, arm, base)
        for outcome in outcomes:
            rows.append(_row(results, arm, base_arm, outcome))
        if arm.scenario != base:
            cost = _cost_row(results, arm, base_arm)
            if cost is not None:
                rows.append(cost)
    table = pd.DataFrame(rows)
    front = ["scenario", *results.grid_keys, "label"]
    return table[front + [c for c in table.columns if c not in front]]


def _base_fields(arm: Arm, base_arm: Arm) -> dict[str, Any]:
    return {
        "scenario": arm.scenario,
        **dict(arm.point),
        "label": arm.label,
        "baseline": base_arm.label,
    }


def _horizon_note(results: rf.SweepResults, arm: Arm, base_arm: Arm, days: int | None) -> str:
    if days is None:
        return ""
    mine = int(arm_runs(results, arm)["n_days"].max())
    theirs = int(arm_runs(results, base_arm)["n_days"].max())
    return (
        f"over the first {days} days, which both ran (the scenario ran {mine}, "
        f"the baseline {theirs})"
    )


def _row(results: rf.SweepResults, arm: Arm, base_arm: Arm, outcome: Outcome) -> dict[str, Any]:
    days = common_days(results, arm, base_arm)
    x = arm_values(results, arm, outcome, days)
    low, high, method = bootstrap_ci(x.to_numpy())
    row = {
        **_base_fields(arm, base_arm),
        "outcome": outcome.name,
        "unit": outcome.unit,
        "better": outcome.better or "",
        "summary": "total per run" if outcome.summary == "sum" else f"{outcome.summary} per run",
        "n": len(x),
        "mean": float(x.mean()),
        "ci_low": low,
        "ci_high": high,
        "ci_method": method,
        "n_pairs": 0,
        "diff": math.nan,
        "diff_ci_low": math.nan,
        "diff_ci_high": math.nan,
        "diff_pct": math.nan,
        "verdict": "baseline" if arm == base_arm else "too few runs",
        "note": _horizon_note(results, arm, base_arm, days),
    }
    if arm == base_arm:
        return row
    b = arm_values(results, base_arm, outcome, days)
    pairs = x.index.intersection(b.index)
    d = (x[pairs] - b[pairs]).to_numpy()
    row["n_pairs"] = len(pairs)
    if len(pairs) < len(x) or len(pairs) < len(b):
        row["note"] = "; ".join(
            filter(None, [row["note"], "paired on the replicates both finished"])
        )
    if len(pairs) == 0:
        return row
    dlow, dhigh, _ = bootstrap_ci(d)
    bmean = float(b[pairs].mean())
    row.update(
        diff=float(d.mean()),
        diff_ci_low=dlow,
        diff_ci_high=dhigh,
        diff_pct=100 * float(d.mean()) / bmean if bmean else math.nan,
    )
    if len(pairs) >= 2:
        row["verdict"] = verdict(outcome, dlow, dhigh)
    if results.manifest.get("posterior"):
        # Replicate i = d * R + r ran draw d (see Sweep.jobs).
        per_draw = int(results.manifest["replicates"])
        row.update(variance_split(d, pairs.to_numpy() // per_draw))
    return row


def _cost_row(results: rf.SweepResults, arm: Arm, base_arm: Arm) -> dict[str, Any] | None:
    days = common_days(results, arm, base_arm)
    spend = arm_values(results, arm, OUTCOME_BY_NAME[SPEND], days)
    if spend.empty or not spend.mean() > 0:
        return None
    values = [
        arm_values(results, a, OUTCOME_BY_NAME[name], days)
        for a, name in ((base_arm, SPEND), (arm, CROSSINGS), (base_arm, CROSSINGS))
    ]
    row = _cost(arm, base_arm, spend, *values)
    horizon = _horizon_note(results, arm, base_arm, days)
    row["note"] = "; ".join(filter(None, [row["note"], horizon]))
    return row


def _cost(
    arm: Arm,
    base_arm: Arm,
    spend: pd.Series,
    base_spend: pd.Series,
    cross: pd.Series,
    base_cross: pd.Series,
) -> dict[str, Any]:
    pairs = cross.index.intersection(base_cross.index).intersection(base_spend.index)
    extra = (spend[pairs] - base_spend[pairs]).to_numpy()
    prevented = (base_cross[pairs] - cross[pairs]).to_numpy()
    row = {
        **_base_fields(arm, base_arm),
        "outcome": COST_OUTCOME,
        "unit": "EUR per crossing prevented",
        "better": "lower",
        "summary": "extra spend / crossings prevented",
        "n": len(spend),
        "n_pairs": len(pairs),
        "ci_method": "",
    }
    if len(pairs) == 0:
        return {**row, "mean": math.nan, "note": "no replicate finished in both"}
    p_low, p_high, _ = bootstrap_ci(prevented)
    mean_prevented = float(prevented.mean())
    spent = f"{extra.mean():,.0f} EUR more spent a run"
    if not mean_prevented > 0:
        more = (
            "as many crossings as the baseline"
            if mean_prevented == 0
            else f"{-mean_prevented:,.1f} more crossings a run than the baseline"
        )
        note = f"no crossings prevented: {more} ({spent})"
        return {**row, "mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "note": note}
    ratio = float(extra.mean()) / mean_prevented
    note = (
        f"{mean_prevented:,.1f} crossings prevented a run "
        f"(95% CI {p_low:,.1f} to {p_high:,.1f}); {spent}"
    )
    if not p_low > 0:
        return {
            **row,
            "mean": ratio,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "note": "crossings not clearly prevented (their interval holds zero), so the cost "
            "per crossing prevented has no upper bound; " + note,
        }
    low, high, method = bootstrap_ci(extra, prevented, statistic=ratio_of_means)
    return {**row, "mean": ratio, "ci_low": low, "ci_high": high, "ci_method": method, "note": note}


def number(value: float) -> str:
    """A number for a table: thousands separated, three significant digits below 100."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def interval(low: float, high: float) -> str:
    """``[low, high]``, or empty when undefined."""
    if math.isnan(low) and math.isnan(high):
        return ""
    return f"[{number(low)}, {number(high)}]"


def format_table(table: pd.DataFrame, outcomes: Sequence[Outcome]) -> str:
    """The comparison as text: one block an outcome, then the costs."""
    lines = []
    width = max(12, *(len(label) for label in table["label"]))
    plain = table[(table["outcome"] != COST_OUTCOME) & (table["note"].fillna("") != "")]
    notes = plain[["label", "note"]].drop_duplicates()
    if not notes.empty:
        lines.append("Notes:")
        lines.extend(f"  {r.label}: {r.note}" for r in notes.itertuples(index=False))
    for outcome in outcomes:
        part = table[table["outcome"] == outcome.name]
        if part.empty:
            continue
        good = f"; {outcome.better} is better" if outcome.better else ""
        lines.append(
            f"\n{outcome.name}: {outcome.doc} ({outcome.unit}, {part['summary'].iloc[0]}{good})"
        )
        lines.append(
            f"  {'scenario':<{width}}  {'mean':>10} {'95% CI':<22} {'vs baseline':>12} "
            f"{'95% CI':<22} {'change':>8}  verdict"
        )
        for r in part.itertuples(index=False):
            pct = "" if math.isnan(r.diff_pct) else f"{r.diff_pct:+.1f}%"
            lines.append(
                f"  {r.label:<{width}}  {number(r.mean):>10} {interval(r.ci_low, r.ci_high):<22} "
                f"{'' if math.isnan(r.diff) else number(r.diff):>12} "
                f"{interval(r.diff_ci_low, r.diff_ci_high):<22} {pct:>8}  {r.verdict}"
            )
            split = getattr(r, "share_parameters", math.nan)
            if isinstance(split, float) and not math.isnan(split):
                lines.append(
                    f"  {'':<{width}}  over {r.draws:.0f} posterior draws: "
                    f"{100 * split:.0f}% of the effect's variance from the parameters, "
                    f"{100 - 100 * split:.0f}% from luck; sign robust: {r.sign_robust} "
                    f"({100 * r.sign_share:.0f}% of draws)"
                )
    cost = table[table["outcome"] == COST_OUTCOME]
    if not cost.empty:
        lines.append(
            "\nCost-effectiveness: extra euros spent per crossing prevented, against the baseline"
        )
        for r in cost.itertuples(index=False):
            if math.isnan(r.mean):
                lines.append(f"  {r.label:<{width}}  {r.note}")
                continue
            ci = interval(r.ci_low, r.ci_high) or "(interval unbounded)"
            lines.append(f"  {r.label:<{width}}  {number(r.mean)} EUR {ci}")
            lines.append(f"  {'':<{width}}    {r.note}")
    return "\n".join(lines).lstrip("\n")
