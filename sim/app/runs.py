"""The paired runs: the chosen scenario and the baseline, stepped together hour by hour.

Also what the page reads from a run as it goes: the simulated time, whether it is night, the
outcomes so far, and the run's daily results as a Parquet file.
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import mesa
import pandas as pd
import solara

from sim.app.settings import Settings, baseline_for, default_settings, workshop_toml
from sim.model.calais import NOON, CalaisModel
from sim.model.outcomes import OUTCOME_BY_NAME
from sim.runs.provenance import PROVENANCE_PREFIX, frame_parquet_bytes, provenance
from sim.scenario.loading import (
    ScenarioError,
)


class Workshop(mesa.Model):
    """The chosen scenario and the baseline, run side by side with the same seed.

    One step is one simulated hour in both. The run stops after the scenario's last day.

    Args:
        settings: what the controls say; Mesa's Reset passes the page's live settings
            (a ``solara.Reactive``) and a new run starts from their current value.
    """

    def __init__(self, settings: Settings | solara.Reactive[Settings] | None = None) -> None:
        if isinstance(settings, solara.Reactive):
            settings = settings.value
        settings = default_settings() if settings is None else settings
        super().__init__(rng=settings.scenario.seed)
        self.settings = settings
        self.lock = threading.RLock()
        self.chosen = CalaisModel(settings.scenario)
        self.baseline_problem: str | None = None
        try:
            base = baseline_for(settings)
        except ScenarioError as exc:
            base, self.baseline_problem = None, str(exc)
        self.baseline = CalaisModel(base) if base is not None else None
        self._frames: tuple[int, pd.DataFrame, pd.DataFrame | None] | None = None
        self.running = True

    def step(self) -> None:
        """One hour in both runs; nothing once the run has ended.

        Mesa's Play and Step call this as many times as the speed says, also past the last
        hour; both runs stop together on the scenario's last hour, whatever the speed.
        """
        with self.lock:
            if not self.running:
                return
            self.chosen.step()
            if self.baseline is not None:
                self.baseline.step()
            self.running = self.chosen.running and (self.baseline is None or self.baseline.running)

    def close(self) -> None:
        """Stop both runs for good and let their models go (the session has closed)."""
        with self.lock:
            self.running = False
            self.chosen = self.baseline = None  # type: ignore[assignment]
            self._frames = None

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The daily outcomes of the chosen run and of the baseline so far (whole days)."""
        with self.lock:
            if self._frames is None or self._frames[0] != self.chosen.day:
                base = self.baseline.timeseries() if self.baseline is not None else None
                self._frames = (self.chosen.day, self.chosen.timeseries(), base)
            return self._frames[1], self._frames[2]


def live_level(model: CalaisModel, name: str) -> float | None:
    """The current level of an outcome recorded once a day, where the model can say it now."""
    if name == "migrants_present":
        return float(model.migrants.count())
    if name == "networks_active":
        return float(len(model.networks))
    if name == "enforcement_units":
        return float(len(model.units))
    if name == "lorry_queue":
        return float(model.traffic.queued())
    return None


def outcome_value(model: CalaisModel, frame: pd.DataFrame, name: str) -> float | None:
    """An outcome so far: totals include the day under way; levels are the current ones."""
    if OUTCOME_BY_NAME[name].summary == "sum":
        today = model.counter.values[model.counter.index[name]]
        return float(frame[name].sum()) + float(today)
    level = live_level(model, name)
    if level is not None:
        return level
    return float(frame[name].iloc[-1]) if len(frame) else None


def is_night(model: CalaisModel) -> bool:
    """Whether the hour about to be simulated is one of the night's (migrants go out).

    The model's own rule, so that the page's night is the model's.
    """
    return model.is_night(model.clock)


def model_time(model: CalaisModel) -> dt.datetime:
    """The simulated date and time now (a run starts at noon on its first day)."""
    start = dt.datetime.combine(model.params.start_date, dt.time(NOON))
    return start + dt.timedelta(hours=model.hour)


def results_parquet(workshop: Workshop) -> bytes:
    """The chosen run's daily outcomes so far, as the Parquet file ``calais-sim run`` writes.

    With the same provenance in its metadata (:func:`sim.runs.results.provenance`): the
    scenario as the controls set it (the TOML of the scenario download), its seed and the
    versions; and, under ``calais_sim.app``, the file picked and how far the run had got.
    """
    frame, _ = workshop.frames()
    settings = workshop.settings
    meta = provenance(workshop_toml(settings)[1], {"seed": settings.scenario.seed})
    meta[f"{PROVENANCE_PREFIX}app"] = json.dumps(
        {"file": settings.file, "days_run": len(frame), "hours_run": workshop.chosen.hour}
    )
    return frame_parquet_bytes(frame, meta)
