"""The live poller: one cycle (sync or async), settings changed in place, faults, HTTP, run loop."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import flowframe as ff
from flowframe._constants import SERIES_COLUMNS, SPLIT_COLUMNS
from flowframe.live.contract import LiveData
from flowframe.live.poller import Poller
from tests.fakeapi import KEY, FakeAPI, Fault, fixture
from tests.fakes import (
    DATE,
    Faulty,
    Proxy,
    Raising,
    fresh_heatmap,
    fresh_series,
    instant,
    running_sim,
    until,
)

# --------------------------------------------------------------------------- helpers


def held(poller: Poller) -> LiveData:
    """``poller.data``, without what mypy narrowed it to before the last cycle."""
    return poller.data


def is_running(poller: Poller) -> bool:
    return poller.running


@pytest.fixture(scope="module")
def frozen_sim() -> ff.Simulated:
    return ff.Simulated(seed=3, date=DATE, now="14:00", scale=0.02)


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
    assert proxy.minutes()["get_series"] <= 3  # the last bar, one of overlap, 60 s of margin
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


def test_set_bar_in_place_keeps_what_did_not_change(frozen_sim: ff.Simulated) -> None:
    proxy = Proxy(frozen_sim)
    poller = Poller(proxy, "SPY", leaderboard_every=2)
    data = poller.data
    assert poller.cycle()
    heatmap, snapshot, board = data.heatmap, data.snapshot, data.leaderboard
    assert heatmap is not None and snapshot is not None and board is not None
    ticks, requests = poller.status.ticks, poller.status.requests

    poller.set_bar("5m")
    assert poller.bar == "5m" and poller.data is data  # the same poller, the same LiveData
    assert data.series is None and data.hedge is None  # bars of the old size: gone
    assert data.heatmap is heatmap and data.snapshot is snapshot and data.leaderboard is board
    assert (poller.status.ticks, poller.status.requests) == (ticks, requests)
    poller.set_bar("5m")  # no change, nothing dropped
    with pytest.raises(ValueError, match="bar"):
        poller.set_bar("2m")

    proxy.calls.clear()
    assert poller.cycle()
    series_call = next(kw for m, kw in proxy.calls if m == "get_series")
    assert series_call == {"bar": "5m", "minutes": 390}  # the whole session, at the new size
    assert proxy.minutes()["get_heatmap"] <= 3  # the heatmap held is merged into
    series, hedge = held(poller).series, held(poller).hedge
    assert series is not None and series.attrs["bar_size"] == "5m"
    assert hedge is not None and hedge.attrs["bar_size"] == "5m"
    assert (series.index[1] - series.index[0]) == pd.Timedelta("5min")
    pd.testing.assert_frame_equal(
        series, ff.series("SPY", bar="5m", minutes=390, source=frozen_sim), check_like=True
    )
    assert poller.status.ticks == ticks + 1


def test_each_setting_keeps_the_frames_it_does_not_touch(frozen_sim: ff.Simulated) -> None:
    poller = Poller(frozen_sim, "SPY", leaderboard_every=None)
    assert poller.cycle()
    data = held(poller)
    series, hedge, snapshot = data.series, data.hedge, data.snapshot
    poller.set_metric("vex")
    assert (data.series, data.hedge, data.snapshot) == (series, hedge, snapshot)
    assert data.series is series and data.hedge is hedge and data.snapshot is snapshot
    assert poller.cycle()
    heatmap = held(poller).heatmap
    assert heatmap is not None and heatmap.name == "vex"
    poller.set_bar("30s")
    assert held(poller).heatmap is heatmap and held(poller).snapshot is not None


@pytest.mark.parametrize("change", ["bar", "metric"])
def test_a_cycle_in_flight_when_a_setting_changes_is_dropped(
    frozen_sim: ff.Simulated, change: str
) -> None:
    class Switching(Proxy):
        def get_snapshot(
            self, symbol: str, *, expiry: dt.date | str | None = None
        ) -> dict[str, Any]:
            if change == "bar":
                poller.set_bar("5m")
            else:
                poller.set_metric("dex")
            result: dict[str, Any] = super().get_snapshot(symbol, expiry=expiry)
            return result

    poller = Poller(Switching(frozen_sim), "SPY", leaderboard_every=None)
    assert poller.cycle() is True
    assert poller.data.snapshot is None  # nothing of the void cycle landed
    assert poller.data.series is None and poller.data.heatmap is None


def assert_same_data(a: LiveData, b: LiveData) -> None:
    assert a.series is not None and b.series is not None
    pd.testing.assert_frame_equal(a.series, b.series)
    assert a.series.attrs == b.series.attrs
    assert a.hedge is not None and b.hedge is not None
    pd.testing.assert_frame_equal(a.hedge, b.hedge)
    xr.testing.assert_identical(a.heatmap, b.heatmap)
    assert a.snapshot is not None and a.snapshot == b.snapshot
    assert a.leaderboard is not None and b.leaderboard is not None
    pd.testing.assert_frame_equal(a.leaderboard, b.leaderboard)


@pytest.mark.parametrize("offload", [True, False])
def test_sync_and_async_cycles_give_equal_data(offload: bool) -> None:
    sim, wall = running_sim("11:00", speed=60.0)
    sync = Poller(sim, "SPY", leaderboard_every=2)
    also = Poller(sim, "SPY", leaderboard_every=2, offload=offload)

    async def acycles() -> None:
        assert await also.acycle()

    for step in (0.0, 0.5, 2.0):  # the first cycle, then windows
        wall.t += step
        assert sync.cycle()
        asyncio.run(acycles())
        assert_same_data(sync.data, also.data)
        a, b = sync.status, also.status
        assert (a.ticks, a.requests, a.interval, a.session_time) == (
            b.ticks,
            b.requests,
            b.interval,
            b.session_time,
        )


def test_the_old_import_paths_still_work() -> None:
    from flowframe.live import cadence, merge
    from flowframe.live.poller import (
        ALERT_KINDS,
        CACHE_SECONDS,
        PLANS,
        SESSION_SECONDS,
        hedge_from_series,
        merge_heatmap,
        merge_series,
        plan_for_limit,
        plan_interval,
        quota_reserve,
    )

    assert plan_interval is cadence.plan_interval and PLANS is cadence.PLANS
    assert CACHE_SECONDS is cadence.CACHE_SECONDS and SESSION_SECONDS == 23_400.0
    assert plan_for_limit is cadence.plan_for_limit and quota_reserve is cadence.quota_reserve
    assert merge_series is merge.merge_series and merge_heatmap is merge.merge_heatmap
    assert hedge_from_series is merge.hedge_from_series and "hedge_burst" in ALERT_KINDS


# --------------------------------------------------------------------------- faults


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
        wall.t += seconds
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
    assert capped.status.backoff == 10.0  # retry_after is honoured within the cap only
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
        # 30 s since the as_of, the last bar's minute, one bar of overlap, 60 s of margin
        assert [int(r.query["minutes"][0]) for r in later if "minutes" in r.query] == [4, 4]
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
        wall.t += seconds
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
