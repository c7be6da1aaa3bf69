"""series converters: the fixed schema, pin units, regimes, round-trips, the JSON text path."""

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
from flowframe._constants import SERIES_COLUMNS
from flowframe.frames import _fastpath
from flowframe.sources.samples import SampleSource
from tests.conftest import load
from tests.frames.conftest import UTC_NS, assert_same, msgspec_switched, series_payloads

SERIES_DTYPES = {
    c: ("str" if c == "gamma_flip_status" else "category" if c == "regime" else "float64")
    for c in SERIES_COLUMNS
}


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


# --------------------------------------------------------------------- round-trip (hypothesis)


@settings(max_examples=60, deadline=None)
@given(series_payloads())
def test_series_round_trip(payload: dict[str, Any]) -> None:
    df = frames.series_from_payload(payload)
    back = frames.series_from_payload(frames.series_to_payload(df))
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    assert list(df.columns) == list(SERIES_COLUMNS)


# --------------------------------------------------------------------- JSON text entry point


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
