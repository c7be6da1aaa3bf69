"""Fetch from a source and convert: one call from symbol to DataFrame, DataArray or Snapshot.

``source`` is anything with the six ``get_*`` methods (:class:`flowframe.Source`): the hosted
:class:`~flowframe.FlashAlpha` client, :class:`~flowframe.SampleSource`, or your own.
``source=None`` means ``ff.connect()``: the hosted client when a key is available, the
simulated session (with one warning) when not.

From a :class:`~flowframe.sources.base.BytesSource` (the hosted client) the loaders take the
body's bytes (:meth:`FlashAlpha.get_raw`) and read them with the ``*_from_json`` readers,
which skip building the decoded dict; other sources hand over decoded payloads. Both routes
give equal objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import xarray as xr

from flowframe._constants import SIDES
from flowframe._params import validate_choice
from flowframe.frames import decode as frames
from flowframe.frames.snapshot import Snapshot
from flowframe.sources.base import BytesSource, Source

_T = TypeVar("_T")

__all__ = ["heatmap", "hedge_flow", "leaderboard", "series", "snapshot", "strike_flow"]


def _resolve(source: Source | None) -> Source:
    if source is None:
        from flowframe.sources.default import connect

        return connect()
    return source


def _body(src: Source, endpoint: str, symbol: str, **params: Any) -> Any:
    """Fetch one body: its bytes from the hosted client, the decoded payload from others."""
    if isinstance(src, BytesSource):
        body: object = src.get_raw(endpoint, symbol, **params)
        if isinstance(body, bytes | bytearray | memoryview | str):
            return body
        close = getattr(body, "close", None)  # an un-awaited coroutine: close it quietly
        if callable(close):
            close()
        raise TypeError(
            f"{type(src).__name__}.get_raw returned {type(body).__name__}, not bytes: the "
            "loaders are synchronous; use ff.FlashAlpha, or await the async client's get_* "
            "methods and convert with the flowframe.frames readers"
        )
    fetch: Callable[..., Any] = getattr(src, "get_" + endpoint.replace("-", "_"))
    return fetch(symbol, **params)


def _read(
    body: Any, from_json: Callable[..., _T], from_payload: Callable[..., _T], name: str
) -> _T:
    """Read a body with the reader for its form (bytes, or a decoded payload)."""
    read = from_json if isinstance(body, bytes | str) else from_payload
    return read(body, source=name)


def source_name(source: object) -> str:
    """Return a printable name for ``source`` (never its key): ``FlashAlpha(https://...)``."""
    name = getattr(source, "name", None)
    if isinstance(name, str):
        return name
    base = getattr(source, "base_url", None)
    kind = type(source).__name__
    return f"{kind}({base})" if base is not None else kind


def hedge_flow(
    symbol: str,
    *,
    side: str = "all",
    bar: str = "30s",
    minutes: int = 60,
    source: Source | None = None,
) -> pd.DataFrame:
    """Load dealer hedge-flow as a DataFrame indexed by bar time.

    Parameters
    ----------
    symbol : str
        Underlying with a same-day expiry.
    side : {"all", "calls", "puts", "split"}, default "all"
        ``split`` fetches calls and puts (two requests) and returns both legs and their sum.
    bar : {"30s", "1m", "5m", "15m"}, default "30s"
    minutes : int, default 60
        Look-back window, 1 to 390.
    source : Source
        Where to read from.

    Returns
    -------
    pandas.DataFrame
        See :func:`flowframe.frames.hedge_flow_from_payload` and
        :func:`flowframe.frames.split_hedge_flow`.
    """
    validate_choice(side, (*SIDES, "split"), "side")
    src = _resolve(source)
    name = source_name(src)
    if side == "split":
        calls, puts = (
            _body(src, "hedge-flow", symbol, side=leg, bar=bar, minutes=minutes)
            for leg in ("calls", "puts")
        )
        return frames.split_hedge_flow(calls, puts, source=name)
    body = _body(src, "hedge-flow", symbol, side=side, bar=bar, minutes=minutes)
    return _read(body, frames.hedge_flow_from_json, frames.hedge_flow_from_payload, name)


def series(
    symbol: str, *, bar: str = "30s", minutes: int = 60, source: Source | None = None
) -> pd.DataFrame:
    """Load the session series (spot, GEX, flip, walls, pin, regime, ...) as a DataFrame."""
    src = _resolve(source)
    body = _body(src, "series", symbol, bar=bar, minutes=minutes)
    return _read(body, frames.series_from_json, frames.series_from_payload, source_name(src))


def heatmap(
    symbol: str,
    *,
    metric: str = "gex",
    mode: str = "raw",
    bar: str = "1m",
    minutes: int = 60,
    source: Source | None = None,
) -> xr.DataArray:
    """Load the strike x time heatmap of one metric as a (bar x strike) DataArray."""
    src = _resolve(source)
    body = _body(src, "heatmap", symbol, metric=metric, mode=mode, bar=bar, minutes=minutes)
    return _read(body, frames.heatmap_from_json, frames.heatmap_from_payload, source_name(src))


def strike_flow(
    symbol: str, *, bar: str = "1m", minutes: int = 60, source: Source | None = None
) -> xr.Dataset:
    """Load per-strike signed flow as a Dataset on (bar x strike)."""
    src = _resolve(source)
    body = _body(src, "strike-flow", symbol, bar=bar, minutes=minutes)
    return _read(
        body, frames.strike_flow_from_json, frames.strike_flow_from_payload, source_name(src)
    )


def snapshot(
    symbol: str, *, expiry: dt.date | str | None = None, source: Source | None = None
) -> Snapshot:
    """Load the 0DTE decision snapshot (live or degraded) as a :class:`Snapshot`."""
    src = _resolve(source)
    return Snapshot(src.get_snapshot(symbol, expiry=expiry), source=source_name(src))


def leaderboard(*, metric: str = "heat", n: int = 10, source: Source | None = None) -> pd.DataFrame:
    """Load the cross-symbol leaderboard as a DataFrame indexed by rank."""
    src = _resolve(source)
    payload = src.get_leaderboard(metric=metric, n=n)
    return frames.leaderboard_from_payload(payload, source=source_name(src))
