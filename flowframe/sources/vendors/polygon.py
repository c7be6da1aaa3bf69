"""``ff.read_polygon``: Polygon.io (Massive) options flat files in, one 0DTE session out.

Polygon publishes each day of OPRA as gzipped CSVs ("flat files") under
``us_options_opra/trades_v1/YYYY/MM/YYYY-MM-DD.csv.gz`` and ``.../quotes_v1/...``, every
option of every underlying in one file. The columns read (others are ignored):

trades (``trades_v1``)
    ``ticker`` (``"O:SPXW260918C06200000"``), ``sip_timestamp`` (int, nanoseconds since the
    epoch, UTC: when the SIP stamped the print), ``price`` (option price, points), ``size``
    (contracts: a whole number, possibly written ``"3.0"``), and ``correction`` when present
    (a non-zero correction indicator marks a corrected or cancelled print, which is not
    used). The full header is ``ticker,conditions,correction,exchange,price,sip_timestamp,
    size``.
quotes (``quotes_v1``)
    ``ticker``, ``sip_timestamp``, ``bid_price``, ``ask_price`` (the NBBO from that instant;
    the full header is ``ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,
    bid_size,sequence_number,sip_timestamp``).

The reader keeps the rows of the symbol's option roots (:data:`~flowframe.sources.vendors.
occ.ROOTS`: ``"SPX"`` reads ``SPX`` and ``SPXW``) expiring on the session date (0DTE) and
counts every other row by reason: ``other_symbol``, ``other_expiry``, ``corrected_print``,
and ``root_not_traded`` for quotes and open interest of a root with no print of the expiry
(the AM-settled monthly ``SPX`` on its expiry day, settled at the open). It hands the rest to
:func:`~flowframe.sources.vendors._assemble.assemble`, which builds the chain, attaches each
print's NBBO from the quotes and checks everything (:attr:`Market.quality`). Files are read
in chunks, so a whole day's file of every underlying never sits in memory at once; only the
symbol's rows are kept.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import numpy as np
import pandas as pd

from flowframe import _params
from flowframe._constants import ET
from flowframe.errors import SchemaError
from flowframe.sources.engine.core import InputNote
from flowframe.sources.vendors.occ import _parse_distinct, roots_of

if TYPE_CHECKING:
    from flowframe.sources.engine.inputs import Market

__all__ = ["OI_COLUMNS", "QUOTE_COLUMNS", "TRADE_COLUMNS", "read_polygon"]

#: The trades flat file's columns the reader needs (``correction`` is used when present).
TRADE_COLUMNS: Final = ("ticker", "sip_timestamp", "price", "size")
#: The quotes flat file's columns the reader needs.
QUOTE_COLUMNS: Final = ("ticker", "sip_timestamp", "bid_price", "ask_price")
#: The open-interest table's accepted columns: a contract, by OCC ``ticker`` (or ``symbol``)
#: or by ``strike`` and ``right``, and its open interest, ``oi`` (or ``open_interest``).
OI_COLUMNS: Final = ("ticker", "symbol", "strike", "right", "oi", "open_interest")

#: Rows read at a time from a CSV.
CHUNK_ROWS: Final = 2_000_000
_EARLIEST_NS: Final = 10**17  # 1973 in nanoseconds: anything smaller is not SIP ns

_Source: TypeAlias = "str | os.PathLike[str] | pd.DataFrame"
#: What `trades` and `quotes` may be: a path, a DataFrame, or a list of them.
Input: TypeAlias = "_Source | Sequence[_Source]"

_ACTIONS: Final = {
    "other_symbol": "an option of another underlying (root not {roots}): not read",
    "other_expiry": "expires on another date than the session's (not 0DTE): not read",
    "corrected_print": "a non-zero correction indicator (corrected or cancelled): not used",
    "root_not_traded": (
        "a root of the symbol with no print of the expiry in the session (the AM-settled "
        "monthly on its expiry day): not used"
    ),
}


@dataclass
class _Counts:
    """Rows not kept, by reason, for one input."""

    input: str
    unit: str
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str, count: int) -> None:
        if count:
            self.reasons[reason] = self.reasons.get(reason, 0) + int(count)

    def notes(self, roots: tuple[str, ...]) -> list[InputNote]:
        return [
            InputNote(
                self.input, reason, count, self.unit, _ACTIONS[reason].format(roots="/".join(roots))
            )
            for reason, count in self.reasons.items()
        ]


# ----------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class _Where:
    """Where values came from, to name a bad cell: the input, the file and each value's row.

    ``rows`` holds, for each value, its row in the file (0-based, the header not counted).
    """

    kind: str
    source: str
    rows: np.ndarray

    def error(self, column: str, i: int, value: object, what: str) -> SchemaError:
        return SchemaError(
            f"{self.kind} {self.source} column {column!r}, row {int(self.rows[i]):,}: "
            f"{(value.item() if isinstance(value, np.generic) else value)!r} {what}"
        )


def _floats(values: pd.Series, column: str, where: _Where) -> np.ndarray:
    """Return the column as float64 (NaN kept); a cell that is no number is an error."""
    dtype = values.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        out: np.ndarray = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return out
    parsed = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(parsed) & values.notna().to_numpy(dtype=bool)
    if bad.any():
        i = int(np.argmax(bad))
        raise where.error(column, i, values.iloc[i], "is not a number")
    return parsed


def _ints(values: pd.Series, column: str, where: _Where, what: str) -> np.ndarray:
    """Return the column as int64; a cell not a whole number (or empty) is an error."""
    if values.dtype == object:  # text or Python ints: read big integers exactly
        numbers = pd.to_numeric(values, errors="coerce")
        if pd.api.types.is_integer_dtype(numbers.dtype):
            values = numbers
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
        out: np.ndarray = values.to_numpy(dtype=np.int64)
        return out
    floats = _floats(values, column, where)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(floats) | (floats != np.round(floats))
    if bad.any():
        i = int(np.argmax(bad))
        raise where.error(column, i, values.iloc[i], f"is not {what}")
    inexact = np.abs(floats) > 2.0**53
    if inexact.any():
        i = int(np.argmax(inexact))
        raise where.error(
            column,
            i,
            values.iloc[i],
            "was read as a float, which cannot hold it exactly; write the column as integers",
        )
    return floats.astype(np.int64)


def _sip_times(values: pd.Series, where: _Where) -> pd.Series:
    """Return SIP nanoseconds since the epoch as datetime64[ns, UTC]."""
    ns = _ints(values, "sip_timestamp", where, "a whole number of nanoseconds")
    early = ns < _EARLIEST_NS
    if early.any():
        i = int(np.argmax(early))
        raise where.error(
            "sip_timestamp",
            i,
            int(ns[i]),
            "is not nanoseconds since the epoch (it would fall before 1973); Polygon's flat "
            "files stamp SIP time in nanoseconds",
        )
    return pd.Series(ns.astype("datetime64[ns]")).dt.tz_localize("UTC")


# ----------------------------------------------------------------------------- files


def _sources(data: object, kind: str) -> list[_Source]:
    if isinstance(data, (str, os.PathLike, pd.DataFrame)):
        return [data]
    if (
        isinstance(data, Sequence)
        and len(data) > 0
        and all(isinstance(d, (str, os.PathLike, pd.DataFrame)) for d in data)
    ):
        return list(data)
    raise ValueError(
        f"{kind} must be a path to a Polygon flat file (.csv or .csv.gz), a list of paths, "
        f"or a DataFrame; got {type(data).__name__}"
    )


def _label(source: _Source) -> str:
    return "DataFrame" if isinstance(source, pd.DataFrame) else repr(os.fspath(source))


def _chunks(
    source: _Source, kind: str, required: Sequence[str], optional: Sequence[str] = ()
) -> Iterator[tuple[pd.DataFrame, int]]:
    """Yield (chunk, file row of its first row), once the header has every required column.

    The chunks hold the required columns and the optional ones present.
    """
    if isinstance(source, pd.DataFrame):
        columns = [str(c) for c in source.columns]
    else:
        path = Path(os.fspath(source))
        if not path.is_file():
            raise ValueError(f"{kind} file {os.fspath(source)!r} does not exist")
        columns = [str(c) for c in pd.read_csv(path, nrows=0).columns]
    missing = [c for c in required if c not in columns]
    if missing:
        raise SchemaError(
            f"{kind} {_label(source)} has no column {', '.join(map(repr, missing))}: it has "
            f"{', '.join(map(repr, columns)) or 'no columns'}; a Polygon options {kind} flat "
            f"file has {', '.join(map(repr, required))}"
        )
    wanted = [*required, *(c for c in optional if c in columns and c not in required)]
    if isinstance(source, pd.DataFrame):
        yield source.loc[:, wanted].reset_index(drop=True), 0
        return
    offset = 0
    with pd.read_csv(
        Path(os.fspath(source)), usecols=wanted, dtype={"ticker": "str"}, chunksize=CHUNK_ROWS
    ) as reader:
        for chunk in reader:
            yield chunk.loc[:, wanted].reset_index(drop=True), offset
            offset += len(chunk)


# ----------------------------------------------------------------------------- contracts


def _root_guess(tickers: np.ndarray) -> pd.Series:
    """Return a root-like name for tickers that were not parsed (for messages only)."""
    text = pd.Series(tickers, dtype=object).astype(str).str.removeprefix("O:")
    return text.str.slice(0, -15).str.strip().where(text.str.len() > 15, text)


def _contracts(
    tickers: pd.Series, roots: tuple[str, ...], where: _Where, seen: dict[str, int]
) -> tuple[np.ndarray, pd.DataFrame]:
    """Return which rows are options of ``roots``, and their contracts (root ... strike).

    Only tickers that start like a root's are parsed (an index's file holds every
    underlying); one of those that is no OSI symbol is an error naming its row. ``seen``
    counts the other roots' rows (for the message when the symbol is missing).
    """
    codes, distinct = pd.factorize(tickers)
    if (codes < 0).any():
        i = int(np.argmax(codes < 0))
        raise where.error("ticker", i, tickers.iloc[i], "is empty")
    unique = np.asarray(distinct, dtype=object)
    if pd.api.types.infer_dtype(unique, skipna=False) not in ("string", "empty"):
        i = int(np.argmax(~tickers.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)))
        raise where.error("ticker", i, tickers.iloc[i], "is not an option ticker (a str)")
    prefixes = tuple(p for r in roots for p in (f"O:{r}", r))
    candidate = np.flatnonzero(
        pd.Series(unique, dtype=object).str.startswith(prefixes).to_numpy(dtype=bool)
    )
    parsed, problems = _parse_distinct(unique[candidate])
    wrong = problems != ""
    if wrong.any():
        i = int(np.flatnonzero(np.isin(codes, candidate[wrong]))[0])
        what = problems[np.flatnonzero(candidate == codes[i])[0]]
        raise where.error(
            "ticker",
            i,
            tickers.iloc[i],
            f"is not an OSI symbol ({what}); expected one like 'O:SPXW260918C06200000'",
        )
    at = np.full(unique.size, -1, dtype=np.int64)  # each distinct ticker's parsed row
    is_root = parsed["root"].isin(roots).to_numpy(dtype=bool)
    at[candidate[is_root]] = np.flatnonzero(is_root)
    rows = at[codes] >= 0
    if not rows.all():
        per_ticker = np.bincount(codes[~rows], minlength=unique.size)
        present = np.flatnonzero(per_ticker)
        guess = _root_guess(unique[present])
        for name, n in pd.Series(per_ticker[present]).groupby(guess.to_numpy()).sum().items():
            seen[str(name)] = seen.get(str(name), 0) + int(n)
    contracts = parsed.iloc[at[codes[rows]]].reset_index(drop=True)
    return rows, contracts


def _read(
    data: object,
    kind: str,
    required: Sequence[str],
    optional: Sequence[str],
    roots: tuple[str, ...],
    counts: _Counts,
    seen: dict[str, int],
) -> pd.DataFrame:
    """Read the roots' rows of every source, converted (see :func:`_convert`)."""
    frames = []
    for source in _sources(data, kind):
        label = _label(source)
        for chunk, offset in _chunks(source, kind, required, optional):
            where = _Where(kind, label, np.arange(offset, offset + len(chunk)))
            rows, contracts = _contracts(chunk["ticker"], roots, where, seen)
            counts.add("other_symbol", int((~rows).sum()))
            if not rows.any():
                continue
            ours = chunk.loc[rows].reset_index(drop=True)
            ours_where = _Where(kind, label, where.rows[rows])
            frames.append(_convert(ours, ours_where, contracts, kind))
    if not frames:
        frames.append(_convert(pd.DataFrame(), _Where(kind, "", np.arange(0)), None, kind))
    return pd.concat(frames, ignore_index=True)


