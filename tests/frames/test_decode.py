"""Converters: fixed schemas, reading rules, round-trips, and malformed payloads."""

from __future__ import annotations

import contextlib
import copy
import math
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowframe as ff
from flowframe import frames
from flowframe._constants import SERIES_COLUMNS, SPLIT_COLUMNS
from flowframe.frames import _fastpath
from flowframe.sources.samples import SampleSource
from tests.conftest import load

UTC_NS = "datetime64[ns, UTC]"
SERIES_DTYPES = {
    c: ("str" if c == "gamma_flip_status" else "category" if c == "regime" else "float64")
    for c in SERIES_COLUMNS
}


def hedge(bars: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"symbol": "SPY", "side": "all", "bar_size": "30s", "bars": bars, **extra}


# --------------------------------------------------------------------- hedge-flow


def test_hedge_flow_schema_from_fixture() -> None:
    df = frames.hedge_flow_from_payload(load("hedge_flow_calls_5m.json"), source="unit")
    assert df.shape == (3, 2)
    assert list(df.columns) == ["bar", "cumulative"]
    assert df.index.name == "t" and str(df.index.dtype) == UTC_NS
    assert df.dtypes.tolist() == [np.float64, np.float64]
    assert df["bar"].iloc[1] == 875000.5
    assert math.isnan(df["bar"].iloc[2])  # null -> NaN
    assert df.attrs == {
        "symbol": "QQQ",
        "expiration": "2026-09-18",
        "side": "calls",
        "bar_size": "5m",
        "as_of": pd.Timestamp("2026-09-18T17:12:03.4411870Z"),
        "source": "unit",
        "endpoint_version": "2026.09.01",
        "data_as_of": {
            "node": "t1",
            "flow_feed": "2026-09-18T17:12:01.000Z",
            "oi_feed": "2026-09-17T20:00:00.000Z",
        },
    }


def test_empty_hedge_flow_keeps_the_schema() -> None:
    df = frames.hedge_flow_from_payload(load("hedge_flow_empty.json"))
    assert df.shape == (0, 2)
    assert str(df.index.dtype) == UTC_NS and df.dtypes.tolist() == [np.float64, np.float64]


def test_unsorted_bars_are_sorted_and_duplicates_keep_the_last() -> None:
    body = hedge(
        [
            {"t": "2026-09-18T14:01:00Z", "bar": 2, "cumulative": 3},
            {"t": "2026-09-18T14:00:00Z", "bar": 1, "cumulative": 1},
            {"t": "2026-09-18T14:01:00Z", "bar": 5, "cumulative": 6},
        ]
    )
    df = frames.hedge_flow_from_payload(body)
    assert df.index.is_monotonic_increasing and df.index.is_unique
    assert df["bar"].tolist() == [1.0, 5.0]


def test_seven_digit_fractions_and_offsets_parse() -> None:
    body = hedge(
        [
            {"t": "2026-09-18T14:00:14.9303577Z", "bar": 1, "cumulative": 1},
            {"t": "2026-09-18T10:00:15-04:00", "bar": 1, "cumulative": 2},
            {"t": "2026-09-18T14:00:16", "bar": 1, "cumulative": 3},
        ]
    )
    idx = frames.hedge_flow_from_payload(body).index
    assert idx[0] == pd.Timestamp("2026-09-18 14:00:14.930357700", tz="UTC")
    assert idx[1] == pd.Timestamp("2026-09-18 14:00:15", tz="UTC")
    assert idx[2] == pd.Timestamp("2026-09-18 14:00:16", tz="UTC")  # no offset: read as UTC


def test_absent_optional_field_is_a_nan_column() -> None:
    df = frames.hedge_flow_from_payload(hedge([{"t": "2026-09-18T14:00:00Z", "bar": 7}]))
    assert math.isnan(df["cumulative"].iloc[0])


