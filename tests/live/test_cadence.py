"""Cadence: plans and their quotas, the interval between cycles, back-off, the loop's wait."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import flowframe as ff
from flowframe.live.cadence import (
    CACHE_SECONDS,
    CLOSE_MARGIN,
    PLANS,
    SESSION_SECONDS,
    backoff_seconds,
    next_wait,
    plan_for_limit,
    plan_for_quota,
    plan_interval,
    projected_use,
    quota_reserve,
)


def quota(limit: int, remaining: int) -> ff.Quota:
    return ff.Quota(limit=limit, remaining=remaining, reset=None)


ALPHA = ff.Quota(limit=None, remaining=None, reset=None, unlimited=True)


@pytest.mark.parametrize(
    ("key", "seconds_left", "expected"),
    [
        # at the open: the whole session (23,400 s) ahead, the day's quota untouched;
        # reserve = 5% of the limit: Free 1, Basic 13, Growth 125
        (quota(5, 5), 23_400, 17_550.0),  # 23,400 * 3 / (5 - 1)
        (quota(250, 250), 23_400, 296.2025),  # 70,200 / 237
        (quota(2500, 2500), 23_400, 30.0),  # 70,200 / 2,375 = 29.56 -> the 30 s floor
        (ALPHA, 23_400, 30.0),
        # mid-session (12:45 ET, 11,700 s left), half the quota spent
        (quota(5, 2), 11_700, 35_100.0),  # 35,100 / (2 - 1)
        (quota(250, 125), 11_700, 313.3929),  # 35,100 / 112
        (quota(2500, 1250), 11_700, 31.2),  # 35,100 / 1,125
        (ALPHA, 11_700, 30.0),
    ],
    ids=[
        "free-open",
        "basic-open",
        "growth-open",
        "alpha-open",
        "free-mid",
        "basic-mid",
        "growth-mid",
        "alpha-mid",
    ],
)
def test_cadence_per_plan(key: ff.Quota, seconds_left: float, expected: float) -> None:
    got = plan_interval(quota=key, requests_per_cycle=3, seconds_left=seconds_left)
    assert got == pytest.approx(expected, abs=1e-4)


def test_cadence_floor_unknown_quota_and_empty_quota() -> None:
    growth = quota(2500, 2500)
    # API.md: 780 calls per endpoint a session at 30 s; three fit Growth at the floor
    assert 23_400 / 30 * 3 == 2_340 <= 2_500 - quota_reserve(2500)
    assert plan_interval(quota=growth, requests_per_cycle=3, seconds_left=23_400, floor=60) == 60
    # with a leaderboard every tenth cycle (3.1 a cycle) Growth is just above the floor
    got = plan_interval(quota=growth, requests_per_cycle=3.1, seconds_left=23_400)
    assert got == pytest.approx(30.5431, abs=1e-4)  # 72,540 / 2,375
    # unknown quota (a local source, or before the first response): the floor
    assert plan_interval(quota=None, requests_per_cycle=3, seconds_left=23_400) == 30.0
    assert plan_interval(quota=None, requests_per_cycle=3, seconds_left=100, floor=45) == 45.0
    # a known plan raises the floor to its server cache: Free answers from a 15-minute cache
    assert plan_interval(quota=None, requests_per_cycle=3, seconds_left=1, plan="free") == 900.0
    assert plan_interval(quota=None, requests_per_cycle=3, seconds_left=1, plan="Basic") == 30.0
    # nothing left: one cycle for the rest of the session (the loop then ends at the close)
    assert plan_interval(quota=quota(250, 0), requests_per_cycle=3, seconds_left=23_400) == 70_200
    assert plan_interval(quota=quota(2500, 0), requests_per_cycle=3, seconds_left=600) == 1_800
    # no session left: the floor
    assert plan_interval(quota=quota(250, 100), requests_per_cycle=3, seconds_left=0) == 30.0
    with pytest.raises(ValueError, match="plan"):
        plan_interval(quota=None, requests_per_cycle=3, seconds_left=1, plan="platinum")
    with pytest.raises(ValueError, match="floor"):
        plan_interval(quota=None, requests_per_cycle=3, seconds_left=1, floor=0)


def test_plans_and_reserve() -> None:
    assert PLANS == {"free": 5, "basic": 250, "growth": 2500, "alpha": None}
    assert [plan_for_limit(n) for n in (5, 250, 2500, "unlimited", "2500", 1000, None)] == [
        "free",
        "basic",
        "growth",
        "alpha",
        "growth",
        None,
        None,
    ]
    assert [quota_reserve(n) for n in (5, 250, 2500)] == [1, 13, 125]
    assert CACHE_SECONDS["free"] == 900.0


def test_plan_of_a_quota_and_projected_use() -> None:
    assert plan_for_quota(None) is None and plan_for_quota(ALPHA) == "alpha"
    assert [plan_for_quota(quota(n, n)) for n in (5, 250, 2500, 1000)] == [
        "free",
        "basic",
        "growth",
        None,
    ]
    assert SESSION_SECONDS == 23_400.0
    # 780 cycles of 3.1 requests: 2,418 (the binary 2418.0000000000005 is not 2,419)
    assert projected_use(30.0, 3.1) == 2418 and projected_use(300.0, 3) == 234


def test_backoff_doubles_to_the_cap_and_honours_retry_after() -> None:
    waits = [backoff_seconds(n, base=2.0, cap=300.0) for n in range(11)]
    assert waits == [0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 300.0, 300.0]
    assert backoff_seconds(1, base=5.0, cap=120.0, retry_after=45.0) == 45.0
    assert backoff_seconds(6, base=5.0, cap=120.0, retry_after=45.0) == 120.0
    assert backoff_seconds(2, base=5.0, cap=10.0, retry_after=600.0) == 10.0  # never over the cap


def test_next_wait_through_the_day() -> None:
    open_, close = pd.Timestamp("2026-09-18 13:30Z"), pd.Timestamp("2026-09-18 20:00Z")
    bounds = (open_, close)

    def wait(now: str, **kw: object) -> float | None:
        args: dict[str, Any] = {
            "interval": 30.0,
            "speed": 1.0,
            "backoff": 0.0,
            "closed_today": False,
            "after_close": None,
        }
        return next_wait(pd.Timestamp(now), bounds, **{**args, **kw})

    assert wait("2026-09-18 13:00Z") == 1_800.0  # wake at the open
    assert wait("2026-09-18 13:00Z", speed=60.0) == 30.0
    assert wait("2026-09-18 17:00Z") == 30.0
    assert wait("2026-09-18 17:00Z", speed=60.0) == 0.5
    assert wait("2026-09-18 17:00Z", backoff=64.0) == 64.0
    # just before the close: wake one second after it, for the last bars
    assert wait("2026-09-18 19:59:50Z") == 10.0 + CLOSE_MARGIN
    # over: the close passed, or a holiday said so during session hours
    assert wait("2026-09-18 20:00Z") is None
    assert wait("2026-09-18 15:00Z", closed_today=True) is None
    assert wait("2026-09-18 15:00Z", closed_today=True, after_close=300.0) == 300.0
    assert wait("2026-09-18 21:00Z", after_close=300.0, backoff=600.0) == 600.0