def _convert(
    ours: pd.DataFrame, where: _Where, contracts: pd.DataFrame | None, kind: str
) -> pd.DataFrame:
    """Return one chunk's rows in the assembler's columns (a bad cell is an error, by row).

    Trades: ``t``, ``price``, ``size``, ``corrected``; quotes: ``t``, ``bid``, ``ask``; both
    then ``root``, ``strike``, ``right``, ``expiration``. ``contracts`` None: no rows.
    """
    if contracts is None:
        t = pd.Series(pd.DatetimeIndex([], dtype="datetime64[ns, UTC]"))
        columns: dict[str, Any] = {"t": t}
        if kind == "trades":
            columns |= {
                "price": np.zeros(0),
                "size": np.zeros(0, np.int64),
                "corrected": np.zeros(0, bool),
            }
        else:
            columns |= {"bid": np.zeros(0), "ask": np.zeros(0)}
        columns |= {
            "root": pd.array([], dtype="str"),
            "strike": np.zeros(0),
            "right": pd.array([], dtype="str"),
            "expiration": np.zeros(0, "datetime64[ns]"),
        }
        return pd.DataFrame(columns)
    columns = {"t": _sip_times(ours["sip_timestamp"], where)}
    if kind == "trades":
        columns["price"] = _floats(ours["price"], "price", where)
        columns["size"] = _ints(ours["size"], "size", where, "a whole number of contracts")
        corrected = np.zeros(len(ours), dtype=bool)
        if "correction" in ours.columns:
            correction = _floats(ours["correction"], "correction", where)
            corrected = np.nan_to_num(correction, nan=0.0) != 0
        columns["corrected"] = corrected
    else:
        columns["bid"] = _floats(ours["bid_price"], "bid_price", where)
        columns["ask"] = _floats(ours["ask_price"], "ask_price", where)
    frame = pd.DataFrame(columns)
    frame["root"] = contracts["root"].array
    frame["strike"] = contracts["strike"].to_numpy()
    frame["right"] = contracts["right"].array
    frame["expiration"] = contracts["expiration"].to_numpy()
    return frame


