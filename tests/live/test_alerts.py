"""Alerts: each event a trader wants to know fires once, with the numbers behind it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import flowframe as ff
from flowframe._stats import robust_center_scale
from flowframe.live.alerts import ALERT_KINDS, AlertDetector
from flowframe.live.contract import Alert
from flowframe.live.poller import Poller
from tests.fakes import Scripted


def test_each_alert_fires_once_with_its_numbers() -> None:
    src = Scripted()
    for i in range(20):  # baseline: spot under the flip, ordinary flow
        src.add(100.0 + 0.1 * math.sin(i), 1e6 + 1e5 * ((i * 7) % 5), -5e5 - 5e4 * ((i * 3) % 4))
    poller = Poller(src, "SPY", now=lambda: src.now, leaderboard_every=None)
    told: list[Alert] = []
    poller.on_alert(told.append)

    def cycle() -> list[Alert]:
        before = len(poller.alerts)
        assert poller.cycle(), poller.status.last_error
        return poller.alerts[before:]

    assert cycle() == []  # the session so far is the baseline
    series = poller.data.series
    assert series is not None and series["pin_probability_pct"].iloc[-1] == 0.4
    spot19 = src.rows[-1]["spot"]

    # 1) spot crosses the flip upwards; flow amplifying -> dampening; severity info -> watch
    src.add(101.5, 1.1e6, -5.5e5)
    src.label, src.severity = "dampening", "watch"
    new = cycle()
    assert [a.kind for a in new] == ["flip_cross", "flow_direction_flip", "severity_escalation"]
    flip, flow, severity = new
    t20 = pd.Timestamp("2026-09-18 13:50Z")
    assert flip.time == t20 and flip.symbol == "SPY"
    assert flip.values == {
        "spot": 101.5,
        "previous_spot": spot19,
        "level": 101.0,
        "previous_level": 101.0,
        "direction": "up",
    }
    assert flow.values["previous"] == "amplifying" and flow.values["label"] == "dampening"
    assert flow.values["flow_gex_pct_shift"] == 0.12 and flow.time == src.now
    assert severity.values["previous"] == "info" and severity.values["severity"] == "watch"
    series = poller.data.series
    assert series is not None and series["pin_probability_pct"].iloc[-1] == 0.4  # not 40

    # 2) spot crosses the call wall; dealers buy a burst of 50 M$ in one bar
    src.add(105.5, 5e7, -5e5)
    new = cycle()
    assert [a.kind for a in new] == ["wall_cross", "hedge_burst"]
    wall, burst = new
    t21 = pd.Timestamp("2026-09-18 13:51Z")
    assert wall.time == t21 and wall.values["wall"] == "call"
    assert (wall.values["spot"], wall.values["level"], wall.values["direction"]) == (
        105.5,
        105.0,
        "up",
    )
    hedge = poller.data.hedge
    assert hedge is not None
    past = hedge["bar"].to_numpy()[:21]
    median = np.median(past)
    sigma = 1.4826 * np.median(np.abs(past - median))
    assert burst.time == t21 and burst.values["bar"] == pytest.approx(5e7 - 5e5)
    assert burst.values["z"] == pytest.approx((5e7 - 5e5 - median) / sigma)
    assert burst.values["z"] > 3 and burst.values["k"] == 3.0 and burst.values["bars"] == 21

    # 3) the same bar again (revised, still a burst); dampening -> neutral, watch -> info: quiet
    src.rows[-1]["calls"] += 1e6
    src.label, src.severity = "neutral", "info"
    assert cycle() == []
    assert cycle() == []

    # 4) neutral -> regime_flip and info -> alert fire; spot stays above every level
    src.add(105.6, 1e6, -5e5)
    src.label, src.severity = "regime_flip", "alert"
    assert [(a.kind, a.values["previous"]) for a in cycle()] == [
        ("flow_direction_flip", "neutral"),
        ("severity_escalation", "info"),
    ]

    # 5) spot falls through everything; regime_flip -> amplifying is out of regime_flip
    src.add(94.0, 1e6, -5e5)
    src.label = "amplifying"
    new = cycle()
    assert [(a.kind, a.values.get("wall"), a.values.get("direction")) for a in new] == [
        ("flip_cross", None, "down"),
        ("wall_cross", "call", "down"),
        ("wall_cross", "put", "down"),
        ("flow_direction_flip", None, None),
    ]
    assert cycle() == []

    kinds = [a.kind for a in poller.alerts]
    assert sorted(set(kinds)) == sorted(
        ["flow_direction_flip", "severity_escalation", "flip_cross", "wall_cross", "hedge_burst"]
    )
    assert told == poller.alerts and len(kinds) == 11
    keys = [(a.kind, a.time, a.values.get("wall"), a.values.get("label")) for a in told]
    assert len(set(keys)) == len(keys)  # no event twice
    assert all(a.message.startswith("SPY ") for a in told)


def snapshot(label: str, severity: str, minute: int = 0) -> ff.Snapshot:
    t = pd.Timestamp("2026-09-18 14:00Z") + pd.Timedelta(minutes=minute)
    return ff.Snapshot(
        {
            "symbol": "SPY",
            "as_of": t.isoformat().replace("+00:00", "Z"),
            "flow_direction": {"label": label, "flow_gex_pct_shift": 0.1},
            "headline": {"severity": severity, "narrative": "read"},
        }
    )


def series_and_hedge(spots: list[float], flows: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    t = pd.date_range("2026-09-18 13:30", periods=len(spots), freq="1min", tz="UTC", name="t")
    level = np.full(len(spots), 101.0)
    series = pd.DataFrame(
        {"spot": spots, "gamma_flip": level, "call_wall": level + 4, "put_wall": level - 6},
        index=t,
    )
    return series, pd.DataFrame({"bar": flows}, index=t)


def test_the_detector_alone_baseline_reset_and_rebase() -> None:
    now = pd.Timestamp("2026-09-18 14:00Z")
    detector = AlertDetector("SPY", burst_k=3.0)
    assert detector.snapshot_alerts(None, now) == []
    assert detector.snapshot_alerts(snapshot("amplifying", "info"), now) == []  # the first
    flipped = detector.snapshot_alerts(snapshot("regime_flip", "alert", 1), now)
    assert [a.kind for a in flipped] == ["flow_direction_flip", "severity_escalation"]
    assert {a.kind for a in flipped} <= set(ALERT_KINDS)
    assert flipped[0].time == pd.Timestamp("2026-09-18 14:01Z")  # the snapshot's as_of

    flows = [1.0, -1.0, 2.0, -2.0, 1.5, -1.5, 0.5, -0.5, 1.0, -1.0, 1.0]
    spots = [100.0] * len(flows)
    series, hedge = series_and_hedge(spots, flows)
    assert detector.series_alerts(series, hedge) == []  # the session so far: the baseline
    series, hedge = series_and_hedge([*spots, 102.0], [*flows, 50.0])
    new = detector.series_alerts(series, hedge)
    assert [a.kind for a in new] == ["flip_cross", "hedge_burst"]
    median, sigma = robust_center_scale(np.asarray(flows))  # the one robust sigma (_stats)
    assert new[1].values["median"] == median and new[1].values["sigma"] == sigma
    assert new[1].values["z"] == pytest.approx((50.0 - median) / sigma)
    assert detector.series_alerts(series, hedge) == []  # each event once

    # a new bar size: the next series is a new baseline; the snapshot seen is kept
    detector.rebase()
    series, hedge = series_and_hedge([*spots, 102.0, 99.0], [*flows, 50.0, 1.0])
    assert detector.series_alerts(series, hedge) == []
    assert detector.snapshot_alerts(snapshot("regime_flip", "alert", 2), now) == []
    # a new symbol: everything is forgotten
    detector.reset("QQQ")
    assert detector.snapshot_alerts(snapshot("amplifying", "info", 3), now) == []
    assert detector.snapshot_alerts(snapshot("regime_flip", "watch", 4), now)[0].symbol == "QQQ"


def test_the_poller_keeps_its_alert_baseline_across_a_bar_change() -> None:
    src = Scripted()
    for i in range(20):
        src.add(100.0 + 0.1 * math.sin(i), 1e6, -5e5)
    poller = Poller(src, "SPY", now=lambda: src.now, leaderboard_every=None)
    told: list[Alert] = []
    poller.on_alert(told.append)
    assert poller.cycle() and told == []
    poller.set_bar("5m")
    src.add(101.5, 1e6, -5e5)  # spot crosses the flip, but the new series is a baseline
    src.label = "dampening"  # while the snapshot is compared with the one seen before
    assert poller.cycle()
    assert [a.kind for a in told] == ["flow_direction_flip"]
