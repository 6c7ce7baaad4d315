"""The overview figure of ``calais-sim run``: its date labels and its panels."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from sim.runs.plots import PANELS, date_ticks, overview


def labels(first: str, last: str) -> list[str]:
    return [t.replace("\n", " ") for t in date_ticks(np.datetime64(first), np.datetime64(last))[1]]


def test_a_run_of_months_is_labelled_at_the_first_of_each_month_with_its_year_once():
    assert labels("2015-06-01", "2015-09-28") == ["Jun 2015", "Jul", "Aug", "Sep"]


def test_a_new_year_is_written_under_its_first_label():
    assert labels("2015-06-01", "2017-06-01") == ["Jul 2015", "Jan 2016", "Jul", "Jan 2017"]


def test_a_short_run_is_labelled_by_days_from_its_first():
    assert labels("2015-06-01", "2015-06-10") == ["1 Jun 2015", "3 Jun", "5 Jun", "7 Jun", "9 Jun"]
    assert labels("2015-06-01", "2015-06-01") == ["1 Jun 2015"]


def test_never_more_than_seven_date_labels():
    first = np.datetime64("2015-06-01")
    for days in (1, 5, 20, 45, 70, 100, 200, 400, 1000, 5000):
        last = first + np.timedelta64(days - 1, "D")
        ticks, names = date_ticks(first, last)
        assert 1 <= len(names) <= 7, days
        assert np.all(np.diff(ticks) > 0)
        assert first.astype(float) <= ticks[0] and ticks[-1] <= last.astype(float)


def test_the_overview_draws_each_panel_with_the_dates_under_the_bottom_row():
    days = 120
    frame = pd.DataFrame(
        {"date": pd.date_range("2015-06-01", periods=days, freq="D")}
        | {c: np.arange(days) for _, cols, _ in PANELS for c in cols}
    )
    fig = overview(frame, title="baseline")
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=50)
    assert png.getvalue()[:4] == b"\x89PNG"
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == [title for title, _, _ in PANELS]
    bottom = [t.get_text() for t in axes[3].get_xticklabels() if t.get_visible()]
    assert bottom == ["Jun\n2015", "Jul", "Aug", "Sep"]
    for ax, (_, columns, _) in zip(axes, PANELS, strict=True):
        assert len(ax.get_lines()) == len(columns)


SIDE_BY_SIDE = """
from sim.runs.overview_process import OverviewProcess
beside, killed = OverviewProcess(), OverviewProcess()  # forked while this process has one thread
assert beside._proc is not None and killed._proc is not None
import sys
import numpy as np
import pandas as pd
from sim.runs.plots import PANELS, overview_png
frame = pd.DataFrame(
    {"date": pd.date_range("2015-06-01", periods=30, freq="D")}
    | {c: np.arange(30) % 7 for _, cols, _ in PANELS for c in cols}
)
here = overview_png(frame, "a run")
beside.draw(frame, "a run")
assert beside.png(frame, "a run") == here
killed._proc.kill()
killed.draw(frame, "a run")
assert killed.png(frame, "a run") == here
beside.close(), killed.close()
print("ok")
"""


def test_the_second_process_draws_the_png_this_one_would_and_a_dead_one_is_drawn_here():
    done = subprocess.run(
        [sys.executable, "-c", SIDE_BY_SIDE], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_a_process_with_threads_draws_the_overview_itself():
    from sim.runs.overview_process import OverviewProcess

    with ThreadPoolExecutor(1) as pool:
        pool.submit(time.sleep, 0.5)
        beside = OverviewProcess()
        assert beside._proc is None
        beside.close()
