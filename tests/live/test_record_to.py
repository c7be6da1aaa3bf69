"""``Poller(record_to=...)`` / ``Dashboard(record_to=...)``: every body polled lands in a Store."""

from __future__ import annotations

import asyncio
import gzip
import threading
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest

import flowframe as ff
from flowframe import _params
from flowframe.live import Dashboard, Poller
from flowframe.store import Store
from tests.fakeapi import KEY, FakeAPI, Fault, fixture
from tests.fakes import DATE, Proxy, running_sim, until

ROUTES = {
    "get_series": "series",
    "get_heatmap": "heatmap",
    "get_snapshot": "snapshot",
    "get_leaderboard": "leaderboard",
}


@pytest.fixture(scope="module")
def frozen() -> ff.Simulated:
    return ff.Simulated(seed=3, date=DATE, now="14:00", scale=0.02, symbols=("SPY",))


def asked(proxy: Proxy, sim: Any) -> list[tuple[str, dict[str, str], Any]]:
    """Each request of the proxy's log: its route, normalised params, and the answer now."""
    out = []
    for method, kwargs in proxy.calls:
        route = ROUTES[method]
        symbol = None if route == "leaderboard" else "SPY"
        args = () if symbol is None else (symbol,)
        params = _params.build(route, symbol, **kwargs).params
        out.append((route, params, getattr(sim, method)(*args, **kwargs)))
    return out


def held(store: Store, symbol: str | None, endpoint: str) -> list[tuple[Any, ...]]:
    return [
        (r["endpoint"], r["params"], orjson.loads(r["body"]), r["as_of"], r["status"])
        for r in store.read_bodies(symbol, DATE, endpoint)
    ]


# --------------------------------------------------------------------------- what is recorded


def test_every_answer_of_every_cycle_is_recorded(tmp_path: Path) -> None:
    sim, wall = running_sim("10:00", speed=60.0)  # 1 s of wall = 1 session minute
    proxy = Proxy(sim)
    store = Store(tmp_path / "flow")
    poller = Poller(proxy, "SPY", record_to=store, leaderboard_every=2)
    assert poller.record_to is store
    assert poller.status.extra["recorded"] == 0 and poller.status.extra["record_errors"] == 0
    expected: list[tuple[str, dict[str, str], Any]] = []
    before = pd.Timestamp.now(tz="UTC")
    for minutes in (0, 5, 7):  # 10:00, 10:05, 10:12 ET
        wall.t += minutes
        proxy.calls.clear()
        assert poller.cycle() is True
        expected += asked(proxy, sim)  # the source's answers to the same requests, same time
    after = pd.Timestamp.now(tz="UTC")

    # three cycles of series, heatmap and snapshot; the 1st and 3rd add the leaderboard
    assert [r for r, _, _ in expected].count("leaderboard") == 2
    assert poller.status.extra["recorded"] == len(expected) == 11
    assert poller.errors == [] and poller.status.extra["record_errors"] == 0
    for route in ("series", "heatmap", "snapshot", "leaderboard"):
        symbol = None if route == "leaderboard" else "SPY"
        want = [(r, p, body, body["as_of"], 200) for r, p, body in expected if r == route]
        assert held(store, symbol, route) == want, route
    # the whole session first, then windows from the last bar held
    series = store.read_bodies("SPY", DATE, "series")
    assert series[0]["params"]["minutes"] == "390"
    assert all(set(r["params"]) == {"bar", "minutes"} for r in series)
    assert [r["as_of"] for r in series] == [
        "2026-09-18T14:00:00Z",
        "2026-09-18T14:05:00Z",
        "2026-09-18T14:12:00Z",
    ]
    assert store.read_bodies("SPY", DATE, "snapshot")[0]["params"] == {}
    board = store.read_bodies(None, DATE, "leaderboard")
    assert board[0]["params"] == {"metric": "heat", "n": "10"}
    # the leaderboard is market-wide: not in the symbol's partition
    assert store.read_bodies("SPY", DATE, "leaderboard") == []
    for record in store.read_bodies("SPY", DATE) + store.read_bodies(None, DATE):
        received = pd.Timestamp(record["received_at"])  # the wall clock, UTC
        assert record["received_at"].endswith("Z") and before <= received <= after
    parts = store.partitions("bodies")
    assert sorted(parts["symbol"].fillna("-")) == ["-", "SPY"]


