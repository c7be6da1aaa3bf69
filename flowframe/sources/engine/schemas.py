"""Public input schemas of the local engine: chain, tape and spot path.

Conventions (see also the README's *Model conventions*):

- **Clock.** Times are tz-aware; the engine works in UTC. The session runs 09:30-16:00
  America/New_York, or 09:30-13:00 on an early-close day, on the NYSE calendar
  (:mod:`flowframe._session`; holidays have no session); 0DTE contracts expire at that day's
  close. Time to expiry is on the *trading clock*: ``tau = minutes_to_the_close / (252 * 390)``
  years (a full session is 1/252 year; the year stays 252 x 390 minutes on an early close, whose
  session is 210/98,280 of a year), floored at one trading minute. The engine's implied vols
  are annualised on that clock. A chain's ``iv`` may be quoted on either of two clocks, named
  by ``chain.attrs["iv_clock"]`` (see :data:`IV_CLOCKS`); ``ff.Local`` converts it to the
  trading clock, keeping total variance.
- **Units.** Strikes and prices in the underlying's points; ``size`` and ``oi`` in contracts;
  the contract multiplier is 100.
- **Signs.** ``side`` is the *customer's* (aggressor's) side: +1 buy, -1 sell, 0 unknown.

chain
    One row per listed contract of the expiry: ``strike`` (float > 0), ``right`` (``"C"`` or
    ``"P"``), ``oi`` (settled open interest, contracts >= 0), ``iv`` (implied vol, decimal > 0).
    ``chain.attrs["iv_clock"]`` (optional) names the clock ``iv`` is annualised on:
    ``"calendar"`` or ``"trading"``. The simulator's chains carry ``"trading"``; without it,
    ``ff.Local`` reads ``"calendar"`` (vendor IVs) unless told otherwise.
tape
    One row per print: ``t`` (tz-aware time), ``strike``, ``right``, ``price`` (option price),
    ``size`` (contracts > 0), and either ``side`` (+1/-1/0) or ``bid`` and ``ask`` (the NBBO in
    force before the print) so the engine classifies it (quote rule, then tick test).
spot
    The underlying's path: a ``pd.Series`` of prices indexed by tz-aware time (or a DataFrame
    with a ``spot`` column). The engine reads the last price at or before each time.
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

from flowframe._session import SESSION_MINUTES

__all__ = [
    "CALENDAR_MINUTES_PER_YEAR",
    "CHAIN_COLUMNS",
    "IV_CLOCKS",
    "IV_CLOCK_ATTR",
    "MIN_TAU",
    "MULTIPLIER",
    "RIGHTS",
    "SAMPLE_SECONDS",
    "SESSION_MINUTES",
    "TAPE_COLUMNS",
    "TAPE_QUOTE_COLUMNS",
    "TRADING_MINUTES_PER_YEAR",
    "IvClock",
]

CHAIN_COLUMNS: Final = ("strike", "right", "oi", "iv")
TAPE_COLUMNS: Final = ("t", "strike", "right", "price", "size")
TAPE_QUOTE_COLUMNS: Final = ("bid", "ask")
RIGHTS: Final = ("C", "P")
MULTIPLIER: Final = 100.0
#: The trading clock's year: 252 regular sessions of 390 minutes (98,280), early closes or not.
TRADING_MINUTES_PER_YEAR: Final = 252 * SESSION_MINUTES
MIN_TAU: Final = 1.0 / TRADING_MINUTES_PER_YEAR  # one trading minute
#: Minutes in a calendar year (365 days of 1,440 minutes): the calendar clock's year, on which
#: vendors annualise implied vols (``T = seconds to expiry / (365 * 86400)``).
CALENDAR_MINUTES_PER_YEAR: Final = 365 * 24 * 60
#: The clocks a chain's ``iv`` may be annualised on: ``"calendar"`` (``T = seconds to the
#: expiry's 16:00 ET close / (365 * 86400)``, the vendor convention) or ``"trading"`` (the
#: engine's: ``T = minutes to the close / (252 * 390)``; the close is 16:00 ET, 13:00 ET on an
#: early-close day).
IV_CLOCKS: Final = ("calendar", "trading")
IvClock: TypeAlias = Literal["calendar", "trading"]
#: The key of ``chain.attrs`` that names the clock of the chain's ``iv`` column.
IV_CLOCK_ATTR: Final = "iv_clock"
#: The engine's raw sampling step (the hosted API's 30 s samples). The session's hours are
#: :mod:`flowframe._session`'s (``SESSION_MINUTES`` is re-exported here for old imports).
SAMPLE_SECONDS: Final = 30
