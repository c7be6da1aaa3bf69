"""The six endpoint methods, written once for every source flowframe ships.

Each method validates its parameters (raising ``ValueError`` before anything is sent or
computed) and hands a :class:`~flowframe._params.Request` to ``_get``, the one method a source
writes. The hosted sync client's ``_get`` returns the decoded payload and the async client's an
awaitable of it (so ``await client.get_series(...)`` works with the same signatures and
docstrings); the local sources (:class:`~flowframe.Local`, :class:`~flowframe.Simulated`,
:class:`~flowframe.SampleSource`) compute the payload in process.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, TypeVar

from flowframe import _params
from flowframe.errors import NotFoundError

__all__ = ["EndpointMethods", "Payload", "symbol_not_found"]

R = TypeVar("R")
#: A wire payload: a dict shaped exactly like the hosted API's JSON body.
Payload = dict[str, Any]


def symbol_not_found(symbol: str) -> NotFoundError:
    """Return the error the hosted API answers for a symbol it holds no data for (a 404)."""
    message = f"No data for {symbol}."
    return NotFoundError(
        message,
        status_code=404,
        code="symbol_not_found",
        body={"error": "symbol_not_found", "message": message},
    )


class EndpointMethods(Generic[R]):
    """The ``get_*`` methods of every shipped source; a subclass writes ``_get`` only."""

    def _get(self, request: _params.Request) -> R:  # pragma: no cover - overridden
        """Answer one validated request (its ``endpoint``, ``symbol`` and ``params``)."""
        raise NotImplementedError

    def get_snapshot(self, symbol: str, *, expiry: dt.date | str | None = None) -> R:
        """Get the 0DTE decision snapshot: ``GET /v1/flow/zero-dte/snapshot/{symbol}``.

        Parameters
        ----------
        symbol : str
            Underlying with a same-day expiry (``"SPY"``, ``"SPX"``, ...); trimmed and
            upper-cased.
        expiry : datetime.date or str, optional
            Expiry to read (``YYYY-MM-DD``); today's 0DTE expiry when omitted.

        Returns
        -------
        dict
            The payload. Outside a session it is the degraded shape with
            ``session_closed`` or ``no_zero_dte`` set (a success, not an error).
        """
        return self._get(_params.snapshot(symbol, expiry=expiry))

    def get_series(self, symbol: str, *, bar: str = "30s", minutes: int = 60) -> R:
        """Get the session series: ``GET /v1/flow/zero-dte/series/{symbol}``.

        Parameters
        ----------
        symbol : str
            Underlying with a same-day expiry.
        bar : {"30s", "1m", "5m", "15m"}, default "30s"
            Bar size; coarser bars keep the last 30 s sample in each bucket.
        minutes : int, default 60
            Look-back window, 1 to 390 (above 390 is clamped, with a ``FlowframeWarning``).

        Returns
        -------
        dict
            The payload; ``bars`` is empty when the window has no samples.
        """
        return self._get(_params.series(symbol, bar=bar, minutes=minutes))

    def get_hedge_flow(
        self, symbol: str, *, side: str = "all", bar: str = "30s", minutes: int = 60
    ) -> R:
        """Get dealer hedge-flow: ``GET /v1/flow/zero-dte/hedge-flow/{symbol}``.

        Parameters
        ----------
        symbol : str
            Underlying with a same-day expiry.
        side : {"all", "calls", "puts"}, default "all"
            Which leg to project; ``all`` is calls plus puts.
        bar : {"30s", "1m", "5m", "15m"}, default "30s"
            Bar size.
        minutes : int, default 60
            Look-back window, 1 to 390 (above 390 is clamped, with a ``FlowframeWarning``).

        Returns
        -------
        dict
            The payload: ``bars`` of ``{t, bar, cumulative}`` in signed delta-dollars
            (+ = dealers buy).
        """
        return self._get(_params.hedge_flow(symbol, side=side, bar=bar, minutes=minutes))

    def get_heatmap(
        self,
        symbol: str,
        *,
        metric: str = "gex",
        mode: str = "raw",
        bar: str = "1m",
        minutes: int = 60,
    ) -> R:
        """Get the strike x time matrix: ``GET /v1/flow/zero-dte/heatmap/{symbol}``.

        Parameters
        ----------
        symbol : str
            Underlying with a same-day expiry.
        metric : {"gex", "dex", "vex", "chex", "oi", "signed_flow"}, default "gex"
            The lens.
        mode : {"raw", "delta"}, default "raw"
            Level, or change from the previous bar (first bar raw).
        bar : {"1m"}, default "1m"
            Only 1-minute bars are served.
        minutes : int, default 60
            Look-back window, 1 to 390.

        Returns
        -------
        dict
            The payload; ``bars[i].values[j]`` belongs to ``strikes_grid[j]``.
        """
        return self._get(
            _params.heatmap(symbol, metric=metric, mode=mode, bar=bar, minutes=minutes)
        )

    def get_strike_flow(self, symbol: str, *, bar: str = "1m", minutes: int = 60) -> R:
        """Get per-strike signed flow: ``GET /v1/flow/zero-dte/strike-flow/{symbol}``.

        Parameters
        ----------
        symbol : str
            Underlying with a same-day expiry.
        bar : {"1m"}, default "1m"
            Only 1-minute bars are served.
        minutes : int, default 60
            Look-back window, 1 to 390.

        Returns
        -------
        dict
            The payload: per bar, ``signed_delta_dollars``, ``signed_gamma_dollars`` and
            ``contracts`` parallel to ``strikes_grid`` (per-bar increments).
        """
        return self._get(_params.strike_flow(symbol, bar=bar, minutes=minutes))

    def get_leaderboard(self, *, metric: str = "heat", n: int = 10) -> R:
        """Get the cross-symbol ranking: ``GET /v1/flow/zero-dte/leaderboard``.

        Parameters
        ----------
        metric : {"heat", "pin_risk", "abs_flow", "charm_intensity"}, default "heat"
            What to rank by.
        n : int, default 10
            Entries, 1 to 100 (above 100 is clamped, with a ``FlowframeWarning``).

        Returns
        -------
        dict
            The payload: ``entries`` of ``{rank, symbol, value}``, rank 1 highest.
        """
        return self._get(_params.leaderboard(metric=metric, n=n))
