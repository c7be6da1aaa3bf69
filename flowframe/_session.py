"""The US equity-options session of a date, from the NYSE exchange calendar.

The one home of the session's hours; every layer asks here.

Conventions
-----------
- **Calendar.** ``XNYS`` (the New York Stock Exchange) from the ``exchange_calendars`` package
  (>= 4.13, the ``flowframe[calendar]`` extra), built once, on first use, for 2000-01-01 to
  2035-12-31. SPX/SPY 0DTE options expire at the underlying's close, so the underlying's
  session is the one that counts. Dates outside that range follow the weekday rule below.
- **Regular session.** 09:30-16:00 America/New_York, 390 minutes (:data:`SESSION_MINUTES`).
- **Early closes.** 13:00 ET (a 210-minute session): the day after Thanksgiving, Christmas
  Eve and July 3 when the calendar says so.
- **Holidays.** No session at all (``is_session_day`` is False), like a weekend.
  :func:`session_bounds` of a day without a session still answers the regular hours, so a
  clock or an empty grid has a frame to stand in; ask :func:`is_session_day` first.
- **Fallback.** Without ``exchange_calendars`` every weekday is a 09:30-16:00 session (no
  holidays, no early closes); the first call that needs the calendar says so once with a
  :class:`~flowframe.errors.FlowframeWarning` naming ``pip install 'flowframe[calendar]'``.
- **Times.** Bounds are UTC ``pandas.Timestamp`` (ns); dates are ET calendar dates.

``exchange_calendars`` is imported on first use only: ``import flowframe`` stays light.
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from flowframe._constants import ET
from flowframe.errors import FlowframeWarning

__all__ = [
    "CALENDAR_END",
    "CALENDAR_NAME",
    "CALENDAR_START",
    "EARLY_CLOSE",
    "ET",
    "OPEN_OFFSET",
    "SESSION_CLOSE",
    "SESSION_LENGTH",
    "SESSION_MINUTES",
    "SESSION_OPEN",
    "calendar_source",
    "early_close",
    "holiday_name",
    "is_session_day",
    "latest_session_day",
    "latest_weekday",
    "next_session_day",
    "session_bounds",
    "session_close",
    "session_minutes",
    "session_open",
]

#: The regular open and close (ET wall clock), and the regular session's length.
SESSION_OPEN: Final = dt.time(9, 30)
SESSION_CLOSE: Final = dt.time(16, 0)
SESSION_MINUTES: Final = 390
#: The close of an early-close day (ET wall clock).
EARLY_CLOSE: Final = dt.time(13, 0)
#: The regular session's length, 6.5 hours.
SESSION_LENGTH: Final = pd.Timedelta(minutes=SESSION_MINUTES)
#: The open as an offset from midnight (for vectorised wall-clock arithmetic).
OPEN_OFFSET: Final = pd.Timedelta(hours=SESSION_OPEN.hour, minutes=SESSION_OPEN.minute)

#: The exchange calendar sessions follow, and the range it is built for (inclusive).
CALENDAR_NAME: Final = "XNYS"
CALENDAR_START: Final = dt.date(2000, 1, 1)
CALENDAR_END: Final = dt.date(2035, 12, 31)
_INSTALL_HINT: Final = "pip install 'flowframe[calendar]'"


@dataclass(frozen=True)
class _Calendar:
    """The calendar's answers, as plain dates and ET wall-clock times (fast to query)."""

    source: str
    sessions: frozenset[dt.date] = frozenset()
    #: sessions whose hours differ from 09:30-16:00: date -> (open, close), ET wall clock
    hours: dict[dt.date, tuple[dt.time, dt.time]] = field(default_factory=dict)
    #: weekdays without a session, with the calendar's name when it has one
    holidays: dict[dt.date, str | None] = field(default_factory=dict)


@functools.cache
def _calendar() -> _Calendar | None:
    """Build the XNYS calendar once (None without ``exchange_calendars``, warned once)."""
    try:
        import exchange_calendars as xcals  # type: ignore[import-untyped]
    except ImportError:
        warnings.warn(
            "exchange_calendars is not installed: every weekday is taken as a 09:30-16:00 ET "
            f"session (no holidays, no early closes); {_INSTALL_HINT} for the NYSE calendar",
            FlowframeWarning,
            stacklevel=4,
        )
        return None
    # exchange_calendars trips pandas' deprecation warnings (not ours to fix, and errors under
    # -W error): the build is quiet, and runs once per process
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _build(xcals)


