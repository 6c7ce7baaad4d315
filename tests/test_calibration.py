"""Calibration to the 2015 record: the targets file, the objective, the fit, the fitted defaults,
and the validation command."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sim import params
from sim.cli.main import main
from sim.errors import UsageError
from sim.evidence import calibration as cal
from sim.evidence import calibration_file
from sim.evidence import targets as targets_module
from sim.params import CALIBRATED, SECTIONS, specs
from sim.scenario.loading import load_scenario
from tests.conftest import SCENARIOS

GOOD = """
[targets.camp]
role = "calibration"
outcome = "migrants_present"
start = 2015-06-10
end = 2015-06-12
summary = "mean"
value = 1000.0
sd = 100.0
source = "a test"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(text)
    return path


def test_targets_file_loads_with_both_roles_and_known_outcomes():
    targets = targets_module.load_targets()
    roles = {t.role for t in targets}
    assert roles == {"calibration", "validation"}
    names = [t.name for t in targets]
    assert len(names) == len(set(names))
    for t in targets:
        assert t.sd > 0 and t.value > 0 and t.start <= t.end and t.source
    # June and July 2015 are fitted; what is out of sample is never fitted.
    assert all(t.end <= dt.date(2015, 7, 31) for t in targets if t.role == "calibration")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("value = 1000.0", 'value = "many"'), "targets.camp.value: must be a finite number"),
        (("sd = 100.0", "sd = -1.0"), "targets.camp.sd: must be above 0"),
        (("sd = 100.0\n", ""), "targets.camp.sd: missing"),
        (('"migrants_present"', '"migrants_presnt"'), "'migrants_presnt' is not an outcome"),
        (('"migrants_present"', "[]"), "targets.camp.outcome: must be an outcome"),
        (("end = 2015-06-12", "end = 2015-06-01"), "targets.camp.end: is before start"),
        (('"calibration"', '"fit"'), "targets.camp.role: must be one of calibration"),
        (('"mean"', '"median"'), "targets.camp.summary: must be one of mean, sum, last"),
        (("start = 2015-06-10", 'start = "June"'), "targets.camp.start: must be a date"),
        (('source = "a test"', 'source = "a test"\nunit = "people"'), "targets.camp.unit: unknown"),
        (("[targets.camp]", "[targets.camp"), "not valid TOML"),
        (("[targets.camp]", "[target.camp]"), "target: unknown key"),
    ],
)
def test_bad_targets_files_are_refused_with_a_message_naming_file_target_and_key(
    tmp_path, change, says
):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(targets_module.TargetsError) as err:
        targets_module.load_targets(path)
    assert str(path) in str(err.value)
    assert says in str(err.value)


def test_a_bad_targets_file_is_bad_input_on_the_command_line(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("sd = 100.0", "sd = 0"))
    code = main(["calibrate", "--targets", str(path), "--out", str(tmp_path / "c.toml")])
    assert code == 2
    assert "targets.camp.sd: must be above 0" in capsys.readouterr().err
    assert not (tmp_path / "c.toml").exists()


def _target(**kw) -> targets_module.Target:
    base = dict(
        name="t",
        role="calibration",
        outcomes=("attempts_port", "attempts_beach"),
        start=dt.date(2015, 6, 2),
        end=dt.date(2015, 6, 4),
        summary="sum",
        value=1.0,
        sd=1.0,
        source="s",
    )
    return targets_module.Target(**{**base, **kw})


def test_a_targets_statistic_adds_its_outcomes_and_summarises_its_window():
    from sim.model import CalaisModel

    scenario = load_scenario(SCENARIOS / "baseline.toml", ["days=6", *SMALL_POP])
    run = CalaisModel(scenario, seed=np.random.SeedSequence(1)).run()
    both = (run["attempts_port"] + run["attempts_beach"]).to_numpy()
    assert _target().statistic(run) == both[1:4].sum()
    assert _target(summary="mean").statistic(run) == pytest.approx(both[1:4].mean())
    assert _target(summary="last").statistic(run) == both[3]
    with pytest.raises(UsageError, match="not within the run"):
        _target(end=dt.date(2015, 6, 30)).statistic(run)


