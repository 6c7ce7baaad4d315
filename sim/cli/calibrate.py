"""``calais-sim calibrate``: fit the free parameters to the 2015 record."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

from sim.cli.options import add_scheduler_options, add_set_option, positive_arg, seed_arg
from sim.errors import EXIT_OK, UsageError
from sim.evidence.defaults import CALIBRATE_MAXITER as DEFAULT_MAXITER
from sim.evidence.defaults import CALIBRATE_POPSIZE as DEFAULT_POPSIZE
from sim.evidence.defaults import CALIBRATE_REPLICATES as DEFAULT_REPLICATES
from sim.evidence.defaults import CALIBRATION_FILE, SCENARIO_FILE, TARGETS_FILE


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the free parameters to the 2015 record and write the fit to --out (default
    results/calibration.toml); the packaged defaults (sim/data/calibration.toml) are replaced
    only with --update-defaults."""
    if args.method == "abc":
        from sim.cli.calibrate_abc import cmd_abc

        return cmd_abc(args)
    from sim.evidence.calibration import Evaluator, dask_client, fit, free_parameters
    from sim.evidence.calibration_file import calibration_document, write_calibration
    from sim.evidence.targets import load_targets
    from sim.runs.results import command_line
    from sim.scenario.loading import load_scenario

    targets_path = Path(args.targets)
    targets = [t for t in load_targets(targets_path) if t.role == "calibration"]
    if not targets:
        raise UsageError(f"{targets_path}: no target has role = 'calibration'")
    scenario = load_scenario(args.scenario, args.overrides)
    seed = scenario.seed if args.seed is None else args.seed
    free = free_parameters(args.also_fit)
    _announce(args, scenario, targets, seed, len(free))
    with dask_client(args.scheduler) as client:
        evaluator = Evaluator(scenario, targets, args.replicates, seed, args.workers, client)
        cal = fit(
            evaluator,
            free,
            popsize=args.popsize,
            maxiter=args.maxiter,
            seed=seed,
            report=None if args.quiet else (lambda line: print(line, flush=True)),
        )
    cal.targets_sha256 = hashlib.sha256(targets_path.read_bytes()).hexdigest()
    out = Path(args.out or "results/calibration.toml")
    document = calibration_document(cal, command_line())
    written = [out, *([CALIBRATION_FILE] if args.update_defaults else [])]
    for path in dict.fromkeys(written):
        write_calibration(path, document)
    _print_fit(cal, free)
    print(f"\nwritten to {', '.join(str(p) for p in dict.fromkeys(written))}")
    if CALIBRATION_FILE in {p.resolve() for p in written}:
        print(
            "the defaults in sim/params.py now come from it: regenerate the parameter reference "
            "with `python -m sim.scenario.schema > docs/scenarios.md`, then `calais-sim validation`"
        )
    else:
        print("(the packaged defaults left as they are: --update-defaults replaces them)")
    return EXIT_OK


def _announce(
    args: argparse.Namespace, scenario: Any, targets: list[Any], seed: int, n_free: int
) -> None:
    """Say what the fit will do, and at most how many runs it takes."""
    from sim.runs.executors import default_workers

    where = (
        f"Dask at {args.scheduler}"
        if args.scheduler
        else (f"{args.workers or default_workers()} local process(es)")
    )
    per_gen = args.popsize * n_free
    print(
        f"calibrate: {n_free} parameters to {len(targets)} targets; scenario {scenario.name}, "
        f"{args.replicates} replicates (root seed {seed}), differential evolution with "
        f"{per_gen} vectors a generation, a first population and at most {args.maxiter} "
        f"generations (at most {per_gen * (args.maxiter + 1) * args.replicates} runs), "
        f"on {where}",
        flush=True,
    )


def _print_fit(cal: Any, free: Any) -> None:
    """The fitted values beside the hand-set ones, the fit per target, and the objective."""
    from sim.evidence.calibration import SIGNIFICANT
    from sim.evidence.calibration_file import fit_table

    print(f"\nfitted in {cal.seconds:.0f} s ({cal.runs} runs):")
    for p in free:
        tied = f"; also sets {', '.join(p.also)}" if p.also else ""
        print(f"  {p.key:<36} {cal.fitted.values[p.key]:<10.4g} (hand-set {p.start:g}{tied})")
    print()
    print(fit_table(cal.fitted.fits, cal.start.fits))
    search = f"{cal.history[-1]:.3f}" if cal.history else "n/a"
    print(
        f"THE OBJECTIVE (sum of z^2 at the fitted values as written, rounded to "
        f"{SIGNIFICANT} significant digits): {cal.fitted.objective:.3f}; the search's best, at "
        f"unrounded values and printed per generation above, was {search}"
    )
    print(
        f"(at the hand-set values: objective {cal.start.objective:.3f}, averaged relative "
        f"difference {cal.start.ard:.1%})"
    )


def add_parser(subparsers: Any) -> None:
    """Add ``calibrate`` to the command line."""
    p = subparsers.add_parser(
        "calibrate",
        help="fit the free parameters to the 2015 record",
        description=cmd_calibrate.__doc__
        + " The defaults take 3 to 10 minutes on 2 cores; --popsize, --maxiter and "
        "--replicates trade time for precision.",
    )
    p.add_argument(
        "--scenario",
        default=str(SCENARIO_FILE),
        help="the scenario the record describes (default scenarios/calais-2015.toml)",
    )
    p.add_argument("--targets", default=str(TARGETS_FILE), help="targets file (TOML)")
    _add_search_options(p)
    add_scheduler_options(p)
    add_set_option(p, "override a parameter of the scenario that is not fitted (repeatable)")
    p.add_argument(
        "--out",
        help="where to write the calibration (default results/calibration.toml; with --method "
        "abc a folder, default results/abc/)",
    )
    p.add_argument(
        "--update-defaults",
        action="store_true",
        help="also replace the packaged defaults (sim/data/calibration.toml, which the "
        "parameters' defaults are read from) with the fit",
    )
    p.add_argument("--quiet", action="store_true", help="no line per generation")
    p.add_argument(
        "--method",
        choices=("point", "abc"),
        default="point",
        help="point: one best vector by differential evolution (default); abc: a posterior by "
        "ABC-SMC (pyabc), see --population",
    )
    from sim.cli.calibrate_abc import add_options

    add_options(p)
    p.set_defaults(func=cmd_calibrate)


def _add_search_options(p: argparse.ArgumentParser) -> None:
    """The options of the search: replicates, seed, population and generations."""
    p.add_argument(
        "--replicates",
        type=positive_arg,
        default=DEFAULT_REPLICATES,
        metavar="R",
        help=f"runs per parameter vector, same seeds for every vector (default "
        f"{DEFAULT_REPLICATES})",
    )
    p.add_argument("--seed", type=seed_arg, help="root seed (default: the scenario's)")
    p.add_argument(
        "--also-fit",
        action="append",
        default=[],
        metavar="KEY",
        help="also fit a parameter that is normally set (repeatable; "
        "behaviour.crowd_weight or behaviour.success_weight), to test a mechanism against "
        "the record",
    )
    p.add_argument(
        "--popsize",
        type=positive_arg,
        default=DEFAULT_POPSIZE,
        metavar="P",
        help=f"vectors a generation, per free parameter (default {DEFAULT_POPSIZE})",
    )
    p.add_argument(
        "--maxiter",
        type=positive_arg,
        default=DEFAULT_MAXITER,
        metavar="N",
        help=f"most generations after the first (default {DEFAULT_MAXITER})",
    )
