"""The measures of the 2 July 2015 statement, and scenario events, one small class each.

Each measure is a frozen dataclass of its parameters (declared with :func:`sim.params.param`,
so their units and sources are documented once) with a start and an effect. The effect is
written on :class:`Levers`, the day's settings that the model core reads: the core never names
a measure. Several measures combine on the same lever: factors multiply, boosts and units add,
fences take the strongest.

A scenario lists measures in ``[policies.<name>]`` tables and events in ``[events.<name>]``
tables. A measure may appear more than once with a label, ``[policies."tunnel_security@august"]``,
each instance with its own start and parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from sim.params import WAYS, param

if TYPE_CHECKING:
    import numpy as np

    from sim.model import CalaisModel

DAY_UNIT = "day or date"
"""The unit of parameters that take a day number from the start or a calendar date."""

PORT, BEACH, TUNNEL = range(3)
TRAFFIC_PORT, TRAFFIC_TUNNEL = range(2)


def _filled(n: int, value: float) -> np.ndarray:
    # NumPy imported here: reading and checking scenarios (calais-sim validate) needs none.
    import numpy as np

    return np.full(n, value)


@dataclass
class Levers:
    """The day's settings that measures write and the model core reads.

    A fresh ``Levers`` is made each day; measures in force then apply their effects to it.
    """

    fence: np.ndarray = field(default_factory=lambda: _filled(3, 0.0))
    """Fence strength wanted at each way in (share of tries a fence stops); fences stay built."""
    pinned_units: np.ndarray = field(default_factory=lambda: _filled(3, 0.0))
    """Enforcement units stationed at each way in by decision."""
    movable_units: float = 0.0
    """Extra enforcement units deployed where recent tries were."""
    detection_boost: np.ndarray = field(default_factory=lambda: _filled(3, 0.0))
    """Added chance that a try at each way in is detected (cameras, dogs, detectors)."""
    arrivals_factor: float = 1.0
    """Multiplier on arrivals from upstream."""
    arrivals_delayed_share: float = 0.0
    """Share of the day's arrivals held upstream for a while."""
    arrivals_delay_days: int = 0
    """How long held arrivals are delayed."""
    campaign_reach: float = 0.0
    """Share of the camp that an information campaign reaches each day."""
    appeal_shift: float = 0.0
    """How much a reached migrant's pull to the UK falls."""
    dismantle_factor: float = 1.0
    """Multiplier on the daily chance that a network is dismantled."""
    entry_factor: float = 1.0
    """Multiplier on the chance that new networks enter."""
    removal_share: float = 0.0
    """Share of detected migrants with no protection claim who are removed."""
    removal_capacity: float = 0.0
    """Most removals a day (detention and escort places)."""
    cost_per_removal: float = 0.0
    """What one removal costs; the model adds it to the day's spending for each removal."""
    victim_identification: float = 0.0
    """Daily chance that a victim of trafficking is identified and protected."""
    incident_hours_factor: float = 1.0
    """Multiplier on how long an incident stops traffic."""
    clear_factor: float = 1.0
    """Multiplier on the spare throughput that clears queues."""
    traffic_capacity: np.ndarray = field(default_factory=lambda: _filled(2, 1.0))
    """Share of normal traffic that runs at the port and the tunnel (strikes lower it)."""
    spend_eur: float = 0.0
    """Money spent today on measures."""


POLICIES: dict[str, type[Measure]] = {}
"""Measures by their name in scenario files (``[policies.<name>]``)."""
EVENTS: dict[str, type[Measure]] = {}
"""Events by their name in scenario files (``[events.<name>]``)."""


def policy(name: str):
    """Register a measure class under its name in scenario files."""

    def wrap(cls: type[Measure]) -> type[Measure]:
        cls.name = name
        POLICIES[name] = cls
        return cls

    return wrap


def event(name: str):
    """Register an event class under its name in scenario files."""

    def wrap(cls: type[Measure]) -> type[Measure]:
        cls.name = name
        EVENTS[name] = cls
        return cls

    return wrap


def ramp(since: int, days: float) -> float:
    """Share of a measure built ``since`` days after it began, built evenly over ``days``."""
    return 1.0 if days <= 0 else min(1.0, (since + 1) / days)


@dataclass(frozen=True)
class Measure:
    """A measure or event: enabled or not, in force from ``start_day``, with an effect."""

    name: ClassVar[str] = ""
    enabled: bool = param(True, "on/off", "Whether this measure is part of the scenario.")
    start_day: int = param(
        0,
        DAY_UNIT,
        "First day in force: days from the scenario's start, or a date.",
        lo=-36_500,
        hi=36_500,
    )

    def in_force(self, day: int) -> bool:
        """Whether the measure acts on simulated ``day``."""
        return self.enabled and day >= self.start_day

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Write the measure's effect for a day ``since`` days after its start on ``levers``."""
        raise NotImplementedError


