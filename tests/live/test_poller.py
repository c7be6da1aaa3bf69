"""The live poller: cadence planning, incremental merging, faults, lifecycle, alerts, HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import flowframe as ff
from flowframe._constants import SERIES_COLUMNS, SPLIT_COLUMNS
from flowframe.frames import heatmap_from_payload, series_from_payload
from flowframe.live.contract import Alert, LiveData
from flowframe.live.poller import (
    CACHE_SECONDS,
    PLANS,
    Poller,
    hedge_from_series,
    merge_heatmap,
    merge_series,
    plan_for_limit,
    plan_interval,
    quota_reserve,
)
from flowframe.sources.engine.clock import SessionClock
from tests.fakeapi import KEY, FakeAPI, Fault, fixture

DATE = "2026-09-18"
DAY = dt.date(2026, 9, 18)


# --------------------------------------------------------------------------- helpers


class Proxy:
    """A source that forwards the six endpoints to ``inner`` and logs each call."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:  # clock, quota, name
        return getattr(self.inner, name)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls.append((method, kwargs))
        result: dict[str, Any] = getattr(self.inner, method)(*args, **kwargs)
        return result

    def minutes(self) -> dict[str, int]:
        return {m: kw["minutes"] for m, kw in self.calls if "minutes" in kw}

    def get_snapshot(self, symbol: str, *, expiry: dt.date | str | None = None) -> dict[str, Any]:
        return self._call("get_snapshot", symbol, expiry=expiry)

    def get_series(self, symbol: str, *, bar: str = "30s", minutes: int = 60) -> dict[str, Any]:
        return self._call("get_series", symbol, bar=bar, minutes=minutes)

    def get_hedge_flow(
        self, symbol: str, *, side: str = "all", bar: str = "30s", minutes: int = 60
    ) -> dict[str, Any]:
        return self._call("get_hedge_flow", symbol, side=side, bar=bar, minutes=minutes)

    def get_heatmap(
        self,
        symbol: str,
        *,
        metric: str = "gex",
        mode: str = "raw",
        bar: str = "1m",
        minutes: int = 60,
    ) -> dict[str, Any]:
        return self._call("get_heatmap", symbol, metric=metric, mode=mode, bar=bar, minutes=minutes)

    def get_strike_flow(self, symbol: str, *, bar: str = "1m", minutes: int = 60) -> dict[str, Any]:
        return self._call("get_strike_flow", symbol, bar=bar, minutes=minutes)

    def get_leaderboard(self, *, metric: str = "heat", n: int = 10) -> dict[str, Any]:
        return self._call("get_leaderboard", metric=metric, n=n)


def running_sim(start: str, speed: float) -> tuple[ff.Simulated, list[float]]:
    """A one-symbol Simulated on a running clock whose wall time the test moves."""
    wall = [0.0]
    clock = SessionClock(DAY, speed=speed, start=start, wall=lambda: wall[0])
    sim = ff.Simulated(seed=3, date=DATE, scale=0.02, symbols=("SPY",), clock=clock)
    return sim, wall


def fresh_series(sim: ff.Simulated, poller: Poller) -> pd.DataFrame:
    payload = sim.get_series("SPY", bar="1m", minutes=390)
    return series_from_payload(payload, source=poller.status.source)


def fresh_heatmap(sim: ff.Simulated, poller: Poller, metric: str = "gex") -> xr.DataArray:
    payload = sim.get_heatmap("SPY", metric=metric, minutes=390)
    return heatmap_from_payload(payload, source=poller.status.source)


