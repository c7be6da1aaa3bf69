"""heatmap and strike-flow bodies: (bar x strike) grids read as xarray objects, and written back.

Schemas
-------
heatmap
    ``xr.DataArray`` named after the metric, dims ``("bar", "strike")``, coords ``bar``
    (``datetime64[ns]``, UTC, ``attrs["timezone"] == "UTC"``, indexed by
    :class:`UTCBarIndex`), ``strike`` (float64, ascending), ``spot`` (float64, along
    ``bar``); attrs symbol, expiration, bar_size, as_of, underlying_price, tier_used,
    gap_intervals, source, endpoint_version, data_as_of, metric, mode, units.
    ``mode="delta"`` (any metric but ``signed_flow``, whose delta is its raw) also has the
    coord ``start_level`` (float64, along ``strike``): see *Delta heatmaps*.
strike-flow
    ``xr.Dataset`` of ``signed_delta_dollars``, ``signed_gamma_dollars``, ``contracts``
    (float64, per-bar increments, each with ``attrs["units"]``) on the heatmap's dims and
    coords; the heatmap's attrs but metric, mode and units.

The attrs follow the rule of :mod:`flowframe.frames`: strings and numbers only, so that both
objects round-trip through NetCDF and Zarr. ``as_of`` is UTC ISO-8601 with ``Z``;
``underlying_price`` a float; ``gap_intervals`` the JSON text of the body's list (``"[]"``
when it sent none or null); ``data_as_of`` the JSON text of the body's object; a field the body
left null is absent.

Both bodies share one reader (:func:`_read_grid`) and one writer (:func:`_grid_body`): they
differ only in the arrays each bar carries (``values``, or the three strike-flow arrays).

Bar times
---------
The ``bar`` coordinate stays naive ``datetime64[ns]`` (read as UTC), because NetCDF and Zarr
cannot store a tz-aware one; its index, :class:`UTCBarIndex`, makes it meet the DataFrames'
tz-aware UTC ``t`` index both ways:

- ``gex.sel(bar=hf.index[10])`` works: ``.sel`` / ``.loc`` read tz-aware times of any zone
  (converted to UTC), naive times (as UTC), strings with ``Z`` or an offset, partial-date
  strings, slices of these, and lists, arrays, ``DatetimeIndex`` and DataArrays of them.
- ``gex.indexes["bar"]``, ``gex.get_index("bar")``, ``to_series()``, ``to_pandas()`` and
  ``to_dataframe()`` give tz-aware UTC times, so ``hf.join(gex.sel(strike=k).to_series())``,
  ``pd.concat([hf, ...], axis=1)`` and ``hf.loc[gex.indexes["bar"][10]]`` line up.
- What does not: a value taken from the coordinate itself (``gex.bar.values[10]``,
  ``gex.bar[10]``, ``gex.bar.to_index()``) is naive, and pandas 3 refuses a naive time on a
  tz-aware index (``hf.loc[gex.bar.values[10]]`` raises ``KeyError``); take times from
  ``gex.indexes["bar"]``, or ``pd.Timestamp(t, tz="UTC")``.

The index survives ``isel``, ``sel``, arithmetic, ``where``, ``rolling``, ``shift``,
``xr.concat`` and ``xr.align`` between flowframe objects; a file read back (``to_netcdf`` /
``to_zarr``, then ``xr.open_dataarray`` / ``xr.open_zarr``), ``resample``, ``coarsen`` and
``xr.broadcast`` give a plain ``PandasIndex``: :func:`utc_bars` gives it back, after which the
object read equals the object written (``xr.testing.assert_identical``). :class:`UTCBarIndex`
lists the xarray operations that need care (``reindex`` with plain labels, alignment with a
plain-indexed object holding other bars, ``drop_sel`` with naive times, ``interpolate_na``).

Delta heatmaps
--------------
The body's first bar is the raw level (the API's rule: "change from the previous bar, first
bar raw"). The array holds NaN in that row and keeps the level in the coord ``start_level``
(``attrs["bar"]`` names its bar), so ``da.sum("bar")`` is the change over the window (level at
the last bar minus level at the first), ``da.cumsum("bar") + da.start_level`` the level at
each bar, a plot's first column is blank rather than off the scale, and
:func:`heatmap_to_payload` writes the first bar back from ``start_level``: a body read and
written back is the body (nulls included). A delta array cut after its first bar cannot be
written (its body's first bar would need a level it no longer holds): ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import partial
from typing import Any, Final, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from xarray.indexes import PandasIndex

from flowframe._constants import METRIC_UNITS, STRIKE_FLOW_UNITS, STRIKE_FLOW_VARIABLES
from flowframe._wire import json_numbers
from flowframe.errors import SchemaError
from flowframe.frames import _fastpath
from flowframe.frames._bars import UTCBarIndex, utc_bars
from flowframe.frames._read import (
    NUMERIC_TYPES,
    UTC,
    JsonText,
    bad_number,
    bar_columns,
    from_json,
    has_bool,
    optional_str,
    read_attrs,
    read_floats,
    read_matrix,
    read_times,
    require_list,
    require_mapping,
    sort_order,
)
from flowframe.frames._write import iso_times, write_body
from flowframe.frames.attrs import gap_intervals, storable_attrs
from flowframe.frames.checks import require_grid
from flowframe.frames.delta import (
    START_LEVEL,
    masks_first_bar,
    split_first_bar,
    start_level_variable,
    with_start_level,
)

__all__ = [
    "UTCBarIndex",
    "heatmap_from_json",
    "heatmap_from_payload",
    "heatmap_to_payload",
    "strike_flow_from_json",
    "strike_flow_from_payload",
    "strike_flow_to_payload",
    "utc_bars",
]

# a grid body's top-level fields, in the API's order (a strike-flow body has no metric, mode)
_HEATMAP_KEYS: Final = (
    "symbol",
    "underlying_price",
    "expiration",
    "metric",
    "mode",
    "bar_size",
    "as_of",
    "tier_used",
)
_STRIKE_FLOW_KEYS: Final = tuple(k for k in _HEATMAP_KEYS if k not in ("metric", "mode"))


def _strikes_grid(payload: Mapping[str, Any], what: str) -> tuple[np.ndarray, np.ndarray | slice]:
    """Return the strike grid as sorted float64, and the permutation that sorts it."""
    raw = require_list(payload, "strikes_grid", what)
    strikes = np.empty(len(raw), dtype=np.float64)
    if not _fastpath.pack_floats(raw, strikes) or has_bool(strikes, [raw]):
        bad = bad_number(raw)
        i, v = bad if bad is not None else (raw.index(None), None)
        raise SchemaError(f"{what} strikes_grid[{i}] must be a number, got {v!r}")
    if not np.isfinite(strikes).all():
        raise SchemaError(f"{what} strikes_grid holds a non-finite strike")
    if (np.diff(strikes) > 0).all():
        return strikes, slice(None)  # the usual case: ascending already, no copy
    perm = np.argsort(strikes, kind="stable")
    strikes = strikes[perm]
    if (np.diff(strikes) == 0).any():
        dup = strikes[1:][np.diff(strikes) == 0][0]
        raise SchemaError(f"{what} strikes_grid lists strike {dup:g} twice")
    return strikes, perm


def _read_grid(
    payload: Any, arrays: Sequence[str], what: str, text: JsonText | None, source: str | None
) -> tuple[Mapping[str, Any], _Grid]:
    """Read a grid body: the payload (checked), and what its coords, arrays and attrs hold."""
    payload = require_mapping(payload, what)
    times, spot, *columns = bar_columns(payload, ("t", "spot", *arrays), what)
    strikes, perm = _strikes_grid(payload, what)
    nanoseconds = read_times(times, what)
    order = sort_order(nanoseconds)
    spot_values = read_floats(spot, what, "spot", text=text)[order]
    matrices = [
        read_matrix(rows, name, strikes.size, what, text=text)[order][:, perm]
        for name, rows in zip(arrays, columns, strict=True)
    ]
    attrs = _grid_attrs(payload, what, source)
    return payload, _Grid(nanoseconds[order], strikes, spot_values, matrices, attrs)


class _Grid(NamedTuple):
    """What a grid body holds, copied out of the payload (which can then be let go)."""

    nanoseconds: np.ndarray
    strikes: np.ndarray
    spot: np.ndarray
    matrices: list[np.ndarray]
    attrs: dict[Hashable, Any]


def _grid_coords(grid: _Grid, **extra: xr.Variable) -> xr.Coordinates:
    """Coords ``bar`` (naive UTC, ``attrs["timezone"]``), ``strike``, ``spot`` and ``extra``.

    ``bar`` is indexed by :class:`UTCBarIndex`, which also takes tz-aware labels.
    """
    # the indexes built once here and handed over, so that xarray need not build them again
    times = pd.DatetimeIndex(grid.nanoseconds.view("datetime64[ns]"), name="bar")
    bar = UTCBarIndex(times, "bar", times.dtype, fastpath=True)
    strike = PandasIndex(pd.Index(grid.strikes, name="strike"), "strike")
    variables = {
        **bar.create_variables(),
        **strike.create_variables(),
        "spot": xr.Variable("bar", grid.spot),
        **extra,
    }
    variables["bar"].attrs["timezone"] = UTC
    return xr.Coordinates(variables, indexes={"bar": bar, "strike": strike})


def _grid_attrs(payload: Mapping[str, Any], what: str, source: str | None) -> dict[Hashable, Any]:
    """Read the attrs both grid bodies carry (the heatmap adds metric, mode and units).

    As the attrs rule keeps them (:func:`~flowframe.frames._read.read_attrs`):
    ``gap_intervals`` is its JSON text, ``"[]"`` when the body has none or null.
    """
    underlying = payload.get("underlying_price")
    if underlying is not None and type(underlying) not in NUMERIC_TYPES:
        raise SchemaError(f"{what} field 'underlying_price' must be a number or null")
    gaps = payload.get("gap_intervals", [])
    if gaps is None:
        gaps = []
    if not isinstance(gaps, list):
        raise SchemaError(f"{what} field 'gap_intervals' must be a list")
    return read_attrs(
        payload,
        what,
        source,
        ("symbol", "expiration", "bar_size"),
        underlying_price=None if underlying is None else float(underlying),
        tier_used=optional_str(payload, "tier_used", what),
        gap_intervals=list(gaps),
    )


def heatmap_from_payload(payload: Any, *, source: str | None = None) -> xr.DataArray:
    """Read a ``heatmap`` body as a (bar x strike) DataArray.

    Returns
    -------
    xarray.DataArray
        Named after the metric; dims ``("bar", "strike")``; coords ``bar`` (UTC, indexed by
        :class:`UTCBarIndex`), ``strike`` (ascending), ``spot`` (along ``bar``), and for
        ``mode="delta"`` ``start_level`` (the first bar's raw level, that bar NaN: see the
        module's *Delta heatmaps*). ``attrs["units"]`` names the unit.

    Raises
    ------
    SchemaError
        A ``values`` array does not match ``strikes_grid``, a time does not parse, a value is
        not a number; the message names the field and the bar index.
    """
    return _read_heatmap(payload, None, source)()


def heatmap_from_json(data: bytes | str, *, source: str | None = None) -> xr.DataArray:
    """Read a ``heatmap`` body from its JSON text (bytes as received, or str).

    The same array as ``heatmap_from_payload(orjson.loads(data))``, sooner: the text is
    decoded once with orjson and its numbers converted in C loops; when the body has many
    zeros, one vectorised scan of the text for ``true`` / ``false`` spares looking at each
    zero's type; and the decoded body is let go before the array is built.

    Raises
    ------
    SchemaError
        The text is not JSON, or not a heatmap body (as :func:`heatmap_from_payload`).

    Examples
    --------
    >>> body = (b'{"metric": "oi", "strikes_grid": [480, 485], "bars": [{"t": '
    ...         b'"2026-06-05T18:40:00Z", "spot": 482.1, "values": [1200, null]}]}')
    >>> heatmap_from_json(body).values.tolist()
    [[1200.0, nan]]
    """
    return from_json(data, "heatmap", partial(_read_heatmap, source=source))


def _read_heatmap(
    payload: Any, text: JsonText | None, source: str | None
) -> Callable[[], xr.DataArray]:
    what = "heatmap"
    payload, grid = _read_grid(payload, ("values",), what, text, source)
    metric = optional_str(payload, "metric", what)
    mode = optional_str(payload, "mode", what)
    units = METRIC_UNITS.get(metric or "", "unknown")
    grid.attrs.update(storable_attrs({"metric": metric, "mode": mode, "units": units}, what))
    return partial(_heatmap_array, grid, metric or "value")


def _heatmap_array(grid: _Grid, name: str) -> xr.DataArray:
    (values,) = grid.matrices
    extra: dict[str, xr.Variable] = {}
    if masks_first_bar(grid.attrs):
        # delta: the first bar's raw level set apart (the matrix is the reader's own copy)
        first = grid.nanoseconds[:1].view("datetime64[ns]")
        level = split_first_bar(values)
        units = grid.attrs.get("units")
        extra[START_LEVEL] = start_level_variable(
            level, ("strike",), first[0] if first.size else None, units
        )
    coords = _grid_coords(grid, **extra)
    return xr.DataArray(values, coords=coords, dims=("bar", "strike"), name=name, attrs=grid.attrs)


def strike_flow_from_payload(payload: Any, *, source: str | None = None) -> xr.Dataset:
    """Read a ``strike-flow`` body as a Dataset of three (bar x strike) variables.

    Returns
    -------
    xarray.Dataset
        ``signed_delta_dollars``, ``signed_gamma_dollars``, ``contracts`` (float64, per-bar
        increments, each with ``attrs["units"]``) on the heatmap's dims and coords.
    """
    return _read_strike_flow(payload, None, source)()


def strike_flow_from_json(data: bytes | str, *, source: str | None = None) -> xr.Dataset:
    """Read a ``strike-flow`` body from its JSON text (bytes as received, or str).

    The same Dataset as ``strike_flow_from_payload(orjson.loads(data))``, sooner: see
    :func:`heatmap_from_json`. Text that is not JSON raises :class:`SchemaError`.
    """
    return from_json(data, "strike-flow", partial(_read_strike_flow, source=source))


def _read_strike_flow(
    payload: Any, text: JsonText | None, source: str | None
) -> Callable[[], xr.Dataset]:
    _, grid = _read_grid(payload, STRIKE_FLOW_VARIABLES, "strike-flow", text, source)
    return partial(_strike_flow_dataset, grid)


def _strike_flow_dataset(grid: _Grid) -> xr.Dataset:
    data_vars = {
        name: (("bar", "strike"), matrix, {"units": STRIKE_FLOW_UNITS[name]})
        for name, matrix in zip(STRIKE_FLOW_VARIABLES, grid.matrices, strict=True)
    }
    return xr.Dataset(data_vars, coords=_grid_coords(grid), attrs=grid.attrs)


def _grid_body(
    obj: xr.DataArray | xr.Dataset, keys: Sequence[str], arrays: Mapping[str, xr.DataArray]
) -> dict[str, Any]:
    """Write a grid body: ``keys`` from attrs, the strikes, and the bars.

    Each bar holds its time, its spot and its row of each of ``arrays`` (by field name).
    """
    times = iso_times(pd.DatetimeIndex(obj["bar"].values))  # naive UTC
    spot = json_numbers(obj["spot"].values)
    bars: list[dict[str, Any]] = [{"t": t, "spot": s} for t, s in zip(times, spot, strict=True)]
    for field, array in arrays.items():
        matrix = array.transpose("bar", "strike").values
        for bar, row in zip(bars, matrix, strict=True):
            bar[field] = json_numbers(row)
    return write_body(
        obj.attrs,
        keys,
        strikes_grid=obj["strike"].values.astype(np.float64).tolist(),
        bars=bars,
        gap_intervals=gap_intervals(obj),
    )


def heatmap_to_payload(array: xr.DataArray) -> dict[str, Any]:
    """Write a heatmap DataArray back as a body.

    A ``mode="delta"`` array's first bar is written from its ``start_level`` coordinate (the
    raw level, as the API sends it), so that the body read and written back is the body.

    Raises
    ------
    SchemaError
        ``array`` is not a (bar, strike) DataArray with a ``spot`` coordinate.
    ValueError
        A delta array cut after its first bar (``start_level`` belongs to a bar it no longer
        holds): the body's first bar would need a raw level the array does not have.
    """
    require_grid(array, "heatmap_to_payload", spot=True)
    values = with_start_level(array, "heatmap_to_payload")
    return _grid_body(array, _HEATMAP_KEYS, {"values": values})


def strike_flow_to_payload(dataset: xr.Dataset) -> dict[str, Any]:
    """Write a strike-flow Dataset back as a body."""
    require_grid(dataset, "strike_flow_to_payload", dataset=True, spot=True)
    arrays = {name: dataset[name] for name in STRIKE_FLOW_VARIABLES}
    return _grid_body(dataset, _STRIKE_FLOW_KEYS, arrays)
