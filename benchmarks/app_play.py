"""How fast the workshop page plays: simulated hours a second, and a whole run's wall time.

Starts ``calais-sim app`` on a free port of 127.0.0.1, opens the page in Debian's Chromium
(Playwright), presses Play at the page's default speed and prints the rate and how long the
whole run (120 days at the defaults) took to play. A figure, not a test: it depends on the
machine and on what else runs on it.

    .venv/bin/python benchmarks/app_play.py [--speed "a day"] [--port N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, cache: Path) -> subprocess.Popen:
    """``calais-sim app`` on ``port``, once it answers."""
    script = Path(sys.executable).with_name("calais-sim")
    proc = subprocess.Popen(
        [str(script), "app", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "CALAIS_SIM_CACHE": str(cache)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.25)
    proc.send_signal(signal.SIGINT)
    raise SystemExit("the server did not start")


@contextlib.contextmanager
def workshop_page(port: int | None = None) -> Iterator[Any]:
    """The workshop page, served by its own server on ``port`` (a free one by default), open in
    a 1440x900 headless Chromium and ready; the browser and the server are stopped after."""
    from playwright.sync_api import sync_playwright

    port = port or free_port()
    with tempfile.TemporaryDirectory() as cache:
        proc = start_server(port, Path(cache))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox"], headless=True
                )
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.set_default_timeout(600_000)
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_role("button", name="Step", exact=True).wait_for()
                yield page
                browser.close()
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)


def hour(page) -> int:
    """The hours the page's run has simulated (the clock's ``data-hour``)."""
    return int(page.locator(".calais-date").first.get_attribute("data-hour"))


def main() -> None:
    """Play one whole run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", default=None, help="a speed button's label")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    with workshop_page(args.port) as page:
        if args.speed:
            page.get_by_role("button", name=args.speed, exact=True).click()
        speed = page.locator(".calais-speed-label").inner_text()
        started = time.monotonic()
        page.get_by_role("button", name="▶", exact=True).click()
        page.get_by_text("the run has ended").wait_for()
        took = time.monotonic() - started
        hours = hour(page)
    print(f"{speed} {hours:,} hours ({hours / 24:.0f} days) played in {took:.1f} s")
    print(f"{hours / took:.1f} simulated hours a second")


if __name__ == "__main__":
    main()
