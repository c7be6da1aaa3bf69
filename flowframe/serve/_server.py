"""Run the application with uvicorn, each response leaving in one write.

uvicorn's h11 protocol writes a response's status line and headers, then its body, then the
end of the message, each with its own ``transport.write``; asyncio sends each at once
(``TCP_NODELAY``), so a small body is two TCP segments. :class:`OneWriteProtocol` gathers
what one step of the event loop writes and sends it in one ``write`` at the end of that step:
a ``Response`` (one body message, no streaming) sends its start and its body in the same
step, so headers and body leave together.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["OneWriteProtocol", "run"]


class _Gather:
    """A transport that buffers writes and flushes them once, at the end of the loop step."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._chunks: list[bytes] = []
        self.writes = 0  # real writes made (the tests count them)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._chunks:
            self._loop.call_soon(self.flush)
        self._chunks.append(bytes(data))

    def flush(self) -> None:
        if self._chunks and not self._transport.is_closing():
            self._transport.write(b"".join(self._chunks))
            self.writes += 1
        self._chunks.clear()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteProtocol(H11Protocol):
    """uvicorn's h11 protocol, writing each loop step's output at once (see the module)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        super().connection_made(_Gather(transport, self.loop))  # type: ignore[arg-type]


def run(application: Any, *, host: str, port: int, log_level: str = "warning") -> None:
    """Serve ``application`` on ``host:port`` until interrupted (Ctrl-C)."""
    import uvicorn

    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        http=OneWriteProtocol,
        log_level=log_level,
        access_log=False,  # a request line holds no key, but a proxy's might: log nothing
        lifespan="on",
    )
    uvicorn.Server(config).run()
