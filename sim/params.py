"""Every parameter of the model in one place, with its default, unit, meaning and source.

A parameter is a field of a frozen dataclass declared with :func:`param`. The scenario loader,
the documentation (``docs/scenarios.md``), the command line's ``--set`` and the web app's
controls all read these declarations, so a parameter is described exactly once.

Sources are the figures in ``docs/facts.md`` where one exists; "assumption" marks a value chosen
by judgement and "calibrated" a value fitted to the 2015 record by ``calais-sim calibrate``, whose
fitted values are read from ``sim/data/calibration.toml`` (see :func:`calibrated` and
``docs/validation.md``). A parameter that the record informs declares its :class:`Prior`: the
point fit's search range and the Bayesian calibration's prior.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import tomllib
import warnings
from dataclasses import dataclass, field
from typing import Any

from sim.resources import data_file
from sim.world.zones import WAYS  # the ways in belong to the map; every per-way array follows it


@dataclass(frozen=True)
class Prior:
    """What is believed of a parameter before the 2015 record is seen: uniform between ``lo``
    and ``hi`` (log-uniform when ``log``), and why. The bounds are the point fit's search range
    (``calais-sim calibrate``) and the Bayesian calibration's prior (``--method abc``)."""

    lo: float
    hi: float
    why: str
    log: bool = False


@dataclass(frozen=True)
class Spec:
    """What a parameter means: its unit, explanation, source and valid range, and for a
    parameter the record informs, its prior."""

    unit: str
    doc: str
    source: str = "assumption"
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None
    prior: Prior | None = None


def param(
    default: Any,
    unit: str,
    doc: str,
    source: str = "assumption",
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[str, ...] | None = None,
    prior: Prior | None = None,
) -> Any:
    """Declare a parameter field with its default and its description."""
    spec = Spec(unit=unit, doc=doc, source=source, lo=lo, hi=hi, choices=choices, prior=prior)
    return field(default=default, metadata={"spec": spec})


def specs(cls: type) -> dict[str, tuple[Any, Spec]]:
    """Map each parameter of a dataclass to its ``(default, Spec)``."""
    return {f.name: (f.default, f.metadata["spec"]) for f in dataclasses.fields(cls)}


def value_type(default: Any) -> type:
    """The Python type a parameter's values must have, judged from its default."""
    if isinstance(default, bool):
        return bool
    if isinstance(default, int | float):
        return float if isinstance(default, float) else int
    if isinstance(default, dt.date):
        return dt.date
    return type(default)


CALIBRATION_FILE = data_file("calibration.toml")
"""The fitted values written by ``calais-sim calibrate``."""
CALIBRATED = "calibrated (sim/data/calibration.toml)"
"""The start of the source of every parameter whose default is a fitted value."""


