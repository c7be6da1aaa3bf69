"""``flowframe.serve.app`` at the unit level, and its keys.

The order of the checks (key, quota, plan, parameters), the bodies of each answer, what a
source that hands over bytes or raises gets, and the keys: compared with every key held
(no early exit), never in a log line, a body, a header or a message.

Each test serves its own application on loopback (``tests/serve/server.py``) and calls it
with httpx: Starlette's ``TestClient`` warns here (``StarletteDeprecationWarning``: it wants
``httpx2``), and the suite turns warnings into errors.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

import flowframe as ff
from flowframe.errors import BadRequestError
from flowframe.research.replay import ReplayError
from flowframe.serve import Keys, app
from tests.serve.conftest import PREFIX, RETRY_AFTER, frozen_wall, raw_request, serve
from tests.serve.server import running


@contextlib.contextmanager
def served(application: Any) -> Iterator[httpx.Client]:
    with running(application) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


@pytest.fixture
def client(source: ff.Simulated) -> Iterator[httpx.Client]:
    with served(serve(source)) as c:
        yield c


def call(c: httpx.Client, path: str, key: str | None = "kalpha", **params: Any) -> httpx.Response:
    headers = {} if key is None else {"X-Api-Key": key}
    return c.get(f"{PREFIX}/{path}", headers=headers, params=params)


# --------------------------------------------------------------------------- order of checks


def test_the_key_is_checked_first(client: httpx.Client) -> None:
    for key in (None, "", "wrong"):
        r = call(client, "hedge-flow/SPY", key, side="nope", bar="2m")
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json; charset=utf-8"
        detail = "Invalid API key." if key else "Missing API key."
        assert r.json() == {"title": "Unauthorized", "status": 401, "detail": detail}
        assert "x-ratelimit-limit" not in r.headers


def test_the_quota_before_the_plan_and_the_plan_before_the_parameters(client: httpx.Client) -> None:
    # a plan too low wins over a bad parameter
    r = call(client, "heatmap/SPY", "kgrowth", metric="nope")
    assert r.status_code == 403 and r.json()["error"] == "tier_restricted"
    # a good plan gets the parameter's 400, with the quota headers
    r = call(client, "hedge-flow/SPY", "kgrowth", side="nope")
    assert r.status_code == 400 and r.json()["error"] == "invalid_side"
    assert r.headers["x-ratelimit-limit"] == "2500"
    # a spent quota wins over both
    for _ in range(5):
        assert call(client, "heatmap/SPY", "kfree", metric="nope").status_code == 403
    r = call(client, "heatmap/SPY", "kfree", metric="nope")
    assert r.status_code == 429 and r.headers["retry-after"] == str(RETRY_AFTER)


def test_non_integer_minutes_and_n_get_a_400_of_the_documented_shape(client: httpx.Client) -> None:
    for path, name, value in (
        ("series/SPY", "minutes", "sixty"),
        ("heatmap/SPY", "minutes", "1.5"),
        ("strike-flow/SPY", "minutes", ""),
        ("leaderboard", "n", "ten"),
        ("leaderboard", "n", "9" * 5000),  # past Python's int-from-text limit
    ):
        r = call(client, path, **{name: value})
        assert r.status_code == 400
        assert r.json() == {
            "error": f"invalid_{name}",
            "message": r.json()["message"],
        } and r.json()["message"].startswith(f"{name} must be an integer")


def test_huge_integers_are_clamped(client: httpx.Client, source: ff.Simulated) -> None:
    r = call(client, "series/SPY", minutes="9" * 400, bar="15m")
    assert r.status_code == 200
    assert r.json() == orjson.loads(orjson.dumps(source.get_series("SPY", bar="15m", minutes=390)))
    r = call(client, "leaderboard", n="-" + "9" * 400)
    assert r.status_code == 200 and r.json()["n"] == 1


def test_unknown_routes_and_empty_symbols(client: httpx.Client) -> None:
    r = call(client, "nowhere/SPY", None)  # no route: 404 before the key is read
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "message": f"no route {PREFIX}/nowhere"}
    r = call(client, "series/")
    assert r.status_code == 404 and r.json()["error"] == "symbol_not_found"
    r = call(client, f"snapshot/{quote(' ', safe='')}")
    assert r.status_code == 404 and r.json()["error"] == "symbol_not_found"


def test_a_symbol_flowframe_cannot_read_is_unknown(client: httpx.Client) -> None:
    for raw in ("ß", "x" * 40, "SP Y", "\u202espy", "\x00"):
        r = call(client, f"snapshot/{quote(raw, safe='')}")
        assert r.status_code == 404 and r.json()["error"] == "symbol_not_found"
        r = call(client, f"series/{quote(raw, safe='')}")
        assert r.status_code in (200, 404)
        assert r.status_code == 404 or r.json()["bars"] == []


# --------------------------------------------------------------------------- sources


class RawSource:
    """A source that hands over bytes (as a replay does) and logs what it was asked."""

    symbols = ("SPY",)

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, dict[str, Any]]] = []

    def last(self) -> tuple[str, str | None, dict[str, Any]]:
        return self.calls[-1]

    def get_raw(self, endpoint: str, symbol: str | None, **params: Any) -> bytes:
        self.calls.append((endpoint, symbol, params))
        if symbol == "GONE":
            raise ReplayError("nothing recorded for GONE; the recording holds SPY")
        if symbol == "BAD":
            raise BadRequestError(
                "no strikes",
                status_code=400,
                code="no_strike_data_for_window",
                body={"error": "no_strike_data_for_window", "message": "No strike data."},
            )
        return b'{"raw": true,  "kept": "as sent"}'


def test_a_source_of_bytes_is_served_verbatim_with_the_parsed_parameters() -> None:
    raw = RawSource()
    with served(app(raw, None)) as c:
        assert raw.calls == [("series", "SPY", {"bar": "30s", "minutes": 1})]  # warmed
        r = call(c, "heatmap/%20spy", metric="oi", minutes="0")
        assert r.status_code == 200 and r.content == b'{"raw": true,  "kept": "as sent"}'
        assert raw.last() == (
            "heatmap",
            "SPY",
            {"metric": "oi", "mode": "raw", "bar": "1m", "minutes": 1},
        )
        call(c, "leaderboard", n="1000")
        assert raw.last() == ("leaderboard", None, {"metric": "heat", "n": 100})
        call(c, "snapshot/SPY", expiry=" 2026-09-18 ")
        assert raw.last() == ("snapshot", "SPY", {"expiry": "2026-09-18"})
        r = call(c, "series/GONE")
        assert r.status_code == 404 and r.json()["error"] == "not_recorded"
        assert "holds SPY" in r.json()["message"]
        r = call(c, "heatmap/BAD")
        assert r.status_code == 400
        assert r.json() == {"error": "no_strike_data_for_window", "message": "No strike data."}


def test_a_failing_warm_up_does_not_stop_the_server(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(RawSource):
        def get_raw(self, endpoint: str, symbol: str | None, **params: Any) -> bytes:
            if not self.calls:
                self.calls.append((endpoint, symbol, params))
                raise RuntimeError("cold")
            return super().get_raw(endpoint, symbol, **params)

    caplog.set_level(logging.INFO, logger="flowframe.serve")
    with served(app(Broken(), None)) as c:
        assert call(c, "series/SPY").status_code == 200
    assert "warming SPY failed" in caplog.text


# --------------------------------------------------------------------------- keys


def test_every_key_held_is_compared_no_early_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def counting(a: Any, b: Any) -> bool:
        compared.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)  # as _keys calls it
    keys = Keys({"first": "alpha", "second-key": "growth", "third-much-longer-key": "free"})
    for given, status in (("first", 0), ("third-much-longer-key", 403), ("x", 401), ("", 401)):
        compared.clear()
        assert keys.check(given, "heatmap").status == status
        if given:
            # one comparison per key, whichever matches, all of equal-length digests
            assert compared == [(32, 32)] * 3


def test_keys_are_never_in_a_message_or_repr(tmp_path: Path) -> None:
    secret = "sk-live-Q7r2-never-shown"
    keys = Keys({secret: "growth", "other": "ALPHA"})
    assert secret not in repr(keys) and repr(keys) == "Keys(2 keys: 1 growth, 1 alpha)"
    for plans in ({secret + " ": "growth"}, {secret: "platinum"}, {secret: None}):
        with pytest.raises(ValueError) as info:
            Keys(plans)  # type: ignore[arg-type]
        assert secret not in str(info.value) and "key #1" in str(info.value)
    bad = tmp_path / "keys.json"
    for text in (f'{{"{secret}": "growth",}}', f'["{secret}"]', f'{{"{secret}": "gold"}}'):
        bad.write_text(text)
        with pytest.raises(ValueError) as info:
            Keys.from_file(bad)
        assert secret not in str(info.value)


SECRET = "sk-live-8d1f0c9e7b6a5d4c3b2a"
SECRET_FREE = "sk-free-0a9b8c7d6e5f4a3b2c1d"
NEAR_MISS = SECRET[:-1] + "X"
#: uvicorn's own loggers (configured when the server is built, propagation off) and ours
WATCHED = ("uvicorn", "uvicorn.error", "uvicorn.asgi", "flowframe", "starlette")
#: the requests that carry a key in X-Api-Key: every kind of answer
HEADER_CALLS: list[tuple[str, str, dict[str, str]]] = [
    (SECRET, "series/SPY", {}),
    (SECRET, "heatmap/SPY", {}),  # 403
    (SECRET, "hedge-flow/SPY", {"side": "nope"}),  # 400
    (NEAR_MISS, "series/SPY", {}),  # 401
    (SECRET.upper(), "series/SPY", {}),  # 401
    *[(SECRET_FREE, "snapshot/SPY", {}) for _ in range(6)],  # 403s, then 429
    (SECRET, "snapshot/ZZZZ", {}),  # 404
    (SECRET, "nowhere/SPY", {}),  # no route
]
HEADER_STATUSES = [200, 403, 400, 401, 401, 403, 403, 403, 403, 403, 429, 404, 404]


@contextlib.contextmanager
def listening(caplog: pytest.LogCaptureFixture, names: tuple[str, ...]) -> Iterator[None]:
    """Send the records of ``names`` to caplog at DEBUG (their propagation may be off)."""
    saved = {name: logging.getLogger(name).level for name in names}
    caplog.handler.setLevel(logging.DEBUG)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
        logging.getLogger(name).addHandler(caplog.handler)
    try:
        yield
    finally:
        for name in names:
            logging.getLogger(name).removeHandler(caplog.handler)
            logging.getLogger(name).setLevel(saved[name])


def forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), secret.upper(), secret[4:20]}


def test_keys_never_reach_a_log_a_body_or_a_header(
    source: ff.Simulated, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    application = app(source, {SECRET: "growth", SECRET_FREE: "free"}, now=frozen_wall)
    answers: list[httpx.Response] = []
    raw_answers: list[bytes] = []
    with running(application) as url:
        with listening(caplog, WATCHED), httpx.Client(base_url=url, timeout=30) as c:
            for key, path, params in HEADER_CALLS:
                headers = {"X-Api-Key": key}
                answers.append(c.get(f"{PREFIX}/{path}", headers=headers, params=params))
            # a key in the query string (a client's mistake) is not logged either: the server
            # keeps no access log
            answers.append(c.get(f"{PREFIX}/series/SPY", params={"apiKey": SECRET}))
            # malformed requests that carry the key: uvicorn refuses them, and logs that
            for data in (
                f"GET {PREFIX}/series/SPY HTTP/1.1\r\nHost: x\r\nX-Api-Key: {SECRET}\r\n"
                "Content-Length: nope\r\n\r\n".encode(),
                f"GET {PREFIX}/series/SPY HTTP/1.1\r\nHost: x\r\nX-Api-Key: {NEAR_MISS}\x01"
                "\r\nConnection: close\r\n\r\n".encode(),
            ):
                raw_answers.append(raw_request(url, data))
        # with the access log turned on (a handler on uvicorn.access), a key in the header
        # is still nowhere: the request line holds none
        with (
            listening(caplog, (*WATCHED, "uvicorn.access")),
            httpx.Client(base_url=url, timeout=30) as c,
        ):
            r = c.get(f"{PREFIX}/series/SPY", headers={"X-Api-Key": SECRET})
            assert r.status_code == 200
            r = c.get(f"{PREFIX}/series/SPY", headers={"X-Api-Key": NEAR_MISS})
            assert r.status_code == 401
    assert [r.status_code for r in answers] == [*HEADER_STATUSES, 401]
    assert [raw[:12] for raw in raw_answers] == [b"HTTP/1.1 400", b"HTTP/1.1 401"]
    names = {r.name for r in caplog.records}
    assert {"uvicorn.error", "uvicorn.access"} <= names, "the capture is not listening"
    out, err = capfd.readouterr()
    logged = "\n".join(
        [caplog.text, out, err]
        + [r.getMessage() + (r.exc_text or "") + repr(r.args) for r in caplog.records]
    )
    sent = "\n".join(
        [r.text + repr(list(r.headers.multi_items())) for r in answers]
        + [raw.decode("latin-1") for raw in raw_answers]
    )
    for secret in (SECRET, SECRET_FREE, NEAR_MISS):
        for form in forms(secret):
            assert form not in logged
            assert form not in sent
