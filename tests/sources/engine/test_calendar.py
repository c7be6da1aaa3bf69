"""Sessions follow the NYSE calendar: holidays have no session, early closes end at 13:00 ET.

Dates (XNYS, exchange_calendars >= 4.13): 2026-11-26 Thanksgiving, 2026-12-25 Christmas and
2026-07-03 (Independence Day, observed: July 4 is a Saturday) are holidays; 2026-11-27, the day
after Thanksgiving, closes at 13:00 ET (18:00 UTC, EST).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

import flowframe as ff
from flowframe import _session
from flowframe._session import (
    early_close,
    holiday_name,
    is_session_day,
    latest_session_day,
    latest_weekday,
    next_session_day,
    session_bounds,
    session_close,
    session_minutes,
    session_open,
)
from flowframe.errors import FlowframeWarning
from flowframe.sources.engine.clock import SessionClock
from flowframe.sources.engine.core import compute_session
from flowframe.sources.engine.market import generate_market
from flowframe.sources.engine.simulated import Simulated

ET = "America/New_York"
THANKSGIVING = dt.date(2026, 11, 26)
CHRISTMAS = dt.date(2026, 12, 25)
JULY_3 = dt.date(2026, 7, 3)  # Independence Day observed (July 4, 2026 is a Saturday)
EARLY = dt.date(2026, 11, 27)  # the day after Thanksgiving: 13:00 ET close
HOLIDAYS = [(THANKSGIVING, "Thanksgiving"), (CHRISTMAS, "Christmas"), (JULY_3, "July 4th")]
TRADING_YEAR_MINUTES = 252 * 390  # 98,280: the trading clock's year, early closes or not


def et(day: dt.date, clock: str) -> pd.Timestamp:
    return pd.Timestamp(f"{day.isoformat()} {clock}", tz=ET).tz_convert("UTC")


@pytest.fixture(scope="module")
def early() -> Simulated:
    return Simulated(seed=3, date=EARLY, now="16:00", scale=0.02, symbols=("SPY", "SPX"))


@pytest.fixture(scope="module")
def holiday() -> Simulated:
    return Simulated(seed=3, date=THANKSGIVING, now="12:00", scale=0.02, symbols=("SPY", "TSLA"))


# --------------------------------------------------------------------- the calendar itself


@pytest.mark.parametrize(("day", "name"), HOLIDAYS)
def test_holidays_have_no_session_and_are_named(day: dt.date, name: str) -> None:
    assert day.weekday() < 5
    assert not is_session_day(day)
    assert holiday_name(day) == name
    assert early_close(day) is None
    # a day without a session keeps the regular hours as a frame
    assert session_bounds(day) == (et(day, "09:30"), et(day, "16:00"))
    assert session_minutes(day) == 390


def test_an_early_close_ends_at_13_00_et() -> None:
    assert is_session_day(EARLY)
    assert early_close(EARLY) == dt.time(13, 0) == _session.EARLY_CLOSE
    assert session_bounds(EARLY) == (
        pd.Timestamp("2026-11-27 14:30", tz="UTC"),
        pd.Timestamp("2026-11-27 18:00", tz="UTC"),
    )
    assert session_open(EARLY) == et(EARLY, "09:30")
    assert session_close(EARLY) == et(EARLY, "13:00")
    assert session_minutes(EARLY) == 210
    assert early_close(dt.date(2026, 12, 24)) == dt.time(13, 0)  # Christmas Eve
    # a regular day is unchanged
    regular = dt.date(2026, 9, 18)
    assert session_minutes(regular) == 390 and early_close(regular) is None
    assert holiday_name(regular) is None


def test_latest_and_next_session_days_skip_weekends_and_holidays() -> None:
    assert latest_session_day(THANKSGIVING) == dt.date(2026, 11, 25)
    assert latest_session_day(dt.date(2026, 12, 27)) == dt.date(2026, 12, 24)  # Sun -> Thu
    assert latest_session_day(dt.date(2026, 7, 5)) == dt.date(2026, 7, 2)  # Sun, Sat, holiday
    assert latest_session_day(EARLY) == EARLY
    assert latest_weekday is latest_session_day  # the old name still works
    assert next_session_day(dt.date(2026, 11, 25)) == EARLY
    assert next_session_day(dt.date(2026, 12, 24)) == dt.date(2026, 12, 28)


def test_outside_the_calendar_range_the_weekday_rule_holds() -> None:
    assert is_session_day(dt.date(2036, 12, 25))  # past 2035: every weekday
    assert not is_session_day(dt.date(2036, 12, 27))  # a Saturday
    assert session_minutes(dt.date(2036, 11, 28)) == 390
    assert "XNYS" in _session.calendar_source()


@pytest.fixture
def fresh_calendar() -> Iterator[None]:
    _session._calendar.cache_clear()
    yield
    _session._calendar.cache_clear()  # the next caller rebuilds the real calendar


def test_without_exchange_calendars_every_weekday_is_a_session_warned_once(
    monkeypatch: pytest.MonkeyPatch, fresh_calendar: None
) -> None:
    monkeypatch.setitem(sys.modules, "exchange_calendars", None)  # import raises ImportError
    with pytest.warns(FlowframeWarning, match=r"pip install 'flowframe\[calendar\]'") as record:
        assert is_session_day(THANKSGIVING)
    assert len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once: no second warning
        assert session_minutes(EARLY) == 390
        assert early_close(EARLY) is None
        assert holiday_name(THANKSGIVING) is None
        assert session_bounds(EARLY)[1] == et(EARLY, "16:00")
        assert latest_session_day(THANKSGIVING) == THANKSGIVING
        assert "weekday rule" in _session.calendar_source()


def test_import_flowframe_does_not_load_the_calendar() -> None:
    code = "import sys, flowframe\nprint('exchange_calendars' in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------- the clock


@pytest.mark.parametrize(("day", "name"), HOLIDAYS)
def test_a_holiday_clock_has_no_session(day: dt.date, name: str) -> None:
    clock = SessionClock(day, now="12:00")
    assert not clock.has_session
    assert SessionClock(dt.date(2026, 9, 18), now="12:00").has_session


def test_a_running_clock_stops_at_the_early_close() -> None:
    seconds = [0.0]
    clock = SessionClock(EARLY, speed=60.0, wall=lambda: seconds[0])
    assert clock.has_session
    assert clock.close == et(EARLY, "13:00")
    assert clock.now() == et(EARLY, "09:30")
    seconds[0] = 3 * 60.0  # three real minutes at 60x: 3 h of session
    assert clock.now() == et(EARLY, "12:30")
    seconds[0] = 10 * 60.0  # 10 h of session would be 19:30: stopped at 13:00
    assert clock.now() == et(EARLY, "13:00")


def test_a_past_early_close_day_is_frozen_at_its_close() -> None:
    past = dt.date(2025, 11, 28)  # the day after Thanksgiving 2025
    assert early_close(past) == dt.time(13, 0)
    clock = SessionClock(past)
    assert not clock.running
    assert clock.now() == et(past, "13:00")


# --------------------------------------------------------------------- the engine


def test_the_engine_sizes_the_session_by_the_day() -> None:
    m = generate_market("SPY", EARLY, seed=2, scale=0.01)
    state = compute_session(
        m.chain, m.tape.drop(columns="side"), m.spot, symbol="SPY", expiration=EARLY.isoformat()
    )
    assert state.n_samples == 420 == 2 * session_minutes(EARLY)
    assert state.hf_calls.shape == state.spot.shape == state.tau.shape == (420,)
    assert state.strike_delta_dollars.shape == (210, state.strikes.size)
    assert state.effective_oi.shape[0] == state.spread_pct.shape[0] == 420
    assert state.sample_starts[-1] == et(EARLY, "12:59:30")
    assert state.close == et(EARLY, "13:00")
    assert state.completed(et(EARLY, "16:00")) == 420
    assert state.completed(et(EARLY, "12:00")) == 300
    # tau at 12:00 (the end of the sample starting 11:59:30): 60 minutes to the 13:00 close
    i = state.completed(et(EARLY, "12:00")) - 1
    assert state.tau[i] == 60 / TRADING_YEAR_MINUTES == 60 / 98_280
    # the pin score's time component: the elapsed share of the 210-minute session
    assert state.pin_components["time_score"][i] == round(100 * 150 / 210)


def test_the_engine_on_a_holiday_completes_nothing() -> None:
    m = generate_market("SPY", THANKSGIVING, seed=2, scale=0.01)
    state = compute_session(
        m.chain, m.tape, m.spot, symbol="SPY", expiration=THANKSGIVING.isoformat()
    )
    assert not state.has_session
    assert state.completed(et(THANKSGIVING, "15:00")) == 0
    assert state.completed(et(dt.date(2026, 12, 1), "15:00")) == 0


# --------------------------------------------------------------------- the simulator


def test_the_simulated_early_close_runs_09_30_to_13_00(early: Simulated) -> None:
    m = early.market("SPY")
    index = pd.DatetimeIndex(m.spot.index)
    spot_t = index.tz_convert(ET)
    assert spot_t[0] == et(EARLY, "09:30:00") and spot_t[-1] == et(EARLY, "13:00:00")
    assert len(m.spot) == 210 * 60 + 1
    assert (np.diff(index.asi8) == 10**9).all()
    t = m.tape["t"]
    assert (t > et(EARLY, "09:30")).all() and (t < et(EARLY, "13:00")).all()
    assert m.session_close == et(EARLY, "13:00")
    # the intensity's U-shape spans the shorter day: a heavy last half hour before 13:00
    last = ((t >= et(EARLY, "12:30")) & (t < et(EARLY, "13:00"))).sum()
    middle = ((t >= et(EARLY, "11:00")) & (t < et(EARLY, "11:30"))).sum()
    assert last > 1.3 * middle
    # jumps and imbalance episodes are inside the session too
    assert (m.events["end"] <= et(EARLY, "13:00")).all()


def test_series_on_the_early_close_has_210_minutes_of_bars(early: Simulated) -> None:
    source = Simulated(seed=3, date="2026-11-27", now="16:00", scale=0.02, symbols=("SPY",))
    df = ff.series("SPY", minutes=390, source=source)
    assert len(df) == 210 * 2
    times = pd.DatetimeIndex(df.index)
    assert times[0] == et(EARLY, "09:30")
    assert times[-1] + pd.Timedelta(seconds=30) == et(EARLY, "13:00")
    assert (np.diff(times.asi8) == 30 * 10**9).all()


def test_hedge_flow_identities_hold_on_the_early_close(early: Simulated) -> None:
    for bar in ("30s", "1m", "5m", "15m"):
        bodies = {
            side: early.get_hedge_flow("SPY", side=side, bar=bar, minutes=390)["bars"]
            for side in ("all", "calls", "puts")
        }
        for bars in bodies.values():
            flow = np.array([b["bar"] for b in bars])
            cum = np.array([b["cumulative"] for b in bars])
            assert (np.cumsum(flow) == cum).all()
        assert len(bodies["all"]) == 420 * 30 // {"30s": 30, "1m": 60, "5m": 300, "15m": 900}[bar]
        a, c, p = bodies["all"], bodies["calls"], bodies["puts"]
        assert [x["bar"] for x in a] == [y["bar"] + z["bar"] for y, z in zip(c, p, strict=True)]
        assert [x["cumulative"] for x in a] == [
            y["cumulative"] + z["cumulative"] for y, z in zip(c, p, strict=True)
        ]
    # the series' cumulative equals hedge-flow's
    se = early.get_series("SPY", minutes=390)["bars"]
    hf = early.get_hedge_flow("SPY", minutes=390)["bars"]
    assert [b["hedge_flow_cumulative_all"] for b in se] == [b["cumulative"] for b in hf]


def test_local_over_the_simulated_early_close_equals_simulated(early: Simulated) -> None:
    m = early.market("SPY")
    for now in ("10:15", "12:00", "16:00"):
        sim = early.at(now)
        local = ff.Local(
            chain=m.chain,
            tape=m.tape.drop(columns="side"),
            spot=m.spot,
            symbol="SPY",
            expiration=EARLY.isoformat(),
            now=now,
        )
        for method, kwargs in (
            ("get_hedge_flow", {"side": "calls", "bar": "1m", "minutes": 390}),
            ("get_series", {"minutes": 390}),
            ("get_heatmap", {"metric": "gex", "minutes": 390}),
            ("get_strike_flow", {"minutes": 390}),
            ("get_snapshot", {}),
        ):
            ours = getattr(local, method)("SPY", **kwargs)
            theirs = getattr(sim, method)("SPY", **kwargs)
            assert json.dumps(ours) == json.dumps(theirs), (now, method)


def test_the_early_close_snapshot_and_leaderboard_follow_13_00(early: Simulated) -> None:
    noon = early.at("12:00")
    body = noon.get_snapshot("SPY")
    assert body["market_open"] is True
    assert body["time_to_close_hours"] == 1.0
    assert body["time_to_close_pct"] == round(1.0 / 3.5 * 100.0, 2)
    assert noon.get_leaderboard(metric="heat")["market_open"] is True
    later = early.at("14:00")
    assert later.get_snapshot("SPY") == {
        "symbol": "SPY",
        "session_closed": True,
        "last_session": "2026-11-27",
        "message": "Market closed. Last session: 2026-11-27.",
    }
    assert later.get_leaderboard(metric="heat")["market_open"] is False
    assert later.why_empty("SPY", 5) == (
        "the clock reads 2026-11-27 14:00:00 ET; the 5-minute window starts after the "
        "13:00 ET early close"
    )
    with pytest.warns(FlowframeWarning, match="after the 13:00 ET early close"):
        ff.hedge_flow("SPY", minutes=5, source=later)


def test_a_simulated_holiday_answers_like_a_weekend(holiday: Simulated) -> None:
    assert holiday.get_hedge_flow("SPY", minutes=390)["bars"] == []
    assert holiday.get_series("SPY", minutes=390)["bars"] == []
    assert holiday.get_heatmap("SPY")["bars"] == []
    assert holiday.get_strike_flow("SPY")["bars"] == []
    assert holiday.get_snapshot("SPY") == {
        "symbol": "SPY",
        "session_closed": True,
        "last_session": "2026-11-25",
        "message": "Market closed. Last session: 2026-11-25.",
    }
    board = holiday.get_leaderboard(metric="abs_flow")
    assert board["market_open"] is False and board["entries"] == []
    # the market is shut for every symbol, single names included
    assert holiday.has_zero_dte("TSLA")
    assert holiday.get_snapshot("TSLA")["session_closed"] is True
    reason = "2026-11-26 (Thursday) is a holiday (Thanksgiving), a day without a session"
    assert holiday.why_empty("SPY") == reason
    assert holiday.why_empty("TSLA", 30) == reason
    with pytest.warns(FlowframeWarning, match=r"is a holiday \(Thanksgiving\)"):
        frame = ff.series("SPY", minutes=390, source=holiday)
    assert frame.empty


@pytest.mark.parametrize(("day", "name"), HOLIDAYS[1:])
def test_other_holidays_say_their_names(day: dt.date, name: str) -> None:
    source = Simulated(seed=0, date=day, now="12:00", scale=0.01, symbols=("SPY",))
    assert source.why_empty("SPY") == (
        f"{day:%Y-%m-%d} ({day:%A}) is a holiday ({name}), a day without a session"
    )
    assert (
        source.get_snapshot("SPY")["last_session"]
        == latest_session_day(day - dt.timedelta(days=1)).isoformat()
    )


def test_next_expiry_skips_holidays() -> None:
    source = Simulated(seed=0, date="2026-11-25", now="12:00", scale=0.01)
    assert source.next_expiry("SPY") == EARLY  # Thanksgiving skipped
    good_friday = Simulated(seed=0, date="2026-04-01", now="12:00", scale=0.01)
    assert not is_session_day(dt.date(2026, 4, 3))
    assert good_friday.next_expiry("TSLA") == dt.date(2026, 4, 6)  # Mon, Wed, Fri expiries
    assert good_friday.next_expiry("SPY") == dt.date(2026, 4, 2)


def test_the_default_date_is_the_latest_session_day() -> None:
    source = Simulated(now="12:00", scale=0.01)
    today = pd.Timestamp.now(tz=ET).date()
    assert source.date == latest_session_day(today)
    assert is_session_day(source.date)


def test_the_default_clock_is_an_hour_before_the_close() -> None:
    assert Simulated(date=EARLY, scale=0.01).clock.now() == et(EARLY, "12:00")
    regular = dt.date(2026, 9, 18)
    assert Simulated(date=regular, scale=0.01).clock.now() == et(regular, "15:00")
