"""A recorded day as a source: :class:`Replay`.

``ff.Replay(store, date=..., now=... or speed=...)`` answers the six endpoints from the bodies
an :func:`~flowframe.record` run (or a ``Dashboard(record_to=...)``) appended to an
:class:`~flowframe.Store`, at any moment of the recorded day, on a clock of its own (frozen,
or running at a speed, as :class:`~flowframe.Local`'s). It works wherever a source does: the
loaders, the :class:`~flowframe.live.Poller` and the Dashboard (a past day at 60x).

What a request at time ``t`` gets
---------------------------------
The endpoint's records are grouped in *families*: the records one answer can be built from
(series: all of them; hedge-flow: one side, plus the series' cumulatives of that side;
heatmap: one metric; strike-flow: all; leaderboard: one metric; snapshot: one ``expiry``).
``A`` is the latest ``as_of`` of the family at or before ``t`` (the server's time of the last
poll the recording holds by then; an error body, which has no ``as_of``, counts at its
``received_at``). Then:

1. **Recorded.** A record of the same request (the same normalised parameters, as
   :func:`flowframe._params.build` writes them) at ``A``: its bytes, exactly
   (:meth:`Replay.get_raw`). A recorded error body raises the error the hosted client
   would (:class:`~flowframe.BadRequestError`, :class:`~flowframe.NotFoundError`, ...); a
   403 or 404 at ``A`` answers every request of its family so (a plan or a symbol refused
   does not depend on the window).
2. **Derived.** Otherwise the answer is built from every bar the family's records held at
   ``A`` (each bar at its latest reading: windows overlap, and a bar fetched while it was
   still open is superseded by the next poll's), following the hosted rules:

   - the window is the samples (30 s, snapped to :00/:30 after the open) completed in
     ``[A - minutes, A)``; a bar is listed when it touches the window, labelled by its start;
   - ``series``: a coarser bar keeps the last sample in it (the last recorded finer bar);
   - ``hedge-flow``: ``cumulative`` is the running sum at the bar's last sample and ``bar``
     the change of ``cumulative`` over the bar (the cumulative at the end of the previous
     bar subtracted; 0 before the open);
   - ``heatmap`` / ``strike-flow``: the complete minutes in the window; ``mode="delta"`` is
     each bar's change from the previous bar of the window, the first bar raw
     (``signed_flow`` is already per-minute, so its delta is its raw value);
   - ``leaderboard``: the first ``n`` entries of a recorded longer ranking;
   - the head fields (``symbol``, ``expiration``, ``as_of``, the envelope) are those of the
     family's record at ``A``; a heatmap whose bars come from records with different strike
     grids is laid on the union of their strikes, null where a record had no such strike.

   A derived body equals the recorded source's answer at ``A`` value for value when the
   recording holds the bars it needs (``ff.record`` asks for the finest bars, 30 s, and
   windows that overlap). A request that cannot be derived (a finer bar than recorded, a
   metric or expiry never recorded, a bar the recording lacks) raises
   :class:`ReplayError` naming what the recording holds; nothing is invented.

Before ``A`` exists (a moment before the first record), for a symbol not recorded that day,
or a date the store holds nothing for, :class:`ReplayError` says so.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import orjson
import pandas as pd

from flowframe import _params
from flowframe._constants import BAR_SECONDS, ET
from flowframe._session import session_bounds
from flowframe._wire import json_numbers
from flowframe.errors import (
    APIStatusError,
    BadRequestError,
    FlowframeError,
    NotFoundError,
    TierRestrictedError,
)
from flowframe.sources.endpoints import EndpointMethods, Payload
from flowframe.sources.engine.clock import SessionClock
from flowframe.sources.engine.core import completed_samples

if TYPE_CHECKING:
    from flowframe.store import Store

__all__ = ["Replay", "ReplayError"]

SAMPLE: Final = pd.Timedelta(seconds=30)
#: The series field holding each hedge-flow side's running sum.
SERIES_CUMULATIVE: Final = {
    "all": "hedge_flow_cumulative_all",
    "calls": "hedge_flow_call_cumulative",
    "puts": "hedge_flow_put_cumulative",
}
_GRID_ARRAYS: Final = {
    "heatmap": ("values",),
    "strike-flow": ("signed_delta_dollars", "signed_gamma_dollars", "contracts"),
}


class ReplayError(FlowframeError, LookupError):
    """The recording cannot answer this request (nothing recorded for it, or not derivable)."""


@dataclass(slots=True)
class _Record:
    """One recorded body, parsed on first use."""

    endpoint: str
    params: dict[str, str]
    time: pd.Timestamp  # as_of, else received_at
    as_of: str | None
    status: int
    raw: bytes
    _body: Any = None

    @property
    def body(self) -> Any:
        if self._body is None:
            self._body = orjson.loads(self.raw)
        return self._body


@dataclass(slots=True)
class _Family:
    """Records one answer can be built from, sorted by time."""

    records: list[_Record] = field(default_factory=list)
    times: list[pd.Timestamp] = field(default_factory=list)

    def add(self, record: _Record) -> None:
        self.records.append(record)

    def seal(self) -> None:
        self.records.sort(key=lambda r: r.time)  # stable: the order appended breaks ties
        self.times = [r.time for r in self.records]

    def upto(self, t: pd.Timestamp) -> int:
        """Return how many records are at or before ``t``."""
        return bisect.bisect_right(self.times, t)


def _family_key(endpoint: str, params: Mapping[str, str]) -> tuple[str, ...]:
    if endpoint == "hedge-flow":
        return (endpoint, params.get("side", "all"))
    if endpoint in ("heatmap", "leaderboard"):
        return (endpoint, params.get("metric", ""))
    if endpoint == "snapshot":
        return (endpoint, params.get("expiry", ""))
    return (endpoint,)


def _describe_family(key: tuple[str, ...]) -> str:
    """Name a family for a message: ``heatmap metric=gex``, ``snapshot (default expiry)``."""
    endpoint, *rest = key
    if endpoint == "snapshot":
        return f"snapshot expiry={rest[0]}" if rest[0] else "snapshot (default expiry)"
    if endpoint == "hedge-flow":
        return f"hedge-flow side={rest[0]}"
    if endpoint in ("heatmap", "leaderboard"):
        return f"{endpoint} metric={rest[0]}"
    return endpoint


def _utc(text: str) -> pd.Timestamp:
    stamp = pd.Timestamp(text)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def _recorded_error(record: _Record) -> APIStatusError:
    """Return the error the hosted client raises for a recorded error body."""
    try:
        body = record.body
    except orjson.JSONDecodeError:
        body = None
    text = body.get("message") or body.get("detail") if isinstance(body, dict) else None
    code = body.get("error") if isinstance(body, dict) else None
    message = f"(replayed) {text or f'HTTP {record.status}'}"
    if record.status == 403 and isinstance(body, dict):
        return TierRestrictedError(
            message,
            status_code=403,
            code=code,
            body=body,
            current_plan=body.get("current_plan"),
            required_plan=body.get("required_plan"),
        )
    cls: type[APIStatusError] = {400: BadRequestError, 404: NotFoundError}.get(
        record.status, APIStatusError
    )
    return cls(message, status_code=record.status, code=code, body=body)


class _Recording:
    """Every record of one date in a store, by (symbol, family); shared by :meth:`Replay.at`."""

    def __init__(self, store: Store, date: dt.date):
        self.date = date
        self.families: dict[tuple[str | None, tuple[str, ...]], _Family] = {}
        partitions = store.partitions("bodies")
        day = partitions[partitions["date"] == date.isoformat()]
        self.symbols: tuple[str, ...] = tuple(sorted(s for s in day["symbol"] if s is not None))
        self.market_wide = bool(day["symbol"].isna().any())
        self.count = 0
        for symbol in [*self.symbols, *([None] if self.market_wide else [])]:
            for rec in store.read_bodies(symbol, date):
                when = rec["as_of"] if rec["as_of"] is not None else rec["received_at"]
                record = _Record(
                    rec["endpoint"],
                    {str(k): str(v) for k, v in rec["params"].items()},
                    _utc(when),
                    rec["as_of"],
                    int(rec["status"]),
                    rec["body"],
                )
                key = (symbol, _family_key(record.endpoint, record.params))
                self.families.setdefault(key, _Family()).add(record)
                self.count += 1
        for fam in self.families.values():
            fam.seal()
        times = [t for f in self.families.values() for t in f.times]
        self.first = min(times) if times else None
        self.last = max(times) if times else None


class Replay(EndpointMethods[Payload]):
    """Replay a recorded day: the six endpoints at any moment of it, from a store.

    Parameters
    ----------
    store : Store or path
        The store the bodies were recorded into (``ff.record``, ``flowframe record`` or
        ``Dashboard(record_to=...)``).
    date : date or str, optional
        The session date (``YYYY-MM-DD``, ET). Default: the only date the store holds bodies
        for (several: a ``ValueError`` listing them).
    now : str, datetime or Timestamp, optional
        Freeze the clock here (``"14:45"`` is ET on ``date``).
    speed : float, optional
        Run the clock from ``start`` (default the open) at this multiple of real time: 60
        replays a session in 6.5 minutes. With neither ``now`` nor ``speed`` the clock is
        frozen at the close, as :class:`~flowframe.Local`'s is for a past day.
    start : str, datetime or Timestamp, optional
        Where a running clock starts.
    clock : SessionClock, optional
        A clock to share (overrides ``now``, ``speed`` and ``start``).

    Attributes
    ----------
    symbols : tuple of str
        The symbols recorded that day.
    clock : SessionClock
        The replay's clock; ``at(now)`` gives the same recording on a frozen one.

    Notes
    -----
    See the module's docstring for what a request gets: the recorded body itself when the
    same request was recorded at that poll, else an answer derived from the recorded bars
    by the hosted rules, else :class:`ReplayError`.

    Examples
    --------
    >>> store = ff.Store("history")  # doctest: +SKIP
    >>> sim = ff.Simulated(1, date="2026-09-18", now="16:00", symbols=["SPY"])  # doctest: +SKIP
    >>> ff.record(sim, ["SPY"], store)  # doctest: +SKIP
    >>> day = ff.Replay(store, date="2026-09-18", now="14:45")  # doctest: +SKIP
    >>> ff.series("SPY", source=day, bar="5m", minutes=60)  # doctest: +SKIP
    """

    def __init__(
        self,
        store: Store | str | os.PathLike[str],
        *,
        date: dt.date | str | None = None,
        now: str | dt.datetime | pd.Timestamp | None = None,
        speed: float | None = None,
        start: str | dt.datetime | pd.Timestamp | None = None,
        clock: SessionClock | None = None,
    ):
        from flowframe.store import Store

        self.store = store if isinstance(store, Store) else Store(store)
        day = _choose_date(self.store, date)
        self._rec = _Recording(self.store, day)
        self.date = day
        if clock is None:
            if now is None and speed is None:
                now = session_bounds(day)[1]  # frozen at the close (a regular or early one)
            clock = SessionClock(day, now=now, speed=speed, start=start)
        self.clock = clock
        self.symbols = self._rec.symbols
        self.name = f"Replay({day.isoformat()}, {len(self.symbols)} symbols)"
        self._derive_cache: Callable[..., bytes] = lru_cache(maxsize=256)(self._derive_bytes)

    def __repr__(self) -> str:
        span = ""
        if self._rec.first is not None and self._rec.last is not None:
            a, b = self._rec.first.tz_convert(ET), self._rec.last.tz_convert(ET)
            span = f", {self._rec.count} bodies {a:%H:%M:%S}-{b:%H:%M:%S} ET"
        syms = ", ".join(self.symbols) or "no symbols"
        return f"Replay({self.date.isoformat()}: {syms}{span}; {self.clock!r})"

    @property
    def quota(self) -> None:
        """A replay has no quota."""
        return None

    @property
    def first(self) -> pd.Timestamp | None:
        """The earliest recorded moment (UTC), or None for an empty recording."""
        return self._rec.first

    @property
    def last(self) -> pd.Timestamp | None:
        """The latest recorded moment (UTC)."""
        return self._rec.last

    def at(self, now: str | dt.datetime | pd.Timestamp) -> Replay:
        """Return the same recording with the clock frozen at ``now`` (nothing is re-read)."""
        other = object.__new__(Replay)
        other.store, other._rec, other.date = self.store, self._rec, self.date
        other.clock = SessionClock(self.date, now=now)
        other.symbols, other.name = self.symbols, self.name
        other._derive_cache = self._derive_cache
        return other

    def moments(self, symbol: str | None = None, endpoint: str | None = None) -> pd.DatetimeIndex:
        """Return the distinct recorded times (UTC) of a symbol (None: market-wide)."""
        sym = None if symbol is None else _params.validate_symbol(symbol)
        times = {
            t
            for (s, key), fam in self._rec.families.items()
            if s == sym and (endpoint is None or key[0] == endpoint)
            for t in fam.times
        }
        return pd.DatetimeIndex(sorted(times), tz="UTC", name="as_of")

    def why_empty(self, symbol: str | None = None, minutes: int | None = None) -> str | None:
        """Say why an answer has no bars: the clock before the first recorded poll."""
        now = self.clock.now()
        if self._rec.first is None:
            return f"the store holds no bodies for {self.date:%Y-%m-%d}"
        if now < self._rec.first:
            return (
                f"the clock reads {now.tz_convert(ET):%H:%M:%S} ET, before the first recorded "
                f"poll ({self._rec.first.tz_convert(ET):%H:%M:%S} ET)"
            )
        return None

    # ------------------------------------------------------------------ answers

    def get_raw(self, endpoint: str, symbol: str | None = None, **params: Any) -> bytes:
        """Return one endpoint's body as bytes: the recorded bytes, or a derived body's.

        ``params`` as the ``get_*`` methods take them; ``minutes`` and ``n`` may also be the
        digit strings a record's ``params`` hold.
        """
        for name in ("minutes", "n"):
            value = params.get(name)
            if isinstance(value, str) and value.isdigit():
                params[name] = int(value)
        return self._answer(_params.build(endpoint, symbol, **params))

    def _get(self, request: _params.Request) -> Payload:
        body: Payload = orjson.loads(self._answer(request))
        return body

    def _answer(self, req: _params.Request) -> bytes:
        sym = req.symbol
        if sym is not None and sym not in self.symbols:
            held = ", ".join(self.symbols) or "none"
            raise ReplayError(
                f"{sym} was not recorded on {self.date:%Y-%m-%d} (recorded: {held}); "
                f"no {req.endpoint} body to replay"
            )
        now = self.clock.now()
        fam = self._rec.families.get((sym, _family_key(req.endpoint, req.params)))
        upto = fam.upto(now) if fam is not None else 0
        side_fallback = None
        if req.endpoint == "hedge-flow" and upto == 0:
            side_fallback = self._rec.families.get((sym, ("series",)))
        if fam is None or upto == 0:
            alt = side_fallback
            if alt is not None and alt.upto(now):
                return self._derive_cache(
                    sym, req.endpoint, _frozen(req.params), alt.times[alt.upto(now) - 1]
                )
            raise self._nothing(req, fam, now)
        anchor = fam.records[upto - 1]
        for record in reversed(fam.records[:upto]):
            if record.time != anchor.time:
                break
            if record.params == req.params:
                if record.status != 200:
                    raise _recorded_error(record)
                return record.raw
        if anchor.status in (403, 404):  # a plan or symbol refusal holds for every variant
            raise _recorded_error(anchor)
        return self._derive_cache(sym, req.endpoint, _frozen(req.params), anchor.time)

    def _nothing(self, req: _params.Request, fam: _Family | None, now: pd.Timestamp) -> ReplayError:
        what = f"{req.endpoint} {dict(req.params)}" + (f" for {req.symbol}" if req.symbol else "")
        if fam is None:
            kinds = sorted(
                _describe_family(k[1])
                for k in self._rec.families
                if k[0] == req.symbol and k[1][0] == req.endpoint
            )
            return ReplayError(
                f"{what}: not recorded on {self.date:%Y-%m-%d}; recorded for this endpoint: "
                f"{', '.join(kinds) or 'nothing'}"
            )
        first = fam.times[0].tz_convert(ET)
        return ReplayError(
            f"{what}: nothing recorded at or before {now.tz_convert(ET):%H:%M:%S} ET; the "
            f"recording starts at {first:%H:%M:%S} ET"
        )

    # ------------------------------------------------------------------ derived bodies

    def _derive_bytes(
        self,
        symbol: str | None,
        endpoint: str,
        params: tuple[tuple[str, str], ...],
        at: pd.Timestamp,
    ) -> bytes:
        p = dict(params)
        if endpoint in ("series", "hedge-flow"):
            body = self._derive_bars(symbol, endpoint, p, at)
        elif endpoint in _GRID_ARRAYS:
            body = self._derive_grid(symbol, endpoint, p, at)
        elif endpoint == "leaderboard":
            body = self._derive_leaderboard(p, at)
        else:
            fam = self._rec.families[(symbol, _family_key(endpoint, p))]
            held = sorted({orjson.dumps(r.params).decode() for r in fam.records})
            raise ReplayError(
                f"snapshot {p} for {symbol}: no body of this request recorded at "
                f"{at.tz_convert(ET):%H:%M:%S} ET; a snapshot is replayed only as recorded "
                f"(recorded params: {', '.join(held)})"
            )
        return orjson.dumps(body)

    def _held(self, fam: _Family, at: pd.Timestamp) -> list[_Record]:
        """Return the family's successful records at or before ``at``, oldest first."""
        return [r for r in fam.records[: fam.upto(at)] if r.status == 200]

    def _window(
        self, at: pd.Timestamp, minutes: int
    ) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
        """Return the open, the first sample's start and the completed samples' end at ``at``."""
        clock = self.clock
        open_, close = clock.open, clock.close
        n = int((close - open_) / SAMPLE)
        done = completed_samples(open_, at, n)
        start = (at - pd.Timedelta(minutes=minutes) - open_) / SAMPLE
        first = int(min(max(np.ceil(start), 0), n))
        return open_, open_ + first * SAMPLE, open_ + max(first, done) * SAMPLE

    def _derive_bars(
        self, symbol: str | None, endpoint: str, p: dict[str, str], at: pd.Timestamp
    ) -> Payload:
        side = p.get("side")
        bar = pd.Timedelta(seconds=BAR_SECONDS[p["bar"]])
        sources: list[tuple[str, _Family]] = []
        own = self._rec.families.get((symbol, _family_key(endpoint, p)))
        if own is not None:
            sources.append((endpoint, own))
        if endpoint == "hedge-flow":
            series = self._rec.families.get((symbol, ("series",)))
            if series is not None:
                sources.append(("series", series))
        # the coarsest recorded bar size that divides the one asked for, from any source
        options: list[tuple[pd.Timedelta, str, list[_Record]]] = []
        for kind, fam in sources:
            held = self._held(fam, at)
            for size in {r.params.get("bar", "30s") for r in held}:
                step = pd.Timedelta(seconds=BAR_SECONDS[size])
                if step <= bar and bar % step == pd.Timedelta(0):
                    options.append(
                        (step, kind, [r for r in held if r.params.get("bar", "30s") == size])
                    )
        if not options:
            sizes = sorted({r.params.get("bar", "30s") for _, f in sources for r in f.records})
            raise ReplayError(
                f"{endpoint} bar={p['bar']!r} for {symbol}: not derivable at "
                f"{at.tz_convert(ET):%H:%M:%S} ET from the recorded bar sizes "
                f"({', '.join(sizes) or 'none'}); a bar is derived from a recorded finer "
                "bar that divides it"
            )
        # prefer the endpoint's own records, then the coarsest step
        options.sort(key=lambda o: (o[1] != endpoint, -o[0].value))
        step, kind, records = options[0]
        history: dict[pd.Timestamp, dict[str, Any]] = {}
        for record in records:  # oldest first: a later reading of a bar wins
            for b in record.body.get("bars") or ():
                history[_utc(b["t"])] = b
        head_rec = records[-1] if kind == endpoint else self._head_record(own, at) or records[-1]
        body = {k: v for k, v in head_rec.body.items() if k not in ("bars", "bar_size", "side")}
        if endpoint == "hedge-flow":
            body["side"] = side
        body["bar_size"] = p["bar"]
        open_, first, end = self._window(at, int(p["minutes"]))
        out: list[dict[str, Any]] = []
        if end > first:
            k0 = (first - open_) // bar
            k1 = (end - SAMPLE - open_) // bar
            for k in range(k0, k1 + 1):
                start = open_ + k * bar
                last_sample = min(start + bar, end) - SAMPLE
                label = open_ + ((last_sample - open_) // step) * step
                row = history.get(label)
                if row is None:
                    raise self._gap(endpoint, symbol, label, at)
                t = _iso(start)
                if endpoint == "series":
                    out.append({"t": t, **{k_: v for k_, v in row.items() if k_ != "t"}})
                    continue
                field_ = "cumulative" if kind == "hedge-flow" else SERIES_CUMULATIVE[str(side)]
                if kind == "hedge-flow" and step == bar:
                    out.append({"t": t, "bar": row.get("bar"), "cumulative": row.get(field_)})
                    continue
                cum = row.get(field_)
                if start == open_:
                    before: Any = 0.0
                else:
                    prev = history.get(start - step)
                    if prev is None:
                        raise self._gap(endpoint, symbol, start - step, at)
                    before = prev.get(field_)
                value = None if cum is None or before is None else cum - before
                out.append({"t": t, "bar": value, "cumulative": cum})
        body["bars"] = out
        return body

    def _head_record(self, fam: _Family | None, at: pd.Timestamp) -> _Record | None:
        if fam is None:
            return None
        held = self._held(fam, at)
        return held[-1] if held else None

    def _gap(
        self, endpoint: str, symbol: str | None, label: pd.Timestamp, at: pd.Timestamp
    ) -> ReplayError:
        return ReplayError(
            f"{endpoint} for {symbol} at {at.tz_convert(ET):%H:%M:%S} ET: the recording holds "
            f"no bar at {label.tz_convert(ET):%H:%M:%S} ET, which this answer needs (a gap in "
            "the recording); ask for a window after it"
        )

    def _derive_grid(
        self, symbol: str | None, endpoint: str, p: dict[str, str], at: pd.Timestamp
    ) -> Payload:
        fam = self._rec.families[(symbol, _family_key(endpoint, p))]
        records = [r for r in self._held(fam, at) if r.params.get("mode", "raw") == "raw"]
        if not records:
            raise ReplayError(
                f"{endpoint} {p} for {symbol}: no raw-mode body recorded at or before "
                f"{at.tz_convert(ET):%H:%M:%S} ET to derive from"
            )
        history: dict[pd.Timestamp, tuple[dict[str, Any], tuple[float, ...]]] = {}
        for record in records:
            grid = tuple(record.body.get("strikes_grid") or ())
            for b in record.body.get("bars") or ():
                history[_utc(b["t"])] = (b, grid)
        head = records[-1].body
        open_, first, end = self._window(at, int(p["minutes"]))
        lo = -(-(first - open_) // pd.Timedelta(minutes=1))
        hi = (end - open_) // pd.Timedelta(minutes=1)
        chosen: list[tuple[dict[str, Any], tuple[float, ...]]] = []
        for m in range(lo, max(lo, hi)):
            label = open_ + pd.Timedelta(minutes=m)
            got = history.get(label)
            if got is None:
                raise self._gap(endpoint, symbol, label, at)
            chosen.append(got)
        grids = {g for _, g in chosen}
        grid = next(iter(grids)) if len(grids) == 1 else tuple(sorted(set().union(*grids)))
        arrays = _GRID_ARRAYS[endpoint]
        body = dict(head)
        if endpoint == "heatmap":
            body["metric"], body["mode"] = p["metric"], p["mode"]
        body["strikes_grid"] = list(grid) if chosen else []
        bars: list[dict[str, Any]] = []
        for b, g in chosen:
            row = {k: v for k, v in b.items() if k not in arrays}
            for name in arrays:
                values = b.get(name) or []
                if g != grid:
                    where = dict(zip(g, values, strict=False))
                    values = [where.get(k) for k in grid]
                row[name] = values
            bars.append(row)
        if endpoint == "heatmap" and p["mode"] == "delta" and p["metric"] != "signed_flow" and bars:
            matrix = np.array(
                [[np.nan if v is None else v for v in r["values"]] for r in bars], dtype=np.float64
            )
            matrix = np.vstack([matrix[:1], np.diff(matrix, axis=0)])
            for r, row in zip(bars, matrix, strict=True):
                r["values"] = json_numbers(row)
        body["bars"] = bars
        return body

    def _derive_leaderboard(self, p: dict[str, str], at: pd.Timestamp) -> Payload:
        fam = self._rec.families[(None, _family_key("leaderboard", p))]
        held = self._held(fam, at)
        if not held:
            raise ReplayError(f"leaderboard {p}: no successful body recorded by {at}")
        last_time = held[-1].time
        same = [r for r in held if r.time == last_time]
        best = max(same, key=lambda r: int(r.params.get("n", "10")))
        n, got = int(p["n"]), int(best.params.get("n", "10"))
        entries = list(best.body.get("entries") or [])
        if n > got and len(entries) >= got:
            raise ReplayError(
                f"leaderboard n={n}: the recording ranked only the top {got} at "
                f"{at.tz_convert(ET):%H:%M:%S} ET; ask for n <= {got}"
            )
        return {**best.body, "n": n, "entries": entries[:n]}


def _frozen(params: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(params.items()))


def _iso(t: pd.Timestamp) -> str:
    return t.tz_convert("UTC").isoformat().replace("+00:00", "Z")


def _choose_date(store: Store, date: dt.date | str | None) -> dt.date:
    partitions = store.partitions("bodies")
    dates = sorted(set(partitions["date"]))
    if date is None:
        if len(dates) != 1:
            listed = ", ".join(dates) if dates else "none"
            raise ValueError(
                f"pass date=: the store at {store.path} holds bodies for {len(dates)} dates "
                f"({listed})"
            )
        return dt.date.fromisoformat(dates[0])
    text = _params.validate_expiry(date)
    assert text is not None
    if text not in dates:
        listed = ", ".join(dates) if dates else "none"
        raise ValueError(
            f"date={text!r}: the store at {store.path} holds no recorded bodies for it "
            f"(dates recorded: {listed})"
        )
    return dt.date.fromisoformat(text)
