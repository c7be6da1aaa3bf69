"""Soak: a whole simulated session polled at the Basic cadence with a skewed clock and faults.

The poller's run loop drives the async hosted client against the fake API on 127.0.0.1
(:class:`tests.live.sessionapi.SessionAPI`), which answers from a simulated session whose
clock is the *server's*. The poller's own clock runs 3 to 5 minutes behind it (drifting
within that range). Before each cycle a seeded share of faults is queued: 5xx bursts (JSON
and HTML bodies), timeouts, 429s whose ``Retry-After`` is small, large, huge (``1e20``,
``1e12``), an HTTP date in 2099, negative, NaN or text, truncated and cut JSON bodies, and
duplicated ``x-ratelimit-remaining`` headers. Time is injected: the run loop's sleep and the
client's retry sleep move the server's clock, and nothing sleeps for real but the fake's own
bounded delays (a timeout costs the client's 0.25 s). At the end every bar the server has
(the whole session, each bar complete) must be held with its final value.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from typing import Any

import pandas as pd
import pytest
import xarray as xr

import flowframe as ff
from flowframe.frames import heatmap_from_payload, series_from_payload
from flowframe.live.poller import Poller
from tests.fakeapi import KEY, Fault
from tests.fakes import Wall
from tests.live.sessionapi import SYMBOL, SessionAPI, simulated_session

RATE_LIMITED = {"status": "ERROR", "error": "rate_limited", "message": "slow down"}
#: Retry-After values a 429 may carry: honoured by the client (<= 60 s), or handed to the
#: poller, which must keep its wait within 2 to 300 s; the rest are not numbers of seconds.
RETRY_AFTERS = (
    "3",
    "45",
    "120",
    "1e12",
    "1e20",
    "Sat, 19 Sep 2099 00:00:00 GMT",
    "-5",
    "nan",
    "soon",
)
ENDPOINTS = ("series", "heatmap", "snapshot")
SEED = 20260918


def _queue_faults(api: SessionAPI, rng: random.Random, tally: Counter[str]) -> None:
    """Queue this cycle's faults (a seeded 40% of cycles get some)."""
    if rng.random() >= 0.4:
        return
    kind = rng.choice(("5xx", "5xx", "timeout", "429", "429", "body", "duplicate"))
    endpoint = rng.choice(ENDPOINTS)
    if kind == "5xx":
        burst = [
            Fault.http(rng.choice((500, 502, 503, 504)), {"detail": "upstream"})
            if rng.random() < 0.7
            else Fault.not_json(502)
            for _ in range(rng.randint(1, 4))
        ]
        api.script(endpoint, *burst)
        tally["5xx"] += len(burst)
    elif kind == "timeout":
        count = rng.randint(1, 2)
        api.script(endpoint, *[Fault.slow(0.4)] * count)
        tally["timeout"] += count
    elif kind == "429":
        count = rng.randint(1, 3)
        for _ in range(count):
            retry_after = rng.choice(RETRY_AFTERS)
            api.script(endpoint, Fault.http(429, RATE_LIMITED, Retry_After=retry_after))
            tally[f"429 Retry-After {retry_after}"] += 1
    elif kind == "body":
        fault = Fault.truncated() if rng.random() < 0.5 else Fault.partial_json()
        api.script(endpoint, fault)
        tally["bad body"] += 1
    else:
        count = rng.randint(1, 6)
        api.duplicates += count
        tally["duplicated header"] += count


