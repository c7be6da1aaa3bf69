"""``ff.read_tape``: any tape of option prints (CSV, Parquet, DataFrame) in the engine's schema.

For vendors without a reader of their own: name the columns (``columns={"their name": "our
name"}``) and :func:`read_tape` returns the prints in the engine's tape schema
(:mod:`flowframe.sources.engine.schemas`) with the engine's dtypes, ready for
:meth:`Market.from_frames <flowframe.Market.from_frames>`, which checks and counts them.

It converts, it never drops: every row comes back (sorted by time), every column too (the
unmapped ones under their own names). Spellings (``"call"``/``"put"``), prints outside the
session, other expiries and the like are the Market's to count, not this reader's to
remove.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal, TypeAlias

import numpy as np
import pandas as pd

from flowframe import _params
from flowframe.errors import SchemaError
from flowframe.sources.vendors.occ import parse_occ

__all__ = ["EPOCH_UNITS", "TAPE_NAMES", "read_tape"]

_Unit: TypeAlias = Literal["ns", "us", "ms", "s"]

#: The names ``columns`` may map onto, and what each holds.
TAPE_NAMES: Final[dict[str, str]] = {
    "t": "the print's time: tz-aware, naive (with tz=), a time of day (with date= and tz=)",
    "t_ns": "the print's time as nanoseconds since the epoch (UTC)",
    "t_us": "the print's time as microseconds since the epoch (UTC)",
    "t_ms": "the print's time as milliseconds since the epoch (UTC)",
    "t_s": "the print's time as seconds since the epoch (UTC)",
    "strike": "the strike, in the underlying's points",
    "right": "call or put ('C'/'P', or a spelling the Market reads: call, put, c, p)",
    "price": "the option's trade price",
    "size": "contracts",
    "bid": "the NBBO bid before the print",
    "ask": "the NBBO ask before the print",
    "side": "the aggressor: +1 buy, -1 sell, 0 unknown",
    "expiration": "the contract's expiry date",
    "occ": "an OSI option symbol (gives root, expiration, right and strike)",
}
#: Epoch-time names and their units.
EPOCH_UNITS: Final[dict[str, _Unit]] = {"t_ns": "ns", "t_us": "us", "t_ms": "ms", "t_s": "s"}
_TIMES: Final = ("t", *EPOCH_UNITS)
_FLOATS: Final = ("strike", "price", "bid", "ask")
_ORDER: Final = ("t", "strike", "right", "price", "size", "bid", "ask", "side", "expiration")
_TIME_OF_DAY: Final = re.compile(r"^\s*\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*$")
_OFFSET: Final = re.compile(r"(Z|[+-]\d{2}(:?\d{2})?)\s*$")


def _load(data: object) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data.copy()
    if isinstance(data, (str, os.PathLike)):
        path = Path(os.fspath(data))
        if not path.is_file():
            raise ValueError(f"tape file {os.fspath(data)!r} does not exist")
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    raise ValueError(
        f"data must be a path to a CSV (.csv, .csv.gz) or Parquet (.parquet) file, or a "
        f"DataFrame; got {type(data).__name__}"
    )


def _rename(
    frame: pd.DataFrame, columns: Mapping[str, str] | None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Check the mapping and rename: the renamed frame, and {our name: their name}."""
    have = [str(c) for c in frame.columns]
    mapping = dict(columns or {})
    unknown = [k for k in mapping if k not in have]
    if unknown:
        raise ValueError(
            f"columns maps {', '.join(map(repr, unknown))}, which the tape does not have; "
            f"it has {', '.join(map(repr, have)) or 'no columns'}"
        )
    bad = {k: v for k, v in mapping.items() if v not in TAPE_NAMES}
    if bad:
        raise ValueError(
            f"columns maps onto {', '.join(repr(v) for v in bad.values())}, which is no tape "
            f"column; map onto {', '.join(map(repr, TAPE_NAMES))}"
        )
    targets = list(mapping.values())
    twice = sorted({v for v in targets if targets.count(v) > 1})
    if twice:
        raise ValueError(
            f"columns maps more than one column onto {', '.join(map(repr, twice))}; map one"
        )
    clash = [v for v in targets if v in have and v not in mapping]
    if clash:
        raise ValueError(
            f"columns maps a column onto {', '.join(map(repr, clash))}, which the tape "
            f"already has under that name; map that one elsewhere, or drop it first"
        )
    renamed = frame.rename(columns=mapping)
    origin = {str(c): str(c) for c in renamed.columns}
    origin.update({v: k for k, v in mapping.items()})
    return renamed, origin


