"""Delta heatmaps in the live layer: merged windows and the panel keep the first bar right (issue 12)."""

from __future__ import annotations

import numpy as np
import xarray as xr

import flowframe as ff
from flowframe.frames import UTCBarIndex
from flowframe.live import HeatmapPanel, LiveData
from flowframe.live.merge import merge_heatmap


def session(frozen: ff.Simulated) -> xr.DataArray:
    return ff.heatmap("SPY", minutes=120, source=frozen)


def test_merged_delta_windows_are_the_whole_windows_delta(frozen: ff.Simulated) -> None:
    raw = session(frozen)
    whole = ff.heatmap_to_delta(raw)
    first = ff.heatmap_to_delta(raw.isel(bar=slice(0, 80)))
    # a poll's window overlaps the bars held by one bar or more; its first bar is NaN
    later = ff.heatmap_to_delta(raw.isel(bar=slice(78, 120)))
    merged = merge_heatmap(first, later)
    xr.testing.assert_allclose(merged, whole)
    assert merged["start_level"].attrs["bar"] == whole["start_level"].attrs["bar"]
    assert type(merged.xindexes["bar"]) is UTCBarIndex
    scale = float(np.abs(raw).max())
    np.testing.assert_allclose(
        merged.sum("bar").values,
        (raw.isel(bar=-1) - raw.isel(bar=0)).values,
        rtol=0,
        atol=1e-12 * scale,
    )
    # a newer window that reaches further back takes the start
    xr.testing.assert_allclose(merge_heatmap(later, first), whole)
    # across a gap the change into the later window is unknown: NaN, not its level
    gap = merge_heatmap(
        ff.heatmap_to_delta(raw.isel(bar=slice(0, 40))),
        ff.heatmap_to_delta(raw.isel(bar=slice(50, 120))),
    )
    assert np.isnan(gap.sel(bar=raw.bar[50]).values).all()
    np.testing.assert_array_equal(gap["start_level"].values, whole["start_level"].values)
    # raw windows merge as they always did, with nothing set apart
    plain = merge_heatmap(raw.isel(bar=slice(0, 80)), raw.isel(bar=slice(78, 120)))
    xr.testing.assert_identical(plain, raw)
    assert "start_level" not in plain.coords


def test_the_panel_in_delta_mode_leaves_the_first_bar_blank(frozen: ff.Simulated) -> None:
    raw = session(frozen)
    panel = HeatmapPanel(LiveData(heatmap=raw), render="png", mode="delta")
    data = panel.image.get_array()
    assert data is not None
    cells = np.ma.masked_invalid(data)  # (strike, time), one column a bar
    assert cells.shape[1] == raw.sizes["bar"]
    assert cells[:, 0].mask.all()  # the first bar: blank
    assert not cells[:, 1:].mask.all(axis=0).any()  # every other bar shows
    low, high = panel.image.get_clim()
    levels = float(np.nanmax(np.abs(raw.isel(bar=0).values)))
    assert high < levels and low == -high
