"""The sync and async clients for the hosted FlashAlpha 0DTE flow API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, cast

import httpx

from flowframe import _params
from flowframe._constants import DEFAULT_BASE_URL
from flowframe.sources.endpoints import EndpointMethods, Payload
from flowframe.sources.hosted._base import DEFAULT_MAX_RETRY_WAIT, BaseClient

__all__ = ["AsyncFlashAlpha", "FlashAlpha"]


class FlashAlpha(BaseClient, EndpointMethods[Payload]):
    """Client for the hosted 0DTE flow API (``https://lab.flashalpha.com``).

    Parameters
    ----------
    api_key : str, optional
        Your key; read from ``FLASHALPHA_API_KEY`` when omitted. It travels only in the
        ``X-Api-Key`` header and is never shown in a repr, a log or an error.
    base_url : str, default "https://lab.flashalpha.com"
        ``https://`` anywhere, or ``http://`` to a loopback host (a local fake or proxy).
    timeout : float, default 10.0
        Seconds to wait for each attempt.
    max_retries : int, default 2
        Retries after the first attempt for 408, 429, 5xx, timeouts and connection errors,
        with exponential backoff and jitter (0.5 s doubling to 8 s). No other status is
        retried. ``0`` turns retries off.
    transport : httpx.BaseTransport, optional
        Replace the network (``httpx.MockTransport`` in tests).
    max_retry_wait : float, default 60.0
        The longest ``Retry-After`` honoured; a longer one raises at once
        (:class:`~flowframe.RateLimitError` with ``retry_after`` set for a 429).
    sleep : callable, optional
        Called with the seconds to wait between attempts (``time.sleep`` by default).
    seed : int, optional
        Seed for the backoff jitter.

    Raises
    ------
    MissingAPIKeyError
        No key was given and ``FLASHALPHA_API_KEY`` is not set (before any request).
    ValueError
        ``base_url`` is ``http://`` to a non-loopback host, or a setting is out of range.

    Examples
    --------
    >>> with ff.FlashAlpha() as fa:  # doctest: +SKIP
    ...     body = fa.get_hedge_flow("SPY", side="calls", bar="5m", minutes=180)
    ...     fa.quota
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        max_retries: int = 2,
        transport: httpx.BaseTransport | None = None,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        sleep: Callable[[float], None] | None = None,
        seed: int | None = None,
    ):
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            seed=seed,
        )
        self._sleep = sleep or time.sleep
        self._client = httpx.Client(transport=transport, **self._http_options())

    def _get(self, request: _params.Request) -> Payload:
        return cast(Payload, self._fetch(request, raw=False))

    def get_raw(self, endpoint: str, symbol: str | None = None, **params: Any) -> bytes:
        """Fetch one endpoint's body as bytes, undecoded.

        The same validation, retries and errors as the ``get_*`` methods; the loaders
        (``ff.heatmap`` and the rest) read these bytes with the ``*_from_json`` readers of
        :mod:`flowframe.frames`, which skip building the decoded dict.

        Parameters
        ----------
        endpoint : {"snapshot", "series", "hedge-flow", "heatmap", "strike-flow", "leaderboard"}
            Which endpoint.
        symbol : str, optional
            The underlying (every endpoint but the leaderboard).
        **params
            The endpoint's parameters, as its ``get_*`` method takes them.

        Returns
        -------
        bytes
            The 2xx body as sent (``SchemaError`` comes later, from whatever reads it).
        """
        return cast(bytes, self._fetch(_params.build(endpoint, symbol, **params), raw=True))

    def _fetch(self, request: _params.Request, *, raw: bool) -> Payload | bytes:
        attempt = 0
        while True:
            self.requests_sent += 1
            try:
                response = self._client.get(
                    request.path, params=request.params, headers=self._headers()
                )
            except httpx.TransportError as exc:
                delay = self._on_transport_error(exc, request, attempt)
            else:
                outcome = self._on_response(response, request, attempt, raw=raw)
                if not isinstance(outcome, float):
                    return outcome
                delay = outcome
            self._sleep(delay)
            attempt += 1

    def close(self) -> None:
        """Close the underlying HTTP connections."""
        self._client.close()

    def __enter__(self) -> FlashAlpha:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncFlashAlpha(BaseClient, EndpointMethods[Awaitable[Payload]]):
    """Async client for the hosted 0DTE flow API: :class:`FlashAlpha` with ``await``.

    Same parameters as :class:`FlashAlpha`, except ``transport`` is an
    ``httpx.AsyncBaseTransport`` and ``sleep`` an async callable (``asyncio.sleep``).

    Examples
    --------
    >>> async with ff.AsyncFlashAlpha() as fa:  # doctest: +SKIP
    ...     body = await fa.get_series("SPY", bar="1m")
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        max_retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        seed: int | None = None,
    ):
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            seed=seed,
        )
        self._sleep = sleep or asyncio.sleep
        self._client = httpx.AsyncClient(transport=transport, **self._http_options())

    async def _get(self, request: _params.Request) -> Payload:
        return cast(Payload, await self._fetch(request, raw=False))

    def get_raw(self, endpoint: str, symbol: str | None = None, **params: Any) -> Awaitable[bytes]:
        """Fetch one endpoint's body as bytes, undecoded (see :meth:`FlashAlpha.get_raw`).

        A bad parameter raises ``ValueError`` here, before the awaitable exists, as the
        ``get_*`` methods do.
        """
        return self._fetch_bytes(_params.build(endpoint, symbol, **params))

    async def _fetch_bytes(self, request: _params.Request) -> bytes:
        return cast(bytes, await self._fetch(request, raw=True))

    async def _fetch(self, request: _params.Request, *, raw: bool) -> Payload | bytes:
        attempt = 0
        while True:
            self.requests_sent += 1
            try:
                response = await self._client.get(
                    request.path, params=request.params, headers=self._headers()
                )
            except httpx.TransportError as exc:
                delay = self._on_transport_error(exc, request, attempt)
            else:
                outcome = self._on_response(response, request, attempt, raw=raw)
                if not isinstance(outcome, float):
                    return outcome
                delay = outcome
            await self._sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        """Close the underlying HTTP connections."""
        await self._client.aclose()

    async def __aenter__(self) -> AsyncFlashAlpha:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
