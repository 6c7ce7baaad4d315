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
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UsageError, setting
from sim.model.outcomes import OUTCOME_BY_NAME, OUTCOMES, Outcome
from sim.runs import results as rf
from sim.scenario.loading import suggest

BOOTSTRAP_SEED = 20150702
N_RESAMPLES = 9999
CONFIDENCE = 0.95
COST_OUTCOME = "eur_per_crossing_prevented"
"""The pseudo-outcome of the cost-effectiveness rows of the comparison table."""
CROSSINGS, SPEND = "crossings_total", "spend_eur"
COLOURS = {"better": "#2a9d3a", "worse": "#c0392b"}
NEUTRAL = "0.45"


def bootstrap_ci(*samples: np.ndarray, statistic: Any = None) -> tuple[float, float, str]:
    """A 95% bootstrap confidence interval and the method that gave it.

    Args:
        samples: one sample (the interval is of its mean), or several paired samples of equal
            length for ``statistic``.
        statistic: a vectorised ``f(*samples, axis)``; default the mean.

    Returns:
        (low, high, method): ``BCa``, ``percentile`` where BCa is undefined, ``constant`` when
        every value is the same (the interval is that value), or NaNs and ``""`` below 2 values.
    """
    from scipy import stats

    data = [np.asarray(s, dtype=float) for s in samples]
    n = len(data[0])
    if n < 2:
        return math.nan, math.nan, ""
    if statistic is None:
        statistic = np.mean
        if np.all(data[0] == data[0][0]):
            return float(data[0][0]), float(data[0][0]), "constant"
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = stats.bootstrap(
                tuple(data),
                statistic,
                n_resamples=N_RESAMPLES,
                confidence_level=CONFIDENCE,
                method=method,
                paired=len(data) > 1,
                vectorized=True,
                rng=np.random.default_rng(BOOTSTRAP_SEED),
            )
        low, high = (float(v) for v in res.confidence_interval)
        if math.isfinite(low) and math.isfinite(high):
            return low, high, method
    return math.nan, math.nan, ""


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


def direction(low: float, high: float) -> str:
    """``higher``, ``lower`` or ``unclear`` from a difference's interval."""
    if low > 0:
        return "higher"
    if high < 0:
        return "lower"
    return "unclear"


def verdict(outcome: Outcome, low: float, high: float) -> str:
    """``better``/``worse`` for outcomes with a good direction, else ``higher``/``lower``;
    ``no clear difference`` when the interval holds zero."""
    way = direction(low, high)
    if way == "unclear" or math.isnan(low):
        return "no clear difference"
    if outcome.better is None:
        return way
    return "better" if way == outcome.better else "worse"


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
        ``note`` (see ``results/README.md``); after each scenario that spends money, a row whose
        outcome is ``eur_per_crossing_prevented``.
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
    return row


def _ratio_of_means(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) / np.mean(b, axis=axis)


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
    low, high, method = bootstrap_ci(extra, prevented, statistic=_ratio_of_means)
    return {**row, "mean": ratio, "ci_low": low, "ci_high": high, "ci_method": method, "note": note}


# --- on screen --------------------------------------------------------------------------------


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


# --- the figure -------------------------------------------------------------------------------


def figure(
    results: rf.SweepResults, table: pd.DataFrame, baseline: str, outcomes: Sequence[Outcome]
) -> Any:
    """Bands over time for each scenario against the baseline (the first outcome), then the
    paired differences from the baseline with their intervals, one panel an outcome."""
    import matplotlib.pyplot as plt

    from sim.runs.plots import band

    others = [a for a in arms(results, baseline) if a.scenario != baseline]
    first = outcomes[0]
    cols = min(5, max(1, len(others)))
    top_rows = max(1, math.ceil(len(others) / cols))
    panels = len(outcomes) + 1  # and the cost-effectiveness panel
    fcols = min(4, panels)
    frows = math.ceil(panels / fcols)
    forest_h = 0.9 + 0.24 * max(1, len(others))
    fig = plt.figure(
        figsize=(4 * max(cols, fcols), 2.6 * top_rows + forest_h * frows + 0.8),
        layout="constrained",
    )
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.6 * top_rows, forest_h * frows])
    cumulative = first.summary == "sum"
    top.suptitle(
        f"{first.name.replace('_', ' ')}{' (cumulative)' if cumulative else ''}: median and "
        f"5-95% band over replicates; the baseline"
        f"{'' if baseline == 'baseline' else f' ({baseline})'} dashed grey",
        fontsize=10,
    )
    axes = np.atleast_1d(top.subplots(top_rows, cols, squeeze=False)).ravel()
    for ax, arm in zip(axes, others, strict=False):
        runs = _frames(results, arm)
        base = _frames(results, baseline_arm(results, arm, baseline))
        if base:
            band(ax, base[0]["date"], base, first.name, cumulative, "0.55", None, "--")
        if runs:
            band(ax, runs[0]["date"], runs, first.name, cumulative, "#1f77b4", None, "-")
        ax.set_title(wrap(arm.label), fontsize=8)
        if first.unit == "EUR":
            eur_millions(ax.yaxis)
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes[len(others) :]:
        ax.set_visible(False)
    bottom.suptitle(
        "Paired difference from the baseline (scenario - baseline, per run), mean and 95% CI: "
        "green better, red worse",
        fontsize=10,
    )
    faxes = np.atleast_1d(bottom.subplots(frows, fcols, squeeze=False)).ravel()
    for ax, outcome in zip(faxes, outcomes, strict=False):
        _forest(ax, table, outcome, others)
    _cost_panel(faxes[len(outcomes)], table, others)
    for ax in faxes[panels:]:
        ax.set_visible(False)
    notes = sorted(
        {
            f"{label}: {m.group(0)}"
            for label, note in zip(table["label"], table["note"].fillna(""), strict=True)
            if (m := re.search(r"over the first \d+ days, which both ran \([^)]*\)", note))
        }
    )
    if notes:
        fig.supxlabel(
            "Compared over the common days only: " + "; ".join(notes), fontsize=8, style="italic"
        )
    return fig


