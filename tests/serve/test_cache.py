"""A server computes each answer of a frozen-clock source once, and a running one every time."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import orjson

import flowframe as ff
from flowframe.serve import app
from tests.fakes import Wall
from tests.serve.server import running

DATE = "2026-09-18"
SERIES = "/v1/flow/zero-dte/series/SPY"
KEY = {"X-Api-Key": "k"}


@contextlib.contextmanager
def served(application: Any) -> Iterator[httpx.Client]:
    """Serve on loopback (Starlette's TestClient warns that it wants httpx2)."""
    with running(application) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


class Counting:
    """Wrap a source, counting the calls that reach it."""

    def __init__(self, source: Any):
        self.source, self.clock, self.symbols, self.calls = source, source.clock, ("SPY",), 0

    def get_series(self, symbol: str, **kwargs: Any) -> Any:
        self.calls += 1
        return self.source.get_series(symbol, **kwargs)


def test_a_frozen_clock_is_computed_once_per_request() -> None:
    src = Counting(ff.Simulated(seed=1, date=DATE, now="14:45", symbols=["SPY"]))
    with served(app(src, warm=False)) as client:
        bodies = [client.get(SERIES, params={"minutes": m}, headers=KEY).content for m in (5, 5, 6)]
        again = client.get(SERIES, params={"minutes": "5"}, headers=KEY).content
    assert src.calls == 2  # minutes=5 once, minutes=6 once
    assert bodies[0] == bodies[1] == again != bodies[2]
    assert orjson.loads(bodies[0]) == orjson.loads(
        orjson.dumps(src.source.get_series("SPY", minutes=5))
    )


def test_a_running_clock_is_asked_every_time() -> None:
    wall = Wall()
    clock = ff.SessionClock(DATE, speed=60.0, start="14:00", wall=wall)
    src = Counting(ff.Simulated(seed=1, date=DATE, clock=clock, symbols=["SPY"]))
    with served(app(src, warm=False)) as client:
        first = client.get(SERIES, headers=KEY).json()
        wall.t += 30.0  # 30 min of session
        later = client.get(SERIES, headers=KEY).json()
    assert src.calls == 2
    assert later["as_of"] > first["as_of"] and later["bars"][-1]["t"] > first["bars"][-1]["t"]


def test_the_cache_keeps_at_most_its_bytes() -> None:
    src = Counting(ff.Simulated(seed=1, date=DATE, now="14:45", symbols=["SPY"]))
    one = len(orjson.dumps(src.source.get_series("SPY", minutes=60)))
    with served(app(src, warm=False, cache_bytes=one + 10)) as client:
        for minutes in (60, 59, 60):  # 59 pushes 60 out
            client.get(SERIES, params={"minutes": minutes}, headers=KEY)
    assert src.calls == 3
    off = Counting(ff.Simulated(seed=1, date=DATE, now="14:45", symbols=["SPY"]))
    with served(app(off, warm=False, cache_bytes=0)) as client:
        for _ in range(2):
            client.get(SERIES, headers=KEY)
    assert off.calls == 2
