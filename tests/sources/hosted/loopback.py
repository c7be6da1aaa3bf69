"""A raw TCP server on 127.0.0.1 that answers each connection with scripted bytes.

For what :class:`tests.fakeapi.FakeAPI` cannot send: a malformed status or header line, a
body or headers dripped a byte at a time, a body of 50 MB, a gzip bomb; and, as a proxy, it
records what a client sends it. Every loop is bounded: pieces are finite, each socket call
times out, and the server stops with the context manager::

    with RawServer(lambda request: [b"HTTP/1.1 2x0 nope\\r\\n\\r\\n"]) as server:
        ...  # point a client at server.url
        assert server.requests[0].startswith(b"GET ")
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable

#: One piece of an answer: bytes to send, or (bytes, seconds to pause after them).
Piece = bytes | tuple[bytes, float]
Answer = Callable[[bytes], Iterable[Piece]]

_MAX_REQUEST = 64 * 1024


class RawServer:
    """Answer every connection with ``answer(request_head)``, then close it."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._requests: list[bytes] = []
        self._sock: socket.socket | None = None
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> RawServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.settimeout(0.05)
        self._sock = sock
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()

    @property
    def url(self) -> str:
        assert self._sock is not None
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[bytes]:
        """The bytes each connection sent before its answer (its request head)."""
        with self._lock:
            return list(self._requests)

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            thread.start()
            with self._lock:
                self._threads.append(thread)

    def _handle(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(2.0)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < _MAX_REQUEST:
                data = conn.recv(4096)
                if not data:
                    break
                head += data
            with self._lock:
                self._requests.append(head)
            for piece in self._answer(head):
                if self._stop.is_set():
                    return
                data, pause = piece if isinstance(piece, tuple) else (piece, 0.0)
                conn.sendall(data)
                if pause:
                    time.sleep(min(pause, 1.0))


def response(
    body: bytes = b"{}",
    *,
    status: bytes = b"200 OK",
    headers: Iterable[tuple[bytes, bytes]] = (),
    length: int | None = None,
) -> bytes:
    """One whole HTTP/1.1 response (``Connection: close``)."""
    lines = [b"HTTP/1.1 " + status]
    names = set()
    for name, value in headers:
        lines.append(name + b": " + value)
        names.add(name.lower())
    if b"content-type" not in names:
        lines.append(b"Content-Type: application/json")
    lines.append(b"Content-Length: %d" % (len(body) if length is None else length))
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def drip(data: bytes, every: float) -> list[Piece]:
    """``data`` a byte at a time, pausing ``every`` seconds after each."""
    return [(data[i : i + 1], every) for i in range(len(data))]


def fixed(*pieces: Piece) -> Answer:
    """An answer that is always ``pieces``."""
    return lambda head: list(pieces)
