"""Traffic (ODD 7.13): lorries and trains through the port and the tunnel, their stoppages and
their queues.

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

    The state is two numbers per array; it is kept as Python floats, which step faster than
    numpy arrays of two, and shown as arrays (``demand``, ``queue``, ``stopped_until``,
    ``capacity``).

    Args:
        params: the scenario's traffic parameters.
    """

    def __init__(self, params: TrafficParams) -> None:
        self.params = params
        self._demand = [float(params.port_lorries_per_hour), float(params.tunnel_lorries_per_hour)]
        self._queue = [0.0, 0.0]
        self._stopped_until = [0.0, 0.0]  # model hour until which an incident stops traffic
        self._capacity = [1.0, 1.0]  # today's share of normal capacity (strikes)
        self.clear_factor = 1.0
        self.incident_hours_factor = 1.0

    @property
    def demand(self) -> np.ndarray:
        """Lorries an hour wanting to cross, per crossing."""
        return np.array(self._demand)

    @demand.setter
    def demand(self, value: np.ndarray) -> None:
        self._demand = [float(v) for v in value]

    @property
    def queue(self) -> np.ndarray:
        """Lorries queued, per crossing."""
        return np.array(self._queue)

    @queue.setter
    def queue(self, value: np.ndarray) -> None:
        self._queue = [float(v) for v in value]

    @property
    def stopped_until(self) -> np.ndarray:
        """Model hour until which an incident stops each crossing."""
        return np.array(self._stopped_until)

    @stopped_until.setter
    def stopped_until(self, value: np.ndarray) -> None:
        self._stopped_until = [float(v) for v in value]

    @property
    def capacity(self) -> np.ndarray:
        """Today's share of normal capacity, per crossing (strikes lower it)."""
        return np.array(self._capacity)

    @capacity.setter
    def capacity(self, value: np.ndarray) -> None:
        self._capacity = [float(v) for v in value]

    def set_day(self, capacity: np.ndarray, clear_factor: float, incident_factor: float) -> None:
        """Take the day's capacity share, queue-clearing factor and incident-length factor."""
        self.capacity = capacity
        self.clear_factor = clear_factor
        self.incident_hours_factor = incident_factor

    def incident(self, crossing: int, hour: int) -> None:
        """An incident at ``crossing`` during model hour ``hour`` stops it for a while."""
        hours = self.params.incident_hours * self.incident_hours_factor
        # Traffic in the hour of the incident has already moved: the stop counts from the next.
        self._stopped_until[crossing] = max(self._stopped_until[crossing], hour + 1 + hours)

    def step(self, hour: int) -> float:
        """Move one hour of traffic; return the hours of traffic lost (both crossings)."""
        spare_share = self.params.spare_capacity
        queue, lost = self._queue, 0.0
        for i in (0, 1):
            running = self._capacity[i] * min(max(1.0 - (self._stopped_until[i] - hour), 0.0), 1.0)
            demand = self._demand[i]
            normal = demand * running
            spare = demand * spare_share * self.clear_factor * running
            throughput = min(queue[i] + demand, normal + spare)
            # never below zero, even by a rounding error when a queue clears exactly
            queue[i] = max(0.0, queue[i] + demand - throughput)
            lost += 1.0 - running
        return lost

    def advance(self, hour: int, hours: int, lost: float) -> float:
        """Move ``hours`` hours of traffic from model hour ``hour``, as that many :meth:`step`
        calls; return ``lost`` plus the hours of traffic lost, added hour by hour (the same
        sum, to the last bit). Once both crossings run freely with no queue, the remaining
        hours change nothing and are skipped."""
        for h in range(hour, hour + hours):
            if self._steady(h):
                break
            lost += self.step(h)
        return lost

    def _steady(self, hour: int) -> bool:
        """Whether traffic runs at full capacity with no queue and no stop from ``hour`` on
        (so each hour's step leaves it as it is and loses nothing)."""
        return (
            self._queue[0] == 0.0
            and self._queue[1] == 0.0
            and self._capacity[0] == 1.0
            and self._capacity[1] == 1.0
            and self._stopped_until[0] <= hour
            and self._stopped_until[1] <= hour
        )

    def chance_multiplier(self) -> np.ndarray:
        """How much the queues raise the chance of getting into a lorry, per crossing."""
        scale = self.params.queue_scale
        return np.array([1.0 + q / scale for q in self._queue])

    def queued(self) -> float:
        """Lorries queued in all."""
        return self._queue[0] + self._queue[1]
