"""Golden outputs: a digest of the daily outcomes of every library scenario on two seeds.

A change that keeps behaviour keeps every digest. A change that moves numbers regenerates the
file (``python -m tests.golden``) and says why in its commit.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).with_name("golden.json")
SEEDS = (1, 20150702)


def library() -> list[Path]:
    """The scenario files of the library, in name order."""
    return sorted((ROOT / "scenarios").glob("*.toml"))


def fingerprint(path: Path, seed: int) -> dict[str, object]:
    """The digest of one run's daily outcomes (every column, exact bytes) and a few totals."""
    from sim.model import CalaisModel
    from sim.scenario.loading import load_scenario

    frame = CalaisModel(load_scenario(path), seed=seed).run()
    h = hashlib.sha256()
    for name in frame.columns:
        values = np.ascontiguousarray(frame[name].to_numpy())
        h.update(name.encode() + b"\0" + str(values.dtype).encode() + b"\0" + values.tobytes())
    totals = {c: float(frame[c].sum()) for c in ("crossings_total", "attempts_total", "deaths")}
    return {"days": len(frame), "sha256": h.hexdigest(), **totals}


def compute() -> dict[str, dict[str, object]]:
    """Every library scenario on every golden seed."""
    return {f"{p.stem}@{s}": fingerprint(p, s) for p in library() for s in SEEDS}


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}", file=sys.stderr)
