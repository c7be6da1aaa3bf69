"""ff.live.Dashboard, headless (ipywidgets' DummyComm, matplotlib Agg).

What a trader would notice: each panel shows the data after a refresh, figures change as the
session moves but are never re-created, the tick counter only goes up, errors from a faulty
source are shown while the data gathered stays, controls and the leaderboard re-point the
poller (the same one, changed in place), the dashboard's traits and its controls follow each
other, alerts reach the log and the callbacks, and polling leaves no task behind.
"""

from __future__ import annotations

import asyncio
import gc
import html
import io
import re
import tracemalloc
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mimage
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure

import flowframe as ff
from flowframe.frames.snapshot import SEVERITY_COLOURS
from flowframe.live import Alert, Dashboard, PollStatus, StatusLine
from flowframe.sources import default as _connect
from tests.fakes import (
    MIXED,
    PNG,
    SYMBOLS,
    Faulty,
    NoHeatmap,
    Replay,
    Wall,
    running_source,
    tick_of,
    until,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "dashboard"
MB = 1024 * 1024


def series_of(dash: Dashboard) -> pd.DataFrame | None:
    """The series held now (a function, so that mypy does not keep an earlier narrowing)."""
    return dash.data.series


def heatmap_of(dash: Dashboard) -> xr.DataArray | None:
    return dash.data.heatmap


def running(dash: Dashboard) -> bool:
    return dash.running


def paused(dash: Dashboard) -> bool:
    """Whether the pause button shows "paused" (its value is True)."""
    return bool(dash.pause_control.value)


def interval_of(dash: Dashboard) -> float | None:
    """The interval trait now (a function, so that mypy does not keep an earlier narrowing)."""
    return dash.interval


def clim(dash: Dashboard) -> tuple[float, float]:
    low, high = dash.heatmap.image.get_clim()
    return float(low), float(high)


@dataclass
class Run:
    """A dashboard refreshed 21 times over a running session, with what was seen."""

    dash: Dashboard
    figures_built: int
    figures_after_first_tick: int
    figures_at_end: int
    ticks: list[int] = field(default_factory=list)
    images: list[dict[str, bytes]] = field(default_factory=list)
    bars: list[int] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    artists: list[dict[str, list[int]]] = field(default_factory=list)


@pytest.fixture(scope="module")
def run() -> Run:
    with pytest.MonkeyPatch.context() as mp:
        created: list[Figure] = []
        original = Figure.__init__

        def counting(self: Figure, *args: Any, **kwargs: Any) -> None:
            created.append(self)
            original(self, *args, **kwargs)

        mp.setattr(Figure, "__init__", counting)
        wall = Wall()
        dash = Dashboard("SPY", running_source(wall), render="png", leaderboard_every=None)
        built = len(created)
        seen: list[Alert] = []
        dash.on_alert(seen.append)
        result = Run(dash, built, 0, 0, alerts=seen)

        def look() -> None:
            result.ticks.append(tick_of(dash))
            result.images.append(
                {name: bytes(getattr(dash, name).widget.value) for name in ("hedge", "heatmap")}
            )
            assert dash.data.series is not None
            result.bars.append(len(dash.data.series))
            result.artists.append(
                {
                    name: [len(ax.get_children()) for ax in fig.axes]
                    for name, fig in dash.figures.items()
                }
            )

        dash.refresh()
        result.figures_after_first_tick = len(created)
        look()
        for _ in range(20):
            wall.t += 1.0  # one session minute
            dash.refresh()
            look()
        result.figures_at_end = len(created)
    return result


# --------------------------------------------------------------------------- after a refresh


def test_css_classes(refreshed: Dashboard) -> None:
    dash = refreshed
    assert "ff-dashboard" in dash._dom_classes
    panels = {
        "ff-headline": dash.headline,
        "ff-hedge": dash.hedge,
        "ff-series": dash.series,
        "ff-heatmap": dash.heatmap,
        "ff-leaderboard": dash.leaderboard,
        "ff-status": dash.status_line,
        "ff-alerts": dash.alert_log,
    }
    for css, panel in panels.items():
        assert {"ff-panel", css} <= set(panel._dom_classes), css
    for panel in (dash.hedge, dash.series, dash.heatmap):
        assert "ff-image" in panel.widget._dom_classes
        assert type(panel.widget).__name__ == "Image" and panel.widget.format == "png"
    assert "ff-controls" in dash.controls._dom_classes

    def walk(widget: Any) -> Iterator[Any]:
        yield widget
        for child in getattr(widget, "children", ()):
            yield from walk(child)

    shown = list(walk(dash))
    for widget in (*panels.values(), dash.hedge.widget, dash.heatmap.metric_control):
        assert any(w is widget for w in shown)  # every panel is in the displayed tree


def test_panels_show_the_data_after_refresh(refreshed: Dashboard) -> None:
    dash = refreshed
    snap = dash.data.snapshot
    assert snap is not None and snap.headline is not None and snap.flow_direction is not None
    head = dash.headline.html.value
    assert html.escape(snap.headline.narrative or "") in head
    assert SEVERITY_COLOURS[snap.headline.severity or ""] in head
    assert f"data-severity='{snap.headline.severity}'" in head
    assert (snap.headline.trade_angle or "").replace("_", " ") in head
    assert f"data-label='{snap.flow_direction.label}'" in head
    assert "class='ff-gauge' data-value='" in head

    status = dash.status_line.html.value
    assert "data-tick='1'" in status and tick_of(dash) == 1
    assert "Simulated(seed=3, 2026-09-18)" in status and "session 14:00:00 ET" in status
    assert "ff-error" not in status

    for panel in (dash.hedge, dash.series, dash.heatmap):
        assert bytes(panel.widget.value).startswith(PNG)
        assert panel.draws == 2  # the waiting picture, then the data
        assert not panel.chart.message.get_visible()
    assert dash.hedge.title.get_text() == "SPY dealer hedge-flow (1m bars, ET)"
    assert dash.heatmap.title.get_text().startswith("SPY gex (raw) by strike")

    board = dash.data.leaderboard
    assert board is not None and len(board) == len(SYMBOLS)
    for symbol in board["symbol"]:
        assert f"data-symbol='{symbol}'" in dash.leaderboard.html.value
    assert list(dash.leaderboard.choices.options) == list(board["symbol"])
    assert "class='ff-row ff-current' data-symbol='SPY'" in dash.leaderboard.html.value
    assert dash.leaderboard.choices.value == "SPY"


def test_figures_are_persistent_and_drawn_in_place(refreshed: Dashboard) -> None:
    dash = refreshed
    figures = dash.figures
    assert all(type(f) is Figure for f in figures.values())
    assert figures["hedge"] is dash.hedge.figure and dash.hedge.figure.canvas is not None
    bars = dash.hedge.bars
    hedge, series = dash.data.hedge, dash.data.series
    assert hedge is not None and series is not None and len(bars.get_paths()) == len(hedge)
    # green where dealers buy, red where they sell
    values = hedge["bar"].to_numpy()
    colours = np.asarray(bars.get_facecolor())
    buy, sell = matplotlib.colors.to_rgba("#2ca02c"), matplotlib.colors.to_rgba("#d62728")
    assert all(tuple(c) == (buy if v >= 0 else sell) for c, v in zip(colours, values, strict=True))
    assert len(np.asarray(dash.series.lines["spot"].get_xdata())) == len(series)
    # the heatmap of a signed metric is diverging and centred at zero
    assert dash.heatmap.image.get_visible() and dash.heatmap.image.get_cmap().name == "RdBu_r"
    low, high = clim(dash)
    assert low == -high and high > 0
    # nothing changed: a refresh on a frozen clock redraws nothing
    before = {name: getattr(dash, name).draws for name in figures}
    dash.refresh()
    assert {name: getattr(dash, name).draws for name in figures} == before
    dash.redraw()
    assert {name: getattr(dash, name).draws for name in figures} == {
        name: n + 1 for name, n in before.items()
    }


# --------------------------------------------------------------------------- a running session


def test_images_change_as_the_session_moves(run: Run) -> None:
    first, last = run.images[0], run.images[-1]
    for name in ("hedge", "heatmap"):
        assert first[name].startswith(PNG) and last[name].startswith(PNG)
        assert first[name] != last[name]
        # and between consecutive moments
        assert run.images[5][name] != run.images[6][name]
    assert run.bars == sorted(run.bars) and run.bars[-1] == run.bars[0] + 20


def test_tick_counter_only_goes_up(run: Run) -> None:
    assert run.ticks == list(range(1, 22))
    line = StatusLine()
    highest = 0
    for ticks in (3, 5, 2, 0, 6):  # a status going backwards never lowers the counter
        line.update(PollStatus(ticks=ticks))
        highest = max(highest, ticks)
        assert tick_of(line) == highest
    assert line.tick == 6


def test_no_figure_is_created_after_the_first_tick(run: Run) -> None:
    assert run.figures_built == 3  # hedge, series, heatmap
    assert run.figures_after_first_tick == run.figures_built
    assert run.figures_at_end == run.figures_built  # 20 more ticks, all drawn, no new figure
    assert run.dash.hedge.draws >= 21
    # updated in place: no artist is added by a tick (a leak would add some every tick)
    assert all(artists == run.artists[0] for artists in run.artists)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(mimage.imread(io.BytesIO(png), format="png"))


def test_blitted_frames_match_a_full_render(run: Run) -> None:
    """The PNG path redraws only the data artists on a kept background: what it shows must be
    what a full render of the same figure shows, and most ticks must take that short path."""
    for name in ("hedge", "series", "heatmap"):
        panel = getattr(run.dash, name)
        shown, full = pixels(bytes(panel.widget.value)), pixels(panel.png())
        assert shown.shape == full.shape
        differ = np.abs(shown - full).max(axis=-1) > 0.25
        assert differ.mean() < 0.002, (name, differ.mean())  # a few edge pixels at most
        assert panel.chart.full_draws < panel.draws
    # 21 ticks of a running session: the axes stay put on most of them
    assert run.dash.hedge.chart.full_draws <= run.dash.hedge.draws // 2


def test_live_axes_span_the_session(run: Run) -> None:
    """Time axes show the regular session (09:30-16:00 ET) as it fills, not a moving window."""
    for name in ("hedge", "series", "heatmap"):
        ax = getattr(run.dash, name).ax
        low, high = (
            pd.Timestamp(matplotlib.dates.num2date(v)).tz_convert("America/New_York")
            for v in ax.get_xlim()
        )
        day = low.normalize()
        opened, closed = day + pd.Timedelta("9h30min"), day + pd.Timedelta("16h")
        # the open and the close, or half a bar beyond them (a first bar stamped 09:30)
        assert opened - pd.Timedelta("1min") <= low <= opened, (name, low)
        assert closed <= high <= closed + pd.Timedelta("1min"), (name, high)


def test_alerts_reach_callbacks_and_the_log(run: Run) -> None:
    dash = run.dash
    assert run.alerts, "a running session raises alerts (crosses, bursts, escalations)"
    assert run.alerts == dash.alerts
    log = dash.alert_log.html.value
    assert f"alerts ({len(run.alerts)})" in log
    lines = re.findall(r"<div class='ff-alert' data-kind='(\w+)'", log)
    assert lines == [a.kind for a in reversed(run.alerts)]  # newest first
    newest = run.alerts[-1]
    assert html.escape(newest.message) in log
    assert newest.time.tz_convert("America/New_York").strftime("%H:%M:%S") in log
    assert log.index(html.escape(newest.message)) < log.index(html.escape(run.alerts[0].message))


def test_async_and_broken_alert_callbacks_are_awaited_and_recorded() -> None:
    """``dash.on_alert`` takes ``async def`` functions like the poller's: awaited, never left
    as an unawaited coroutine, and a callback that raises is recorded, not raised."""
    wall = Wall()
    dash = Dashboard("SPY", running_source(wall), render="png", leaderboard_every=None)
    seen: list[tuple[str, int]] = []

    async def later(alert: Alert) -> None:
        await asyncio.sleep(0)  # really suspends
        # the log already holds the alert when a callback runs
        seen.append((alert.kind, dash.alert_log.html.value.count("class='ff-alert'")))

    def broken(alert: Alert) -> None:
        raise ZeroDivisionError("in an alert callback")

    assert dash.on_alert(later) is later
    dash.on_alert(broken)
    with pytest.raises(TypeError, match="on_alert"):
        dash.on_alert("print")  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "coroutine ... was never awaited"
        for _ in range(21):
            dash.refresh()
            wall.t += 1.0
            if len(dash.alerts) >= 2:
                break
    assert len(dash.alerts) >= 2, "a running session raises alerts"
    assert [kind for kind, _ in seen] == [a.kind for a in dash.alerts]
    assert all(count >= at + 1 for at, (_, count) in enumerate(seen))
    failed = [text for _, kind, text in dash.errors if kind == "callback"]
    assert len(failed) == len(dash.alerts)
    assert all("broken: ZeroDivisionError: in an alert callback" in t for t in failed)


# --------------------------------------------------------------------------- faults


def test_faulty_source_keeps_data_and_shows_errors() -> None:
    wall = Wall()
    source = Faulty(running_source(wall, start="11:00"), seed=0, share=0.3, faults=MIXED)
    dash = Dashboard("SPY", source, render="png", leaderboard_every=None)
    bars: list[int] = []
    shown_errors = 0
    for _ in range(16):
        failed_before = len(dash.errors)
        dash.refresh()
        wall.t += 1.0
        status = dash.status_line.html.value
        if len(dash.errors) > failed_before:
            last = dash.status.last_error
            assert last is not None and "class='ff-error'" in status
            assert html.escape(last) in status
            shown_errors += 1
        else:
            assert "ff-error" not in status
        series = dash.data.series
        bars.append(0 if series is None else len(series))
    assert set(source.faults) == set(MIXED)
    kinds = {kind for _, kind, _ in dash.errors}
    assert {"TimeoutError", "ServerError", "RateLimitError", "SchemaError"} <= kinds
    assert shown_errors > 0 and tick_of(dash) == 16  # failed cycles are ticks too
    gathered = [n for n in bars if n]
    assert gathered and bars == sorted(bars) and bars[-1] > gathered[0]  # nothing is lost
    for panel in (dash.hedge, dash.series, dash.heatmap):
        assert bytes(panel.widget.value).startswith(PNG)


def test_start_stop_under_asyncio_leaves_no_task() -> None:
    wall = Wall()
    source = Faulty(running_source(wall, start="12:00"), seed=11, share=0.3, faults=MIXED)

    async def instant(delay: float) -> None:
        wall.t += 0.5
        await asyncio.sleep(0)

    async def main() -> None:
        dash = Dashboard(
            "SPY",
            source,
            render="png",
            sleep=instant,
            leaderboard_every=None,
        )
        dash.start()
        assert dash.running and not paused(dash)
        assert dash.pause_control.description == "pause"
        while dash.status.ticks < 5:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)  # the render scheduled after the cycle
        assert running(dash), "errors must not stop the polling"
        assert tick_of(dash) == dash.status.ticks
        assert "&#9679; live" in dash.status_line.html.value
        await dash.astop()
        assert not running(dash) and paused(dash)
        assert "&#9679; paused" in dash.status_line.html.value
        assert asyncio.all_tasks() == {asyncio.current_task()}
        assert series_of(dash) is not None

        # the same through the pause button, as a click in the browser would
        dash.pause_control.value = False
        assert running(dash) and dash.pause_control.description == "pause"
        await asyncio.sleep(0.05)
        dash.pause_control.value = True
        assert paused(dash) and dash.pause_control.description == "start"
        await asyncio.sleep(0.05)
        assert not running(dash) and paused(dash)
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(main())
    assert source.faults  # the run met errors


