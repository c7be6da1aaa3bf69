"""Checks that a frame or array has what a function needs (shared by analysis and plotting)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import xarray as xr

from flowframe.errors import SchemaError

# ISO 8601 date-time as the API writes it: date, time, optional fraction, optional offset; a
# date alone is no time (it would read as midnight UTC, hours before the session)
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)


def missing_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Return the names in ``columns`` that ``frame`` lacks, in order."""
    return [c for c in columns if c not in frame.columns]


def require_columns(
    frame: pd.DataFrame, columns: Sequence[str], what: str, *, time_index: bool = True
) -> None:
    """Raise :class:`SchemaError` naming the missing columns (and check the time index).

    ``time_index=False`` skips the index check: for frames indexed otherwise (the
    leaderboard's ``rank``), and for the writers, which read a naive index as UTC.
    """
    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(f"{what} needs a DataFrame, got {type(frame).__name__}")
    missing = missing_columns(frame, columns)
    if missing:
        raise SchemaError(
            f"{what} needs columns {', '.join(missing)}, which this frame lacks "
            f"(it has {', '.join(map(str, frame.columns)) or 'no columns'})"
        )
    if time_index and (not isinstance(frame.index, pd.DatetimeIndex) or frame.index.tz is None):
        raise SchemaError(f"{what} needs a frame indexed by tz-aware time 't'")


def require_grid(
    obj: xr.DataArray | xr.Dataset, what: str, *, dataset: bool = False, spot: bool = False
) -> None:
    """Raise :class:`SchemaError` unless ``obj`` has dims (bar, strike).

    ``dataset=True`` also accepts an ``xarray.Dataset`` (strike-flow); ``spot=True`` also
    requires the ``spot`` coordinate (the writers put it in every bar).
    """
    kinds = (xr.DataArray, xr.Dataset) if dataset else (xr.DataArray,)
    if not isinstance(obj, kinds):
        wanted = "xarray.DataArray or Dataset" if dataset else "xarray.DataArray"
        raise SchemaError(f"{what} needs an {wanted}, got {type(obj).__name__}")
    missing = [d for d in ("bar", "strike") if d not in obj.dims]
    if missing:
        raise SchemaError(f"{what} needs dims ('bar', 'strike'); this array lacks {missing}")
    if spot and "spot" not in obj.coords:
        raise SchemaError(f"{what} needs a 'spot' coordinate along 'bar'")


def read_timestamp(payload: Mapping[str, Any], field: str, what: str) -> pd.Timestamp | None:
    """Read an optional ISO-8601 field as a UTC ``pd.Timestamp`` (ns), or raise SchemaError."""
    value = payload.get(field)
    if value is None:
        return None
    if isinstance(value, str) and _ISO.match(value):
        try:
            stamp = pd.Timestamp(value)  # strict form checked above; pandas parses the rest
        except (ValueError, TypeError, OverflowError):
            pass
        else:
            stamp = stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
            return stamp.as_unit("ns")
    raise SchemaError(f"{what} field {field!r} is not an ISO-8601 time: {value!r}")
