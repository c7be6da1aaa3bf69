from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowframe.sources.engine.decision.headline import (
    headline,
    severity,
    severity_reasons,
    trade_angle,
)
from flowframe.sources.engine.decision.inputs import DecisionInputs
from flowframe.sources.engine.decision.setups import PLAYS, WAIT, evaluate_setups
from tests.sources.engine.test_setups import HOSTED_EXAMPLE, IDEAL, decision_inputs, make


def calm(**kw: Any) -> DecisionInputs:
    """Nothing escalates: positive gamma, flip 2.5 sigma away, pin 50, 4 h left, quiet flow."""
    base: dict[str, Any] = {
        "sigma_rem": 4.0,
        "gamma_flip": 590.0,
        "pin_score": 50.0,
        "hours_left": 4.0,
    }
    return make(**{**base, **kw})


def test_calm_state_is_info() -> None:
    assert severity_reasons(calm()) == []
    assert severity(calm()) == "info"


# Every escalation threshold, from just inside to just outside (spot 600, sigma_rem 4).
BOUNDARIES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    # (A1) within 0.25 sigma of the flip; (W1) within 1 sigma
    ("A1 at 0.25σ", {"gamma_flip": 599.0}, "alert", ["A1", "W1"]),
    ("A1 inside", {"gamma_flip": 599.04}, "alert", ["A1", "W1"]),
    ("A1 above flip", {"gamma_flip": 600.96}, "alert", ["A1", "W1"]),
    ("A1 just outside", {"gamma_flip": 598.96}, "watch", ["W1"]),
    ("W1 at 1σ", {"gamma_flip": 596.0}, "watch", ["W1"]),
    ("W1 just outside", {"gamma_flip": 595.96}, "info", []),
    ("no flip", {"gamma_flip": None}, "info", []),
    ("no sigma left", {"gamma_flip": 600.0, "sigma_rem": 0.0, "hours_left": 0.0}, "info", []),
    # (A2) regime_flip; (W2) amplifying
    ("A2 regime_flip", {"flow_label": "regime_flip"}, "alert", ["A2"]),
    ("W2 amplifying", {"flow_label": "amplifying"}, "watch", ["W2"]),
    ("dampening", {"flow_label": "dampening"}, "info", []),
    ("no_flow", {"flow_label": "no_flow"}, "info", []),
    # (A3) positive gamma, pin >= 80, last hour; (W3) pin >= 65, last 2 hours
    ("A3 at bounds", {"pin_score": 80.0, "hours_left": 1.0}, "alert", ["A3", "W3"]),
    ("A3 inside", {"pin_score": 95.0, "hours_left": 0.2}, "alert", ["A3", "W3"]),
    ("A3 pin just below", {"pin_score": 79.99, "hours_left": 1.0}, "watch", ["W3"]),
    ("A3 hours just above", {"pin_score": 80.0, "hours_left": 1.01}, "watch", ["W3"]),
    (
        "A3 needs positive gamma",
        {"pin_score": 90.0, "hours_left": 0.5, "regime": "negative_gamma"},
        "info",
        [],
    ),
    ("W3 at bounds", {"pin_score": 65.0, "hours_left": 2.0}, "watch", ["W3"]),
    ("W3 pin just below", {"pin_score": 64.99, "hours_left": 2.0}, "info", []),
    ("W3 hours just above", {"pin_score": 65.0, "hours_left": 2.01}, "info", []),
    (
        "W3 needs positive gamma",
        {"pin_score": 70.0, "hours_left": 1.5, "regime": "neutral"},
        "info",
        [],
    ),
    # (A4) negative gamma, accelerating, |flow_z| >= 3; (W4) |flow_z| >= 2 or accelerating
    (
        "A4 at 3",
        {"regime": "negative_gamma", "accelerating": True, "flow_z": 3.0},
        "alert",
        ["A4", "W4"],
    ),
    (
        "A4 at -3",
        {"regime": "negative_gamma", "accelerating": True, "flow_z": -3.0},
        "alert",
        ["A4", "W4"],
    ),
    (
        "A4 z just below",
        {"regime": "negative_gamma", "accelerating": True, "flow_z": 2.99},
        "watch",
        ["W4"],
    ),
    ("A4 needs accelerating", {"regime": "negative_gamma", "flow_z": 3.0}, "watch", ["W4"]),
    ("A4 needs negative gamma", {"accelerating": True, "flow_z": 3.5}, "watch", ["W4"]),
    ("W4 at 2", {"flow_z": 2.0}, "watch", ["W4"]),
    ("W4 at -2", {"flow_z": -2.0}, "watch", ["W4"]),
    ("W4 just below", {"flow_z": 1.99}, "info", []),
    ("W4 just above -2", {"flow_z": -1.99}, "info", []),
    ("W4 accelerating", {"accelerating": True}, "watch", ["W4"]),
    # rules combine; the highest level wins
    (
        "all alerts",
        {
            "gamma_flip": 599.5,
            "flow_label": "regime_flip",
            "regime": "negative_gamma",
            "accelerating": True,
            "flow_z": -4.0,
        },
        "alert",
        ["A1", "A2", "A4", "W1", "W4"],
    ),
]