# --------------------------------------------------------------------------- controls


def test_leaderboard_row_repoints_the_dashboard(frozen: ff.Simulated) -> None:
    dash = Dashboard("SPY", frozen, render="png")
    dash.refresh()
    dash.leaderboard.choices.value = "TSLA"  # a click on the TSLA button
    assert dash.symbol == "TSLA" and dash.poller.symbol == "TSLA"
    assert dash.symbol_control.value == "TSLA"
    assert series_of(dash) is None  # SPY's frames are gone
    assert "waiting" in dash.headline.html.value
    dash.refresh()
    series = series_of(dash)
    assert series is not None and series.attrs["symbol"] == "TSLA"
    assert "<b>TSLA</b>" in dash.headline.html.value
    assert dash.hedge.title.get_text().startswith("TSLA")
    assert "class='ff-row ff-current' data-symbol='TSLA'" in dash.leaderboard.html.value
    dash.leaderboard.select("QQQ")
    assert dash.poller.symbol == "QQQ"
    with pytest.raises(ValueError, match="not on the leaderboard"):
        dash.leaderboard.select("NVDA")


def test_controls_change_the_poller(frozen: ff.Simulated) -> None:
    dash = Dashboard("SPY", frozen, render="png")
    dash.refresh()

    # heatmap metric, and the raw/delta toggle
    dash.metric_control.value = "dex"
    assert dash.poller.heatmap_metric == "dex" and heatmap_of(dash) is None
    dash.refresh()
    heatmap = heatmap_of(dash)
    assert heatmap is not None and heatmap.attrs["metric"] == "dex"
    assert dash.heatmap.title.get_text().startswith("SPY dex (raw)")
    dash.mode_control.value = "delta"
    assert dash.heatmap.title.get_text().startswith("SPY dex (delta)")
    dash.set_metric("oi")
    dash.mode_control.value = "raw"
    dash.refresh()
    assert dash.heatmap.image.get_cmap().name == "viridis"  # unsigned: sequential colours
    assert clim(dash)[0] >= 0
    dash.mode_control.value = "delta"
    assert dash.heatmap.image.get_cmap().name == "RdBu_r"  # changes are signed
    assert clim(dash)[0] == -clim(dash)[1]

    # bar size: the same poller, changed in place; the tick counter goes on
    old = dash.poller
    ticks = tick_of(dash)
    dash.bar_control.value = "5m"
    assert dash.poller is old and dash.poller.bar == "5m" and not old.running
    assert dash.poller.heatmap_metric == "oi" and dash.poller.symbol == "SPY"
    dash.refresh()
    series = series_of(dash)
    assert series is not None and series.attrs["bar_size"] == "5m"
    assert tick_of(dash) == ticks + 1
    assert "(5m bars, ET)" in dash.hedge.title.get_text()

    # symbol: typed, validated
    dash.symbol_control.value = "qqq"
    assert dash.poller.symbol == "QQQ" and dash.symbol_control.value == "QQQ"
    dash.symbol_control.value = "not a symbol"
    assert dash.poller.symbol == "QQQ" and dash.symbol_control.value == "QQQ"
    assert "ff-note" in dash.status_line.html.value

    # interval: seconds or auto
    dash.interval_control.value = "10"
    assert dash.poller.floor == 10.0
    dash.refresh()
    assert dash.status.interval == 10.0 and "every 10s" in dash.status_line.html.value
    dash.interval_control.value = "auto"
    assert dash.poller.floor == 30.0
    dash.interval_control.value = "soon"
    assert dash.interval_control.value == "auto" and dash.poller.floor == 30.0
    assert "interval must be" in dash.status_line.html.value

    # pause/resume needs an event loop: without one the button explains and stays paused
    dash.pause_control.value = False
    assert not running(dash) and paused(dash)
    assert "running asyncio event loop" in dash.status_line.html.value

    # the refresh button polls once
    before = tick_of(dash)
    dash.refresh_control.click()
    assert tick_of(dash) == before + 1


