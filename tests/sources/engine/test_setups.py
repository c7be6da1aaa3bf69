from __future__ import annotations

import dataclasses
import json
import math
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowframe.sources.engine.decision.inputs import DecisionInputs
from flowframe.sources.engine.decision.setups import (
    DISPLAY_NAMES,
    HIGH_ODDS,
    PLAYS,
    TRADE_ANGLES,
    WAIT,
    Rule,
    confidence_of,
    evaluate_setups,
)

STRIKES = tuple(float(k) for k in range(560, 641))
VERDICT_KEYS = {
    "key",
    "display_name",
    "confidence",
    "conditions_met",
    "conditions_failed",
    "conditions",
    "strikes_hint",
    "odds",
    "thesis",
}
CONDITION_KEYS = {"id", "text", "met", "value", "op", "threshold", "margin"}


def make(**kw: Any) -> DecisionInputs:
    """A calm SPY moment (spot 600, 1 sigma = 2 points, strikes 560..640 by 1), then ``kw``."""
    base: dict[str, Any] = {
        "symbol": "SPY",
        "spot": 600.0,
        "open_spot": 600.0,
        "hours_left": 2.0,
        "regime": "positive_gamma",
        "net_gex": 1.0e9,
        "gamma_flip": 590.0,
        "call_wall": 605.0,
        "put_wall": 595.0,
        "magnet": 600.0,
        "pin_score": 40.0,
        "atm_iv": 0.15,
        "sigma_rem": 2.0,
        "sigma_day": 5.67,
        "flow_label": "neutral",
        "flow_shift": 0.0,
        "flow_30m": 0.0,
        "flow_z": 0.0,
        "accelerating": False,
        "spot_change_30m": 0.0,
        "strikes": STRIKES,
        "strike_spacing": 1.0,
    }
    base.update(kw)
    return DecisionInputs(**base)


def verdicts(block: dict[str, Any]) -> list[dict[str, Any]]:
    return [block["primary"], *block["alternatives"], *block["anti_setups"]]


def find(block: dict[str, Any], key: str) -> dict[str, Any]:
    found = [v for v in verdicts(block) if v["key"] == key]
    assert len(found) == 1, f"{key} listed {len(found)} times: {block}"
    return found[0]


def keys(items: list[dict[str, Any]]) -> list[str]:
    return [v["key"] for v in items]


# the hosted article's example: SPY 600.42, magnet 600, walls 598/603, pin score 71
HOSTED_EXAMPLE: dict[str, Any] = {
    "spot": 600.42,
    "magnet": 600.0,
    "call_wall": 603.0,
    "put_wall": 598.0,
    "pin_score": 71.0,
    "sigma_rem": 2.04,
    "hours_left": 1.5,
    "flow_label": "amplifying",
}

# One state per play that meets every one of its conditions, and, per condition, the change
# that breaks exactly that condition, with the start of its audit text.
IDEAL: dict[str, dict[str, Any]] = {
    # walls 599/602 sit inside the 1-sigma band, so the condor does not qualify
    "iron_fly": {
        "spot": 600.4,
        "pin_score": 75.0,
        "hours_left": 1.5,
        "flow_label": "dampening",
        "call_wall": 602.0,
        "put_wall": 599.0,
    },
    "iron_condor": {},
    # the flip 1 sigma below spot keeps the condor out
    "bull_put_spread": {"gamma_flip": 598.0},
    "bear_call_spread": {"gamma_flip": 602.0},
    "debit_spread": {
        "regime": "negative_gamma",
        "flow_z": 2.5,
        "flow_30m": 1.2e8,
        "spot_change_30m": 1.5,
        "hours_left": 3.0,
    },
    "breakout_straddle": {
        "regime": "negative_gamma",
        "flow_label": "amplifying",
        "gamma_flip": 599.5,
        "flow_z": 1.0,
        "hours_left": 3.0,
    },
    "lotto": {
        "regime": "negative_gamma",
        "hours_left": 1.0,
        "accelerating": True,
        "flow_30m": 5.0e7,
        "flow_z": 1.0,
        "spot_change_30m": 0.5,
    },
}

