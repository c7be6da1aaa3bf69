"""Record a session's bodies into a store: :func:`record`.

The recorder polls a source through a session and appends every body to an
:class:`~flowframe.Store` as it arrives (``store.append_bodies``: one gzip member per body,
flushed at once, the file fsynced at the end of each cycle), so :class:`~flowframe.Replay`
can answer any moment of the day later.

Two clocks
----------
- **A local source** (:class:`~flowframe.Simulated`, :class:`~flowframe.Local`,
  :class:`~flowframe.Replay`: anything with ``clock`` and ``at(now)``) is polled on its own
  session clock, at ``open, open + interval, ...`` up to ``until`` (default: the clock's
  frozen time, or the close for a running clock); each cycle asks ``source.at(t)``, so every
  body of a cycle has the same ``as_of``. A running clock paces the cycles (each waits until
  the clock reaches its time); a frozen one records as fast as the source answers.
- **Any other source** (the hosted :class:`~flowframe.FlashAlpha`) is polled on the wall
  clock from now to the close, at the interval the poller's quota planner
  (:func:`~flowframe.live.cadence.plan_interval`) chooses so the session fits the key's daily
  quota, never faster than ``interval``. One cycle is polled after the close, for the final
  bars. A 403 ``tier_restricted`` records the body once and drops that endpoint for the rest
  of the run; a 429 or a connection failure ends the cycle and backs off (2 to 300 s, a
  ``Retry-After`` honoured); a 400 or 404 body is recorded with its status.

What one cycle asks
-------------------
Per symbol: ``snapshot``; ``series`` and ``hedge-flow`` (each of ``hedge_sides``) at 30 s
bars, the finest, from which Replay derives every coarser bar; ``heatmap`` (``mode="raw"``,
each of ``metrics``; Replay derives ``mode="delta"``) and ``strike-flow``; and once per cycle
the ``leaderboard`` (each of ``leaderboard_metrics``, ``n=100``). The windowed endpoints ask
the whole session (``minutes=390``) first, then only from the last bar held, with one bar of
overlap and a minute of margin (:func:`~flowframe.live.merge.window_minutes`, the poller's
rule); a window that starts after that point (a hole) makes the next ask the whole session.

Crash and restart
-----------------
Killed at any moment, the recorder loses at most the body in flight: every body before it is
in the store (a torn last record is cut off and counted by the next append). Started again on
the same day and store, it reads what is held: a local source resumes at the last recorded
poll (that cycle is asked again, and the bodies it already holds are skipped by the store's
key, so nothing is duplicated), with the windows the uninterrupted run would have asked; the
hosted one continues from now, its windows reaching back to the last bar held.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import orjson
import pandas as pd

from flowframe import _params
from flowframe._constants import (
    BAR_SECONDS,
    ENDPOINT_METHODS,
    ET,
    LEADERBOARD_METRICS,
    METRICS,
    SIDES,
)
from flowframe._session import is_session_day, session_bounds
from flowframe.errors import APIError, APIStatusError, RateLimitError, TierRestrictedError
from flowframe.live.cadence import backoff_seconds, plan_interval
from flowframe.live.merge import window_minutes

if TYPE_CHECKING:
    from flowframe.store import Store

__all__ = ["ENDPOINTS", "Recording", "record"]

#: The endpoints a recorder can poll, in the order a cycle asks them.
ENDPOINTS: Final = ("snapshot", "series", "hedge-flow", "heatmap", "strike-flow", "leaderboard")
#: The bar each windowed endpoint is recorded at (the finest each serves).
RECORD_BAR: Final = {"series": "30s", "hedge-flow": "30s", "heatmap": "1m", "strike-flow": "1m"}
#: Seconds added to each window beyond the bar of overlap (as the poller does).
WINDOW_MARGIN: Final = 60.0
#: Entries asked of each leaderboard (the API's maximum; Replay serves any smaller ``n``).
LEADERBOARD_N: Final = 100
_MARKET_WIDE: Final = "(market-wide)"


@dataclass(frozen=True, slots=True)
class _Ask:
    """One request of every cycle: endpoint, symbol (None: market-wide), fixed params."""

    endpoint: str
    symbol: str | None
    fixed: tuple[tuple[str, str], ...]

    @property
    def windowed(self) -> bool:
        return self.endpoint in RECORD_BAR

    def params(self, minutes: int | None) -> dict[str, str]:
        """Return the normalised query parameters (as ``_params.build`` writes them)."""
        kwargs: dict[str, Any] = dict(self.fixed)
        if self.windowed:
            kwargs["minutes"] = minutes
        if "n" in kwargs:
            kwargs["n"] = int(kwargs["n"])
        return dict(_params.build(self.endpoint, self.symbol, **kwargs).params)


@dataclass
class Recording:
    """What a :func:`record` run did (also printed by ``flowframe record``).

    Attributes
    ----------
    store : Store
        Where the bodies went.
    date : datetime.date
        The session date recorded.
    symbols : tuple of str
        The symbols polled.
    cycles : int
        Cycles polled in this run.
    requests : int
        Requests sent (or computed) in this run.
    written : int
        Records appended in this run.
    held : int
        Bodies received that the store already held (a restarted cycle), not written again.
    errors : list of (Timestamp, str, str)
        Failures: when, what (``"SPY series"``), the message.
    disabled : dict
        Endpoints dropped for the rest of the run, and why (a 403 ``tier_restricted``).
    resumed_at : Timestamp or None
        The recorded poll a restarted run resumed at; None for a fresh partition.
    first, last : Timestamp or None
        The first and last poll of this run (session time, UTC).
    stopped : str
        Why the run ended.
    """

    store: Store
    date: dt.date
    symbols: tuple[str, ...]
    cycles: int = 0
    requests: int = 0
    written: int = 0
    held: int = 0
    errors: list[tuple[pd.Timestamp, str, str]] = field(default_factory=list)
    disabled: dict[str, str] = field(default_factory=dict)
    resumed_at: pd.Timestamp | None = None
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    stopped: str = ""

    def __repr__(self) -> str:
        span = ""
        if self.first is not None and self.last is not None:
            span = (
                f", polls {self.first.tz_convert(ET):%H:%M:%S}-"
                f"{self.last.tz_convert(ET):%H:%M:%S} ET"
            )
        resumed = (
            f", resumed at {self.resumed_at.tz_convert(ET):%H:%M:%S} ET"
            if self.resumed_at is not None
            else ""
        )
        return (
            f"Recording({self.date.isoformat()} {', '.join(self.symbols)}: {self.cycles} cycles, "
            f"{self.requests} requests, {self.written} bodies written, {self.held} already "
            f"held, {len(self.errors)} errors{span}{resumed}; {self.stopped or 'running'})"
        )


def _plan(
    symbols: Sequence[str],
    endpoints: Sequence[str],
    hedge_sides: Sequence[str],
    metrics: Sequence[str],
    leaderboard_metrics: Sequence[str],
) -> list[_Ask]:
    asks: list[_Ask] = []
    for sym in symbols:
        for endpoint in endpoints:
            if endpoint == "snapshot":
                asks.append(_Ask(endpoint, sym, ()))
            elif endpoint in ("series", "strike-flow"):
                asks.append(_Ask(endpoint, sym, (("bar", RECORD_BAR[endpoint]),)))
            elif endpoint == "hedge-flow":
                asks += [
                    _Ask(endpoint, sym, (("bar", "30s"), ("side", side))) for side in hedge_sides
                ]
            elif endpoint == "heatmap":
                asks += [
                    _Ask(endpoint, sym, (("bar", "1m"), ("metric", m), ("mode", "raw")))
                    for m in metrics
                ]
    if "leaderboard" in endpoints:
        asks += [
            _Ask("leaderboard", None, (("metric", m), ("n", str(LEADERBOARD_N))))
            for m in leaderboard_metrics
        ]
    return asks


def _choices(value: str | Sequence[str] | None, allowed: Sequence[str], name: str) -> list[str]:
    if value is None:
        return list(allowed)
    wanted = [value] if isinstance(value, str) else list(value)
    out = [_params.validate_choice(v, tuple(allowed), name) for v in wanted]
    if len(set(out)) != len(out):
        raise ValueError(f"{name}={wanted!r} lists a value twice")
    return out


def _bar_times(body: bytes) -> list[pd.Timestamp]:
    try:
        bars = orjson.loads(body).get("bars") or []
        return [pd.Timestamp(b["t"]) for b in bars]
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
        return []


def _resume(held: pd.Timestamp | None, labels: list[pd.Timestamp]) -> pd.Timestamp | None:
    """Return where the next window starts, by the poller's rule.

    The window's last bar; None after a hole (the window began after ``held``); ``held``
    when the window brought no bar.
    """
    if not labels:
        return held
    if held is not None and min(labels) > held:
        return None
    return max(labels)


class _Recorder:
    def __init__(
        self,
        source: Any,
        asks: list[_Ask],
        store: Store,
        report: Recording,
    ):
        self.source = source
        self.asks = asks
        self.store = store
        self.report = report
        self.resume: dict[_Ask, pd.Timestamp | None] = dict.fromkeys(asks)

    def restore(self, before: pd.Timestamp | None) -> pd.Timestamp | None:
        """Rebuild the window state from the store's records; return the last poll held."""
        by_key = {(a.endpoint, a.symbol, a.fixed): a for a in self.asks}
        rows: list[tuple[pd.Timestamp, _Ask, bytes]] = []
        last: pd.Timestamp | None = None
        symbols: list[str | None] = [*self.report.symbols, None]
        for sym in symbols:
            for rec in self.store.read_bodies(sym, self.report.date):
                when = pd.Timestamp(rec["as_of"] or rec["received_at"]).tz_convert("UTC")
                last = when if last is None else max(last, when)
                fixed = tuple(sorted((k, v) for k, v in rec["params"].items() if k != "minutes"))
                ask = by_key.get((rec["endpoint"], sym, fixed))
                if ask is not None and rec["status"] == 200:
                    rows.append((when, ask, rec["body"]))
        cut = last if before is None else before
        for when, ask, body in sorted(rows, key=lambda r: r[0]):
            if cut is not None and when >= cut:
                continue
            if ask.windowed:
                self.resume[ask] = _resume(self.resume[ask], _bar_times(body))
        return last

    def cycle(
        self,
        src: Any,
        now: pd.Timestamp,
        *,
        bytes_source: bool,
        received: Callable[[], pd.Timestamp] | None,
    ) -> RateLimitError | None:
        """Ask every request once and append each body as it arrives.

        ``received_at`` is ``received()`` (the recorder's wall clock) for a live source, the
        session time ``now`` for a stepped local one (its bodies arrive on its clock).
        """
        report = self.report
        pending: list[tuple[str | None, dict[str, Any]]] = []
        limited: RateLimitError | None = None
        for ask in self.asks:
            if ask.endpoint in report.disabled:
                continue
            minutes = (
                window_minutes(
                    self.resume[ask],
                    now,
                    float(BAR_SECONDS[RECORD_BAR[ask.endpoint]]),
                    margin=WINDOW_MARGIN,
                )
                if ask.windowed
                else None
            )
            params = ask.params(minutes)
            report.requests += 1
            status = 200
            try:
                body = _fetch(src, ask, params, bytes_source=bytes_source)
            except TierRestrictedError as exc:
                report.disabled[ask.endpoint] = str(exc)
                status, body = 403, orjson.dumps(exc.body)
            except RateLimitError as exc:
                self._failed(now, ask, exc)
                limited = exc
                break
            except APIStatusError as exc:
                if exc.status_code >= 500 or exc.body is None:
                    self._failed(now, ask, exc)
                    continue
                status, body = int(exc.status_code), orjson.dumps(exc.body)
            except APIError as exc:  # connection, timeout, too large: nothing to record
                self._failed(now, ask, exc)
                continue
            arrived = now if received is None else received()
            record = {
                "endpoint": ask.endpoint,
                "params": params,
                "received_at": arrived,
                "status": status,
                "body": body,
            }
            if ask.windowed and status == 200:
                self.resume[ask] = _resume(self.resume[ask], _bar_times(body))
            pending.append((ask.symbol, record))
            self._append(ask.symbol, record, sync=False)
        self._sync(pending)
        return limited

    def _append(self, symbol: str | None, record: dict[str, Any], *, sync: bool) -> None:
        written = self.store.append_bodies(
            [record], symbol=symbol, date=self.report.date, sync=sync
        )
        self.report.written += written
        self.report.held += 1 - written

    def _sync(self, pending: list[tuple[str | None, dict[str, Any]]]) -> None:
        for symbol in {s for s, _ in pending}:
            self.store.sync_bodies(symbol=symbol, date=self.report.date)

    def _failed(self, now: pd.Timestamp, ask: _Ask, exc: Exception) -> None:
        what = f"{ask.symbol or _MARKET_WIDE} {ask.endpoint}"
        self.report.errors.append((now, what, f"{type(exc).__name__}: {exc}"))


