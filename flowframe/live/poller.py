"""Poll one symbol of any source and keep the live frames, within the daily quota.

:class:`Poller` asks a source (the hosted client, :class:`~flowframe.Simulated`, a
:class:`~flowframe.Local`, your own) for the session series, the chosen heatmap metric and the
snapshot, and now and then the leaderboard; it merges what comes back into :class:`LiveData`,
raises :class:`Alert` records when something a trader wants to know happens, and reports its
progress in :class:`PollStatus`. :func:`plan_interval` chooses the cadence so a whole session
fits the daily quota. Nothing here imports ipywidgets: the dashboard renders what the poller
keeps.

Requests and cadence
--------------------
One cycle sends 3 requests: ``series`` (which carries the hedge-flow cumulatives by leg, so
the hedge panel costs nothing: :func:`hedge_from_series` derives it), ``heatmap`` (``mode="raw"``)
and ``snapshot``; every ``leaderboard_every``-th cycle adds ``leaderboard`` (4 requests). The
first cycle fetches the whole session (``minutes=390``); later cycles fetch only the minutes
since the last bar held plus one bar of overlap, and merge, so no bar already gathered is ever
lost. A 403 ``tier_restricted`` on the heatmap or the leaderboard (both Alpha+ endpoints) turns
that panel off instead of failing every cycle.

Errors
------
A cycle either lands whole or not at all: any exception from the source or from reading its
payloads (:class:`~flowframe.APIError` and subclasses, :class:`~flowframe.SchemaError`,
``TimeoutError``, anything else) leaves the data held untouched, is recorded in
:attr:`Poller.errors` and ``status.last_error``, and the next cycle waits with exponential
backoff. ``KeyboardInterrupt`` and ``asyncio.CancelledError`` are never swallowed.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
import xarray as xr

from flowframe import _params
from flowframe._constants import BARS, ET, METRICS, SPLIT_COLUMNS
from flowframe._session import session_bounds
from flowframe.errors import RateLimitError, TierRestrictedError
from flowframe.frames import (
    heatmap_from_payload,
    leaderboard_from_payload,
    pin_values_are_fractions,
    regime_categorical,
    series_from_payload,
)
from flowframe.frames.loaders import source_name
from flowframe.frames.snapshot import Snapshot, snapshot_from_payload
from flowframe.live.contract import Alert, LiveData, PollStatus
from flowframe.sources.base import Source
from flowframe.sources.hosted import AsyncFlashAlpha, Quota

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

#: Daily request quota of each plan (API.md); None is unlimited.
PLANS: Final[dict[str, int | None]] = {"free": 5, "basic": 250, "growth": 2500, "alpha": None}
#: Seconds the server caches each plan's answers: polling faster returns the same data.
CACHE_SECONDS: Final[dict[str, float]] = {
    "free": 900.0,
    "basic": 15.0,
    "growth": 15.0,
    "alpha": 0.0,
}
#: A regular session, 09:30 to 16:00 ET: 6.5 h.
SESSION_SECONDS: Final = 23_400.0
#: The kinds of :class:`Alert` a poller raises.
ALERT_KINDS: Final = (
    "flow_direction_flip",
    "severity_escalation",
    "flip_cross",
    "wall_cross",
    "hedge_burst",
)

_RESERVE_FRACTION: Final = 0.05
_FULL_WINDOW: Final = 390
_BAR_SECONDS: Final = {"30s": 30.0, "1m": 60.0, "5m": 300.0, "15m": 900.0}
_HEATMAP_BAR_SECONDS: Final = 60.0
_CLOSE_MARGIN: Final = 1.0  # session seconds past the close of the loop's last wake-up
_SEVERITY_RANK: Final = {"info": 0, "watch": 1, "alert": 2}
_MAD_SCALE: Final = 1.4826
_BURST_MIN_BARS: Final = 10
_LEG_COLUMNS: Final = (
    ("", "hedge_flow_cumulative_all"),
    ("calls_", "hedge_flow_call_cumulative"),
    ("puts_", "hedge_flow_put_cumulative"),
)

Now = Callable[[], pd.Timestamp]
Sleep = Callable[[float], Awaitable[Any]]
ErrorRecord = tuple[pd.Timestamp, str, str]


# --------------------------------------------------------------------------- cadence


def plan_for_limit(limit: int | str | None) -> str | None:
    """Name the plan whose daily quota is ``limit``.

    Parameters
    ----------
    limit : int, str or None
        A daily limit as ``X-RateLimit-Limit`` states it: an integer, or ``"unlimited"``.

    Returns
    -------
    str or None
        ``"free"`` (5), ``"basic"`` (250), ``"growth"`` (2,500), ``"alpha"`` (unlimited), or
        None for a limit no plan has (or no limit known).

    Examples
    --------
    >>> plan_for_limit(2500), plan_for_limit("unlimited"), plan_for_limit(1000)
    ('growth', 'alpha', None)
    """
    if isinstance(limit, str):
        text = limit.strip().lower()
        if text == "unlimited":
            return "alpha"
        try:
            limit = int(text)
        except ValueError:
            return None
    if limit is None or isinstance(limit, bool):
        return None
    for plan, quota in PLANS.items():
        if quota == limit:
            return plan
    return None


def quota_reserve(limit: int) -> int:
    """Return the calls :func:`plan_interval` leaves unspent: 5% of the daily limit, at least 1.

    The margin covers the requests you make yourself while the poller runs and the odd retry.
    Free keeps 1 call, Basic 13, Growth 125.
    """
    return max(1, math.ceil(_RESERVE_FRACTION * limit))


def plan_interval(
    *,
    quota: Quota | None,
    requests_per_cycle: float,
    seconds_left: float,
    floor: float = 30.0,
    plan: str | None = None,
) -> float:
    """Choose the seconds between polling cycles so the rest of the session fits the quota.

    The arithmetic: the cycles left at an interval ``i`` are ``seconds_left / i``, each costing
    ``requests_per_cycle`` calls, and they must fit in the calls remaining minus a reserve
    (:func:`quota_reserve`: 5% of the limit), so::

        i = seconds_left * requests_per_cycle / max(remaining - reserve, 1)

    never below ``floor`` (the raw data is sampled every 30 s, so polling faster shows nothing
    new) nor below the plan's server cache (:data:`CACHE_SECONDS`: 15 minutes on Free). API.md's
    example: a 6.5 h session polled every 30 s is 780 calls per endpoint, so three endpoints
    cost 2,340 calls. On Growth (2,500 a day, 125 kept in reserve) that fits from the open:
    ``23,400 * 3 / 2,375 = 29.6 s``, so the 30 s floor. On Basic (250, 13 in reserve) it is
    ``23,400 * 3 / 237 = 296 s``, about every 5 minutes; on Free (5, 1 in reserve)
    ``23,400 * 3 / 4 = 17,550 s``: one more cycle in the session; Alpha (unlimited) polls at
    the floor. The quota resets at 00:00 UTC, after the close (20:00 or 19:00 ET), so a whole
    session draws on one day's quota.

    Parameters
    ----------
    quota : Quota or None
        The quota the last response stated (``client.quota``); None when unknown (a local
        source, or before the first response): then the floor.
    requests_per_cycle : float
        Requests one cycle sends; may be fractional (3.1 = three every cycle plus a
        leaderboard every tenth).
    seconds_left : float
        Seconds of session left to cover (the whole session, 23,400, before the open).
    floor : float, default 30.0
        The shortest interval.
    plan : {"free", "basic", "growth", "alpha"}, optional
        The key's plan; inferred from ``quota.limit`` when omitted. It only raises the floor
        to the plan's server cache.

    Returns
    -------
    float
        Seconds between cycles.

    Raises
    ------
    ValueError
        ``floor`` is not positive, ``requests_per_cycle`` is negative, or ``plan`` is unknown.

    Examples
    --------
    >>> basic = Quota(limit=250, remaining=250, reset=None)
    >>> round(plan_interval(quota=basic, requests_per_cycle=3, seconds_left=23_400), 1)
    296.2
    >>> plan_interval(quota=None, requests_per_cycle=3, seconds_left=23_400)
    30.0
    """
    if not floor > 0:
        raise ValueError(f"floor={floor!r} is not allowed; use seconds > 0")
    if not requests_per_cycle >= 0:
        raise ValueError(f"requests_per_cycle={requests_per_cycle!r} is not allowed; use >= 0")
    if plan is None and quota is not None:
        plan = "alpha" if quota.unlimited else plan_for_limit(quota.limit)
    if plan is not None:
        plan = _params.validate_choice(str(plan).lower(), tuple(PLANS), "plan")
    low = max(float(floor), CACHE_SECONDS[plan] if plan is not None else 0.0)
    if quota is None or quota.unlimited or quota.remaining is None:
        return low
    if not seconds_left > 0 or requests_per_cycle == 0:
        return low
    reserve = quota_reserve(quota.limit if quota.limit is not None else quota.remaining)
    usable = max(quota.remaining - reserve, 1)
    return max(low, float(seconds_left) * float(requests_per_cycle) / usable)


# --------------------------------------------------------------------------- frames


def hedge_from_series(series: pd.DataFrame) -> pd.DataFrame:
    """Derive the split hedge-flow frame from a series frame's cumulatives (no request).

    Each leg's ``bar`` is the difference of its cumulative from the previous bar; the first bar
    held (the session's first, since a poller's first request covers the whole session) equals
    its cumulative. So the bars sum to the cumulative.

    Parameters
    ----------
    series : pandas.DataFrame
        A series frame (``hedge_flow_call_cumulative``, ``hedge_flow_put_cumulative``,
        ``hedge_flow_cumulative_all``).

    Returns
    -------
    pandas.DataFrame
        The series' index; float64 columns ``bar, cumulative, calls_bar, calls_cumulative,
        puts_bar, puts_cumulative`` (``cumulative`` is ``hedge_flow_cumulative_all``); attrs
        as :func:`flowframe.frames.split_hedge_flow` gives them (``side="split"``).
    """
    columns: dict[str, np.ndarray] = {}
    for prefix, source_column in _LEG_COLUMNS:
        cumulative = series[source_column].to_numpy(dtype=np.float64, copy=True)
        columns[f"{prefix}bar"] = np.diff(cumulative, prepend=0.0)
        columns[f"{prefix}cumulative"] = cumulative
    frame = pd.DataFrame(
        {name: columns[name] for name in SPLIT_COLUMNS},
        index=pd.DatetimeIndex(series.index, name="t"),
    )
    attrs = series.attrs
    frame.attrs = {
        "symbol": attrs.get("symbol"),
        "expiration": attrs.get("expiration"),
        "side": "split",
        "bar_size": attrs.get("bar_size"),
        "as_of": attrs.get("as_of"),
        "source": attrs.get("source"),
        "endpoint_version": attrs.get("endpoint_version"),
        "data_as_of": attrs.get("data_as_of"),
    }
    return frame


def _read_series(payload: Any, source: str) -> tuple[pd.DataFrame, bool]:
    """Read a series window; True when ``pin_probability_pct`` is left raw for :func:`_pin_auto`.

    ``series_from_payload``'s ``"auto"`` unit rule looks at the values of one body, and a
    window of a few bars (all below 1 %) could be misread as fractions. A body that does not
    declare its unit is read raw, and the rule is applied to the whole session held.
    """
    declared = payload.get("pin_probability_unit") if isinstance(payload, dict) else None
    if declared in ("pct", "fraction"):
        return series_from_payload(payload, source=source), False
    return series_from_payload(payload, source=source, pin_probability_unit="pct"), True


def _pin_auto(raw: pd.DataFrame) -> pd.DataFrame:
    """Apply the ``"auto"`` unit rule of :func:`series_from_payload` to a whole frame."""
    pin = raw["pin_probability_pct"].to_numpy(dtype=np.float64)
    fraction = pin_values_are_fractions(pin)
    out = raw.copy()
    if fraction:
        out["pin_probability_pct"] = pin * 100.0
    out.attrs = {**raw.attrs, "pin_probability_unit_read": "fraction" if fraction else "pct"}
    return out


def merge_series(held: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """Merge a newer series window into the frame held: newer bars win, none is dropped.

    Parameters
    ----------
    held : pandas.DataFrame or None
        The frame gathered so far.
    new : pandas.DataFrame
        A frame just read (a window that may overlap ``held``).

    Returns
    -------
    pandas.DataFrame
        The union of the bars, sorted by ``t``; a time present in both keeps ``new``'s bar.
        ``regime`` stays categorical (the known labels first, then any other, sorted); attrs
        are ``new``'s.
    """
    if held is None or held.empty:
        return new
    if new.empty:
        out = held.copy()
    else:
        both = pd.concat([held, new])
        out = both[~both.index.duplicated(keep="last")].sort_index(kind="stable")
        if "regime" in out.columns:
            out["regime"] = regime_categorical(out["regime"])
    out.attrs = dict(new.attrs)
    return out


def merge_heatmap(held: xr.DataArray | None, new: xr.DataArray) -> xr.DataArray:
    """Merge a newer heatmap window into the array held, along ``bar``.

    Parameters
    ----------
    held : xarray.DataArray or None
        The array gathered so far.
    new : xarray.DataArray
        An array just read (a window that may overlap ``held``).

    Returns
    -------
    xarray.DataArray
        Bars of both (a bar present in both keeps ``new``'s row), sorted; strikes are the
        union of both grids, NaN where a bar's grid lacked the strike. Attrs are ``new``'s.
    """
    if held is None or held.sizes["bar"] == 0:
        return new
    if new.sizes["bar"] == 0:
        out = held.copy()
        out.attrs = dict(new.attrs)
        return out
    both = xr.concat(
        [held, new],
        dim="bar",
        join="outer",
        coords="minimal",
        compat="override",
        combine_attrs="override",
        fill_value=np.nan,
    )
    keep = ~pd.Index(both["bar"].values).duplicated(keep="last")
    out = both.isel(bar=np.flatnonzero(keep)).sortby(["bar", "strike"])
    out.name = new.name
    out.attrs = dict(new.attrs)
    out["bar"].attrs = dict(new["bar"].attrs)
    return out


# --------------------------------------------------------------------------- poller


@dataclass(frozen=True, slots=True)
class _Call:
    panel: str
    method: str
    kwargs: dict[str, Any] = field(default_factory=dict)


def _utc(ts: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(ts)
    if stamp.tz is None:
        raise ValueError(f"now() must return a tz-aware timestamp, got {stamp!r}")
    return stamp.tz_convert("UTC")


def _is_positive_int(value: object) -> bool:
    return type(value) is int and value >= 1


def _wall_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def _window_minutes(last: pd.Timestamp | None, now: pd.Timestamp, bar_seconds: float) -> int:
    """Minutes since ``last`` plus one bar of overlap, clamped to 1..390 (390 when no bar)."""
    if last is None:
        return _FULL_WINDOW
    span = (now - last).total_seconds() + bar_seconds
    return int(min(max(math.ceil(span / 60.0), 1), _FULL_WINDOW))


def _side(value: float, level: float) -> int:
    """-1 below, +1 above, 0 at the level or when either is NaN."""
    if not (math.isfinite(value) and math.isfinite(level)):
        return 0
    return int(np.sign(value - level))


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
        :class:`~flowframe.RateLimitError` with ``retry_after`` waits at least that. A
        successful cycle resets it to 0.
    max_errors_kept : int, default 50
        How many errors :attr:`errors` keeps (the oldest go first).
    max_alerts_kept : int, default 200
        How many alerts :attr:`alerts` keeps.
    plan : {"free", "basic", "growth", "alpha"}, optional
        The key's plan, when the source's quota cannot tell (see :func:`plan_interval`).
    floor : float, default 30.0
        The shortest interval between cycles, in session seconds.
    after_close : float or None, default None
        Once the session is over (the clock is at or past the close, or the snapshot says
        ``session_closed`` during session hours: a holiday), the run loop ends after that
        cycle (None: the close's bars are gathered, then no call is spent on a closed market),
        or keeps polling every ``after_close`` seconds.
    offload : bool, default True
        In :meth:`acycle`, call a sync source in a worker thread, so the event loop (the
        notebook) stays responsive while it answers.
    leaderboard_metric : str, default "heat"
        The leaderboard's metric.
    burst_k : float, default 3.0
        A hedge burst is a bar beyond ``burst_k`` robust sigmas of the session's bars before it.

    Attributes
    ----------
    data : LiveData
        The frames held. Each landed cycle replaces the objects (never mutates them in place),
        so a frame you hold keeps its values.
    status : PollStatus
        ``ticks`` counts completed cycles (failed ones too); ``requests`` the calls the poller
        made to the source (a hosted client's own retries are not counted); ``interval`` the
        planned seconds between cycles (session seconds); ``quota_remaining`` /
        ``quota_limit`` come from ``source.quota``; ``projected_use`` is what a whole session
        (23,400 s) at this interval and :attr:`requests_per_cycle` would cost; ``backoff`` the
        current backoff in seconds; ``extra`` holds ``requests_per_cycle``, ``plan``,
        ``consecutive_failures``, ``disabled`` panels, the loop's ``sleep`` and why it
        ``stopped``.
    errors : list of (Timestamp, str, str)
        The latest errors (time, exception class or ``"callback"``, message).
    alerts : list of Alert
        The latest alerts.

    Notes
    -----
    Alerts are computed after each landed cycle, from the bars new since the previous look
    (the first series held is the baseline and raises nothing) and from the snapshot compared
    with the previous one. Each fires once per event (a bar revised by a later poll does not
    fire again):

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

    The run loop sleeps ``max(interval / speed, backoff)`` real seconds between cycles, where
    ``interval`` is :func:`plan_interval` in session seconds and ``speed`` the source clock's
    speed (1 for the wall clock): a simulated session at 60x polls every 0.5 s of real time.
    Before the open it sleeps until the open; it never sleeps more than a second past the
    close, so the last bars of the session are gathered.

    Examples
    --------
    >>> poller = Poller(ff.Simulated(now="14:45"), "SPY")  # doctest: +SKIP
    >>> poller.cycle(); poller.data.series.tail()  # doctest: +SKIP
    >>> poller.start()  # in a notebook: polls in the background  # doctest: +SKIP
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
    ):
        if leaderboard_every is not None and not _is_positive_int(leaderboard_every):
            raise ValueError(
                f"leaderboard_every={leaderboard_every!r} is not allowed; use an int >= 1 or None"
            )
        if not backoff_base > 0 or not backoff_max >= backoff_base:
            raise ValueError(
                f"backoff_base={backoff_base!r}, backoff_max={backoff_max!r} are not allowed; "
                "use 0 < backoff_base <= backoff_max"
            )
        if not floor > 0:
            raise ValueError(f"floor={floor!r} is not allowed; use seconds > 0")
        if after_close is not None and not after_close > 0:
            raise ValueError(f"after_close={after_close!r} is not allowed; use seconds > 0 or None")
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
        self._leaderboard_metric = leaderboard_metric
        self.leaderboard_every = leaderboard_every
        self._sleep = sleep
        self._clock = getattr(source, "clock", None)
        clock_now = getattr(self._clock, "now", None)
        self._now_fn: Now = (
            now if now is not None else (clock_now if callable(clock_now) else _wall_now)
        )
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.plan = plan
        self.floor = float(floor)
        self.after_close = after_close
        self.offload = offload
        self.burst_k = float(burst_k)
        self._async_source = isinstance(source, AsyncFlashAlpha) or inspect.iscoroutinefunction(
            getattr(source, "get_series", None)
        )
        self._name = source_name(source)

        self.data = LiveData()
        self.status = PollStatus(source=self._name)
        self._errors: deque[ErrorRecord] = deque(maxlen=max_errors_kept)
        self._alerts: deque[Alert] = deque(maxlen=max_alerts_kept)
        self._on_update: list[Callable[[LiveData], Any]] = []
        self._on_alert: list[Callable[[Alert], Any]] = []
        self._on_error: list[Callable[[BaseException], Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self._generation = 0
        self._failures = 0
        self._backoff = 0.0
        self._cycles_since_leaderboard: int | None = None
        self._disabled: set[str] = set()
        self._closed_today = False
        self._raw_series: pd.DataFrame | None = None
        self._raw_pin = False
        self._reset_alert_state()

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
    def heatmap_metric(self) -> str:
        """The heatmap panel's metric."""
        return self._metric

    @property
    def bar(self) -> str:
        """The series' bar size."""
        return self._bar

    def set_symbol(self, symbol: str) -> None:
        """Poll another symbol: the series, hedge, heatmap and snapshot held are dropped.

        The leaderboard (not per symbol) stays. A cycle in flight when this is called is
        discarded when it lands.
        """
        symbol = _params.validate_symbol(symbol)
        if symbol == self._symbol:
            return
        self._symbol = symbol
        self._generation += 1
        self.data.series = self.data.hedge = None
        self._raw_series = None
        self.data.heatmap = None
        self.data.snapshot = None
        self._closed_today = False
        self._reset_alert_state()

    def set_metric(self, metric: str) -> None:
        """Show another heatmap metric: only the heatmap held is dropped."""
        metric = _params.validate_choice(metric, METRICS, "heatmap_metric")
        if metric == self._metric:
            return
        self._metric = metric
        self._generation += 1
        self.data.heatmap = None

    # ------------------------------------------------------------------ callbacks

    def on_update(self, fn: Callable[[LiveData], Any]) -> Callable[[LiveData], Any]:
        """Call ``fn(data)`` after each successful cycle; returns ``fn`` (a decorator too)."""
        self._on_update.append(fn)
        return fn

    def on_alert(self, fn: Callable[[Alert], Any]) -> Callable[[Alert], Any]:
        """Call ``fn(alert)`` for each new :class:`Alert`; returns ``fn``."""
        self._on_alert.append(fn)
        return fn

    def on_error(self, fn: Callable[[BaseException], Any]) -> Callable[[BaseException], Any]:
        """Call ``fn(exception)`` after each failed cycle; returns ``fn``."""
        self._on_error.append(fn)
        return fn

    def _notify(self, callbacks: list[Callable[[Any], Any]], arg: Any) -> None:
        for fn in list(callbacks):
            try:
                fn(arg)
            except Exception as exc:  # a broken callback must not stop the polling
                logger.warning("flowframe.live callback %r raised", fn, exc_info=True)
                self._errors.append(
                    (self._now(), "callback", f"{getattr(fn, '__name__', fn)!s}: {exc!r}")
                )

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
        if running and isinstance(speed, int | float) and speed > 0:
            return float(speed)
        return 1.0

    def _now(self) -> pd.Timestamp:
        return _utc(self._now_fn())

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

    def _plan_calls(self, now: pd.Timestamp) -> list[_Call]:
        series = self._raw_series
        last_bar = series.index[-1] if series is not None and len(series) else None
        calls = [
            _Call(
                "series",
                "get_series",
                {
                    "bar": self._bar,
                    "minutes": _window_minutes(last_bar, now, _BAR_SECONDS[self._bar]),
                },
            )
        ]
        if "heatmap" not in self._disabled:
            heatmap = self.data.heatmap
            last_grid = (
                pd.Timestamp(heatmap["bar"].values[-1]).tz_localize("UTC")
                if heatmap is not None and heatmap.sizes["bar"]
                else None
            )
            calls.append(
                _Call(
                    "heatmap",
                    "get_heatmap",
                    {
                        "metric": self._metric,
                        "mode": "raw",
                        "bar": "1m",
                        "minutes": _window_minutes(last_grid, now, _HEATMAP_BAR_SECONDS),
                    },
                )
            )
        calls.append(_Call("snapshot", "get_snapshot"))
        due = self._cycles_since_leaderboard is None or (
            self.leaderboard_every is not None
            and self._cycles_since_leaderboard + 1 >= self.leaderboard_every
        )
        if self.leaderboard_every is not None and "leaderboard" not in self._disabled and due:
            calls.append(
                _Call("leaderboard", "get_leaderboard", {"metric": self._leaderboard_metric})
            )
        return calls

    def _args(self, call: _Call) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if call.method == "get_leaderboard":
            return (), dict(call.kwargs)
        return (self._symbol,), dict(call.kwargs)

    def _refused(self, call: _Call, exc: TierRestrictedError) -> bool:
        """Turn an optional panel off after a 403; True when the cycle may go on."""
        if call.panel not in ("heatmap", "leaderboard"):
            return False
        self._disabled.add(call.panel)
        self.status.extra["disabled"] = sorted(self._disabled)
        self._errors.append((self._now(), type(exc).__name__, f"{call.panel} turned off: {exc}"))
        logger.info("flowframe.live: %s turned off: %s", call.panel, exc)
        return True

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
        gen, now, calls = self._begin()
        error: Exception | None = None
        alerts: list[Alert] | None = None
        try:
            results: list[tuple[_Call, Any]] = []
            for call in calls:
                args, kwargs = self._args(call)
                self.status.requests += 1
                try:
                    payload = getattr(self._source, call.method)(*args, **kwargs)
                except TierRestrictedError as exc:
                    if not self._refused(call, exc):
                        raise
                    continue
                results.append((call, payload))
            alerts = self._land(gen, now, results)
        except Exception as exc:
            error = exc
        finally:
            self._busy = False
        return self._finish(error, alerts)

    async def acycle(self) -> bool:
        """Run one polling cycle, awaiting the source if it is async (see :meth:`cycle`).

        A sync source is called in a worker thread when ``offload`` is set, so the event loop
        keeps running meanwhile.
        """
        gen, now, calls = self._begin()
        error: Exception | None = None
        alerts: list[Alert] | None = None
        try:
            results: list[tuple[_Call, Any]] = []
            for call in calls:
                args, kwargs = self._args(call)
                method = getattr(self._source, call.method)
                self.status.requests += 1
                try:
                    if self.offload and not self._async_source:
                        payload = await asyncio.to_thread(method, *args, **kwargs)
                    else:
                        payload = method(*args, **kwargs)
                    if inspect.isawaitable(payload):
                        payload = await payload
                except TierRestrictedError as exc:
                    if not self._refused(call, exc):
                        raise
                    continue
                results.append((call, payload))
            alerts = self._land(gen, now, results)
        except Exception as exc:
            error = exc
        finally:
            self._busy = False
        return self._finish(error, alerts)

    def _begin(self) -> tuple[int, pd.Timestamp, list[_Call]]:
        if self._busy:
            raise RuntimeError("a polling cycle is already in progress on this Poller")
        now = self._now()
        calls = self._plan_calls(now)
        self._busy = True
        return self._generation, now, calls

    def _finish(self, error: Exception | None, alerts: list[Alert] | None) -> bool:
        """Book the cycle (ticks, backoff, cadence), then tell the callbacks."""
        if error is not None:
            self._record_failure(error)
        st = self.status
        st.ticks += 1
        now = self._now()
        st.session_time = now
        self._update_cadence(now)
        if error is not None:
            self._notify(self._on_error, error)
            return False
        self._notify(self._on_update, self.data)
        for alert in alerts or ():
            self._notify(self._on_alert, alert)
        return True

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
        # round first: 23,400 / 30 * 3.1 is 2418.0000000000005 in binary
        st.projected_use = math.ceil(round(SESSION_SECONDS / interval * rpc, 6))
        st.backoff = self._backoff
        st.extra["requests_per_cycle"] = rpc
        st.extra["consecutive_failures"] = self._failures
        inferred = None
        if quota is not None:
            inferred = "alpha" if quota.unlimited else plan_for_limit(quota.limit)
        st.extra["plan"] = self.plan or inferred

    def _record_failure(self, exc: Exception) -> None:
        self._failures += 1
        backoff = min(self.backoff_base * 2.0 ** (self._failures - 1), self.backoff_max)
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            backoff = max(backoff, float(exc.retry_after))
        self._backoff = backoff
        kind = type(exc).__name__
        message = str(exc) or repr(exc)
        self._errors.append((self._now(), kind, message))
        self.status.last_error = f"{kind}: {message}"
        logger.info(
            "flowframe.live: cycle failed (%s: %s); backing off %.3g s", kind, message, backoff
        )

    def _land(self, gen: int, now: pd.Timestamp, results: list[tuple[_Call, Any]]) -> list[Alert]:
        """Read every payload, then commit them all at once (nothing on any error).

        Returns the new alerts (none when the symbol or metric changed meanwhile: the
        results are then dropped).
        """
        name = self._name
        read: dict[str, Any] = {}
        raw_unit = self._raw_pin
        for call, payload in results:
            if call.panel == "series":
                read["series"], raw_unit = _read_series(payload, name)
            elif call.panel == "heatmap":
                read["heatmap"] = heatmap_from_payload(payload, source=name)
            elif call.panel == "snapshot":
                read["snapshot"] = snapshot_from_payload(payload, source=name)
            else:
                read["leaderboard"] = leaderboard_from_payload(payload, source=name)
        if gen != self._generation:  # the symbol or metric changed while this was in flight
            return []
        data = self.data
        raw = self._raw_series
        series, hedge = data.series, data.hedge
        if "series" in read:
            raw = merge_series(raw, read["series"])
            series = _pin_auto(raw) if raw_unit else raw
            hedge = hedge_from_series(series)
        heatmap = data.heatmap
        if "heatmap" in read:
            heatmap = merge_heatmap(heatmap, read["heatmap"])
        previous_snapshot = data.snapshot
        # commit: nothing above changed self
        self._raw_series, self._raw_pin = raw, raw_unit
        data.series, data.hedge, data.heatmap = series, hedge, heatmap
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
        alerts = self._series_alerts() if "series" in read else []
        if "snapshot" in read:
            alerts += self._snapshot_alerts(previous_snapshot, data.snapshot, now)
        self._alerts.extend(alerts)
        return alerts

    # ------------------------------------------------------------------ alerts

    def _reset_alert_state(self) -> None:
        self._checked_from: pd.Timestamp | None = None
        self._fired: set[tuple[str, str, pd.Timestamp]] = set()
        self._last_label: str | None = None
        self._last_severity: str | None = None

    def _alert(self, time: pd.Timestamp, kind: str, message: str, **values: Any) -> Alert:
        return Alert(time=time, symbol=self._symbol, kind=kind, message=message, values=values)

    def _series_alerts(self) -> list[Alert]:
        """Alerts from the bars new since the last look (the last bar seen is looked at again).

        The first series held is the baseline: the session's past raises nothing.
        """
        series, hedge = self.data.series, self.data.hedge
        if series is None or hedge is None or series.empty:
            return []
        index = pd.DatetimeIndex(series.index)
        start = self._checked_from
        self._checked_from = index[-1]
        if start is None:
            return []
        first = max(int(index.searchsorted(start, side="left")), 1)
        spot = series["spot"].to_numpy(dtype=np.float64)
        levels = {
            name: series[name].to_numpy(dtype=np.float64)
            for name in ("gamma_flip", "call_wall", "put_wall")
        }
        flow = hedge["bar"].to_numpy(dtype=np.float64)
        out: list[Alert] = []
        for i in range(first, len(index)):
            t = index[i]
            for name in ("gamma_flip", "call_wall", "put_wall"):
                alert = self._cross(
                    t, name, spot[i - 1], spot[i], levels[name][i - 1], levels[name][i]
                )
                if alert is not None:
                    out.append(alert)
            alert = self._burst(t, flow[:i], flow[i])
            if alert is not None:
                out.append(alert)
        return out

    def _once(self, kind: str, detail: str, t: pd.Timestamp) -> bool:
        key = (kind, detail, t)
        if key in self._fired:
            return False
        self._fired.add(key)
        return True

    def _cross(
        self,
        t: pd.Timestamp,
        name: str,
        spot_before: float,
        spot: float,
        level_before: float,
        level: float,
    ) -> Alert | None:
        before, after = _side(spot_before, level_before), _side(spot, level)
        if before == 0 or after == 0 or before == after:
            return None
        kind = "flip_cross" if name == "gamma_flip" else "wall_cross"
        if not self._once(kind, name, t):
            return None
        direction = "up" if after > 0 else "down"
        label = {"gamma_flip": "the gamma flip", "call_wall": "the call wall"}.get(
            name, "the put wall"
        )
        where = "above" if after > 0 else "below"
        message = (
            f"{self._symbol} spot {spot:,.2f} crossed {where} {label} {level:,.2f} "
            f"(previous bar: spot {spot_before:,.2f}, level {level_before:,.2f})"
        )
        values: dict[str, Any] = {
            "spot": float(spot),
            "previous_spot": float(spot_before),
            "level": float(level),
            "previous_level": float(level_before),
            "direction": direction,
        }
        if kind == "wall_cross":
            values["wall"] = "call" if name == "call_wall" else "put"
        return self._alert(t, kind, message, **values)

    def _burst(self, t: pd.Timestamp, past: np.ndarray, value: float) -> Alert | None:
        past = past[np.isfinite(past)]
        if not math.isfinite(value) or past.size < _BURST_MIN_BARS:
            return None
        median = float(np.median(past))
        sigma = _MAD_SCALE * float(np.median(np.abs(past - median)))
        if not sigma > 0:
            return None
        z = (value - median) / sigma
        if abs(z) <= self.burst_k or not self._once("hedge_burst", "bar", t):
            return None
        who = "buy" if value > 0 else "sell"
        message = (
            f"{self._symbol} hedge-flow burst: dealers {who} {abs(value):,.0f} $ of delta in one "
            f"bar, {z:+.1f} robust sigma from the session's median bar {median:,.0f} $"
        )
        return self._alert(
            t,
            "hedge_burst",
            message,
            bar=float(value),
            z=float(z),
            median=median,
            sigma=sigma,
            k=self.burst_k,
            bars=int(past.size),
        )

    def _snapshot_alerts(
        self, previous: Snapshot | None, snapshot: Snapshot | None, now: pd.Timestamp
    ) -> list[Alert]:
        if snapshot is None:
            return []
        time = snapshot.as_of if snapshot.as_of is not None else now
        out: list[Alert] = []
        flow = snapshot.flow_direction
        label = flow.label if flow is not None else None
        if flow is not None and label is not None:
            before = self._last_label
            if before is not None and label != before:
                into_flip = (label == "regime_flip") != (before == "regime_flip")
                swap = {label, before} == {"amplifying", "dampening"}
                if into_flip or swap:
                    out.append(
                        self._alert(
                            time,
                            "flow_direction_flip",
                            f"{self._symbol} flow direction {before} -> {label}"
                            + (f": {flow.description}" if flow.description else ""),
                            previous=before,
                            label=label,
                            flow_gex_pct_shift=flow.flow_gex_pct_shift,
                            live_net_gex=flow.live_net_gex,
                            settled_net_gex=flow.settled_net_gex,
                        )
                    )
            self._last_label = label
        headline = snapshot.headline
        severity = headline.severity if headline is not None else None
        if headline is not None and severity in _SEVERITY_RANK:
            before = self._last_severity
            if before is not None and _SEVERITY_RANK[severity] > _SEVERITY_RANK[before]:
                out.append(
                    self._alert(
                        time,
                        "severity_escalation",
                        f"{self._symbol} headline {before} -> {severity}: "
                        f"{headline.narrative or ''}".rstrip(": "),
                        previous=before,
                        severity=severity,
                        narrative=headline.narrative,
                        trade_angle=headline.trade_angle,
                    )
                )
            self._last_severity = severity
        return out

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
        loop).
        """
        now = self._now()
        open_, close = self._bounds(now)
        speed = self.speed
        over = now >= close or (now >= open_ and self._closed_today)
        if over:
            if self.after_close is None:
                self.status.next_poll = None
                return None
            planned = float(self.after_close)
        else:
            planned = self.status.interval / speed
            if now < open_:
                planned = max(planned, (open_ - now).total_seconds() / speed)
            else:  # wake just after the close at the latest, for the session's last bars
                planned = min(planned, ((close - now).total_seconds() + _CLOSE_MARGIN) / speed)
        delay = max(planned, self._backoff)
        self.status.next_poll = now + pd.Timedelta(seconds=delay * speed)
        self.status.extra["sleep"] = delay
        return delay