BREAKS: list[tuple[str, str, dict[str, Any]]] = [
    ("iron_fly", "regime = positive_gamma", {"regime": "negative_gamma"}),
    ("iron_fly", "spot within 0.3% of magnet", {"spot": 602.5}),
    ("iron_fly", "pin_score > 65", {"pin_score": 60.0}),
    ("iron_fly", "flow not against the pin", {"accelerating": True}),
    ("iron_fly", "flow not against the pin", {"flow_label": "regime_flip"}),
    ("iron_fly", "hours left in [0.25, 3]", {"hours_left": 4.0}),
    ("iron_fly", "hours left in [0.25, 3]", {"hours_left": 0.1}),
    ("iron_fly", "wing strikes listed", {"strikes": tuple(float(k) for k in range(560, 601))}),
    ("iron_condor", "regime = positive_gamma", {"regime": "negative_gamma"}),
    ("iron_condor", "spot between the walls, 1σ band inside", {"call_wall": 601.0}),
    ("iron_condor", "spot between the walls, 1σ band inside", {"spot": 606.0, "magnet": 606.0}),
    ("iron_condor", "distance_to_flip_sigmas > 1", {"gamma_flip": 599.0}),
    (
        "iron_condor",
        "strikes listed outside",
        {"strikes": tuple(float(k) for k in range(560, 607))},
    ),
    (
        "bull_put_spread",
        "regime = positive_gamma or flow = dampening",
        {"regime": "negative_gamma"},
    ),
    ("bull_put_spread", "spot above gamma flip", {"gamma_flip": 601.0}),
    ("bull_put_spread", "put wall >= 0.5σ below spot", {"put_wall": 599.5}),
    ("bull_put_spread", "flow_z > -2", {"flow_z": -2.5}),
    (
        "bull_put_spread",
        "put strikes listed",
        {"strikes": tuple(float(k) for k in range(596, 641))},
    ),
    (
        "bear_call_spread",
        "regime = positive_gamma or flow = dampening",
        {"regime": "negative_gamma"},
    ),
    ("bear_call_spread", "spot below gamma flip", {"gamma_flip": 598.0}),
    ("bear_call_spread", "call wall >= 0.5σ above spot", {"call_wall": 600.5}),
    ("bear_call_spread", "flow_z < 2", {"flow_z": 2.5}),
    (
        "bear_call_spread",
        "call strikes listed",
        {"strikes": tuple(float(k) for k in range(560, 605))},
    ),
    ("debit_spread", "regime = negative_gamma", {"regime": "positive_gamma"}),
    ("debit_spread", "|flow_z| >= 2", {"flow_z": 1.5}),
    ("debit_spread", "spot moving with the flow", {"spot_change_30m": -1.0}),
    ("debit_spread", "spot moving with the flow", {"spot_change_30m": 0.0}),
    (
        "debit_spread",
        "call spread strikes listed",
        {"strikes": tuple(float(k) for k in range(560, 601))},
    ),
    ("breakout_straddle", "regime = negative_gamma", {"regime": "positive_gamma"}),
    ("breakout_straddle", "flow = amplifying or an accelerating run", {"flow_label": "neutral"}),
    ("breakout_straddle", "spot within 0.5σ of the flip", {"gamma_flip": 596.0}),
    ("breakout_straddle", "spot within 0.5σ of the flip", {"gamma_flip": None}),
    ("breakout_straddle", "straddle and strangle strikes listed", {"strikes": (600.0, 601.0)}),
    ("lotto", "regime = negative_gamma", {"regime": "positive_gamma"}),
    ("lotto", "hours left <= 1.5", {"hours_left": 2.0}),
    ("lotto", "accelerating hedge-flow run", {"accelerating": False}),
    ("lotto", "OTM call strike listed", {"strikes": tuple(float(k) for k in range(560, 601))}),
]


def test_every_play_has_a_case_and_a_break_for_each_condition() -> None:
    assert set(IDEAL) == set(PLAYS)
    for play in PLAYS:
        verdict = find(evaluate_setups(make(**IDEAL[play])), play)
        broken = {prefix for p, prefix, _ in BREAKS if p == play}
        # every condition of the play is broken by at least one case
        assert len(broken) == len(verdict["conditions_met"]), (play, broken)


