"""Fake sources and clocks for the live tests (the fake HTTP server is ``tests/fakeapi.py``).

Every fake answers the six endpoints as a source does, so a Poller or a Dashboard takes it
as it would take the hosted client:

- :class:`Proxy` forwards to a real source and logs each call; :class:`Faulty` (a seeded share
  of calls fails, from a menu of faults) and :class:`Raising` (one chosen exception) build on
  it.
- :class:`Replay` answers each distinct request once from the engine, then from memory.
- :class:`NoHeatmap` is a key whose plan lacks the heatmap (403).
- :class:`Scripted` is a hand-written session: the test sets the bars, snapshot and time.
- :class:`Wall` is the real-time clock a running :class:`~flowframe.SessionClock` reads,
  moved by hand: :func:`running_sim` and :func:`running_source` build sessions on one.

And what the live tests read off the widgets: :func:`tick_of`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import xarray as xr

import flowframe as ff
from flowframe._wire import iso_z
from flowframe.frames import heatmap_from_payload, series_from_payload
from flowframe.live import Dashboard, Poller, StatusLine

DATE = "2026-09-18"
DAY = dt.date(2026, 9, 18)
SYMBOLS = ("SPY", "QQQ", "TSLA")  # a small universe: fewer markets to simulate


# --------------------------------------------------------------------------- clocks


class Wall:
    """The real-time seconds a running SessionClock reads (tests move it by hand)."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def running_sim(start: str, speed: float) -> tuple[ff.Simulated, Wall]:
    """A one-symbol Simulated on a running clock whose wall time the test moves."""
    wall = Wall()
    clock = ff.SessionClock(DAY, speed=speed, start=start, wall=wall)
    sim = ff.Simulated(seed=3, date=DATE, scale=0.02, symbols=("SPY",), clock=clock)
    return sim, wall


def running_source(wall: Wall, start: str = "10:30", **kwargs: Any) -> ff.Simulated:
    """A simulated session whose clock runs at 60x from ``start``: 1 s of wall = 1 minute."""
    clock = ff.SessionClock(DAY, speed=60.0, start=start, wall=wall)
    return ff.Simulated(seed=3, date=DATE, clock=clock, symbols=SYMBOLS, scale=0.02, **kwargs)


def fresh_series(sim: ff.Simulated, poller: Poller) -> pd.DataFrame:
    """The whole session's series, read at once (what incremental polling must equal)."""
    payload = sim.get_series("SPY", bar="1m", minutes=390)
    return series_from_payload(payload, source=poller.status.source)


def fresh_heatmap(sim: ff.Simulated, poller: Poller, metric: str = "gex") -> xr.DataArray:
    """The whole session's heatmap, read at once."""
    payload = sim.get_heatmap("SPY", metric=metric, minutes=390)
    return heatmap_from_payload(payload, source=poller.status.source)


