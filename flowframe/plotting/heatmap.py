"""The heatmap figure: a (time x strike) colour mesh with the spot path, and its scales."""

from __future__ import annotations

from typing import Final

import matplotlib.patheffects as path_effects
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize

from flowframe._constants import METRIC_UNITS, SIGNED_METRICS
from flowframe.frames.checks import require_grid
from flowframe.plotting.axes import (
    _attr,
    _bar_part,
    _edges,
    _new_axes,
    _title,
    bar_spacing,
    date_nums,
    plain_axis,
    time_axis,
)
from flowframe.plotting.style import _MONEY_DECIMALS, _is_money, money_formatter

__all__ = ["color_norm", "is_signed", "plot_heatmap"]

_ROBUST_PERCENTILES: Final = (2.0, 98.0)


def is_signed(array: xr.DataArray, values: np.ndarray) -> bool:
    """Whether values carry a sign: a signed metric, delta mode, or (unknown) negatives."""
    metric = array.attrs.get("metric")
    if metric in SIGNED_METRICS or array.attrs.get("mode") == "delta":
        return True
    if metric in METRIC_UNITS:
        return False
    return bool(np.nanmin(values, initial=0.0) < 0) if values.size else False


def _spot(array: xr.DataArray) -> np.ndarray | None:
    """Return the ``spot`` coord along ``bar`` as float64, or None."""
    if "spot" not in array.coords or array["spot"].dims != ("bar",):
        return None
    return np.asarray(array["spot"].values, dtype=np.float64)


def _units(array: xr.DataArray) -> str:
    """Return the units label: ``attrs["units"]``, else the metric's, else ""."""
    units = array.attrs.get("units")
    if units:
        return str(units)
    return METRIC_UNITS.get(str(array.attrs.get("metric")), "")


def _grid_name(array: xr.DataArray) -> str:
    """Return ``"{symbol} {metric} ({mode})"`` for a title (missing parts left out)."""
    symbol = _attr(array.attrs, "symbol")
    metric = _attr(array.attrs, "metric") or ("value" if array.name is None else str(array.name))
    mode = _attr(array.attrs, "mode")
    name = f"{metric} ({mode})" if mode else metric
    return f"{symbol} {name}" if symbol else name


def color_norm(values: np.ndarray, *, signed: bool, robust: bool) -> Normalize:
    """Return a colour scale: symmetric about zero when signed, else smallest to largest."""
    finite = values[np.isfinite(values)]
    low_q, high_q = _ROBUST_PERCENTILES if robust else (0.0, 100.0)
    if signed:
        m = float(np.percentile(np.abs(finite), high_q)) if finite.size else 0.0
        if not m > 0:
            m = float(np.abs(finite).max()) if finite.size else 0.0
        return Normalize(vmin=-m, vmax=m) if m > 0 else Normalize(vmin=-1.0, vmax=1.0)
    if not finite.size:
        return Normalize(vmin=0.0, vmax=1.0)
    lo = float(np.percentile(finite, low_q))
    hi = float(np.percentile(finite, high_q))
    if not hi > lo:
        lo, hi = float(finite.min()), float(finite.max())
    if not hi > lo:
        lo, hi = lo - 0.5, lo + 0.5
    return Normalize(vmin=lo, vmax=hi)


def _require_bars(array: xr.DataArray, what: str) -> None:
    """Raise unless ``array`` is a (bar, strike) grid with a bar and a strike."""
    require_grid(array, what)
    if array.sizes["bar"] == 0 or array.sizes["strike"] == 0:
        raise ValueError(f"{what}: the array has no bars to plot (or no strikes)")


