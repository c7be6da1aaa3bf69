"""The hosted client through httpx.MockTransport: construction, routes, errors, retries, quota."""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import Any

import httpx
import pytest

import flowframe as ff
from flowframe.sources.hosted._base import parse_retry_after
from tests.conftest import load
from tests.fakeapi import KEY


def ok(body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"bars": []}, headers=headers)


def err(status: int, fixture: str | None = None, **headers: str) -> httpx.Response:
    if fixture is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=load(fixture), headers=headers)


def recording(seen: list[httpx.Request]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok()

    return handler


# --------------------------------------------------------------------- construction


def test_no_key_raises_before_any_request() -> None:
    with pytest.raises(ff.MissingAPIKeyError, match="FLASHALPHA_API_KEY") as info:
        ff.FlashAlpha(transport=httpx.MockTransport(lambda r: pytest.fail("sent a request")))
    assert "api_key=" in str(info.value)


def test_blank_key_is_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASHALPHA_API_KEY", "   ")
    with pytest.raises(ff.MissingAPIKeyError):
        ff.FlashAlpha()


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASHALPHA_API_KEY", KEY)
    seen: list[httpx.Request] = []
    client = ff.FlashAlpha(transport=httpx.MockTransport(recording(seen)))
    client.get_hedge_flow("SPY")
    assert seen[0].headers["X-Api-Key"] == KEY


def test_argument_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASHALPHA_API_KEY", "from-env")
    seen: list[httpx.Request] = []
    client = ff.FlashAlpha("from-arg", transport=httpx.MockTransport(recording(seen)))
    client.get_series("SPY")
    assert seen[0].headers["X-Api-Key"] == "from-arg"


def test_key_with_inner_space_is_rejected_without_echo() -> None:
    secret = "abc def-0123456789"
    with pytest.raises(ValueError, match="visible ASCII") as info:
        ff.FlashAlpha(secret)
    assert secret not in str(info.value) and "def-0123" not in repr(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://lab.flashalpha.com",
        "http://127.0.0.1:8080",
        "http://localhost:9",
        "http://[::1]:80",
    ],
)
def test_allowed_base_urls(url: str) -> None:
    assert str(ff.FlashAlpha(KEY, base_url=url).base_url).startswith(url.split(":")[0])