def _named(column: str, origin: dict[str, str]) -> str:
    source = origin.get(column, column)
    return repr(column) if source == column else f"{column!r} (from {source!r})"


def _floats(values: pd.Series, name: str) -> np.ndarray:
    """Return a number column as float64 (NaN kept); a cell that is no number is an error."""
    dtype = values.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        out: np.ndarray = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return out
    parsed = pd.to_numeric(values, errors="coerce")
    bad = (parsed.isna() & values.notna()).to_numpy(dtype=bool)
    row = int(np.argmax(bad)) if bad.any() else 0
    raise SchemaError(
        f"tape column {name}, row {row}: {values.iloc[row]!r} is not a number "
        f"(the column's cells must all be numbers)"
    )


def _whole(values: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def _epoch(values: pd.Series, unit: _Unit, name: str) -> pd.Series:
    numbers = values if pd.api.types.is_integer_dtype(values.dtype) else None
    if numbers is None:
        numbers = pd.Series(_floats(values, name), index=values.index)
    out: pd.Series = pd.to_datetime(numbers, unit=unit, utc=True)
    return out


def _naive(times: pd.Series, tz: str | None, name: str, what: str) -> pd.Series:
    if tz is None:
        raise ValueError(
            f"tape column {name} holds {what} without a time zone; pass tz= the zone they "
            f"were written in (e.g. tz='America/New_York'): flowframe does not guess one"
        )
    try:
        out: pd.Series = times.dt.tz_localize(tz, ambiguous="raise", nonexistent="raise")
        return out
    except (ValueError, TypeError) as err:
        raise ValueError(f"tape column {name}: cannot place the times in {tz}: {err}") from None


def _strings(values: pd.Series, name: str) -> tuple[pd.Series, bool]:
    """Parse text times: (datetimes, whether they carried a zone)."""
    text = values.astype("str")
    present = values.notna().to_numpy(dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas' "could not infer format"
        try:
            parsed = pd.to_datetime(text.where(present), format="ISO8601")
            return parsed, isinstance(parsed.dtype, pd.DatetimeTZDtype)
        except ValueError as err:
            if "Mixed timezones" in str(err) or "mixed time" in str(err).lower():
                zoned = text[present].str.contains(_OFFSET).to_numpy(dtype=bool)
                if zoned.all():
                    return pd.to_datetime(text.where(present), format="ISO8601", utc=True), True
                row = int(np.flatnonzero(present)[np.argmax(~zoned)])
                raise SchemaError(
                    f"tape column {name} mixes times with and without a zone (row {row}: "
                    f"{values.iloc[row]!r} has none); write them all one way"
                ) from None
        first = text[present].iloc[0] if present.any() else ""
        fmt = pd.tseries.api.guess_datetime_format(first)
        coerced = pd.to_datetime(text.where(present), format="ISO8601", errors="coerce")
        if fmt is not None:
            try:
                parsed = pd.to_datetime(text.where(present), format=fmt)
                return parsed, isinstance(parsed.dtype, pd.DatetimeTZDtype)
            except ValueError:
                coerced = pd.to_datetime(text.where(present), format=fmt, errors="coerce")
    bad = coerced.isna().to_numpy(dtype=bool) & present
    row = int(np.argmax(bad)) if bad.any() else 0
    raise SchemaError(
        f"tape column {name}, row {row}: {values.iloc[row]!r} is not a time; write times as "
        f"ISO 8601 ('2026-09-18T09:30:00.123-04:00'), or map epoch numbers to "
        f"{', '.join(map(repr, EPOCH_UNITS))}"
    )


def _time_of_day(values: pd.Series) -> bool:
    if pd.api.types.is_timedelta64_dtype(values.dtype):
        return True
    cells = values.dropna()
    if not len(cells):
        return False
    if pd.api.types.infer_dtype(cells, skipna=True) == "time":
        return True
    if pd.api.types.infer_dtype(cells, skipna=True) != "string":
        return False
    return bool(cells.astype("str").str.match(_TIME_OF_DAY).all())


def _times(
    values: pd.Series, target: str, name: str, tz: str | None, date: str | None
) -> pd.Series:
    """Return the time column as datetime64[ns, UTC] (see :func:`read_tape`)."""
    of_day = target not in EPOCH_UNITS and _time_of_day(values)
    if date is not None and not of_day:
        raise ValueError(
            f"date={date!r} is for times of day only, and tape column {name} holds full "
            f"timestamps; read_tape drops no print (Market.from_frames counts those of "
            f"other days): leave date out"
        )
    if target in EPOCH_UNITS:
        out = _epoch(values, EPOCH_UNITS[target], name)
    elif isinstance(values.dtype, pd.DatetimeTZDtype):
        out = values
    elif of_day:
        if date is None:
            raise ValueError(
                f"tape column {name} holds times of day without a date; pass date='YYYY-MM-DD' "
                f"(the session date) and tz= their zone (e.g. tz='America/New_York')"
            )
        if pd.api.types.is_timedelta64_dtype(values.dtype):
            since = values
        else:
            text = values.map(str, na_action="ignore").astype("str")
            since = pd.to_timedelta(text.where(values.notna()))
        out = _naive(pd.Timestamp(date) + since, tz, name, "times of day")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        out = _naive(values, tz, name, "times")
    elif pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    ):
        raise ValueError(
            f"tape column {name} holds numbers: epoch times need their unit; map the "
            f"column onto {', '.join(map(repr, EPOCH_UNITS))} instead of 't'"
        )
    else:
        parsed, zoned = _strings(values, name)
        out = parsed if zoned else _naive(parsed, tz, name, "times")
    result: pd.Series = out.dt.tz_convert("UTC").dt.as_unit("ns").set_axis(values.index)
    return result


def _check_tz(tz: str | None) -> None:
    if tz is None:
        return
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception:
        raise ValueError(
            f"tz={tz!r} is not a time zone; pass an IANA name like 'America/New_York' or 'UTC'"
        ) from None


def read_tape(
    data: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    tz: str | None = None,
    date: str | dt.date | None = None,
) -> pd.DataFrame:
    """Read a tape of option prints into the engine's tape schema.

    Parameters
    ----------
    data : path or DataFrame
        A CSV (``.csv``, ``.csv.gz``: compression from the suffix), a Parquet file
        (``.parquet``, ``.pq``) or a DataFrame.
    columns : mapping, optional
        ``{"their name": "our name"}`` onto :data:`TAPE_NAMES`: ``t`` (or an epoch time
        ``t_ns``/``t_us``/``t_ms``/``t_s``), ``strike``, ``right``, ``price``, ``size``, and
        optionally ``bid``, ``ask``, ``side``, ``expiration``; or ``occ``, an OSI symbol
        column, instead of ``strike`` and ``right`` (and ``expiration``). Columns already
        named so need no mapping.
    tz : str, optional
        The zone of times written without one (``"America/New_York"``). Required for naive
        times: no zone is ever assumed. Unused for times that carry a zone.
    date : str or datetime.date, optional
        The session date of a time column holding times of day (``"09:30:00.125"``,
        ``datetime.time`` or timedeltas since midnight); only for those.

    Returns
    -------
    pandas.DataFrame
        Every row, sorted by ``t`` (stable), on a fresh RangeIndex. Columns: ``t``
        (datetime64[ns, UTC]), ``strike``, ``price``, ``bid``, ``ask`` (float64), ``size``
        (int64 when every cell is a whole number, else float64 with the cells as given),
        ``side`` (int8 when whole numbers, else float64), ``right`` and ``expiration`` as
        given; from ``occ``: ``root`` (str), ``expiration`` (datetime64[ns], naive dates),
        ``right`` (``"C"``/``"P"``), ``strike``, and the ``occ`` column itself. Engine
        columns come first; the others follow in their order.

    Raises
    ------
    ValueError
        A mapping naming a column the data lacks or a name that is no tape column; a
        missing required column (the message lists the columns there are); naive times
        without ``tz``; epoch numbers mapped to ``t``; times of day without ``date``.
    SchemaError
        A cell that cannot be read (a number column holding text, a time that is no time,
        an OSI symbol that is no symbol), named by column and row.

    Examples
    --------
    >>> tape = ff.read_tape(  # doctest: +SKIP
    ...     "prints.csv",
    ...     columns={"ts": "t_ns", "symbol": "occ", "px": "price", "qty": "size"},
    ... )
    >>> market = ff.Market.from_frames(  # doctest: +SKIP
    ...     symbol="SPX", chain=chain, tape=tape, spot=spot, expiration="2026-09-18"
    ... )
    """
    _check_tz(tz)
    session = _params.validate_expiry(date) if date is not None else None
    frame = _load(data).reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    frame, origin = _rename(frame, columns)
    have = list(frame.columns)
    times = [c for c in _TIMES if c in have]
    if len(times) > 1:
        raise ValueError(
            f"the tape has more than one time column ({', '.join(map(repr, times))}); map one"
        )
    contract = ["occ"] if "occ" in have else ["strike", "right"]
    clashes = [c for c in ("strike", "right", "expiration", "root") if c in have]
    if "occ" in have and clashes:
        raise ValueError(
            f"the tape has both 'occ' and {', '.join(map(repr, clashes))}: the OSI symbol "
            f"gives root, expiration, right and strike; map one or the other"
        )
    required = [*(["t"] if not times else []), *contract, "price", "size"]
    missing = [c for c in required if c not in have]
    if missing:
        mapped = f" (after the mapping {dict(columns)})" if columns else ""
        raise ValueError(
            f"the tape has no {', '.join(map(repr, missing))} column: it has "
            f"{', '.join(map(repr, have)) or 'no columns'}{mapped}; map theirs with "
            f"columns={{'their name': 'our name'}} onto {', '.join(map(repr, TAPE_NAMES))}"
        )
    time = times[0] if times else "t"
    out: dict[str, pd.Series | np.ndarray] = {
        "t": _times(frame[time], time, _named(time, origin), tz, session)
    }
    if "occ" in have:
        try:
            parsed = parse_occ(frame["occ"])
        except ValueError as err:
            raise SchemaError(f"tape column {_named('occ', origin)}: {err}") from None
        out |= {
            "strike": parsed["strike"],
            "right": parsed["right"],
            "expiration": parsed["expiration"],
            "root": parsed["root"],
        }
    for column in _FLOATS:
        if column in have:
            out[column] = _floats(frame[column], _named(column, origin))
    if "right" in have:
        out["right"] = frame["right"]
    size = _floats(frame["size"], _named("size", origin))
    out["size"] = size.astype(np.int64) if _whole(size) else size
    if "side" in have:
        side = _floats(frame["side"], _named("side", origin))
        fits = _whole(side) and (not side.size or np.abs(side).max() <= 127)
        out["side"] = side.astype(np.int8) if fits else side
    if "expiration" in have:
        out["expiration"] = frame["expiration"]
    result = frame.drop(columns=[time]) if time != "t" else frame
    for column, values in out.items():
        result[column] = values  # a Series is on the frame's RangeIndex
    first = [c for c in (*_ORDER, "root") if c in result.columns]
    result = result.loc[:, [*first, *(c for c in result.columns if c not in first)]]
    return result.sort_values("t", kind="stable", ignore_index=True)