def test_the_same_moment_polled_again_is_not_recorded_twice(
    tmp_path: Path, frozen: ff.Simulated
) -> None:
    store = Store(tmp_path)
    first = Poller(frozen, "SPY", record_to=store)
    assert first.cycle() and first.status.extra["recorded"] == 4
    assert first.cycle()  # windows now (new params), the same snapshot: skipped
    snapshots = store.read_bodies("SPY", DATE, "snapshot")
    assert len(snapshots) == 1
    # a recorder restarted on the same moment asks the same requests: nothing new
    again = Poller(frozen, "SPY", record_to=tmp_path)  # a path opens the store
    assert isinstance(again.record_to, Store) and again.record_to.path == tmp_path
    assert again.cycle() and again.status.extra["recorded"] == 0
    keys = [
        (r["endpoint"], orjson.dumps(r["params"]), r["as_of"])
        for r in store.read_bodies("SPY", DATE) + store.read_bodies(None, DATE)
    ]
    assert len(keys) == len(set(keys))
    assert len(store.read_bodies(None, DATE, "leaderboard")) == 1


def test_record_to_is_checked() -> None:
    sim = ff.Simulated(seed=3, date=DATE, now="14:00", scale=0.02, symbols=("SPY",))
    with pytest.raises(TypeError, match="record_to"):
        Poller(sim, "SPY", record_to=42)  # type: ignore[arg-type]
    poller = Poller(sim, "SPY")
    assert poller.record_to is None and "recorded" not in poller.status.extra


# --------------------------------------------------------------------------- failures


class SnapshotDown(Proxy):
    """Answers the series and heatmap, then fails on the snapshot."""

    def get_snapshot(self, symbol: str, *, expiry: Any = None) -> dict[str, Any]:
        self.calls.append(("get_snapshot", {}))
        raise ff.ServerError("upstream down", status_code=503)


def test_a_failed_cycle_records_the_bodies_it_received(
    tmp_path: Path, frozen: ff.Simulated
) -> None:
    store = Store(tmp_path)
    poller = Poller(SnapshotDown(frozen), "SPY", record_to=store)
    assert poller.cycle() is False and poller.data.series is None
    assert [r["endpoint"] for r in store.read_bodies("SPY", DATE)] == ["series", "heatmap"]
    assert poller.status.extra["recorded"] == 2
    assert [kind for _, kind, _ in poller.errors] == ["ServerError"]


def test_a_store_that_fails_never_stops_the_polling(
    tmp_path: Path, frozen: ff.Simulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path)
    poller = Poller(frozen, "SPY", record_to=store, leaderboard_every=1)

    def full(*args: Any, **kwargs: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "append_bodies", full)
    assert poller.cycle() is True  # landed all the same
    assert poller.data.series is not None and poller.status.last_error is None
    assert poller.status.backoff == 0.0
    errors = poller.errors
    assert [kind for _, kind, _ in errors] == ["record", "record"]  # SPY's, the market-wide
    assert "SPY 2026-09-18 bodies not recorded (3)" in errors[0][2]
    assert "No space left on device" in errors[0][2]
    assert "market-wide 2026-09-18" in errors[1][2]
    assert poller.status.extra["record_errors"] == 4 and poller.status.extra["recorded"] == 0

    monkeypatch.undo()  # the disk has room again: the next cycle is recorded whole
    assert poller.cycle() is True
    assert poller.status.extra["recorded"] == 4 and poller.status.extra["record_errors"] == 4
    assert len(store.read_bodies("SPY", DATE)) == 3 and len(store.read_bodies(None, DATE)) == 1


def test_a_body_that_cannot_be_encoded_is_a_record_error(tmp_path: Path) -> None:
    class Odd(Proxy):
        def get_snapshot(self, symbol: str, *, expiry: Any = None) -> dict[str, Any]:
            body = super().get_snapshot(symbol, expiry=expiry)
            return {**body, "odd": object()}  # nothing a reader looks at

    sim = ff.Simulated(seed=3, date=DATE, now="14:00", scale=0.02, symbols=("SPY",))
    poller = Poller(Odd(sim), "SPY", record_to=Store(tmp_path), leaderboard_every=None)
    assert poller.cycle() is True
    assert poller.status.extra == poller.status.extra | {"recorded": 2, "record_errors": 1}
    assert [kind for _, kind, _ in poller.errors] == ["record"]
    assert poller.errors[0][2].startswith("snapshot body not recorded (1): TypeError")


# --------------------------------------------------------------------------- async


def test_acycle_writes_in_a_worker_thread(
    tmp_path: Path, frozen: ff.Simulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path)
    threads: list[threading.Thread] = []
    append = store.append_bodies

    def spy(*args: Any, **kwargs: Any) -> int:
        threads.append(threading.current_thread())
        return append(*args, **kwargs)

    monkeypatch.setattr(store, "append_bodies", spy)
    poller = Poller(frozen, "SPY", record_to=store)

    async def main() -> bool:
        return await poller.acycle()

    assert asyncio.run(main()) is True
    assert len(threads) == 2 and threading.main_thread() not in threads
    assert poller.status.extra["recorded"] == 4
    assert len(store.read_bodies("SPY", DATE)) == 3

    threads.clear()
    assert poller.cycle()  # the sync cycle writes inline
    assert threads == [threading.main_thread()]