@pytest.mark.parametrize(
    "bars, match",
    [
        (
            [{"t": "yesterday", "bar": 1}],
            r"hedge-flow bars\[0\]\.t is not an ISO-8601 time: 'yesterday'",
        ),
        (
            [{"t": "2026-09-18T14:00:00Z"}, {"t": 5}],
            r"bars\[1\]\.t must be an ISO-8601 string, got 5",
        ),
        ([{"bar": 1}], r"bars\[0\]\.t must be an ISO-8601 string, got None"),
        (
            [{"t": "2026-09-18T14:00:00Z", "bar": "12"}],
            r"bars\[0\]\.bar must be a number or null, got '12'",
        ),
        (
            [{"t": "2026-09-18T14:00:00Z", "bar": 1}, {"t": "2026-09-18T14:00:30Z", "bar": True}],
            r"bars\[1\]\.bar .* got True",
        ),
        (
            [{"t": "2026-09-18T14:00:00Z", "cumulative": {"v": 1}}],
            r"bars\[0\]\.cumulative must be a number",
        ),
        ([{"t": "2026-09-18T14:00:00Z", "bar": 10**400}], r"bars\[0\]\.bar must be a number"),
        (["not a bar"], r"bars\[0\] must be an object"),
    ],
)
def test_hedge_flow_errors_name_field_and_bar(bars: list[Any], match: str) -> None:
    with pytest.raises(ff.SchemaError, match=match):
        frames.hedge_flow_from_payload(hedge(bars))


@pytest.mark.parametrize(
    "payload, match",
    [
        ([], "hedge-flow payload must be a JSON object, got list"),
        ({"symbol": "SPY"}, "hedge-flow payload has no 'bars' field"),
        ({"bars": {}}, "field 'bars' must be a list, got dict"),
        ({"bars": [], "as_of": "later"}, "field 'as_of' is not an ISO-8601 time"),
        ({"bars": [], "symbol": 5}, "field 'symbol' must be a string or null"),
    ],
)
def test_hedge_flow_payload_errors(payload: Any, match: str) -> None:
    with pytest.raises(ff.SchemaError, match=match):
        frames.hedge_flow_from_payload(payload)


def test_schema_error_is_a_value_error() -> None:
    assert issubclass(ff.SchemaError, ValueError) and issubclass(ff.SchemaError, ff.FlowframeError)


def test_split_hedge_flow_sums_the_legs() -> None:
    src = SampleSource(now="11:00")
    calls, puts = src.get_hedge_flow("SPY", side="calls"), src.get_hedge_flow("SPY", side="puts")
    df = frames.split_hedge_flow(calls, puts, source="sample")
    assert list(df.columns) == list(SPLIT_COLUMNS)
    assert (df.dtypes == np.float64).all()
    np.testing.assert_array_equal(df["bar"], df["calls_bar"] + df["puts_bar"])
    np.testing.assert_array_equal(df["cumulative"], df["calls_cumulative"] + df["puts_cumulative"])
    alls = frames.hedge_flow_from_payload(src.get_hedge_flow("SPY", side="all"))
    np.testing.assert_allclose(df["bar"], alls["bar"], rtol=1e-12)
    assert df.attrs["side"] == "split"


def test_split_with_a_missing_leg_bar_is_nan_not_a_guess() -> None:
    calls = hedge(
        [
            {"t": "2026-09-18T14:00:00Z", "bar": 1, "cumulative": 1},
            {"t": "2026-09-18T14:00:30Z", "bar": 2, "cumulative": 3},
        ],
        side="calls",
    )
    puts = hedge([{"t": "2026-09-18T14:00:00Z", "bar": -1, "cumulative": -1}], side="puts")
    df = frames.split_hedge_flow(calls, puts)
    assert df["bar"].tolist()[0] == 0.0 and math.isnan(df["bar"].iloc[1])
    assert math.isnan(df["puts_bar"].iloc[1])


def test_split_rejects_swapped_legs() -> None:
    with pytest.raises(ff.SchemaError, match="expects a 'calls' body there, got side='puts'"):
        frames.split_hedge_flow(hedge([], side="puts"), hedge([], side="calls"))