@pytest.mark.parametrize("url", ["http://lab.flashalpha.com", "http://10.0.0.5", "ftp://x.org"])
def test_refused_base_urls(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        ff.FlashAlpha(KEY, base_url=url)


def test_repr_hides_key() -> None:
    client = ff.FlashAlpha(KEY)
    assert KEY not in repr(client) and KEY not in str(client)
    assert repr(client) == "FlashAlpha(base_url='https://lab.flashalpha.com', api_key='***')"


def test_context_manager_closes_the_owned_client() -> None:
    with ff.FlashAlpha(KEY) as client:
        inner = client._client
        assert not inner.is_closed
    assert inner.is_closed


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"timeout": 0}, "timeout"),
        ({"max_retry_wait": -1}, "max_retry_wait"),
    ],
)
def test_bad_settings(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ff.FlashAlpha(KEY, **kwargs)


# --------------------------------------------------------------------- routes


@pytest.mark.parametrize(
    "call, path, params",
    [
        (lambda c: c.get_snapshot("spy"), "/v1/flow/zero-dte/snapshot/SPY", {}),
        (
            lambda c: c.get_snapshot("SPY", expiry=dt.date(2026, 9, 18)),
            "/v1/flow/zero-dte/snapshot/SPY",
            {"expiry": "2026-09-18"},
        ),
        (
            lambda c: c.get_series(" qqq "),
            "/v1/flow/zero-dte/series/QQQ",
            {"bar": "30s", "minutes": "60"},
        ),
        (
            lambda c: c.get_hedge_flow("SPY", side="calls", bar="5m", minutes=180),
            "/v1/flow/zero-dte/hedge-flow/SPY",
            {"side": "calls", "bar": "5m", "minutes": "180"},
        ),
        (
            lambda c: c.get_heatmap("SPX", metric="signed_flow", mode="delta"),
            "/v1/flow/zero-dte/heatmap/SPX",
            {"metric": "signed_flow", "mode": "delta", "bar": "1m", "minutes": "60"},
        ),
        (
            lambda c: c.get_strike_flow("IWM", minutes=390),
            "/v1/flow/zero-dte/strike-flow/IWM",
            {"bar": "1m", "minutes": "390"},
        ),
        (
            lambda c: c.get_leaderboard(metric="pin_risk", n=5),
            "/v1/flow/zero-dte/leaderboard",
            {"metric": "pin_risk", "n": "5"},
        ),
    ],
)
def test_routes_and_params(make_client: Any, call: Any, path: str, params: dict[str, str]) -> None:
    client = make_client(ok())
    call(client)
    (request,) = client.recorder.requests
    assert request.method == "GET"
    assert request.url.path == path
    assert dict(request.url.params) == params
    assert request.headers["X-Api-Key"] == KEY
    assert KEY not in str(request.url)
    assert "apikey" not in str(request.url).lower()


@pytest.mark.parametrize(
    "symbol, raw",
    [
        ("ES=F", "ES%3DF"),
        ("brk/b", "BRK%2FB"),
        ("a?b", "A%3FB"),
        ("x#y", "X%23Y"),
        ("%2e", "%252E"),
    ],
)
def test_symbol_is_one_escaped_path_segment(make_client: Any, symbol: str, raw: str) -> None:
    client = make_client(ok())
    client.get_hedge_flow(symbol)
    (request,) = client.recorder.requests
    assert request.url.raw_path.split(b"?")[0] == f"/v1/flow/zero-dte/hedge-flow/{raw}".encode()


def test_docstrings_name_their_routes() -> None:
    for name, route in [
        ("get_snapshot", "GET /v1/flow/zero-dte/snapshot/{symbol}"),
        ("get_series", "GET /v1/flow/zero-dte/series/{symbol}"),
        ("get_hedge_flow", "GET /v1/flow/zero-dte/hedge-flow/{symbol}"),
        ("get_heatmap", "GET /v1/flow/zero-dte/heatmap/{symbol}"),
        ("get_strike_flow", "GET /v1/flow/zero-dte/strike-flow/{symbol}"),
        ("get_leaderboard", "GET /v1/flow/zero-dte/leaderboard"),
    ]:
        for cls in (ff.FlashAlpha, ff.AsyncFlashAlpha):
            assert route in (getattr(cls, name).__doc__ or ""), (cls, name)


# --------------------------------------------------------------------- success bodies


@pytest.mark.parametrize(
    "fixture",
    ["snapshot_session_closed.json", "snapshot_no_zero_dte.json", "hedge_flow_empty.json"],
)
def test_degraded_bodies_are_successes(make_client: Any, fixture: str) -> None:
    client = make_client(ok(load(fixture)))
    assert client.get_snapshot("SPY") == load(fixture)


def test_success_body_not_json_is_a_schema_error(make_client: Any) -> None:
    client = make_client(httpx.Response(200, content=b"<html>oops</html>"))
    with pytest.raises(ff.SchemaError, match=r"not valid JSON.*<html>oops"):
        client.get_series("SPY")
    assert len(client.recorder.requests) == 1


def test_success_body_not_an_object_is_a_schema_error(make_client: Any) -> None:
    client = make_client(httpx.Response(200, json=[1, 2]))
    with pytest.raises(ff.SchemaError, match="not an object"):
        client.get_series("SPY")


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "status, fixture, cls, code, text",
    [
        pytest.param(
            400,
            "error_400_invalid_side.json",
            ff.BadRequestError,
            "invalid_side",
            "400 Bad Request [invalid_side]: side must be all|calls|puts",
            id="400",
        ),
        pytest.param(
            401,
            "error_401.json",
            ff.AuthenticationError,
            None,
            "401 Unauthorized: Invalid API key.",
            id="401",
        ),
        pytest.param(
            403,
            "error_403_tier.json",
            ff.TierRestrictedError,
            "tier_restricted",
            "403 Forbidden [tier_restricted]: This endpoint requires the Alpha plan or higher. "
            "(needs the Alpha plan; this key is on Growth)",
            id="403",
        ),
        pytest.param(
            404,
            "error_404_symbol.json",
            ff.NotFoundError,
            "symbol_not_found",
            "404 Not Found [symbol_not_found]: No data for ZZZZ.",
            id="404",
        ),
        pytest.param(
            503,
            "error_503_detail.json",
            ff.ServerError,
            None,
            "503 Service Unavailable: upstream feed unavailable",
            id="503-json",
        ),
    ],
)
def test_status_errors(
    make_client: Any, status: int, fixture: str, cls: type, code: str | None, text: str
) -> None:
    client = make_client(err(status, fixture), max_retries=0)
    with pytest.raises(cls) as info:
        client.get_snapshot("SPY")
    exc = info.value
    assert isinstance(exc, ff.APIStatusError) and isinstance(exc, ff.FlowframeError)
    assert exc.status_code == status
    assert exc.code == code
    assert exc.body == load(fixture)
    assert str(exc) == text
    assert repr(exc).startswith(f"{cls.__name__}(status_code={status}, code={code!r}")


