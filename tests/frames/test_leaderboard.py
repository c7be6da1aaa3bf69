"""leaderboard converters: schema, errors, round-trip."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flowframe as ff
from flowframe import frames
from tests.conftest import load
from tests.frames.conftest import maybe


def test_leaderboard_schema() -> None:
    df = frames.leaderboard_from_payload(load("leaderboard_heat.json"))
    assert df.index.name == "rank" and df.index.dtype == np.int64
    assert df.index.tolist() == [1, 2, 3]
    assert df["symbol"].tolist() == ["QQQ", "SPX", "IWM"]
    assert str(df["symbol"].dtype) == "str" and df["value"].dtype == np.float64
    assert df.attrs["metric"] == "heat"
    assert type(df.attrs["market_open"]) is int and df.attrs["market_open"] == 1  # true
    assert frames.leaderboard_to_payload(df)["market_open"] is True
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
        (
            {"rank": 1, "symbol": "SPY", "value": "hot"},
            r"^leaderboard entries\[0\]\.value must be a number",
        ),
    ],
)
def test_leaderboard_errors(entry: dict[str, Any], match: str) -> None:
    with pytest.raises(ff.SchemaError, match=match):
        frames.leaderboard_from_payload({"entries": [entry]})


# --------------------------------------------------------------------- round-trip (hypothesis)


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
