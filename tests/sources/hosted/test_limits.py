"""Issue 13, the client's limits: Retry-After, a total deadline, a size cap, 200 error bodies.

The network cases run against loopback servers (tests/fakeapi.py and
tests/sources/hosted/loopback.py), with bounded drips and bodies.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pandas as pd
import pytest

import flowframe as ff
from flowframe.sources.hosted._base import parse_retry_after
from tests.conftest import load
from tests.fakeapi import KEY, FakeAPI, Fault
from tests.sources.hosted.loopback import Piece, RawServer, drip, fixed, response

DAY = 86400.0  # the longest Retry-After the client reads (MAX_RETRY_AFTER)
BODY = orjson.dumps({"symbol": "SPY", "bar_size": "30s", "bars": [], "pad": "x" * 30})


def client_for(url: str, **kwargs: Any) -> ff.FlashAlpha:
    kwargs.setdefault("sleep", lambda s: None)
    return ff.FlashAlpha(KEY, base_url=url, seed=1, **kwargs)


# --------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    "header, seconds",
    [
        ("1e20", DAY),
        ("1e12", DAY),
        ("inf", DAY),
        ("1e400", DAY),
        ("Fri, 19 Sep 2099 00:00:00 GMT", DAY),
        ("3600", 3600.0),
        ("-inf", 0.0),
    ],
)
def test_retry_after_is_finite_and_at_most_a_day(header: str, seconds: float) -> None:
    now = dt.datetime(2026, 9, 18, 12, 0, tzinfo=dt.UTC)
    value = parse_retry_after(header, now=now)
    assert value == seconds
    pd.Timestamp(now) + pd.Timedelta(seconds=value)  # no OutOfBoundsTimedelta


def test_a_huge_retry_after_raises_at_once_with_a_finite_wait(
    make_client: Any, sleeps: list[float]
) -> None:
    client = make_client(
        httpx.Response(429, json=load("error_429_quota.json"), headers={"Retry-After": "1e20"}),
        max_retry_wait=300,
    )
    with pytest.raises(ff.RateLimitError) as info:
        client.get_series("SPY")
    assert info.value.retry_after == 86400.0 and sleeps == []
    assert "retry after 86400 s" in str(info.value)


@pytest.mark.parametrize("wait", [300.5, 1e12, float("inf"), float("nan")])
def test_max_retry_wait_is_held_to_300_s(wait: float) -> None:
    with pytest.raises(ValueError, match=r"max_retry_wait=.*from 0 to 300"):
        ff.FlashAlpha(KEY, max_retry_wait=wait)


def test_every_client_wait_is_at_most_300_s(make_client: Any, sleeps: list[float]) -> None:
    client = make_client(
        httpx.Response(503, headers={"Retry-After": "299"}),
        httpx.Response(503, headers={"Retry-After": "1e9"}),
        max_retry_wait=300,
        max_retries=5,
    )
    with pytest.raises(ff.ServerError):
        client.get_series("SPY")
    assert sleeps == [299.0] and max(sleeps) <= 300


# --------------------------------------------------------------------- total deadline


def drip_body(head: bytes) -> list[Piece]:
    return [response(BODY, length=len(BODY))[: -len(BODY)], *drip(BODY, 0.15)]


def drip_head(head: bytes) -> list[Piece]:
    return drip(response(BODY), 0.15)


@pytest.mark.parametrize("answer", [drip_body, drip_head], ids=["body", "headers"])
def test_a_dripping_server_hits_the_total_deadline(answer: Any) -> None:
    with RawServer(answer) as server, client_for(server.url, timeout=0.5, max_retries=0) as c:
        start = time.monotonic()
        with pytest.raises(ff.APITimeoutError, match=r"within total_timeout=1\.5 s") as info:
            c.get_series("SPY")
        took = time.monotonic() - start
    assert c.total_timeout == 1.5  # 3 x timeout, by default
    assert 1.4 <= took < 3.5, took  # each byte came well within the 0.5 s read timeout
    assert info.value.__cause__ is None and info.value.__context__ is None


@pytest.mark.parametrize("answer", [drip_body, drip_head], ids=["body", "headers"])
@pytest.mark.asyncio
async def test_a_dripping_server_hits_the_total_deadline_async(answer: Any) -> None:
    with RawServer(answer) as server:
        async with ff.AsyncFlashAlpha(
            KEY, base_url=server.url, timeout=0.5, total_timeout=1.0, max_retries=0
        ) as client:
            start = time.monotonic()
            with pytest.raises(ff.APITimeoutError, match=r"within total_timeout=1 s"):
                await client.get_series("SPY")
            took = time.monotonic() - start
    assert 0.9 <= took < 3.0, took


def test_the_total_deadline_is_retried_like_a_timeout() -> None:
    sleeps: list[float] = []
    with (
        RawServer(drip_body) as server,
        client_for(server.url, timeout=0.5, total_timeout=0.6, sleep=sleeps.append) as client,
        pytest.raises(ff.APITimeoutError),
    ):
        client.get_series("SPY")
    assert len(server.requests) == 3 and len(sleeps) == 2


def test_a_slow_but_steady_answer_within_the_deadline_is_fine() -> None:
    with (
        RawServer(lambda head: [response(BODY)[:40], (b"", 0.3), response(BODY)[40:]]) as server,
        client_for(server.url, timeout=0.5) as client,
    ):
        assert client.get_series("SPY")["symbol"] == "SPY"


@pytest.mark.parametrize("value", [0, -1, float("inf"), float("nan"), "5"])
def test_bad_total_timeout(value: Any) -> None:
    with pytest.raises(ValueError, match="total_timeout="):
        ff.FlashAlpha(KEY, total_timeout=value)


# --------------------------------------------------------------------- size cap


def zeros(n: int) -> Iterator[bytes]:
    block = b"\0" * 2**20
    for _ in range(n // len(block)):
        yield block


def gzip_bomb(decoded: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join([*(packer.compress(b) for b in zeros(decoded)), packer.flush()])


@functools.cache
def bomb_bytes() -> bytes:
    """About 100 KB that decode to 100 MiB (built once, on first use)."""
    return gzip_bomb(100 * 2**20)


def test_the_bomb_is_what_the_issue_says() -> None:
    assert len(bomb_bytes()) < 200_000


def big_body(head: bytes) -> Iterator[Piece]:
    """50 MB of body, sent as fast as the client reads it (or until it hangs up)."""
    yield response(b"", length=50 * 2**20)
    yield from zeros(50 * 2**20)


def chunked_body(head: bytes) -> Iterator[Piece]:
    """50 MB without a Content-Length: only counting can stop it."""
    yield b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    yield from zeros(50 * 2**20)


def bomb(head: bytes) -> list[Piece]:
    return [response(bomb_bytes(), headers=[(b"Content-Encoding", b"gzip")])]


@pytest.mark.parametrize("answer", [big_body, chunked_body, bomb], ids=["50MB", "unsized", "gzip"])
def test_a_body_past_the_cap_is_refused(answer: Any) -> None:
    with (
        RawServer(answer) as server,
        client_for(server.url, timeout=5.0) as client,
        pytest.raises(ff.APIError) as info,
    ):
        client.get_raw("series", "SPY")
    assert isinstance(info.value, ff.ResponseTooLargeError)  # its own branch of the tree
    assert info.value.limit == client.max_response_bytes == 32 * 2**20
    assert "max_response_bytes=33,554,432 bytes (32 MiB)" in str(info.value)
    assert "ff.FlashAlpha(max_response_bytes=...)" in str(info.value)
    assert len(server.requests) == 1  # not retried


@pytest.mark.asyncio
async def test_a_gzip_bomb_is_refused_async() -> None:
    with RawServer(bomb) as server:
        async with ff.AsyncFlashAlpha(KEY, base_url=server.url, max_response_bytes=10**6) as c:
            with pytest.raises(ff.ResponseTooLargeError, match="max_response_bytes=1,000,000"):
                await c.get_series("SPY")
    assert len(server.requests) == 1


def test_the_cap_can_be_raised_and_gzip_still_reads() -> None:
    packed = gzip.compress(BODY)
    answer = response(packed, headers=[(b"Content-Encoding", b"gzip")])
    with RawServer(lambda head: [answer]) as server:
        with client_for(server.url, max_response_bytes=len(BODY)) as client:
            assert client.get_raw("series", "SPY") == BODY
            assert server.requests[0].lower().count(b"accept-encoding: gzip, deflate") == 1
        with (
            client_for(server.url, max_response_bytes=len(BODY) - 1) as client,
            pytest.raises(ff.ResponseTooLargeError),
        ):
            client.get_series("SPY")


def test_deflate_with_and_without_its_zlib_header() -> None:
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    bodies = [zlib.compress(BODY), raw.compress(BODY) + raw.flush()]
    for packed in bodies:
        answer = fixed(response(packed, headers=[(b"Content-Encoding", b"deflate")]))
        with RawServer(answer) as server, client_for(server.url) as client:
            assert client.get_series("SPY")["symbol"] == "SPY"


def test_a_gzip_body_that_does_not_decode_is_a_connection_error() -> None:
    answer = fixed(response(b"\x1f\x8bnot gzip", headers=[(b"Content-Encoding", b"gzip")]))
    with (
        RawServer(answer) as server,
        client_for(server.url, max_retries=1) as client,
        pytest.raises(ff.APIConnectionError, match="does not decode"),
    ):
        client.get_series("SPY")
    assert len(server.requests) == 2  # retried, as a body cut short is


def test_an_encoding_not_asked_for_is_a_connection_error() -> None:
    answer = response(b"xx", headers=[(b"Content-Encoding", b"br")])
    with (
        RawServer(lambda head: [answer]) as server,
        client_for(server.url, max_retries=0) as c,
        pytest.raises(ff.APIConnectionError, match="encoded 'br'"),
    ):
        c.get_series("SPY")


def test_the_cap_holds_for_a_transport_that_reads_the_body_itself(make_client: Any) -> None:
    client = make_client(httpx.Response(200, content=b"x" * 2000), max_response_bytes=1000)
    with pytest.raises(ff.ResponseTooLargeError):
        client.get_series("SPY")


@pytest.mark.parametrize("value", [0, -5, 1.5, True])
def test_bad_max_response_bytes(value: Any) -> None:
    with pytest.raises(ValueError, match="max_response_bytes="):
        ff.FlashAlpha(KEY, max_response_bytes=value)


# --------------------------------------------------------------------- a 200 error body

TIER = load("error_403_tier.json")
QUOTA = load("error_429_quota.json")


@pytest.mark.parametrize(
    "body, cls, status",
    [
        pytest.param(TIER, ff.TierRestrictedError, 403, id="tier"),
        pytest.param(QUOTA, ff.RateLimitError, 429, id="quota"),
        pytest.param(
            {"status": "ERROR", "error": "symbol_not_found", "message": "No data for ZZZZ."},
            ff.NotFoundError,
            404,
            id="symbol",
        ),
        pytest.param(load("error_401.json"), ff.AuthenticationError, 401, id="problem-json"),
        pytest.param(
            {"status": "ERROR", "error": "something_new", "message": "?"},
            ff.APIStatusError,
            200,
            id="unknown",
        ),
    ],
)
def test_a_200_in_the_error_shape_is_an_error(
    make_client: Any, body: dict[str, Any], cls: type, status: int
) -> None:
    client = make_client(httpx.Response(200, json=body), max_retries=0)
    for call in (lambda: client.get_snapshot("SPY"), lambda: client.get_raw("heatmap", "SPY")):
        with pytest.raises(ff.APIStatusError) as info:
            call()
        assert type(info.value) is cls and info.value.status_code == status
        assert "an error body sent with HTTP 200" in str(info.value)


def test_the_200_tier_body_is_the_same_error_as_the_403(make_client: Any) -> None:
    errors = []
    for code in (403, 200):
        client = make_client(httpx.Response(code, json=TIER))
        with pytest.raises(ff.TierRestrictedError) as info:
            client.get_heatmap("SPY")
        errors.append(info.value)
    a, b = errors
    assert (a.code, a.current_plan, a.required_plan) == (b.code, b.current_plan, b.required_plan)
    assert str(b) == str(a).replace("or higher.", "or higher. (an error body sent with HTTP 200)")


def test_snapshot_loader_raises_on_a_200_error_body(fake_api: FakeAPI) -> None:
    fake_api.script("snapshot", Fault.http(200, TIER))
    with client_for(fake_api.url) as client, pytest.raises(ff.TierRestrictedError) as info:
        ff.snapshot("SPY", source=client)
    assert info.value.required_plan == "Alpha"
    assert fake_api.count("snapshot") == 1


def test_heatmap_loader_raises_on_a_200_error_body(fake_api: FakeAPI) -> None:
    fake_api.script("heatmap", Fault.http(200, TIER))
    with client_for(fake_api.url) as client, pytest.raises(ff.TierRestrictedError):
        ff.heatmap("SPY", source=client)


def test_a_200_quota_body_is_retried_like_a_429(make_client: Any, sleeps: list[float]) -> None:
    client = make_client(
        httpx.Response(200, json=QUOTA, headers={"Retry-After": "2"}),
        httpx.Response(200, json={"bars": []}),
    )
    assert client.get_series("SPY") == {"bars": []}
    assert sleeps == [2.0]


@pytest.mark.parametrize(
    "body",
    [
        load("snapshot_session_closed.json"),
        load("snapshot_no_zero_dte.json"),
        {"bars": [], "status": "ok"},
        {"bars": [], "regime": {"status": "ERROR"}},
    ],
)
def test_real_bodies_are_not_errors(make_client: Any, body: dict[str, Any]) -> None:
    client = make_client(httpx.Response(200, json=body))
    assert client.get_snapshot("SPY") == body
    assert client.get_raw("snapshot", "SPY") == httpx.Response(200, json=body).content


QUOTA_HEADERS = [
    (b"X-RateLimit-Limit", b"10000"),
    (b"X-RateLimit-Remaining", b"9876"),
    (b"X-RateLimit-Reset", b"2026-09-19T00:00:00Z"),
]


def quota_bomb(head: bytes) -> list[Piece]:
    """A gzip bomb whose headers state the quota: the request was spent all the same."""
    return [response(bomb_bytes(), headers=[(b"Content-Encoding", b"gzip"), *QUOTA_HEADERS])]


def test_the_quota_counts_an_answer_whose_body_is_refused() -> None:
    with RawServer(quota_bomb) as server, client_for(server.url, max_response_bytes=10**6) as c:
        with pytest.raises(ff.ResponseTooLargeError):
            c.get_series("SPY")
        assert c.quota is not None and (c.quota.limit, c.quota.remaining) == (10000, 9876)


@pytest.mark.asyncio
async def test_the_quota_counts_an_answer_whose_body_is_refused_async() -> None:
    with RawServer(quota_bomb) as server:
        async with ff.AsyncFlashAlpha(KEY, base_url=server.url, max_response_bytes=10**6) as c:
            with pytest.raises(ff.ResponseTooLargeError):
                await c.get_series("SPY")
            assert c.quota is not None and c.quota.remaining == 9876
