"""``calais-sim sensitivity``: global sensitivity analysis (Morris or Sobol)."""

from __future__ import annotations

import argparse
from typing import Any

from sim.cli.options import (
    add_scheduler_options,
    add_set_option,
    days_arg,
    lazy_choice,
    positive_arg,
    seed_arg,
)
from sim.errors import EXIT_OK
from sim.evidence.defaults import SCENARIO_FILE, SENSITIVITY_METHODS
from sim.evidence.defaults import SENSITIVITY_DAYS as DEFAULT_DAYS
from sim.evidence.defaults import SENSITIVITY_OUTCOMES as DEFAULT_OUTCOMES
from sim.evidence.defaults import SENSITIVITY_REPLICATES as DEFAULT_REPLICATES
from sim.evidence.defaults import SENSITIVITY_SAMPLES as DEFAULT_SAMPLES


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Global sensitivity analysis (Morris screening or Sobol indices) of the model's main
    parameters and the measures' strengths."""
    from sim.evidence.sensitivity import DUMMY, FACTORS, run_analysis
    from sim.scenario.loading import load_scenario

    overrides = [*args.overrides, f"days={args.days}"]
    scenario = load_scenario(args.scenario, overrides)
    samples = args.samples or DEFAULT_SAMPLES[args.method]
    k = len(FACTORS)
    points = samples * (k + 1) if args.method == "morris" else samples * (k + 2)
    print(
        f"sensitivity ({args.method}): {k} factors, {points} design points x {args.replicates} "
        f"replicates = {points * args.replicates} runs of {scenario.name} ({args.days} days), "
        f"seed {args.seed}, into {args.out}/",
        flush=True,
    )
    indices = run_analysis(
        scenario,
        args.out,
        args.method,
        samples,
        args.replicates,
        args.seed,
        FACTORS,
        args.outcomes or DEFAULT_OUTCOMES,
        args.workers,
        args.scheduler,
        args.resume,
        args.overwrite,
        not args.quiet,
    )
    main = "mu_star" if args.method == "morris" else "ST"
    for outcome, part in indices.groupby("outcome", sort=False):
        top = part.sort_values(main, ascending=False).head(5)
        dummy = part.loc[part["factor"] == DUMMY, main]
        ranked = ", ".join(f"{r.factor} {getattr(r, main):.3g}" for r in top.itertuples())
        floor = f" (dummy {dummy.iloc[0]:.3g})" if len(dummy) else ""
        print(f"  {outcome}: {ranked}{floor}")
    print(f"indices in {args.out}/indices.csv, plot in {args.out}/sensitivity.png")
    return EXIT_OK


def add_parser(subparsers: Any) -> None:
    """Add ``sensitivity`` to the command line."""

    p = subparsers.add_parser(
        "sensitivity",
        help="global sensitivity analysis (SALib: Morris or Sobol)",
        description=cmd_sensitivity.__doc__
        + " The design, the runs (resumable), the indices (CSV) and a plot go into --out.",
    )
    p.add_argument("--method", choices=SENSITIVITY_METHODS, default="morris", help="default morris")
    p.add_argument(
        "--samples",
        type=positive_arg,
        metavar="N",
        help="Morris trajectories (default 10) or Sobol base samples, a power of 2 (default 16)",
    )
    p.add_argument(
        "--replicates",
        type=positive_arg,
        default=DEFAULT_REPLICATES,
        metavar="R",
        help=f"runs per design point, averaged (default {DEFAULT_REPLICATES})",
    )
    p.add_argument("--seed", type=seed_arg, default=0, help="seed of the design and runs")
    p.add_argument(
        "--scenario",
        default=str(SCENARIO_FILE),
        help="scenario file (default scenarios/calais-2015.toml, which has every measure varied)",
    )
    p.add_argument(
        "--days", type=days_arg, default=DEFAULT_DAYS, help=f"days a run (default {DEFAULT_DAYS})"
    )
    p.add_argument(
        "--outcome",
        dest="outcomes",
        action="append",
        type=lazy_choice(_outcome_names),
        metavar="NAME",
        help=f"an outcome to analyse (repeatable; default {', '.join(DEFAULT_OUTCOMES)})",
    )
    add_set_option(p, "override a parameter that is not a factor (repeatable)")
    add_scheduler_options(p)
    p.add_argument("--out", default="results/sensitivity", help="output directory")
    p.add_argument("--resume", action="store_true", help="finish a stopped analysis in --out")
    p.add_argument(
        "--overwrite", action="store_true", help="replace an unfinished analysis in --out"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sensitivity)


def _outcome_names() -> list[str]:
    """The outcomes' names (imports the model's outcome table)."""
    from sim.model.outcomes import OUTCOME_BY_NAME

    return list(OUTCOME_BY_NAME)
