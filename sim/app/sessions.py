"""Each session's runs (a session: one browser tab's kernel), freed when the session closes.

The page keeps its current pair of runs here (:func:`keep`); runs that replace a session's
runs take over their ensemble if it is the one they need (Reset with the same settings) and
stop it otherwise (the settings changed: its worker processes end at once). When Solara closes
a session's kernel, the hook registered with ``solara.lab.on_kernel_start`` takes its runs out
of the store and releases their models and ensemble (:meth:`sim.app.runs.Workshop.close`), so
that a tab opened and closed leaves nothing behind. Solara closes a kernel at once when its tab
is closed, and after its cull timeout when the page only lost its connection (the server sets
that timeout short: :data:`sim.app.server.KERNEL_CULL_TIMEOUT`).
"""

from __future__ import annotations

import threading

import solara.lab
from solara.server import kernel_context

from sim.app.runs import Workshop

_RUNS: dict[str, Workshop] = {}
_LOCK = threading.Lock()


def current_session() -> str | None:
    """The id of the session being drawn, or None outside a session."""
    if not kernel_context.has_current_context():
        return None
    return kernel_context.get_current_context().id


def keep(workshop: Workshop) -> None:
    """Keep ``workshop`` as the current session's runs (replacing the runs it had, whose
    ensemble it takes over or stops)."""
    session = current_session()
    if session is not None:
        with _LOCK:
            old = _RUNS.get(session)
            _RUNS[session] = workshop
        if old is not None and old is not workshop:
            workshop.take_over(old)


def runs_of(session: str) -> Workshop | None:
    """The runs a session has now, or None if it has none (or is closed)."""
    with _LOCK:
        return _RUNS.get(session)


def open_sessions() -> list[str]:
    """The ids of the sessions with runs in the store."""
    with _LOCK:
        return sorted(_RUNS)


def forget(session: str) -> None:
    """Take a session's runs out of the store and release their models (and stop their
    ensemble's workers)."""
    with _LOCK:
        workshop = _RUNS.pop(session, None)
    if workshop is not None:
        workshop.close()


def _on_session_start() -> object:
    session = current_session()
    return (lambda: forget(session)) if session is not None else None


solara.lab.on_kernel_start(_on_session_start)
