"""From a vendor's trades, quotes and open interest to an :class:`~flowframe.Market`.

The readers (:mod:`~flowframe.sources.vendors.databento`,
:mod:`~flowframe.sources.vendors.polygon`) keep one symbol's 0DTE rows and hand them here in
one schema; :func:`assemble` builds what real tapes do not carry, and says so in the market's
``quality`` report:

- **Each print's NBBO.** Trades without ``bid``/``ask`` get the last quote of their contract
  strictly before the print (``pd.merge_asof``, ``allow_exact_matches=False``); a print with
  no earlier quote keeps NaN quotes, so only the tick test can classify it.
- **The spot path**, when none is given: the forward implied by put-call parity from NBBO
  mids, per second of the session: ``F = K + C - P`` (r = q = 0, the engine's convention) at
  each strike quoted two-sided on both rights, and the median over the 3 strikes where
  ``|C - P|`` is smallest (the strikes nearest the money). Seconds before both sides of any
  strike are quoted have no price; the engine reads the first price for them.
- **The chain's IVs**: per contract, the NBBO mid in force at ``iv_at`` (10:00 ET by default,
  half an hour into the session, once opening spreads have settled), or, when the contract
  had no two-sided quote by then, its first two-sided quote after; solved by
  :func:`~flowframe.implied_vol` at the spot of that time on the engine's trading clock
  (``tau = minutes to the close / (252 * 390)``, ``chain.attrs["iv_clock"] = "trading"``).
  Each strike takes the IV of its out-of-the-money side (calls at or above spot, puts below),
  whose mid is mostly time value, for both its call and its put; the in-the-money side's mid
  is mostly intrinsic value plus half a spread, so its IV runs high (it is used only when no
  strike's out-of-the-money side solves). A strike whose out-of-the-money side cannot be
  solved (no two-sided quote: a zero bid far from the money) is interpolated linearly in
  strike, flat beyond the outermost solved strikes. The IVs are sticky-strike for the whole
  session, as the engine's model is.
- **Open interest** from the statistics; a contract without a figure gets 0, and with no
  open-interest input at all every contract does (counted: the flows still count, but the
  settled positions are then empty).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from flowframe._constants import ET
from flowframe._session import session_bounds
from flowframe.errors import SchemaError
from flowframe.sources.engine.core import InputNote
from flowframe.sources.engine.inputs import Market
from flowframe.sources.engine.schemas import IV_CLOCK_ATTR, TRADING_MINUTES_PER_YEAR

__all__ = ["DEFAULT_IV_AT", "assemble", "attach_quotes", "implied_spot"]

#: When the chain's IVs are read: half an hour after the open (ET).
DEFAULT_IV_AT: Final = "10:00"
_PARITY_STRIKES: Final = 3
_KEY: Final = ["strike", "right"]


def attach_quotes(trades: pd.DataFrame, quotes: pd.DataFrame) -> pd.DataFrame:
    """Give each print the last quote of its contract strictly before it (``bid``, ``ask``)."""
    left = trades.drop(columns=[c for c in ("bid", "ask") if c in trades.columns])
    left = left.assign(_row=np.arange(len(left))).sort_values("t", kind="stable")
    right = quotes.loc[:, ["t", *_KEY, "bid", "ask"]].sort_values("t", kind="stable")
    merged = pd.merge_asof(
        left,
        right,
        on="t",
        by=_KEY,
        direction="backward",
        allow_exact_matches=False,
    )
    return merged.sort_values("_row", kind="stable").drop(columns="_row").reset_index(drop=True)


def _two_sided(bid: np.ndarray, ask: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        ok: np.ndarray = np.isfinite(bid) & np.isfinite(ask) & (bid > 0) & (ask >= bid)
    return ok


def _mids_at(
    quotes: pd.DataFrame, strikes: np.ndarray, times_ns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided NBBO mids of calls and puts at each time: two (T, K) arrays, NaN for none."""
    calls = np.full((times_ns.size, strikes.size), np.nan)
    puts = np.full((times_ns.size, strikes.size), np.nan)
    q = quotes.loc[_two_sided(quotes["bid"].to_numpy(float), quotes["ask"].to_numpy(float))]
    q_t = q["t"].array.as_unit("ns").asi8
    mid = ((q["bid"] + q["ask"]) / 2.0).to_numpy(float)
    k_idx = np.searchsorted(strikes, q["strike"].to_numpy(float))
    is_call = (q["right"] == "C").to_numpy()
    for target, side in ((calls, is_call), (puts, ~is_call)):
        for k in np.unique(k_idx[side]):
            rows = np.flatnonzero(side & (k_idx == k))
            order = rows[np.argsort(q_t[rows], kind="stable")]
            at = np.searchsorted(q_t[order], times_ns, side="right") - 1
            have = at >= 0
            target[have, k] = mid[order[at[have]]]
    return calls, puts


