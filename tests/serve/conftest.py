"""Shared pieces of the ``flowframe serve`` tests: one frozen session, the keys, a server.

The session is computed once (package scope); each test module that asks for ``url`` gets
its own server over it (module scope), so quota counts never leak from one module to the
next. The quotas' wall clock is frozen too (:data:`WALL`), so ``X-RateLimit-Reset`` and
``Retry-After`` are exact.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import orjson
import pytest
from flashalpha import FlashAlpha  # type: ignore[import-untyped]
from starlette.applications import Starlette

import flowframe as ff
from flowframe.serve import app
from tests.serve.server import running

DATE: Final = "2026-09-18"
SYMBOLS: Final = ("SPY", "QQQ")
PREFIX: Final = "/v1/flow/zero-dte"
KEYS: Final = {"kfree": "free", "kbasic": "basic", "kgrowth": "growth", "kalpha": "alpha"}
#: The quotas' clock: 14:45 ET on the session day.
WALL: Final = dt.datetime(2026, 9, 18, 18, 45, tzinfo=dt.UTC)
#: The next daily reset after WALL (00:00 UTC), and the seconds to it.
RESET: Final = dt.datetime(2026, 9, 19, 0, 0, tzinfo=dt.UTC)
RETRY_AFTER: Final = int((RESET - WALL).total_seconds())  # 5 h 15 min = 18900 s
#: The 400 codes API.md documents, and the two flowframe adds for non-integers.
DOCUMENTED_400: Final = frozenset(
    {
        "invalid_side",
        "invalid_bar",
        "invalid_metric",
        "invalid_mode",
        "invalid_expiry",
        "bar_unavailable",
        "no_strike_data_for_window",
        "invalid_minutes",
        "invalid_n",
    }
)


def frozen_wall() -> dt.datetime:
    return WALL


def raw_request(url: str, data: bytes) -> bytes:
    """Send ``data`` as is; return what the server answers before it closes (bounded)."""
    host, port = url.removeprefix("http://").split(":")
    chunks = []
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        for _ in range(100):
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def roundtrip(payload: Any) -> Any:
    """A payload as a client decodes it: through orjson and back."""
    return orjson.loads(orjson.dumps(payload))


def serve(source: Any, keys: Mapping[str, str] | None = KEYS) -> Starlette:
    """The application under test: ``source`` behind ``keys``, quotas on the frozen wall."""
    return app(source, keys, now=frozen_wall)


@pytest.fixture(scope="package")
def source() -> ff.Simulated:
    """A frozen simulated session (14:45 ET), two symbols."""
    return ff.Simulated(0, date=DATE, now="14:45", symbols=SYMBOLS)


@pytest.fixture(scope="module")
def url(source: ff.Simulated) -> Iterator[str]:
    """One server per module over the shared session, with :data:`KEYS`."""
    with running(serve(source)) as base:
        yield base


@pytest.fixture
def sdk(url: str) -> Iterator[Callable[[str], FlashAlpha]]:
    """FlashAlpha's official client on the module's server, for a key (closed afterwards)."""
    made: list[FlashAlpha] = []

    def make(key: str, base_url: str | None = None) -> FlashAlpha:
        client = FlashAlpha(key, base_url=base_url or url, timeout=30)
        made.append(client)
        return client

    yield make
    for client in made:
        client._session.close()
