"""Merge the windows a poller fetches into the frames it holds.

After its first cycle, which fetches the whole session, a poller asks only for the minutes
since the last bar it holds plus one bar of overlap and a margin, up to the server's now
(:func:`window_minutes`), and merges each window into what it holds: :func:`merge_series`,
:func:`merge_heatmap`. No bar already gathered is ever lost, and a bar the source revised is
replaced by its newer reading. The hedge-flow panel costs no request:
:func:`hedge_from_series` derives it from the series.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import pandas as pd
import xarray as xr

from flowframe._constants import SPLIT_COLUMNS
from flowframe._session import SESSION_MINUTES
from flowframe.frames import pin_values_are_fractions, regime_categorical, series_from_payload
from flowframe.frames.delta import START_LEVEL, start_bar

__all__ = [
    "hedge_from_series",
    "merge_heatmap",
    "merge_series",
    "pin_auto",
    "read_series_window",
    "window_minutes",
]

_HEDGE_ATTRS: Final = (
    "symbol",
    "expiration",
    "side",
    "bar_size",
    "as_of",
    "source",
    "endpoint_version",
    "data_as_of",
)
_LEG_COLUMNS: Final = (
    ("", "hedge_flow_cumulative_all"),
    ("calls_", "hedge_flow_call_cumulative"),
    ("puts_", "hedge_flow_put_cumulative"),
)


def window_minutes(
    last: pd.Timestamp | None, now: pd.Timestamp, bar_seconds: float, *, margin: float = 0.0
) -> int:
    """Return the minutes to fetch: since ``last`` plus one bar and ``margin``, within 1..390.

    ``ceil((now - last + bar_seconds + margin) / 60)``, at least 1 and at most 390 (the API's
    longest window, the whole session). The poller passes the server's now (its last
    ``as_of`` plus the local time elapsed since), not the local clock: see
    :mod:`flowframe.live.poller`.

    Parameters
    ----------
    last : pandas.Timestamp or None
        Where the window must start: the last bar held (the resume point); None when nothing
        is held (then the whole session, 390).
    now : pandas.Timestamp
        The server's clock.
    bar_seconds : float
        The bar size, in seconds (one bar of overlap: ``last`` is fetched again).
    margin : float, default 0.0
        Seconds more, for a request processed later than planned.

    Returns
    -------
    int
        The ``minutes`` parameter of the next request.

    Examples
    --------
    >>> t = pd.Timestamp("2026-09-18 14:00Z")
    >>> window_minutes(None, t, 60.0), window_minutes(t, t + pd.Timedelta("90s"), 60.0)
    (390, 3)
    >>> window_minutes(t, t + pd.Timedelta("90s"), 60.0, margin=60.0)
    4
    """
    if last is None:
        return SESSION_MINUTES
    span = (now - last).total_seconds() + bar_seconds + margin
    if not math.isfinite(span):
        return SESSION_MINUTES
    return int(min(max(math.ceil(span / 60.0), 1), SESSION_MINUTES))


def hedge_from_series(series: pd.DataFrame) -> pd.DataFrame:
    """Derive the split hedge-flow frame from a series frame's cumulatives (no request).

    Each leg's ``bar`` is the difference of its cumulative from the previous bar; the first bar
    held (the session's first, since a poller's first request covers the whole session) equals
    its cumulative. So the bars sum to the cumulative.

    Parameters
    ----------
    series : pandas.DataFrame
        A series frame (``hedge_flow_call_cumulative``, ``hedge_flow_put_cumulative``,
        ``hedge_flow_cumulative_all``).

    Returns
    -------
    pandas.DataFrame
        The series' index; float64 columns ``bar, cumulative, calls_bar, calls_cumulative,
        puts_bar, puts_cumulative`` (``cumulative`` is ``hedge_flow_cumulative_all``); attrs
        as :func:`flowframe.frames.split_hedge_flow` gives them (``side="split"``).
    """
    columns: dict[str, np.ndarray] = {}
    for prefix, source_column in _LEG_COLUMNS:
        cumulative = series[source_column].to_numpy(dtype=np.float64, copy=True)
        columns[f"{prefix}bar"] = np.diff(cumulative, prepend=0.0)
        columns[f"{prefix}cumulative"] = cumulative
    frame = pd.DataFrame(
        {name: columns[name] for name in SPLIT_COLUMNS},
        index=pd.DatetimeIndex(series.index, name="t"),
    )
    attrs = {**series.attrs, "side": "split"}
    # kept as the readers keep them (flowframe.frames' attrs rule): a missing one is absent
    frame.attrs = {k: attrs[k] for k in _HEDGE_ATTRS if attrs.get(k) is not None}
    return frame


def read_series_window(payload: Any, source: str) -> tuple[pd.DataFrame, bool]:
    """Read a series window; True when ``pin_probability_pct`` is left raw for :func:`pin_auto`.

    ``series_from_payload``'s ``"auto"`` unit rule looks at the values of one body, and a
    window of a few bars (all below 1 %) could be misread as fractions. A body that does not
    declare its unit is read raw, and the rule is applied to the whole session held.

    Parameters
    ----------
    payload : dict
        A ``series`` body.
    source : str
        Where it came from (``attrs["source"]``).

    Returns
    -------
    (pandas.DataFrame, bool)
        The frame, and whether its pin probabilities still await :func:`pin_auto`.
    """
    declared = payload.get("pin_probability_unit") if isinstance(payload, dict) else None
    if declared in ("pct", "fraction"):
        return series_from_payload(payload, source=source), False
    return series_from_payload(payload, source=source, pin_probability_unit="pct"), True


def pin_auto(raw: pd.DataFrame) -> pd.DataFrame:
    """Apply the ``"auto"`` unit rule of :func:`~flowframe.frames.series_from_payload` to a frame.

    Parameters
    ----------
    raw : pandas.DataFrame
        A series frame whose ``pin_probability_pct`` was read as it came.

    Returns
    -------
    pandas.DataFrame
        A copy in percent, with ``attrs["pin_probability_unit_read"]`` saying what was read.
    """
    pin = raw["pin_probability_pct"].to_numpy(dtype=np.float64)
    fraction = pin_values_are_fractions(pin)
    out = raw.copy()
    if fraction:
        out["pin_probability_pct"] = pin * 100.0
    out.attrs = {**raw.attrs, "pin_probability_unit_read": "fraction" if fraction else "pct"}
    return out


def merge_series(held: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """Merge a newer series window into the frame held: newer bars win, none is dropped.

    Parameters
    ----------
    held : pandas.DataFrame or None
        The frame gathered so far.
    new : pandas.DataFrame
        A frame just read (a window that may overlap ``held``).

    Returns
    -------
    pandas.DataFrame
        The union of the bars, sorted by ``t``; a time present in both keeps ``new``'s bar.
        ``regime`` stays categorical (the known labels first, then any other, sorted); attrs
        are ``new``'s.
    """
    if held is None or held.empty:
        return new
    if new.empty:
        out = held.copy()
    else:
        both = pd.concat([held, new])
        out = both[~both.index.duplicated(keep="last")].sort_index(kind="stable")
        if "regime" in out.columns:
            out["regime"] = regime_categorical(out["regime"])
    out.attrs = dict(new.attrs)
    return out


def merge_heatmap(held: xr.DataArray | None, new: xr.DataArray) -> xr.DataArray:
    """Merge a newer heatmap window into the array held, along ``bar``.

    Parameters
    ----------
    held : xarray.DataArray or None
        The array gathered so far.
    new : xarray.DataArray
        An array just read (a window that may overlap ``held``).

    Returns
    -------
    xarray.DataArray
        Bars of both (a bar present in both keeps ``new``'s row), sorted; strikes are the
        union of both grids, NaN where a bar's grid lacked the strike. Attrs are ``new``'s.
        Delta windows (with a ``start_level``, see :func:`flowframe.heatmap_to_delta`) stay
        right: the merged window starts where the earlier one does (its ``start_level``);
        the later window's first bar, NaN there (its change was unknown to that window),
        keeps the change the earlier window holds for it, or stays NaN across a gap.
    """
    if held is None or held.sizes["bar"] == 0:
        return new
    if new.sizes["bar"] == 0:
        out = held.copy()
        out.attrs = dict(new.attrs)
        return out
    both = xr.concat(
        [held, new],
        dim="bar",
        join="outer",
        coords="minimal",
        compat="override",
        combine_attrs="override",
        fill_value=np.nan,
    )
    keep = ~pd.Index(both["bar"].values).duplicated(keep="last")
    out = both.isel(bar=np.flatnonzero(keep)).sortby(["bar", "strike"])
    out.name = new.name
    out.attrs = dict(new.attrs)
    out["bar"].attrs = dict(new["bar"].attrs)
    if START_LEVEL in held.coords or START_LEVEL in new.coords:
        out = _merge_start(held, new, out)
    return out


def _merge_start(held: xr.DataArray, new: xr.DataArray, out: xr.DataArray) -> xr.DataArray:
    """Give merged delta windows the earlier window's start, and the later one's first change.

    Each window's first bar is NaN, its raw level in ``start_level``; ``out`` (``new``'s rows
    winning) holds ``new``'s NaN at ``new``'s first bar even where ``held`` knows the change.
    """
    windows = [w for w in (new, held) if START_LEVEL in w.coords]  # new first: wins a tie
    starts = [start_bar(w) for w in windows]  # None only for a window without bars
    order = [s.value if s is not None else np.iinfo(np.int64).max for s in starts]
    earlier = windows[int(np.argmin(order))]
    level = earlier.coords[START_LEVEL]
    if "strike" in level.dims:
        level = level.reindex(strike=out["strike"].values)
    out = out.assign_coords({START_LEVEL: level.variable})
    later = start_bar(new) if START_LEVEL in new.coords else None
    if earlier is held and later is not None and later != start_bar(held):
        times = pd.DatetimeIndex(held["bar"].values)
        if later in times:
            # new's first bar is masked: the change there is the one held computed
            row = held.isel(bar=times.get_loc(later)).reindex(strike=out["strike"].values)
            at = int(np.flatnonzero(out["bar"].values == later.to_datetime64())[0])
            grid = out.transpose("bar", ...)
            values = np.array(grid.values, copy=True)
            values[at] = row.transpose(*grid.dims[1:]).values
            out = grid.copy(data=values).transpose(*out.dims)
    return out