# ----------------------------------------------------------------------------- open interest


def _oi_table(oi: object) -> tuple[pd.DataFrame, str]:
    if isinstance(oi, (str, os.PathLike)):
        path = Path(os.fspath(oi))
        if not path.is_file():
            raise ValueError(f"oi file {os.fspath(oi)!r} does not exist")
        return pd.read_csv(path, dtype={"ticker": "str", "symbol": "str"}), repr(os.fspath(oi))
    if isinstance(oi, pd.DataFrame):
        return oi.reset_index(drop=True), "DataFrame"
    raise ValueError(
        f"oi must be a DataFrame or a path to a CSV with columns (ticker or symbol, oi or "
        f"open_interest) or (strike, right, oi); got {type(oi).__name__}"
    )


def _open_interest(
    oi: object, roots: tuple[str, ...], traded: set[str], date: dt.date, counts: _Counts
) -> pd.DataFrame:
    """Return the OI as ``strike``, ``right``, ``oi`` (int64), of the session's contracts.

    By OCC symbol: the rows of ``roots`` expiring on ``date`` whose root has prints
    (``traded``); the others are counted. By strike and right: every row, as given.
    """
    table, label = _oi_table(oi)
    columns = [str(c) for c in table.columns]
    value = [c for c in ("oi", "open_interest") if c in columns]
    contract = [c for c in ("ticker", "symbol") if c in columns]
    by_strike = {"strike", "right"} <= set(columns)
    if len(value) != 1 or len(contract) > 1 or not (contract or by_strike):
        raise SchemaError(
            f"oi {label} must have one contract column, 'ticker' or 'symbol' (OCC symbols), or "
            f"'strike' and 'right', and one of 'oi' or 'open_interest'; it has "
            f"{', '.join(map(repr, columns)) or 'no columns'}"
        )
    where = _Where("oi", label, np.arange(len(table)))
    values = _ints(table[value[0]], value[0], where, "a whole number of contracts")
    if not contract:
        frame = pd.DataFrame(
            {
                "strike": _floats(table["strike"], "strike", where),
                "right": table["right"].to_numpy(),
                "oi": values,
            }
        )
        rows = where.rows
    else:
        seen: dict[str, int] = {}
        ours, contracts = _contracts(table[contract[0]], roots, where, seen)
        counts.add("other_symbol", int((~ours).sum()))
        same_day = (contracts["expiration"] == pd.Timestamp(date)).to_numpy(dtype=bool)
        counts.add("other_expiry", int((~same_day).sum()))
        in_session = contracts["root"].isin(traded).to_numpy(dtype=bool)
        counts.add("root_not_traded", int((same_day & ~in_session).sum()))
        keep = same_day & in_session
        frame = pd.DataFrame(
            {
                "strike": contracts["strike"].to_numpy()[keep],
                "right": contracts["right"].array[keep],
                "oi": values[ours][keep],
            }
        )
        rows = where.rows[ours][keep]
    twice = frame.duplicated(["strike", "right"], keep=False).to_numpy(dtype=bool)
    if twice.any():
        first = frame.loc[twice].iloc[0]
        same = np.flatnonzero(
            twice
            & (frame["strike"] == first["strike"]).to_numpy(dtype=bool)
            & (frame["right"] == first["right"]).to_numpy(dtype=bool)
        )
        raise SchemaError(
            f"oi {label} gives the contract {first['strike']:g} {first['right']} more than "
            f"once (rows {', '.join(str(int(rows[i])) for i in same)}); give one open-interest "
            f"figure per contract"
        )
    return frame


