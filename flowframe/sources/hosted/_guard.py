"""What guards the key and the client against the server and the environment (issue 13).

- :class:`Secret` holds the key with a masked repr; :class:`KeyAuth` writes it into the
  ``X-Api-Key`` header as the request is sent, so no variable of flowframe or httpx holds the
  plain key before the request object exists (tracebacks that show locals stay clean).
- :class:`Scrubber` removes the key, in every form it may take in server bytes, from bodies,
  messages and log records; :class:`RedactKeyFilter` applies it to httpx's and httpcore's logs.
- :func:`sync_transport` gives the sync client a transport that holds every read, write and
  connect to the attempt's total deadline; :class:`BodyReader` reads a body as it streams,
  decoding it with a bounded decompressor, and stops it at the size cap and the deadline.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import weakref
import zlib
from collections.abc import AsyncIterator, Generator, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, NoReturn

import httpcore
import httpx

from flowframe.errors import ResponseTooLargeError

__all__ = [
    "BodyError",
    "BodyReader",
    "DeadlineExceeded",
    "KeyAuth",
    "RedactKeyFilter",
    "Scrubber",
    "Secret",
    "deadline_scope",
    "install_log_filter",
    "sync_transport",
]

MASK = "***"
#: The loggers whose records can quote server bytes or request headers. A filter on a logger
#: sees only the records logged to that very logger, so each one is named.
REDACTED_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "flowframe.sources.hosted",
)


class Secret:
    """A string that does not show itself: ``repr`` and ``str`` give ``'***'``.

    Only :meth:`reveal` gives the value, at the moment it is written to the wire. It refuses
    to be pickled or copied, which would write the key out.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the plain value (for the wire only)."""
        return self._value

    def __repr__(self) -> str:
        return repr(MASK)

    def __str__(self) -> str:
        return MASK

    def __reduce__(self) -> NoReturn:
        raise TypeError("flowframe does not pickle or copy the API key")


class KeyAuth(httpx.Auth):
    """Write the key into ``X-Api-Key`` as each request is sent (an ``httpx.Auth``)."""

    def __init__(self, secret: Secret) -> None:
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header on the request about to be sent (redirects are never followed)."""
        request.headers["X-Api-Key"] = self._secret.reveal()
        yield request

    def __repr__(self) -> str:
        return "KeyAuth(X-Api-Key='***')"


def _forms(char: str) -> list[str]:
    r"""Every way one character of the key can be written in bytes a server sends back.

    As itself, percent-encoded (``%2F`` / ``%2f``, a URL or form echo), JSON ``\u002f``
    escapes in either case (.NET's JSON writer escapes ``+``, ``<``, ``'`` ... this way), and
    the backslash escapes of JSON and of Python's bytes repr (``\"``, ``\/``, ``\'``).
    """
    code = ord(char)
    forms = {re.escape(char), f"%{code:02X}", f"%{code:02x}"}
    forms |= {re.escape(f"\\u{code:04x}"), re.escape(f"\\u{code:04X}")}
    if char in "\"\\/'":
        forms.add(re.escape("\\" + char))
    return sorted(forms, key=len, reverse=True)


