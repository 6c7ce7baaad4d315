"""The architecture of docs/architecture.md: the layers' import contracts, and the commands
that run no model importing none of the heavy libraries."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("mesa", "pandas", "matplotlib", "scipy")
"""What a command that runs no model must not import (each costs a tenth of a second or more)."""


def test_the_import_contracts_are_kept():
    """`lint-imports` checks the layers and the forbidden imports of pyproject.toml."""
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def heavy_imports(*argv: str) -> tuple[list[str], int]:
    """Run ``calais-sim ARGV`` in a fresh interpreter; the heavy modules it imported, and its
    exit code."""
    code = (
        "import json, sys\n"
        "from sim.cli.main import main\n"
        f"try:\n    rc = main({list(argv)!r})\n"
        "except SystemExit as exc:\n    rc = exc.code\n"
        f"print(json.dumps([[m for m in {HEAVY!r} if m in sys.modules], rc]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    heavy, rc = json.loads(done.stdout.strip().splitlines()[-1])
    return heavy, rc


COMMANDS = ("run", "validate", "sweep", "compare", "app", "calibrate", "validation", "sensitivity")


@pytest.mark.parametrize("argv", [("--help",), *((c, "--help") for c in COMMANDS)])
def test_help_imports_no_heavy_library(argv):
    heavy, rc = heavy_imports(*argv)
    assert rc == 0
    assert heavy == [], f"calais-sim {' '.join(argv)} imported {heavy}"


def test_validate_imports_no_heavy_library():
    heavy, rc = heavy_imports("validate", str(ROOT / "scenarios" / "baseline.toml"))
    assert rc == 0
    assert heavy == [], f"calais-sim validate imported {heavy}"
