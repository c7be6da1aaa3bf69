"""plot_profile: what a person looking at the profile figure would notice."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba

from flowframe import frames
from flowframe.errors import SchemaError
from flowframe.plotting import BUY_COLOR, NEUTRAL_COLOR, SELL_COLOR, plot_profile
from flowframe.sources.samples import SampleSource
from tests.plotting.conftest import legend_labels, rects, save_picture, tick_texts, ys


def test_profile_last_bar_by_default(gex):
    ax = plot_profile(gex)
    assert isinstance(ax, Axes)
    last = gex.isel(bar=-1).to_numpy()
    assert len(ax.patches) == gex.sizes["strike"]
    for patch, strike, value in zip(rects(ax), gex.strike.to_numpy(), last, strict=True):
        assert patch.get_width() == pytest.approx(value)
        assert patch.get_y() + patch.get_height() / 2 == pytest.approx(strike)
        assert patch.get_facecolor() == to_rgba(BUY_COLOR if value >= 0 else SELL_COLOR)
    spot = float(gex["spot"][-1])
    hline = next(ln for ln in ax.get_lines() if str(ln.get_label()).startswith("spot"))
    assert list(ys(hline)) == [spot, spot]
    assert legend_labels(ax) == [f"spot {spot:,.2f}"]
    assert ax.get_title() == "SPY gex (raw) by strike at 14:44 ET"
    assert any(t.startswith(("$", "-$")) and t.endswith("M") for t in tick_texts(ax, "x"))


@pytest.mark.parametrize(
    "at",
    [
        "2026-06-05 18:00",
        "2026-06-05T14:00:00-04:00",
        pd.Timestamp("2026-06-05 18:00:20", tz="UTC"),
        np.datetime64("2026-06-05T17:59:45"),
    ],
    ids=["naive-str-utc", "aware-str-et", "aware-timestamp", "datetime64"],
)
def test_profile_at_nearest_bar(gex, at):
    ax = plot_profile(gex, at)
    assert ax.get_title().endswith("at 14:00 ET")
    row = gex.sel(bar=np.datetime64("2026-06-05T18:00")).to_numpy()
    np.testing.assert_allclose([p.get_width() for p in rects(ax)], row)


def test_profile_oi_is_one_colour(oi):
    ax = plot_profile(oi)
    assert {p.get_facecolor() for p in ax.patches} == {to_rgba(NEUTRAL_COLOR)}
    assert ax.get_xlabel() == "contracts (effective open interest)"


def test_profile_errors(gex, series):
    with pytest.raises(ValueError, match="no bars to plot"):
        plot_profile(gex.isel(bar=slice(0, 0)))
    with pytest.raises(SchemaError, match=r"plot_profile needs an xarray\.DataArray"):
        plot_profile(series)
    with pytest.raises(ValueError, match="not a time"):
        plot_profile(gex, "not a time")


# --------------------------------------------------------------------------- pictures


def _picture(kind: str, source: SampleSource) -> Axes:
    if kind == "profile":
        grid = source.get_heatmap("SPY", metric="gex", mode="raw")
        return plot_profile(frames.heatmap_from_payload(grid))
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["profile"])
def test_picture_written_for_a_person_to_look_at(kind, source):
    save_picture(_picture(kind, source), kind)
