"""Pure analysis helpers over hedge-flow, series and heatmap objects.

Every function here reads a frame or array with the schemas of :mod:`flowframe.frames` and
returns a new object: nothing is plotted, fetched, cached or mutated, and the input is never
modified.

Conventions
-----------
Clock
    Bar times are bucket *starts* in UTC: the bar stamped 14:30:00 of a ``1m`` frame holds the
    flow from 14:30:00 (included) to 14:31:00 (excluded), and a level such as ``spot`` or a
    ``*_cumulative`` column is its value at the bucket's close. The session opens at 09:30
    America/New_York; :func:`resample_flow` aligns its buckets to that open.
Units and signs
    Flow columns (``bar``, ``*_bar``, ``cumulative``, ``*_cumulative``) are signed
    delta-dollars (USD): positive means dealers buy the underlying, negative that they sell.
    A ``bar`` is the increment of its bucket; a ``cumulative`` is the running sum since the
    open. Heatmap values keep the units of their metric (``array.attrs["units"]``).
Metadata
    A frame, series or array derived from the input keeps a copy of its ``attrs`` (``symbol``,
    ``expiration``, ``side``, ``bar_size``, ``as_of``, ``source``, ...), with ``bar_size`` or
    ``mode`` updated where the function changes them.
Missing values
    NaN is never a flip, a burst or part of a run, and never filled from a neighbour.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import Tick

from flowframe._constants import BAR_SECONDS, ET
from flowframe._session import OPEN_OFFSET
from flowframe._stats import robust_center_scale
from flowframe.errors import SchemaError
from flowframe.frames.checks import require_columns, require_grid
from flowframe.frames.delta import START_LEVEL, start_level_variable

__all__ = [
    "accelerating_runs",
    "bursts",
    "heatmap_profile",
    "heatmap_to_delta",
    "nearest_bar",
    "resample_flow",
    "rolling_flow",
    "rolling_flows",
    "sign_flips",
    "to_et",
    "top_strikes",
]

TimeLike = pd.Timestamp | dt.datetime | np.datetime64 | str
"""Anything :func:`heatmap_profile` and :func:`top_strikes` accept as ``at``."""

_MIN_WINDOW_BARS: Final = 3  # fewest bars a trailing burst baseline may hold
_MIN_ROLLING: Final = pd.Timedelta(minutes=1)
_SESSION: Final = "session"

FloatArray = npt.NDArray[np.float64]
_FrameT = TypeVar("_FrameT", pd.DataFrame, "pd.Series[Any]")


# --------------------------------------------------------------------------- shared helpers


def _time_index(frame: pd.DataFrame | pd.Series[Any], what: str) -> pd.DatetimeIndex:
    """Return the frame's tz-aware time index, checked ascending and unique."""
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise SchemaError(f"{what} needs a frame indexed by tz-aware time 't'")
    if not (index.is_monotonic_increasing and index.is_unique):
        raise SchemaError(f"{what} needs a time index that is ascending and unique")
    return index


def _checked(frame: pd.DataFrame, columns: Sequence[str], what: str) -> pd.DatetimeIndex:
    """Check ``frame`` has ``columns`` and a good time index, and return that index."""
    require_columns(frame, columns, what)
    return _time_index(frame, what)


