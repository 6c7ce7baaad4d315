"""The agents: migrants, smuggling networks and enforcement units.

Migrants are many, so their state lives in numpy arrays owned by the model
(:class:`MigrantStore`, one row a migrant) and each phase of the night acts on all of them at
once. Each migrant is still a Mesa agent (:class:`Migrant`, in ``model.agents``) whose
attributes read and write its row. Networks and units are few and are ordinary Mesa agents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import mesa
import numpy as np

from sim.params import WAYS

if TYPE_CHECKING:
    from sim.model import CalaisModel

# Migrant states (the values of MigrantStore.state).
GONE, CAMP, OUT, TRYING, BACK = -1, 0, 1, 2, 3
STATE_NAMES: dict[int, str] = {
    GONE: "gone",
    CAMP: "in camp",
    OUT: "walking out",
    TRYING: "trying",
    BACK: "walking back",
}


class MigrantStore:
    """The migrant population as arrays, one row a migrant; freed rows are reused.

    Columns:
        state: one of GONE, CAMP, OUT, TRYING, BACK.
        way: the way in chosen tonight (index into ``WAYS``).
        eta: hours of walking left to the way in (OUT) or back to the camp (BACK).
        tries: tries made tonight.
        failures: nights that ended without crossing.
        belief: (n, 3) believed chance that a night at each way in ends in the UK.
        money: euros held.
        appeal: pull to the UK over staying in France, 0 to 1.
        claim: has a strong claim to protection (cannot be removed).
        network: id of the network that sold tonight's place, or -1.
        victim: held in debt bondage by a network (a victim of trafficking).
        recovered_day: first day an injured migrant can try again.
    """

    COLUMNS: ClassVar[dict[str, tuple[type, object]]] = {
        "state": (np.int8, GONE),
        "way": (np.int8, 0),
        "eta": (np.float32, 0.0),
        "tries": (np.int16, 0),
        "failures": (np.int32, 0),
        "money": (np.float64, 0.0),
        "appeal": (np.float32, 0.0),
        "claim": (np.bool_, False),
        "network": (np.int32, -1),
        "victim": (np.bool_, False),
        "recovered_day": (np.int32, 0),
    }

    def __init__(self, capacity: int = 1024) -> None:
        self.capacity = 0
        self.high = 0  # one past the highest row ever taken: rows from here on are all GONE
        self.free: list[int] = []
        self.agents: list[Migrant | None] = []
        for name, (dtype, fill) in self.COLUMNS.items():
            setattr(self, name, np.full(0, fill, dtype=dtype))
        # column-major: the day's updates run down each way's column
        self.belief = np.zeros((0, len(WAYS)), dtype=np.float32, order="F")
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        old = self.capacity
        for name, (dtype, fill) in self.COLUMNS.items():
            arr = np.full(capacity, fill, dtype=dtype)
            arr[:old] = getattr(self, name)
            setattr(self, name, arr)
        belief = np.zeros((capacity, len(WAYS)), dtype=np.float32, order="F")
        belief[:old] = self.belief
        self.belief = belief
        self.agents.extend([None] * (capacity - old))
        self.free.extend(range(capacity - 1, old - 1, -1))
        self.capacity = capacity

    def allocate(self, n: int) -> np.ndarray:
        """Take ``n`` free rows (growing the arrays if needed), lowest first."""
        if n > len(self.free):
            self._grow(max(2 * self.capacity, self.capacity + n - len(self.free)))
        rows = self.free[-n:] if n else []
        del self.free[len(self.free) - n :]
        out = np.array(rows[::-1], dtype=np.int64)
        if n:
            self.high = max(self.high, int(out.max()) + 1)
        return out

    def release(self, rows: np.ndarray) -> None:
        """Mark rows as gone and make them free for newcomers."""
        self.state[rows] = GONE
        self.network[rows] = -1
        self.victim[rows] = False
        self.free.extend(np.asarray(rows, dtype=np.int64).tolist())

    def alive(self) -> np.ndarray:
        """Rows of migrants still in Calais."""
        return np.flatnonzero(self.state[: self.high] != GONE)

    def count(self) -> int:
        """Migrants still in Calais."""
        return self.capacity - len(self.free)


def _column(name: str, doc: str, convert=None) -> property:
    def get(self: Migrant):
        value = getattr(self.model.migrants, name)[self.row]
        return convert(value) if convert else value

    def set_(self: Migrant, value) -> None:
        getattr(self.model.migrants, name)[self.row] = value
        if name == "state":
            # the model keeps the rows of migrants out of the camp; a direct write voids it
            self.model.migrants_moved()

    return property(get, set_, doc=doc)


class Migrant(mesa.Agent):
    """A migrant in Calais: a Mesa agent whose state is its row of the model's arrays.

    The night's behaviour (set out, walk, try, return) and the day's decisions (learn, claim
    asylum, leave) run for all migrants at once in the submodels of :mod:`sim.model`; this object
    is the per-migrant view of that state, for inspection, the map and Mesa's tools.
    """

    def __init__(self, model: CalaisModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    state_code = _column("state", "State code (see STATE_NAMES).", int)
    money = _column("money", "Euros held.", float)
    appeal = _column("appeal", "Pull to the UK over staying in France, 0 to 1.", float)
    failures = _column("failures", "Nights that ended without crossing.", int)
    claim = _column("claim", "Has a strong claim to protection.", bool)
    victim = _column("victim", "Held in debt bondage by a network.", bool)

    @property
    def state(self) -> str:
        """What the migrant is doing: 'in camp', 'walking out', 'trying', 'walking back'."""
        return STATE_NAMES[self.state_code]

    @property
    def way(self) -> str:
        """The way in chosen tonight."""
        return WAYS[int(self.model.migrants.way[self.row])]

    @property
    def beliefs(self) -> dict[str, float]:
        """Believed chance that a night at each way in ends in the UK."""
        return {
            w: float(b) for w, b in zip(WAYS, self.model.migrants.belief[self.row], strict=True)
        }

    @property
    def pos(self) -> tuple[int, int] | None:
        """Grid cell (column, row) where the migrant is now."""
        return (
            self.model.migrant_cells(np.array([self.row]))[0] if self.state_code != GONE else None
        )

    @pos.setter
    def pos(self, value: object) -> None:
        """Mesa's Agent assigns ``pos`` on creation; positions here follow from the state."""


