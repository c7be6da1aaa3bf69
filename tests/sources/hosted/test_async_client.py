"""AsyncFlashAlpha behaves like FlashAlpha: same routes, errors, retries and quota."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import flowframe as ff
from tests.conftest import Recorder, load
from tests.fakeapi import KEY


def make(*responses: Any, **kwargs: Any) -> tuple[ff.AsyncFlashAlpha, Recorder, list[float]]:
    recorder = Recorder(*responses)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = ff.AsyncFlashAlpha(
        KEY, transport=httpx.MockTransport(recorder), sleep=sleep, seed=0, **kwargs
    )
    return client, recorder, sleeps


@pytest.mark.asyncio
async def test_async_route_and_payload() -> None:
    body = load("hedge_flow_calls_5m.json")
    client, rec, _ = make(
        httpx.Response(
            200,
            json=body,
            headers={
                "x-ratelimit-limit": "2500",
                "x-ratelimit-remaining": "9",
                "x-ratelimit-reset": "0",
            },
        )
    )
    async with client:
        assert await client.get_hedge_flow("qqq", side="calls", bar="5m") == body
    assert rec.requests[0].url.path == "/v1/flow/zero-dte/hedge-flow/QQQ"
    assert rec.requests[0].headers["X-Api-Key"] == KEY
    assert client.quota is not None and client.quota.remaining == 9
    assert client._client.is_closed


@pytest.mark.asyncio
async def test_async_503_twice_then_200() -> None:
    client, rec, sleeps = make(
        httpx.Response(503), httpx.Response(503), httpx.Response(200, json={"bars": []})
    )
    assert await client.get_series("SPY") == {"bars": []}
    assert len(rec.requests) == 3
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0


@pytest.mark.asyncio
async def test_async_429_beyond_cap() -> None:
    client, rec, sleeps = make(
        httpx.Response(429, json=load("error_429_quota.json"), headers={"Retry-After": "86400"})
    )
    with pytest.raises(ff.RateLimitError) as info:
        await client.get_leaderboard()
    assert info.value.retry_after == 86400.0 and len(rec.requests) == 1 and sleeps == []


@pytest.mark.asyncio
async def test_async_no_retry_on_400() -> None:
    client, rec, _ = make(httpx.Response(400, json=load("error_400_invalid_side.json")))
    with pytest.raises(ff.BadRequestError, match="invalid_side"):
        await client.get_hedge_flow("SPY")
    assert len(rec.requests) == 1


@pytest.mark.asyncio
async def test_async_timeouts() -> None:
    client, rec, sleeps = make(httpx.ConnectTimeout("slow"), max_retries=1)
    with pytest.raises(ff.APITimeoutError):
        await client.get_strike_flow("SPY")
    assert len(rec.requests) == 2 and len(sleeps) == 1


@pytest.mark.asyncio
async def test_async_bad_parameter_sends_nothing() -> None:
    client, rec, _ = make()
    with pytest.raises(ValueError, match="metric="):
        client.get_heatmap("SPY", metric="nope")
    assert rec.requests == []


def test_async_no_key() -> None:
    with pytest.raises(ff.MissingAPIKeyError):
        ff.AsyncFlashAlpha()


def test_async_repr_hides_key() -> None:
    assert KEY not in repr(ff.AsyncFlashAlpha(KEY))
