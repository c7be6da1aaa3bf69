"""How often the poller polls: plans and their quotas, the interval, the back-off, the wait.

Pure arithmetic, no state: :class:`~flowframe.live.poller.Poller` asks here how long to
wait and what a session at that pace would cost.

- :func:`plan_interval` chooses the seconds between cycles so the rest of the session fits
  the daily quota (:data:`PLANS`), never faster than the floor or the plan's server cache
  (:data:`CACHE_SECONDS`).
- :func:`backoff_seconds` is the wait after consecutive failed cycles: 2 to 300 s by
  default, a server's ``Retry-After`` honoured within those bounds.
- :func:`next_wait` turns the interval (session seconds) into the run loop's real sleep:
  scaled by the clock's speed, waking at the open, never sleeping past the close.

Every wait computed here is a finite number of seconds >= 0 whatever the inputs (a
``Retry-After`` of ``1e20``, NaN, a clock speed of infinity): nothing here raises on a value
that came from a server.
"""

from __future__ import annotations

import math
from typing import Final

import pandas as pd

from flowframe import _params
from flowframe._session import SESSION_LENGTH
from flowframe.sources.hosted import Quota

__all__ = [
    "CACHE_SECONDS",
    "CLOSE_MARGIN",
    "PLANS",
    "SESSION_SECONDS",
    "backoff_seconds",
    "next_wait",
    "plan_for_limit",
    "plan_for_quota",
    "plan_interval",
    "projected_use",
    "quota_reserve",
]

#: Daily request quota of each plan (API.md); None is unlimited.
PLANS: Final[dict[str, int | None]] = {"free": 5, "basic": 250, "growth": 2500, "alpha": None}
#: Seconds the server caches each plan's answers: polling faster returns the same data.
CACHE_SECONDS: Final[dict[str, float]] = {
    "free": 900.0,
    "basic": 15.0,
    "growth": 15.0,
    "alpha": 0.0,
}
#: A regular session, 09:30 to 16:00 ET: 6.5 h (a 13:00 early close is 3.5 h, so budgets
#: computed from it are an upper bound there).
SESSION_SECONDS: Final = SESSION_LENGTH.total_seconds()
#: Session seconds past the close at which the run loop wakes for the session's last bars.
CLOSE_MARGIN: Final = 1.0

_RESERVE_FRACTION: Final = 0.05


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


def plan_for_quota(quota: Quota | None) -> str | None:
    """Name the plan a response's quota states (:func:`plan_for_limit`); None when unknown.

    Examples
    --------
    >>> plan_for_quota(Quota(limit=250, remaining=10, reset=None))
    'basic'
    """
    if quota is None:
        return None
    return "alpha" if quota.unlimited else plan_for_limit(quota.limit)


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
        The quota the responses stated (``client.quota``); None when unknown (a local
        source, or before the first response). Without a ``remaining`` (none stated yet, or
        unreadable) the day's whole limit is assumed, from ``quota.limit`` or else the
        plan's (:data:`PLANS`); with no limit known either, the floor.
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
    if plan is None:
        plan = plan_for_quota(quota)
    if plan is not None:
        plan = _params.validate_choice(str(plan).lower(), tuple(PLANS), "plan")
    low = max(float(floor), CACHE_SECONDS[plan] if plan is not None else 0.0)
    if quota is not None and quota.unlimited:
        return low
    limit = quota.limit if quota is not None else None
    if limit is None and plan is not None:
        limit = PLANS[plan]
    remaining = quota.remaining if quota is not None else None
    if remaining is None:
        remaining = limit  # none stated (yet): the day's whole quota, never the floor
    if remaining is None:
        return low
    if not seconds_left > 0 or requests_per_cycle == 0 or not math.isfinite(seconds_left):
        return low
    reserve = quota_reserve(limit if limit is not None else remaining)
    usable = max(remaining - reserve, 1)
    return max(low, float(seconds_left) * float(requests_per_cycle) / usable)


def projected_use(interval: float, requests_per_cycle: float) -> int:
    """Return the calls a whole session (23,400 s) costs at ``interval`` seconds a cycle.

    Examples
    --------
    >>> projected_use(30.0, 3.1)
    2418
    """
    # round first: 23,400 / 30 * 3.1 is 2418.0000000000005 in binary
    return math.ceil(round(SESSION_SECONDS / interval * requests_per_cycle, 6))