def _attrs(attrs: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
    """Deep-copy ``attrs``, so a result never shares a mutable value with its input."""
    return copy.deepcopy(dict(attrs))


def _values(frame: pd.DataFrame, column: str) -> FloatArray:
    """Return a column as a fresh float64 array."""
    return np.array(frame[column].to_numpy(dtype=np.float64), dtype=np.float64, copy=True)


def _duration(text: str, what: str, name: str) -> pd.Timedelta:
    """Read an API bar name (``"30s"``, ``"1m"``, ...) or a fixed pandas offset string."""
    if text in BAR_SECONDS:
        return pd.Timedelta(seconds=BAR_SECONDS[text])
    given: object = text
    try:
        if not isinstance(given, str):
            raise TypeError(given)
        offset = to_offset(given)
        if not isinstance(offset, Tick):
            raise TypeError(offset)
        step = pd.Timedelta(offset)
    except (ValueError, TypeError):
        raise ValueError(
            f"{what}: {name}={text!r} is not a bar size: use one of "
            f"{', '.join(map(repr, BAR_SECONDS))} or a fixed pandas offset such as '10min'"
        ) from None
    if step <= pd.Timedelta(0):
        raise ValueError(f"{what}: {name}={text!r} must be a positive duration")
    return step


def _bar_spacing(frame: pd.DataFrame, index: pd.DatetimeIndex) -> tuple[pd.Timedelta, str] | None:
    """Return the bar size and its name: ``attrs["bar_size"]``, else the median spacing."""
    declared = frame.attrs.get("bar_size")
    if isinstance(declared, str):
        try:
            return _duration(declared, "bar_size", "bar_size"), declared
        except ValueError:
            pass
    if len(index) < 2:
        return None
    gaps = np.diff(index.as_unit("ns").asi8)
    spacing = pd.Timedelta(int(np.median(gaps)), unit="ns")
    return spacing, _format_duration(spacing)


def _format_duration(step: pd.Timedelta) -> str:
    seconds = step.total_seconds()
    if seconds % 60 == 0:
        return f"{int(seconds // 60)}min"
    return f"{seconds:g}s"


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


# --------------------------------------------------------------------------- events


def sign_flips(frame: pd.DataFrame, *, column: str = "bar", min_abs: float = 0.0) -> pd.DataFrame:
    """Find the bars where the flow changes sign.

    A bar counts when ``|value| > min_abs``; a counted bar is a flip when its sign differs
    from the sign of the previous *counted* bar. Bars at or below ``min_abs`` (zeros, small
    prints) and NaN bars are skipped: they are never flips themselves and do not reset the
    sign. The first counted bar is never a flip.

    Parameters
    ----------
    frame : pandas.DataFrame
        A hedge-flow, split or series frame indexed by ``t``.
    column : str, default "bar"
        The column to read (USD, + = dealers buy).
    min_abs : float, default 0.0
        Bars whose magnitude is at or below this are ignored (same units as ``column``).

    Returns
    -------
    pandas.DataFrame
        One row per flip, indexed by ``t`` (the input's index dtype and time zone); columns
        ``value`` (float64, the flipping bar), ``previous`` (float64, the previous counted
        bar) and ``sign`` (int8, the new sign, +1 or -1). ``attrs`` are the input's.

    Raises
    ------
    SchemaError
        The frame lacks ``column`` or a tz-aware, ascending time index.
    ValueError
        ``min_abs`` is negative or NaN.
    """
    index = _checked(frame, [column], "sign_flips")
    if not min_abs >= 0:
        raise ValueError(f"sign_flips: min_abs must be >= 0, got {min_abs!r}")
    x = _values(frame, column)
    counted = np.flatnonzero(np.abs(np.nan_to_num(x, nan=0.0)) > min_abs)
    signs = np.sign(x[counted])
    flips = np.flatnonzero(signs[1:] != signs[:-1]) + 1
    out = pd.DataFrame(
        {
            "value": x[counted[flips]],
            "previous": x[counted[flips - 1]],
            "sign": signs[flips].astype(np.int8),
        },
        index=pd.DatetimeIndex(index[counted[flips]], name=index.name),
    )
    out.attrs = _attrs(frame.attrs)
    return out


def bursts(
    frame: pd.DataFrame,
    *,
    k: float = 3.0,
    column: str = "bar",
    window: int | str | None = None,
) -> pd.DataFrame:
    """Find the bars whose flow is unusually large, by a robust z-score.

    The z-score of a bar ``x`` is ``(x - median) / (1.4826 * MAD)``, MAD being the median
    absolute deviation from the median (1.4826 * MAD estimates the standard deviation of
    normal data, without letting the outliers being sought inflate it). A bar is a burst when
    ``|z| > k``.

    Parameters
    ----------
    frame : pandas.DataFrame
        A hedge-flow, split or series frame indexed by ``t``.
    k : float, default 3.0
        Threshold on ``|z|``; must be positive.
    column : str, default "bar"
        The column to read (USD, + = dealers buy).
    window : int or str, optional
        Where the median and MAD come from.

        * ``None``: the whole frame, NaN skipped. This uses **look-ahead**: a bar is judged
          against bars that came after it, so use it to describe a finished session, not to
          replay one.
        * an int ``n`` (at least 3): the ``n`` bars *before* each bar (causal; the bar itself
          is left out so it cannot inflate its own baseline).
        * an offset string (``"30min"``): the bars whose start lies in ``[t - window, t)``
          (causal likewise); it must span at least 3 bars of the frame's bar size.

        A trailing baseline needs ``max(3, ceil(n / 2))`` finite bars (``n`` = the window's
        length in bars); bars with less history are never bursts.

    Returns
    -------
    pandas.DataFrame
        One row per burst, indexed by ``t``; columns ``value`` (float64, the bar), ``z``
        (float64, signed) and ``sign`` (int8, the sign of ``z``: +1 is a bar far above its
        baseline, -1 far below). ``attrs`` are the input's. A baseline with MAD == 0 (for
        example all-equal bars) yields no burst.

    Raises
    ------
    SchemaError
        The frame lacks ``column`` or a tz-aware, ascending time index.
    ValueError
        ``k`` is not positive, or ``window`` is too short or not a duration.
    """
    index = _checked(frame, [column], "bursts")
    if isinstance(k, bool) or not k > 0:
        raise ValueError(f"bursts: k must be > 0, got k={k!r}")
    x = _values(frame, column)
    z = np.full(x.shape, np.nan)
    if window is None:
        median, sigma = robust_center_scale(x)  # NaN skipped; (nan, nan) when none is left
        if sigma > 0:
            z = (x - median) / sigma
    else:
        starts, n_bars = _trailing_starts(frame, index, window)
        min_periods = min(n_bars, max(_MIN_WINDOW_BARS, math.ceil(n_bars / 2)))
        for i in range(x.size):
            if not np.isfinite(x[i]):
                continue
            past = x[starts[i] : i]
            past = past[np.isfinite(past)]
            if past.size < min_periods:
                continue
            median, sigma = robust_center_scale(past)
            if sigma > 0:
                z[i] = (x[i] - median) / sigma
    hits = np.flatnonzero(np.abs(np.nan_to_num(z, nan=0.0)) > k)
    out = pd.DataFrame(
        {
            "value": x[hits],
            "z": z[hits],
            "sign": np.sign(z[hits]).astype(np.int8),
        },
        index=pd.DatetimeIndex(index[hits], name=index.name),
    )
    out.attrs = _attrs(frame.attrs)
    return out


def _trailing_starts(
    frame: pd.DataFrame, index: pd.DatetimeIndex, window: int | str
) -> tuple[npt.NDArray[np.int64], int]:
    """First position of each bar's trailing window (which ends just before the bar)."""
    positions = np.arange(len(index), dtype=np.int64)
    if isinstance(window, bool) or not isinstance(window, int | str):
        raise ValueError(f"bursts: window must be None, an int or an offset string, not {window!r}")
    if isinstance(window, int):
        if window < _MIN_WINDOW_BARS:
            raise ValueError(f"bursts: window must span at least 3 bars, got window={window}")
        return np.maximum(positions - window, 0), window
    step = _duration(window, "bursts", "window")
    spacing = _bar_spacing(frame, index)
    n_bars = _MIN_WINDOW_BARS if spacing is None else int(step // spacing[0])
    if n_bars < _MIN_WINDOW_BARS:
        size = spacing[1] if spacing is not None else "?"
        raise ValueError(
            f"bursts: window={window!r} spans fewer than 3 bars of the frame's bar size {size}"
        )
    times = index.as_unit("ns").asi8
    starts = np.searchsorted(times, times - step.value, side="left").astype(np.int64)
    return starts, n_bars


def accelerating_runs(
    frame: pd.DataFrame,
    *,
    min_length: int = 3,
    column: str = "bar",
    price: pd.Series[float] | None = None,
) -> pd.DataFrame:
    """Find runs of accelerating one-way flow (the gamma-squeeze fingerprint).

    A run is a maximal stretch of consecutive rows whose bars have the same nonzero sign and
    whose magnitude strictly increases bar over bar (dealers buying, then buying more, then
    more again). A zero, a NaN, a sign change or a bar no larger than the one before ends the
    run; that bar may start the next one. Runs are counted in rows: a time gap between two
    rows does not break a run.

    Parameters
    ----------
    frame : pandas.DataFrame
        A hedge-flow, split or series frame indexed by ``t``.
    min_length : int, default 3
        Shortest run reported, in bars; at least 2.
    column : str, default "bar"
        The column to read (USD, + = dealers buy).
    price : pandas.Series, optional
        The underlying's price indexed by time (for example a series frame's ``spot``; a
        naive index is read as UTC). Each bar takes the last price at or before its time
        (as-of alignment, NaN prices skipped). When omitted, the frame's own ``spot`` column
        is used if it has one, and no price otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per run in time order, ``RangeIndex``; columns ``start``, ``end`` (the first
        and last bar's time, the index's dtype), ``length`` (int64, bars), ``sign`` (int8),
        ``total`` (float64, the sum of the run's bars), ``peak`` (float64, the last and
        largest bar, signed), ``price_change`` (float64: price at ``end`` minus price at the
        bar before ``start``, or at ``start`` when the run opens the frame; NaN without
        price) and ``confirmed`` (bool: ``price_change`` has the run's sign, i.e. price moved
        the way dealers were hedging; False without price). ``attrs`` are the input's.

    Raises
    ------
    SchemaError
        The frame lacks ``column`` or a tz-aware, ascending time index.
    ValueError
        ``min_length`` is below 2.
    TypeError
        ``price`` is not a Series indexed by time.
    """
    index = _checked(frame, [column], "accelerating_runs")
    if not _is_int(min_length) or min_length < 2:
        raise ValueError(f"accelerating_runs: min_length must be an int >= 2, got {min_length!r}")
    x = _values(frame, column)
    signs = np.sign(x)
    magnitude = np.abs(x)
    grows = np.zeros(x.shape, dtype=bool)
    grows[1:] = (signs[1:] == signs[:-1]) & (signs[1:] != 0) & (magnitude[1:] > magnitude[:-1])
    starts = np.flatnonzero(~grows)
    ends = np.r_[starts[1:], x.size].astype(np.int64) - 1
    keep = (ends - starts + 1) >= min_length
    starts, ends = starts[keep], ends[keep]

    prices = _aligned_price(frame, index, price)
    if prices is None:
        change = np.full(starts.shape, np.nan)
    else:
        change = prices[ends] - prices[np.maximum(starts - 1, 0)]
    run_signs = signs[starts].astype(np.int8)
    out = pd.DataFrame(
        {
            "start": pd.DatetimeIndex(index[starts]),
            "end": pd.DatetimeIndex(index[ends]),
            "length": (ends - starts + 1).astype(np.int64),
            "sign": run_signs,
            "total": np.array(
                [x[s : e + 1].sum() for s, e in zip(starts, ends, strict=True)], dtype=np.float64
            ),
            "peak": x[ends].astype(np.float64),
            "price_change": change.astype(np.float64),
            "confirmed": np.sign(np.nan_to_num(change, nan=0.0)) == run_signs,
        },
        index=pd.RangeIndex(starts.size),
    )
    out.attrs = _attrs(frame.attrs)
    return out


def _aligned_price(
    frame: pd.DataFrame, index: pd.DatetimeIndex, price: pd.Series[float] | None
) -> FloatArray | None:
    """Return the price at each bar (last at or before it), or None when there is none."""
    if price is None:
        if "spot" not in frame.columns:
            return None
        price = frame["spot"]
    given: object = price
    if not isinstance(given, pd.Series) or not isinstance(price.index, pd.DatetimeIndex):
        raise TypeError("accelerating_runs: price must be a pandas Series indexed by time")
    when = price.index.as_unit("ns")
    when = when.tz_localize("UTC") if when.tz is None else when.tz_convert("UTC")
    values = price.to_numpy(dtype=np.float64)
    finite = np.isfinite(values)
    when_i8, values = when.asi8[finite], values[finite]
    order = np.argsort(when_i8, kind="stable")
    when_i8, values = when_i8[order], values[order]
    pos = np.searchsorted(when_i8, index.as_unit("ns").asi8, side="right") - 1
    out = np.full(len(index), np.nan)
    found = pos >= 0
    out[found] = values[pos[found]]
    return out


# --------------------------------------------------------------------------- bars and windows


def _is_increment(name: Hashable) -> bool:
    return isinstance(name, str) and (name == "bar" or name.endswith("_bar"))


def _session_buckets(index: pd.DatetimeIndex, step: pd.Timedelta) -> npt.NDArray[np.int64]:
    """Each time's bucket start (UTC ns), on a grid of ``step`` from its date's 09:30 ET."""
    times = index.as_unit("ns")
    wall = times.tz_convert(ET).tz_localize(None).normalize() + OPEN_OFFSET
    opens = wall.tz_localize(ET).as_unit("ns").asi8  # 09:30 is never in a DST gap
    t = times.asi8
    return np.asarray(opens + ((t - opens) // step.value) * step.value, dtype=np.int64)


def resample_flow(frame: pd.DataFrame, rule: str) -> pd.DataFrame:
    """Aggregate a frame to coarser bars, by the API's own rules.

    Columns named ``bar`` or ending in ``_bar`` are per-bar increments and are summed; every
    other column (``cumulative``, ``*_cumulative``, every series field including the
    categorical ``regime`` and the string ``gamma_flip_status``) is a level and keeps the
    value of the bucket's last bar. This is how the API builds its coarser bars, so resampling
    a ``30s`` body gives the ``5m`` body of the same window when the window starts on a bucket
    boundary (a full session does).

    Buckets are left-closed and labelled by their start, on a grid of ``rule`` starting at
    the session open (09:30 America/New_York) of each bar's date: ``"5m"`` buckets start
    09:30, 09:35, ... ET, ``"1h"`` buckets 09:30, 10:30, ... ET. For rules dividing 30
    minutes this is plain clock alignment. Buckets with no bar are dropped, never
    zero-filled.

    Parameters
    ----------
    frame : pandas.DataFrame
        A hedge-flow, split or series frame indexed by ``t``.
    rule : str
        An API bar size (``"30s"``, ``"1m"``, ``"5m"``, ``"15m"``) or a fixed pandas offset
        string (``"10min"``, ``"1h"``). It must be a whole multiple of the frame's bar size.

    Returns
    -------
    pandas.DataFrame
        The same columns, dtypes and index dtype, one row per non-empty bucket;
        ``attrs["bar_size"]`` is ``rule`` (API names are kept as given). A sum is NaN when a
        bar of its bucket is NaN (a missing increment makes the bucket's unknown); a level is
        the last bar's, NaN included. When the input's ``cumulative`` is the running sum of
        its ``bar``, the result's is too.

    Raises
    ------
    SchemaError
        The frame lacks a tz-aware, ascending time index.
    ValueError
        ``rule`` is not a duration, is finer than the frame's bar size (``attrs["bar_size"]``,
        else the median spacing of the index) or is not a whole multiple of it.
    """
    index = _checked(frame, [], "resample_flow")
    step = _duration(rule, "resample_flow", "rule")
    spacing = _bar_spacing(frame, index)
    if spacing is not None:
        size, name = spacing
        if step < size:
            raise ValueError(
                f"resample_flow: rule={rule!r} is finer than the frame's bar size {name!r}"
            )
        if step % size != pd.Timedelta(0):
            raise ValueError(
                f"resample_flow: rule={rule!r} is not a whole multiple of the frame's bar "
                f"size {name!r}"
            )
    attrs = _attrs(frame.attrs)
    attrs["bar_size"] = rule
    if len(index) == 0:
        out = frame.copy()
        out.attrs = attrs
        return out
    labels, codes = np.unique(_session_buckets(index, step), return_inverse=True)
    codes = codes.reshape(-1)
    last = np.zeros(labels.size, dtype=np.int64)
    np.maximum.at(last, codes, np.arange(codes.size, dtype=np.int64))
    out = frame.iloc[last].copy()
    for col in frame.columns:
        if not _is_increment(col):
            continue
        values = frame[col].to_numpy()
        if values.dtype.kind not in "fiu":
            values = frame[col].to_numpy(dtype=np.float64)
        sums = np.zeros(labels.size, dtype=values.dtype)
        np.add.at(sums, codes, values)
        out[col] = sums
    new_index = pd.to_datetime(labels, unit="ns", utc=True).tz_convert(index.tz)
    out.index = pd.DatetimeIndex(new_index.as_unit(index.unit), name=index.name)
    out.attrs = attrs
    return out


def rolling_flow(
    frame: pd.DataFrame, window: str = "5min", *, column: str = "bar"
) -> pd.Series[float]:
    """Sum the per-bar flow over a trailing time window (the HIRO-style view).

    The value at bar ``t`` is the sum of the bars whose start lies in ``(t - window, t]``,
    that is the flow of the ``window`` that ends at the close of bar ``t``: with ``30s``
    bars, ``"5min"`` sums 10 bars. NaN bars are skipped; a window holding only NaN is NaN.

    Parameters
    ----------
    frame : pandas.DataFrame
        A hedge-flow or split frame indexed by ``t``.
    window : str, default "5min"
        A fixed pandas offset of at least ``"1min"`` and at least the frame's bar size, or
        ``"session"``: the running sum since the first bar *in the frame* (which equals the
        frame's ``cumulative`` when the frame starts at the open).
    column : str, default "bar"
        The per-bar column to sum (USD, + = dealers buy).

    Returns
    -------
    pandas.Series
        float64, indexed like the frame, named ``f"flow_{window}"``; ``attrs`` are the
        input's.

    Raises
    ------
    SchemaError
        The frame lacks ``column`` or a tz-aware, ascending time index.
    ValueError
        ``window`` is not ``"session"`` or a duration, is under one minute or is shorter than
        the frame's bar size.
    """
    _checked(frame, [column], "rolling_flow")
    return _rolling(frame, window, column)


def _rolling(frame: pd.DataFrame, window: str, column: str) -> pd.Series[float]:
    series = frame[column].astype(np.float64)
    if window == _SESSION:
        out = series.cumsum()
    else:
        step = _duration(window, "rolling_flow", "window")
        if step < _MIN_ROLLING:
            raise ValueError(f"rolling_flow: window={window!r} is under one minute")
        spacing = _bar_spacing(frame, _time_index(frame, "rolling_flow"))
        if spacing is not None and step < spacing[0]:
            raise ValueError(
                f"rolling_flow: window={window!r} is shorter than the frame's bar size "
                f"{spacing[1]!r}"
            )
        out = series.rolling(step).sum()
    out.name = f"flow_{window}"
    out.attrs = _attrs(frame.attrs)
    return out


def rolling_flows(
    frame: pd.DataFrame,
    windows: Sequence[str] = ("1min", "5min", "15min", "30min", "session"),
    *,
    column: str = "bar",
) -> pd.DataFrame:
    """Sum the per-bar flow over several trailing windows at once.

    Parameters
    ----------
    frame : pandas.DataFrame
        A hedge-flow or split frame indexed by ``t``.
    windows : sequence of str, default ("1min", "5min", "15min", "30min", "session")
        The windows, as :func:`rolling_flow` reads them; no window may repeat.
    column : str, default "bar"
        The per-bar column to sum (USD, + = dealers buy).

    Returns
    -------
    pandas.DataFrame
        Indexed like the frame, one float64 column ``f"flow_{window}"`` per window, in the
        order given; ``attrs`` are the input's.

    Raises
    ------
    SchemaError
        The frame lacks ``column`` or a tz-aware, ascending time index.
    ValueError
        A window is not valid for :func:`rolling_flow`, or a window repeats.
    """
    index = _checked(frame, [column], "rolling_flows")
    if isinstance(windows, str):
        windows = (windows,)
    if len(set(windows)) != len(windows):
        raise ValueError(f"rolling_flows: windows repeat: {list(windows)!r}")
    columns = {f"flow_{w}": _rolling(frame, w, column) for w in windows}
    out = pd.DataFrame(columns, index=index)
    out.attrs = _attrs(frame.attrs)
    return out


def to_et(frame: _FrameT) -> _FrameT:
    """Return a copy with the time index converted to America/New_York.

    Parameters
    ----------
    frame : pandas.DataFrame or pandas.Series
        Anything indexed by tz-aware time.

    Returns
    -------
    pandas.DataFrame or pandas.Series
        A copy (same values, same instants, ``attrs`` kept) whose index is in
        America/New_York; the input is left in UTC.

    Raises
    ------
    SchemaError
        The index is not a tz-aware DatetimeIndex.
    """
    if isinstance(frame, pd.DataFrame):
        require_columns(frame, [], "to_et")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise SchemaError("to_et needs a frame or series indexed by tz-aware time 't'")
    out = frame.copy()
    out.index = index.tz_convert(ET)
    out.attrs = _attrs(frame.attrs)
    return out


# --------------------------------------------------------------------------- heatmaps


def nearest_bar(array: xr.DataArray, at: TimeLike | None, what: str = "nearest_bar") -> int:
    """Return the position along ``bar`` of the bar whose start is nearest ``at``.

    Parameters
    ----------
    array : xarray.DataArray
        Anything with a ``bar`` dimension of datetime64 (UTC) coordinates.
    at : pandas.Timestamp, datetime, numpy.datetime64 or str, optional
        The time wanted: tz-aware times are converted to UTC, naive ones read as UTC. The
        earlier bar wins a tie. ``None`` means the last bar.
    what : str, default "nearest_bar"
        The caller's name, for error messages.

    Returns
    -------
    int
        A position in ``0 .. array.sizes["bar"] - 1``.

    Raises
    ------
    ValueError
        If the array has no bar, or ``at`` is not a time.
    """
    n = array.sizes["bar"]
    if n == 0:
        raise ValueError(f"{what} needs an array with at least one bar; this one has none")
    if at is None:
        return n - 1
    try:
        when = pd.Timestamp(at)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: at={at!r} is not a time") from exc
    if pd.isna(when):
        raise ValueError(f"{what}: at={at!r} is not a time")
    if when.tz is not None:
        when = when.tz_convert("UTC").tz_localize(None)
    bars = pd.DatetimeIndex(array["bar"].values).as_unit("ns").asi8
    return int(np.argmin(np.abs(bars - when.as_unit("ns").value)))


def heatmap_profile(array: xr.DataArray, at: TimeLike | None = None) -> xr.DataArray:
    """Take the strike profile of a heatmap at one bar.

    Parameters
    ----------
    array : xarray.DataArray
        A heatmap with dims ``("bar", "strike")``.
    at : pandas.Timestamp, datetime, numpy.datetime64 or str, optional
        The time wanted; the bar whose start is nearest is taken (the earlier one on a tie).
        A tz-aware time is converted to UTC, a naive one is read as UTC (like the ``bar``
        coordinate). When omitted, the last bar.

    Returns
    -------
    xarray.DataArray
        1-D along ``strike``, with the array's name and attrs and the scalar ``bar`` and
        ``spot`` coordinates of the bar taken.

    Raises
    ------
    SchemaError
        The array lacks the ``bar`` or ``strike`` dim.
    ValueError
        The array has no bar, or ``at`` is not a time.
    """
    require_grid(array, "heatmap_profile")
    position = nearest_bar(array, at, "heatmap_profile")
    out = array.isel(bar=position)
    out.attrs = _attrs(array.attrs)
    return out


def heatmap_to_delta(array: xr.DataArray) -> xr.DataArray:
    """Turn a raw heatmap into per-bar changes (the API's ``mode="delta"``).

    Each bar becomes its change from the previous bar. The first bar's change is unknown
    (its previous bar is outside the window): it is NaN, and its raw level is kept in the
    coordinate ``start_level`` (as :func:`flowframe.frames.heatmap_from_payload` reads a
    ``mode="delta"`` body, where the API sends that level as the first bar). So
    ``delta.sum("bar")`` is the change over the window (the last bar's level minus the
    first's) and ``delta.cumsum("bar") + delta.start_level`` gives back the raw array. For
    ``metric="signed_flow"`` the raw values are already per-bar increments, so the delta
    array equals the raw one, as the API serves it (no ``start_level``).

    Parameters
    ----------
    array : xarray.DataArray
        A heatmap with dims ``("bar", "strike")`` in ``mode="raw"``.

    Returns
    -------
    xarray.DataArray
        Same dims, coords, name and dtype (float64 for an integer array), plus
        ``start_level`` (the first bar's level, on the other dims; all NaN when there is no
        bar); attrs kept with ``mode="delta"``. A NaN makes its own bar's and the next bar's
        change NaN.

    Raises
    ------
    SchemaError
        The array lacks the ``bar`` or ``strike`` dim.
    ValueError
        The array is already in ``mode="delta"``.
    """
    require_grid(array, "heatmap_to_delta")
    if array.attrs.get("mode") == "delta":
        raise ValueError("heatmap_to_delta: this array is already in mode='delta'")
    values = np.asarray(array.values)
    if array.attrs.get("metric") == "signed_flow":
        out = array.copy(data=np.array(values, copy=True))
    else:
        axis = array.get_axis_num("bar")
        dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
        out = array.copy(data=np.diff(values.astype(dtype), axis=axis, prepend=np.nan))
        dims = [d for d in array.dims if d != "bar"]
        if array.sizes["bar"]:
            level = np.take(values, 0, axis=axis).astype(np.float64)
            first = array["bar"].values[0] if "bar" in array.coords else None
        else:
            level, first = np.full([array.sizes[d] for d in dims], np.nan), None
        out.coords[START_LEVEL] = start_level_variable(level, dims, first, array.attrs.get("units"))
    out.attrs = _attrs(array.attrs)
    out.attrs["mode"] = "delta"
    return out


def top_strikes(array: xr.DataArray, n: int = 5, *, at: TimeLike | None = None) -> pd.DataFrame:
    """Rank strikes by how concentrated the heatmap's activity is on them.

    A strike's share is its sum of ``|value|`` over the window (every bar of the array, or
    the one bar nearest ``at``) divided by the sum of ``|value|`` over all strikes, so the
    shares of all strikes sum to 1. NaN counts as 0.

    Parameters
    ----------
    array : xarray.DataArray
        A heatmap with dims ``("bar", "strike")``.
    n : int, default 5
        How many strikes to return (all of them when the grid is smaller); at least 1.
    at : pandas.Timestamp, datetime, numpy.datetime64 or str, optional
        Rank at the bar nearest this time (read as :func:`heatmap_profile` does) instead of
        over the whole window.

    Returns
    -------
    pandas.DataFrame
        Index ``rank`` (int64, 1 = largest share; ties by ascending strike); columns
        ``strike`` (float64), ``value`` (float64, the signed sum over the window, in the
        metric's units) and ``share`` (float64 in [0, 1]; all 0 when every value is 0).
        ``attrs`` are the array's.

    Raises
    ------
    SchemaError
        The array lacks the ``bar`` or ``strike`` dim.
    ValueError
        ``n`` is below 1, or ``at`` is given and the array has no bar.
    """
    require_grid(array, "top_strikes")
    if not _is_int(n) or n < 1:
        raise ValueError(f"top_strikes: n must be an int >= 1, got n={n!r}")
    data = array.fillna(0.0)
    if at is not None:
        data = data.isel(bar=[nearest_bar(array, at, "top_strikes")])
    value = data.sum("bar").values.astype(np.float64)
    weight = abs(data).sum("bar").values.astype(np.float64)
    total = float(weight.sum())
    share = weight / total if total > 0 else np.zeros_like(weight)
    strikes = np.asarray(array["strike"].values, dtype=np.float64)
    order = np.lexsort((strikes, -share))[:n]
    out = pd.DataFrame(
        {"strike": strikes[order], "value": value[order], "share": share[order]},
        index=pd.Index(np.arange(1, order.size + 1, dtype=np.int64), name="rank"),
    )
    out.attrs = _attrs(array.attrs)
    return out