# ----------------------------------------------------------------------------- the session


def _session_date(trades: pd.DataFrame, symbol: str, roots: tuple[str, ...]) -> dt.date:
    """Return the one ET date the trades were printed on, or raise listing them."""
    days = trades["t"].dt.tz_convert(ET).dt.date.value_counts().sort_index()
    if len(days) != 1:
        found = ", ".join(f"{d} ({n:,} print{'' if n == 1 else 's'})" for d, n in days.items())
        raise ValueError(
            f"date=None, but the {symbol} prints (roots {', '.join(roots)}) fall on "
            f"{len(days)} dates (America/New_York): {found}; pass date='YYYY-MM-DD' to "
            f"choose the session (its 0DTE expiry)"
        )
    day: dt.date = days.index[0]
    return day


def _no_prints(symbol: str, roots: tuple[str, ...], seen: dict[str, int]) -> SchemaError:
    top = sorted(seen.items(), key=lambda kv: -kv[1])[:8]
    found = (
        ", ".join(f"{name} ({n:,} row{'' if n == 1 else 's'})" for name, n in top)
        or "none (no rows)"
    )
    return SchemaError(
        f"trades hold no print of {symbol}'s options (roots {', '.join(roots)}); the roots "
        f"found are: {found}"
    )


def _session_date_arg(date: object) -> dt.date | None:
    if date is None:
        return None
    try:
        return dt.date.fromisoformat(str(_params.validate_expiry(date)))
    except ValueError:
        raise ValueError(
            f"date={date!r} is not allowed; use a datetime.date or a 'YYYY-MM-DD' string "
            "(the session date, which is the 0DTE expiry)"
        ) from None