@pytest.mark.parametrize("play", PLAYS)
def test_ideal_state_makes_the_play_primary(play: str) -> None:
    block = evaluate_setups(make(**IDEAL[play]))
    primary = block["primary"]
    assert primary["key"] == play
    assert primary["display_name"] == DISPLAY_NAMES[play]
    assert primary["conditions_failed"] == []
    # every margin clears; the lotto's model odds of paying (about 1 in 10) cap it at medium
    assert primary["confidence"] == ("medium" if play == "lotto" else "high")
    assert (primary["odds"]["value"] < HIGH_ODDS) == (play == "lotto")
    assert primary["strikes_hint"]
    assert play not in keys(block["alternatives"]) + keys(block["anti_setups"])


@pytest.mark.parametrize(
    ("play", "prefix", "change"),
    BREAKS,
    ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(BREAKS)],
)
def test_breaking_one_condition_lists_exactly_it(
    play: str, prefix: str, change: dict[str, Any]
) -> None:
    block = evaluate_setups(make(**{**IDEAL[play], **change}))
    verdict = find(block, play)
    assert len(verdict["conditions_failed"]) == 1, verdict
    assert verdict["conditions_failed"][0].startswith(prefix), verdict
    assert block["primary"]["key"] != play
    # one failure out of four or more: still worth showing, at medium confidence
    if verdict in block["alternatives"]:
        assert verdict["confidence"] == "medium"


def test_audit_lines_carry_threshold_and_observed_value() -> None:
    fly = evaluate_setups(make(**{**IDEAL["iron_fly"], "pin_score": 71.0}))["primary"]
    assert "pin_score > 65 (is 71)" in fly["conditions_met"]
    assert "spot within 0.3% of magnet (is 0.07%: 600.40 vs 600.00)" in fly["conditions_met"]
    assert "hours left in [0.25, 3] (is 1.50 h)" in fly["conditions_met"]
    broken = find(evaluate_setups(make(**{**IDEAL["iron_fly"], "pin_score": 60.5})), "iron_fly")
    assert broken["conditions_failed"] == ["pin_score > 65 (is 60.5)"]


# ----------------------------------------------------------------------------- strikes hints


def test_iron_fly_legs_at_magnet_with_one_sigma_wings() -> None:
    hint = evaluate_setups(make(**IDEAL["iron_fly"]))["primary"]["strikes_hint"]
    assert hint == {
        "short_call_strike": 600.0,
        "short_put_strike": 600.0,
        "long_call_strike": 602.0,
        "long_put_strike": 598.0,
    }


def test_wings_round_outward_to_listed_strikes() -> None:
    strikes = tuple(float(k) for k in range(5900, 6101, 5))
    inp = make(
        **IDEAL["iron_fly"],
    )
    spx = dataclasses.replace(
        inp,
        spot=6001.0,
        magnet=6000.0,
        call_wall=6010.0,
        put_wall=5995.0,
        gamma_flip=5950.0,
        sigma_rem=12.0,
        strikes=strikes,
        strike_spacing=5.0,
    )
    hint = evaluate_setups(spx)["primary"]["strikes_hint"]
    # 6000 -/+ 12 rounds outward to 5985 / 6015, not to the nearer 5990 / 6010
    assert hint["long_put_strike"] == 5985.0
    assert hint["long_call_strike"] == 6015.0
    assert hint["short_call_strike"] == hint["short_put_strike"] == 6000.0


def test_condor_legs_at_walls_with_wings_two_spacings_out() -> None:
    hint = evaluate_setups(make())["primary"]["strikes_hint"]
    assert hint == {
        "short_call_strike": 605.0,
        "short_put_strike": 595.0,
        "long_call_strike": 607.0,
        "long_put_strike": 593.0,
    }


def test_credit_spreads_short_at_wall_long_one_spacing_out() -> None:
    bull = evaluate_setups(make(**IDEAL["bull_put_spread"], put_wall=595.5))["primary"]
    assert bull["key"] == "bull_put_spread"
    assert bull["strikes_hint"] == {"short_put_strike": 595.0, "long_put_strike": 594.0}
    bear = evaluate_setups(make(**IDEAL["bear_call_spread"], call_wall=604.5))["primary"]
    assert bear["strikes_hint"] == {"short_call_strike": 605.0, "long_call_strike": 606.0}


def test_straddle_at_the_strike_nearest_spot() -> None:
    block = evaluate_setups(make(**IDEAL["breakout_straddle"], spot=600.3))
    assert block["primary"]["strikes_hint"] == {
        "strike": 600.0,
        "call_strike": 601.0,
        "put_strike": 599.0,
    }


