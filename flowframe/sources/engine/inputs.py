"""``ff.Market``: one symbol's session as the engine eats it, checked, with a quality report.

A :class:`Market` bundles what the engine needs for one 0DTE session (the chain, the tape, the
spot path) with :attr:`Market.quality`, a DataFrame counting, by reason, every input row the
engine will not use and every value read in another spelling. The simulator returns one
(``ff.Simulated(...).market(symbol)``), so do the vendor readers (``ff.read_databento``,
``ff.read_polygon``), and :meth:`Market.from_frames` builds one from your own frames.
``ff.Local.from_market(market)`` is a source over it.

What is checked, in order (the rules; ``CONVENTIONS.md``, *Checks on the inputs*):

1. **Spellings, normalised and counted** (``right_normalised``): a right given as ``"call"``,
   ``"c"``, ``"Call"``, ``"CALL"``, ``"calls"`` reads as ``"C"``; ``"put"``, ``"p"``, ... as
   ``"P"``; in the chain and the tape alike.
2. **Unit slips, refused** (a :class:`~flowframe.errors.SchemaError` naming the column and the
   likely cause): implied vols in percent (median IV above 5, i.e. 500%), strikes in OCC units
   (x1000) or otherwise out of scale with spot (median strike more than 20 times, or less than
   1/20 of, the median spot), a tape that shares no strike with the chain, an expiration whose
   session holds none of the tape's prints.
3. **Rows not used, counted** (tape prints, each counted once, under the first reason that
   applies): ``right_unknown`` (a right that is not a call or a put in any spelling),
   ``price_not_positive`` (NaN, or at or below 0), ``size_not_positive`` (NaN, or at or below
   0), ``other_expiry`` (an ``expiration`` column naming another date), ``other_day`` (a print
   on another date, ET), ``outside_session`` (before the open or at/after the close on the
   session date), ``strike_not_in_chain`` (a (strike, right) the chain does not list),
   ``duplicate_print`` (a row equal to an earlier one in every column), ``crossed_quote``
   (bid above ask) and ``locked_quote`` (bid equal to a positive ask), the last two only for a
   tape classified from its quotes (no ``side`` column). With ``strict=True`` any such row is
   an error instead, naming its reason, count and first row.
4. **Not classifiable, counted** (``unclassified``): prints the quote rule and the tick test
   both leave at side 0; they are used for volume but add no flow.

Cell-level errors (a string in a number column, an infinite size, a NaT time) stay errors:
they are a file read wrongly, not a row to skip (:func:`~flowframe.sources.engine.core.
check_inputs`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from flowframe._constants import ET
from flowframe._session import session_bounds
from flowframe.errors import SchemaError
from flowframe.sources.engine.classify import classify_tape
from flowframe.sources.engine.core import (
    _PRICE_RULE,
    _QUOTE_RULE,
    _SIDE_RULE,
    _SIZE_RULE,
    _STRIKE_RULE,
    InputNote,
    _check_chain,
    _check_tape,
    _floats,
    _spot_series,
)
from flowframe.sources.engine.schemas import IV_CLOCK_ATTR, RIGHTS

__all__ = ["QUALITY_COLUMNS", "Market", "Prepared", "prepare_inputs", "quality_frame"]

#: The columns of a quality report, in order.
QUALITY_COLUMNS: Final = ("input", "reason", "count", "unit", "action")

_CALL_SPELLINGS: Final = frozenset({"c", "call", "calls"})
_PUT_SPELLINGS: Final = frozenset({"p", "put", "puts"})
_IV_PERCENT: Final = 5.0  # a median IV above this (500%) is an IV given in percent
_STRIKE_SCALE: Final = 20.0  # median strike / median spot beyond this (or 1/this): a unit slip

_TAPE_NUMBERS: Final = {
    "strike": _STRIKE_RULE,
    "price": _PRICE_RULE,
    "size": _SIZE_RULE,
    "side": _SIDE_RULE,
    "bid": _QUOTE_RULE,
    "ask": _QUOTE_RULE,
}

#: Reasons a print is not used, in the order they are tried, with what was done.
_DROPS: Final[dict[str, str]] = {
    "right_unknown": "a right that is neither a call nor a put: not used",
    "price_not_positive": "NaN price, or at or below 0: not used",
    "size_not_positive": "NaN size, or at or below 0: not used",
    "other_expiry": "an expiration other than the session's: not used",
    "other_day": "printed on another date (ET): not used",
    "outside_session": "printed before the open or at or after the close: not used",
    "strike_not_in_chain": "a (strike, right) the chain does not list: not used",
    "duplicate_print": "equal to an earlier row in every column: not used",
    "crossed_quote": "bid above ask, so the quote rule cannot classify it: not used",
    "locked_quote": "bid equal to ask, so the quote rule cannot classify it: not used",
}


def quality_frame(notes: Iterable[InputNote], **attrs: str | int | float) -> pd.DataFrame:
    """Return the notes as a quality report: one row each, columns :data:`QUALITY_COLUMNS`.

    ``count`` is int64; the other columns are strings. ``attrs`` (strings and numbers only)
    are kept on the frame, e.g. ``symbol``, ``date`` and ``source``.
    """
    rows = [dataclasses.astuple(n) for n in notes]
    frame = pd.DataFrame(rows, columns=list(QUALITY_COLUMNS))
    frame = frame.astype({"count": np.int64, "input": "str", "reason": "str", "unit": "str"})
    frame["action"] = frame["action"].astype("str")
    frame.attrs.update(attrs)
    return frame


def _empty_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": pd.array([], dtype="str"),
            "start": pd.DatetimeIndex([], dtype="datetime64[ns, UTC]"),
            "end": pd.DatetimeIndex([], dtype="datetime64[ns, UTC]"),
            "value": np.array([], dtype=np.float64),
        }
    )


def _empty_quality() -> pd.DataFrame:
    return quality_frame(())


@dataclass(frozen=True, eq=False)
class Market:
    """One symbol's 0DTE session: what the engine eats, and what it will not use.

    Build one with :meth:`from_frames` (checked and counted), a vendor reader
    (``ff.read_databento``, ``ff.read_polygon``) or the simulator
    (``ff.Simulated(...).market(symbol)``); make a source of it with
    ``ff.Local.from_market(market)``.

    Attributes
    ----------
    symbol : str
        The underlying (upper case).
    date : datetime.date
        The session date (America/New_York).
    expiration : str
        ``"YYYY-MM-DD"``; equal to ``date`` (0DTE).
    chain : pandas.DataFrame
        ``strike`` (float64), ``right`` (``"C"``/``"P"``), ``oi`` (settled open interest),
        ``iv`` (implied vol as a decimal, on the clock ``chain.attrs["iv_clock"]`` names).
    tape : pandas.DataFrame
        ``t`` (datetime64[ns, UTC], ascending), ``strike``, ``right``, ``price``, ``size`` and
        ``bid``/``ask`` (the NBBO before the print) and/or ``side`` (+1/-1/0); only rows the
        engine uses.
    spot : pandas.Series
        The underlying's price on a tz-aware (UTC) index, named ``"spot"``.
    quality : pandas.DataFrame
        Columns ``input``, ``reason``, ``count`` (int64), ``unit``, ``action``: one row per
        reason that occurred (see the module docstring), and a ``used`` row giving the prints
        kept. Its ``attrs`` hold ``symbol``, ``date`` and ``source``.
    profile : object, optional
        The simulator's parameters (``SymbolProfile``) for a simulated market, else None.
    events : pandas.DataFrame
        Ground truth of a simulated session's regimes (``kind``, ``start``, ``end``,
        ``value``); empty otherwise.
    """

    symbol: str
    date: dt.date
    expiration: str
    chain: pd.DataFrame
    tape: pd.DataFrame
    spot: pd.Series
    quality: pd.DataFrame = field(default_factory=_empty_quality)
    profile: Any = None
    events: pd.DataFrame = field(default_factory=_empty_events)
    #: True once the frames were checked by :func:`prepare_inputs` (``from_frames``, readers).
    checked: bool = field(default=False, repr=False)

    @property
    def session_open(self) -> pd.Timestamp:
        """Return the session's open (09:30 ET), as UTC."""
        return session_bounds(self.date)[0]

    @property
    def session_close(self) -> pd.Timestamp:
        """Return the session's close (16:00 ET, earlier on an early-close day), as UTC."""
        return session_bounds(self.date)[1]

    @classmethod
    def from_frames(
        cls,
        *,
        symbol: str,
        chain: pd.DataFrame,
        tape: pd.DataFrame,
        spot: pd.Series | pd.DataFrame,
        expiration: str | dt.date,
        strict: bool = False,
        notes: Sequence[InputNote] = (),
        source: str = "frames",
        iv_clock: str | None = None,
    ) -> Market:
        """Check a chain, a tape and a spot path, and bundle them with their quality report.

        Parameters
        ----------
        symbol : str
            The underlying.
        chain, tape, spot
            Inputs in the schemas of :mod:`flowframe.sources.engine.schemas`; rights may be
            spelled ``"call"``/``"put"``/``"c"``/``"p"`` in any case (counted).
        expiration : str or datetime.date
            The 0DTE expiry, which is the session date.
        strict : bool, default False
            Raise instead of counting when any print would not be used.
        notes : sequence of InputNote
            What a reader already left out (other roots, other expiries...), put first in the
            report.
        source : str
            Named in ``quality.attrs["source"]``.
        iv_clock : {"calendar", "trading"}, optional
            Set ``chain.attrs["iv_clock"]`` (the clock the chain's IVs are annualised on).

        Raises
        ------
        SchemaError
            A unit slip, a cell that is not of its column's kind, or (``strict=True``) a
            print that would not be used; each names the column and what is allowed.
        """
        from flowframe import _params

        sym = _params.validate_symbol(symbol)
        exp = _params.validate_expiry(expiration)
        if exp is None:
            raise ValueError("expiration is required: the 0DTE expiry (and session) date")
        if iv_clock is not None:
            chain = chain.copy()
            chain.attrs[IV_CLOCK_ATTR] = iv_clock
        prepared = prepare_inputs(chain, tape, spot, expiration=exp, strict=strict)
        quality = quality_frame((*notes, *prepared.notes), symbol=sym, date=exp, source=str(source))
        series = prepared.spot
        return cls(
            symbol=sym,
            date=dt.date.fromisoformat(exp),
            expiration=exp,
            chain=prepared.chain,
            tape=prepared.tape,
            spot=series,
            quality=quality,
            checked=True,
        )

    def __repr__(self) -> str:
        spot = self.spot
        first, last = (float(spot.iloc[0]), float(spot.iloc[-1])) if len(spot) else (np.nan,) * 2
        q = self.quality
        left_out = (q["input"] == "tape") & q["action"].str.endswith(("not used", "not read"))
        dropped = int(q.loc[left_out, "count"].sum())
        return (
            f"Market(symbol={self.symbol!r}, date={self.date.isoformat()}, "
            f"strikes={self.chain['strike'].nunique()}, oi={int(self.chain['oi'].sum())}, "
            f"prints={len(self.tape)}, contracts={int(self.tape['size'].sum())}, "
            f"spot={first:g}->{last:g}, prints_not_used={dropped})"
        )


