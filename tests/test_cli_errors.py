"""Broken input fed to the command line: one message, the right exit code, nothing written.

Each case is a file of our own making (or a bad option) given to ``calais-sim run`` and
``calais-sim validate`` in a fresh interpreter. Bad input must end with exit code 2 and a single
line on stderr that names the file, the key and what is wrong, without a traceback and without
creating the output directory; a run that fails ends with exit code 1, and only ``--debug`` shows
a traceback. (``tests/test_cli.py`` covers the first few cases; these are the rest.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import SCENARIOS, cli_bound_by_modes

BASELINE = SCENARIOS / "baseline.toml"


def cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``calais-sim`` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def cli_many(commands: list[list[str]]) -> list[subprocess.CompletedProcess]:
    """Run several ``calais-sim`` commands at once (each in its own interpreter)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: cli(*args), commands))


def one_message(res: subprocess.CompletedProcess) -> str:
    """The single line a refused command writes on stderr (and nothing else)."""
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert "Traceback" not in res.stderr, res.stderr
    assert len(lines) == 1, res.stderr
    return lines[0]


# Each case: the file's name and bytes (or a builder), then the words the message must hold.
# "{file}" stands for the scenario file's path, "{dir}" for the folder the files are in.
CASES: dict[str, tuple[str, bytes, list[str]]] = {
    "invalid TOML": (
        "broken.toml",
        b"name = 'x'\ndays = 3 4\n",
        ["{file}", "not valid TOML", "line"],
    ),
    "duplicate key": (
        "twice.toml",
        b"name = 'x'\ndays = 3\ndays = 4\n",
        ["{file}", "not valid TOML"],
    ),
    "wrong type, number": (
        "ten.toml",
        b"name = 'x'\ndays = 'ten'\n",
        ["{file}: days:", "whole number", "'ten'"],
    ),
    "wrong type, switch": (
        "yes.toml",
        b"name = 'x'\n[policies.returns]\nenabled = 'yes'\n",
        ["{file}: policies.returns.enabled:", "true or false"],
    ),
    "a table where a value belongs": (
        "table.toml",
        b"name = 'x'\n[population.initial_migrants]\nvalue = 3\n",
        ["{file}: population.initial_migrants:", "must be a number, not a table"],
    ),
    "negative days": (
        "negative.toml",
        b"name = 'x'\ndays = -3\n",
        ["{file}: days:", "from 1 to", "-3"],
    ),
    "negative count": (
        "minus.toml",
        b"name = 'x'\n[population]\ninitial_migrants = -10\n",
        ["{file}: population.initial_migrants:", "at least 0", "-10"],
    ),
    "share above 1": (
        "share.toml",
        b"name = 'x'\n[population]\nprotection_share = 1.5\n",
        ["{file}: population.protection_share:", "at most 1", "1.5"],
    ),
    "share above 1 in a measure": (
        "measure-share.toml",
        b"name = 'x'\n[policies.returns]\nremoval_share = 2.0\n",
        ["{file}: policies.returns.removal_share:", "at most 1"],
    ),
    "not a number": (
        "nan.toml",
        b"name = 'x'\n[traffic]\nqueue_scale = nan\n",
        ["{file}: traffic.queue_scale:", "finite"],
    ),
    "unknown measure": (
        "measure.toml",
        b"name = 'x'\n[policies.beach_securty]\n",
        ["{file}: policies.beach_securty:", "unknown measure", "did you mean 'beach_security'"],
    ),
    "unknown event": (
        "event.toml",
        b"name = 'x'\n[events.ferry_strik]\n",
        ["{file}: events.ferry_strik:", "unknown event", "did you mean 'ferry_strike'"],
    ),
    "unknown key in a measure": (
        "measure-key.toml",
        b"name = 'x'\n[policies.port_fencing]\nstrenght = 0.5\n",
        ["{file}: policies.port_fencing.strenght:", "did you mean 'strength'"],
    ),
    "unknown table": (
        "table-typo.toml",
        b"name = 'x'\n[enforcment]\nbase_units = 3\n",
        ["{file}: enforcment:", "unknown key", "did you mean 'enforcement'"],
    ),
    "bad name": (
        "dots.toml",
        b"name = '..'\n",
        ["{file}: name:", "letters, digits"],
    ),
    "date past the calendar": (
        "late.toml",
        b"name = 'x'\nstart_date = 9999-12-01\n",
        ["{file}: start_date:", "too late"],
    ),
    "not UTF-8": (
        "latin1.toml",
        "name = 'Café'\n".encode("latin-1"),
        ["{file}", "not UTF-8"],
    ),
    "binary": (
        "binary.toml",
        bytes(range(256)),
        ["{file}", "cannot read"],
    ),
    "extends a missing file": (
        "orphan.toml",
        b"extends = 'gone.toml'\n",
        ["{file}: extends:", "missing file 'gone.toml'"],
    ),
    "extends itself": (
        "self.toml",
        b"extends = 'self.toml'\n",
        ["{file}: extends:", "cycle", "self.toml -> self.toml"],
    ),
    "extends a directory": (
        "dir-parent.toml",
        b"extends = 'a-folder'\n",
        ["{file}: extends:", "'a-folder'", "not a readable file"],
    ),
    "extends is not a string": (
        "number-parent.toml",
        b"extends = 3\n",
        ["{file}: extends:", "file name"],
    ),
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    """A folder of broken scenario files, plus the files and folders they refer to."""
    folder = tmp_path_factory.mktemp("broken")
    for name, data, _ in CASES.values():
        (folder / name).write_bytes(data)
    (folder / "a-folder").mkdir()
    (folder / "cycle-a.toml").write_text("extends = 'cycle-b.toml'\nname = 'a'\n")
    (folder / "cycle-b.toml").write_text("extends = 'cycle-c.toml'\n")
    (folder / "cycle-c.toml").write_text("extends = 'cycle-a.toml'\n")
    (folder / "good-child.toml").write_text("extends = 'share.toml'\nname = 'child'\n")
    return folder


def expected(words: list[str], file: Path, folder: Path) -> list[str]:
    return [w.format(file=file, dir=folder) for w in words]


@pytest.fixture(scope="module")
def runs_of_broken_files(
    broken, tmp_path_factory
) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    """``calais-sim run`` on each broken file (run together to save time): result, --out."""
    outs = tmp_path_factory.mktemp("outs")
    commands = [
        ["run", str(broken / name), "--out", str(outs / case), "--quiet"]
        for case, (name, _, _) in CASES.items()
    ]
    return {case: (res, outs / case) for case, res in zip(CASES, cli_many(commands), strict=True)}


@pytest.mark.parametrize("case", list(CASES))
def test_run_refuses_a_broken_file(broken, runs_of_broken_files, case):
    name, _, words = CASES[case]
    res, out = runs_of_broken_files[case]
    assert res.returncode == 2, res.stderr
    line = one_message(res)
    assert line.startswith("calais-sim: error: ")
    for word in expected(words, broken / name, broken):
        assert word in line, (word, line)
    assert res.stdout == ""
    assert not out.exists()


def test_validate_names_every_broken_file_on_its_own_line(broken):
    good = [str(BASELINE), str(SCENARIOS / "port-fencing.toml")]
    names = [name for name, _, _ in CASES.values()]
    res = cli("validate", good[0], *(str(broken / n) for n in names), good[1])
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    errors = res.stderr.splitlines()
    assert len(errors) == len(names), res.stderr
    for line, (name, _, words) in zip(errors, CASES.values(), strict=True):
        assert line.startswith(f"error: {broken / name}"), line
        for word in expected(words, broken / name, broken):
            assert word in line, (word, line)
    assert res.stdout.count("ok: ") == 2


def test_a_cycle_through_several_files_names_them(broken):
    res = cli("validate", str(broken / "cycle-a.toml"))
    assert res.returncode == 2
    line = one_message(res)
    assert (
        "extends" in line and "cycle-a.toml -> cycle-b.toml -> cycle-c.toml -> cycle-a.toml" in line
    )


def test_an_error_in_the_parent_names_the_child_it_was_loaded_for(broken):
    res = cli("validate", str(broken / "good-child.toml"))
    assert res.returncode == 2
    line = one_message(res)
    assert f"{broken / 'good-child.toml'}: population.protection_share: must be at most 1" in line


@pytest.mark.parametrize(
    ("make", "words"),
    [
        ("directory", ["is a directory, not a scenario file"]),
        ("missing", ["file not found"]),
        ("unreadable", ["cannot read the file", "Permission denied"]),
    ],
)
def test_run_and_validate_refuse_a_path_that_is_not_a_readable_file(tmp_path, make, words):
    path = tmp_path / "scenario.toml"
    if make == "directory":
        path.mkdir()
    elif make == "unreadable":
        path.write_text("name = 'x'\n")
        path.chmod(0)
    out = tmp_path / "out"
    for command in (["run", str(path), "--out", str(out)], ["validate", str(path)]):
        res = cli_bound_by_modes(*command) if make == "unreadable" else cli(*command)
        assert res.returncode == 2, res.stderr
        line = one_message(res)
        assert str(path) in line
        for word in words:
            assert word in line, line
        assert not out.exists()


def test_run_refuses_an_out_that_is_a_file(tmp_path):
    out = tmp_path / "results.txt"
    out.write_text("keep me\n")
    res = cli("run", str(BASELINE), "--days", "2", "--out", str(out))
    assert res.returncode == 2
    assert one_message(res) == f"calais-sim: error: --out {out}: exists and is not a directory"
    assert out.read_text() == "keep me\n"


def test_run_refuses_an_out_below_a_file(tmp_path):
    (tmp_path / "file").write_text("keep me\n")
    out = tmp_path / "file" / "run"
    res = cli("run", str(BASELINE), "--days", "2", "--out", str(out))
    assert res.returncode == 2
    assert "is a file, not a directory" in one_message(res)


def test_run_refuses_to_write_over_a_folder_that_is_not_a_run(tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    manifest = {"kind": "sweep", "state": "complete"}
    (sweep / "manifest.json").write_text(json.dumps(manifest))
    res = cli("run", str(BASELINE), "--days", "2", "--out", str(sweep))
    assert res.returncode == 2
    assert "is not a run's manifest" in one_message(res)
    assert json.loads((sweep / "manifest.json").read_text()) == manifest

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "draft.md").write_text("keep me\n")
    res = cli("run", str(BASELINE), "--days", "2", "--out", str(notes))
    assert res.returncode == 2
    assert "holds files that are not a run's results (draft.md)" in one_message(res)
    assert sorted(p.name for p in notes.iterdir()) == ["draft.md"]


BAD_OPTIONS = [
    (["--set", "days"], ["--set", "expected KEY=VALUE"]),
    (["--set", "=3"], ["--set", "expected KEY=VALUE"]),
    (["--set", "extends=other.toml"], ["--set: extends:", "cannot be set"]),
    (
        ["--set", "population.initial_migrants.x=1"],
        ["population.initial_migrants", "not a table"],
    ),
    (
        ["--set", "populaton.initial_migrants=1"],
        ["--set: populaton:", "did you mean 'population'"],
    ),
    (
        ["--set", "population.protection_share=2"],
        ["--set: population.protection_share:", "at most 1"],
    ),
    (
        ["--set", "policies.returns.start_day=1.5"],
        ["--set: policies.returns.start_day:", "day"],
    ),
    (["--days", "-5"], ["argument --days", "at least 1"]),
    (["--days", "1e3"], ["argument --days", "whole number"]),
    (["--seed", "-1"], ["argument --seed", "zero or more"]),
    (["--no-such-option"], ["unrecognized arguments: --no-such-option"]),
]


@pytest.fixture(scope="module")
def runs_with_bad_options(tmp_path_factory) -> list[tuple[subprocess.CompletedProcess, Path]]:
    outs = tmp_path_factory.mktemp("outs")
    commands = [
        ["run", str(BASELINE), *args, "--out", str(outs / str(i)), "--quiet"]
        for i, (args, _) in enumerate(BAD_OPTIONS)
    ]
    return [(res, outs / str(i)) for i, res in enumerate(cli_many(commands))]


@pytest.mark.parametrize("i", range(len(BAD_OPTIONS)), ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_bad_options_are_one_line_and_exit_2(runs_with_bad_options, i):
    words = BAD_OPTIONS[i][1]
    res, out = runs_with_bad_options[i]
    assert res.returncode == 2, res.stderr
    line = one_message(res)
    for word in words:
        assert word in line, (word, line)
    assert not out.exists()


def test_a_missing_argument_is_one_line_and_exit_2():
    res = cli("run")
    assert res.returncode == 2
    line = one_message(res)
    assert "the following arguments are required: scenario" in line
    assert "calais-sim run --help" in line


FAILING_RUN = """
import sys
import sim.model

def boom(self, *args, **kwargs):
    raise RuntimeError("the model broke\\non two lines")

sim.model.CalaisModel.run = boom
from sim.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("debug", [False, True])
def test_a_run_that_fails_exits_1_with_one_line_and_writes_nothing(tmp_path, debug):
    out = tmp_path / "out"
    args = [*(["--debug"] if debug else []), "run", str(BASELINE), "--out", str(out), "--quiet"]
    res = subprocess.run(
        [sys.executable, "-c", FAILING_RUN, *args], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 1, res.stderr
    last = res.stderr.splitlines()[-1]
    assert last == (
        "calais-sim: run failed: RuntimeError: the model broke on two lines "
        "(--debug shows the traceback)"
    )
    if debug:
        assert "Traceback" in res.stderr
    else:
        assert one_message(res) == last
    assert not out.exists()
