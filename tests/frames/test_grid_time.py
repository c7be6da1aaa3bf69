"""The grids' ``bar`` times meet the DataFrames' tz-aware UTC index, both ways (issue 12).

Objects from one simulated session: a time taken from the hedge-flow or series frame selects
in the heatmap and strike-flow objects, a time taken from their index selects in the frames,
and joins and concats line up on the shared bars.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from xarray.indexes import PandasIndex

import flowframe as ff
from flowframe import frames
from flowframe.frames import UTCBarIndex, utc_bars

ET = "America/New_York"


def times(index: Any) -> pd.DatetimeIndex:
    """``index``, checked to be a ``DatetimeIndex`` (for the type checker, and for real)."""
    assert isinstance(index, pd.DatetimeIndex)
    return index


def row_at(frame: pd.DataFrame, label: Any) -> pd.Series:
    """``frame.loc[label]``, checked to be one row."""
    out = frame.loc[label]
    assert isinstance(out, pd.Series)
    return out


@pytest.fixture(scope="module")
def sim() -> ff.Simulated:
    return ff.Simulated(seed=3, date="2026-09-18", now="12:00", scale=0.02, symbols=("SPY",))


@pytest.fixture(scope="module")
def hf(sim: ff.Simulated) -> pd.DataFrame:
    return ff.hedge_flow("SPY", bar="1m", minutes=60, source=sim)


@pytest.fixture(scope="module")
def se(sim: ff.Simulated) -> pd.DataFrame:
    return ff.series("SPY", bar="1m", minutes=60, source=sim)


@pytest.fixture(scope="module")
def gex(sim: ff.Simulated) -> xr.DataArray:
    return ff.heatmap("SPY", minutes=60, source=sim)


@pytest.fixture(scope="module")
def sf(sim: ff.Simulated) -> xr.Dataset:
    return ff.strike_flow("SPY", minutes=60, source=sim)


# --------------------------------------------------------------------------- frame -> grid


def test_a_time_from_the_frame_selects_in_the_heatmap(
    hf: pd.DataFrame, gex: xr.DataArray, sf: xr.Dataset
) -> None:
    # the same 60 one-minute bars, tz-aware in the frame, naive UTC in the coordinate
    assert len(hf) == gex.sizes["bar"] == 60 and times(hf.index).tz is not None
    assert gex["bar"].dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(
        times(hf.index).tz_convert(None).as_unit("ns").values, gex.bar.values
    )
    xr.testing.assert_identical(gex.sel(bar=times(hf.index)[10]), gex.isel(bar=10))
    xr.testing.assert_identical(gex.loc[times(hf.index)[10]], gex.isel(bar=10))
    xr.testing.assert_identical(sf.sel(bar=times(hf.index)[10]), sf.isel(bar=10))
    # the same instant in any zone
    xr.testing.assert_identical(gex.sel(bar=times(hf.index)[10].tz_convert(ET)), gex.isel(bar=10))


def test_every_kind_of_time_label_selects(gex: xr.DataArray) -> None:
    want = gex.isel(bar=10)
    t = pd.Timestamp(gex.bar.values[10]).tz_localize("UTC")  # 2026-09-18 15:10 UTC
    labels: list[Any] = [
        t,
        t.tz_convert(ET),
        t.to_pydatetime(),  # datetime.datetime, tz-aware
        t.tz_convert(ET).to_pydatetime(),
        t.tz_convert(dt.timezone(dt.timedelta(hours=5, minutes=30))),
        "2026-09-18T15:10:00Z",
        "2026-09-18T11:10:00-04:00",
        "2026-09-18T15:10:00.0000000Z",  # 7 fractional digits, as the API sometimes writes
        # naive labels are UTC, as they always were
        t.tz_localize(None),
        t.tz_localize(None).to_datetime64(),
        np.datetime64("2026-09-18T15:10:00", "s"),
        "2026-09-18 15:10",
        gex.bar.values[10],
        gex.bar[10],  # a 0-d DataArray
        gex.indexes["bar"][10],
    ]
    for label in labels:
        xr.testing.assert_identical(gex.sel(bar=label), want)
    # nearest, with a tolerance, from a tz-aware time
    near = gex.sel(bar=t.tz_convert(ET) + pd.Timedelta("20s"), method="nearest")
    xr.testing.assert_identical(near, want)
    with pytest.raises(KeyError):
        gex.sel(bar=t + pd.Timedelta("20s"), method="nearest", tolerance=pd.Timedelta("10s"))
    # a time not held is still a KeyError, in any form
    with pytest.raises(KeyError):
        gex.sel(bar=t + pd.Timedelta("20s"))
    with pytest.raises(KeyError):
        gex.sel(bar=pd.Timestamp("2026-09-18 15:10:20", tz="UTC"))


def test_slices_and_arrays_of_aware_times_select(hf: pd.DataFrame, gex: xr.DataArray) -> None:
    span = gex.isel(bar=slice(5, 16))
    xr.testing.assert_identical(gex.sel(bar=slice(times(hf.index)[5], times(hf.index)[15])), span)
    xr.testing.assert_identical(
        gex.sel(bar=slice(times(hf.index)[5].tz_convert(ET), times(hf.index)[15])), span
    )
    xr.testing.assert_identical(
        gex.sel(bar=slice("2026-09-18T11:05-04:00", "2026-09-18T15:15:00Z")), span
    )
    xr.testing.assert_identical(
        gex.sel(bar=slice(times(hf.index)[55], None)), gex.isel(bar=slice(55, None))
    )
    # partial-date strings stay spans, as pandas reads them (naive: UTC)
    xr.testing.assert_identical(gex.sel(bar="2026-09-18 15"), gex)
    xr.testing.assert_identical(gex.sel(bar=slice("2026-09-18 15:05", "2026-09-18 15:15")), span)
    picks = [3, 10, 42]
    want = gex.isel(bar=picks)
    for labels in (
        times(hf.index)[picks],
        times(hf.index)[picks].tz_convert(ET),
        list(times(hf.index)[picks]),
        times(hf.index)[picks].to_series(),
        np.array(list(times(hf.index)[picks]), dtype=object),
        ["2026-09-18T15:03:00Z", "2026-09-18T11:10:00-04:00", "2026-09-18 15:42"],
    ):
        xr.testing.assert_identical(gex.sel(bar=labels), want)
    # a DataArray of aware times keeps its own dims, as xarray's vectorised selection does
    points = xr.DataArray(times(hf.index)[picks], dims="pick")
    assert gex.sel(bar=points).dims == ("pick", "strike")
    np.testing.assert_array_equal(gex.sel(bar=points).values, want.values)


# --------------------------------------------------------------------------- grid -> frame


def test_a_bar_from_the_grid_index_selects_in_the_frame(
    hf: pd.DataFrame, gex: xr.DataArray
) -> None:
    row = hf.iloc[10]
    pd.testing.assert_series_equal(row_at(hf, gex.indexes["bar"][10]), row)
    pd.testing.assert_series_equal(row_at(hf, gex.get_index("bar")[10]), row)
    assert times(gex.indexes["bar"]).tz is not None and gex.indexes["bar"].name == "bar"
    pd.testing.assert_frame_equal(hf.loc[gex.indexes["bar"][5:9]], hf.iloc[5:9])
    pd.testing.assert_frame_equal(hf.reindex(gex.indexes["bar"]).set_axis(times(hf.index)), hf)
    # the coordinate's own values are naive (numpy has no tz): pandas 3 refuses them on a
    # tz-aware index; pd.Timestamp(t, tz="UTC") or a string makes them select
    with pytest.raises(KeyError):
        hf.loc[gex.bar.values[10]]
    pd.testing.assert_series_equal(row_at(hf, pd.Timestamp(gex.bar.values[10], tz="UTC")), row)
    pd.testing.assert_series_equal(row_at(hf, str(gex.bar.values[10])), row)


def test_joins_and_concats_line_up_on_the_shared_bars(
    hf: pd.DataFrame, se: pd.DataFrame, gex: xr.DataArray, sf: xr.Dataset
) -> None:
    # the series' spot and the heatmap's spot coordinate are the same numbers on each bar
    spot = gex["spot"].to_series()
    assert times(spot.index).tz is not None
    joined = se[["spot"]].join(spot.rename("grid_spot"), how="inner")
    assert len(joined) == 60
    np.testing.assert_array_equal(joined["spot"].values, joined["grid_spot"].values)
    # strike-flow delta-dollars summed over strikes is the hedge-flow bar, lined up by time
    flow = sf["signed_delta_dollars"].sum("strike").to_series().rename("strikes")
    both = pd.concat([hf["bar"], flow], axis=1, join="outer")
    assert len(both) == 60 and not both.isna().any().any()
    np.testing.assert_allclose(both["bar"].to_numpy(), both["strikes"].to_numpy(), rtol=1e-12)
    # one strike's column joins the frame
    k = float(gex.strike[len(gex.strike) // 2])
    column = hf.join(gex.sel(strike=k).to_series())
    np.testing.assert_array_equal(column["gex"].values, gex.sel(strike=k).values)
    # to_pandas and to_dataframe are indexed the frames' way too
    assert gex.to_pandas().index.equals(times(hf.index).rename("bar"))
    table = gex.to_dataframe()
    assert times(table.index.get_level_values("bar")).tz is not None
    assert times(sf.to_dataframe().index.get_level_values("bar")).tz is not None


# --------------------------------------------------------------------------- xarray keeps it


def test_the_index_survives_xarray_operations(hf: pd.DataFrame, gex: xr.DataArray) -> None:
    t = times(hf.index)[20]
    kept = {
        "isel": gex.isel(bar=slice(10, 30)),
        "sel": gex.sel(bar=slice(times(hf.index)[10], times(hf.index)[29])),
        "arithmetic": gex * 2 - gex,
        "aligned": gex.isel(bar=slice(0, 40)) + gex.isel(bar=slice(10, 60)),
        "where": gex.where(gex > 0),
        "rolling": gex.rolling(bar=3).mean(),
        "shift": gex.shift(bar=1),
        "diff": gex.diff("bar"),
        "cumsum": gex.cumsum("bar"),
        "sortby": gex.sortby("bar", ascending=False),
        "concat": xr.concat([gex.isel(bar=slice(0, 25)), gex.isel(bar=slice(25, 60))], "bar"),
        "dataset": gex.to_dataset(),
        "copy": gex.copy(deep=True),
        "strike": gex.sel(strike=float(gex.strike[3])),
    }
    for name, obj in kept.items():
        assert type(obj.xindexes["bar"]) is UTCBarIndex, name
        assert obj.sel(bar=t).sizes.get("bar") is None, name
    assert gex.sum("bar").dims == ("strike",)
    # a new time axis comes back with a plain index; utc_bars restores it
    five = gex.resample(bar="5min").sum()
    assert type(five.xindexes["bar"]) is PandasIndex
    five = utc_bars(five)
    assert type(five.xindexes["bar"]) is UTCBarIndex
    np.testing.assert_array_equal(
        five.sel(bar=times(hf.index)[5]).values, gex.isel(bar=slice(5, 10)).sum("bar").values
    )
    assert five.flow.utc() is five  # already indexed: returned as it is
    # written as a body and read back: the same times, the same index
    body = frames.heatmap_to_payload(gex)
    assert body["bars"][0]["t"] == "2026-09-18T15:00:00Z"
    xr.testing.assert_identical(frames.heatmap_from_payload(body, source=gex.attrs["source"]), gex)


def test_files_read_back_get_the_index_back_with_utc_bars(
    tmp_path: Path, hf: pd.DataFrame, gex: xr.DataArray, sf: xr.Dataset
) -> None:
    gex.to_netcdf(tmp_path / "gex.nc")
    sf.to_zarr(tmp_path / "sf.zarr", consolidated=False)
    with xr.open_dataarray(tmp_path / "gex.nc") as opened:
        back = opened.load()
    with xr.open_zarr(tmp_path / "sf.zarr", consolidated=False) as opened:
        ds_back = opened.load()
    # plain xarray builds a plain index: naive selection only
    assert type(back.xindexes["bar"]) is PandasIndex
    with pytest.raises(KeyError):
        back.sel(bar=times(hf.index)[10])
    restored = utc_bars(back)
    xr.testing.assert_identical(restored, gex)
    xr.testing.assert_identical(ds_back.flow.utc(), sf)
    xr.testing.assert_identical(ff.utc_bars(ds_back).sel(bar=times(hf.index)[10]), sf.isel(bar=10))


def test_utc_bars_on_objects_of_ones_own() -> None:
    et = pd.date_range("2026-09-18 10:00", periods=4, freq="1min", tz=ET, unit="ns")
    mine = xr.DataArray(np.arange(4.0), coords={"bar": et}, dims="bar")
    out = utc_bars(mine)
    assert type(out.xindexes["bar"]) is UTCBarIndex
    assert out["bar"].dtype == np.dtype("datetime64[ns]") and out["bar"].attrs["timezone"] == "UTC"
    assert str(out["bar"].values[0]) == "2026-09-18T14:00:00.000000000"
    assert float(out.sel(bar="2026-09-18T14:02Z")) == 2.0
    assert repr(out.xindexes["bar"]).startswith("UTCBarIndex(")
    # set_xindex builds it too
    again = mine.drop_indexes("bar").set_xindex("bar", UTCBarIndex)
    assert again["bar"].dtype == np.dtype("datetime64[ns]") and float(again.sel(bar=et[1])) == 1.0
    with pytest.raises(ff.SchemaError, match="'bar' dimension coordinate"):
        utc_bars(xr.DataArray(np.zeros(2), dims="time"))
    with pytest.raises(ff.SchemaError, match="needs an xarray"):
        utc_bars(pd.DataFrame())  # type: ignore[type-var]
    with pytest.raises(TypeError, match="datetime64"):
        utc_bars(xr.DataArray(np.zeros(2), coords={"bar": [1.0, 2.0]}, dims="bar"))


# --------------------------------------------------------------------------- any times


zones = st.sampled_from(["UTC", ET, "Asia/Kolkata", "Europe/London", "Pacific/Chatham"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.integers(0, 6 * 3600 * 10**9),  # nanoseconds after 13:30 UTC
        min_size=1,
        max_size=12,
        unique=True,
    ),
    st.data(),
)
def test_any_aware_label_selects_the_bar_of_that_instant(offsets: list[int], data: Any) -> None:
    base = pd.Timestamp("2026-09-18 13:30").value
    body = {
        "metric": "gex",
        "strikes_grid": [100, 101],
        "bars": [
            {"t": pd.Timestamp(base + o).isoformat() + "Z", "spot": 100.0, "values": [i, -i]}
            for i, o in enumerate(offsets)
        ],
    }
    da = frames.heatmap_from_payload(body)
    i = data.draw(st.integers(0, len(offsets) - 1))
    instant = pd.Timestamp(base + offsets[i], tz="UTC")
    zone = data.draw(zones)
    want = da.sel(bar=np.datetime64(base + offsets[i], "ns"))
    assert float(want[0]) == i
    xr.testing.assert_identical(da.sel(bar=instant.tz_convert(zone)), want)
    xr.testing.assert_identical(da.sel(bar=instant.tz_convert(zone).isoformat()), want)
    # and back: the index hands the same instant to pandas
    assert da.indexes["bar"][int(np.flatnonzero(da.bar.values == want.bar.values)[0])] == instant
