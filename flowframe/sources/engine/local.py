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
- Outside the session (before 09:30, after 16:00 as the window empties, or on another day)
  the bodies degrade as the hosted API's do: empty ``bars``; the snapshot answers
  ``session_closed``; a symbol the source does not hold gets empty bars, and a 404
  ``symbol_not_found`` from the snapshot.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from flowframe import _params
from flowframe._constants import BAR_SECONDS
from flowframe._session import latest_weekday
from flowframe.errors import NotFoundError
from flowframe.sources.engine.clock import SessionClock
from flowframe.sources.engine.core import N_SAMPLES, EngineConfig, SessionState, compute_session
from flowframe.sources.engine.decision.body import snapshot_body
from flowframe.sources.engine.schemas import SAMPLE_SECONDS

__all__ = ["Local"]

Payload = dict[str, Any]


def _iso(ts: pd.Timestamp) -> str:
    return ts.tz_convert("UTC").isoformat().replace("+00:00", "Z")


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


def _nums(values: np.ndarray) -> list[float | None]:
    out: list[float | None] = values.astype(np.float64).tolist()
    if not np.isfinite(values).all():
        out = [v if v is not None and math.isfinite(v) else None for v in out]
    return out


class Local:
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
        Freeze the session clock (``now="14:45"``, ET) or run it from the open at ``speed``
        times real time; real time when neither is given. See :class:`SessionClock`.
    config : EngineConfig, optional
        The engine's switchable choices (OI weight, dealer prior, flip sweep).
    clock : SessionClock, optional
        A clock to share with other sources (overrides ``now``/``speed``).

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
    ):
        self.symbol = _params.validate_symbol(symbol)
        exp = _params.validate_expiry(expiration)
        if exp is None:
            raise ValueError("expiration is required: the 0DTE expiry (and session) date")
        self.expiration = exp
        self.date = dt.date.fromisoformat(exp)
        self.has_session = self.date.weekday() < 5  # weekends have none (holidays not modelled)
        self.clock = clock or SessionClock(self.date, now=now, speed=speed)
        self._inputs: tuple[pd.DataFrame, pd.DataFrame, pd.Series | pd.DataFrame] | None = (
            chain,
            tape,
            spot,
        )
        self._config = config or EngineConfig()
        self._state: SessionState | None = None
        self.name = f"Local({self.symbol} {self.expiration})"

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> SessionState:
        """The computed session (computed on first use, then kept)."""
        if self._state is None:
            assert self._inputs is not None
            chain, tape, spot = self._inputs
            self._state = compute_session(
                chain,
                tape,
                spot,
                symbol=self.symbol,
                expiration=self.expiration,
                config=self._config,
            )
            self._inputs = None  # the state holds what is needed
        return self._state

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
    def quota(self) -> None:
        """Local sources have no quota."""
        return None

    def _now(self) -> pd.Timestamp:
        return self.clock.now()

    def _completed(self, now: pd.Timestamp) -> int:
        """Count the samples that have ended by ``now`` (0..780)."""
        if not self.has_session:
            return 0
        open_ = self.clock.open if self.clock.date == self.date else self.state.open
        elapsed = (now - open_).total_seconds()
        return int(min(max(elapsed // SAMPLE_SECONDS, 0), N_SAMPLES))

    def _window(self, now: pd.Timestamp, minutes: int) -> tuple[int, int]:
        """First and end (exclusive) sample of ``[now - minutes, now)``."""
        state = self.state
        done = self._completed(now)
        start = (now - pd.Timedelta(minutes=minutes) - state.open).total_seconds()
        first = int(min(max(math.ceil(start / SAMPLE_SECONDS), 0), N_SAMPLES))
        return first, max(first, done)

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

    def _head(self, symbol: str, now: pd.Timestamp) -> Payload:
        return {"symbol": symbol, "expiration": self.expiration, "as_of": _iso(now)}

    # ------------------------------------------------------------------ endpoints

    def get_hedge_flow(
        self, symbol: str, *, side: str = "all", bar: str = "30s", minutes: int = 60
    ) -> Payload:
        """``hedge-flow``: signed dealer delta-dollars per bar and since the open."""
        req = _params.hedge_flow(symbol, side=side, bar=bar, minutes=minutes)
        now = self._now()
        body = {**self._head(str(req.symbol), now), "side": req.params["side"]}
        body["bar_size"] = req.params["bar"]
        body["bars"] = []
        if req.symbol != self.symbol:
            return body
        state = self.state
        first, end = self._window(now, int(req.params["minutes"]))
        per = BAR_SECONDS[req.params["bar"]] // SAMPLE_SECONDS
        buckets, last = self._buckets(first, end, per)
        flow = {"calls": state.hf_calls, "puts": state.hf_puts}.get(
            req.params["side"], state.hf_all
        )
        cum = np.cumsum(flow)
        start = buckets * per
        before = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
        bars = cum[last] - before
        times = state.open + pd.to_timedelta(start * SAMPLE_SECONDS, unit="s")
        body["bars"] = [
            {"t": _iso(t), "bar": b, "cumulative": c}
            for t, b, c in zip(times, bars.tolist(), cum[last].tolist(), strict=True)
        ]
        return body

    def get_series(self, symbol: str, *, bar: str = "30s", minutes: int = 60) -> Payload:
        """``series``: the session's regime metrics, one row per bar."""
        req = _params.series(symbol, bar=bar, minutes=minutes)
        now = self._now()
        body = {**self._head(str(req.symbol), now), "bar_size": req.params["bar"], "bars": []}
        if req.symbol != self.symbol:
            return body
        s = self.state
        first, end = self._window(now, int(req.params["minutes"]))
        per = BAR_SECONDS[req.params["bar"]] // SAMPLE_SECONDS
        buckets, last = self._buckets(first, end, per)
        times = s.open + pd.to_timedelta(buckets * per * SAMPLE_SECONDS, unit="s")
        call_cum = np.cumsum(s.hf_calls)
        put_cum = np.cumsum(s.hf_puts)
        all_cum = np.cumsum(s.hf_all)
        fields: dict[str, list[Any]] = {
            "spot": _nums(s.spot[last]),
            "net_gex": _nums(s.net_gex[last]),
            "net_dex": _nums(s.net_dex[last]),
            "gamma_flip": _nums(np.round(s.gamma_flip[last], 2)),
            "gamma_flip_status": [s.gamma_flip_status[i] for i in last],
            "call_wall": _nums(s.call_wall[last]),
            "put_wall": _nums(s.put_wall[last]),
            "magnet": _nums(s.magnet[last]),
            "pin_score": _nums(s.pin_score[last]),
            "pin_probability_pct": _nums(np.round(s.pin_probability_pct[last], 2)),
            "regime": [s.regime[i] for i in last],
            "atm_iv": _nums(np.round(s.atm_iv[last], 6)),
            "charm_dollars_per_hour": _nums(s.net_chex[last]),
            "hedge_flow_call_cumulative": _nums(call_cum[last]),
            "hedge_flow_put_cumulative": _nums(put_cum[last]),
            "hedge_flow_cumulative_all": _nums(all_cum[last]),
        }
        body["bars"] = [
            {"t": _iso(t), **{k: v[i] for k, v in fields.items()}} for i, t in enumerate(times)
        ]
        return body

    def _minutes(self, now: pd.Timestamp, minutes: int) -> np.ndarray:
        """Complete minutes inside the window."""
        first, end = self._window(now, minutes)
        lo = math.ceil(first / 2)
        hi = end // 2
        return np.arange(lo, max(lo, hi))

    def _grid_body(self, symbol: str, now: pd.Timestamp, mins: np.ndarray) -> Payload:
        """Build the fields heatmap and strike-flow bodies share (``bars`` still empty)."""
        mine = symbol == self.symbol
        done = self._completed(now) if mine else 0
        return {
            "symbol": symbol,
            "underlying_price": _num(self.state.spot[done - 1]) if done else None,
            "expiration": self.expiration,
            "bar_size": "1m",
            "as_of": _iso(now),
            "tier_used": "raw",
            "strikes_grid": self.state.strikes.tolist() if mine and len(mins) else [],
            "bars": [],
            "gap_intervals": [],
        }

    def get_heatmap(
        self,
        symbol: str,
        *,
        metric: str = "gex",
        mode: str = "raw",
        bar: str = "1m",
        minutes: int = 60,
    ) -> Payload:
        """``heatmap``: one metric by strike and minute (raw level or change)."""
        req = _params.heatmap(symbol, metric=metric, mode=mode, bar=bar, minutes=minutes)
        now = self._now()
        metric_, mode_ = req.params["metric"], req.params["mode"]
        mine = req.symbol == self.symbol
        mins = self._minutes(now, int(req.params["minutes"])) if mine else np.array([], dtype=int)
        body = self._grid_body(str(req.symbol), now, mins)
        body["metric"], body["mode"] = metric_, mode_
        if not len(mins):
            return body
        values = self.heatmap_values(metric_, np.asarray(mins))
        if mode_ == "delta" and metric_ != "signed_flow":
            values = np.vstack([values[:1], np.diff(values, axis=0)])
        s = self.state
        last = np.asarray(mins) * 2 + 1
        times = s.open + pd.to_timedelta(np.asarray(mins) * 60, unit="s")
        spots = _nums(s.spot[last])
        body["bars"] = [
            {"t": _iso(t), "spot": spots[i], "values": _nums(values[i])}
            for i, t in enumerate(times)
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

    def get_strike_flow(self, symbol: str, *, bar: str = "1m", minutes: int = 60) -> Payload:
        """``strike-flow``: signed aggressor flow by strike, per minute."""
        req = _params.strike_flow(symbol, bar=bar, minutes=minutes)
        now = self._now()
        mine = req.symbol == self.symbol
        mins = self._minutes(now, int(req.params["minutes"])) if mine else np.array([], dtype=int)
        body = self._grid_body(str(req.symbol), now, mins)
        if not len(mins):
            return body
        s = self.state
        times = s.open + pd.to_timedelta(mins * 60, unit="s")
        spots = _nums(s.spot[mins * 2 + 1])
        body["bars"] = [
            {
                "t": _iso(t),
                "spot": spots[i],
                "signed_delta_dollars": s.strike_delta_dollars[m].tolist(),
                "signed_gamma_dollars": s.strike_gamma_dollars[m].tolist(),
                "contracts": s.strike_contracts[m].tolist(),
            }
            for i, (t, m) in enumerate(zip(times, mins.tolist(), strict=True))
        ]
        return body

    def leaderboard_values(self, now: pd.Timestamp) -> dict[str, float | None]:
        """Compute the symbol's leaderboard metrics at ``now`` (see the README's conventions)."""
        s = self.state
        done = self._completed(now)
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

    def get_leaderboard(self, *, metric: str = "heat", n: int = 10) -> Payload:
        """``leaderboard``: one entry, this source's symbol."""
        req = _params.leaderboard(metric=metric, n=n)
        now = self._now()
        metric_ = req.params["metric"]
        value = self.leaderboard_values(now)[metric_] if self._completed(now) else None
        entries = [] if value is None else [{"rank": 1, "symbol": self.symbol, "value": value}]
        return {
            "metric": metric_,
            "n": int(req.params["n"]),
            "as_of": _iso(now),
            "market_open": self._market_open(now),
            "entries": entries[: int(req.params["n"])],
        }

    def get_snapshot(self, symbol: str, *, expiry: dt.date | str | None = None) -> Payload:
        """``snapshot``: the live regime body, or the degraded body outside the session."""
        req = _params.snapshot(symbol, expiry=expiry)
        if req.symbol != self.symbol:
            raise NotFoundError(
                f"No data for {req.symbol}.",
                status_code=404,
                code="symbol_not_found",
                body={"error": "symbol_not_found", "message": f"No data for {req.symbol}."},
            )
        now = self._now()
        if not self._market_open(now):
            after = self.has_session and now >= self.clock.close
            last = self.date if after else latest_weekday(self.date - dt.timedelta(days=1))
            return {
                "symbol": self.symbol,
                "session_closed": True,
                "last_session": last.isoformat(),
                "message": f"Market closed. Last session: {last.isoformat()}.",
            }
        return snapshot_body(self, now)
