"""Issue 13, the poller's points: a skewed clock, huge Retry-After, a bad leaderboard metric,
async callbacks, out-of-order quota answers and duplicated quota headers.

The network cases run against the fake API on 127.0.0.1 (:mod:`tests.fakeapi`, and
:mod:`tests.live.sessionapi` for a simulated session on a clock the test moves); every loop
is bounded in count and every wait is injected, so nothing sleeps for real beyond the fake's
own bounded delays.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pandas as pd
import pytest
import xarray as xr

import flowframe as ff
from flowframe.frames import heatmap_from_payload, series_from_payload
from flowframe.live.cadence import backoff_seconds, next_wait, plan_interval
from flowframe.live.contract import Alert, LiveData
from flowframe.live.poller import Poller
from tests.fakeapi import KEY, FakeAPI, Fault
from tests.fakes import DATE, Proxy, Scripted, Wall
from tests.live.sessionapi import SYMBOL, SessionAPI, simulated_session

NOON = pd.Timestamp("2026-09-18 17:12Z")  # 13:12 ET, where FakeAPI's sample session stands


# --------------------------------------------------------------------------- a skewed clock


def test_a_local_clock_behind_the_servers_leaves_no_hole() -> None:
    """The local clock 4 minutes behind the server's, polled every 5 minutes (Basic).

    Sized from the local clock, each request asked for 2 minutes when 6 had passed on the
    server: a hole of 4 bars every cycle, never fetched again.
    """
    wall = Wall()
    sim = simulated_session(wall, "10:00")
    start = sim.clock.now()
    skew = pd.Timedelta(minutes=4)

    def local_now() -> pd.Timestamp:
        return start + pd.Timedelta(seconds=wall.t) - skew

    with (
        SessionAPI(limit=250, session=sim) as api,
        ff.FlashAlpha(KEY, base_url=api.url, sleep=lambda s: None, seed=1) as client,
    ):
        poller = Poller(client, SYMBOL, now=local_now, leaderboard_every=None)
        for _ in range(18):  # 90 minutes of session at the Basic cadence
            assert poller.cycle()
            wall.t += 300.0
        assert poller.cycle()
        assert poller.status.extra["plan"] == "basic"
        minutes = [int(r.query["minutes"][0]) for r in api.requests if "minutes" in r.query]
    assert minutes[:2] == [390, 390]  # nothing held: the whole session so far
    assert all(m >= 5 for m in minutes[2:])  # never fewer minutes than the server moved on

    source = poller.status.source
    fresh = series_from_payload(sim.get_series(SYMBOL, bar="1m", minutes=390), source=source)
    held = poller.data.series
    assert held is not None
    missing = fresh.index.difference(held.index)
    assert len(missing) == 0, f"{len(missing)} of {len(fresh)} bars never fetched"
    pd.testing.assert_frame_equal(held, fresh)  # every bar, with the server's value
    grid = heatmap_from_payload(sim.get_heatmap(SYMBOL, minutes=390), source=source)
    heatmap = poller.data.heatmap
    assert heatmap is not None
    xr.testing.assert_equal(heatmap, grid)


def test_the_server_clock_is_trusted_when_it_is_behind_too() -> None:
    """A local clock 5 minutes *ahead*: windows follow the server's as_of, not the local clock."""
    wall = Wall()
    sim = simulated_session(wall, "11:00")
    start = sim.clock.now()

    def local_now() -> pd.Timestamp:
        return start + pd.Timedelta(seconds=wall.t + 300.0)

    with (
        SessionAPI(limit=2500, session=sim) as api,
        ff.FlashAlpha(KEY, base_url=api.url, sleep=lambda s: None, seed=1) as client,
    ):
        poller = Poller(client, SYMBOL, now=local_now, leaderboard_every=None)
        assert poller.cycle()
        for _ in range(3):
            wall.t += 30.0
            assert poller.cycle()
        later = [int(r.query["minutes"][0]) for r in api.requests[3:] if "minutes" in r.query]
    # 30 s of server time, the last bar's minute, one bar of overlap and the 60 s margin: not
    # the 5 minutes more the local clock would have added
    assert later and max(later) <= 4
    source = poller.status.source
    fresh = series_from_payload(sim.get_series(SYMBOL, bar="1m", minutes=390), source=source)
    assert poller.data.series is not None
    pd.testing.assert_frame_equal(poller.data.series, fresh)