@pytest.mark.slow
def test_a_whole_basic_session_with_a_skewed_clock_and_faults_holds_every_bar() -> None:
    started = time.perf_counter()
    rng = random.Random(SEED)
    wall = Wall()
    sim = simulated_session(wall, "09:20")  # the server's clock, from 09:20 ET
    origin = sim.clock.now()
    phase = rng.uniform(0.0, 2.0 * math.pi)

    def skew(seconds: float) -> float:
        """3 to 5 minutes behind, drifting (never fast enough to run the local clock back)."""
        return 240.0 + 60.0 * math.sin(2.0 * math.pi * seconds / 5_400.0 + phase)

    def local_now() -> pd.Timestamp:
        return origin + pd.Timedelta(seconds=wall.t - skew(wall.t))

    tally: Counter[str] = Counter()
    sleeps: list[float] = []
    backoffs: list[float] = []
    holder: list[Poller] = []

    async def client_sleep(seconds: float) -> None:  # the client's retry waits
        assert math.isfinite(seconds) and 0.0 <= seconds <= 60.0
        wall.t += seconds
        await asyncio.sleep(0)

    async def loop_sleep(seconds: float) -> None:  # the run loop's waits
        poller = holder[0]
        sleeps.append(seconds)
        backoffs.append(poller.status.backoff)
        assert math.isfinite(seconds) and seconds >= 0.0
        wall.t += seconds
        _queue_faults(api, rng, tally)
        if len(sleeps) >= 400:  # a bound: a Basic session is about 80 cycles
            poller.stop()
        await asyncio.sleep(0)

    with SessionAPI(limit=250, session=sim) as api:

        async def main() -> Poller:
            async with ff.AsyncFlashAlpha(
                KEY, base_url=api.url, sleep=client_sleep, timeout=0.25, seed=SEED
            ) as client:
                poller = Poller(client, SYMBOL, now=local_now, sleep=loop_sleep)
                holder.append(poller)
                task = poller.start()
                await asyncio.wait({task}, timeout=60)
                assert task.done() and not task.cancelled()
                assert task.exception() is None
                return poller

        poller = asyncio.run(main())
        left = sum(len(q) for q in api.state.faults.values())
        served = api.count()
    seconds = time.perf_counter() - started

    # the loop ran the whole session, at the Basic cadence, and ended by itself
    assert poller.status.extra["stopped"] == "session over"
    assert poller.status.extra["plan"] == "basic"
    assert local_now() >= pd.Timestamp("2026-09-18 19:56Z")  # past the server's close
    assert all(0.0 <= b <= 300.0 for b in backoffs)
    cadence = [s for s, b in zip(sleeps, backoffs, strict=True) if b == 0.0 and 60 < s < 1_000]
    assert len(cadence) > 40 and 250.0 <= sorted(cadence)[len(cadence) // 2] <= 400.0
    failed = Counter(kind for _, kind, _ in poller.errors)
    assert sum(failed.values()) >= 10  # the faults did reach the poller

    # every bar the server has, each complete, held with its final value
    source = poller.status.source
    fresh = series_from_payload(sim.get_series(SYMBOL, bar="1m", minutes=390), source=source)
    held = poller.data.series
    assert held is not None and len(fresh) == 390
    missing = fresh.index.difference(held.index)
    assert len(missing) == 0, f"{len(missing)} of {len(fresh)} bars missing"
    pd.testing.assert_frame_equal(held, fresh)
    grid = heatmap_from_payload(sim.get_heatmap(SYMBOL, minutes=390), source=source)
    heatmap = poller.data.heatmap
    assert heatmap is not None and heatmap.sizes["bar"] == 390
    xr.testing.assert_equal(heatmap, grid)

    report: dict[str, Any] = {
        "bars held / expected": f"{len(held)} / {len(fresh)}",
        "heatmap bars held / expected": f"{heatmap.sizes['bar']} / {grid.sizes['bar']}",
        "cycles": poller.status.ticks,
        "requests served": served,
        "faults injected": sum(tally.values()) - left - api.duplicates,
        "faults by kind": dict(tally),
        "duplicated headers sent": api.duplicated,
        "failed cycles by error": dict(failed),
        "quota remaining": poller.status.quota_remaining,
        "wall seconds": round(seconds, 2),
    }
    print("\nsoak:", report)
    assert seconds < 30.0
