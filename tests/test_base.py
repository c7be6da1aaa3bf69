"""The base helpers every layer shares: wire values, session hours, robust statistics."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowframe._session import (
    SESSION_CLOSE,
    SESSION_LENGTH,
    SESSION_MINUTES,
    SESSION_OPEN,
    is_session_day,
    latest_weekday,
    session_bounds,
    session_open,
)
from flowframe._stats import MAD_SCALE, robust_center_scale, robust_z
from flowframe._wire import iso_z, iso_z_many, json_number, json_numbers
from flowframe.errors import RateLimitError

# --------------------------------------------------------------------- _wire


def test_iso_z_writes_a_tz_aware_time_in_utc_with_z() -> None:
    assert iso_z(pd.Timestamp("2026-09-18 10:45", tz="America/New_York")) == (
        "2026-09-18T14:45:00Z"
    )
    assert iso_z(pd.Timestamp("2026-09-18 14:45:07.25", tz="UTC")) == "2026-09-18T14:45:07.250000Z"
    aware = dt.datetime(2026, 3, 9, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    assert iso_z(aware) == "2026-03-09T13:30:00Z"


def test_iso_z_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="tz-aware"):
        iso_z(pd.Timestamp("2026-09-18 10:45"))
    with pytest.raises(ValueError, match="tz-aware"):
        iso_z(dt.datetime(2026, 9, 18, 10, 45))
    with pytest.raises(ValueError, match="tz-aware"):
        iso_z_many(pd.DatetimeIndex(["2026-09-18 10:45"]))


def test_iso_z_many_matches_iso_z() -> None:
    times = pd.date_range("2026-09-18 09:30", periods=4, freq="90s", tz="America/New_York")
    assert iso_z_many(times) == [iso_z(t) for t in times]
    assert iso_z_many(times)[1] == "2026-09-18T13:31:30Z"
    assert iso_z_many(pd.DatetimeIndex([], tz="UTC")) == []


@given(
    st.lists(
        st.integers(min_value=0, max_value=4_102_444_800 * 10**9),  # 1970 to 2100, in ns
        max_size=20,
    ),
    st.sampled_from([10**9, 10**6, 1]),  # whole seconds (the fast path), ms, ns
)
def test_iso_z_many_is_iso_z_for_any_times(nanos: list[int], step: int) -> None:
    times = pd.DatetimeIndex(np.array([n - n % step for n in nanos], dtype="datetime64[ns]"))
    times = times.tz_localize("UTC").tz_convert("America/New_York")
    assert iso_z_many(times) == [iso_z(t) for t in times]


def test_json_number_nulls_what_json_cannot_hold_and_rounds() -> None:
    assert json_number(float("nan")) is None
    assert json_number(float("inf")) is None
    assert json_number(float("-inf"), 2) is None
    assert json_number(1.23456, 2) == 1.23
    assert json_number(2.5, 0) == 2.0  # round half to even, as Python's round
    assert json_number(np.float64(3.0)) == 3.0
    assert type(json_number(np.float64(3.0))) is float
    assert type(json_number(float(np.float32(0.1)), 4)) is float
    assert json_number(1.23456) == 1.23456  # no digits: unrounded


def test_json_numbers_nulls_non_finite_values() -> None:
    assert json_numbers(np.array([1.0, np.nan, np.inf, -2.5])) == [1.0, None, None, -2.5]
    values = json_numbers(np.array([1, 2], dtype=np.int64))
    assert values == [1.0, 2.0] and all(type(v) is float for v in values)
    assert json_numbers(np.array([])) == []


# --------------------------------------------------------------------- _session


def test_session_bounds_follow_new_york_time_across_dst() -> None:
    # 2026-03-08 is the first day of EDT: the Monday after opens an hour earlier in UTC
    assert session_bounds(dt.date(2026, 3, 9)) == (
        pd.Timestamp("2026-03-09 13:30", tz="UTC"),
        pd.Timestamp("2026-03-09 20:00", tz="UTC"),
    )
    assert session_bounds(dt.date(2026, 3, 6)) == (
        pd.Timestamp("2026-03-06 14:30", tz="UTC"),
        pd.Timestamp("2026-03-06 21:00", tz="UTC"),
    )
    # and back on 2026-11-01
    assert session_open(dt.date(2026, 11, 2)) == pd.Timestamp("2026-11-02 14:30", tz="UTC")
    assert session_open(dt.date(2026, 10, 30)) == pd.Timestamp("2026-10-30 13:30", tz="UTC")


def test_session_open_is_utc_nanoseconds_and_the_session_lasts_390_minutes() -> None:
    day = dt.date(2026, 9, 18)
    open_, close = session_bounds(day)
    assert session_open(day) == open_
    assert str(open_.tz) == "UTC" and open_.unit == "ns"
    assert close - open_ == SESSION_LENGTH == pd.Timedelta(minutes=SESSION_MINUTES)
    assert SESSION_MINUTES == 390
    assert open_.tz_convert("America/New_York").time() == SESSION_OPEN == dt.time(9, 30)
    assert close.tz_convert("America/New_York").time() == SESSION_CLOSE == dt.time(16, 0)


def test_a_session_day_is_a_weekday_that_is_not_a_holiday() -> None:
    week = [dt.date(2026, 9, 14) + dt.timedelta(days=i) for i in range(7)]  # Monday on
    assert [is_session_day(d) for d in week] == [True] * 5 + [False] * 2
    # the NYSE calendar's holidays have no session (tests/sources/engine/test_calendar.py)
    thanksgiving_week = [dt.date(2026, 11, 23) + dt.timedelta(days=i) for i in range(7)]
    mon_to_sun = [True, True, True, False, True, False, False]  # Thursday: Thanksgiving
    assert [is_session_day(d) for d in thanksgiving_week] == mon_to_sun


def test_latest_weekday_steps_back_over_weekends_and_holidays() -> None:
    assert latest_weekday(dt.date(2026, 9, 18)) == dt.date(2026, 9, 18)  # Friday
    assert latest_weekday(dt.date(2026, 9, 19)) == dt.date(2026, 9, 18)  # Saturday
    assert latest_weekday(dt.date(2026, 9, 20)) == dt.date(2026, 9, 18)  # Sunday
    assert latest_weekday(dt.date(2026, 9, 21)) == dt.date(2026, 9, 21)  # Monday
    assert latest_weekday(dt.date(2026, 11, 26)) == dt.date(2026, 11, 25)  # Thanksgiving


# --------------------------------------------------------------------- _stats


def test_robust_z_by_hand() -> None:
    history = np.array([1.0, 2.0, 3.0, 4.0, 5.0])  # median 3, MAD 1
    assert robust_z(10.0, history) == pytest.approx(7.0 / 1.4826)
    assert robust_z(3.0, history) == 0.0
    assert robust_z(1.0, history) == pytest.approx(-2.0 / MAD_SCALE)


def test_robust_z_is_zero_below_min_history() -> None:
    history = np.array([1.0, 2.0, 3.0, 4.0])
    assert robust_z(10.0, history, min_history=5) == 0.0
    assert robust_z(10.0, history, min_history=4) == pytest.approx(7.5 / MAD_SCALE)
    assert robust_z(10.0, np.array([]), min_history=5) == 0.0
    assert robust_z(10.0, np.array([]), min_history=0) == 0.0  # no spread either


def test_robust_z_is_zero_without_spread() -> None:
    flat = np.array([2.0, 2.0, 2.0, 2.0, 2.0, 7.0])  # MAD = 0
    assert robust_z(100.0, flat, min_history=5) == 0.0
    assert robust_z(-100.0, np.full(10, 3.0)) == 0.0


def test_robust_center_scale_ignores_nan() -> None:
    assert robust_center_scale(np.array([1.0, np.nan, 3.0, 2.0])) == (2.0, MAD_SCALE * 1.0)
    center, scale = robust_center_scale(np.array([np.nan]))
    assert math.isnan(center) and math.isnan(scale)


# --------------------------------------------------------------------- errors


def test_rate_limit_error_writes_reset_at_as_iso_z() -> None:
    reset = dt.datetime(2026, 9, 19, tzinfo=dt.UTC)
    err = RateLimitError("slow down", status_code=429, retry_after=3.0, reset_at=reset)
    assert str(err) == (
        "429 Too Many Requests: slow down (retry after 3 s; quota resets 2026-09-19T00:00:00Z)"
    )
    # a naive reset_at is read as UTC (as the client parses the body's), never an error
    naive = RateLimitError("x", status_code=429, reset_at=dt.datetime(2026, 9, 19, 0, 0))
    assert naive.reset_at == reset
    assert "quota resets 2026-09-19T00:00:00Z" in str(naive)
    plus2 = dt.datetime(2026, 9, 19, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert "quota resets 2026-09-19T00:00:00Z" in str(
        RateLimitError("x", status_code=429, reset_at=plus2)
    )
