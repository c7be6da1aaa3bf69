"""What every source of the six payloads looks like (hosted client, local engine, your own)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol, runtime_checkable

__all__ = ["Source"]


@runtime_checkable
class Source(Protocol):
    """Anything with these six methods is a source; every loader accepts one.

    Each method returns the wire payload of its endpoint: a dict shaped exactly like the hosted
    API's JSON body, so the converters in :mod:`flowframe.frames` work on any source.
    """

    def get_snapshot(
        self, symbol: str, *, expiry: dt.date | str | None = None
    ) -> dict[str, Any]: ...

    def get_series(self, symbol: str, *, bar: str = ..., minutes: int = ...) -> dict[str, Any]: ...

    def get_hedge_flow(
        self, symbol: str, *, side: str = ..., bar: str = ..., minutes: int = ...
    ) -> dict[str, Any]: ...

    def get_heatmap(
        self,
        symbol: str,
        *,
        metric: str = ...,
        mode: str = ...,
        bar: str = ...,
        minutes: int = ...,
    ) -> dict[str, Any]: ...

    def get_strike_flow(
        self, symbol: str, *, bar: str = ..., minutes: int = ...
    ) -> dict[str, Any]: ...

    def get_leaderboard(self, *, metric: str = ..., n: int = ...) -> dict[str, Any]: ...