def test_split_round_trip() -> None:
    src = SampleSource(now="10:30")
    df = frames.split_hedge_flow(
        src.get_hedge_flow("SPY", side="calls"), src.get_hedge_flow("SPY", side="puts")
    )
    back = frames.split_hedge_flow(
        frames.hedge_flow_to_payload(df, side="calls"),
        frames.hedge_flow_to_payload(df, side="puts"),
    )
    pd.testing.assert_frame_equal(back, df)
    assert back.attrs == df.attrs
    assert frames.hedge_flow_to_payload(df)["side"] == "all"


# --------------------------------------------------------------------- series


def test_series_schema_is_stable() -> None:
    full = frames.series_from_payload(load("series_1m.json"))
    empty = frames.series_from_payload({"bars": []})
    for df in (full, empty):
        assert list(df.columns) == list(SERIES_COLUMNS)
        assert {c: str(t) for c, t in df.dtypes.items()} == SERIES_DTYPES
        assert str(df.index.dtype) == UTC_NS
        assert list(df["regime"].cat.categories) == ["positive_gamma", "negative_gamma", "neutral"]
    assert full.index[0] < full.index[1]  # sorted
    assert math.isnan(full["gamma_flip"].iloc[0])  # absent in the 17:10 bar
    assert full["gamma_flip_status"].iloc[1] == "ok"
    assert full["pin_probability_pct"].tolist() == [21.0, 22.5]
    assert full.attrs["pin_probability_unit_read"] == "pct"


def test_series_unknown_regime_is_kept() -> None:
    df = frames.series_from_payload(
        {"bars": [{"t": "2026-09-18T14:00:00Z", "regime": "transition"}]}
    )
    assert df["regime"].iloc[0] == "transition"
    assert list(df["regime"].cat.categories)[-1] == "transition"


@pytest.mark.parametrize(
    "unit, values, expected",
    [
        ("auto", [0.641, 0.66], [64.1, 66.0]),
        ("auto", [64.1, 0.5], [64.1, 0.5]),
        ("pct", [0.641, 0.66], [0.641, 0.66]),
        ("fraction", [0.5, 0.25], [50.0, 25.0]),
    ],
)
def test_pin_probability_is_normalised_to_percent(
    unit: Any, values: list[float], expected: list[float]
) -> None:
    body = load("series_fraction_pin.json")
    for bar, v in zip(body["bars"], values, strict=True):
        bar["pin_probability_pct"] = v
    df = frames.series_from_payload(body, pin_probability_unit=unit)
    np.testing.assert_allclose(df["pin_probability_pct"], expected)


def test_series_string_field_must_be_a_string() -> None:
    with pytest.raises(
        ff.SchemaError, match=r"series bars\[0\]\.regime must be a string or null, got 3"
    ):
        frames.series_from_payload({"bars": [{"t": "2026-09-18T14:00:00Z", "regime": 3}]})


def test_series_round_trip_declares_its_unit() -> None:
    df = frames.series_from_payload(load("series_fraction_pin.json"))
    body = frames.series_to_payload(df)
    assert body["pin_probability_unit"] == "pct"
    pd.testing.assert_frame_equal(frames.series_from_payload(body), df)


# --------------------------------------------------------------------- heatmap, strike-flow


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
        "as_of": pd.Timestamp("2026-09-18T17:12:03Z"),
    }


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


# --------------------------------------------------------------------- leaderboard


def test_leaderboard_schema() -> None:
    df = frames.leaderboard_from_payload(load("leaderboard_heat.json"))
    assert df.index.name == "rank" and df.index.dtype == np.int64
    assert df.index.tolist() == [1, 2, 3]
    assert df["symbol"].tolist() == ["QQQ", "SPX", "IWM"]
    assert str(df["symbol"].dtype) == "str" and df["value"].dtype == np.float64
    assert df.attrs["metric"] == "heat" and df.attrs["market_open"] is True
    empty = frames.leaderboard_from_payload({"metric": "heat", "entries": []})
    assert (
        empty.shape == (0, 2)
        and empty.index.dtype == np.int64
        and str(empty["symbol"].dtype) == "str"
    )


