"""``ff.Local``: the six endpoints answered from your own chain, tape and spot path.

Payloads have exactly the hosted API's shapes (see ``reference/API.md``), computed by
:mod:`flowframe.sources.engine.core` for the clock's "now":

- Raw samples every 30 s, labelled by their start; a coarser bar keeps the last completed
  sample of its bucket (its ``bar`` is the change of the cumulative over the bucket, so bars
  sum to the cumulative) [API]. The bucket in progress shows its last completed sample.
- Heatmap and strike-flow serve complete 1-minute bars only; ``mode="delta"`` is the difference
  of consecutive raw bars, the window's first bar raw; for ``signed_flow`` (already per bar)
  delta equals raw [API].
- The window is ``[now - minutes, now)``: samples that started inside it and have ended.
- The session is the exchange calendar's (:mod:`flowframe._session`): 09:30 to 16:00 ET, or
  to 13:00 ET on an early-close day; a weekend or an exchange holiday has none.
- Outside the session (before 09:30, after the close as the window empties, on another day,
  a weekend or a holiday) the bodies degrade as the hosted API's do: empty ``bars``; the
  snapshot answers ``session_closed``; a symbol the source does not hold gets empty bars, and
  a 404 ``symbol_not_found`` from the snapshot.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from flowframe import _params
from flowframe._constants import BAR_SECONDS, ET
from flowframe._session import early_close, holiday_name, is_session_day, latest_session_day
from flowframe._wire import iso_z, iso_z_many, json_number, json_numbers
from flowframe.errors import FlowframeWarning
from flowframe.sources.endpoints import EndpointMethods, Payload, symbol_not_found
from flowframe.sources.engine.clock import SessionClock
from flowframe.sources.engine.core import (
    EngineConfig,
    SessionState,
    compute_session,
)
from flowframe.sources.engine.decision.body import snapshot_body
from flowframe.sources.engine.envelope import envelope
from flowframe.sources.engine.greeks import check_iv_clock
from flowframe.sources.engine.inputs import Market, prepare_inputs, quality_frame
from flowframe.sources.engine.schemas import IV_CLOCK_ATTR, SAMPLE_SECONDS, IvClock

__all__ = ["Local", "leaderboard_body"]


class Local(EndpointMethods[Payload]):
    """A source over your own tape: the hosted payloads, computed here.

    Parameters
    ----------
    chain, tape, spot
        Inputs in the schemas of :mod:`flowframe.sources.engine.schemas`.
    symbol : str
        The underlying these inputs belong to.
    expiration : str or datetime.date
        The expiry (and session) date, ``YYYY-MM-DD``.
    now, speed : optional
        Freeze the session clock (``now="14:45"`` or ``"4pm"``, ET) or run it from the open
        at ``speed`` times real time. With neither, a past session date is frozen at its
        close (the whole day shows) and today's follows real time. See :class:`SessionClock`.
    config : EngineConfig, optional
        The engine's switchable choices (OI weight, dealer prior, flip sweep).
    clock : SessionClock, optional
        A clock to share with other sources (overrides ``now``/``speed``).
    iv_clock : {"calendar", "trading"}, optional
        The clock the chain's ``iv`` column is annualised on (implied vols as decimals):

        - ``"calendar"``, the vendor convention: ``T = seconds to the expiry's close
          / (365 * 86400)`` years (the close: 16:00 ET, 13:00 on an early close);
        - ``"trading"``, the engine's clock: ``T = minutes to the close / (252 * 390)`` years
          (a session is 1/252 year).

        The engine computes on the trading clock; calendar IVs are converted first, keeping
        total variance, ``vol_trading**2 * T_trading = vol_calendar**2 * T_calendar``, so
        ``vol_trading = vol_calendar * sqrt(98,280 / 525,600) ~ 0.4324 * vol_calendar`` (the
        ratio of the two T does not depend on the time of day; see
        :func:`~flowframe.sources.engine.greeks.trading_clock_vol`).
        ``None`` (default) reads ``chain.attrs["iv_clock"]`` when the chain carries it (the
        simulator's chains carry ``"trading"``), and ``"calendar"`` otherwise. A value given
        here wins over the chain's ``attrs``; when the two differ, a
        :class:`~flowframe.errors.FlowframeWarning` says so. The resolved clock is kept in
        ``iv_clock``; ``state.chain`` holds the converted IVs, marked ``"trading"``.
    strict : bool, default False
        Raise a :class:`~flowframe.errors.SchemaError` when any print would not be used,
        instead of counting it in :attr:`quality` (see :class:`~flowframe.Market`).

    Rights spelled ``"call"``/``"put"``/``"c"``/``"p"`` in any case are read as ``"C"``/``"P"``
    and counted; prints the engine cannot use (another day, outside the session, unlisted,
    duplicated, NaN or non-positive price or size, crossed quotes) are left out and counted
    by reason in :attr:`quality`; unit slips (IVs in percent, strikes x1000, an expiration
    that matches no print) are errors.

    Raises
    ------
    SchemaError
        A ``ValueError``: an input does not follow the schemas. The inputs are checked here,
        before anything is computed, and a bad cell is named by input, column and row (its
        position as given), e.g. ``chain column 'iv' row 3: must be a finite number > 0
        (implied vol as a decimal: 0.15 is 15%), got inf``.
    ValueError
        ``iv_clock`` (or the chain's ``attrs["iv_clock"]``) is not ``"calendar"`` or
        ``"trading"``; and see :class:`SessionClock` for ``now`` and ``speed``.

    Examples
    --------
    >>> src = ff.Local(chain=chain, tape=tape, spot=spot, symbol="SPX",  # doctest: +SKIP
    ...                expiration="2026-09-18", now="14:45")
    >>> ff.hedge_flow("SPX", source=src)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        chain: pd.DataFrame,
        tape: pd.DataFrame,
        spot: pd.Series | pd.DataFrame,
        symbol: str,
        expiration: str | dt.date,
        now: str | dt.datetime | pd.Timestamp | None = None,
        speed: float | None = None,
        config: EngineConfig | None = None,
        clock: SessionClock | None = None,
        iv_clock: IvClock | None = None,
        strict: bool = False,
        _prepared: Market | None = None,
    ):
        self.symbol = _params.validate_symbol(symbol)
        self.iv_clock: IvClock = _resolve_iv_clock(chain, iv_clock)
        exp = _params.validate_expiry(expiration)
        if exp is None:
            raise ValueError("expiration is required: the 0DTE expiry (and session) date")
        self.expiration = exp
        self.date = dt.date.fromisoformat(exp)
        self.has_session = is_session_day(self.date)
        self.clock = clock or SessionClock(self.date, now=now, speed=speed)
        # checked here, so a bad cell fails where the data is handed over, not at the first
        # request; rows not used are counted now; the spot path is kept as given: its gaps
        # are counted when computing
        if _prepared is None:
            prepared = prepare_inputs(chain, tape, spot, expiration=exp, strict=strict)
            checked_chain, checked_tape, notes = prepared.chain, prepared.tape, prepared.notes
            self._quality = quality_frame(notes, symbol=self.symbol, date=exp, source="local")
        else:
            checked_chain, checked_tape = _prepared.chain, _prepared.tape
            self._quality = _prepared.quality
        self._inputs: tuple[pd.DataFrame, pd.DataFrame, pd.Series | pd.DataFrame] = (
            checked_chain,
            checked_tape,
            spot,
        )
        self._config = config or EngineConfig()
        self._state: SessionState | None = None
        self.name = f"Local({self.symbol} {self.expiration})"

    @classmethod
    def from_market(
        cls,
        market: Market,
        now: str | dt.datetime | pd.Timestamp | None = None,
        speed: float | None = None,
        config: EngineConfig | None = None,
        *,
        clock: SessionClock | None = None,
        strict: bool = False,
    ) -> Local:
        """Return a source over a :class:`~flowframe.Market` (a reader's, the simulator's).

        A market built by :meth:`Market.from_frames` or a reader was checked then, and its
        ``quality`` is kept; any other is checked here (``strict`` as in :class:`Local`).
        The chain's ``attrs["iv_clock"]`` names the clock of its IVs.

        Parameters
        ----------
        market : Market
            The session's inputs.
        now, speed, config, clock
            As in :class:`Local`.
        """
        if not isinstance(market, Market):
            raise TypeError(f"from_market() takes an ff.Market, got {type(market).__name__}")
        return cls(
            chain=market.chain,
            tape=market.tape,
            spot=market.spot,
            symbol=market.symbol,
            expiration=market.expiration,
            now=now,
            speed=speed,
            config=config,
            clock=clock,
            strict=strict,
            _prepared=market if market.checked else None,
        )

    @property
    def quality(self) -> pd.DataFrame:
        """What the engine does not use, by reason: the inputs' quality report.

        Counted when the source was built (see :class:`~flowframe.Market`): prints used,
        rights read from another spelling, prints not used by reason, prints no rule can
        classify. Once the session is computed, the spot path's gaps and the samples before
        its first price (see :meth:`report`) are added. Columns ``input``, ``reason``,
        ``count`` (int64), ``unit``, ``action``.
        """
        notes = self._state.notes if self._state is not None else ()
        if not notes:
            return self._quality
        extra = quality_frame(notes)
        out = pd.concat([self._quality, extra], ignore_index=True)
        out.attrs.update(self._quality.attrs)
        return out

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> SessionState:
        """The computed session (computed on first use, then kept)."""
        if self._state is None:
            chain, tape, spot = self._inputs
            self._state = compute_session(
                chain,
                tape,
                spot,
                symbol=self.symbol,
                expiration=self.expiration,
                config=self._config,
                iv_clock=self.iv_clock,
            )
        return self._state

    @property
    def inputs(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series | pd.DataFrame]:
        """The checked chain, tape and spot path this source computes from.

        The chain's IVs are on :attr:`iv_clock`; the tape is in time order with the rows the
        engine does not use left out (counted in :attr:`quality`).
        """
        return self._inputs

    def at(self, now: str | dt.datetime | pd.Timestamp) -> Local:
        """Return this source with its clock frozen at ``now``, sharing the computed session.

        The session is computed once (here, if it was not yet); every source returned by
        ``at`` answers from that same state, so stepping through a day costs no
        recomputation.

        Parameters
        ----------
        now : str, datetime or Timestamp
            ``"12:30"`` is 12:30 ET on the session date; a full timestamp is taken as given
            (naive = ET).

        Returns
        -------
        Local
            A new source; this one (and its clock) is unchanged.
        """
        return self._with_clock(SessionClock(self.date, now=now))

    def _with_clock(self, clock: SessionClock) -> Local:
        self.state  # noqa: B018 - computed once, then shared by every copy
        other = copy.copy(self)
        other.clock = clock
        return other

    @property
    def symbols(self) -> tuple[str]:
        """The symbols this source holds: its one symbol."""
        return (self.symbol,)

    def report(self) -> pd.DataFrame:
        """Count the input the engine did not use as given, by reason.

        :attr:`quality` once the session is computed (computed here if it was not yet): a
        ``used`` row, then one row per reason that occurred, among them:

        - ``spot_not_finite`` (prices): NaN or infinite spot prices, skipped, so the last
          finite price before each gap carries forward (a :class:`~flowframe.FlowframeWarning`
          also says so when the session is computed);
        - ``before_first_spot`` (samples): 30 s samples ending before the spot path's first
          price, which read that first price;
        - and what :attr:`quality` counted when the source was built (prints used, and not
          used by reason).

        Returns
        -------
        pandas.DataFrame
            Columns ``input``, ``reason``, ``count`` (int64), ``unit``, ``action``.
        """
        self.state  # noqa: B018 - the engine's counts need the computed session
        return self.quality

    @property
    def quota(self) -> None:
        """Local sources have no quota."""
        return None

    def _now(self) -> pd.Timestamp:
        return self.clock.now()

    def _window(self, now: pd.Timestamp, minutes: int) -> tuple[int, int]:
        """First and end (exclusive) sample of ``[now - minutes, now)``."""
        state = self.state
        done = state.completed(now)
        start = (now - pd.Timedelta(minutes=minutes) - state.open).total_seconds()
        first = int(min(max(math.ceil(start / SAMPLE_SECONDS), 0), state.n_samples))
        return first, max(first, done)

    def why_empty(self, symbol: str | None = None, minutes: int | None = None) -> str | None:
        """Say why the clock leaves a window with no bars (None when it does not).

        The loaders call this when an answer has no bars and add the reason to a
        :class:`~flowframe.FlowframeWarning`, so a clock set before the open, on another day,
        or a window that ends before the open reads as such instead of an empty frame.

        Parameters
        ----------
        symbol : str, optional
            The symbol asked for (a symbol the source does not hold is the loaders' own
            warning; this one is about the clock).
        minutes : int, optional
            The request's window, ``[now - minutes, now)``.
        """
        now = self._now()
        when = f"the clock reads {now.tz_convert(ET):%Y-%m-%d %H:%M:%S} ET"
        if not self.has_session:
            if self.date.weekday() < 5:  # a weekday without a session: an exchange holiday
                name = holiday_name(self.date)
                what = f"a holiday ({name})" if name else "an exchange holiday"
                return f"{self.date:%Y-%m-%d} ({self.date:%A}) is {what}, a day without a session"
            return f"{self.date:%Y-%m-%d} is a {self.date:%A}, a day without a session"
        if now.tz_convert(ET).date() != self.date:
            return (
                f"{when}, but this source's session is {self.date:%Y-%m-%d}; pass now= to "
                "ff.Local (e.g. now='14:45' or '4pm') or use .at(...)"
            )
        if now < self.clock.open:
            return f"{when}, before the 09:30 ET open: no bar has completed yet"
        if self.state.completed(now) == 0:
            return f"{when}: the first 30 s sample of the session has not completed yet"
        if minutes is not None:
            start = now - pd.Timedelta(minutes=minutes)
            if start >= self.clock.close:
                early = early_close(self.date)
                close = f"{early:%H:%M} ET early close" if early else "16:00 ET close"
                return f"{when}; the {minutes}-minute window starts after the {close}"
        return None

    def _market_open(self, now: pd.Timestamp) -> bool:
        return (
            self.has_session
            and self.clock.date == self.date
            and self.clock.open <= now < self.clock.close
        )

    def _buckets(self, first: int, end: int, per: int) -> tuple[np.ndarray, np.ndarray]:
        """Bucket index and last completed sample of each bucket touching ``[first, end)``."""
        if end <= first:
            empty = np.array([], dtype=np.int64)
            return empty, empty
        buckets = np.arange(first // per, (end - 1) // per + 1)
        last = np.minimum((buckets + 1) * per - 1, end - 1)
        return buckets, last

    def _bar_window(self, now: pd.Timestamp, req: _params.Request) -> tuple[np.ndarray, np.ndarray]:
        """Start sample and last completed sample of each ``bar`` touching the window."""
        first, end = self._window(now, int(req.params["minutes"]))
        per = BAR_SECONDS[req.params["bar"]] // SAMPLE_SECONDS
        buckets, last = self._buckets(first, end, per)
        return buckets * per, last

    def _labels(self, seconds: np.ndarray) -> list[str]:
        """Wire times of ``seconds`` after the open (bar labels)."""
        return iso_z_many(self.state.open + pd.to_timedelta(seconds, unit="s"))

    def _head(self, symbol: str, now: pd.Timestamp) -> Payload:
        return {"symbol": symbol, "expiration": self.expiration, "as_of": iso_z(now)}

    # ------------------------------------------------------------------ endpoints

    def _get(self, request: _params.Request) -> Payload:
        """Answer a validated request at the clock's now (every ``get_*`` method comes here)."""
        answer: Callable[[_params.Request, pd.Timestamp], Payload] = {
            "snapshot": self._snapshot,
            "series": self._series,
            "hedge-flow": self._hedge_flow,
            "heatmap": self._heatmap,
            "strike-flow": self._strike_flow,
            "leaderboard": self._leaderboard,
        }[request.endpoint]
        now = self._now()
        body = answer(request, now)
        if not body.get("session_closed"):  # the degraded bodies keep their documented shape
            body.update(envelope(request.symbol, self.date, now))
        return body

    def _hedge_flow(self, req: _params.Request, now: pd.Timestamp) -> Payload:
        """``hedge-flow``: signed dealer delta-dollars per bar and since the open."""
        body = {**self._head(str(req.symbol), now), "side": req.params["side"]}
        body["bar_size"] = req.params["bar"]
        body["bars"] = []
        if req.symbol != self.symbol:
            return body
        state = self.state
        start, last = self._bar_window(now, req)
        flow = {"calls": state.hf_calls, "puts": state.hf_puts}.get(
            req.params["side"], state.hf_all
        )
        cum = np.cumsum(flow)
        before = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
        bars = cum[last] - before
        times = self._labels(start * SAMPLE_SECONDS)
        body["bars"] = [
            {"t": t, "bar": b, "cumulative": c}
            for t, b, c in zip(times, bars.tolist(), cum[last].tolist(), strict=True)
        ]
        return body

    def _series(self, req: _params.Request, now: pd.Timestamp) -> Payload:
        """``series``: the session's regime metrics, one row per bar."""
        body = {**self._head(str(req.symbol), now), "bar_size": req.params["bar"], "bars": []}
        if req.symbol != self.symbol:
            return body
        s = self.state
        start, last = self._bar_window(now, req)
        times = self._labels(start * SAMPLE_SECONDS)
        call_cum = np.cumsum(s.hf_calls)
        put_cum = np.cumsum(s.hf_puts)
        all_cum = np.cumsum(s.hf_all)
        fields: dict[str, list[Any]] = {
            "spot": json_numbers(s.spot[last]),
            "net_gex": json_numbers(s.net_gex[last]),
            "net_dex": json_numbers(s.net_dex[last]),
            "gamma_flip": json_numbers(np.round(s.gamma_flip[last], 2)),
            "gamma_flip_status": [s.gamma_flip_status[i] for i in last],
            "call_wall": json_numbers(s.call_wall[last]),
            "put_wall": json_numbers(s.put_wall[last]),
            "magnet": json_numbers(s.magnet[last]),
            "pin_score": json_numbers(s.pin_score[last]),
            "pin_probability_pct": json_numbers(np.round(s.pin_probability_pct[last], 2)),
            "regime": [s.regime[i] for i in last],
            "atm_iv": json_numbers(np.round(s.atm_iv[last], 6)),
            "charm_dollars_per_hour": json_numbers(s.net_chex[last]),
            "hedge_flow_call_cumulative": json_numbers(call_cum[last]),
            "hedge_flow_put_cumulative": json_numbers(put_cum[last]),
            "hedge_flow_cumulative_all": json_numbers(all_cum[last]),
        }
        body["bars"] = [
            {"t": t, **{k: v[i] for k, v in fields.items()}} for i, t in enumerate(times)
        ]
        return body

    def _minutes(self, now: pd.Timestamp, minutes: int) -> np.ndarray:
        """Complete minutes inside the window."""
        first, end = self._window(now, minutes)
        lo = math.ceil(first / 2)
        hi = end // 2
        return np.arange(lo, max(lo, hi))

    def _grid_body(self, req: _params.Request, now: pd.Timestamp) -> tuple[Payload, np.ndarray]:
        """Return the fields heatmap and strike-flow share, and the window's complete minutes.

        ``bars`` is still empty; a symbol this source does not hold gets no minutes.
        """
        symbol = str(req.symbol)
        if symbol != self.symbol:
            mins, done = np.array([], dtype=int), 0
        else:
            mins, done = self._minutes(now, int(req.params["minutes"])), self.state.completed(now)
        body = {
            "symbol": symbol,
            "underlying_price": json_number(self.state.spot[done - 1]) if done else None,
            "expiration": self.expiration,
            "bar_size": "1m",
            "as_of": iso_z(now),
            "tier_used": "raw",
            "strikes_grid": self.state.strikes.tolist() if len(mins) else [],
            "bars": [],
            "gap_intervals": [],
        }
        return body, mins

    def _minute_bars(self, mins: np.ndarray) -> list[Payload]:
        """``t`` and ``spot`` (at the minute's end) of each minute, to complete per endpoint."""
        spots = json_numbers(self.state.spot[mins * 2 + 1])
        return [
            {"t": t, "spot": spot} for t, spot in zip(self._labels(mins * 60), spots, strict=True)
        ]

    def _heatmap(self, req: _params.Request, now: pd.Timestamp) -> Payload:
        """``heatmap``: one metric by strike and minute (raw level or change)."""
        metric_, mode_ = req.params["metric"], req.params["mode"]
        body, mins = self._grid_body(req, now)
        body["metric"], body["mode"] = metric_, mode_
        if not len(mins):
            return body
        values = self.heatmap_values(metric_, mins)
        if mode_ == "delta" and metric_ != "signed_flow":
            values = np.vstack([values[:1], np.diff(values, axis=0)])
        body["bars"] = [
            {**bar, "values": json_numbers(row)}
            for bar, row in zip(self._minute_bars(mins), values, strict=True)
        ]
        return body

    def heatmap_values(self, metric: str, minutes: np.ndarray) -> np.ndarray:
        """Raw (minutes x strikes) values of one metric at the end of each minute."""
        s = self.state
        last = minutes * 2 + 1
        table: dict[str, Callable[[], np.ndarray]] = {
            "gex": lambda: s.strike_gex[last],
            "dex": lambda: s.strike_dex[last],
            "vex": lambda: s.strike_vex[last],
            "chex": lambda: s.strike_chex[last],
            "oi": lambda: s.strike_oi[last],
            "signed_flow": lambda: s.strike_delta_dollars[minutes],
        }
        return table[metric]()

    def _strike_flow(self, req: _params.Request, now: pd.Timestamp) -> Payload:
        """``strike-flow``: signed aggressor flow by strike, per minute."""
        body, mins = self._grid_body(req, now)
        if not len(mins):
            return body
        s = self.state
        body["bars"] = [
            {
                **bar,
                "signed_delta_dollars": s.strike_delta_dollars[m].tolist(),
                "signed_gamma_dollars": s.strike_gamma_dollars[m].tolist(),
                "contracts": s.strike_contracts[m].tolist(),
            }
            for bar, m in zip(self._minute_bars(mins), mins.tolist(), strict=True)
        ]
        return body

    def leaderboard_values(self, now: pd.Timestamp) -> dict[str, float | None]:
        """Compute the symbol's leaderboard metrics at ``now`` (see the README's conventions)."""
        s = self.state
        done = s.completed(now)
        if done == 0:
            return dict.fromkeys(("heat", "pin_risk", "abs_flow", "charm_intensity"))
        i = done - 1
        window = s.hf_all[max(0, done - 60) : done].sum()  # the last 30 minutes
        gex = abs(s.net_gex[i])
        eps = 1.0
        return {
            "heat": float(abs(window) / max(gex, eps)),
            "pin_risk": float(s.pin_score[i]),
            "abs_flow": float(np.abs(np.cumsum(s.hf_calls)[i]) + np.abs(np.cumsum(s.hf_puts)[i])),
            "charm_intensity": float(abs(s.net_chex[i]) / max(gex, eps)),
        }

    def _leaderboard(self, req: _params.Request, now: pd.Timestamp) -> Payload:
        """``leaderboard``: one entry, this source's symbol."""
        value = self.leaderboard_values(now)[req.params["metric"]] if self.has_session else None
        return leaderboard_body(req, now, [(self.symbol, value)], self._market_open(now))

    def _snapshot(self, req: _params.Request, now: pd.Timestamp) -> Payload:
        """``snapshot``: the live regime body, or the degraded body outside the session."""
        if req.symbol != self.symbol:
            raise symbol_not_found(str(req.symbol))
        if not self._market_open(now):
            after = self.has_session and now >= self.clock.close
            last = self.date if after else latest_session_day(self.date - dt.timedelta(days=1))
            return {
                "symbol": self.symbol,
                "session_closed": True,
                "last_session": last.isoformat(),
                "message": f"Market closed. Last session: {last.isoformat()}.",
            }
        return snapshot_body(self.state, now)


def leaderboard_body(
    req: _params.Request,
    now: pd.Timestamp,
    values: Iterable[tuple[str, float | None]],
    market_open: bool,
) -> Payload:
    """Return the ``leaderboard`` body ranking ``(symbol, value)`` pairs by the request's metric.

    Highest first, ties by symbol; a None value (no completed sample) is left out; the first
    ``n``. Every engine source ranks here: ``ff.Local`` (one symbol), ``ff.Simulated`` and an
    ensemble's variant over several symbols.
    """
    rows = sorted(((v, s) for s, v in values if v is not None), key=lambda r: (-r[0], r[1]))
    limit = int(req.params["n"])
    return {
        "metric": req.params["metric"],
        "n": limit,
        "as_of": iso_z(now),
        "market_open": market_open,
        "entries": [
            {"rank": i + 1, "symbol": sym, "value": value}
            for i, (value, sym) in enumerate(rows[:limit])
        ],
    }


def _resolve_iv_clock(chain: object, iv_clock: object) -> IvClock:
    """Return the clock of the chain's IVs: ``iv_clock``, else its ``attrs``, else calendar.

    Warns (:class:`~flowframe.errors.FlowframeWarning`, at the caller of ``Local``) when an
    explicit ``iv_clock`` differs from the chain's ``attrs["iv_clock"]``; raises
    ``ValueError`` for a value that names no clock, given or in ``attrs``.
    """
    attrs = getattr(chain, "attrs", None)
    tagged = attrs.get(IV_CLOCK_ATTR) if isinstance(attrs, dict) else None
    if tagged is not None:
        tagged = check_iv_clock(tagged, name=f"chain.attrs[{IV_CLOCK_ATTR!r}]")
    if iv_clock is None:
        return tagged if tagged is not None else "calendar"
    given = check_iv_clock(iv_clock)
    if tagged is not None and given != tagged:
        warnings.warn(
            f"iv_clock={given!r} contradicts the chain's attrs[{IV_CLOCK_ATTR!r}]={tagged!r}; "
            f"its IVs are read on the {given} clock, as asked (leave iv_clock=None to follow "
            "the chain)",
            FlowframeWarning,
            stacklevel=3,
        )
    return given
