"""The grids' ``bar`` index: naive UTC times that answer to tz-aware labels too.

Every DataFrame flowframe returns is indexed by tz-aware UTC times, while an xarray time
coordinate must stay naive ``datetime64[ns]`` to be written by ``to_netcdf()`` and
``to_zarr()`` (neither encodes a tz-aware dtype). :class:`UTCBarIndex` bridges the two: the
coordinate stays naive (read as UTC), and the index

- converts every label given to ``.sel`` / ``.loc`` to naive UTC first: tz-aware
  ``pd.Timestamp`` / ``datetime`` (any zone), naive ones (read as UTC), ``np.datetime64``,
  strings with an offset or ``Z`` (converted) or without (left to pandas, so partial dates
  such as ``"2026-09-18 14"`` still select a span), slices of these, and lists, arrays,
  ``DatetimeIndex`` and DataArrays of them;
- hands pandas a tz-aware UTC ``DatetimeIndex`` (``to_pandas_index``), so that
  ``da.indexes["bar"]``, ``da.get_index("bar")``, ``to_series()``, ``to_pandas()`` and
  ``to_dataframe()`` are indexed like the DataFrames, and joins and concats with them line up.

The coordinate's own values (``da.bar.values``, ``da.bar[i]``, ``da.bar.to_index()``) stay
naive: numpy has no tz-aware datetime, and pandas 3 refuses a naive time on a tz-aware index
(``df.loc[np.datetime64(...)]`` raises ``KeyError``). Take a time from ``da.indexes["bar"]``
to use it in a DataFrame.

A file read back (``xr.open_dataarray``, ``xr.open_zarr``) carries a plain ``PandasIndex``:
xarray rebuilds default indexes on reading. :func:`utc_bars` gives it this index again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
import xarray as xr
from xarray.indexes import PandasIndex

from flowframe.errors import SchemaError

__all__ = ["UTCBarIndex", "utc_bars"]

_UTC = "UTC"
_NS = "datetime64[ns]"

T_Grid = TypeVar("T_Grid", bound=xr.DataArray | xr.Dataset)


def _naive_index(index: pd.Index) -> pd.DatetimeIndex:
    """Return ``index`` as a naive UTC ``DatetimeIndex`` (tz-aware times converted)."""
    if not isinstance(index, pd.DatetimeIndex):
        if len(index) or index.dtype != object:
            raise TypeError(
                f"UTCBarIndex needs datetime64 times, got an index of dtype {index.dtype}"
            )
        index = pd.DatetimeIndex(np.array([], dtype=_NS), name=index.name)  # an empty concat
    if index.tz is not None:
        index = index.tz_convert(_UTC).tz_localize(None)
    return index


def _instant(value: Any) -> Any:
    """Return one array element as naive UTC ``np.datetime64``, or ``value`` if not a time."""
    try:
        stamp: Any = pd.Timestamp(value)  # NaT is not a Timestamp
    except (TypeError, ValueError):
        return value
    if pd.isna(stamp):
        return np.datetime64("NaT", "ns")
    if stamp.tz is not None:
        stamp = stamp.tz_convert(_UTC).tz_localize(None)
    return stamp.as_unit("ns").to_datetime64()


def _scalar_label(value: Any) -> Any:
    """Return a scalar label as the index reads it (naive UTC), or as given if it need not change.

    Strings without an offset are left to pandas, which reads them as the index's (naive
    UTC) times and keeps partial dates (``"2026-09-18 14"``) as spans.
    """
    if isinstance(value, str):
        try:
            stamp: Any = pd.Timestamp(value)
        except (TypeError, ValueError):
            return value
        return value if pd.isna(stamp) or stamp.tz is None else _instant(stamp)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:  # pd.Timestamp too
        return _instant(value)
    return value


def _array_label(values: Any) -> Any:
    """Return an array of labels as naive UTC ``datetime64[ns]``, or as given if not times."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.DatetimeTZDtype):  # a tz-aware DatetimeIndex, Series or array
        times = _naive_index(pd.DatetimeIndex(np.ravel(np.asarray(values, dtype=object))))
        return times.as_unit("ns").values.reshape(np.shape(values))
    array = np.asarray(values)
    if array.dtype.kind not in "OUS":
        return values  # naive datetime64 (the index's own), booleans, numbers: as given
    flat = [_instant(v) for v in array.ravel()]
    if not all(isinstance(v, np.datetime64) for v in flat):
        return values  # not all times: xarray's own error says which label is missing
    return np.array(flat, dtype=_NS).reshape(array.shape)