SMALL_POP = ("population.initial_migrants=600", "population.daily_arrivals=30")


def test_objective_is_lower_at_the_fitted_values_than_at_a_bad_vector():
    targets = [t for t in targets_module.load_targets() if t.role == "calibration"]
    scenario = load_scenario(SCENARIOS / "calais-2015.toml")
    evaluator = cal.Evaluator(scenario, targets, replicates=2, seed=7, workers=1)
    fitted = {p.key: getattr(_section(p.key), p.key.split(".")[1]) for p in cal.FREE}
    bad = {**fitted, "population.daily_arrivals": 190.0, "behaviour.stay_utility": -1.0}
    good_eval, bad_eval = evaluator.evaluate([fitted, bad])
    assert good_eval.objective < bad_eval.objective
    assert good_eval.ard < bad_eval.ard
    assert evaluator.runs == 4


def _section(key: str):
    section = key.split(".")[0]
    return SECTIONS[section]()


def test_a_tiny_calibration_recovers_parameters_that_made_a_synthetic_record():
    from sim.model import CalaisModel

    truth = {"population.daily_arrivals": 50.0, "behaviour.stay_utility": -6.0}
    scenario = load_scenario(
        SCENARIOS / "baseline.toml", ["days=30", "population.initial_migrants=600"]
    )
    windows = {"migrants_present": (20, 29), "attempts_total": (20, 29)}
    shell = [
        targets_module.Target(
            name=o,
            role="calibration",
            outcomes=(o,),
            start=scenario.date_of(a),
            end=scenario.date_of(b),
            summary="mean",
            value=1.0,
            sd=1.0,
            source="the model itself",
        )
        for o, (a, b) in windows.items()
    ]
    # The record: the model at the true values, with seeds the fit never uses.
    at_truth = scenario.with_overrides(f"{k}={v}" for k, v in truth.items())
    runs = [CalaisModel(at_truth, seed=s).run() for s in np.random.SeedSequence(99).spawn(4)]
    targets = []
    for t in shell:
        value = float(np.mean([t.statistic(r) for r in runs]))
        targets.append(dataclasses.replace(t, value=value, sd=0.03 * value))
    free = (
        cal.Free("population.daily_arrivals", 10.0, 150.0, 100.0),
        cal.Free("behaviour.stay_utility", -10.0, -2.0, -4.0),
    )
    evaluator = cal.Evaluator(scenario, targets, replicates=3, seed=5, workers=1)
    result = cal.fit(evaluator, free, popsize=5, maxiter=8, seed=3)
    for key, value in truth.items():
        assert result.values[key] == pytest.approx(value, rel=0.2), (key, result.values)
    assert result.fitted.objective < result.start.objective
    assert result.generations <= 9


def test_the_fitted_defaults_are_what_params_uses():
    doc = tomllib.loads(params.CALIBRATION_FILE.read_text())
    fitted = doc["parameters"]
    assert set(fitted) == {key for p in cal.FREE for key in (p.key, *p.also)}
    for key, entry in fitted.items():
        section, name = key.split(".")
        default, spec = specs(SECTIONS[section])[name]
        assert default == entry["value"], key
        assert spec.source.startswith(CALIBRATED), key
        assert entry["lo"] <= entry["value"] <= entry["hi"], key
    # Nothing else claims to be fitted.
    for section, cls in SECTIONS.items():
        for name, (_, spec) in specs(cls).items():
            if spec.source.startswith("calibrated"):
                assert f"{section}.{name}" in fitted


def test_the_calibration_file_records_how_it_was_made():
    doc = calibration_file.read_calibration()
    method = doc["method"]
    for field in ("command", "date", "seed", "replicates", "runs", "scenario", "optimiser"):
        assert field in method, field
    assert {"calais_sim", "mesa", "numpy", "scipy"} <= set(doc["versions"])
    calibration_targets = {t.name for t in targets_module.load_targets() if t.role == "calibration"}
    assert set(doc["fit"]) == calibration_targets
    for fit in doc["fit"].values():
        assert fit["z"] == pytest.approx((fit["model_mean"] - fit["record"]) / fit["sd"], abs=1e-3)
    assert doc["result"]["objective"] == pytest.approx(
        sum(f["z"] ** 2 for f in doc["fit"].values()), rel=1e-3
    )


