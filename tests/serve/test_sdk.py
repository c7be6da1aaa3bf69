"""``flowframe serve`` with FlashAlpha's official Python SDK (and flowframe's own client) as the client.

Every endpoint and parameter variant the SDK sends answers the body the source computes in
process (same parameters, frozen clock, through orjson and back); every documented error
reaches the SDK as its own exception class with the hosted body; the quota headers count down
per key; the clamps and the symbol's trimming are the server's; and ``ff.FlashAlpha`` pointed
at the server loads the frames the loaders build from the source itself.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pandas as pd
import pytest
import xarray as xr
from flashalpha import FlashAlpha  # type: ignore[import-untyped]
from flashalpha.exceptions import (  # type: ignore[import-untyped]
    AuthenticationError,
    FlashAlphaError,
    NotFoundError,
    RateLimitError,
    TierRestrictedError,
)

import flowframe as ff
from flowframe.serve import app
from tests.serve.conftest import (
    DATE,
    PREFIX,
    RESET,
    RETRY_AFTER,
    SYMBOLS,
    WALL,
    roundtrip,
    serve,
)
from tests.serve.server import running

DATA = Path(__file__).resolve().parents[1] / "data"
RESET_UNIX = str(int(RESET.timestamp()))

#: endpoint -> (the SDK's method, the source's method)
METHODS = {
    "snapshot": ("flow_zero_dte_snapshot", "get_snapshot"),
    "series": ("flow_zero_dte_series", "get_series"),
    "hedge-flow": ("flow_zero_dte_hedge_flow", "get_hedge_flow"),
    "heatmap": ("flow_zero_dte_heatmap", "get_heatmap"),
    "strike-flow": ("flow_zero_dte_strike_flow", "get_strike_flow"),
    "leaderboard": ("flow_zero_dte_leaderboard", "get_leaderboard"),
}


def fixture(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def sdk_call(client: FlashAlpha, endpoint: str, symbol: str | None, **params: Any) -> Any:
    method = getattr(client, METHODS[endpoint][0])
    return method(**params) if symbol is None else method(symbol, **params)


def in_process(source: Any, endpoint: str, symbol: str | None, **params: Any) -> Any:
    """What the source answers for the same call, as a client decodes it."""
    method = getattr(source, METHODS[endpoint][1])
    return roundtrip(method(**params) if symbol is None else method(symbol, **params))


@pytest.fixture
def alpha(sdk: Callable[[str], FlashAlpha]) -> FlashAlpha:
    return sdk("kalpha")


# --------------------------------------------------------------------------- bodies

VARIANTS: list[tuple[str, str | None, dict[str, Any]]] = [
    ("snapshot", "SPY", {}),
    ("snapshot", "QQQ", {}),
    ("snapshot", "SPY", {"expiry": DATE}),
    ("series", "SPY", {}),
    *[("series", "SPY", {"bar": bar, "minutes": 90}) for bar in ("30s", "1m", "5m", "15m")],
    ("series", "QQQ", {"bar": "1m", "minutes": 390}),
    ("hedge-flow", "SPY", {}),
    *[
        ("hedge-flow", "SPY", {"side": side, "bar": bar, "minutes": 120})
        for side in ("all", "calls", "puts")
        for bar in ("30s", "5m")
    ],
    ("hedge-flow", "QQQ", {"side": "puts", "bar": "15m", "minutes": 390}),
    ("heatmap", "SPY", {}),
    *[
        ("heatmap", "SPY", {"metric": metric, "mode": "raw", "minutes": 30})
        for metric in ("gex", "dex", "vex", "chex", "oi", "signed_flow")
    ],
    ("heatmap", "SPY", {"metric": "gex", "mode": "delta", "bar": "1m", "minutes": 30}),
    ("heatmap", "QQQ", {"metric": "oi", "mode": "delta", "minutes": 45}),
    ("strike-flow", "SPY", {}),
    ("strike-flow", "QQQ", {"bar": "1m", "minutes": 15}),
    ("leaderboard", None, {}),
    *[
        ("leaderboard", None, {"metric": metric, "n": 2})
        for metric in ("heat", "pin_risk", "abs_flow", "charm_intensity")
    ],
    ("leaderboard", None, {"n": 1}),
]


@pytest.mark.parametrize(
    ("endpoint", "symbol", "params"),
    VARIANTS,
    ids=[f"{e}-{s}-{'-'.join(map(str, p.values())) or 'defaults'}" for e, s, p in VARIANTS],
)
def test_every_endpoint_and_variant_equals_the_in_process_body(
    alpha: FlashAlpha, source: ff.Simulated, endpoint: str, symbol: str | None, params: Any
) -> None:
    body = sdk_call(alpha, endpoint, symbol, **params)
    expected = in_process(source, endpoint, symbol, **params)
    assert body == expected
    if endpoint == "leaderboard":
        assert body["entries"] and body["metric"] == params.get("metric", "heat")
    elif endpoint != "snapshot":
        assert body["symbol"] == symbol and body["bars"], "a live session has bars"


def test_the_in_process_bodies_differ_between_variants(alpha: FlashAlpha) -> None:
    # the comparison above would pass vacuously if the server ignored the parameters
    seen = {
        json.dumps(sdk_call(alpha, "series", "SPY", bar=bar, minutes=90), sort_keys=True)
        for bar in ("30s", "1m", "5m", "15m")
    }
    assert len(seen) == 4
    sides = {
        json.dumps(sdk_call(alpha, "hedge-flow", "SPY", side=side), sort_keys=True)
        for side in ("all", "calls", "puts")
    }
    assert len(sides) == 3


# --------------------------------------------------------------------------- clamps, symbols

CLAMPS: list[tuple[str, dict[str, int], dict[str, int]]] = [
    ("series", {"minutes": 0}, {"minutes": 1}),
    ("series", {"minutes": 1000}, {"minutes": 390}),
    ("series", {"minutes": -7}, {"minutes": 1}),
    ("hedge-flow", {"minutes": 0}, {"minutes": 1}),
    ("hedge-flow", {"minutes": 1000}, {"minutes": 390}),
    ("heatmap", {"minutes": 0}, {"minutes": 1}),
    ("heatmap", {"minutes": 1000}, {"minutes": 390}),
    ("strike-flow", {"minutes": 0}, {"minutes": 1}),
    ("strike-flow", {"minutes": 1000}, {"minutes": 390}),
    ("leaderboard", {"n": 500}, {"n": 100}),
    ("leaderboard", {"n": 0}, {"n": 1}),
    ("leaderboard", {"n": -3}, {"n": 1}),
]


@pytest.mark.parametrize(("endpoint", "sent", "clamped"), CLAMPS)
def test_minutes_and_n_are_clamped(
    alpha: FlashAlpha,
    source: ff.Simulated,
    endpoint: str,
    sent: dict[str, int],
    clamped: dict[str, int],
) -> None:
    symbol = None if endpoint == "leaderboard" else "SPY"
    body = sdk_call(alpha, endpoint, symbol, **sent)
    assert body == in_process(source, endpoint, symbol, **clamped)
    if endpoint == "leaderboard":
        assert body["n"] == clamped["n"]
        assert len(body["entries"]) == min(clamped["n"], len(SYMBOLS))


def test_the_clamped_windows_are_one_bar_and_the_whole_session(alpha: FlashAlpha) -> None:
    one = alpha.flow_zero_dte_series("SPY", bar="1m", minutes=0)
    whole = alpha.flow_zero_dte_series("SPY", bar="1m", minutes=1000)
    assert 1 <= len(one["bars"]) <= 2
    # 09:30 to 14:45 ET in 1-minute bars
    assert len(whole["bars"]) > 300 and whole["bars"][0]["t"] <= f"{DATE}T13:31:00Z"


@pytest.mark.parametrize("raw", [" spy ", "spy", "Spy", "\tSPY\n", " qqq"])
def test_symbols_are_trimmed_and_upper_cased(
    alpha: FlashAlpha, source: ff.Simulated, raw: str, url: str
) -> None:
    symbol = raw.strip().upper()
    assert alpha.flow_zero_dte_series(raw, bar="5m") == in_process(
        source, "series", symbol, bar="5m"
    )
    assert alpha.flow_zero_dte_snapshot(raw) == in_process(source, "snapshot", symbol)
    # the SDK escapes the symbol as one path segment; the same request by hand
    path = f"{PREFIX}/hedge-flow/{quote(raw, safe='')}"
    assert "%20" in path or "%09" in path or raw.strip() == raw
    r = httpx.get(f"{url}{path}", headers={"X-Api-Key": "kalpha"}, params={"side": "calls"})
    assert r.status_code == 200
    assert r.json() == in_process(source, "hedge-flow", symbol, side="calls")


# --------------------------------------------------------------------------- errors

BAD_PARAMS: list[tuple[str, str | None, dict[str, Any], str]] = [
    ("hedge-flow", "SPY", {"side": "both"}, "invalid_side"),
    ("hedge-flow", "SPY", {"side": "CALLS"}, "invalid_side"),
    ("series", "SPY", {"bar": "2m"}, "invalid_bar"),
    ("hedge-flow", "SPY", {"bar": "1h"}, "invalid_bar"),
    ("heatmap", "SPY", {"metric": "gamma"}, "invalid_metric"),
    ("leaderboard", None, {"metric": "volume"}, "invalid_metric"),
    ("heatmap", "SPY", {"mode": "diff"}, "invalid_mode"),
    ("heatmap", "SPY", {"bar": "5m"}, "bar_unavailable"),
    ("heatmap", "SPY", {"bar": "30s"}, "bar_unavailable"),
    ("strike-flow", "SPY", {"bar": "15m"}, "bar_unavailable"),
    ("snapshot", "SPY", {"expiry": "2026-13-01"}, "invalid_expiry"),
    ("snapshot", "SPY", {"expiry": "tomorrow"}, "invalid_expiry"),
    ("snapshot", "SPY", {"expiry": "2026-9-18"}, "invalid_expiry"),
]


@pytest.mark.parametrize(
    ("endpoint", "symbol", "params", "code"),
    BAD_PARAMS,
    ids=[f"{c}-{e}-{'-'.join(p.values())}" for e, _, p, c in BAD_PARAMS],
)
def test_documented_400s_reach_the_sdk(
    alpha: FlashAlpha, endpoint: str, symbol: str | None, params: Any, code: str
) -> None:
    with pytest.raises(FlashAlphaError) as info:
        sdk_call(alpha, endpoint, symbol, **params)
    exc = info.value
    assert type(exc) is FlashAlphaError  # a 400 has no class of its own in the SDK
    assert exc.status_code == 400
    assert set(exc.response) == {"error", "message"}
    assert exc.response["error"] == code
    assert exc.response["message"] and str(exc) == exc.response["message"]


def test_the_400_body_is_the_hosted_one(alpha: FlashAlpha) -> None:
    with pytest.raises(FlashAlphaError) as info:
        alpha.flow_zero_dte_hedge_flow("SPY", side="both")
    assert info.value.response == fixture("error_400_invalid_side.json")


def test_missing_key_is_401(sdk: Callable[[str], FlashAlpha]) -> None:
    empty = sdk("")  # the SDK sends "X-Api-Key: " (empty)
    with pytest.raises(AuthenticationError) as info:
        empty.flow_zero_dte_series("SPY")
    assert info.value.status_code == 401
    assert info.value.response == {
        "title": "Unauthorized",
        "status": 401,
        "detail": "Missing API key.",
    }
    absent = sdk("kalpha")
    del absent._session.headers["X-Api-Key"]  # no header at all
    with pytest.raises(AuthenticationError) as info:
        absent.flow_zero_dte_leaderboard()
    assert info.value.status_code == 401
    assert str(info.value) == "Missing API key."


@pytest.mark.parametrize("key", ["nope", "kalph", "kalphaa", "KALPHA", "k" * 300])
def test_unknown_key_is_401(sdk: Callable[[str], FlashAlpha], key: str) -> None:
    with pytest.raises(AuthenticationError) as info:
        sdk(key).flow_zero_dte_snapshot("SPY")
    assert info.value.status_code == 401
    assert info.value.response == fixture("error_401.json")
    assert key not in str(info.value)


@pytest.mark.parametrize(
    ("key", "endpoint", "current", "required"),
    [
        ("kgrowth", "heatmap", "Growth", "Alpha"),
        ("kgrowth", "strike-flow", "Growth", "Alpha"),
        ("kgrowth", "leaderboard", "Growth", "Alpha"),
        ("kbasic", "series", "Basic", "Growth"),
        ("kbasic", "snapshot", "Basic", "Growth"),
        ("kbasic", "heatmap", "Basic", "Alpha"),
        ("kfree", "hedge-flow", "Free", "Growth"),
    ],
)
def test_plan_too_low_is_403_with_plan_names(
    sdk: Callable[[str], FlashAlpha], key: str, endpoint: str, current: str, required: str
) -> None:
    symbol = None if endpoint == "leaderboard" else "SPY"
    with pytest.raises(TierRestrictedError) as info:
        sdk_call(sdk(key), endpoint, symbol)
    exc = info.value
    assert exc.status_code == 403
    assert (exc.current_plan, exc.required_plan) == (current, required)
    assert exc.response == {
        "status": "ERROR",
        "error": "tier_restricted",
        "message": f"This endpoint requires the {required} plan or higher.",
        "current_plan": current,
        "required_plan": required,
    }
    if (current, required) == ("Growth", "Alpha"):
        assert exc.response == fixture("error_403_tier.json")


def test_growth_reaches_its_own_endpoints(
    sdk: Callable[[str], FlashAlpha], source: ff.Simulated
) -> None:
    growth = sdk("kgrowth")
    assert growth.flow_zero_dte_series("SPY") == in_process(source, "series", "SPY")
    assert growth.flow_zero_dte_hedge_flow("SPY") == in_process(source, "hedge-flow", "SPY")
    assert growth.flow_zero_dte_snapshot("SPY") == in_process(source, "snapshot", "SPY")


@pytest.mark.parametrize("symbol", ["ZZZZ", "TSLA", "zzzz "])
def test_snapshot_of_an_unknown_symbol_is_404(alpha: FlashAlpha, symbol: str) -> None:
    # TSLA has a profile but is not one of this session's symbols
    with pytest.raises(NotFoundError) as info:
        alpha.flow_zero_dte_snapshot(symbol)
    name = symbol.strip().upper()
    assert info.value.status_code == 404
    assert info.value.response == {"error": "symbol_not_found", "message": f"No data for {name}."}
    if name == "ZZZZ":
        assert info.value.response == fixture("error_404_symbol.json")


def test_other_endpoints_answer_an_unknown_symbol_with_empty_bars(alpha: FlashAlpha) -> None:
    assert alpha.flow_zero_dte_series("ZZZZ")["bars"] == []
    assert alpha.flow_zero_dte_hedge_flow("ZZZZ", side="calls")["bars"] == []


# --------------------------------------------------------------------------- quotas


@pytest.fixture
def fresh(source: ff.Simulated) -> Iterator[str]:
    """A server of its own, so that the quota counts start at zero."""
    with running(serve(source)) as base:
        yield base


def test_free_key_sixth_call_is_429_with_retry_after(
    sdk: Callable[..., FlashAlpha], fresh: str
) -> None:
    free = sdk("kfree", fresh)
    for _ in range(5):  # each call is debited, even those the plan refuses
        with pytest.raises(TierRestrictedError) as refused:
            free.flow_zero_dte_series("SPY")
        assert refused.value.current_plan == "Free"
    with pytest.raises(RateLimitError) as info:
        free.flow_zero_dte_series("SPY")
    exc = info.value
    assert exc.status_code == 429
    assert exc.retry_after == RETRY_AFTER == 18900
    assert exc.response == {
        "status": "ERROR",
        "error": "Quota exceeded",
        "message": (
            "You have exceeded your daily API quota of 5 requests on the Free plan. "
            "Please upgrade to Basic for a higher limit."
        ),
        "current_plan": "Free",
        "limit": 5,
        "upgrade_to": "Basic",
        "reset_at": "2026-09-19T00:00:00Z",
    }
    # spent for every endpoint, and the other keys are untouched
    with pytest.raises(RateLimitError):
        free.flow_zero_dte_leaderboard()
    assert sdk("kalpha", fresh).flow_zero_dte_leaderboard()["entries"]


def get(url: str, key: str | None, path: str = "series/SPY", **params: Any) -> httpx.Response:
    headers = {} if key is None else {"X-Api-Key": key}
    return httpx.get(f"{url}{PREFIX}/{path}", headers=headers, params=params, timeout=30)


def quota(r: httpx.Response) -> tuple[str | None, str | None, str | None]:
    h = r.headers
    return h.get("x-ratelimit-limit"), h.get("x-ratelimit-remaining"), h.get("x-ratelimit-reset")


def test_quota_headers_count_down_per_key(fresh: str) -> None:
    growth = [get(fresh, "kgrowth") for _ in range(3)]
    basic = [get(fresh, "kbasic", "leaderboard") for _ in range(2)]  # 403s are debited too
    growth.append(get(fresh, "kgrowth", "hedge-flow/SPY", side="nope"))  # and 400s
    assert [r.status_code for r in growth] == [200, 200, 200, 400]
    assert [r.status_code for r in basic] == [403, 403]
    assert [quota(r) for r in growth] == [
        ("2500", str(n), RESET_UNIX) for n in (2499, 2498, 2497, 2496)
    ]
    assert [quota(r) for r in basic] == [("250", str(n), RESET_UNIX) for n in (249, 248)]
    # alpha is unlimited, and says so
    for _ in range(3):
        assert quota(get(fresh, "kalpha", "heatmap/SPY")) == ("unlimited", "unlimited", RESET_UNIX)


def test_free_key_headers_reach_zero_then_429(fresh: str) -> None:
    answers = [get(fresh, "kfree") for _ in range(6)]
    assert [r.status_code for r in answers] == [403] * 5 + [429]
    assert [quota(r)[1] for r in answers] == ["4", "3", "2", "1", "0", "0"]
    assert all(quota(r)[0] == "5" and quota(r)[2] == RESET_UNIX for r in answers)
    last = answers[-1]
    assert last.headers["retry-after"] == str(RETRY_AFTER)
    assert "retry-after" not in answers[0].headers
    assert last.json()["reset_at"] == "2026-09-19T00:00:00Z"


def test_what_is_not_debited_carries_no_quota_headers(fresh: str) -> None:
    for r in (
        get(fresh, None),
        get(fresh, "wrong"),
        get(fresh, "kgrowth", "nowhere/SPY"),  # no route: answered before the key is read
    ):
        assert r.status_code in (401, 404)
        assert quota(r) == (None, None, None)
    assert quota(get(fresh, "kgrowth"))[1] == "2499"  # the first debit


def test_quota_resets_at_midnight_utc(source: ff.Simulated) -> None:
    clock = {"now": WALL}
    application = app(source, {"kfree": "free"}, now=lambda: clock["now"])
    with running(application) as base:
        assert [get(base, "kfree").status_code for _ in range(6)][-1] == 429
        clock["now"] = RESET - dt.timedelta(seconds=1)
        spent = get(base, "kfree")
        assert spent.status_code == 429 and spent.headers["retry-after"] == "1"
        clock["now"] = RESET
        again = get(base, "kfree")
        assert again.status_code == 403 and quota(again)[1] == "4"
        next_reset = RESET + dt.timedelta(days=1)
        assert quota(again)[2] == str(int(next_reset.timestamp()))


# --------------------------------------------------------------------------- flowframe's client


@pytest.fixture
def client(url: str) -> Iterator[ff.FlashAlpha]:
    with ff.FlashAlpha("kalpha", base_url=url) as fa:
        yield fa


def same_attrs(got: Mapping[Any, Any], want: Mapping[Any, Any]) -> None:
    assert got["source"].startswith("FlashAlpha(http://127.0.0.1:")
    assert {k: v for k, v in got.items() if k != "source"} == {
        k: v for k, v in want.items() if k != "source"
    }


@pytest.mark.parametrize(
    "params",
    [{}, {"bar": "1m", "minutes": 120}, {"bar": "5m", "minutes": 390}, {"bar": "15m"}],
)
def test_flowframe_client_loads_the_same_series(
    client: ff.FlashAlpha, source: ff.Simulated, params: Any
) -> None:
    got, want = ff.series("SPY", source=client, **params), ff.series("SPY", source=source, **params)
    pd.testing.assert_frame_equal(got, want)
    same_attrs(got.attrs, want.attrs)


@pytest.mark.parametrize("side", ["all", "calls", "puts", "split"])
def test_flowframe_client_loads_the_same_hedge_flow(
    client: ff.FlashAlpha, source: ff.Simulated, side: str
) -> None:
    got = ff.hedge_flow("QQQ", side=side, bar="1m", minutes=90, source=client)
    want = ff.hedge_flow("QQQ", side=side, bar="1m", minutes=90, source=source)
    pd.testing.assert_frame_equal(got, want)
    same_attrs(got.attrs, want.attrs)


@pytest.mark.parametrize(
    ("metric", "mode"), [("gex", "raw"), ("dex", "delta"), ("oi", "raw"), ("signed_flow", "raw")]
)
def test_flowframe_client_loads_the_same_heatmap(
    client: ff.FlashAlpha, source: ff.Simulated, metric: str, mode: str
) -> None:
    got = ff.heatmap("SPY", metric=metric, mode=mode, minutes=45, source=client)
    want = ff.heatmap("SPY", metric=metric, mode=mode, minutes=45, source=source)
    xr.testing.assert_equal(got, want)
    assert got.dtype == want.dtype and got.dims == want.dims
    same_attrs(got.attrs, want.attrs)


def test_flowframe_client_loads_the_same_strike_flow_leaderboard_and_snapshot(
    client: ff.FlashAlpha, source: ff.Simulated
) -> None:
    got = ff.strike_flow("SPY", minutes=30, source=client)
    want = ff.strike_flow("SPY", minutes=30, source=source)
    xr.testing.assert_equal(got, want)
    assert {k: v.dtype for k, v in got.data_vars.items()} == {
        k: v.dtype for k, v in want.data_vars.items()
    }
    same_attrs(got.attrs, want.attrs)

    for metric in ("heat", "pin_risk", "abs_flow", "charm_intensity"):
        board = ff.leaderboard(metric=metric, n=2, source=client)
        pd.testing.assert_frame_equal(board, ff.leaderboard(metric=metric, n=2, source=source))

    for symbol in SYMBOLS:
        snap, local = ff.snapshot(symbol, source=client), ff.snapshot(symbol, source=source)
        assert snap == local and snap.status == local.status == "live"
        pd.testing.assert_frame_equal(snap.strikes, local.strikes)
        assert snap.source.startswith("FlashAlpha(http://127.0.0.1:")


def test_flowframe_client_reads_the_servers_quota_and_errors(
    url: str, source: ff.Simulated
) -> None:
    with ff.FlashAlpha("kgrowth", base_url=url, max_retries=0) as growth:
        ff.series("SPY", source=growth)
        first = growth.quota
        assert first is not None and first.limit == 2500 and first.remaining is not None
        ff.series("SPY", source=growth)
        second = growth.quota
        assert second is not None and second.remaining == first.remaining - 1
        assert second.reset == RESET
        with pytest.raises(ff.TierRestrictedError):
            ff.heatmap("SPY", source=growth)
    with (
        ff.FlashAlpha("not-a-key", base_url=url, max_retries=0) as stranger,
        pytest.raises(ff.AuthenticationError),
    ):
        ff.series("SPY", source=stranger)
    with ff.FlashAlpha("kalpha", base_url=url) as alpha, pytest.raises(ff.NotFoundError):
        ff.snapshot("ZZZZ", source=alpha)
