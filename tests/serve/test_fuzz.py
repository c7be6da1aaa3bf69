"""Bad input never crashes ``flowframe serve``: a bounded fuzz on loopback.

A seeded random walk over paths (the six routes, unknown ones, odd symbols escaped as one
segment), parameters (unknown names, empty, huge, negative, unicode, repeated values),
headers (junk, long, non-ASCII) and keys (missing, wrong, long, each plan), plus hand-made
malformed HTTP. Every answer is a documented status with a documented body, none is a 5xx,
and the server answers a normal request afterwards. The parameter parser alone is fuzzed
with hypothesis.

Answers that are not a route's: a path outside the six routes (``/``,
``/v1/flow/zero-dte//SPY``, ``/v1/flow/zero-dte/series`` with no symbol: no redirect) gets a
JSON 404 ``not_found``, a method other than GET/HEAD a JSON 405 ``method_not_allowed``;
uvicorn answers malformed HTTP with a plain-text 400 (the raw-socket test below).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any, Final
from urllib.parse import quote

import httpx
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

import flowframe as ff
from flowframe._constants import (
    BARS,
    GRID_BARS,
    LEADERBOARD_METRICS,
    METRICS,
    MINUTES_RANGE,
    MODES,
    N_RANGE,
    SIDES,
)
from flowframe.serve._app import _BadParam, parse
from tests.serve.conftest import DOCUMENTED_400, PREFIX, raw_request, roundtrip

ENDPOINTS: Final = ("snapshot", "series", "hedge-flow", "heatmap", "strike-flow", "leaderboard")
UNKNOWN_ENDPOINTS: Final = ("nope", "SERIES", "series2", "%2E%2E", "hedge_flow", "v1", "%00", "é")
SYMBOLS: Final = (
    "SPY",
    "qqq",
    " spy ",
    "\tQQQ\n",
    "TSLA",
    "ZZZZ",
    "ES=F",
    "BRK.B",
    "a/b",
    "..",
    ".",
    "%",
    "%2F",
    "ß",
    "ſpy",
    "\x00",
    "\u202espy",
    "😀",
    "x" * 33,
    "x" * 3000,
    "SPY?x=1",
    "#frag",
    ";",
    "é",
    "SPY/QQQ",
    "-1",
    "",
)
PARAM_NAMES: Final = (
    "bar",
    "minutes",
    "side",
    "metric",
    "mode",
    "n",
    "expiry",
    "apiKey",
    "",
    "BAR",
    "minutes[]",
    "x" * 300,
    "bär",
    "🙂",
)
VALUES: Final = (
    "",
    "0",
    "-1",
    "1",
    "390",
    "391",
    "1000",
    "9" * 50,
    "9" * 5000,
    "-" + "9" * 30,
    "1e3",
    "1.5",
    "nan",
    "inf",
    " 5 ",
    "0x10",
    "1_0",
    "٣",
    "null",
    "true",
    *BARS,
    "1h",
    *SIDES,
    "both",
    *METRICS,
    *MODES,
    *LEADERBOARD_METRICS,
    "2026-09-18",
    "2026-02-30",
    "2026-9-18",
    "9999-12-31",
    "0000-01-01",
    "x" * 2000,
    "\x00",
    "😀",
    "%",
    "&",
    "=",
)
KEYS_TRIED: Final = (
    *["kalpha"] * 16,
    "kgrowth",
    "kgrowth",
    "kbasic",
    "kfree",
    None,
    "",
    "nope",
    "KALPHA",
    "kalph",
    "kalphaa",
    "k" * 8000,
    "clé-🙂",
)
HEAD_NAMES: Final = ("X-Junk", "Accept", "Accept-Encoding", "X-Forwarded-For", "Range", "Cookie")
DOCUMENTED: Final = frozenset({200, 400, 401, 403, 404, 405, 429})
REQUESTS: Final = 400
SECONDS: Final = 30.0


def symbol_segment(rng: random.Random) -> str:
    segment = quote(rng.choice(SYMBOLS), safe="")
    if segment and not segment.strip("."):  # "." and ".." would be collapsed by the client
        segment = segment.replace(".", "%2E")
    return segment


def header_value(rng: random.Random) -> bytes:
    """Visible ASCII and Latin-1 bytes, spaces inside only (what HTTP/1.1 can carry)."""
    alphabet = [*range(0x21, 0x7F), *range(0x80, 0x100)]
    body = [rng.choice([*alphabet, 0x20]) for _ in range(rng.randint(0, 80))]
    return bytes([rng.choice(alphabet), *body, rng.choice(alphabet)])


def one_request(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.08:
        endpoint = rng.choice(UNKNOWN_ENDPOINTS)
        path = f"{PREFIX}/{endpoint}/{symbol_segment(rng)}"
    elif roll < 0.2:
        endpoint = "leaderboard"
        path = f"{PREFIX}/leaderboard" + rng.choice(["", "", "/", f"/{symbol_segment(rng)}"])
    elif roll < 0.23:
        endpoint = "outside"
        path = rng.choice(
            ["/", "/v1", "/v1/flow", f"{PREFIX}", f"{PREFIX}/", f"{PREFIX}//SPY", "/docs"]
        )
    else:
        endpoint = rng.choice(ENDPOINTS[:5])
        path = f"{PREFIX}/{endpoint}/{symbol_segment(rng)}"
    params = [(rng.choice(PARAM_NAMES), rng.choice(VALUES)) for _ in range(rng.randint(0, 5))]
    if rng.random() < 0.2 and params:
        params.append((params[0][0], rng.choice(VALUES)))  # a repeated parameter
    headers: list[tuple[str, bytes]] = []
    key = rng.choice(KEYS_TRIED)
    if key is not None:
        headers.append(("X-Api-Key", key.encode("utf-8")))
        if rng.random() < 0.05:
            headers.append(("X-Api-Key", b"second-key"))
    for _ in range(rng.choice([0, 0, 1, 3])):
        headers.append((rng.choice(HEAD_NAMES), header_value(rng)))
    if rng.random() < 0.03:
        headers.append(("X-Long", b"v" * 20000))
    method = (
        "GET" if rng.random() < 0.9 else rng.choice(["HEAD", "POST", "PUT", "DELETE", "OPTIONS"])
    )
    content = header_value(rng) if rng.random() < 0.05 else None
    return {
        "endpoint": endpoint,
        "method": method,
        "url": path,
        "params": params,
        "headers": headers,
        "content": content,
    }


def check_body(endpoint: str, r: httpx.Response) -> None:
    """The answer of the route is JSON of the shape API.md documents for its status."""
    body = r.json()
    assert isinstance(body, dict)
    status = r.status_code
    if status == 200:
        if endpoint == "leaderboard":
            assert {"metric", "n", "as_of", "entries"} <= set(body)
            assert N_RANGE[0] <= body["n"] <= N_RANGE[1]
        elif endpoint == "snapshot":
            assert isinstance(body["symbol"], str)
        else:
            assert isinstance(body["symbol"], str) and isinstance(body["bars"], list)
    elif status == 400:
        assert set(body) == {"error", "message"} and body["error"] in DOCUMENTED_400
    elif status == 401:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert body["title"] == "Unauthorized" and body["status"] == 401
        assert body["detail"] in ("Missing API key.", "Invalid API key.")
        assert set(body) == {"title", "status", "detail"}
    elif status == 403:
        assert set(body) == {"status", "error", "message", "current_plan", "required_plan"}
        assert body["error"] == "tier_restricted"
    elif status == 404:
        assert set(body) == {"error", "message"}
        assert body["error"] in ("symbol_not_found", "not_found")
    elif status == 429:
        assert set(body) == {
            "status",
            "error",
            "message",
            "current_plan",
            "limit",
            "upgrade_to",
            "reset_at",
        }
        assert r.headers["retry-after"].isdigit()
    elif status == 405:  # flowframe's own, in the shape of the documented 4xx bodies
        assert body == {"error": "method_not_allowed", "message": "every route answers GET only"}
        assert r.headers["allow"] == "GET"
    else:
        raise AssertionError(f"undocumented status {status}")


def test_fuzz_gets_only_documented_answers_and_the_server_keeps_answering(
    url: str, source: ff.Simulated
) -> None:
    rng = random.Random(20260918)
    seen: Counter[tuple[int, str]] = Counter()
    framework: Counter[tuple[int, str]] = Counter()
    deadline = time.monotonic() + SECONDS
    sent = 0
    with httpx.Client(base_url=url, timeout=30) as c:
        for _ in range(REQUESTS):
            if time.monotonic() > deadline:
                break
            req = one_request(rng)
            endpoint = req.pop("endpoint")
            r = c.request(**req)
            sent += 1
            status = r.status_code
            context = f"{req['method']} {r.request.url} -> {status} {r.text[:200]!r}"
            assert status < 500, context
            kind = r.headers.get("content-type", "")
            assert status in DOCUMENTED, context
            if req["method"] == "HEAD":
                assert r.content == b"", context
                seen[(status, "HEAD")] += 1
            else:
                assert kind.startswith(("application/json", "application/problem+json")), context
                check_body(endpoint, r)
                if status in (404, 405) and r.json()["error"] in (
                    "not_found",
                    "method_not_allowed",
                ):
                    framework[(status, r.json()["error"])] += 1  # outside the routes
                else:
                    seen[(status, endpoint)] += 1
        # and the server still answers a normal request with the source's body
        r = c.get(f"{PREFIX}/series/SPY", headers={"X-Api-Key": "kalpha"}, params={"bar": "1m"})
        assert r.status_code == 200
        assert r.json() == roundtrip(source.get_series("SPY", bar="1m", minutes=60))
    assert sent >= 300, f"only {sent} requests in {SECONDS} s"
    statuses = {status for status, _ in seen}
    # the walk reached every kind of answer
    assert {200, 400, 401, 403, 404, 429} <= statuses, seen
    assert sum(n for (s, _), n in seen.items() if s == 200) >= 20, seen
    assert framework, "the walk never left the routes"


MALFORMED: Final = (
    b"GARBAGE\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /v1/flow/zero-dte/leaderboard HTTP/1.1\r\nHost: x\r\nX-Api-Key: kalpha\r\n"
    b"Content-Length: abc\r\n\r\n",
    b"GET /v1/flow/zero-dte/leaderboard HTTP/1.1\r\nHost: x\r\nX-Api-Key: kalpha\r\n"
    b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /v1/flow/zero-dte/series/%ZZ HTTP/1.1\r\nHost: x\r\nX-Api-Key: kalpha\r\n"
    b"Connection: close\r\n\r\n",
    b"GET /v1/flow/zero-dte/series/%FF%FE HTTP/1.1\r\nHost: x\r\nX-Api-Key: kalpha\r\n"
    b"Connection: close\r\n\r\n",
    b"GET /v1/flow/zero-dte/series/SPY?minutes=%FF&bar=%E2%82 HTTP/1.1\r\nHost: x\r\n"
    b"X-Api-Key: kalpha\r\nConnection: close\r\n\r\n",
    b"GET /v1/flow/zero-dte/series/SPY HTTP/1.1\r\nHost: x\r\nX-Api-Key: \xff\xfe\x80\r\n"
    b"Connection: close\r\n\r\n",
    b"GET /v1/flow/zero-dte/series/SPY HTTP/1.1\r\nHost: x\r\nX-Api-Key kalpha\r\n\r\n",
    b"GET /v1/flow/zero-dte/series/SPY HTTP/1.1\r\n" + b"X-A: b\r\n" * 500 + b"\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/flow/zero-dte/series/SPY HTTP/1.1\r\nHost: x\r\nX-Api-Key: kalpha\r\n",  # no end
)


def test_malformed_http_gets_a_4xx_or_a_close_and_the_server_keeps_answering(url: str) -> None:
    for data in MALFORMED:
        answer = raw_request(url, data)
        if answer:  # uvicorn answers what it can parse, and closes on what it cannot
            status = int(answer[9:12])
            assert 200 <= status < 500 and status != 500, answer[:300]
            head, _, body = answer.partition(b"\r\n\r\n")
            if b"application/json" in head:
                assert isinstance(orjson.loads(body), dict)
    r = httpx.get(f"{url}{PREFIX}/leaderboard", headers={"X-Api-Key": "kalpha"}, timeout=30)
    assert r.status_code == 200 and r.json()["entries"]


def test_every_4xx_body_is_json(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as c:
        for method, path in (
            ("GET", "/"),
            ("GET", f"{PREFIX}//SPY"),
            ("POST", f"{PREFIX}/series/SPY"),
            ("DELETE", f"{PREFIX}/leaderboard"),
        ):
            r = c.request(method, path, headers={"X-Api-Key": "kalpha"})
            assert r.status_code in (404, 405)
            assert r.headers["content-type"].startswith("application/json"), (method, path)
            assert set(r.json()) == {"error", "message"}


# --------------------------------------------------------------------------- the parser alone

NAMES = st.sampled_from(["bar", "minutes", "side", "metric", "mode", "n", "expiry", "x"])
TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from([*BARS, *SIDES, *METRICS, *MODES, *LEADERBOARD_METRICS, "2026-09-18"]),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
)


@settings(max_examples=400, deadline=None, database=None)
@given(endpoint=st.sampled_from(ENDPOINTS), query=st.dictionaries(NAMES, TEXT, max_size=5))
def test_parse_returns_valid_arguments_or_a_documented_400(
    endpoint: str, query: dict[str, str]
) -> None:
    try:
        kwargs = parse(endpoint, query)
    except _BadParam as exc:
        assert set(exc.body) == {"error", "message"}
        assert exc.body["error"] in DOCUMENTED_400
        return
    if "minutes" in kwargs:
        assert MINUTES_RANGE[0] <= kwargs["minutes"] <= MINUTES_RANGE[1]
    if endpoint == "leaderboard":
        assert kwargs["metric"] in LEADERBOARD_METRICS
        assert N_RANGE[0] <= kwargs["n"] <= N_RANGE[1]
    if endpoint in ("series", "hedge-flow"):
        assert kwargs["bar"] in BARS
    if endpoint in ("heatmap", "strike-flow"):
        assert kwargs["bar"] in GRID_BARS
    if endpoint == "hedge-flow":
        assert kwargs["side"] in SIDES
    if endpoint == "heatmap":
        assert kwargs["metric"] in METRICS and kwargs["mode"] in MODES
    if endpoint == "snapshot":
        assert set(kwargs) <= {"expiry"}