def _label(value: Any) -> Any:
    """Return a ``.sel`` label (scalar, slice, array, DataArray, Variable) in naive UTC."""
    if isinstance(value, slice):
        return slice(_scalar_label(value.start), _scalar_label(value.stop), value.step)
    if isinstance(value, xr.DataArray | xr.Variable):
        if value.dtype.kind == "M" and isinstance(value.dtype, np.dtype):
            return value  # naive datetime64: the index's own kind
        return value.copy(data=_array_label(value.data))
    if isinstance(value, dt.datetime | np.datetime64 | str) or np.ndim(value) == 0:
        return _scalar_label(value)
    return _array_label(value)


class UTCBarIndex(PandasIndex):
    """A ``PandasIndex`` over naive UTC times that also takes tz-aware labels.

    The ``bar`` coordinate of every heatmap and strike-flow object carries it. ``.sel`` and
    ``.loc`` convert each label to naive UTC before looking it up (tz-aware times of any
    zone, strings with an offset or ``Z``, slices and arrays of them; naive labels are read
    as UTC). ``to_pandas_index()`` (so ``obj.indexes["bar"]``, ``obj.get_index("bar")``,
    ``to_series()``, ``to_pandas()``, ``to_dataframe()``) gives the times tz-aware in UTC, as
    the DataFrames' ``t`` index is. The coordinate variable stays ``datetime64[ns]`` (naive)
    so that NetCDF and Zarr can store it.

    Set it on any object with a ``bar`` time coordinate with :func:`utc_bars` (or
    ``obj.drop_indexes("bar").set_xindex("bar", UTCBarIndex)``); take it off with
    ``obj.drop_indexes("bar").set_xindex("bar")``.

    Notes
    -----
    Kept by ``isel``, ``sel``, arithmetic, reductions over ``strike``, ``where``,
    ``rolling``, ``shift``, ``diff``, ``cumsum``, ``sortby``, ``xr.concat``, ``xr.align``
    between flowframe objects, pickling. What needs care (xarray's handling of custom
    indexes, and pandas' refusal to compare naive and tz-aware times):

    - A new time axis comes back with a plain ``PandasIndex``: ``resample``, ``coarsen``,
      ``xr.broadcast``, ``unstack``, ``DataArray.from_series``, a file read back.
      :func:`utc_bars` restores this index.
    - xarray aligns indexes of the same type only: arithmetic, ``xr.align`` and ``xr.merge``
      with an object indexed by a plain ``PandasIndex`` on ``bar`` work when both hold the
      same bars and raise ``AlignmentError`` ("conflicting indexes") when they differ; apply
      :func:`utc_bars` to the other object first. ``obj.reindex(bar=labels)`` wraps the
      labels in a plain ``PandasIndex`` and so raises the same error unless they are the bars
      held: use ``obj.reindex_like(other)`` with a flowframe object, or
      ``utc_bars(obj.drop_indexes("bar").set_xindex("bar").reindex(bar=naive_labels))``.
    - Operations that look labels up in ``obj.get_index("bar")`` (tz-aware) rather than in
      the index: ``drop_sel`` takes tz-aware times or strings, not naive ``np.datetime64``;
      ``interpolate_na(dim="bar")`` needs ``use_coordinate="bar"``; ``interp`` takes naive
      times (read as UTC), not tz-aware ones.
    """

    __slots__ = ()

    def __init__(
        self, array: Any, dim: Hashable, coord_dtype: Any = None, *, fastpath: bool = False
    ):
        super().__init__(array, dim, coord_dtype, fastpath=fastpath)
        naive = _naive_index(self.index)
        if naive is not self.index:
            self.index = naive
            self.coord_dtype = naive.dtype
        elif not isinstance(self.coord_dtype, np.dtype):
            self.coord_dtype = naive.dtype  # a tz-aware coordinate given: stored naive

    def sel(
        self, labels: dict[Any, Any], method: Any = None, tolerance: Any = None
    ) -> Any:  # xarray's IndexSelResult
        """Select by labels read as UTC (tz-aware converted, naive as they are)."""
        utc = {name: _label(value) for name, value in labels.items()}
        return super().sel(utc, method=method, tolerance=tolerance)

    def to_pandas_index(self) -> pd.DatetimeIndex:
        """Return the times as a tz-aware UTC ``DatetimeIndex`` (as the DataFrames' index)."""
        return cast(pd.DatetimeIndex, self.index).tz_localize(_UTC)

    def __repr__(self) -> str:
        return f"UTCBarIndex({self.index!r})"


