"""Mesa's clock moved a day at a time, when nothing but the hourly step is on it.

:meth:`CalaisModel.run` runs a day's quiet hours in one go (``CalaisModel._advance``) and then
moves Mesa's time, step count and hourly step event on by the day, as 24 ``step()`` calls
would. Mesa has no public call for that, so this module reads and writes Mesa's event list and
default schedule (``_default_schedule``, ``_event_list``, ``_user_step``); it is the one place
in the project that does. It checks first that the clock holds exactly what it expects
(:func:`only_hourly_steps`, every attribute looked up with a default): with another Mesa, a
simulator, another event or a replaced ``step``, ``run()`` calls the public ``step()`` hour by
hour instead (the same outcomes; ``tests/test_model.py`` checks both paths agree).
"""

from __future__ import annotations

from collections.abc import Callable

import mesa


def only_hourly_steps(model: mesa.Model, step: Callable[..., None]) -> bool:
    """Whether Mesa's clock of ``model`` holds nothing but the hourly ``step`` (the class's
    own, not replaced): no simulator, no other event. Then :func:`skip` may move it on."""
    gen = getattr(model, "_default_schedule", None)
    events = getattr(getattr(model, "_event_list", None), "_events", None)
    if gen is None or events is None or len(events) != 1:
        return False
    schedule = getattr(gen, "schedule", None)
    user = getattr(getattr(model, "_user_step", None), "__func__", None)
    return (
        getattr(model, "_simulator", True) is None
        and user is step  # a subclass's own step runs hour by hour
        and model.__dict__.get("step") == getattr(model, "_wrapped_step", None)
        and getattr(gen, "is_active", False)
        and not getattr(gen, "_paused", True)
        and events[0] is getattr(gen, "_current_event", None)
        and not events[0].CANCELED
        and events[0].time == model.time + 1
        and getattr(schedule, "interval", None) == 1.0
        and schedule.count is None
        and schedule.end is None
    )


def skip(model: mesa.Model, hours: int) -> None:
    """Move Mesa's clock, step count and hourly event on by ``hours`` steps, as that many
    ``step()`` calls would have (only after :func:`only_hourly_steps`)."""
    gen = model._default_schedule
    model._event_list.pop_event()
    model.time += hours
    model.steps += hours
    gen._execution_count += hours
    gen._schedule_next(model.time + 1)
