"""Gaps in the inputs: NaN spot prices are forward-filled and reported; no setup on NaN."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flowframe as ff
from flowframe.errors import FlowframeWarning, SchemaError
from flowframe.sources.engine.decision.inputs import DecisionInputs
from flowframe.sources.engine.decision.setups import WAIT, evaluate_setups, missing_inputs
from flowframe.sources.engine.market import Market
from flowframe.sources.engine.simulated import Simulated

DAY = "2026-09-18"


@pytest.fixture(scope="module")
def market() -> Market:
    return Simulated(seed=1, date=DAY, scale=0.02).market("SPY")


def local(market: Market, spot: pd.Series, tape: pd.DataFrame | None = None) -> ff.Local:
    return ff.Local(
        chain=market.chain,
        tape=market.tape if tape is None else tape,
        spot=spot,
        symbol="SPY",
        expiration=DAY,
        now="14:45",
    )


def test_one_nan_in_spot_is_forward_filled_warned_and_reported(market: Market) -> None:
    # before: one NaN turned the rest of the day's hedge-flow into NaN, without a word
    spot = market.spot.copy()
    gap_at = spot.index.get_loc(pd.Timestamp(f"{DAY} 11:00:00", tz="America/New_York"))
    assert isinstance(gap_at, int)
    spot.iloc[gap_at] = np.nan
    src = local(market, spot)
    with pytest.warns(FlowframeWarning, match=r"1 of 23,401 prices are NaN or infinite"):
        hf = ff.hedge_flow("SPY", minutes=390, source=src)
    assert len(hf) == 630 and not hf.isna().any().any()
    # forward-filling by hand gives the same numbers, bit for bit
    filled = local(market, spot.ffill())
    pd.testing.assert_frame_equal(
        hf, ff.hedge_flow("SPY", minutes=390, source=filled), check_like=True
    )
    series = ff.series("SPY", bar="1m", minutes=390, source=src)
    assert not series["spot"].isna().any() and not series["net_gex"].isna().any()
    report = src.report()
    assert report.to_dict("records")[1:] == [
        {
            "input": "spot",
            "reason": "spot_not_finite",
            "count": 1,
            "unit": "prices",
            "action": "NaN/inf prices skipped: the price before each carried forward",
        }
    ]
    assert report["count"].dtype == np.int64


def test_the_snapshot_after_a_gap_is_judged_on_finite_inputs(market: Market) -> None:
    spot = market.spot.copy()
    spot.iloc[100:400] = np.inf
    src = local(market, spot)
    with pytest.warns(FlowframeWarning, match="300 of 23,401"):
        snap = ff.snapshot("SPY", source=src)
    assert snap.status == "live"
    text = repr(snap.raw)
    assert "nan" not in text.lower() and "inf" not in text.replace("info", "")


def test_a_clean_session_reports_nothing(market: Market) -> None:
    src = local(market, market.spot)
    report = src.report()
    assert report["reason"].tolist() == ["used"]  # every print, nothing left out
    assert report["count"].tolist() == [len(market.tape)]
    assert list(report.columns) == ["input", "reason", "count", "unit", "action"]


def test_unused_prints_and_early_samples_are_counted(market: Market) -> None:
    tape = market.tape.copy()
    late = tape.iloc[:3].copy()
    late["t"] = pd.Timestamp(f"{DAY} 16:30", tz="America/New_York").tz_convert("UTC")
    unlisted = tape.iloc[3:5].copy()
    unlisted["strike"] = 12345.0
    tape = pd.concat([tape, late, unlisted]).sort_values("t", kind="stable")
    spot = market.spot[market.spot.index >= pd.Timestamp(f"{DAY} 09:31", tz="America/New_York")]
    report = local(market, spot, tape).report().set_index("reason")["count"].to_dict()
    assert report == {
        "used": len(market.tape),
        "before_first_spot": 1,
        "outside_session": 3,
        "strike_not_in_chain": 2,
    }


def test_a_spot_path_without_a_finite_price_is_refused(market: Market) -> None:
    spot = market.spot.copy()
    spot[:] = np.nan
    # checked when the source is built (issue 13), naming the first row
    with pytest.raises(
        SchemaError, match=r"spot path has no finite price \(all 23,401 .* spot row 0 "
    ):
        local(market, spot)


# --------------------------------------------------------------------- setups on NaN


def calm_pin(**kw: Any) -> DecisionInputs:
    """A moment where the Iron Fly qualifies with high confidence."""
    base: dict[str, Any] = {
        "symbol": "SPY",
        "spot": 600.0,
        "open_spot": 600.0,
        "hours_left": 1.5,
        "regime": "positive_gamma",
        "net_gex": 1.0e9,
        "gamma_flip": 590.0,
        "call_wall": 606.0,
        "put_wall": 594.0,
        "magnet": 600.0,
        "pin_score": 85.0,
        "atm_iv": 0.15,
        "sigma_rem": 1.5,
        "sigma_day": 5.67,
        "flow_label": "neutral",
        "flow_shift": 0.0,
        "strikes": tuple(float(k) for k in range(580, 621)),
        "strike_spacing": 1.0,
    }
    base.update(kw)
    return DecisionInputs(**base)


def test_the_pin_moment_qualifies_when_its_inputs_are_finite() -> None:
    block = evaluate_setups(calm_pin())
    assert block["primary"]["key"] == "iron_fly"


@pytest.mark.parametrize("field", ["flow_z", "flow_30m", "spot_change_30m", "pin_score", "spot"])
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_no_setup_is_issued_on_nan_inputs(field: str, bad: float) -> None:
    # before: the fly was issued with high confidence next to flow_z=nan
    inp = calm_pin(**{field: bad})
    assert missing_inputs(inp) == [field]
    block = evaluate_setups(inp)
    assert block["primary"]["key"] == WAIT
    assert block["alternatives"] == [] and block["anti_setups"] == []
    assert f"inputs not finite: {field} is {bad}" in block["primary"]["conditions_met"][0]


def test_a_missing_flip_is_not_a_nan_input() -> None:
    assert missing_inputs(calm_pin(gamma_flip=None, flow_shift=None)) == []
    assert missing_inputs(calm_pin(gamma_flip=math.nan)) == ["gamma_flip"]
