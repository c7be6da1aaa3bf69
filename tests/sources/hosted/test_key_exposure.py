"""Issue 13, the key: a server that echoes it, the environment's proxies, logs, tracebacks.

Each test talks to a loopback server (tests/fakeapi.py, tests/sources/hosted/loopback.py)
that echoes the key where a misbehaving server or middlebox could: a JSON field (plain,
JSON-escaped, percent-encoded), a header, the status line, a malformed header line.
"""

from __future__ import annotations

import logging
import pickle
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest

import flowframe as ff
from flowframe.live.poller import Poller
from tests.fakeapi import FakeAPI, Fault
from tests.sources.hosted.loopback import RawServer, response

SECRET = "ffk_SECRET123456"
NOW = pd.Timestamp("2026-09-18 17:12Z")  # FakeAPI's session

# the key as a server may write it back inside a JSON string
ECHOES = {
    "plain": SECRET.encode(),
    "json-escaped": b"ffk\\u005fSECRET123456",
    "percent-encoded": b"ffk%5FSECRET%31%323456",
}


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    with FakeAPI(key=SECRET) as server:
        yield server


def client_for(url: str, **kwargs: Any) -> ff.FlashAlpha:
    kwargs.setdefault("sleep", lambda s: None)
    return ff.FlashAlpha(SECRET, base_url=url, seed=1, **kwargs)


def texts(exc: BaseException) -> list[str]:
    """Everything an exception shows: str, repr, args, the formatted chain, with locals."""
    shown = [str(exc), repr(exc), repr(exc.args), repr(getattr(exc, "body", None))]
    shown.append("".join(traceback.format_exception(exc)))
    # every frame's locals, but this file's (which hold the server's scripted echo)
    te: traceback.TracebackException | None
    te = traceback.TracebackException.from_exception(exc, capture_locals=True)
    while te is not None:
        frames = [f for f in te.stack if f.filename != __file__]
        shown.append("".join(traceback.StackSummary.from_list(frames).format()))
        shown.append("".join(te.format_exception_only()))
        te = te.__cause__ or (None if te.__suppress_context__ else te.__context__)
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            shown += [str(linked), repr(linked)]
    return shown


def assert_no_key(exc: BaseException) -> None:
    for text in texts(exc):
        assert SECRET not in text


def series_echo(echo: bytes) -> bytes:
    return (
        b'{"symbol": "SPY", "expiration": "2026-09-18", "as_of": "2026-09-18T17:12:00Z", '
        b'"bar_size": "30s", "bars": [{"t": "' + echo + b'", "spot": 1.0}]}'
    )


# --------------------------------------------------------------------- a 200 that echoes it


@pytest.mark.parametrize("form", list(ECHOES))
def test_key_echoed_in_a_json_field_never_leaves_the_client(api: FakeAPI, form: str) -> None:
    body = series_echo(ECHOES[form])
    api.script("series", *[Fault("raw", 200, body)] * 4)
    with client_for(api.url) as client:
        assert SECRET.encode() not in client.get_raw("series", "SPY")
        assert client.get_series("SPY")["bars"][0]["t"] == "***"
        with pytest.raises(ff.SchemaError, match=r"bars\[0\]\.t .*'\*\*\*'") as info:
            ff.series("SPY", source=client)  # the loaders read the bytes route
        assert_no_key(info.value)
    assert all(r.headers["X-Api-Key"] == SECRET for r in api.requests)


def test_key_echoed_in_a_field_stays_out_of_poller_errors(api: FakeAPI) -> None:
    api.script("series", Fault("raw", 200, series_echo(SECRET.encode())))
    with client_for(api.url, max_retries=0) as client:
        poller = Poller(client, "SPY", now=lambda: NOW)
        assert poller.cycle() is False
        assert poller.errors and poller.errors[-1][1] == "SchemaError"
        assert SECRET not in repr(poller.errors)
        assert poller.status.last_error is not None and SECRET not in poller.status.last_error
        assert SECRET not in repr(poller.status)


def test_key_echoed_in_an_error_body_is_scrubbed_in_every_form(api: FakeAPI) -> None:
    body = b'{"error": "bad_key", "message": "key ffk\\u005fSECRET123456 is revoked"}'
    api.script("series", Fault("raw", 400, body))
    with client_for(api.url) as client, pytest.raises(ff.BadRequestError) as info:
        client.get_series("SPY")
    assert "key *** is revoked" in str(info.value)
    assert_no_key(info.value)


# --------------------------------------------------------------------- proxies


@pytest.fixture
def proxy() -> Iterator[RawServer]:
    """A 'proxy' that records what it is sent and refuses everything."""
    refuse = response(b"", status=b"502 Bad Gateway")
    with RawServer(lambda head: [refuse]) as server:
        yield server


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
def test_the_environment_proxy_never_sees_the_key(
    api: FakeAPI, proxy: RawServer, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with client_for(api.url, max_retries=0) as client:
        assert client.get_series("SPY")["symbol"] == "SPY"
    assert proxy.requests == [] and api.count("series") == 1
    assert api.requests[0].headers["X-Api-Key"] == SECRET


def test_an_explicit_proxy_only_tunnels_https(proxy: RawServer) -> None:
    client = ff.FlashAlpha(SECRET, proxy=proxy.url, max_retries=0, timeout=2.0)
    with client, pytest.raises(ff.APIConnectionError) as info:
        client.get_series("SPY")  # the proxy refuses the CONNECT: nothing reaches the API
    (head,) = proxy.requests
    assert head.startswith(b"CONNECT lab.flashalpha.com:443 ")
    assert SECRET.encode() not in head and b"x-api-key" not in head.lower()
    assert_no_key(info.value)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"base_url": "http://127.0.0.1:9", "proxy": "http://127.0.0.1:3128"}, "clear text"),
        ({"proxy": "ftp://127.0.0.1:21"}, "proxy scheme 'ftp'"),
        (
            {
                "proxy": "http://127.0.0.1:3128",
                "transport": httpx.MockTransport(lambda r: httpx.Response(200)),
            },
            "do not mix",
        ),
    ],
)
def test_proxy_settings_that_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ff.FlashAlpha(SECRET, **kwargs)


