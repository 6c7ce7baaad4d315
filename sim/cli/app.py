"""``calais-sim app``: serve the workshop page."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path
from typing import Any

from sim.app.server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    check_port_free,
    default_scenarios,
    is_loopback,
    local_address,
    offline_env,
    server_command,
    stop,
    url_host,
    wait_ready,
)
from sim.cli.options import port_arg
from sim.errors import EXIT_OK, RunFailed, UsageError


def cmd_app(args: argparse.Namespace) -> int:
    """Serve the workshop page until Ctrl-C."""
    scenarios = Path(args.scenarios) if args.scenarios else default_scenarios()
    if not scenarios.is_dir() or not any(scenarios.glob("*.toml")):
        raise UsageError(f"--scenarios {scenarios}: not a folder of scenario files (*.toml)")
    check_port_free(args.host, args.port)
    env = offline_env(scenarios.resolve())
    url = f"http://{url_host(local_address(args.host))}:{args.port}"
    proc = subprocess.Popen(server_command(args.host, args.port), env=env)
    try:
        wait_ready(url, proc)
        print(f"calais-sim app: the page is at {url}/ (Ctrl-C stops the server)", flush=True)
        if not is_loopback(args.host):
            print(
                f"calais-sim app: listening on {args.host}: other machines on the network can "
                f"open the page at this machine's address, port {args.port}",
                flush=True,
            )
        code = proc.wait()
    except BaseException:  # Ctrl-C, a stop signal, or a failed start: never leave it running
        stop(proc)
        raise
    if code != 0:
        raise RunFailed(f"the server stopped with exit code {code}")
    return EXIT_OK


def add_parser(subparsers: Any) -> None:
    """Add ``calais-sim app`` to the command line."""
    app = subparsers.add_parser(
        "app",
        help="serve the workshop page in a browser",
        description="Serve the workshop page: controls for every measure, a live map, charts "
        "and a baseline to compare against. Needs no internet access.",
    )
    app.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default: {DEFAULT_HOST}, this machine only; "
        "0.0.0.0 opens it to the network)",
    )
    app.add_argument(
        "--port", type=port_arg, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})"
    )
    app.add_argument(
        "--scenarios",
        help="folder of scenario files the page offers (default: ./scenarios)",
    )
    app.set_defaults(func=cmd_app)
