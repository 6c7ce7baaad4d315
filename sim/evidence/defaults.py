"""The evidence commands' defaults and files, declared once, light to import.

The command line reads them to build its options (and its ``--help``) without importing
numpy, pandas, SciPy or the model; the evidence modules re-export them under their own names.
"""

from __future__ import annotations

from sim.resources import data_file, scenario_file

TARGETS_FILE = data_file("targets.toml")
"""The 2015 record the model is calibrated and validated against."""
CALIBRATION_FILE = data_file("calibration.toml")
"""The packaged fit, which the parameters' defaults are read from."""
POSTERIOR_FILE = data_file("posterior.parquet")
"""The packaged ABC-SMC posterior (docs/validation.md, Bayesian calibration)."""
SCENARIO_FILE = scenario_file("calais-2015")
"""The scenario the record describes."""

CALIBRATE_REPLICATES = 6
CALIBRATE_POPSIZE = 4
CALIBRATE_MAXITER = 12

VALIDATION_REPLICATES = 20
VALIDATION_SEED = 2015
"""The root seed of the validation runs: not the calibration's, so that the seeds are new too."""

SENSITIVITY_METHODS = ("morris", "sobol")
SENSITIVITY_SAMPLES = {"morris": 10, "sobol": 16}
SENSITIVITY_REPLICATES = 2
SENSITIVITY_DAYS = 120
"""1 June to 28 September 2015: the measures of late July and August act for one to two months."""
SENSITIVITY_OUTCOMES = (
    "crossings_total",
    "attempts_total",
    "deaths",
    "migrants_present",
    "networks_active",
)

ABC_OUT = "results/abc"
"""Where ``calibrate --method abc`` keeps its history and writes the posterior."""
ABC_POPULATION = 100
ABC_GENERATIONS = 4
ABC_MIN_EPSILON = 8.0
"""Stop once the threshold falls to this (8 calibration targets: a z of 1 on average)."""
ABC_PRIORS = 11
"""How many parameters have a prior (sim.evidence.abc.PRIORS; checked by tests/test_abc.py)."""
