"""The model core: the schedule (:mod:`sim.model.calais`), the agents and the population store
(:mod:`sim.model.agents`), one module per submodel of ODD section 7 (``arrivals``,
``going_out``, ``places``, ``walking``, ``tries``, ``removals``, ``news``, ``giving_up``,
``victims``, ``networks``, ``deployment``), traffic, and the daily outcomes."""

from sim.model.calais import CalaisModel, default_map

__all__ = ["CalaisModel", "default_map"]
