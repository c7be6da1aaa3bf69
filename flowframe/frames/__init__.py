"""The frames layer: wire payloads to pandas / xarray objects and back, and the loaders.

Everything here is a pure converter except :mod:`flowframe.frames.loaders`, which asks a
source (:mod:`flowframe.sources`) for a payload and converts it. Nothing here does I/O itself,
plots or imports a widget library. One module per endpoint family, and the shared parts:

- :mod:`~flowframe.frames.hedge_flow`: ``hedge_flow_from_payload`` / ``_from_json`` /
  ``_to_payload`` and ``split_hedge_flow`` (both legs and their sum);
- :mod:`~flowframe.frames.series`: ``series_from_payload`` / ``_from_json`` / ``_to_payload``,
  the ``pin_probability_pct`` unit rule and the ``regime`` categorical;
- :mod:`~flowframe.frames.grid`: the (bar x strike) grids, ``heatmap_*`` and ``strike_flow_*``,
  and their ``bar`` index, :class:`UTCBarIndex` (tz-aware labels select; :func:`utc_bars`
  restores it on a file read back);
- :mod:`~flowframe.frames.leaderboard`: ``leaderboard_from_payload`` / ``_to_payload``;
- :mod:`~flowframe.frames.snapshot`: the :class:`Snapshot` decision record;
- :mod:`~flowframe.frames.card`: the snapshot's HTML card, the one renderer behind the
  notebook repr, the live headline panel and the demo report;
- :mod:`~flowframe.frames.checks`: checks that a frame has what a function needs (used by
  the writers here, by analysis and by plotting);
- :mod:`~flowframe.frames.attrs`: the attrs rule below, and ``as_of``, ``data_as_of``,
  ``gap_intervals``, which read the attrs kept as text back as a ``pd.Timestamp``, a dict
  and a list.

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

The attrs rule
--------------
Every ``attrs`` value of every object the readers (and so the loaders) return is a ``str``,
an ``int`` or a ``float``: what Parquet (``df.attrs`` as JSON in the file's metadata), NetCDF
(the netCDF4 engine refuses None, dicts, lists of objects and booleans) and Zarr all keep. So
``df.to_parquet(path)`` / ``pd.read_parquet(path)``, ``da.to_netcdf(path)`` /
``xr.open_dataarray(path)`` and ``ds.to_zarr(path)`` / ``xr.open_zarr(path)`` give back an equal
object, attrs included (``pip install "flowframe[store]"`` brings pyarrow, zarr and netCDF4).
Two limits: a grid read back has xarray's plain index on ``bar`` until :func:`utc_bars`
restores :class:`UTCBarIndex`; a series with no bar comes back from Parquet with no ``regime``
categories (pyarrow writes none for an empty column).

- ``as_of`` is a UTC ISO-8601 string ending in ``Z``, as the wire writes times
  (``"2026-09-18T17:12:03.441187Z"``); :func:`as_of` returns it as a ``pd.Timestamp``.
- A field the body left null or did not send is absent from ``attrs``, never None: use
  ``attrs.get(key)``.
- ``data_as_of`` (an object of per-feed times) and the grids' ``gap_intervals`` (a list) are
  their compact JSON text, exactly as sent; :func:`data_as_of` and :func:`gap_intervals`
  decode them. ``gap_intervals`` is ``"[]"`` when the body sent none.
- The leaderboard's ``market_open`` is the integer 1 (open) or 0 (closed).

The ``*_to_payload`` writers turn each of these back into the body's form (and accept a
``pd.Timestamp``, dict, list or bool in their place), so a body written back is the body read.
"""

from flowframe.frames.attrs import as_of, data_as_of, gap_intervals
from flowframe.frames.band import band, diff
from flowframe.frames.ensemble import EnsembleSnapshot
from flowframe.frames.grid import (
    UTCBarIndex,
    heatmap_from_json,
    heatmap_from_payload,
    heatmap_to_payload,
    strike_flow_from_json,
    strike_flow_from_payload,
    strike_flow_to_payload,
    utc_bars,
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
from flowframe.frames.snapshot import (
    Condition,
    Snapshot,
    snapshot_from_payload,
    snapshot_to_payload,
    snapshots_frame,
)

__all__ = [
    "Condition",
    "EnsembleSnapshot",
    "Snapshot",
    "UTCBarIndex",
    "as_of",
    "band",
    "data_as_of",
    "diff",
    "gap_intervals",
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
    "snapshots_frame",
    "split_hedge_flow",
    "strike_flow_from_json",
    "strike_flow_from_payload",
    "strike_flow_to_payload",
    "utc_bars",
]
