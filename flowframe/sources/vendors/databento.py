"""Databento DBN files of OPRA to an :class:`~flowframe.Market`: :func:`read_databento`.

Databento sells OPRA (dataset ``OPRA.PILLAR``) as DBN files, plain (``.dbn``) or Zstandard
compressed (``.dbn.zst``), one schema per file. The reader takes any number of them and tells
each file's schema from its metadata:

``definition``
    One record per listed contract: ``instrument_id``, the OSI ``raw_symbol`` (padded,
    ``"SPXW  260918C06200000"``), ``instrument_class`` (``C``/``P``), ``strike_price`` and
    ``expiration``. Required: every other record names its contract by ``instrument_id`` only.
    When an instrument id is defined more than once, the definition received last is used.
``tbbo`` or ``tcbbo``
    One record per print with the quote just before it (``bid_px_00``/``ask_px_00``): the
    engine's tape with ``bid``/``ask``. ``tcbbo`` carries OPRA's consolidated BBO; ``tbbo``
    the top of book its records come with.
``trades`` plus a quote file (``cmbp-1``, ``cbbo-1s``, ``cbbo-1m``, ``bbo-1s``, ``bbo-1m``)
    Prints without quotes, and the quote updates; each print gets the last quote of its
    contract strictly before it (in :func:`~flowframe.sources.vendors._assemble.assemble`).
    A quote file may come with ``tbbo``/``tcbbo`` too: it is then read for the chain's IVs.
``statistics``
    Open interest: records with ``stat_type == OPEN_INTEREST`` (9); per contract the figure
    received last before the session's close is used (OPRA sends the prior day's settled
    open interest before the open). Optional: without it every contract's OI is 0 (counted).

A directory among ``paths`` stands for the ``*.dbn`` and ``*.dbn.zst`` files in it.

Conventions
-----------
- **Prices** are fixed-point ``int64`` in units of 1e-9 (``price / 1e9`` points, divided, so a
  price given to the cent reads back as the float of that decimal); ``UNDEF_PRICE``
  (``2**63 - 1``) means none and reads as NaN. ``size`` is contracts (``int64``).
- **Times** are ``ts_event`` (nanoseconds since the epoch, UTC), as ``datetime64[ns, UTC]``.
- **Contracts**: strike = ``strike_price / 1e9`` (points), right = ``instrument_class``, the
  expiry date = ``expiration``'s UTC calendar date (OPRA sends the expiry day, at midnight
  UTC or at the close, both on that date); where a field is undefined it is read from the OSI
  symbol instead.
- **Which rows are kept**: the contracts of ``symbol``'s roots
  (:func:`~flowframe.sources.vendors.occ.roots_of`: ``"SPX"`` is ``SPX`` and ``SPXW``), read
  from the first 6 characters of the padded OSI symbol, that are calls or puts expiring on the
  session date (0DTE). Every record not kept is counted in ``Market.quality`` under the first
  reason that applies: ``no_definition`` (an instrument id no definition names),
  ``other_symbol`` (another root), ``not_an_option`` (a class other than call or put),
  ``other_expiry``; statistics also under ``not_open_interest``, ``no_quantity``,
  ``after_close``, ``superseded`` and ``deleted`` (a contract whose last record deletes its
  figure), and ``summed`` where two roots list the same strike and
  right on the day (their open interest is added: the engine keys contracts by strike and
  right); definitions under ``superseded``.

Decoding is Databento's: ``databento.DBNStore.from_bytes(file).to_ndarray()`` on the open
file (one numpy structured array per file, any DBN version; ``DBNStore.from_file`` would leave
the file open), then numpy on whole columns: no Python loop over
records. ``databento`` is imported on first use (the ``databento`` extra).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from flowframe import _params
from flowframe._constants import ET
from flowframe._session import session_bounds
from flowframe.sources.engine.core import InputNote
from flowframe.sources.vendors.occ import parse_occ, roots_of

if TYPE_CHECKING:
    from flowframe.sources.engine.inputs import Market

__all__ = ["DATASET", "QUOTE_SCHEMAS", "SCHEMAS", "TRADE_SCHEMAS", "read_databento"]

#: The Databento dataset read: OPRA's consolidated options feed.
DATASET: Final = "OPRA.PILLAR"
#: Schemas of prints: with the quote before each (``tbbo``, ``tcbbo``) or without (``trades``).
TRADE_SCHEMAS: Final = ("tbbo", "tcbbo", "trades")
#: Schemas of quote updates (the NBBO), read for the prints' quotes and the chain's IVs.
QUOTE_SCHEMAS: Final = ("cmbp-1", "cbbo-1s", "cbbo-1m", "bbo-1s", "bbo-1m")
#: Every schema the reader takes.
SCHEMAS: Final = ("definition", *TRADE_SCHEMAS, *QUOTE_SCHEMAS, "statistics")

_EXTRA: Final = "pip install 'flowframe[databento]'"
_SCALE: Final = 1e9  # fixed-point prices: units of 1e-9
_UNDEF_PRICE: Final = np.iinfo(np.int64).max
_UNDEF_TIME: Final = np.iinfo(np.uint64).max
_OPEN_INTEREST: Final = 9  # databento_dbn.StatType.OPEN_INTEREST
_STAT_DELETE: Final = 2  # databento_dbn.StatUpdateAction.DELETE
_NS_PER_DAY: Final = 86_400 * 10**9
_NS_PER_HOUR: Final = 3_600 * 10**9
_ROOT_WIDTH: Final = 6  # the OSI root field, padded with spaces
_WITH_QUOTES: Final = ("tbbo", "tcbbo")

# record codes: 0 kept, else the reason (in the order they are tried)
_KEEP, _NO_DEFINITION, _OTHER_SYMBOL, _NOT_OPTION, _OTHER_EXPIRY = 0, 1, 2, 3, 4
_REASONS: Final = ("no_definition", "other_symbol", "not_an_option", "other_expiry")


def _databento() -> Any:
    """Import ``databento`` (the ``databento`` extra), naming the extra when it is missing."""
    try:
        import databento
    except ImportError as exc:
        raise ImportError(
            f"read_databento decodes DBN files with Databento's library, which is not "
            f"installed: {_EXTRA}"
        ) from exc
    return databento


# ------------------------------------------------------------------------------ files


@dataclass(frozen=True)
class _File:
    """One decoded DBN file: its path, schema and records (a numpy structured array)."""

    path: Path
    schema: str
    records: np.ndarray


def _expand(paths: Sequence[str | PathLike[str]]) -> list[Path]:
    files: list[Path] = []
    for item in paths:
        if not isinstance(item, str | PathLike):
            raise ValueError(
                f"paths must be file or directory paths (str or os.PathLike), got "
                f"{type(item).__name__}"
            )
        path = Path(item)
        if path.is_dir():
            found = sorted([*path.glob("*.dbn"), *path.glob("*.dbn.zst")])
            if not found:
                raise ValueError(f"directory {str(path)!r} holds no *.dbn or *.dbn.zst file")
            files.extend(found)
        else:
            files.append(path)
    return files


def _load(path: Path) -> _File:
    """Decode one file with Databento's ``DBNStore`` (plain or Zstandard, any DBN version)."""
    db = _databento()
    from databento_dbn import DBNError

    if not path.exists():
        raise FileNotFoundError(f"no such DBN file: {str(path)!r}")
    try:
        # from an open file, closed here (DBNStore.from_file leaves its file open; from bytes,
        # DBNStore names the source by its repr, which for bytes is as long as the file)
        with path.open("rb") as file:
            store = db.DBNStore.from_bytes(file)
    except (ValueError, db.BentoError, DBNError) as exc:
        raise ValueError(
            f"{str(path)!r} is not a DBN file Databento can read (plain .dbn or Zstandard "
            f".dbn.zst): {exc}"
        ) from exc
    dataset = str(store.dataset)
    if dataset != DATASET:
        raise ValueError(
            f"{str(path)!r} holds dataset {dataset!r}; read_databento reads OPRA options, "
            f"dataset {DATASET!r}"
        )
    if store.schema is None:
        raise ValueError(
            f"{str(path)!r} mixes record schemas (a live capture?); write one schema per file, "
            f"one of {', '.join(SCHEMAS)}"
        )
    schema = str(store.schema.value) if hasattr(store.schema, "value") else str(store.schema)
    if schema not in SCHEMAS:
        raise ValueError(
            f"{str(path)!r} holds schema {schema!r}, which read_databento does not read; use "
            f"{', '.join(SCHEMAS)}"
        )
    if store.metadata.ts_out:
        raise ValueError(
            f"{str(path)!r} was recorded with ts_out (a gateway send time after each record), "
            f"which read_databento does not read; download it without ts_out"
        )
    return _File(path, schema, store.to_ndarray())


