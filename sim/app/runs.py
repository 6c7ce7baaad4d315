"""The paired runs: the chosen scenario and the baseline, stepped together hour by hour, and
the ensemble behind the cards' intervals (:mod:`sim.app.ensemble`), started in the background
with the first step.

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

from sim.app.ensemble import Ensemble, ensemble_key, plan_ensemble
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
        self._base_scenario = base
        self._frames: tuple[int, pd.DataFrame, pd.DataFrame | None] | None = None
        self.ensemble: Ensemble | None = None
        """The cards' ensemble: None until the first step (or without a baseline)."""
        self.running = True

    def ensemble_key(self) -> str | None:
        """The key of the ensemble these settings need (None without a baseline)."""
        if self._base_scenario is None:
            return None
        return ensemble_key(self.settings.scenario, self._base_scenario, self.settings.uncertainty)

    def start_ensemble(self) -> Ensemble | None:
        """Start the cards' ensemble in the background, if it has not started."""
        with self.lock:
            base = self._base_scenario
            if self.ensemble is None and base is not None and self.chosen is not None:
                chosen, uncertainty = self.settings.scenario, self.settings.uncertainty
                self.ensemble = Ensemble(
                    lambda: plan_ensemble(chosen, base, uncertainty=uncertainty),
                    key=self.ensemble_key() or "",
                )
            ensemble = self.ensemble
        if ensemble is not None:
            ensemble.start()
        return ensemble

    def set_uncertainty(self, on: bool) -> None:
        """Switch "show uncertainty": a new ensemble replaces the old (stopped), at once if the
        run has started; the map's run goes on as it was."""
        with self.lock:
            if self.settings.uncertainty == bool(on):
                return
            self.settings = self.settings.with_uncertainty(on)
            old, self.ensemble = self.ensemble, None
            started = self.chosen is not None and self.chosen.hour > 0
        if old is not None:
            old.cancel()
        if started:
            self.start_ensemble()

    def take_over(self, old: Workshop) -> None:
        """Take ``old``'s ensemble if it is the one these settings need (Reset with the same
        settings), else stop it (the settings changed)."""
        if old is self:
            return
        with old.lock:
            ensemble, old.ensemble = old.ensemble, None
        if ensemble is None:
            return
        with self.lock:
            reuse = (
                self.ensemble is None
                and ensemble.key == self.ensemble_key()
                and ensemble.state in ("running", "done")
            )
            if reuse:
                self.ensemble = ensemble
        if not reuse:
            ensemble.cancel()

    def step(self) -> None:
        """One hour in both runs; nothing once the run has ended.

        Mesa's Play and Step call this as many times as the speed says, also past the last
        hour; both runs stop together on the scenario's last hour, whatever the speed.
        """
        with self.lock:
            if not self.running:
                return
            if self.ensemble is None:
                self.start_ensemble()
            self.chosen.step()
            if self.baseline is not None:
                self.baseline.step()
            self.running = self.chosen.running and (self.baseline is None or self.baseline.running)

    def close(self) -> None:
        """Stop both runs and the ensemble for good and let their models go (the session has
        closed)."""
        with self.lock:
            self.running = False
            self.chosen = self.baseline = None  # type: ignore[assignment]
            self._frames = None
            ensemble, self.ensemble = self.ensemble, None
        if ensemble is not None:
            ensemble.cancel()

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