def _frames(
    trades: object,
    quotes: object = None,
    *,
    symbol: str,
    date: object = None,
    spot: pd.Series | None = None,
    oi: object = None,
) -> dict[str, Any]:
    """Read the files and return the keyword arguments of ``assemble`` (but ``strict``).

    See :func:`read_polygon` for the parameters. The frames: ``trades`` (``t``
    datetime64[ns, UTC], ``strike`` float64, ``right`` str, ``price`` float64, ``size``
    int64), ``quotes`` (``t``, ``strike``, ``right``, ``bid``, ``ask`` float64) or None,
    ``oi`` (``strike``, ``right``, ``oi`` int64) or None; trades and quotes sorted by ``t``
    (stable: ties keep the files' order). Each row not kept is counted in ``notes``, once,
    under the first reason that applies: ``other_symbol``, ``other_expiry``,
    ``corrected_print`` (trades), ``root_not_traded`` (quotes and OI).
    """
    sym = _params.validate_symbol(symbol)
    roots = roots_of(sym)
    session = _session_date_arg(date)
    tape_counts = _Counts("tape", "prints")
    seen: dict[str, int] = {}
    rows = _read(trades, "trades", TRADE_COLUMNS, ("correction",), roots, tape_counts, seen)
    if not len(rows):
        raise _no_prints(sym, roots, seen)
    if session is None:
        session = _session_date(rows, sym, roots)
    same_day = (rows["expiration"] == pd.Timestamp(session)).to_numpy(dtype=bool)
    if not same_day.any():
        expiries = rows["expiration"].dt.date.value_counts().sort_index()
        found = ", ".join(f"{d} ({n:,})" for d, n in expiries.head(8).items())
        raise SchemaError(
            f"trades hold no {sym} option expiring on {session} (0DTE): the {sym} prints "
            f"expire on {found}; pass the date the options expire and the tape was printed"
        )
    corrected = rows["corrected"].to_numpy(dtype=bool)
    tape_counts.add("other_expiry", int((~same_day).sum()))
    tape_counts.add("corrected_print", int((same_day & corrected).sum()))
    keep = same_day & ~corrected
    traded = set(rows.loc[keep, "root"].unique())
    tape = rows.loc[keep, ["t", "strike", "right", "price", "size"]]
    tape = tape.sort_values("t", kind="stable", ignore_index=True)
    notes = tape_counts.notes(roots)
    quote_frame = None
    if quotes is not None:
        quote_counts = _Counts("quotes", "quotes")
        rows = _read(quotes, "quotes", QUOTE_COLUMNS, (), roots, quote_counts, {})
        same_day = (rows["expiration"] == pd.Timestamp(session)).to_numpy(dtype=bool)
        in_session = rows["root"].isin(traded).to_numpy(dtype=bool)
        quote_counts.add("other_expiry", int((~same_day).sum()))
        quote_counts.add("root_not_traded", int((same_day & ~in_session).sum()))
        quote_frame = rows.loc[same_day & in_session, ["t", "strike", "right", "bid", "ask"]]
        quote_frame = quote_frame.sort_values("t", kind="stable", ignore_index=True)
        notes += quote_counts.notes(roots)
    oi_frame = None
    if oi is not None:
        oi_counts = _Counts("oi", "rows")
        oi_frame = _open_interest(oi, roots, traded, session, oi_counts)
        notes += oi_counts.notes(roots)
    return {
        "symbol": sym,
        "date": session,
        "trades": tape,
        "quotes": quote_frame,
        "oi": oi_frame,
        "spot": spot,
        "source": "polygon",
        "notes": notes,
    }


