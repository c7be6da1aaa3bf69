"""A running clock served: polling clients and the live Dashboard see the session move.

A simulated session on a clock at ``speed=600`` (what ``--speed 600`` builds) runs on the
real clock (one real second is ten session minutes), so successive polls over HTTP get later
``as_of`` and more bars. The Dashboard is
pointed at the server through ``ff.FlashAlpha(base_url=...)`` and driven headless over a
session whose wall clock the test moves (``tests/fakes.py``: ``Wall``), so each cycle's data
is exactly what the served source holds at that moment.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from flashalpha import FlashAlpha  # type: ignore[import-untyped]

import flowframe as ff
from flowframe.live import Dashboard
from flowframe.live import poller as poller_module
from tests.fakes import DAY, PNG, Wall, tick_of
from tests.serve.conftest import DATE, serve
from tests.serve.server import running

KEY = "kalpha"


def stamp(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# --------------------------------------------------------------------------- --speed


@pytest.fixture(scope="module")
def fast() -> ff.Simulated:
    """A session running at 600x real time from 10:00 ET: 0.1 s real is one minute."""
    clock = ff.SessionClock(DAY, speed=600.0, start="10:00")
    return ff.Simulated(seed=3, date=DATE, scale=0.02, symbols=("SPY",), clock=clock)


def test_polls_of_a_running_clock_see_the_session_move(fast: ff.Simulated) -> None:
    with running(serve(fast)) as url:
        fa = FlashAlpha(KEY, base_url=url, timeout=30)
        try:
            polls = []
            for _ in range(4):  # bounded: four polls, 0.2 s apart (two session minutes)
                polls.append(fa.flow_zero_dte_series("SPY", bar="30s", minutes=390))
                time.sleep(0.2)
            hedge = [fa.flow_zero_dte_hedge_flow("SPY", bar="1m", minutes=390) for _ in range(2)]
        finally:
            fa._session.close()
    as_of = [stamp(p["as_of"]) for p in polls]
    counts = [len(p["bars"]) for p in polls]
    last = [stamp(p["bars"][-1]["t"]) for p in polls]
    assert as_of == sorted(as_of) and len(set(as_of)) == 4, as_of
    assert counts == sorted(counts) and len(set(counts)) == 4, counts
    assert last == sorted(last) and len(set(last)) == 4, last
    # 0.2 s at 600x is 2 minutes: at least 3 new 30-second bars between polls
    assert all(b - a >= 3 for a, b in itertools.pairwise(counts)), counts
    assert all(t <= a for t, a in zip(last, as_of, strict=True))
    # the session is inside its day, after the start and before the close
    assert stamp(f"{DATE}T14:00:00Z") <= as_of[0] and as_of[-1] < stamp(f"{DATE}T20:00:00Z")
    assert stamp(hedge[1]["as_of"]) >= stamp(hedge[0]["as_of"]) > as_of[-1]


# --------------------------------------------------------------------------- the Dashboard


@pytest.fixture
def moved() -> Iterator[tuple[ff.Simulated, Wall, str]]:
    """A session at 60x from 10:30 ET whose wall the test moves, served on loopback."""
    wall = Wall()
    clock = ff.SessionClock(DAY, speed=60.0, start="10:30", wall=wall)
    sim = ff.Simulated(seed=3, date=DATE, scale=0.02, symbols=("SPY",), clock=clock)
    with running(serve(sim)) as url:
        yield sim, wall, url


def test_flowframe_client_follows_the_served_clock(moved: tuple[ff.Simulated, Wall, str]) -> None:
    sim, wall, url = moved
    with ff.FlashAlpha(KEY, base_url=url) as client:
        seen = []
        for _ in range(3):
            frame = ff.series("SPY", bar="1m", minutes=390, source=client)
            pd.testing.assert_frame_equal(
                frame, ff.series("SPY", bar="1m", minutes=390, source=sim)
            )
            seen.append(frame)
            wall.t += 5.0  # five session minutes
    assert [len(f) for f in seen] == [len(seen[0]) + 5 * i for i in range(3)]
    assert [f.attrs["as_of"] for f in seen] == [
        f"{DATE}T14:30:00Z",
        f"{DATE}T14:35:00Z",
        f"{DATE}T14:40:00Z",
    ]


def last_bar(dash: Dashboard) -> pd.Timestamp:
    series = dash.data.series
    assert series is not None
    return pd.Timestamp(series.index[-1])


def test_dashboard_on_the_server_updates_with_its_clock(
    moved: tuple[ff.Simulated, Wall, str],
) -> None:
    sim, wall, url = moved
    with ff.FlashAlpha(KEY, base_url=url) as client:
        dash = Dashboard("SPY", source=client, render="png", leaderboard_every=None)
        ticks, bars, images = [], [], []
        for _ in range(4):
            dash.refresh()
            ticks.append(tick_of(dash))
            bars.append(last_bar(dash))
            images.append(bytes(dash.hedge.widget.value))
            # what the dashboard holds is what the served source holds at that moment
            want = ff.series("SPY", bar="1m", minutes=60, source=sim)
            assert last_bar(dash) == want.index[-1]
            snapshot = dash.data.snapshot
            assert snapshot is not None and snapshot == ff.snapshot("SPY", source=sim)
            wall.t += 10.0  # ten session minutes
        status = dash.status_line.html.value
    assert ticks == [1, 2, 3, 4]
    assert [b - bars[0] for b in bars] == [pd.Timedelta(minutes=10 * i) for i in range(4)]
    assert all(image.startswith(PNG) for image in images)
    assert len(set(images)) == 4  # the hedge panel is redrawn as the session moves
    assert f"FlashAlpha({url})" in status and "ff-error" not in status
    assert dash.poller.status.last_error is None


async def poll_in_background(
    client: ff.FlashAlpha, wall: Wall, cycles: int, **options: Any
) -> tuple[Dashboard, list[tuple[int, pd.Timestamp]]]:
    """Start a Dashboard on ``client``; each wait of its poller is one session minute."""

    async def step(_seconds: float) -> None:
        wall.t += 1.0
        await asyncio.sleep(0)

    dash = Dashboard(
        "SPY", source=client, render="png", leaderboard_every=None, sleep=step, **options
    )
    seen: list[tuple[int, pd.Timestamp]] = []
    dash.start()
    try:
        for _ in range(1000):  # bounded: at most ~10 s
            ticks = dash.status.ticks
            if ticks >= cycles or not dash.running:
                break
            if dash.data.series is not None and (not seen or seen[-1][0] != ticks):
                seen.append((ticks, last_bar(dash)))
            await asyncio.sleep(0.01)
    finally:
        await dash.astop()
    assert not dash.running
    assert asyncio.all_tasks() == {asyncio.current_task()}
    if dash.data.series is not None:
        seen.append((dash.status.ticks, last_bar(dash)))
    return dash, seen


def test_dashboard_polling_in_the_background_follows_the_server(
    moved: tuple[ff.Simulated, Wall, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # after_close: the poller's clock is the wall clock (the client has none), which may be
    # past today's close while the served session runs (see the next test); pinned there
    evening = pd.Timestamp("2026-12-03 23:30", tz="America/New_York").tz_convert("UTC")
    monkeypatch.setattr(poller_module, "_wall_now", lambda: evening)
    sim, wall, url = moved
    with ff.FlashAlpha(KEY, base_url=url) as client:
        dash, seen = asyncio.run(poll_in_background(client, wall, 4, after_close=30.0))
    assert dash.status.ticks >= 4, dash.status
    ticks = [t for t, _ in seen]
    bars = [b for _, b in seen]
    assert ticks == sorted(ticks) and bars == sorted(bars)
    assert bars[-1] > bars[0], seen  # the served session moved under the poller
    # each wait is one session minute: each cycle brings one more 1-minute bar
    t0, b0 = seen[0]
    assert all(b - b0 == pd.Timedelta(minutes=t - t0) for t, b in seen), seen
    assert bars[-1] <= ff.series("SPY", bar="1m", source=sim).index[-1]
    assert "ff-error" not in dash.status_line.html.value


def test_background_polling_of_a_served_session_outlives_the_wall_clocks_close(
    moved: tuple[ff.Simulated, Wall, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the real clock, pinned to a weekday evening (the market closed, the served session not)
    evening = pd.Timestamp("2026-12-03 23:30", tz="America/New_York").tz_convert("UTC")
    monkeypatch.setattr(poller_module, "_wall_now", lambda: evening)
    _, wall, url = moved
    with ff.FlashAlpha(KEY, base_url=url) as client:
        dash, _ = asyncio.run(poll_in_background(client, wall, 3))
    assert dash.status.ticks >= 3, dash.status.extra
    # the session time shown is the served session's, not the evening's
    session_time = dash.status.session_time
    assert session_time is not None and session_time.date() == pd.Timestamp(DATE).date()


def test_the_served_clock_is_the_sources(moved: tuple[ff.Simulated, Wall, str]) -> None:
    sim, wall, url = moved
    fa = FlashAlpha(KEY, base_url=url, timeout=30)
    try:
        first = fa.flow_zero_dte_leaderboard()["as_of"]
        wall.t += 30.0
        second = fa.flow_zero_dte_leaderboard()["as_of"]
    finally:
        fa._session.close()
    assert (first, second) == (f"{DATE}T14:30:00Z", f"{DATE}T15:00:00Z")
    assert sim.clock.now() == pd.Timestamp(f"{DATE}T15:00:00Z")
