"""The input fields: a number typed in, a slider, and the control of one scenario key.

A control is generated from a key of the scenario schema (:mod:`sim.scenario.schema`): its
label, unit, range and explanation come from the key's spec.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import solara

from sim.app.formats import fmt_date, fmt_value, parse_number
from sim.measures.policies import DAY_UNIT
from sim.scenario.loading import (
    day_number,
)
from sim.scenario.schema import Key


def key_label(key: Key) -> str:
    """A control's label, from its key's name."""
    if key.name == "start_day":
        return "Starts on day"
    words = key.name.replace("_per_meur", "_per_million").replace("_eur", "").replace("_kmh", "")
    words = words.replace("_", " ")
    return words[:1].upper() + words[1:]


def slider_step(key: Key, value: Any) -> float | None:
    """The step of a slider for a key, or None when a number field suits it better.

    Sliders are for numbers with a short range: shares, chances, factors, a few units.
    """
    lo, hi = key.spec.lo, key.spec.hi
    if key.kind not in ("int", "float") or lo is None or hi is None or hi <= lo:
        return None
    if key.kind == "int":
        step = 1.0 if hi - lo <= 200 else None
    elif hi - lo > 100:
        step = None
    else:
        ref = abs(key.default) or (hi - lo) / 10
        step = 10 ** math.floor(math.log10(ref)) / 10
        step = min(max(step, (hi - lo) / 1000), (hi - lo) / 20)
    if step is None:
        return None
    ticks = (value - lo) / step
    return step if abs(ticks - round(ticks)) < 1e-6 else None


def control_key(settings: Any, path: str, key: Key, value: Any) -> str:
    """The key that keeps a control's widget from one change of the settings to the next.

    A switch, a list or a slider shows the settings' value and holds nothing of its own: it
    keeps its widget (a slider moved by the arrow keys keeps the keyboard's focus). A typed
    field holds its text and its message of refusal: it starts afresh at every change.
    """
    if key.kind == "bool" or key.spec.choices or slider_step(key, value) is not None:
        return path
    return f"{settings.revision}:{path}"


Commit = Callable[[Any], "str | None"]
"""Applies a control's new value; returns why it was refused, or None."""


@solara.component
def NumberField(
    label: str,
    value: Any,
    kind: str,
    on_commit: Commit,
    hint: str = "",
    test_id: str = "",
    plain: bool = False,
) -> None:
    """A number typed in a field, applied on Enter or when leaving it; refused if invalid.

    ``plain`` shows the number without thousands separators (a seed).
    """
    text, set_text = solara.use_state(str(value) if plain else fmt_value(value))
    error, set_error = solara.use_state(None)

    def commit(new: str | None) -> None:
        set_text(new or "")
        try:
            problem = on_commit(parse_number(new or "", kind))
        except ValueError as exc:
            problem = str(exc)
        set_error(problem)

    solara.InputText(
        label,
        value=text,
        on_value=commit,
        error=f"Refused: {error}" if error else False,
        message=hint,
        continuous_update=False,
        dense=True,
        classes=["calais-field", *([test_id] if test_id else [])],
    )


@solara.component
def SliderField(
    label: str, value: float, lo: float, hi: float, step: float, on_commit: Commit
) -> None:
    """A slider, applied when released (not at every pixel of a drag)."""
    is_int = float(step).is_integer() and float(lo).is_integer()
    with solara.Row(classes=["calais-slider-head"]):
        solara.Text(label, classes=["calais-label"])
        solara.Text(fmt_value(value, step), classes=["calais-value"])
    slider = solara.v.Slider(
        v_model=value,
        min=lo,
        max=hi,
        step=step,
        thumb_label=True,
        hide_details=True,
        dense=True,
        class_="calais-slider",
    )

    def released(_widget: Any, _event: str, data: Any) -> None:
        on_commit(round(float(data)) if is_int else float(data))

    solara.v.use_event(slider, "change", released)


@solara.component
def KeyControl(key: Key, value: Any, on_commit: Commit, start: dt.date) -> None:
    """The control of one scenario key, with its unit and its explanation.

    A switch for on/off, a list for a choice, a slider for a number with a short range, a
    field for any other number (a day: its number or its date), a text field for text.
    """
    spec = key.spec
    unit = "" if spec.unit in ("on/off", DAY_UNIT) else spec.unit
    label = key_label(key) + (f" ({unit})" if unit else "")
    with solara.Div(classes=["calais-control", f"calais-key-{key.name}"]):
        if key.kind == "bool":
            solara.Switch(label=label, value=bool(value), on_value=on_commit)
        elif spec.choices:
            solara.Select(label, value=value, values=list(spec.choices), on_value=on_commit)
        elif key.kind == "day":
            number = day_number(value, start)
            when = start + dt.timedelta(days=number)
            hint = f"{spec.doc} Day {number} is {fmt_date(when)}."
            NumberField(label, number, "day", on_commit, hint=hint)
        elif key.kind not in ("int", "float"):
            solara.InputText(label, value=str(value), on_value=on_commit, message=spec.doc)
        elif (step := slider_step(key, value)) is not None:
            SliderField(label, value, spec.lo, spec.hi, step, on_commit)
        else:
            span = (
                f" From {fmt_value(spec.lo)} to {fmt_value(spec.hi)}."
                if spec.lo is not None
                else ""
            )
            NumberField(label, value, key.kind, on_commit, hint=spec.doc + span)
        if key.kind == "bool" or spec.choices or slider_step(key, value) is not None:
            solara.Text(spec.doc, classes=["calais-doc"])