@pytest.mark.parametrize(
    ("change", "expected", "reasons"),
    [b[1:] for b in BOUNDARIES],
    ids=[b[0] for b in BOUNDARIES],
)
def test_severity_boundaries(change: dict[str, Any], expected: str, reasons: list[str]) -> None:
    inp = calm(**change)
    assert severity_reasons(inp) == reasons
    assert severity(inp) == expected
    assert headline(inp, evaluate_setups(inp), 0.1)["severity"] == expected


# ----------------------------------------------------------------------------- trade angle

ANGLES = {
    "iron_fly": "pin",
    "iron_condor": "range",
    "bull_put_spread": "range",
    "bear_call_spread": "range",
    "debit_spread": "breakout",
    "breakout_straddle": "breakout",
    "lotto": "breakout",
    WAIT: "low_signal",
}


@pytest.mark.parametrize("play", PLAYS)
def test_angle_follows_the_primary_play(play: str) -> None:
    inp = make(**IDEAL[play])
    setup = evaluate_setups(inp)
    assert setup["primary"]["key"] == play
    assert headline(inp, setup, 0.2)["trade_angle"] == ANGLES[play]


@pytest.mark.parametrize(("key", "angle"), ANGLES.items())
def test_angle_mapping(key: str, angle: str) -> None:
    assert trade_angle({"primary": {"key": key}}) == angle


@pytest.mark.parametrize(
    ("setup", "angle"),
    [
        ({"primary": None}, "low_signal"),
        ({}, "low_signal"),
        ({"primary": {"key": "covered_call"}}, "low_signal"),
        ({"primary": {"display_name": "Iron Fly"}}, "pin"),
        ({"primary": {"display_name": "Bear Call Credit Spread"}}, "range"),
        ({"primary": {"display_name": "Something Else"}}, "low_signal"),
        ({"primary": "Iron Fly"}, "low_signal"),
    ],
)
def test_angle_of_unusual_setup_blocks(setup: dict[str, Any], angle: str) -> None:
    assert trade_angle(setup) == angle


def test_wait_is_low_signal() -> None:
    inp = make(magnet=603.0, gamma_flip=600.2, call_wall=600.5, put_wall=599.5)
    setup = evaluate_setups(inp)
    assert setup["primary"]["key"] == WAIT
    assert headline(inp, setup, 0.05)["trade_angle"] == "low_signal"


# ----------------------------------------------------------------------------- narrative


def test_pin_narrative_matches_the_hosted_example() -> None:
    inp = make(**HOSTED_EXAMPLE)
    head = headline(inp, evaluate_setups(inp), 0.64)
    assert (
        head["narrative"]
        == "Pinning toward 600.00 (positive_gamma). Pin score 71/100. 64% pin prob."
    )
    assert head["trade_angle"] == "pin"
    assert head["severity"] == "watch"  # pin 71 >= 65 in the last 2 hours, amplifying flow


def test_range_narrative_names_walls_sigma_and_flip() -> None:
    inp = make(**IDEAL["iron_condor"])
    head = headline(inp, evaluate_setups(inp), 0.12)
    assert head["trade_angle"] == "range"
    assert head["narrative"] == (
        "Range between 595.00 and 605.00 (positive_gamma). 1σ to close ±2.00; "
        "flip 590.00 (5.00σ away). Pin score 40/100."
    )