def test_403_carries_plans(make_client: Any) -> None:
    client = make_client(err(403, "error_403_tier.json"))
    with pytest.raises(ff.TierRestrictedError) as info:
        client.get_heatmap("SPY")
    assert (info.value.current_plan, info.value.required_plan) == ("Growth", "Alpha")


def test_5xx_with_a_non_json_body(make_client: Any) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1>\n<p>cloudflare</p></body></html>"
    client = make_client(httpx.Response(502, content=page), max_retries=0)
    with pytest.raises(ff.ServerError) as info:
        client.get_series("SPY")
    assert info.value.code is None
    assert info.value.body == page.decode()
    assert str(info.value) == (
        "502 Bad Gateway: non-JSON body: <html><body><h1>502 Bad Gateway</h1> <p>cloudflare</p>"
        "</body></html>"
    )


def test_5xx_with_an_empty_body(make_client: Any) -> None:
    client = make_client(httpx.Response(500), max_retries=0)
    with pytest.raises(ff.ServerError, match=r"^500 Internal Server Error: empty body$"):
        client.get_series("SPY")


def test_429_beyond_the_cap_raises_at_once(make_client: Any, sleeps: list[float]) -> None:
    client = make_client(err(429, "error_429_quota.json", **{"Retry-After": "3600"}))
    with pytest.raises(ff.RateLimitError) as info:
        client.get_series("SPY")
    exc = info.value
    assert len(client.recorder.requests) == 1 and sleeps == []
    assert exc.retry_after == 3600.0
    assert exc.reset_at == dt.datetime(2026, 9, 19, tzinfo=dt.UTC)
    assert exc.code == "Quota exceeded"
    assert str(exc).endswith("(retry after 3600 s; quota resets 2026-09-19T00:00:00Z)")


def test_429_retry_after_as_http_date(make_client: Any, sleeps: list[float]) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(hours=5)
    client = make_client(
        err(
            429,
            "error_429_quota.json",
            **{"Retry-After": email.utils.format_datetime(when, usegmt=True)},
        )
    )
    with pytest.raises(ff.RateLimitError) as info:
        client.get_series("SPY")
    assert info.value.retry_after is not None
    assert 5 * 3600 - 5 <= info.value.retry_after <= 5 * 3600
    assert sleeps == []


