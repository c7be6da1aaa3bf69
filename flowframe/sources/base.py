"""What every source of the six payloads looks like (hosted client, local engine, your own)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol, runtime_checkable

__all__ = ["BytesSource", "Source"]


@runtime_checkable
class Source(Protocol):
    """Anything with these six methods is a source; every loader accepts one.

    Each method returns the wire payload of its endpoint: a dict shaped exactly like the hosted
    API's JSON body, so the converters in :mod:`flowframe.frames` work on any source.
    """

    def get_snapshot(self, symbol: str, *, expiry: dt.date | str | None = None) -> dict[str, Any]:
        """Return the ``snapshot`` body (or its degraded form outside the session)."""
        ...

    def get_series(self, symbol: str, *, bar: str = ..., minutes: int = ...) -> dict[str, Any]:
        """Return the ``series`` body: the session's regime metrics per bar."""
        ...

    def get_hedge_flow(
        self, symbol: str, *, side: str = ..., bar: str = ..., minutes: int = ...
    ) -> dict[str, Any]:
        """Return the ``hedge-flow`` body: signed dealer delta-dollars per bar."""
        ...

    def get_heatmap(
        self,
        symbol: str,
        *,
        metric: str = ...,
        mode: str = ...,
        bar: str = ...,
        minutes: int = ...,
    ) -> dict[str, Any]:
        """Return the ``heatmap`` body: one metric by strike and minute."""
        ...

    def get_strike_flow(self, symbol: str, *, bar: str = ..., minutes: int = ...) -> dict[str, Any]:
        """Return the ``strike-flow`` body: signed aggressor flow by strike and minute."""
        ...

    def get_leaderboard(self, *, metric: str = ..., n: int = ...) -> dict[str, Any]:
        """Return the ``leaderboard`` body: symbols ranked by one metric."""
        ...


@runtime_checkable
class BytesSource(Source, Protocol):
    """A source that can also hand over a body's bytes, undecoded (the hosted client).

    The loaders read such bytes with the ``*_from_json`` readers of :mod:`flowframe.frames`,
    which skip building the decoded dict; both routes give equal objects.
    """

    def get_raw(self, endpoint: str, symbol: str | None = None, **params: Any) -> bytes:
        """Return one endpoint's body as bytes (``endpoint`` as in the route: ``hedge-flow``)."""
        ...