def test_arguments_are_validated(frozen: ff.Simulated) -> None:
    with pytest.raises(ValueError, match="bar"):
        Dashboard("SPY", frozen, bar="2m")
    with pytest.raises(ValueError, match="heatmap_metric"):
        Dashboard("SPY", frozen, heatmap_metric="vanna")
    bad: Any = "svg"
    with pytest.raises(ValueError, match="render"):
        Dashboard("SPY", frozen, render=bad)
    with pytest.raises(ValueError, match="interval"):
        Dashboard("SPY", frozen, interval=0)
    dash = Dashboard("spy", frozen, interval=5, leaderboard_every=None)
    assert dash.symbol == "SPY" and dash.poller.floor == 5.0
    assert dash.interval_control.value == "5" and dash.poller.leaderboard_every is None
    dash.set_interval(None)
    assert dash.poller.floor == 30.0 and dash.interval_control.value == "auto"
    dash.set_interval(12.5)
    assert dash.poller.floor == 12.5 and dash.interval_control.value == "12.5"


def test_default_source_is_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_connect, "_default", None)
    try:
        with pytest.warns(ff.FlowframeWarning, match="simulated"):
            dash = Dashboard()
        assert isinstance(dash.source, ff.Simulated) and dash.symbol == "SPY"
    finally:
        _connect.reset_default_source()


