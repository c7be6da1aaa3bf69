"""The profile figure: one bar of a heatmap array as horizontal bars by strike."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from flowframe._constants import ET
from flowframe.analysis import nearest_bar
from flowframe.plotting.axes import _new_axes, _title, _utc_naive, plain_axis
from flowframe.plotting.heatmap import _grid_name, _require_bars, _spot, _units, is_signed
from flowframe.plotting.style import (
    _MONEY_DECIMALS,
    NEUTRAL_COLOR,
    _is_money,
    _sign_colors,
    money_formatter,
)

__all__ = ["plot_profile"]

When = str | dt.datetime | np.datetime64 | None


def plot_profile(
    array: xr.DataArray,
    at: When = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Plot one bar of a heatmap array as horizontal bars by strike.

    Signed values are green (``>= 0``) or red (``< 0``); an unsigned array (``oi`` raw) is
    drawn in one neutral blue. A dashed horizontal line marks that bar's spot.

    Parameters
    ----------
    array : xarray.DataArray
        A heatmap array (:func:`flowframe.frames.heatmap_from_payload`).
    at : str, datetime or Timestamp, optional
        The bar to show: the one nearest this time (naive times are UTC). The last bar when
        omitted.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 11 x 5 inch figure when omitted.
    title : str, optional
        The title; by default ``"{symbol} {metric} ({mode}) by strike at HH:MM ET"``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: one bar patch per strike, in strike order.

    Raises
    ------
    SchemaError
        ``array`` is not a DataArray with dims ``bar`` and ``strike``.
    ValueError
        The array has no bars or no strikes, or ``at`` is not a time.
    """
    _require_bars(array, "plot_profile")
    grid = array.transpose("bar", "strike")
    i = nearest_bar(grid, at, "plot_profile")
    row = grid.isel(bar=i)
    values = np.asarray(row.values, dtype=np.float64)
    strikes = np.asarray(grid["strike"].values, dtype=np.float64)
    steps = np.diff(strikes)
    height = 0.8 * (float(steps.min()) if steps.size else 1.0)
    signed = is_signed(grid, values)
    colors = _sign_colors(values) if signed else [NEUTRAL_COLOR] * len(values)

    ax = _new_axes(ax)
    ax.barh(strikes, np.nan_to_num(values, nan=0.0), height=height, color=colors, linewidth=0)
    ax.axvline(0.0, color="#555555", linewidth=0.8)
    spot = _spot(grid)
    when = pd.Timestamp(_utc_naive(grid["bar"].values)[i]).tz_localize("UTC").tz_convert(ET)
    if spot is not None and np.isfinite(spot[i]):
        ax.axhline(
            float(spot[i]),
            color="black",
            linestyle="--",
            linewidth=1.2,
            label=f"spot {spot[i]:,.2f}",
        )
        ax.legend(loc="upper right", fontsize="small", framealpha=0.85)
    units = _units(grid)
    ax.set_xlabel(units or "value")
    if _is_money(units):
        ax.xaxis.set_major_formatter(money_formatter(_MONEY_DECIMALS))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, symmetric=signed))
    ax.set_ylabel("strike")
    plain_axis(ax)
    ax.set_ylim(strikes[0] - height, strikes[-1] + height)
    ax.grid(True, axis="x", alpha=0.3)
    _title(ax, title, f"{_grid_name(grid)} by strike at {when:%H:%M} ET")
    return ax
