"""hedge-flow bodies: read as a DataFrame indexed by bar time, join two legs, write back.

Schema
------
``DataFrame`` indexed by ``t`` (``datetime64[ns, UTC]``, ascending, unique); float64 columns
``bar`` (signed delta-dollars in the bucket, + = dealers buy) and ``cumulative`` (running sum
since the open). A split frame (calls and puts, :func:`split_hedge_flow`) adds ``calls_bar,
calls_cumulative, puts_bar, puts_cumulative``; ``bar``/``cumulative`` are their sums. attrs:
symbol, expiration, side, bar_size, as_of, source, endpoint_version, data_as_of, each a string
(``as_of`` UTC ISO-8601 with ``Z``, ``data_as_of`` JSON text) and absent when the body left it
null: the attrs rule of :mod:`flowframe.frames`, under which the frame round-trips through
Parquet.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import partial
from typing import Any, Literal

import numpy as np
import pandas as pd

from flowframe._constants import HEDGE_COLUMNS, SPLIT_COLUMNS
from flowframe._wire import json_numbers
from flowframe.errors import SchemaError
from flowframe.frames._read import (
    JsonText,
    bar_columns,
    from_json,
    read_attrs,
    read_floats,
    read_times,
    require_mapping,
    sort_order,
    time_index,
)
from flowframe.frames._write import iso_times, write_body
from flowframe.frames.attrs import as_of, storable_attrs
from flowframe.frames.checks import require_columns

__all__ = [
    "hedge_flow_from_json",
    "hedge_flow_from_payload",
    "hedge_flow_to_payload",
    "split_hedge_flow",
]


def hedge_flow_from_payload(payload: Any, *, source: str | None = None) -> pd.DataFrame:
    """Read a ``hedge-flow`` body as a DataFrame indexed by bar time.

    Parameters
    ----------
    payload : dict
        A hedge-flow body (``{symbol, expiration, as_of, side, bar_size, bars}``).
    source : str, optional
        Where the body came from, kept in ``attrs["source"]``.

    Returns
    -------
    pandas.DataFrame
        Index ``t`` (``datetime64[ns, UTC]``), float64 columns ``bar`` and ``cumulative``.

    Raises
    ------
    SchemaError
        The body is not a hedge-flow body (the message names the field and bar index).

    Examples
    --------
    >>> body = {"symbol": "SPY", "side": "calls", "bar_size": "5m",
    ...         "bars": [{"t": "2026-06-05T18:40:00Z", "bar": 1240000, "cumulative": 18432000}]}
    >>> hedge_flow_from_payload(body)  # doctest: +NORMALIZE_WHITESPACE
                                     bar  cumulative
    t
    2026-06-05 18:40:00+00:00  1240000.0  18432000.0
    """
    return _read_hedge_flow(payload, None, source)()


def hedge_flow_from_json(data: bytes | str, *, source: str | None = None) -> pd.DataFrame:
    """Read a ``hedge-flow`` body from its JSON text (bytes as received, or str).

    The same frame as ``hedge_flow_from_payload(orjson.loads(data))``, sooner: see
    :func:`flowframe.frames.heatmap_from_json`. Text that is not JSON raises :class:`SchemaError`.
    """
    return from_json(data, "hedge-flow", partial(_read_hedge_flow, source=source))


def _read_hedge_flow(
    payload: Any, text: JsonText | None, source: str | None
) -> Callable[[], pd.DataFrame]:
    what = "hedge-flow"
    payload = require_mapping(payload, what)
    times, bar, cumulative = bar_columns(payload, ("t", "bar", "cumulative"), what)
    nanoseconds = read_times(times, what)
    order = sort_order(nanoseconds)
    columns = {
        "bar": read_floats(bar, what, "bar", text=text)[order],
        "cumulative": read_floats(cumulative, what, "cumulative", text=text)[order],
    }
    attrs = read_attrs(payload, what, source, ("symbol", "expiration", "side", "bar_size"))
    return partial(_frame, columns, nanoseconds[order], attrs)


def _frame(
    columns: dict[str, np.ndarray], nanoseconds: np.ndarray, attrs: dict[Hashable, Any]
) -> pd.DataFrame:
    frame = pd.DataFrame(columns, index=time_index(nanoseconds, "t"), copy=False)
    frame.attrs = attrs
    return frame


def split_hedge_flow(calls: Any, puts: Any, *, source: str | None = None) -> pd.DataFrame:
    """Join a ``side=calls`` and a ``side=puts`` body into one frame with both legs.

    Each body is a decoded payload, or its JSON bytes (read by :func:`hedge_flow_from_json`).

    Returns
    -------
    pandas.DataFrame
        Columns ``bar, cumulative, calls_bar, calls_cumulative, puts_bar, puts_cumulative``;
        ``bar`` and ``cumulative`` are the sums of the legs. A time present in one leg only
        has NaN for the other leg and for the sums (flowframe does not guess a missing leg).

    Raises
    ------
    SchemaError
        A body is not a hedge-flow body, or is the wrong leg (``side`` is not ``"calls"``,
        resp. ``"puts"``).
    ValueError
        The legs disagree on ``symbol``, ``bar_size`` or ``expiration`` (SPY 1m calls with
        QQQ 5m puts are no session's two legs); a field a body leaves out is not compared.
    """
    c, p = (
        hedge_flow_from_json(body, source=source)
        if isinstance(body, bytes | str)
        else hedge_flow_from_payload(body, source=source)
        for body in (calls, puts)
    )
    for frame, side in ((c, "calls"), (p, "puts")):
        if frame.attrs.get("side") not in (None, side):
            raise SchemaError(
                f"split_hedge_flow expects a {side!r} body there, got side={frame.attrs['side']!r}"
            )
    for key in ("symbol", "bar_size", "expiration"):
        ours, theirs = c.attrs.get(key), p.attrs.get(key)
        if ours is not None and theirs is not None and ours != theirs:
            raise ValueError(
                f"split_hedge_flow: the legs disagree on {key}: calls {key}={ours!r}, puts "
                f"{key}={theirs!r}; join two legs of one request (same symbol, bar_size and "
                "expiration)"
            )
    index = c.index.union(p.index)
    c = c.reindex(index)
    p = p.reindex(index)
    frame = pd.DataFrame(
        {
            "bar": c["bar"] + p["bar"],
            "cumulative": c["cumulative"] + p["cumulative"],
            "calls_bar": c["bar"],
            "calls_cumulative": c["cumulative"],
            "puts_bar": p["bar"],
            "puts_cumulative": p["cumulative"],
        },
        index=pd.DatetimeIndex(index, name="t"),
    )
    attrs = dict(c.attrs)
    attrs["side"] = "split"
    as_ofs = [a for a in (as_of(c), as_of(p)) if a is not None]
    attrs["as_of"] = max(as_ofs) if as_ofs else None  # the later leg's
    frame.attrs = storable_attrs(attrs, "hedge-flow")
    return frame


def hedge_flow_to_payload(
    frame: pd.DataFrame, *, side: Literal["calls", "puts"] | None = None
) -> dict[str, Any]:
    """Write a hedge-flow frame back as a body.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame from :func:`hedge_flow_from_payload` or :func:`split_hedge_flow`.
    side : {"calls", "puts"}, optional
        For a split frame, write that leg instead of the sum (``side="all"``).
    """
    require_columns(frame, HEDGE_COLUMNS, "hedge_flow_to_payload", time_index=False)
    prefix = ""
    out_side = frame.attrs.get("side")
    if side is not None:
        require_columns(frame, SPLIT_COLUMNS, "hedge_flow_to_payload(side=...)", time_index=False)
        prefix, out_side = f"{side}_", side
    elif out_side == "split":
        out_side = "all"
    times = iso_times(frame.index)
    bar = json_numbers(frame[f"{prefix}bar"].to_numpy(dtype=np.float64))
    cumulative = json_numbers(frame[f"{prefix}cumulative"].to_numpy(dtype=np.float64))
    bars = [
        {"t": t, "bar": b, "cumulative": c} for t, b, c in zip(times, bar, cumulative, strict=True)
    ]
    keys = ("symbol", "expiration", "as_of", "side", "bar_size")
    return write_body(frame.attrs, keys, side=out_side, bars=bars)