def test_range_narrative_when_the_walls_meet() -> None:
    from flowframe.sources.engine.decision.headline import _narrative

    inp = make(**{**IDEAL["iron_condor"], "put_wall": 600.0, "call_wall": 600.0})
    assert _narrative(inp, "range", 12.0) == (
        "Range around 600.00, where the put and call walls meet (positive_gamma). "
        "1σ to close ±2.00; flip 590.00 (5.00σ away). Pin score 40/100."
    )


def test_breakout_narrative_names_flip_and_flow() -> None:
    inp = make(**IDEAL["breakout_straddle"], accelerating=True, spot_change_30m=-0.25)
    setup = evaluate_setups(inp)
    assert setup["primary"]["key"] == "breakout_straddle"
    head = headline(inp, setup, 0.03)
    assert head["trade_angle"] == "breakout"
    assert head["narrative"] == (
        "Breakout risk (negative_gamma): flip 599.50 (0.25σ away). "
        "Flow amplifying, accelerating, 30-min flow z +1.0, spot -0.25 in 30 min."
    )
    assert head["severity"] == "alert"  # 0.25 sigma from the flip


def test_low_signal_narrative() -> None:
    inp = make(regime="neutral", gamma_flip=None, flow_label="no_flow", pin_score=12.4)
    setup = evaluate_setups(inp)
    head = headline(inp, setup, 0.0)
    assert head["trade_angle"] == "low_signal"
    assert head["narrative"] == (
        "Low signal (neutral). Pin score 12/100, flow no_flow, no flip in range. "
        "No setup qualifies."
    )


# ----------------------------------------------------------------------------- promoted


def test_promoted_fields() -> None:
    inp = make(**IDEAL["iron_fly"])
    head = headline(inp, evaluate_setups(inp), 0.6412)
    assert head["promoted"] == {
        "magnet": 600.0,
        "pin_score": 75.0,
        "pin_probability_pct": 64.12,
        "regime": "positive_gamma",
        "gamma_flip": 590.0,
        "flow_label": "dampening",
    }
    assert set(head) == {"narrative", "trade_angle", "severity", "promoted"}


def test_promoted_without_flip() -> None:
    inp = make(gamma_flip=None)
    assert headline(inp, evaluate_setups(inp), 1.0)["promoted"]["gamma_flip"] is None


@pytest.mark.parametrize(
    ("p", "pct"), [(0.0, 0.0), (1.0, 100.0), (1.0 + 1e-12, 100.0), (-1e-12, 0.0)]
)
def test_pin_probability_is_a_percentage(p: float, pct: float) -> None:
    inp = make()
    assert headline(inp, evaluate_setups(inp), p)["promoted"]["pin_probability_pct"] == pct


@pytest.mark.parametrize("p", [64.1, 1.01, -0.1, math.nan, math.inf])
def test_pin_probability_must_be_a_fraction(p: float) -> None:
    inp = make()
    with pytest.raises(ValueError, match="pin_probability"):
        headline(inp, evaluate_setups(inp), p)


# ----------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(inp=decision_inputs(), p=st.floats(0.0, 1.0))
def test_headline_always_returns_the_schema(inp: DecisionInputs, p: float) -> None:
    setup = evaluate_setups(inp)
    head = headline(inp, setup, p)
    assert set(head) == {"narrative", "trade_angle", "severity", "promoted"}
    assert head["trade_angle"] == ANGLES[setup["primary"]["key"]]
    assert head["severity"] in ("info", "watch", "alert")
    reasons = severity_reasons(inp)
    assert (head["severity"] == "alert") == any(r.startswith("A") for r in reasons)
    assert (head["severity"] == "info") == (not reasons)
    assert isinstance(head["narrative"], str) and head["narrative"]
    promoted = head["promoted"]
    assert 0.0 <= promoted["pin_probability_pct"] <= 100.0
    assert promoted["regime"] == inp.regime and promoted["flow_label"] == inp.flow_label
