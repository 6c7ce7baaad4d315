"""The model core: the schedule (:mod:`sim.model.calais`), the agents and the population store,
traffic, and the daily outcomes."""

from sim.model.calais import CalaisModel, default_map

__all__ = ["CalaisModel", "default_map"]