def unit_cost(model: CalaisModel, units: float) -> float:
    """What ``units`` enforcement units cost for one day."""
    return units * model.params.enforcement.unit_cost_eur_per_day


@policy("port_fencing")
@dataclass(frozen=True)
class PortFencing(Measure):
    """Protective fencing at the Port of Calais access points."""

    strength: float = param(
        0.6,
        "share",
        "Share of tries at the port that the finished fence stops.",
        "assumption (Getmansky et al. 2019 and Feigenberg 2020: fences divert more than they stop)",
        0,
        1,
    )
    build_days: int = param(
        30,
        "days",
        "Days to build the fence; its strength grows evenly meanwhile.",
        "2 July 2015 statement: works 'due for completion in the coming days'",
        0,
        3650,
    )
    cost_eur: float = param(
        7_000_000.0,
        "EUR",
        "Cost of the fence, spent evenly while it is built.",
        "assumption: part of the EUR 15m fund of 20 Sept 2014",
        0,
        1e10,
    )

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Raise the port fence as it is built and pay for the work."""
        levers.fence[PORT] = max(levers.fence[PORT], self.strength * ramp(since, self.build_days))
        if since < max(self.build_days, 1):
            levers.spend_eur += self.cost_eur / max(self.build_days, 1)


@policy("beach_security")
@dataclass(frozen=True)
class BeachSecurity(Measure):
    """Barriers and patrols that prevent access to the port via the beach."""

    barrier_strength: float = param(
        0.5,
        "share",
        "Share of tries via the beach that the finished barriers stop.",
        "assumption",
        0,
        1,
    )
    build_days: int = param(20, "days", "Days to build the barriers.", "assumption", 0, 3650)
    patrol_units: float = param(
        1.0,
        "units",
        "Enforcement units stationed on the beach.",
        "assumption",
        0,
        100,
    )
    cost_eur: float = param(
        2_000_000.0,
        "EUR",
        "Cost of the barriers, spent while they are built.",
        "assumption",
        0,
        1e10,
    )

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Build the beach barriers, station the patrols, and pay for both."""
        level = self.barrier_strength * ramp(since, self.build_days)
        levers.fence[BEACH] = max(levers.fence[BEACH], level)
        levers.pinned_units[BEACH] += self.patrol_units
        levers.spend_eur += unit_cost(model, self.patrol_units)
        if since < max(self.build_days, 1):
            levers.spend_eur += self.cost_eur / max(self.build_days, 1)


@policy("tunnel_security")
@dataclass(frozen=True)
class TunnelSecurity(Measure):
    """Fencing, guards and detection technology at the Channel Tunnel terminal, Coquelles."""

    fence_strength: float = param(
        0.6,
        "share",
        "Share of tries at the terminal that the finished fence stops.",
        "assumption",
        0,
        1,
    )
    build_days: int = param(
        21,
        "days",
        "Days to build the fence.",
        "assumption (about 2 km of fence, summer 2015)",
        0,
        3650,
    )
    guard_units: float = param(
        0.0,
        "units",
        "Extra guards at the terminal, in enforcement units.",
        "assumption",
        0,
        100,
    )
    detection_boost: float = param(
        0.1,
        "probability",
        "Added chance that a try is detected (CCTV, floodlights, infrared detectors).",
        "UK-France agreement of 20 August 2015 (measures); size assumed",
        0,
        1,
    )
    cost_eur: float = param(
        10_000_000.0,
        "EUR",
        "Cost of the fence and technology, spent while built.",
        "Guardian, 28 July 2015: GBP 7m (about EUR 10m) for new fencing at Coquelles",
        0,
        1e10,
    )

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Fence the terminal, add guards and detectors, and pay for them."""
        level = self.fence_strength * ramp(since, self.build_days)
        levers.fence[TUNNEL] = max(levers.fence[TUNNEL], level)
        levers.pinned_units[TUNNEL] += self.guard_units
        levers.detection_boost[TUNNEL] += self.detection_boost * ramp(since, self.build_days)
        levers.spend_eur += unit_cost(model, self.guard_units)
        if since < max(self.build_days, 1):
            levers.spend_eur += self.cost_eur / max(self.build_days, 1)


@policy("intervention_fund")
@dataclass(frozen=True)
class InterventionFund(Measure):
    """The joint intervention fund: money that buys enforcement units and technology."""

    amount_eur: float = param(
        15_000_000.0,
        "EUR",
        "Size of the fund.",
        "joint declaration, 20 Sept 2014: EUR 15m over three years",
        0,
        1e11,
    )
    spend_days: int = param(
        1095,
        "days",
        "Days over which the fund is spent evenly.",
        "joint declaration, 20 Sept 2014: three years",
        1,
        36_500,
    )
    enforcement_share: float = param(
        0.5,
        "share",
        "Share of the fund spent on movable enforcement units.",
        "assumption",
        0,
        1,
    )
    detection_per_meur: float = param(
        0.01,
        "probability/EUR million",
        "Added detection chance at every way in per million euros of the fund's technology "
        "share (installed from the fund's first day).",
        "assumption",
        0,
        1,
    )

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Spend the fund's daily share on units and on detection technology."""
        if since >= self.spend_days:
            return
        daily = self.amount_eur / self.spend_days
        levers.spend_eur += daily
        unit_day = model.params.enforcement.unit_cost_eur_per_day
        if unit_day > 0:
            levers.movable_units += daily * self.enforcement_share / unit_day
        tech_meur = self.amount_eur * (1 - self.enforcement_share) / 1e6
        levers.detection_boost += min(1.0, tech_meur * self.detection_per_meur)


