"""The six ``get_*`` methods, written once: every shipped source validates and answers alike."""

from __future__ import annotations

from typing import Any

import pytest

import flowframe as ff
from flowframe import _params
from flowframe.sources.base import Source
from flowframe.sources.endpoints import EndpointMethods, Payload, symbol_not_found
from flowframe.sources.engine import market, simulated
from flowframe.sources.engine.local import Local
from flowframe.sources.engine.simulated import Simulated
from flowframe.sources.samples import SampleSource

DAY = "2026-09-18"
METHODS = (
    "get_snapshot",
    "get_series",
    "get_hedge_flow",
    "get_heatmap",
    "get_strike_flow",
    "get_leaderboard",
)


class Recording(EndpointMethods[Payload]):
    """The smallest source: it writes ``_get`` and records what reached it."""

    def __init__(self) -> None:
        self.requests: list[_params.Request] = []

    def _get(self, request: _params.Request) -> Payload:
        self.requests.append(request)
        return {"endpoint": request.endpoint, "symbol": request.symbol, **request.params}


@pytest.mark.parametrize("cls", [Local, Simulated, SampleSource, ff.FlashAlpha])
def test_every_shipped_source_has_the_one_set_of_methods(cls: type) -> None:
    for name in METHODS:
        assert getattr(cls, name) is getattr(EndpointMethods, name), (cls, name)


def test_a_source_writes_get_only() -> None:
    src = Recording()
    assert isinstance(src, Source)
    assert src.get_heatmap(" spy ", metric="dex", minutes=30) == {
        "endpoint": "heatmap",
        "symbol": "SPY",
        "metric": "dex",
        "mode": "raw",
        "bar": "1m",
        "minutes": "30",
    }
    assert src.get_leaderboard(n=3)["n"] == "3"
    with pytest.raises(ValueError, match="side='both' is not allowed"):
        src.get_hedge_flow("SPY", side="both")
    with pytest.raises(ValueError, match="bar='5m' is not allowed for strike-flow"):
        src.get_strike_flow("SPY", bar="5m")
    assert [r.endpoint for r in src.requests] == ["heatmap", "leaderboard"]  # none sent


def test_a_bad_parameter_fails_before_the_engine_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    generated: list[str] = []
    original = market.generate_market

    def counting(symbol: str, *args: Any, **kwargs: Any) -> Any:
        generated.append(symbol)
        return original(symbol, *args, **kwargs)

    monkeypatch.setattr(simulated, "generate_market", counting)
    sim = Simulated(seed=1, date=DAY, now="12:00", scale=0.01, symbols=("SPY",))
    with pytest.raises(ValueError, match="metric='gamma'"):
        sim.get_heatmap("SPY", metric="gamma")
    with pytest.raises(ValueError, match="minutes=0"):
        sim.get_series("SPY", minutes=0)
    with pytest.raises(ValueError, match="symbol"):
        sim.get_snapshot("")
    assert generated == []
    assert sim.get_series("SPY", minutes=5)["bars"] and generated == ["SPY"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Simulated(seed=1, date=DAY, now="12:00", scale=0.01, symbols=("SPY",)),
        lambda: Simulated(seed=1, date=DAY, now="12:00", scale=0.01, symbols=("SPY",)).local("SPY"),
        lambda: SampleSource(now="12:00"),
    ],
    ids=["Simulated", "Local", "SampleSource"],
)
def test_clamp_warning_points_at_the_callers_line(make: Any) -> None:
    src = make()
    with pytest.warns(ff.FlowframeWarning, match="minutes=391") as record:
        body = src.get_series("SPY", minutes=391)
    assert record[0].filename == __file__
    assert len(record) == 1  # validated once, even when Simulated hands over to Local
    assert body["bar_size"] == "30s"


def test_unknown_symbols_get_the_hosted_404() -> None:
    err = symbol_not_found("XYZ")
    assert isinstance(err, ff.NotFoundError)
    assert (err.status_code, err.code) == (404, "symbol_not_found")
    assert err.body == {"error": "symbol_not_found", "message": "No data for XYZ."}
    sim = Simulated(seed=1, date=DAY, now="12:00", scale=0.01, symbols=("SPY",))
    for src in (sim, sim.local("SPY")):
        with pytest.raises(ff.NotFoundError) as caught:
            src.get_snapshot("xyz")
        assert (caught.value.code, str(caught.value)) == (
            "symbol_not_found",
            str(symbol_not_found("XYZ")),
        )
        assert caught.value.body == err.body