def test_a_heatmap_outside_the_plan_is_said_so(frozen: ff.Simulated) -> None:
    dash = Dashboard("SPY", NoHeatmap(frozen), render="png")
    dash.refresh()
    assert series_of(dash) is not None and heatmap_of(dash) is None
    assert dash.heatmap.chart.message.get_visible()
    assert "not included in this key's plan" in dash.heatmap.chart.message.get_text()
    assert bytes(dash.hedge.widget.value).startswith(PNG)


# --------------------------------------------------------------------------- traits


STATE_TRAITS = ["symbol", "bar", "metric", "interval", "paused"]


def test_traits_hold_the_state_controls_and_poller_follow(frozen: ff.Simulated) -> None:
    dash = Dashboard("SPY", frozen, render="png", heatmap_metric="dex", interval=10)
    poller = dash.poller
    assert (dash.symbol, dash.bar, dash.metric, dash.interval, dash.paused) == (
        "SPY",
        "1m",
        "dex",
        10.0,
        True,
    )
    seen: list[tuple[str, Any]] = []
    dash.observe(lambda change: seen.append((change["name"], change["new"])), names=STATE_TRAITS)

    # set the trait: the control, the poller and the panels follow
    dash.symbol = " qqq "
    assert dash.symbol == "QQQ" and dash.symbol_control.value == "QQQ"
    assert dash.poller is poller and poller.symbol == "QQQ"
    assert dash.leaderboard.current == "QQQ"
    dash.bar = "5m"
    assert dash.bar_control.value == "5m" and poller.bar == "5m" and dash.poller is poller
    dash.metric = "vex"
    assert dash.metric_control.value == "vex" and poller.heatmap_metric == "vex"
    assert dash.heatmap.metric == "vex"
    dash.interval = 12.5
    assert dash.interval_control.value == "12.5" and poller.floor == 12.5
    dash.interval = None
    assert dash.interval_control.value == "auto" and poller.floor == 30.0

    # use the control: the trait, and so the poller, follow
    dash.symbol_control.value = "tsla"
    assert dash.symbol == "TSLA" == poller.symbol and dash.symbol_control.value == "TSLA"
    dash.bar_control.value = "15m"
    assert dash.bar == "15m" == poller.bar
    dash.metric_control.value = "oi"
    assert dash.metric == "oi" == poller.heatmap_metric
    dash.interval_control.value = "20s"
    assert interval_of(dash) == 20.0 == poller.floor and dash.interval_control.value == "20"
    assert seen == [
        ("symbol", "QQQ"),
        ("bar", "5m"),
        ("metric", "vex"),
        ("interval", 12.5),
        ("interval", None),
        ("symbol", "TSLA"),
        ("bar", "15m"),
        ("metric", "oi"),
        ("interval", 20.0),
    ]

    # the setters are the traits
    dash.set_symbol("spy")
    dash.set_bar("30s")
    dash.set_metric("gex")
    dash.set_interval(None)
    assert (dash.symbol, dash.bar, dash.metric, dash.interval) == ("SPY", "30s", "gex", None)
    assert (poller.symbol, poller.bar, poller.heatmap_metric) == ("SPY", "30s", "gex")

    # a refused value raises, and changes nothing
    for name, value, match in (
        ("symbol", "not a symbol", "symbol"),
        ("bar", "2m", "bar"),
        ("metric", "gamma", "metric"),
        ("interval", 0.0, "interval"),
    ):
        before = len(seen)
        with pytest.raises(ValueError, match=match):
            setattr(dash, name, value)
        assert len(seen) == before
    assert (dash.symbol, dash.bar, dash.metric, dash.interval) == ("SPY", "30s", "gex", None)
    assert dash.symbol_control.value == "SPY" and dash.bar_control.value == "30s"
    assert dash.poller is poller


