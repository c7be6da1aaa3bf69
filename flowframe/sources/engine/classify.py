"""Aggressor classification of option prints: the customer's side of each trade.

The side is the *customer's* (aggressor's) side, as in
:mod:`flowframe.sources.engine.schemas`: ``+1`` buy, ``-1`` sell, ``0`` unknown, stored as
``int8``. Everything here is vectorised: no Python loop runs over the prints.

Rules
-----
Quote rule (:func:`quote_rule`)
    With ``mid = (bid + ask) / 2`` the NBBO midpoint in force before the print: a price above
    the mid is a buy, below it a sell, at it unknown. "At" allows for rounding: within
    :data:`AT_MID` (1e-9, relative above a price of 1), far below any tick, so a mid print
    whose price was written in fixed point (DBN's 1e-9 units) or as a decimal still reads as
    one. A print whose quote is unusable gives 0:
    bid or ask missing (NaN) or infinite, or a locked or crossed market (``ask <= bid``). A NaN
    price gives 0.
Tick test (:func:`tick_test`)
    A print above the last *different* earlier price is a buy (up-tick or zero-up-tick), below
    it a sell (prices within :data:`AT_MID` of each other are the same price); with no
    earlier different price (the first print, or only repeats so far) it is
    unknown. With a ``group`` key (a contract id) only earlier prints of the same group count.
    NaN prices are skipped: they get 0 and are never the reference of a later print. Prints
    must already be in time order.
:func:`classify`
    The quote rule, then the tick test for the prints the quote rule leaves at 0 (Lee-Ready
    without the 1991 quote lag), with counts and the coverage, ``classified / total``
    (NaN for an empty input: there is nothing to cover).
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from flowframe.errors import SchemaError

__all__ = ["AT_MID", "Classification", "classify", "classify_tape", "quote_rule", "tick_test"]

#: A price this close to the mid (relative above 1) is at the mid: rounding, not a side.
AT_MID: Final = 1e-9

SideArray: TypeAlias = npt.NDArray[np.int8]
IndexArray: TypeAlias = npt.NDArray[np.intp]


class Classification(NamedTuple):
    """The customer side of each print and how it was found."""

    side: SideArray
    """+1 buy, -1 sell, 0 unknown, one per print (``int8``)."""
    by_quote: int
    """Prints classified by the quote rule."""
    by_tick: int
    """Prints the quote rule left at 0 and the tick test classified."""
    unknown: int
    """Prints left at 0."""
    coverage: float
    """``(by_quote + by_tick) / total``; NaN when there are no prints."""


def quote_rule(price: npt.ArrayLike, bid: npt.ArrayLike, ask: npt.ArrayLike) -> SideArray:
    """Classify prints against the quote midpoint.

    Parameters
    ----------
    price, bid, ask : array_like
        Trade price and the NBBO in force before it; they broadcast against each other.

    Returns
    -------
    numpy.ndarray of int8
        +1 where ``price > mid``, -1 where ``price < mid``, 0 at the mid (within
        :data:`AT_MID`), for a NaN price, and
        where the quote is unusable (bid or ask NaN or infinite, or ``ask <= bid``).
    """
    p = np.asarray(price, dtype=np.float64)
    b = np.asarray(bid, dtype=np.float64)
    a = np.asarray(ask, dtype=np.float64)
    shape = np.broadcast_shapes(p.shape, b.shape, a.shape)
    if not shape:  # comparisons on 0-d arrays give scalars: work on one element
        return quote_rule(p.reshape(1), b.reshape(1), a.reshape(1)).reshape(())
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, huge + huge
        mid = b + a
        mid *= 0.5
        side = _sign(p, mid)
        # at the mid within rounding: a mid print read back from a fixed-point price (DBN's
        # 1e-9 units, a decimal CSV) is the decimal, not the float of (bid + ask) / 2
        side[np.abs(p - mid) <= AT_MID * np.maximum(1.0, np.abs(mid))] = 0
        usable = a > b  # False for NaN
        usable &= b > -np.inf
        usable &= a < np.inf
    side *= usable
    return side


def tick_test(price: npt.ArrayLike, group: npt.ArrayLike | None = None) -> SideArray:
    """Classify prints against the last different earlier price (of the same group).

    Parameters
    ----------
    price : array_like, 1-d
        Trade prices, in time order.
    group : array_like, 1-d, optional
        A key per print (a contract id, ...; any hashable values, NaN is a key of its own).
        Only earlier prints with the same key count. Groups may interleave in time.

    Returns
    -------
    numpy.ndarray of int8
        +1 above the last different earlier price, -1 below it, 0 with none (and for NaN
        prices, which are skipped).

    Raises
    ------
    ValueError
        If ``price`` is not 1-d or ``group`` does not have one key per print.
    """
    p = np.asarray(price, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"tick_test needs a 1-d price array, got shape {p.shape}")
    n = p.size
    codes = None if group is None else _group_codes(group, n)
    keep = None
    if np.isnan(p).any():  # drop NaN prices: never classified, never a reference
        keep = np.flatnonzero(~np.isnan(p))
        p = p[keep]
        codes = None if codes is None else codes[keep]
    if codes is None:
        side = _tick_in_order(p, None)
    else:
        order = _stable_order(codes)
        side = np.empty(p.size, dtype=np.int8)
        side[order] = _tick_in_order(p[order], codes[order])
    if keep is None:
        return side
    out = np.zeros(n, dtype=np.int8)
    out[keep] = side
    return out


def classify(
    price: npt.ArrayLike,
    bid: npt.ArrayLike,
    ask: npt.ArrayLike,
    group: npt.ArrayLike | None = None,
) -> Classification:
    """Classify prints by the quote rule, then by the tick test where the quote rule gives 0.

    Parameters
    ----------
    price : array_like, 1-d
        Trade prices, in time order.
    bid, ask : array_like
        The NBBO in force before each print (1-d of the same length, or broadcastable).
    group : array_like, 1-d, optional
        A contract key per print for the tick test (see :func:`tick_test`).

    Returns
    -------
    Classification
        The sides and the counts by rule; ``coverage`` is NaN for no prints.
    """
    p = np.asarray(price, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"classify needs a 1-d price array, got shape {p.shape}")
    by_quote_side = quote_rule(p, bid, ask)
    if by_quote_side.shape != p.shape:
        raise ValueError(
            f"bid and ask must have one value per print ({p.size}), got shape {by_quote_side.shape}"
        )
    by_quote = int(np.count_nonzero(by_quote_side))
    side = by_quote_side
    if by_quote < p.size:
        ticks = tick_test(p, group)
        side = np.where(by_quote_side == 0, ticks, by_quote_side)
    classified = int(np.count_nonzero(side))
    return _summary(side, by_quote, classified - by_quote, classified)


def classify_tape(tape: pd.DataFrame) -> tuple[SideArray, Classification]:
    """Find the customer side of every print of a tape.

    A ``side`` column, when the tape has one, is used as given after validation. Otherwise
    the prints are classified from ``price``, ``bid`` and ``ask`` by :func:`classify`, with the
    tick test per contract, ``(strike, right)``. The tick test runs in time order: by the ``t``
    column (or a datetime index) when the rows are not already sorted by it, stable for ties.

    Parameters
    ----------
    tape : pandas.DataFrame
        One row per print, see :mod:`flowframe.sources.engine.schemas`.

    Returns
    -------
    side : numpy.ndarray of int8
        The side of each row, in the tape's row order (the same array as
        ``classification.side``).
    classification : Classification
        For a given ``side`` column: ``by_quote = by_tick = 0``, ``unknown`` the rows at 0.

    Raises
    ------
    SchemaError
        If ``side`` holds anything but -1, 0 and 1 (naming the first bad row), or the tape has
        no ``side`` and lacks ``bid``/``ask``, or ``price``, ``strike`` or ``right``.
    """
    if not isinstance(tape, pd.DataFrame):
        raise SchemaError(f"classify_tape needs a DataFrame, got {type(tape).__name__}")
    if "side" in tape.columns:
        side = _validated_side(tape)
        classified = int(np.count_nonzero(side))
        return side, _summary(side, 0, 0, classified)
    missing_quote = [c for c in ("bid", "ask") if c not in tape.columns]
    if missing_quote:
        raise SchemaError(
            "tape needs a 'side' column (+1 buy, -1 sell, 0 unknown) or 'bid' and 'ask' "
            f"columns to classify its prints; it has no 'side' and no "
            f"{' or '.join(repr(c) for c in missing_quote)} "
            f"(columns: {', '.join(map(str, tape.columns)) or 'none'})"
        )
    missing = [c for c in ("price", "strike", "right") if c not in tape.columns]
    if missing:
        raise SchemaError(
            f"tape needs columns {', '.join(missing)} to classify prints from bid and ask"
        )
    price, bid, ask = (_float_column(tape, c) for c in ("price", "bid", "ask"))
    strike_codes, _ = pd.factorize(tape["strike"], use_na_sentinel=False)
    right_codes, rights = pd.factorize(tape["right"], use_na_sentinel=False)
    contract = strike_codes.astype(np.int64) * max(len(rights), 1) + right_codes
    order = _time_order(tape)
    if order is None:
        result = classify(price, bid, ask, contract)
        return result.side, result
    result = classify(price[order], bid[order], ask[order], contract[order])
    side = np.empty_like(result.side)
    side[order] = result.side
    result = result._replace(side=side)
    return side, result


# --- internals --------------------------------------------------------------------------------


def _sign(x: npt.NDArray[np.float64], ref: npt.NDArray[np.float64]) -> SideArray:
    """Return ``sign(x - ref)`` as int8, 0 where either is NaN (no warning)."""
    up = np.greater(x, ref)
    down = np.less(x, ref)
    side = up.view(np.int8)
    side -= down.view(np.int8)
    return side


def _tick_in_order(p: npt.NDArray[np.float64], codes: IndexArray | None) -> SideArray:
    """Run the tick test on prices already grouped (``codes`` sorted, stable) and in time order."""
    n = p.size
    tick = np.zeros(n, dtype=np.int8)
    if n < 2:
        return tick
    tick[1:] = _sign(p[1:], p[:-1])  # vs the previous print (of any group)
    # the same price within rounding (AT_MID) is no tick: 43.65 from a fixed-point file and
    # 0.5 * (43.6 + 43.7) = 43.650000000000006 are one price
    with np.errstate(invalid="ignore"):
        same = np.abs(p[1:] - p[:-1]) <= AT_MID * np.maximum(1.0, np.abs(p[1:]))
    tick[1:][same] = 0
    # A run start: a price change or the first print of a group (whose tick is 0).
    start = tick != 0
    start[0] = True
    if codes is not None:
        first = codes[1:] != codes[:-1]
        tick[1:][first] = 0
        start[1:] |= first
    # Forward-fill the index of the current run's start; its tick is every print's tick.
    run: npt.NDArray[np.signedinteger[Any]] = (
        np.arange(n, dtype=np.int32) if n < 2**31 else np.arange(n, dtype=np.int64)
    )
    np.multiply(run, start, out=run)
    np.maximum.accumulate(run, out=run)
    return np.take(tick, run)


def _group_codes(group: npt.ArrayLike, n: int) -> IndexArray:
    """Return integer codes (0, 1, ...) for the group keys, NaN keys included."""
    keys = np.asarray(group)
    if keys.ndim != 1 or keys.size != n:
        raise ValueError(f"group must have one key per print ({n}), got shape {keys.shape}")
    codes, _ = pd.factorize(keys, use_na_sentinel=False)
    return codes.astype(np.intp, copy=False)


def _stable_order(codes: IndexArray) -> IndexArray:
    """Return the stable argsort of group codes (radix sort when they fit in 16 bits)."""
    if codes.size and codes.max() < 2**16:
        return np.argsort(codes.astype(np.uint16), kind="stable")
    return np.argsort(codes, kind="stable")


def _summary(side: SideArray, by_quote: int, by_tick: int, classified: int) -> Classification:
    """Build the :class:`Classification` of ``side`` with its counts and coverage."""
    total = int(side.size)
    coverage = classified / total if total else float("nan")
    return Classification(side, by_quote, by_tick, total - classified, coverage)


def _validated_side(tape: pd.DataFrame) -> SideArray:
    """Return the tape's ``side`` column as int8, or raise naming the first bad row."""
    column = tape["side"]
    if pd.api.types.is_bool_dtype(column.dtype):  # True/False is not a side
        numbers = np.full(len(column), np.nan)
    else:
        values = pd.to_numeric(column, errors="coerce")
        numbers = np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan))
    bad = (numbers != 1.0) & (numbers != 0.0) & (numbers != -1.0)
    if bad.any():
        row = int(np.argmax(bad))
        value = column.iloc[row]
        shown = repr(value) if isinstance(value, str) else str(value)  # 2, not np.int64(2)
        raise SchemaError(
            "tape column 'side' must hold only -1, 0 or 1 (customer sell, unknown, buy); "
            f"row {row} (index {tape.index[row]}) holds {shown}"
        )
    return numbers.astype(np.int8)


def _float_column(tape: pd.DataFrame, name: str) -> npt.NDArray[np.float64]:
    """Return a tape column as float64 (NA as NaN), or raise SchemaError naming it."""
    try:
        return np.asarray(tape[name].to_numpy(dtype=np.float64, na_value=np.nan))
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"tape column {name!r} must be numeric: {exc}") from None


def _time_order(tape: pd.DataFrame) -> IndexArray | None:
    """Return the stable time order of the rows, or None when they are already in order."""
    if "t" in tape.columns:
        times: pd.Series | pd.Index = tape["t"]
    elif isinstance(tape.index, pd.DatetimeIndex):
        times = tape.index
    else:
        return None
    if times.is_monotonic_increasing:
        return None
    return np.asarray(times.array.argsort(kind="stable"), dtype=np.intp)
