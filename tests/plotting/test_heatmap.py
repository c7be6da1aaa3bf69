"""plot_heatmap: what a person looking at the heatmap figure would notice."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import xarray as xr
from matplotlib.axes import Axes

from flowframe import frames
from flowframe.errors import SchemaError
from flowframe.plotting import plot_heatmap
from flowframe.sources.samples import SampleSource
from tests.plotting.conftest import (
    DAY_SECONDS,
    as_et,
    assert_et_time_axis,
    limits,
    line,
    mesh_of,
    save_picture,
    xs,
)


def test_heatmap_gex_is_centred_at_zero(gex):
    ax = plot_heatmap(gex)
    assert isinstance(ax, Axes)
    mesh = mesh_of(ax)
    assert mesh.cmap.name == "RdBu_r"
    vmin, vmax = limits(mesh)
    assert vmin == -vmax
    assert np.asarray(mesh.norm(np.array(0.0))) == pytest.approx(0.5)
    shown = gex.sel(strike=slice(ax.get_ylim()[0], ax.get_ylim()[1]))
    assert vmax == pytest.approx(float(np.abs(shown).max()))
    assert_et_time_axis(ax, "13:45", "14:45")
    assert ax.get_title() == "SPY gex (raw) by strike (1m bars)"


def test_heatmap_colorbar_labelled_with_units(gex, oi):
    ax = plot_heatmap(gex)
    assert len(ax.figure.axes) == 2
    bar = mesh_of(ax).colorbar
    assert bar is not None
    assert bar.ax.get_ylabel() == gex.attrs["units"] == "USD per 1% move (dealer gamma exposure)"
    ticks = [t.get_text() for t in bar.ax.get_yticklabels()]
    assert any(t.endswith("M") and "$" in t for t in ticks), ticks
    ax = plot_heatmap(oi)
    bar = mesh_of(ax).colorbar
    assert bar is not None
    assert bar.ax.get_ylabel() == "contracts (effective open interest)"
    assert len(plot_heatmap(gex, colorbar=False).figure.axes) == 1


def test_heatmap_oi_raw_is_sequential(oi):
    mesh = mesh_of(plot_heatmap(oi))
    assert mesh.cmap.name == "viridis"
    vmin, vmax = limits(mesh)
    assert vmin >= 0
    assert vmin != -vmax
    assert vmax == float(oi.max())


def test_heatmap_oi_delta_is_diverging(source):
    oi_delta = frames.heatmap_from_payload(source.get_heatmap("SPY", metric="oi", mode="delta"))
    mesh = mesh_of(plot_heatmap(oi_delta))
    assert mesh.cmap.name == "RdBu_r"
    vmin, vmax = limits(mesh)
    assert vmin == -vmax


def test_heatmap_delta_is_robust_by_default(gex_delta):
    ax = plot_heatmap(gex_delta, around_spot=None)
    mesh = mesh_of(ax)
    peak = float(np.abs(gex_delta).max())
    vmin, vmax = limits(mesh)
    assert vmin == -vmax
    assert 0 < vmax < peak / 2  # a few huge changes do not wash out the rest
    assert mesh.colorbar is not None and mesh.colorbar.extend == "both"
    mesh = mesh_of(plot_heatmap(gex_delta, around_spot=None, robust=False))
    assert limits(mesh)[1] == pytest.approx(peak)
    assert mesh.colorbar is not None and mesh.colorbar.extend == "neither"


@pytest.mark.parametrize(
    "values",
    [np.zeros((3, 4)), np.full((3, 4), np.nan), np.arange(12.0).reshape(3, 4) + 1.0],
    ids=["all-zero", "all-nan", "positive-only"],
)
def test_heatmap_degenerate_signed_data(gex, values):
    array = gex.isel(bar=slice(0, 3), strike=slice(30, 34)).copy(data=values)
    mesh = mesh_of(plot_heatmap(array, around_spot=None))
    vmin, vmax = limits(mesh)
    assert vmin == -vmax
    assert vmax > 0


def test_heatmap_around_spot_limits_strikes(gex):
    spot = gex["spot"].to_numpy()
    lo, hi = spot.min() * 0.99, spot.max() * 1.01
    ax = plot_heatmap(gex, around_spot=0.01)
    y0, y1 = ax.get_ylim()
    assert lo - 0.5 <= y0 and y1 <= hi + 0.5
    kept = gex.strike[(gex.strike >= lo) & (gex.strike <= hi)]
    cells = mesh_of(ax).get_array()
    assert cells is not None and cells.shape == (kept.size, gex.sizes["bar"])
    wide = plot_heatmap(gex, around_spot=None)
    assert wide.get_ylim() == (559.5, 620.5)
    default = plot_heatmap(gex).get_ylim()
    assert wide.get_ylim()[0] < default[0] < y0 and y1 < default[1] < wide.get_ylim()[1]


def test_heatmap_around_spot_errors(gex):
    with pytest.raises(ValueError, match="around_spot"):
        plot_heatmap(gex, around_spot=-0.1)
    far = gex.assign_coords(spot=("bar", np.full(gex.sizes["bar"], 1000.0)))
    with pytest.raises(ValueError, match="no strike lies within"):
        plot_heatmap(far, around_spot=0.01)


def test_heatmap_spot_overlay(gex):
    ax = plot_heatmap(gex)
    spot = line(ax, "spot")
    np.testing.assert_array_equal(spot.get_ydata(), gex["spot"].to_numpy())
    assert spot.get_color() == "black"
    assert spot.get_path_effects()  # the white outline
    assert as_et(xs(spot)[0]).strftime("%H:%M") == "13:45"
    assert not plot_heatmap(gex, show_spot=False).get_lines()


def test_heatmap_without_spot_keeps_every_strike(gex):
    ax = plot_heatmap(gex.drop_vars("spot"))
    assert not ax.get_lines()
    assert ax.get_ylim() == (559.5, 620.5)


def test_heatmap_single_bar_and_cmap_override(gex):
    ax = plot_heatmap(gex.isel(bar=[0]), cmap="coolwarm")
    mesh = mesh_of(ax)
    assert mesh.cmap.name == "coolwarm"
    vmin, vmax = limits(mesh)
    assert vmin == -vmax
    x0, x1 = ax.get_xlim()
    assert (x1 - x0) * DAY_SECONDS == pytest.approx(60.0)


def test_heatmap_errors(gex, hedge):
    with pytest.raises(ValueError, match="no bars to plot"):
        plot_heatmap(gex.isel(bar=slice(0, 0)))
    with pytest.raises(SchemaError, match=r"plot_heatmap needs an xarray\.DataArray"):
        plot_heatmap(hedge)
    with pytest.raises(SchemaError, match="needs dims"):
        plot_heatmap(xr.DataArray(np.zeros((2, 2)), dims=("x", "y")))


# --------------------------------------------------------------------------- pictures


def _picture(kind: str, source: SampleSource) -> Axes:
    def grid(metric: str, mode: str) -> xr.DataArray:
        return frames.heatmap_from_payload(source.get_heatmap("SPY", metric=metric, mode=mode))

    if kind == "heatmap_gex_raw":
        return plot_heatmap(grid("gex", "raw"))
    if kind == "heatmap_gex_delta":
        return plot_heatmap(grid("gex", "delta"))
    if kind == "heatmap_oi":
        return plot_heatmap(grid("oi", "raw"))
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["heatmap_gex_raw", "heatmap_gex_delta", "heatmap_oi"])
def test_picture_written_for_a_person_to_look_at(kind, source):
    save_picture(_picture(kind, source), kind)