def test_the_paused_trait_starts_and_stops_polling() -> None:
    wall = Wall()

    async def instant(delay: float) -> None:
        wall.t += 0.5
        await asyncio.sleep(0)

    async def main() -> None:
        dash = Dashboard(
            "SPY", Replay(running_source(wall, start="12:00")), render="png", sleep=instant
        )
        poller = dash.poller
        dash.paused = False
        assert dash.running and not paused(dash)
        assert dash.pause_control.description == "pause"
        await until(lambda: dash.status.ticks >= 2)
        await asyncio.sleep(0)
        assert "&#9679; live" in dash.status_line.html.value

        # a bar change while polling: the same poller goes on, at the new size
        dash.bar = "5m"
        assert dash.poller is poller and dash.running
        await until(lambda: dash.data.series is not None)
        series = dash.data.series
        assert series is not None and series.attrs["bar_size"] == "5m"

        dash.paused = True
        assert paused(dash) and dash.pause_control.description == "start"
        await until(lambda: not dash.running)
        assert "&#9679; paused" in dash.status_line.html.value
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(main())


# --------------------------------------------------------------------------- rendering paths


def test_ipympl_canvases_update_in_place(frozen: ff.Simulated) -> None:
    dash = Dashboard("SPY", frozen, render="ipympl")
    draws: list[str] = []
    for name in ("hedge", "series", "heatmap"):
        canvas = getattr(dash, name).widget
        assert type(canvas).__name__ == "Canvas" and "ff-canvas" in canvas._dom_classes
        assert getattr(dash, name).figure.canvas is canvas
        canvas.draw_idle = lambda name=name: draws.append(name)
    figures = dict(dash.figures)
    dash.refresh()
    assert sorted(draws) == ["heatmap", "hedge", "series"]
    assert dash.figures == figures
    assert dash.pngs()["hedge"].startswith(PNG)  # the same figure, as PNG on demand


