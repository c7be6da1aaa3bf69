"""heatmap and strike-flow converters: schema, strike order, errors, round-trips, fast paths."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings

import flowframe as ff
from flowframe import frames
from tests.conftest import load
from tests.frames.conftest import grid_payloads


def test_heatmap_schema_from_fixture() -> None:
    da = frames.heatmap_from_payload(load("heatmap_gex_raw_1m.json"), source="unit")
    assert da.name == "gex" and da.dims == ("bar", "strike") and da.shape == (2, 6)
    assert da.dtype == np.float64
    assert da["bar"].dtype == np.dtype("datetime64[ns]") and da["strike"].dtype == np.float64
    assert da["spot"].dims == ("bar",) and da["spot"].values.tolist() == [481.05, 481.22]
    assert da.sel(strike=480.0).values.tolist() == [2.2e8, 2.6e8]
    assert math.isnan(float(da.isel(bar=0).sel(strike=482.0)))
    assert da.attrs["units"] == "USD per 1% move (dealer gamma exposure)"
    assert {
        k: da.attrs[k] for k in ("symbol", "expiration", "metric", "mode", "bar_size", "as_of")
    } == {
        "symbol": "QQQ",
        "expiration": "2026-09-18",
        "metric": "gex",
        "mode": "raw",
        "bar_size": "1m",
        "as_of": "2026-09-18T17:12:03Z",  # the attrs rule: UTC ISO-8601 text
    }
    assert frames.as_of(da) == pd.Timestamp("2026-09-18T17:12:03Z")
    assert da.attrs["gap_intervals"] == "[]" and frames.gap_intervals(da) == []


def test_heatmap_unsorted_grid_keeps_values_with_their_strikes() -> None:
    body = {
        "metric": "oi",
        "strikes_grid": [3, 1, 2],
        "bars": [
            {"t": "2026-09-18T14:01:00Z", "spot": 2.0, "values": [30, 10, 20]},
            {"t": "2026-09-18T14:00:00Z", "spot": 1.0, "values": [3, 1, 2]},
        ],
    }
    da = frames.heatmap_from_payload(body)
    assert da["strike"].values.tolist() == [1.0, 2.0, 3.0]
    assert da.values.tolist() == [[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]
    assert da["spot"].values.tolist() == [1.0, 2.0]


def test_empty_heatmap_keeps_the_schema() -> None:
    da = frames.heatmap_from_payload({"metric": "gex", "strikes_grid": [], "bars": []})
    assert da.dims == ("bar", "strike") and da.shape == (0, 0)
    assert da["bar"].dtype == np.dtype("datetime64[ns]") and da["strike"].dtype == np.float64


@pytest.mark.parametrize(
    "mutate, match",
    [
        (
            lambda b: b["bars"][1]["values"].pop(),
            r"heatmap bars\[1\]\.values has 5 values but strikes_grid has 6",
        ),
        (
            lambda b: b["bars"][0].__setitem__("values", None),
            r"bars\[0\]\.values must be a list parallel to strikes_grid, got NoneType",
        ),
        (
            lambda b: b["bars"][1]["values"].__setitem__(2, "n/a"),
            r"bars\[1\]\.values\[2\] must be a number or null, got 'n/a'",
        ),
        (
            lambda b: b["bars"][0]["values"].__setitem__(0, False),
            r"bars\[0\]\.values\[0\] .* got False",
        ),
        (
            lambda b: b["bars"][1].__setitem__("t", "2026-09-18 25:00"),
            r"bars\[1\]\.t is not an ISO-8601 time",
        ),
        (lambda b: b["strikes_grid"].__setitem__(1, "479"), r"strikes_grid\[1\] must be a number"),
        (lambda b: b["strikes_grid"].__setitem__(1, 478), r"strikes_grid lists strike 478 twice"),
        (lambda b: b["bars"][0].__setitem__("spot", "481"), r"bars\[0\]\.spot must be a number"),
        (lambda b: b.pop("strikes_grid"), r"heatmap payload has no 'strikes_grid' field"),
    ],
)
def test_heatmap_errors_name_field_and_bar(mutate: Any, match: str) -> None:
    body = load("heatmap_gex_raw_1m.json")
    mutate(body)
    with pytest.raises(ff.SchemaError, match=match):
        frames.heatmap_from_payload(body)


def test_strike_flow_schema() -> None:
    ds = frames.strike_flow_from_payload(load("strike_flow_1m.json"))
    assert list(ds.data_vars) == ["signed_delta_dollars", "signed_gamma_dollars", "contracts"]
    for name in ds.data_vars:
        assert ds[name].dims == ("bar", "strike") and ds[name].dtype == np.float64
        assert ds[name].attrs["units"]
    assert ds["contracts"].values.tolist() == [[840.0, 310.0, 95.0]]


def test_strike_flow_error_names_the_array() -> None:
    body = load("strike_flow_1m.json")
    body["bars"][0]["contracts"] = [1, 2]
    with pytest.raises(
        ff.SchemaError,
        match=r"strike-flow bars\[0\]\.contracts has 2 values but strikes_grid has 3",
    ):
        frames.strike_flow_from_payload(body)


# --------------------------------------------------------------------- round-trips (hypothesis)


@settings(max_examples=60, deadline=None)
@given(grid_payloads())
def test_heatmap_round_trip(payload: dict[str, Any]) -> None:
    da = frames.heatmap_from_payload(payload)
    xr.testing.assert_identical(frames.heatmap_from_payload(frames.heatmap_to_payload(da)), da)


@settings(max_examples=40, deadline=None)
@given(grid_payloads(arrays=("signed_delta_dollars", "signed_gamma_dollars", "contracts")))
def test_strike_flow_round_trip(payload: dict[str, Any]) -> None:
    ds = frames.strike_flow_from_payload(payload)
    xr.testing.assert_identical(
        frames.strike_flow_from_payload(frames.strike_flow_to_payload(ds)), ds
    )


# --------------------------------------------------------------------- fast-path edge cases


def _grid_body(values: list[list[Any]]) -> dict[str, Any]:
    width = len(values[0]) if values else 0
    return {
        "metric": "oi",
        "strikes_grid": list(range(100, 100 + width)),
        "bars": [
            {"t": f"2026-09-18T14:{i:02d}:00Z", "spot": 100.0, "values": row}
            for i, row in enumerate(values)
        ],
    }


@pytest.mark.parametrize("zeros", [False, True], ids=["dense", "mostly-zeros"])
@pytest.mark.parametrize("intruder", [True, False, "1.5", "nan", [1.0], {"v": 1}])
def test_non_numbers_never_slip_through_the_fast_path(zeros: bool, intruder: Any) -> None:
    rows = [[0.0 if zeros and j % 3 else 1000.5 + i + j for j in range(40)] for i in range(30)]
    rows[21][7] = intruder
    with pytest.raises(
        ff.SchemaError, match=r"heatmap bars\[21\]\.values\[7\] must be a number or null"
    ):
        frames.heatmap_from_payload(_grid_body(rows))


def test_zeros_ones_ints_and_nulls_are_numbers() -> None:
    rows = [[0, 1, 0.0, 1.0, None, 2**53], [1, 0, None, -1, 5, 7.25]]
    da = frames.heatmap_from_payload(_grid_body(rows))
    assert da.values[0, :4].tolist() == [0.0, 1.0, 0.0, 1.0] and math.isnan(da.values[0, 4])
    assert da.values[0, 5] == 2.0**53 and da.values[1, 5] == 7.25


# --------------------------------------------------------------------- JSON text entry point


@pytest.mark.parametrize("zeros", [False, True], ids=["dense", "mostly-zeros"])
@pytest.mark.parametrize("intruder", [True, False, "1.5", [1.0], {"v": 1}])
def test_non_numbers_never_slip_through_the_json_path(zeros: bool, intruder: Any) -> None:
    rows = [[0.0 if zeros and j % 3 else 1000.5 + i + j for j in range(40)] for i in range(30)]
    rows[21][7] = intruder
    with pytest.raises(
        ff.SchemaError, match=r"heatmap bars\[21\]\.values\[7\] must be a number or null"
    ):
        frames.heatmap_from_json(orjson.dumps(_grid_body(rows)))


def test_true_inside_a_string_does_not_stop_a_zero_heavy_body() -> None:
    body = _grid_body([[0.0] * 40 for _ in range(30)])
    body["symbol"] = "true false"  # the text scan finds the words; the types are looked at
    da = frames.heatmap_from_json(orjson.dumps(body))
    assert (da.values == 0).all() and da.attrs["symbol"] == "true false"
