"""Poll one symbol of any source and keep the live frames, within the daily quota.

:class:`Poller` asks a source (the hosted client, :class:`~flowframe.Simulated`, a
:class:`~flowframe.Local`, your own) for the session series, the chosen heatmap metric and the
snapshot, and now and then the leaderboard; it merges what comes back into :class:`LiveData`
(:mod:`flowframe.live.merge`), raises :class:`Alert` records when something a trader wants to
know happens (:mod:`flowframe.live.alerts`), and reports its progress in :class:`PollStatus`.
:func:`plan_interval` (:mod:`flowframe.live.cadence`) chooses the cadence so a whole session
fits the daily quota. Nothing here imports ipywidgets: the dashboard renders what the poller
keeps.

Requests and cadence
--------------------
One cycle sends 3 requests: ``series`` (which carries the hedge-flow cumulatives by leg, so
the hedge panel costs nothing: :func:`hedge_from_series` derives it), ``heatmap`` (``mode="raw"``)
and ``snapshot``; every ``leaderboard_every``-th cycle adds ``leaderboard`` (4 requests). A
403 ``tier_restricted`` on the heatmap or the leaderboard (both Alpha+ endpoints) turns that
panel off instead of failing every cycle.

How many minutes to ask for
---------------------------
The server answers the ``minutes`` before *its* now, so a request sized from the local clock
alone misses bars whenever the local clock runs behind the server's (3 minutes behind at a
5-minute cadence: a 3-minute hole every cycle, never fetched again). The rule, per panel
(series and heatmap):

- While nothing is held, the whole session so far: ``minutes=390`` (the API's maximum).
- Then from the *resume point*, the last bar the previous window brought (it may have been
  incomplete then), to the server's now, plus one bar of overlap and a 60 s margin, rounded up
  to whole minutes and capped at 390 (:func:`~flowframe.live.merge.window_minutes`).
- The server's now is the ``as_of`` of the last landed cycle's bodies plus the local time
  elapsed since that cycle was sent (counted from the send, so it errs late, which only
  widens the window). Only when no body stated a usable ``as_of`` (none yet, or one more than
  a day from the local clock) is the local clock used. So the local clock measures elapsed
  time only; where it and the server disagree, the server wins.
- A window that comes back starting after the resume point (it was processed later than
  planned: a slow answer, the client's own retries) left a hole: the next request asks for the
  whole session again, and the resume point restarts from what it brings.

Every window is merged into what is held (a bar present in both takes the newer reading), so
every bar is fetched again after it completes and is held with its final value.

One cycle, sync or async
------------------------
A cycle is planned (the requests, from what is held), fetched, and landed (read, merged,
committed, alerts). :meth:`Poller.cycle` and :meth:`Poller.acycle` run the same coroutine and
differ only in how a request is fetched: in this thread, or awaited (an async source, or a
sync one in a worker thread).

Settings change in place
------------------------
:meth:`Poller.set_symbol`, :meth:`Poller.set_metric` and :meth:`Poller.set_bar` drop only
what the change makes stale; the next cycle fetches it again, whole. A cycle in flight when a
setting changes is discarded when it lands.

Errors and waits
----------------
A cycle either lands whole or not at all: any exception from the source or from reading its
payloads (:class:`~flowframe.APIError` and subclasses, :class:`~flowframe.SchemaError`,
``TimeoutError``, anything else) leaves the data held untouched, is recorded in
:attr:`Poller.errors` and ``status.last_error``, and the next cycle waits with exponential
backoff: 2, 4, 8, ... 300 s by default, a rate limit's ``Retry-After`` honoured within those
bounds (``Retry-After: 1e20`` waits 300 s; NaN, negative or unreadable values are ignored).
Every wait the run loop computes is a finite number of seconds and computing it never
raises (:func:`~flowframe.live.cadence.next_wait`). ``KeyboardInterrupt`` and
``asyncio.CancelledError`` are never swallowed.

Callbacks
---------
:meth:`Poller.on_update`, :meth:`Poller.on_alert` and :meth:`Poller.on_error` take plain
functions or async functions. What an async one returns is awaited once the cycle is
booked: by :meth:`Poller.acycle` (and so by the run loop) on the poller's event loop, in the
order registered, before the next cycle; by :meth:`Poller.cycle` as a task on the event loop
running in this thread (a notebook's), or else run to its end before ``cycle()`` returns. A
callback that raises (or whose awaitable raises) is recorded in :attr:`Poller.errors` as a
``"callback"`` error and polling goes on.

Recording (``record_to=``)
--------------------------
With ``record_to`` set (an :class:`~flowframe.Store`, or a path opened as one), every body a
cycle receives is appended to the store as a recorded body (``flowframe/store/LAYOUT.md``,
"Recorded bodies"), so :class:`~flowframe.Replay` can play the session again:

- one record per answer: ``endpoint`` (``series``, ``heatmap``, ``snapshot``,
  ``leaderboard``: the source method's route), ``params`` (the request's normalised query
  parameters, exactly as :func:`flowframe._params.build` gives them: strings, defaults filled
  in), ``received_at`` (the wall clock, UTC, when the answer arrived), ``status`` 200 and
  ``body``. A 403 ``tier_restricted`` that turns a panel off is recorded too, once, as
  ``ff.record`` does: ``status`` 403 and the error body (keyed by its ``received_at``: it has
  no ``as_of``), so a :class:`~flowframe.Replay` of the recording turns the panel off as the
  live poller did;
- ``body`` is the answer's bytes when the source hands over bytes; a source's ``get_*``
  methods hand over the decoded dict, which is re-encoded with ``orjson``: the same values,
  not necessarily the server's bytes (spacing, number spelling). Nothing is fetched again
  for it (no ``get_raw``: that would spend the quota twice);
- partition: the poller's symbol (``None``, the market-wide partition, for the leaderboard)
  and the session date (America/New_York) of the body's ``as_of``, else of the poller's
  clock;
- every body received is recorded, also in a cycle that then fails (a later request raised,
  a body does not read) or is discarded (a setting changed meanwhile): the server spent the
  request, and the body is a true answer at its ``as_of``. Other errors (the source
  raised: no body of the endpoint) are not recorded. The store skips a body it holds
  already (same endpoint, params and ``as_of``), so polling a frozen moment twice records
  it once;
- when: once per cycle, after its answers are in and it has landed (or failed), before it
  is booked and the callbacks run; one ``append_bodies`` call per partition (each fsyncs).
  :meth:`Poller.cycle` writes in this thread; :meth:`Poller.acycle` (and so the run loop) in
  a worker thread (``asyncio.to_thread``), so the event loop is not held up. A cycle
  cancelled mid-way writes what it had received before the cancellation goes on;
- a record that cannot be written (disk full, a store error, a body that cannot be encoded)
  never stops polling: it is listed in :attr:`Poller.errors` as a ``"record"`` error and
  counted in ``status.extra["record_errors"]``; ``status.extra["recorded"]`` counts the
  records written (bodies the store already held not counted).

The API key never reaches a record: the bodies are what the source returned (the hosted
client scrubs the key from every body) and the params hold only the endpoint's parameters.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import math
import os
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import orjson
import pandas as pd

from flowframe import _params
from flowframe._constants import (
    BAR_SECONDS,
    BARS,
    ENDPOINT_METHODS,
    ET,
    GRID_BARS,
    LEADERBOARD_METRICS,
    METRICS,
)
from flowframe._session import session_bounds
from flowframe.errors import RateLimitError, TierRestrictedError
from flowframe.frames import heatmap_from_payload, leaderboard_from_payload
from flowframe.frames.loaders import source_name
from flowframe.frames.snapshot import snapshot_from_payload
from flowframe.live.alerts import ALERT_KINDS, AlertDetector
from flowframe.live.cadence import (
    CACHE_SECONDS,
    CLOSE_MARGIN,
    PLANS,
    SESSION_SECONDS,
    backoff_seconds,
    next_wait,
    plan_for_limit,
    plan_for_quota,
    plan_interval,
    projected_use,
    quota_reserve,
)
from flowframe.live.contract import Alert, LiveData, PollStatus
from flowframe.live.merge import (
    hedge_from_series,
    merge_heatmap,
    merge_series,
    pin_auto,
    read_series_window,
    window_minutes,
)
from flowframe.sources.base import Source
from flowframe.sources.hosted import AsyncFlashAlpha, Quota
from flowframe.store import Store

# the cadence, merge and alert names were defined here before the split: still importable
__all__ = [
    "ALERT_KINDS",
    "CACHE_SECONDS",
    "PLANS",
    "SESSION_SECONDS",
    "Poller",
    "hedge_from_series",
    "merge_heatmap",
    "merge_series",
    "plan_for_limit",
    "plan_interval",
    "quota_reserve",
]

logger = logging.getLogger("flowframe.live")

_GRID_BAR_SECONDS: Final = float(BAR_SECONDS[GRID_BARS[0]])  # the heatmap's 1-minute bars
#: Seconds added to every window beyond the bar of overlap (see "How many minutes to ask for").
WINDOW_MARGIN: Final = 60.0
#: Cycles the run loop tries past the close when none sent after it has landed (see
#: :meth:`Poller.next_delay`): with the back-off, 2 + 4 + ... + 256 s, about 8.5 minutes.
CLOSE_TRIES: Final = 8
#: ``endpoint_version`` of the bodies flowframe's engine writes (``flowframe serve``).
SERVED_BY: Final = "flowframe "
#: A body's ``as_of`` further than this from the local clock is not believed.
_AS_OF_SANITY: Final = pd.Timedelta(days=1)
#: The route (a recorded body's ``endpoint``) of each source method.
_ENDPOINTS: Final = {method: endpoint for endpoint, method in ENDPOINT_METHODS.items()}

Now = Callable[[], pd.Timestamp]
Sleep = Callable[[float], Awaitable[Any]]
ErrorRecord = tuple[pd.Timestamp, str, str]
#: An awaitable a callback returned, with the callback (to name it if it fails).
Pending = list[tuple[Callable[..., Any], Awaitable[Any]]]


@dataclass(frozen=True, slots=True)
class _Call:
    """One request of a cycle's plan: the panel it feeds, the source method, its arguments."""

    panel: str
    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


