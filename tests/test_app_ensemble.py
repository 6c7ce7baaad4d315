"""The workshop page's ensemble (sim/app/ensemble.py): paired seeds, the cards' intervals, the
posterior draws of "show uncertainty", and worker processes that stop when the settings change
or the session closes. Tiny populations and few days, so that it runs in seconds."""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from sim.app.cards import compare, describe, outcomes_note
from sim.app.ensemble import REPLICATES, Difference, Ensemble, ensemble_key, plan_ensemble
from sim.app.runs import Workshop
from sim.app.settings import Settings, baseline_for
from sim.evidence.defaults import POSTERIOR_FILE
from sim.model.outcomes import OUTCOME_BY_NAME
from sim.runs import draws as dr
from sim.runs.jobs import replicate_seeds, run_one, scenario_from_text
from sim.runs.statistics import bootstrap_ci, verdict

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def tiny(file: str = "port-fencing.toml", migrants: int = 150, days: int = 3) -> Settings:
    settings = Settings.from_file(SCENARIOS, file)
    settings = settings.with_value(("population",), "initial_migrants", migrants)
    return settings.with_value((), "days", days)


def threads(workers: int) -> ThreadPoolExecutor:
    """A pool of threads in place of processes: the same logic, without starting processes."""
    return ThreadPoolExecutor(workers)


def finished(ensemble: Ensemble, timeout: float = 120) -> Ensemble:
    ensemble.start()
    assert ensemble.join(timeout), "the ensemble did not finish"
    assert ensemble.state == "done", ensemble.error
    return ensemble


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_replicate_i_of_both_arms_runs_on_the_same_seed():
    settings = tiny()
    plan = plan_ensemble(settings.scenario, baseline_for(settings), replicates=4)
    seeds = replicate_seeds(settings.scenario.seed, 4)
    assert len(plan.pairs) == 4 and not plan.same and plan.draws == 0
    for i, (chosen, base) in enumerate(plan.pairs):
        assert chosen.point["arm"] == "scenario" and base.point["arm"] == "baseline"
        assert chosen.replicate == base.replicate == i
        assert chosen.entropy == base.entropy == seeds[i].entropy
        assert chosen.spawn_key == base.spawn_key == tuple(seeds[i].spawn_key)
        assert chosen.text != base.text  # port fencing on in one, off in the other
    assert len({pair[0].spawn_key for pair in plan.pairs}) == 4, "a new seed each replicate"
    # the same scenario twice: one set of runs (they would be identical)
    same = tiny("baseline.toml")
    plan = plan_ensemble(same.scenario, baseline_for(same), replicates=3)
    assert plan.same and [j.point["arm"] for j in plan.jobs] == ["baseline"] * 3


def test_uncertainty_draws_each_pair_from_the_posterior_as_a_sweep_does():
    settings = tiny()
    chosen, base = settings.scenario, baseline_for(settings)
    plan = plan_ensemble(chosen, base, replicates=3, uncertainty=True)
    posterior = dr.load_posterior(POSTERIOR_FILE, [chosen, base])
    particles = dr.draw(posterior, 3, chosen.seed)
    assert plan.draws == 3
    for i, (a, b) in enumerate(plan.pairs):
        assert a.point["particle"] == b.point["particle"] == particles[i]
        assert a.point["draw"] == b.point["draw"] == i
        assert a.entropy == b.entropy and a.spawn_key == b.spawn_key
        for job in (a, b):
            doc = scenario_from_text(job.text).document
            for key, value in zip(posterior.keys, posterior.values[particles[i]], strict=True):
                section, name = key.split(".")
                assert doc[section][name] == pytest.approx(value)
    assert ensemble_key(chosen, base, True) != ensemble_key(chosen, base, False)


def test_the_cards_interval_is_compares_bootstrap_of_the_paired_differences():
    settings = tiny(days=4)
    plan = plan_ensemble(settings.scenario, baseline_for(settings), replicates=5)
    ensemble = finished(Ensemble(plan, pool=threads))
    assert ensemble.finished_runs == 0 and ensemble.total == 10
    runs = {(j.point["arm"], j.replicate): run_one(j).frame for j in plan.jobs}
    for name, day in (("attempts_total", 2), ("crossings_total", 4), ("migrants_present", 3)):
        outcome = OUTCOME_BY_NAME[name]
        if outcome.summary == "sum":
            arms = {k: float(f[name].iloc[:day].sum()) for k, f in runs.items()}
        else:
            arms = {k: float(f[name].iloc[day - 1]) for k, f in runs.items()}
        d = np.array([arms[("scenario", i)] - arms[("baseline", i)] for i in range(5)])
        low, high, _ = bootstrap_ci(d)
        got = ensemble.difference(name, day)
        assert got is not None and got.day == day and got.pairs == 5
        assert got.mean == pytest.approx(d.mean())
        assert (got.low, got.high) == pytest.approx((low, high))
        assert got.verdict == verdict(outcome, low, high)
    # the day is clipped to the days run
    assert ensemble.difference("deaths", 99).day == 4
    assert ensemble.difference("deaths", 0).day == 1


