"""Parameter sets drawn from a calibration's posterior, to run a sweep over what is not known.

``posterior.parquet`` (see :mod:`sim.evidence.posterior`) holds one row a particle: each
parameter's value by dotted scenario key, a ``weight`` (summing to 1) and a ``generation``.
:func:`load_posterior` reads and checks it; :func:`draw` resamples ``D`` particles by weight
with a generator seeded from the sweep's root seed, so the same sweep draws the same sets, and
every scenario of it is run with the same sets (paired).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UsageError, setting
from sim.scenario.building import Scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.toml_text import toml_value

NOT_PARAMETERS = ("weight", "generation")
# Mixed into the root seed so that the draws' stream is not any replicate's stream.
DRAW_STREAM = 0x5057


@dataclass(frozen=True)
class Posterior:
    """A posterior file, checked: its path, digest, parameter keys and particles."""

    path: str
    sha256: str
    keys: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    weights: tuple[float, ...]


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_posterior(path: str | Path, scenarios: Sequence[Scenario] = ()) -> Posterior:
    """Read and check a posterior file; its keys must be valid in every scenario given.

    Raises:
        UsageError: the file is missing or unreadable, or is not a posterior (no weight
            column, no parameter, negative or all-zero weights, unknown keys).
    """
    where = f"{setting('posterior')} {path}"
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{where}: no such file")
    try:
        frame = pd.read_parquet(p)
    except Exception as exc:  # any reader error means the same to the user
        raise UsageError(f"{where}: not a parquet file ({type(exc).__name__})") from None
    if "weight" not in frame.columns:
        raise UsageError(f"{where}: not a posterior (no 'weight' column)")
    keys = tuple(str(c) for c in frame.columns if c not in NOT_PARAMETERS)
    if not keys:
        raise UsageError(f"{where}: not a posterior (no parameter columns)")
    if len(frame) == 0:
        raise UsageError(f"{where}: not a posterior (no particles)")
    weights = pd.to_numeric(frame["weight"], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(weights)):
        raise UsageError(f"{where}: a weight is missing or not a number")
    if np.any(weights < 0):
        raise UsageError(f"{where}: a weight is negative")
    if weights.sum() <= 0:
        raise UsageError(f"{where}: every weight is zero")
    values = tuple(
        tuple(v.item() if hasattr(v, "item") else v for v in row)
        for row in frame[list(keys)].itertuples(index=False, name=None)
    )
    for scenario in scenarios:
        try:
            scenario.with_overrides(
                f"{k}={toml_value(v)}" for k, v in zip(keys, values[0], strict=True)
            )
        except ScenarioError as exc:
            raise UsageError(
                f"{where}: a column is not a parameter of scenario {scenario.name}: {exc.message}"
            ) from None
    # The absolute path, so that a resumed sweep finds the file from any working directory.
    return Posterior(
        str(p.resolve()), file_sha256(p), keys, values, tuple(float(w) for w in weights)
    )


def draw(posterior: Posterior, draws: int, seed: int) -> list[int]:
    """``draws`` particle indices resampled by weight, the same for the same root seed.

    Raises:
        UsageError: ``draws`` is less than 1.
    """
    if draws < 1:
        raise UsageError(f"{setting('draws')} must be at least 1, not {draws}")
    weights = np.asarray(posterior.weights, dtype=float)
    rng = np.random.default_rng([seed, DRAW_STREAM])
    return [int(i) for i in rng.choice(len(weights), size=draws, p=weights / weights.sum())]


def assignments(posterior: Posterior, particle: int) -> list[str]:
    """A particle's values as ``KEY=VALUE`` overrides."""
    row = posterior.values[particle]
    return [f"{k}={toml_value(v)}" for k, v in zip(posterior.keys, row, strict=True)]
