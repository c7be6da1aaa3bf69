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
from flowframe.sources.hosted._base import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRY_WAIT,
    BaseClient,
)
from flowframe.sources.hosted._guard import (
    BodyError,
    DeadlineExceeded,
    aread_body,
    deadline_scope,
    read_body,
    sync_transport,
)

__all__ = ["AsyncFlashAlpha", "FlashAlpha"]


class FlashAlpha(BaseClient, EndpointMethods[Payload]):
    """Client for the hosted 0DTE flow API (``https://lab.flashalpha.com``).

    Parameters
    ----------
    api_key : str, optional
        Your key; read from ``FLASHALPHA_API_KEY`` when omitted. It travels only in the
        ``X-Api-Key`` header, is held masked until it is written there, and is scrubbed
        from every body, error, warning and log record (README: *The key*).
    base_url : str, default "https://lab.flashalpha.com"
        ``https://`` anywhere, or ``http://`` to a loopback host (a local fake).
    timeout : float, default 10.0
        Seconds each connect, read or write may wait.
    max_retries : int, default 2
        Retries after the first attempt for 408, 429, 5xx, timeouts and connection errors,
        with exponential backoff and jitter (0.5 s doubling to 8 s). No other status is
        retried. ``0`` turns retries off.
    transport : httpx.BaseTransport, optional
        Replace the network (``httpx.MockTransport`` in tests). It receives the request
        with the key in its headers.
    max_retry_wait : float, default 60.0
        The longest ``Retry-After`` honoured, from 0 to 300 s; a longer one raises at once
        (:class:`~flowframe.RateLimitError` with ``retry_after`` set for a 429).
        ``Retry-After`` itself reads as at most 86400 s.
    sleep : callable, optional
        Called with the seconds to wait between attempts (``time.sleep`` by default).
    seed : int, optional
        Seed for the backoff jitter.
    total_timeout : float, optional
        Seconds one attempt may take in all, connect, headers and body together (``timeout``
        bounds each read, so a server sending a byte at a time never trips it). Past it the
        attempt fails as a timeout (retried like one). ``None`` means ``3 * timeout``.
    max_response_bytes : int, default 33554432 (32 MiB)
        The largest body accepted, counted decoded (a gzip body is expanded with a bounded
        decompressor); a larger one raises :class:`~flowframe.ResponseTooLargeError`, not
        retried. Real bodies are a few MB at most.
    proxy : str, optional
        An explicit proxy (``http://``, ``https://`` or ``socks5://``), for an ``https://``
        base URL only: the request is tunnelled, so the proxy never sees the key. The
        environment's ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` are
        ignored; pass ``proxy=os.environ["HTTPS_PROXY"]`` to use one.

    Raises
    ------
    MissingAPIKeyError
        No key was given and ``FLASHALPHA_API_KEY`` is not set (before any request).
    ValueError
        ``base_url`` is ``http://`` to a non-loopback host, ``proxy`` is given with an
        ``http://`` base URL or with ``transport``, or a setting is out of range.

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
        total_timeout: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        proxy: str | None = None,
    ):
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            seed=seed,
            total_timeout=total_timeout,
            max_response_bytes=max_response_bytes,
            proxy=proxy,
        )
        if transport is None:
            transport = sync_transport(self._proxy)
        elif self._proxy is not None:
            raise ValueError("proxy= and transport= do not mix: give the proxy to your transport")
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
            The 2xx body as sent, decoded from gzip or deflate, with the key scrubbed
            (``SchemaError`` comes later, from whatever reads it). A 2xx whose body is the
            API's error shape raises as its status would (``TierRestrictedError``, ...).
        """
        return cast(bytes, self._fetch(_params.build(endpoint, symbol, **params), raw=True))

    def _fetch(self, request: _params.Request, *, raw: bool) -> Payload | bytes:
        attempt = 0
        while True:
            self.requests_sent += 1
            outcome = self._attempt(request, attempt, raw=raw)
            if not isinstance(outcome, float):
                return outcome
            self._sleep(outcome)
            attempt += 1

    def _attempt(
        self, request: _params.Request, attempt: int, *, raw: bool
    ) -> Payload | bytes | float:
        """Send once: the payload, the seconds before a retry, or raise (never chained)."""
        start = time.monotonic()
        deadline = start + self.total_timeout
        try:
            with deadline_scope(deadline):
                response, content = self._exchange(request, deadline, start)
        except (httpx.RequestError, DeadlineExceeded, BodyError) as exc:
            error, why = self._exchange_error(exc, request, deadline)
        else:
            return self._on_response(response, content, request, attempt, raw=raw)
        return self._on_failure(error, why, request, attempt)  # outside the except block

    def _exchange(
        self, request: _params.Request, deadline: float, now: float
    ) -> tuple[httpx.Response, bytes]:
        """Send the request and read its body, capped and before the deadline; scrubbed."""
        sent = self._client.build_request(
            "GET", request.path, params=request.params, timeout=self._attempt_timeout(deadline, now)
        )
        response = self._client.send(sent, stream=True)
        try:
            self._clean(response)
            # the quota headers count even when the body then runs past the cap or the
            # deadline: the server has spent the request
            self._note_response(response)
            content = read_body(
                response, limit=self.max_response_bytes, deadline=deadline, path=request.path
            )
        finally:
            response.close()
        return response, self._scrub.bytes(content)

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
    ``total_timeout`` is held by ``asyncio.timeout`` around each attempt.

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
        total_timeout: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        proxy: str | None = None,
    ):
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            seed=seed,
            total_timeout=total_timeout,
            max_response_bytes=max_response_bytes,
            proxy=proxy,
        )
        if transport is None:
            transport = httpx.AsyncHTTPTransport(proxy=self._proxy)
        elif self._proxy is not None:
            raise ValueError("proxy= and transport= do not mix: give the proxy to your transport")
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
            outcome = await self._attempt(request, attempt, raw=raw)
            if not isinstance(outcome, float):
                return outcome
            await self._sleep(outcome)
            attempt += 1

    async def _attempt(
        self, request: _params.Request, attempt: int, *, raw: bool
    ) -> Payload | bytes | float:
        """Send once: the payload, the seconds before a retry, or raise (never chained)."""
        start = time.monotonic()
        deadline = start + self.total_timeout
        try:
            async with asyncio.timeout(self.total_timeout):
                response, content = await self._exchange(request, deadline, start)
        except (httpx.RequestError, TimeoutError, DeadlineExceeded, BodyError) as exc:
            error, why = self._exchange_error(exc, request, deadline)
        else:
            return self._on_response(response, content, request, attempt, raw=raw)
        return self._on_failure(error, why, request, attempt)  # outside the except block

    async def _exchange(
        self, request: _params.Request, deadline: float, now: float
    ) -> tuple[httpx.Response, bytes]:
        """Send the request and read its body, capped and before the deadline; scrubbed."""
        sent = self._client.build_request(
            "GET", request.path, params=request.params, timeout=self._attempt_timeout(deadline, now)
        )
        response = await self._client.send(sent, stream=True)
        try:
            self._clean(response)
            self._note_response(response)  # counts even if the body then fails (see sync)
            content = await aread_body(
                response, limit=self.max_response_bytes, deadline=deadline, path=request.path
            )
        finally:
            await response.aclose()
        return response, self._scrub.bytes(content)

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
