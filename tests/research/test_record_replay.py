"""Record a session into a store, then replay it: ``ff.record`` and ``ff.Replay``.

Every replayed body of a recorded request equals the recorded bytes; every other request
(another bar size, window, side, mode or ``n``) is derived from the recorded bars and equals
what the recorded source answers at that poll, value for value.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import orjson
import pandas as pd
import pytest
import xarray as xr

import flowframe as ff
from flowframe.research.record import ENDPOINTS
from flowframe.research.replay import Replay, ReplayError
from tests.fakeapi import KEY, FakeAPI, Fault

DATE = "2026-09-18"
ET = "America/New_York"


def _json(payload: Any) -> Any:
    return orjson.loads(orjson.dumps(payload))


def _records(store: ff.Store, symbols: list[str]) -> list[tuple[str | None, dict[str, Any]]]:
    return [(s, r) for s in [*symbols, None] for r in store.read_bodies(s, DATE)]


def _moment(record: dict[str, Any]) -> pd.Timestamp:
    return pd.Timestamp(record["as_of"] or record["received_at"])


def _assert_recorded_bodies_replay(store: ff.Store, symbols: list[str]) -> int:
    day = Replay(store, date=DATE)
    n = 0
    for symbol, rec in _records(store, symbols):
        if rec["status"] != 200:
            continue
        got = day.at(_moment(rec)).get_raw(rec["endpoint"], symbol, **rec["params"])
        assert got == rec["body"], (rec["endpoint"], rec["params"], rec["as_of"])
        n += 1
    return n


def _assert_derived_equal(
    day: Replay,
    truth: Any,
    symbol: str,
    moments: list[pd.Timestamp],
    metrics: tuple[str, ...] = ("gex", "signed_flow"),
) -> int:
    """Every variant of every endpoint, between polls, equals the source at the last poll."""
    n = 0
    for t in moments:
        a, b = truth(t), day.at(t + pd.Timedelta(seconds=17))
        for bar, minutes in itertools.product(("30s", "1m", "5m", "15m"), (1, 7, 60, 390)):
            assert b.get_series(symbol, bar=bar, minutes=minutes) == _json(
                a.get_series(symbol, bar=bar, minutes=minutes)
            ), (t, bar, minutes)
            for side in ("all", "calls", "puts"):
                assert b.get_hedge_flow(symbol, side=side, bar=bar, minutes=minutes) == _json(
                    a.get_hedge_flow(symbol, side=side, bar=bar, minutes=minutes)
                ), (t, side, bar, minutes)
            n += 4
        for minutes in (1, 30, 390):
            for metric, mode in itertools.product(metrics, ("raw", "delta")):
                assert b.get_heatmap(symbol, metric=metric, mode=mode, minutes=minutes) == _json(
                    a.get_heatmap(symbol, metric=metric, mode=mode, minutes=minutes)
                ), (t, metric, mode, minutes)
                n += 1
            assert b.get_strike_flow(symbol, minutes=minutes) == _json(
                a.get_strike_flow(symbol, minutes=minutes)
            )
            n += 1
        for k in (1, 3, 100):
            assert b.get_leaderboard(metric="heat", n=k) == _json(
                a.get_leaderboard(metric="heat", n=k)
            )
            n += 1
        assert b.get_snapshot(symbol) == _json(a.get_snapshot(symbol))
        n += 1
    return n


# ---------------------------------------------------------------- a simulated session


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[ff.Store, ff.Recording, Any]:
    """A whole simulated session, every endpoint, recorded every minute on a fast clock."""
    store = ff.Store(tmp_path_factory.mktemp("history"))
    sim = ff.Simulated(seed=5, date=DATE, speed=20_000, symbols=["SPY"])
    report = ff.record(
        sim, ["SPY"], store, interval=60, metrics=("gex", "signed_flow"), progress=False
    )
    return store, report, sim


def test_record_polls_the_whole_session_on_the_source_clock(recorded: Any) -> None:
    store, report, _ = recorded
    assert report.cycles == 391  # 09:30, 09:31, ... 16:00
    assert report.first == pd.Timestamp(f"{DATE} 09:30", tz=ET)
    assert report.last == pd.Timestamp(f"{DATE} 16:00", tz=ET)
    # per cycle: snapshot, series, hedge-flow, 2 heatmaps, strike-flow, 4 leaderboards
    assert report.requests == report.written == 391 * 10
    assert (report.held, report.errors, report.resumed_at) == (0, [], None)
    parts = store.partitions("bodies")
    assert sorted(parts["symbol"].fillna("_all")) == ["SPY", "_all"]
    assert int(parts["records"].sum()) == 3910
    series = store.read_bodies("SPY", DATE, "series")
    assert [r["params"] for r in series[:3]] == [
        {"bar": "30s", "minutes": "390"},  # nothing held (at the open, nothing yet either):
        {"bar": "30s", "minutes": "390"},  # the whole session
        {"bar": "30s", "minutes": "3"},  # then from the last bar, one bar + 60 s of margin
    ]
    # a stepped source's bodies are stamped with its clock, all of a cycle alike
    assert {r["received_at"] for r in series[:1]} == {f"{DATE}T13:30:00Z"}


def test_every_recorded_body_replays_byte_for_byte(recorded: Any) -> None:
    store, report, _ = recorded
    assert _assert_recorded_bodies_replay(store, ["SPY"]) == report.written


def test_derived_answers_equal_the_source_between_polls(recorded: Any) -> None:
    store, _, sim = recorded
    day = Replay(store, date=DATE)
    moments = list(day.moments("SPY"))
    picked = [moments[i] for i in (0, 1, 2, 31, 97, 200, 389, 390)]
    assert _assert_derived_equal(day, sim.at, "SPY", picked) > 300


def test_replay_is_a_source_for_the_loaders(recorded: Any) -> None:
    store, _, sim = recorded
    day = ff.Replay(store, date=DATE, now="14:45:10")
    truth = sim.at("14:45")
    a = ff.series("SPY", source=day, bar="5m", minutes=120)
    b = ff.series("SPY", source=truth, bar="5m", minutes=120)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.attrs["source"].startswith("Replay(")
    h1 = ff.heatmap("SPY", source=day, metric="gex", mode="delta", minutes=30)
    h2 = ff.heatmap("SPY", source=truth, metric="gex", mode="delta", minutes=30)
    assert h1.shape == h2.shape == (30, len(h2.strike))
    assert bool(((h1 == h2) | (h1.isnull() & h2.isnull())).all())
    assert day.symbols == ("SPY",)
    assert "SPY" in repr(day) and "3910 bodies" in repr(day)


def test_replay_says_what_it_cannot_answer(recorded: Any) -> None:
    store, _, _ = recorded
    day = Replay(store, date=DATE, now="12:00")
    with pytest.raises(ReplayError, match=r"QQQ was not recorded on 2026-09-18 \(recorded: SPY\)"):
        day.get_series("QQQ")
    with pytest.raises(
        ReplayError, match=r"heatmap .*'dex'.*not recorded.*: heatmap metric=gex, heatmap metric="
    ):
        day.get_heatmap("SPY", metric="dex")
    with pytest.raises(ReplayError, match=r"recorded for this endpoint: snapshot \(default expiry"):
        day.get_snapshot("SPY", expiry="2026-09-25")
    early = day.at("09:29")
    with pytest.raises(ReplayError, match=r"nothing recorded at or before 09:29:00 ET"):
        early.get_series("SPY")
    assert "before the first recorded poll (09:30:00 ET)" in (early.why_empty("SPY") or "")
    with pytest.raises(ValueError, match=r"holds no recorded bodies for it \(dates recorded: "):
        Replay(store, date="2026-09-17")


def test_a_leaderboard_longer_than_recorded_is_refused(tmp_path: Any) -> None:
    store = ff.Store(tmp_path)
    sim = ff.Simulated(seed=2, date=DATE, now="10:00", symbols=["SPY", "QQQ", "IWM"])
    rec = {
        "endpoint": "leaderboard",
        "params": {"metric": "heat", "n": "2"},
        "received_at": "2026-09-18T14:00:00Z",
        "status": 200,
        "body": orjson.dumps(sim.get_leaderboard(metric="heat", n=2)),
    }
    store.append_bodies([rec], symbol=None, date=DATE)
    day = Replay(store, date=DATE)
    assert [e["rank"] for e in day.get_leaderboard(metric="heat", n=1)["entries"]] == [1]
    with pytest.raises(ReplayError, match=r"ranked only the top 2 .*ask for n <= 2"):
        day.get_leaderboard(metric="heat", n=3)


def test_a_restarted_recorder_continues_without_duplicates(tmp_path: Any) -> None:
    sim = ff.Simulated(seed=4, date=DATE, now="11:00", symbols=["SPY"])
    opts: dict[str, Any] = {
        "interval": 120,
        "metrics": "gex",
        "leaderboard_metrics": "heat",
        "progress": False,
    }
    whole = ff.Store(tmp_path / "whole")
    ff.record(sim, "SPY", whole, **opts)
    parts = ff.Store(tmp_path / "parts")
    first = ff.record(sim, "SPY", parts, max_cycles=7, **opts)
    assert first.stopped == "max_cycles=7 reached"
    second = ff.record(sim, "SPY", parts, max_cycles=5, **opts)
    # the last poll held is asked again; the store skips what it holds
    assert second.resumed_at == pd.Timestamp(f"{DATE} 09:42", tz=ET)
    assert (second.held, second.written) == (6, 4 * 6)
    third = ff.record(sim, "SPY", parts, **opts)
    assert third.last == pd.Timestamp(f"{DATE} 11:00", tz=ET)
    for symbol in ("SPY", None):
        a, b = whole.read_bodies(symbol, DATE), parts.read_bodies(symbol, DATE)
        key = [(r["endpoint"], r["params"], r["as_of"], r["body"]) for r in a]
        assert [(r["endpoint"], r["params"], r["as_of"], r["body"]) for r in b] == key


def test_record_refuses_bad_arguments_before_asking(tmp_path: Any) -> None:
    sim = ff.Simulated(seed=0, date=DATE, now="10:00", symbols=["SPY"])
    cases: list[tuple[dict[str, Any], str]] = [
        ({"endpoints": ["series", "flows"]}, r"endpoints='flows' is not allowed"),
        ({"metrics": "gamma"}, r"metrics='gamma' is not allowed"),
        ({"interval": 10}, r"interval=10 is not allowed; use seconds >= 30"),
        ({"hedge_sides": ["all", "all"]}, r"lists a value twice"),
        ({"max_cycles": 0}, r"max_cycles=0 is not allowed"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            ff.record(sim, "SPY", tmp_path, **kwargs)
    with pytest.raises(ValueError, match="symbols is empty"):
        ff.record(sim, [], tmp_path)
    assert not list(tmp_path.glob("bodies/*"))


def test_record_on_a_holiday_records_nothing(tmp_path: Any) -> None:
    sim = ff.Simulated(seed=0, date="2026-11-26", now="12:00", symbols=["SPY"])
    report = ff.record(sim, "SPY", tmp_path)
    assert report.cycles == 0
    assert "2026-11-26 (Thursday) has no session" in report.stopped


# ---------------------------------------------------------------- the hosted API (a fake)


def test_record_then_replay_the_hosted_api_through_a_session(tmp_path: Any) -> None:
    sim = ff.Simulated(seed=6, date=DATE, now="09:25", symbols=["SPY", "QQQ"])
    with FakeAPI(source=sim, limit="unlimited") as api:
        api.now = pd.Timestamp(f"{DATE} 09:25", tz=ET)

        def advance(seconds: float) -> None:
            api.now += pd.Timedelta(seconds=seconds)

        store = ff.Store(tmp_path)
        with ff.FlashAlpha(KEY, base_url=api.url, sleep=lambda s: None) as client:
            report = ff.record(
                client,
                ["SPY", "QQQ"],
                store,
                interval=300,
                metrics="gex",
                leaderboard_metrics="heat",
                now=lambda: api.now,
                sleep=advance,
            )
    # waits for the open, then polls every 5 minutes up to the close
    assert report.first == pd.Timestamp(f"{DATE} 09:30", tz=ET)
    assert report.last == pd.Timestamp(f"{DATE} 16:00", tz=ET)
    assert report.cycles == 79 and report.errors == []
    assert report.requests == api.count() == 79 * (2 * 5 + 1)
    assert _assert_recorded_bodies_replay(store, ["SPY", "QQQ"]) == report.written
    day = Replay(store, date=DATE)
    moments = list(day.moments("SPY", "series"))
    picked = [moments[i] for i in (0, 1, 40, 78)]
    for symbol in ("SPY", "QQQ"):
        assert _assert_derived_equal(day, sim.at, symbol, picked, ("gex",)) > 100


def test_record_plans_within_the_quota_and_drops_a_refused_endpoint(tmp_path: Any) -> None:
    sim = ff.Simulated(seed=6, date=DATE, now="09:30", symbols=["SPY"])
    refused = {
        "status": "ERROR",
        "error": "tier_restricted",
        "message": "Heatmap requires Alpha.",
        "current_plan": "Growth",
        "required_plan": "Alpha",
    }
    waits: list[float] = []
    with FakeAPI(source=sim, limit=250) as api:
        api.now = pd.Timestamp(f"{DATE} 09:30", tz=ET)
        api.script("heatmap", Fault.http(403, refused))
        api.state.remaining = 250

        def advance(seconds: float) -> None:
            waits.append(seconds)
            api.now += pd.Timedelta(seconds=seconds)

        with ff.FlashAlpha(KEY, base_url=api.url, sleep=lambda s: None) as client:
            report = ff.record(
                client,
                "SPY",
                ff.Store(tmp_path),
                endpoints=["series", "heatmap", "snapshot"],
                metrics="gex",
                max_cycles=3,
                now=lambda: api.now,
                sleep=advance,
            )
    assert list(report.disabled) == ["heatmap"]
    assert "Alpha" in report.disabled["heatmap"]
    heat = ff.Store(tmp_path).read_bodies("SPY", DATE, "heatmap")
    assert [(r["status"], orjson.loads(r["body"])["error"]) for r in heat] == [
        (403, "tier_restricted")
    ]
    assert report.requests == 3 + 2 + 2
    # Basic: 250 a day, 13 in reserve; the session left at 2 requests a cycle (the heatmap
    # dropped) must fit in what remains: 247 after the first cycle, 245 after the second
    assert waits[:2] == [
        pytest.approx(23_400 * 2 / (247 - 13)),
        pytest.approx((23_400 - waits[0]) * 2 / (245 - 13)),
    ]
    with pytest.raises(ff.TierRestrictedError, match="replayed"):
        Replay(ff.Store(tmp_path), date=DATE, now="09:30").get_heatmap("SPY")


def test_date_of_a_live_recording_is_the_sessions(tmp_path: Any) -> None:
    sim = ff.Simulated(seed=6, date=DATE, now="15:59", symbols=["SPY"])
    with FakeAPI(source=sim, limit="unlimited") as api:
        api.now = pd.Timestamp(f"{DATE} 15:59", tz=ET)
        with ff.FlashAlpha(KEY, base_url=api.url, sleep=lambda s: None) as client:
            report = ff.record(
                client,
                "SPY",
                tmp_path,
                endpoints=["series"],
                max_cycles=2,
                now=lambda: api.now,
                sleep=lambda s: None,
            )
    assert report.date == dt.date(2026, 9, 18)
    assert report.stopped == "max_cycles=2 reached"
    assert "series" in ENDPOINTS


# ---------------------------------------------------------------- under the Dashboard


def test_a_recorded_day_replays_under_the_dashboard_at_60x(recorded: Any) -> None:
    import asyncio

    from flowframe.frames import series_from_payload
    from flowframe.live import Dashboard
    from tests.fakes import Wall

    store, _, sim = recorded
    wall = Wall()
    clock = ff.SessionClock(dt.date(2026, 9, 18), speed=60.0, start="10:30", wall=wall)
    day = Replay(store, date=DATE, clock=clock)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:  # the run loop's wait moves the wall clock
        sleeps.append(seconds)
        wall.t += seconds
        await asyncio.sleep(0)

    async def main() -> Dashboard:
        dash = Dashboard("SPY", day, render="png", sleep=sleep, leaderboard_every=None)
        dash.start()
        for _ in range(500):
            if dash.status.ticks >= 8:
                break
            await asyncio.sleep(0.01)
        await dash.astop()
        return dash

    dash = asyncio.run(main())
    assert dash.status.ticks >= 8 and dash.errors == []
    # 30 s of session between cycles is 0.5 s of wall at 60x
    assert sleeps[:7] == pytest.approx([0.5] * 7)
    held = dash.data.series
    assert held is not None
    last = held.index[-1]
    at = clock.now()
    truth = series_from_payload(
        sim.at(at).get_series("SPY", bar="1m", minutes=390), source=dash.status.source
    )
    # what the poller merged from replayed windows is the session up to the replayed moment
    pd.testing.assert_frame_equal(held, truth.loc[:last], check_exact=True)
    assert last >= pd.Timestamp(f"{DATE} 10:32", tz=ET)
    assert dash.data.heatmap is not None and dash.data.snapshot is not None
    assert set(dash.pngs()) >= {"hedge", "series", "heatmap"}


def test_sessions_over_a_store_of_recordings_equal_the_source(recorded: Any) -> None:
    store, _, _ = recorded
    kwargs: dict[str, Any] = {"heatmaps": ["gex"], "progress": False}
    replayed = ff.sessions("SPY", [DATE], source=store, **kwargs)
    simulated = ff.sessions("SPY", [DATE], source=5, **kwargs)
    assert replayed.attrs.pop("source").startswith("Store(")
    assert simulated.attrs.pop("source") == "Simulated(seed=5)"
    xr.testing.assert_identical(replayed, simulated)
    with pytest.raises(ReplayError, match=r"heatmap .*'dex'.*not recorded"):
        ff.sessions("SPY", [DATE], source=store, heatmaps=["dex"], progress=False)
