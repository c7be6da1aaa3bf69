"""Illustrative payloads with the hosted API's exact shapes, for tests, benchmarks and demos.

:class:`SampleSource` is a source (the six ``get_*`` methods) over a seeded random session:
random-walk spot, random per-bar hedge-flow legs, smooth per-strike profiles. It is **not a
market model** (that is the local engine's job): its numbers mean nothing, but its bodies keep
every identity the API documents (``cumulative`` is the running sum of ``bar``; ``all`` is
``calls + puts``; heatmap ``delta`` is the difference of ``raw``; series cumulatives equal
hedge-flow's; coarser bars sum the increments and keep the last cumulative), so code written
against it works unchanged on a real source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from flowframe import _params
from flowframe._constants import BAR_SECONDS, ET, LEADERBOARD_METRICS
from flowframe._session import SESSION_MINUTES, session_bounds
from flowframe._wire import iso_z, iso_z_many
from flowframe.sources.endpoints import EndpointMethods, Payload

__all__ = ["SampleSource"]

_SESSION_BARS = SESSION_MINUTES * 2  # 780: 6.5 h of 30 s samples (a regular session)


class SampleSource(EndpointMethods[Payload]):
    """A seeded source of illustrative payloads (not a market model).

    Parameters
    ----------
    seed : int, default 0
        The same seed gives the same payloads.
    date : str, default "2026-06-05"
        The session date (ET).
    now : str, optional
        ET clock time the session has reached (``"14:45"``); the close when omitted.
    n_strikes : int, default 61
        Width of the strike grid.
    spot : float, default 590.0
        Opening spot.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        date: str = "2026-06-05",
        now: str | None = None,
        n_strikes: int = 61,
        spot: float = 590.0,
    ):
        rng = np.random.default_rng(seed)
        self.seed = seed
        self.date = date
        # the exchange calendar's session: 780 samples, 420 on a 13:00 early close
        self.open, self.close = session_bounds(dt.date.fromisoformat(str(date)))
        n_bars = int((self.close - self.open).total_seconds()) // 30
        self.now = pd.Timestamp(f"{date} {now}", tz=ET).tz_convert("UTC") if now else self.close
        self.times = self.open + pd.to_timedelta(np.arange(1, n_bars + 1) * 30, unit="s")
        steps = rng.standard_t(4, n_bars) * spot * 0.00035
        self.spot = np.round(spot + np.cumsum(steps), 2)
        scale = 2.0e6
        self.calls = np.round(rng.standard_t(3, n_bars) * scale, 0)
        self.puts = np.round(-np.abs(rng.standard_t(3, n_bars)) * scale * 0.6, 0)
        self.strikes = np.round(spot) + np.arange(n_strikes) - n_strikes // 2
        self._profile = rng.normal(0, 1, (4, n_strikes))
        self._rng_seed = seed

    # -------------------------------------------------------------- helpers

    def _window(self, minutes: int, bar: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """For each bucket in the window: its last 30 s sample, its first sample, its label."""
        visible = self.times <= self.now
        start = self.now - pd.Timedelta(minutes=minutes)
        positions = np.flatnonzero(visible & (self.times > start))
        if positions.size == 0:
            empty = np.array([], dtype=int)
            return empty, empty, []
        per_bucket = BAR_SECONDS[bar] // 30
        bucket = positions // per_bucket  # the sample stamped 09:30:30 closes bucket 0
        last = np.flatnonzero(np.r_[bucket[1:] != bucket[:-1], True])
        labels = self.open + pd.to_timedelta(bucket[last] * BAR_SECONDS[bar], unit="s")
        return positions[last], bucket[last] * per_bucket, iso_z_many(labels)

    def _as_of(self) -> str:
        return iso_z(min(self.now, self.close))

    def _head(self, symbol: str) -> dict[str, Any]:
        return {"symbol": symbol, "expiration": self.date, "as_of": self._as_of()}

    def _grid_body(
        self, symbol: str, positions: np.ndarray, bars: list[dict[str, Any]], **extra: str
    ) -> dict[str, Any]:
        """Wrap the ``bars`` of a heatmap (``extra``: metric and mode) or strike-flow body."""
        return {
            "symbol": symbol,
            "underlying_price": float(self.spot[positions[-1]]) if len(positions) else None,
            "expiration": self.date,
            **extra,
            "bar_size": "1m",
            "as_of": self._as_of(),
            "tier_used": "raw",
            "strikes_grid": self.strikes.tolist() if len(positions) else [],
            "bars": bars,
            "gap_intervals": [],
        }

    def _flow(self, side: str) -> np.ndarray:
        if side == "calls":
            return self.calls
        if side == "puts":
            return self.puts
        return self.calls + self.puts

    # -------------------------------------------------------------- endpoints

    def _get(self, request: _params.Request) -> Payload:
        """Answer a validated request (every ``get_*`` method comes here)."""
        answer: Callable[[_params.Request], Payload] = {
            "snapshot": self._snapshot,
            "series": self._series,
            "hedge-flow": self._hedge_flow,
            "heatmap": self._heatmap,
            "strike-flow": self._strike_flow,
            "leaderboard": self._leaderboard,
        }[request.endpoint]
        return answer(request)

    def _hedge_flow(self, req: _params.Request) -> Payload:
        """Illustrative ``hedge-flow`` body."""
        positions, firsts, labels = self._window(int(req.params["minutes"]), req.params["bar"])
        cumulative = np.cumsum(self._flow(req.params["side"]))
        cum = cumulative[positions]
        # the bucket's increment: everything since the previous bucket closed
        increments = cum - np.where(firsts > 0, cumulative[np.maximum(firsts - 1, 0)], 0.0)
        return {
            **self._head(str(req.symbol)),
            "side": req.params["side"],
            "bar_size": req.params["bar"],
            "bars": [
                {"t": t, "bar": float(b), "cumulative": float(c)}
                for t, b, c in zip(labels, increments, cum, strict=True)
            ],
        }

    def _series(self, req: _params.Request) -> Payload:
        """Illustrative ``series`` body (pin_probability_pct as a percentage)."""
        positions, _, labels = self._window(int(req.params["minutes"]), req.params["bar"])
        call_cum = np.cumsum(self.calls)
        put_cum = np.cumsum(self.puts)
        bars = []
        for t, pos in zip(labels, positions, strict=True):
            p = int(pos)
            s = float(self.spot[p])
            net_gex = 1.5e9 * np.sin(p / 120.0) + 3.0e8
            frac = (p + 1) / _SESSION_BARS
            bars.append(
                {
                    "t": t,
                    "spot": s,
                    "net_gex": float(net_gex),
                    "net_dex": float(4.8e10 + 1e9 * np.cos(p / 90.0)),
                    "gamma_flip": round(s - 2.0 * float(np.sign(net_gex)), 2),
                    "gamma_flip_status": "ok",
                    "call_wall": float(np.ceil(s / 5) * 5 + 5),
                    "put_wall": float(np.floor(s / 5) * 5 - 5),
                    "magnet": float(round(s)),
                    "pin_score": float(round(40 + 45 * frac)),
                    "pin_probability_pct": round(5 + 55 * frac, 1),
                    "regime": "positive_gamma" if net_gex > 0 else "negative_gamma",
                    "atm_iv": round(0.12 + 0.02 * float(np.cos(p / 200.0)), 4),
                    "charm_dollars_per_hour": float(-3.0e6 * (1 + frac)),
                    "hedge_flow_call_cumulative": float(call_cum[p]),
                    "hedge_flow_put_cumulative": float(put_cum[p]),
                    "hedge_flow_cumulative_all": float(call_cum[p] + put_cum[p]),
                }
            )
        return {**self._head(str(req.symbol)), "bar_size": req.params["bar"], "bars": bars}

    def _grid_values(self, metric: str, positions: np.ndarray) -> np.ndarray:
        k = self.strikes
        s = self.spot[positions][:, None]
        shape = np.exp(-0.5 * ((k[None, :] - s) / 4.0) ** 2)
        level = {"gex": 8e8, "dex": 2e9, "vex": -3e8, "chex": 9e7, "oi": 4e4, "signed_flow": 1e6}
        wobble = 1 + 0.3 * np.sin(positions[:, None] / 60.0 + self._profile[0][None, :])
        values = level[metric] * shape * wobble
        if metric in ("gex", "dex"):
            values *= np.sign(k[None, :] - s + 0.5)
        if metric == "signed_flow":
            values *= np.sin(positions[:, None] / 7.0 + self._profile[1][None, :])
        if metric == "oi":
            values = np.round(values)
        rounded: np.ndarray = np.round(values, 2)
        return rounded

    def _grid_window(self, minutes: int) -> tuple[np.ndarray, list[str]]:
        positions, _, labels = self._window(minutes, "1m")
        return positions, labels

    def _heatmap(self, req: _params.Request) -> Payload:
        """Illustrative ``heatmap`` body (``delta`` is the difference of ``raw``)."""
        positions, labels = self._grid_window(int(req.params["minutes"]))
        values = self._grid_values(req.params["metric"], positions)
        if req.params["mode"] == "delta" and len(values) and req.params["metric"] != "signed_flow":
            values = np.vstack([values[:1], np.diff(values, axis=0)])
        bars = [
            {"t": t, "spot": float(self.spot[p]), "values": row.tolist()}
            for t, p, row in zip(labels, positions, values, strict=True)
        ]
        return self._grid_body(
            str(req.symbol), positions, bars, metric=req.params["metric"], mode=req.params["mode"]
        )

    def _strike_flow(self, req: _params.Request) -> Payload:
        """Illustrative ``strike-flow`` body."""
        positions, labels = self._grid_window(int(req.params["minutes"]))
        flow = self._grid_values("signed_flow", positions)
        gamma = np.abs(flow) * 0.08
        contracts = np.round(np.abs(flow) / 500.0)
        bars = [
            {
                "t": t,
                "spot": float(self.spot[p]),
                "signed_delta_dollars": f.tolist(),
                "signed_gamma_dollars": g.tolist(),
                "contracts": c.tolist(),
            }
            for t, p, f, g, c in zip(labels, positions, flow, gamma, contracts, strict=True)
        ]
        return self._grid_body(str(req.symbol), positions, bars)

    def _leaderboard(self, req: _params.Request) -> Payload:
        """Illustrative ``leaderboard`` body."""
        names = ["SPY", "SPX", "QQQ", "IWM", "TSLA", "NVDA", "AAPL", "AMZN"]
        rng = np.random.default_rng(
            self._rng_seed + LEADERBOARD_METRICS.index(req.params["metric"])
        )
        values = np.round(rng.gamma(2.0, 3.0, len(names)), 2)
        order = np.argsort(-values, kind="stable")[: int(req.params["n"])]
        return {
            "metric": req.params["metric"],
            "n": int(req.params["n"]),
            "as_of": self._as_of(),
            "market_open": bool(self.open <= self.now < self.close),
            "entries": [
                {"rank": i + 1, "symbol": names[j], "value": float(values[j])}
                for i, j in enumerate(order)
            ],
        }

    def _snapshot(self, req: _params.Request) -> Payload:
        """Illustrative ``snapshot`` body (the live shape, with the decision blocks)."""
        p = max(int(self.times.searchsorted(self.now, side="right")) - 1, 0)
        s = float(self.spot[p])
        magnet = float(round(s))
        frac = (p + 1) / _SESSION_BARS
        pin_prob = round(0.05 + 0.55 * frac, 3)
        sigma = round(s * 0.12 * float(np.sqrt(max(1 - frac, 1e-3) / 252)), 2)
        call_cum = float(np.cumsum(self.calls)[p])
        put_cum = float(np.cumsum(self.puts)[p])
        return {
            "symbol": req.symbol,
            "underlying_price": s,
            "expiration": self.date,
            "as_of": self._as_of(),
            "market_open": True,
            "regime": {"label": "positive_gamma", "gamma_flip": round(s - 2.0, 2)},
            "exposures": {"net_gex": 1.8e9, "net_dex": 4.8e10},
            "pin_risk": {"magnet_strike": magnet, "pin_score": round(40 + 45 * frac)},
            "levels": {
                "call_wall": float(np.ceil(s / 5) * 5 + 5),
                "put_wall": float(np.floor(s / 5) * 5 - 5),
            },
            "flow_direction": {
                "label": "dampening" if call_cum + put_cum < 0 else "amplifying",
                "settled_net_gex": 1.6e9,
                "live_net_gex": 1.8e9,
                "flow_gex_adjustment": 2.0e8,
                "flow_gex_pct_shift": 0.125,
                "contracts_with_flow": 412,
                "total_abs_delta_contracts": 18432,
                "description": "Illustrative sample: flow shifted dealer GEX by 12.5%.",
            },
            "headline": {
                "narrative": f"Pinning toward {magnet:.2f} (positive_gamma). Illustrative sample.",
                "trade_angle": "pin",
                "severity": "watch",
                "promoted": {
                    "magnet": magnet,
                    "pin_score": round(40 + 45 * frac),
                    "pin_probability_pct": pin_prob,
                    "regime": "positive_gamma",
                },
            },
            "setup": {
                "primary": {
                    "display_name": "Iron Fly",
                    "confidence": "medium",
                    "conditions_met": ["regime = positive_gamma"],
                    "conditions_failed": ["pin_score > 65"],
                    "strikes_hint": {
                        "short_call_strike": magnet,
                        "short_put_strike": magnet,
                        "long_call_strike": magnet + 3,
                        "long_put_strike": magnet - 3,
                    },
                    "thesis": "Illustrative sample setup.",
                },
                "alternatives": [],
                "anti_setups": [
                    {"display_name": "Long Premium / Lotto", "thesis": "Illustrative sample."}
                ],
            },
            "probabilities": {
                "pin": {"value": pin_prob, "calibration_method": "sample"},
                "range_1sigma": {
                    "value": 0.6827,
                    "low": round(s - sigma, 2),
                    "high": round(s + sigma, 2),
                },
                "range_2sigma": {
                    "value": 0.9545,
                    "low": round(s - 2 * sigma, 2),
                    "high": round(s + 2 * sigma, 2),
                },
            },
            "strikes": [
                {
                    "strike": float(k),
                    "call_oi": 1000 + 10 * i,
                    "put_oi": 1200 - 5 * i,
                    "net_gex": float(v),
                }
                for i, (k, v) in enumerate(
                    zip(self.strikes, self._grid_values("gex", np.array([p]))[0], strict=True)
                )
            ],
        }
