"""What the commands share: the parser, parsers of numbers, and the common options."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable

from sim.errors import EXIT_BAD_INPUT


class Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line and exit code 2, without the usage."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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


def port_arg(text: str) -> int:
    """Parse a TCP port number."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, not {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 1 to 65535, not {value}")
    return value


def lazy_choice(choices: Callable[[], Iterable[str]]) -> Callable[[str], str]:
    """An option type that accepts one of ``choices()``, computed only when an option is given
    (so that ``--help`` imports nothing heavy); its error is argparse's own for ``choices``."""

    def parse(text: str) -> str:
        allowed = list(choices())
        if text not in allowed:
            raise argparse.ArgumentTypeError(
                f"invalid choice: {text!r} (choose from {', '.join(map(repr, allowed))})"
            )
        return text

    return parse


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


def add_scheduler_options(p: argparse.ArgumentParser) -> None:
    """--workers and --scheduler, as for ``calais-sim sweep``."""
    p.add_argument(
        "--workers",
        type=positive_arg,
        metavar="N",
        help="local worker processes (default: one per CPU; 1 runs in this process)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS|FILE",
        help="run on a Dask distributed cluster: tcp://HOST:PORT or a scheduler file",
    )