def backoff_seconds(failures: int, *, base: float, cap: float, retry_after: object = None) -> float:
    """Return the shortest wait after ``failures`` consecutive failed cycles.

    ``min(base * 2 ** (failures - 1), cap)`` (2, 4, 8, ... 300 with the poller's defaults),
    lengthened to a rate limit's ``retry_after`` but never beyond ``cap``: every wait lies
    within ``[base, cap]`` (the README's 2 to 300 s). A ``retry_after`` that is not a finite
    number of seconds >= 0 (``1e20`` is one, but the cap holds it; NaN, infinity, a negative
    number or text are not) is ignored. No failure, no wait. Never raises on ``retry_after``.

    Parameters
    ----------
    failures : int
        Consecutive failed cycles.
    base, cap : float
        The first wait and the longest; ``0 < base <= cap``, both finite.
    retry_after : float, optional
        The seconds a server asked for (``RateLimitError.retry_after``).

    Returns
    -------
    float
        Seconds, in ``[base, cap]`` after a failure, 0 without one.

    Examples
    --------
    >>> [backoff_seconds(n, base=2.0, cap=10.0) for n in range(5)]
    [0.0, 2.0, 4.0, 8.0, 10.0]
    >>> backoff_seconds(1, base=2.0, cap=300.0, retry_after=45.0)
    45.0
    >>> backoff_seconds(1, base=2.0, cap=300.0, retry_after=1e20)
    300.0
    """
    if failures < 1:
        return 0.0
    wait = min(base * 2.0 ** min(failures - 1, 64), cap)  # 2 ** 64: past any cap
    asked = _seconds_or_none(retry_after)
    if asked is not None:
        wait = min(max(wait, asked), cap)
    return wait


def _seconds_or_none(value: object) -> float | None:
    """``value`` as finite seconds >= 0, else None (never raises)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except (OverflowError, ValueError):  # an int too large for a float
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def next_wait(
    now: pd.Timestamp,
    bounds: tuple[pd.Timestamp, pd.Timestamp],
    *,
    interval: float,
    speed: float,
    backoff: float,
    closed_today: bool,
    after_close: float | None,
) -> float | None:
    """Return the real seconds the run loop waits before its next cycle; None to end it.

    Parameters
    ----------
    now : pandas.Timestamp
        The session clock.
    bounds : (pandas.Timestamp, pandas.Timestamp)
        Today's open and close.
    interval : float
        The planned interval, in session seconds (:func:`plan_interval`).
    speed : float
        Session seconds per real second (1 on the wall clock).
    backoff : float
        The back-off after failures (:func:`backoff_seconds`), in real seconds.
    closed_today : bool
        The snapshot said ``session_closed`` during session hours (a holiday).
    after_close : float or None
        Once the session is over: None ends the loop, else the wait in real seconds.

    Returns
    -------
    float or None
        ``max(interval / speed, backoff)``, waking at the open before it and
        :data:`CLOSE_MARGIN` session seconds after the close at the latest; once the session
        is over, ``after_close`` (at least the back-off). Always finite and >= 0: a speed
        that is not a finite number > 0 counts as 1, an interval, back-off or
        ``after_close`` that is not finite and >= 0 as 0.
    """
    open_, close = bounds
    speed = speed if _seconds_or_none(speed) else 1.0
    interval = _seconds_or_none(interval) or 0.0
    backoff = _seconds_or_none(backoff) or 0.0
    if now >= close or (now >= open_ and closed_today):
        if after_close is None:
            return None
        planned = _seconds_or_none(after_close) or 0.0
    else:
        planned = interval / speed
        if now < open_:
            planned = max(planned, (open_ - now).total_seconds() / speed)
        else:  # wake just after the close at the latest, for the session's last bars
            planned = min(planned, ((close - now).total_seconds() + CLOSE_MARGIN) / speed)
    wait = max(planned, backoff)
    return wait if math.isfinite(wait) else max(interval, backoff)  # speed ~0: not inf
