"""``calais-sim validation``: the calibrated 2015 scenario against the record."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli.options import add_scheduler_options, add_set_option, positive_arg, seed_arg
from sim.errors import EXIT_OK
from sim.evidence.defaults import (
    CALIBRATION_FILE,
    POSTERIOR_FILE,
    SCENARIO_FILE,
    TARGETS_FILE,
    VALIDATION_SEED,
)
from sim.evidence.defaults import VALIDATION_REPLICATES as DEFAULT_REPLICATES


def cmd_validation(args: argparse.Namespace) -> int:
    """Compare the calibrated 2015 scenario with every target of the record; write the
    figures and the table into --out (default results/validation), and into docs/ (the
    figures, the table and the blocks of docs/validation.md) only with --update-docs."""
    from sim.evidence.calibration import dask_client
    from sim.evidence.targets import load_targets
    from sim.evidence.validation import (
        calibrated_scenario,
        pinned,
        table_markdown,
        validate,
        write_outputs,
    )

    targets = load_targets(args.targets)
    scenario = calibrated_scenario(args.scenario, args.calibration, args.overrides)
    if args.posterior:
        return posterior_check(args, scenario, targets)
    for key, value in pinned(args.scenario, args.calibration).items():
        print(
            f"note: {args.scenario} (or a file it extends) sets {key} = {value!r}; the fitted "
            "value is applied over it here, but runs of that file alone do not use it"
        )
    print(
        f"validation: {len(targets)} targets ({sum(t.role == 'validation' for t in targets)} out "
        f"of sample); {args.replicates} replicates of {scenario.name} with the fitted values of "
        f"{args.calibration}, root seed {args.seed}",
        flush=True,
    )
    with dask_client(args.scheduler) as client:
        v = validate(scenario, targets, args.replicates, args.seed, args.workers, client)
    print(table_markdown(v))
    folders = [Path(args.out), *([Path(args.docs)] if args.update_docs else [])]
    for folder in folders:
        for path in write_outputs(v, folder, args.calibration):
            print(f"wrote {path}")
    if not args.update_docs:
        print("(docs/ left as it is: --update-docs writes the figures and tables there too)")
    return EXIT_OK


def posterior_check(args: argparse.Namespace, scenario: Any, targets: Any) -> int:
    """``validation --posterior``: the targets against the posterior predictive distribution."""
    from sim.evidence.calibration import dask_client
    from sim.evidence.predictive import (
        predictive_check,
        predictive_frame,
        predictive_text,
    )
    from sim.runs.draws import load_posterior
    from sim.runs.files import write_bytes

    posterior = load_posterior(args.posterior, [scenario])
    print(
        f"validation --posterior: {len(targets)} targets; {args.draws} draws from "
        f"{args.posterior} ({len(posterior.weights)} particles), one run of {scenario.name} each, "
        f"root seed {args.seed}",
        flush=True,
    )
    with dask_client(args.scheduler) as client:
        checks = predictive_check(
            scenario, posterior, targets, args.draws, args.seed, args.workers, client
        )
    print(predictive_text(checks))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_bytes(out / "predictive.csv", predictive_frame(checks).to_csv(index=False).encode())
    print(f"wrote {out / 'predictive.csv'}")
    return EXIT_OK


def add_parser(subparsers: Any) -> None:
    """Add ``validation`` to the command line."""
    p = subparsers.add_parser(
        "validation",
        help="compare the calibrated 2015 scenario with the record (docs/validation.md)",
        description=cmd_validation.__doc__,
    )
    p.add_argument("--scenario", default=str(SCENARIO_FILE), help="scenario file (TOML)")
    p.add_argument("--targets", default=str(TARGETS_FILE), help="targets file (TOML)")
    p.add_argument(
        "--calibration", default=str(CALIBRATION_FILE), help="the fitted values to apply"
    )
    p.add_argument(
        "--replicates",
        type=positive_arg,
        default=DEFAULT_REPLICATES,
        metavar="R",
        help=f"runs (default {DEFAULT_REPLICATES})",
    )
    p.add_argument(
        "--seed",
        type=seed_arg,
        default=VALIDATION_SEED,
        help=f"root seed (default {VALIDATION_SEED}, not the calibration's)",
    )
    add_scheduler_options(p)
    add_set_option(p, "override a parameter (after the fitted values; repeatable)")
    p.add_argument(
        "--out",
        default="results/validation",
        help="where to write img/validation*.png and validation_table.md "
        "(default results/validation)",
    )
    p.add_argument(
        "--update-docs",
        action="store_true",
        help="also write the figures and table into --docs and fill the blocks of its "
        "validation.md (the documentation's figures are changed only when asked)",
    )
    p.add_argument(
        "--docs",
        default="docs",
        help="the documentation folder --update-docs writes into (default docs)",
    )
    p.add_argument(
        "--posterior",
        metavar="FILE",
        help="check the targets against the posterior predictive distribution of this "
        f"posterior.parquet (the shipped one: {POSTERIOR_FILE}) instead",
    )
    p.add_argument(
        "--draws",
        type=positive_arg,
        default=40,
        metavar="D",
        help="with --posterior: parameter sets drawn, one run each (default 40)",
    )
    p.set_defaults(func=cmd_validation)