def _fetch(src: Any, ask: _Ask, params: dict[str, str], *, bytes_source: bool) -> bytes:
    kwargs: dict[str, Any] = dict(params)
    for name in ("minutes", "n"):
        if name in kwargs:
            kwargs[name] = int(kwargs[name])
    if bytes_source:
        raw = src.get_raw(ask.endpoint, ask.symbol, **kwargs)
        return bytes(raw.encode() if isinstance(raw, str) else raw)
    method = getattr(src, ENDPOINT_METHODS[ask.endpoint])
    payload = method(**kwargs) if ask.symbol is None else method(ask.symbol, **kwargs)
    return orjson.dumps(payload)


def _is_stepped(source: object) -> bool:
    return callable(getattr(source, "at", None)) and hasattr(getattr(source, "clock", None), "now")


def record(
    source: Any,
    symbols: str | Sequence[str],
    store: Store | str | os.PathLike[str],
    *,
    endpoints: Sequence[str] | None = None,
    metrics: str | Sequence[str] | None = None,
    hedge_sides: str | Sequence[str] = ("all",),
    leaderboard_metrics: str | Sequence[str] | None = None,
    interval: float | None = None,
    until: str | dt.datetime | pd.Timestamp | None = None,
    date: dt.date | str | None = None,
    plan: str | None = None,
    max_cycles: int | None = None,
    progress: bool | None = None,
    now: Callable[[], pd.Timestamp] | None = None,
    sleep: Callable[[float], Any] = time.sleep,
    on_cycle: Callable[[Recording], Any] | None = None,
) -> Recording:
    """Poll a source through a session and append every body to a store as it arrives.

    See the module's docstring for the two clocks, what a cycle asks, and crash safety.

    Parameters
    ----------
    source : Source
        A local source with a clock (``ff.Simulated``, ``ff.Local``, ``ff.Replay``), polled
        on its session clock; or any other source (``ff.FlashAlpha``), polled on the wall
        clock within its daily quota. A source with ``get_raw`` (the hosted client) is
        recorded byte for byte; a local source's payload is written with ``orjson.dumps``.
    symbols : str or sequence of str
        The symbols (trimmed, upper-cased).
    store : Store or path
        Where to record (opened with ``ff.Store(path)``; created if missing).
    endpoints : sequence of str, optional
        Any of :data:`ENDPOINTS` (default all six).
    metrics : str or sequence of str, optional
        Heatmap metrics (default all six: gex, dex, vex, chex, oi, signed_flow).
    hedge_sides : str or sequence of str, default ("all",)
        Hedge-flow sides to record (``calls`` and ``puts`` replay from the series'
        cumulatives when not recorded).
    leaderboard_metrics : str or sequence of str, optional
        Leaderboard metrics (default all four), each at ``n=100``.
    interval : float, optional
        Seconds of session time between cycles, at least 30 (the data's sampling). Default:
        30 for a local source; for the hosted one, the quota planner's interval (never below
        ``interval`` when given).
    until : str, datetime or Timestamp, optional
        The last poll (``"14:45"`` is ET on the session date). Default: a frozen clock's
        time, else the close.
    date : date or str, optional
        The session date, for a source without a session clock (default: today, ET).
    plan : {"free", "basic", "growth", "alpha"}, optional
        The key's plan, when the quota headers do not tell (hosted only).
    max_cycles : int, optional
        Stop after this many cycles.
    progress : bool, optional
        A ``tqdm`` bar of cycles (local sources; default: only past 20 cycles).
    now, sleep : callable, optional
        The wall clock and the wait (hosted), for tests; ``now`` returns a tz-aware time.
    on_cycle : callable, optional
        Called with the :class:`Recording` after each cycle.

    Returns
    -------
    Recording
        Counts, errors and the span polled.

    Raises
    ------
    ValueError
        A symbol, endpoint, metric, side, interval or time that is not allowed (named, with
        what is allowed), before anything is asked.
    """
    from flowframe.store import Store

    st = store if isinstance(store, Store) else Store(store)
    syms = [symbols] if isinstance(symbols, str) else list(symbols)
    if not syms:
        raise ValueError("symbols is empty; name at least one symbol to record")
    syms = [_params.validate_symbol(s) for s in syms]
    if len(set(syms)) != len(syms):
        raise ValueError(f"symbols={syms!r} lists a symbol twice")
    eps = _choices(endpoints, ENDPOINTS, "endpoints")
    eps = [e for e in ENDPOINTS if e in eps]
    mets = _choices(metrics, METRICS, "metrics")
    sides = _choices(hedge_sides, SIDES, "hedge_sides")
    board = _choices(leaderboard_metrics, LEADERBOARD_METRICS, "leaderboard_metrics")
    if interval is not None and not (
        not isinstance(interval, bool) and math.isfinite(interval) and interval >= 30
    ):
        raise ValueError(
            f"interval={interval!r} is not allowed; use seconds >= 30 (the data is sampled "
            "every 30 s)"
        )
    if max_cycles is not None and (isinstance(max_cycles, bool) or max_cycles < 1):
        raise ValueError(f"max_cycles={max_cycles!r} is not allowed; use an int >= 1 or None")
    asks = _plan(syms, eps, sides, mets, board)
    stepped = _is_stepped(source)
    if stepped:
        day = source.clock.date
    elif date is not None:
        text = _params.validate_expiry(date)
        assert text is not None
        day = dt.date.fromisoformat(text)
    else:
        day = (now() if now is not None else pd.Timestamp.now(tz="UTC")).tz_convert(ET).date()
    report = Recording(store=st, date=day, symbols=tuple(syms))
    if not is_session_day(day):
        report.stopped = f"{day:%Y-%m-%d} ({day:%A}) has no session: nothing to record"
        return report
    open_, close = session_bounds(day)
    end = close if until is None else _time_on(day, until, "until")
    recorder = _Recorder(source, asks, st, report)
    if stepped:
        _run_stepped(
            recorder,
            source,
            (open_, close, end),
            until,
            interval,
            max_cycles,
            progress,
            sleep,
            on_cycle,
        )
    else:
        _run_live(
            recorder,
            source,
            (open_, close, end),
            interval,
            plan,
            max_cycles,
            now,
            sleep,
            on_cycle,
        )
    return report


