"""The fake API on 127.0.0.1 serving a simulated session on a clock the test moves.

:class:`SessionAPI` is :class:`tests.fakeapi.FakeAPI` (scripted faults, ``x-ratelimit-*``
headers, the request log) with two additions the poller's issue-13 tests need:

- with ``session=``, the series, heatmap, snapshot and leaderboard are answered by a
  :class:`~flowframe.Simulated` whose :class:`~flowframe.SessionClock` reads a
  :class:`~tests.fakes.Wall` the test moves: the *server's* clock, which the poller's own
  (local) clock may disagree with;
- ``duplicates``: that many next responses carry ``x-ratelimit-remaining`` twice (the second
  one a stale ``remaining + 1``, as a proxy replaying a cached header would), which httpx
  joins into ``"249, 250"``;
- ``hold_oldest``: the answer to the first request (the highest ``remaining``) is held back
  until that many other answers have gone out (at most 10 s), so the oldest answer arrives
  last, whatever the threads' timing;
- a listen backlog of 128, so 50 connections opened at once are all accepted at once.

Every sleep stays bounded (the fake's own ``Fault.slow`` is capped at 2 s); the server thread
stops with the context manager.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import unquote

import flowframe as ff
from tests.fakeapi import PREFIX, FakeAPI, _endpoint, _Handler
from tests.fakes import DATE, DAY, Wall

#: The session's symbol.
SYMBOL = "SPY"


def simulated_session(wall: Wall, start: str) -> ff.Simulated:
    """A one-symbol simulated session whose clock runs at real speed on ``wall`` from ``start``.

    Its clock stops at the close (16:00 ET), as the server's answers do.
    """
    clock = ff.SessionClock(DAY, speed=1.0, start=start, wall=wall)
    return ff.Simulated(seed=3, date=DATE, scale=0.02, symbols=(SYMBOL,), clock=clock)


class _DuplicatingHandler(_Handler):
    api: SessionAPI

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
        stale = headers.get("x-ratelimit-remaining", "")
        if stale.isdigit() and self.api.take_duplicate():
            self.send_header("x-ratelimit-remaining", str(int(stale) + 1))
        self.send_header("Content-Length", str(len(body)))
        oldest = stale == self.api.first_remaining
        if oldest:
            self.api.wait_for_others()
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if not oldest:
            self.api.sent_one()


class SessionAPI(FakeAPI):
    """The fake API, optionally answering from a simulated session; see the module."""

    def __init__(self, *, limit: int = 2500, session: ff.Simulated | None = None) -> None:
        super().__init__(limit=limit)
        self.state.remaining = limit
        self.session = session
        self.duplicates = 0
        self.duplicated = 0  # responses sent with the header twice
        self.hold_oldest = 0
        self.first_remaining = str(limit - 1)  # what the first answer says
        self._sent = 0
        self._sent_changed = threading.Condition()

    def __enter__(self) -> SessionAPI:
        super().__enter__()
        assert self._server is not None
        self._server.socket.listen(128)  # the default backlog of 5 stalls 50 connects
        self._server.RequestHandlerClass = type("Handler", (_DuplicatingHandler,), {"api": self})
        return self

    def sent_one(self) -> None:
        with self._sent_changed:
            self._sent += 1
            self._sent_changed.notify_all()

    def wait_for_others(self) -> None:
        with self._sent_changed:
            self._sent_changed.wait_for(lambda: self._sent >= self.hold_oldest, timeout=10.0)

    def take_duplicate(self) -> bool:
        with self.state.lock:
            if self.duplicates <= 0:
                return False
            self.duplicates -= 1
            self.duplicated += 1
            return True

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        sim = self.session
        if sim is None:
            return super().answer(path, query)
        endpoint = _endpoint(path)
        rest = path[len(PREFIX) :].split("/", 1)
        symbol = unquote(rest[1]) if len(rest) > 1 else SYMBOL
        q = {k: v[-1] for k, v in query.items()}
        minutes = int(q.get("minutes", "60"))
        if endpoint == "series":
            return 200, sim.get_series(symbol, bar=q.get("bar", "30s"), minutes=minutes)
        if endpoint == "heatmap":
            return 200, sim.get_heatmap(
                symbol,
                metric=q.get("metric", "gex"),
                mode=q.get("mode", "raw"),
                bar=q.get("bar", "1m"),
                minutes=minutes,
            )
        if endpoint == "snapshot":
            return 200, sim.get_snapshot(symbol)
        if endpoint == "leaderboard":
            return 200, sim.get_leaderboard(metric=q.get("metric", "heat"), n=int(q.get("n", "10")))
        return 404, {"error": "not_found", "message": f"no route {path}"}
