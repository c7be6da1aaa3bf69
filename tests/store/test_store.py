"""``ff.Store``: one on-disk layout for bodies, engine inputs and results (issue 15).

Everything a loader returns goes into the store and comes back identical (values, dtypes,
index / coords, index classes, attrs), including what plain Parquet and Zarr do not keep
(an empty series' regime categories, the grids' UTC bar index); a Market comes back equal;
recorded bodies come back as the exact bytes, appended without duplicates and surviving a
torn last record; a store of a newer format is refused with both versions named.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import flowframe as ff
from flowframe._version import __version__
from flowframe.frames import UTCBarIndex
from flowframe.store import FORMAT, Store

DATE = "2026-09-18"
Loaded = pd.DataFrame | xr.DataArray | xr.Dataset

_SIMS: dict[str, ff.Simulated] = {}


def sim(now: str = "14:45") -> ff.Simulated:
    """The session of the brief (built once per clock time)."""
    if now not in _SIMS:
        _SIMS[now] = ff.Simulated(seed=0, date=DATE, now=now)
    return _SIMS[now]


def quietly(load: Callable[[], Loaded]) -> Loaded:
    """Load where a loader warns the answer is empty (before the open)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ff.FlowframeWarning)
        return load()


def snapshots() -> pd.DataFrame:
    times = pd.date_range(f"{DATE} 10:00", f"{DATE} 14:30", freq="90min", tz="America/New_York")
    return ff.snapshots_frame(ff.snapshot("SPY", source=sim().at(t)) for t in times)


def loader(load: Callable[..., Loaded], *args: str, **params: Any) -> Callable[[], Loaded]:
    return lambda: load(*args, **params, source=sim())


# every kind of object the loaders return: (symbol it is stored under, builder)
CASES: dict[str, tuple[str | None, Callable[[], Loaded]]] = {
    "series-30s": ("SPY", lambda: ff.series("SPY", source=sim())),
    "series-5m": ("SPX", lambda: ff.series("SPX", bar="5m", minutes=300, source=sim())),
    **{
        f"hedge_flow-{side}-{bar}": (
            "SPY",
            loader(ff.hedge_flow, "SPY", side=side, bar=bar, minutes=120),
        )
        for side in ("all", "calls", "puts")
        for bar in ("30s", "5m")
    },
    **{
        f"heatmap-{metric}-{mode}": (
            "SPY",
            loader(ff.heatmap, "SPY", metric=metric, mode=mode),
        )
        for metric in ("gex", "dex", "oi")
        for mode in ("raw", "delta")
    },
    "strike_flow": ("SPY", lambda: ff.strike_flow("SPY", source=sim())),
    "leaderboard": (None, lambda: ff.leaderboard(source=sim())),
    "snapshots": ("SPY", snapshots),
    "preopen-series": ("SPY", lambda: quietly(lambda: ff.series("SPY", source=sim("09:00")))),
    "preopen-heatmap": ("SPY", lambda: quietly(lambda: ff.heatmap("SPY", source=sim("09:00")))),
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "flow")


def variables(obj: xr.DataArray | xr.Dataset) -> dict[Hashable, xr.Variable]:
    if isinstance(obj, xr.Dataset):
        return dict(obj.variables)
    return {**{k: v.variable for k, v in obj.coords.items()}, obj.name: obj.variable}


def assert_same(back: Loaded, obj: Loaded) -> None:
    """Equal values, dtypes, index / coords and their classes, names and attrs, exactly."""
    assert type(back) is type(obj)
    if isinstance(obj, pd.DataFrame):
        assert isinstance(back, pd.DataFrame)
        pd.testing.assert_frame_equal(back, obj, check_exact=True)
        assert back.dtypes.to_dict() == obj.dtypes.to_dict()
        assert back.index.dtype == obj.index.dtype and back.index.name == obj.index.name
    else:
        assert isinstance(back, xr.DataArray | xr.Dataset)
        xr.testing.assert_identical(back, obj)
        backs = variables(back)
        for name, var in variables(obj).items():
            assert backs[name].dtype == var.dtype, name
            assert backs[name].attrs == var.attrs, name
        assert {k: type(v) for k, v in back.xindexes.items()} == {
            k: type(v) for k, v in obj.xindexes.items()
        }
    assert list(back.attrs) == list(obj.attrs) and back.attrs == obj.attrs


