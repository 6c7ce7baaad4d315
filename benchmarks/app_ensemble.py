"""How long the workshop page's cards wait for their intervals (sim/app/ensemble.py).

Two figures at the page's defaults (2,500 migrants, 120 days, 8 paired runs, 2 workers):

* the ensemble alone, in this process, for a few library scenarios against the baseline, with
  and without "show uncertainty";
* on the page, as a participant meets it: ``calais-sim app`` on a free port, a measure switched
  on, Play pressed, and the seconds until every card has its interval while the map plays (the
  ensemble's own time is read from the cards' ``data-ensemble-seconds``).

A figure, not a test: it depends on the machine and on what else runs on it.

    .venv/bin/python benchmarks/app_ensemble.py [--measure "Port fencing"] [--no-page]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_play import workshop_page

ROOT = Path(__file__).resolve().parents[1]


def alone(files: list[str]) -> None:
    """The ensemble alone, for each scenario file, without and with the posterior."""
    from sim.app.ensemble import Ensemble, plan_ensemble
    from sim.app.settings import Settings, baseline_for

    for file in files:
        settings = Settings.from_file(ROOT / "scenarios", file)
        for uncertainty in (False, True):
            started = time.monotonic()
            ensemble = Ensemble(
                lambda s=settings, u=uncertainty: plan_ensemble(
                    s.scenario, baseline_for(s), uncertainty=u
                )
            )
            ensemble.start()
            ensemble.join()
            took = time.monotonic() - started
            print(
                f"{file:24s} uncertainty {'on ' if uncertainty else 'off'}: "
                f"{ensemble.total} runs, {ensemble.state} in {took:.1f} s"
            )


def on_page(measure: str) -> None:
    """Switch ``measure`` on, press Play, and time the cards' intervals."""
    with workshop_page() as page:
        page.get_by_role("switch", name=measure, exact=True).click(force=True)
        page.wait_for_function(
            "() => document.querySelector('.calais-changes')?.innerText.includes(' on')"
        )
        started = time.monotonic()
        page.get_by_role("button", name="▶", exact=True).click()
        page.wait_for_selector(".calais-ensemble-done")
        took = time.monotonic() - started
        seconds = page.locator(".calais-outcome-grid").get_attribute("data-ensemble-seconds")
        day = page.locator(".calais-progress").inner_text()
    print(
        f"on the page, {measure} on, playing: intervals shown {took:.1f} s after Play "
        f"(the ensemble itself {seconds} s; the map at {day})"
    )


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", default="Port fencing", help="a measure's switch label")
    parser.add_argument("--no-page", action="store_true", help="only the ensemble alone")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    alone(["baseline.toml", "port-fencing.toml", "full-package.toml"])
    if not args.no_page:
        on_page(args.measure)


if __name__ == "__main__":
    main()