def wrap(label: str, width: int = 38) -> str:
    """A scenario label broken into lines so that a panel's title is not clipped."""
    import textwrap

    return "\n".join(textwrap.wrap(label, width, break_on_hyphens=False)) or label


def eur_millions(axis: Any) -> None:
    """Tick labels in millions of euros (``2.5m``), never an offset such as ``1e7``."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x / 1e6:,.3g}m"))


def _cost_panel(ax: Any, table: pd.DataFrame, others: list[Arm]) -> None:
    """Euros per crossing prevented (with its interval) and per death prevented (ratio of the
    mean extra spend to the mean deaths prevented), one row a scenario that spends money."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ys = np.arange(len(others))[::-1]
    by = table.set_index(["label", "outcome"])
    for y, arm in zip(ys, others, strict=True):
        key = (arm.label, COST_OUTCOME)
        if key in by.index and not math.isnan(by.loc[key, "mean"]):
            r = by.loc[key]
            lo = r["ci_low"] if not math.isnan(r["ci_low"]) else r["mean"]
            hi = r["ci_high"] if not math.isnan(r["ci_high"]) else r["mean"]
            ax.errorbar(
                r["mean"],
                y + 0.15,
                xerr=[[r["mean"] - lo], [hi - r["mean"]]],
                fmt="o",
                color="#1f77b4",
                ms=4,
                capsize=2,
            )
        spend, deaths = (arm.label, "spend_eur"), (arm.label, "deaths")
        if spend in by.index and deaths in by.index:
            extra, prevented = by.loc[spend, "diff"], -by.loc[deaths, "diff"]
            if extra > 0 and prevented > 0:
                ax.plot(extra / prevented, y - 0.15, "s", color="#8c2d8c", ms=4)
    ax.plot([], [], "s", color="#8c2d8c", ms=4, label="per death prevented (means)")
    ax.plot([], [], "o", color="#1f77b4", ms=4, label="per crossing prevented (95% CI)")
    ax.set_yticks(ys, [wrap(a.label, 30) for a in others], fontsize=7)
    if any(line.get_xdata().size for line in ax.get_lines()):
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: f"{x / 1e6:,.3g}m" if abs(x) >= 1e6 else f"{x / 1e3:,.0f}k")
    )
    ax.set_ylim(-0.6, len(others) - 0.4)
    ax.set_title("Cost-effectiveness (EUR extra spent per ... prevented)", fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=6, loc="best")


def _frames(results: rf.SweepResults, arm: Arm) -> list[pd.DataFrame]:
    return results.replicate_frames(arm.scenario, **dict(arm.point))


def _forest(ax: Any, table: pd.DataFrame, outcome: Outcome, others: list[Arm]) -> None:
    part = table[table["outcome"] == outcome.name].set_index("label")
    ys = np.arange(len(others))[::-1]
    for y, arm in zip(ys, others, strict=True):
        if arm.label not in part.index:
            continue
        r = part.loc[arm.label]
        if math.isnan(r["diff"]):
            continue
        colour = COLOURS.get(r["verdict"], NEUTRAL)
        low = r["diff"] - r["diff_ci_low"] if not math.isnan(r["diff_ci_low"]) else 0
        high = r["diff_ci_high"] - r["diff"] if not math.isnan(r["diff_ci_high"]) else 0
        ax.errorbar(r["diff"], y, xerr=[[low], [high]], fmt="o", color=colour, ms=4, capsize=2)
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(ys, [wrap(a.label, 30) for a in others], fontsize=7)
    if outcome.unit == "EUR":
        eur_millions(ax.xaxis)
    how = "total" if outcome.summary == "sum" else outcome.summary
    ax.set_title(f"{outcome.name} ({outcome.unit}, {how} a run)", fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
