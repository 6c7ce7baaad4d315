"""``calais-sim run``: one scenario, its results written to a folder."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.cli.options import add_scenario_options, positive_arg, scenario_overrides
from sim.cli.startup import collector_off
from sim.errors import EXIT_OK, UsageError, check_stop

RUN_FILES = ("timeseries.parquet", "overview.png", "manifest.json")
"""The files ``calais-sim run`` writes into its output directory."""
RUN_MODULES = ("tqdm", "sim.model", "sim.runs.single", "pyarrow.parquet")
"""What a run imports, all at once once the scenario and the output folder are known good (the
figure's modules are imported by the process that draws it, see sim.runs.overview_process)."""


def check_out_dir(out: Path, force: bool = False) -> None:
    """Refuse an output directory the run could not write, or would damage, before running.

    It must be a directory (or not exist yet, under a directory that can be written), and hold
    nothing but an earlier run's files: a sweep's directory or any other folder is refused, and
    an earlier run is written over only with ``force``.
    """
    from sim.runs.files import check_out_folder

    check_out_folder(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    parent = out
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"--out {out}: {parent} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: cannot write in {parent}")
    if not out.exists():
        return
    foreign = sorted(
        p.name
        for p in out.iterdir()
        if p.name not in RUN_FILES and not (p.name.startswith(".") and p.name.endswith(".tmp"))
    )
    if foreign:
        raise UsageError(
            f"--out {out}: holds files that are not a run's results ({', '.join(foreign[:3])}"
            f"{', ...' if len(foreign) > 3 else ''}); choose another directory"
        )
    manifest = out / "manifest.json"
    if manifest.exists():
        try:
            kind = json.loads(manifest.read_text()).get("kind")
        except (OSError, ValueError, AttributeError):
            kind = None
        if kind != "run":
            raise UsageError(
                f"--out {out}: {manifest} is not a run's manifest; choose another directory"
            )
        if not force:
            raise UsageError(
                f"--out {out}: holds an earlier run's results; add --force to write over them, "
                "or choose another --out"
            )


def remove_temporary_files(out: Path) -> None:
    """Remove what an interrupted write may have left: ``.<file>.*.tmp`` beside the run's files."""
    for name in RUN_FILES:
        for tmp in out.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario and write its results.

    With ``--replicates R`` (R > 1) the scenario also runs R more times, seeded with the children
    of ``SeedSequence(seed)`` (as replicates 0..R-1 of ``calais-sim sweep`` with that root seed),
    and each outcome is printed as its mean over them with two 95% intervals: of the mean
    (bootstrap) and of a single run (the central 95% of the replicates). The files written are
    those of the run seeded by the seed itself, the same as without ``--replicates``; the
    manifest adds the replicates' summary under ``replicates``.
    """
    from sim.runs.overview_process import OverviewProcess

    # First, while this process has one thread: it imports matplotlib on the other core while
    # Mesa is imported here.
    figure = OverviewProcess()
    try:
        return _run(args, figure)
    finally:
        figure.close()


def _run(args: argparse.Namespace, figure: Any) -> int:
    """The run of :func:`cmd_run`, its figure drawn by ``figure`` (an OverviewProcess)."""
    with collector_off():
        from sim.scenario.loading import load_scenario

    scenario = load_scenario(args.scenario, scenario_overrides(args))
    out = Path(args.out) if args.out else Path("results") / scenario.name
    check_out_dir(out, args.force)

    with collector_off():  # before the model makes objects of its own
        for module in RUN_MODULES:
            importlib.import_module(module)
    from sim.runs.replicates import replicate_spread

    frame, seq, wall = _simulate(scenario, args.quiet)
    title = f"{scenario.name}: {scenario.description}"
    figure.draw(frame, title)
    extra = {
        "scenario_name": scenario.name,
        "wall_seconds": round(wall, 3),
        "overrides": scenario_overrides(args),
    }
    spread = None
    if args.replicates > 1:
        spread = replicate_spread(scenario, args.replicates, args.workers)
        extra["replicates"] = {
            "count": args.replicates,
            "seeds": f"children 0..{args.replicates - 1} of SeedSequence({scenario.seed})",
            "outcomes": spread,
        }
    _write(out, frame, scenario, seq, extra, figure.png(frame, title))
    print(
        f"{scenario.name}: {scenario.days} days from {scenario.start_date}, seed "
        f"{scenario.seed}, {wall:.1f} s"
    )
    _print_outcomes(frame, spread, args.replicates)
    print(f"results in {out}/ (timeseries.parquet, manifest.json, overview.png)")
    return EXIT_OK


def _simulate(scenario: Any, quiet: bool) -> tuple[Any, Any, float]:
    """Run the scenario from its own seed, with a progress bar: the daily outcomes, the seed
    and the seconds it took."""
    import numpy as np
    from tqdm import tqdm

    from sim.model import CalaisModel

    seq = np.random.SeedSequence(scenario.seed)
    started = time.perf_counter()
    model = CalaisModel(scenario, seed=seq)
    with tqdm(
        total=scenario.days,
        unit="day",
        desc=scenario.name,
        disable=quiet or None,
        file=sys.stderr,
    ) as bar:
        frame = model.run(progress=lambda _day: (check_stop(), bar.update(1)))
    return frame, seq, time.perf_counter() - started


def _write(
    out: Path, frame: Any, scenario: Any, seq: Any, extra: dict[str, Any], png: bytes
) -> None:
    """Write the run's files, its overview figure (``png``) and manifest; nothing half-written
    is left."""
    from sim.runs.single import write_run

    check_stop()
    try:
        write_run(
            out,
            frame,
            scenario.to_toml(),
            {"seed": scenario.seed, "entropy": seq.entropy, "spawn_key": list(seq.spawn_key)},
            png,
            extra=extra,
        )
    except BaseException:  # stopped or failed part-way: no manifest, and no temporary files
        remove_temporary_files(out)
        raise


def _print_outcomes(frame: Any, spread: dict[str, Any] | None, replicates: int) -> None:
    """The main outcomes of the run, and with replicates their mean and intervals."""
    from sim.model.outcomes import MAIN_OUTCOMES, OUTCOME_BY_NAME, summarise

    totals = summarise(frame)
    if spread is None:
        for name in MAIN_OUTCOMES:
            o = OUTCOME_BY_NAME[name]
            how = "total" if o.summary == "sum" else "mean a day"
            print(f"  {name:<26} {totals[name]:>14,.0f}  {o.unit} ({how})")
        return
    print(
        f"  {'':<26} {'this run':>12} {f'mean of {replicates}':>14} "
        f"{'95% CI of the mean':>22} {'95% of runs':>22}"
    )
    for name in MAIN_OUTCOMES:
        o, s = OUTCOME_BY_NAME[name], spread[name]
        how = "total" if o.summary == "sum" else "mean a day"
        print(
            f"  {name:<26} {_number(totals[name]):>12} {_number(s['mean']):>14} "
            f"{_range(s['mean_ci95']):>22} {_range(s['runs95']):>22}  {o.unit} ({how})"
        )


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}"


def _range(pair: Sequence[float]) -> str:
    return f"{_number(pair[0])} - {_number(pair[1])}"


def add_parser(subparsers: Any) -> None:
    """Add ``run`` to the command line."""
    sub = subparsers
    run = sub.add_parser("run", help="run one scenario", description=cmd_run.__doc__)
    run.add_argument("scenario", help="scenario file (TOML)")
    add_scenario_options(run)
    run.add_argument("--out", help="output directory (default: results/<scenario name>)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--force", action="store_true", help="write over an earlier run's results in --out"
    )
    run.add_argument(
        "--replicates",
        type=positive_arg,
        default=1,
        metavar="R",
        help="also run R replicates and print each outcome with its 95%% intervals across them "
        "(default 1: the single run only)",
    )
    run.add_argument(
        "--workers",
        type=positive_arg,
        metavar="N",
        help="local processes for the replicates (default: one per CPU)",
    )
    run.set_defaults(func=cmd_run)
