"""The envelope every hosted success body carries: ``endpoint_version`` and ``data_as_of``.

The hosted API (SDK 1.3.0+) adds both to every 200 body (API.md, *Bodies*); the local sources
add them too, so a body served by ``flowframe serve`` equals the in-process ``get_*`` answer.
The degraded snapshot bodies (``session_closed``, ``no_zero_dte``) keep the shape the API's
documents show, without them.

- ``endpoint_version``: ``"flowframe <version>"`` (the hosted API writes a release date).
- ``data_as_of``: the time each feed was last seen, null for a feed the source has none of:
  ``node`` is ``"flowframe"``; ``equity_feed``, ``equity_options_feed`` (an ETF) or
  ``index_feed``, ``index_options_feed`` (SPX, NDX, RUT, XSP, VIX), and ``flow_feed``: the
  end of the last completed 30 s sample (null before the first); ``oi_feed``: the close of
  the previous session (the open interest is the settled OI of that day); ``futures_feed``,
  ``futures_options_feed`` and ``macro_feed``: null.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import pandas as pd

from flowframe._session import is_session_day, latest_session_day, session_bounds
from flowframe._version import __version__
from flowframe._wire import iso_z
from flowframe.sources.engine.core import completed_samples

__all__ = ["ENDPOINT_VERSION", "INDEX_SYMBOLS", "envelope"]

ENDPOINT_VERSION: Final = f"flowframe {__version__}"
#: Underlyings that are indices (their feeds are the index ones).
INDEX_SYMBOLS: Final = frozenset({"SPX", "SPXW", "NDX", "NDXP", "RUT", "XSP", "VIX"})
_SAMPLE: Final = pd.Timedelta(seconds=30)
_FEEDS: Final = (
    "node",
    "equity_feed",
    "equity_options_feed",
    "index_feed",
    "index_options_feed",
    "futures_feed",
    "futures_options_feed",
    "flow_feed",
    "oi_feed",
    "macro_feed",
)


def envelope(symbol: str | None, date: dt.date, now: pd.Timestamp) -> dict[str, Any]:
    """Return the two envelope fields for a body of ``symbol`` on session ``date`` at ``now``.

    The feeds were last seen at the end of the last 30 s sample completed by ``now`` (null
    before the first, and on a day without a session). ``symbol`` None (the leaderboard)
    reports the equity feeds.
    """
    seen = None
    if is_session_day(date):
        open_, close = session_bounds(date)
        done = completed_samples(open_, now, int((close - open_) / _SAMPLE))
        seen = open_ + done * _SAMPLE if done else None
    stamp = iso_z(seen) if seen is not None else None
    index = symbol is not None and symbol in INDEX_SYMBOLS
    prior = latest_session_day(date - dt.timedelta(days=1))
    feeds: dict[str, Any] = dict.fromkeys(_FEEDS)
    feeds["node"] = "flowframe"
    feeds["index_feed" if index else "equity_feed"] = stamp
    feeds["index_options_feed" if index else "equity_options_feed"] = stamp
    feeds["flow_feed"] = stamp
    feeds["oi_feed"] = iso_z(session_bounds(prior)[1])
    return {"endpoint_version": ENDPOINT_VERSION, "data_as_of": feeds}
