"""``mode="delta"`` heatmaps: the window's first bar, kept apart from the changes.

On the wire a delta heatmap's first bar is the raw level (the hosted API's rule: "change from
the previous bar, first bar raw"), every later bar the change from the bar before. Held as
such, ``da.sum("bar")`` would add a level to changes, and the first column would dwarf every
other in a plot. So the DataArray keeps them apart:

- the first bar's row is NaN (its change from a bar outside the window is unknown);
- the raw level it carried is the coordinate ``start_level`` along ``strike``, whose attrs
  name the bar it belongs to (``attrs["bar"]``, UTC ISO-8601) and say what it is.

Then ``da.sum("bar")`` is the change over the window (the level at the last bar minus the
level at the first), ``da.cumsum("bar") + da.start_level`` the level at each bar, and
:func:`with_start_level` writes the body's first bar back exactly. ``signed_flow`` is the
exception: its raw values are already per-bar increments and its delta equals its raw, first
bar included, so nothing is set apart.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
import xarray as xr

from flowframe._wire import iso_z

__all__ = [
    "START_LEVEL",
    "masks_first_bar",
    "split_first_bar",
    "start_bar",
    "start_level_variable",
    "with_start_level",
]

START_LEVEL: Final = "start_level"
_DESCRIPTION: Final = (
    "mode='delta': the raw level at the window's first bar (attrs 'bar'), which the body sends "
    "as that bar's value; the array holds NaN there, so that sum('bar') is the change from the "
    "first bar to the last and cumsum('bar') + start_level the level at each bar"
)


def masks_first_bar(attrs: Mapping[Hashable, Any]) -> bool:
    """Whether an array with these attrs sets its first bar apart (delta, not signed_flow)."""
    return attrs.get("mode") == "delta" and attrs.get("metric") != "signed_flow"


def start_level_variable(
    level: np.ndarray, dims: Sequence[Hashable], bar: Any, units: Any = None
) -> xr.Variable:
    """Return the ``start_level`` coordinate: ``level`` on ``dims``, naming its ``bar``.

    ``bar`` is the first bar's time (naive UTC or tz-aware), or None / NaT when the window
    has no bar; ``units`` (the array's) is copied into the attrs when given.
    """
    attrs: dict[Hashable, Any] = {"long_name": "level at the window's first bar"}
    if bar is not None and not pd.isna(bar):
        stamp = pd.Timestamp(bar)
        attrs["bar"] = iso_z(stamp if stamp.tz is not None else stamp.tz_localize("UTC"))
    if units:
        attrs["units"] = str(units)
    attrs["description"] = _DESCRIPTION
    return xr.Variable(tuple(dims), level, attrs)


def split_first_bar(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Set the first bar of ``values`` (along ``axis``) to NaN, in place; return what it held.

    With no bar, the level returned is all NaN (the shape of one bar).
    """
    if values.shape[axis] == 0:
        shape = values.shape[:axis] + values.shape[axis + 1 :]
        return np.full(shape, np.nan, dtype=np.float64)
    first: np.ndarray = np.array(np.take(values, 0, axis=axis), copy=True)
    index: list[Any] = [slice(None)] * values.ndim
    index[axis] = 0
    values[tuple(index)] = np.nan
    return first


def start_bar(array: xr.DataArray) -> pd.Timestamp | None:
    """Return the bar (naive UTC) that ``array``'s ``start_level`` belongs to.

    Read from ``start_level.attrs["bar"]``; an array whose coordinate lost that attr (or has
    no ``start_level``) answers its earliest bar; None when it has no bar at all.
    """
    if START_LEVEL in array.coords:
        text = array.coords[START_LEVEL].attrs.get("bar")
        if isinstance(text, str):
            stamp = pd.Timestamp(text)
            return stamp.tz_convert("UTC").tz_localize(None) if stamp.tz is not None else stamp
    if array.sizes.get("bar", 0) == 0:
        return None
    return pd.Timestamp(pd.DatetimeIndex(array["bar"].values).min())


def with_start_level(array: xr.DataArray, what: str) -> xr.DataArray:
    """Return ``array`` (``bar`` before ``strike``) with its first bar's raw level put back.

    The wire form of a delta array that sets its first bar apart: the row of the earliest
    bar takes ``start_level``. An array without ``start_level``, or without a bar, is
    returned as it is (transposed).

    Raises
    ------
    ValueError
        The array's earliest bar is not the one ``start_level`` belongs to (a window cut after
        its first bar): a delta body's first bar must carry the raw level there, which the
        array no longer holds.
    """
    grid = array.transpose("bar", "strike", ...)
    if START_LEVEL not in grid.coords or grid.sizes["bar"] == 0:
        return grid
    level = grid.coords[START_LEVEL]
    times = pd.DatetimeIndex(grid["bar"].values)
    first = int(np.argmin(times.asi8))
    wanted = start_bar(grid)
    if wanted is not None and times[first] != wanted:
        raise ValueError(
            f"{what}: this delta array's first bar is {times[first]} (UTC), but its "
            f"start_level belongs to {wanted}; a delta body's first bar carries the raw level, "
            "which a window cut after its first bar no longer holds. Write the whole window, "
            "or convert a raw array's window with heatmap_to_delta"
        )
    values = np.array(grid.values, dtype=np.float64, copy=True)
    shape = {dim: grid.sizes[dim] for dim in grid.dims[1:]}
    values[first] = level.variable.set_dims(shape).transpose(*shape).values
    return grid.copy(data=values)