@pytest.mark.parametrize(("sign", "long", "short"), [(1.0, 600.0, 602.0), (-1.0, 600.0, 598.0)])
def test_debit_spread_follows_the_flow(sign: float, long: float, short: float) -> None:
    state = {**IDEAL["debit_spread"], "flow_z": 2.5 * sign, "spot_change_30m": 1.5 * sign}
    primary = evaluate_setups(make(**state))["primary"]
    assert primary["key"] == "debit_spread"
    assert primary["strikes_hint"] == {"long_strike": long, "short_strike": short}
    assert ("call" if sign > 0 else "put") in primary["thesis"]


@pytest.mark.parametrize(
    ("sign", "leg", "strike"), [(1.0, "long_call_strike", 602.0), (-1.0, "long_put_strike", 598.0)]
)
def test_lotto_buys_one_otm_option_in_the_direction_of_the_run(
    sign: float, leg: str, strike: float
) -> None:
    state = {**IDEAL["lotto"], "flow_30m": 5.0e7 * sign, "spot_change_30m": 0.5 * sign}
    assert evaluate_setups(make(**state))["primary"]["strikes_hint"] == {leg: strike}


def test_straddle_counts_a_fresh_cross_of_the_flip() -> None:
    # flip 1.5 sigma below spot, but spot came from 596 to 600 in 30 minutes: through it
    block = evaluate_setups(
        make(**{**IDEAL["breakout_straddle"], "gamma_flip": 597.0, "spot_change_30m": 4.0})
    )
    assert block["primary"]["key"] == "breakout_straddle"
    assert (
        "spot within 0.5σ of the flip or crossed it in 30 min (is crossed 597.00: 596.00 -> 600.00)"
        in block["primary"]["conditions_met"]
    )


def check_hint(hint: dict[str, float], strikes: tuple[float, ...]) -> None:
    for value in hint.values():
        assert isinstance(value, float)
        if strikes:
            assert value in strikes
    order = ["long_put_strike", "short_put_strike", "short_call_strike", "long_call_strike"]
    legs = [(k, hint[k]) for k in order if k in hint]
    for (ka, a), (kb, b) in pairwise(legs):
        if (ka, kb) == ("short_put_strike", "short_call_strike"):
            assert a <= b, hint  # a fly sells both at the magnet
        else:
            assert a < b, hint
    if "strike" in hint:
        assert hint["put_strike"] < hint["strike"] < hint["call_strike"]


@pytest.mark.parametrize("play", PLAYS)
def test_hints_are_listed_strikes_in_order(play: str) -> None:
    inp = make(**IDEAL[play])
    for verdict in verdicts(evaluate_setups(inp)):
        check_hint(verdict["strikes_hint"], inp.strikes)


def test_without_listed_strikes_hints_are_raw_prices_in_order() -> None:
    inp = make(**IDEAL["iron_fly"], strikes=())
    hint = evaluate_setups(inp)["primary"]["strikes_hint"]
    assert hint["long_put_strike"] == pytest.approx(598.0)
    assert hint["long_call_strike"] == pytest.approx(602.0)
    check_hint(hint, ())


# ----------------------------------------------------------------------------- anti-setups


def test_positive_gamma_with_tight_walls_makes_the_lotto_an_anti_setup() -> None:
    inp = make(**HOSTED_EXAMPLE)
    block = evaluate_setups(inp)
    assert block["primary"]["display_name"] == "Iron Fly"
    assert block["primary"]["confidence"] == "high"
    lotto = find(block, "lotto")
    assert lotto in block["anti_setups"]
    assert lotto["display_name"] == "Long Premium / Lotto"
    assert lotto["thesis"].startswith("Avoid — positive gamma + tight walls")
    assert "unlikely >1σ move into close" in lotto["thesis"]
    assert lotto["strikes_hint"] == {}


def test_wide_walls_are_no_reason_to_avoid_the_lotto() -> None:
    block = evaluate_setups(make(call_wall=620.0, put_wall=580.0))
    assert "lotto" not in keys(block["anti_setups"])


def test_long_premium_in_positive_gamma_with_high_pin_score_is_avoided() -> None:
    block = evaluate_setups(make(pin_score=70.0))
    anti = {v["key"]: v for v in block["anti_setups"]}
    assert {"breakout_straddle", "debit_spread"} <= set(anti)
    assert "pin score 70/100" in anti["breakout_straddle"]["thesis"]
    assert all(v["thesis"].startswith("Avoid — ") for v in anti.values())
    low = evaluate_setups(make(pin_score=64.9))
    assert "breakout_straddle" not in keys(low["anti_setups"])