@pytest.mark.parametrize(
    "entry, match",
    [
        ({"rank": "1", "symbol": "SPY", "value": 1}, r"entries\[0\]\.rank must be an integer"),
        ({"rank": 1, "symbol": None, "value": 1}, r"entries\[0\]\.symbol must be a string"),
        ({"rank": 1, "symbol": "SPY", "value": "hot"}, r"leaderboard bars\[0\]\.value|entries"),
    ],
)
def test_leaderboard_errors(entry: dict[str, Any], match: str) -> None:
    with pytest.raises(ff.SchemaError, match=match):
        frames.leaderboard_from_payload({"entries": [entry]})


# --------------------------------------------------------------------- round-trips (hypothesis)

finite = st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e15, max_value=1e15)
maybe = st.one_of(st.none(), finite, st.integers(-(10**12), 10**12))
times = st.lists(
    st.datetimes(
        min_value=pd.Timestamp("2026-01-01").to_pydatetime(),
        max_value=pd.Timestamp("2026-12-31").to_pydatetime(),
    ),
    max_size=12,
)


def iso(t: Any) -> str:
    return pd.Timestamp(t).isoformat() + "Z"


@st.composite
def hedge_payloads(draw: Any) -> dict[str, Any]:
    ts = draw(times)
    return hedge(
        [{"t": iso(t), "bar": draw(maybe), "cumulative": draw(maybe)} for t in ts],
        as_of=draw(st.one_of(st.none(), st.just("2026-09-18T17:12:03.1234567Z"))),
    )


@st.composite
def series_payloads(draw: Any) -> dict[str, Any]:
    bars = []
    for t in draw(times):
        bar: dict[str, Any] = {"t": iso(t)}
        for col in SERIES_COLUMNS:
            if draw(st.booleans()):
                continue  # absent
            if col == "regime":
                bar[col] = draw(
                    st.sampled_from([None, "positive_gamma", "negative_gamma", "odd_label"])
                )
            elif col == "gamma_flip_status":
                bar[col] = draw(st.sampled_from([None, "ok", "no_flip_in_range"]))
            else:
                bar[col] = draw(maybe)
        bars.append(bar)
    return {"symbol": "SPY", "bar_size": "30s", "bars": bars}


@st.composite
def grid_payloads(draw: Any, arrays: tuple[str, ...] = ("values",)) -> dict[str, Any]:
    strikes = draw(st.lists(st.integers(1, 2000), unique=True, max_size=8))
    bars = []
    for t in draw(times):
        bar = {"t": iso(t), "spot": draw(maybe)}
        for name in arrays:
            bar[name] = draw(st.lists(maybe, min_size=len(strikes), max_size=len(strikes)))
        bars.append(bar)
    return {
        "symbol": "SPY",
        "metric": "gex",
        "mode": "raw",
        "strikes_grid": strikes,
        "bars": bars,
        "gap_intervals": [],
    }


@settings(max_examples=60, deadline=None)
@given(hedge_payloads())
def test_hedge_flow_round_trip(payload: dict[str, Any]) -> None:
    df = frames.hedge_flow_from_payload(payload)
    back = frames.hedge_flow_from_payload(frames.hedge_flow_to_payload(df))
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    assert back.attrs == df.attrs
    assert df.index.is_unique and df.index.is_monotonic_increasing


@settings(max_examples=60, deadline=None)
@given(series_payloads())
def test_series_round_trip(payload: dict[str, Any]) -> None:
    df = frames.series_from_payload(payload)
    back = frames.series_from_payload(frames.series_to_payload(df))
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    assert list(df.columns) == list(SERIES_COLUMNS)


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


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 100), st.text(min_size=1, max_size=5), maybe), max_size=10)
)
def test_leaderboard_round_trip(entries: list[tuple[int, str, Any]]) -> None:
    payload = {
        "metric": "heat",
        "n": 10,
        "as_of": None,
        "market_open": False,
        "entries": [{"rank": r, "symbol": s, "value": v} for r, s, v in entries],
    }
    df = frames.leaderboard_from_payload(payload)
    back = frames.leaderboard_from_payload(frames.leaderboard_to_payload(df))
    pd.testing.assert_frame_equal(back, df, check_exact=True)


