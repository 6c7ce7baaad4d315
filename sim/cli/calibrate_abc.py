"""``calais-sim calibrate --method abc``: the options and the command of the Bayesian calibration
(the inference is :mod:`sim.evidence.abc`, its files :mod:`sim.evidence.posterior`)."""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

from sim.cli.options import positive_arg
from sim.errors import EXIT_OK, UsageError
from sim.evidence.defaults import (
    ABC_GENERATIONS,
    ABC_MIN_EPSILON,
    ABC_OUT,
    ABC_POPULATION,
    ABC_PRIORS,
)


def cmd_abc(args: argparse.Namespace) -> int:
    """``calais-sim calibrate --method abc``: the posterior of the priors given the record."""
    from sim.evidence.abc import DATABASE, Settings, Simulator, infer, select_priors
    from sim.evidence.calibration import dask_client
    from sim.evidence.posterior import write_posterior
    from sim.evidence.targets import days_needed, load_targets
    from sim.scenario.loading import load_scenario

    targets = [t for t in load_targets(args.targets) if t.role == "calibration"]
    if not targets:
        raise UsageError(f"{args.targets}: no target has role = 'calibration'")
    priors = select_priors(args.parameters.split(",") if args.parameters else None)
    scenario = load_scenario(args.scenario, args.overrides)
    days = days_needed(scenario.start_date, targets)
    text = scenario.with_overrides([f"days={days}"]).to_toml()
    settings = Settings(
        hashlib.sha256(text.encode()).hexdigest(),
        tuple(t.name for t in targets),
        tuple(p.key for p in priors),
        args.population,
        days,
    )
    out = Path(args.out or ABC_OUT)
    print(
        f"calibrate --method abc: {len(priors)} parameters, {len(targets)} targets, scenario "
        f"{scenario.name} ({days} days); population {args.population}, at most "
        f"{args.generations} generations, min epsilon {args.min_epsilon:g}"
        + (f", budget {args.budget:g} s" if args.budget else "")
        + f"; history in {out / DATABASE}",
        flush=True,
    )
    started = time.perf_counter()
    simulator = Simulator(text, targets, days, priors)
    with dask_client(args.scheduler) as client:
        history = infer(
            simulator,
            targets,
            out,
            settings,
            args.generations,
            args.min_epsilon,
            args.budget,
            args.workers,
            client,
            args.fresh,
            args.seed,
        )
    print(f"\ninference: {time.perf_counter() - started:.0f} s in this session")
    print(write_posterior(history, priors, out))
    return EXIT_OK


def add_options(p: argparse.ArgumentParser) -> None:
    """The options of ``calibrate --method abc`` (ignored by the point fit)."""
    g = p.add_argument_group("--method abc (ABC-SMC with pyabc)")
    g.add_argument(
        "--population",
        type=positive_arg,
        default=ABC_POPULATION,
        metavar="N",
        help=f"particles a generation (default {ABC_POPULATION})",
    )
    g.add_argument(
        "--generations",
        type=positive_arg,
        default=ABC_GENERATIONS,
        metavar="G",
        help=f"generations in all, counting those of a resumed run (default {ABC_GENERATIONS})",
    )
    g.add_argument(
        "--min-epsilon",
        type=float,
        default=ABC_MIN_EPSILON,
        metavar="E",
        help=f"stop when the acceptance threshold reaches E (default {ABC_MIN_EPSILON:g})",
    )
    g.add_argument(
        "--budget", type=float, metavar="SECONDS", help="wall-clock budget of this session"
    )
    g.add_argument(
        "--parameters",
        metavar="KEY,...",
        help=f"the parameters to infer (default all with a prior: {ABC_PRIORS})",
    )
    g.add_argument(
        "--fresh", action="store_true", help="discard an inference in --out and start again"
    )