def _time_on(day: dt.date, value: object, name: str) -> pd.Timestamp:
    from flowframe.sources.engine.clock import SessionClock

    try:
        return SessionClock(day, now=value).now()  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(f"{name}={value!r} is not allowed: {exc}") from None


def _run_stepped(
    rec: _Recorder,
    source: Any,
    bounds: tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp],
    until: object,
    interval: float | None,
    max_cycles: int | None,
    progress: bool | None,
    sleep: Callable[[float], Any],
    on_cycle: Callable[[Recording], Any] | None,
) -> None:
    open_, close, end = bounds
    clock = source.clock
    if until is None and not getattr(clock, "running", True):
        end = clock.now()
    end = min(end, close)
    step = pd.Timedelta(seconds=float(interval or 30.0))
    times = list(_grid(open_, end, step))
    held = rec.restore(None)
    report = rec.report
    if held is not None:
        times = [t for t in times if t >= held]
        if not times or times[0] != held:
            times = [held, *times] if held <= end else times
        report.resumed_at = held
    cut = max_cycles is not None and len(times) > max_cycles
    if max_cycles is not None:
        times = times[:max_cycles]
    speed = getattr(clock, "speed", None) if getattr(clock, "running", False) else None
    bar = _progress(len(times), progress)
    bytes_source = callable(getattr(source, "get_raw", None))
    try:
        for t in times:
            if speed:
                wait = (t - clock.now()).total_seconds() / speed
                if wait > 0:
                    sleep(wait)
            rec.cycle(source.at(t), t, bytes_source=bytes_source, received=None)
            report.cycles += 1
            report.first = t if report.first is None else report.first
            report.last = t
            if bar is not None:
                bar.update(1)
            if on_cycle is not None:
                on_cycle(report)
        if cut:
            report.stopped = f"max_cycles={max_cycles} reached"
        else:
            report.stopped = (
                f"reached {end.tz_convert(ET):%H:%M:%S} ET" if times else "nothing left to record"
            )
    finally:
        if bar is not None:
            bar.close()


