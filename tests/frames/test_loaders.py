"""Loaders on any source: the hosted client over HTTP, SampleSource, or a user's own."""

from __future__ import annotations

import doctest
import importlib
import inspect
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

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
from flowframe.sources import default
from flowframe.sources.samples import SampleSource
from tests.fakeapi import KEY, FakeAPI


@pytest.fixture
def hosted(fake_api: FakeAPI) -> Any:
    with ff.FlashAlpha(KEY, base_url=fake_api.url, sleep=lambda s: None) as client:
        yield client


@pytest.fixture
def fresh_default() -> Any:
    default.reset_default_source()
    yield
    default.reset_default_source()


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


def test_a_key_set_later_is_honoured(fresh_default: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # a notebook: a cell without a key, then the key is set and connect() is called again
    monkeypatch.delenv("FLASHALPHA_API_KEY", raising=False)
    with pytest.warns(ff.FlowframeWarning, match="simulated"):
        first = ff.connect()
    assert isinstance(first, ff.Simulated)
    monkeypatch.setenv("FLASHALPHA_API_KEY", KEY)
    hosted = ff.connect()
    assert isinstance(hosted, ff.FlashAlpha) and ff.connect() is hosted
    monkeypatch.setenv("FLASHALPHA_API_KEY", KEY + "-other")
    other = ff.connect()
    assert isinstance(other, ff.FlashAlpha) and other is not hosted
    assert hosted._client.is_closed  # the replaced client was closed
    assert KEY not in repr(vars(default))  # only a digest of the key is kept
    monkeypatch.delenv("FLASHALPHA_API_KEY")
    with pytest.warns(ff.FlowframeWarning, match="simulated"):
        assert isinstance(ff.connect(), ff.Simulated)


def test_connect_with_arguments_builds_a_new_source(fresh_default: None) -> None:
    with pytest.warns(ff.FlowframeWarning):
        sim = ff.connect(seed=3, date="2026-09-18", now="11:00", scale=0.02)
    assert isinstance(sim, ff.Simulated) and sim.seed == 3
    assert default._default is None


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


# --------------------------------------------------------------------------- the bytes route


def test_loaders_read_the_hosted_bytes_into_equal_objects(
    hosted: ff.FlashAlpha, fake_api: FakeAPI
) -> None:
    """From the hosted client the loaders read the body's bytes (*_from_json); the objects
    equal the dict route's, one request each."""
    import orjson
    import xarray as xr

    from flowframe import frames

    name = f"FlashAlpha({fake_api.url})"
    cases: list[tuple[Any, Any, Any]] = [
        (
            lambda: ff.series("SPY", bar="1m", source=hosted),
            lambda: hosted.get_series("SPY", bar="1m"),
            frames.series_from_payload,
        ),
        (
            lambda: ff.hedge_flow("QQQ", side="calls", bar="5m", minutes=180, source=hosted),
            lambda: hosted.get_hedge_flow("QQQ", side="calls", bar="5m", minutes=180),
            frames.hedge_flow_from_payload,
        ),
        (
            lambda: ff.heatmap("QQQ", metric="gex", source=hosted),
            lambda: hosted.get_heatmap("QQQ", metric="gex"),
            frames.heatmap_from_payload,
        ),
        (
            lambda: ff.strike_flow("QQQ", source=hosted),
            lambda: hosted.get_strike_flow("QQQ"),
            frames.strike_flow_from_payload,
        ),
    ]
    for load, fetch, convert in cases:
        before = fake_api.count()
        loaded = load()
        assert fake_api.count() == before + 1
        expected = convert(fetch(), source=name)
        if isinstance(loaded, pd.DataFrame):
            pd.testing.assert_frame_equal(loaded, expected)
        else:
            xr.testing.assert_identical(loaded, expected)
        assert loaded.attrs == expected.attrs
    # and get_raw hands over the body exactly as sent
    raw = hosted.get_raw("heatmap", "QQQ", metric="gex")
    assert orjson.loads(raw) == hosted.get_heatmap("QQQ", metric="gex")


def test_split_over_the_bytes_route(hosted: ff.FlashAlpha) -> None:
    from flowframe import frames

    df = ff.hedge_flow("SPY", side="split", minutes=30, source=hosted)
    calls = hosted.get_hedge_flow("SPY", side="calls", minutes=30)
    puts = hosted.get_hedge_flow("SPY", side="puts", minutes=30)
    pd.testing.assert_frame_equal(
        df, frames.split_hedge_flow(calls, puts, source=df.attrs["source"])
    )


def test_a_body_that_is_not_json_through_a_loader(hosted: ff.FlashAlpha, fake_api: FakeAPI) -> None:
    from tests.fakeapi import Fault

    fake_api.script("heatmap", Fault.not_json())
    with pytest.raises(ff.SchemaError, match="heatmap body is not valid JSON") as caught:
        ff.heatmap("SPY", source=hosted)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)


