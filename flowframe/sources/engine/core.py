"""The engine: one session's flow state, sample by sample, from a chain, a tape and a spot path.

Everything is computed once per session on a grid of 30-second samples (780 in a regular
session, 420 on a 13:00 early close: twice the day's session minutes, see :mod:`flowframe._session`;
sample ``s`` covering ``[09:30 + 30s*s, 09:30 + 30s*(s+1))`` ET and labelled by its start,
as the hosted API snaps raw samples to :00/:30). Flows are sums over the prints in a sample;
states (spot, exposures, levels) are read at the sample's end. Payloads for any clock time and
window are slices of these arrays, so answering "now" costs milliseconds.

Conventions (each also in the README's *Model conventions*; [API] = the hosted API's published
rule, [CHOICE] = flowframe's documented choice where none is published):

- Hedge-flow per print [API sign]: ``HF = side * size * delta * 100 * S`` dollars, + = dealers
  buy the underlying (a customer buying a call makes the dealer short the call, who buys the
  underlying to hedge). ``delta`` is BSM at the print's spot, the contract's IV and the time
  left. [CHOICE] Each print's HF is rounded to whole dollars, so every sum below is exact in
  float64 and the cross-endpoint identities hold bit for bit.
- Strike-flow [API]: per minute and strike, ``signed_delta_dollars = sum(HF)``,
  ``signed_gamma_dollars = sum(side * size * gamma * 100 * S^2 * 0.01)`` (customer view, whole
  dollars), ``contracts = sum(size)``.
- Effective OI [API]: ``max(0, oi + 0.43 * cumulative signed contracts)`` per contract.
- Dealer position [CHOICE, switchable]: ``dealer_prior="long_calls_short_puts"`` (the
  SqueezeMetrics convention the hosted API's GEX fields follow: dealers +effective OI in calls,
  -effective OI in puts), ``"short_all"``, ``"short_calls_long_puts"``, or ``"flow_only"``
  (dealers hold only the other side of today's classified flow: ``-0.43 * cumulative``).
- Exposures per contract: ``GEX = n*gamma*100*S^2*0.01`` ($ per 1% move),
  ``DEX = n*delta*100*S`` ($), ``VEX = n*vanna*100*S*0.01`` ($ per vol point),
  ``CHEX = n*charm*100*S/1638`` ($ of delta per hour; 1638 trading hours a year).
- Gamma flip [CHOICE]: the zero of the re-priced net GEX profile ``G(S')`` (sticky-strike IV,
  time fixed) nearest to spot, on a grid of spot +- max(3%, 5 remaining sigmas); a crossing is
  a sign change between non-zero values (an underflow to 0 is none); every bracketing cell is
  refined and the refined root nearest spot wins; NaN with status ``no_flip_in_range`` when
  there is no zero. Resolution: see CONVENTIONS.md.
- Walls [CHOICE]: call wall = strike of largest |call GEX|; put wall = strike of largest
  |put GEX|. Magnet: strike of largest |net GEX| within max(3 remaining sigmas, 1.5 strike
  spacings) of spot, ties to the nearest strike.
- Pin score [API weights 30/25/25/20, CHOICE components]: oi = 100*min(top-3 OI share/0.5, 1),
  proximity = 100*exp(-(|S-magnet|/sigma_rem$)^2/2), time = elapsed share of the session,
  gamma = 100*min(|GEX(magnet)|/sum|GEX|/0.25, 1).
- Pin probability [CHOICE]: lognormal odds that the close lands within half a strike spacing
  of the magnet, at the ATM IV and the time left, as a percentage.
- Remaining sigma: ``sigma_rem$ = S * atm_iv * sqrt(tau)``; ``tau`` on the trading clock
  (minutes to the day's close / (252*390)), floored at one minute. The close is 16:00 ET, or
  13:00 ET on an early-close day; the trading year stays 252 x 390 minutes whatever the day's
  length, so an early-close session is 210/98,280 of a year.
- IVs [CHOICE]: greeks, ``atm_iv`` and every vol above are on the trading clock. A chain's
  IVs on the calendar clock (``iv_clock="calendar"``: ``T = seconds to 16:00 / (365*86400)``)
  are converted first, keeping total variance: ``iv * sqrt(252*390 / (365*1440))``.
"""

from __future__ import annotations

import datetime as dt
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr

from flowframe._session import SESSION_MINUTES, is_session_day, session_bounds
from flowframe.errors import FlowframeWarning, SchemaError
from flowframe.sources.engine import greeks as bs
from flowframe.sources.engine.classify import Classification, classify_tape
from flowframe.sources.engine.schemas import (
    CHAIN_COLUMNS,
    IV_CLOCK_ATTR,
    MULTIPLIER,
    RIGHTS,
    SAMPLE_SECONDS,
    TAPE_COLUMNS,
    TAPE_QUOTE_COLUMNS,
    IvClock,
)

__all__ = [
    "EngineConfig",
    "SessionBase",
    "SessionPrints",
    "SessionState",
    "TapeRows",
    "check_inputs",
    "completed_samples",
    "compute_session",
    "finish_sessions",
    "session_base",
    "session_prints",
    "tape_rows",
]

# named from the dealer's side; MODEL.md section 3 calls them priors A, B, C and D
DealerPrior = Literal["long_calls_short_puts", "short_all", "short_calls_long_puts", "flow_only"]
#: Samples of a regular session (390 minutes); a day's own count is ``SessionState.n_samples``.
N_SAMPLES: Final = SESSION_MINUTES * 60 // SAMPLE_SECONDS  # 780
TRADING_HOURS_PER_YEAR: Final = 252 * SESSION_MINUTES / 60  # 1638
_PRIOR_SIGNS: Final[dict[str, tuple[float, float]]] = {
    "long_calls_short_puts": (1.0, -1.0),
    "short_all": (-1.0, -1.0),
    "short_calls_long_puts": (-1.0, 1.0),
    "flow_only": (0.0, 0.0),
}


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """The engine's switchable choices (see the module docstring).

    Attributes
    ----------
    oi_weight : float, default 0.43
        Share of classified volume assumed to open positions (the hosted API's published value).
    dealer_prior : str, default "long_calls_short_puts"
        How settled OI maps to dealer positions.
    flip_levels : int, default 64
        Points of the coarse spot sweep for the gamma flip (every bracketing cell then refined
        on 16 points).
    flip_range : float, default 0.03
        Minimum half-width of the sweep as a fraction of spot (widened to 5 remaining sigmas).
    gamma_flip : bool, default True
        Compute the gamma flip (the most expensive step). Studies that do not read it (the
        probability calibration) may turn it off; the flip is then NaN with status
        ``not_computed``.
    """

    oi_weight: float = 0.43
    dealer_prior: DealerPrior = "long_calls_short_puts"
    flip_levels: int = 64
    flip_range: float = 0.03
    gamma_flip: bool = True

    def __post_init__(self) -> None:
        if self.dealer_prior not in _PRIOR_SIGNS:
            allowed = ", ".join(repr(p) for p in _PRIOR_SIGNS)
            raise ValueError(
                f"dealer_prior={self.dealer_prior!r} is not allowed; use one of {allowed}"
            )
        if not 0.0 <= self.oi_weight <= 1.0:
            raise ValueError(f"oi_weight={self.oi_weight!r} is not allowed; use a number in [0, 1]")
        if self.flip_levels < 8:
            raise ValueError(f"flip_levels={self.flip_levels!r} is not allowed; use 8 or more")