def test_parse_retry_after_forms() -> None:
    now = dt.datetime(2026, 9, 18, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("Fri, 18 Sep 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Fri, 18 Sep 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    assert parse_retry_after(None) is None


# --------------------------------------------------------------------- retries


def test_503_twice_then_200(make_client: Any, sleeps: list[float]) -> None:
    client = make_client(err(503), err(503), ok({"bars": [], "symbol": "SPY"}))
    assert client.get_hedge_flow("SPY") == {"bars": [], "symbol": "SPY"}
    assert len(client.recorder.requests) == 3
    assert len(sleeps) == 2
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0  # 0.5 * 2**n, jitter <= 25%


def test_retries_exhausted_raise_the_last_error(make_client: Any, sleeps: list[float]) -> None:
    client = make_client(err(500), max_retries=3)
    with pytest.raises(ff.ServerError):
        client.get_series("SPY")
    assert len(client.recorder.requests) == 4 and len(sleeps) == 3


def test_backoff_is_capped(make_client: Any, sleeps: list[float]) -> None:
    client = make_client(err(503), max_retries=6)
    with pytest.raises(ff.ServerError):
        client.get_series("SPY")
    assert max(sleeps) <= 8.0 and sleeps[-1] >= 6.0


def test_429_with_short_retry_after_is_honoured(make_client: Any, sleeps: list[float]) -> None:
    client = make_client(err(429, "error_429_quota.json", **{"Retry-After": "2"}), ok())
    client.get_series("SPY")
    assert sleeps == [2.0] and len(client.recorder.requests) == 2


def test_408_is_retried(make_client: Any) -> None:
    client = make_client(err(408), ok())
    client.get_series("SPY")
    assert len(client.recorder.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_4xx_never_retried(make_client: Any, sleeps: list[float], status: int) -> None:
    client = make_client(err(status), max_retries=5)
    with pytest.raises(ff.APIStatusError):
        client.get_series("SPY")
    assert len(client.recorder.requests) == 1 and sleeps == []


def test_max_retries_zero_turns_retries_off(make_client: Any) -> None:
    client = make_client(err(503), ok(), max_retries=0)
    with pytest.raises(ff.ServerError):
        client.get_series("SPY")
    assert len(client.recorder.requests) == 1


def test_timeouts_are_retried_then_raise(make_client: Any, sleeps: list[float]) -> None:
    client = make_client(httpx.ReadTimeout("slow"))
    with pytest.raises(ff.APITimeoutError, match="series/SPY"):
        client.get_series("SPY")
    assert len(client.recorder.requests) == 3 and len(sleeps) == 2


def test_transport_errors_are_retried(make_client: Any) -> None:
    client = make_client(httpx.ConnectError("refused"), httpx.RemoteProtocolError("cut"), ok())
    client.get_series("SPY")
    assert len(client.recorder.requests) == 3


def test_connection_error_after_retries(make_client: Any) -> None:
    client = make_client(httpx.ConnectError("refused"), max_retries=1)
    with pytest.raises(ff.APIConnectionError) as info:
        client.get_series("SPY")
    assert not isinstance(info.value, ff.APITimeoutError)
    assert "ConnectError: refused" in str(info.value)


def test_requests_sent_counts_attempts(make_client: Any) -> None:
    client = make_client(err(503), ok())
    client.get_series("SPY")
    assert client.requests_sent == 2


# --------------------------------------------------------------------- quota


def test_quota_from_headers(make_client: Any) -> None:
    client = make_client(
        ok(
            **{
                "x-ratelimit-limit": "2500",
                "x-ratelimit-remaining": "2417",
                "x-ratelimit-reset": "1790208000",
            }
        )
    )
    client.get_series("SPY")
    assert client.quota == ff.Quota(
        limit=2500,
        remaining=2417,
        reset=dt.datetime(2026, 9, 24, 0, 0, tzinfo=dt.UTC),  # 1790208000 = 20720 days
        unlimited=False,
    )
    assert client.quota.used == 83


def test_no_quota_before_a_response() -> None:
    assert ff.FlashAlpha(KEY).quota is None


def test_quota_unlimited(make_client: Any) -> None:
    headers = {
        "x-ratelimit-limit": "unlimited",
        "x-ratelimit-remaining": "unlimited",
        "x-ratelimit-reset": "1779926400",
    }
    client = make_client(ok(**headers))
    client.get_series("SPY")
    quota = client.quota
    assert quota is not None and quota.unlimited
    assert (quota.limit, quota.remaining, quota.used) == (None, None, None)
    assert quota.reset == dt.datetime(2026, 5, 28, tzinfo=dt.UTC)


def test_quota_updates_on_error_responses(make_client: Any) -> None:
    client = make_client(
        err(
            429,
            "error_429_quota.json",
            **{
                "Retry-After": "99999",
                "x-ratelimit-limit": "2500",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": "1790208000",
            },
        )
    )
    with pytest.raises(ff.RateLimitError):
        client.get_series("SPY")
    assert client.quota is not None and client.quota.remaining == 0


def test_quota_ignores_garbage(make_client: Any) -> None:
    client = make_client(ok(**{"x-ratelimit-limit": "lots", "x-ratelimit-reset": "never"}))
    client.get_series("SPY")
    assert client.quota == ff.Quota(limit=None, remaining=None, reset=None, unlimited=False)