def utc_bars(obj: T_Grid) -> T_Grid:
    """Give an object's ``bar`` coordinate the UTC bar index the readers give it.

    Use it on a heatmap or strike-flow object read back from a file (``xr.open_dataarray``,
    ``xr.open_dataset``, ``xr.open_zarr``: xarray rebuilds a plain ``PandasIndex`` on
    reading), on the result of ``resample`` or ``coarsen``, or on any object of your own with
    a ``bar`` time coordinate, so that ``.sel(bar=...)`` takes tz-aware times and
    ``to_series()`` is indexed by tz-aware UTC times. A file written by ``to_netcdf()`` /
    ``to_zarr()`` and read back then equals the object written, index included
    (``xr.testing.assert_identical`` holds).

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
        Anything with a 1-D ``bar`` dimension coordinate of times: naive (read as UTC) or
        tz-aware (converted to UTC and stored naive).

    Returns
    -------
    xarray.DataArray or xarray.Dataset
        ``obj`` itself when its ``bar`` already has the index; else a shallow copy whose
        ``bar`` is indexed by :class:`UTCBarIndex`, with ``attrs["timezone"] == "UTC"`` (other
        attrs of the coordinate kept).

    Raises
    ------
    SchemaError
        ``obj`` is not an xarray object or has no ``bar`` dimension coordinate.
    TypeError
        The ``bar`` coordinate does not hold times.

    Examples
    --------
    >>> import flowframe as ff
    >>> sim = ff.Simulated(seed=3, date="2026-09-18", now="12:00", scale=0.02, symbols=["SPY"])
    >>> gex = ff.heatmap("SPY", minutes=10, source=sim)
    >>> plain = gex.drop_indexes("bar").set_xindex("bar")  # as a file reads back
    >>> type(utc_bars(plain).xindexes["bar"]).__name__
    'UTCBarIndex'
    >>> t = pd.Timestamp("2026-09-18 11:55", tz="America/New_York")  # the window's 6th bar
    >>> float(utc_bars(plain).sel(bar=t).spot) == float(gex.spot[5])
    True
    """
    if not isinstance(obj, xr.DataArray | xr.Dataset):
        raise SchemaError(
            f"utc_bars needs an xarray.DataArray or Dataset, got {type(obj).__name__}"
        )
    if "bar" not in obj.dims or "bar" not in obj.coords or obj["bar"].dims != ("bar",):
        raise SchemaError("utc_bars needs a 'bar' dimension coordinate")
    if isinstance(obj.xindexes.get("bar"), UTCBarIndex):
        return obj
    variable = obj["bar"].variable
    index = UTCBarIndex(variable.to_index(), "bar")
    coord = index.create_variables({"bar": variable})
    coord["bar"].attrs = {**variable.attrs, "timezone": _UTC}
    coords = xr.Coordinates(coord, indexes={"bar": index})
    return cast(T_Grid, obj.drop_indexes("bar").assign_coords(coords))
