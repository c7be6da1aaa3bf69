"""Parameter validation: every bad value raises ValueError naming it, and sends nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

import flowframe as ff
from flowframe import _params


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


@pytest.mark.parametrize("minutes, sent", [(1, "1"), (390, "390"), (60.0, "60")])
def test_minutes_in_range_sent_as_is(make_client: Any, minutes: Any, sent: str) -> None:
    client = make_client()
    client.get_series("SPY", minutes=minutes)
    assert client.recorder.requests[0].url.params["minutes"] == sent


def test_validate_symbol_examples() -> None:
    assert _params.validate_symbol("  es=f ") == "ES=F"
    assert _params.hedge_flow("brk/b").path == "/v1/flow/zero-dte/hedge-flow/BRK%2FB"