@policy("information_campaign")
@dataclass(frozen=True)
class InformationCampaign(Measure):
    """Information on the reality of the UK asylum and benefits system."""

    reach_per_day: float = param(
        0.02,
        "share/day",
        "Share of the camp the campaign reaches each day.",
        "assumption",
        0,
        1,
    )
    appeal_shift: float = param(
        0.15,
        "0-1",
        "How much a reached migrant's pull to the UK falls.",
        "assumption",
        0,
        1,
    )
    arrivals_reduction: float = param(
        0.05,
        "share",
        "Share of arrivals deterred upstream by the campaign.",
        "assumption",
        0,
        1,
    )
    cost_eur_per_day: float = param(
        3_000.0,
        "EUR/day",
        "Running cost of the campaign.",
        "assumption",
        0,
        1e8,
    )

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Reach migrants in the camp and deter some arrivals."""
        levers.campaign_reach = 1 - (1 - levers.campaign_reach) * (1 - self.reach_per_day)
        levers.appeal_shift = max(levers.appeal_shift, self.appeal_shift)
        levers.arrivals_factor *= 1 - self.arrivals_reduction
        levers.spend_eur += self.cost_eur_per_day


@policy("anti_smuggling")
@dataclass(frozen=True)
class AntiSmuggling(Measure):
    """Joint action against smuggling and trafficking networks."""

    dismantle_factor: float = param(
        1.3,
        "x",
        "Multiplier on the daily chance that a network is dismantled.",
        "2 July 2015 statement: 30% more networks dismantled in 2014 than in 2013",
        1,
        100,
    )
    entry_factor: float = param(
        0.9,
        "x",
        "Multiplier on the chance that a new network enters (deterrence).",
        "assumption",
        0,
        10,
    )
    cost_eur_per_day: float = param(
        8_000.0,
        "EUR/day",
        "Cost of the investigators and the joint command centre.",
        "assumption",
        0,
        1e8,
    )

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Investigate networks harder and deter new ones."""
        levers.dismantle_factor *= self.dismantle_factor
        levers.entry_factor *= self.entry_factor
        levers.spend_eur += self.cost_eur_per_day


@policy("transit_cooperation")
@dataclass(frozen=True)
class TransitCooperation(Measure):
    """Links with transit countries (the processing centre in Niger): fewer and later arrivals."""

    arrivals_reduction: float = param(
        0.1,
        "share",
        "Share of arrivals that no longer come once the measure is in full force.",
        "assumption",
        0,
        1,
    )
    delayed_share: float = param(
        0.2,
        "share",
        "Share of the remaining arrivals held upstream for a while.",
        "assumption",
        0,
        1,
    )
    delay_days: int = param(
        30, "days", "How long held arrivals are delayed.", "assumption", 0, 3650
    )
    ramp_days: int = param(
        90,
        "days",
        "Days until the measure is in full force.",
        "assumption",
        0,
        3650,
    )
    cost_eur_per_day: float = param(
        10_000.0,
        "EUR/day",
        "Share of the cost borne for Calais.",
        "assumption",
        0,
        1e8,
    )

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Lower and delay arrivals from upstream, building up over time."""
        strength = ramp(since, self.ramp_days)
        levers.arrivals_factor *= 1 - self.arrivals_reduction * strength
        levers.arrivals_delayed_share = max(
            levers.arrivals_delayed_share, self.delayed_share * strength
        )
        levers.arrivals_delay_days = max(levers.arrivals_delay_days, self.delay_days)
        levers.spend_eur += self.cost_eur_per_day


@policy("returns")
@dataclass(frozen=True)
class Returns(Measure):
    """Return of detected migrants who have no protection claim."""

    removal_share: float = param(
        0.3,
        "share",
        "Share of detected migrants with no protection claim who are removed.",
        "assumption",
        0,
        1,
    )
    capacity_per_day: float = param(
        20.0,
        "people/day",
        "Most removals a day (detention and escort places).",
        "assumption",
        0,
        1e6,
    )
    cost_eur_per_removal: float = param(
        5_000.0,
        "EUR/person",
        "Cost of detaining and removing one person.",
        "assumption",
        0,
        1e7,
    )

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Open removal places; each removal made is charged to the day's spending."""
        levers.removal_share = max(levers.removal_share, self.removal_share)
        levers.removal_capacity += self.capacity_per_day
        levers.cost_per_removal = max(levers.cost_per_removal, self.cost_eur_per_removal)