def test_ipympl_leaves_the_global_backend_alone(frozen: ff.Simulated) -> None:
    # importing ipympl's backend makes it matplotlib's global backend; the dashboard restores it
    before = matplotlib.get_backend()
    Dashboard("SPY", frozen, render="ipympl")
    assert matplotlib.get_backend() == before


# --------------------------------------------------------------------------- memory, picture


@pytest.mark.slow
def test_memory_is_flat_over_1000_ticks(frozen: ff.Simulated) -> None:
    """1,000 ticks of the data path (fetch, merge, derive, HTML, fingerprints): < 5 MB.

    The clock is frozen and the source replays recorded answers (windows answered with no
    bars), so a tick costs the poller's and the dashboard's own work only. Every tick runs a
    full cycle and updates every panel; figures are redrawn when their data change, which on a
    frozen clock is never, so every 500th tick forces a redraw of all three figures (2 PNG
    renders of each; that drawing adds no artist is checked over 21 drawn ticks in ``run``).
    """
    dash = Dashboard("SPY", Replay(frozen, quiet_windows=True), render="png")
    for _ in range(5):  # warm up: caches of fonts, pandas, the first full fetch
        dash.refresh()
    dash.redraw()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(1000):
            dash.refresh()
            if i % 500 == 499:
                dash.redraw()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert dash.status.ticks == 1005 and tick_of(dash) == 1005
    assert dash.hedge.draws == 2 + 1 + 2
    assert grown < 5 * MB, f"grew {grown / MB:.2f} MB over 1,000 ticks"


def test_write_dashboard_picture(refreshed: Dashboard) -> None:
    """Stack the three figures into one PNG under artifacts/dashboard/ (to look at)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    images = [mimage.imread(io.BytesIO(png)) for png in refreshed.pngs().values()]
    width = max(im.shape[1] for im in images)
    padded = [
        np.pad(im, ((0, 0), (0, width - im.shape[1]), (0, 0)), constant_values=1.0) for im in images
    ]
    path = ARTIFACTS / "dashboard.png"
    mimage.imsave(path, np.concatenate(padded, axis=0))
    assert path.read_bytes().startswith(PNG)
    (ARTIFACTS / "headline.html").write_text(
        refreshed.headline.html.value
        + refreshed.leaderboard.html.value
        + refreshed.alert_log.html.value
        + refreshed.status_line.html.value,
        encoding="utf-8",
    )
