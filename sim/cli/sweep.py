"""``calais-sim sweep``: run scenarios many times, locally or on a Dask cluster."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from sim.cli.options import (
    add_scenario_options,
    add_scheduler_options,
    positive_arg,
    scenario_overrides,
)
from sim.errors import EXIT_OK, RunFailed, UsageError, clear_stops, exit_code

DEFAULT_REPLICATES = 10


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run scenarios many times (over a grid of parameters, if given), locally or on Dask."""
    from sim.runs import results as rf
    from sim.runs.executors import default_workers
    from sim.runs.store import Stopped
    from sim.runs.sweep import run_sweep

    out = Path(args.out)
    sweep = _plan(args, out)
    jobs = sweep.jobs()
    where = (
        f"the Dask cluster at {args.scheduler}"
        if args.scheduler
        else f"{args.workers or default_workers()} local process(es)"
    )
    points = len(sweep.points())
    drawn = f"{sweep.draws} posterior draw(s) x " if sweep.posterior else ""
    print(
        f"sweep: {len(sweep.scenarios)} scenario(s) x {points} grid point(s) x {drawn}"
        f"{sweep.replicates} replicate(s) = {len(jobs)} runs, root seed {sweep.seed}, "
        f"on {where}, into {out}/",
        flush=True,
    )
    try:
        report = run_sweep(
            sweep,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            overwrite=args.overwrite,
            progress=not args.quiet,
        )
    except Stopped as exc:
        clear_stops()  # honoured here: the runs finished are kept and said
        done = f"{exc.report.finished} of {len(jobs)} runs kept" if exc.report else "stopped"
        print(
            f"calais-sim: stopped ({signal.Signals(exc.signum).name}): {done} in {out}/; "
            f"finish with: calais-sim sweep --resume --out {out}",
            file=sys.stderr,
        )
        return exit_code(exc.signum)
    resumed = f" ({report.before} from before)" if report.before else ""
    print(
        f"{report.finished} runs{resumed}: {report.ok} finished, {len(report.failed)} failed, "
        f"{report.seconds:.0f} s; results in {out}/ (runs.parquet, timeseries/, manifest.json)"
    )
    if report.failed:
        first = "; ".join(f"{r}: {e}" for r, e in report.failed[:3])
        raise RunFailed(
            f"{len(report.failed)} of {report.planned} runs failed (status and error in "
            f"{out / rf.RUNS}; `--resume` runs them again): {first}"
        )
    print(f"compare them: calais-sim compare {out}")
    return EXIT_OK


def _plan(args: argparse.Namespace, out: Path) -> Any:
    """The sweep the options describe: planned from scenario files, or, with ``--resume``
    alone, as the manifest in ``out`` records it."""
    from sim.runs import results as rf
    from sim.runs.plan import Sweep, parse_grid, plan_sweep

    rf.check_out_folder(out)
    if args.scenarios:
        sweep = plan_sweep(
            args.scenarios,
            args.replicates or DEFAULT_REPLICATES,
            args.seed,
            scenario_overrides(args),
            parse_grid(args.grid),
            args.posterior,
            args.draws,
        )
    elif args.resume:
        if (
            args.replicates
            or args.grid
            or args.overrides
            or args.days
            or args.seed is not None
            or args.posterior
            or args.draws
        ):
            raise UsageError(
                "--resume without scenario files takes the sweep as it was planned: "
                "give no --replicates, --seed, --days, --set, --grid, --posterior or --draws"
            )
        if not (out / rf.MANIFEST).exists():
            raise UsageError(
                f"--resume: {out} holds no sweep to finish; give the scenario files to start one"
            )
        sweep = Sweep.from_manifest(rf.read_manifest(out))
    else:
        raise UsageError("give scenario files (or --resume --out DIR to finish a stopped sweep)")
    return sweep


def add_parser(subparsers: Any) -> None:
    """Add ``sweep`` to the command line."""
    p = subparsers.add_parser(
        "sweep",
        help="run scenarios many times, locally or on a Dask cluster",
        description=cmd_sweep.__doc__
        + " Each finished run is written at once; a stopped sweep is finished with --resume. "
        "Exit codes: 0 every run finished, 1 some failed, 2 bad input, 130 Ctrl-C "
        "(143 SIGTERM).",
    )
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenario files (TOML)")
    p.add_argument(
        "--replicates",
        type=positive_arg,
        metavar="R",
        help=f"runs per scenario and grid point (default {DEFAULT_REPLICATES})",
    )
    add_scenario_options(p)
    for action in p._actions:  # the shared option means something more here
        if action.dest == "seed":
            action.help = (
                "root seed: replicate i of every scenario uses child i of SeedSequence(SEED) "
                "(default: the first scenario's seed)"
            )
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="vary a parameter over these values in every scenario (repeatable: full factorial)",
    )
    p.add_argument(
        "--posterior",
        metavar="FILE",
        help="a calibration's posterior.parquet: run --draws parameter sets drawn from it by "
        "weight (seeded from the root seed, the same for every scenario), --replicates runs each",
    )
    p.add_argument(
        "--draws",
        type=positive_arg,
        metavar="D",
        help="parameter sets to draw from --posterior (default 20)",
    )
    add_scheduler_options(p)
    p.add_argument(
        "--out", default="results/sweep", help="output directory (default results/sweep)"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="finish the sweep in --out: make only the runs it lacks (and again those that failed)",
    )
    p.add_argument(
        "--force",
        "--overwrite",
        dest="overwrite",
        action="store_true",
        help="replace the sweep (finished or not) in --out",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