def read_polygon(
    trades: Input,
    quotes: Input | None = None,
    *,
    symbol: str,
    date: str | dt.date | None = None,
    spot: pd.Series | None = None,
    oi: str | os.PathLike[str] | pd.DataFrame | None = None,
    strict: bool = False,
) -> Market:
    """Read Polygon.io (Massive) options flat files into one symbol's 0DTE :class:`Market`.

    Parameters
    ----------
    trades : path, list of paths, or DataFrame
        Polygon options trades flat files (``us_options_opra/trades_v1``), CSV or gzipped
        CSV (``.csv.gz``), or the same already loaded. Needs :data:`TRADE_COLUMNS`; uses
        ``correction`` when present.
    quotes : path, list of paths, or DataFrame, optional
        Polygon options quotes flat files (``us_options_opra/quotes_v1``): needs
        :data:`QUOTE_COLUMNS`. The NBBO each print is classified against, and the mids the
        chain's implied vols come from. Pre-filtering a day's file to the symbol's tickers
        (it is very large) is fine.
    symbol : str
        The underlying, e.g. ``"SPX"``: the rows of its option roots are read
        (:data:`~flowframe.sources.vendors.occ.ROOTS`; ``"SPX"`` is ``SPX`` and ``SPXW``).
    date : str or datetime.date, optional
        The session date, which is the 0DTE expiry read. Default: the date
        (America/New_York) the symbol's prints fall on, which must be a single date.
    spot : pandas.Series, optional
        The underlying's price on a tz-aware index. Default: implied from put-call parity
        on the quotes' mids.
    oi : DataFrame or path to a CSV, optional
        Open interest, one row per contract: (``ticker`` or ``symbol`` as OCC symbols,
        ``oi`` or ``open_interest``) or (``strike``, ``right``, ``oi``). Default: zero.
    strict : bool, default False
        Raise instead of counting when any row would not be used.

    Returns
    -------
    Market
        The session, with :attr:`Market.quality` counting every row not used: rows of other
        roots (``other_symbol``), other expiries (``other_expiry``), corrected or cancelled
        prints (``corrected_print``), quotes and OI of a root without prints that day
        (``root_not_traded``), then the checks of
        :meth:`Market.from_frames <flowframe.Market.from_frames>`; ``quality.attrs["source"]``
        is ``"polygon"``.

    Raises
    ------
    ValueError
        A file that does not exist, or ``date=None`` with prints on more than one date (the
        message lists them).
    SchemaError
        A file without a needed column (the message lists the columns it has), a cell that
        cannot be read (named by file, column and row, counted from 0 after the header),
        no print of the symbol or none expiring on ``date``.

    Examples
    --------
    >>> market = ff.read_polygon(  # doctest: +SKIP
    ...     "trades/2026-09-18.csv.gz", "quotes/2026-09-18.csv.gz", symbol="SPX"
    ... )
    >>> src = ff.Local.from_market(market)  # doctest: +SKIP
    """
    from flowframe.sources.vendors._assemble import assemble

    frames = _frames(trades, quotes, symbol=symbol, date=date, spot=spot, oi=oi)
    market: Market = assemble(**frames, strict=strict)
    return market
