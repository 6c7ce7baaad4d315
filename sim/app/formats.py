"""How the page writes values for people, and reads the numbers they type."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import math
from typing import Any


def fmt_amount(value: float, unit: str) -> str:
    """A value with its unit, for people to read."""
    if unit == "EUR":
        if abs(value) >= 1e6:
            return f"EUR {value / 1e6:,.1f} million"
        return f"EUR {value:,.0f}"
    if unit == "hours":
        return f"{value:,.0f} hours"
    return f"{value:,.0f}"


def fmt_signed(value: float, unit: str) -> str:
    """A difference with its sign (a true minus) and unit; one decimal below 10 (a mean of a
    few runs).

    >>> fmt_signed(-1.35, "people"), fmt_signed(2.5e6, "EUR"), fmt_signed(0, "")
    ('−1.4', '+EUR 2.5 million', '0')
    """
    if value == 0:
        return "0"
    sign = "+" if value > 0 else "−"
    size = abs(value)
    if unit not in ("EUR", "hours") and size < 9.95 and round(size, 1) != round(size):
        return f"{sign}{size:.1f}"
    return sign + fmt_amount(size, unit)


def parse_number(text: str, kind: str) -> Any:
    """A number typed in a field (``1,000`` and ``1_000`` are fine); a date for day keys.

    Read exactly (as a decimal, never through a float), so a whole number of any size, such
    as a 19-digit seed, comes back as typed; a whole number for an ``int`` or ``day`` key is an
    ``int``, anything else a ``float``.
    """
    text = (text or "").strip().replace(",", "").replace("_", "").replace(" ", "")
    if kind == "day":
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(text)
    what = "a day number or a date (2015-07-01)" if kind == "day" else "a number"
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise ValueError(f"type {what}, not {text!r}") from None
    if not number.is_finite():
        raise ValueError(f"type {what}, not {text!r}")
    if number.adjusted() > 308:  # beyond any float; 1e999999999 as an int would fill memory
        raise ValueError(f"type {what} of at most 308 digits, not {text[:40]!r}")
    if kind in ("int", "day") and number == number.to_integral_value():
        return int(number)
    return float(number)


def fmt_value(value: Any, step: float | None = None) -> str:
    """A value as a control shows it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if step is not None and step < 1:
        return f"{value:.{max(0, -math.floor(math.log10(step)))}f}"
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.6g}"


def fmt_date(day: dt.date) -> str:
    """A date for people: 'Wed 1 July 2015'."""
    return f"{day:%a} {day.day} {day:%B %Y}"