# ------------------------------------------------------------------------------ contracts


@dataclass(frozen=True)
class _Contracts:
    """The defined instruments, one per instrument id (sorted), with why each is not kept."""

    ids: np.ndarray  # int64, sorted, unique
    code: np.ndarray  # int8: _KEEP, _OTHER_SYMBOL, _NOT_OPTION (_OTHER_EXPIRY once dated)
    expiry: np.ndarray  # datetime64[D], NaT where not a candidate
    strike: np.ndarray  # float64 points
    right: Any  # pandas "str" array of "C"/"P" ("" where not an option)
    superseded: int  # definitions replaced by a later one of the same id

    def locate(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per record: the row of its instrument id here (clipped) and whether it is defined.

        The distinct ids are looked up (hashing, then a binary search of the few thousand
        distinct ids a file names), not each record.
        """
        if not self.ids.size or not ids.size:
            return np.zeros(ids.size, np.intp), np.zeros(ids.size, bool)
        inverse, distinct = pd.factorize(ids)
        wanted = np.asarray(distinct).astype(np.int64)
        pos = np.minimum(np.searchsorted(self.ids, wanted), self.ids.size - 1)
        found = self.ids[pos] == wanted
        return pos[inverse], found[inverse]

    def codes(self, pos: np.ndarray, found: np.ndarray) -> np.ndarray:
        """Per located record: 0 kept, else the code of the first reason it is not."""
        return np.where(found, self.code[pos], np.int8(_NO_DEFINITION)).astype(np.int8)

    def dated(self, day: dt.date) -> _Contracts:
        """Return these contracts with those expiring on a day other than ``day`` coded so."""
        other = (self.code == _KEEP) & (self.expiry != np.datetime64(day, "D"))
        code = np.where(other, np.int8(_OTHER_EXPIRY), self.code).astype(np.int8)
        return _Contracts(self.ids, code, self.expiry, self.strike, self.right, self.superseded)


def _field(files: Sequence[_File], name: str) -> np.ndarray:
    return np.concatenate([f.records[name] for f in files])


def _contracts(files: Sequence[_File], roots: tuple[str, ...]) -> _Contracts:
    """Read the definitions: last per instrument id, ``roots`` kept, strike/right/expiry."""
    ids = _field(files, "instrument_id").astype(np.int64)
    received = _field(files, "ts_recv")
    order = np.argsort(received, kind="stable")[::-1]  # last received first
    unique, first = np.unique(ids[order], return_index=True)
    pick = order[first]
    raw = _field(files, "raw_symbol")[pick]
    targets = np.array([r.ljust(_ROOT_WIDTH).encode() for r in roots], dtype=f"S{_ROOT_WIDTH}")
    ours = np.isin(raw.astype(f"S{_ROOT_WIDTH}"), targets)
    klass = _field(files, "instrument_class")[pick]
    is_call, is_put = klass == b"C", klass == b"P"
    code = np.full(unique.size, _KEEP, np.int8)
    code[~ours] = _OTHER_SYMBOL
    code[ours & ~(is_call | is_put)] = _NOT_OPTION
    candidate = code == _KEEP

    fixed = _field(files, "strike_price")[pick]
    strike = np.where(fixed == _UNDEF_PRICE, np.nan, fixed / _SCALE)
    expiration = _field(files, "expiration")[pick]
    undefined = expiration == _UNDEF_TIME
    days = (np.where(undefined, 0, expiration) // _NS_PER_DAY).astype(np.int64)
    expiry = np.where(undefined, np.datetime64("NaT"), days.astype("datetime64[D]"))
    missing = candidate & (np.isnan(strike) | undefined)
    if missing.any():  # read what the definition leaves undefined from the OSI symbol
        parsed = parse_occ(pd.Series(np.char.decode(raw[missing], "ascii"), dtype=object))
        rows = np.flatnonzero(missing)
        strike[rows] = np.where(
            np.isnan(strike[rows]), parsed["strike"].to_numpy(np.float64), strike[rows]
        )
        osi_days = parsed["expiration"].to_numpy().astype("datetime64[D]")
        expiry[rows] = np.where(undefined[rows], osi_days, expiry[rows])
    expiry = np.where(candidate, expiry, np.datetime64("NaT"))
    right = pd.array(["", "C", "P"], dtype="str").take(is_call + 2 * is_put)
    return _Contracts(unique, code, expiry, strike, right, int(ids.size - unique.size))


# ------------------------------------------------------------------------------ records


def _prices(fixed: np.ndarray) -> np.ndarray:
    """Fixed-point 1e-9 prices as float64 points; ``UNDEF_PRICE`` as NaN."""
    out = fixed / _SCALE
    out[fixed == _UNDEF_PRICE] = np.nan
    return out


def _times(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ns.astype(np.int64).view("datetime64[ns]")).tz_localize("UTC")


def _et_dates(ns: np.ndarray) -> list[dt.date]:
    """Return the distinct ET dates of UTC nanosecond times (via their distinct hours)."""
    hours = np.unique(ns.astype(np.int64) // _NS_PER_HOUR) * _NS_PER_HOUR
    local = _times(hours).tz_convert(ET)
    return sorted(set(local.date))


def _sorted_by_time(frame: pd.DataFrame) -> pd.DataFrame:
    t = frame["t"].array.asi8
    if t.size and not bool(np.all(t[1:] >= t[:-1])):
        frame = frame.take(np.argsort(t, kind="stable")).reset_index(drop=True)
    return frame


@dataclass
class _Counter:
    """Counts of records not kept, by input and reason, in the order first counted."""

    notes: dict[tuple[str, str], tuple[int, str, str]]

    def add(self, input_: str, reason: str, count: int, unit: str, action: str) -> None:
        if count:
            old = self.notes.get((input_, reason), (0, unit, action))[0]
            self.notes[(input_, reason)] = (old + count, unit, action)

    def codes(self, input_: str, code: np.ndarray, unit: str, roots: tuple[str, ...]) -> None:
        counts = np.bincount(code, minlength=len(_REASONS) + 1)
        actions = {
            "no_definition": "an instrument id no definition in the files names: not used",
            "other_symbol": f"a contract of a root other than {'/'.join(roots)}: not used",
            "not_an_option": "an instrument neither a call nor a put: not used",
            "other_expiry": "a contract expiring on another date than the session's: not used",
        }
        for i, reason in enumerate(_REASONS, start=1):
            self.add(input_, reason, int(counts[i]), unit, actions[reason])

    def as_notes(self) -> list[InputNote]:
        return [
            InputNote(input_, reason, count, unit, action)
            for (input_, reason), (count, unit, action) in self.notes.items()
        ]


@dataclass(frozen=True)
class _Located:
    """A file of prints or quotes, each record's contract row and whether it is defined."""

    file: _File
    pos: np.ndarray
    found: np.ndarray


def _locate(files: Sequence[_File], contracts: _Contracts) -> list[_Located]:
    return [_Located(f, *contracts.locate(f.records["instrument_id"])) for f in files]


def _kept(
    located: Sequence[_Located],
    contracts: _Contracts,
    counter: _Counter,
    roots: tuple[str, ...],
    *,
    input_: str,
    unit: str,
) -> pd.DataFrame:
    """Return the kept records of the files, one row each, sorted by time.

    Columns ``t``, ``strike``, ``right``, then ``price`` and ``size`` for prints, and ``bid``
    and ``ask`` where the schema carries a quote.
    """
    parts = []
    for item in located:
        rec, schema = item.file.records, item.file.schema
        code = contracts.codes(item.pos, item.found)
        counter.codes(input_, code, unit, roots)
        keep = np.flatnonzero(code == _KEEP)
        pos = item.pos[keep]
        columns: dict[str, Any] = {
            "t": _times(rec["ts_event"][keep]),
            "strike": contracts.strike[pos],
            "right": contracts.right.take(pos),
        }
        if schema in TRADE_SCHEMAS:
            columns["price"] = _prices(rec["price"][keep])
            columns["size"] = rec["size"][keep].astype(np.int64)
        if schema not in ("trades",):
            columns["bid"] = _prices(rec["bid_px_00"][keep])
            columns["ask"] = _prices(rec["ask_px_00"][keep])
        parts.append(pd.DataFrame(columns))
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return _sorted_by_time(frame)


def _open_interest(
    files: Sequence[_File],
    contracts: _Contracts,
    day: dt.date,
    counter: _Counter,
    roots: tuple[str, ...],
) -> pd.DataFrame | None:
    """Per (strike, right): the open interest received last before the session's close."""
    if not files:
        return None
    ids = _field(files, "instrument_id")
    stat_type = _field(files, "stat_type")
    action = _field(files, "update_action")
    quantity = np.concatenate([f.records["quantity"].astype(np.int64) for f in files])
    no_quantity = np.concatenate(
        [f.records["quantity"] == np.iinfo(f.records["quantity"].dtype).max for f in files]
    )
    received = _field(files, "ts_recv").astype(np.int64)
    unit = "records"
    not_oi = stat_type != _OPEN_INTEREST
    counter.add(
        "statistics",
        "not_open_interest",
        int(not_oi.sum()),
        unit,
        "a statistic other than open interest (volume, prices...): not used",
    )
    rows = np.flatnonzero(~not_oi)
    pos, found = contracts.locate(ids[rows])
    code = contracts.codes(pos, found)
    counter.codes("statistics", code, unit, roots)
    ours = code == _KEEP
    rows, pos = rows[ours], pos[ours]
    deleting = action[rows] == _STAT_DELETE
    empty = no_quantity[rows] & ~deleting
    counter.add(
        "statistics",
        "no_quantity",
        int(empty.sum()),
        unit,
        "an open-interest record without a quantity: not used",
    )
    rows, pos, deleting = rows[~empty], pos[~empty], deleting[~empty]
    late = received[rows] >= session_bounds(day)[1].value
    counter.add(
        "statistics",
        "after_close",
        int(late.sum()),
        unit,
        "received at or after the session's close: not the session's open interest",
    )
    rows, pos, deleting = rows[~late], pos[~late], deleting[~late]
    order = np.argsort(received[rows], kind="stable")[::-1]  # last received first
    _, first = np.unique(pos[order], return_index=True)
    latest = order[first]
    counter.add(
        "statistics",
        "superseded",
        int(rows.size - latest.size),
        unit,
        "an earlier figure of a contract received again later: the later one is used",
    )
    gone = deleting[latest]
    counter.add(
        "statistics",
        "deleted",
        int(gone.sum()),
        unit,
        "the contract's last open-interest record deletes its figure: no open interest",
    )
    latest = latest[~gone]
    frame = pd.DataFrame(
        {
            "strike": contracts.strike[pos[latest]],
            "right": contracts.right.take(pos[latest]),
            "oi": quantity[rows[latest]],
        }
    )
    summed: pd.DataFrame = frame.groupby(["strike", "right"], as_index=False, sort=True).agg(
        oi=("oi", "sum")
    )
    counter.add(
        "statistics",
        "summed",
        len(frame) - len(summed),
        unit,
        "open interest of a second root's contract at the same strike and right (SPX and "
        "SPXW expiring the same day): added to the first",
    )
    return summed


# ------------------------------------------------------------------------------ public


def _session_date(
    located: Sequence[_Located], contracts: _Contracts, symbol: str, roots: tuple[str, ...]
) -> dt.date:
    """Return the one ET date of the prints of ``roots``' options (any expiry)."""
    times = []
    for item in located:
        code = contracts.codes(item.pos, item.found)
        times.append(item.file.records["ts_event"][code == _KEEP])
    ns = np.concatenate(times) if times else np.array([], dtype=np.uint64)
    if not ns.size:
        raise ValueError(
            f"no print of {symbol}'s options (roots {', '.join(roots)}) in the files, so no "
            "session date can be read from them; check symbol= and the files"
        )
    ends = _et_dates(np.array([ns.min(), ns.max()]))  # times are not sorted across files
    if len(ends) == 1:
        return ends[0]
    dates = _et_dates(ns)
    shown = ", ".join(d.isoformat() for d in dates[:10]) + (", ..." if len(dates) > 10 else "")
    raise ValueError(
        f"the prints of {symbol}'s options fall on {len(dates)} dates (America/New_York): "
        f"{shown}; pass date= to read one session"
    )


def _frames(
    *paths: str | PathLike[str],
    symbol: str,
    date: dt.date | str | None = None,
    spot: pd.Series | None = None,
    strict: bool = False,
) -> dict[str, Any]:
    """Decode and filter the files: the keyword arguments of ``assemble`` (see the module)."""
    sym = _params.validate_symbol(symbol)
    day_text = _params.validate_expiry(date)
    if not paths:
        raise ValueError(
            "read_databento needs files: the session's 'definition' file and a 'tbbo' or "
            "'tcbbo' file (or 'trades' plus a quote file), optionally 'statistics'"
        )
    files = [_load(p) for p in _expand(paths)]
    by_schema: dict[str, list[_File]] = {}
    for f in files:
        by_schema.setdefault(f.schema, []).append(f)
    found = ", ".join(f"{f.path.name} ({f.schema})" for f in files)
    definitions = by_schema.get("definition", [])
    if not definitions:
        raise ValueError(
            f"no 'definition' file among the files given ({found}): the definitions map "
            "instrument ids to contracts; add the session's definition file"
        )
    trade_files = [f for f in files if f.schema in TRADE_SCHEMAS]
    quote_files = [f for f in files if f.schema in QUOTE_SCHEMAS]
    if not trade_files:
        raise ValueError(
            f"no prints among the files given ({found}): add a 'tbbo' or 'tcbbo' file, or "
            "'trades' plus a quote file"
        )
    kinds = {f.schema in _WITH_QUOTES for f in trade_files}
    if len(kinds) > 1:
        raise ValueError(
            f"both 'trades' and 'tbbo'/'tcbbo' files were given ({found}): they hold the same "
            "prints; pass one of them"
        )
    if kinds == {False} and not quote_files:
        raise ValueError(
            f"a 'trades' file has no quotes and no quote file was given ({found}): add one of "
            f"{', '.join(QUOTE_SCHEMAS)}, or read a 'tbbo'/'tcbbo' file instead"
        )
    roots = roots_of(sym)
    contracts = _contracts(definitions, roots)
    prints = _locate(trade_files, contracts)
    if day_text is None:
        day = _session_date(prints, contracts, sym, roots)
    else:
        day = dt.date.fromisoformat(day_text)
    contracts = contracts.dated(day)

    counter = _Counter({})
    counter.codes("definitions", contracts.code, "definitions", roots)
    counter.add(
        "definitions",
        "superseded",
        contracts.superseded,
        "definitions",
        "an instrument id defined again later: the definition received last is used",
    )
    trades = _kept(prints, contracts, counter, roots, input_="tape", unit="prints")
    missing = counter.notes.get(("tape", "no_definition"))
    if strict and missing:
        raise ValueError(
            f"strict=True: {missing[0]:,} prints name an instrument id no definition in the "
            "files names; add the session's definition file, or pass strict=False to count "
            "them in quality"
        )
    quotes = None
    if quote_files:
        located = _locate(quote_files, contracts)
        quotes = _kept(located, contracts, counter, roots, input_="quotes", unit="quotes")
    oi = _open_interest(by_schema.get("statistics", []), contracts, day, counter, roots)
    return {
        "symbol": sym,
        "date": day,
        "trades": trades,
        "quotes": quotes,
        "oi": oi,
        "spot": spot,
        "source": "databento",
        "notes": counter.as_notes(),
        "strict": strict,
    }


def read_databento(
    *paths: str | PathLike[str],
    symbol: str,
    date: dt.date | str | None = None,
    spot: pd.Series | None = None,
    strict: bool = False,
) -> Market:
    """Read one 0DTE session of ``symbol`` from Databento DBN files of OPRA.

    Parameters
    ----------
    *paths : str or os.PathLike
        DBN files (``.dbn`` or ``.dbn.zst``) of dataset ``OPRA.PILLAR``, any number, in any
        order, or directories holding them. Each file's schema is read from its metadata:
        ``definition`` (required), ``tbbo``/``tcbbo`` or ``trades`` plus a quote file
        (``cmbp-1``, ``cbbo-1s``, ``cbbo-1m``, ``bbo-1s``, ``bbo-1m``), and ``statistics``
        (open interest; optional).
    symbol : str
        The underlying (``"SPX"``, ``"SPY"``); its option roots are kept (``SPX`` and
        ``SPXW`` for ``"SPX"``).
    date : datetime.date or str, optional
        The session date (America/New_York), which is the expiry kept (0DTE). By default
        the date of the symbol's prints, which must all fall on one date.
    spot : pandas.Series, optional
        The underlying's price on a tz-aware index. By default implied per second from
        put-call parity on the quotes.
    strict : bool, default False
        Raise instead of counting prints of an undefined instrument id, or any print the
        engine would not use. Records of other roots and expiries are always counted.

    Returns
    -------
    Market
        The chain (IVs from the NBBO mids, open interest from the statistics or 0), the
        tape of the symbol's 0DTE prints, the spot path, and ``quality`` counting every record
        not used by reason (``source = "databento"``).

    Raises
    ------
    ImportError
        ``databento`` is not installed (``pip install 'flowframe[databento]'``).
    FileNotFoundError
        A path that does not exist.
    ValueError
        A file that is not DBN, not OPRA or of a schema not read; no definition file; no
        prints; ``trades`` without quotes or together with ``tbbo``; a bad ``symbol`` or
        ``date``; no ``date`` while the prints fall on several dates (listed).
    SchemaError
        What the engine's checks refuse (see :class:`~flowframe.Market`).

    Examples
    --------
    >>> market = ff.read_databento(  # doctest: +SKIP
    ...     "opra-pillar-20260918.definition.dbn.zst",
    ...     "opra-pillar-20260918.tcbbo.dbn.zst",
    ...     "opra-pillar-20260918.statistics.dbn.zst",
    ...     symbol="SPX",
    ... )
    >>> ff.Local.from_market(market, now="14:45").get_hedge_flow("SPX")  # doctest: +SKIP
    """
    from flowframe.sources.vendors._assemble import assemble

    return assemble(**_frames(*paths, symbol=symbol, date=date, spot=spot, strict=strict))