# --------------------------------------------------------------------------- opening a store


def test_a_new_store_writes_its_format_and_reopens(tmp_path: Path) -> None:
    store = Store(tmp_path / "new" / "flow")
    info = json.loads((tmp_path / "new" / "flow" / "store.json").read_text())
    assert info["format"] == FORMAT == Store.FORMAT == 1
    assert info["flowframe_version"] == __version__
    assert store.format == 1 and store.path == tmp_path / "new" / "flow"
    assert repr(store) == f"Store({str(store.path)!r}, format=1, bodies=0, market=0, results=0)"
    again = Store(str(tmp_path / "new" / "flow"))
    assert again.format == 1 and again.partitions().empty


def test_a_store_of_a_newer_format_is_refused_naming_both_versions(tmp_path: Path) -> None:
    root = tmp_path / "flow"
    Store(root)
    info = json.loads((root / "store.json").read_text())
    (root / "store.json").write_text(json.dumps({**info, "format": 2, "flowframe_version": "9.1"}))
    with pytest.raises(ValueError) as caught:
        Store(root)
    message = str(caught.value)
    assert "store format 2, written by flowframe 9.1" in message
    assert f"this flowframe ({__version__}) reads store formats 1 to 1" in message


def test_a_partition_of_a_newer_format_is_refused_too(store: Store) -> None:
    store.write_result(pd.DataFrame({"x": [1.0]}), name="x", symbol="SPY", date=DATE)
    manifest = store.path / "results/x/date=2026-09-18/symbol=SPY/_manifest.json"
    info = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**info, "format": 3, "flowframe_version": "10.0"}))
    with pytest.raises(ValueError, match=r"store format 3, written by flowframe 10\.0"):
        store.read_result("x", symbol="SPY", date=DATE)