def test_selling_premium_in_negative_gamma_with_amplifying_flow_is_avoided() -> None:
    block = evaluate_setups(make(regime="negative_gamma", flow_label="amplifying", flow_z=2.2))
    anti = keys(block["anti_setups"])
    for play in ("iron_fly", "iron_condor", "bull_put_spread", "bear_call_spread"):
        assert play in anti
        assert play not in keys(block["alternatives"])
        assert block["primary"]["key"] != play
    condor = find(block, "iron_condor")
    assert condor["thesis"].startswith("Avoid — negative gamma + amplifying flow (flow_z +2.2)")
    # the anti-setup keeps the play's own audit trail
    assert any(t.startswith("regime = positive_gamma") for t in condor["conditions_failed"])


def test_selling_puts_into_a_selloff_is_avoided() -> None:
    block = evaluate_setups(make(**IDEAL["bull_put_spread"], flow_z=-2.6, spot_change_30m=-1.1))
    bull = find(block, "bull_put_spread")
    assert bull in block["anti_setups"]
    assert "flow_z -2.6" in bull["thesis"] and "-1.10" in bull["thesis"]
    calm = evaluate_setups(make(**IDEAL["bull_put_spread"], flow_z=-2.6, spot_change_30m=0.2))
    assert "bull_put_spread" not in keys(calm["anti_setups"])


def test_selling_calls_into_a_squeeze_is_avoided() -> None:
    block = evaluate_setups(make(**IDEAL["bear_call_spread"], flow_z=2.6, spot_change_30m=1.1))
    assert "bear_call_spread" in keys(block["anti_setups"])


def test_anti_setup_confidence_follows_its_margins() -> None:
    strong = evaluate_setups(make(pin_score=90.0))
    weak = evaluate_setups(make(pin_score=66.0))
    assert find(strong, "breakout_straddle")["confidence"] == "high"
    assert find(weak, "breakout_straddle")["confidence"] == "medium"


# ----------------------------------------------------------------------------- Wait


def test_wait_when_nothing_qualifies() -> None:
    inp = make(magnet=603.0, gamma_flip=600.2, call_wall=600.5, put_wall=599.5)
    block = evaluate_setups(inp)
    wait = block["primary"]
    assert wait["key"] == WAIT
    assert wait["display_name"] == "Wait / No Trade"
    assert wait["conditions_failed"] == []
    assert wait["strikes_hint"] == {}
    assert "no play has every condition met" in wait["conditions_met"]
    # one play is a single condition away: named as the closest, and Wait is only medium
    assert keys(block["alternatives"]) == ["bear_call_spread"]
    assert wait["conditions_met"][1] == (
        "closest: Bear Call Credit Spread (fails: call wall >= 0.5σ above spot "
        "(is 0.25σ, wall 600.50))"
    )
    assert wait["confidence"] == "medium"


def test_wait_is_high_confidence_when_nothing_is_close() -> None:
    inp = make(
        regime="negative_gamma",
        magnet=610.0,
        gamma_flip=None,
        call_wall=600.5,
        put_wall=599.5,
        hours_left=5.0,
    )
    block = evaluate_setups(inp)
    assert block["primary"]["key"] == WAIT
    assert block["alternatives"] == []
    assert block["primary"]["confidence"] == "high"


def test_neutral_regime_forces_wait_and_keeps_the_play_as_alternative() -> None:
    inp = make(**IDEAL["bull_put_spread"], regime="neutral", flow_label="dampening", net_gex=1.2e7)
    block = evaluate_setups(inp)
    assert block["primary"]["key"] == WAIT
    assert block["primary"]["confidence"] == "high"
    assert "regime = neutral (is net GEX 1.2e+07)" in block["primary"]["conditions_met"]
    bull = find(block, "bull_put_spread")
    assert bull in block["alternatives"] and bull["conditions_failed"] == []
    assert block["alternatives"][0] is bull