@pytest.mark.parametrize(
    ("args", "params", "message"),
    [
        (("quotes", "SPY"), {}, r"endpoint='quotes' is not allowed; use one of 'snapshot'"),
        (("leaderboard", "SPY"), {}, "the leaderboard takes no symbol"),
        (("heatmap",), {}, "the heatmap endpoint needs a symbol"),
        (("heatmap", "SPY"), {"metric": "gamma"}, r"metric='gamma' is not allowed"),
        (("series", "SPY"), {"metric": "gex"}, r"series: .*unexpected keyword argument 'metric'"),
    ],
)
def test_get_raw_validates_before_sending(
    hosted: ff.FlashAlpha,
    fake_api: FakeAPI,
    args: tuple[str, ...],
    params: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        hosted.get_raw(*args, **params)
    assert fake_api.count() == 0


def test_async_get_raw(fake_api: FakeAPI) -> None:
    import asyncio

    import orjson

    async def main() -> bytes:
        async with ff.AsyncFlashAlpha(KEY, base_url=fake_api.url) as client:
            with pytest.raises(ValueError, match="the leaderboard takes no symbol"):
                client.get_raw("leaderboard", "SPY")  # at call time: nothing to await
            return await client.get_raw("leaderboard", n=3)

    body = asyncio.run(main())
    assert fake_api.count() == 1
    with ff.FlashAlpha(KEY, base_url=fake_api.url) as sync:
        assert orjson.loads(body) == sync.get_leaderboard(n=3)


# --------------------------------------------------------------------------- docstrings

LOADERS = [ff.hedge_flow, ff.series, ff.heatmap, ff.strike_flow, ff.snapshot, ff.leaderboard]
# the allowed values each loader's docstring must list, exactly (DESIGN.md: a bad parameter is
# a ValueError naming the allowed values, so the docs say the same)
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("hedge_flow", "side"): (*SIDES, "split"),
    ("hedge_flow", "bar"): BARS,
    ("series", "bar"): BARS,
    ("heatmap", "metric"): METRICS,
    ("heatmap", "mode"): MODES,
    ("heatmap", "bar"): GRID_BARS,
    ("strike_flow", "bar"): GRID_BARS,
    ("leaderboard", "metric"): LEADERBOARD_METRICS,
}
RANGES: dict[str, tuple[int, int]] = {"minutes": MINUTES_RANGE, "n": N_RANGE}


def numpydoc_sections(doc: str) -> dict[str, str]:
    """Split a numpydoc docstring into its sections: title -> body ("" for the summary)."""
    lines = inspect.cleandoc(doc).splitlines()
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for i, text in enumerate(lines):
        below = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if text.strip() and below == "-" * len(text.strip()):
            current = text.strip()
            sections[current] = []
        elif not (text.strip() and text.strip() == "-" * len(text.strip())):
            sections[current].append(text)
    return {title: "\n".join(body) for title, body in sections.items()}


def parameter_entries(section: str) -> dict[str, list[str]]:
    """Return each ``name : type`` entry of a Parameters section with its lines."""
    entries: dict[str, list[str]] = {}
    for text in section.splitlines():
        head = re.match(r"^(\w+) : ", text)
        if head:
            entries[head.group(1)] = [text]
        elif entries:
            entries[list(entries)[-1]].append(text)
    return entries


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
def test_loader_docstring_documents_every_parameter(loader: Any) -> None:
    sections = numpydoc_sections(loader.__doc__ or "")
    for title in ("Parameters", "Returns", "Raises", "See Also", "Examples"):
        assert sections.get(title, "").strip(), f"{loader.__name__}: no {title} section"
    signature = inspect.signature(loader)
    entries = parameter_entries(sections["Parameters"])
    assert list(entries) == list(signature.parameters)  # every parameter, in order
    for name, param in signature.parameters.items():
        head, text = entries[name][0], " ".join(entries[name])
        if param.default is inspect.Parameter.empty:
            assert "default" not in head and "optional" not in head, head
        elif param.default is None:
            assert head.endswith(", optional"), head
        elif isinstance(param.default, str):
            assert head.endswith(f', default "{param.default}"'), head
        else:
            assert head.endswith(f", default {param.default}"), head
        choices = CHOICES.get((loader.__name__, name))
        if choices is not None:
            listed = re.search(r"\{(.*)\}", head)
            assert listed is not None, head
            assert re.findall(r'"([^"]+)"', listed.group(1)) == list(choices)
        if name in RANGES:
            lo, hi = RANGES[name]
            assert f"from {lo} to {hi}" in text, text
    assert "ValueError" in sections["Raises"] and "SchemaError" in sections["Raises"]
    assert ">>> " in sections["Examples"]


@pytest.mark.parametrize(
    "module",
    [
        "flowframe.frames.loaders",
        "flowframe.frames.hedge_flow",
        "flowframe.frames.series",
        "flowframe.frames.grid",
        "flowframe.frames.leaderboard",
        "flowframe.frames.attrs",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    tests = doctest.DocTestFinder().find(importlib.import_module(module))
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0
    if module.endswith("loaders"):
        assert results.attempted >= 6 * 3  # every loader has runnable examples


@pytest.mark.parametrize("loader", [ff.hedge_flow, ff.series, ff.heatmap, ff.strike_flow])
def test_a_symbol_the_local_source_does_not_hold_is_said(loader: Any) -> None:
    # it used to come back as 0 rows without a word
    sim = ff.Simulated(seed=1, date="2026-09-18", now="12:00", scale=0.02)
    with pytest.warns(ff.FlowframeWarning, match=r"holds no data for 'XYZ' \(it holds SPX, SPY"):
        empty = loader("xyz", source=sim)
    assert (len(empty) if isinstance(empty, pd.DataFrame) else empty.sizes["bar"]) == 0
    market = sim.market("SPY")
    local = ff.Local(
        chain=market.chain,
        tape=market.tape,
        spot=market.spot,
        symbol="SPY",
        expiration="2026-09-18",
        now="12:00",
    )
    with pytest.warns(
        ff.FlowframeWarning, match=r"Local\(SPY 2026-09-18\) holds no data for 'QQQ'"
    ):
        loader("QQQ", source=local)
    held = loader("spy", source=local)  # a symbol it holds: no warning (warnings are errors)
    assert (len(held) if isinstance(held, pd.DataFrame) else held.sizes["bar"]) > 0