def test_calibrate_command_writes_a_calibration_file_elsewhere(tmp_path, capsys):
    out = tmp_path / "calibration.toml"
    code = main(
        [
            "calibrate",
            "--replicates",
            "1",
            "--popsize",
            "1",
            "--maxiter",
            "1",
            "--workers",
            "1",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    doc = tomllib.loads(out.read_text())
    assert set(doc["parameters"]) == {key for p in cal.FREE for key in (p.key, *p.also)}
    for entry in doc["parameters"].values():
        assert entry["lo"] <= entry["value"] <= entry["hi"]
    port = doc["parameters"]["enforcement.base_detection_port"]["value"]
    assert doc["parameters"]["enforcement.base_detection_beach"]["value"] == port
    printed = capsys.readouterr().out
    assert "averaged relative difference" in printed
    assert "population_early_july" in printed


def test_validation_command_compares_every_target_and_writes_the_figures(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "validation.md").write_text(
        "# V\n<!-- validation:start -->\nold\n<!-- validation:end -->\n"
        "<!-- calibration:start -->\nold\n<!-- calibration:end -->\n"
    )
    out = tmp_path / "out"
    args = ["--replicates", "2", "--workers", "1", "--out", str(out)]
    code = main(["validation", *args, "--docs", str(docs), "--update-docs"])
    assert code == 0
    assert (out / "validation_table.md").exists() and (out / "img" / "validation.png").exists()
    assert not (out / "validation.md").exists()
    table = (docs / "validation_table.md").read_text()
    for t in targets_module.load_targets():
        assert f"`{t.name}`" in table
    assert "out of sample" in table
    assert "27/28 July" in table
    page = (docs / "validation.md").read_text()
    assert "old" not in page and "`tunnel_deaths_to_september`" in page
    assert "`population.daily_arrivals`" in page
    for name in ("validation.png", "validation_summary.png"):
        assert (docs / "img" / name).read_bytes()[:4] == b"\x89PNG"


def test_a_scenario_file_that_sets_a_fitted_key_itself_is_pointed_out(tmp_path):
    from sim.evidence.validation import pinned

    path = tmp_path / "s.toml"
    path.write_text('name = "s"\n[population]\ndaily_arrivals = 10.0\n')
    assert pinned(path) == {"population.daily_arrivals": 10.0}
    path.write_text('name = "s"\n[population]\ninitial_migrants = 10\n')
    assert pinned(path) == {}


def test_validation_writes_to_an_output_folder_and_docs_only_when_asked():
    from sim.cli.main import build_parser

    args = build_parser().parse_args(["validation"])
    assert (args.out, args.update_docs) == ("results/validation", False)


def test_calibrate_names_the_objective_it_prints(tmp_path, capsys):
    out = tmp_path / "calibration.toml"
    code = main(
        [
            "calibrate",
            "--replicates",
            "1",
            "--popsize",
            "1",
            "--maxiter",
            "1",
            "--workers",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "search's best objective (sum of z^2, values unrounded)" in printed
    assert printed.count("THE OBJECTIVE") == 1


def test_also_fit_adds_an_optional_parameter_to_the_fitted_ones():
    free = cal.free_parameters(["behaviour.crowd_weight", "behaviour.crowd_weight"])
    assert free[: len(cal.FREE)] == cal.FREE
    assert [p.key for p in free[len(cal.FREE) :]] == ["behaviour.crowd_weight"]
    assert cal.free_parameters() == cal.FREE
    # an optional parameter is set, not fitted, in the packaged calibration
    assert not set(cal.OPTIONAL_FREE) & {p.key for p in cal.FREE}


def test_also_fit_refuses_a_parameter_that_cannot_be_fitted(tmp_path, capsys):
    out = tmp_path / "calibration.toml"
    code = main(["calibrate", "--also-fit", "behaviour.walk_speed_kmh", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "--also-fit" in err and "behaviour.walk_speed_kmh" in err
    assert "behaviour.crowd_weight" in err  # what can be fitted
    assert not out.exists()