def test_unconfirmed_regime_flip_forces_wait() -> None:
    block = evaluate_setups(make(**IDEAL["bull_put_spread"], flow_label="regime_flip"))
    assert block["primary"]["key"] == WAIT
    assert any(
        line.startswith("flow = regime_flip without confirmation")
        for line in block["primary"]["conditions_met"]
    )


def test_confirmed_regime_flip_lets_the_play_through() -> None:
    block = evaluate_setups(make(**IDEAL["debit_spread"], flow_label="regime_flip"))
    assert block["primary"]["key"] == "debit_spread"
    # strong flow but spot against it: not confirmed
    against = evaluate_setups(
        make(**{**IDEAL["debit_spread"], "flow_label": "regime_flip", "spot_change_30m": -0.5})
    )
    assert against["primary"]["key"] == WAIT


def test_premium_sellers_and_buyers_qualifying_together_is_a_conflict() -> None:
    inp = make(
        regime="negative_gamma",
        flow_label="dampening",
        accelerating=True,
        flow_30m=1.0e7,
        gamma_flip=600.5,
        hours_left=3.0,
    )
    block = evaluate_setups(inp)
    assert block["primary"]["key"] == WAIT
    alternatives = {v["key"]: v for v in block["alternatives"]}
    assert alternatives["bear_call_spread"]["conditions_failed"] == []
    assert alternatives["breakout_straddle"]["conditions_failed"] == []
    assert any("premium sellers and buyers" in line for line in block["primary"]["conditions_met"])


# ----------------------------------------------------------------------------- ranking


def test_priority_breaks_ties_and_alternatives_are_ordered() -> None:
    # fly, condor and bull put all qualify with high confidence: the fly is the most specific
    inp = make(pin_score=75.0, hours_left=1.5, spot=600.2)
    block = evaluate_setups(inp)
    assert block["primary"]["key"] == "iron_fly"
    alts = block["alternatives"]
    assert keys(alts)[:2] == ["iron_condor", "bull_put_spread"]
    fails = [len(v["conditions_failed"]) for v in alts]
    assert fails == sorted(fails)


def test_higher_confidence_beats_priority() -> None:
    # the fly only just clears pin_score > 65 (medium); the condor is high
    block = evaluate_setups(make(pin_score=66.0, hours_left=1.5))
    assert block["primary"]["key"] == "iron_condor"
    fly = find(block, "iron_fly")
    assert fly["confidence"] == "medium" and fly["conditions_failed"] == []


def test_confidence_rule() -> None:
    def rule(passed: bool, margin: float) -> Rule:
        return Rule("k", "k", "x", passed, margin)

    assert confidence_of([rule(True, 1.0)] * 4) == "high"
    assert confidence_of([rule(True, 0.2)] * 4) == "high"
    assert confidence_of([rule(True, 1.0)] * 3 + [rule(True, 0.19)]) == "medium"
    assert confidence_of([rule(True, 1.0)] * 3 + [rule(False, -1.0)]) == "medium"
    assert confidence_of([rule(True, 1.0)] * 2 + [rule(False, -1.0)]) == "low"
    assert confidence_of([rule(True, 1.0)] * 2 + [rule(False, -1.0)] * 2) == "low"
    assert confidence_of([]) == "low"
    assert Rule("k", "pin_score > 65", "71", True, 0.4).text == "pin_score > 65 (is 71)"


def test_every_play_has_a_trade_angle() -> None:
    assert set(TRADE_ANGLES) == {*PLAYS, WAIT}
    assert set(DISPLAY_NAMES) == {*PLAYS, WAIT}


# ----------------------------------------------------------------------------- properties