def test_a_directory_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"is not a flowframe store \(it has no store.json\)"):
        Store(tmp_path)
    with pytest.raises(ValueError, match="is a file; give a directory"):
        Store(tmp_path / "notes.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_importing_the_store_does_not_load_zarr() -> None:
    # (pyarrow is not checked: pandas 3 imports it itself when it is installed)
    code = "import sys, flowframe.store\nprint('zarr' in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["False"]


# --------------------------------------------------------------------------- results


@pytest.mark.parametrize("case", list(CASES))
def test_every_loader_object_round_trips(case: str, store: Store) -> None:
    symbol, build = CASES[case]
    obj = build()
    size = len(obj) if isinstance(obj, pd.DataFrame) else obj.sizes["bar"]
    assert (size == 0) == case.startswith("preopen"), case  # not vacuous
    path = store.write_result(obj, name=case, symbol=symbol, date=DATE)
    back = store.read_result(case, symbol=symbol, date=DATE)
    assert_same(back, obj)
    sym = "_all" if symbol is None else symbol
    data = "data.parquet" if isinstance(obj, pd.DataFrame) else "data.zarr"
    assert path == store.path / "results" / case / f"date={DATE}" / f"symbol={sym}"
    assert sorted(p.name for p in path.iterdir()) == ["_manifest.json", data]


def test_a_grid_comes_back_with_its_utc_bar_index(store: Store) -> None:
    gex = ff.heatmap("SPY", source=sim())
    store.write_result(gex, name="gex", symbol="SPY", date=DATE)
    back = store.read_result("gex", symbol="SPY", date=DATE)
    assert isinstance(back, xr.DataArray)
    assert type(back.xindexes["bar"]) is UTCBarIndex
    t = pd.Timestamp(f"{DATE} 14:30", tz="America/New_York")  # tz-aware labels select
    assert float(back.sel(bar=t).spot) == float(gex.sel(bar=t).spot)
    manifest = store.manifest("results", "SPY", DATE, name="gex")
    assert manifest["indexes"] == {"bar": "flowframe.frames._bars:UTCBarIndex"}


def test_a_grid_opens_lazily(store: Store) -> None:
    flow = ff.strike_flow("SPY", source=sim())
    store.write_result(flow, name="flow", symbol="SPY", date=DATE)
    lazy = store.read_result("flow", symbol="SPY", date=DATE, lazy=True)
    assert isinstance(lazy, xr.Dataset)
    # not read yet: xarray's lazy arrays (dask is not installed), not numpy
    assert not isinstance(lazy["contracts"].variable._data, np.ndarray)
    assert type(lazy.xindexes["bar"]) is UTCBarIndex
    assert_same(lazy.load(), flow)


def test_an_empty_series_keeps_its_categories_where_plain_parquet_does_not(
    store: Store, tmp_path: Path
) -> None:
    empty = CASES["preopen-series"][1]()
    assert isinstance(empty, pd.DataFrame) and empty.empty
    empty.to_parquet(tmp_path / "plain.parquet")
    plain = pd.read_parquet(tmp_path / "plain.parquet")
    lost = plain["regime"].dtype  # the pyarrow gap: the categories are lost
    assert isinstance(lost, pd.CategoricalDtype) and list(lost.categories) == []
    store.write_result(empty, name="series", symbol="SPY", date=DATE)
    back = store.read_result("series", symbol="SPY", date=DATE)
    assert back["regime"].dtype == pd.CategoricalDtype(
        pd.Index(["positive_gamma", "negative_gamma", "neutral"], dtype="str")
    )
    assert_same(back, empty)


def test_parquet_results_read_as_one_hive_dataset(store: Store) -> None:
    for symbol in ("SPY", "QQQ"):
        obj = ff.hedge_flow(symbol, minutes=5, source=sim())
        store.write_result(obj, name="hedge", symbol=symbol, date=DATE)
    both = pd.read_parquet(store.path / "results" / "hedge")
    assert sorted(both["symbol"].astype(str).unique()) == ["QQQ", "SPY"]
    assert len(both) == 2 * 10


def test_results_are_refused_with_what_is_allowed(store: Store) -> None:
    with pytest.raises(
        ValueError, match=r"stores a pandas\.DataFrame, xarray\.DataArray or xarray"
    ):
        store.write_result(pd.Series([1.0]), name="s", symbol="SPY", date=DATE)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name='a/b' is not allowed; a result name is 1 to 100"):
        store.write_result(pd.DataFrame({"x": [1]}), name="a/b", symbol="SPY", date=DATE)
    with pytest.raises(ValueError, match=r"date='18/09/2026' is not allowed; use a datetime\.date"):
        store.write_result(pd.DataFrame({"x": [1]}), name="a", symbol="SPY", date="18/09/2026")
    with pytest.raises(ValueError, match="params must hold JSON values"):
        store.write_result(
            pd.DataFrame({"x": [1]}), name="a", symbol="SPY", date=DATE, params={"f": object()}
        )
    store.write_result(pd.DataFrame({"x": [1]}), name="a", symbol="SPY", date=DATE)
    with pytest.raises(FileNotFoundError, match=r"no result 'b' .* it holds: a SPY 2026-09-18$"):
        store.read_result("b", symbol="SPY", date=DATE)
    with pytest.raises(FileNotFoundError, match="it holds: a SPY 2026-09-18"):
        store.read_result("a", symbol="QQQ", date=DATE)


def test_a_failed_write_leaves_the_result_before_it(store: Store) -> None:
    first = pd.DataFrame({"x": [1.0, 2.0]})
    store.write_result(first, name="x", symbol="SPY", date=DATE)
    with pytest.raises(ValueError, match="Could not convert 'a'"):  # pyarrow, mid-write
        store.write_result(pd.DataFrame({"x": [3.0, "a"]}), name="x", symbol="SPY", date=DATE)
    assert_same(store.read_result("x", symbol="SPY", date=DATE), first)
    scratch = list(store.path.rglob(".*"))
    assert scratch == []


# --------------------------------------------------------------------------- manifests


def test_manifests_and_partitions_describe_what_is_stored(store: Store) -> None:
    gex = ff.heatmap("SPY", source=sim())
    store.write_result(gex, name="gex", symbol="SPY", date=DATE, params={"metric": "gex"})
    store.write_result(ff.leaderboard(source=sim()), name="board", symbol=None, date=DATE)
    manifest = store.manifest("results", "SPY", DATE, name="gex")
    assert manifest["format"] == 1 and manifest["flowframe_version"] == __version__
    assert (manifest["kind"], manifest["name"], manifest["date"], manifest["symbol"]) == (
        "results",
        "gex",
        DATE,
        "SPY",
    )
    assert manifest["type"] == "DataArray"
    assert manifest["source"] == "Simulated(seed=0, 2026-09-18)"  # from attrs["source"]
    assert manifest["params"] == {"metric": "gex"}
    assert list(manifest["files"]) == ["data.zarr"]
    assert len(manifest["sha256"]) == 64
    assert manifest["created"].endswith("Z") and manifest["updated"] >= manifest["created"]

    parts = store.partitions()
    assert list(parts.columns) == [
        "kind",
        "name",
        "date",
        "symbol",
        "type",
        "source",
        "params",
        "records",
        "torn",
        "sha256",
        "flowframe_version",
        "format",
        "created",
        "updated",
        "path",
    ]
    assert parts[["kind", "name", "date", "symbol", "type"]].values.tolist() == [
        ["results", "board", DATE, None, "DataFrame"],
        ["results", "gex", DATE, "SPY", "DataArray"],
    ]
    assert parts["params"].tolist() == [{}, {"metric": "gex"}]
    assert str(parts["created"].dtype) == "datetime64[ns, UTC]"
    assert str(parts["records"].dtype) == "Int64" and parts["records"].isna().all()
    assert parts["sha256"].iloc[1] == manifest["sha256"]
    assert store.partitions("market").empty
    assert repr(store).endswith("format=1, bodies=0, market=0, results=2)")
    with pytest.raises(ValueError, match=r"kind='cache' is not one of \['bodies', 'market'"):
        store.partitions("cache")  # type: ignore[arg-type]


def test_the_hash_follows_the_inputs(store: Store) -> None:
    def digest() -> str:
        return str(store.manifest("results", "SPY", DATE, name="r")["sha256"])

    def write(obj: Loaded) -> str:
        store.write_result(obj, name="r", symbol="SPY", date=DATE)
        return digest()

    frame = ff.hedge_flow("SPY", source=sim())
    grid = ff.heatmap("SPY", source=sim())
    first = write(frame)
    created = store.manifest("results", "SPY", DATE, name="r")["created"]
    assert write(frame.copy()) == first  # the same inputs, the same hash
    changed = frame.copy()
    changed["bar"] = changed["bar"] + 1.0
    assert write(changed) != first
    assert write(grid) == write(grid.copy()) != first
    grid2 = grid.copy()
    grid2[0, 0] = 0.5
    assert write(grid2) != write(grid)
    assert store.manifest("results", "SPY", DATE, name="r")["created"] == created


def test_symbols_and_dates_are_spelled_one_way_on_disk(store: Store) -> None:
    frame = pd.DataFrame({"x": [1.0]})
    late = pd.Timestamp(f"{DATE} 23:30", tz="UTC")  # 19:30 in New York: the 18th's session
    for symbol in ("es=f", "BRK/B", "A_B"):
        store.write_result(frame, name="x", symbol=symbol, date=late)
    base = store.path / "results" / "x" / f"date={DATE}"
    assert sorted(p.name for p in base.iterdir()) == [
        "symbol=A%5FB",
        "symbol=BRK%2FB",
        "symbol=ES%3DF",
    ]
    assert store.partitions()["symbol"].tolist() == ["A_B", "BRK/B", "ES=F"]
    assert_same(store.read_result("x", symbol="brk/b", date=dt.date(2026, 9, 18)), frame)


# --------------------------------------------------------------------------- markets


def test_a_market_round_trips(store: Store) -> None:
    market = sim().market("SPY")
    path = store.write_market(market, params={"seed": 0})
    assert path == store.path / f"market/date={DATE}/symbol=SPY"
    assert sorted(p.name for p in path.iterdir()) == [
        "_manifest.json",
        "chain.parquet",
        "events.parquet",
        "quality.parquet",
        "spot.parquet",
        "tape.parquet",
    ]
    back = store.read_market("spy", DATE)
    assert (back.symbol, back.date, back.expiration) == (market.symbol, market.date, DATE)
    for field in ("chain", "tape", "quality", "events"):
        assert_same(getattr(back, field), getattr(market, field))
    assert back.chain.attrs["iv_clock"] == "trading"
    assert back.quality.attrs == {"symbol": "SPY", "date": DATE, "source": "simulated"}
    pd.testing.assert_series_equal(back.spot, market.spot, check_exact=True)
    assert back.spot.index.dtype == "datetime64[ns, UTC]" and back.spot.name == "spot"
    assert back.profile == market.profile and back.checked is market.checked is True
    assert repr(back) == repr(market)
    manifest = store.manifest("market", "SPY", DATE)
    assert (manifest["type"], manifest["source"], manifest["params"]) == (
        "Market",
        "simulated",
        {"seed": 0},
    )
    assert set(manifest["files"]) == {
        f"{k}.parquet" for k in ("chain", "tape", "spot", "quality", "events")
    }


def test_a_market_from_your_own_frames_round_trips(store: Store) -> None:
    sim_spy = sim().market("SPY")
    tape = sim_spy.tape.head(200).drop(columns=["side"])  # classified from its quotes
    market = ff.Market.from_frames(
        symbol="SPY",
        chain=sim_spy.chain,
        tape=tape,
        spot=sim_spy.spot,
        expiration=DATE,
        source="my-vendor",
        iv_clock="calendar",
    )
    assert market.profile is None and market.events.empty
    store.write_market(market)
    back = store.read_market("SPY", pd.Timestamp(DATE))
    for field in ("chain", "tape", "quality", "events"):
        assert_same(getattr(back, field), getattr(market, field))
    assert back.chain.attrs["iv_clock"] == "calendar" and back.profile is None
    assert store.manifest("market", "SPY", DATE)["source"] == "my-vendor"


def test_a_market_read_back_computes_the_same_flow(store: Store) -> None:
    market = sim().market("SPY")
    store.write_market(market)
    now = pd.Timestamp(f"{DATE} 14:45", tz="America/New_York")
    mine = ff.Local.from_market(store.read_market("SPY", DATE), now=now)
    theirs = ff.Local.from_market(market, now=now)
    got = ff.hedge_flow("SPY", bar="5m", minutes=60, source=mine)
    want = ff.hedge_flow("SPY", bar="5m", minutes=60, source=theirs)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_a_missing_market_names_what_the_store_holds(store: Store) -> None:
    with pytest.raises(FileNotFoundError, match=r"no market for QQQ on 2026-09-18 .* holds: none"):
        store.read_market("QQQ", DATE)
    with pytest.raises(ValueError, match="symbol is required here"):
        store.manifest("market", None, DATE)


# --------------------------------------------------------------------------- bodies


def body(i: int, **extra: Any) -> bytes:
    return json.dumps({"symbol": "SPY", "as_of": f"{DATE}T18:45:{i:02d}Z", **extra}).encode()


def records(n: int, endpoint: str = "hedge-flow") -> list[dict[str, Any]]:
    return [
        {
            "endpoint": endpoint,
            "params": {"side": "all", "bar": "30s", "minutes": "60"},
            "received_at": f"{DATE}T18:45:{i:02d}.500000Z",
            "status": 200,
            "body": body(i, bars=[{"t": "x", "bar": i * 1.5}]),
        }
        for i in range(n)
    ]


def read_back(given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records as read_bodies returns them: the body's as_of added."""
    return [{**r, "as_of": json.loads(r["body"])["as_of"]} for r in given]


def test_bodies_append_once_and_read_back_exactly(store: Store) -> None:
    flow = records(4)
    assert store.append_bodies(flow[:3], symbol="SPY", date=DATE) == 3
    assert store.append_bodies(flow, symbol="SPY", date=DATE) == 1  # the three held: skipped
    assert store.append_bodies(flow, symbol="spy", date=DATE) == 0
    back = store.read_bodies("SPY", DATE)
    assert back == read_back(flow)
    assert [r["body"] for r in back] == [r["body"] for r in flow]  # the exact bytes
    assert list(back[0]) == ["endpoint", "params", "as_of", "received_at", "status", "body"]
    # a fresh Store finds the same records on disk (no in-memory state)
    assert Store(store.path).append_bodies(flow, symbol="SPY", date=DATE) == 0
    assert Store(store.path).read_bodies("SPY", DATE) == read_back(flow)
    # the file is plain multi-member gzip JSON lines
    path = store.path / f"bodies/date={DATE}/symbol=SPY/hedge-flow.jsonl.gz"
    lines = gzip.decompress(path.read_bytes()).splitlines()
    assert [json.loads(line)["body"].encode() for line in lines] == [r["body"] for r in flow]
    manifest = store.manifest("bodies", "SPY", DATE)
    assert manifest["records"] == {"hedge-flow": 4} and manifest["torn"] == {}
    assert list(manifest["files"]) == ["hedge-flow.jsonl.gz"]


def test_bodies_keep_any_bytes_and_key_errors_by_arrival(store: Store) -> None:
    odd = {**records(1)[0], "body": b"\xff\xfe not utf-8 \x00"}
    err = {
        "endpoint": "hedge-flow",
        "params": {"side": "all"},
        "received_at": pd.Timestamp(f"{DATE} 14:46", tz="America/New_York"),
        "status": 429,
        "body": b'{"error": "quota_exceeded"}',
    }
    later = {**err, "received_at": f"{DATE}T18:47:00Z"}
    assert store.append_bodies([odd, err, later, err], symbol="SPY", date=DATE) == 3
    back = store.read_bodies("SPY", DATE, endpoint="hedge-flow")
    assert [r["body"] for r in back] == [odd["body"], err["body"], later["body"]]
    assert [r["as_of"] for r in back] == [None, None, None]
    assert back[1]["received_at"] == f"{DATE}T18:46:00Z" and back[1]["status"] == 429


def test_bodies_of_several_endpoints_read_in_arrival_order(store: Store) -> None:
    flow, series = records(2), records(2, "series")
    series[0]["received_at"] = f"{DATE}T18:44:00Z"
    board = {**records(1, "leaderboard")[0], "params": {"metric": "heat", "n": "10"}}
    store.append_bodies([*flow, *series], symbol="SPY", date=DATE)
    store.append_bodies([board], symbol=None, date=DATE)
    got = store.read_bodies("SPY", DATE)
    assert [(r["endpoint"], r["received_at"]) for r in got] == [
        ("series", f"{DATE}T18:44:00Z"),
        ("hedge-flow", f"{DATE}T18:45:00.500000Z"),
        ("series", f"{DATE}T18:45:01.500000Z"),  # a tie: in the endpoints' order
        ("hedge-flow", f"{DATE}T18:45:01.500000Z"),
    ]
    assert store.read_bodies(None, DATE) == read_back([board])
    assert store.read_bodies("QQQ", DATE) == []
    parts = store.partitions("bodies")
    assert parts[["symbol", "type", "records", "torn"]].values.tolist() == [
        ["SPY", "bodies", 4, 0],
        [None, "bodies", 1, 0],
    ]


def test_a_torn_last_record_is_ignored_then_cut_off_and_counted(store: Store) -> None:
    flow = records(5)
    store.append_bodies(flow, symbol="SPY", date=DATE)
    path = store.path / f"bodies/date={DATE}/symbol=SPY/hedge-flow.jsonl.gz"
    whole = path.stat().st_size
    os.truncate(path, whole - 7)  # the recorder killed mid-way through the last record
    with pytest.warns(ff.FlowframeWarning, match=r"ends in a torn record \(\d+ bytes after"):
        assert store.read_bodies("SPY", DATE) == read_back(flow[:4])
    # the restarted recorder appends everything again: the torn one comes back, once
    assert Store(store.path).append_bodies(flow, symbol="SPY", date=DATE) == 1
    assert path.stat().st_size == whole
    assert store.read_bodies("SPY", DATE) == read_back(flow)
    manifest = store.manifest("bodies", "SPY", DATE)
    assert manifest["torn"] == {"hedge-flow": 1} and manifest["records"] == {"hedge-flow": 5}
    assert store.partitions("bodies")["torn"].tolist() == [1]


def test_a_zero_filled_tail_is_torn_but_damage_before_records_is_an_error(
    store: Store,
) -> None:
    flow = records(3)
    store.append_bodies(flow, symbol="SPY", date=DATE)
    path = store.path / f"bodies/date={DATE}/symbol=SPY/hedge-flow.jsonl.gz"
    whole = path.read_bytes()
    path.write_bytes(whole + bytes(512))  # a crash left zeros where a record was going
    with pytest.warns(ff.FlowframeWarning, match=r"torn record \(512 bytes"):
        assert store.read_bodies("SPY", DATE) == read_back(flow)
    assert store.append_bodies(records(4), symbol="SPY", date=DATE) == 1
    assert store.manifest("bodies", "SPY", DATE)["torn"] == {"hedge-flow": 1}
    path.write_bytes(whole[:10] + bytes(20) + whole[30:])  # damage with records after it
    with pytest.raises(ff.SchemaError, match=r"damaged at byte 0 .* with records after it"):
        Store(store.path).read_bodies("SPY", DATE)
    with pytest.raises(ff.SchemaError, match="nothing is cut off"):
        Store(store.path).append_bodies(records(5), symbol="SPY", date=DATE)


def test_the_bodies_hash_follows_the_records(store: Store) -> None:
    store.append_bodies(records(2), symbol="SPY", date=DATE)
    first = store.manifest("bodies", "SPY", DATE)["sha256"]
    store.append_bodies(records(2), symbol="SPY", date=DATE)
    assert store.manifest("bodies", "SPY", DATE)["sha256"] == first
    store.append_bodies(records(3), symbol="SPY", date=DATE)
    assert store.manifest("bodies", "SPY", DATE)["sha256"] != first


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"endpoint": "gex"}, r"record 1: endpoint='gex' is not one of \['snapshot', 'series'"),
        ({"status": "200"}, r"record 1: status must be an HTTP status int \(100-599\)"),
        ({"body": "text"}, "record 1: body must be the response's bytes, got str"),
        ({"received_at": "2026-09-18 14:45"}, "record 1: received_at=.* has no time zone"),
        ({"params": {"n": object()}}, "record 1: params must hold JSON values"),
        ({"extra": 1}, r"exactly the keys .*; missing \[\], unknown \['extra'\]"),
    ],
)
def test_a_bad_record_is_refused_and_nothing_is_written(
    store: Store, change: dict[str, Any], message: str
) -> None:
    bad = {**records(1)[0], **change}
    with pytest.raises(ValueError, match=message):
        store.append_bodies([*records(2)[1:], bad], symbol="SPY", date=DATE)
    assert not (store.path / "bodies").exists()
