"""``calais-sim validate``: check scenario files and say what is wrong with each."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sim.cli.options import add_set_option
from sim.errors import EXIT_BAD_INPUT, EXIT_OK, name_settings


def cmd_validate(args: argparse.Namespace) -> int:
    """Check scenario files and say what is wrong with each: every error of a file, and
    warnings about what can never take effect (a measure starting after the run ends)."""
    from sim.scenario.loading import check_scenario, measure_labels

    bad = 0
    for path in args.scenarios:
        scenario, errors, warnings = check_scenario(path, args.overrides)
        for exc in errors:
            print(f"error: {name_settings(str(exc), {'overrides': '--set'})}", file=sys.stderr)
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


def add_parser(subparsers: Any) -> None:
    """Add ``validate`` to the command line."""
    sub = subparsers
    val = sub.add_parser("validate", help="check scenario files", description=cmd_validate.__doc__)
    val.add_argument("scenarios", nargs="+", help="scenario files (TOML)")
    add_set_option(val, "check with these overrides applied")
    val.set_defaults(func=cmd_validate)