async def until(condition: Callable[[], bool], *, seconds: float = 10.0) -> None:
    """Wait (letting the loop run) until ``condition()`` holds, or fail."""
    for _ in range(int(seconds / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not met in time")


async def instant(_seconds: float) -> None:
    """A run loop's sleep that does not wait."""
    await asyncio.sleep(0)


# --------------------------------------------------------------------------- wrappers


class Proxy:
    """A source that forwards the six endpoints to ``inner`` and logs each call."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:  # clock, quota, name, symbols
        return getattr(self.inner, name)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls.append((method, kwargs))
        result: dict[str, Any] = getattr(self.inner, method)(*args, **kwargs)
        return result

    def minutes(self) -> dict[str, int]:
        return {m: kw["minutes"] for m, kw in self.calls if "minutes" in kw}

    def get_snapshot(self, symbol: str, *, expiry: dt.date | str | None = None) -> dict[str, Any]:
        return self._call("get_snapshot", symbol, expiry=expiry)

    def get_series(self, symbol: str, *, bar: str = "30s", minutes: int = 60) -> dict[str, Any]:
        return self._call("get_series", symbol, bar=bar, minutes=minutes)

    def get_hedge_flow(
        self, symbol: str, *, side: str = "all", bar: str = "30s", minutes: int = 60
    ) -> dict[str, Any]:
        return self._call("get_hedge_flow", symbol, side=side, bar=bar, minutes=minutes)

    def get_heatmap(
        self,
        symbol: str,
        *,
        metric: str = "gex",
        mode: str = "raw",
        bar: str = "1m",
        minutes: int = 60,
    ) -> dict[str, Any]:
        return self._call("get_heatmap", symbol, metric=metric, mode=mode, bar=bar, minutes=minutes)

    def get_strike_flow(self, symbol: str, *, bar: str = "1m", minutes: int = 60) -> dict[str, Any]:
        return self._call("get_strike_flow", symbol, bar=bar, minutes=minutes)

    def get_leaderboard(self, *, metric: str = "heat", n: int = 10) -> dict[str, Any]:
        return self._call("get_leaderboard", metric=metric, n=n)


#: A fault: an exception to raise, or a body to answer instead of the real one.
Fault = Callable[[], Exception | dict[str, Any]]

#: Faults a source raises: the poller's failures, one of each kind of error.
RAISED: dict[str, Fault] = {
    "timeout": lambda: TimeoutError("read timed out"),
    "server": lambda: ff.ServerError("upstream down", status_code=500),
    "rate_limit": lambda: ff.RateLimitError("slow down", status_code=429, retry_after=45.0),
    "schema": lambda: ff.SchemaError("series bars[3].t is not an ISO-8601 time: 'x'"),
}
#: Faults as a dashboard meets them: three raised, and a malformed body every reader rejects.
MIXED: dict[str, Fault] = {
    "timeout": lambda: TimeoutError("the source did not answer in time"),
    "server": lambda: ff.ServerError("upstream failed", status_code=500),
    "rate_limit": lambda: ff.RateLimitError("slow down", status_code=429, retry_after=2.0),
    "malformed": lambda: {"symbol": 42, "bars": "not a list", "entries": "not a list"},
}


class Faulty(Proxy):
    """A seeded share of calls fails, each in one of ``faults``' ways, in a seeded order.

    ``outcomes`` holds, per call, the exception raised (None when it answered, even with a
    malformed body); ``faults`` the kinds of fault, in order. ``enabled = False`` stops the
    faults.
    """

    def __init__(
        self, inner: Any, *, seed: int, share: float, faults: Mapping[str, Fault] = RAISED
    ) -> None:
        super().__init__(inner)
        self.rng = random.Random(seed)
        self.share = share
        self.menu = dict(faults)
        self.enabled = True
        self.outcomes: list[Exception | None] = []
        self.faults: list[str] = []

    def _call(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if self.enabled and self.rng.random() < self.share:
            kind = self.rng.choice(list(self.menu))
            self.faults.append(kind)
            fault = self.menu[kind]()
            if isinstance(fault, Exception):
                self.outcomes.append(fault)
                raise fault
            self.outcomes.append(None)
            return fault
        self.outcomes.append(None)
        return super()._call(method, *args, **kwargs)


class Raising(Proxy):
    """Raises ``exc`` from ``get_series`` while it is set (any BaseException)."""

    def __init__(self, inner: Any, exc: BaseException) -> None:
        super().__init__(inner)
        self.exc: BaseException | None = exc

    def get_series(self, symbol: str, *, bar: str = "30s", minutes: int = 60) -> dict[str, Any]:
        if self.exc is not None:
            raise self.exc
        return super().get_series(symbol, bar=bar, minutes=minutes)


class Replay:
    """A fast source: each distinct request is answered by the engine once, then replayed.

    With ``quiet_windows``, a window request (anything but the first full-session fetch) is
    answered with no bars: nothing is new on a frozen clock, and the poller's merge of an empty
    window is the cheapest answer a source can give.
    """

    def __init__(self, inner: ff.Simulated, *, quiet_windows: bool = False):
        self.inner = inner
        self.clock = inner.clock
        self.symbols = inner.symbols
        self.name = f"Replay({inner.name})"
        self.quiet_windows = quiet_windows
        self.cache: dict[Any, Any] = {}

    def _get(self, method: str, *args: Any, **kwargs: Any) -> Any:
        key = (method, args, tuple(sorted(kwargs.items())))
        if key not in self.cache:
            self.cache[key] = getattr(self.inner, method)(*args, **kwargs)
        body = self.cache[key]
        if self.quiet_windows and kwargs.get("minutes", 390) != 390:
            return {**body, "bars": []}
        return body

    def get_series(self, symbol: str, **kwargs: Any) -> Any:
        return self._get("get_series", symbol, **kwargs)

    def get_heatmap(self, symbol: str, **kwargs: Any) -> Any:
        return self._get("get_heatmap", symbol, **kwargs)

    def get_snapshot(self, symbol: str, **kwargs: Any) -> Any:
        return self._get("get_snapshot", symbol, **kwargs)

    def get_leaderboard(self, **kwargs: Any) -> Any:
        return self._get("get_leaderboard", **kwargs)

    def get_hedge_flow(self, symbol: str, **kwargs: Any) -> Any:
        return self._get("get_hedge_flow", symbol, **kwargs)

    def get_strike_flow(self, symbol: str, **kwargs: Any) -> Any:
        return self._get("get_strike_flow", symbol, **kwargs)


class NoHeatmap(Replay):
    """A key whose plan does not include the heatmap (403 on that endpoint)."""

    def get_heatmap(self, symbol: str, **kwargs: Any) -> Any:
        raise ff.TierRestrictedError(
            "heatmap needs Alpha", status_code=403, current_plan="growth", required_plan="alpha"
        )


# --------------------------------------------------------------------------- scripted


class Scripted:
    """A hand-written session: the test sets the bars, the snapshot and the time."""

    name = "Scripted"
    open = pd.Timestamp("2026-09-18 13:30Z")

    def __init__(self) -> None:
        self.now = self.open
        self.rows: list[dict[str, Any]] = []
        self.label = "amplifying"
        self.severity = "info"

    def add(self, spot: float, calls: float, puts: float) -> None:
        last = self.rows[-1] if self.rows else {"calls": 0.0, "puts": 0.0}
        t = self.open + pd.Timedelta(minutes=len(self.rows))
        row = {"t": t, "spot": spot, "calls": last["calls"] + calls, "puts": last["puts"] + puts}
        self.rows.append(row)
        self.now = t + pd.Timedelta(minutes=1)

    def _window(self, minutes: int) -> list[dict[str, Any]]:
        start = self.now - pd.Timedelta(minutes=minutes)
        return [r for r in self.rows if start <= r["t"] < self.now]

    def get_series(self, symbol: str, *, bar: str = "30s", minutes: int = 60) -> dict[str, Any]:
        bars = [
            {
                "t": iso_z(r["t"]),
                "spot": r["spot"],
                "gamma_flip": 101.0,
                "call_wall": 105.0,
                "put_wall": 95.0,
                "regime": "negative_gamma",
                "pin_probability_pct": 0.4,  # 0.4 %: small windows must not read as fractions
                "hedge_flow_call_cumulative": r["calls"],
                "hedge_flow_put_cumulative": r["puts"],
                "hedge_flow_cumulative_all": r["calls"] + r["puts"],
            }
            for r in self._window(minutes)
        ]
        if bars and bars[0]["t"] == iso_z(self.open):
            bars[0]["pin_probability_pct"] = 12.5  # the whole session says: percentages
        return {"symbol": symbol, "bar_size": bar, "as_of": iso_z(self.now), "bars": bars}

    def get_heatmap(
        self,
        symbol: str,
        *,
        metric: str = "gex",
        mode: str = "raw",
        bar: str = "1m",
        minutes: int = 60,
    ) -> dict[str, Any]:
        bars = [
            {"t": iso_z(r["t"]), "spot": r["spot"], "values": [1.0, 2.0]}
            for r in self._window(minutes)
        ]
        return {
            "symbol": symbol,
            "metric": metric,
            "mode": mode,
            "strikes_grid": [99, 100],
            "bars": bars,
        }

    def get_snapshot(self, symbol: str, *, expiry: dt.date | str | None = None) -> dict[str, Any]:
        return {
            "symbol": symbol,
            "as_of": iso_z(self.now),
            "flow_direction": {"label": self.label, "flow_gex_pct_shift": 0.12},
            "headline": {"severity": self.severity, "narrative": f"{self.severity} read"},
        }

    def get_leaderboard(self, *, metric: str = "heat", n: int = 10) -> dict[str, Any]:
        return {"metric": metric, "n": n, "entries": [{"rank": 1, "symbol": "SPY", "value": 1.0}]}

    def get_hedge_flow(
        self, symbol: str, *, side: str = "all", bar: str = "30s", minutes: int = 60
    ) -> dict[str, Any]:
        raise NotImplementedError

    def get_strike_flow(self, symbol: str, *, bar: str = "1m", minutes: int = 60) -> dict[str, Any]:
        raise NotImplementedError


# --------------------------------------------------------------------------- reading widgets

PNG = b"\x89PNG\r\n\x1a\n"
TICK = re.compile(r"<span class='ff-tick' data-tick='(\d+)'>tick (\d+)</span>")


def tick_of(shown: Dashboard | StatusLine) -> int:
    """The tick counter a dashboard's (or a lone) status line shows; it must show one."""
    line = shown.status_line if isinstance(shown, Dashboard) else shown
    found = TICK.findall(line.html.value)
    assert len(found) == 1 and found[0][0] == found[0][1]
    return int(found[0][0])
