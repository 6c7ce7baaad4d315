"""The command line: ``calais-sim run``, ``validate`` and the commands of the other modules.

Exit codes: 0 success, 1 a run failed, 2 bad input (one message naming the file, the key and
what is wrong; a traceback only with ``--debug``), 130 interrupted by Ctrl-C, 128 + the signal's
number when stopped by SIGTERM (143) or SIGHUP (129), which are handled as Ctrl-C is: what is
being written is abandoned whole (see ``docs/reliability.md``).

The heavy modules (numpy, pandas, the model) are imported only once the signal handlers are in
place, so that a stop early in start-up is handled too.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

EXTENSIONS: tuple[str, ...] = (
    "sim.runs.sweep",
    "sim.runs.compare",
    "sim.app.server",
    "sim.evidence.calibration",
    "sim.evidence.validation",
    "sim.evidence.sensitivity",
)
"""Modules that add commands: each has ``add_commands(subparsers)``."""


class UsageError(Exception):
    """Bad input on the command line that is not about a scenario file."""


class RunFailed(Exception):
    """A run (or some runs of a sweep) failed; the message says which."""


class Interrupted(KeyboardInterrupt):
    """Stopped by a signal other than Ctrl-C (SIGTERM, SIGHUP), handled as Ctrl-C is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


_pending_stops: list[int] = []
"""Stop signals received; kept so that a stop is honoured even when its exception was lost."""


def _stop(signum: int, _frame: object) -> None:
    _pending_stops.append(signum)
    raise Interrupted(signum)


def check_stop() -> None:
    """Raise the stop asked for by a signal whose exception was swallowed, if there is one.

    Python cannot raise out of a finalizer or weak-reference callback: a stop that lands there
    is only recorded, and this check, at safe points (between days, before writing), honours it.
    """
    if _pending_stops:
        raise Interrupted(_pending_stops[0])


def acknowledge_stops() -> None:
    """Forget the stops received so far: the command has handled them and said so (a stopped
    sweep reports what it kept), so they are not reported a second time as an interruption."""
    _pending_stops.clear()


