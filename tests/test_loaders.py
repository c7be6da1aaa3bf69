"""Loaders on any source: the hosted client over HTTP, SampleSource, or a user's own."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import flowframe as ff
from flowframe.samples import SampleSource
from tests.fakeapi import KEY, FakeAPI


@pytest.fixture
def hosted(fake_api: FakeAPI) -> Any:
    with ff.FlashAlpha(KEY, base_url=fake_api.url, sleep=lambda s: None) as client:
        yield client


@pytest.fixture
def fresh_default() -> Any:
    ff._connect.reset_default_source()
    yield
    ff._connect.reset_default_source()


def test_no_key_means_the_simulated_session_with_one_warning(fresh_default: None) -> None:
    with pytest.warns(
        ff.FlowframeWarning, match=r"FLASHALPHA_API_KEY is not set.*simulated"
    ) as record:
        df = ff.hedge_flow("SPY", minutes=30)
        ff.series("SPY", minutes=30)  # the same default source: no second warning
    assert len(record) == 1
    assert df.attrs["source"].startswith("Simulated(seed=0")
    assert len(df) == 60


def test_a_key_means_the_hosted_client(
    fresh_default: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASHALPHA_API_KEY", KEY)
    source = ff.connect()
    assert isinstance(source, ff.FlashAlpha) and ff.connect() is source
    assert KEY not in repr(source)


def test_connect_with_arguments_builds_a_new_source(fresh_default: None) -> None:
    with pytest.warns(ff.FlowframeWarning):
        sim = ff.connect(seed=3, date="2026-09-18", now="11:00", scale=0.02)
    assert isinstance(sim, ff.Simulated) and sim.seed == 3
    assert ff._connect._default is None


def test_hedge_flow_over_http(hosted: ff.FlashAlpha, fake_api: FakeAPI) -> None:
    df = ff.hedge_flow("QQQ", side="calls", bar="5m", minutes=180, source=hosted)
    assert df.shape == (3, 2) and df.attrs["side"] == "calls"
    assert df.attrs["source"] == f"FlashAlpha({fake_api.url})"
    assert KEY not in repr(df.attrs)


def test_split_fetches_both_legs(hosted: ff.FlashAlpha, fake_api: FakeAPI) -> None:
    df = ff.hedge_flow("SPY", side="split", minutes=30, source=hosted)
    sides = sorted(r.query["side"][0] for r in fake_api.requests)
    assert sides == ["calls", "puts"]
    assert len(df) == 60 and df.attrs["side"] == "split"
    np.testing.assert_array_equal(df["bar"], df["calls_bar"] + df["puts_bar"])


def test_bad_side_sends_nothing(hosted: ff.FlashAlpha, fake_api: FakeAPI) -> None:
    with pytest.raises(
        ValueError, match=r"side='both' is not allowed; use one of 'all', 'calls', 'puts', 'split'"
    ):
        ff.hedge_flow("SPY", side="both", source=hosted)
    assert fake_api.count() == 0


def test_every_loader_over_http(hosted: ff.FlashAlpha) -> None:
    assert ff.series("SPY", bar="1m", source=hosted).shape == (60, 16)
    da = ff.heatmap("QQQ", metric="gex", mode="raw", source=hosted)
    assert da.shape == (2, 6) and da.name == "gex"
    ds = ff.strike_flow("QQQ", source=hosted)
    assert ds["contracts"].shape == (1, 3)
    assert ff.leaderboard(n=3, source=hosted)["symbol"].tolist() == ["QQQ", "SPX", "IWM"]
    snap = ff.snapshot("SPY", source=hosted)
    assert snap.status == "live" and snap.source.startswith("FlashAlpha(")
    assert ff.snapshot("CLOSED", source=hosted).status == "session_closed"


def test_identities_between_endpoints() -> None:
    src = SampleSource(seed=3, now="15:10")
    hedge = ff.hedge_flow("SPY", side="split", minutes=390, source=src)
    alls = ff.hedge_flow("SPY", minutes=390, source=src)
    series = ff.series("SPY", minutes=390, source=src)
    # all = calls + puts; cumulative = running sum of bar
    np.testing.assert_allclose(alls["bar"], hedge["calls_bar"] + hedge["puts_bar"], rtol=1e-12)
    np.testing.assert_allclose(alls["cumulative"], alls["bar"].cumsum(), rtol=1e-12)
    # series carries the same cumulatives as hedge-flow
    np.testing.assert_allclose(series["hedge_flow_cumulative_all"], alls["cumulative"], rtol=1e-12)
    np.testing.assert_allclose(
        series["hedge_flow_call_cumulative"], hedge["calls_cumulative"], rtol=1e-12
    )
    # heatmap delta is the difference of raw
    raw = ff.heatmap("SPY", minutes=390, source=src)
    delta = ff.heatmap("SPY", mode="delta", minutes=390, source=src)
    np.testing.assert_allclose(delta.values[1:], np.diff(raw.values, axis=0), atol=1e-3)
    pd.testing.assert_frame_equal(
        ff.resample_flow(alls, "5m"), ff.hedge_flow("SPY", bar="5m", minutes=390, source=src)
    )


class MyTape:
    """A user's own source: anything with the six methods works."""

    def __init__(self) -> None:
        self.inner = SampleSource(seed=9)
        self.name = "my tape"

    def __getattr__(self, item: str) -> Any:
        return getattr(self.inner, item)


def test_users_own_source() -> None:
    df = ff.hedge_flow("IWM", source=MyTape())
    assert df.attrs["source"] == "my tape" and len(df) == 120
    assert isinstance(SampleSource(), ff.Source)


def test_sample_payloads_are_plain_json() -> None:
    """SampleSource answers like a wire body: orjson can serialise every one (no numpy scalars)."""
    import orjson

    src = SampleSource(seed=4, now="12:30")
    bodies = [
        src.get_snapshot("SPY"),
        src.get_series("SPY", minutes=390),
        src.get_hedge_flow("SPY", side="puts", bar="15m", minutes=390),
        src.get_heatmap("SPY", metric="oi"),
        src.get_strike_flow("SPY"),
        src.get_leaderboard(metric="abs_flow"),
    ]
    for body in bodies:
        assert orjson.loads(orjson.dumps(body)) == body