def _grid(open_: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta) -> Iterable[pd.Timestamp]:
    t = open_
    while t < end:
        yield t
        t += step
    yield end


def _progress(total: int, progress: bool | None) -> Any:
    show = total > 20 if progress is None else bool(progress)
    if not show:
        return None
    from tqdm.auto import tqdm  # type: ignore[import-untyped]

    return tqdm(total=total, unit="cycle", desc="record")


def _run_live(
    rec: _Recorder,
    source: Any,
    bounds: tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp],
    interval: float | None,
    plan: str | None,
    max_cycles: int | None,
    now: Callable[[], pd.Timestamp] | None,
    sleep: Callable[[float], Any],
    on_cycle: Callable[[Recording], Any] | None,
) -> None:
    open_, close, end = bounds
    clock = now or (lambda: pd.Timestamp.now(tz="UTC"))
    report = rec.report
    held = rec.restore(pd.Timestamp.max.tz_localize("UTC"))
    report.resumed_at = held
    bytes_source = callable(getattr(source, "get_raw", None))
    failures = 0
    floor = float(interval or 30.0)
    while True:
        t = clock().tz_convert("UTC")
        if t < open_:
            sleep(min((open_ - t).total_seconds(), 3600.0))
            continue
        limited = rec.cycle(source, t, bytes_source=bytes_source, received=clock)
        report.cycles += 1
        report.first = t if report.first is None else report.first
        report.last = t
        if on_cycle is not None:
            on_cycle(report)
        if t >= end:
            report.stopped = f"polled at or after {end.tz_convert(ET):%H:%M:%S} ET"
            return
        if max_cycles is not None and report.cycles >= max_cycles:
            report.stopped = f"max_cycles={max_cycles} reached"
            return
        if limited is not None:
            failures += 1
            wait = backoff_seconds(failures, base=2.0, cap=300.0, retry_after=limited.retry_after)
        else:
            failures = 0
            active = [a for a in rec.asks if a.endpoint not in report.disabled]
            wait = plan_interval(
                quota=getattr(source, "quota", None),
                requests_per_cycle=len(active),
                seconds_left=max((close - t).total_seconds(), 0.0),
                floor=floor,
                plan=plan,
            )
        # the last cycle lands just after the end (the close's bars are final then)
        wait = min(wait, max((end - t).total_seconds(), 0.0) + 1.0)
        sleep(wait)
