"""The clients against a real HTTP server on 127.0.0.1 (tests/fakeapi.py), with faults."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import flowframe as ff
from tests.fakeapi import KEY, FakeAPI, Fault

_open: list[ff.FlashAlpha] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Any:
    yield
    while _open:
        _open.pop().close()


def client_for(api: FakeAPI, sleeps: list[float] | None = None, **kwargs: Any) -> ff.FlashAlpha:
    record = sleeps if sleeps is not None else []
    kwargs.setdefault("api_key", KEY)
    client = ff.FlashAlpha(base_url=api.url, sleep=record.append, seed=1, **kwargs)
    _open.append(client)
    return client


def test_all_six_endpoints_over_http(fake_api: FakeAPI) -> None:
    with client_for(fake_api) as client:
        assert client.get_snapshot("SPY")["symbol"] == "SPY"
        assert client.get_series("SPY", bar="1m")["bar_size"] == "1m"
        flow = client.get_hedge_flow("QQQ", side="calls", bar="5m", minutes=180)
        assert flow["bars"][0]["cumulative"] == 5120000
        assert client.get_heatmap("QQQ", metric="gex", mode="raw")["strikes_grid"][0] == 478
        assert client.get_strike_flow("QQQ")["bars"][0]["contracts"] == [840, 310, 95]
        assert [e["rank"] for e in client.get_leaderboard(n=3)["entries"]] == [2, 1, 3]
    assert fake_api.count() == 6
    assert all(r.headers.get("X-Api-Key") == KEY for r in fake_api.requests)
    assert all(
        "apikey" not in r.raw_path.lower() and not r.query.get("apiKey") for r in fake_api.requests
    )


def test_quota_headers_over_http(fake_api: FakeAPI) -> None:
    client = client_for(fake_api)
    client.get_series("SPY")
    client.get_series("SPY")
    assert client.quota is not None
    assert (client.quota.limit, client.quota.remaining, client.quota.used) == (2500, 2498, 2)


def test_symbol_escaping_over_http(fake_api: FakeAPI) -> None:
    client_for(fake_api).get_hedge_flow("es=f")
    assert fake_api.requests[-1].raw_path == "/v1/flow/zero-dte/hedge-flow/ES%3DF"


def test_bad_parameter_sends_zero_requests(fake_api: FakeAPI) -> None:
    with pytest.raises(ValueError, match="side="):
        client_for(fake_api).get_hedge_flow("SPY", side="call")
    assert fake_api.count() == 0


def test_wrong_key_is_a_401(fake_api: FakeAPI) -> None:
    client = client_for(fake_api, api_key="not-the-key")
    with pytest.raises(ff.AuthenticationError, match=r"^401 Unauthorized: Invalid API key\.$"):
        client.get_series("SPY")
    assert fake_api.count() == 1


def test_429_then_200(fake_api: FakeAPI) -> None:
    sleeps: list[float] = []
    fake_api.script(
        "series",
        Fault.http(429, {"error": "rate_limited", "message": "slow down"}, Retry_After="1"),
    )
    body = client_for(fake_api, sleeps).get_series("SPY")
    assert body["symbol"] == "SPY"
    assert fake_api.count("series") == 2 and sleeps == [1.0]


def test_429_beyond_cap_over_http(fake_api: FakeAPI) -> None:
    fake_api.script(
        "series",
        Fault.http(
            429,
            {"error": "Quota exceeded", "message": "spent", "reset_at": "2026-09-19T00:00:00Z"},
            Retry_After="Sat, 19 Sep 2099 00:00:00 GMT",
        ),
    )
    with pytest.raises(ff.RateLimitError) as info:
        client_for(fake_api).get_series("SPY")
    assert info.value.retry_after == 86400.0  # a date in 2099 reads as a day (issue 13)
    assert fake_api.count("series") == 1


def test_503_twice_then_200(fake_api: FakeAPI) -> None:
    sleeps: list[float] = []
    fake_api.script("hedge-flow", Fault.http(503), Fault.http(503, {"detail": "feed lag"}))
    body = client_for(fake_api, sleeps).get_hedge_flow("SPY")
    assert body["side"] == "all" and fake_api.count("hedge-flow") == 3 and len(sleeps) == 2


def test_slower_than_the_timeout(fake_api: FakeAPI) -> None:
    fake_api.script("series", Fault.slow(0.6), Fault.slow(0.6))
    client = client_for(fake_api, timeout=0.15, max_retries=1)
    with pytest.raises(ff.APITimeoutError, match="no response from /v1/flow/zero-dte/series/SPY"):
        client.get_series("SPY")
    assert fake_api.count("series") == 2


def test_slow_once_then_fine(fake_api: FakeAPI) -> None:
    fake_api.script("series", Fault.slow(0.6))
    body = client_for(fake_api, timeout=0.15, max_retries=1).get_series("SPY")
    assert body["symbol"] == "SPY" and fake_api.count("series") == 2


def test_connection_cut_mid_body_is_retried(fake_api: FakeAPI) -> None:
    fake_api.script("series", Fault.truncated())
    body = client_for(fake_api).get_series("SPY")
    assert body["symbol"] == "SPY" and fake_api.count("series") == 2


def test_connection_cut_every_time(fake_api: FakeAPI) -> None:
    fake_api.script("series", *[Fault.truncated()] * 3)
    with pytest.raises(ff.APIConnectionError, match="series/SPY"):
        client_for(fake_api).get_series("SPY")
    assert fake_api.count("series") == 3


def test_truncated_json_is_a_schema_error_not_retried(fake_api: FakeAPI) -> None:
    fake_api.script("series", Fault.partial_json())
    with pytest.raises(ff.SchemaError, match=r"not valid JSON .*starts '\{\"symbol\""):
        client_for(fake_api).get_series("SPY")
    assert fake_api.count("series") == 1


def test_body_that_is_not_json(fake_api: FakeAPI) -> None:
    fake_api.script("series", Fault.not_json(200))
    with pytest.raises(ff.SchemaError, match=r"not valid JSON.*<html>"):
        client_for(fake_api).get_series("SPY")


def test_gateway_page_is_retried_then_reported(fake_api: FakeAPI) -> None:
    fake_api.script("series", *[Fault.not_json(502)] * 3)
    with pytest.raises(
        ff.ServerError, match=r"^502 Bad Gateway: non-JSON body: <html><body><h1>Bad Gateway"
    ):
        client_for(fake_api).get_series("SPY")
    assert fake_api.count("series") == 3


def test_unknown_symbol_404(fake_api: FakeAPI) -> None:
    with pytest.raises(ff.NotFoundError, match="symbol_not_found"):
        client_for(fake_api).get_snapshot("ZZZZ")
    assert fake_api.count() == 1


def test_degraded_snapshot_over_http(fake_api: FakeAPI) -> None:
    assert client_for(fake_api).get_snapshot("CLOSED")["session_closed"] is True


@pytest.mark.asyncio
async def test_async_client_over_http(fake_api: FakeAPI) -> None:
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    fake_api.script("heatmap", Fault.http(500), Fault.truncated())
    async with ff.AsyncFlashAlpha(KEY, base_url=fake_api.url, sleep=sleep) as client:
        body = await client.get_heatmap("SPY", metric="oi")
    assert body["metric"] == "oi" and fake_api.count("heatmap") == 3 and len(sleeps) == 2


def test_no_key_in_logs_or_errors_over_http(
    fake_api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_api.script("series", Fault.http(503), Fault.truncated(), Fault.slow(0.5))
    client = client_for(fake_api, timeout=0.1, max_retries=2)
    with pytest.raises(ff.APIError) as info:
        client.get_series("SPY")
    assert caplog.records, "expected httpx/flowframe debug logs"
    text = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert KEY not in text
    assert KEY not in str(info.value) and KEY not in repr(info.value)