Fetch = Callable[[_Call], Awaitable[Any]]
#: One answer of a cycle: the call, the payload (a 403's: its error body), the wall-clock
#: time it arrived (UTC), the HTTP status (200, or 403 for a panel the plan lacks).
_Answer = tuple[_Call, Any, pd.Timestamp, int]
#: Where a body is recorded: its partition (symbol, None for market-wide; session date).
_Partition = tuple[str | None, dt.date]
_Write = Callable[[list[_Answer], pd.Timestamp], Awaitable[None]]
_T = TypeVar("_T")
_F = TypeVar("_F")


def _utc(ts: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(ts)
    if stamp.tz is None:
        raise ValueError(f"now() must return a tz-aware timestamp, got {stamp!r}")
    return stamp.tz_convert("UTC")


def _is_positive_int(value: object) -> bool:
    return type(value) is int and value >= 1


def _is_seconds(value: object) -> bool:
    """Say whether ``value`` is a finite real number > 0 (never NaN, inf, a bool or text)."""
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and value > 0
    )


def _stated_as_of(payload: Any) -> pd.Timestamp | None:
    """Read a body's ``as_of`` as a UTC timestamp (naive reads as UTC); never raises.

    None when it is missing or unreadable.
    """
    text = payload.get("as_of") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        return None
    try:
        stamp: Any = pd.Timestamp(text)
        if not isinstance(stamp, pd.Timestamp) or pd.isna(stamp):  # "NaT" reads as NaT
            return None
        utc: pd.Timestamp = (
            stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
        )
    except (ValueError, OverflowError):  # OutOfBounds*: a year pandas cannot hold
        return None
    return utc


def _served_by_flowframe(payload: Any) -> bool:
    """Say whether a body comes from flowframe's engine (``flowframe serve``, a local source)."""
    version = payload.get("endpoint_version") if isinstance(payload, dict) else None
    return isinstance(version, str) and version.startswith(SERVED_BY)


def _as_of(payload: Any, now: pd.Timestamp, follow_server: bool = False) -> pd.Timestamp | None:
    """Read a body's ``as_of`` as a UTC timestamp (naive reads as UTC); never raises.

    None when it is missing, unreadable, or more than a day from the local clock ``now``
    (with ``follow_server``, a source without a clock, a body flowframe's engine wrote is
    believed whatever its date: a served simulated or replayed day).
    """
    stamp = _stated_as_of(payload)
    if stamp is None:
        return None
    try:
        off = abs(stamp - now)
        # a day served by flowframe (simulated or replayed) to a source without a clock:
        # any date is its own, within pandas' range
        believable = off <= _AS_OF_SANITY or (follow_server and _served_by_flowframe(payload))
    except (ValueError, OverflowError):  # OutOfBounds*: a year pandas cannot hold
        return None
    return stamp if believable else None


def _open_store(record_to: object) -> Store | None:
    """Return the store ``record_to`` names: None, a Store, or a path opened as one."""
    if record_to is None or isinstance(record_to, Store):
        return record_to
    if isinstance(record_to, str | os.PathLike):
        return Store(record_to)
    raise TypeError(
        f"record_to must be None, an ff.Store or a path to one, got {type(record_to).__name__}"
    )


