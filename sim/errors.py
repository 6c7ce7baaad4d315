"""The project's errors, exit codes and its one stop-signal mechanism.

Every layer may import this module; it imports nothing of the project. Library code raises the
errors below and never names a command-line flag (it names a setting as :func:`setting` does,
``<out>``); the command line (``sim.cli``) turns them into one-line messages naming its flags,
and exit codes:

- 0 success, 1 a run failed (:class:`RunFailed`), 2 bad input (:class:`BadInput` and its
  subclasses), 130 interrupted by Ctrl-C, 128 + the signal's number when stopped by SIGTERM
  (143) or SIGHUP (129), which are handled as Ctrl-C is (:class:`Interrupted`).
"""

from __future__ import annotations

import contextlib
import re
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import Any

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class BadInput(Exception):
    """Input that cannot be used (exit code 2): the message names what and why."""


class UsageError(BadInput):
    """Bad input that is not about a scenario, map or results file (options, plans)."""


class RunFailed(Exception):
    """A run (or some runs of a sweep) failed; the message says which."""


class Interrupted(KeyboardInterrupt):
    """Stopped by a signal; SIGTERM and SIGHUP are handled as Ctrl-C (SIGINT) is."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signum)
        self.signum = signum


def exit_code(signum: int) -> int:
    """The exit code of a process stopped by ``signum``: 130 for Ctrl-C, else 128 + signum."""
    return EXIT_INTERRUPTED if signum == signal.SIGINT else 128 + signum


def one_line(text: str) -> str:
    """A message on one line: runs of whitespace (newlines too) become one space."""
    return " ".join(str(text).split())


# --- settings named in messages -------------------------------------------------------------

SETTING_MARK = re.compile(r"<([a-z][a-z_]*)>")
"""How library text names a setting: its name in angle brackets (``<replicates>``)."""


def setting(name: str) -> str:
    """A setting as library text names it, ``<name>``: the library never names a command-line
    flag; a face (``sim.cli``) shows each setting its own way (see :func:`name_settings`)."""
    return f"<{name}>"


def name_settings(text: str, words: Mapping[str, str]) -> str:
    """``text`` with each setting named by ``words`` (``{"out": "--out"}``) in their wording;
    other marks (and angle brackets that are not marks) are left as they are."""
    return SETTING_MARK.sub(lambda m: words.get(m.group(1), m.group(0)), text)


# --- the stop signals -----------------------------------------------------------------------

STOP_SIGNALS: tuple[int, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""The signals besides Ctrl-C (SIGINT) that stop the program as Ctrl-C does."""

_pending_stops: list[int] = []
"""Stop signals received; kept so that a stop is honoured even when its exception was lost."""


def _stop(signum: int, _frame: object) -> None:
    _pending_stops.append(signum)
    raise Interrupted(signum)


def pending_stops() -> list[int]:
    """The stop signals received and not yet cleared (a copy)."""
    return list(_pending_stops)


def clear_stops() -> None:
    """Forget the stops received: for a caller that has honoured them itself."""
    _pending_stops.clear()


def check_stop() -> None:
    """Raise the stop asked for by a signal whose exception was swallowed, if there is one.

    Python cannot raise out of a finalizer or weak-reference callback: a stop that lands there
    is only recorded, and this check, at safe points (between days, before writing), honours it.
    """
    if _pending_stops:
        raise Interrupted(_pending_stops[0])


def _quiet_lost_stops(hook: Any) -> Any:
    """An unraisable-exception hook that stays silent about stops (they are honoured later)."""

    def unraisable(info: Any) -> None:
        if not isinstance(info.exc_value, KeyboardInterrupt):
            hook(info)

    return unraisable


def handle_stop_signals() -> None:
    """From now on, SIGTERM and SIGHUP raise :class:`Interrupted` (for the life of a process)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _stop)


def ignore_stop_signals() -> None:
    """From now on, Ctrl-C, SIGTERM and SIGHUP are ignored (once the work is done)."""
    for sig in (signal.SIGINT, *STOP_SIGNALS):
        signal.signal(sig, signal.SIG_IGN)


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """Within this block, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted`, so that writes
    in progress are abandoned whole and the exit is clean (a no-op outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, *STOP_SIGNALS)}
    old_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_lost_stops(old_hook)
    try:
        yield
    finally:
        sys.unraisablehook = old_hook
        for sig, handler in old.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and the stop signals until the block ends, then act on them as usual.

    For a step that must not be cut in half (starting worker processes).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    old = {
        sig: signal.signal(sig, lambda signum, _frame: held.append(signum))
        for sig in (signal.SIGINT, *STOP_SIGNALS)
    }
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(held):
            signal.raise_signal(sig)
