"""The overview figure of ``calais-sim run`` drawn in a second process while the model runs.

Importing matplotlib and drawing the figure take about as long as importing Mesa and running
the model, and neither needs the other until the end; on a machine with two cores they can go
side by side. A process forked first thing, while the command runs a single thread, imports
matplotlib (and neither pandas nor Mesa) while the command imports Mesa and runs the model;
then it draws the figure from the run's columns and hands back the PNG's bytes. Whatever goes
wrong on that side (no ``fork`` on this system, or threads in the calling process, the second
process failing, killed or too slow), the caller draws the figure itself: the PNG is the same
either way.

The second process writes nothing and prints nothing: the command's files are written by the
command, as before. It dies on Ctrl-C, SIGTERM and SIGHUP, and it ends when the command does
(it is a daemon, and it reads from the command, which closes its end when it exits).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from typing import Any

WAIT_S = 30.0
"""Longest wait for the second process's PNG before drawing it here instead."""


class OverviewProcess:
    """A process that imports the figure's modules now and draws one overview when asked.

    Use: ``OverviewProcess()`` first (before NumPy starts its threads), ``.draw(frame, title)``
    once the run is done, ``.png(frame, title)`` for the bytes, and ``.close()`` (also on
    failure) to end it.
    """

    def __init__(self) -> None:
        self._proc: Any = None
        self._conn: Any = None
        self._sent = False
        if "fork" not in multiprocessing.get_all_start_methods() or not _single_threaded():
            return  # a fork of a process with threads may deadlock (a lock held by another)
        ctx = multiprocessing.get_context("fork")
        here, there = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(there, here), name="overview", daemon=True)
        try:
            proc.start()
        except OSError:  # no process to spare: the figure is drawn here
            here.close()
            return
        finally:
            there.close()
        self._proc, self._conn = proc, here

    def draw(self, frame: Any, title: str) -> None:
        """Hand the run's columns to the second process, which starts drawing."""
        if self._conn is None:
            return
        columns = {name: frame[name].to_numpy() for name in frame.columns}  # no pandas there
        try:
            self._conn.send((columns, title))
            self._sent = True
        except OSError:  # it has gone
            self.close()

    def png(self, frame: Any, title: str) -> bytes:
        """The overview's PNG: the second process's, or drawn here if it has none to give."""
        if self._sent:
            try:
                if self._conn.poll(WAIT_S):
                    data = self._conn.recv_bytes()
                    if data:
                        return data
            except (EOFError, OSError):
                pass
            finally:
                self.close()
        from sim.runs.plots import overview_png

        return overview_png(frame, title)

    def close(self) -> None:
        """End the second process, whatever it is doing."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        self._sent = False
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join()


def _single_threaded() -> bool:
    """Whether this process runs one thread: no Python thread, nor native ones (NumPy's BLAS
    and Arrow start theirs when imported)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: the threads Python knows of
        return threading.active_count() == 1


def _serve(conn: Any, other_end: Any) -> None:
    """The second process: import the figure's modules, then draw one overview and send it."""
    # Nothing of it on the command's output, and no reader of that output kept waiting on it.
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)):
        signal.signal(sig, signal.SIG_DFL)
    other_end.close()
    import gc

    gc.disable()  # a short-lived process: nothing to gain from collecting
    from sim.runs.plots import PreparedOverview

    prepared = PreparedOverview()  # while the model runs: only the run's lines are left to draw
    try:
        columns, title = conn.recv()
    except (EOFError, OSError):  # the command ended, or draws the figure itself
        return
    conn.send_bytes(prepared.png(columns, title))
