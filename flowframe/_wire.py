"""How values are written in wire payloads (the hosted API's JSON): one home for every layer.

- Times are UTC ISO-8601 strings ending in ``Z`` (``2026-09-18T14:45:00Z``); fractions of a
  second are kept when present.
- Numbers are floats; NaN and infinities (which JSON cannot hold) are ``null``.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

__all__ = ["iso_z", "iso_z_many", "json_number", "json_numbers"]


def iso_z(ts: pd.Timestamp | dt.datetime) -> str:
    """Write a tz-aware time as UTC ISO-8601 with a ``Z`` suffix.

    >>> iso_z(pd.Timestamp("2026-09-18 10:45", tz="America/New_York"))
    '2026-09-18T14:45:00Z'
    """
    stamp = pd.Timestamp(ts)
    if stamp.tz is None:
        raise ValueError(f"iso_z needs a tz-aware time, got {stamp!r}")
    return stamp.tz_convert("UTC").isoformat().replace("+00:00", "Z")


def iso_z_many(times: pd.DatetimeIndex | list[pd.Timestamp]) -> list[str]:
    """Write each tz-aware time as :func:`iso_z` does."""
    index = pd.DatetimeIndex(times)
    if index.tz is None:
        raise ValueError("iso_z_many needs tz-aware times")
    utc = index.tz_convert("UTC")
    values = utc.as_unit("ns").asi8
    if len(values) and not utc.hasnans and (values % 1_000_000_000 == 0).all():
        # whole seconds (every bar label): numpy writes them 8x faster, the same text
        text = np.datetime_as_string(utc.tz_localize(None).to_numpy("datetime64[s]"), unit="s")
        return [f"{t}Z" for t in text.tolist()]
    return [t.isoformat().replace("+00:00", "Z") for t in utc]


def json_number(x: float, digits: int | None = None) -> float | None:
    """Return ``x`` as a float (rounded to ``digits`` when given), or ``None`` when not finite.

    >>> json_number(float("nan")) is None, json_number(1.23456, 2)
    (True, 1.23)
    """
    if not math.isfinite(x):
        return None
    return float(x) if digits is None else round(float(x), digits)


def json_numbers(values: np.ndarray) -> list[float | None]:
    """Return an array as a list of floats, ``None`` where a value is not finite."""
    array = np.asarray(values, dtype=np.float64)
    out: list[float | None] = array.tolist()
    if not np.isfinite(array).all():
        out = [v if v is not None and math.isfinite(v) else None for v in out]
    return out
