"""ff.sessions: many sessions x symbols on Dask (threaded, synchronous, LocalCluster), cached."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import flowframe as ff
from flowframe._session import session_bounds
from flowframe.research import sessions
from flowframe.research.sessions import HEDGE_VARIABLES, SERIES_VARIABLES, VARIABLE_UNITS

SYMBOLS = ["SPY", "QQQ"]
# six consecutive session days (Thanksgiving week is past; 12-05/06 are a weekend)
DATES = ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07"]
ALL = list(HEDGE_VARIABLES + SERIES_VARIABLES)
CALLS: list[str] = []  # days counting_source was asked for (threaded runs share the process)
FORBID: list[bool] = []


def small_source(day: dt.date) -> Any:
    """A fast simulated source for ``day``, clock at its close (module level: picklable)."""
    close = session_bounds(day)[1]
    return ff.Simulated(seed=7, date=day, now=close, symbols=("SPY", "QQQ"), scale=0.05)


def counting_source(day: dt.date) -> Any:
    if FORBID:
        raise AssertionError(f"computed {day} although it is cached")
    CALLS.append(day.isoformat())
    return small_source(day)


def killing_source(marker: str, day: dt.date) -> Any:
    """Kill this worker process the first time any task runs (the marker file says so).

    The marker holds the worker's ``MALLOC_TRIM_THRESHOLD_`` (``"unset"`` without one).
    """
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return small_source(day)
    os.write(fd, os.environ.get("MALLOC_TRIM_THRESHOLD_", "unset").encode())
    os.close(fd)
    os._exit(1)


ROOT = Path(__file__).resolve().parents[2]


def on_cluster(call: str, out: Path) -> xr.Dataset:
    """Run ``sessions(...)`` with ``parallel=True`` in a fresh interpreter and load its result.

    Under pytest, spawned Dask workers cannot import this test module (they do not get pytest's
    ``sys.path``, and a task they cannot unpickle leaves ``gather`` waiting), so the cluster
    runs in a child process whose working directory is the repository root.
    """
    code = (
        "import pickle, sys\n"
        "import functools\nfrom flowframe.research import sessions\nfrom tests.research.test_sessions import SYMBOLS, DATES, small_source, killing_source\n"
        f"ds = {call}\n"
        f"pickle.dump(ds, open({str(out)!r}, 'wb'))\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=300)
    with out.open("rb") as fh:
        ds = pickle.load(fh)
    assert isinstance(ds, xr.Dataset)
    return ds


@pytest.fixture(scope="module")
def threaded() -> xr.Dataset:
    return sessions(SYMBOLS, DATES, source=small_source, progress=False)


def test_dims_coords_dtypes(threaded: xr.Dataset) -> None:
    ds = threaded
    assert dict(ds.sizes) == {"session": 6, "symbol": 2, "minute": 390}
    assert list(ds.data_vars) == ALL
    assert ds["session"].dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(ds["session"].to_numpy(), pd.to_datetime(DATES).to_numpy())
    assert ds["symbol"].to_numpy().tolist() == ["SPY", "QQQ"]
    assert ds["symbol"].dtype == np.dtypes.StringDType()  # Zarr v3's string, no warning
    assert ds["minute"].dtype == np.dtype("int64")
    np.testing.assert_array_equal(ds["minute"].to_numpy(), np.arange(390))
    for name in ALL:
        var = ds[name]
        assert var.dims == ("session", "symbol", "minute")
        assert var.dtype == np.dtype("float64")
        assert var.attrs == {"units": VARIABLE_UNITS[name]}
    assert ds.attrs == {
        "bar_size": "1m",
        "source": "tests.research.test_sessions:small_source",
        "padding": "NaN after the close: an early-close session (210 minutes) is NaN-padded to 390",
        "early_close_sessions": "",
    }
    # full sessions: every bar present for every variable that the simulation fills
    assert not bool(ds["spot"].isnull().any())
    assert not bool(ds["hedge_all"].isnull().any())


def test_values_match_the_loaders(threaded: xr.Dataset) -> None:
    day = dt.date(2026, 12, 2)
    src = small_source(day)
    flow = ff.hedge_flow("QQQ", side="split", bar="1m", minutes=390, source=src)
    table = ff.series("QQQ", bar="1m", minutes=390, source=src)
    cell = threaded.sel(session="2026-12-02", symbol="QQQ")
    np.testing.assert_array_equal(cell["hedge_all"].to_numpy(), flow["bar"].to_numpy())
    np.testing.assert_array_equal(cell["hedge_calls"].to_numpy(), flow["calls_bar"].to_numpy())
    np.testing.assert_array_equal(cell["hedge_puts"].to_numpy(), flow["puts_bar"].to_numpy())
    np.testing.assert_array_equal(cell["spot"].to_numpy(), table["spot"].to_numpy())
    np.testing.assert_array_equal(cell["net_gex"].to_numpy(), table["net_gex"].to_numpy())
    np.testing.assert_array_equal(
        (cell["hedge_calls"] + cell["hedge_puts"]).to_numpy(), cell["hedge_all"].to_numpy()
    )


def test_serial_threaded_and_cluster_are_identical(threaded: xr.Dataset, tmp_path: Path) -> None:
    with dask.config.set(scheduler="synchronous"):
        serial = sessions(SYMBOLS, DATES, source=small_source, progress=False)
    xr.testing.assert_identical(serial, threaded)
    cluster = on_cluster(
        "sessions(SYMBOLS, DATES, source=small_source, parallel=True, progress=False)",
        tmp_path / "cluster.pkl",
    )
    xr.testing.assert_identical(cluster, threaded)


def test_killed_worker_is_retried(threaded: xr.Dataset, tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    ds = on_cluster(
        f"sessions(SYMBOLS, DATES, source=functools.partial(killing_source, {str(marker)!r}),"
        " parallel=True, progress=False)",
        tmp_path / "killed.pkl",
    )
    assert marker.exists()  # a worker did die
    # started without distributed's MALLOC_TRIM_THRESHOLD_=65536 (slow for these tasks)
    assert marker.read_text() == "unset"
    xr.testing.assert_identical(ds.drop_attrs(), threaded.drop_attrs())


def test_cache_round_trip(
    threaded: xr.Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ff.Store(tmp_path / "store")
    CALLS.clear()
    FORBID.clear()
    dates = DATES[:2]
    first = sessions(SYMBOLS, dates, source=counting_source, store=store, progress=False)
    assert sorted(CALLS) == sorted(d for d in dates for _ in SYMBOLS)
    manifest = store.manifest("results", "QQQ", "2026-12-01", name="sessions-1m")
    assert manifest["params"] == {
        "bar": "1m",
        "source": "tests.research.test_sessions:counting_source",
        "heatmaps": [],
    }
    assert manifest["type"] == "Dataset"
    assert manifest["source"] == "tests.research.test_sessions:counting_source"
    FORBID.append(True)
    try:
        again = sessions(SYMBOLS, dates, source=counting_source, store=store, progress=False)
        fields = sessions(["QQQ"], dates[1:], source=counting_source, store=store, fields=["spot"])
    finally:
        FORBID.clear()
    assert len(CALLS) == 4  # nothing computed the second time
    # cached pairs open lazily (a store is given): dask-backed, identical once loaded
    assert all(again[v].chunks is not None for v in again.data_vars)
    assert all(first[v].chunks is None for v in first.data_vars)
    assert fields["spot"].chunks is not None
    xr.testing.assert_identical(again.load(), first)
    expected = threaded.drop_attrs().isel(session=[0, 1])
    xr.testing.assert_identical(first.drop_attrs(), expected)
    xr.testing.assert_identical(
        fields["spot"].drop_attrs(),
        threaded["spot"].drop_attrs().sel(symbol=["QQQ"]).isel(session=[1]),
    )
    # other params (another source) are not a cache hit: computed and rewritten
    CALLS.clear()
    other = sessions(["SPY"], dates[:1], source=small_source, store=store, progress=False)
    assert store.manifest("results", "SPY", "2026-11-30", name="sessions-1m")["params"] == {
        "bar": "1m",
        "source": "tests.research.test_sessions:small_source",
        "heatmaps": [],
    }
    xr.testing.assert_identical(other.drop_attrs(), expected.isel(symbol=[0], session=[0]))


def test_lazy_and_computed_pairs_mix(threaded: xr.Dataset, tmp_path: Path) -> None:
    store = ff.Store(tmp_path / "store")
    sessions(["SPY"], DATES[:2], source=small_source, store=store, progress=False)
    mixed = sessions(["SPY"], DATES[:3], source=small_source, store=store, progress=False)
    # two pairs read lazily, one computed in this call: stacked as one dask array
    assert all(mixed[v].chunks is not None for v in mixed.data_vars)
    xr.testing.assert_identical(
        mixed.load().drop_attrs(), threaded.drop_attrs().sel(symbol=["SPY"]).isel(session=[0, 1, 2])
    )
    eager = sessions(["SPY"], DATES[:3], source=small_source, store=store, lazy=False)
    assert all(eager[v].chunks is None for v in eager.data_vars)
    xr.testing.assert_identical(eager, mixed)


def test_lazy_result_reads_nothing_until_loaded(tmp_path: Path) -> None:
    store = ff.Store(tmp_path / "store")
    first = sessions("SPY", DATES[:1], source=small_source, store=store, fields=["spot"])
    lazy = sessions("SPY", DATES[:1], source=small_source, store=store, fields=["spot"])
    assert lazy["spot"].chunks is not None
    # the values are still on disk: change them there and the lazy result reads the change
    stored = store.read_result("sessions-1m", symbol="SPY", date=DATES[0])
    assert isinstance(stored, xr.Dataset)
    params = store.manifest("results", "SPY", DATES[0], name="sessions-1m")["params"]
    changed = stored.assign(spot=stored["spot"] * 0 + 1.0)
    store.write_result(changed, name="sessions-1m", symbol="SPY", date=DATES[0], params=params)
    assert (lazy["spot"].to_numpy() == 1.0).all()
    assert not (first["spot"].to_numpy() == 1.0).all()


HEATMAP_DATES = ["2026-11-27", "2026-12-01"]  # an early close, then a full session


@pytest.fixture(scope="module")
def with_heatmaps() -> xr.Dataset:
    return sessions(
        SYMBOLS, HEATMAP_DATES, source=small_source, heatmaps=["gex", "oi"], progress=False
    )


def test_heatmap_cubes(with_heatmaps: xr.Dataset, threaded: xr.Dataset) -> None:
    ds = with_heatmaps
    offsets = ds["strike_offset"].to_numpy()
    assert ds["strike_offset"].dtype == np.dtype("int64")
    np.testing.assert_array_equal(offsets, np.arange(offsets[0], offsets[-1] + 1))
    assert offsets[0] < 0 < offsets[-1]
    assert list(ds.data_vars) == [*ALL, "heatmap_gex", "heatmap_oi"]
    for name in ("heatmap_gex", "heatmap_oi"):
        assert ds[name].dims == ("session", "symbol", "minute", "strike_offset")
        assert ds[name].shape == (2, 2, 390, len(offsets))
        assert ds[name].dtype == np.dtype("float64")
    assert ds["heatmap_gex"].attrs == {"units": "USD per 1% move (dealer gamma exposure)"}
    assert ds["heatmap_oi"].attrs == {"units": "contracts (effective open interest)"}
    assert ds["strike"].dims == ("session", "symbol", "strike_offset")
    assert ds["strike"].dtype == np.dtype("float64")
    assert ds.attrs["heatmap_mode"] == "raw"
    assert ds.attrs["strike_axis"].startswith("strike_offset counts listed strikes")
    # the other variables are the same with or without heatmaps
    xr.testing.assert_identical(
        ds[ALL].sel(session=["2026-12-01"]).drop_attrs(),
        threaded.sel(session=["2026-12-01"]).drop_attrs(),
    )
    listed_by_day: dict[str, list[float]] = {}
    for day in HEATMAP_DATES:
        date = dt.date.fromisoformat(day)
        src = small_source(date)
        minutes = 210 if day == "2026-11-27" else 390
        for symbol in SYMBOLS:
            cell = ds.sel(session=day, symbol=symbol)
            strike = cell["strike"].to_numpy()
            listed = ~np.isnan(strike)
            for metric in ("gex", "oi"):
                da = ff.heatmap(symbol, metric=metric, minutes=minutes, source=src)
                # exactly the day's listed strikes, ascending, each value as the loader gave it
                np.testing.assert_array_equal(strike[listed], da["strike"].to_numpy())
                got = cell[f"heatmap_{metric}"].to_numpy()
                np.testing.assert_array_equal(got[:minutes][:, listed], da.to_numpy())
                assert np.isnan(got[:, ~listed]).all()  # not listed that day: NaN, never 0
                assert np.isnan(got[minutes:]).all()  # after an early close
            # offset 0 is the listed strike nearest the first bar's spot
            spot0 = float(da["spot"][0])
            atm = float(cell["strike"].sel(strike_offset=0))
            assert abs(atm - spot0) == np.min(np.abs(da["strike"].to_numpy() - spot0))
            steps = np.diff(strike[listed])
            assert (steps > 0).all()
            listed_by_day.setdefault(symbol, []).append(atm)
    # strikes differ by day (and the axis is honest about it) and by symbol
    assert listed_by_day["SPY"][0] != listed_by_day["SPY"][1]
    assert bool(ds["strike"].isnull().any())  # some (session, symbol) list fewer strikes


def test_heatmaps_are_cached_with_their_params(tmp_path: Path) -> None:
    store = ff.Store(tmp_path / "store")
    CALLS.clear()
    FORBID.clear()
    day = ["2026-12-01"]
    plain = sessions("SPY", day, source=counting_source, store=store, fields=["spot"])
    assert len(CALLS) == 1
    # a pair cached without heatmaps does not serve a call with heatmaps: computed again
    gex = sessions("SPY", day, source=counting_source, store=store, heatmaps="gex")
    assert len(CALLS) == 2
    params = store.manifest("results", "SPY", day[0], name="sessions-1m")["params"]
    assert params == {
        "bar": "1m",
        "source": "tests.research.test_sessions:counting_source",
        "heatmaps": ["gex"],
    }
    # asking for another keeps the one held: computed with both
    both = sessions("SPY", day, source=counting_source, store=store, heatmaps=["oi", "gex"])
    assert len(CALLS) == 3
    params = store.manifest("results", "SPY", day[0], name="sessions-1m")["params"]
    assert params["heatmaps"] == ["gex", "oi"]
    assert list(both.data_vars)[-2:] == ["heatmap_oi", "heatmap_gex"]
    FORBID.append(True)
    try:  # a superset serves any subset, and no heatmaps at all
        again_gex = sessions("SPY", day, source=counting_source, store=store, heatmaps="gex")
        again_plain = sessions("SPY", day, source=counting_source, store=store, fields=["spot"])
    finally:
        FORBID.clear()
    assert len(CALLS) == 3
    assert again_gex["heatmap_gex"].chunks is not None
    xr.testing.assert_identical(again_gex.load(), gex)
    xr.testing.assert_identical(again_plain.load(), plain)
    xr.testing.assert_identical(both["heatmap_gex"], gex["heatmap_gex"])


@pytest.mark.parametrize("heatmaps", [None, ["gex", "signed_flow"]], ids=["plain", "heatmaps"])
def test_result_round_trips_through_the_store(
    heatmaps: list[str] | None, tmp_path: Path, with_heatmaps: xr.Dataset
) -> None:
    store = ff.Store(tmp_path / "store")
    args: dict[str, Any] = {"source": small_source, "heatmaps": heatmaps, "store": store}
    ds = sessions(SYMBOLS, HEATMAP_DATES, **args)  # computed: in memory
    if heatmaps:
        xr.testing.assert_identical(ds["heatmap_gex"], with_heatmaps["heatmap_gex"])
    where: dict[str, Any] = {"symbol": None, "date": HEATMAP_DATES[0]}
    store.write_result(ds, name="cube", **where)
    back = store.read_result("cube", **where)
    assert isinstance(back, xr.Dataset)
    xr.testing.assert_identical(back, ds)
    for name in [*ds.variables]:
        assert back[name].dtype == ds[name].dtype, name
        assert back[name].attrs == ds[name].attrs, name
    lazy = store.read_result("cube", **where, lazy=True)
    assert isinstance(lazy, xr.Dataset)
    xr.testing.assert_identical(lazy.load(), ds)
    # a lazy result of ff.sessions (its pairs read from the cache) round-trips too
    cached = sessions(SYMBOLS, HEATMAP_DATES, **args)
    assert all(cached[v].chunks is not None for v in cached.data_vars)
    store.write_result(cached, name="lazy-cube", **where)
    xr.testing.assert_identical(store.read_result("lazy-cube", **where), ds)


def test_early_close_is_nan_padded() -> None:
    ds = sessions("SPY", ["2026-11-27"], source=small_source, progress=False)
    assert ds.attrs["early_close_sessions"] == "2026-11-27"
    assert dict(ds.sizes) == {"session": 1, "symbol": 1, "minute": 390}
    for name in ("hedge_all", "hedge_calls", "hedge_puts", "spot", "net_gex"):
        values = ds[name].to_numpy()[0, 0]
        assert not np.isnan(values[:210]).any(), name
        assert np.isnan(values[210:]).all(), name
    src = small_source(dt.date(2026, 11, 27))
    flow = ff.hedge_flow("SPY", side="split", bar="1m", minutes=210, source=src)
    np.testing.assert_array_equal(ds["hedge_all"].to_numpy()[0, 0, :210], flow["bar"].to_numpy())


def test_seed_source_and_coarser_bars() -> None:
    ds = sessions(["SPY"], "2026-12-01", source=3, bar="15m", fields=["spot", "hedge_puts"])
    assert dict(ds.sizes) == {"session": 1, "symbol": 1, "minute": 26}
    np.testing.assert_array_equal(ds["minute"].to_numpy(), np.arange(0, 390, 15))
    assert list(ds.data_vars) == ["spot", "hedge_puts"]
    assert ds.attrs["source"] == "Simulated(seed=3)"
    assert ds.attrs["bar_size"] == "15m"
    src = ff.Simulated(seed=3, date="2026-12-01", now=session_bounds(dt.date(2026, 12, 1))[1])
    table = ff.series("SPY", bar="15m", minutes=390, source=src)
    np.testing.assert_array_equal(ds["spot"].to_numpy()[0, 0], table["spot"].to_numpy())


def test_store_of_markets_as_source(tmp_path: Path) -> None:
    day = dt.date(2026, 12, 3)
    store = ff.Store(tmp_path / "markets")
    market = small_source(day).market("SPY")
    store.write_market(market)
    ds = sessions("SPY", [day], source=store, progress=False)
    local = ff.Local.from_market(market, now=session_bounds(day)[1])
    flow = ff.hedge_flow("SPY", side="split", bar="1m", minutes=390, source=local)
    np.testing.assert_array_equal(ds["hedge_puts"].to_numpy()[0, 0], flow["puts_bar"].to_numpy())
    assert ds.attrs["source"] == f"Store({str(store.path)!r})"


def test_progress_bar_does_not_break(capsys: pytest.CaptureFixture[str]) -> None:
    ds = sessions("SPY", DATES[:2], source=small_source, fields=["spot"], progress=True)
    assert dict(ds.sizes) == {"session": 2, "symbol": 1, "minute": 390}
    assert "2/2" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"dates": ["2026-11-26"]},
            "dates: 2026-11-26 has no session (weekend or exchange holiday); use session days",
            id="holiday",
        ),
        pytest.param({"dates": ["2026-12-05"]}, "dates: 2026-12-05 has no session", id="weekend"),
        pytest.param({"dates": []}, "dates is empty", id="no-dates"),
        pytest.param({"dates": ["2026-12-01", "2026-12-01"]}, "dates has duplicates", id="dup"),
        pytest.param({"bar": "30s"}, "bar='30s' is not allowed; use one of '1m', '5m', '15m'"),
        pytest.param({"fields": ["regime"]}, "fields=['regime'] is not allowed: ['regime']"),
        pytest.param({"source": "SPY"}, "source='SPY' is not allowed; use an int seed"),
        pytest.param({"source": True}, "source=True is not allowed"),
        pytest.param({"symbols": []}, "symbols is empty"),
        pytest.param({"store": "x"}, "store='x' is not allowed; use an ff.Store or None"),
        pytest.param(
            {"heatmaps": ["gamma"]}, "heatmaps=['gamma'] is not allowed: ['gamma']; use a subset"
        ),
        pytest.param({"heatmaps": ["oi", "oi"]}, "heatmaps has duplicates: ['oi', 'oi']"),
        pytest.param(
            {"heatmaps": "gex", "bar": "5m"},
            "heatmaps need bar='1m', not bar='5m': the heatmap serves 1-minute bars only",
        ),
        pytest.param({"lazy": True}, "lazy=True needs a store", id="lazy-without-store"),
        pytest.param({"lazy": "yes"}, "lazy='yes' is not allowed; use None, True or False"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"symbols": "SPY", "dates": ["2026-12-01"], "source": 0}
    args.update(kwargs)
    with pytest.raises(ValueError) as info:
        sessions(args.pop("symbols"), args.pop("dates"), **args)
    assert message in str(info.value)