# --------------------------------------------------------------------- malformed lines


def status_line_echo(head: bytes) -> list[bytes]:
    return [b"HTTP/1.1 2x0 " + SECRET.encode() + b"\r\nContent-Length: 0\r\n\r\n"]


def header_line_echo(head: bytes) -> list[bytes]:
    return [b"HTTP/1.1 200 OK\r\nX-Echo " + SECRET.encode() + b"\r\nContent-Length: 0\r\n\r\n"]


@pytest.mark.parametrize("answer", [status_line_echo, header_line_echo], ids=["status", "header"])
def test_malformed_line_echoing_the_key(answer: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with RawServer(answer) as server, client_for(server.url, max_retries=1) as client:
        try:
            client.get_series("SPY")
        except ff.APIConnectionError as exc:
            formatted = traceback.format_exc()
            error: BaseException = exc
        else:
            pytest.fail("a malformed answer was accepted")
    assert "RemoteProtocolError" in str(error) and "***" in str(error)
    assert SECRET not in formatted
    assert error.__cause__ is None and error.__context__ is None
    assert_no_key(error)
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    assert len(server.requests) == 2


@pytest.mark.asyncio
async def test_malformed_status_line_async() -> None:
    with RawServer(status_line_echo) as server:
        async with ff.AsyncFlashAlpha(SECRET, base_url=server.url, max_retries=0) as client:
            with pytest.raises(ff.APIConnectionError) as info:
                await client.get_series("SPY")
    assert_no_key(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None


# --------------------------------------------------------------------- logs


def test_debug_logs_hold_no_echoed_header(api: FakeAPI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.script(
        "series", Fault.http(200, {"bars": []}, X_Echo=SECRET, X_Echo_Escaped="ffk%5F" + SECRET[4:])
    )
    with client_for(api.url) as client:
        client.get_series("SPY")
    headers_logged = [
        r for r in caplog.records if "receive_response_headers.complete" in r.getMessage()
    ]
    assert headers_logged and "X-Echo" in headers_logged[0].getMessage()
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert "ffk%5F" not in record.getMessage()


def test_reason_phrase_echo_stays_out_of_logs_and_locals(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    answer = response(b"nope", status=b"500 " + SECRET.encode())
    with (
        RawServer(lambda head: [answer]) as server,
        client_for(server.url, max_retries=0) as c,
        pytest.raises(ff.ServerError) as info,
    ):
        c.get_series("SPY")
    assert any("HTTP Request: GET" in r.getMessage() for r in caplog.records)
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    assert_no_key(info.value)


# --------------------------------------------------------------------- tracebacks with locals


def test_locals_of_a_request_that_fails_inside_httpx_hold_no_key() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug in a transport")

    client = ff.FlashAlpha(SECRET, transport=httpx.MockTransport(broken))
    with pytest.raises(RuntimeError) as info:
        client.get_series("SPY")
    te = traceback.TracebackException.from_exception(info.value, capture_locals=True)
    text = "".join(te.format())
    assert "headers" in text or "request" in text  # httpx's frames were captured
    assert SECRET not in text


def test_locals_of_a_refused_connection_hold_no_key() -> None:
    with RawServer(lambda head: []) as server:
        url = server.url  # the port is closed once the server stops
    with client_for(url, max_retries=0) as client, pytest.raises(ff.APIConnectionError) as info:
        client.get_series("SPY")
    assert_no_key(info.value)
    assert "ConnectError" in str(info.value)


def test_the_key_is_held_masked() -> None:
    from flowframe.sources.hosted._guard import Scrubber, Secret

    client = ff.FlashAlpha(SECRET)
    shown = [repr(client), str(client), repr(vars(client) if hasattr(client, "__dict__") else "")]
    assert all(SECRET not in text for text in shown)
    secret = client._secret
    assert repr(secret) == "'***'" and str(secret) == "***" and f"{secret}" == "***"
    assert secret.reveal() == SECRET
    with pytest.raises(TypeError, match="does not pickle"):
        pickle.dumps(secret)
    assert SECRET not in repr(client._client.auth)
    assert SECRET not in repr(Scrubber(Secret(SECRET)))


def test_scrubber_forms() -> None:
    from flowframe.sources.hosted._guard import Scrubber

    scrub = Scrubber(SECRET)
    for echo in ECHOES.values():
        assert scrub.bytes(b'{"a": "' + echo + b'"}') == b'{"a": "***"}'
        assert scrub.text("x " + echo.decode() + " y") == "x *** y"
    assert scrub.bytes(b"no key here") == b"no key here"
    quoted = Scrubber('ab"c/d')
    assert quoted.bytes(b'{"k": "ab\\"c\\/d"}') == b'{"k": "***"}'
    assert quoted.text(repr(b'ab"c/d')) == "b'***'"
