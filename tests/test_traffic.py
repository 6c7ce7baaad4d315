"""Traffic at the port and the tunnel (ODD 7.13), exactly, through its public methods only.

``Traffic`` is built from real traffic parameters with round numbers (10 lorries an hour at the
port, 20 at the tunnel, spare capacity 0.5, queue scale 100, incidents of 4 hours), and each
hour's queue, throughput and hours lost are checked against the documented rule written out by
hand: a crossing runs at its day's capacity share except while an incident stops it (counted
from the hour after the incident), what cannot pass queues, and once it runs again spare
throughput (demand x spare capacity x the clear factor) clears the queue.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.traffic import PORT, TUNNEL, Traffic
from sim.params import Traffic as TrafficParams


def traffic(**over) -> Traffic:
    values = dict(
        port_lorries_per_hour=10.0,
        tunnel_lorries_per_hour=20.0,
        spare_capacity=0.5,
        queue_scale=100.0,
        incident_hours=4.0,
    )
    values.update(over)
    return Traffic(TrafficParams(**values))


def test_traffic_starts_running_freely_with_no_queue():
    t = traffic()
    assert (PORT, TUNNEL) == (0, 1)
    assert list(t.demand) == [10.0, 20.0]
    assert list(t.queue) == [0.0, 0.0]
    assert list(t.stopped_until) == [0.0, 0.0]
    assert list(t.capacity) == [1.0, 1.0]
    assert (t.clear_factor, t.incident_hours_factor) == (1.0, 1.0)
    assert list(t.chance_multiplier()) == [1.0, 1.0]
    assert t.queued() == 0.0
    assert t.step(0) == 0.0 and list(t.queue) == [0.0, 0.0]


def test_set_day_takes_the_capacity_and_factors():
    t = traffic()
    t.set_day(np.array([0.5, 0.25]), 2.0, 0.5)
    assert list(t.capacity) == [0.5, 0.25]
    assert (t.clear_factor, t.incident_hours_factor) == (2.0, 0.5)


def test_an_incident_stops_a_crossing_from_the_next_hour_and_never_shortens_a_stop():
    t = traffic()
    t.incident(TUNNEL, 10)
    assert list(t.stopped_until) == [0.0, 15.0]  # 10 + 1 + 4 hours
    t.set_day(np.ones(2), 1.0, 0.5)
    t.incident(TUNNEL, 10)  # 10 + 1 + 2 = 13 < 15: the stop stays
    assert list(t.stopped_until) == [0.0, 15.0]
    t.incident(TUNNEL, 14)  # 14 + 1 + 2 = 17
    t.incident(PORT, 3)  # 3 + 1 + 2 = 6
    assert list(t.stopped_until) == [6.0, 17.0]


def test_a_stopped_crossing_queues_its_demand_and_spare_throughput_clears_it():
    t = traffic(incident_hours=2.0)
    t.incident(TUNNEL, 10)  # stopped until 13
    lost, queue = [], []
    for hour in range(11, 19):
        lost.append(t.step(hour))
        queue.append(list(t.queue))
    # hours 11, 12 stopped (20 queue each); from 13 the tunnel passes 20 + 0.5 x 20 = 30 an
    # hour: its queue falls by 10 an hour; the port runs freely throughout
    assert lost == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert queue == [
        [0.0, 20.0],
        [0.0, 40.0],
        [0.0, 30.0],
        [0.0, 20.0],
        [0.0, 10.0],
        [0.0, 0.0],
        [0.0, 0.0],
        [0.0, 0.0],
    ]


def test_a_stop_ending_within_an_hour_loses_part_of_it():
    t = traffic(incident_hours=1.5)
    t.incident(PORT, 10)  # stopped until 12.5
    assert t.step(11) == 1.0
    assert list(t.queue) == [10.0, 0.0]
    # hour 12 runs half: 5 through plus 2.5 spare out of 10 + 10 waiting
    assert t.step(12) == 0.5
    assert list(t.queue) == [12.5, 0.0]
    assert list(t.chance_multiplier()) == [1.125, 1.0]
    assert t.queued() == 12.5


def test_a_strike_s_capacity_share_queues_and_loses_the_rest():
    t = traffic()
    t.set_day(np.array([0.5, 1.0]), 1.0, 1.0)
    # the port passes 10 x 0.5 + 10 x 0.5 x 0.5 = 7.5 of 10 an hour
    assert t.step(0) == 0.5
    assert t.step(1) == 0.5
    assert list(t.queue) == [5.0, 0.0]


@pytest.mark.parametrize(("clear", "after"), [(1.0, [30.0, 20.0, 10.0]), (2.0, [20.0, 0.0, 0.0])])
def test_the_clear_factor_scales_the_spare_throughput(clear, after):
    t = traffic(incident_hours=2.0)
    t.set_day(np.ones(2), clear, 1.0)
    t.incident(TUNNEL, 0)  # stopped until 3
    queue = []
    for hour in range(1, 6):
        t.step(hour)
        queue.append(t.queue[TUNNEL])
    # stopped hours 1, 2; then 20 + 20 x 0.5 x clear an hour pass
    assert queue == [20.0, 40.0, *after]


def test_advance_is_the_hours_stepped_one_by_one():
    a, b = traffic(incident_hours=3.0), traffic(incident_hours=3.0)
    for t in (a, b):
        t.set_day(np.array([0.75, 1.0]), 1.5, 1.0)
        t.incident(TUNNEL, 4)
    lost = 2.0
    for hour in range(5, 15):
        lost += b.step(hour)
    assert a.advance(5, 10, 2.0) == lost
    assert list(a.queue) == list(b.queue)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("queue", [1.0, 0.0]),
        ("queue", [0.0, 1.0]),
        ("capacity", [0.5, 1.0]),
        ("capacity", [1.0, 0.5]),
        ("stopped_until", [3.0, 0.0]),
        ("stopped_until", [0.0, 3.0]),
    ],
)
def test_advance_from_traffic_not_running_freely_is_the_hours_stepped(attribute, value):
    # each differs from free traffic in one way only, so no hour may be skipped
    a, b = traffic(), traffic()
    for t in (a, b):
        setattr(t, attribute, np.array(value))
    lost = sum(b.step(hour) for hour in range(0, 6))
    assert lost > 0 or b.queued() != a.queued()
    assert a.advance(0, 6, 0.0) == lost
    assert list(a.queue) == list(b.queue)


def test_advance_over_free_traffic_changes_nothing():
    t = traffic()
    assert t.advance(0, 24, 3.0) == 3.0
    assert list(t.queue) == [0.0, 0.0]


def test_the_setters_take_arrays():
    t = traffic()
    t.queue = np.array([50.0, 200.0])
    t.demand = np.array([1.0, 2.0])
    t.stopped_until = np.array([3.0, 4.0])
    t.capacity = np.array([0.5, 0.5])
    assert list(t.chance_multiplier()) == [1.5, 3.0]
    assert t.queued() == 250.0
    assert (list(t.demand), list(t.stopped_until), list(t.capacity)) == (
        [1.0, 2.0],
        [3.0, 4.0],
        [0.5, 0.5],
    )
