"""A small fake of the hosted 0DTE flow API on 127.0.0.1, with scripted faults.

It serves the fixtures in ``tests/data`` (and :class:`~flowframe.sources.samples.SampleSource` bodies for
everything else), checks the ``X-Api-Key`` header like the real service (401 problem+json),
sends ``x-ratelimit-*`` headers, and records every request it receives. Faults are queued
per endpoint and consumed one request at a time::

    with FakeAPI() as api:
        api.script("hedge-flow", Fault.http(503), Fault.http(503))
        client = ff.FlashAlpha(KEY, base_url=api.url, sleep=lambda s: None)
        client.get_hedge_flow("SPY")        # 503, 503, then 200
        assert api.count("hedge-flow") == 3

Every sleep in here is bounded, and the server thread stops with the context manager.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flowframe._constants import ENDPOINT_METHODS
from flowframe.sources.samples import SampleSource

DATA = Path(__file__).parent / "data"
KEY = "ff-test-key-5f2c9a7e41"
PREFIX = "/v1/flow/zero-dte/"


def fixture(name: str) -> Any:
    return json.loads((DATA / name).read_text())


@dataclass(frozen=True)
class Fault:
    """One scripted answer in place of the normal one."""

    kind: str
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0

    @classmethod
    def http(cls, code: int, body: Any = None, **headers: str) -> Fault:
        """Answer with ``code``, a JSON ``body`` (or none) and extra headers."""
        raw = json.dumps(body).encode() if body is not None else b""
        hdrs = tuple((k.replace("_", "-"), v) for k, v in headers.items())
        if body is not None:
            hdrs += (("Content-Type", "application/json"),)
        return cls("status", code, raw, hdrs)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, but only after ``seconds`` (bounded to 2 s)."""
        return cls("slow", delay=min(seconds, 2.0))

    @classmethod
    def truncated(cls) -> Fault:
        """Promise more bytes than are sent, then close: the connection is cut mid-body."""
        return cls("truncated")

    @classmethod
    def partial_json(cls) -> Fault:
        """A complete HTTP response whose JSON body is cut short."""
        return cls("raw", 200, b'{"symbol": "SPY", "bars": [{"t": "2026-09-18T17:00:00Z", "ba')

    @classmethod
    def not_json(cls, status: int = 200) -> Fault:
        """A body that is not JSON at all (an HTML error page from a proxy)."""
        return cls("raw", status, b"<html><body><h1>Bad Gateway</h1></body></html>")