@dataclass(frozen=True, slots=True)
class InputNote:
    """Input the engine did not use as given, counted by reason (see :func:`compute_session`).

    Attributes
    ----------
    input : {"spot", "tape"}
        Which input.
    reason : str
        A stable identifier: ``"spot_not_finite"``, ``"before_first_spot"``,
        ``"tape_outside_session"``, ``"tape_not_in_chain"``.
    count : int
        How many (``unit``).
    unit : {"prices", "samples", "prints"}
        What ``count`` counts.
    action : str
        What the engine did with them, in words.
    """

    input: str
    reason: str
    count: int
    unit: str
    action: str


@dataclass
class SessionState:
    """Arrays for one session; rows are its samples, columns contracts or strikes.

    A regular session has 780 samples (390 minutes), a 13:00 early close 420 (210 minutes):
    ``n_samples``, twice the day's session minutes.

    Flows (``hf_*``, ``strike_*``) are per sample or per minute; states are at sample end.
    """

    symbol: str
    expiration: str
    open: pd.Timestamp  # 09:30 ET as UTC
    strikes: np.ndarray  # (K,)
    sample_starts: pd.DatetimeIndex  # (S,) UTC
    hf_calls: np.ndarray  # (S,) whole dollars
    hf_puts: np.ndarray  # (S,)
    strike_delta_dollars: np.ndarray  # (M, K) per minute
    strike_gamma_dollars: np.ndarray  # (M, K)
    strike_contracts: np.ndarray  # (M, K)
    spot: np.ndarray  # (S,) at sample end
    tau: np.ndarray  # (S,) years, trading clock, at sample end
    atm_iv: np.ndarray  # (S,)
    effective_oi: np.ndarray  # (S, C)
    strike_gex: np.ndarray  # (S, K)
    strike_call_gex: np.ndarray  # (S, K)
    strike_put_gex: np.ndarray  # (S, K)
    strike_dex: np.ndarray  # (S, K)
    strike_vex: np.ndarray  # (S, K)
    strike_chex: np.ndarray  # (S, K)
    strike_oi: np.ndarray  # (S, K) effective OI, calls + puts
    net_gex: np.ndarray  # (S,)
    net_dex: np.ndarray
    net_vex: np.ndarray
    net_chex: np.ndarray  # $ per hour
    settled_net_gex: np.ndarray  # (S,) with settled OI (no flow), same prior
    gamma_flip: np.ndarray
    gamma_flip_status: list[str]
    call_wall: np.ndarray
    put_wall: np.ndarray
    magnet: np.ndarray
    pin_components: dict[str, np.ndarray]
    pin_score: np.ndarray
    pin_probability_pct: np.ndarray
    regime: list[str]
    max_pain: np.ndarray
    chain: pd.DataFrame  # as checked, IVs on the trading clock (attrs["iv_clock"] == "trading")
    classification: Classification
    config: EngineConfig
    traded_contracts: np.ndarray  # (S, C) cumulative contracts traded since the open
    spread_pct: np.ndarray  # (S, C) last quoted (ask - bid) / mid in %, NaN before a quote
    position: np.ndarray  # (S, C) dealer contracts (+ long) under the configured prior
    notes: tuple[InputNote, ...] = ()  # input not used as given, by reason (empty when none)

    @property
    def hf_all(self) -> np.ndarray:
        """Per-sample hedge-flow of calls and puts together (exact: whole dollars)."""
        total: np.ndarray = self.hf_calls + self.hf_puts
        return total

    @property
    def has_session(self) -> bool:
        """False on a weekend or an exchange holiday, which have no session."""
        return is_session_day(dt.date.fromisoformat(self.expiration))

    @property
    def n_samples(self) -> int:
        """Number of 30 s samples of the session: 780, or 420 on a 13:00 early close."""
        return len(self.sample_starts)

    @property
    def close(self) -> pd.Timestamp:
        """The session's close (16:00 ET, 13:00 ET on an early close), as UTC."""
        return self.open + pd.Timedelta(seconds=self.n_samples * SAMPLE_SECONDS)

    def completed(self, now: pd.Timestamp) -> int:
        """Count the samples that have ended by ``now`` (0..n_samples; 0 without a session).

        See :func:`completed_samples`.
        """
        return completed_samples(self.open, now, self.n_samples) if self.has_session else 0