def test_snapshot_round_trip() -> None:
    snap = frames.snapshot_from_payload(SampleSource(now="12:00").get_snapshot("SPY"))
    assert frames.snapshot_from_payload(frames.snapshot_to_payload(snap)) == snap


# --------------------------------------------------------------------- malformed payloads (hypothesis)

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(["2026-09-18T14:00:00Z", "2026-09-18T14:00:14.9303577Z"]),
)
json_any = st.recursive(
    json_leaf,
    lambda c: st.one_of(
        st.lists(c, max_size=4), st.dictionaries(st.text(max_size=4), c, max_size=4)
    ),
    max_leaves=12,
)


def corrupt(draw: Any, payload: Any) -> Any:
    """Replace one randomly chosen node of a valid payload with arbitrary JSON."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))

    walk(payload, ())
    path = draw(st.sampled_from(paths))
    replacement = draw(json_any)
    if not path:
        return replacement
    out = copy.deepcopy(payload)
    node = out
    for key in path[:-1]:
        node = node[key]
    if draw(st.booleans()) and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = replacement
    return out


READERS = {
    "hedge": (
        frames.hedge_flow_from_payload,
        lambda: SampleSource(now="10:05").get_hedge_flow("SPY", minutes=3),
    ),
    "series": (
        frames.series_from_payload,
        lambda: SampleSource(now="10:05").get_series("SPY", minutes=2),
    ),
    "heatmap": (
        frames.heatmap_from_payload,
        lambda: {**SampleSource(now="10:05", n_strikes=3).get_heatmap("SPY", minutes=2)},
    ),
    "strike": (
        frames.strike_flow_from_payload,
        lambda: SampleSource(now="10:05", n_strikes=3).get_strike_flow("SPY", minutes=2),
    ),
    "leaderboard": (frames.leaderboard_from_payload, lambda: SampleSource().get_leaderboard(n=3)),
    "snapshot": (
        frames.snapshot_from_payload,
        lambda: (
            load("snapshot_no_zero_dte.json")
            | {
                "headline": {"narrative": "x", "promoted": {"pin_probability_pct": 0.5}},
                "setup": {
                    "primary": {
                        "display_name": "Iron Fly",
                        "conditions_met": ["a"],
                        "strikes_hint": {"k": 1},
                    }
                },
                "probabilities": {"pin": {"value": 0.4}},
                "no_zero_dte": False,
                "strikes": [{"strike": 1, "call_oi": 3}],
            }
        ),
    ),
}


@pytest.mark.parametrize("kind", sorted(READERS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_malformed_payloads_only_raise_schema_error(kind: str, data: Any) -> None:
    reader, make = READERS[kind]
    payload = corrupt(data.draw, make())
    with contextlib.suppress(ff.SchemaError):  # anything else fails the test
        reader(payload)


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


def test_bool_in_a_short_field_is_caught() -> None:
    body = hedge(
        [{"t": "2026-09-18T14:00:00Z", "bar": 0.0}, {"t": "2026-09-18T14:00:30Z", "bar": False}]
    )
    with pytest.raises(
        ff.SchemaError, match=r"hedge-flow bars\[1\]\.bar must be a number or null, got False"
    ):
        frames.hedge_flow_from_payload(body)


def test_zeros_ones_ints_and_nulls_are_numbers() -> None:
    rows = [[0, 1, 0.0, 1.0, None, 2**53], [1, 0, None, -1, 5, 7.25]]
    da = frames.heatmap_from_payload(_grid_body(rows))
    assert da.values[0, :4].tolist() == [0.0, 1.0, 0.0, 1.0] and math.isnan(da.values[0, 4])
    assert da.values[0, 5] == 2.0**53 and da.values[1, 5] == 7.25


def test_arrays_are_writable_and_own_their_data() -> None:
    da = frames.heatmap_from_payload(load("heatmap_gex_raw_1m.json"))
    assert da.values.flags.writeable
    da.values[0, 0] = 1.0  # no "assignment destination is read-only"
    df = frames.hedge_flow_from_payload(load("hedge_flow_calls_5m.json"))
    df.iloc[0, 0] = 5.0


# --------------------------------------------------------------------- JSON text entry points


JSON_READERS = {
    "hedge": (frames.hedge_flow_from_json, frames.hedge_flow_from_payload),
    "series": (frames.series_from_json, frames.series_from_payload),
    "heatmap": (frames.heatmap_from_json, frames.heatmap_from_payload),
    "strike": (frames.strike_flow_from_json, frames.strike_flow_from_payload),
}
PAYLOADS = {
    "hedge": hedge_payloads(),
    "series": series_payloads(),
    "heatmap": grid_payloads(),
    "strike": grid_payloads(arrays=("signed_delta_dollars", "signed_gamma_dollars", "contracts")),
}


def assert_same(a: Any, b: Any) -> None:
    """Equal values, dtypes, index, coords and attrs (NaN equal to NaN)."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    else:
        xr.testing.assert_identical(a, b)
    assert a.attrs == b.attrs