def _build(xcals: Any) -> _Calendar:
    """Read sessions, hours and named holidays off ``exchange_calendars``' XNYS."""
    cal = xcals.get_calendar(
        CALENDAR_NAME, start=CALENDAR_START.isoformat(), end=CALENDAR_END.isoformat()
    )
    opens = cal.opens.dt.tz_convert(ET)
    closes = cal.closes.dt.tz_convert(ET)
    days = [d.date() for d in cal.sessions]
    hours = {
        day: (o.time(), c.time())
        for day, o, c in zip(days, opens, closes, strict=True)
        if (o.time(), c.time()) != (SESSION_OPEN, SESSION_CLOSE)
    }
    sessions = frozenset(days)
    named = cal.regular_holidays.holidays(
        start=CALENDAR_START.isoformat(), end=CALENDAR_END.isoformat(), return_name=True
    )
    names = {pd.Timestamp(d).date(): str(n) for d, n in named.items()}
    holidays: dict[dt.date, str | None] = {}
    day = CALENDAR_START
    while day <= CALENDAR_END:
        if day.weekday() < 5 and day not in sessions:
            holidays[day] = names.get(day)
        day += dt.timedelta(days=1)
    version = getattr(xcals, "__version__", "?")
    return _Calendar(f"{CALENDAR_NAME} (exchange_calendars {version})", sessions, hours, holidays)


def _covered(day: dt.date) -> _Calendar | None:
    """Return the calendar when it is installed and covers ``day``; None: the weekday rule."""
    if not CALENDAR_START <= day <= CALENDAR_END:
        return None
    return _calendar()


def calendar_source() -> str:
    """Name what sessions follow: ``"XNYS (exchange_calendars 4.13.2)"`` or the weekday rule."""
    cal = _calendar()
    return cal.source if cal is not None else "weekday rule (exchange_calendars not installed)"


def _at(date: dt.date, clock: dt.time) -> pd.Timestamp:
    stamp = pd.Timestamp(dt.datetime.combine(date, clock)).tz_localize(ET)
    return stamp.tz_convert("UTC").as_unit("ns")


def _hours(day: dt.date) -> tuple[dt.time, dt.time]:
    cal = _covered(day)
    if cal is None:
        return SESSION_OPEN, SESSION_CLOSE
    return cal.hours.get(day, (SESSION_OPEN, SESSION_CLOSE))


def is_session_day(day: dt.date) -> bool:
    """Tell whether ``day`` (an ET date) has a session: a weekday that is not a holiday.

    Without ``exchange_calendars`` (or outside 2000-2035) any weekday is a session day.
    """
    if day.weekday() >= 5:
        return False
    cal = _covered(day)
    return cal is None or day in cal.sessions


def holiday_name(day: dt.date) -> str | None:
    """Return the calendar's name of a weekday holiday (``"Thanksgiving"``), else None.

    None as well for a holiday the calendar does not name (an ad hoc closure); see
    :func:`is_session_day`.
    """
    cal = _covered(day)
    return None if cal is None else cal.holidays.get(day)


#: session_bounds' answers, with the calendar they came from (rebuilt with it).
_BOUNDS: dict[dt.date, tuple[object, tuple[pd.Timestamp, pd.Timestamp]]] = {}


def session_bounds(date: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the open and close of ``date``'s session as UTC timestamps (ns).

    09:30 and 16:00 ET, or 09:30 and 13:00 ET on an early-close day. A day without a
    session (weekend, holiday) answers the regular hours (see :func:`is_session_day`).
    Kept per date (a server asks it on every request), for as long as the calendar it came
    from is the one in use.
    """
    cal = _calendar()
    held = _BOUNDS.get(date)
    if held is not None and held[0] is cal:
        return held[1]
    opening, closing = _hours(date)
    bounds = (_at(date, opening), _at(date, closing))
    if len(_BOUNDS) > 10_000:
        _BOUNDS.clear()
    _BOUNDS[date] = (cal, bounds)
    return bounds


def session_open(date: dt.date) -> pd.Timestamp:
    """Return the open (09:30 ET) of ``date`` as a UTC timestamp (ns)."""
    return session_bounds(date)[0]


def session_close(date: dt.date) -> pd.Timestamp:
    """Return the close (16:00 ET, 13:00 ET on an early-close day) as a UTC timestamp (ns)."""
    return session_bounds(date)[1]


def session_minutes(date: dt.date) -> int:
    """Return the session's length in minutes: 390, or 210 on a 13:00 early close.

    A day without a session answers 390, the regular hours of :func:`session_bounds`.
    """
    opening, closing = session_bounds(date)
    return int((closing - opening).total_seconds()) // 60


def early_close(date: dt.date) -> dt.time | None:
    """Return the ET close of an early-close session (``datetime.time(13, 0)``), else None."""
    if not is_session_day(date):
        return None
    closing = _hours(date)[1]
    return closing if closing != SESSION_CLOSE else None


def latest_session_day(day: dt.date) -> dt.date:
    """Return ``day``, or the last session day before it (skipping weekends and holidays)."""
    while not is_session_day(day):
        day -= dt.timedelta(days=1)
    return day


#: The old name of :func:`latest_session_day` (it now skips holidays too).
latest_weekday = latest_session_day


def next_session_day(day: dt.date) -> dt.date:
    """Return the first session day strictly after ``day``."""
    day += dt.timedelta(days=1)
    while not is_session_day(day):
        day += dt.timedelta(days=1)
    return day
