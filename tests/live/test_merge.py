"""Merging: windows fetched after the first cycle land in the frames held, losing nothing."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from flowframe.frames import series_from_payload
from flowframe.live.merge import hedge_from_series, merge_heatmap, merge_series, window_minutes
from flowframe.live.poller import Poller
from tests.fakeapi import fixture
from tests.fakes import Proxy, fresh_heatmap, fresh_series, running_sim


def test_incremental_cycles_match_a_fresh_full_fetch() -> None:
    sim, wall = running_sim("10:00", speed=60.0)
    proxy = Proxy(sim)
    poller = Poller(proxy, "SPY", leaderboard_every=None)
    assert poller.speed == 60.0
    assert poller.cycle()
    assert proxy.minutes() == {"get_series": 390, "get_heatmap": 390}
    for step in (0.25, 0.5, 1.0, 2.5, 0.1, 4.0, 0.75):  # real seconds: 15 s to 4 min of session
        wall.t += step
        proxy.calls.clear()
        assert poller.cycle()
        minutes = proxy.minutes()
        assert [m for m, _ in proxy.calls] == ["get_series", "get_heatmap", "get_snapshot"]
        # the elapsed minutes, plus how far the last bar held lagged (a 1m bar is labelled by
        # its start; the heatmap serves complete minutes only), plus one bar of overlap and
        # the 60 s margin
        assert 1 <= minutes["get_series"] <= math.ceil(step) + 4
        assert 1 <= minutes["get_heatmap"] <= math.ceil(step) + 4
        fresh = fresh_series(sim, poller)
        assert poller.data.series is not None
        pd.testing.assert_frame_equal(poller.data.series, fresh)
        assert poller.data.series.attrs == fresh.attrs
        assert poller.data.hedge is not None
        pd.testing.assert_frame_equal(poller.data.hedge, hedge_from_series(fresh))
        xr.testing.assert_identical(poller.data.heatmap, fresh_heatmap(sim, poller))
    assert poller.status.requests == 3 * 8
    assert poller.data.leaderboard is None


def test_merge_keeps_newer_bars_and_unions_strikes() -> None:
    times = pd.DatetimeIndex(["2026-09-18 14:00", "2026-09-18 14:01", "2026-09-18 14:02"])
    times = times.as_unit("ns")

    def grid(t: Any, strikes: list[float], value: float) -> xr.DataArray:
        shape = (len(t), len(strikes))
        return xr.DataArray(
            np.full(shape, value),
            dims=("bar", "strike"),
            coords={"bar": t, "strike": strikes, "spot": ("bar", np.full(len(t), 100.0))},
            name="gex",
            attrs={"metric": "gex", "as_of": value},
        )

    held = grid(times[:2], [99.0, 100.0], 1.0)
    new = grid(times[1:], [100.0, 101.0], 2.0)
    merged = merge_heatmap(held, new)
    assert list(merged["strike"].values) == [99.0, 100.0, 101.0]
    assert merged.sizes["bar"] == 3 and merged.attrs["as_of"] == 2.0
    expected = np.array([[1.0, 1.0, np.nan], [np.nan, 2.0, 2.0], [np.nan, 2.0, 2.0]])
    np.testing.assert_array_equal(merged.values, expected)
    assert merge_heatmap(None, new) is new
    assert merge_heatmap(held, new.isel(bar=slice(0, 0))).sizes["bar"] == 2

    # a regime label the held frame never saw keeps the column categorical
    body = fixture("series_1m.json")
    base = series_from_payload(body)
    later = base.iloc[-1:].copy()
    later["regime"] = pd.Categorical(["transition"], categories=["transition"])
    out = merge_series(base, later)
    assert len(out) == len(base) and out["regime"].iloc[-1] == "transition"
    assert list(out["regime"].cat.categories)[:3] == ["positive_gamma", "negative_gamma", "neutral"]


def test_window_minutes() -> None:
    t = pd.Timestamp("2026-09-18 14:00Z")
    assert window_minutes(None, t, 60.0) == 390  # nothing held: the whole session
    assert window_minutes(t, t, 60.0) == 1  # one bar of overlap
    assert window_minutes(t, t + pd.Timedelta("90s"), 60.0) == 3
    assert window_minutes(t, t + pd.Timedelta("4min"), 300.0) == 9
    assert window_minutes(t - pd.Timedelta("1D"), t, 60.0) == 390  # never more than a session
