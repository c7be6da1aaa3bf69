"""Shared by the frames tests: payload builders and hypothesis strategies for every family."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pandas as pd
import pytest
import xarray as xr
from hypothesis import strategies as st

from flowframe._constants import SERIES_COLUMNS
from flowframe.frames import _fastpath

UTC_NS = "datetime64[ns, UTC]"


def hedge(bars: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"symbol": "SPY", "side": "all", "bar_size": "30s", "bars": bars, **extra}


# --------------------------------------------------------------------- generated payloads (hypothesis)


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


# --------------------------------------------------------------------- comparing the JSON and payload readers


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