@st.composite
def decision_inputs(draw: st.DrawFn) -> DecisionInputs:
    spot = draw(st.floats(10.0, 7000.0))
    iv = draw(st.floats(0.03, 1.5))
    hours = draw(st.floats(0.0, 6.5))
    sigma_day = spot * iv / math.sqrt(252.0)
    sigma = sigma_day * math.sqrt(hours / 6.5)
    spacing = spot * draw(st.sampled_from([0.0005, 0.001, 0.0025, 0.005, 0.01]))
    if draw(st.booleans()) and draw(st.booleans()):
        strikes: tuple[float, ...] = ()
    else:
        base = round(spot / spacing) * spacing
        below, above = draw(st.integers(0, 60)), draw(st.integers(0, 60))
        strikes = tuple(base + i * spacing for i in range(-below, above + 1))
    scale = max(sigma, spacing)

    def near(lo: float = -6.0, hi: float = 6.0) -> float:
        return draw(st.floats(lo, hi)) * scale

    return DecisionInputs(
        symbol="X",
        spot=spot,
        open_spot=spot + near(),
        hours_left=hours,
        regime=draw(st.sampled_from(["positive_gamma", "negative_gamma", "neutral"])),
        net_gex=draw(st.floats(-5e9, 5e9)),
        gamma_flip=draw(st.none() | st.just(spot + near())),
        call_wall=spot + near(-2.0, 6.0),
        put_wall=spot - near(-2.0, 6.0),
        magnet=spot + near(),
        pin_score=draw(st.floats(0.0, 100.0)),
        atm_iv=iv,
        sigma_rem=sigma,
        sigma_day=sigma_day,
        flow_label=draw(
            st.sampled_from(["no_flow", "neutral", "amplifying", "dampening", "regime_flip"])
        ),
        flow_shift=draw(st.none() | st.floats(-2.0, 2.0)),
        flow_30m=draw(st.floats(-1e9, 1e9)),
        flow_z=draw(st.floats(-6.0, 6.0)),
        accelerating=draw(st.booleans()),
        spot_change_30m=near(-3.0, 3.0),
        strikes=strikes,
        strike_spacing=spacing,
    )


def check_verdict(v: Any, inp: DecisionInputs) -> None:
    assert isinstance(v, dict) and set(v) == VERDICT_KEYS
    assert v["key"] in DISPLAY_NAMES and v["display_name"] == DISPLAY_NAMES[v["key"]]
    assert v["confidence"] in ("high", "medium", "low")
    for name in ("conditions_met", "conditions_failed"):
        assert isinstance(v[name], list) and all(isinstance(t, str) for t in v[name])
    assert isinstance(v["thesis"], str) and v["thesis"]
    check_hint(v["strikes_hint"], inp.strikes)
    check_conditions(v)


def holds(value: Any, op: str, threshold: Any) -> bool | None:
    """Re-judge a machine-readable condition from its value and threshold (None: too close)."""
    if op in ("=", "is"):
        return bool(value == threshold)
    if op == "in":
        lo, hi = threshold
        if min(abs(value - lo), abs(value - hi)) < 1e-3:
            return None
        return bool(lo <= value <= hi)
    if abs(value - threshold) < 1e-3:
        return None  # values are rounded to 4 decimals
    return bool(
        {
            ">": value > threshold,
            ">=": value >= threshold,
            "<": value < threshold,
            "<=": value <= threshold,
        }[op]
    )


def check_conditions(v: dict[str, Any]) -> None:
    """The structured conditions say what the texts say, and their numbers agree with met."""
    conditions = v["conditions"]
    assert all(set(c) == CONDITION_KEYS for c in conditions)
    ids = [c["id"] for c in conditions]
    assert len(ids) == len(set(ids)) and all(isinstance(i, str) and i for i in ids)
    assert [c["text"] for c in conditions if c["met"]] == v["conditions_met"]
    assert [c["text"] for c in conditions if not c["met"]] == v["conditions_failed"]
    for c in conditions:
        if c["value"] is None or c["op"] is None:
            continue
        judged = holds(c["value"], c["op"], c["threshold"])
        assert judged is None or judged == c["met"], c


@settings(max_examples=400, deadline=None)
@given(inp=decision_inputs())
def test_evaluate_setups_always_returns_the_schema(inp: DecisionInputs) -> None:
    block = evaluate_setups(inp)
    assert set(block) == {"primary", "alternatives", "anti_setups"}
    json.dumps(block, allow_nan=False)
    for v in verdicts(block):
        check_verdict(v, inp)
    primary = block["primary"]
    assert primary["conditions_failed"] == []
    if primary["key"] != WAIT:
        assert primary["strikes_hint"]
        assert primary["confidence"] in ("high", "medium")
    all_keys = keys(verdicts(block))
    assert len(all_keys) == len(set(all_keys))
    assert WAIT not in keys(block["alternatives"]) + keys(block["anti_setups"])
    assert all(len(v["conditions_failed"]) <= 1 for v in block["alternatives"])
    for v in block["anti_setups"]:
        assert v["thesis"].startswith("Avoid — ")
        assert v["conditions_failed"], "an anti-setup never qualifies"
        assert v["strikes_hint"] == {}