@contextlib.contextmanager
def msgspec_switched(on: bool) -> Any:
    """Run with the msgspec series decoder, if installed, or without it."""
    with pytest.MonkeyPatch.context() as mp:
        if not on:
            mp.setattr(_fastpath, "_msgspec", None)
        yield


NO_MSGSPEC = pytest.mark.skipif(not _fastpath.HAS_MSGSPEC, reason="msgspec is not installed")
# (reader, whether msgspec may be used): only the series reader has a msgspec path
JSON_CASES = [
    pytest.param("hedge", True, id="hedge"),
    pytest.param("heatmap", True, id="heatmap"),
    pytest.param("strike", True, id="strike"),
    pytest.param("series", True, id="series-msgspec", marks=NO_MSGSPEC),
    pytest.param("series", False, id="series-orjson"),
]


@pytest.mark.parametrize("kind, with_msgspec", JSON_CASES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_json_readers_equal_the_payload_readers(kind: str, with_msgspec: bool, data: Any) -> None:
    from_json, from_payload = JSON_READERS[kind]
    payload = data.draw(PAYLOADS[kind])
    text = orjson.dumps(payload)
    with msgspec_switched(with_msgspec):
        assert_same(from_json(text, source="s"), from_payload(payload, source="s"))
        assert_same(from_json(text.decode()), from_payload(payload))


@pytest.mark.parametrize("kind, with_msgspec", JSON_CASES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_json_readers_fail_as_the_payload_readers(kind: str, with_msgspec: bool, data: Any) -> None:
    """Malformed bodies: the same SchemaError (same message) from the text as from the dict."""
    from_json, from_payload = JSON_READERS[kind]
    payload = corrupt(data.draw, READERS[kind][1]())
    try:
        text = orjson.dumps(payload)
    except orjson.JSONEncodeError:  # e.g. an int beyond 64 bits: no such JSON from orjson
        return
    payload = orjson.loads(text)  # what a decoder gives back (tuples become lists...)
    with msgspec_switched(with_msgspec):
        try:
            expected = from_payload(payload)
        except ff.SchemaError as exc:
            with pytest.raises(ff.SchemaError) as got:
                from_json(text)
            assert str(got.value) == str(exc)
        else:
            assert_same(from_json(text), expected)


def test_series_from_json_reads_the_benchmark_body_both_ways() -> None:
    body = SampleSource(now="12:00").get_series("SPY", bar="30s", minutes=60)
    for bar in body["bars"][::7]:
        bar["gamma_flip"] = None
        bar["atm_iv"] = None
    body["bars"][3], body["bars"][4] = body["bars"][4], body["bars"][3]  # unsorted
    body["bars"].append(dict(body["bars"][10]))  # a duplicated t
    text = orjson.dumps(body)
    expected = frames.series_from_payload(body)
    for on in [True, False] if _fastpath.HAS_MSGSPEC else [False]:
        with msgspec_switched(on):
            assert_same(frames.series_from_json(text), expected)


@pytest.mark.parametrize(
    "text, error",
    [
        (b"", ff.SchemaError),
        (b"{not json", ff.SchemaError),
        ('{"bars": [}', ff.SchemaError),
        (b"[1, 2]", ff.SchemaError),
        (5, TypeError),
    ],
)
@pytest.mark.parametrize("kind", sorted(JSON_READERS))
def test_json_readers_reject_what_is_not_a_body(kind: str, text: Any, error: type) -> None:
    with pytest.raises(error):
        JSON_READERS[kind][0](text)


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


# --------------------------------------------------------------------- fast-path kernels


def test_bool_free_is_exactly_the_absence_of_the_literals() -> None:
    @settings(max_examples=400, deadline=None)
    @given(st.binary(max_size=24) | st.text("truefalsx ,[]", max_size=24).map(str.encode))
    def check(text: bytes) -> None:
        expected = b"true" not in text and b"false" not in text
        assert _fastpath.bool_free(text) is expected
        assert _fastpath.bool_free(bytearray(text)) is expected

    check()


@st.composite
def iso_texts(draw: Any) -> str:
    """ISO-8601 times in the forms the fast parser reads, and near misses of them."""
    t: datetime = draw(st.datetimes(min_value=datetime(1600, 1, 1), max_value=datetime(2300, 1, 1)))
    nanos = t.microsecond * 1000 + draw(st.integers(0, 999))
    digits = draw(st.integers(0, 10))
    fraction = f"{nanos:09d}"[:digits] if digits <= 9 else "1" * 10
    text: str = t.strftime("%Y-%m-%dT%H:%M:%S") + ("." + fraction if digits else "")
    text += str(draw(st.sampled_from(["Z", "+00:00", "", "-04:00", "z"])))
    if draw(st.booleans()):  # a near miss: one character changed
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + str(draw(st.sampled_from("0912:-T .Zx"))) + text[i + 1 :]
    return text


@settings(max_examples=500, deadline=None)
@given(st.lists(iso_texts(), min_size=1, max_size=4), st.booleans())
def test_fast_time_parser_agrees_with_pandas(texts: list[str], same_width: bool) -> None:
    if same_width:
        texts = [t for t in texts if len(t) == len(texts[0])]
    fast = _fastpath.utc_nanoseconds(texts)
    try:
        expected = pd.DatetimeIndex(pd.to_datetime(texts, format="ISO8601", utc=True))
    except (ValueError, TypeError, OverflowError):
        assert fast is None
        return
    if fast is not None:
        assert fast.tolist() == expected.as_unit("ns").asi8.tolist()


def test_fast_time_parser_reads_sessions_and_refuses_odd_forms() -> None:
    times = [f"2026-09-18T14:{m:02d}:{s:02d}.1234567Z" for m in range(60) for s in (0, 30)]
    fast = _fastpath.utc_nanoseconds(times)
    assert fast is not None
    assert fast.tolist() == pd.to_datetime(times, utc=True).as_unit("ns").asi8.tolist()
    for odd in (
        ["2026-09-18T14:00:00Z2", "026-09-18T14:00:00Z"],  # right total, wrong cut
        ["2026-02-29T14:00:00Z"],  # no such day
        ["2026-09-18T14:00:00-04:00"],  # an offset: pandas reads those
        ["2026-09-18T14:00:00Z", 5],
    ):
        assert _fastpath.utc_nanoseconds(odd) is None


def test_pack_rows_reports_the_rows_it_could_not_pack() -> None:
    rows: list[list[Any]] = [[1.0, 2], [None, 3.5], [4, "x"], [True, 6.0], [7.25, 8]]
    out, failed = _fastpath.pack_rows(rows, 2)
    assert failed == [1, 2]
    assert out[[0, 3, 4]].tolist() == [[1.0, 2.0], [1.0, 6.0], [7.25, 8.0]]
    assert out.flags.writeable