@pytest.mark.parametrize("as_of", ["1677-09-22T00:00:00Z", "2026-09-25T00:00:00Z"])
def test_an_unbelievable_as_of_falls_back_to_the_local_clock(as_of: str) -> None:
    """An ``as_of`` pandas cannot subtract, or a week off: not believed, never raised on.

    (An ``as_of`` that is no time at all is the readers' ``SchemaError``, as before.)
    """
    sim = ff.Simulated(seed=3, date=DATE, now="14:00", scale=0.02, symbols=("SPY",))

    class Stamped(Proxy):
        def _call(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return {**super()._call(method, *args, **kwargs), "as_of": as_of}

    proxy = Stamped(sim)
    poller = Poller(proxy, "SPY", leaderboard_every=None)
    assert poller.cycle() and poller.cycle()
    assert poller.errors == []
    assert proxy.minutes()["get_series"] <= 3  # sized from the local clock (frozen at 14:00)


# --------------------------------------------------------------------------- waits


RATE_LIMITED = {"status": "ERROR", "error": "rate_limited", "message": "slow down"}


@pytest.mark.parametrize(
    "retry_after",
    ["1e20", "1e12", "Sat, 19 Sep 2099 00:00:00 GMT"],
    ids=["1e20", "1e12", "http-date-2099"],
)
def test_a_huge_retry_after_waits_at_most_300_s(fake_api: FakeAPI, retry_after: str) -> None:
    """``Retry-After: 1e20`` crashed the run loop; ``1e12`` slept for 31,700 years."""
    fake_api.script("series", *[Fault.http(429, RATE_LIMITED, Retry_After=retry_after)] * 3)
    sleeps: list[float] = []
    polls: list[Any] = []
    holder: list[Poller] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        polls.append(holder[0].status.next_poll)
        if len(sleeps) == 5:
            holder[0].stop()
        await asyncio.sleep(0)

    with ff.FlashAlpha(KEY, base_url=fake_api.url, sleep=lambda s: None, seed=1) as client:
        poller = Poller(client, "SPY", now=lambda: NOON, sleep=sleep, leaderboard_every=None)
        holder.append(poller)

        async def main() -> None:
            task = poller.start()
            await asyncio.wait({task}, timeout=20)
            assert task.done()
            assert task.cancelled(), poller.status.extra.get("stopped")

        asyncio.run(main())
    assert "crashed" not in str(poller.status.extra.get("stopped"))
    assert all(math.isfinite(s) and 2.0 <= s <= 300.0 for s in sleeps), sleeps
    assert sleeps == [300.0, 300.0, 300.0, 30.0, 30.0]  # the cap, then the Growth cadence
    assert all(p is not None and p <= NOON + pd.Timedelta(seconds=300) for p in polls)
    assert [kind for _, kind, _ in poller.errors] == ["RateLimitError"] * 3
    assert fake_api.count("series") == 5


@pytest.mark.parametrize(
    "retry_after",
    [1e20, 1e12, 10**400, math.inf, math.nan, -5.0, "garbage", None],
    ids=["1e20", "1e12", "10**400", "inf", "nan", "negative", "text", "none"],
)
def test_every_wait_is_finite_and_within_2_to_300_s(retry_after: Any) -> None:
    for failures in (1, 2, 9, 10_000):
        wait = backoff_seconds(failures, base=2.0, cap=300.0, retry_after=retry_after)
        assert math.isfinite(wait) and 2.0 <= wait <= 300.0
    source = _RateLimited(retry_after)
    poller = Poller(source, "SPY", now=lambda: NOON, leaderboard_every=None)
    for _ in range(3):
        assert poller.cycle() is False
        delay = poller.next_delay()
        assert delay is not None and math.isfinite(delay) and 2.0 <= delay <= 300.0


def test_next_wait_never_raises_nor_returns_a_non_finite_wait() -> None:
    bounds = (pd.Timestamp("2026-09-18 13:30Z"), pd.Timestamp("2026-09-18 20:00Z"))
    for speed in (math.inf, math.nan, 0.0, -1.0):
        for value in (math.inf, math.nan, -3.0):
            for now in ("2026-09-18 13:00Z", "2026-09-18 17:00Z", "2026-09-18 21:00Z"):
                wait = next_wait(
                    pd.Timestamp(now),
                    bounds,
                    interval=value,
                    speed=speed,
                    backoff=value,
                    closed_today=False,
                    after_close=value,
                )
                assert wait is not None and math.isfinite(wait) and wait >= 0.0


@pytest.mark.parametrize("speed", [1e-320, 1e300])
def test_extreme_clock_speeds_never_make_a_wait_raise(speed: float) -> None:
    sim = ff.Simulated(seed=3, date=DATE, now="14:00", scale=0.02, symbols=("SPY",))

    class Clock:
        running = True
        open, close = sim.clock.open, sim.clock.close

        def __init__(self) -> None:
            self.speed = speed

        def now(self) -> pd.Timestamp:
            return sim.clock.now()

    source = _RateLimited(1e20)
    source.clock = Clock()  # type: ignore[attr-defined]
    poller = Poller(source, "SPY", leaderboard_every=None)
    assert poller.speed == speed
    assert poller.cycle() is False
    delay = poller.next_delay()
    assert delay is not None and math.isfinite(delay) and 0.0 <= delay <= 300.0


def test_settings_that_would_make_a_wait_infinite_are_refused() -> None:
    sim = ff.Simulated(seed=3, date=DATE, now="14:00", scale=0.02, symbols=("SPY",))
    settings: list[dict[str, Any]] = [
        {"floor": math.inf},
        {"after_close": math.inf},
        {"backoff_max": math.inf},
        {"backoff_base": math.nan},
    ]
    for bad in settings:
        with pytest.raises(ValueError, match="finite"):
            Poller(sim, "SPY", **bad)


class _RateLimited:
    """A source whose every series call is a 429 with the given ``retry_after``."""

    name = "RateLimited"

    def __init__(self, retry_after: Any) -> None:
        self.retry_after = retry_after

    def get_series(self, symbol: str, **kwargs: Any) -> Any:
        raise ff.RateLimitError("spent", status_code=429, retry_after=self.retry_after)

    def __getattr__(self, name: str) -> Any:  # no clock, no quota: typed as a Source
        raise AttributeError(name)


# --------------------------------------------------------------------------- construction


def test_a_bad_leaderboard_metric_is_refused_at_construction() -> None:
    sim = ff.Simulated(seed=3, date=DATE, now="14:00", scale=0.02, symbols=("SPY",))
    with pytest.raises(ValueError, match=r"leaderboard_metric='hot'.*'heat', 'pin_risk'"):
        Poller(sim, "SPY", leaderboard_metric="hot")
    poller = Poller(sim, "SPY", leaderboard_metric="pin_risk")
    assert poller.cycle() and poller.errors == []
    board = poller.data.leaderboard
    assert board is not None and board.attrs["metric"] == "pin_risk"


# --------------------------------------------------------------------------- callbacks


def _escalating() -> tuple[Scripted, Poller]:
    """A scripted session whose second cycle raises one alert (the severity rises)."""
    src = Scripted()
    for spot in (100.0, 100.2, 100.1):
        src.add(spot, 1.0, -1.0)
    poller = Poller(src, "SPY", now=lambda: src.now, leaderboard_every=None)
    return src, poller


def test_async_on_alert_callbacks_are_awaited_by_the_run_loop_and_acycle() -> None:
    src, poller = _escalating()
    got: list[tuple[str, str]] = []

    async def slow_alert(alert: Alert) -> None:
        await asyncio.sleep(0.001)  # really suspends
        got.append(("async", alert.kind))

    @poller.on_alert
    def plain(alert: Alert) -> None:
        got.append(("sync", alert.kind))

    poller.on_alert(slow_alert)

    async def broken(alert: Alert) -> None:
        raise ZeroDivisionError("in an async callback")

    poller.on_alert(broken)
    updates: list[int] = []

    async def updated(data: LiveData) -> None:
        await asyncio.sleep(0)
        updates.append(poller.status.ticks)

    poller.on_update(updated)

    async def main() -> None:
        assert await poller.acycle()  # the baseline: no alert
        src.severity = "alert"
        assert await poller.acycle()
        # awaited before acycle returned, in the order registered
        assert got == [("sync", "severity_escalation"), ("async", "severity_escalation")]
        assert updates == [1, 2]

    asyncio.run(main())
    assert [kind for _, kind, _ in poller.errors] == ["callback"]
    assert "ZeroDivisionError" in poller.errors[0][2]


def test_async_on_alert_callbacks_are_awaited_from_the_sync_cycle() -> None:
    src, poller = _escalating()
    got: list[str] = []

    async def on_alert(alert: Alert) -> None:
        await asyncio.sleep(0)
        got.append(alert.kind)

    poller.on_alert(on_alert)
    assert poller.cycle()
    src.severity = "watch"
    assert poller.cycle()  # no event loop here: run to its end before cycle() returns
    assert got == ["severity_escalation"]

    async def in_a_notebook() -> None:  # a loop runs in this thread: scheduled on it
        src.severity = "alert"
        assert poller.cycle()
        assert got == ["severity_escalation"]
        for _ in range(20):
            await asyncio.sleep(0)
        assert got == ["severity_escalation"] * 2

    asyncio.run(in_a_notebook())


def test_a_callback_that_is_not_callable_is_refused_at_registration() -> None:
    _, poller = _escalating()
    with pytest.raises(TypeError, match="on_alert"):
        poller.on_alert("print")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- quota


def test_concurrent_answers_out_of_order_keep_the_lowest_remaining() -> None:
    """50 async calls at once, the oldest answer (9,999 remaining) arriving last."""
    with SessionAPI(limit=10_000) as api:
        api.hold_oldest = 49  # the first to arrive answers last

        async def main() -> Poller:
            async with ff.AsyncFlashAlpha(KEY, base_url=api.url, seed=1, max_retries=0) as client:
                bodies = await asyncio.gather(*(client.get_series("SPY") for _ in range(50)))
                assert len(bodies) == 50
                quota = client.quota
                assert quota is not None and quota.limit == 10_000
                assert quota.remaining == 9_950, quota
                poller = Poller(client, "SPY", now=lambda: NOON, leaderboard_every=None)
                assert await poller.acycle()
                return poller

        poller = asyncio.run(main())
    assert api.count() == 53
    assert poller.status.quota_remaining == 9_947  # planned from the lowest, not 9,999 - 3


def test_a_duplicated_remaining_header_keeps_the_basic_cadence() -> None:
    """``x-ratelimit-remaining`` twice (httpx joins them: "246, 247") read as None: 30 s."""
    with SessionAPI(limit=250) as api:
        api.duplicates = 100
        with ff.FlashAlpha(KEY, base_url=api.url, sleep=lambda s: None, seed=1) as client:
            poller = Poller(client, "SPY", now=lambda: NOON)
            assert poller.cycle()
            assert client.quota is not None and client.quota.remaining == 246
    assert api.duplicated == 4
    st = poller.status
    assert (st.quota_limit, st.quota_remaining, st.extra["plan"]) == (250, 246, "basic")
    # 13:12 ET: 10,080 s left, 3.1 requests a cycle, 246 - 13 in reserve usable
    assert st.interval == pytest.approx(10_080 * 3.1 / 233)


def test_an_unknown_remaining_plans_from_the_limit_not_the_floor() -> None:
    basic = ff.Quota(limit=250, remaining=None, reset=None)
    got = plan_interval(quota=basic, requests_per_cycle=3, seconds_left=23_400)
    assert got == pytest.approx(296.2025, abs=1e-4)  # the whole day's quota, not 30 s
    plan = plan_interval(quota=None, requests_per_cycle=3, seconds_left=23_400, plan="basic")
    assert plan == pytest.approx(296.2025, abs=1e-4)