def _quiet_lost_stops(hook: Any) -> Any:
    """An unraisable-exception hook that stays silent about stops (they are honoured later)."""

    def unraisable(info: Any) -> None:
        if not isinstance(info.exc_value, KeyboardInterrupt):
            hook(info)

    return unraisable


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """Within this block, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted`, so that writes
    in progress are abandoned whole and the exit is clean."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, *STOP_SIGNALS)}
    old_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_lost_stops(old_hook)
    try:
        yield
    finally:
        sys.unraisablehook = old_hook
        for sig, handler in old.items():
            signal.signal(sig, handler)


def bad_input_errors() -> tuple[type[Exception], ...]:
    """The exceptions that mean bad input (exit code 2) rather than a failed run."""
    from sim.runs.results import ResultsError
    from sim.scenario.loading import ScenarioError
    from sim.world.geography import MapError

    return (ScenarioError, MapError, ResultsError, UsageError)


def one_line(text: str) -> str:
    """A message on one line (some libraries' messages span several)."""
    return " ".join(str(text).split())


class Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line and exit code 2, without the usage."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


RUN_FILES = ("timeseries.parquet", "overview.png", "manifest.json")
"""The files ``calais-sim run`` writes into its output directory."""


def check_out_dir(out: Path, force: bool = False) -> None:
    """Refuse an output directory the run could not write, or would damage, before running.

    It must be a directory (or not exist yet, under a directory that can be written), and hold
    nothing but an earlier run's files: a sweep's directory or any other folder is refused, and
    an earlier run is written over only with ``force``.
    """
    from sim.runs.results import check_out_folder

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


def whole_number(text: str, minimum: int, what: str = "a whole number") -> int:
    """Parse a command-line whole number of at least ``minimum``, or say what is wrong."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}") from None
    if value < minimum:
        floor = "zero or more" if minimum == 0 else f"at least {minimum}"
        raise argparse.ArgumentTypeError(f"must be {floor}, not {value}")
    return value


def days_arg(text: str) -> int:
    """Parse a positive number of days."""
    return whole_number(text, 1, "a whole number of days")


def seed_arg(text: str) -> int:
    """Parse a non-negative seed."""
    return whole_number(text, 0)


def positive_arg(text: str) -> int:
    """Parse a whole number of at least 1 (replicates, workers, samples)."""
    return whole_number(text, 1)


def add_set_option(parser: argparse.ArgumentParser, help: str) -> None:
    """The repeatable ``--set KEY=VALUE`` option, collected in ``args.overrides``."""
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=help
    )


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that runs scenarios shares: --days, --seed, --set."""
    parser.add_argument("--days", type=days_arg, help="days to simulate (default: the file's)")
    parser.add_argument("--seed", type=seed_arg, help="seed (default: the file's)")
    add_set_option(
        parser,
        "override a parameter by its dotted key, e.g. policies.port_fencing.enabled=true "
        "or population.initial_migrants=10000 (repeatable)",
    )


def scenario_overrides(args: argparse.Namespace) -> list[str]:
    """The --set assignments plus --days and --seed as assignments."""
    extra = list(args.overrides)
    if args.days is not None:
        extra.append(f"days={args.days}")
    if args.seed is not None:
        extra.append(f"seed={args.seed}")
    return extra


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario and write its results.

    With ``--replicates R`` (R > 1) the scenario also runs R more times, seeded with the children
    of ``SeedSequence(seed)`` (as replicates 0..R-1 of ``calais-sim sweep`` with that root seed),
    and each outcome is printed as its mean over them with two 95% intervals: of the mean
    (bootstrap) and of a single run (the central 95% of the replicates). The files written are
    those of the run seeded by the seed itself, the same as without ``--replicates``; the
    manifest adds the replicates' summary under ``replicates``.
    """
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(args.scenario, scenario_overrides(args))
    out = Path(args.out) if args.out else Path("results") / scenario.name
    check_out_dir(out, args.force)

    import numpy as np
    from tqdm import tqdm

    from sim.model import CalaisModel
    from sim.model.outcomes import MAIN_OUTCOMES, OUTCOME_BY_NAME, summarise
    from sim.runs.plots import overview
    from sim.runs.results import write_run

    seq = np.random.SeedSequence(scenario.seed)
    started = time.perf_counter()
    model = CalaisModel(scenario, seed=seq)
    with tqdm(
        total=scenario.days,
        unit="day",
        desc=scenario.name,
        disable=args.quiet or None,
        file=sys.stderr,
    ) as bar:
        frame = model.run(progress=lambda _day: (check_stop(), bar.update(1)))
    wall = time.perf_counter() - started
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
    figure = overview(frame, title=f"{scenario.name}: {scenario.description}")
    check_stop()
    try:
        write_run(
            out,
            frame,
            scenario.to_toml(),
            {"seed": scenario.seed, "entropy": seq.entropy, "spawn_key": list(seq.spawn_key)},
            figure,
            extra=extra,
        )
    except BaseException:  # stopped or failed part-way: no manifest, and no temporary files
        remove_temporary_files(out)
        raise
    totals = summarise(frame)
    print(
        f"{scenario.name}: {scenario.days} days from {scenario.start_date}, seed "
        f"{scenario.seed}, {wall:.1f} s"
    )
    if spread is None:
        for name in MAIN_OUTCOMES:
            o = OUTCOME_BY_NAME[name]
            how = "total" if o.summary == "sum" else "mean a day"
            print(f"  {name:<26} {totals[name]:>14,.0f}  {o.unit} ({how})")
    else:
        print(
            f"  {'':<26} {'this run':>12} {f'mean of {args.replicates}':>14} "
            f"{'95% CI of the mean':>22} {'95% of runs':>22}"
        )
        for name in MAIN_OUTCOMES:
            o, s = OUTCOME_BY_NAME[name], spread[name]
            how = "total" if o.summary == "sum" else "mean a day"
            print(
                f"  {name:<26} {_number(totals[name]):>12} {_number(s['mean']):>14} "
                f"{_range(s['mean_ci95']):>22} {_range(s['runs95']):>22}  {o.unit} ({how})"
            )
    print(f"results in {out}/ (timeseries.parquet, manifest.json, overview.png)")
    return EXIT_OK


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}"


def _range(pair: Sequence[float]) -> str:
    return f"{_number(pair[0])} - {_number(pair[1])}"


def replicate_spread(scenario: object, replicates: int, workers: int | None) -> dict[str, dict]:
    """Run ``replicates`` replicates of a scenario (seeds: the children of its seed); for each
    outcome's run summary, the mean, the 95% bootstrap interval of the mean, and the central
    95% of the replicates."""
    import numpy as np

    from sim.model.outcomes import summarise
    from sim.runs.compare import bootstrap_ci
    from sim.runs.sweep import execute, make_jobs

    jobs = make_jobs([(scenario.to_toml(), {})], replicates, scenario.seed)
    runs = {}
    for result in execute(jobs, workers):
        if not result.ok:
            raise RunFailed(f"replicate {result.job.replicate} failed: {result.error}")
        runs[result.job.replicate] = summarise(result.frame)
    out = {}
    for name in runs[0]:
        values = np.array([runs[r][name] for r in range(replicates)])
        low, high, _ = bootstrap_ci(values)
        lo95, hi95 = np.quantile(values, [0.025, 0.975])
        out[name] = {
            "mean": float(values.mean()),
            "mean_ci95": [low, high],
            "runs95": [float(lo95), float(hi95)],
        }
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    """Check scenario files and say what is wrong with each: every error of a file, and
    warnings about what can never take effect (a measure starting after the run ends)."""
    from sim.scenario.loading import check_scenario, measure_labels

    bad = 0
    for path in args.scenarios:
        scenario, errors, warnings = check_scenario(path, args.overrides)
        for exc in errors:
            print(f"error: {exc}", file=sys.stderr)
        if scenario is None:
            bad += 1
            continue
        names = ", ".join(measure_labels(scenario)) or "no measures"
        print(
            f"ok: {path}: {scenario.name}, {scenario.days} days from "
            f"{scenario.start_date} ({names})"
        )
        for warning in warnings:
            print(f"warning: {path}: {warning}", file=sys.stderr)
    return EXIT_BAD_INPUT if bad else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = Parser(
        prog="calais-sim",
        description="Agent-based simulation of migration flows and border measures at Calais.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

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

    val = sub.add_parser("validate", help="check scenario files", description=cmd_validate.__doc__)
    val.add_argument("scenarios", nargs="+", help="scenario files (TOML)")
    add_set_option(val, "check with these overrides applied")
    val.set_defaults(func=cmd_validate)

    for name in EXTENSIONS:
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``calais-sim``; returns the exit code."""
    with stop_signals():
        try:
            parser = build_parser()
            args = parser.parse_args(argv)
            try:
                code = int(args.func(args) or 0)
                check_stop()
                return code
            except bad_input_errors() as exc:
                if args.debug:
                    traceback.print_exc()
                print(f"calais-sim: error: {one_line(str(exc))}", file=sys.stderr)
                return EXIT_BAD_INPUT
            except RunFailed as exc:
                print(f"calais-sim: {one_line(str(exc))}", file=sys.stderr)
                return EXIT_RUN_FAILED
            except Exception as exc:  # a failed run: one line, a traceback only on request
                if args.debug:
                    traceback.print_exc()
                print(
                    f"calais-sim: run failed: {type(exc).__name__}: {one_line(str(exc))} "
                    "(--debug shows the traceback)",
                    file=sys.stderr,
                )
                return EXIT_RUN_FAILED
        except KeyboardInterrupt as exc:
            signum = getattr(exc, "signum", signal.SIGINT)
            print(f"calais-sim: interrupted ({signal.Signals(signum).name})", file=sys.stderr)
            return EXIT_INTERRUPTED if signum == signal.SIGINT else 128 + signum


def entry() -> None:
    """Console-script wrapper: exit with main()'s code.

    Stop signals are handled for the life of the process, not only within main(): once main()
    has returned, the work is done and written, and a stop while the interpreter shuts down is
    ignored rather than killing the process with a misleading exit code.
    """
    for sig in STOP_SIGNALS:
        signal.signal(sig, _stop)
    code = main()
    for sig in (signal.SIGINT, *STOP_SIGNALS):
        signal.signal(sig, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    entry()