def implied_spot(quotes: pd.DataFrame, date: dt.date) -> tuple[pd.Series, int]:
    """Imply the forward from put-call parity per second of the session (module docstring).

    Returns the path (seconds without a price left out) and how many seconds had none.
    """
    opening, closing = session_bounds(date)
    seconds = pd.date_range(opening, closing, freq="1s")
    times = seconds.as_unit("ns").asi8
    strikes = np.unique(quotes["strike"].to_numpy(float))
    calls, puts = _mids_at(quotes, strikes, times)
    gap = np.abs(calls - puts)
    forward = strikes[None, :] + calls - puts
    gap = np.where(np.isfinite(gap), gap, np.inf)
    n = min(_PARITY_STRIKES, strikes.size)
    nearest = np.argsort(gap, axis=1, kind="stable")[:, :n]
    rows = np.arange(times.size)[:, None]
    picked = np.where(np.isfinite(gap[rows, nearest]), forward[rows, nearest], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "All-NaN slice": no price yet
        path = np.nanmedian(picked, axis=1)
    found = np.isfinite(path)
    spot = pd.Series(path[found], index=seconds[found], name="spot")
    return spot, int((~found).sum())


def _observations(trades: pd.DataFrame, quotes: pd.DataFrame | None) -> pd.DataFrame:
    """Return the quotes to read mids from: the quote file, else each print's NBBO."""
    if quotes is not None:
        return quotes.loc[:, ["t", *_KEY, "bid", "ask"]]
    if not {"bid", "ask"} <= set(trades.columns):
        raise SchemaError(
            "the trades carry no quotes ('bid'/'ask') and no quote file was given: the chain's "
            "IVs and the prints' sides come from the NBBO; pass quotes"
        )
    return trades.loc[:, ["t", *_KEY, "bid", "ask"]]


def _chain_ivs(
    contracts: pd.DataFrame,
    observations: pd.DataFrame,
    spot: pd.Series,
    date: dt.date,
    iv_at: str,
) -> tuple[np.ndarray, list[InputNote]]:
    """Per contract (rows of ``contracts``): its IV (see the module docstring) and the notes."""
    from flowframe.sources.engine.implied import implied_vol

    at = pd.Timestamp(dt.datetime.combine(date, dt.time.fromisoformat(iv_at)), tz=ET)
    at_ns = at.tz_convert("UTC").value
    _, closing = session_bounds(date)
    obs = observations.loc[
        _two_sided(observations["bid"].to_numpy(float), observations["ask"].to_numpy(float))
    ].sort_values("t", kind="stable")
    obs_t = obs["t"].array.as_unit("ns").asi8
    before = obs.loc[obs_t <= at_ns].groupby(_KEY, sort=False).tail(1)
    after = obs.loc[obs_t > at_ns].groupby(_KEY, sort=False).head(1)
    chosen = pd.concat([before, after]).drop_duplicates(_KEY, keep="first")
    table = contracts.merge(chosen, on=_KEY, how="left")
    t_ns = table["t"].array.as_unit("ns").asi8 if len(table) else np.array([], dtype=np.int64)
    has_quote = table["bid"].notna().to_numpy()
    index = pd.DatetimeIndex(spot.index).as_unit("ns").asi8
    pos = np.clip(np.searchsorted(index, t_ns, side="right") - 1, 0, len(index) - 1)
    s = spot.to_numpy(float)[pos]
    minutes = (closing.value - t_ns) / 6e10
    tau = np.maximum(minutes, 1.0) / TRADING_MINUTES_PER_YEAR
    mid = ((table["bid"] + table["ask"]) / 2.0).to_numpy(float)
    strike = table["strike"].to_numpy(float)
    right = table["right"].to_numpy(str)
    iv, _ = implied_vol(
        np.where(has_quote, mid, np.nan),
        np.where(has_quote, s, 1.0),
        strike,
        np.where(has_quote, tau, 1.0),
        right,
        return_reason=True,
    )
    iv = np.asarray(iv, dtype=float)
    # each strike: the out-of-the-money side's IV, else the other side's, else interpolated
    frame = pd.DataFrame({"strike": strike, "right": right, "iv": iv, "s": s})
    wide = frame.pivot_table(
        index="strike", columns="right", values="iv", aggfunc="first", dropna=False
    )
    spot_ref = float(np.nanmedian(s[has_quote])) if has_quote.any() else float(spot.iloc[0])
    calls = wide["C"] if "C" in wide.columns else pd.Series(np.nan, index=wide.index)
    puts = wide["P"] if "P" in wide.columns else pd.Series(np.nan, index=wide.index)
    otm_call = wide.index.to_numpy(float) >= spot_ref
    first = np.where(otm_call, calls.to_numpy(float), puts.to_numpy(float))
    second = np.where(otm_call, puts.to_numpy(float), calls.to_numpy(float))
    # the in-the-money side only where no strike's out-of-the-money side solved at all: an
    # ITM mid is mostly intrinsic value plus half a spread, so its IV runs high
    per_strike = first if np.isfinite(first).any() else second
    solved = np.isfinite(per_strike)
    if not solved.any():
        raise SchemaError(
            f"no contract's implied vol could be solved from the quotes around {iv_at} ET "
            f"({int(has_quote.sum())} of {len(table)} contracts had a two-sided quote): the "
            "chain needs IVs; check the quotes, or build the chain yourself"
        )
    k = wide.index.to_numpy(float)
    filled = np.interp(k, k[solved], per_strike[solved])
    by_strike = pd.Series(filled, index=wide.index)
    out = by_strike.reindex(strike).to_numpy(float)
    own = np.isfinite(iv)
    notes = [
        InputNote(
            "chain",
            "iv_from_quotes",
            int(solved.sum()),
            "strikes",
            f"IV solved from the NBBO mid in force at {iv_at} ET (or the first after), on the "
            "trading clock, from the out-of-the-money side where it solves",
        )
    ]
    if (~solved).any():
        notes.append(
            InputNote(
                "chain",
                "iv_interpolated",
                int((~solved).sum()),
                "strikes",
                "the out-of-the-money side's mid gave no IV (no two-sided quote, or at or "
                "below intrinsic): interpolated in strike, flat beyond the solved strikes",
            )
        )
    unsolved_own = int((~own).sum())
    if unsolved_own:
        notes.append(
            InputNote(
                "chain",
                "iv_not_solved",
                unsolved_own,
                "contracts",
                "the contract's own mid gave no IV: it takes its strike's IV",
            )
        )
    return out, notes


def assemble(
    *,
    symbol: str,
    date: dt.date,
    trades: pd.DataFrame,
    quotes: pd.DataFrame | None = None,
    oi: pd.DataFrame | None = None,
    spot: pd.Series | None = None,
    source: str,
    notes: Sequence[InputNote] = (),
    strict: bool = False,
    iv_at: str = DEFAULT_IV_AT,
) -> Market:
    """Build a checked :class:`~flowframe.Market` from one symbol's 0DTE rows.

    Parameters
    ----------
    symbol : str
        The underlying.
    date : datetime.date
        The session date, which is the expiry.
    trades : pandas.DataFrame
        ``t`` (datetime64[ns, UTC]), ``strike`` (float64, points), ``right`` (``"C"``/
        ``"P"``), ``price`` (float64), ``size`` (int64) and, when the vendor gives them,
        ``bid``/``ask`` (the NBBO just before the print).
    quotes : pandas.DataFrame, optional
        NBBO updates: ``t``, ``strike``, ``right``, ``bid``, ``ask``.
    oi : pandas.DataFrame, optional
        ``strike``, ``right``, ``oi`` (settled open interest, contracts).
    spot : pandas.Series, optional
        The underlying's path on a tz-aware index; implied from parity when None.
    source : str
        Named in ``quality.attrs["source"]``.
    notes : sequence of InputNote
        What the reader left out, first in the report.
    strict : bool
        Raise instead of counting any print that would not be used.
    iv_at : str
        ``"HH:MM"`` ET: when the chain's IVs are read from the quotes.

    Returns
    -------
    Market
        Checked, with every choice made here counted in ``quality``.
    """
    made: list[InputNote] = []
    trades = trades.reset_index(drop=True)
    observations = _observations(trades, quotes)
    if quotes is not None and not {"bid", "ask"} <= set(trades.columns):
        trades = attach_quotes(trades, quotes)
        unquoted = int(trades["bid"].isna().sum())
        if unquoted:
            made.append(
                InputNote(
                    "tape",
                    "no_quote_before",
                    unquoted,
                    "prints",
                    "no quote of the contract before the print: classified by the tick test",
                )
            )
    if spot is None:
        spot, missing = implied_spot(observations, date)
        if spot.empty:
            raise SchemaError(
                "no spot path was given and put-call parity gives none: no strike is quoted "
                "two-sided on both rights; pass spot="
            )
        made.append(
            InputNote(
                "spot",
                "spot_from_parity",
                len(spot),
                "seconds",
                "spot implied per second from put-call parity (F = K + C - P on NBBO mids, "
                f"r = q = 0) at the {_PARITY_STRIKES} strikes nearest the money",
            )
        )
        if missing:
            made.append(
                InputNote(
                    "spot",
                    "spot_not_implied",
                    missing,
                    "seconds",
                    "no strike quoted two-sided on both rights yet: the first price is read",
                )
            )
    listed = [trades.loc[:, _KEY], observations.loc[:, _KEY]]
    if oi is not None:
        listed.append(oi.loc[:, _KEY])
    contracts = (
        pd.concat(listed, ignore_index=True)
        .drop_duplicates()
        .sort_values(["right", "strike"], kind="stable", ignore_index=True)
    )
    contracts["strike"] = contracts["strike"].astype(np.float64)
    iv, iv_notes = _chain_ivs(contracts, observations, spot, date, iv_at)
    made.extend(iv_notes)
    if oi is None:
        oi_values = np.zeros(len(contracts), dtype=np.int64)
        made.append(
            InputNote(
                "chain",
                "oi_missing",
                len(contracts),
                "contracts",
                "no open interest given: settled OI set to 0 (dealer positions are today's "
                "flow only)",
            )
        )
    else:
        merged = contracts.merge(
            oi.loc[:, [*_KEY, "oi"]].drop_duplicates(_KEY, keep="last"), on=_KEY, how="left"
        )
        absent = merged["oi"].isna().to_numpy()
        oi_values = merged["oi"].fillna(0).to_numpy().astype(np.int64)
        if absent.any():
            made.append(
                InputNote(
                    "chain",
                    "oi_missing",
                    int(absent.sum()),
                    "contracts",
                    "no open-interest figure for the contract: settled OI set to 0",
                )
            )
    chain = contracts.assign(oi=oi_values, iv=iv)
    chain.attrs[IV_CLOCK_ATTR] = "trading"
    return Market.from_frames(
        symbol=symbol,
        chain=chain,
        tape=trades,
        spot=spot,
        expiration=date,
        strict=strict,
        notes=(*notes, *made),
        source=source,
    )
