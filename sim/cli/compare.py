"""``calais-sim compare``: a sweep's scenarios against a baseline."""

from __future__ import annotations

import argparse
import io
import sys
from typing import Any

from sim.errors import EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare a sweep's scenarios with a baseline: means, paired differences, costs."""
    from sim.model.outcomes import MAIN_OUTCOMES
    from sim.runs import results as rf
    from sim.runs.arms import check_baseline, choose_baseline, choose_outcomes
    from sim.runs.compare import compare, format_table
    from sim.runs.compare_figure import figure

    results = rf.load(args.dir)
    baseline = choose_baseline(results, args.baseline)
    check_baseline(results, baseline, args.allow_changed_baseline)
    shown = choose_outcomes(args.metric, MAIN_OUTCOMES)
    table = compare(results, baseline, args.metric or None)
    out = results.folder
    rf.write_bytes(out / "comparison.csv", table.to_csv(index=False).encode())
    fig = figure(results, table, baseline, shown)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    rf.write_bytes(out / "comparison.png", buf.getvalue())
    n = results.ok_runs.groupby("scenario").size()
    each = f"{n.min()}" if n.min() == n.max() else f"{n.min()} to {n.max()}"
    print(
        f"{len(results.scenarios)} scenarios from {out}/ ({each} finished runs each), against "
        f"{baseline}; means with 95% bootstrap intervals; differences paired by replicate"
    )
    if not results.failed_runs.empty:
        print(f"note: {len(results.failed_runs)} failed runs left out", file=sys.stderr)
    print(format_table(table, shown))
    print(f"\ntable: {out / 'comparison.csv'}; figure: {out / 'comparison.png'}")
    return EXIT_OK


def add_parser(subparsers: Any) -> None:
    """Add ``compare`` to the command line."""
    p = subparsers.add_parser(
        "compare",
        help="compare a sweep's scenarios with a baseline",
        description=cmd_compare.__doc__
        + " Writes DIR/comparison.csv (every outcome, or those of --metric) and "
        "DIR/comparison.png.",
    )
    p.add_argument("dir", metavar="DIR", help="a sweep's directory")
    p.add_argument(
        "--baseline", help="the scenario compared with (default: 'baseline' if run, else the first)"
    )
    p.add_argument(
        "--metric",
        action="extend",
        type=lambda text: [m.strip() for m in text.split(",") if m.strip()],
        metavar="M",
        help="an outcome to compare (repeatable, or comma-separated; default: the main outcomes "
        "on screen and in the figure, every outcome in the CSV)",
    )
    p.add_argument(
        "--allow-changed-baseline",
        action="store_true",
        help="compare even when a --set or --grid changed a measure of the baseline "
        "(refused by default: the baseline would no longer be the reference)",
    )
    p.set_defaults(func=cmd_compare)
