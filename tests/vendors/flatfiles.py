"""Write a simulated market the way Polygon (Massive) writes its options flat files.

``write_polygon(market, directory)`` writes ``trades.csv.gz`` and ``quotes.csv.gz`` (the
``us_options_opra/trades_v1`` and ``quotes_v1`` layouts: OCC tickers ``O:SPXW260918C06200000``,
SIP nanosecond timestamps, rows sorted by ticker then time as Polygon's are) and ``oi.csv``
(``ticker``, ``open_interest``).

The simulator has no quote stream of its own: each print carries the NBBO before it. So each
print gets one quote row of its contract 1 ns before it, and an as-of-backward join
(strictly before) recovers exactly the print's ``bid``/``ask``.

Rows a reader must leave out, and count, are added: :data:`OTHER_ROOT` (another underlying's
options), :data:`OTHER_EXPIRY` (the symbol's next weekly), one corrected print
(``correction`` 1) and, in the OI only, the AM-settled monthly root expiring the same day
(:data:`AM_ROOT`). :data:`EXTRA` holds how many of each were written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

import flowframe as ff

TRADES_HEADER: Final = (
    "ticker",
    "conditions",
    "correction",
    "exchange",
    "price",
    "sip_timestamp",
    "size",
)
QUOTES_HEADER: Final = (
    "ticker",
    "ask_exchange",
    "ask_price",
    "ask_size",
    "bid_exchange",
    "bid_price",
    "bid_size",
    "sequence_number",
    "sip_timestamp",
)
OTHER_ROOT: Final = "SPY"
OTHER_EXPIRY: Final = dt.date(2026, 9, 25)
AM_ROOT: Final = "SPX"
WEEKLY_ROOT: Final = "SPXW"
#: Rows written besides the simulated session's, by file and reason.
EXTRA: Final = {
    "trades": {"other_symbol": 7, "other_expiry": 5, "corrected_print": 1},
    "quotes": {"other_symbol": 4, "other_expiry": 3},
    "oi": {"other_symbol": 2, "other_expiry": 3, "root_not_traded": 2},
}


def other_root(symbol: str) -> str:
    """A root of another underlying, for the rows a reader must leave out."""
    return OTHER_ROOT if symbol != OTHER_ROOT else "QQQ"


def weekly_root(symbol: str) -> str:
    """The root the 0DTE contracts trade under (SPX's dailies are SPXW)."""
    return {"SPX": WEEKLY_ROOT, "NDX": "NDXP", "RUT": "RUTW"}.get(symbol, symbol)


def tickers(
    root: str, expiry: dt.date, strike: pd.Series | np.ndarray, right: pd.Series | np.ndarray
) -> np.ndarray:
    """OCC tickers as Polygon spells them: ``O:`` + root + YYMMDD + C/P + strike x 1000."""
    milli = pd.Series(np.round(np.asarray(strike, dtype=float) * 1000).astype(np.int64))
    body = f"O:{root}{expiry:%y%m%d}" + pd.Series(np.asarray(right, dtype=object)).astype(str)
    return (body + milli.astype(str).str.zfill(8)).to_numpy(dtype=object)


def _ns(t: pd.Series) -> np.ndarray:
    out: np.ndarray = t.dt.tz_convert("UTC").array.as_unit("ns").asi8
    return out


def _extra_trades(market: ff.Market) -> pd.DataFrame:
    tape = market.tape
    date = market.date
    pick = tape.iloc[[10, 20, 30, 40, 50, 60, 70]]
    other = pd.DataFrame(
        {
            "ticker": tickers(other_root(market.symbol), date, pick["strike"] / 10, pick["right"]),
            "correction": 0,
            "price": pick["price"].to_numpy(),
            "sip_timestamp": _ns(pick["t"]),
            "size": pick["size"].to_numpy(),
        }
    )
    pick = tape.iloc[[15, 25, 35, 45, 55]]
    later = pd.DataFrame(
        {
            "ticker": tickers(
                weekly_root(market.symbol), OTHER_EXPIRY, pick["strike"], pick["right"]
            ),
            "correction": 0,
            "price": pick["price"].to_numpy() + 5.0,
            "sip_timestamp": _ns(pick["t"]) + 1,
            "size": pick["size"].to_numpy(),
        }
    )
    pick = tape.iloc[[100]]
    corrected = pd.DataFrame(
        {
            "ticker": tickers(weekly_root(market.symbol), date, pick["strike"], pick["right"]),
            "correction": 1,
            "price": pick["price"].to_numpy() * 2,
            "sip_timestamp": _ns(pick["t"]) + 3,
            "size": pick["size"].to_numpy(),
        }
    )
    return pd.concat([other, later, corrected], ignore_index=True)


def trades_frame(market: ff.Market) -> pd.DataFrame:
    """The trades flat file's rows (all columns, in Polygon's order and sort)."""
    tape = market.tape
    own = pd.DataFrame(
        {
            "ticker": tickers(
                weekly_root(market.symbol), market.date, tape["strike"], tape["right"]
            ),
            "correction": 0,
            "price": tape["price"].to_numpy(),
            "sip_timestamp": _ns(tape["t"]),
            "size": tape["size"].to_numpy(),
        }
    )
    rows = pd.concat([own, _extra_trades(market)], ignore_index=True)
    rows["conditions"] = 209
    rows["exchange"] = 302
    rows = rows.sort_values(["ticker", "sip_timestamp"], kind="stable", ignore_index=True)
    return rows.loc[:, list(TRADES_HEADER)]


def quotes_frame(market: ff.Market) -> pd.DataFrame:
    """The quotes flat file's rows: one per print, 1 ns before it, plus the extra rows."""
    tape = market.tape
    own = pd.DataFrame(
        {
            "ticker": tickers(
                weekly_root(market.symbol), market.date, tape["strike"], tape["right"]
            ),
            "ask_price": tape["ask"].to_numpy(),
            "bid_price": tape["bid"].to_numpy(),
            "sip_timestamp": _ns(tape["t"]) - 1,
        }
    )
    pick = tape.iloc[[11, 21, 31, 41]]
    other = pd.DataFrame(
        {
            "ticker": tickers(
                other_root(market.symbol), market.date, pick["strike"] / 10, pick["right"]
            ),
            "ask_price": pick["ask"].to_numpy() / 10,
            "bid_price": pick["bid"].to_numpy() / 10,
            "sip_timestamp": _ns(pick["t"]) - 1,
        }
    )
    pick = tape.iloc[[16, 26, 36]]
    later = pd.DataFrame(
        {
            "ticker": tickers(
                weekly_root(market.symbol), OTHER_EXPIRY, pick["strike"], pick["right"]
            ),
            "ask_price": pick["ask"].to_numpy() + 5,
            "bid_price": pick["bid"].to_numpy() + 5,
            "sip_timestamp": _ns(pick["t"]) - 2,
        }
    )
    rows = pd.concat([own, other, later], ignore_index=True)
    rows["ask_exchange"] = 302
    rows["ask_size"] = 10
    rows["bid_exchange"] = 309
    rows["bid_size"] = 12
    rows = rows.sort_values(["ticker", "sip_timestamp"], kind="stable", ignore_index=True)
    rows["sequence_number"] = rows.groupby("ticker").cumcount() + 1
    return rows.loc[:, list(QUOTES_HEADER)]


def oi_frame(market: ff.Market) -> pd.DataFrame:
    """The OI table (``ticker``, ``open_interest``): the chain's, plus the extra rows."""
    chain = market.chain
    own = pd.DataFrame(
        {
            "ticker": tickers(
                weekly_root(market.symbol), market.date, chain["strike"], chain["right"]
            ),
            "open_interest": chain["oi"].to_numpy(),
        }
    )
    k = chain["strike"].to_numpy()
    r = chain["right"].to_numpy(dtype=object)
    extra = pd.DataFrame(
        {
            "ticker": np.concatenate(
                [
                    tickers(other_root(market.symbol), market.date, k[:2] / 10, r[:2]),
                    tickers(weekly_root(market.symbol), OTHER_EXPIRY, k[:3], r[:3]),
                    tickers(AM_ROOT, market.date, k[:2], r[:2]),
                ]
            ),
            "open_interest": [11, 12, 13, 14, 15, 16, 17],
        }
    )
    return pd.concat([own, extra], ignore_index=True)


def write_oi(market: ff.Market, directory: Path) -> Path:
    """Write ``oi.csv`` (see :func:`oi_frame`) and return its path."""
    path = Path(directory) / "oi.csv"
    oi_frame(market).to_csv(path, index=False)
    return path


def write_polygon(market: ff.Market, directory: Path) -> tuple[Path, Path]:
    """Write ``trades.csv.gz``, ``quotes.csv.gz`` and ``oi.csv``; return the first two paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    trades = directory / "trades.csv.gz"
    quotes = directory / "quotes.csv.gz"
    gzip1 = {"method": "gzip", "compresslevel": 1, "mtime": 0}
    trades_frame(market).to_csv(trades, index=False, compression=gzip1)
    quotes_frame(market).to_csv(quotes, index=False, compression=gzip1)
    write_oi(market, directory)
    return trades, quotes