class Scrubber:
    """Remove the API key from any text or bytes before it reaches a message, a body or a log.

    The key is matched as sent and in the forms a server may echo it in: percent-encoded,
    JSON-escaped, backslash-escaped, or any mix of these per character. Base64 and other
    transformations are not searched: flowframe never sends the key encoded, so a server
    would have to encode it on purpose (see the README's security section).
    """

    __slots__ = ("__weakref__", "_bytes", "_raw", "_text")

    def __init__(self, key: Secret | str) -> None:
        plain = key.reveal() if isinstance(key, Secret) else key
        pattern = "".join("(?:" + "|".join(_forms(c)) + ")" for c in plain)
        self._text = re.compile(pattern)
        self._bytes = re.compile(pattern.encode("ascii"))
        self._raw = Secret(plain)

    def __repr__(self) -> str:
        return "Scrubber(key='***')"

    def text(self, text: str) -> str:
        """Return ``text`` with every form of the key replaced by ``***``."""
        return self._text.sub(MASK, text)

    def bytes(self, data: bytes) -> bytes:
        """Return ``data`` with every form of the key replaced by ``b'***'``.

        Bytes with neither the plain key nor an escape character in them are returned as
        they are, without a regex pass (most bodies: a megabyte costs a millisecond).
        """
        if self._raw.reveal().encode("ascii") in data or b"\\" in data or b"%" in data:
            return self._bytes.sub(MASK.encode("ascii"), data)
        return data

    def value(self, value: Any) -> Any:
        """Scrub every string in a decoded JSON value (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value


class RedactKeyFilter(logging.Filter):
    """Rewrite a log record whose message holds a live client's key (any form) to ``***``.

    httpcore logs every response header at DEBUG and httpx the status line at INFO; a
    server that echoes the key there would put it in the logs.
    """

    def __init__(self) -> None:
        super().__init__()
        self._scrubbers: weakref.WeakSet[Scrubber] = weakref.WeakSet()

    def add(self, scrubber: Scrubber) -> None:
        """Redact this scrubber's key too, for as long as the scrubber lives."""
        self._scrubbers.add(scrubber)

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place; never drop it."""
        scrubbers = list(self._scrubbers)
        if not scrubbers:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error path
            return True
        clean = message
        for scrubber in scrubbers:
            clean = scrubber.text(clean)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_LOG_FILTER = RedactKeyFilter()


def install_log_filter(scrubber: Scrubber) -> None:
    """Redact ``scrubber``'s key from the records of :data:`REDACTED_LOGGERS`."""
    _LOG_FILTER.add(scrubber)
    for name in REDACTED_LOGGERS:
        log = logging.getLogger(name)
        if _LOG_FILTER not in log.filters:
            log.addFilter(_LOG_FILTER)


# ------------------------------------------------------------------------ total deadline

#: The ``time.monotonic()`` by which the current attempt must be over (None: no deadline).
_DEADLINE: ContextVar[float | None] = ContextVar("flowframe_hosted_deadline", default=None)


class DeadlineExceeded(Exception):
    """The attempt's total deadline passed (internal: becomes an ``APITimeoutError``)."""


class BodyError(Exception):
    """The body could not be decoded (internal: becomes an ``APIConnectionError``)."""


