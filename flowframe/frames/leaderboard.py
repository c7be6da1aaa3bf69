"""leaderboard bodies: the cross-symbol ranking read as a DataFrame indexed by rank, and back.

Schema
------
``DataFrame`` indexed by ``rank`` (int64, ascending, unique: a duplicated rank keeps the last
entry given), columns ``symbol`` (``str``) and ``value`` (float64, NaN for null); attrs metric,
n (int), as_of (UTC ISO-8601 with ``Z``), market_open (the int 1 or 0: NetCDF keeps no
boolean), source, endpoint_version, data_as_of (JSON text), each absent when the body left it
null: the attrs rule of :mod:`flowframe.frames`, under which the frame round-trips through
Parquet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from flowframe._wire import json_numbers
from flowframe.errors import SchemaError
from flowframe.frames._read import read_attrs, read_floats, require_list, require_mapping
from flowframe.frames._write import write_body
from flowframe.frames.checks import require_columns

__all__ = ["leaderboard_from_payload", "leaderboard_to_payload"]


def leaderboard_from_payload(payload: Any, *, source: str | None = None) -> pd.DataFrame:
    """Read a ``leaderboard`` body as a DataFrame indexed by rank.

    Returns
    -------
    pandas.DataFrame
        Index ``rank`` (int64, 1 = highest), columns ``symbol`` (``str``) and ``value``
        (float64); attrs metric, n, as_of, market_open (1 or 0), source, endpoint_version,
        data_as_of, as the module's *Schema* says.
    """
    what = "leaderboard"
    payload = require_mapping(payload, what)
    entries = require_list(payload, "entries", what)
    ranks: list[int] = []
    symbols: list[str] = []
    for i, e in enumerate(entries):
        if not isinstance(e, Mapping):
            raise SchemaError(f"{what} entries[{i}] must be an object, got {type(e).__name__}")
        rank, symbol = e.get("rank"), e.get("symbol")
        if type(rank) is not int:
            raise SchemaError(f"{what} entries[{i}].rank must be an integer, got {rank!r}")
        if type(symbol) is not str:
            raise SchemaError(f"{what} entries[{i}].symbol must be a string, got {symbol!r}")
        ranks.append(rank)
        symbols.append(symbol)
    values = read_floats([e.get("value") for e in entries], what, "value", items="entries")
    if any(abs(r) >= 2**63 for r in ranks):
        raise SchemaError(f"{what} entries hold a rank out of range")
    rank_index = pd.Index(np.array(ranks, dtype=np.int64), name="rank")
    keep = np.flatnonzero(~rank_index.duplicated(keep="last"))
    keep = keep[np.argsort(rank_index.to_numpy()[keep], kind="stable")]
    frame = pd.DataFrame(
        {
            "symbol": pd.array([symbols[i] for i in keep], dtype="str"),
            "value": values[keep],
        },
        index=pd.Index(rank_index.to_numpy()[keep], name="rank", dtype=np.int64),
    )
    n = payload.get("n")
    market_open = payload.get("market_open")
    if n is not None and type(n) is not int:
        raise SchemaError(f"{what} field 'n' must be an integer or null, got {n!r}")
    if market_open is not None and type(market_open) is not bool:
        raise SchemaError(f"{what} field 'market_open' must be true, false or null")
    frame.attrs = read_attrs(payload, what, source, ("metric",), n=n, market_open=market_open)
    return frame


def leaderboard_to_payload(frame: pd.DataFrame) -> dict[str, Any]:
    """Write a leaderboard frame back as a body."""
    require_columns(frame, ("symbol", "value"), "leaderboard_to_payload", time_index=False)
    values = json_numbers(frame["value"].to_numpy(dtype=np.float64))
    entries = [
        {"rank": int(r), "symbol": str(s), "value": v}
        for r, s, v in zip(frame.index, frame["symbol"], values, strict=True)
    ]
    keys = ("metric", "n", "as_of", "market_open")
    market_open = frame.attrs.get("market_open")  # 1 / 0 in attrs, a boolean on the wire
    return write_body(
        frame.attrs,
        keys,
        market_open=None if market_open is None else bool(market_open),
        entries=entries,
    )