async def until(condition: Callable[[], bool], *, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not met in time")


def held(poller: Poller) -> LiveData:
    """``poller.data``, without what mypy narrowed it to before the last cycle."""
    return poller.data


def is_running(poller: Poller) -> bool:
    return poller.running


async def instant(_seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture(scope="module")
def frozen_sim() -> ff.Simulated:
    return ff.Simulated(seed=3, date=DATE, now="14:00", scale=0.02)


# --------------------------------------------------------------------------- cadence


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


# --------------------------------------------------------------------------- one cycle


def test_first_cycle_fills_every_panel(frozen_sim: ff.Simulated) -> None:
    poller = Poller(frozen_sim, "spy")
    updates: list[LiveData] = []
    poller.on_update(updates.append)
    assert poller.cycle() is True
    data = poller.data
    assert updates == [data]

    series = data.series
    assert series is not None
    assert list(series.columns) == list(SERIES_COLUMNS)
    assert isinstance(series.index, pd.DatetimeIndex) and str(series.index.tz) == "UTC"
    assert series.index[0] == pd.Timestamp("2026-09-18 13:30Z")  # the whole session
    assert series.index[-1] == pd.Timestamp("2026-09-18 17:59Z")
    assert isinstance(series["regime"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(series, fresh_series(frozen_sim, poller))

    hedge = data.hedge
    assert hedge is not None
    assert list(hedge.columns) == list(SPLIT_COLUMNS)
    assert (hedge.dtypes == np.float64).all()
    assert hedge.index.equals(series.index) and hedge.index.name == "t"
    assert hedge.attrs["side"] == "split" and hedge.attrs["symbol"] == "SPY"
    pd.testing.assert_series_equal(
        hedge["cumulative"], series["hedge_flow_cumulative_all"], check_names=False
    )
    for prefix in ("", "calls_", "puts_"):
        np.testing.assert_allclose(
            hedge[f"{prefix}bar"].cumsum(), hedge[f"{prefix}cumulative"], rtol=1e-12, atol=1e-3
        )
        assert hedge[f"{prefix}bar"].iloc[0] == hedge[f"{prefix}cumulative"].iloc[0]
    np.testing.assert_allclose(hedge["calls_bar"] + hedge["puts_bar"], hedge["bar"], atol=1e-3)

    heatmap = data.heatmap
    assert heatmap is not None
    assert heatmap.name == "gex" and heatmap.dims == ("bar", "strike")
    assert heatmap.attrs["metric"] == "gex" and heatmap.attrs["mode"] == "raw"
    assert heatmap.sizes["bar"] == len(series) and "spot" in heatmap.coords
    xr.testing.assert_identical(heatmap, fresh_heatmap(frozen_sim, poller))

    assert isinstance(data.snapshot, ff.Snapshot) and data.snapshot.status == "live"
    assert data.snapshot.symbol == "SPY"
    board = data.leaderboard
    assert board is not None and list(board.columns) == ["symbol", "value"]
    assert board.index.name == "rank" and "SPY" in set(board["symbol"])

    st = poller.status
    assert st.source == "Simulated(seed=3, 2026-09-18)"
    assert (st.ticks, st.requests, st.interval, st.projected_use) == (1, 4, 30.0, 2418)
    assert st.session_time == pd.Timestamp("2026-09-18 18:00Z") == st.last_update
    assert (st.quota_remaining, st.quota_limit, st.last_error, st.backoff) == (None,) * 3 + (0.0,)
    assert st.extra["requests_per_cycle"] == pytest.approx(3.1)
    assert poller.alerts == [] and poller.errors == []
    assert poller.symbol == "SPY" and "SPY" in repr(poller)


def test_incremental_cycles_match_a_fresh_full_fetch() -> None:
    sim, wall = running_sim("10:00", speed=60.0)
    proxy = Proxy(sim)
    poller = Poller(proxy, "SPY", leaderboard_every=None)
    assert poller.speed == 60.0
    assert poller.cycle()
    assert proxy.minutes() == {"get_series": 390, "get_heatmap": 390}
    for step in (0.25, 0.5, 1.0, 2.5, 0.1, 4.0, 0.75):  # real seconds: 15 s to 4 min of session
        wall[0] += step
        proxy.calls.clear()
        assert poller.cycle()
        minutes = proxy.minutes()
        assert [m for m, _ in proxy.calls] == ["get_series", "get_heatmap", "get_snapshot"]
        # the elapsed minutes, plus how far the last bar held lagged (a 1m bar is labelled by
        # its start; the heatmap serves complete minutes only), plus one bar of overlap
        assert 1 <= minutes["get_series"] <= math.ceil(step) + 3
        assert 1 <= minutes["get_heatmap"] <= math.ceil(step) + 3
        fresh = fresh_series(sim, poller)
        assert poller.data.series is not None
        pd.testing.assert_frame_equal(poller.data.series, fresh)
        assert poller.data.series.attrs == fresh.attrs
        assert poller.data.hedge is not None
        pd.testing.assert_frame_equal(poller.data.hedge, hedge_from_series(fresh))
        xr.testing.assert_identical(poller.data.heatmap, fresh_heatmap(sim, poller))
    assert poller.status.requests == 3 * 8
    assert poller.data.leaderboard is None


def test_merge_keeps_newer_bars_and_unions_strikes() -> None:
    times = pd.DatetimeIndex(["2026-09-18 14:00", "2026-09-18 14:01", "2026-09-18 14:02"])
    times = times.as_unit("ns")

    def grid(t: Any, strikes: list[float], value: float) -> xr.DataArray:
        shape = (len(t), len(strikes))
        return xr.DataArray(
            np.full(shape, value),
            dims=("bar", "strike"),
            coords={"bar": t, "strike": strikes, "spot": ("bar", np.full(len(t), 100.0))},
            name="gex",
            attrs={"metric": "gex", "as_of": value},
        )

    held = grid(times[:2], [99.0, 100.0], 1.0)
    new = grid(times[1:], [100.0, 101.0], 2.0)
    merged = merge_heatmap(held, new)
    assert list(merged["strike"].values) == [99.0, 100.0, 101.0]
    assert merged.sizes["bar"] == 3 and merged.attrs["as_of"] == 2.0
    expected = np.array([[1.0, 1.0, np.nan], [np.nan, 2.0, 2.0], [np.nan, 2.0, 2.0]])
    np.testing.assert_array_equal(merged.values, expected)
    assert merge_heatmap(None, new) is new
    assert merge_heatmap(held, new.isel(bar=slice(0, 0))).sizes["bar"] == 2

    # a regime label the held frame never saw keeps the column categorical
    body = fixture("series_1m.json")
    base = series_from_payload(body)
    later = base.iloc[-1:].copy()
    later["regime"] = pd.Categorical(["transition"], categories=["transition"])
    out = merge_series(base, later)
    assert len(out) == len(base) and out["regime"].iloc[-1] == "transition"
    assert list(out["regime"].cat.categories)[:3] == ["positive_gamma", "negative_gamma", "neutral"]


def test_set_symbol_and_metric_reset_what_changed(frozen_sim: ff.Simulated) -> None:
    proxy = Proxy(frozen_sim)
    poller = Poller(proxy, "SPY", leaderboard_every=2)  # cycles 1, 3, 5, ...
    assert poller.cycle()
    board = poller.data.leaderboard
    assert board is not None
    proxy.calls.clear()
    poller.set_metric("dex")
    assert poller.data.heatmap is None and poller.data.series is not None
    assert poller.cycle()
    assert proxy.calls[1] == (
        "get_heatmap",
        {"metric": "dex", "mode": "raw", "bar": "1m", "minutes": 390},
    )
    assert proxy.minutes()["get_series"] <= 2
    assert "get_leaderboard" not in [m for m, _ in proxy.calls]
    heatmap = held(poller).heatmap
    assert heatmap is not None and heatmap.name == "dex"

    poller.set_symbol(" qqq ")
    data = held(poller)
    assert [data.series, data.hedge, data.heatmap, data.snapshot] == [None] * 4
    assert data.leaderboard is board  # not per symbol: kept
    proxy.calls.clear()
    assert poller.cycle()
    assert proxy.minutes() == {"get_series": 390, "get_heatmap": 390}
    assert [m for m, _ in proxy.calls][-1] == "get_leaderboard"
    data = held(poller)
    assert data.leaderboard is not board
    assert data.series is not None and data.series.attrs["symbol"] == "QQQ"
    assert data.snapshot is not None and data.snapshot.symbol == "QQQ"
    with pytest.raises(ValueError, match="heatmap_metric"):
        poller.set_metric("gamma")


def test_a_cycle_in_flight_when_the_symbol_changes_is_dropped(frozen_sim: ff.Simulated) -> None:
    class Switching(Proxy):
        def get_snapshot(
            self, symbol: str, *, expiry: dt.date | str | None = None
        ) -> dict[str, Any]:
            poller.set_symbol("QQQ")
            return super().get_snapshot(symbol, expiry=expiry)

    poller = Poller(Switching(frozen_sim), "SPY", leaderboard_every=None)
    assert poller.cycle() is True
    assert poller.symbol == "QQQ" and poller.data.series is None and poller.data.snapshot is None


# --------------------------------------------------------------------------- faults


FAULTS: list[Callable[[], Exception]] = [
    lambda: TimeoutError("read timed out"),
    lambda: ff.ServerError("upstream down", status_code=500),
    lambda: ff.RateLimitError("slow down", status_code=429, retry_after=45.0),
    lambda: ff.SchemaError("series bars[3].t is not an ISO-8601 time: 'x'"),
]


class Faulty(Proxy):
    """Raises one of FAULTS on a seeded share of calls, else answers normally."""

    def __init__(self, inner: Any, seed: int, share: float) -> None:
        super().__init__(inner)
        self.rng = random.Random(seed)
        self.share = share
        self.enabled = True
        self.outcomes: list[Exception | None] = []

    def _call(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if self.enabled and self.rng.random() < self.share:
            exc = self.rng.choice(FAULTS)()
            self.outcomes.append(exc)
            raise exc
        self.outcomes.append(None)
        return super()._call(method, *args, **kwargs)


def expected_sleep(failures: int, exc: Exception | None) -> float:
    """The loop's wait: 30 s cadence, or the backoff (5 s doubling to 120 s) when longer."""
    if exc is None:
        return 30.0
    backoff = min(5.0 * 2.0 ** (failures - 1), 120.0)
    if isinstance(exc, ff.RateLimitError) and exc.retry_after is not None:
        backoff = max(backoff, exc.retry_after)
    return max(30.0, backoff)


def test_faulty_source_keeps_data_backs_off_and_recovers() -> None:
    sim, wall = running_sim("10:00", speed=1.0)
    source = Faulty(sim, seed=20260918, share=0.14)
    sleeps: list[float] = []
    cycle_errors: list[Exception | None] = []
    seen = [0]
    errors_told: list[BaseException] = []
    held: list[pd.DataFrame | None] = [None]

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        new = source.outcomes[seen[0] :]
        seen[0] = len(source.outcomes)
        failed = next((e for e in new if e is not None), None)
        cycle_errors.append(failed)
        series = poller.data.series
        before = held[0]
        if before is not None:
            assert series is not None and before.index.isin(series.index).all()  # never shrinks
            if failed is not None:
                assert series is before  # a failed cycle leaves the data untouched
        held[0] = series
        wall[0] += seconds
        if len(sleeps) == 200:
            poller.stop()
        await asyncio.sleep(0)

    poller = Poller(
        source,
        "SPY",
        sleep=fake_sleep,
        backoff_base=5.0,
        backoff_max=120.0,
        max_errors_kept=500,
        leaderboard_every=5,
    )
    poller.on_error(errors_told.append)

    async def main() -> None:
        task = poller.start()
        await asyncio.wait({task}, timeout=30)
        assert task.cancelled() and not poller.running
        source.enabled = False
        assert await poller.acycle()

    asyncio.run(main())

    failures, expected = 0, []
    for exc in cycle_errors:
        failures = failures + 1 if exc is not None else 0
        expected.append(expected_sleep(failures, exc))
    assert sleeps == pytest.approx(expected)
    failed = [e for e in cycle_errors if e is not None]
    assert {type(e) for e in failed} == {
        TimeoutError,
        ff.ServerError,
        ff.RateLimitError,
        ff.SchemaError,
    }
    runs = "".join("x" if e is not None else "." for e in cycle_errors)
    assert "xxxxx" in runs  # the seed gives runs long enough to see the backoff grow
    assert {40.0, 45.0, 80.0} <= set(sleeps)  # 5 * 2**3, retry_after, 5 * 2**4
    assert all(s == 30.0 for s, e in zip(sleeps, cycle_errors, strict=True) if e is None)
    # (asyncio re-creates a TimeoutError that crosses from the worker thread: compare text)
    assert [repr(e) for e in errors_told] == [repr(e) for e in failed]
    assert [kind for _, kind, _ in poller.errors] == [type(e).__name__ for e in failed]
    assert poller.status.ticks == 201 and poller.status.last_error is None
    assert poller.status.backoff == 0.0
    # recovered: every bar gathered, equal to a fresh full fetch
    series = poller.data.series
    assert series is not None and series.index[0] == pd.Timestamp("2026-09-18 13:30Z")
    pd.testing.assert_frame_equal(series, fresh_series(sim, poller))
    xr.testing.assert_identical(poller.data.heatmap, fresh_heatmap(sim, poller))


class Raising(Proxy):
    def __init__(self, inner: Any, exc: BaseException) -> None:
        super().__init__(inner)
        self.exc: BaseException | None = exc

    def get_series(self, symbol: str, *, bar: str = "30s", minutes: int = 60) -> dict[str, Any]:
        if self.exc is not None:
            raise self.exc
        return super().get_series(symbol, bar=bar, minutes=minutes)


def test_errors_are_bounded_and_interrupts_are_not_swallowed(frozen_sim: ff.Simulated) -> None:
    source = Raising(frozen_sim, ff.ServerError("down", status_code=503))
    poller = Poller(source, "SPY", max_errors_kept=3, leaderboard_every=None)
    for _ in range(5):
        assert poller.cycle() is False
    assert len(poller.errors) == 3 and poller.status.ticks == 5
    assert poller.errors[-1][1:] == ("ServerError", "503 Service Unavailable: down")
    assert poller.status.last_error == "ServerError: 503 Service Unavailable: down"
    assert poller.status.backoff == 32.0  # 2 * 2**4
    assert poller.next_delay() == 32.0

    capped = Poller(source, "SPY", backoff_max=10.0, leaderboard_every=None)
    for _ in range(6):
        capped.cycle()
    assert capped.status.backoff == 10.0
    source.exc = ff.RateLimitError("quota spent", status_code=429, retry_after=600.0)
    capped.cycle()
    assert capped.status.backoff == 600.0  # retry_after wins over the cap
    assert capped.status.last_error is not None and "retry after 600 s" in capped.status.last_error

    source.exc = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        poller.cycle()
    assert poller.status.ticks == 5  # not a completed cycle

    source.exc = asyncio.CancelledError()

    async def cancelled() -> None:
        inline = Poller(source, "SPY", offload=False, leaderboard_every=None)
        with pytest.raises(asyncio.CancelledError):
            await inline.acycle()
        assert inline.status.ticks == 0 and inline.errors == []

    asyncio.run(cancelled())

    source.exc = None
    assert poller.cycle() is True  # not left "busy"
    assert poller.status.backoff == 0.0 and poller.status.last_error is None


def test_a_broken_callback_does_not_stop_polling(frozen_sim: ff.Simulated) -> None:
    poller = Poller(frozen_sim, "SPY", leaderboard_every=None)

    @poller.on_update
    def broken(data: LiveData) -> None:
        raise ZeroDivisionError("oops")

    assert poller.cycle() is True and poller.cycle() is True
    assert [kind for _, kind, _ in poller.errors] == ["callback", "callback"]
    assert poller.status.last_error is None


def test_a_403_turns_off_the_alpha_panels_over_http(fake_api: FakeAPI) -> None:
    tier = fixture("error_403_tier.json")
    fake_api.script("heatmap", Fault.http(403, tier))
    fake_api.script("leaderboard", Fault.http(403, tier))
    with ff.FlashAlpha(KEY, base_url=fake_api.url, sleep=lambda s: None, seed=1) as client:
        poller = Poller(client, "SPY", now=lambda: pd.Timestamp("2026-09-18 17:12Z"))
        assert poller.cycle() is True
        assert poller.data.heatmap is None and poller.data.leaderboard is None
        assert poller.data.series is not None and poller.data.snapshot is not None
        assert poller.status.extra["disabled"] == ["heatmap", "leaderboard"]
        assert poller.requests_per_cycle == 2.0
        assert [k for _, k, _ in poller.errors] == ["TierRestrictedError"] * 2
        assert poller.cycle() is True
    assert fake_api.count() == 6 and fake_api.count("heatmap") == 1
    assert fake_api.count("leaderboard") == 1


def test_a_503_over_http_backs_off_then_recovers(fake_api: FakeAPI) -> None:
    fake_api.script("series", Fault.http(503, {"detail": "feed lag"}))
    fake_api.script("snapshot", Fault.not_json(200))
    with ff.FlashAlpha(KEY, base_url=fake_api.url, max_retries=0, seed=1) as client:
        poller = Poller(client, "SPY", now=lambda: pd.Timestamp("2026-09-18 17:12Z"))
        assert poller.cycle() is False
        assert poller.status.last_error == "ServerError: 503 Service Unavailable: feed lag"
        assert poller.cycle() is False  # the snapshot's body is an HTML page
        assert poller.errors[-1][1] == "SchemaError" and poller.status.backoff == 4.0
        assert poller.data.series is None
        assert poller.cycle() is True
        assert poller.status.backoff == 0.0 and held(poller).series is not None
    assert fake_api.count() == 1 + 3 + 4


# --------------------------------------------------------------------------- HTTP quota


def test_status_over_http_shows_quota_and_projected_use(fake_api: FakeAPI) -> None:
    now = [pd.Timestamp("2026-09-18 17:12Z")]  # 13:12 ET, where FakeAPI's session stands
    with ff.FlashAlpha(KEY, base_url=fake_api.url, sleep=lambda s: None, seed=1) as client:
        poller = Poller(client, "SPY", now=lambda: now[0])
        assert poller.cycle()
        st = poller.status
        assert st.source.startswith("FlashAlpha(http://127.0.0.1:")
        assert (st.requests, fake_api.count()) == (4, 4)
        assert (st.quota_limit, st.quota_remaining) == (2500, 2496)
        assert st.extra["plan"] == "growth" and st.interval == 30.0
        assert st.projected_use == 2418 <= 2500
        assert fake_api.requests[0].query["minutes"] == ["390"]
        data = poller.data
        assert data.series is not None and data.heatmap is not None
        assert data.snapshot is not None and data.leaderboard is not None
        now[0] += pd.Timedelta(seconds=30)
        assert poller.cycle()
        later = fake_api.requests[4:]
        assert [int(r.query["minutes"][0]) for r in later if "minutes" in r.query] == [3, 3]
        assert poller.status.quota_remaining == 2493 and poller.status.requests == 7
    assert fake_api.count() == 7


def test_async_client_over_http(fake_api: FakeAPI) -> None:
    async def main() -> Poller:
        async with ff.AsyncFlashAlpha(KEY, base_url=fake_api.url, seed=1) as client:
            poller = Poller(
                client, "SPY", now=lambda: pd.Timestamp("2026-09-18 17:12Z"), leaderboard_every=None
            )
            with pytest.raises(TypeError, match="acycle"):
                poller.cycle()
            assert await poller.acycle()
            return poller

    poller = asyncio.run(main())
    assert poller.data.series is not None and poller.status.quota_limit == 2500
    assert fake_api.count() == 3


# --------------------------------------------------------------------------- run loop


def test_start_stop_lifecycle() -> None:
    sim = ff.Simulated(seed=3, date=DATE, now="14:00", scale=0.02, symbols=("SPY",))
    poller = Poller(sim, "SPY", sleep=instant, leaderboard_every=None)

    async def main() -> None:
        me = asyncio.current_task()
        task = poller.start()
        assert poller.start() is task and is_running(poller)
        assert asyncio.all_tasks() == {me, task}
        await until(lambda: poller.status.ticks >= 3)
        await poller.astop()
        assert task.done() and not is_running(poller)
        assert asyncio.all_tasks() == {me}
        assert poller.status.next_poll is None

        again = poller.start()
        assert again is not task
        await until(lambda: poller.status.ticks >= 5)
        poller.stop()
        await asyncio.wait({again}, timeout=5)
        assert again.cancelled() and not is_running(poller)
        assert asyncio.all_tasks() == {me}
        await poller.astop()  # stopping a stopped poller is fine

    asyncio.run(main())
    assert poller.status.ticks >= 5 and poller.errors == []
    with pytest.raises(RuntimeError, match="running asyncio event loop"):
        poller.start()


def test_the_loop_gathers_the_close_then_ends() -> None:
    sim, wall = running_sim("15:59:10", speed=60.0)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        wall[0] += seconds
        await asyncio.sleep(0)

    poller = Poller(sim, "SPY", sleep=sleep, leaderboard_every=None)

    async def main() -> None:
        task = poller.start()
        await asyncio.wait({task}, timeout=10)
        assert task.done() and not task.cancelled() and task.exception() is None

    asyncio.run(main())
    # 30 s of session is 0.5 s at 60x; the last wait ends 1 s after the close (21 s: 0.35 s)
    assert sleeps == pytest.approx([0.5, 0.35])
    assert poller.status.extra["stopped"] == "session over" and not poller.running
    assert poller.data.series is not None
    assert poller.data.series.index[-1] == pd.Timestamp("2026-09-18 19:59Z")  # 15:59 ET


def test_next_delay_before_the_open_and_after_the_close() -> None:
    early = Poller(
        ff.Simulated(seed=3, date=DATE, now="09:00", scale=0.02, symbols=("SPY",)), "SPY"
    )
    assert early.cycle() and early.data.series is not None and early.data.series.empty
    assert early.next_delay() == 1_800.0  # wake at the open
    assert early.data.snapshot is not None and early.data.snapshot.status == "session_closed"
    late_sim = ff.Simulated(seed=3, date=DATE, now="16:30", scale=0.02, symbols=("SPY",))
    late = Poller(late_sim, "SPY", leaderboard_every=None)
    assert late.cycle() and late.next_delay() is None
    assert Poller(late_sim, "SPY", after_close=300.0).next_delay() == 300.0


# --------------------------------------------------------------------------- alerts


def iso(t: pd.Timestamp) -> str:
    return t.isoformat().replace("+00:00", "Z")


class Scripted:
    """A hand-written session: the test sets the bars, the snapshot and the time."""

    name = "Scripted"
    open = pd.Timestamp("2026-09-18 13:30Z")

    def __init__(self) -> None:
        self.now = self.open
        self.rows: list[dict[str, Any]] = []
        self.label = "amplifying"
        self.severity = "info"

    def add(self, spot: float, calls: float, puts: float) -> None:
        last = self.rows[-1] if self.rows else {"calls": 0.0, "puts": 0.0}
        t = self.open + pd.Timedelta(minutes=len(self.rows))
        row = {"t": t, "spot": spot, "calls": last["calls"] + calls, "puts": last["puts"] + puts}
        self.rows.append(row)
        self.now = t + pd.Timedelta(minutes=1)

    def _window(self, minutes: int) -> list[dict[str, Any]]:
        start = self.now - pd.Timedelta(minutes=minutes)
        return [r for r in self.rows if start <= r["t"] < self.now]

    def get_series(self, symbol: str, *, bar: str = "30s", minutes: int = 60) -> dict[str, Any]:
        bars = [
            {
                "t": iso(r["t"]),
                "spot": r["spot"],
                "gamma_flip": 101.0,
                "call_wall": 105.0,
                "put_wall": 95.0,
                "regime": "negative_gamma",
                "pin_probability_pct": 0.4,  # 0.4 %: small windows must not read as fractions
                "hedge_flow_call_cumulative": r["calls"],
                "hedge_flow_put_cumulative": r["puts"],
                "hedge_flow_cumulative_all": r["calls"] + r["puts"],
            }
            for r in self._window(minutes)
        ]
        if bars and bars[0]["t"] == iso(self.open):
            bars[0]["pin_probability_pct"] = 12.5  # the whole session says: percentages
        return {"symbol": symbol, "bar_size": bar, "as_of": iso(self.now), "bars": bars}

    def get_heatmap(
        self,
        symbol: str,
        *,
        metric: str = "gex",
        mode: str = "raw",
        bar: str = "1m",
        minutes: int = 60,
    ) -> dict[str, Any]:
        bars = [
            {"t": iso(r["t"]), "spot": r["spot"], "values": [1.0, 2.0]}
            for r in self._window(minutes)
        ]
        return {
            "symbol": symbol,
            "metric": metric,
            "mode": mode,
            "strikes_grid": [99, 100],
            "bars": bars,
        }

    def get_snapshot(self, symbol: str, *, expiry: dt.date | str | None = None) -> dict[str, Any]:
        return {
            "symbol": symbol,
            "as_of": iso(self.now),
            "flow_direction": {"label": self.label, "flow_gex_pct_shift": 0.12},
            "headline": {"severity": self.severity, "narrative": f"{self.severity} read"},
        }

    def get_leaderboard(self, *, metric: str = "heat", n: int = 10) -> dict[str, Any]:
        return {"metric": metric, "n": n, "entries": [{"rank": 1, "symbol": "SPY", "value": 1.0}]}

    def get_hedge_flow(
        self, symbol: str, *, side: str = "all", bar: str = "30s", minutes: int = 60
    ) -> dict[str, Any]:
        raise NotImplementedError

    def get_strike_flow(self, symbol: str, *, bar: str = "1m", minutes: int = 60) -> dict[str, Any]:
        raise NotImplementedError


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
