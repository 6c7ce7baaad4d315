"""The library's daily outcomes are exactly those recorded in ``tests/golden.json``."""

from __future__ import annotations

import json

import pytest

from tests.golden import GOLDEN, SEEDS, fingerprint, library

RECORDED = json.loads(GOLDEN.read_text())


def test_every_library_scenario_is_recorded() -> None:
    assert sorted(RECORDED) == sorted(f"{p.stem}@{s}" for p in library() for s in SEEDS)


@pytest.mark.parametrize("path", library(), ids=lambda p: p.stem)
def test_outputs_are_byte_identical(path) -> None:
    for seed in SEEDS:
        assert fingerprint(path, seed) == RECORDED[f"{path.stem}@{seed}"], (
            f"{path.stem} seed {seed} changed: regenerate with `python -m tests.golden` "
            "only if the change is meant to move numbers, and say why in the commit"
        )