def test_no_clear_difference_when_the_interval_holds_zero_and_no_colour():
    settings = tiny("baseline.toml")
    plan = plan_ensemble(settings.scenario, baseline_for(settings), replicates=3)
    ensemble = finished(Ensemble(plan, pool=threads))
    crossings = OUTCOME_BY_NAME["crossings_total"]
    diff = ensemble.difference("crossings_total", 3)
    assert (diff.mean, diff.low, diff.high) == (0, 0, 0)
    assert describe(diff, crossings) == ("no clear difference", "0 to 0", "unclear")
    spanning = Difference(
        day=5, mean=-2, low=-5, high=1, base=40, verdict="no clear difference", pairs=10
    )
    assert describe(spanning, crossings) == ("no clear difference", "−5 to +1", "unclear")
    fewer = Difference(day=5, mean=-8, low=-12, high=-4, base=40, verdict="better", pairs=10)
    assert describe(fewer, crossings) == ("−8 (−20%)", "−12 to −4", "better")
    more = Difference(day=5, mean=8, low=4, high=12, base=40, verdict="worse", pairs=10)
    assert describe(more, crossings)[2] == "worse"
    # an outcome with no good direction is never green or red
    spend = Difference(day=5, mean=1e6, low=1e6, high=1e6, base=0, verdict="higher", pairs=10)
    assert describe(spend, OUTCOME_BY_NAME["spend_eur"])[2] == "neutral"


def test_cards_say_the_interval_is_being_computed_until_it_is_done():
    workshop = Workshop(tiny())
    rows = compare(workshop)
    assert rows and all(r.verdict == "pending" and not r.interval for r in rows)
    assert all(r.change == "interval: ▶" for r in rows)
    assert "▶ or Step starts computing the intervals" in outcomes_note(workshop)
    workshop.step()  # the first step starts the ensemble, in the background
    ensemble = workshop.ensemble
    assert ensemble is not None and ensemble.state in ("running", "done")
    while ensemble.state == "running":
        rows = compare(workshop)
        if ensemble.state == "running":
            assert all(r.verdict == "pending" for r in rows), "no colour before the interval"
            assert all(r.change == "interval: computing…" for r in rows)
        time.sleep(0.05)
    assert ensemble.state == "done", ensemble.error
    for _ in range(30):
        workshop.step()
    rows = {r.name: r for r in compare(workshop)}
    assert " to " in rows["crossings_total"].interval
    note = outcomes_note(workshop)
    assert "by day 1 " in note and "95% interval" in note and "computed" not in note
    assert all(r.verdict in ("better", "worse", "neutral", "unclear") for r in rows.values())
    assert f"{REPLICATES} paired runs" in outcomes_note(workshop)
    workshop.close()


def test_the_switch_replaces_the_ensemble_by_one_across_posterior_draws():
    workshop = Workshop(tiny())
    workshop.step()
    first = workshop.ensemble
    hour = workshop.chosen.hour
    workshop.set_uncertainty(True)
    assert first.state == "cancelled" and first.difference("deaths", 1) is None
    second = workshop.ensemble
    assert second is not first and second.state in ("running", "done")
    assert workshop.chosen.hour == hour, "the map's run goes on"
    assert second.join(120) and second.state == "done", second.error
    assert second.draws == REPLICATES
    assert f"across {REPLICATES} posterior draws" in outcomes_note(workshop)
    workshop.set_uncertainty(False)
    assert second.state == "cancelled"
    workshop.close()
    assert workshop.ensemble is None


def test_a_change_of_settings_stops_the_ensembles_workers_and_reset_reuses_it():
    settings = tiny(migrants=2500, days=120)  # long enough to be cancelled while it runs
    old = Workshop(settings)
    old.step()
    ensemble = old.ensemble
    wait_for(lambda: len(ensemble.processes()) > 0)
    again = Workshop(settings)  # Mesa's Reset: the same settings, a new pair of runs
    again.take_over(old)
    assert again.ensemble is ensemble and old.ensemble is None
    workers = ensemble.processes()
    changed = Workshop(settings.with_value((), "seed", 7))
    changed.take_over(again)
    assert ensemble.state == "cancelled" and changed.ensemble is None
    wait_for(lambda: not any(p.is_alive() for p in workers), timeout=10)
    assert ensemble.join(10), "its thread ends"
    assert ensemble.processes() == [] and ensemble.difference("deaths", 1) is None
    changed.close()


# Solara's kernel context asks asyncio for the current loop, which a test outside the server has not
@pytest.mark.filterwarnings("ignore:There is no current event loop:DeprecationWarning")
def test_a_closed_session_stops_its_ensemble():
    from solara.server import kernel, kernel_context

    from sim.app import sessions

    context = kernel_context.VirtualKernelContext(
        id="tab-ensemble",
        session_id="session-ensemble",
        kernel=kernel.Kernel(),
        control_sockets=[],
        widgets={},
        templates={},
    )
    workshop = Workshop(tiny(migrants=2500, days=120))  # runs for a few seconds
    with context:
        sessions.keep(workshop)  # as the page keeps its runs
    workshop.step()
    ensemble = workshop.ensemble
    wait_for(lambda: len(ensemble.processes()) > 0 or ensemble.state != "running")
    workers = ensemble.processes()
    # Solara runs the session's close hooks first, then closes every widget of the process;
    # under pytest that last part can fail on a widget no kernel registered (KeyError).
    with contextlib.suppress(KeyError):
        context.close()
    assert sessions.runs_of("tab-ensemble") is None
    assert ensemble.state == "cancelled" and workshop.ensemble is None
    wait_for(lambda: not any(p.is_alive() for p in workers), timeout=10)
    assert ensemble.join(10) and ensemble.difference("deaths", 1) is None
