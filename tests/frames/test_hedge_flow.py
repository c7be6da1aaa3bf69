"""hedge-flow converters: schema, reading rules, errors, split legs, round-trips."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import given, settings

import flowframe as ff
from flowframe import frames
from flowframe._constants import SPLIT_COLUMNS
from flowframe.sources.samples import SampleSource
from tests.conftest import load
from tests.frames.conftest import UTC_NS, hedge, hedge_payloads


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
        "as_of": "2026-09-18T17:12:03.441187Z",  # the attrs rule: UTC ISO-8601 text
        "source": "unit",
        "endpoint_version": "2026.09.01",
        "data_as_of": (  # the attrs rule: the object's JSON text, as sent
            '{"node":"t1","flow_feed":"2026-09-18T17:12:01.000Z","oi_feed":"2026-09-17T20:00:00.000Z"}'
        ),
    }
    assert frames.as_of(df) == pd.Timestamp("2026-09-18T17:12:03.4411870Z")
    assert frames.data_as_of(df) == {
        "node": "t1",
        "flow_feed": "2026-09-18T17:12:01.000Z",
        "oi_feed": "2026-09-17T20:00:00.000Z",
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


# --------------------------------------------------------------------- split legs


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


@pytest.mark.parametrize(
    "calls, puts, match",
    [
        (
            {"symbol": "SPY", "bar_size": "1m"},
            {"symbol": "QQQ", "bar_size": "5m"},
            r"the legs disagree on symbol: calls symbol='SPY', puts symbol='QQQ'",
        ),
        (
            {"symbol": "SPY", "bar_size": "1m"},
            {"symbol": "SPY", "bar_size": "5m"},
            r"the legs disagree on bar_size: calls bar_size='1m', puts bar_size='5m'",
        ),
        (
            {"expiration": "2026-09-18"},
            {"expiration": "2026-09-17"},
            r"disagree on expiration: calls expiration='2026-09-18', puts expiration='2026-09-17'",
        ),
    ],
)
def test_split_refuses_legs_of_different_requests(
    calls: dict[str, str], puts: dict[str, str], match: str
) -> None:
    # before: SPY 1m calls were joined with QQQ 5m puts without a word (issue 13)
    bar = [{"t": "2026-09-18T14:00:00Z", "bar": 1, "cumulative": 1}]
    calls_body = {"side": "calls", "bars": bar, **calls}
    puts_body = {"side": "puts", "bars": bar, **puts}
    with pytest.raises(ValueError, match=match):
        frames.split_hedge_flow(calls_body, puts_body)
    with pytest.raises(ValueError, match=match):  # from JSON text alike
        frames.split_hedge_flow(orjson.dumps(calls_body), orjson.dumps(puts_body))


def test_split_compares_only_what_both_legs_say() -> None:
    bar = [{"t": "2026-09-18T14:00:00Z", "bar": 1, "cumulative": 1}]
    calls = {"side": "calls", "symbol": "SPY", "bar_size": "1m", "bars": bar}
    puts = {"side": "puts", "symbol": None, "bars": bar}  # null or absent: nothing to compare
    df = frames.split_hedge_flow(calls, puts)
    assert df.attrs["symbol"] == "SPY" and df["bar"].tolist() == [2.0]
    split = ff.hedge_flow("SPY", side="split", bar="5m", source=SampleSource(now="11:00"))
    assert split.attrs["bar_size"] == "5m"  # the loader's two legs agree


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


# --------------------------------------------------------------------- round-trip (hypothesis)


@settings(max_examples=60, deadline=None)
@given(hedge_payloads())
def test_hedge_flow_round_trip(payload: dict[str, Any]) -> None:
    df = frames.hedge_flow_from_payload(payload)
    back = frames.hedge_flow_from_payload(frames.hedge_flow_to_payload(df))
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    assert back.attrs == df.attrs
    assert df.index.is_unique and df.index.is_monotonic_increasing


# --------------------------------------------------------------------- booleans


def test_bool_in_a_short_field_is_caught() -> None:
    body = hedge(
        [{"t": "2026-09-18T14:00:00Z", "bar": 0.0}, {"t": "2026-09-18T14:00:30Z", "bar": False}]
    )
    with pytest.raises(
        ff.SchemaError, match=r"hedge-flow bars\[1\]\.bar must be a number or null, got False"
    ):
        frames.hedge_flow_from_payload(body)