def _body_bytes(payload: Any) -> bytes:
    """Return a payload as the body's bytes: bytes as given, a decoded body re-encoded."""
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)


def _record_of(answer: _Answer, now: pd.Timestamp) -> tuple[_Partition, dict[str, Any]]:
    """Return one answer as a record for ``Store.append_bodies``, with its partition.

    ``now`` (the poller's clock when the cycle was sent) dates a body with no ``as_of``.

    Raises
    ------
    Exception
        The payload cannot be encoded as JSON (recorded as a ``"record"`` error).
    """
    call, payload, received_at, status = answer
    endpoint = _ENDPOINTS[call.method]
    symbol: str | None = call.args[0] if call.args else None
    params = _params.build(endpoint, symbol, **call.kwargs).params
    body = _body_bytes(payload)
    stated = payload if isinstance(payload, dict) else None
    if stated is None:
        try:
            stated = orjson.loads(body)
        except orjson.JSONDecodeError:
            stated = None
    as_of = _stated_as_of(stated)
    date = (as_of if as_of is not None else now).tz_convert(ET).date()
    record = {
        "endpoint": endpoint,
        "params": dict(params),
        "received_at": received_at,
        "status": status,
        "body": body,
    }
    return (symbol, date), record


def _resume_point(held: pd.Timestamp | None, window: pd.Index) -> pd.Timestamp | None:
    """Where the next window must start, after ``window`` landed (None: the whole session).

    The window's last bar, when the window reached back to the previous resume point ``held``;
    None (fetch the whole session next) when it started after it, a hole; ``held`` unchanged
    when the window brought no bar.
    """
    if len(window) == 0:
        return held
    if held is not None and window[0] > held:
        return None
    return pd.Timestamp(window[-1])


def _describe(exc: BaseException) -> str:
    """Return an exception's message; never raises (its ``__str__`` may, on odd fields)."""
    try:
        return str(exc) or repr(exc)
    except Exception:
        return f"<{type(exc).__name__} whose message cannot be shown>"


def _close_unawaited(pending: Pending) -> None:
    for _fn, awaitable in pending:
        if inspect.iscoroutine(awaitable):
            awaitable.close()


