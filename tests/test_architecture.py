"""The architecture of docs/architecture.md: the layers' import contracts, and the commands
that run no model importing none of the heavy libraries."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("mesa", "pandas", "matplotlib", "scipy", "numpy")
"""What a command that runs no model must not import (each costs from 0.05 s to 0.3 s)."""


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


def test_run_leaves_matplotlib_to_the_process_that_draws_its_figure(tmp_path):
    """`calais-sim run` imports Mesa while a second process imports matplotlib and draws."""
    out = tmp_path / "run"
    baseline = str(ROOT / "scenarios" / "baseline.toml")
    heavy, rc = heavy_imports("run", baseline, "--days", "3", "--quiet", "--out", str(out))
    assert rc == 0
    assert "mesa" in heavy and "matplotlib" not in heavy, heavy
    assert (out / "overview.png").read_bytes()[:4] == b"\x89PNG"


# --- library code never names a flag ------------------------------------------------------------

FLAG = re.compile(r"(?<![\w-])--[a-z]")
ALLOWED_FLAGS = {
    "sim/app/server.py": "the page's server is being reworked apart from this change (issue 10);"
    " it passes Solara its own command line, and its --host/--port messages are to move to"
    " sim/cli",
    "sim/scenario/schema.py": "writes the scenario reference (docs/scenarios.md), a document"
    " that shows the command line's --set",
}
"""Files allowed to hold flags in string values, and why. Documentation strings (a module's,
class's or function's docstring, or the string under a constant) may show a command line
anywhere: they are read by people, never printed as a message."""


def documentation_strings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that stand alone as a statement: docstrings."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def test_library_code_never_names_a_flag():
    """Outside sim/cli, no string a program uses holds ``--word``: the library names a setting
    (``<out>``, see sim.errors.setting) and the command line shows it as its flag."""
    found = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name.startswith("sim/cli/") or name in ALLOWED_FLAGS:
            continue
        tree = ast.parse(path.read_text(), name)
        docs = documentation_strings(tree)
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and id(node) not in docs and FLAG.search(text):
                found.append(f"{name}:{node.lineno}: {text!r}")
    assert not found, "\n".join(found)
