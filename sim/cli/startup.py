"""A command's start-up: its imports made with Python's cyclic garbage collector off."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    """Run the block (a command's imports) with the cyclic garbage collector off, then keep
    what it made out of the collections that follow.

    Importing NumPy, pandas, SciPy, Mesa and matplotlib makes some 250,000 objects that live as
    long as the process and are almost none of them garbage. With the collector on, Python walks
    them again and again while they are being made (about a tenth of ``calais-sim run``'s
    start-up), and every full collection afterwards, during the run and at exit, walks them
    once more. ``gc.freeze()`` moves everything alive to the permanent generation, which no
    collection looks at; reference counting still frees what is dropped.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
