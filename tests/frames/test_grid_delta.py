"""``mode="delta"`` heatmaps: the wire's raw first bar is set apart, so sums are changes (issue 12).

The body stays the hosted API's (first bar raw, then changes); the DataArray holds NaN in the
first bar and the raw level in ``start_level``, so ``da.sum("bar")`` is the change over the
window, and writing the array back gives the body read.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import flowframe as ff
from flowframe import frames
from tests.frames.conftest import grid_payloads

METRICS = ["gex", "dex", "vex", "chex", "oi"]


@pytest.fixture(scope="module")
def sim() -> ff.Simulated:
    return ff.Simulated(seed=3, date="2026-09-18", now="12:00", scale=0.02, symbols=("SPY",))


def read(sim: ff.Simulated, metric: str, mode: str, minutes: int = 60) -> xr.DataArray:
    return ff.heatmap("SPY", metric=metric, mode=mode, minutes=minutes, source=sim)


@pytest.mark.parametrize("metric", METRICS)
def test_the_first_bar_is_set_apart(sim: ff.Simulated, metric: str) -> None:
    raw, delta = read(sim, metric, "raw"), read(sim, metric, "delta")
    # the engine is faithful to the hosted rule: the body's first bar is the raw level
    body = sim.get_heatmap("SPY", metric=metric, mode="delta", minutes=60)
    raw_body = sim.get_heatmap("SPY", metric=metric, minutes=60)
    assert body["bars"][0]["values"] == raw_body["bars"][0]["values"]
    # the array holds no change for it, and keeps the level apart
    assert np.isnan(delta.isel(bar=0).values).all()
    level = delta["start_level"]
    assert level.dims == ("strike",)
    np.testing.assert_array_equal(level.values, raw.isel(bar=0).values)
    assert level.attrs["bar"] == "2026-09-18T15:00:00Z"
    assert level.attrs["units"] == delta.attrs["units"]
    assert "sum('bar') is the change" in level.attrs["description"]
    np.testing.assert_allclose(
        delta.isel(bar=slice(1, None)).values, np.diff(raw.values, axis=0), rtol=1e-12
    )


@pytest.mark.parametrize("metric", METRICS)
def test_summing_a_delta_window_gives_the_change(sim: ff.Simulated, metric: str) -> None:
    raw, delta = read(sim, metric, "raw"), read(sim, metric, "delta")
    change = raw.isel(bar=-1) - raw.isel(bar=0)
    scale = float(np.abs(raw).max()) or 1.0
    np.testing.assert_allclose(delta.sum("bar").values, change.values, rtol=0, atol=1e-12 * scale)
    # any run of bars within the window: the change from the bar before it to its last bar
    np.testing.assert_allclose(
        delta.isel(bar=slice(10, 31)).sum("bar").values,
        (raw.isel(bar=30) - raw.isel(bar=9)).values,
        rtol=0,
        atol=1e-12 * scale,
    )
    # and the running sum from the start level is the level at each bar
    np.testing.assert_allclose(
        (delta.cumsum("bar") + delta["start_level"]).values, raw.values, rtol=0, atol=1e-12 * scale
    )


def test_the_delta_body_round_trips_exactly(sim: ff.Simulated) -> None:
    body = sim.get_heatmap("SPY", metric="gex", mode="delta", minutes=60)
    # nulls in the first bar's levels, and in later changes
    body["bars"][0]["values"][3] = None
    body["bars"][7]["values"][5] = None
    da = frames.heatmap_from_payload(body, source="unit")
    assert np.isnan(da.values[0]).all() and math.isnan(float(da["start_level"][3]))
    assert math.isnan(float(da.values[7, 5]))
    written = frames.heatmap_to_payload(da)
    assert written["bars"] == body["bars"]
    assert written["strikes_grid"] == body["strikes_grid"]
    xr.testing.assert_identical(frames.heatmap_from_payload(written, source="unit"), da)


def test_a_delta_window_cut_after_its_first_bar_is_not_written(sim: ff.Simulated) -> None:
    delta = read(sim, "gex", "delta")
    with pytest.raises(ValueError, match="first bar is 2026-09-18 15:05:00"):
        frames.heatmap_to_payload(delta.isel(bar=slice(5, None)))
    # cut at the other end, it is still the window's start: written as read
    head = frames.heatmap_to_payload(delta.isel(bar=slice(0, 5)))
    whole = frames.heatmap_to_payload(delta)
    assert head["bars"] == whole["bars"][:5]
    # in any bar order (bars are written in the array's order; the reader sorts them)
    backwards = frames.heatmap_to_payload(delta.sortby("bar", ascending=False))["bars"]
    assert backwards[::-1] == whole["bars"]


def test_heatmap_to_delta_is_what_a_delta_body_reads(sim: ff.Simulated) -> None:
    converted = ff.heatmap_to_delta(read(sim, "gex", "raw"))
    assert np.isnan(converted.isel(bar=0).values).all()
    xr.testing.assert_identical(converted, read(sim, "gex", "delta"))
    assert frames.heatmap_to_payload(converted) == frames.heatmap_to_payload(
        read(sim, "gex", "delta")
    )
    # signed_flow is per bar already: its delta is its raw, nothing set apart
    raw, delta = read(sim, "signed_flow", "raw"), read(sim, "signed_flow", "delta")
    assert "start_level" not in delta.coords
    np.testing.assert_array_equal(delta.values, raw.values)
    # and the conversion agrees with the body read for every metric, start level included
    for metric in [*METRICS, "signed_flow"]:
        converted = ff.heatmap_to_delta(read(sim, metric, "raw"))
        xr.testing.assert_identical(converted, read(sim, metric, "delta"))


def test_top_strikes_of_a_delta_window_ranks_changes(sim: ff.Simulated) -> None:
    delta = read(sim, "gex", "delta")
    ranked = ff.top_strikes(delta, n=5)
    changes = delta.isel(bar=slice(1, None)).fillna(0.0)
    value = changes.sum("bar")
    np.testing.assert_allclose(
        ranked["value"].to_numpy(), value.sel(strike=ranked["strike"].values).values, rtol=1e-12
    )
    weight = abs(changes).sum("bar")
    np.testing.assert_allclose(
        ranked["share"].to_numpy(),
        (weight / weight.sum()).sel(strike=ranked["strike"].values).values,
        rtol=1e-12,
    )


# --------------------------------------------------------------------------- any body


@st.composite
def delta_payloads(draw: Any) -> dict[str, Any]:
    payload: dict[str, Any] = draw(grid_payloads())
    payload["mode"] = "delta"
    payload["metric"] = draw(st.sampled_from(["gex", "oi", "signed_flow", None, "odd_metric"]))
    return payload


@settings(max_examples=80, deadline=None)
@given(delta_payloads())
def test_any_delta_body_reads_as_its_raw_reading_with_the_first_bar_apart(
    payload: dict[str, Any],
) -> None:
    delta = frames.heatmap_from_payload(payload)
    as_raw = frames.heatmap_from_payload({**copy.deepcopy(payload), "mode": "raw"})
    masked = payload["metric"] != "signed_flow"
    assert ("start_level" in delta.coords) is masked
    if masked:
        first = as_raw.isel(bar=0).values if as_raw.sizes["bar"] else np.nan
        np.testing.assert_array_equal(delta["start_level"].values, first)
        if delta.sizes["bar"]:
            assert np.isnan(delta.isel(bar=0).values).all()
        np.testing.assert_array_equal(
            delta.isel(bar=slice(1, None)).values, as_raw.isel(bar=slice(1, None)).values
        )
    else:
        np.testing.assert_array_equal(delta.values, as_raw.values)
    # written back, the body's bars are the raw reading's: the wire form, nulls included
    written = frames.heatmap_to_payload(delta)
    assert written["bars"] == frames.heatmap_to_payload(as_raw)["bars"]
    xr.testing.assert_identical(frames.heatmap_from_payload(written), delta)