@dataclass
class Seen:
    method: str
    path: str
    raw_path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class _State:
    faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    requests: list[Seen] = field(default_factory=list)
    remaining: int = 2500
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeAPI:
    """The fake server; use it as a context manager."""

    def __init__(self, *, key: str = KEY, limit: int | str = 2500, source: Any = None) -> None:
        self.key = key
        self.limit = limit
        self.state = _State()
        self.sample = SampleSource(seed=7, date="2026-09-18", now="13:12")
        # a local source with ``at(now)`` answers every route at ``self.now`` instead
        self.source = source
        self.now: Any = source.clock.now() if source is not None else None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- control

    def __enter__(self) -> FakeAPI:
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, endpoint: str, *faults: Fault) -> None:
        with self.state.lock:
            self.state.faults[endpoint].extend(faults)

    @property
    def requests(self) -> list[Seen]:
        with self.state.lock:
            return list(self.state.requests)

    def count(self, endpoint: str | None = None) -> int:
        return sum(1 for r in self.requests if endpoint is None or _endpoint(r.path) == endpoint)

    # ---------------------------------------------------------------- answers

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        endpoint = _endpoint(path)
        rest = path[len(PREFIX) :].split("/", 1)
        symbol = unquote(rest[1]) if len(rest) > 1 else None
        q = {k: v[-1] for k, v in query.items()}
        if self.source is not None:
            return self._from_source(endpoint, symbol, q)
        if endpoint == "snapshot":
            if symbol == "ZZZZ":
                return 404, fixture("error_404_symbol.json")
            if symbol == "TSLA":
                return 200, fixture("snapshot_no_zero_dte.json")
            if symbol == "CLOSED":
                return 200, fixture("snapshot_session_closed.json")
            return 200, self.sample.get_snapshot(symbol or "SPY")
        if endpoint == "hedge-flow":
            if q.get("side", "all") not in ("all", "calls", "puts"):
                return 400, fixture("error_400_invalid_side.json")
            if symbol == "QQQ" and q.get("side") == "calls" and q.get("bar") == "5m":
                return 200, fixture("hedge_flow_calls_5m.json")
            return 200, self.sample.get_hedge_flow(
                symbol or "SPY",
                side=q.get("side", "all"),
                bar=q.get("bar", "30s"),
                minutes=int(q.get("minutes", "60")),
            )
        if endpoint == "series":
            return 200, self.sample.get_series(
                symbol or "SPY", bar=q.get("bar", "30s"), minutes=int(q.get("minutes", "60"))
            )
        if endpoint == "heatmap":
            if symbol == "QQQ" and q.get("metric", "gex") == "gex" and q.get("mode") == "raw":
                return 200, fixture("heatmap_gex_raw_1m.json")
            return 200, self.sample.get_heatmap(
                symbol or "SPY",
                metric=q.get("metric", "gex"),
                mode=q.get("mode", "raw"),
                minutes=int(q.get("minutes", "60")),
            )
        if endpoint == "strike-flow":
            if symbol == "QQQ":
                return 200, fixture("strike_flow_1m.json")
            return 200, self.sample.get_strike_flow(
                symbol or "SPY", minutes=int(q.get("minutes", "60"))
            )
        if endpoint == "leaderboard":
            if q.get("metric", "heat") == "heat" and q.get("n") == "3":
                return 200, fixture("leaderboard_heat.json")
            return 200, self.sample.get_leaderboard(
                metric=q.get("metric", "heat"), n=int(q.get("n", "10"))
            )
        return 404, {"error": "not_found", "message": f"no route {path}"}

    def _from_source(self, endpoint: str, symbol: str | None, q: dict[str, str]) -> tuple[int, Any]:
        """Answer from ``self.source`` at ``self.now`` (a moving session for recorders)."""
        from flowframe.errors import APIStatusError

        kwargs: dict[str, Any] = {k: int(v) if k in ("minutes", "n") else v for k, v in q.items()}
        method = ENDPOINT_METHODS.get(endpoint)
        if method is None:
            return 404, {"error": "not_found", "message": f"no route {endpoint}"}
        src = self.source.at(self.now)
        try:
            if endpoint == "leaderboard":
                return 200, getattr(src, method)(**kwargs)
            return 200, getattr(src, method)(symbol, **kwargs)
        except APIStatusError as exc:
            return int(exc.status_code), exc.body


def _endpoint(path: str) -> str:
    if not path.startswith(PREFIX):
        return ""
    return path[len(PREFIX) :].split("/", 1)[0]


class _Handler(BaseHTTPRequestHandler):
    api: FakeAPI
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK hold the body back 40 ms on every keep-alive request
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr
        pass

    def do_GET(self) -> None:
        # the client may give up first (a timeout test): then there is nothing to answer
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer()

    def _answer(self) -> None:
        api = self.api
        state = api.state
        split = urlsplit(self.path)
        path = unquote(split.path)
        seen = Seen("GET", path, split.path, parse_qs(split.query), dict(self.headers.items()))
        endpoint = _endpoint(path)
        with state.lock:
            state.requests.append(seen)
            fault = state.faults[endpoint].popleft() if state.faults[endpoint] else None
            if state.remaining > 0:
                state.remaining -= 1
            remaining = state.remaining
        headers = {
            "x-ratelimit-limit": str(api.limit),
            "x-ratelimit-remaining": "unlimited" if api.limit == "unlimited" else str(remaining),
            "x-ratelimit-reset": "1790208000",
        }
        if self.headers.get("X-Api-Key") != api.key:
            self._send(
                401,
                json.dumps(fixture("error_401.json")).encode(),
                headers,
                content_type="application/problem+json",
            )
            return
        if fault is not None:
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "truncated":
                body = b'{"symbol": "SPY", "bars": ['
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body) + 500))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
                return
            else:
                merged = {**headers, **dict(fault.headers)}
                self._send(fault.status, fault.body, merged)
                return
        status, body = api.answer(path, seen.query)
        self._send(status, json.dumps(body).encode(), headers)

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str],
        *,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        if not any(k.lower() == "content-type" for k in headers):
            self.send_header("Content-Type", content_type)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