class Hanging:
    """An async source whose snapshot never answers (the series and heatmap do)."""

    def __init__(self, inner: ff.Simulated) -> None:
        self.inner = inner
        self.clock = inner.clock
        self.waiting = False

    async def get_series(self, symbol: str, **kwargs: Any) -> dict[str, Any]:
        return self.inner.get_series(symbol, **kwargs)

    async def get_heatmap(self, symbol: str, **kwargs: Any) -> dict[str, Any]:
        return self.inner.get_heatmap(symbol, **kwargs)

    async def get_snapshot(self, symbol: str, **kwargs: Any) -> dict[str, Any]:
        self.waiting = True
        await asyncio.Event().wait()
        raise AssertionError("never answers")


def test_a_cycle_cancelled_mid_way_records_what_it_received(
    tmp_path: Path, frozen: ff.Simulated
) -> None:
    store = Store(tmp_path)
    source = Hanging(frozen)
    poller = Poller(source, "SPY", record_to=store, leaderboard_every=None)  # type: ignore[arg-type]

    async def main() -> None:
        task = asyncio.create_task(poller.acycle())
        await until(lambda: source.waiting)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert [r["endpoint"] for r in store.read_bodies("SPY", DATE)] == ["series", "heatmap"]
    assert poller.status.extra["recorded"] == 2 and poller.data.series is None
    assert not poller._busy  # the next cycle may run


# --------------------------------------------------------------------------- the key


def test_the_api_key_never_reaches_the_store(tmp_path: Path, fake_api: FakeAPI) -> None:
    echo = {**fixture("series_1m.json"), "echo": f"your key is {KEY}"}
    fake_api.script("series", Fault.http(200, echo))
    now = pd.Timestamp("2026-09-18 17:12Z")  # where FakeAPI's session stands
    with ff.FlashAlpha(KEY, base_url=fake_api.url, sleep=lambda s: None, seed=1) as client:
        poller = Poller(client, "SPY", now=lambda: now, record_to=Store(tmp_path))
        assert poller.cycle() is True
    assert poller.status.extra["recorded"] == 4 and poller.errors == []
    series = poller.record_to.read_bodies("SPY", DATE, "series") if poller.record_to else []
    assert orjson.loads(series[0]["body"])["echo"] == "your key is ***"
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".jsonl.gz") for p in files)
    for path in files:
        data = path.read_bytes()
        text = gzip.decompress(data) if path.name.endswith(".gz") else data
        assert KEY.encode() not in text and KEY.encode() not in data, path


def test_a_403_that_turns_a_panel_off_is_recorded_once(tmp_path: Path, fake_api: FakeAPI) -> None:
    tier = fixture("error_403_tier.json")
    fake_api.script("heatmap", Fault.http(403, tier))
    now = pd.Timestamp("2026-09-18 17:12Z")
    store = Store(tmp_path)
    with ff.FlashAlpha(KEY, base_url=fake_api.url, sleep=lambda s: None, seed=1) as client:
        poller = Poller(client, "SPY", now=lambda: now, record_to=store, leaderboard_every=None)
        assert poller.cycle() is True and poller.cycle() is True
    assert poller.status.extra["disabled"] == ["heatmap"]
    heat = store.read_bodies("SPY", DATE, "heatmap")
    assert [(r["status"], r["as_of"], r["params"]) for r in heat] == [
        (403, None, {"metric": "gex", "mode": "raw", "bar": "1m", "minutes": "390"})
    ]
    assert orjson.loads(heat[0]["body"]) == tier
    assert [r["status"] for r in store.read_bodies("SPY", DATE, "series")] == [200, 200]


# --------------------------------------------------------------------------- dashboard


def test_the_dashboard_passes_record_to_through(tmp_path: Path, frozen: ff.Simulated) -> None:
    dash = Dashboard("SPY", frozen, render="png", record_to=tmp_path / "flow")
    store = dash.poller.record_to
    assert isinstance(store, Store) and store.path == tmp_path / "flow"
    assert "recorded 0" in dash.status_line.html.value
    dash.refresh()
    assert len(store.read_bodies("SPY", DATE)) == 3
    assert len(store.read_bodies(None, DATE)) == 1
    assert "recorded 4" in dash.status_line.html.value

    plain = Dashboard("SPY", frozen, render="png")
    assert plain.poller.record_to is None and "recorded" not in plain.status_line.html.value
