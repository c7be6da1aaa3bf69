"""The regular US equity-options session: 09:30 to 16:00 America/New_York, weekdays.

The one home of the session's hours; every layer asks here. Holidays are not modelled (a
weekday is a session day), and half days are not either: both are stated where users meet
them (README, ``flowframe/sources/engine/CONVENTIONS.md``).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import pandas as pd

from flowframe._constants import ET

__all__ = [
    "ET",
    "OPEN_OFFSET",
    "SESSION_CLOSE",
    "SESSION_LENGTH",
    "SESSION_MINUTES",
    "SESSION_OPEN",
    "is_session_day",
    "latest_weekday",
    "session_bounds",
    "session_open",
]

SESSION_OPEN: Final = dt.time(9, 30)
SESSION_CLOSE: Final = dt.time(16, 0)
SESSION_MINUTES: Final = 390
#: The session's length, 6.5 hours.
SESSION_LENGTH: Final = pd.Timedelta(minutes=SESSION_MINUTES)
#: The open as an offset from midnight (for vectorised wall-clock arithmetic).
OPEN_OFFSET: Final = pd.Timedelta(hours=SESSION_OPEN.hour, minutes=SESSION_OPEN.minute)


def _at(date: dt.date, clock: dt.time) -> pd.Timestamp:
    stamp = pd.Timestamp(dt.datetime.combine(date, clock)).tz_localize(ET)
    return stamp.tz_convert("UTC").as_unit("ns")


def session_open(date: dt.date) -> pd.Timestamp:
    """Return 09:30 ET on ``date`` as a UTC timestamp (ns)."""
    return _at(date, SESSION_OPEN)


def session_bounds(date: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return 09:30 and 16:00 ET on ``date`` as UTC timestamps (ns)."""
    return _at(date, SESSION_OPEN), _at(date, SESSION_CLOSE)


def is_session_day(day: dt.date) -> bool:
    """Tell whether ``day`` has a session: any weekday (holidays are not modelled)."""
    return day.weekday() < 5


def latest_weekday(day: dt.date) -> dt.date:
    """Return ``day``, or the Friday before it when it falls on a weekend (no holidays)."""
    while not is_session_day(day):
        day -= dt.timedelta(days=1)
    return day
