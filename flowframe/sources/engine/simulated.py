"""``ff.Simulated``: seeded 0DTE sessions for several symbols, answered by the local engine.

Each symbol's market (chain, tape, spot path) comes from
:func:`flowframe.sources.engine.market.generate_market` with the same seed, and is computed by
:class:`flowframe.sources.engine.local.Local`
on one shared session clock. Markets are generated on first use; ``market(symbol)`` shows what
the engine ate. The same seed gives the same sessions, byte for byte.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from flowframe import _params
from flowframe._constants import ET
from flowframe._session import early_close, is_session_day, latest_session_day
from flowframe._wire import iso_z
from flowframe.sources.endpoints import EndpointMethods, Payload, symbol_not_found
from flowframe.sources.engine.clock import SessionClock
from flowframe.sources.engine.core import EngineConfig
from flowframe.sources.engine.envelope import envelope
from flowframe.sources.engine.local import Local, leaderboard_body
from flowframe.sources.engine.market import PROFILES, Market, generate_market

__all__ = ["DEFAULT_SYMBOLS", "Simulated"]

DEFAULT_SYMBOLS = ("SPX", "SPY", "QQQ", "IWM", "TSLA", "NVDA", "AAPL", "AMZN")
DEFAULT_TIME = "15:00"


class Simulated(EndpointMethods[Payload]):
    """Simulated 0DTE sessions: the default source when there is no key.

    Parameters
    ----------
    seed : int, default 0
        The same seed gives the same sessions.
    date : str or datetime.date, optional
        Session date; the latest session day (ET) when omitted: today, or the last day before
        it with a session on the exchange calendar (weekends and holidays skipped, see
        :mod:`flowframe._session`). A holiday answers like a weekend (``session_closed``, no
        bars); an early-close day has a session from 09:30 to 13:00 ET.
    now : str, datetime or Timestamp, optional
        Freeze the session clock (``"14:45"`` is ET on ``date``). Frozen at 15:00 ET when
        neither ``now`` nor ``speed`` is given (an hour before the close: 12:00 ET on a 13:00
        early-close day).
    speed : float, optional
        Run the clock from the open at this multiple of real time (390 = a session in a
        minute).
    symbols : sequence of str, default ("SPX", "SPY", "QQQ", "IWM", "TSLA", "NVDA", "AAPL", "AMZN")
        The simulated universe. The index products and ETFs expire daily; the single names
        only on their weekly expiry days (see ``SymbolProfile.expiry_weekdays``), and answer
        ``no_zero_dte`` on other days.
    scale : float, default 1.0
        Multiplies the number of prints (1.0 = realistic volume; tests use less).
    config : EngineConfig, optional
        The engine's switchable choices.
    clock : SessionClock, optional
        Use this clock (overrides ``now`` and ``speed``).
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        date: str | dt.date | None = None,
        now: str | dt.datetime | pd.Timestamp | None = None,
        speed: float | None = None,
        symbols: Sequence[str] = DEFAULT_SYMBOLS,
        scale: float = 1.0,
        config: EngineConfig | None = None,
        clock: SessionClock | None = None,
    ):
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed={seed!r} is not allowed; use an int")
        if date is None:
            day = latest_session_day(pd.Timestamp.now(tz=ET).date())
        else:
            text = _params.validate_expiry(date)
            assert text is not None
            day = dt.date.fromisoformat(text)
        wanted = [_params.validate_symbol(s) for s in symbols]
        unknown = [s for s in wanted if s not in PROFILES]
        if unknown:
            raise ValueError(
                f"symbols {unknown} have no simulation profile; use any of {sorted(PROFILES)}"
            )
        if not scale > 0:
            raise ValueError(f"scale={scale!r} is not allowed; use a number > 0")
        self.seed = seed
        self.date = day
        self.symbols = tuple(wanted)
        self.scale = scale
        if clock is None:
            if now is None and speed is None:
                early = early_close(day)  # an hour before the close, as 15:00 is
                now = DEFAULT_TIME if early is None else f"{early.hour - 1:02d}:{early.minute:02d}"
            clock = SessionClock(day, now=now, speed=speed)
        self.clock = clock
        self._config = config or EngineConfig()
        self._markets: dict[str, Market] = {}
        self._sources: dict[str, Local] = {}
        self._root: Simulated | None = None  # the source this one was made from by at()
        # an ensemble's variant: the engine source of each symbol comes from the ensemble
        self._variant: Callable[[str], Local] | None = None
        self.name = f"Simulated(seed={seed}, {day.isoformat()})"

    def __repr__(self) -> str:
        return f"Simulated(seed={self.seed}, date={self.date.isoformat()}, {self.clock!r})"

    @property
    def quota(self) -> None:
        """Simulated sources have no quota."""
        return None

    def market(self, symbol: str) -> Market:
        """Return the simulated market of ``symbol``: ``.chain``, ``.tape``, ``.spot``."""
        sym = _params.validate_symbol(symbol)
        if sym not in self.symbols:
            raise ValueError(
                f"symbol {sym!r} is not simulated here; use one of {list(self.symbols)}"
            )
        if sym not in self._markets:
            self._markets[sym] = generate_market(sym, self.date, self.seed, scale=self.scale)
        return self._markets[sym]

    def at(self, now: str | dt.datetime | pd.Timestamp) -> Simulated:
        """Return the same simulated day with the clock frozen at ``now``.

        The markets and the computed sessions are shared with this source (each symbol's
        session is computed once, by whichever source needs it first), so stepping through
        a day (the open, midday, the power hour) costs no recomputation.

        Parameters
        ----------
        now : str, datetime or Timestamp
            ``"12:30"`` is 12:30 ET on the session date; a full timestamp is taken as given
            (naive = ET).

        Returns
        -------
        Simulated
            A new source; this one (and its clock) is unchanged.

        Examples
        --------
        >>> day = ff.Simulated(seed=8, date="2026-09-18")  # doctest: +SKIP
        >>> ff.snapshot("SPX", source=day.at("09:45")).headline.trade_angle  # doctest: +SKIP
        """
        other = copy.copy(self)
        other.clock = SessionClock(self.date, now=now)
        other._sources = {}
        other._root = self._root or self
        return other

    def local(self, symbol: str) -> Local:
        """Return the engine source of one symbol (built on first use)."""
        sym = _params.validate_symbol(symbol)
        if self._variant is not None:
            return self._variant(sym)
        if sym not in self._sources and self._root is not None:
            self._sources[sym] = self._root.local(sym)._with_clock(self.clock)
        if sym not in self._sources:
            m = self.market(sym)
            # the engine eats the raw tape: quotes, not the generator's true sides, so
            # classification is part of what is simulated (market(sym).tape keeps the truth)
            self._sources[sym] = Local(
                chain=m.chain,
                tape=m.tape.drop(columns="side"),
                spot=m.spot,
                symbol=sym,
                expiration=m.expiration,
                config=self._config,
                clock=self.clock,
            )
        return self._sources[sym]

    def has_zero_dte(self, symbol: str) -> bool:
        """Tell whether ``symbol`` has a same-day expiry on this date.

        On weekends and exchange holidays the market is shut, which every symbol's source
        answers with ``session_closed``, so every symbol counts here.
        """
        sym = _params.validate_symbol(symbol)
        return sym in self.symbols and (
            not is_session_day(self.date) or self.date.weekday() in PROFILES[sym].expiry_weekdays
        )

    def next_expiry(self, symbol: str) -> dt.date:
        """Return the next date after this session's with a same-day expiry for ``symbol``.

        A session day (exchange holidays skipped) on one of the symbol's expiry weekdays.
        """
        days = PROFILES[_params.validate_symbol(symbol)].expiry_weekdays
        day = self.date + dt.timedelta(days=1)
        while day.weekday() not in days or not is_session_day(day):
            day += dt.timedelta(days=1)
        return day

    def why_empty(self, symbol: str | None = None, minutes: int | None = None) -> str | None:
        """Say why an answer for ``symbol`` has no bars (None when nothing explains it).

        No same-day expiry for the symbol on this date, or the clock (see
        :meth:`flowframe.Local.why_empty`).
        """
        if symbol is None:
            return None
        sym = _params.validate_symbol(symbol)
        if sym not in self.symbols:
            return None
        if not self.has_zero_dte(sym):
            return (
                f"{sym} has no same-day expiry on {self.date:%Y-%m-%d} ({self.date:%A}); its "
                f"next is {self.next_expiry(sym):%Y-%m-%d}"
            )
        return self.local(sym).why_empty(sym, minutes)

    # ------------------------------------------------------------------ endpoints

    def _get(self, request: _params.Request) -> Payload:
        """Answer a validated request (every ``get_*`` method comes here).

        From the symbol's engine source when it has a 0DTE session today, else as the hosted
        API answers: empty bars, ``no_zero_dte`` from the snapshot, 404 for an unknown symbol.
        """
        if request.endpoint == "leaderboard":
            return {**self._leaderboard(request), **self._envelope(None)}
        sym = str(request.symbol)
        if self.has_zero_dte(sym):
            return self.local(sym)._get(request)
        if request.endpoint != "snapshot":
            return {**self._empty(request), **self._envelope(sym)}
        if sym not in self.symbols:
            raise symbol_not_found(sym)
        nxt = self.next_expiry(sym).isoformat()
        return {
            "symbol": sym,
            "no_zero_dte": True,
            "next_zero_dte_expiry": nxt,
            "message": f"No 0DTE expiry for {sym} today ({self.date:%A}). Next expiry: {nxt}.",
        }

    def _envelope(self, symbol: str | None) -> Payload:
        """``endpoint_version`` and ``data_as_of`` (see :mod:`~.envelope`), at the clock's now."""
        return envelope(symbol, self.date, self.clock.now())

    def _empty(self, req: _params.Request) -> dict[str, Any]:
        """Answer for an unknown symbol as the hosted API does: 200 with no bars."""
        body: dict[str, Any] = {
            "symbol": req.symbol,
            "expiration": self.date.isoformat(),
            "as_of": iso_z(self.clock.now()),
        }
        if req.endpoint in ("hedge-flow", "series"):
            return {
                **body,
                **{k: v for k, v in req.params.items() if k == "side"},
                "bar_size": req.params["bar"],
                "bars": [],
            }
        grid = {
            "underlying_price": None,
            **body,
            "bar_size": "1m",
            "tier_used": "raw",
            "strikes_grid": [],
            "bars": [],
            "gap_intervals": [],
        }
        if req.endpoint == "heatmap":
            grid.update(metric=req.params["metric"], mode=req.params["mode"])
        return grid

    def _leaderboard(self, req: _params.Request) -> Payload:
        """``leaderboard``: the simulated universe ranked by ``metric``, highest first."""
        now = self.clock.now()
        # a weekend or holiday ranks nothing (and computes no session to find that out); a
        # weekly name off its expiry day has no 0DTE flow to rank
        ranked = [
            s for s in (self.symbols if is_session_day(self.date) else ()) if self.has_zero_dte(s)
        ]
        metric = req.params["metric"]
        values = [(s, self.local(s).leaderboard_values(now)[metric]) for s in ranked]
        market_open = is_session_day(self.date) and self.clock.open <= now < self.clock.close
        return leaderboard_body(req, now, values, market_open)
