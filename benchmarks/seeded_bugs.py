"""Make each deliberate bug of issue 16 (and a few more of the same kinds), run the lever and
measure tests, and restore the code: which test, if any, catches each bug.

    .venv/bin/python benchmarks/seeded_bugs.py [--tests tests/test_levers.py ...] [NAME ...]

Each bug is one textual edit of ``sim/``; the file is restored from git after each run (so run
it on a clean work tree). The table it prints is the one in docs/testing.md.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
P = "sim/measures/policies.py"
C = "sim/model/calais.py"
T = "sim/model/tries.py"
TR = "sim/model/traffic.py"

# name: (file, old text, new text)
BUGS: dict[str, tuple[str, str, str]] = {
    "tunnel detection boost sign flipped": (
        P,
        "levers.detection_boost[TUNNEL] += self.detection_boost",
        "levers.detection_boost[TUNNEL] -= self.detection_boost",
    ),
    "police reinforcement stations no units": (
        P,
        "levers.pinned_units[w] += self.units",
        "levers.pinned_units[w] += 0 * self.units",
    ),
    "every measure in force 10 days before start_day": (
        P,
        "return self.enabled and day >= self.start_day",
        "return self.enabled and day >= self.start_day - 10",
    ),
    "a ferry strike one day longer": (
        P,
        "day < self.start_day + self.days",
        "day <= self.start_day + self.days",
    ),
    "anti-smuggling entry factor inverted": (
        P,
        "levers.entry_factor *= self.entry_factor",
        "levers.entry_factor /= self.entry_factor",
    ),
    "removals not charged to spending": (
        C,
        'self.counter.add("spend_eur", chosen.size * levers.cost_per_removal)',
        "pass",
    ),
    "traffic resumption clears queues more slowly": (
        P,
        "levers.clear_factor *= self.clear_factor",
        "levers.clear_factor /= self.clear_factor",
    ),
    "the tunnel fence never built": (
        P,
        "levers.fence[TUNNEL] = max(levers.fence[TUNNEL], level)",
        "pass",
    ),
    "fences stopping no tries": (
        T,
        "self.blocked = at_perimeter & (u[2] < fence)",
        "self.blocked = at_perimeter & (u[2] < 0 * fence)",
    ),
    "the beach barrier never built": (
        P,
        "levers.fence[BEACH] = max(levers.fence[BEACH], level)",
        "pass",
    ),
    "port fence strength ignored (always 0.6)": (
        P,
        "self.strength * ramp(since, self.build_days)",
        "0.6 * ramp(since, self.build_days)",
    ),
    "returns remove no one (share ignored)": (
        P,
        "levers.removal_share = max(levers.removal_share, self.removal_share)",
        "levers.removal_share = max(levers.removal_share, 0.0)",
    ),
    "victim support identifies at half the rate": (
        P,
        "1 - self.identification_rate\n",
        "1 - self.identification_rate / 2\n",
    ),
    "arrivals factor ignored by the model": (
        C,
        "expected = pop.daily_arrivals * levers.arrivals_factor",
        "expected = pop.daily_arrivals",
    ),
    "fund's detection technology never installed": (
        P,
        "levers.detection_boost += min(1.0, tech_meur * self.detection_per_meur)",
        "levers.detection_boost += 0.0",
    ),
    "fence spending one day short": (
        P,
        "if since < max(self.build_days, 1):",
        "if since < max(self.build_days, 1) - 1:",
    ),
    "incident length factor ignored": (
        TR,
        "hours = self.params.incident_hours * self.incident_hours_factor",
        "hours = self.params.incident_hours",
    ),
    "dismantle factor ignored": (
        C,
        "hazard = min(1.0, sm.dismantle_hazard * levers.dismantle_factor)",
        "hazard = min(1.0, sm.dismantle_hazard)",
    ),
    "campaign reaches no one": (
        P,
        "levers.campaign_reach = 1 - (1 - levers.campaign_reach) * (1 - self.reach_per_day)",
        "levers.campaign_reach = levers.campaign_reach",
    ),
    "returns capacity ignored": (
        C,
        "room = int(levers.removal_capacity) - self.removals_today",
        "room = 10**9",
    ),
}

TESTS = ["tests/test_levers.py", "tests/test_measures.py"]


def run_one(name: str, tests: list[str]) -> tuple[str, float]:
    path, old, new = BUGS[name]
    file = ROOT / path
    text = file.read_text()
    assert text.count(old) >= 1, f"{name}: text not found in {path}"
    file.write_text(text.replace(old, new))
    start = time.monotonic()
    try:
        res = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    finally:
        subprocess.run(["git", "checkout", "--", "sim"], cwd=ROOT, check=True)
    failed = re.findall(r"^FAILED (\S+)", res.stdout, re.M)
    caught = failed[0].split("::", 1)[1] if failed else "NOTHING"
    return caught, time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*")
    parser.add_argument("--tests", nargs="*", default=TESTS)
    args = parser.parse_args()
    status = subprocess.run(
        ["git", "status", "--porcelain", "sim"], cwd=ROOT, text=True, capture_output=True
    ).stdout
    if status.strip():
        sys.exit("sim/ has uncommitted changes: commit or stash them first")
    missed = 0
    print("| bug | first test that fails |\n| --- | --- |")
    for name in args.names or BUGS:
        caught, seconds = run_one(name, args.tests)
        missed += caught == "NOTHING"
        print(f"| {name} | `{caught}` ({seconds:.0f} s) |", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
