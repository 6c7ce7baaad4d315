"""The workshop page (``calais-sim app``), checked in a real browser, offline.

The server is started as a user would start it, ``calais-sim app --port N``, and the page is
opened in Debian's Chromium driven by Playwright. Every page opened must load with no failed
request, no request leaving this machine, and no error in the browser's console.

In CI (``CI=true``) a missing browser fails these tests; elsewhere it skips them.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.app.fields import slider_step
from sim.app.formats import parse_number
from sim.app.page import HOURS_PER_FRAME, PLAY_INTERVAL_MS, SPEEDS
from sim.app.runs import Workshop
from sim.app.settings import (
    APP_MAX_MIGRANTS,
    MAX_SEED,
    Settings,
    load_choice,
    picker_refusal,
    scenario_choices,
    workshop_toml,
)
from sim.model.outcomes import COLUMNS
from sim.scenario.loading import ScenarioError
from sim.scenario.schema import groups

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI") == "true"
START_TIMEOUT_S = 150
LOAD_MS = 90_000
"""Generous: the first load takes 3-8 s on an idle machine, much more on a busy one."""
ACT_MS = 60_000


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def calais_sim() -> list[str]:
    """The ``calais-sim`` command of this environment."""
    script = Path(sys.executable).with_name("calais-sim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim"]


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen
    log: Path

    def stop(self) -> int:
        """Ctrl-C, as a user would stop it; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("app")
    port = free_port()
    log = folder / "server.log"
    env = {**os.environ, "CALAIS_SIM_CACHE": str(folder / "cache")}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*calais_sim(), "app", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a leftover is ended by the group's id
        )
    server = Server(f"http://127.0.0.1:{port}", port, proc, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            pytest.fail(f"calais-sim app stopped while starting:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"calais-sim app did not answer in {START_TIMEOUT_S} s:\n{log.read_text()}")
        time.sleep(0.25)
    yield server
    server.stop()
    if proc.poll() is None:  # pragma: no cover - only if Ctrl-C failed
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser():
    missing = browser_missing()
    if missing:
        if IN_CI:
            pytest.fail(f"the browser tests must run in CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@dataclass
class Watch:
    """What went wrong while a page was open."""

    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextlib.contextmanager
def opened(browser, server: Server, width: int = 1440, height: int = 1000) -> Iterator:
    """The page, loaded in a window of this size; at the end, nothing may have gone wrong."""
    viewport = {"width": width, "height": height}
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(ACT_MS)
    watch = Watch()

    def on_request(request) -> None:
        watch.requests.append(request.url)
        if not request.url.startswith(("data:", "blob:")):
            host = urlparse(request.url).hostname
            if host != "127.0.0.1":
                watch.problems.append(f"request leaving this machine: {request.url}")

    page.on("request", on_request)
    page.on("requestfailed", lambda r: watch.problems.append(f"failed: {r.url} ({r.failure})"))
    page.on(
        "response",
        lambda r: r.status >= 400 and watch.problems.append(f"HTTP {r.status}: {r.url}"),
    )
    page.on(
        "console",
        lambda m: m.type == "error" and watch.problems.append(f"console error: {m.text}"),
    )
    page.on("pageerror", lambda e: watch.problems.append(f"page error: {e}"))
    page.goto(f"{server.url}/", wait_until="domcontentloaded", timeout=LOAD_MS)
    page.wait_for_selector(".calais-map img", timeout=LOAD_MS)
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=LOAD_MS)
    page.watch = watch
    yield page
    problems = list(watch.problems)
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(browser, server: Server):
    """The page, loaded; after the test, nothing may have gone wrong on it."""
    with opened(browser, server) as page:
        yield page


# --- helpers -----------------------------------------------------------------------------------


def mesa_time(page) -> float:
    """Hours simulated (the clock's ``data-hour``)."""
    return float(page.locator(".calais-date").first.get_attribute("data-hour"))


def wait_for_time(page, more_than: float) -> None:
    page.wait_for_function(
        """(t) => { const d = document.querySelector('.calais-date');
                    return d && parseFloat(d.dataset.hour) > t; }""",
        arg=more_than,
        timeout=ACT_MS,
    )


def play_until(page, hours: float) -> None:
    """Play until the run has simulated ``hours`` hours, then pause."""
    page.get_by_role("button", name="▶", exact=True).click()
    wait_for_time(page, hours - 0.5)
    page.get_by_role("button", name="❚❚", exact=True).click()
    page.get_by_role("button", name="▶", exact=True).wait_for()


def outcome_text(page, name: str) -> str:
    return page.locator(f".calais-outcome-{name}").inner_text()


def spend_value(page) -> str:
    return page.locator(".calais-outcome-spend_eur .calais-outcome-value").inner_text()


def switch_on(page, title: str) -> None:
    switch = page.get_by_role("switch", name=title, exact=True)
    switch.click(force=True)
    page.wait_for_function(
        "(title) => document.querySelector('.calais-changes')?.innerText.includes(title + ' on')",
        arg=title.lower(),
    )


def type_into(page, selector: str, text: str, until: str) -> None:
    """Type ``text`` into a field and press Enter, until the page's JavaScript ``until`` holds.

    Solara hears a field's Enter only once the field's listeners have reached the page, which
    they do a moment after the field itself (they are added by an effect, and a field starts
    afresh at every change of the settings). An Enter pressed in that moment is lost, so the
    text is typed again, as a person whose Enter went unheard would.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    field = page.locator(f"{selector} input")
    for _ in range(5):
        field.fill(text)
        field.press("Enter")
        try:
            page.wait_for_function(until, timeout=12_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"typing {text!r} into {selector} never gave {until}")


def shows(text: str, where: str = "body") -> str:
    """The JavaScript test that the page shows ``text`` in its element ``where``."""
    return f"() => document.querySelector({where!r})?.innerText.includes({text!r})"


def download(page, label: str, to: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    path = to / info.value.suggested_filename
    info.value.save_as(path)
    return path


def image_of(locator) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB"))


# --- the page ------------------------------------------------------------------------------------


def test_page_loads_offline_with_map_and_no_errors(page):
    img = page.locator(".calais-map img")
    size = img.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight]")
    assert size[0] and size[1] > 500 and size[2] > 300, size
    pixels = image_of(img)
    colours = np.unique(pixels.reshape(-1, 3) // 16, axis=0)
    assert len(colours) > 20, "the map looks blank"
    assert pixels.std() > 20
    assert "June 2015" in page.locator(".calais-date").inner_text()
    assert page.locator(".calais-legend").count() >= 1
    assert all(urlparse(u).hostname in (None, "127.0.0.1") for u in page.watch.requests)


def test_every_measure_event_and_parameter_has_a_control(page):
    for group in groups():
        name = group.table.split(".", 1)[-1]
        if group.kind in ("measure", "event"):
            block = page.locator(f".calais-group-{name}")
            assert block.count() == 1, group.table
            assert page.get_by_role("switch", name=group.title, exact=True).count() == 1
    page.get_by_role("button", name="Show them").click()
    for group in groups():
        if group.kind != "section":
            continue
        section = page.locator(f".calais-section-{group.table}")
        section.wait_for()
        for key in group.keys:
            if key.path == "population.initial_migrants":
                page.locator(".calais-population input").wait_for()
            else:
                section.locator(f".calais-key-{key.name}").wait_for()
    # a measure switched on shows every one of its parameters, with its explanation
    switch_on(page, "Port fencing")
    fence = page.locator(".calais-group-port_fencing")
    for key in next(g for g in groups() if g.table == "policies.port_fencing").keys:
        if key.name != "enabled":
            control = fence.locator(f".calais-key-{key.name}")
            control.wait_for()
            assert key.spec.doc.split(";")[0] in control.inner_text()


def test_scenario_picker_lists_exactly_the_files_in_scenarios(page):
    page.locator(".calais-picker").click()
    items = page.locator(".v-menu__content .v-list-item__title")
    items.first.wait_for()
    assert items.all_inner_texts() == sorted(p.name for p in SCENARIOS.glob("*.toml"))
    items.filter(has_text="calais-2015.toml").click()
    page.wait_for_function(
        "() => document.querySelector('.calais-clock').innerText.includes('calais-2015')"
    )
    # the file's labelled measures get a switch each, in force
    assert page.get_by_role("switch", name="Tunnel security (20-august)", exact=True).is_checked()


def test_switching_a_measure_on_changes_the_numbers_and_the_charts(page):
    # one day of the baseline against itself: no difference anywhere
    play_until(page, 30)
    charts = page.locator(".calais-charts img")
    charts.wait_for()
    assert spend_value(page) == "EUR 0" and "baseline EUR 0" in outcome_text(page, "spend_eur")
    before = image_of(charts)

    # the port fence, finished at once: spending, and tries moving away from the port
    switch_on(page, "Port fencing")
    type_into(
        page,
        ".calais-group-port_fencing .calais-key-build_days",
        "0",
        shows("build days", ".calais-changes"),
    )
    assert mesa_time(page) == 0  # a change starts the run again
    play_until(page, 30)
    page.wait_for_function(
        "() => document.querySelector('.calais-outcome-spend_eur .calais-outcome-value')"
        ".innerText !== 'EUR 0'"
    )
    assert spend_value(page).startswith("EUR ") and "baseline EUR 0" in outcome_text(
        page, "spend_eur"
    )
    page.wait_for_function(
        "() => { const i = document.querySelector('.calais-charts img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    after = image_of(charts)
    assert before.shape != after.shape or np.abs(before.astype(int) - after).sum() > 0

    # Mesa's Reset starts the same settings again from the first day
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('.calais-date').dataset.hour === '0'"
        " && document.querySelector('.calais-date').innerText.includes('1 June 2015, 12:00')"
    )
    assert "port fencing on" in page.locator(".calais-changes").inner_text()
    # back at the first hour neither run has closed a day, so nothing is spent yet in either
    # (spending is counted at the end of each day); the cards redraw after the clock
    page.wait_for_function(
        "() => document.querySelector('.calais-outcome-spend_eur .calais-outcome-value')"
        ".innerText === 'EUR 0'"
    )


def test_cards_show_an_interval_and_the_uncertainty_switch_works(page):
    # a tiny run, so that the ensemble behind the cards takes a second or two
    type_into(page, ".calais-population", "150", shows("→ 150", ".calais-changes"))
    type_into(page, ".calais-days", "4", shows("days 120 → 4", ".calais-changes"))
    switch_on(page, "Port fencing")
    cards = page.locator(".calais-outcome")
    assert cards.count() >= 8
    # no interval, and no colour, before the run is played
    assert page.locator(".calais-outcome-grid.calais-ensemble-waiting").count() == 1
    assert (
        page.locator(".calais-outcome .calais-better, .calais-outcome .calais-worse").count() == 0
    )
    assert "starts computing the intervals" in page.locator(".calais-outcomes-note").inner_text()
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_selector(".calais-ensemble-done")
    note = page.locator(".calais-outcomes-note").inner_text()
    assert "over 8 paired runs" in note and "95% interval" in note and "posterior" not in note
    for i in range(cards.count()):
        card = cards.nth(i)
        change = card.locator(".calais-change")
        assert " to " in card.locator(".calais-interval").inner_text()
        if change.inner_text() == "no clear difference":
            assert "calais-unclear" in change.get_attribute("class"), "not coloured"
    hour = mesa_time(page)

    # the switch: the same run goes on, the intervals are computed again over the posterior
    page.get_by_role("switch", name="Show uncertainty", exact=True).click(force=True)
    page.wait_for_function(
        "() => document.querySelector('.calais-outcomes-note').innerText"
        ".includes('across 8 posterior draws')"
    )
    # (the note and the cards are separate parts of the page: wait for both)
    page.wait_for_function(
        "(n) => document.querySelector('.calais-outcome-grid.calais-ensemble-done')"
        " && document.querySelectorAll('.calais-interval').length === n"
        " && document.querySelector('.calais-outcomes-note').innerText.includes('posterior')",
        arg=cards.count(),
    )
    assert mesa_time(page) == hour, "the map's run is not started again"
    assert page.get_by_role("switch", name="Show uncertainty", exact=True).is_checked()
    # it stays on when a setting changes, and goes off again
    type_into(page, ".calais-seed", "7", shows("seed", ".calais-changes"))
    assert page.get_by_role("switch", name="Show uncertainty", exact=True).is_checked()
    page.get_by_role("switch", name="Show uncertainty", exact=True).click(force=True)
    page.wait_for_function(
        "() => !document.querySelector('.calais-outcomes-note').innerText.includes('posterior')"
    )


def test_labels_name_the_scenario_and_the_speed_and_hide_mesa_internals(page):
    header = page.locator(".v-toolbar__title").first.inner_text()
    assert "baseline" in header and "baseline.toml" in header and "changed" not in header
    text = page.locator("body").inner_text()
    for internal in ("Use Threads", "Render Interval", "Play Interval", "Time:"):
        assert internal not in text
    assert re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d+ \w+ 2015, \d\d:\d\d", text)
    for name in SPEEDS:
        assert page.get_by_role("button", name=name, exact=True).count() == 1
    assert "Speed: a day of simulated time a frame" in text
    page.get_by_role("button", name="an hour", exact=True).click()
    page.get_by_text("Speed: an hour of simulated time a frame").wait_for()
    page.get_by_role("button", name="Step", exact=True).click()
    wait_for_time(page, 0.5)
    assert mesa_time(page) == 1
    page.get_by_role("button", name="a week", exact=True).click()
    page.get_by_role("button", name="Step", exact=True).click()
    wait_for_time(page, 1.5)
    assert mesa_time(page) == 1 + 168
    switch_on(page, "Returns")
    page.wait_for_function(
        "() => document.querySelector('.v-toolbar__title').innerText.includes('changed')"
    )


def test_downloads_rerun_with_calais_sim_run(page, tmp_path):
    switch_on(page, "Returns")
    # beyond a float's exact whole numbers
    type_into(page, ".calais-seed", "12345678901234567", shows("seed", ".calais-changes"))
    play_until(page, 27)
    scenario = download(page, "Scenario (TOML)", tmp_path)
    doc = tomllib.loads(scenario.read_text())
    assert doc["seed"] == 12345678901234567 and doc["policies"]["returns"]["enabled"] is True
    out = tmp_path / "rerun"
    run = subprocess.run(
        [*calais_sim(), "run", str(scenario), "--days", "2", "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    rerun = pd.read_parquet(out / "timeseries.parquet")

    results = download(page, "Results (Parquet)", tmp_path)
    frame = pd.read_parquet(results)
    meta = pq.read_schema(results).metadata
    assert tomllib.loads(meta[b"calais_sim.scenario"].decode()) == doc  # the file says its run
    assert list(frame.columns) == list(COLUMNS) == list(rerun.columns)
    assert len(frame) >= 1
    # the same scenario and seed, so the first day is the same in the app and on the command line
    pd.testing.assert_frame_equal(frame.iloc[:1], rerun.iloc[:1], check_dtype=False)


def test_values_outside_a_controls_range_are_refused(page, tmp_path):
    type_into(page, ".calais-population", str(APP_MAX_MIGRANTS + 1), shows("Refused: at most"))
    type_into(page, ".calais-seed", "-1", shows("Refused: must be a whole number from 0"))
    type_into(page, ".calais-days", "ten", shows("Refused: type a number"))
    switch_on(page, "Returns")
    type_into(
        page,
        ".calais-group-returns .calais-key-capacity_per_day",
        "-5",
        shows("Refused: must be at least 0"),
    )
    # a slider cannot leave its range
    slider = page.locator(".calais-group-returns .calais-key-removal_share [role=slider]")
    assert slider.get_attribute("aria-valuemin") == "0"
    assert slider.get_attribute("aria-valuemax") == "1"
    # none of it reached the scenario
    doc = tomllib.loads(download(page, "Scenario (TOML)", tmp_path).read_text())
    assert doc["population"]["initial_migrants"] == 2500
    assert doc["seed"] == 20150702 and doc["days"] == 120
    assert doc["policies"]["returns"]["capacity_per_day"] == 20.0


# --- the server ----------------------------------------------------------------------------------


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as in /proc/net/tcp*) of sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            next(fh)
            for line in fh:
                fields = line.split()
                address, hex_port = fields[1].rsplit(":", 1)
                if int(hex_port, 16) == port and fields[3] == "0A":  # LISTEN
                    found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket tables")
def test_server_listens_on_localhost_only_by_default(server):
    assert listening_addresses(server.port) == {"0100007F"}  # 127.0.0.1, nothing else


def installed_files(folder: Path) -> list[Path]:
    """Every file under ``folder``, sorted."""
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_a_request_for_a_folder_deletes_nothing(server):
    installed = Path(sys.prefix) / "share" / "solara" / "cdn"
    app = next((installed / "@widgetti").glob("solara-vuetify-app@*"))
    before = installed_files(app)
    assert before
    for path in (f"@widgetti/{app.name}/dist", f"@widgetti/{app.name}", "@widgetti", "vega@5"):
        url = f"{server.url}/_solara/cdn/{path}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=30)
        assert refused.value.code == 404, url
    assert installed_files(app) == before
    file = before[0].relative_to(installed).as_posix()  # a file is still served
    with urllib.request.urlopen(f"{server.url}/_solara/cdn/{file}", timeout=30) as answer:
        assert answer.status == 200
    assert installed_files(app) == before


def test_each_environment_has_its_own_overlay(tmp_path, monkeypatch):
    from sim.app import server as app_server

    monkeypatch.setenv("CALAIS_SIM_CACHE", str(tmp_path))
    installed = Path(sys.prefix) / "share" / "solara" / "cdn"
    other = tmp_path / "other-env"
    (other / "requirejs@2.3.6").mkdir(parents=True)
    ours = app_server.build_cdn_overlay(app_server.overlay_dir())
    theirs = app_server.build_cdn_overlay(app_server.overlay_dir(other), other)
    assert ours != theirs and ours.is_relative_to(tmp_path) and theirs.is_relative_to(tmp_path)
    assert (ours / "requirejs@2.3.6").resolve() == (installed / "requirejs@2.3.6").resolve()


def test_scenario_picker_serves_only_the_folders_files():
    assert scenario_choices(SCENARIOS) == sorted(p.name for p in SCENARIOS.glob("*.toml"))
    for name in ("../pyproject.toml", "/etc/passwd", "baseline", "sub/baseline.toml"):
        with pytest.raises(ScenarioError, match="not one of the scenario files"):
            load_choice(SCENARIOS, name)


def test_controls_check_values_as_scenario_files_do():
    settings = Settings.from_file(SCENARIOS, "baseline.toml")
    with pytest.raises(ScenarioError, match="at most 1"):
        settings.with_value(("policies", "port_fencing"), "strength", 1.5)
    changed = settings.with_value(("policies", "port_fencing"), "enabled", True)
    assert changed.changes() == ["port fencing on"]
    assert settings.changes() == []


def test_whole_numbers_are_read_exactly_up_to_the_largest_seed():
    assert parse_number("12345678901234567", "int") == 12345678901234567
    assert parse_number(f"{MAX_SEED:,}", "int") == MAX_SEED
    assert type(parse_number("2e3", "int")) is int and parse_number("2.5", "float") == 2.5
    settings = Settings.from_file(SCENARIOS, "baseline.toml").with_value((), "seed", MAX_SEED)
    assert settings.scenario.seed == MAX_SEED
    assert tomllib.loads(workshop_toml(settings)[1])["seed"] == MAX_SEED
    for text in ("nan", "inf", "1e99999999999"):
        with pytest.raises(ValueError, match="type a number"):
            parse_number(text, "int")


def test_a_refused_picker_value_names_no_server_path():
    for name in ("../pyproject.toml", "/etc/passwd"):
        with pytest.raises(ScenarioError) as refused:
            load_choice(SCENARIOS, name)
        text = picker_refusal(refused.value, SCENARIOS)
        assert str(SCENARIOS.resolve()) not in text and str(ROOT) not in text
        assert text.startswith("Refused: ") and "not one of the scenario files" in text


@pytest.mark.parametrize("hours_per_frame", [1, 7, 24, 100, 168])
def test_both_runs_stop_on_the_same_hour_at_any_speed(hours_per_frame):
    settings = Settings.from_file(SCENARIOS, "port-fencing.toml")
    settings = settings.with_value(("population",), "initial_migrants", 200)
    workshop = Workshop(settings.with_value((), "days", 3))
    frames = 0
    while workshop.running:  # as Mesa's Play does: a frame of steps, then a look at running
        for _ in range(hours_per_frame):
            workshop.step()
        frames += 1
        assert frames < 1000
    assert workshop.baseline is not None
    assert workshop.chosen.hour == workshop.baseline.hour == 3 * 24
    chosen, base = workshop.frames()
    assert len(chosen) == len(base) == 3


def test_number_fields_and_sliders():
    assert parse_number("1,000", "int") == 1000
    assert parse_number("2015-07-01", "day").isoformat() == "2015-07-01"
    with pytest.raises(ValueError, match="type a number"):
        parse_number("ten", "float")
    keys = {k.path: k for g in groups() for k in g.keys}
    assert slider_step(keys["policies.port_fencing.strength"], 0.6) == pytest.approx(0.01)
    assert slider_step(keys["policies.port_fencing.cost_eur"], 7e6) is None  # a number field


def test_the_results_download_says_what_run_it_is():
    import json

    from sim.app.runs import results_parquet

    settings = Settings.from_file(SCENARIOS, "returns.toml")
    settings = settings.with_value(("population",), "initial_migrants", 200)
    workshop = Workshop(settings.with_value((), "seed", 12345678901234567))
    for _ in range(30):
        workshop.step()
    meta = pq.read_schema(io.BytesIO(results_parquet(workshop))).metadata
    scenario = tomllib.loads(meta[b"calais_sim.scenario"].decode())
    assert scenario == tomllib.loads(workshop_toml(workshop.settings)[1])
    assert scenario["seed"] == 12345678901234567
    assert scenario["population"]["initial_migrants"] == 200
    assert json.loads(meta[b"calais_sim.seed"])["seed"] == 12345678901234567
    assert "mesa" in json.loads(meta[b"calais_sim.versions"])


def test_a_closed_session_frees_its_runs():
    """Sessions (browser tabs) opened and closed leave no runs behind in the server."""
    import gc
    import weakref

    import solara
    import solara.server.app
    from solara.server import kernel, kernel_context

    from sim.app import page as app_page
    from sim.app import sessions

    models = []
    for i in range(3):
        context = kernel_context.VirtualKernelContext(
            id=f"tab-{i}",
            session_id=f"session-{i}",
            kernel=kernel.Kernel(),
            control_sockets=[],
            widgets={},
            templates={},
        )
        with context:
            _, rc = solara.render(app_page.page(), handle_error=False)
            context.app_object = rc
        workshop = sessions.runs_of(f"tab-{i}")
        assert workshop is not None, "the session's runs are in the store while it is open"
        models += [weakref.ref(workshop.chosen), weakref.ref(workshop.baseline)]
        del workshop
        context.close()
        assert sessions.runs_of(f"tab-{i}") is None
    assert sessions.open_sessions() == []
    gc.collect()
    assert [m() for m in models] == [None] * len(models), "a closed session's models are freed"


def test_a_whole_run_can_play_in_under_30_s_at_the_default_speed():
    """Mesa's pauses between frames alone must leave most of 30 s for stepping and drawing.

    The wall time itself is measured by benchmarks/app_play.py (no timed test: it depends on
    the machine); here, the frames of a 120-day run at the default speed and their pauses.
    """
    frames = 120 * 24 / HOURS_PER_FRAME
    assert HOURS_PER_FRAME == SPEEDS["a day"]
    assert frames * PLAY_INTERVAL_MS / 1000 <= 10


def test_pause_stops_the_run_at_the_fastest_frames(page):
    page.get_by_role("button", name="an hour", exact=True).click()
    page.get_by_text("Speed: an hour of simulated time a frame").wait_for()
    play_until(page, 6)
    page.wait_for_timeout(500)  # Mesa's loop may still finish the frame it had begun
    stopped = mesa_time(page)
    page.wait_for_timeout(1000)
    assert mesa_time(page) == stopped, "the run goes on after Pause"


UNLABELLED_JS = """() => [...document.querySelectorAll(
    'input, select, textarea, button, [role=slider], [role=switch], [role=button]')]
  .filter(e => e.type !== 'hidden' && e.getAttribute('tabindex') !== '-1'
               && e.offsetParent !== null)
  .filter(e => !((e.getAttribute('aria-label') || '').trim() || e.getAttribute('aria-labelledby')
                 || (e.labels && [...e.labels].some(l => l.innerText.trim()))
                 || (e.innerText || '').trim() || e.title || e.placeholder))
  .map(e => e.outerHTML.slice(0, 120))"""


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


@pytest.mark.parametrize("width,height", [(1440, 900), (1024, 768)])
def test_the_page_at_two_window_sizes(browser, server, tmp_path, width, height):
    with opened(browser, server, width, height) as page:
        page.get_by_role("button", name="a week", exact=True).click()
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_selector(".calais-charts img")
        page.wait_for_timeout(500)
        page.screenshot(path=tmp_path / f"app-{width}x{height}.png")
        assert page.evaluate(UNLABELLED_JS) == [], "every control has a name"
        mapped, cards = box(page, ".calais-map img"), box(page, ".calais-outcomes")
        assert cards["x"] >= mapped["x"] + mapped["width"], "the cards are beside the map"
        assert cards["y"] < mapped["y"] + mapped["height"]
        assert page.get_by_text("This website runs on").count() == 0, "no badge over the page"
        if (width, height) == (1440, 900):
            charts = box(page, ".calais-charts img")
            seen = min(charts["y"] + charts["height"], height) - charts["y"]
            assert seen >= 0.6 * charts["height"], f"the day-by-day charts are in view ({seen})"
        switch_on(page, "Port fencing")  # a slider appears: it is named too
        assert page.evaluate(UNLABELLED_JS) == [], "every control has a name"


def test_sliders_keep_focus_and_play_stays_in_view(browser, server):
    with opened(browser, server, 1440, 900) as page:
        switch_on(page, "Port fencing")
        slider = page.locator(".calais-group-port_fencing .calais-key-strength [role=slider]")
        slider.scroll_into_view_if_needed()
        slider.focus()
        for expected in ("0.6 → 0.61", "0.6 → 0.62"):
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "(t) => document.querySelector('.calais-changes')?.innerText.includes(t)",
                arg=expected,
            )
            page.wait_for_timeout(300)  # the sidebar drawn again
            assert page.evaluate("() => document.activeElement.getAttribute('role')") == "slider", (
                "the slider keeps the keyboard's focus"
            )
        switch_on(page, "Returns")  # further down the sidebar
        for name in ("▶", "Step"):
            button = page.get_by_role("button", name=name, exact=True).bounding_box()
            assert 0 <= button["y"] and button["y"] + button["height"] <= 900, f"{name} in view"


# last: it stops the server the browser tests share
def test_ctrl_c_stops_the_server_and_frees_its_port(server):
    code = server.stop()
    assert code == 130, server.log.read_text()
    assert "Traceback" not in server.log.read_text()
    assert listening_addresses(server.port) == set()
    with pytest.raises(ProcessLookupError):  # nothing of its process group is left
        os.killpg(server.proc.pid, 0)


# --- the page's rules, without a browser -------------------------------------------------------
