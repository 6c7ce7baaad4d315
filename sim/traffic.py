"""Lorry and train traffic through the port and the tunnel, its stoppages and its queues.

Lorries arrive at a steady rate for each crossing. Incidents (intruders on the tracks or in the
port) stop a crossing for some hours; strikes lower its capacity for whole days. What cannot
pass waits in a queue on the approach roads and the A16, and queued lorries give migrants more
chances to climb in. When traffic resumes, spare throughput clears the queue.
"""

from __future__ import annotations

import numpy as np

from sim.params import Traffic as TrafficParams

PORT, TUNNEL = 0, 1


class Traffic:
    """The state of traffic at the port (index 0) and the tunnel (index 1).

    Args:
        params: the scenario's traffic parameters.
    """

    def __init__(self, params: TrafficParams) -> None:
        self.params = params
        self.demand = np.array([params.port_lorries_per_hour, params.tunnel_lorries_per_hour])
        self.queue = np.zeros(2)
        self.stopped_until = np.zeros(2)  # model hour until which an incident stops traffic
        self.capacity = np.ones(2)  # today's share of normal capacity (strikes)
        self.clear_factor = 1.0
        self.incident_hours_factor = 1.0

    def set_day(self, capacity: np.ndarray, clear_factor: float, incident_factor: float) -> None:
        """Take the day's capacity share, queue-clearing factor and incident-length factor."""
        self.capacity = np.asarray(capacity, dtype=float)
        self.clear_factor = clear_factor
        self.incident_hours_factor = incident_factor

    def incident(self, crossing: int, hour: int) -> None:
        """An incident at ``crossing`` during model hour ``hour`` stops it for a while."""
        hours = self.params.incident_hours * self.incident_hours_factor
        # Traffic in the hour of the incident has already moved: the stop counts from the next.
        self.stopped_until[crossing] = max(self.stopped_until[crossing], hour + 1 + hours)

    def step(self, hour: int) -> float:
        """Move one hour of traffic; return the hours of traffic lost (both crossings)."""
        running = self.capacity * np.clip(1.0 - (self.stopped_until - hour), 0.0, 1.0)
        normal = self.demand * running
        spare = self.demand * self.params.spare_capacity * self.clear_factor * running
        throughput = np.minimum(self.queue + self.demand, normal + spare)
        self.queue += self.demand - throughput
        return float(np.sum(1.0 - running))

    def chance_multiplier(self) -> np.ndarray:
        """How much the queues raise the chance of getting into a lorry, per crossing."""
        return 1.0 + self.queue / self.params.queue_scale

    def queued(self) -> float:
        """Lorries queued in all."""
        return float(self.queue.sum())