@functools.cache
def calibration_values() -> dict[str, float]:
    """The fitted values in :data:`CALIBRATION_FILE` by dotted key ({} if there is none).

    A file that cannot be read gives a warning and no values, so that the hand-set values
    stand in rather than the package failing to import.
    """
    try:
        doc = tomllib.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
        return {key: float(entry["value"]) for key, entry in doc.get("parameters", {}).items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        warnings.warn(
            f"{CALIBRATION_FILE}: cannot read the fitted values ({exc}); using the hand-set "
            "defaults (run calais-sim calibrate)",
            stacklevel=2,
        )
        return {}


def calibrated(key: str, fallback: float) -> float:
    """A parameter's default: its fitted value in :data:`CALIBRATION_FILE`, else ``fallback``
    (the value set by hand before any calibration)."""
    return type(fallback)(calibration_values().get(key, fallback))


DayLike = int | dt.date
"""A day given either as an offset from the scenario's start or as a calendar date."""


@dataclass(frozen=True)
class Population:
    """Who is in Calais at the start and who arrives."""

    initial_migrants: int = param(
        2500,
        "people",
        "Migrants in and around the camp on the first day.",
        "BBC, 'Calais migrants: how many are there' (early June 2015: about 2,500)",
        0,
        2_000_000,
    )
    daily_arrivals: float = param(
        calibrated("population.daily_arrivals", 80.0),
        "people/day",
        "Mean arrivals from upstream each day (Poisson).",
        f"{CALIBRATED} to 3,000 migrants in early July 2015 (UK-France statement, 2 July 2015)",
        0,
        100_000,
        prior=Prior(
            20.0,
            200.0,
            "the camp's size in early July (3,000) given 2,500 at the start: no count of "
            "arrivals exists; bounds from no growth without arrivals to the camp doubling in a "
            "month",
        ),
    )
    protection_share: float = param(
        0.7,
        "share",
        "Share of migrants with a strong claim to international protection "
        "(Eritrea, Sudan, Syria, Afghanistan dominated Calais in 2015); the rest can be removed.",
        "assumption",
        0,
        1,
    )
    money_median_eur: float = param(
        900.0,
        "EUR",
        "Median money a migrant holds on arrival (lognormal).",
        "assumption",
        0,
        1e6,
    )
    money_spread: float = param(
        0.9,
        "log-sd",
        "Spread of money on arrival (sd of its logarithm).",
        "assumption",
        0,
        5,
    )
    uk_appeal_mean: float = param(
        0.8,
        "0-1",
        "Mean strength of preference for the UK over staying in France "
        "(family, language, belief in work and asylum prospects).",
        "assumption",
        0,
        1,
    )


@dataclass(frozen=True)
class Behaviour:
    """How migrants decide: when to go out, which way, when to give up."""

    night_start_hour: int = param(
        21,
        "hour",
        "Clock hour at which migrants set out from the camp.",
        "assumption",
        0,
        23,
    )
    night_end_hour: int = param(
        6,
        "hour",
        "Clock hour by which everyone still out walks back.",
        "assumption",
        0,
        23,
    )
    stay_utility: float = param(
        calibrated("behaviour.stay_utility", -5.0),
        "utility",
        "Utility of staying in the camp tonight, against each way in's utility (believed "
        "chance, distance, risk, networks' offers, queues): the going-out choice (ODD 7.3).",
        f"{CALIBRATED} to about 500 tries a night at the tunnel in early July 2015 "
        "(police union via CNN)",
        -50,
        50,
        prior=Prior(
            -12.0,
            0.0,
            "the tries a night at the tunnel (about 500 in early July): how readily migrants "
            "go out is observed only through the tries they make",
        ),
    )
    crowd_weight: float = param(
        calibrated("behaviour.crowd_weight", 0.0),
        "utility",
        "Pull of the crowd: how much the number who went out to a way last night raises its "
        "utility tonight, as crowd_weight x ln(1 + crowd / crowd_scale) (ODD 7.2). Crowds "
        "overwhelm guards and people go with their group; 0 turns it off.",
        "assumption (threshold models of collective behaviour, Granovetter 1978; the mass "
        "attempts of July 2015 at the tunnel, BBC, Guardian)",
        0,
        10,
        prior=Prior(
            0.0,
            1.5,
            "the rise of the tunnel's tries from about 500 a night in early July to about "
            "1,750 on 27/28 July, by fewer than 400 people: how much a crowd draws others is "
            "seen only in such a rise; above about 1.5 the first way a crowd takes draws "
            "everyone",
        ),
    )
    crowd_shield: float = param(
        0.0,
        "share",
        "How far a crowd at a way keeps a migrant whose try failed from giving up for the "
        "night: the chance to try again is persistence + (1 - persistence) x crowd_shield x "
        "N / (N + crowd_scale), N the people out at the way tonight (ODD 7.6). 0 turns it off.",
        "assumption (2,000 tries by fewer than 400 people at the tunnel on 27/28 July 2015: "
        "those stopped and escorted off rejoined the crowd; Eurotunnel via VICE)",
        0,
        1,
    )
    crowd_scale: float = param(
        100.0,
        "people",
        "Crowd at a way at which its pull is crowd_weight x ln 2, and its shield half of "
        "crowd_shield (ODD 7.2, 7.6).",
        "assumption (groups of about 150 rushed the tunnel's platforms, 3/4 July 2015)",
        1,
        1e5,
    )
    persistence: float = param(
        calibrated("behaviour.persistence", 0.6),
        "probability",
        "Chance that a migrant whose try failed (blocked by a fence, stopped at the perimeter, "
        "no way aboard) tries again the next night hour; otherwise it walks back (ODD 7.4).",
        f"{CALIBRATED} to about 1,750 tries at the tunnel on the nights of 27/28 and 28/29 "
        "July 2015, by 200 to 1,000 people (Guardian, VICE, AFP, CNN)",
        0,
        0.99,
        prior=Prior(
            0.0,
            0.95,
            "the nights of 27-29 July (about 1,750 tries at the tunnel by 200 to 1,000 "
            "people): how many tries a person makes in a night is only seen on such nights",
        ),
    )
    walk_speed_kmh: float = param(
        4.0,
        "km/h",
        "Walking speed on the grid.",
        "assumption",
        0.5,
        10,
    )
    prior_success: float = param(
        calibrated("behaviour.prior_success", 0.08),
        "probability",
        "What the camp believes a night's try at any way in achieves at the start (each "
        "migrant's belief and the camp's news on day 0).",
        f"{CALIBRATED} to how the tries of June and July 2015 move as the camp learns",
        0.0001,
        1,
        prior=Prior(
            0.003,
            0.15,
            "the camp's belief in a night's chance on 1 June 2015: no figure; seen in how the "
            "tries of June and July move as the camp learns what the ways give (a camp that "
            "starts out believing more goes out less as it learns); from a third of a percent "
            "to twice the hand-set value (0.08), log-uniform",
            log=True,
        ),
    )
    learning_rate: float = param(
        0.25,
        "0-1",
        "Weight of a migrant's own latest outcome in its belief about that way.",
        "assumption",
        0,
        1,
        prior=Prior(
            0.02,
            0.8,
            "weight of a migrant's own latest outcome in its belief: an assumption (0.25); "
            "from hardly learning to forgetting all but the last night",
        ),
    )
    social_rate: float = param(
        0.15,
        "0-1/day",
        "Daily pull of each belief towards the success rate heard in the camp.",
        "assumption (Routes and Rumours, Hinsch and Bijak 2023)",
        0,
        1,
        prior=Prior(
            0.01,
            0.6,
            "daily pull of beliefs towards what the camp hears: an assumption (0.15, after "
            "Routes and Rumours); from isolated migrants to a camp that shares everything daily",
        ),
    )
    success_weight: float = param(
        1.0,
        "utility/log-chance",
        "Weight of the log of the believed chance in choosing to go out and which way.",
        "assumption (at 2.5, with every newcomer's belief at 0.08, tries at the tunnel fell to "
        "a sixth within June and July 2015 against a record that rose; 1.0 keeps the choice "
        "elastic; fitted with the others it came out at 0.40 and 1.4, docs/validation.md)",
        0,
        50,
        prior=Prior(
            0.2,
            3.0,
            "how strongly the believed chance moves the going-out choice: no figure; 1.0 is "
            "set by hand, at 2.5 the tunnel's tries fell within June-July against a rising "
            "record",
        ),
    )
    distance_weight: float = param(
        0.05,
        "utility/km",
        "Disutility of each kilometre walked to a way in.",
        "assumption (migrants walked the 5-6 km to Coquelles nightly in summer 2015: the walk "
        "weighs little against the chance)",
        0,
        10,
    )
    risk_weight: float = param(
        60.0,
        "utility/probability",
        "Disutility of the chance of death or injury per try.",
        "assumption",
        0,
        1e5,
    )
    give_up_failures: float = param(
        40.0,
        "failures",
        "Failed nights at which a migrant is half discouraged (discouragement = "
        "failures / (failures + this)).",
        "assumption",
        1,
        1e4,
    )
    asylum_hazard: float = param(
        0.006,
        "share/day",
        "Scale of the daily chance of claiming asylum in France: the chance is this x "
        "(1 - pull to the UK) x (0.25 + discouragement).",
        "assumption",
        0,
        1,
    )
    departure_hazard: float = param(
        0.003,
        "share/day",
        "Scale of the daily chance of giving up on Calais: the chance is this x hopelessness, "
        "where hopelessness is 1 - (best believed chance / a newcomer's belief), in [0, 1] "
        "(ODD 7.7).",
        "assumption",
        0,
        1,
    )
    coast_share: float = param(
        0.6,
        "share",
        "Share of those who give up on Calais who move along the coast (Dunkirk, "
        "Grande-Synthe) rather than leave the region.",
        "assumption (Grande-Synthe grew from about 80 in mid-2015 to about 2,500 by December; "
        "The Local, 20 Oct 2015; MSF)",
        0,
        1,
    )
    injury_recovery_days: int = param(
        7,
        "days",
        "Days an injured migrant stays in the camp before trying again.",
        "assumption",
        0,
        365,
    )


@dataclass(frozen=True)
class Smuggling:
    """Smuggling networks: their number, capacity, prices and how they are dismantled."""

    initial_networks: int = param(
        9,
        "networks",
        "Networks operating on the first day, spread over the ways in.",
        "assumption",
        0,
        500,
    )
    places_per_night: int = param(
        6,
        "places/night",
        "Places one network can sell each night.",
        "assumption",
        0,
        1000,
    )
    price_eur: float = param(
        1200.0,
        "EUR",
        "Price of one smuggled try (placing in a chosen lorry).",
        "assumption (press reports of EUR 1,000-5,000 for 'guaranteed' passage)",
        0,
        1e5,
    )
    success_multiplier: float = param(
        2.5,
        "x",
        "How much more likely a smuggled try is to succeed than a lone one.",
        "assumption",
        1,
        50,
        prior=Prior(
            1.0,
            10.0,
            "how much likelier a smuggled try succeeds than a lone one: an assumption (2.5); "
            "from no advantage to ten times, log-uniform (a ratio)",
            log=True,
        ),
    )
    buy_propensity: float = param(
        0.35,
        "share",
        "Chance that a migrant going out asks a network for a place; one who cannot pay may "
        "be taken on credit (see debt_share); requests beyond the places on sale go unmet.",
        "assumption",
        0,
        1,
    )
    debt_share: float = param(
        0.25,
        "share",
        "Chance that a network takes a migrant who cannot pay on credit, in debt "
        "bondage: such a migrant becomes a victim of trafficking.",
        "assumption",
        0,
        1,
    )
    dismantle_hazard: float = param(
        0.004,
        "share/day",
        "Daily chance that investigators dismantle a given network.",
        "assumption",
        0,
        1,
    )
    entry_demand: float = param(
        150.0,
        "requests",
        "Unmet requests for places that make a new network enter, on average.",
        "assumption",
        1,
        1e6,
    )
    max_networks: int = param(
        60,
        "networks",
        "Most networks the market sustains at once.",
        "assumption",
        0,
        10_000,
    )


@dataclass(frozen=True)
class Enforcement:
    """Police and security at the ways in."""

    base_units: int = param(
        6,
        "units",
        "Mobile police units stationed in Calais before any measure (one unit is "
        "about 65 officers).",
        "Ministry of the Interior, 29 July 2015: 5.5 units, rounded",
        0,
        1000,
    )
    catches_per_unit_hour: float = param(
        6.0,
        "tries/unit/hour",
        "Tries one unit can intercept in an hour at its way in.",
        "assumption",
        0,
        1000,
    )
    unit_efficacy: float = param(
        0.6,
        "probability",
        "Chance that a try within a unit's reach is intercepted.",
        "assumption",
        0,
        1,
    )
    perimeter_detection_port: float = param(
        0.3,
        "probability",
        "Chance that an intrusion at the port's perimeter is stopped by guards and cameras "
        "before the lorries, without mobile units (first stage of a try, ODD 7.4).",
        "assumption",
        0,
        1,
    )
    perimeter_detection_beach: float = param(
        0.2,
        "probability",
        "Chance that an intrusion from the beach is stopped before the port's lorries, "
        "without mobile units.",
        "assumption",
        0,
        1,
    )
    perimeter_detection_tunnel: float = param(
        calibrated("enforcement.perimeter_detection_tunnel", 0.3),
        "probability",
        "Chance that an intrusion at the tunnel terminal's perimeter is stopped by Eurotunnel's "
        "guards and cameras, without mobile units.",
        f"{CALIBRATED} to the interceptions by Eurotunnel in June-July 2015, 180 to 638 a day "
        "(37,000 from January to 28 July: CNN, HuffPost UK)",
        0,
        1,
        prior=Prior(
            0.02,
            0.9,
            "the interceptions by Eurotunnel (180 to 638 a day in June-July): the share of "
            "intrusions that Eurotunnel's own security stops is not published",
        ),
    )
    base_detection_port: float = param(
        calibrated("enforcement.base_detection_port", 0.35),
        "probability",
        "Chance that someone hidden in a lorry at the port is found by the checks "
        "(juxtaposed controls, scanners, dogs, searches): second stage of a try, ODD 7.4.",
        f"{CALIBRATED} to about 170 a day stopped at the port and the beach ways, 21 June - "
        "11 July 2015 (Home Office update, 14 July 2015: over 8,000 at the juxtaposed ports "
        "in 21 days; the port of Calais's share assumed 0.45)",
        0,
        1,
        prior=Prior(
            0.02,
            0.9,
            "the tries stopped at the port (about 170 a day, port and beach ways together, "
            "21 June - 11 July): the share of hidden migrants the checks find is not "
            "published; the beach way ends at the same port, so its checks are the port's",
        ),
    )
    base_detection_beach: float = param(
        calibrated("enforcement.base_detection_beach", 0.35),
        "probability",
        "Chance that someone of the beach way hidden in a lorry is found by the port's checks.",
        f"{CALIBRATED}, tied to base_detection_port: the beach way ends at the same port's "
        "controls, and the record counts tries stopped at both together",
        0,
        1,
    )
    base_detection_tunnel: float = param(
        0.25,
        "probability",
        "Chance that someone hidden in a lorry or train at the tunnel terminal is found by "
        "the checks (scanners, dogs).",
        "assumption",
        0,
        1,
    )
    redeploy_share: float = param(
        0.3,
        "share/day",
        "Share of the movable units redeployed each day towards where recent tries were.",
        "assumption",
        0,
        1,
    )
    unit_cost_eur_per_day: float = param(
        20_000.0,
        "EUR/unit/day",
        "Cost of one unit for one day (pay, lodging, vehicles).",
        "assumption (about 65 officers at about EUR 300 a day)",
        100,
        1e7,
    )
    max_units: int = param(
        170,
        "units",
        "Most enforcement units deployable at once, however much money buys.",
        "France's mobile forces in 2015: about 60 CRS companies and 109 gendarmerie squadrons",
        0,
        10_000,
    )


@dataclass(frozen=True)
class Traffic:
    """Lorries and trains through the port and the tunnel, and what stops them."""

    port_lorries_per_hour: float = param(
        180.0,
        "lorries/hour",
        "Lorries through the port in normal operation.",
        "Port of Calais, about 1.6 million lorries a year",
        0,
        1e5,
    )
    tunnel_lorries_per_hour: float = param(
        160.0,
        "lorries/hour",
        "Lorries carried by the tunnel's freight shuttles.",
        "Eurotunnel, about 1.4 million trucks a year (2015)",
        0,
        1e5,
    )
    spare_capacity: float = param(
        0.3,
        "share",
        "Extra throughput available to clear a queue once traffic resumes.",
        "assumption",
        0,
        10,
    )
    queue_scale: float = param(
        2000.0,
        "lorries",
        "Queue at a crossing at which half its tries meet queued lorries outside the "
        "perimeter, and the camp hears of doubled chances (ODD 7.2, 7.6).",
        "assumption",
        1,
        1e6,
    )
    incident_chance_tunnel: float = param(
        0.002,
        "probability/try",
        "Chance that a try at the tunnel stops the trains.",
        "assumption",
        0,
        1,
    )
    incident_chance_port: float = param(
        0.0005,
        "probability/try",
        "Chance that a try at the port stops traffic.",
        "assumption",
        0,
        1,
    )
    incident_hours: float = param(
        2.0,
        "hours",
        "Hours traffic stays stopped after an incident (a later incident extends the stop).",
        "assumption",
        0,
        72,
    )
    cross_chance_port: float = param(
        0.03,
        "probability",
        "Chance that an undetected try at the port ends in the UK.",
        "assumption, set by hand: no count of crossings in the record to fit it to",
        0,
        1,
    )
    cross_chance_beach: float = param(
        0.01,
        "probability",
        "Chance that an undetected try via the beach ends in the UK.",
        "assumption, set by hand: no count of crossings in the record to fit it to",
        0,
        1,
    )
    cross_chance_tunnel: float = param(
        0.03,
        "probability",
        "Chance that an undetected try at the tunnel ends in the UK.",
        "assumption, set by hand: no count of crossings in the record to fit it to",
        0,
        1,
    )


@dataclass(frozen=True)
class Risk:
    """What a try costs in lives and injuries."""

    death_chance_port: float = param(
        0.00004,
        "probability/try",
        "Chance that a try at the port kills.",
        "assumption, set by hand in view of 17 deaths around Calais in 2014 (Calais Migrant "
        "Solidarity via Newsweek); not fitted",
        0,
        1,
    )
    death_chance_beach: float = param(
        0.00003,
        "probability/try",
        "Chance that a try via the beach kills.",
        "assumption",
        0,
        1,
    )
    death_chance_tunnel: float = param(
        calibrated("risk.death_chance_tunnel", 0.0002),
        "probability/try",
        "Chance that a try at the tunnel kills.",
        f"{CALIBRATED} to 9 deaths from 26 June to 29 July 2015 (French Interior Minister)",
        0,
        1,
        prior=Prior(
            1e-5,
            2e-3,
            "the 9 deaths from 26 June to 29 July 2015: a chance of death per try is never "
            "recorded; searched on a log scale over two orders of magnitude around the "
            "hand-set value",
            log=True,
        ),
    )
    injury_chance_port: float = param(
        0.0015,
        "probability/try",
        "Chance that a try at the port injures.",
        "assumption",
        0,
        1,
    )
    injury_chance_beach: float = param(
        0.001,
        "probability/try",
        "Chance that a try via the beach injures.",
        "assumption",
        0,
        1,
    )
    injury_chance_tunnel: float = param(
        0.003,
        "probability/try",
        "Chance that a try at the tunnel injures.",
        "assumption",
        0,
        1,
    )


SECTIONS: dict[str, type] = {
    "population": Population,
    "behaviour": Behaviour,
    "smuggling": Smuggling,
    "enforcement": Enforcement,
    "traffic": Traffic,
    "risk": Risk,
}
"""The model's parameter tables, by their name in scenario files."""


def prior(key: str) -> Prior:
    """The prior declared beside the parameter at a dotted key (``section.name``).

    Raises:
        KeyError: no such parameter, or it declares no prior.
    """
    section, _, name = key.partition(".")
    spec = specs(SECTIONS[section])[name][1]
    if spec.prior is None:
        raise KeyError(f"{key} declares no prior")
    return spec.prior


def per_way(section: Any, prefix: str) -> tuple[float, float, float]:
    """Collect the ``<prefix>_<way>`` parameters of a section in :data:`WAYS` order."""
    return tuple(getattr(section, f"{prefix}_{way}") for way in WAYS)  # type: ignore[return-value]
