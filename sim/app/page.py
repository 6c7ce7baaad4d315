"""The workshop page: pick a scenario, switch measures on and off, watch Calais, compare.

Served by ``calais-sim app`` (see :mod:`sim.app.server`). The page uses Mesa's
``ModelController`` (Play, Step and Reset) and draws the rest itself. ``SolaraViz`` itself is
not used: its header names the model class, its "Render Interval" slider, "Use Threads" box and
"Time: 102.0" counter mean nothing to a participant, and it cannot be told to leave them out.
The page's own parts:

* the header, naming the chosen scenario (and saying when the controls changed it);
* a labelled speed control (an hour, a night, a day or a week a frame) and a clock with the
  simulated date and time;

* the controls, in the sidebar: the scenario files of the ``scenarios/`` folder, the population,
  the seed, and every measure, event and model parameter of the scenario schema
  (:func:`sim.scenario.schema.groups`), each with its unit and a one-line explanation. A value
  is checked by the same rules as a scenario file (:mod:`sim.scenario.loading`); one outside a
  control's range is refused with a message. Changing a setting starts the run again from its
  first day.
* the map of Calais with the migrants coloured by what they are doing, the police units, the
  smuggling networks and tonight's crossings and detections at each way in;
* the main outcomes against the baseline, as numbers and as charts; each card's difference is
  the mean over a small ensemble of paired runs made in the background, with its 95% interval
  (:mod:`sim.app.ensemble`), and a switch "show uncertainty" draws the ensemble's parameters
  from the shipped posterior;
* downloads of the run's daily results and of the scenario as the controls set it.

One step is one simulated hour, in the chosen scenario and in the baseline, which run side by
side with the same seed (:class:`sim.app.runs.Workshop`).

This module assembles the page; its parts are in the modules beside it: ``settings`` (the
scenario files and the scenario as the controls set it), ``runs`` (the paired runs),
``controls`` and ``fields`` (the sidebar's controls, generated from the scenario schema),
``map``, ``cards`` (the comparison with the baseline and the downloads), ``charts`` and
``formats`` (how values are written and read).
"""

from __future__ import annotations

from collections.abc import Callable

import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from sim.app import sessions
from sim.app.cards import Outcomes, TakeHome
from sim.app.charts import Charts
from sim.app.controls import ControlHost
from sim.app.ensemble import warm_up
from sim.app.formats import fmt_date
from sim.app.map import Legend, MapView
from sim.app.runs import Workshop, is_night, model_time
from sim.app.settings import Settings, default_settings
from sim.resources import package_path

TITLE = "Calais 2015: what do the border measures do?"
PLAY_INTERVAL_MS = 60
"""Mesa's pause between frames while playing. A 120-day run at a day a frame is 120 frames:
at 60 ms, 7 s of pauses, leaving the rest of 30 s for stepping and drawing (about 150 ms a
frame on a busy machine; benchmarks/app_play.py measures it). The pause also gives a click on
Pause its turn."""
SPEEDS: dict[str, int] = {"an hour": 1, "a night": 12, "a day": 24, "a week": 168}
"""The speed control's choices: how much simulated time Play and Step advance a frame (hours)."""
HOURS_PER_FRAME = SPEEDS["a day"]
"""The speed to start with: a day a frame, so a 120-day run plays in well under 30 s."""


@solara.component
def Clock(workshop: Workshop) -> None:
    """The simulated date and hour, and how far the run has got."""
    update_counter.get()  # drawn again at every step
    run = workshop.chosen
    now = model_time(run)
    night = "night" if is_night(run) else "day"
    day = min(run.day + 1, run.params.days)
    status = "the run has ended" if not workshop.running else f"day {day} of {run.params.days}"
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f'<span class="calais-date" data-hour="{run.hour}">'
            f"{fmt_date(now.date())}, {now:%H:%M}</span>"
            f'<span class="calais-daynight">{night}</span>'
            f'<span class="calais-progress">{status} · {workshop.settings.scenario.name}</span>'
        ),
        classes=["calais-clock"],
    )


@solara.component
def MainView(
    workshop: Workshop,
    uncertainty: bool = False,
    on_uncertainty: Callable[[bool], None] | None = None,
) -> None:
    """Everything right of the sidebar (each part is drawn again at every step).

    ``uncertainty`` is the switch's value: given as a value, so that the cards are drawn again
    when it changes (a new callback alone does not draw a component again)."""
    with solara.Div(classes=["calais-main"]):
        Clock(workshop)
        with solara.Div(classes=["calais-top"]):
            with solara.Div(classes=["calais-left"]):
                MapView(workshop)
                Legend()
            with solara.Div(classes=["calais-right"]):
                Outcomes(workshop, uncertainty, on_uncertainty)
        Charts(workshop)
        TakeHome(workshop)


CSS_FILE = package_path("app", "assets", "app.css")


def header_title(settings: Settings) -> str:
    """The header: the page's question and the scenario being played."""
    changed = ", changed here" if settings.changes() else ""
    return f"{TITLE} Scenario: {settings.scenario.name} ({settings.file}{changed})"


@solara.component
def PlayCard(
    model: solara.Reactive[Workshop],
    settings: solara.Reactive[Settings],
    hours_per_frame: solara.Reactive[int],
) -> None:
    """Play, Step and Reset (Mesa's), and the speed, labelled in simulated time."""
    params = solara.use_reactive({"settings": settings})
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    threads = solara.use_reactive(False)
    names = {hours: name for name, hours in SPEEDS.items()}
    with solara.Card("Play", classes=["calais-card", "calais-play"]):
        ModelController(
            model,
            model_parameters=params,
            play_interval=play_interval,
            render_interval=hours_per_frame,
            use_threads=threads,
        )
        solara.ToggleButtonsSingle(
            value=names[hours_per_frame.value],
            values=list(SPEEDS),
            on_value=lambda name: hours_per_frame.set(SPEEDS[name]),
            dense=True,
            classes=["calais-speed"],
        )
        solara.Text(
            f"Speed: {names[hours_per_frame.value]} of simulated time a frame.",
            classes=["calais-doc", "calais-speed-label"],
        )


@solara.component
def page() -> None:
    """The workshop page."""
    solara.use_memo(warm_up, [])  # the cards' worker processes start at once when asked
    initial = solara.use_memo(default_settings, [])
    settings = solara.use_reactive(initial)
    model = solara.use_reactive(solara.use_memo(lambda: Workshop(initial), []))
    hours_per_frame = solara.use_reactive(HOURS_PER_FRAME)
    sessions.keep(model.value)  # released when the session closes
    with solara.Column(gap="0px"):  # the parts that only fill the bars take no room
        solara.Title(TITLE)
        solara.Style(CSS_FILE)
        with solara.AppBar():
            solara.AppBarTitle(header_title(settings.value))
        with solara.Sidebar():
            PlayCard(model, settings, hours_per_frame)
        ControlHost(settings, model)

        def uncertainty(on: bool) -> None:
            # the switch changes the cards' ensemble only: the map's run goes on. The runs
            # first: setting the reactive settings draws the page again at once.
            model.value.set_uncertainty(on)
            settings.set(settings.value.with_uncertainty(on))

        MainView(model.value, settings.value.uncertainty, uncertainty)
