"""Writing helpers shared by the ``*_to_payload`` writers (private to :mod:`flowframe.frames`).

Times and numbers are written as :mod:`flowframe._wire` says (UTC ISO-8601 with ``Z``; NaN and
infinities as ``null``). A body's top-level fields come from the object's ``attrs``, in the
order the API writes them, followed by the envelope fields the object carries.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final

import pandas as pd
import xarray as xr

from flowframe._wire import iso_z, iso_z_many
from flowframe.errors import SchemaError

__all__ = [
    "check_columns",
    "check_grid",
    "check_time_index",
    "iso_or_none",
    "iso_times",
    "write_body",
]

_ENVELOPE: Final = ("endpoint_version", "data_as_of")


def iso_or_none(ts: pd.Timestamp | None) -> str | None:
    """Write a tz-aware time as :func:`flowframe._wire.iso_z` does; None (or NaT) as None."""
    if ts is None or pd.isna(ts):
        return None
    return iso_z(ts)


def iso_times(index: pd.DatetimeIndex) -> list[str]:
    """Write bar times as :func:`flowframe._wire.iso_z_many` does (naive times are UTC)."""
    return iso_z_many(index if index.tz is not None else index.tz_localize("UTC"))


def write_body(attrs: Mapping[Hashable, Any], keys: Sequence[str], **fields: Any) -> dict[str, Any]:
    """Return a body: ``keys`` from ``attrs``, then ``fields``, then the envelope.

    ``as_of`` is written with :func:`iso_or_none`. A field that is also in ``keys`` takes that
    key's place (``side`` for a split hedge-flow frame), so the order stays the API's.
    """
    body = {key: iso_or_none(attrs.get(key)) if key == "as_of" else attrs.get(key) for key in keys}
    body.update(fields)
    for key in _ENVELOPE:
        if attrs.get(key) is not None:
            body[key] = attrs[key]
    return body


def check_time_index(frame: pd.DataFrame) -> pd.DatetimeIndex:
    """Return the frame's time index, or raise :class:`SchemaError`."""
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise SchemaError(f"expected a frame indexed by time 't', got {type(frame.index).__name__}")
    return frame.index


def check_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise :class:`SchemaError` naming the ``columns`` the frame lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"{what} needs columns {', '.join(missing)}, which the frame lacks")


def check_grid(obj: xr.DataArray | xr.Dataset, what: str) -> None:
    """Raise :class:`SchemaError` unless ``obj`` has dims (bar, strike) and a spot coord."""
    missing = [d for d in ("bar", "strike") if d not in obj.dims]
    if missing or "spot" not in obj.coords:
        raise SchemaError(f"{what} needs dims ('bar', 'strike') and a 'spot' coordinate")
