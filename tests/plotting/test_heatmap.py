"""plot_heatmap: what a person looking at the heatmap figure would notice."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import xarray as xr
from matplotlib.axes import Axes

import flowframe as ff
from flowframe import frames
from flowframe.errors import SchemaError
from flowframe.plotting import format_money, plot_heatmap
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
    # the around_spot window leaves strikes out, and the title's second line says so
    title, note = ax.get_title().splitlines()
    assert title == "SPY gex (raw) by strike (1m bars)"
    assert note.startswith(f"strikes {float(shown.strike[0]):g}–{float(shown.strike[-1]):g} shown")
    assert note.endswith("of |gex|")
    assert plot_heatmap(gex, around_spot=None).get_title() == title


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


# --------------------------------------------------------------------------- sparse flow arrays


def flow(obj: Any) -> Any:
    """Type checkers cannot see accessors."""
    return obj.flow


def _share_text(share: float) -> str:
    return "<0.1%" if 0 < share < 0.001 else f"{share:.1%}"


def _active_range(array: xr.DataArray, share: float = 0.99, margin: int = 2) -> tuple[float, float]:
    """The documented rule, written out: the central strikes holding ``share`` of |values|,
    ``margin`` strikes more on each side, widened to the strikes around the spot path."""
    strikes = array["strike"].to_numpy()
    weight = np.nansum(np.abs(array.transpose("bar", "strike").to_numpy()), axis=0)
    cum = np.cumsum(weight) / weight.sum()
    tail = (1 - share) / 2
    first = max(int(np.argmax(cum > tail)) - margin, 0)
    last = min(int(np.argmax(cum >= 1 - tail)) + margin, strikes.size - 1)
    spot = array["spot"].to_numpy()
    lo = min(strikes[first], strikes[strikes <= spot.min()].max())
    hi = max(strikes[last], strikes[strikes >= spot.max()].min())
    return float(lo), float(hi)


@pytest.fixture(scope="module")
def signed_flow(simulated):
    return ff.heatmap("SPY", metric="signed_flow", minutes=120, source=simulated)


@pytest.fixture(scope="module")
def strike_flow(simulated):
    return ff.strike_flow("SPY", minutes=120, source=simulated)


def test_flow_heatmap_colour_scale_is_robust_and_says_what_it_clips(signed_flow, strike_flow):
    ax = plot_heatmap(signed_flow)
    mesh = mesh_of(ax)
    plotted = mesh.get_array()
    assert plotted is not None
    cells = np.ma.compressed(plotted)  # the plotted cells
    nonzero = np.abs(cells[cells != 0])
    p99 = float(np.percentile(nonzero, 99))
    vmin, vmax = limits(mesh)
    assert (vmin, vmax) == pytest.approx((-p99, p99))
    # the few largest cells no longer set the scale (they did: vmax was max |value|)
    assert vmax < float(np.abs(signed_flow).max()) / 3
    bar = mesh.colorbar
    assert bar is not None and bar.extend == "both"
    label = bar.ax.get_ylabel()
    beyond = int((np.abs(cells) > p99).sum())
    assert beyond > 0
    assert label.splitlines() == [
        signed_flow.attrs["units"],
        f"colour clipped at ±{format_money(p99)} (p99 of non-zero |values|): {beyond} cells beyond",
    ]
    # the strike-flow Dataset's variables are flow arrays too
    mesh = mesh_of(flow(strike_flow).plot())
    plotted = mesh.get_array()
    assert plotted is not None
    cells = np.ma.compressed(plotted)
    p99 = float(np.percentile(np.abs(cells[cells != 0]), 99))
    assert limits(mesh) == pytest.approx((-p99, p99))
    # an explicit scale
    mesh = mesh_of(plot_heatmap(signed_flow, vmax=2e6))
    assert limits(mesh) == (-2e6, 2e6)
    assert mesh.colorbar is not None
    assert "colour clipped at ±$2M (vmax)" in mesh.colorbar.ax.get_ylabel()
    with pytest.raises(ValueError, match="vmax"):
        plot_heatmap(signed_flow, vmax=0.0)


def test_flow_heatmap_strikes_cropped_to_the_activity(signed_flow, strike_flow):
    strikes = signed_flow["strike"].to_numpy()
    weight = np.nansum(np.abs(signed_flow.to_numpy()), axis=0)
    lo, hi = _active_range(signed_flow)
    ax = plot_heatmap(signed_flow)
    assert ax.get_ylim() == (lo - 0.5, hi + 0.5)  # SPY strikes are one dollar apart
    kept = (strikes >= lo) & (strikes <= hi)
    assert kept.sum() < strikes.size / 2  # the range was about twice the activity
    out = float(weight[~kept].sum() / weight.sum())
    assert out <= 0.01
    spot = signed_flow["spot"].to_numpy()
    assert lo <= spot.min() and spot.max() <= hi
    title, note = ax.get_title().splitlines()
    assert title == "SPY signed_flow (raw) by strike (1m bars)"
    assert note == (
        f"strikes {lo:g}–{hi:g} shown; the {int((~kept).sum())} of {strikes.size} outside "
        f"hold {_share_text(out)} of |signed_flow|"
    )
    # the same rule on a strike-flow variable
    variable = strike_flow["signed_gamma_dollars"].assign_attrs(metric="signed_gamma_dollars")
    lo_g, hi_g = _active_range(variable)
    assert flow(strike_flow).plot("signed_gamma_dollars").get_ylim() == (lo_g - 0.5, hi_g + 0.5)
    # overrides: a strike range, or every strike (the title still says what is left out)
    ax = plot_heatmap(signed_flow, strikes=(600, 615))
    assert ax.get_ylim() == (599.5, 615.5)
    assert "strikes 600–615 shown" in ax.get_title()
    ax = plot_heatmap(signed_flow, strikes="all")
    assert ax.get_ylim() == (strikes[0] - 0.5, strikes[-1] + 0.5)
    assert ax.get_title() == "SPY signed_flow (raw) by strike (1m bars)"
    with pytest.raises(ValueError, match="strikes"):
        plot_heatmap(signed_flow, strikes=(700, 710))
