"""OSI option symbols: root, expiration, right and strike, parsed in bulk.

An OSI (OCC Options Symbology Initiative) symbol names one listed option:

- the **root** (1 to 6 upper-case letters or digits: ``SPXW``, ``BRKB``, ``VMRK1``),
- the **expiration** as ``YYMMDD`` (years 2000-2099),
- the **right**, ``C`` (call) or ``P`` (put),
- the **strike** times 1000 as 8 digits (``06200000`` is 6,200 points).

Three spellings are read, alike:

- padded, 21 characters, the root left-justified in 6: ``"SPXW  260918C06200000"``;
- compact, the root unpadded: ``"SPXW260918C06200000"``;
- Polygon's (Massive's), compact behind ``O:``: ``"O:SPXW260918C06200000"``.

Spaces between the root and the date are read as padding whatever their number, as long as
the root field (root and padding) is at most 6 characters. Nothing else is forgiven: no
leading or trailing blanks, no lower case.

:data:`ROOTS` groups the roots an underlying's options trade under (``SPX`` and the weekly
``SPXW``); the vendor readers keep the rows of those roots.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import numpy as np
import pandas as pd

__all__ = ["OCC_COLUMNS", "ROOTS", "parse_occ", "roots_of"]

#: The columns :func:`parse_occ` returns, in order.
OCC_COLUMNS: Final = ("root", "expiration", "right", "strike")

#: The option roots of an underlying, for the underlyings whose options trade under more than
#: their own ticker: the monthly AM-settled root first, then the PM-settled weekly one(s). An
#: underlying not listed here trades under its own ticker only (``"SPY"`` -> ``("SPY",)``).
ROOTS: Final[dict[str, tuple[str, ...]]] = {
    "SPX": ("SPX", "SPXW"),
    "NDX": ("NDX", "NDXP"),
    "RUT": ("RUT", "RUTW"),
    "XSP": ("XSP",),
    "VIX": ("VIX", "VIXW"),
}

_EXAMPLES: Final = (
    "expected an OSI symbol like 'SPXW  260918C06200000', 'SPXW260918C06200000' or "
    "'O:SPXW260918C06200000'"
)
_TAIL: Final = 15  # YYMMDD + C/P + 8 strike digits
_ROOT_MAX: Final = 6
_WIDTH: Final = 2 + _ROOT_MAX + _TAIL  # the longest symbol read: "O:" + padded
_ZERO, _NINE, _SPACE = ord("0"), ord("9"), ord(" ")
_A, _Z = ord("A"), ord("Z")
_C, _P = ord("C"), ord("P")


def roots_of(symbol: str) -> tuple[str, ...]:
    """Return the option roots of the underlying ``symbol`` (upper case), per :data:`ROOTS`.

    >>> roots_of("spx")
    ('SPX', 'SPXW')
    >>> roots_of("SPY")
    ('SPY',)
    """
    key = symbol.strip().upper()
    return ROOTS.get(key, (key,))


def _as_series(symbols: object) -> pd.Series:
    if isinstance(symbols, str):
        return pd.Series([symbols], dtype=object)
    if isinstance(symbols, pd.Series):
        return symbols
    if isinstance(symbols, pd.Index):
        return pd.Series(symbols.to_numpy(dtype=object), dtype=object)
    if isinstance(symbols, np.ndarray):
        if symbols.ndim != 1:
            raise ValueError(
                f"symbols must be one-dimensional, got an array of shape {symbols.shape}"
            )
        return pd.Series(symbols.astype(object), dtype=object)
    if isinstance(symbols, Iterable) and not isinstance(symbols, (bytes, dict)):
        return pd.Series(list(symbols), dtype=object)
    raise ValueError(
        f"symbols must be a str or a list, array, Series or Index of str, "
        f"got {type(symbols).__name__}"
    )


def _fail(position: int, symbol: object, what: str) -> ValueError:
    shown = repr(symbol) if len(repr(symbol)) <= 60 else repr(symbol)[:57] + "..."
    return ValueError(f"symbol at position {position} {shown}: {what}; {_EXAMPLES}")


def _first_not_str(values: np.ndarray) -> int:
    """Position of the first value that is not a str (the error path only)."""
    for i, v in enumerate(values):
        if not isinstance(v, str):
            return i
    return -1  # pragma: no cover - only called when there is one


def _digits(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Read each row of code points as a decimal number: (values int64, all digits bool)."""
    d = block.astype(np.int64) - _ZERO
    ok: np.ndarray = np.all((d >= 0) & (d <= 9), axis=1)
    d = np.where((d >= 0) & (d <= 9), d, 0)
    powers = 10 ** np.arange(block.shape[1] - 1, -1, -1, dtype=np.int64)
    values: np.ndarray = d @ powers
    return values, ok