def _wall_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def _run_now(steps: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine that never suspends to its end, here and now (no event loop needed).

    :meth:`Poller.cycle` runs the one cycle coroutine this way: with a sync fetch it awaits
    nothing that waits, so its first step is its last.
    """
    try:
        steps.send(None)
    except StopIteration as done:
        result: _T = done.value
        return result
    steps.close()  # it waited on something: not a sync cycle (a bug, never a source error)
    raise RuntimeError("a synchronous polling cycle tried to wait")


class Poller:
    """Poll one symbol of any source and keep :class:`LiveData`, alerts and status.

    Parameters
    ----------
    source : Source or AsyncFlashAlpha
        Any source of the six payloads (sync), or the async hosted client.
    symbol : str
        The underlying (trimmed, upper-cased).
    heatmap_metric : {"gex", "dex", "vex", "chex", "oi", "signed_flow"}, default "gex"
        The heatmap panel's metric (fetched ``mode="raw"``, so windows merge exactly).
    bar : {"30s", "1m", "5m", "15m"}, default "1m"
        The series' bar size.
    leaderboard_every : int or None, default 10
        Fetch the leaderboard on the first cycle and then every this many cycles; None never.
    sleep : async callable, default asyncio.sleep
        How the run loop waits (tests inject an instant one).
    now : callable, optional
        Returns the session time as a tz-aware timestamp. Defaults to the source's clock
        (``source.clock.now``) when it has one, else the wall clock.
    backoff_base, backoff_max : float, default 2.0 and 300.0
        After ``n`` consecutive failed cycles the next waits at least
        ``min(backoff_base * 2 ** (n - 1), backoff_max)`` seconds (2, 4, 8, ... 300); a
        :class:`~flowframe.RateLimitError` with ``retry_after`` waits that long, but never
        beyond ``backoff_max`` (a ``retry_after`` that is not a finite number of seconds is
        ignored). So a failed cycle waits ``backoff_base`` to ``backoff_max`` seconds. A
        successful cycle resets it to 0. Both finite, ``0 < backoff_base <= backoff_max``.
    max_errors_kept : int, default 50
        How many errors :attr:`errors` keeps (the oldest go first).
    max_alerts_kept : int, default 200
        How many alerts :attr:`alerts` keeps.
    plan : {"free", "basic", "growth", "alpha"}, optional
        The key's plan, when the source's quota cannot tell (see :func:`plan_interval`).
    floor : float, default 30.0
        The shortest interval between cycles, in session seconds (finite, > 0).
    after_close : float or None, default None
        Once the session is over (the clock is at or past the close, or the snapshot says
        ``session_closed`` during session hours: a holiday), the run loop ends after that
        cycle (None: the close's bars are gathered, then no call is spent on a closed market),
        or keeps polling every ``after_close`` seconds.
    offload : bool, default True
        In :meth:`acycle`, call a sync source in a worker thread, so the event loop (the
        notebook) stays responsive while it answers.
    leaderboard_metric : {"heat", "pin_risk", "abs_flow", "charm_intensity"}, default "heat"
        The leaderboard's metric (checked here: a typo raises ``ValueError`` at once rather
        than failing every cycle).
    burst_k : float, default 3.0
        A hedge burst is a bar beyond ``burst_k`` robust sigmas of the session's bars before it.
    record_to : Store, str or os.PathLike, optional
        Record every body the poller receives in this :class:`~flowframe.Store` (a path is
        opened as ``ff.Store(path)``), for :class:`~flowframe.Replay` to play again: one
        record per answer, with the request's normalised params, appended once per cycle
        (in a worker thread from :meth:`acycle` and the run loop). A record that cannot be
        written is listed in :attr:`errors` (kind ``"record"``) and polling goes on. See
        the module's "Recording". None (the default) records nothing.

    Attributes
    ----------
    data : LiveData
        The frames held. Each landed cycle replaces the objects (never mutates them in place),
        so a frame you hold keeps its values. The same LiveData object for the poller's life:
        :meth:`set_symbol`, :meth:`set_metric` and :meth:`set_bar` empty what they make stale.
    status : PollStatus
        ``ticks`` counts completed cycles (failed ones too); ``requests`` the calls the poller
        made to the source (a hosted client's own retries are not counted); ``interval`` the
        planned seconds between cycles (session seconds); ``quota_remaining`` /
        ``quota_limit`` come from ``source.quota``; ``projected_use`` is what a whole session
        (23,400 s) at this interval and :attr:`requests_per_cycle` would cost; ``backoff`` the
        current backoff in seconds; ``extra`` holds ``requests_per_cycle``, ``plan``,
        ``consecutive_failures``, ``disabled`` panels, the loop's ``sleep`` and why it
        ``stopped``; with ``record_to``, ``recorded`` (records written to the store, bodies
        it held already not counted) and ``record_errors`` (records that could not be
        written), both from 0.
    errors : list of (Timestamp, str, str)
        The latest errors (time, exception class, ``"callback"`` or ``"record"``, message).
    record_to : Store or None
        The store bodies are recorded in.
    alerts : list of Alert
        The latest alerts.

    Notes
    -----
    Alerts (:class:`~flowframe.live.alerts.AlertDetector`) are computed after each landed
    cycle, from the bars new since the previous look (the first series held is the baseline
    and raises nothing) and from the snapshot compared with the previous one. Each fires once
    per event (a bar revised by a later poll does not fire again):

    ``flip_cross`` / ``wall_cross``
        Spot changes side of the gamma flip / the call or put wall between consecutive series
        bars (each bar against its own level).
    ``hedge_burst``
        A bar's hedge flow lies beyond ``burst_k`` robust sigmas (1.4826 MAD) of the median of
        the session's bars before it (causal; at least 10 bars of history).
    ``flow_direction_flip``
        The snapshot's ``flow_direction.label`` moves into or out of ``regime_flip``, or
        between ``amplifying`` and ``dampening``.
    ``severity_escalation``
        The headline's severity rises (info < watch < alert).

    Requests are sized from the last bar held and the server's ``as_of``, never from the
    local clock alone (see the module's "How many minutes to ask for").

    The run loop sleeps ``max(interval / speed, backoff)`` real seconds between cycles, where
    ``interval`` is :func:`plan_interval` in session seconds and ``speed`` the source clock's
    speed (1 for the wall clock): a simulated session at 60x polls every 0.5 s of real time.
    Before the open it sleeps until the open; it never sleeps more than a second past the
    close, so the last bars of the session are gathered. The loop ends (``after_close=None``)
    once the session is over *and* the series held is final: nothing held (a holiday), the
    last series body's ``as_of`` at or past the close, or a cycle landed that was sent at or
    after the close by both the local clock and the server's. Until then it tries again past
    the close, with the back-off, up to :data:`CLOSE_TRIES` times (the cycle at the close
    failed, or the local clock runs ahead of the server's). A snapshot saying
    ``session_closed`` during session hours ends the loop on the same condition (else the
    loop goes on to the close by the local clock).

    Examples
    --------
    >>> poller = Poller(ff.Simulated(now="14:45"), "SPY")  # doctest: +SKIP
    >>> poller.cycle(); poller.data.series.tail()  # doctest: +SKIP
    >>> poller.start()  # in a notebook: polls in the background  # doctest: +SKIP

    Record the session as it is polled, to replay it later:

    >>> store = ff.Store("flow")  # doctest: +SKIP
    >>> poller = Poller(ff.Simulated(now="14:45"), "SPY", record_to=store)  # doctest: +SKIP
    >>> poller.cycle(); poller.status.extra["recorded"]  # doctest: +SKIP
    4
    """

    def __init__(
        self,
        source: Source | AsyncFlashAlpha,
        symbol: str,
        *,
        heatmap_metric: str = "gex",
        bar: str = "1m",
        leaderboard_every: int | None = 10,
        sleep: Sleep = asyncio.sleep,
        now: Now | None = None,
        backoff_base: float = 2.0,
        backoff_max: float = 300.0,
        max_errors_kept: int = 50,
        max_alerts_kept: int = 200,
        plan: str | None = None,
        floor: float = 30.0,
        after_close: float | None = None,
        offload: bool = True,
        leaderboard_metric: str = "heat",
        burst_k: float = 3.0,
        record_to: Store | str | os.PathLike[str] | None = None,
    ):
        if leaderboard_every is not None and not _is_positive_int(leaderboard_every):
            raise ValueError(
                f"leaderboard_every={leaderboard_every!r} is not allowed; use an int >= 1 or None"
            )
        if not (
            _is_seconds(backoff_base) and _is_seconds(backoff_max) and backoff_max >= backoff_base
        ):
            raise ValueError(
                f"backoff_base={backoff_base!r}, backoff_max={backoff_max!r} are not allowed; "
                "use finite seconds, 0 < backoff_base <= backoff_max"
            )
        if not _is_seconds(floor):
            raise ValueError(f"floor={floor!r} is not allowed; use finite seconds > 0")
        if after_close is not None and not _is_seconds(after_close):
            raise ValueError(
                f"after_close={after_close!r} is not allowed; use finite seconds > 0 or None"
            )
        if not burst_k > 0:
            raise ValueError(f"burst_k={burst_k!r} is not allowed; use a number > 0")
        for name, value in (
            ("max_errors_kept", max_errors_kept),
            ("max_alerts_kept", max_alerts_kept),
        ):
            if not _is_positive_int(value):
                raise ValueError(f"{name}={value!r} is not allowed; use an int >= 1")
        if plan is not None:
            plan = _params.validate_choice(str(plan).lower(), tuple(PLANS), "plan")
        self._source = source
        self._symbol = _params.validate_symbol(symbol)
        self._metric = _params.validate_choice(heatmap_metric, METRICS, "heatmap_metric")
        self._bar = _params.validate_choice(bar, BARS, "bar")
        self._leaderboard_metric = _params.validate_choice(
            leaderboard_metric, LEADERBOARD_METRICS, "leaderboard_metric"
        )
        self.leaderboard_every = leaderboard_every
        self._sleep = sleep
        self._clock = getattr(source, "clock", None)
        clock_now = getattr(self._clock, "now", None)
        self._now_fn: Now = (
            now if now is not None else (clock_now if callable(clock_now) else _wall_now)
        )
        # a source without a clock that flowframe serves (a simulated or replayed day over
        # HTTP): its session time is the server's, not the wall's (see _now)
        self._follow_server = now is None and not callable(clock_now)
        self._served_anchor: tuple[pd.Timestamp, pd.Timestamp] | None = None
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.plan = plan
        self.floor = float(floor)
        self.after_close = after_close
        self.offload = offload
        self._async_source = isinstance(source, AsyncFlashAlpha) or inspect.iscoroutinefunction(
            getattr(source, "get_series", None)
        )
        self._name = source_name(source)

        self.data = LiveData()
        self.status = PollStatus(source=self._name)
        self._errors: deque[ErrorRecord] = deque(maxlen=max_errors_kept)
        self._alerts: deque[Alert] = deque(maxlen=max_alerts_kept)
        self._detector = AlertDetector(self._symbol, burst_k=burst_k)
        self._on_update: list[Callable[[LiveData], Any]] = []
        self._on_alert: list[Callable[[Alert], Any]] = []
        self._on_error: list[Callable[[BaseException], Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self._generation = 0  # bumped by every setting change: a cycle of an older one is void
        self._failures = 0
        self._backoff = 0.0
        self._cycles_since_leaderboard: int | None = None
        self._disabled: set[str] = set()
        self._closed_today = False
        self._raw_series: pd.DataFrame | None = None
        self._raw_pin = False
        # request sizing: where each panel's next window starts, and the server's clock
        self._series_from: pd.Timestamp | None = None
        self._grid_from: pd.Timestamp | None = None
        self._anchor: tuple[pd.Timestamp, pd.Timestamp] | None = None  # (as_of, local sent)
        self._series_as_of: pd.Timestamp | None = None
        self._landed_sent: pd.Timestamp | None = None  # last landed send, the earlier clock
        self._close_tries = 0
        self._callback_tasks: set[asyncio.Task[None]] = set()
        # recording: one writer at a time (a worker thread's write may outlive its cycle)
        self._record_to = _open_store(record_to)
        self._record_lock = threading.Lock()
        self._recorded = 0
        self._record_errors = 0
        if self._record_to is not None:
            self.status.extra.update(recorded=0, record_errors=0)

    # ------------------------------------------------------------------ settings

    @property
    def source(self) -> Source | AsyncFlashAlpha:
        """The source polled."""
        return self._source

    @property
    def symbol(self) -> str:
        """The symbol polled."""
        return self._symbol

    @property
    def record_to(self) -> Store | None:
        """The store every body received is recorded in (None: nothing is recorded)."""
        return self._record_to

    @property
    def heatmap_metric(self) -> str:
        """The heatmap panel's metric."""
        return self._metric

    @property
    def bar(self) -> str:
        """The series' bar size."""
        return self._bar

    @property
    def burst_k(self) -> float:
        """Robust sigmas beyond which a hedge-flow bar is a burst."""
        return self._detector.burst_k

    @burst_k.setter
    def burst_k(self, value: float) -> None:
        if not value > 0:
            raise ValueError(f"burst_k={value!r} is not allowed; use a number > 0")
        self._detector.burst_k = float(value)

    def _void_cycle_in_flight(self) -> None:
        self._generation += 1

    def set_symbol(self, symbol: str) -> None:
        """Poll another symbol: the series, hedge, heatmap and snapshot held are dropped.

        The leaderboard (not per symbol) stays, and so do the alerts, errors and counters;
        the alert baseline starts again with the new symbol's session. A cycle in flight when
        this is called is discarded when it lands.

        Raises
        ------
        ValueError
            ``symbol`` is not a symbol.
        """
        symbol = _params.validate_symbol(symbol)
        if symbol == self._symbol:
            return
        self._symbol = symbol
        self._void_cycle_in_flight()
        data = self.data
        data.series = data.hedge = data.heatmap = data.snapshot = None
        self._raw_series = None
        self._raw_pin = False
        self._series_from = self._grid_from = self._series_as_of = None
        self._closed_today = False
        self._detector.reset(symbol)

    def set_metric(self, metric: str) -> None:
        """Show another heatmap metric: only the heatmap held is dropped.

        Raises
        ------
        ValueError
            ``metric`` is not one of ``gex, dex, vex, chex, oi, signed_flow``.
        """
        metric = _params.validate_choice(metric, METRICS, "heatmap_metric")
        if metric == self._metric:
            return
        self._metric = metric
        self._void_cycle_in_flight()
        self.data.heatmap = None
        self._grid_from = None

    def set_bar(self, bar: str) -> None:
        """Use another bar size for the series: only the series and hedge-flow are dropped.

        Every bar held is of the old size, so the next cycle fetches the whole session again
        at the new one. The heatmap (always 1-minute bars), the snapshot, the leaderboard,
        the alerts, errors and counters stay; the next series is the alerts' new baseline. A
        cycle in flight when this is called is discarded when it lands.

        Raises
        ------
        ValueError
            ``bar`` is not one of ``30s, 1m, 5m, 15m``.
        """
        bar = _params.validate_choice(bar, BARS, "bar")
        if bar == self._bar:
            return
        self._bar = bar
        self._void_cycle_in_flight()
        self.data.series = self.data.hedge = None
        self._raw_series = None
        self._raw_pin = False
        self._series_from = self._series_as_of = None
        self._detector.rebase()

    # ------------------------------------------------------------------ callbacks

    def on_update(self, fn: Callable[[LiveData], Any]) -> Callable[[LiveData], Any]:
        """Call ``fn(data)`` after each successful cycle; returns ``fn`` (a decorator too).

        ``fn`` may be an async function: see :meth:`on_alert` for when it is awaited.

        Raises
        ------
        TypeError
            ``fn`` is not callable.
        """
        return self._register(self._on_update, fn, "on_update")

    def on_alert(self, fn: Callable[[Alert], Any]) -> Callable[[Alert], Any]:
        """Call ``fn(alert)`` for each new :class:`Alert`; returns ``fn`` (a decorator too).

        ``fn`` may be an async function (``async def``): its coroutine is awaited on the
        poller's event loop by :meth:`acycle` and the run loop, in the order the callbacks
        were registered, before the next cycle; :meth:`cycle` schedules it on the event loop
        running in this thread (a notebook's) or, with none, runs it to its end before
        returning. It is never left unawaited.

        Raises
        ------
        TypeError
            ``fn`` is not callable.
        """
        return self._register(self._on_alert, fn, "on_alert")

    def on_error(self, fn: Callable[[BaseException], Any]) -> Callable[[BaseException], Any]:
        """Call ``fn(exception)`` after each failed cycle; returns ``fn`` (async allowed).

        Raises
        ------
        TypeError
            ``fn`` is not callable.
        """
        return self._register(self._on_error, fn, "on_error")

    @staticmethod
    def _register(callbacks: list[Any], fn: _F, name: str) -> _F:
        if not callable(fn):
            raise TypeError(f"{name}() takes a function or an async function to call, got {fn!r}")
        callbacks.append(fn)
        return fn

    def _notify(self, callbacks: list[Callable[[Any], Any]], arg: Any) -> Pending:
        """Call each callback; return the awaitables the async ones gave, still to await."""
        pending: Pending = []
        for fn in list(callbacks):
            try:
                result = fn(arg)
            except Exception as exc:  # a broken callback must not stop the polling
                self._callback_failed(fn, exc)
                continue
            if inspect.isawaitable(result):
                pending.append((fn, result))
        return pending

    def _callback_failed(self, fn: Callable[..., Any], exc: Exception) -> None:
        logger.warning("flowframe.live callback %r raised", fn, exc_info=exc)
        name = getattr(fn, "__name__", None) or type(fn).__name__
        self._errors.append(
            (self._now(), "callback", f"{name}: {type(exc).__name__}: {_describe(exc)}")
        )

    async def _settle(self, pending: Pending) -> None:
        """Await the callbacks' awaitables in order; one that raises is recorded, not raised."""
        for at, (fn, awaitable) in enumerate(pending):
            try:
                await awaitable
            except Exception as exc:
                self._callback_failed(fn, exc)
            except BaseException:  # cancelled: the rest will never run, close them quietly
                _close_unawaited(pending[at + 1 :])
                raise

    def _settle_here(self, pending: Pending) -> None:
        """For :meth:`cycle`: a task on this thread's running loop, or run to the end now."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(self._settle(pending))
            return
        task = loop.create_task(self._settle(pending), name="flowframe-poller-callbacks")
        self._callback_tasks.add(task)  # kept until done: a bare task may be collected
        task.add_done_callback(self._callback_tasks.discard)

    # ------------------------------------------------------------------ state

    @property
    def errors(self) -> list[ErrorRecord]:
        """The latest errors, oldest first: ``(time, kind, message)``."""
        return list(self._errors)

    @property
    def alerts(self) -> list[Alert]:
        """The latest alerts, oldest first."""
        return list(self._alerts)

    @property
    def running(self) -> bool:
        """True while the run loop's task is alive."""
        return self._task is not None and not self._task.done()

    @property
    def requests_per_cycle(self) -> float:
        """Requests an average cycle sends (the leaderboard counts ``1 / leaderboard_every``)."""
        count = 2.0 + (0.0 if "heatmap" in self._disabled else 1.0)
        if self.leaderboard_every is not None and "leaderboard" not in self._disabled:
            count += 1.0 / self.leaderboard_every
        return count

    @property
    def speed(self) -> float:
        """Session seconds per real second: the source clock's speed, else 1."""
        speed = getattr(self._clock, "speed", None)
        running = getattr(self._clock, "running", True)
        if running and isinstance(speed, int | float) and _is_seconds(speed):
            return float(speed)
        return 1.0

    def _now(self) -> pd.Timestamp:
        """Return the session time: the source's clock, ``now=``, or the wall clock.

        For a source without a clock whose bodies flowframe's engine wrote (``flowframe
        serve``), the server's: the last such ``as_of`` plus the wall time since it landed.
        So a served past or simulated day is judged by its own session, not by today's.
        """
        local = _utc(self._now_fn())
        if self._served_anchor is not None:
            as_of, landed = self._served_anchor
            return as_of + max(local - landed, pd.Timedelta(0))
        return local

    def _bounds(self, now: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
        open_ = getattr(self._clock, "open", None)
        close = getattr(self._clock, "close", None)
        if isinstance(open_, pd.Timestamp) and isinstance(close, pd.Timestamp):
            return open_, close
        return session_bounds(now.tz_convert(ET).date())

    def _seconds_left(self, now: pd.Timestamp) -> float:
        open_, close = self._bounds(now)
        if now < open_:
            return (close - open_).total_seconds()
        return max((close - now).total_seconds(), 0.0)

    def _gathered(self, close: pd.Timestamp) -> bool:
        """Say whether the series held is final (the close's bars, complete, are held).

        True with nothing held (a holiday); or when the last series body was as of the close
        or later; or when a cycle landed that was sent at or after the close by both the
        local clock and the server's (estimated) one.
        """
        series = self._raw_series
        if series is None or series.empty:
            return True
        if self._series_as_of is not None and self._series_as_of >= close:
            return True
        return self._landed_sent is not None and self._landed_sent >= close

    def _quota(self) -> Quota | None:
        quota = getattr(self._source, "quota", None)
        return quota if isinstance(quota, Quota) else None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (
            f"Poller({self._symbol}, {self._name}, {state}, ticks={self.status.ticks}, "
            f"interval={self.status.interval:g}s)"
        )

    # ------------------------------------------------------------------ one cycle

    def cycle(self) -> bool:
        """Run one polling cycle now, synchronously.

        Returns
        -------
        bool
            True when the cycle landed, False when it failed (the error is recorded, the data
            held is untouched, and the next cycle backs off).

        Raises
        ------
        TypeError
            The source is async: use :meth:`acycle`.
        RuntimeError
            Another cycle is in progress.
        """
        if self._async_source:
            raise TypeError(f"{self._name} is an async source: use `await poller.acycle()`")
        landed, pending = _run_now(self._cycle(self._fetch_here, self._record_here))
        if pending:
            self._settle_here(pending)
        return landed

    async def acycle(self) -> bool:
        """Run one polling cycle, awaiting the source if it is async (see :meth:`cycle`).

        A sync source is called in a worker thread when ``offload`` is set, so the event loop
        keeps running meanwhile. Async callbacks are awaited before it returns.
        """
        landed, pending = await self._cycle(self._fetch_awaited, self._record_offloaded)
        await self._settle(pending)
        return landed

    async def _fetch_here(self, call: _Call) -> Any:
        """Ask a sync source in this thread (never suspends: :meth:`cycle` relies on it)."""
        return getattr(self._source, call.method)(*call.args, **call.kwargs)

    async def _fetch_awaited(self, call: _Call) -> Any:
        """Ask the source, awaiting it (a sync one in a worker thread when ``offload``)."""
        method = getattr(self._source, call.method)
        if self.offload and not self._async_source:
            payload = await asyncio.to_thread(method, *call.args, **call.kwargs)
        else:
            payload = method(*call.args, **call.kwargs)
        if inspect.isawaitable(payload):
            payload = await payload
        return payload

    async def _record_here(self, answers: list[_Answer], now: pd.Timestamp) -> None:
        """Record in this thread (never suspends: :meth:`cycle` relies on it)."""
        self._record(answers, now)

    async def _record_offloaded(self, answers: list[_Answer], now: pd.Timestamp) -> None:
        """Record in a worker thread, so the event loop runs on while the store writes."""
        await asyncio.to_thread(self._record, answers, now)

    def _record(self, answers: list[_Answer], now: pd.Timestamp) -> None:
        """Append a cycle's answers to ``record_to``, one call per partition; never raises.

        A record that cannot be built or written is a ``"record"`` error; the rest are
        written. Runs in a worker thread from :meth:`acycle`: one write at a time (the lock).
        """
        store = self._record_to
        if store is None or not answers:
            return
        with self._record_lock:
            batches: dict[_Partition, list[dict[str, Any]]] = {}
            for answer in answers:
                try:
                    where, record = _record_of(answer, now)
                except Exception as exc:  # a body orjson cannot encode
                    self._record_failed(now, f"{answer[0].panel} body not recorded", 1, exc)
                    continue
                batches.setdefault(where, []).append(record)
            for (symbol, date), records in batches.items():
                try:
                    written = store.append_bodies(records, symbol=symbol, date=date)
                except Exception as exc:  # disk full, a damaged file: polling goes on
                    what = f"{symbol or 'market-wide'} {date.isoformat()}"
                    self._record_failed(now, f"{what} bodies not recorded", len(records), exc)
                    continue
                self._recorded += written
                self.status.extra["recorded"] = self._recorded

    def _record_failed(self, now: pd.Timestamp, what: str, count: int, exc: Exception) -> None:
        self._record_errors += count
        self.status.extra["record_errors"] = self._record_errors
        message = f"{what} ({count}): {type(exc).__name__}: {_describe(exc)}"
        self._errors.append((now, "record", message))
        logger.warning("flowframe.live: %s", message)

    async def _cycle(self, fetch: Fetch, record: _Write) -> tuple[bool, Pending]:
        """Plan, fetch and land one cycle, record it, then book it; the cycle of both entry points.

        Returns whether it landed, and the awaitables async callbacks gave (awaited by the
        caller: the sync entry point cannot await here).
        """
        if self._busy:
            raise RuntimeError("a polling cycle is already in progress on this Poller")
        now = self._now()
        calls = self._plan(now)
        generation = self._generation
        self._busy = True
        error: Exception | None = None
        alerts: list[Alert] | None = None
        received: list[_Answer] = []
        recording = self._record_to is not None
        try:
            try:
                for call in calls:
                    self.status.requests += 1
                    try:
                        payload = await fetch(call)
                    except TierRestrictedError as exc:
                        if not self._refused(call, exc):
                            raise
                        if exc.body is not None:  # recorded: a replay turns the panel off too
                            received.append((call, exc.body, _wall_now(), 403))
                        continue
                    received.append((call, payload, _wall_now(), 200))
                answers = [(c, p) for c, p, _, status in received if status == 200]
                alerts = self._land(generation, now, answers)
            except Exception as exc:  # the source's or its payloads': recorded, the data stays
                error = exc
            if recording and received:
                recording = False  # from here on the write is under way: never twice
                await record(received, now)
        except BaseException:
            if recording and received:  # cancelled mid-cycle: keep what the server sent
                self._record(received, now)
            raise
        finally:
            self._busy = False
        return self._finish(error, alerts)

    def _server_now(self, now: pd.Timestamp) -> pd.Timestamp:
        """Estimate the server's clock: the last ``as_of`` plus the local time since it was sent.

        The local clock ``now`` itself only before any body stated a usable ``as_of``.
        """
        if self._anchor is None:
            return now
        as_of, sent = self._anchor
        return as_of + max(now - sent, pd.Timedelta(0))

    def _plan(self, now: pd.Timestamp) -> list[_Call]:
        """Return this cycle's requests: each window from its resume point to the server's now.

        See the module's "How many minutes to ask for".
        """
        symbol = (self._symbol,)
        server_now = self._server_now(now)
        minutes = window_minutes(
            self._series_from, server_now, float(BAR_SECONDS[self._bar]), margin=WINDOW_MARGIN
        )
        calls = [_Call("series", "get_series", symbol, {"bar": self._bar, "minutes": minutes})]
        if "heatmap" not in self._disabled:
            grid_from = self._grid_from if self.data.heatmap is not None else None
            kwargs = {
                "metric": self._metric,
                "mode": "raw",
                "bar": GRID_BARS[0],
                "minutes": window_minutes(
                    grid_from, server_now, _GRID_BAR_SECONDS, margin=WINDOW_MARGIN
                ),
            }
            calls.append(_Call("heatmap", "get_heatmap", symbol, kwargs))
        calls.append(_Call("snapshot", "get_snapshot", symbol))
        due = self._cycles_since_leaderboard is None or (
            self.leaderboard_every is not None
            and self._cycles_since_leaderboard + 1 >= self.leaderboard_every
        )
        if self.leaderboard_every is not None and "leaderboard" not in self._disabled and due:
            calls.append(
                _Call("leaderboard", "get_leaderboard", (), {"metric": self._leaderboard_metric})
            )
        return calls

    def _refused(self, call: _Call, exc: TierRestrictedError) -> bool:
        """Turn an optional panel off after a 403; True when the cycle may go on."""
        if call.panel not in ("heatmap", "leaderboard"):
            return False
        self._disabled.add(call.panel)
        self.status.extra["disabled"] = sorted(self._disabled)
        self._errors.append((self._now(), type(exc).__name__, f"{call.panel} turned off: {exc}"))
        logger.info("flowframe.live: %s turned off: %s", call.panel, exc)
        return True

    def _land(
        self, generation: int, now: pd.Timestamp, answers: list[tuple[_Call, Any]]
    ) -> list[Alert]:
        """Read every payload, then commit them all at once (nothing on any error).

        Returns the new alerts (none when a setting changed meanwhile: the answers are then
        dropped).
        """
        name = self._name
        read: dict[str, Any] = {}
        raw_pin = self._raw_pin
        as_of: pd.Timestamp | None = None  # the latest believable as_of of the cycle's bodies
        series_as_of: pd.Timestamp | None = None
        for call, payload in answers:
            stamp = _as_of(payload, now, self._follow_server)
            if stamp is not None:
                as_of = stamp if as_of is None else max(as_of, stamp)
            if call.panel == "series":
                read["series"], raw_pin = read_series_window(payload, name)
                series_as_of = stamp
            elif call.panel == "heatmap":
                read["heatmap"] = heatmap_from_payload(payload, source=name)
            elif call.panel == "snapshot":
                read["snapshot"] = snapshot_from_payload(payload, source=name)
            else:
                read["leaderboard"] = leaderboard_from_payload(payload, source=name)
        if generation != self._generation:  # a setting changed while this was in flight
            return []
        data = self.data
        raw = self._raw_series
        series, hedge = data.series, data.hedge
        series_from, grid_from = self._series_from, self._grid_from
        if "series" in read:
            raw = merge_series(raw, read["series"])
            series = pin_auto(raw) if raw_pin else raw
            hedge = hedge_from_series(series)
            series_from = _resume_point(series_from, read["series"].index)
        heatmap = data.heatmap
        if "heatmap" in read:
            if heatmap is None:
                grid_from = None
            heatmap = merge_heatmap(heatmap, read["heatmap"])
            bars = pd.DatetimeIndex(read["heatmap"]["bar"].values).tz_localize("UTC")  # naive UTC
            grid_from = _resume_point(grid_from, bars)
        # commit: nothing above changed self
        self._raw_series, self._raw_pin = raw, raw_pin
        data.series, data.hedge, data.heatmap = series, hedge, heatmap
        self._series_from, self._grid_from = series_from, grid_from
        self._landed_sent = min(now, self._server_now(now))  # before the anchor moves
        self._close_tries = 0
        if as_of is not None:
            self._anchor = (as_of, now)
            served = any(_served_by_flowframe(payload) for _, payload in answers)
            if self._follow_server and served:
                self._served_anchor = (as_of, _utc(self._now_fn()))
        if "series" in read:
            self._series_as_of = series_as_of
        if "snapshot" in read:
            data.snapshot = read["snapshot"]
        if "leaderboard" in read:
            data.leaderboard = read["leaderboard"]
            self._cycles_since_leaderboard = 0
        elif self._cycles_since_leaderboard is not None:
            self._cycles_since_leaderboard += 1
        snap = data.snapshot
        self._closed_today = snap is not None and snap.status == "session_closed"
        self._failures = 0
        self._backoff = 0.0
        self.status.last_error = None
        self.status.last_update = now
        detector = self._detector
        alerts = detector.series_alerts(series, hedge) if "series" in read else []
        if "snapshot" in read:
            alerts += detector.snapshot_alerts(data.snapshot, now)
        self._alerts.extend(alerts)
        return alerts

    def _finish(self, error: Exception | None, alerts: list[Alert] | None) -> tuple[bool, Pending]:
        """Book the cycle (ticks, backoff, cadence), then tell the callbacks.

        Returns whether the cycle landed and what async callbacks gave, still to await.
        """
        if error is not None:
            self._record_failure(error)
        st = self.status
        st.ticks += 1
        now = self._now()
        st.session_time = now
        self._update_cadence(now)
        if error is not None:
            return False, self._notify(self._on_error, error)
        pending = self._notify(self._on_update, self.data)
        for alert in alerts or ():
            pending += self._notify(self._on_alert, alert)
        return True, pending

    def _update_cadence(self, now: pd.Timestamp) -> None:
        quota = self._quota()
        rpc = self.requests_per_cycle
        interval = plan_interval(
            quota=quota,
            requests_per_cycle=rpc,
            seconds_left=self._seconds_left(now),
            floor=self.floor,
            plan=self.plan,
        )
        st = self.status
        st.interval = interval
        st.quota_remaining = quota.remaining if quota is not None else None
        st.quota_limit = quota.limit if quota is not None else None
        st.projected_use = projected_use(interval, rpc)
        st.backoff = self._backoff
        st.extra["requests_per_cycle"] = rpc
        st.extra["consecutive_failures"] = self._failures
        st.extra["plan"] = self.plan or plan_for_quota(quota)

    def _record_failure(self, exc: Exception) -> None:
        self._failures += 1
        retry_after = exc.retry_after if isinstance(exc, RateLimitError) else None
        backoff = backoff_seconds(
            self._failures, base=self.backoff_base, cap=self.backoff_max, retry_after=retry_after
        )
        self._backoff = backoff
        kind = type(exc).__name__
        message = _describe(exc)
        self._errors.append((self._now(), kind, message))
        self.status.last_error = f"{kind}: {message}"
        logger.info(
            "flowframe.live: cycle failed (%s: %s); backing off %.3g s", kind, message, backoff
        )

    # ------------------------------------------------------------------ run loop

    def start(self) -> asyncio.Task[None]:
        """Start polling in the background: one task on the running event loop.

        Returns
        -------
        asyncio.Task
            The loop's task; calling ``start()`` again while it runs returns the same task.

        Raises
        ------
        RuntimeError
            There is no running event loop (call it from a notebook cell or from async code).
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "Poller.start() needs a running asyncio event loop: call it in a Jupyter "
                "notebook (which runs one) or from async code; in a plain script call "
                "poller.cycle() yourself, or asyncio.run() a coroutine that starts the poller"
            ) from None
        if self._task is not None and not self._task.done():
            return self._task
        self.status.extra.pop("stopped", None)
        task = loop.create_task(self._run(), name=f"flowframe-poller-{self._symbol}")
        task.add_done_callback(self._task_done)
        self._task = task
        return task

    def stop(self) -> None:
        """Cancel the run loop (returns at once; ``await poller.astop()`` waits for the end)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.status.next_poll = None

    async def astop(self) -> None:
        """Cancel the run loop and wait until its task has finished."""
        task = self._task
        self.stop()
        if task is None or task is asyncio.current_task():
            return
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # astop() itself is being cancelled

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.status.next_poll = None
        if task.cancelled():
            self.status.extra["stopped"] = "stopped"
            return
        exc = task.exception()
        if exc is not None:  # a bug, not a source error (those are caught per cycle)
            self.status.extra["stopped"] = f"crashed: {exc!r}"
            self._errors.append((self._now(), type(exc).__name__, f"run loop crashed: {exc}"))
            logger.error("flowframe.live poller crashed", exc_info=exc)

    async def _run(self) -> None:
        while True:
            await self.acycle()
            delay = self.next_delay()
            if delay is None:
                self.status.extra["stopped"] = "session over"
                return
            await self._sleep(delay)

    def next_delay(self) -> float | None:
        """Real seconds the run loop waits before the next cycle; None when it would end.

        ``max(interval / speed, backoff)``, waking at the open before it and one second after
        the close at the latest; once the session is over, ``after_close`` (None ends the
        loop, but only once a cycle sent after the close has landed: after a failed one it
        tries again, with the back-off, up to :data:`CLOSE_TRIES` times). Always a finite
        number of seconds >= 0; never raises. See :func:`~flowframe.live.cadence.next_wait`.
        """
        now = self._now()
        speed = self.speed
        bounds = self._bounds(now)
        gathered = self._gathered(bounds[1])
        delay = next_wait(
            now,
            bounds,
            interval=self.status.interval,
            speed=speed,
            backoff=self._backoff,
            closed_today=self._closed_today and gathered,
            after_close=self.after_close,
        )
        if delay is None and not gathered and self._close_tries < CLOSE_TRIES:
            # over by the local clock, but no cycle has landed since the close (it failed, or
            # the server's clock is behind): once more, when the server passes the close
            self._close_tries += 1
            server_left = (bounds[1] - self._server_now(now)).total_seconds() + CLOSE_MARGIN
            delay = max(server_left / speed, self._backoff, 0.0)
        if delay is None:
            self.status.next_poll = None
            return None
        if not (math.isfinite(delay) and delay >= 0.0):  # a clock speed near 0: wall seconds
            delay = max(self.status.interval, self._backoff)
        try:
            self.status.next_poll = now + pd.Timedelta(seconds=delay * speed)
        except (OverflowError, ValueError):  # OutOfBoundsTimedelta: a clock speed near inf
            self.status.next_poll = None
        self.status.extra["sleep"] = delay
        return delay
