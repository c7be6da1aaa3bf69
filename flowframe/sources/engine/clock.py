"""The session clock of local sources: frozen at a time, running at a speed, or real time.

A clock answers ``now()`` as a UTC timestamp. ``SessionClock(date, now="14:45")`` stands still
at 14:45 ET on ``date``; ``SessionClock(date, speed=60)`` starts at the open when it is built
and runs at 60 times real time (a whole 6.5 h session in 6.5 minutes), stopping at the close;
``SessionClock(date)`` follows the real clock. The wall-clock function is injectable so tests
control time.

The open and close are the exchange calendar's (:func:`flowframe._session.session_bounds`):
09:30 to 16:00 ET, or to 13:00 ET on an early-close day, where a running clock stops and a past
day is frozen. A weekend or holiday has no session (``has_session`` is False); its clock keeps
the regular hours as a frame.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Final

import pandas as pd

from flowframe._constants import ET
from flowframe._session import is_session_day, latest_weekday, session_bounds

__all__ = ["SessionClock", "latest_weekday", "session_bounds"]


NOW_FORMS: Final = (
    "a time of day in ET: 'HH:MM', 'HH:MM:SS' (24-hour) or '4pm', '9:45am'; "
    "a date and time: 'YYYY-MM-DD HH:MM' (naive = ET) or ISO 8601 with an offset; "
    "a datetime.datetime or a pandas.Timestamp"
)
_TWELVE_HOUR = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?$", re.IGNORECASE)
_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]|$)")


def _parse_now(date: dt.date, now: str | dt.datetime | pd.Timestamp) -> pd.Timestamp:
    """Read ``now`` (see :data:`NOW_FORMS`) as a UTC timestamp; ValueError naming the forms."""
    if isinstance(now, str):
        text = now.strip()
        clock = _time_of_day(text)
        if clock is not None:
            return pd.Timestamp(dt.datetime.combine(date, clock), tz=ET).tz_convert("UTC")
        if not _DATED.match(text):
            raise ValueError(f"now={now!r} is not a time flowframe reads; use {NOW_FORMS}")
        try:
            stamp = pd.Timestamp(text)
        except ValueError as exc:
            raise ValueError(
                f"now={now!r} is not a time flowframe reads ({exc}); use {NOW_FORMS}"
            ) from None
    elif isinstance(now, dt.datetime | pd.Timestamp):
        stamp = pd.Timestamp(now)
    else:
        raise ValueError(f"now={now!r} is not a time flowframe reads; use {NOW_FORMS}")
    if pd.isna(stamp):
        raise ValueError(f"now={now!r} is not a time flowframe reads; use {NOW_FORMS}")
    if stamp.tz is None:
        stamp = stamp.tz_localize(ET)  # a naive time of day reads as Eastern time
    return stamp.tz_convert("UTC")


def _time_of_day(text: str) -> dt.time | None:
    """Read 'HH:MM[:SS]' (24-hour) or '4pm' / '9:45 am'; None when it is neither."""
    match = _TWELVE_HOUR.match(text)
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise ValueError(f"now={text!r} is not a time of day; use {NOW_FORMS}")
        return dt.time(hour % 12 + (12 if match[3].lower() == "p" else 0), minute)
    if (":" not in text and not text.isdigit()) or _DATED.match(text):
        return None
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"now={text!r} is not a time of day; use {NOW_FORMS}") from None


class SessionClock:
    """The time a local source answers for.

    Parameters
    ----------
    date : datetime.date or str
        The session date (America/New_York); a string is ``"YYYY-MM-DD"``. Its open and close
        come from the exchange calendar (13:00 ET on an early-close day).
    now : str, datetime or Timestamp, optional
        Freeze the clock here. A string like ``"14:45"`` or ``"4pm"`` is an ET time on
        ``date``; a full timestamp is taken as given (naive = ET). With neither ``now`` nor
        ``speed``, a session date before today (ET) is frozen at its close, so a past day's
        tape shows that whole day; today's (or a later) date follows the real clock.
    speed : float, optional
        Run from the open at this multiple of real time (``start`` overrides the open).
    start : str, datetime or Timestamp, optional
        Where a running clock starts (default: the open).
    wall : callable, optional
        Returns real seconds (``time.monotonic`` by default); tests inject their own.
    """

    def __init__(
        self,
        date: dt.date | str,
        *,
        now: str | dt.datetime | pd.Timestamp | None = None,
        speed: float | None = None,
        start: str | dt.datetime | pd.Timestamp | None = None,
        wall: Callable[[], float] | None = None,
    ):
        if now is not None and speed is not None:
            raise ValueError("pass now= (a frozen clock) or speed= (a running clock), not both")
        if speed is not None and not speed > 0:
            raise ValueError(f"speed={speed!r} is not allowed; use a multiple of real time > 0")
        if isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date.strip())
            except ValueError:
                raise ValueError(
                    f"date={date!r} is not allowed; use a session date as YYYY-MM-DD"
                ) from None
        elif isinstance(date, dt.datetime) or not isinstance(date, dt.date):
            raise ValueError(
                f"date={date!r} is not allowed; use a datetime.date or a YYYY-MM-DD string"
            )
        self.date = date
        self.open, self.close = session_bounds(date)
        self._frozen = _parse_now(date, now) if now is not None else None
        if now is None and speed is None and date < pd.Timestamp.now(tz=ET).date():
            self._frozen = self.close  # a past day: the real clock would show nothing of it
        self.speed = speed
        self._wall = wall or time.monotonic
        self._origin = _parse_now(date, start) if start is not None else self.open
        self._wall0 = self._wall()

    @property
    def has_session(self) -> bool:
        """False on a weekend or an exchange holiday: the date has no session."""
        return is_session_day(self.date)

    @property
    def running(self) -> bool:
        """True for a clock that moves (running at a speed, or real time)."""
        return self._frozen is None

    def now(self) -> pd.Timestamp:
        """Return the current session time (UTC)."""
        if self._frozen is not None:
            return self._frozen
        if self.speed is None:
            return pd.Timestamp.now(tz="UTC")
        elapsed = (self._wall() - self._wall0) * self.speed
        return min(self._origin + pd.Timedelta(seconds=elapsed), self.close)

    def __repr__(self) -> str:
        if self._frozen is not None:
            how = f"frozen at {self._frozen.tz_convert(ET):%Y-%m-%d %H:%M:%S} ET"
        elif self.speed is None:
            how = "real time"
        else:
            how = f"running at {self.speed:g}x from {self._origin.tz_convert(ET):%H:%M} ET"
        return f"SessionClock({self.date.isoformat()}, {how})"