def completed_samples(open_: pd.Timestamp, now: pd.Timestamp, n_samples: int = N_SAMPLES) -> int:
    """Count the 30 s samples of the session opening at ``open_`` that have ended by ``now``.

    0 before the open (and on any earlier day); ``n_samples`` (780 for a regular session, 420
    for a 13:00 early close), the whole session, from the close on (and on any later day).
    Sample ``s`` ends at ``open_ + 30 s * (s + 1)``.

    >>> open_ = pd.Timestamp("2026-09-18 13:30", tz="UTC")
    >>> completed_samples(open_, open_ + pd.Timedelta(seconds=95))
    3
    """
    elapsed = (now - open_).total_seconds()
    return int(min(max(elapsed // SAMPLE_SECONDS, 0), n_samples))


# ---------------------------------------------------------------------------- inputs


# Each rule says in words what a cell must be; a refusal names the input, the column, the first
# bad row (its position in the frame as given, and its index label when that differs) and the
# value found there, e.g. "chain column 'iv' row 3: must be a finite number > 0 (...), got inf".
_STRIKE_RULE: Final = "a finite number > 0 (the strike, in points)"
_OI_RULE: Final = "a finite number >= 0 (settled open interest, in contracts)"
_IV_RULE: Final = "a finite number > 0 (implied vol as a decimal: 0.15 is 15%)"
_RIGHT_RULE: Final = "'C' or 'P'"
_PRICE_RULE: Final = "a finite number >= 0, or NaN for no price (the option's price, in points)"
_SIZE_RULE: Final = "a finite number > 0 (contracts)"
_SIDE_RULE: Final = "-1, 0 or 1 (customer sell, unknown, buy)"
_QUOTE_RULE: Final = "a number, or NaN for no quote (the NBBO in force before the print)"
_SPOT_RULE: Final = "a number > 0 (the underlying's price; a NaN or inf is a gap, carried over)"


def check_inputs(
    chain: pd.DataFrame, tape: pd.DataFrame, spot: pd.Series | pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check a chain, a tape and a spot path against the schemas, without computing anything.

    The checks :func:`compute_session` runs first, for a caller that wants the error where the
    data is handed over (``ff.Local`` runs them when it is built). Vectorised: a few passes over
    each numeric column (an ``object`` column is looked at cell by cell).

    Parameters
    ----------
    chain, tape, spot
        Inputs in the schemas of :mod:`flowframe.sources.engine.schemas`.

    Returns
    -------
    chain : pandas.DataFrame
        The chain's four columns, numbers as float64, sorted by right then strike.
    tape : pandas.DataFrame
        The tape, its ``object`` or nullable number columns as float64, sorted by time.

    Raises
    ------
    SchemaError
        An input does not follow the schemas. A bad cell is named by input, column and row
        (its position in the frame as given), with the rule and the value found there.
    """
    checked_chain = _check_chain(chain)
    checked_tape = _check_tape(tape)
    _spot_series(spot)
    return checked_chain, checked_tape


def _shown(value: object) -> str:
    """Show a cell in a message: numbers as printed (``inf``, not ``np.float64(inf)``)."""
    if isinstance(value, numbers.Real | np.bool_ | pd.Timestamp) or value is pd.NaT:
        return str(value)
    return repr(value)


def _cell(what: str, column: str | None, index: pd.Index, row: int) -> str:
    """Name a cell: ``chain column 'iv' row 3``, with its index label when that is not 3."""
    head = f"{what} column {column!r} row {row}" if column else f"{what} row {row}"
    label = index[row]
    if isinstance(label, int | np.integer) and not isinstance(label, bool) and label == row:
        return head
    return f"{head} (index {_shown(label)})"


def _refuse(what: str, column: str | None, values: pd.Series, ok: np.ndarray, rule: str) -> None:
    """Raise :class:`SchemaError` at the first row where ``ok`` is False, if any."""
    if ok.all():
        return
    row = int(np.argmin(ok))
    raise SchemaError(
        f"{_cell(what, column, values.index, row)}: must be {rule}, got {_shown(values.iloc[row])}"
    )


def _plain_numbers(values: pd.Series) -> bool:
    """Whether the column's dtype holds only real numbers (and NA): no cell to look at."""
    api = pd.api.types
    return bool(
        api.is_numeric_dtype(values.dtype)
        and not api.is_bool_dtype(values.dtype)
        and not api.is_complex_dtype(values.dtype)
    )


def _is_number(value: object) -> bool:
    """Whether a cell is a real number: ints, floats and numpy's, never a boolean."""
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, numbers.Real)


def _floats(what: str, column: str | None, values: pd.Series, rule: str) -> np.ndarray:
    """Return a column as float64 (None and NA as NaN), refusing any cell that is not a number.

    Strings are refused, not parsed ("10" in ``size`` is a file read wrong, not ten contracts),
    and so are booleans; an ``object`` column is looked at cell by cell.
    """
    if _plain_numbers(values):
        out: np.ndarray = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return out
    cells = values.to_numpy(dtype=object)
    out = np.empty(cells.size, dtype=np.float64)
    for row, v in enumerate(cells):
        if v is None or v is pd.NA:
            out[row] = np.nan
            continue
        if _is_number(v):
            try:
                out[row] = float(v)
                continue
            except (OverflowError, TypeError, ValueError):  # an int too large for a float
                pass
        raise SchemaError(
            f"{_cell(what, column, values.index, row)}: must be {rule}, got {_shown(v)}"
        )
    return out


def _unique_columns(frame: pd.DataFrame, names: tuple[str, ...], what: str) -> None:
    """Refuse a frame with two columns of one of these names (which would be read as one)."""
    twice = [n for n in names if n in frame.columns and int((frame.columns == n).sum()) > 1]
    if twice:
        raise SchemaError(f"{what} has two columns named {twice[0]!r}; keep one")


def _check_chain(chain: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(chain, pd.DataFrame):
        raise SchemaError(f"chain must be a DataFrame, got {type(chain).__name__}")
    missing = [c for c in CHAIN_COLUMNS if c not in chain.columns]
    if missing:
        have = ", ".join(map(str, chain.columns))
        raise SchemaError(f"chain needs columns {', '.join(missing)} (it has {have})")
    _unique_columns(chain, CHAIN_COLUMNS, "chain")
    if chain.empty:
        raise SchemaError(
            "chain has no rows: it needs at least one listed contract (strike, right, oi, iv)"
        )
    out = chain.loc[:, list(CHAIN_COLUMNS)].copy()
    strike = _floats("chain", "strike", out["strike"], _STRIKE_RULE)
    _refuse("chain", "strike", out["strike"], np.isfinite(strike) & (strike > 0), _STRIKE_RULE)
    _refuse("chain", "right", out["right"], out["right"].isin(RIGHTS).to_numpy(), _RIGHT_RULE)
    oi = _floats("chain", "oi", out["oi"], _OI_RULE)
    _refuse("chain", "oi", out["oi"], np.isfinite(oi) & (oi >= 0), _OI_RULE)
    iv = _floats("chain", "iv", out["iv"], _IV_RULE)
    _refuse("chain", "iv", out["iv"], np.isfinite(iv) & (iv > 0), _IV_RULE)
    out["strike"], out["oi"], out["iv"] = strike, oi, iv
    repeated = out.duplicated(["strike", "right"]).to_numpy()
    if repeated.any():
        row = int(np.argmax(repeated))
        k, right = strike[row], out["right"].iloc[row]
        first = int(np.argmax((strike == k) & (out["right"] == right).to_numpy()))
        raise SchemaError(
            f"chain lists a (strike, right) twice: row {row} repeats ({k:g}, {right!r}) "
            f"of row {first}"
        )
    return out.sort_values(["right", "strike"], kind="stable").reset_index(drop=True)


def _check_tape(tape: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(tape, pd.DataFrame):
        raise SchemaError(f"tape must be a DataFrame, got {type(tape).__name__}")
    missing = [c for c in TAPE_COLUMNS if c not in tape.columns]
    if missing:
        raise SchemaError(
            f"tape needs columns {', '.join(missing)} (it has {', '.join(map(str, tape.columns))})"
        )
    _unique_columns(tape, (*TAPE_COLUMNS, "side", *TAPE_QUOTE_COLUMNS), "tape")
    t = tape["t"]
    if not isinstance(t.dtype, pd.DatetimeTZDtype):
        if t.dtype == object:  # name the first cell that is no tz-aware time, if one is not
            aware = [isinstance(v, dt.datetime) and v.tzinfo is not None for v in t]
            _refuse("tape", "t", t, np.array(aware, dtype=bool), "a tz-aware time")
        raise SchemaError("tape column 't' must be tz-aware datetimes (e.g. datetime64[ns, UTC])")
    _refuse("tape", "t", t, t.notna().to_numpy(), "a time (tz-aware)")
    has_side = "side" in tape.columns
    if not has_side and not all(c in tape.columns for c in TAPE_QUOTE_COLUMNS):
        lacking = " or ".join(repr(c) for c in TAPE_QUOTE_COLUMNS if c not in tape.columns)
        raise SchemaError(
            "tape needs a 'side' column (+1 buy, -1 sell, 0 unknown) or 'bid' and 'ask' "
            f"columns to classify its prints; it has no 'side' and no {lacking} "
            f"(columns: {', '.join(map(str, tape.columns))})"
        )
    floats: dict[str, np.ndarray] = {}
    strike = floats["strike"] = _floats("tape", "strike", tape["strike"], _STRIKE_RULE)
    _refuse("tape", "strike", tape["strike"], np.isfinite(strike) & (strike > 0), _STRIKE_RULE)
    _refuse("tape", "right", tape["right"], tape["right"].isin(RIGHTS).to_numpy(), _RIGHT_RULE)
    price = floats["price"] = _floats("tape", "price", tape["price"], _PRICE_RULE)
    price_ok = np.isnan(price) | (np.isfinite(price) & (price >= 0))
    _refuse("tape", "price", tape["price"], price_ok, _PRICE_RULE)
    size = floats["size"] = _floats("tape", "size", tape["size"], _SIZE_RULE)
    _refuse("tape", "size", tape["size"], np.isfinite(size) & (size > 0), _SIZE_RULE)
    if has_side:
        side = floats["side"] = _floats("tape", "side", tape["side"], _SIDE_RULE)
        _refuse("tape", "side", tape["side"], np.isin(side, (-1.0, 0.0, 1.0)), _SIDE_RULE)
    for quote in TAPE_QUOTE_COLUMNS:
        if quote in tape.columns:
            floats[quote] = _floats("tape", quote, tape[quote], _QUOTE_RULE)
    # hand the engine numpy numbers: an object or nullable column (pd.NA) becomes float64; the
    # usual tape has numpy ints and floats already, and is not copied
    converted = {
        c: v
        for c, v in floats.items()
        if not (isinstance(tape[c].dtype, np.dtype) and tape[c].dtype.kind in "iuf")
    }
    if converted:
        tape = tape.assign(**converted)
    if not t.is_monotonic_increasing:
        tape = tape.sort_values("t", kind="stable")
    return tape


def _spot_series(spot: pd.Series | pd.DataFrame) -> tuple[pd.Series, int]:
    """Return the spot path sorted, its prices as float64 with gaps removed, and the gaps.

    A gap is a price that is NaN or not finite. It is removed from the path, so that the
    engine's "last price at or before" read carries the price before it forward (the path is
    forward-filled); the count is returned so the caller can report it.

    Raises
    ------
    SchemaError
        Not a Series/DataFrame of prices on tz-aware times, empty, a time that is NaT, a price
        that is not a number or is at or below 0 (naming its row), or no finite price at all.
    """
    if isinstance(spot, pd.DataFrame):
        if "spot" not in spot.columns:
            raise SchemaError("spot DataFrame needs a 'spot' column")
        spot = spot["spot"]
    if not isinstance(spot, pd.Series):
        raise SchemaError(
            f"spot must be a Series of prices indexed by time, got {type(spot).__name__}"
        )
    if not isinstance(spot.index, pd.DatetimeIndex) or spot.index.tz is None:
        raise SchemaError("spot must be indexed by tz-aware times")
    if spot.empty:
        raise SchemaError("spot path is empty")
    if spot.index.hasnans:
        at = pd.Series(spot.index, index=pd.RangeIndex(len(spot)))
        _refuse("spot", "index", at, np.asarray(spot.index.notna()), "a time (tz-aware)")
    prices = _floats("spot", None, spot, _SPOT_RULE)
    finite = np.isfinite(prices)
    _refuse("spot", None, spot, ~finite | (prices > 0), _SPOT_RULE)
    if not finite.any():
        raise SchemaError(
            f"spot path has no finite price (all {len(prices):,} are NaN or inf; the first, "
            f"{_cell('spot', None, spot.index, 0)}, is {_shown(spot.iloc[0])})"
        )
    path = pd.Series(prices, index=spot.index, name=spot.name).sort_index()
    finite = np.isfinite(path.to_numpy())
    gaps = int((~finite).sum())
    return (path[finite] if gaps else path), gaps


def _input_notes(
    path: pd.Series, spot_gaps: int, ends_ns: np.ndarray, inside: np.ndarray, known: np.ndarray
) -> tuple[InputNote, ...]:
    """Count what the engine did not use as given; warn when spot had gaps."""
    notes = []
    if spot_gaps:
        total = len(path) + spot_gaps
        notes.append(
            InputNote(
                "spot",
                "spot_not_finite",
                spot_gaps,
                "prices",
                "NaN/inf prices skipped: the price before each carried forward",
            )
        )
        warnings.warn(
            f"spot path: {spot_gaps:,} of {total:,} prices are NaN or infinite; each gap was "
            "forward-filled with the last finite price before it (see the source's report())",
            FlowframeWarning,
            stacklevel=4,
        )
    first = pd.DatetimeIndex(path.index).as_unit("ns").asi8[0]
    before = int((ends_ns < first).sum())
    if before:
        notes.append(
            InputNote(
                "spot",
                "before_first_spot",
                before,
                "samples",
                "samples ending before the path's first price read that first price",
            )
        )
    outside = int((~inside).sum())
    if outside:
        notes.append(
            InputNote(
                "tape",
                "tape_outside_session",
                outside,
                "prints",
                "prints outside the session (09:30 to the close, ET) of its date: not used",
            )
        )
    unlisted = int((inside & ~known).sum())
    if unlisted:
        notes.append(
            InputNote(
                "tape",
                "tape_not_in_chain",
                unlisted,
                "prints",
                "prints of a (strike, right) the chain does not list: not used",
            )
        )
    return tuple(notes)


def _asof(spot: pd.Series, times: np.ndarray) -> np.ndarray:
    """Return the last spot at or before each time (the first spot before the path starts)."""
    idx = pd.DatetimeIndex(spot.index).as_unit("ns").asi8
    pos = np.searchsorted(idx, times, side="right") - 1
    return spot.to_numpy()[np.clip(pos, 0, len(idx) - 1)]


# ---------------------------------------------------------------------------- the computation


def _whole_dollars(values: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.rint(values)
    return out


def compute_session(
    chain: pd.DataFrame,
    tape: pd.DataFrame,
    spot: pd.Series | pd.DataFrame,
    *,
    symbol: str,
    expiration: str,
    config: EngineConfig | None = None,
    iv_clock: IvClock = "trading",
) -> SessionState:
    """Compute every sample of one session (see the module docstring for the conventions).

    The work runs in three stages, which :class:`~flowframe.Ensemble` shares between
    variants: :func:`session_base` (the chain and the spot path: greeks of every contract at
    every sample end), :func:`session_prints` (the tape: classification, per-print greeks,
    flows) and :func:`finish_sessions` (one config: positions, exposures, levels). This is
    the one-variant case, and gives the same numbers bit for bit.

    Parameters
    ----------
    chain, tape, spot
        Inputs in the schemas of :mod:`flowframe.sources.engine.schemas`.
    symbol : str
        The underlying.
    expiration : str
        The expiry (and session) date, ``YYYY-MM-DD``.
    config : EngineConfig, optional
        The engine's switchable choices.
    iv_clock : {"trading", "calendar"}, default "trading"
        The clock the chain's ``iv`` is annualised on. ``"calendar"`` IVs are converted to
        the trading clock first, keeping total variance
        (:func:`~flowframe.sources.engine.greeks.trading_clock_vol`); ``chain.attrs`` is not
        read here (``ff.Local`` resolves the clock).

    Returns
    -------
    SessionState
        Its ``chain`` holds the IVs on the trading clock, with ``attrs["iv_clock"] ==
        "trading"``, so a source built from it computes the same session.

    Raises
    ------
    SchemaError
        An input does not follow :mod:`flowframe.sources.engine.schemas`.
    ValueError
        ``iv_clock`` is neither ``"calendar"`` nor ``"trading"``.
    """
    cfg = config or EngineConfig()
    base = session_base(chain, spot, expiration=expiration, iv_clock=iv_clock)
    prints = session_prints(base, tape)
    (state,) = finish_sessions(base, [(prints, cfg)], symbol=symbol)
    return state


@dataclass(frozen=True, eq=False)
class SessionBase:
    """What every variant over one chain and one spot path shares: no tape, no config.

    Built by :func:`session_base`: the checked chain (IVs on the trading clock), the day's
    sample grid, spot and time left at each sample end, and the greeks of every contract
    there, ``(S, C)``.
    """

    expiration: str
    opening: pd.Timestamp
    session_ns: int
    day_minutes: float
    n_samples: int
    chain: pd.DataFrame
    strikes: np.ndarray  # (K,)
    c_strike: np.ndarray  # (C,)
    c_is_call: np.ndarray
    c_iv: np.ndarray
    c_oi: np.ndarray
    c_k: np.ndarray  # strike index of each contract
    spacing: float
    path: pd.Series
    spot_gaps: int
    starts: pd.DatetimeIndex  # (S,)
    ends_ns: np.ndarray
    spot: np.ndarray  # (S,) at sample end
    minutes_left: np.ndarray
    tau: np.ndarray
    greeks: bs.Greeks  # (S, C)
    to_strike: np.ndarray  # (C, K)
    calls_to_strike: np.ndarray
    puts_to_strike: np.ndarray
    atm_iv: np.ndarray
    sigma_rem: np.ndarray


@dataclass(frozen=True, eq=False)
class SessionPrints:
    """One tape's part of a session, over a :class:`SessionBase`; no config.

    Built by :func:`session_prints`: the checked tape, its classification and the flows it
    makes (per sample, per minute and strike, cumulative per contract).
    """

    tape: pd.DataFrame
    classification: Classification
    inside: np.ndarray  # per print of the checked tape
    known: np.ndarray
    hf_calls: np.ndarray
    hf_puts: np.ndarray
    strike_delta: np.ndarray
    strike_gamma: np.ndarray
    strike_contracts: np.ndarray
    spread_pct: np.ndarray
    cum_signed: np.ndarray  # (S, C)
    traded: np.ndarray  # (S, C)


def session_base(
    chain: pd.DataFrame,
    spot: pd.Series | pd.DataFrame,
    *,
    expiration: str,
    iv_clock: IvClock = "trading",
) -> SessionBase:
    """Check the chain and the spot path and compute what no tape and no config changes.

    Parameters are those of :func:`compute_session`.
    """
    bs.check_iv_clock(iv_clock)
    chain = _check_chain(chain)
    if iv_clock != "trading":
        chain["iv"] = bs.trading_clock_vol(chain["iv"].to_numpy(), iv_clock)
    chain.attrs[IV_CLOCK_ATTR] = "trading"  # what the engine computes on, whatever was given
    path, spot_gaps = _spot_series(spot)
    # the day's session (16:00 ET, or 13:00 on an early close; a day without a session gets
    # the regular hours, and completed() reads 0 there)
    opening, closing = session_bounds(dt.date.fromisoformat(expiration))
    session_ns = int(closing.value - opening.value)
    day_minutes = session_ns / 6e10
    n_samples = session_ns // (SAMPLE_SECONDS * 10**9)

    # --- contracts and strikes
    strikes = np.unique(chain["strike"].to_numpy())
    n_k = strikes.size
    c_strike = chain["strike"].to_numpy()
    c_is_call = (chain["right"] == "C").to_numpy()
    c_iv = chain["iv"].to_numpy()
    c_k = np.searchsorted(strikes, c_strike)
    n_c = len(chain)

    # --- states at sample end
    starts = pd.DatetimeIndex(
        opening + pd.to_timedelta(np.arange(n_samples) * SAMPLE_SECONDS, unit="s")
    ).as_unit("ns")
    ends_ns = starts.asi8 + SAMPLE_SECONDS * 10**9
    spot_s = _asof(path, ends_ns)
    minutes_left = day_minutes - (np.arange(n_samples) + 1) * SAMPLE_SECONDS / 60.0
    tau_s = bs.tau_from_minutes(minutes_left)
    gs = bs.greeks(
        spot_s[:, None], c_strike[None, :], tau_s[:, None], c_iv[None, :], c_is_call[None, :]
    )
    to_strike = np.zeros((n_c, n_k))
    to_strike[np.arange(n_c), c_k] = 1.0

    # --- ATM IV (mean of call and put IV by strike, interpolated at spot)
    iv_by_strike = np.bincount(c_k, weights=c_iv, minlength=n_k) / np.maximum(
        np.bincount(c_k, minlength=n_k), 1
    )
    atm_iv = np.interp(spot_s, strikes, iv_by_strike)
    return SessionBase(
        expiration=expiration,
        opening=opening,
        session_ns=session_ns,
        day_minutes=day_minutes,
        n_samples=int(n_samples),
        chain=chain,
        strikes=strikes,
        c_strike=c_strike,
        c_is_call=c_is_call,
        c_iv=c_iv,
        c_oi=chain["oi"].to_numpy(),
        c_k=c_k,
        spacing=float(np.median(np.diff(strikes))) if n_k > 1 else 1.0,
        path=path,
        spot_gaps=spot_gaps,
        starts=starts,
        ends_ns=ends_ns,
        spot=spot_s,
        minutes_left=minutes_left,
        tau=tau_s,
        greeks=gs,
        to_strike=to_strike,
        calls_to_strike=to_strike * c_is_call[:, None],
        puts_to_strike=to_strike * ~c_is_call[:, None],
        atm_iv=atm_iv,
        sigma_rem=spot_s * atm_iv * np.sqrt(tau_s),
    )


@dataclass(frozen=True, eq=False)
class TapeRows:
    """Per-print arrays of one checked tape over a :class:`SessionBase`: what a subset shares.

    Built by :func:`tape_rows`. ``t_ns`` to ``side`` have one entry per print; ``s_k`` to
    ``gamma`` one per print the engine uses (``keep``: inside the session and listed). A what-if
    that keeps a subset of the prints takes these by :meth:`subset` instead of computing them
    again: every value is per print, so the subset's are the same numbers.
    """

    tape: pd.DataFrame
    t_ns: np.ndarray
    inside: np.ndarray
    contract: np.ndarray
    known: np.ndarray
    side: np.ndarray
    classification: Classification
    keep: np.ndarray
    s_k: np.ndarray
    tau_k: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray

    def subset(self, mask: np.ndarray, tape: pd.DataFrame) -> TapeRows:
        """Return the rows of ``mask``; ``tape`` is those prints, their side in ``side``.

        ``tape`` must be ``self.tape[mask]`` with the side of each print written in its
        ``side`` column (what :mod:`~flowframe.sources.engine.whatif` makes), so that it
        classifies to ``self.side[mask]``.
        """
        kept = mask[self.keep]
        side, classification = classify_tape(tape)
        return TapeRows(
            tape=tape,
            t_ns=self.t_ns[mask],
            inside=self.inside[mask],
            contract=self.contract[mask],
            known=self.known[mask],
            side=side,
            classification=classification,
            keep=self.keep[mask],
            s_k=self.s_k[kept],
            tau_k=self.tau_k[kept],
            delta=self.delta[kept],
            gamma=self.gamma[kept],
        )


def tape_rows(base: SessionBase, tape: pd.DataFrame) -> TapeRows:
    """Check one tape and compute its per-print arrays over ``base`` (see :class:`TapeRows`)."""
    tape = _check_tape(tape)
    chain = base.chain
    t_ns = tape["t"].dt.tz_convert("UTC").array.as_unit("ns").asi8
    rel = t_ns - base.opening.value
    inside = (rel >= 0) & (rel < base.session_ns)
    key = pd.MultiIndex.from_arrays([chain["strike"], chain["right"]])
    contract = key.get_indexer(
        pd.MultiIndex.from_arrays([tape["strike"].astype(np.float64), tape["right"]])
    )
    known = contract >= 0
    side_all, classification = classify_tape(tape)
    keep = inside & known
    kept_contract = contract[keep]
    s_k = _asof(base.path, t_ns[keep])
    tau_k = bs.tau_from_minutes((base.session_ns - rel[keep]) / 6e10)
    g = bs.greeks(
        s_k,
        base.c_strike[kept_contract],
        tau_k,
        base.c_iv[kept_contract],
        base.c_is_call[kept_contract],
    )
    return TapeRows(
        tape=tape,
        t_ns=t_ns,
        inside=inside,
        contract=contract,
        known=known,
        side=side_all,
        classification=classification,
        keep=keep,
        s_k=s_k,
        tau_k=tau_k,
        delta=g.delta,
        gamma=g.gamma,
    )


def session_prints(
    base: SessionBase, tape: pd.DataFrame, *, rows: TapeRows | None = None
) -> SessionPrints:
    """Check one tape and compute its flows over ``base``: what no config changes.

    ``rows``: the tape's per-print arrays when already at hand (:meth:`TapeRows.subset` of a
    larger tape's); ``tape`` is then not read again.
    """
    if rows is None:
        rows = tape_rows(base, tape)
    tape = rows.tape
    n_samples, n_c, n_k = base.n_samples, len(base.chain), base.strikes.size
    # --- prints: sample, minute, contract, spot, greeks
    keep = rows.keep
    inside, known, classification = rows.inside, rows.known, rows.classification
    rel = rows.t_ns[keep] - base.opening.value
    contract = rows.contract[keep]
    side = rows.side[keep].astype(np.float64)
    size = tape["size"].to_numpy(dtype=np.float64)[keep]
    sample = (rel // (SAMPLE_SECONDS * 10**9)).astype(np.int64)
    minute = sample // 2
    s_k = rows.s_k
    signed = side * size
    hf = _whole_dollars(signed * rows.delta * MULTIPLIER * s_k)
    gamma_dollars = _whole_dollars(signed * rows.gamma * MULTIPLIER * s_k * s_k * 0.01)

    is_call_print = base.c_is_call[contract]
    hf_calls = np.bincount(sample[is_call_print], weights=hf[is_call_print], minlength=n_samples)
    hf_puts = np.bincount(sample[~is_call_print], weights=hf[~is_call_print], minlength=n_samples)
    n_minutes = n_samples // 2
    cell = minute * n_k + base.c_k[contract]
    shape = (n_minutes, n_k)
    strike_delta = np.bincount(cell, weights=hf, minlength=n_minutes * n_k).reshape(shape)
    strike_gamma = np.bincount(cell, weights=gamma_dollars, minlength=n_minutes * n_k).reshape(
        shape
    )
    strike_contracts = np.bincount(cell, weights=size, minlength=n_minutes * n_k).reshape(shape)

    # --- last quoted spread per contract, carried forward (NaN without quotes)
    spread_pct = _last_spread(tape, keep, sample, contract, n_c, n_samples)

    # --- signed and traded contracts at each sample end
    flat = sample * n_c + contract
    per_sample = np.bincount(flat, weights=signed, minlength=n_samples * n_c).reshape(
        n_samples, n_c
    )
    cum_signed = np.cumsum(per_sample, axis=0)
    traded = np.cumsum(
        np.bincount(flat, weights=size, minlength=n_samples * n_c).reshape(n_samples, n_c), axis=0
    )
    return SessionPrints(
        tape=tape,
        classification=classification,
        inside=inside,
        known=known,
        hf_calls=hf_calls,
        hf_puts=hf_puts,
        strike_delta=strike_delta,
        strike_gamma=strike_gamma,
        strike_contracts=strike_contracts,
        spread_pct=spread_pct,
        cum_signed=cum_signed,
        traded=traded,
    )


def finish_sessions(
    base: SessionBase,
    variants: Sequence[tuple[SessionPrints, EngineConfig]],
    *,
    symbol: str,
) -> list[SessionState]:
    """Compute one :class:`SessionState` per ``(prints, config)`` over one ``base``.

    Variants whose flip sweeps are the same (``flip_levels``, ``flip_range``) share its most
    expensive part, the gamma of every netted contract at every swept level; each variant's
    numbers are those :func:`compute_session` gives it alone, bit for bit (the same
    operations on the same chunks, in the same order).
    """
    b = base
    positions: list[np.ndarray] = []
    settled: list[np.ndarray] = []
    effectives: list[np.ndarray] = []
    for prints, cfg in variants:
        effective = np.maximum(0.0, b.c_oi[None, :] + cfg.oi_weight * prints.cum_signed)
        call_sign, put_sign = _PRIOR_SIGNS[cfg.dealer_prior]
        sign = np.where(b.c_is_call, call_sign, put_sign)
        if cfg.dealer_prior == "flow_only":
            position = -cfg.oi_weight * prints.cum_signed
            settled_position = np.zeros_like(position)
        else:
            position = sign[None, :] * effective
            settled_position = np.broadcast_to(sign * b.c_oi, position.shape)
        positions.append(position)
        settled.append(settled_position)
        effectives.append(effective)

    flips: list[tuple[np.ndarray, list[str]] | None] = [None] * len(variants)
    sweeps: dict[tuple[int, float], list[int]] = {}
    for i, (_, cfg) in enumerate(variants):
        if cfg.gamma_flip:
            sweeps.setdefault((cfg.flip_levels, cfg.flip_range), []).append(i)
        else:
            flips[i] = (np.full(b.n_samples, np.nan), ["not_computed"] * b.n_samples)
    for members in sweeps.values():
        cfg = variants[members[0]][1]
        found = _gamma_flips(
            b.spot, b.tau, b.sigma_rem, [positions[i] for i in members], b.c_strike, b.c_iv, cfg
        )
        for i, flip in zip(members, found, strict=True):
            flips[i] = flip

    out = []
    for (prints, cfg), position, settled_position, effective, flip_status in zip(
        variants, positions, settled, effectives, flips, strict=True
    ):
        assert flip_status is not None
        out.append(
            _finish(b, prints, cfg, position, settled_position, effective, flip_status, symbol)
        )
    return out


def _finish(
    b: SessionBase,
    prints: SessionPrints,
    cfg: EngineConfig,
    position: np.ndarray,
    settled_position: np.ndarray,
    effective: np.ndarray,
    flip_status: tuple[np.ndarray, list[str]],
    symbol: str,
) -> SessionState:
    """Exposures, levels and scores of one variant (see :func:`finish_sessions`)."""
    gs, s_col = b.greeks, b.spot[:, None]
    gex_c = position * gs.gamma * MULTIPLIER * s_col * s_col * 0.01
    settled_gex_c = settled_position * gs.gamma * MULTIPLIER * s_col * s_col * 0.01
    dex_c = position * gs.delta * MULTIPLIER * s_col
    vex_c = position * gs.vanna * MULTIPLIER * s_col * 0.01
    chex_c = position * gs.charm * MULTIPLIER * s_col / TRADING_HOURS_PER_YEAR

    strike_gex = gex_c @ b.to_strike
    strike_call_gex = gex_c @ b.calls_to_strike
    strike_put_gex = gex_c @ b.puts_to_strike
    strike_oi = effective @ b.to_strike
    net_gex = gex_c.sum(axis=1)
    flip, status = flip_status
    strikes, spot_s = b.strikes, b.spot
    call_wall = strikes[np.argmax(np.abs(strike_call_gex), axis=1)]
    put_wall = strikes[np.argmax(np.abs(strike_put_gex), axis=1)]
    magnet = _magnet(strikes, strike_gex, spot_s, np.maximum(3.0 * b.sigma_rem, 1.5 * b.spacing))
    pin_parts, pin_score = _pin_score(
        strikes, strike_oi, strike_gex, spot_s, b.sigma_rem, magnet, b.minutes_left, b.day_minutes
    )
    pin_prob = _pin_probability(spot_s, magnet, b.atm_iv, b.tau, b.spacing / 2.0)
    regime = np.where(
        net_gex > 0, "positive_gamma", np.where(net_gex < 0, "negative_gamma", "neutral")
    )
    return SessionState(
        symbol=symbol,
        expiration=b.expiration,
        open=b.opening,
        strikes=strikes,
        sample_starts=b.starts,
        hf_calls=prints.hf_calls,
        hf_puts=prints.hf_puts,
        strike_delta_dollars=prints.strike_delta,
        strike_gamma_dollars=prints.strike_gamma,
        strike_contracts=prints.strike_contracts,
        spot=spot_s,
        tau=b.tau,
        atm_iv=b.atm_iv,
        effective_oi=effective,
        strike_gex=strike_gex,
        strike_call_gex=strike_call_gex,
        strike_put_gex=strike_put_gex,
        strike_dex=dex_c @ b.to_strike,
        strike_vex=vex_c @ b.to_strike,
        strike_chex=chex_c @ b.to_strike,
        strike_oi=strike_oi,
        net_gex=net_gex,
        net_dex=dex_c.sum(axis=1),
        net_vex=vex_c.sum(axis=1),
        net_chex=chex_c.sum(axis=1),
        settled_net_gex=settled_gex_c.sum(axis=1),
        gamma_flip=flip,
        gamma_flip_status=status,
        call_wall=call_wall,
        put_wall=put_wall,
        magnet=magnet,
        pin_components=pin_parts,
        pin_score=pin_score,
        pin_probability_pct=pin_prob,
        regime=regime.tolist(),
        max_pain=_max_pain(strikes, effective, b.c_k, b.c_is_call),
        chain=b.chain,
        classification=prints.classification,
        config=cfg,
        traded_contracts=prints.traded,
        spread_pct=prints.spread_pct,
        position=np.asarray(position),
        notes=_input_notes(b.path, b.spot_gaps, b.ends_ns, prints.inside, prints.known),
    )


def _last_spread(
    tape: pd.DataFrame,
    keep: np.ndarray,
    sample: np.ndarray,
    contract: np.ndarray,
    n_c: int,
    n_samples: int = N_SAMPLES,
) -> np.ndarray:
    """Per sample and contract, the spread (%) of the last print's quote so far."""
    out = np.full((n_samples, n_c), np.nan)
    if "bid" not in tape.columns or "ask" not in tape.columns or not keep.any():
        return out
    bid = tape["bid"].to_numpy(dtype=np.float64)[keep]
    ask = tape["ask"].to_numpy(dtype=np.float64)[keep]
    mid = (bid + ask) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where((ask > bid) & (mid > 0), (ask - bid) / mid * 100.0, np.nan)
    cell = sample * n_c + contract
    last = np.full(n_samples * n_c, -1, dtype=np.int64)
    np.maximum.at(last, cell, np.arange(cell.size))  # prints are in time order
    grid = np.where(last >= 0, pct[np.maximum(last, 0)], np.nan).reshape(n_samples, n_c)
    filled: np.ndarray = pd.DataFrame(grid).ffill().to_numpy()
    return filled


def _gamma_flips(
    spot: np.ndarray,
    tau: np.ndarray,
    sigma_rem: np.ndarray,
    positions: Sequence[np.ndarray],
    strike: np.ndarray,
    iv: np.ndarray,
    cfg: EngineConfig,
) -> list[tuple[np.ndarray, list[str]]]:
    """Zero of the re-priced net GEX profile nearest spot, per sample (NaN when none).

    One result per position matrix in ``positions`` (variants of one session): the coarse
    sweep's gamma is computed once for all of them.

    A coarse sweep of ``flip_levels`` points brackets every sign change between non-zero
    values (a level where GEX underflows to exactly 0 is no crossing); every bracket is
    refined on ``_FINE_LEVELS`` points, each crossing there interpolated linearly, and the
    root nearest spot wins.

    Two guards keep rounding from inventing a flip. Gamma does not depend on the right
    (r = q = 0), so contracts with the same strike and IV are netted before pricing: a call
    and a put that cancel give exactly 0, not the residue of ``a + b - b``. And a level
    whose ``|G|`` is within the rounding error of its sum (``_FLIP_ROUNDING`` times
    ``sum |n * gamma|`` there) counts as 0, no sign, as an underflow does.
    """
    n_s = spot.size
    netted = [_net_by_strike_and_iv(strike, iv, p) for p in positions]
    strike, iv = netted[0][0], netted[0][1]  # the same contracts net the same way
    half = np.maximum(cfg.flip_range, 5.0 * sigma_rem / spot)
    unit = np.linspace(-1.0, 1.0, cfg.flip_levels)
    levels = spot[:, None] * (1.0 + half[:, None] * unit[None, :])  # (S, L)
    profiles = _gex_profile(levels, tau, [n[2] for n in netted], strike, iv)
    out = []
    for (_, _, position), profile in zip(netted, profiles, strict=True):
        rows, cells = np.nonzero(_crossings(profile))  # every bracketing cell of every sample
        flip = np.full(n_s, np.nan)
        if rows.size:
            lo, hi = _brackets(profile)
            a, b = levels[rows, lo[rows, cells]], levels[rows, hi[rows, cells]]
            fine = np.linspace(0.0, 1.0, _FINE_LEVELS)
            fine_levels = a[:, None] + (b - a)[:, None] * fine[None, :]  # (K, F)
            (fine_profile,) = _gex_profile(fine_levels, tau[rows], [position[rows]], strike, iv)
            roots = _nearest_root(fine_levels, fine_profile, spot[rows])  # (K,)
            roots = np.where(np.isfinite(roots), roots, (a + b) / 2.0)  # the bracket's ends cross
            distance = np.abs(roots - spot[rows])
            best = np.full(n_s, np.inf)
            np.minimum.at(best, rows, distance)
            chosen = distance == best[rows]  # per sample, the root nearest spot
            flip[rows[chosen]] = roots[chosen]
        status = ["ok" if np.isfinite(f) else "no_flip_in_range" for f in flip.tolist()]
        out.append((flip, status))
    return out


_FINE_LEVELS: Final = 16
# |G| at most this many units of rounding of sum |n * gamma| has no sign
_FLIP_ROUNDING: Final = 64 * float(np.finfo(float).eps)


def _net_by_strike_and_iv(
    strike: np.ndarray, iv: np.ndarray, position: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the positions (S, C) of contracts that share a strike and an IV: same gamma."""
    pairs = np.stack([strike, iv], axis=1)
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    if unique.shape[0] == strike.size:
        return strike, iv, position
    netted = np.zeros((position.shape[0], unique.shape[0]))
    np.add.at(netted.T, inverse.ravel(), position.T)
    return unique[:, 0], unique[:, 1], netted


def _brackets(profile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the ends of each cell ``[i, i+1]``'s bracket.

    The start is the last level at or before ``i`` with a non-zero value (0 if none), the end
    is ``i + 1``, so a run of exact zeros sits inside one bracket.
    """
    n = profile.shape[1]
    nonzero = (profile != 0) & np.isfinite(profile)
    last = np.maximum.accumulate(np.where(nonzero, np.arange(n)[None, :], -1), axis=1)
    lo = np.maximum(last[:, :-1], 0)
    hi = np.broadcast_to(np.arange(1, n)[None, :], lo.shape)
    return lo, hi


def _crossings(profile: np.ndarray) -> np.ndarray:
    """(rows, cells) True where the profile changes sign between non-zero values.

    The cell ``[i, i+1]`` counts when ``profile[i + 1]`` is non-zero and of the opposite sign
    to the last non-zero value at or before ``i``: zeros (underflow far from every strike, or
    a level that hits a root exactly) are skipped, never counted as a sign of their own.
    """
    lo, _ = _brackets(profile)
    sign = np.sign(np.where(np.isfinite(profile), profile, 0.0))
    before = np.take_along_axis(sign, lo, axis=1)
    return (before * sign[:, 1:]) < 0


def _nearest_root(levels: np.ndarray, profile: np.ndarray, spot: np.ndarray) -> np.ndarray:
    """Per row, the crossing nearest ``spot``, interpolated linearly in its fine cell."""
    cross = _crossings(profile)
    lo, hi = _brackets(profile)
    r = np.arange(levels.shape[0])[:, None]
    x0, x1 = levels[r, lo], levels[r, hi]
    y0, y1 = profile[r, lo], profile[r, hi]
    with np.errstate(divide="ignore", invalid="ignore"):
        root = x0 - y0 * (x1 - x0) / (y1 - y0)  # y0, y1 non-zero, opposite signs where crossing
    distance = np.where(cross, np.abs(root - spot[:, None]), np.inf)
    pick = np.argmin(distance, axis=1)
    out: np.ndarray = np.where(np.isfinite(distance[r[:, 0], pick]), root[r[:, 0], pick], np.nan)
    return out


def _gex_profile(
    levels: np.ndarray,
    tau: np.ndarray,
    positions: Sequence[np.ndarray],
    strike: np.ndarray,
    iv: np.ndarray,
) -> list[np.ndarray]:
    """Net GEX at each hypothetical spot level: (S, L) levels -> (S, L) dollars per 1%.

    One profile per position matrix (S, C) in ``positions``; the gamma at the levels is
    computed once, chunk by chunk, for all of them. A level whose net is within the rounding
    of its sum (``_FLIP_ROUNDING`` times ``sum |n * gamma|``) is set to exactly 0: its sign
    is noise.
    """
    outs = [np.empty(levels.shape) for _ in positions]
    both = [np.stack([p, np.abs(p)], axis=-1) for p in positions]  # (S, C, 2): net and gross
    chunk = max(1, 400_000 // max(1, levels.shape[1] * strike.size))
    for start in range(0, levels.shape[0], chunk):
        sl = slice(start, start + chunk)
        lv = levels[sl][:, :, None]
        gam = bs.gamma(lv, strike[None, None, :], tau[sl][:, None, None], iv[None, None, :])
        for out, pair in zip(outs, both, strict=True):
            net, gross = np.moveaxis(np.einsum("slc,sck->slk", gam, pair[sl]), -1, 0)
            net[np.abs(net) <= _FLIP_ROUNDING * gross] = 0.0
            out[sl] = net * MULTIPLIER * levels[sl] ** 2 * 0.01
    return outs


def _magnet(
    strikes: np.ndarray, strike_gex: np.ndarray, spot: np.ndarray, reach: np.ndarray
) -> np.ndarray:
    near = np.abs(strikes[None, :] - spot[:, None]) <= reach[:, None]
    nearest = np.argmin(np.abs(strikes[None, :] - spot[:, None]), axis=1)
    near[np.arange(spot.size), nearest] = True
    score = np.where(near, np.abs(strike_gex), -1.0)
    # ties go to the strike nearest spot: break them by a tiny distance penalty
    tie = (
        np.abs(strikes[None, :] - spot[:, None]) * 1e-12 * (np.abs(strike_gex).max(initial=0) + 1.0)
    )
    chosen: np.ndarray = strikes[np.argmax(score - tie, axis=1)]
    return chosen


def _pin_score(
    strikes: np.ndarray,
    strike_oi: np.ndarray,
    strike_gex: np.ndarray,
    spot: np.ndarray,
    sigma_rem: np.ndarray,
    magnet: np.ndarray,
    minutes_left: np.ndarray,
    day_minutes: float = SESSION_MINUTES,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    total_oi = strike_oi.sum(axis=1)
    top3 = np.sort(strike_oi, axis=1)[:, -3:].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        oi_score = 100.0 * np.clip(np.where(total_oi > 0, top3 / total_oi, 0.0) / 0.5, 0.0, 1.0)
        proximity = 100.0 * np.exp(-0.5 * (np.abs(spot - magnet) / sigma_rem) ** 2)
        m_idx = np.searchsorted(strikes, magnet)
        abs_gex = np.abs(strike_gex)
        share = abs_gex[np.arange(spot.size), m_idx] / abs_gex.sum(axis=1)
        gamma_score = 100.0 * np.clip(np.nan_to_num(share) / 0.25, 0.0, 1.0)
    # elapsed share of *this* day's session (210 minutes on an early close)
    time_score = 100.0 * np.clip(1.0 - minutes_left / day_minutes, 0.0, 1.0)
    proximity = np.nan_to_num(proximity)
    score = 0.30 * oi_score + 0.25 * proximity + 0.25 * time_score + 0.20 * gamma_score
    parts = {
        "oi_score": np.round(oi_score),
        "proximity_score": np.round(proximity),
        "time_score": np.round(time_score),
        "gamma_score": np.round(gamma_score),
    }
    return parts, np.round(score)


def _pin_probability(
    spot: np.ndarray, magnet: np.ndarray, vol: np.ndarray, tau: np.ndarray, half_width: float
) -> np.ndarray:
    """Lognormal probability (%) that the close lands within ``half_width`` of the magnet."""
    scale = vol * np.sqrt(tau)

    def z(level: np.ndarray) -> np.ndarray:
        out: np.ndarray = (np.log(level / spot) + 0.5 * scale**2) / scale
        return out

    upper = magnet + half_width
    lower = np.maximum(magnet - half_width, 1e-12)
    prob: np.ndarray = 100.0 * (ndtr(z(upper)) - ndtr(z(lower)))
    return prob


def _max_pain(
    strikes: np.ndarray, effective: np.ndarray, c_k: np.ndarray, is_call: np.ndarray
) -> np.ndarray:
    """Strike minimising total option value at expiry, on effective OI, per sample."""
    payoff = np.where(
        is_call[None, :],
        np.maximum(strikes[:, None] - strikes[c_k][None, :], 0.0),
        np.maximum(strikes[c_k][None, :] - strikes[:, None], 0.0),
    )  # (price level P, contract)
    pain = effective @ payoff.T  # (S, P)
    lowest: np.ndarray = strikes[np.argmin(pain, axis=1)]
    return lowest
