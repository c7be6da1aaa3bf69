"""The live panels alone, headless, and the one snapshot card they share with the repr."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

import flowframe as ff
from flowframe.cli import demo
from flowframe.frames import card as card_module
from flowframe.frames.card import FLOW_COLORS, SEVERITY_COLORS, flow_gauge, flow_line, snapshot_card
from flowframe.frames.snapshot import SEVERITY_COLOURS
from flowframe.live import (
    Alert,
    AlertLog,
    Dashboard,
    HeadlinePanel,
    HeatmapPanel,
    HedgePanel,
    LeaderboardPanel,
    LiveData,
    PollStatus,
    SeriesPanel,
    StatusLine,
)
from tests.conftest import load
from tests.fakes import DATE, PNG, tick_of

# --------------------------------------------------------------------------- chart panels


def test_chart_panels_alone(refreshed: Dashboard) -> None:
    empty = LiveData()
    for cls in (HedgePanel, SeriesPanel, HeatmapPanel):
        panel = cls(empty, render="png")
        assert bytes(panel.widget.value).startswith(PNG)
        assert panel.chart.message.get_visible() and "waiting" in panel.chart.message.get_text()
        assert panel.update(refreshed.data) is True
        assert not panel.chart.message.get_visible()
        assert panel.update() is False  # nothing changed
        assert panel.update(force=True) is True
        assert panel.draws == 3
    # the first bar of a session (one bar, and one strike) draws too
    data = refreshed.data
    assert data.series is not None and data.hedge is not None and data.heatmap is not None
    tiny = LiveData(
        series=data.series.iloc[:1],
        hedge=data.hedge.iloc[:1],
        heatmap=data.heatmap.isel(bar=[0], strike=[20]),
    )
    for cls in (HedgePanel, SeriesPanel, HeatmapPanel):
        panel = cls(tiny, render="png")
        assert not panel.chart.message.get_visible()
        assert bytes(panel.widget.value).startswith(PNG)


def test_the_live_series_panel_draws_levels_as_plot_series_does(refreshed: Dashboard) -> None:
    # the magnet was a dotted line slanting between strikes, and the walls and the magnet on
    # one strike hid each other: the panel now uses plot_series' layered step styles
    from flowframe.plotting import LEVEL_STYLES

    panel = SeriesPanel(refreshed.data, render="png")
    for name in ("call_wall", "put_wall", "magnet"):
        line = panel.lines[name]
        style = LEVEL_STYLES[name]
        assert line.get_drawstyle() == "steps-post", name
        assert line.get_linewidth() == style["linewidth"] and line.get_color() == style["color"]
    widths = [panel.lines[n].get_linewidth() for n in ("call_wall", "put_wall", "magnet")]
    zorders = [panel.lines[n].get_zorder() for n in ("call_wall", "put_wall", "magnet")]
    assert widths == sorted(widths, reverse=True) and zorders == sorted(zorders)


# --------------------------------------------------------------------------- text panels


def test_headline_panel_alone(refreshed: Dashboard) -> None:
    panel = HeadlinePanel()
    assert "waiting for a snapshot" in panel.html.value
    panel.update(refreshed.data)
    assert panel.html.value == refreshed.headline.html.value
    closed = ff.Snapshot({"symbol": "SPY", "session_closed": True, "message": "Closed."})
    panel.update(LiveData(snapshot=closed))
    assert "market closed" in panel.html.value and "Closed." in panel.html.value


@pytest.mark.parametrize(
    ("shift", "settled", "growth", "side"),
    [
        pytest.param(-0.194, -29e6, 0.194, "amplifying", id="more-negative-is-amplifying"),
        pytest.param(0.12, 10e6, 0.12, "amplifying", id="more-positive-is-amplifying"),
        pytest.param(-0.3, 10e6, -0.3, "dampening", id="smaller-is-dampening"),
        pytest.param(2.0, 10e6, 2.0, "amplifying", id="bounded"),
    ],
)
def test_flow_gauge(shift: float, settled: float, growth: float, side: str) -> None:
    gauge = HeadlinePanel.gauge(shift, settled)
    value = float(re.findall(r"data-value='([-\d.]+)'", gauge)[0])
    assert value == pytest.approx(growth)
    widths = [float(w) for w in re.findall(r"width:([\d.]+)%", gauge)]
    bar = widths[1]  # [neutral band, bar]
    assert bar == pytest.approx(min(abs(growth) / 0.5, 1.0) * 50.0)
    colour = "#d62728" if side == "amplifying" else "#2ca02c"
    assert f"background:{colour}'></span>" in gauge
    assert "data-value=''" in HeadlinePanel.gauge(None, None)


def test_leaderboard_panel_alone(refreshed: Dashboard) -> None:
    chosen: list[str] = []
    panel = LeaderboardPanel()
    assert "waiting" in panel.html.value and panel.symbols == []
    panel.on_select(chosen.append)
    panel.update(refreshed.data)
    assert panel.choices.value is None and chosen == []  # updating never chooses
    panel.choices.value = "QQQ"
    assert chosen == ["QQQ"] and panel.current == "QQQ"
    panel.update(refreshed.data)
    assert chosen == ["QQQ"]  # a refresh of the same list chooses nothing again


def test_status_line_alone() -> None:
    status = PollStatus(
        source="FlashAlpha(https://lab.flashalpha.com)",
        ticks=4,
        session_time=pd.Timestamp("2026-09-18 18:00", tz="UTC"),
        last_update=dt.datetime(2026, 9, 18, 18, 0, 5, tzinfo=dt.UTC),
        next_poll=dt.datetime(2026, 9, 18, 18, 0, 35, tzinfo=dt.UTC),
        interval=30.0,
        quota_remaining=120,
        quota_limit=250,
        projected_use=300,
        last_error="ServerError: 500 Internal Server Error",
    )
    line = StatusLine(status)
    text = line.html.value
    assert "session 14:00:00 ET" in text and "updated 14:00:05" in text
    assert "next 14:00:35" in text
    assert "quota 120/250 left, session needs ~300" in text and "color:#d62728" in text
    assert "ServerError: 500 Internal Server Error" in text and tick_of(line) == 4


def test_alert_log_alone() -> None:
    t = pd.Timestamp("2026-09-18 14:00", tz="UTC")
    alerts = [Alert(t + pd.Timedelta(minutes=i), "SPY", "wall_cross", f"m{i}") for i in range(5)]
    log = AlertLog(alerts, limit=3)
    assert re.findall(r" (m\d)</div>", log.html.value) == ["m4", "m3", "m2"]
    assert "10:04:00" in log.html.value and "<b>SPY</b>" in log.html.value
    log.add(Alert(t, "QQQ", "hedge_burst", "<b>x</b>"))
    assert "&lt;b&gt;x&lt;/b&gt;" in log.html.value  # escaped
    with pytest.raises(ValueError, match="limit"):
        AlertLog(limit=0)


# --------------------------------------------------------------------------- the one card


DEGRADED = ("snapshot_session_closed.json", "snapshot_no_zero_dte.json")


def test_one_card_for_the_repr_and_the_headline(refreshed: Dashboard) -> None:
    snap = refreshed.data.snapshot
    assert snap is not None and snap.status == "live"
    full, compact = snapshot_card(snap), snapshot_card(snap, compact=True)
    # the notebook repr is the full card, the headline panel the compact one
    assert snap._repr_html_() == full
    assert full.startswith('<div class="ff-snapshot" data-status="live"')  # what pages select
    assert HeadlinePanel.card(snap) == compact == refreshed.headline.html.value
    assert HeadlinePanel.flow_line(snap) == flow_line(snap)
    assert HeadlinePanel.gauge(0.12, 1e6) == flow_gauge(0.12, 1e6)
    # the same head and flow line; the full card's details below, the compact one's inline
    head = full[: full.index("<span class='ff-angle'>")]
    assert compact.startswith(head) and flow_line(snap) in full and flow_line(snap) in compact
    assert "class='ff-setup'" in full and "class='ff-setup'" not in compact
    assert "class='ff-levels'" in full and "class='ff-levels'" not in compact
    assert " &middot; setup: <b>" in compact and "<ul" not in compact
    assert "2σ range" in full and "2σ range" not in compact


@pytest.mark.parametrize("name", DEGRADED)
def test_one_card_outside_a_session(name: str) -> None:
    snap = ff.Snapshot(load(name))
    card = snapshot_card(snap)
    assert card == snapshot_card(snap, compact=True) == snap._repr_html_()
    assert card == HeadlinePanel.card(snap)
    panel = HeadlinePanel(LiveData(snapshot=snap))
    panel.update()
    assert panel.html.value == card and "no 0DTE session" in card


def test_the_demo_report_shows_the_same_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "_png", lambda draw: b"")  # the figures are not looked at here
    summary = demo._summary(tmp_path, symbol="SPY", now="14:45", seed=0, date=DATE)
    snap = demo.simulated_snapshot("SPY", now="14:45", seed=0, date=DATE)
    assert summary.html.startswith(snapshot_card(snap) + "<h3>Leaderboard (heat)</h3>")
    assert snapshot_card(snap) == snap._repr_html_()


def test_one_spelling_of_the_colour_maps() -> None:
    assert SEVERITY_COLOURS is SEVERITY_COLORS  # the old name, kept as an alias
    assert FLOW_COLORS["amplifying"] == SEVERITY_COLORS["alert"] == "#d62728"
    assert not hasattr(card_module, "FLOW_COLOURS")


def test_the_live_hedge_panel_puts_both_flow_zeros_at_one_height(refreshed: Dashboard) -> None:
    # the per-bar $0 sat beside tens of millions of cumulative (as plot_hedge's twin axes did)
    panel = HedgePanel(refreshed.data, render="png")

    def zero(ax) -> float:
        lo, hi = ax.get_ylim()
        return float(-lo / (hi - lo))

    assert 0.0 < zero(panel.ax) < 1.0
    assert zero(panel.ax) == pytest.approx(zero(panel.twin), abs=1e-9)
    # and the limits stay put on a tick that changes nothing
    before = (panel.ax.get_ylim(), panel.twin.get_ylim())
    panel.update(force=True)
    assert (panel.ax.get_ylim(), panel.twin.get_ylim()) == before
