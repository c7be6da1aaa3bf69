"""The attrs rule: what the objects' ``attrs`` hold, so that every object can be stored.

:func:`as_of`, :func:`data_as_of` and :func:`gap_intervals` read back, as Python objects, the
attrs kept as text (also exported from :mod:`flowframe.frames`); :func:`storable_attrs` is
what every ``*_from_payload`` reader applies to the attrs it builds.

The attrs rule
--------------
Every value in the ``attrs`` of an object the readers (and so the loaders) return is a
``str``, an ``int`` or a ``float``. Those are the values that all three storage formats write
and read back equal: Parquet (pandas keeps ``df.attrs`` as JSON in the file's metadata),
NetCDF (whose attributes take strings and numbers; xarray refuses None and dicts, and the
netCDF4 engine refuses booleans and lists of objects, and reads a list of numbers back as an
array, or as a scalar when it has one item) and Zarr (JSON). So ``df.to_parquet``,
``da.to_netcdf``, ``ds.to_zarr`` keep the attrs as they are, and one rule serves DataFrames
and xarray objects alike (the leaderboard's ``df.to_xarray().to_netcdf()`` works too). Each
kind of value the body holds is kept this way:

- a time (``as_of``) is a UTC ISO-8601 string ending in ``Z``, the wire's own form
  (``"2026-09-18T17:12:03.441187Z"``); :func:`as_of` reads it back as a ``pd.Timestamp``;
- a field the body left null, or did not send, is absent from ``attrs`` (never None): ask
  with ``attrs.get(key)``;
- a JSON object or list (``data_as_of``, ``gap_intervals``) is its compact JSON text, in the
  body's order and exactly as sent (the times inside stay as the body wrote them);
  :func:`data_as_of` and :func:`gap_intervals` decode it;
- a boolean (the leaderboard's ``market_open``) is the integer 1 (true) or 0 (false).

The ``*_to_payload`` writers undo each of these, so a body written back is the body read.
They also take attrs of the older forms (a ``pd.Timestamp`` ``as_of``, a dict
``data_as_of``, a list ``gap_intervals``, a bool), as a hand-built object may carry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping
from typing import Any, Final

import numpy as np
import orjson
import pandas as pd

from flowframe._wire import iso_z
from flowframe.errors import SchemaError
from flowframe.frames.checks import read_timestamp

__all__ = ["ATTR_TYPES", "as_of", "data_as_of", "gap_intervals", "storable_attrs"]

# what every attrs value is (bool, a subclass of int, excepted: it is written as 0 / 1)
ATTR_TYPES: Final = (str, int, float)


def _attrs_of(obj: Any) -> Mapping[Hashable, Any]:
    """Return the attrs of a pandas / xarray object, or ``obj`` itself if it is a mapping."""
    attrs = getattr(obj, "attrs", None)  # first: a Dataset is a Mapping (of its variables)
    if isinstance(attrs, Mapping):
        return attrs
    if isinstance(obj, Mapping):
        return obj
    raise TypeError(f"expected an object with attrs, or a mapping; got {type(obj).__name__}")


def _storable(key: Hashable, value: Any, what: str) -> str | int | float:
    """One attrs value as the rule keeps it (None is dropped before this is called)."""
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(value)
        return iso_z(stamp if stamp.tz is not None else stamp.tz_localize("UTC"))
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        raise SchemaError(f"{what} attrs[{key!r}] cannot be kept as JSON text: {value!r}") from None


def storable_attrs(attrs: Mapping[Hashable, Any], what: str) -> dict[Hashable, Any]:
    """Return ``attrs`` as the attrs rule keeps them (see the module docstring).

    None (and NaT) values are dropped; booleans become 1 / 0; times become UTC ISO-8601 strings
    with a ``Z``; lists and dicts become their compact JSON text; strings and numbers stay.
    """
    out: dict[Hashable, Any] = {}
    for key, value in attrs.items():
        if value is None or value is pd.NaT:
            continue
        out[key] = _storable(key, value, what)
    return out


def as_of(obj: Any, key: str = "as_of") -> pd.Timestamp | None:
    """Return an object's ``as_of`` as a UTC ``pd.Timestamp``, or None when it has none.

    Parameters
    ----------
    obj : pandas.DataFrame, xarray.DataArray, xarray.Dataset or mapping
        An object from a loader or a ``*_from_payload`` reader (or one read back from
        Parquet, NetCDF or Zarr), or its ``attrs``.
    key : str, default "as_of"
        The attr to read.

    Returns
    -------
    pandas.Timestamp or None
        ``datetime64[ns, UTC]`` time. The attr is an ISO-8601 string (see *The attrs rule* in
        :mod:`flowframe.frames`); a ``pd.Timestamp`` or ``datetime`` is accepted too (a naive
        one is read as UTC).

    Raises
    ------
    SchemaError
        The attr is neither a time nor an ISO-8601 string.

    Examples
    --------
    >>> import flowframe as ff
    >>> from flowframe.frames import as_of
    >>> df = ff.hedge_flow("SPY", source=ff.SampleSource(now="11:00"))
    >>> df.attrs["as_of"], as_of(df)
    ('2026-06-05T15:00:00Z', Timestamp('2026-06-05 15:00:00+0000', tz='UTC'))
    """
    value = _attrs_of(obj).get(key)
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
        return stamp.as_unit("ns")
    return read_timestamp({key: value}, key, "attrs")


def data_as_of(obj: Any) -> dict[str, Any] | None:
    """Return the body's ``data_as_of`` (per-feed times) as a dict, or None when it had none.

    Parameters
    ----------
    obj : pandas.DataFrame, xarray.DataArray, xarray.Dataset or mapping
        An object from a loader or a reader, or its ``attrs``.

    Returns
    -------
    dict or None
        The object exactly as the body sent it (``node``, ``flow_feed``, ``oi_feed``, ...,
        times as ISO-8601 strings, None for a feed not seen). ``attrs["data_as_of"]`` holds
        its JSON text (see *The attrs rule* in :mod:`flowframe.frames`).

    Raises
    ------
    SchemaError
        The attr is not the JSON text of an object.
    """
    value = _attrs_of(obj).get("data_as_of")
    decoded = _decoded(value, "data_as_of")
    if decoded is not None and not isinstance(decoded, dict):
        raise SchemaError(f"attrs['data_as_of'] must hold a JSON object, got {value!r}")
    return decoded


def gap_intervals(obj: Any) -> list[Any]:
    """Return a grid's ``gap_intervals`` as a list (empty when the body sent none).

    Parameters
    ----------
    obj : xarray.DataArray, xarray.Dataset or mapping
        A heatmap or strike-flow object, or its ``attrs``.

    Returns
    -------
    list
        The list exactly as the body sent it. ``attrs["gap_intervals"]`` holds its JSON text
        (``"[]"`` for none; see *The attrs rule* in :mod:`flowframe.frames`).

    Raises
    ------
    SchemaError
        The attr is not the JSON text of a list.
    """
    value = _attrs_of(obj).get("gap_intervals")
    decoded = _decoded(value, "gap_intervals")
    if decoded is None:
        return []
    if not isinstance(decoded, list):
        raise SchemaError(f"attrs['gap_intervals'] must hold a JSON list, got {value!r}")
    return decoded


def _decoded(value: Any, key: str) -> Any:
    """Decode an attr kept as JSON text; a dict or list (an older form) is copied."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            raise SchemaError(f"attrs[{key!r}] is not JSON text: {value!r}") from None
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list | tuple):
        return list(value)
    return value
