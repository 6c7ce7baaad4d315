"""The command line: ``calais-sim`` and its commands, one module each in ``sim/cli/``.

Exit codes (see :mod:`sim.errors`): 0 success, 1 a run failed, 2 bad input (one message naming
the file, the key and what is wrong; a traceback only with ``--debug``), 130 interrupted by
Ctrl-C, 128 + the signal's number when stopped by SIGTERM (143) or SIGHUP (129), which are
handled as Ctrl-C is: what is being written is abandoned whole (see ``docs/reliability.md``).

Building the parser imports no heavy module (numpy's users, pandas, Mesa, matplotlib, SciPy):
each command imports what it needs when it runs, once the signal handlers are in place, so
that ``--help`` is quick and a stop early in start-up is handled too.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import traceback
from collections.abc import Sequence

from sim.cli.options import Parser
from sim.errors import (
    EXIT_BAD_INPUT,
    EXIT_RUN_FAILED,
    BadInput,
    RunFailed,
    check_stop,
    exit_code,
    handle_stop_signals,
    ignore_stop_signals,
    name_settings,
    one_line,
    stop_signals,
)

COMMANDS: tuple[str, ...] = (
    "sim.cli.run",
    "sim.cli.validate",
    "sim.cli.sweep",
    "sim.cli.compare",
    "sim.cli.app",
    "sim.cli.calibrate",
    "sim.cli.validation",
    "sim.cli.sensitivity",
)
"""The modules of the commands, in the order ``--help`` lists them; each has ``add_parser``."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = Parser(
        prog="calais-sim",
        description="Agent-based simulation of migration flows and border measures at Calais.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).add_parser(sub)
    return parser


def flag_words(parser: argparse.ArgumentParser, command: str | None) -> dict[str, str]:
    """How the command line names the settings of the library's messages: each option's
    destination (``overrides``) by its long flag (``--set``; the last of several, so
    ``--force``/``--overwrite`` is ``--overwrite``); the command's own options win."""
    parsers = [parser]
    for action in parser._actions:  # argparse keeps its subparsers in this private list only
        if isinstance(action, argparse._SubParsersAction):
            # every command's options (a message may point to another command), its own last
            others = [p for name, p in action.choices.items() if name != command]
            parsers += [*others, *([action.choices[command]] if command in action.choices else [])]
    words: dict[str, str] = {}
    for p in parsers:
        for action in p._actions:
            flags = [o for o in action.option_strings if o.startswith("--")]
            if flags and action.dest != "help":
                words[action.dest] = flags[-1]
    return words


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``calais-sim``; returns the exit code."""
    with stop_signals():
        try:
            parser = build_parser()
            args = parser.parse_args(argv)
            words = flag_words(parser, args.command)
            try:
                code = int(args.func(args) or 0)
                check_stop()
                return code
            except BadInput as exc:
                if args.debug:
                    traceback.print_exc()
                message = name_settings(str(exc), words)
                print(f"calais-sim: error: {one_line(message)}", file=sys.stderr)
                return EXIT_BAD_INPUT
            except RunFailed as exc:
                print(f"calais-sim: {one_line(name_settings(str(exc), words))}", file=sys.stderr)
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
            return exit_code(signum)


def entry() -> None:
    """Console-script wrapper: exit with main()'s code.

    Stop signals are handled for the life of the process, not only within main(): once main()
    has returned, the work is done and written, and a stop while the interpreter shuts down is
    ignored rather than killing the process with a misleading exit code.
    """
    handle_stop_signals()
    code = main()
    ignore_stop_signals()
    sys.exit(code)


if __name__ == "__main__":
    entry()