@policy("victim_support")
@dataclass(frozen=True)
class VictimSupport(Measure):
    """Support for victims of human trafficking: identification and shelter."""

    identification_rate: float = param(
        0.02,
        "share/day",
        "Daily chance that a victim of trafficking is identified and taken out of exploitation.",
        "assumption",
        0,
        1,
    )
    cost_eur_per_day: float = param(
        2_000.0,
        "EUR/day",
        "Running cost of outreach and shelter.",
        "assumption",
        0,
        1e8,
    )

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Identify victims of trafficking."""
        levers.victim_identification = 1 - (1 - levers.victim_identification) * (
            1 - self.identification_rate
        )
        levers.spend_eur += self.cost_eur_per_day


@policy("traffic_resumption")
@dataclass(frozen=True)
class TrafficResumption(Measure):
    """Rapid resumption of maritime and rail traffic after incidents and strikes."""

    incident_hours_factor: float = param(
        0.5,
        "x",
        "Multiplier on how long an incident stops traffic.",
        "assumption",
        0,
        10,
    )
    clear_factor: float = param(
        2.0,
        "x",
        "Multiplier on the spare throughput that clears queues.",
        "assumption",
        0,
        20,
    )
    cost_eur_per_day: float = param(
        5_000.0,
        "EUR/day",
        "Cost of response teams and traffic management.",
        "assumption",
        0,
        1e8,
    )

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Shorten stoppages and clear queues faster."""
        levers.incident_hours_factor *= self.incident_hours_factor
        levers.clear_factor *= self.clear_factor
        levers.spend_eur += self.cost_eur_per_day


@policy("police_reinforcement")
@dataclass(frozen=True)
class PoliceReinforcement(Measure):
    """Extra police units stationed at one way in (as France did on 29 July 2015)."""

    way: str = param(
        "tunnel",
        "way in",
        "Where the units are stationed.",
        "Ministry of the Interior, 29 July 2015: notably at the tunnel site",
        choices=WAYS,
    )
    units: float = param(
        2.0,
        "units",
        "Units added.",
        "Ministry of the Interior, 29 July 2015: two mobile units",
        0,
        1000,
    )
    detection_boost: float = param(
        0.0,
        "probability",
        "Added chance that a try there is detected (for example dog teams).",
        "assumption",
        0,
        1,
    )

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Station the units and pay for them."""
        w = WAYS.index(self.way)
        levers.pinned_units[w] += self.units
        levers.detection_boost[w] += self.detection_boost
        levers.spend_eur += unit_cost(model, self.units)


@event("ferry_strike")
@dataclass(frozen=True)
class FerryStrike(Measure):
    """A ferry strike: port traffic stops and the tunnel approaches are blocked."""

    days: int = param(1, "days", "Length of the strike.", "BBC, June-July 2015", 1, 3650)
    port_capacity: float = param(
        0.0,
        "share",
        "Share of normal port traffic that runs during the strike.",
        "BBC, 23 June 2015: the port blocked",
        0,
        1,
    )
    tunnel_capacity: float = param(
        0.6,
        "share",
        "Share of normal tunnel traffic that runs (approaches blocked).",
        "assumption",
        0,
        1,
    )

    def in_force(self, day: int) -> bool:
        """A strike acts only on its own days."""
        return super().in_force(day) and day < self.start_day + self.days

    def apply(self, model: CalaisModel, since: int, levers: Levers) -> None:
        """Stop the port and slow the tunnel."""
        levers.traffic_capacity[TRAFFIC_PORT] *= self.port_capacity
        levers.traffic_capacity[TRAFFIC_TUNNEL] *= self.tunnel_capacity
