"""The frames layer: wire payloads to pandas / xarray objects and back, and the loaders.

Everything here is a pure converter except :mod:`flowframe.frames.loaders`, which asks a
source (:mod:`flowframe.sources`) for a payload and converts it. Nothing here does I/O itself,
plots or imports a widget library. One module per endpoint family, and the shared parts:

- :mod:`~flowframe.frames.hedge_flow`: ``hedge_flow_from_payload`` / ``_from_json`` /
  ``_to_payload`` and ``split_hedge_flow`` (both legs and their sum);
- :mod:`~flowframe.frames.series`: ``series_from_payload`` / ``_from_json`` / ``_to_payload``,
  the ``pin_probability_pct`` unit rule and the ``regime`` categorical;
- :mod:`~flowframe.frames.grid`: the (bar x strike) grids, ``heatmap_*`` and ``strike_flow_*``;
- :mod:`~flowframe.frames.leaderboard`: ``leaderboard_from_payload`` / ``_to_payload``;
- :mod:`~flowframe.frames.snapshot`: the :class:`Snapshot` decision record;
- :mod:`~flowframe.frames.card`: the snapshot's HTML card, the one renderer behind the
  notebook repr, the live headline panel and the demo report;
- :mod:`~flowframe.frames.checks`: checks that a frame has what a function needs (used by
  the writers here, by analysis and by plotting).

Every ``*_from_payload`` reads a dict shaped like the hosted API's JSON body (from any source)
and returns an object with a fixed schema (each family module's docstring gives it): the same
columns, dtypes and dims whatever the payload holds. Every ``*_to_payload`` writes the object
back as a body, for recording and serving, so that ``x_from_payload(x_to_payload(obj))``
equals ``obj``.

With the body's JSON text at hand (bytes off the wire, a recording), ``heatmap_from_json``,
``strike_flow_from_json``, ``series_from_json`` and ``hedge_flow_from_json`` return the same
objects as ``*_from_payload(orjson.loads(text))``, sooner: they decode once, need not look at
the type of every zero to rule out a boolean (one scan of the text does), let the decoded body
go before building the result, and, for series, decode the bars straight into typed records
with msgspec when it is installed. ``tests/bench/bench_frames.py`` measures them.

Reading rules
-------------
An empty ``bars`` gives an empty object of the same schema; ``null`` becomes NaN; an absent
optional field becomes a NaN column; bars are sorted by ``t``; a duplicated ``t`` keeps the
last bar given; ISO-8601 times with up to 9 fractional digits parse (a time without an offset
is read as UTC). A ``values`` array whose length differs from ``strikes_grid``, a ``t`` that
does not parse, or a value that is not a number (a string, a boolean, an object) raises
:class:`~flowframe.SchemaError` naming the field and the bar index: nothing is ever
misaligned silently.
"""

from flowframe.frames.grid import (
    heatmap_from_json,
    heatmap_from_payload,
    heatmap_to_payload,
    strike_flow_from_json,
    strike_flow_from_payload,
    strike_flow_to_payload,
)
from flowframe.frames.hedge_flow import (
    hedge_flow_from_json,
    hedge_flow_from_payload,
    hedge_flow_to_payload,
    split_hedge_flow,
)
from flowframe.frames.leaderboard import leaderboard_from_payload, leaderboard_to_payload
from flowframe.frames.series import (
    pin_values_are_fractions,
    regime_categorical,
    series_from_json,
    series_from_payload,
    series_to_payload,
)
from flowframe.frames.snapshot import Snapshot, snapshot_from_payload, snapshot_to_payload

__all__ = [
    "Snapshot",
    "heatmap_from_json",
    "heatmap_from_payload",
    "heatmap_to_payload",
    "hedge_flow_from_json",
    "hedge_flow_from_payload",
    "hedge_flow_to_payload",
    "leaderboard_from_payload",
    "leaderboard_to_payload",
    "pin_values_are_fractions",
    "regime_categorical",
    "series_from_json",
    "series_from_payload",
    "series_to_payload",
    "snapshot_from_payload",
    "snapshot_to_payload",
    "split_hedge_flow",
    "strike_flow_from_json",
    "strike_flow_from_payload",
    "strike_flow_to_payload",
]
