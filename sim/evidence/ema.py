"""The model for the EMA Workbench (ema-workbench 3.x): uncertainties, levers and outcomes.

:func:`ema_model` returns a ``ReplicatorModel`` that analysts can hand to
``perform_experiments`` and then to EMA's scenario discovery (PRIM, CART)::

    from ema_workbench import perform_experiments
    from sim.evidence.ema import ema_model

    model = ema_model(replications=10, days=120)
    experiments, outcomes = perform_experiments(model, scenarios=200, policies=4)

- **Uncertainties** are the model's main parameters, with the ranges of the sensitivity
  analysis (:data:`sim.sensitivity.FACTORS`).
- **Levers** are the measures of the 2 July 2015 statement, each switched on or off and, where
  it has one, its strength, on a base scenario in which every measure is in force from the start
  (``scenarios/full-package.toml``).
- **Outcomes** are declared from :data:`sim.metrics.OUTCOMES`: for each, a ``ScalarOutcome`` with
  the outcome's name, the mean of its run summary over the replications, marked to minimise or
  maximise from whether more is better or worse; and an ``ArrayOutcome``
  ``<name>_replicates`` with every replication's value (its uncertainty).

EMA needs names that are Python identifiers, so a parameter's name is its dotted scenario key
with each dot written ``__`` (``population__daily_arrivals`` for ``population.daily_arrivals``;
see :func:`ema_name`).

Replication ``i`` of every experiment is seeded with child ``i`` of
``SeedSequence(root_seed)`` (common random numbers, as in ``calais-sim sweep``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from sim.evidence.sensitivity import DUMMY, FACTORS
from sim.resources import scenario_file

FULL_PACKAGE = scenario_file("full-package")
DEFAULT_DAYS = 61
DEFAULT_REPLICATIONS = 5
DEFAULT_ROOT_SEED = 20150702

LEVERS: tuple[tuple[str, str, float | None, float | None], ...] = (
    ("policies.port_fencing.enabled", "bool", None, None),
    ("policies.port_fencing.strength", "real", 0.0, 1.0),
    ("policies.beach_security.enabled", "bool", None, None),
    ("policies.beach_security.barrier_strength", "real", 0.0, 1.0),
    ("policies.tunnel_security.enabled", "bool", None, None),
    ("policies.tunnel_security.fence_strength", "real", 0.0, 1.0),
    ("policies.intervention_fund.enabled", "bool", None, None),
    ("policies.intervention_fund.amount_eur", "real", 0.0, 50e6),
    ("policies.information_campaign.enabled", "bool", None, None),
    ("policies.anti_smuggling.enabled", "bool", None, None),
    ("policies.transit_cooperation.enabled", "bool", None, None),
    ("policies.returns.enabled", "bool", None, None),
    ("policies.victim_support.enabled", "bool", None, None),
    ("policies.traffic_resumption.enabled", "bool", None, None),
)
"""The levers: (dotted key, kind, low, high); every measure of ``full-package.toml``."""


def ema_name(key: str) -> str:
    """A dotted scenario key as an EMA parameter name (a Python identifier)."""
    name = key.replace(".", "__")
    if not name.isidentifier():
        raise ValueError(f"{key}: cannot be named in EMA (not an identifier once dots are __)")
    return name


def scenario_key(name: str) -> str:
    """The dotted scenario key of an EMA parameter name."""
    return name.replace("__", ".")


def toml_text(value: Any) -> str:
    """A lever's or uncertainty's value as TOML text for an override."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return repr(float(value))


@functools.lru_cache(maxsize=8)
def _base(scenario: str) -> Any:
    from sim.scenario.loading import load_scenario

    return load_scenario(scenario)


def run_calais(
    replicate: int = 0,
    root_seed: int = DEFAULT_ROOT_SEED,
    days: int = DEFAULT_DAYS,
    scenario: str = str(FULL_PACKAGE),
    **values: Any,
) -> dict[str, float]:
    """Run the model once and return each outcome's run summary.

    Args:
        replicate: the replication; its seed is child ``replicate`` of ``SeedSequence(root_seed)``.
        root_seed: the root seed shared by every experiment.
        days: days to simulate.
        scenario: the base scenario file.
        values: uncertainties and levers by EMA name (see :func:`ema_name`).

    Raises:
        ScenarioError: a key or value the scenario does not accept.
    """
    from sim.model import CalaisModel
    from sim.model.outcomes import summarise
    from sim.runs.jobs import replicate_seeds

    overrides = [
        f"days={int(days)}",
        *(f"{scenario_key(k)}={toml_text(v)}" for k, v in values.items()),
    ]
    run = _base(scenario).with_overrides(overrides)
    seed = replicate_seeds(int(root_seed), int(replicate) + 1)[int(replicate)]
    return summarise(CalaisModel(run, seed=seed).run())


def ema_model(
    replications: int = DEFAULT_REPLICATIONS,
    days: int = DEFAULT_DAYS,
    root_seed: int = DEFAULT_ROOT_SEED,
    scenario: str | Path = FULL_PACKAGE,
    name: str = "calais",
) -> Any:
    """The model as an EMA Workbench ``ReplicatorModel``.

    Args:
        replications: runs per experiment (common random numbers across experiments).
        days: days a run.
        root_seed: the root of the replications' seeds.
        scenario: the base scenario; it must have every measure of :data:`LEVERS`.
        name: the model's name in EMA (letters and digits).
    """
    from ema_workbench import (
        ArrayOutcome,
        BooleanParameter,
        Constant,
        RealParameter,
        ReplicatorModel,
        ScalarOutcome,
    )

    from sim.model.outcomes import OUTCOMES

    model = ReplicatorModel(name, function=run_calais)
    model.uncertainties = [
        RealParameter(ema_name(f.key), f.lo, f.hi)
        for f in FACTORS
        if f.key != DUMMY and not f.key.startswith(("policies.", "events."))
    ]
    model.levers = [
        BooleanParameter(ema_name(key)) if kind == "bool" else RealParameter(ema_name(key), lo, hi)
        for key, kind, lo, hi in LEVERS
    ]
    model.constants = [
        Constant("days", int(days)),
        Constant("root_seed", int(root_seed)),
        Constant("scenario", str(scenario)),
    ]
    kinds = {"lower": ScalarOutcome.MINIMIZE, "higher": ScalarOutcome.MAXIMIZE, None: None}
    outcomes = []
    for o in OUTCOMES:
        kind = kinds[o.better] if o.better else ScalarOutcome.INFO
        outcomes.append(ScalarOutcome(o.name, kind, variable_name=o.name, function=np.mean))
        outcomes.append(ArrayOutcome(f"{o.name}_replicates", variable_name=o.name))
    model.outcomes = outcomes
    model.replications = [{"replicate": i} for i in range(replications)]
    return model
