"""The API key never shows: not in reprs, exception text, log records or URLs."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

import flowframe as ff
from tests.conftest import load
from tests.fakeapi import KEY

SCENARIOS: list[Any] = [
    httpx.Response(400, json=load("error_400_invalid_side.json")),
    httpx.Response(401, json=load("error_401.json")),
    httpx.Response(403, json=load("error_403_tier.json")),
    httpx.Response(404, json=load("error_404_symbol.json")),
    httpx.Response(429, json=load("error_429_quota.json"), headers={"Retry-After": "99999"}),
    httpx.Response(503, json=load("error_503_detail.json")),
    httpx.Response(502, content=b"<html>bad gateway</html>"),
    httpx.Response(200, content=b"not json"),
    httpx.ReadTimeout("timed out"),
    httpx.ConnectError("connection refused"),
    # a misbehaving server that echoes the key back in its error body and text
    httpx.Response(401, json={"error": "bad_key", "message": f"key {KEY} is revoked", "key": KEY}),
    httpx.Response(500, content=f"internal error for key={KEY}".encode()),
    httpx.Response(200, content=f"<p>{KEY}</p>".encode()),
]


@pytest.mark.parametrize("response", SCENARIOS)
def test_key_absent_from_every_error(
    make_client: Any, response: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(response, max_retries=1)
    with pytest.raises(ff.FlowframeError) as info:
        client.get_hedge_flow("SPY")
    exc = info.value
    for text in (str(exc), repr(exc), str(getattr(exc, "body", "")), str(exc.args)):
        assert KEY not in text
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert KEY not in repr(record.args)
    assert KEY not in repr(client)


def test_debug_logs_of_a_retried_call_carry_no_key(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(httpx.Response(503), httpx.Response(200, json={"bars": []}))
    client.get_series("SPY")
    messages = [r.getMessage() for r in caplog.records]
    assert any("retrying GET /v1/flow/zero-dte/series/SPY after 503" in m for m in messages)
    assert all(KEY not in m for m in messages)


def test_missing_key_message_has_no_key_material(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ff.MissingAPIKeyError) as info:
        ff.FlashAlpha()
    assert "FLASHALPHA_API_KEY" in str(info.value)


def test_key_only_in_header(make_client: Any) -> None:
    client = make_client(httpx.Response(200, json={"bars": []}))
    client.get_heatmap("SPY")
    request = client.recorder.requests[0]
    assert KEY not in str(request.url) and request.headers["x-api-key"] == KEY


def test_redirects_are_not_followed(make_client: Any) -> None:
    client = make_client(
        httpx.Response(302, headers={"Location": "https://elsewhere.example/steal"})
    )
    with pytest.raises(ff.APIStatusError) as info:
        client.get_series("SPY")
    assert info.value.status_code == 302
    assert len(client.recorder.requests) == 1