def _parse_unique(unique: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    """Parse distinct symbols on a fixed-width code-point view.

    Returns the parsed columns, and per symbol a problem code (0 = good) with its messages.
    """
    n = unique.size
    fixed = unique.astype(f"<U{_WIDTH}") if n else np.empty(0, dtype=f"<U{_WIDTH}")
    codes = fixed.view(np.uint32).reshape(n, _WIDTH)
    length = np.char.str_len(fixed).astype(np.int64)
    problem = np.zeros(n, dtype=np.int8)
    whats: list[str] = [""]

    def mark(rows: np.ndarray, what: str) -> None:
        whats.append(what)
        problem[rows & (problem == 0)] = len(whats) - 1

    last = codes[np.arange(n), np.clip(length - 1, 0, _WIDTH - 1)]
    mark((codes[:, 0] == _SPACE) | (last == _SPACE), "leading or trailing blanks")
    prefixed = (codes[:, 0] == ord("O")) & (codes[:, 1] == ord(":"))
    start = np.where(prefixed, 2, 0)
    body = length - start
    mark(body < _TAIL + 1, "too short")
    mark(body > _TAIL + _ROOT_MAX, "too long")
    rows = np.arange(n)[:, None]
    tail_at = np.clip((length - _TAIL)[:, None] + np.arange(_TAIL), 0, _WIDTH - 1)
    tail = codes[rows, tail_at]
    root_span = np.clip(body - _TAIL, 0, _ROOT_MAX)
    root_at = np.clip(start[:, None] + np.arange(_ROOT_MAX), 0, _WIDTH - 1)
    in_field = np.arange(_ROOT_MAX) < root_span[:, None]
    field = np.where(in_field, codes[rows, root_at], 0)
    not_blank = in_field & (field != _SPACE)
    # the root ends after its last non-blank character; the rest of the field is padding
    root_len = np.where(not_blank.any(axis=1), _ROOT_MAX - np.argmax(not_blank[:, ::-1], axis=1), 0)
    in_root = np.arange(_ROOT_MAX) < root_len[:, None]
    root = np.where(in_root, field, 0)
    good_char = ((root >= _A) & (root <= _Z)) | ((root >= _ZERO) & (root <= _NINE))
    mark(root_len == 0, "empty root")
    mark(
        np.any(in_root & ~good_char, axis=1),
        "root must be 1 to 6 upper-case letters or digits (padded with spaces after it)",
    )
    ymd, date_digits = _digits(tail[:, :6])
    mark(~date_digits, "the expiration YYMMDD is not 6 digits")
    year, month, day = 2000 + ymd // 10_000, ymd // 100 % 100, ymd % 100
    bad_month = (month < 1) | (month > 12)
    mark(bad_month, "the expiration's month is not 01 to 12")
    months = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    dates = months.astype("datetime64[D]") + (np.clip(day, 1, 99) - 1).astype("timedelta64[D]")
    mark(
        (day < 1) | (dates.astype("datetime64[M]") != months),
        "the expiration's day is not a day of its month",
    )
    right = tail[:, 6]
    mark((right != _C) & (right != _P), "the right (after the date) is not 'C' or 'P'")
    strike, strike_digits = _digits(tail[:, 7:])
    mark(~strike_digits, "the strike is not 8 digits")
    mark(strike == 0, "the strike is zero")
    columns = {
        "root": np.ascontiguousarray(root.astype(np.uint32)).view(f"<U{_ROOT_MAX}").ravel(),
        "expiration": dates.astype("datetime64[ns]"),
        "right": np.where(right == _C, "C", "P"),
        "strike": strike.astype(np.float64) / 1000.0,
    }
    return columns, problem, whats


def _parse_distinct(unique: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse distinct symbols (an object array of str): the columns, and what is wrong.

    Returns a frame of :data:`OCC_COLUMNS` (one row per symbol; meaningless where there is a
    problem) and an object array of problems, ``""`` for a good symbol.
    """
    # numpy's fixed-width strings drop trailing NULs and cannot hold long symbols: read the
    # true lengths first, and refuse what the view would misread
    text = pd.Series(unique, dtype=object)
    lengths = text.str.len().to_numpy(dtype=np.int64)
    too_long = lengths > _WIDTH
    has_nul = text.str.contains("\x00", regex=False).to_numpy(dtype=bool)
    clipped = np.where(too_long | has_nul, "", unique)
    columns, problem, whats = _parse_unique(np.asarray(clipped, dtype=str))
    whats.append("too long")
    problem[too_long] = len(whats) - 1
    whats.append("contains a NUL character")
    problem[has_nul & ~too_long] = len(whats) - 1
    problems = np.asarray(whats, dtype=object)[problem]
    for i in np.flatnonzero(np.isin(problems, ("too short", "too long"))):
        size = lengths[i] - 2 * unique[i].startswith("O:")
        problems[i] = (
            f"{problems[i]}: {size} characters (after any 'O:' prefix); an OSI symbol has "
            f"{_TAIL + 1} to {_TAIL + _ROOT_MAX}"
        )
    frame = pd.DataFrame(
        {
            "root": pd.array(columns["root"], dtype="str"),
            "expiration": columns["expiration"],
            "right": pd.array(columns["right"], dtype="str"),
            "strike": columns["strike"],
        }
    )
    return frame, problems


def parse_occ(symbols: str | Iterable[str] | pd.Series | pd.Index | np.ndarray) -> pd.DataFrame:
    """Parse OSI option symbols into root, expiration, right and strike.

    Vectorised: the distinct symbols are parsed together on a fixed-width view of their
    characters, so a day's tape (millions of prints of a few thousand contracts) parses in
    well under a second.

    Parameters
    ----------
    symbols : str, or list, numpy array, Series or Index of str
        Padded (``"SPXW  260918C06200000"``), compact (``"SPXW260918C06200000"``) or
        ``O:``-prefixed (``"O:SPXW260918C06200000"``) symbols, in any mix. A single str is
        one symbol.

    Returns
    -------
    pandas.DataFrame
        One row per symbol, in order, on the Series' index (a RangeIndex for anything
        else). Columns (:data:`OCC_COLUMNS`):

        - ``root`` (str): the option root, without padding (``"SPXW"``);
        - ``expiration`` (datetime64[ns], naive): the expiry date at midnight; OSI years are
          two digits, read as 2000-2099;
        - ``right`` (str): ``"C"`` or ``"P"``;
        - ``strike`` (float64): the strike in the underlying's points (the 8 digits / 1000).

    Raises
    ------
    ValueError
        At the first symbol (by position, from 0) that is not a str or not an OSI symbol:
        too short or long, an empty or non-alphanumeric root, a date that is not a date
        (month 13, 31 June), a right other than ``C``/``P``, a strike that is not 8 digits
        or is zero. The message names the position, the symbol and what is wrong.

    Examples
    --------
    >>> parse_occ(["SPXW  260918C06200000", "O:SPX260918P05950500"])
       root expiration right  strike
    0  SPXW 2026-09-18     C  6200.0
    1   SPX 2026-09-18     P  5950.5
    """
    series = _as_series(symbols)
    index = series.index if isinstance(symbols, pd.Series) else pd.RangeIndex(len(series))
    if isinstance(series.dtype, pd.StringDtype):
        missing = series.isna().to_numpy(dtype=bool)
        if missing.any():
            pos = int(np.argmax(missing))
            raise _fail(pos, series.iloc[pos], "missing (NaN or None)")
        codes, distinct = pd.factorize(series)
        uniques = distinct.to_numpy(dtype=object)
    else:
        values = series.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=False) not in ("string", "empty"):
            pos = _first_not_str(values)
            bad = values[pos]
            what = "missing (NaN or None)" if pd.isna(bad) else f"not a str ({type(bad).__name__})"
            raise _fail(pos, bad, what)
        codes, uniques = pd.factorize(values)
    unique = np.asarray(uniques, dtype=object)
    parsed, problems = _parse_distinct(unique)
    wrong = problems != ""
    if wrong.any():
        pos = int(np.flatnonzero(wrong[codes])[0])
        raise _fail(pos, unique[codes[pos]], str(problems[codes[pos]]))
    return pd.DataFrame(
        {
            "root": parsed["root"].array.take(codes),
            "expiration": parsed["expiration"].to_numpy()[codes],
            "right": parsed["right"].array.take(codes),
            "strike": parsed["strike"].to_numpy()[codes],
        },
        index=index,
    )