def plot_heatmap(
    array: xr.DataArray,
    *,
    ax: Axes | None = None,
    around_spot: float | None = 0.03,
    cmap: str | Colormap | None = None,
    show_spot: bool = True,
    colorbar: bool = True,
    title: str | None = None,
    robust: bool | None = None,
) -> Axes:
    """Plot a heatmap array as a (time x strike) colour mesh, with the spot path over it.

    Signed values (metrics ``gex, dex, vex, chex, signed_flow``, any ``mode="delta"`` array,
    and an array of unknown metric holding negatives) use a diverging colormap (``RdBu_r``)
    on a scale symmetric about zero, ``Normalize(-m, m)``, so that zero is always the
    midpoint (white); ``m`` is the largest absolute value, or its 98th percentile when
    ``robust``; all-zero or all-NaN data gives ``m = 1``. Unsigned values (``oi`` raw) use
    ``viridis`` from the smallest to the largest value (2nd to 98th percentile when
    ``robust``). NaN cells are left blank. Each cell is centred on its bar time and strike.

    Parameters
    ----------
    array : xarray.DataArray
        A heatmap array (:func:`flowframe.frames.heatmap_from_payload`): dims ``("bar",
        "strike")``, coord ``bar`` (naive times read as UTC), ``strike`` and ``spot``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 11 x 5 inch figure when omitted.
    around_spot : float or None, default 0.03
        Keep the strikes within ``min(spot) * (1 - around_spot)`` to
        ``max(spot) * (1 + around_spot)`` over the session; ``None`` keeps every strike, as
        does an array without (finite) spot values.
    cmap : str or matplotlib.colors.Colormap, optional
        Override the colormap (the scale stays as described above).
    show_spot : bool, default True
        Overlay the spot path (a black line with a white outline) when the array has spot.
    colorbar : bool, default True
        Add a colorbar labelled with ``attrs["units"]``.
    title : str, optional
        The title; by default ``"{symbol} {metric} ({mode}) by strike ({bar_size} bars)"``.
    robust : bool, optional
        Scale the colours on percentiles rather than extremes (values beyond are drawn in the
        end colours, and the colorbar gets arrows). ``None`` means ``True`` for
        ``mode="delta"`` arrays, whose first bar and strikes crossed by spot can dwarf every
        other change, and ``False`` otherwise.

    Returns
    -------
    matplotlib.axes.Axes
        The axes holding the mesh (``ax.collections[0]``; its ``norm`` and ``cmap`` tell the
        scale). The colorbar's axes is in ``ax.figure.axes``.

    Raises
    ------
    SchemaError
        ``array`` is not a DataArray with dims ``bar`` and ``strike``.
    ValueError
        The array has no bars or no strikes, ``around_spot`` is negative, or no strike lies
        within ``around_spot`` of the spot range.
    """
    _require_bars(array, "plot_heatmap")
    if around_spot is not None and not around_spot >= 0:
        raise ValueError(f"plot_heatmap: around_spot must be >= 0 or None, got {around_spot}")
    grid = array.transpose("bar", "strike")
    spot = _spot(grid)
    if around_spot is not None and spot is not None and np.isfinite(spot).any():
        lo = float(np.nanmin(spot)) * (1.0 - around_spot)
        hi = float(np.nanmax(spot)) * (1.0 + around_spot)
        strikes_all = np.asarray(grid["strike"].values, dtype=np.float64)
        keep = (strikes_all >= lo) & (strikes_all <= hi)
        if not keep.any():
            raise ValueError(
                f"plot_heatmap: no strike lies within around_spot={around_spot} of the spot "
                f"range ({lo:g} .. {hi:g}); pass around_spot=None to keep every strike"
            )
        grid = grid.isel(strike=np.flatnonzero(keep))

    values = np.asarray(grid.values, dtype=np.float64)
    strikes = np.asarray(grid["strike"].values, dtype=np.float64)
    x = date_nums(grid["bar"].values)
    spacing = bar_spacing(x, grid.attrs.get("bar_size"))
    x_edges = _edges(x, spacing)
    y_edges = _edges(strikes, 1.0)

    if robust is None:
        robust = grid.attrs.get("mode") == "delta"
    signed = is_signed(grid, values)
    norm = color_norm(values, signed=signed, robust=robust)
    default_cmap = "RdBu_r" if signed else "viridis"

    ax = _new_axes(ax)
    mesh = ax.pcolormesh(
        x_edges,
        y_edges,
        np.ma.masked_invalid(values.T),
        cmap=default_cmap if cmap is None else cmap,
        norm=norm,
        shading="flat",
        rasterized=True,
    )
    if show_spot and spot is not None:
        ax.plot(
            x,
            spot,
            color="black",
            linewidth=1.6,
            label="spot",
            path_effects=[path_effects.withStroke(linewidth=3.5, foreground="white")],
        )
        ax.legend(loc="upper left", fontsize="small", framealpha=0.85)
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_ylim(y_edges[0], y_edges[-1])
    time_axis(ax)
    ax.set_ylabel("strike")
    plain_axis(ax)

    units = _units(grid)
    if colorbar:
        finite = values[np.isfinite(values)]
        vmin, vmax = norm.vmin, norm.vmax
        below = vmin is not None and bool(finite.size) and float(finite.min()) < vmin
        above = vmax is not None and bool(finite.size) and float(finite.max()) > vmax
        extend = {(True, True): "both", (True, False): "min", (False, True): "max"}
        bar = ax.figure.colorbar(
            mesh, ax=ax, pad=0.02, extend=extend.get((below, above), "neither")
        )
        bar.set_label(units)
        if _is_money(units):
            bar.formatter = money_formatter(_MONEY_DECIMALS)
            bar.update_ticks()

    part = _bar_part(grid.attrs)
    default = f"{_grid_name(grid)} by strike"
    _title(ax, title, f"{default} ({part})" if part else default)
    return ax