@contextlib.contextmanager
def deadline_scope(deadline: float) -> Iterator[None]:
    """Hold every network operation of the sync transport inside to ``deadline``."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _time_left(timeout: float | None, late: type[Exception]) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise late("the attempt's total_timeout has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write waits no later than the deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend, with every stream held to the deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, left, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def sync_transport(proxy: str | None) -> httpx.HTTPTransport:
    """Return the sync client's own transport, with the total deadline on every socket call.

    httpx's timeouts apply to each read: a server that drips a byte at a time never trips
    them. httpx has no public hook for httpcore's network backend, so it is wrapped in
    place; should a later httpx lay its transport out otherwise, the body reader's deadline
    check (between chunks) still holds.

    ``trust_env`` stays on for the transport, so ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` are
    honoured as httpx does; the environment's proxy variables are read by ``httpx.Client``,
    not here, and the client is built with ``trust_env=False``.
    """
    transport = httpx.HTTPTransport(proxy=proxy)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if pool is not None and isinstance(backend, httpcore.NetworkBackend):
        pool._network_backend = _DeadlineBackend(backend)
    return transport


# ------------------------------------------------------------------------ capped body


class BodyReader:
    """Decode a body as it streams, stopping at ``limit`` decoded bytes and at the deadline.

    Only ``gzip`` and ``deflate`` are asked for (``Accept-Encoding``) and read, each with a
    bounded decompressor: a 100 KB gzip bomb never expands past ``limit + 1`` bytes in
    memory.
    """

    __slots__ = ("_chunks", "_deadline", "_limit", "_maybe_raw", "_path", "_size", "_zlib")

    _zlib: Any  # a zlib decompressor, or None for an identity body

    def __init__(
        self, response: httpx.Response, *, limit: int, deadline: float | None, path: str
    ) -> None:
        self._limit = limit
        self._deadline = deadline
        self._path = path
        self._chunks: list[bytes] = []
        self._size = 0
        codings = [
            c.strip().lower()
            for c in response.headers.get("content-encoding", "").split(",")
            if c.strip() and c.strip().lower() != "identity"
        ]
        # "deflate" is sometimes sent raw, without its zlib header: told by the first chunk
        self._maybe_raw = codings == ["deflate"]
        if not codings:
            self._zlib = None
            declared = response.headers.get("content-length", "").strip()
            if declared.isdigit() and int(declared) > limit:
                self._too_large()
        elif codings in (["gzip"], ["x-gzip"]):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif codings == ["deflate"]:
            self._zlib = zlib.decompressobj()
        else:
            raise BodyError(
                f"the response to {path} is encoded {', '.join(codings)!r}, which flowframe "
                "did not ask for (it asks for gzip or deflate)"
            )

    def _too_large(self) -> NoReturn:
        limit = self._limit
        mib = f" ({limit / 2**20:.4g} MiB)" if limit >= 2**20 else ""
        raise ResponseTooLargeError(
            f"the response to {self._path} is larger than max_response_bytes={limit:,} bytes"
            f"{mib} once decoded (the default, 32 MiB, is well above any real body); if this "
            "one is genuine, raise the cap: ff.FlashAlpha(max_response_bytes=...)",
            method="GET",
            url=self._path,
            limit=self._limit,
        )

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            self._too_large()
        if data:
            self._chunks.append(data)

    def feed(self, chunk: bytes) -> None:
        """Take one raw chunk off the wire."""
        if self._zlib is None:
            self._keep(chunk)
        else:
            room = self._limit - self._size + 1  # one byte past the cap tells it was passed
            try:
                out = self._zlib.decompress(chunk, room)
            except zlib.error as exc:
                if not self._maybe_raw:
                    raise BodyError(
                        f"the response to {self._path} does not decode ({exc})"
                    ) from None
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                try:
                    out = self._zlib.decompress(chunk, room)
                except zlib.error:
                    raise BodyError(
                        f"the response to {self._path} does not decode ({exc})"
                    ) from None
            self._keep(out)
        self._maybe_raw = False
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise DeadlineExceeded

    def finish(self) -> bytes:
        """Return the decoded body."""
        if self._zlib is not None:
            self._keep(self._zlib.flush(self._limit - self._size + 1))
        return b"".join(self._chunks)

    def whole(self, content: bytes) -> bytes:
        """Check a body a transport already read in full (``httpx.MockTransport``)."""
        self._keep(content)
        return content


def read_body(response: httpx.Response, *, limit: int, deadline: float | None, path: str) -> bytes:
    """Read a streamed sync response under the cap and the deadline."""
    reader = BodyReader(response, limit=limit, deadline=deadline, path=path)
    if response.is_stream_consumed:  # the transport read (and decoded) the body already
        return reader.whole(response.content)
    for chunk in response.iter_raw():
        reader.feed(chunk)
    return reader.finish()


async def aread_body(
    response: httpx.Response, *, limit: int, deadline: float | None, path: str
) -> bytes:
    """Read a streamed async response under the cap and the deadline."""
    reader = BodyReader(response, limit=limit, deadline=deadline, path=path)
    if response.is_stream_consumed:
        return reader.whole(response.content)
    chunks: AsyncIterator[bytes] = response.aiter_raw()
    async for chunk in chunks:
        reader.feed(chunk)
    return reader.finish()
