"""The engine's snapshot: every hosted block, with fields in range and consistent."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flowframe as ff
from flowframe.sources.engine.decision.body import decision_inputs, probabilities, snapshot_body
from flowframe.sources.engine.simulated import Simulated

DAY = "2026-09-18"

# the hosted body's fields, block by block (API.md; the published full 0DTE exposure body)
HOSTED = {
    "regime": {
        "label",
        "description",
        "gamma_flip",
        "spot_vs_flip",
        "spot_to_flip_pct",
        "distance_to_flip_dollars",
        "distance_to_flip_sigmas",
    },
    "exposures": {
        "net_gex",
        "net_dex",
        "net_vex",
        "net_chex",
        "pct_of_total_gex",
        "total_chain_net_gex",
    },
    "expected_move": {
        "implied_1sd_dollars",
        "implied_1sd_pct",
        "remaining_1sd_dollars",
        "remaining_1sd_pct",
        "upper_bound",
        "lower_bound",
        "straddle_price",
        "atm_iv",
    },
    "pin_risk": {
        "magnet_strike",
        "magnet_gex",
        "distance_to_magnet_pct",
        "pin_score",
        "components",
        "max_pain",
        "oi_concentration_top3_pct",
        "description",
    },
    "decay": {
        "net_theta_dollars",
        "theta_per_hour_remaining",
        "charm_regime",
        "charm_description",
        "gamma_acceleration",
        "description",
    },
    "vol_context": {
        "zero_dte_atm_iv",
        "seven_dte_atm_iv",
        "iv_ratio_0dte_7dte",
        "vix",
        "skew_25d",
        "vanna_exposure",
        "vanna_interpretation",
        "description",
    },
    "flow": {
        "total_volume",
        "call_volume",
        "put_volume",
        "net_call_minus_put_volume",
        "total_oi",
        "call_oi",
        "put_oi",
        "pc_ratio_volume",
        "pc_ratio_oi",
        "volume_to_oi_ratio",
        "atm_volume_share_pct",
        "top3_strike_volume_pct",
    },
    "levels": {
        "call_wall",
        "call_wall_gex",
        "call_wall_strength",
        "distance_to_call_wall_pct",
        "put_wall",
        "put_wall_gex",
        "put_wall_strength",
        "distance_to_put_wall_pct",
        "distance_to_magnet_dollars",
        "highest_oi_strike",
        "highest_oi_total",
        "max_positive_gamma",
        "max_negative_gamma",
    },
    "liquidity": {"atm_spread_pct", "weighted_spread_pct", "execution_score"},
    "metadata": {
        "snapshot_age_seconds",
        "chain_contract_count",
        "data_quality_score",
        "greek_smoothness_score",
    },
}
HOSTED_STRIKE = {
    "strike",
    "distance_from_spot_pct",
    "call_symbol",
    "put_symbol",
    "call_gex",
    "put_gex",
    "net_gex",
    "call_dex",
    "put_dex",
    "net_dex",
    "net_vex",
    "net_chex",
    "call_oi",
    "put_oi",
    "call_volume",
    "put_volume",
    "gex_share_pct",
    "oi_share_pct",
    "volume_share_pct",
    "call_iv",
    "put_iv",
    "call_delta",
    "put_delta",
    "call_gamma",
    "put_gamma",
    "call_theta",
    "put_theta",
    "call_mid",
    "put_mid",
    "call_spread_pct",
    "put_spread_pct",
}
CASES = [("SPX", "10:15"), ("SPY", "12:40"), ("QQQ", "14:50"), ("IWM", "15:45")]


@pytest.fixture(scope="module")
def bodies() -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for symbol, now in CASES:
        out[(symbol, now)] = Simulated(seed=21, date=DAY, now=now, scale=0.05).get_snapshot(symbol)
    return out


@pytest.mark.parametrize("case", CASES)
def test_every_hosted_field_is_there(
    bodies: dict[tuple[str, str], dict[str, Any]], case: tuple[str, str]
) -> None:
    body = bodies[case]
    for block, fields in HOSTED.items():
        assert fields <= set(body[block]), (block, fields - set(body[block]))
    assert set(body["strikes"][0]) >= HOSTED_STRIKE
    for block in ("flow_direction", "headline", "setup", "probabilities"):
        assert block in body
    assert body["market_open"] is True and body["symbol"] == case[0]


@pytest.mark.parametrize("case", CASES)
def test_fields_in_range(
    bodies: dict[tuple[str, str], dict[str, Any]], case: tuple[str, str]
) -> None:
    b = bodies[case]
    spot = b["underlying_price"]
    pin = b["pin_risk"]
    assert 0 <= pin["pin_score"] <= 100
    assert all(0 <= v <= 100 for v in pin["components"].values())
    assert set(pin["components"]) == {"oi_score", "proximity_score", "time_score", "gamma_score"}
    assert 0 <= pin["oi_concentration_top3_pct"] <= 100
    probs = b["probabilities"]
    for name in ("pin", "range_1sigma", "range_2sigma"):
        p = probs[name]
        assert 0 <= p["value"] <= 1 and p["low"] < p["high"] and p["band"] == [p["low"], p["high"]]
        assert p["calibration_method"] == "lognormal_atm_iv_v1"
    assert probs["range_2sigma"]["value"] >= probs["range_1sigma"]["value"]
    assert probs["pin"]["low"] == pytest.approx(
        pin["magnet_strike"] - probs["pin"]["high"] + pin["magnet_strike"]
    )
    em = b["expected_move"]
    assert em["upper_bound"] == pytest.approx(spot + em["remaining_1sd_dollars"], abs=0.011)
    assert em["lower_bound"] == pytest.approx(spot - em["remaining_1sd_dollars"], abs=0.011)
    # the ATM straddle is the mean absolute move: sqrt(2/pi) of one remaining sigma (MODEL.md 10)
    assert em["straddle_price"] == pytest.approx(
        math.sqrt(2 / math.pi) * em["remaining_1sd_dollars"], rel=0.02
    )
    assert 0 < b["time_to_close_hours"] <= 6.5
    assert 0 <= b["liquidity"]["execution_score"] <= 100
    assert b["metadata"]["data_quality_score"] > 99  # quote rule + tick test cover every print
    shares = sum(r["oi_share_pct"] for r in b["strikes"])
    assert shares == pytest.approx(100.0, abs=0.1)
    assert b["regime"]["label"] in ("positive_gamma", "negative_gamma", "neutral")
    assert b["headline"]["severity"] in ("info", "watch", "alert")
    assert b["headline"]["trade_angle"] in ("pin", "range", "breakout", "low_signal")


@pytest.mark.parametrize("case", CASES)
def test_hedging_buckets_follow_the_regime(
    bodies: dict[tuple[str, str], dict[str, Any]], case: tuple[str, str]
) -> None:
    b = bodies[case]
    h = b["hedging"]
    gex = b["exposures"]["net_gex"]
    for label, move in (("10bp", 0.001), ("25bp", 0.0025), ("half_pct", 0.005), ("1pct", 0.01)):
        up, down = h[f"spot_up_{label}"], h[f"spot_down_{label}"]
        assert up["dealer_shares_to_trade"] == -down["dealer_shares_to_trade"]
        assert up["notional_usd"] == pytest.approx(
            -gex * move / 0.01, rel=1e-3, abs=b["underlying_price"]
        )
        # long gamma sells rallies, short gamma buys them
        assert up["direction"] == ("sell" if gex > 0 else "buy")


def test_odds_at_the_open() -> None:
    body = Simulated(seed=5, date=DAY, now="09:31", scale=0.02).get_snapshot("SPY")
    probs = body["probabilities"]
    assert probs["range_1sigma"]["value"] == pytest.approx(0.6827, abs=0.02)
    assert probs["range_2sigma"]["value"] == pytest.approx(0.9545, abs=0.01)


def test_setup_hints_are_listed_strikes(bodies: dict[tuple[str, str], dict[str, Any]]) -> None:
    for body in bodies.values():
        listed = {row["strike"] for row in body["strikes"]}
        setup = body["setup"]
        for verdict in [setup["primary"], *setup["alternatives"]]:
            assert set(verdict["strikes_hint"].values()) <= listed
            assert isinstance(verdict["conditions_met"], list) and isinstance(
                verdict["conditions_failed"], list
            )
        assert setup["primary"]["conditions_failed"] == [] or setup["primary"]["key"] == "wait"


def test_headline_promotes_a_percentage(bodies: dict[tuple[str, str], dict[str, Any]]) -> None:
    for body in bodies.values():
        promoted = body["headline"]["promoted"]
        assert promoted["pin_probability_pct"] == pytest.approx(
            body["probabilities"]["pin"]["value"] * 100, abs=0.01
        )


def test_snapshot_object_reads_the_engine_body() -> None:
    sim = Simulated(seed=21, date=DAY, now="15:20", scale=0.05)
    snap = ff.snapshot("SPY", source=sim)
    assert snap.headline is not None and snap.setup is not None and snap.setup.primary is not None
    assert snap.probabilities is not None and snap.probabilities.pin is not None
    assert len(snap.strikes) == len(sim.market("SPY").chain["strike"].unique())
    card = snap._repr_html_()
    assert snap.headline.narrative is not None and snap.headline.narrative.split(" ")[0] in card
    assert "odds at the close:" in card and "levels:" in card


def test_flow_only_prior_snapshot_is_consistent() -> None:
    sim = Simulated(
        seed=2,
        date=DAY,
        now="13:00",
        scale=0.05,
        symbols=("SPY",),
        config=ff.EngineConfig(dealer_prior="flow_only"),
    )
    body = sim.get_snapshot("SPY")
    nets = np.array([r["net_gex"] for r in body["strikes"]])
    assert nets.sum() == pytest.approx(body["exposures"]["net_gex"], rel=1e-9)


# --------------------------------------------------------------------- a function of the state


@pytest.fixture(scope="module")
def day() -> Simulated:
    return Simulated(seed=4, date=DAY, scale=0.02, symbols=("SPX", "QQQ"))


@pytest.mark.parametrize("clock", ["09:30:10", "09:31", "11:47:13", "14:00", "15:59:59"])
def test_snapshot_body_from_the_state_alone_is_the_local_snapshot(
    day: Simulated, clock: str
) -> None:
    """``snapshot_body(state, now)`` needs no source: it is what ``get_snapshot`` answers.

    (The source adds the hosted envelope, ``endpoint_version`` and ``data_as_of``, last.)
    """
    src = day.at(clock).local("SPX")
    now = pd.Timestamp(f"{DAY} {clock}", tz="America/New_York")
    answered = src.get_snapshot("SPX")
    assert list(answered)[-2:] == ["endpoint_version", "data_as_of"]
    expected = {k: v for k, v in answered.items() if k not in ("endpoint_version", "data_as_of")}
    body = snapshot_body(day.local("SPX").state, now)
    assert body == expected
    assert json.dumps(body) == json.dumps(expected)  # the same keys in the same order
    assert body["as_of"] == now.tz_convert("UTC").isoformat().replace("+00:00", "Z")


def test_decision_inputs_read_the_last_completed_sample(day: Simulated) -> None:
    state = day.local("QQQ").state
    now = pd.Timestamp(f"{DAY} 12:00:45", tz="America/New_York")
    inp = decision_inputs(state, now)
    i = state.completed(now) - 1
    assert i == 300  # 150.75 minutes: 301 samples have ended
    assert inp.spot == float(state.spot[i]) and inp.net_gex == float(state.net_gex[i])
    assert inp.hours_left == pytest.approx(4 - 0.75 / 60)
    assert inp == decision_inputs(state, now)  # pure: the same moment reads the same
    # before the open the first sample stands in (as the calibration study reads it)
    early = decision_inputs(state, pd.Timestamp(f"{DAY} 09:00", tz="America/New_York"))
    assert early.spot == float(state.spot[0]) and early.hours_left == 7.0
    assert early.flow_z == 0.0  # fewer than five 30-minute flows: no evidence either way
    probs = probabilities(inp, float(state.tau[i]))
    assert 0.0 <= probs["pin"]["value"] <= 1.0
