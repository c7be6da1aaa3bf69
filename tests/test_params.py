"""Parameter validation: every bad value raises ValueError naming it, and sends nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import unquote

import httpx
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import flowframe as ff
from flowframe import _params
from flowframe._constants import ROUTE_PREFIX


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda c: c.get_hedge_flow("SPY", side="both"),
            r"side='both' is not allowed; use one of 'all', 'calls', 'puts'",
        ),
        (lambda c: c.get_hedge_flow("SPY", side="ALL"), r"side='ALL'"),
        (
            lambda c: c.get_series("SPY", bar="2m"),
            r"bar='2m' is not allowed; use one of '30s', '1m', '5m', '15m'",
        ),
        (lambda c: c.get_hedge_flow("SPY", bar=30), r"bar=30 is not allowed"),
        (
            lambda c: c.get_heatmap("SPY", bar="5m"),
            r"bar='5m' is not allowed for heatmap; it serves bar='1m' only",
        ),
        (
            lambda c: c.get_strike_flow("SPY", bar="30s"),
            r"bar='30s' is not allowed for strike-flow",
        ),
        (lambda c: c.get_heatmap("SPY", bar="1h"), r"bar='1h' is not allowed; use one of '1m'"),
        (
            lambda c: c.get_heatmap("SPY", metric="gamma"),
            r"metric='gamma' is not allowed; use one of 'gex', 'dex', 'vex', 'chex', 'oi', 'signed_flow'",
        ),
        (
            lambda c: c.get_heatmap("SPY", mode="diff"),
            r"mode='diff' is not allowed; use one of 'raw', 'delta'",
        ),
        (
            lambda c: c.get_leaderboard(metric="gex"),
            r"metric='gex' is not allowed; use one of 'heat', 'pin_risk', 'abs_flow', 'charm_intensity'",
        ),
        (lambda c: c.get_leaderboard(n=0), r"n=0 is not allowed; use a whole number from 1 to 100"),
        (lambda c: c.get_leaderboard(n=2.5), r"n=2.5 is not allowed"),
        (lambda c: c.get_leaderboard(n="10"), r"n='10' is not allowed"),
        (
            lambda c: c.get_series("SPY", minutes=0),
            r"minutes=0 is not allowed; use a whole number from 1 to 390",
        ),
        (lambda c: c.get_series("SPY", minutes=-5), r"minutes=-5"),
        (lambda c: c.get_series("SPY", minutes=True), r"minutes=True"),
        (lambda c: c.get_series("SPY", minutes=None), r"minutes=None"),
        (lambda c: c.get_series(""), r"symbol must not be empty"),
        (lambda c: c.get_series("   "), r"symbol must not be empty"),
        (lambda c: c.get_series(None), r"symbol must be a string"),
        (lambda c: c.get_series("S P Y"), r"symbol 'S P Y' is not a ticker"),
        (lambda c: c.get_series("SP\tY"), r"not a ticker"),
        (lambda c: c.get_series("X" * 33), r"not a ticker"),
        (
            lambda c: c.get_snapshot("SPY", expiry="2026-13-01"),
            r"expiry='2026-13-01' is not allowed; use a datetime.date or a 'YYYY-MM-DD' string",
        ),
        (lambda c: c.get_snapshot("SPY", expiry="20260918"), r"expiry='20260918'"),
        (lambda c: c.get_snapshot("SPY", expiry="18/09/2026"), r"expiry="),
        (lambda c: c.get_snapshot("SPY", expiry=20260918), r"expiry=20260918"),
        (
            lambda c: c.get_snapshot("SPY", expiry=dt.datetime(2026, 9, 18, 15, 30)),
            r"carries a time of day",
        ),
    ],
)
def test_bad_parameters_send_nothing(make_client: Any, call: Any, match: str) -> None:
    client = make_client()
    with pytest.raises(ValueError, match=match):
        call(client)
    assert client.recorder.requests == []
    assert client.requests_sent == 0


def test_trailing_newline_is_trimmed_not_rejected(make_client: Any) -> None:
    # str.strip() removes it: the server trims too, so this is the same ticker
    client = make_client()
    client.get_series("spy\n")
    assert client.recorder.requests[0].url.path.endswith("/SPY")


@pytest.mark.parametrize(
    "expiry, sent",
    [
        (dt.date(2026, 9, 18), "2026-09-18"),
        ("2026-09-18", "2026-09-18"),
        (" 2026-09-18 ", "2026-09-18"),
        (dt.datetime(2026, 9, 18), "2026-09-18"),
        (pd.Timestamp("2026-09-18"), "2026-09-18"),
        (pd.Timestamp("2026-09-18", tz="America/New_York"), "2026-09-18"),
    ],
)
def test_expiry_forms(make_client: Any, expiry: Any, sent: str) -> None:
    client = make_client()
    client.get_snapshot("SPY", expiry=expiry)
    assert client.recorder.requests[0].url.params["expiry"] == sent


def test_minutes_above_the_range_are_clamped_with_a_warning(make_client: Any) -> None:
    client = make_client()
    with pytest.warns(
        ff.FlowframeWarning, match=r"minutes=1000 is above the server's limit; sending minutes=390"
    ):
        client.get_hedge_flow("SPY", minutes=1000)
    assert client.recorder.requests[0].url.params["minutes"] == "390"


def test_n_above_the_range_is_clamped_with_a_warning(make_client: Any) -> None:
    client = make_client()
    with pytest.warns(
        ff.FlowframeWarning, match=r"n=250 .* sending n=100 \(the server clamps n to 1..100\)"
    ):
        client.get_leaderboard(n=250)
    assert client.recorder.requests[0].url.params["n"] == "100"


def test_clamp_warning_points_at_the_callers_line(make_client: Any) -> None:
    client = make_client()
    with pytest.warns(ff.FlowframeWarning) as record:
        client.get_series("SPY", minutes=391)
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    "minutes, sent", [(1, "1"), (390, "390"), (np.int64(60), "60"), (np.uint16(30), "30")]
)
def test_minutes_in_range_sent_as_is(make_client: Any, minutes: Any, sent: str) -> None:
    client = make_client()
    client.get_series("SPY", minutes=minutes)
    assert client.recorder.requests[0].url.params["minutes"] == sent


def test_validate_symbol_examples() -> None:
    assert _params.validate_symbol("  es=f ") == "ES=F"
    assert _params.validate_symbol("brk.b") == "BRK.B"  # a dot inside a symbol is fine
    assert _params.validate_symbol(".spx") == ".SPX"
    assert _params.hedge_flow("brk/b").path == "/v1/flow/zero-dte/hedge-flow/BRK%2FB"


# --------------------------------------------------------------------- issue 13


@pytest.mark.parametrize("symbol", [".", "..", "...", " .. "])
def test_dot_segments_are_refused_and_send_nothing(make_client: Any, symbol: str) -> None:
    # before: get_series("..") went, key included, to /v1/flow/zero-dte?bar=... (httpx
    # collapses the dot segment)
    client = make_client()
    with pytest.raises(ValueError, match=r"is not a ticker: a symbol made only of dots"):
        client.get_series(symbol)
    assert client.recorder.requests == []
    with pytest.raises(ValueError, match="made only of dots"):
        ff.Simulated(seed=0).get_snapshot(symbol)


@pytest.mark.parametrize("symbol", ["ß", "ſpy", "ﬁ", "spyß", "ǆ", "Ｓ"])
def test_symbols_that_upper_case_to_ascii_are_refused(make_client: Any, symbol: str) -> None:
    # before: "ß".upper() == "SS", "ſpy".upper() == "SPY", "ﬁ".upper() == "FI" were accepted
    client = make_client()
    with pytest.raises(ValueError, match=r"is not a ticker: use 1 to 32 visible ASCII"):
        client.get_series(symbol)
    assert client.recorder.requests == []


@pytest.mark.parametrize(
    "call, value",
    [
        (lambda c, v: c.get_series("SPY", minutes=v), np.int64(60)),
        (lambda c, v: c.get_heatmap("SPY", minutes=v), np.int32(30)),
        (lambda c, v: c.get_leaderboard(n=v), np.int64(5)),
    ],
)
def test_numpy_integers_are_accepted(make_client: Any, call: Any, value: Any) -> None:
    # before: minutes=np.int64(60) was refused while np.float64(60.0) was accepted
    client = make_client()
    call(client, value)
    sent = client.recorder.requests[0].url.params
    assert sent.get("minutes", sent.get("n")) == str(int(value))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda c: c.get_series("SPY", minutes=60.0), r"minutes=60.0 is not allowed"),
        (lambda c: c.get_series("SPY", minutes=np.float64(60.0)), r"minutes=np.float64\(60.0\)"),
        (lambda c: c.get_leaderboard(n=np.float32(5)), r"n=np.float32\(5.0\) is not allowed"),
        (lambda c: c.get_leaderboard(n=5.0), r"n=5.0 is not allowed"),
        (lambda c: c.get_series("SPY", minutes=np.True_), r"minutes=np.True_ is not allowed"),
    ],
)
def test_floats_are_refused_alike(make_client: Any, call: Any, match: str) -> None:
    client = make_client()
    with pytest.raises(ValueError, match=match + ".*use a whole number from 1 to"):
        call(client)
    assert client.recorder.requests == []


texts = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.text(st.sampled_from(list(". /%ßſﬁsSpy\t")), max_size=6),  # the near misses
)


@settings(max_examples=400, deadline=None)
@example(".")
@example("..")
@example(" .. ")
@example("ß")
@example("ſpy")
@example("ﬁ")
@given(texts)
def test_a_symbol_is_refused_or_one_safe_path_segment(text: str) -> None:
    """Any text: a ValueError, or the text trimmed and upper-cased as one escaped segment."""
    stripped = text.strip()
    visible = all("!" <= c <= "~" for c in stripped)  # ASCII 0x21-0x7e
    try:
        symbol = _params.validate_symbol(text)
    except ValueError:
        assert not stripped or not visible or len(stripped) > 32 or set(stripped) == {"."}
        return
    assert visible and 1 <= len(stripped) <= 32  # checked before upper-casing
    assert symbol == stripped.upper() and symbol.strip(".")  # not only dots
    path = _params.series(text).path
    segment = path.removeprefix(f"{ROUTE_PREFIX}/series/")
    assert "/" not in segment and unquote(segment) == symbol
    # what httpx sends: the path as built, no segment collapsed
    assert httpx.URL("https://api.example" + path).path == unquote(path)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-(2**40), 2**40).flatmap(
        lambda i: st.sampled_from([i, np.int64(i), float(i), np.float64(i)])
    )
)
def test_integers_pass_and_floats_do_not(value: Any) -> None:
    is_int = isinstance(value, int | np.integer)
    try:
        got = _params.validate_int(value, "minutes", (1, 2**41))
    except ValueError:
        assert not is_int or value < 1
        return
    assert is_int and type(got) is int and got == int(value)
