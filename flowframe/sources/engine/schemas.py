"""Public input schemas of the local engine: chain, tape and spot path.

Conventions (see also the README's *Model conventions*):

- **Clock.** Times are tz-aware; the engine works in UTC. The session runs 09:30-16:00
  America/New_York; 0DTE contracts expire at 16:00 ET. Time to expiry is on the *trading clock*:
  ``tau = minutes_to_16:00 / (252 * 390)`` years (a full session is 1/252 year), floored at one
  trading minute. Implied vols are annualised on that clock.
- **Units.** Strikes and prices in the underlying's points; ``size`` and ``oi`` in contracts;
  the contract multiplier is 100.
- **Signs.** ``side`` is the *customer's* (aggressor's) side: +1 buy, -1 sell, 0 unknown.

chain
    One row per listed contract of the expiry: ``strike`` (float > 0), ``right`` (``"C"`` or
    ``"P"``), ``oi`` (settled open interest, contracts >= 0), ``iv`` (implied vol, decimal > 0).
tape
    One row per print: ``t`` (tz-aware time), ``strike``, ``right``, ``price`` (option price),
    ``size`` (contracts > 0), and either ``side`` (+1/-1/0) or ``bid`` and ``ask`` (the NBBO in
    force before the print) so the engine classifies it (quote rule, then tick test).
spot
    The underlying's path: a ``pd.Series`` of prices indexed by tz-aware time (or a DataFrame
    with a ``spot`` column). The engine reads the last price at or before each time.
"""

from __future__ import annotations

from typing import Final

from flowframe._session import SESSION_MINUTES

__all__ = [
    "CHAIN_COLUMNS",
    "MIN_TAU",
    "MULTIPLIER",
    "RIGHTS",
    "SAMPLE_SECONDS",
    "SESSION_MINUTES",
    "TAPE_COLUMNS",
    "TAPE_QUOTE_COLUMNS",
    "TRADING_MINUTES_PER_YEAR",
]

CHAIN_COLUMNS: Final = ("strike", "right", "oi", "iv")
TAPE_COLUMNS: Final = ("t", "strike", "right", "price", "size")
TAPE_QUOTE_COLUMNS: Final = ("bid", "ask")
RIGHTS: Final = ("C", "P")
MULTIPLIER: Final = 100.0
TRADING_MINUTES_PER_YEAR: Final = 252 * SESSION_MINUTES
MIN_TAU: Final = 1.0 / TRADING_MINUTES_PER_YEAR  # one trading minute
#: The engine's raw sampling step (the hosted API's 30 s samples). The session's hours are
#: :mod:`flowframe._session`'s (``SESSION_MINUTES`` is re-exported here for old imports).
SAMPLE_SECONDS: Final = 30