class SmugglingNetwork(mesa.Agent):
    """A smuggling network that sells places on one way in.

    Args:
        model: the model.
        way: index of the way in it serves.
        places: places it can sell each night.
        price: price of one place in euros.
    """

    def __init__(self, model: CalaisModel, way: int, places: int, price: float) -> None:
        super().__init__(model)
        self.way = way
        self.places = places
        self.price = price
        self.sold_tonight = 0
        self.revenue = 0.0
        self.victims = 0
        self.founded_day = model.day

    @property
    def way_name(self) -> str:
        """The way in it serves."""
        return WAYS[self.way]

    def sell(self, buyers: int, paying: int) -> None:
        """Record tonight's sales: ``buyers`` places, of which ``paying`` paid in cash."""
        self.sold_tonight = buyers
        self.revenue += paying * self.price
        self.victims += buyers - paying

    def investigated(self, hazard: float) -> bool:
        """Whether investigators dismantle the network today, with daily chance ``hazard``."""
        return bool(self.model.rng.random() < hazard)


class EnforcementUnit(mesa.Agent):
    """A mobile police unit (about 65 officers) patrolling one way in.

    Args:
        model: the model.
        way: index of the way in it is stationed at.
        pinned: stationed there by a measure (True) or movable towards recent tries (False).
    """

    def __init__(self, model: CalaisModel, way: int, pinned: bool) -> None:
        super().__init__(model)
        self.way = way
        self.pinned = pinned
        self.pos: tuple[int, int] = model.patrol_cell(way)

    @property
    def way_name(self) -> str:
        """The way in it patrols."""
        return WAYS[self.way]

    def patrol(self, draw: float) -> None:
        """Move to the point of the way's patrol line that the uniform ``draw`` (in [0, 1))
        picks (:func:`sim.model.deployment.patrol` draws for all units at once)."""
        line = self.model.patrol_lines[self.way]
        self.pos = line[int(draw * len(line))]

    def redeploy(self, way: int) -> None:
        """Move the unit to another way in."""
        self.way = way
        self.pos = self.model.patrol_cell(way)