# ----------------------------------------------------------------------------- preparation


@dataclass(frozen=True)
class Prepared:
    """Checked inputs and what was counted on the way (see :func:`prepare_inputs`)."""

    chain: pd.DataFrame
    tape: pd.DataFrame
    spot: pd.Series
    notes: tuple[InputNote, ...]


def _rights(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Read rights in any common spelling: (normalised, respelled mask, unknown mask)."""
    exact = values.isin(RIGHTS).to_numpy()
    if exact.all():
        none = np.zeros(len(values), dtype=bool)
        return values.astype("str"), none, none
    folded = values.astype(str).str.strip().str.lower()
    calls = folded.isin(_CALL_SPELLINGS).to_numpy()
    puts = folded.isin(_PUT_SPELLINGS).to_numpy()
    out = pd.Series(np.where(calls, "C", np.where(puts, "P", "")), index=values.index, dtype="str")
    return out, (calls | puts) & ~exact, ~(calls | puts)


def _duplicated(tape: pd.DataFrame) -> np.ndarray:
    """``tape.duplicated(keep="first")``, compared only among rows that share a time."""
    if "t" not in tape.columns or not isinstance(tape["t"].dtype, pd.DatetimeTZDtype):
        out: np.ndarray = tape.duplicated(keep="first").to_numpy()
        return out
    t_ns = tape["t"].array.as_unit("ns").asi8
    order = np.argsort(t_ns, kind="stable")
    ts = t_ns[order]
    tied = np.zeros(len(ts), dtype=bool)
    equal = ts[1:] == ts[:-1]
    tied[1:] |= equal
    tied[:-1] |= equal
    dup = np.zeros(len(ts), dtype=bool)
    rows = np.sort(order[tied])  # in the tape's order, so "first" means the same
    if rows.size:
        dup[rows] = tape.iloc[rows].duplicated(keep="first").to_numpy()
    return dup


def _median_positive(values: np.ndarray) -> float:
    finite = values[np.isfinite(values) & (values > 0)]
    return float(np.median(finite)) if finite.size else float("nan")


def _check_units(chain: pd.DataFrame, spot: pd.Series | pd.DataFrame) -> None:
    """Refuse the unit slips that make every number wrong (see the module docstring)."""
    spot = _spot_frame(spot)
    iv = chain["iv"].to_numpy(dtype=np.float64)
    median_iv = _median_positive(iv)
    if median_iv > _IV_PERCENT:
        raise SchemaError(
            f"chain column 'iv': the median IV is {median_iv:g}, which looks like percent; "
            f"implied vols are decimals (0.15 is 15%): divide the column by 100"
        )
    strikes = chain["strike"].to_numpy(dtype=np.float64)
    if not pd.api.types.is_numeric_dtype(spot.dtype):
        return  # the spot checks name what is wrong with it
    prices = spot.to_numpy(dtype=np.float64, na_value=np.nan)
    k, s = _median_positive(strikes), _median_positive(prices)
    if np.isfinite(k) and np.isfinite(s):
        ratio = k / s
        if ratio > _STRIKE_SCALE:
            hint = (
                " (OCC symbols carry strike x 1000: divide by 1000)"
                if 0.5 < ratio / 1000 < 2
                else ""
            )
            raise SchemaError(
                f"chain column 'strike': the median strike {k:,.6g} is {ratio:,.0f} times the "
                f"median spot {s:,.6g}{hint}; strikes are in the underlying's points"
            )
        if ratio < 1 / _STRIKE_SCALE:
            raise SchemaError(
                f"chain column 'strike': the median strike {k:,.6g} is 1/{1 / ratio:,.0f} of "
                f"the median spot {s:,.6g}; strikes and spot must be in the same points"
            )


def _spot_frame(spot: pd.Series | pd.DataFrame) -> pd.Series:
    if isinstance(spot, pd.DataFrame) and "spot" in spot.columns:
        return spot["spot"]
    return spot  # type: ignore[return-value]  # check_inputs names anything else


def prepare_inputs(
    chain: pd.DataFrame,
    tape: pd.DataFrame,
    spot: pd.Series | pd.DataFrame,
    *,
    expiration: str,
    strict: bool = False,
) -> Prepared:
    """Normalise, check and count: the chain, the tape of used prints, and the notes.

    See the module docstring for the rules. Vectorised: a few passes over each column.

    Raises
    ------
    SchemaError
        A unit slip, a cell that is not of its column's kind, or (``strict``) a print that
        would not be used.
    """
    if not isinstance(chain, pd.DataFrame):
        raise SchemaError(f"chain must be a DataFrame, got {type(chain).__name__}")
    if not isinstance(tape, pd.DataFrame):
        raise SchemaError(f"tape must be a DataFrame, got {type(tape).__name__}")
    notes: list[InputNote] = []
    date = dt.date.fromisoformat(expiration)
    chain = chain.copy()
    if "right" in chain.columns:
        rights, respelled, unknown = _rights(chain["right"])
        if respelled.any():  # an unknown right stays as given: check_inputs names it
            chain["right"] = rights.where(~unknown, chain["right"].astype("object"))
            notes.append(
                InputNote(
                    "chain",
                    "right_normalised",
                    int(respelled.sum()),
                    "contracts",
                    "right read as 'C' or 'P' from another spelling (call/put/c/p, any case)",
                )
            )
    checked_chain = _check_chain(chain)  # a bad cell or an empty chain is an error
    checked_chain.attrs.update(chain.attrs)
    oi = checked_chain["oi"].to_numpy()
    if pd.api.types.is_integer_dtype(chain["oi"].dtype) and np.all(oi == np.round(oi)):
        checked_chain["oi"] = oi.astype(np.int64)  # whole contracts stay whole
    _check_units(checked_chain, spot)
    tape = tape.copy()
    # a cell that is no number is a file read wrongly: an error, before anything is counted
    numbers = {
        c: _floats("tape", c, tape[c], rule)
        for c, rule in _TAPE_NUMBERS.items()
        if c in tape.columns and isinstance(tape[c], pd.Series)
    }
    drop = np.zeros(len(tape), dtype=np.int8)  # 0 kept, else 1 + index into _DROPS
    reasons = list(_DROPS)

    def mark(reason: str, rows: np.ndarray) -> None:
        fresh = rows & (drop == 0)
        drop[fresh] = reasons.index(reason) + 1

    if "right" in tape.columns:
        rights, respelled, unknown = _rights(tape["right"])
        tape["right"] = rights
        if respelled.any():
            notes.append(
                InputNote(
                    "tape",
                    "right_normalised",
                    int(respelled.sum()),
                    "prints",
                    "right read as 'C' or 'P' from another spelling (call/put/c/p, any case)",
                )
            )
        mark("right_unknown", unknown)
    for column, reason in (("price", "price_not_positive"), ("size", "size_not_positive")):
        if column in numbers:
            values = numbers[column]
            mark(reason, np.isnan(values) | (values <= 0))
    opening, closing = session_bounds(date)
    if "t" in tape.columns and isinstance(tape["t"].dtype, pd.DatetimeTZDtype):
        t = tape["t"]
        if "expiration" in tape.columns:
            exp = pd.to_datetime(tape["expiration"], errors="coerce")
            if isinstance(exp.dtype, pd.DatetimeTZDtype):
                exp = exp.dt.tz_convert(ET).dt.tz_localize(None)
            mark("other_expiry", (exp.dt.normalize() != pd.Timestamp(date)).to_numpy())
        t_ns = t.dt.tz_convert("UTC").array.as_unit("ns").asi8
        valid = t.notna().to_numpy()
        midnight = pd.Timestamp(date, tz=ET).value
        next_midnight = pd.Timestamp(date + dt.timedelta(days=1), tz=ET).value
        on_day = valid & (t_ns >= midnight) & (t_ns < next_midnight)
        inside = valid & (t_ns >= opening.value) & (t_ns < closing.value)
        if len(tape) and not inside.any() and not (drop > 0).all():
            days = sorted({str(d) for d in t.dt.tz_convert(ET).dt.date.dropna().unique()})[:5]
            raise SchemaError(
                f"expiration {expiration} matches no print: none of the tape's "
                f"{len(tape):,} prints falls in its session "
                f"({opening.tz_convert(ET):%H:%M}-{closing.tz_convert(ET):%H:%M} ET); the "
                f"prints are on {', '.join(days)} (ET). Pass the date the tape was printed"
            )
        mark("other_day", valid & ~on_day)
        mark("outside_session", valid & on_day & ~inside)
    if "strike" in numbers and "right" in tape.columns:
        c_strike = checked_chain["strike"]
        t_strike = pd.Series(numbers["strike"], index=tape.index)
        if len(tape) and (drop == 0).any():
            usable = drop == 0
            shared = np.isin(t_strike.to_numpy()[usable], c_strike.to_numpy())
            if not shared.any():
                sample = ", ".join(f"{k:g}" for k in np.unique(t_strike[usable])[:5])
                scaled = np.isin(t_strike.to_numpy()[usable] / 1000.0, c_strike.to_numpy())
                hint = (
                    " (they are the chain's strikes x 1000, as OCC symbols carry them: "
                    "divide by 1000)"
                    if scaled.any()
                    else ""
                )
                raise SchemaError(
                    f"tape column 'strike' shares no strike with the chain: the tape has "
                    f"{sample}...; the chain lists {c_strike.min():g} to {c_strike.max():g}"
                    f"{hint}"
                )
        key = pd.MultiIndex.from_arrays([c_strike, checked_chain["right"].astype(str)])
        found = key.get_indexer(pd.MultiIndex.from_arrays([t_strike, tape["right"]])) >= 0
        mark("strike_not_in_chain", ~found)
    if len(tape):
        mark("duplicate_print", _duplicated(tape))
    if "side" not in tape.columns and {"bid", "ask"} <= set(numbers):
        bid, ask = numbers["bid"], numbers["ask"]
        with np.errstate(invalid="ignore"):
            mark("crossed_quote", bid > ask)
            mark("locked_quote", (bid == ask) & (ask > 0))
    counts = np.bincount(drop, minlength=len(reasons) + 1)
    if strict and counts[1:].any():
        parts = []
        for i, reason in enumerate(reasons, start=1):
            if counts[i]:
                row = int(np.argmax(drop == i))
                parts.append(f"{reason}: {counts[i]:,} (first: tape row {row})")
        raise SchemaError(
            f"strict=True: {int(counts[1:].sum()):,} of {len(tape):,} prints would not be "
            f"used: {'; '.join(parts)}. Fix them, or pass strict=False to count them in "
            f"quality"
        )
    for i, reason in enumerate(reasons, start=1):
        if counts[i]:
            notes.append(InputNote("tape", reason, int(counts[i]), "prints", _DROPS[reason]))
    kept = tape.loc[drop == 0] if counts[1:].any() else tape
    checked_tape = _check_tape(kept.reset_index(drop=True))
    _spot_series(spot)
    if len(checked_tape):
        _, classification = classify_tape(checked_tape)
        if classification.unknown:
            notes.append(
                InputNote(
                    "tape",
                    "unclassified",
                    int(classification.unknown),
                    "prints",
                    "neither the quote rule nor the tick test gives a side: volume, no flow",
                )
            )
    notes.insert(
        0,
        InputNote("tape", "used", len(checked_tape), "prints", "used by the engine"),
    )
    series = _spot_frame(spot)
    return Prepared(checked_chain, checked_tape.reset_index(drop=True), series, tuple(notes))
