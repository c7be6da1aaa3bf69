"""A play's odds of paying at the close, and the confidence they cap.

The independent side prices the legs with the ``blackscholes`` package and takes the odds
from ``scipy.stats.lognorm``, not from flowframe's greeks or its band formula.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from blackscholes import BlackScholesCall, BlackScholesPut
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import lognorm

import flowframe as ff
from flowframe.sources.engine.decision.inputs import DecisionInputs
from flowframe.sources.engine.decision.odds import in_band, play_odds, tau_left
from flowframe.sources.engine.decision.setups import HIGH_ODDS, PLAYS
from flowframe.sources.engine.simulated import Simulated

DAY = "2026-09-18"


def moment(**kw: Any) -> DecisionInputs:
    base: dict[str, Any] = {
        "symbol": "SPX",
        "spot": 6000.0,
        "open_spot": 6000.0,
        "hours_left": 1.5,
        "regime": "positive_gamma",
        "net_gex": 1e9,
        "gamma_flip": 5950.0,
        "call_wall": 6050.0,
        "put_wall": 5950.0,
        "magnet": 6000.0,
        "pin_score": 80.0,
        "atm_iv": 0.15,
        "sigma_rem": 6000.0 * 0.15 * math.sqrt(1.5 / 1638),
        "sigma_day": 56.7,
        "flow_label": "neutral",
        "flow_shift": 0.0,
        "strikes": tuple(float(k) for k in range(5800, 6205, 5)),
        "strike_spacing": 5.0,
    }
    base.update(kw)
    return DecisionInputs(**base)


def close_between(inp: DecisionInputs, low: float, high: float) -> float:
    """P(low < S_T < high), S_T lognormal with E[S_T] = S (independent: scipy.stats)."""
    tau = inp.hours_left / (252 * 6.5)
    s = inp.atm_iv * math.sqrt(tau)
    dist = lognorm(s=s, scale=inp.spot * math.exp(-0.5 * s * s))
    return float(dist.cdf(high) - dist.cdf(low))


def bs(kind: str, inp: DecisionInputs, k: float) -> float:
    tau = inp.hours_left / (252 * 6.5)
    cls = BlackScholesCall if kind == "C" else BlackScholesPut
    return float(cls(S=inp.spot, K=k, T=tau, r=0.0, sigma=inp.atm_iv).price())


def test_the_iron_fly_odds_by_hand() -> None:
    inp = moment()
    hint = {
        "short_call_strike": 6000.0,
        "short_put_strike": 6000.0,
        "long_call_strike": 6030.0,
        "long_put_strike": 5970.0,
    }
    odds = play_odds("iron_fly", hint, inp)
    assert odds is not None
    credit = bs("C", inp, 6000) + bs("P", inp, 6000) - bs("C", inp, 6030) - bs("P", inp, 5970)
    # by hand: sigma_rem = 6000 * 0.15 * sqrt(1.5 / 1638) = 27.23 points; the straddle is
    # 0.798 sigma = 21.73; a wing 30 points (1.10 sigma) out is worth
    # sigma * (phi(1.1) - 1.1 * (1 - Phi(1.1))) = 27.23 * 0.0687 = 1.87; credit 21.73 - 3.74
    assert credit == pytest.approx(17.99, abs=0.05)
    assert odds["low"] == pytest.approx(6000 - credit, abs=0.005)
    assert odds["high"] == pytest.approx(6000 + credit, abs=0.005)
    assert odds["value"] == pytest.approx(
        close_between(inp, 6000 - credit, 6000 + credit), abs=1e-6
    )
    # the zone is +-0.661 sigma: 2 Phi(0.661) - 1 = 0.491
    assert odds["value"] == pytest.approx(0.491, abs=0.005)
    assert odds["event"] == "close inside the fly's break-evens" and odds["outside"] is False


@pytest.mark.parametrize(
    ("key", "hint", "zone"),
    [
        ("bull_put_spread", {"short_put_strike": 5950.0, "long_put_strike": 5945.0}, "above"),
        ("bear_call_spread", {"short_call_strike": 6050.0, "long_call_strike": 6055.0}, "below"),
        ("debit_spread", {"long_strike": 6000.0, "short_strike": 6030.0}, "above"),
        ("debit_spread", {"long_strike": 6000.0, "short_strike": 5970.0}, "below"),
        ("lotto", {"long_call_strike": 6030.0}, "above"),
        ("lotto", {"long_put_strike": 5970.0}, "below"),
    ],
)
def test_one_sided_plays_by_hand(key: str, hint: dict[str, float], zone: str) -> None:
    inp = moment()
    odds = play_odds(key, hint, inp)
    assert odds is not None
    if key == "bull_put_spread":
        edge = 5950 - (bs("P", inp, 5950) - bs("P", inp, 5945))
    elif key == "bear_call_spread":
        edge = 6050 + (bs("C", inp, 6050) - bs("C", inp, 6055))
    elif key == "debit_spread":
        kind, k2 = ("C", 6030.0) if zone == "above" else ("P", 5970.0)
        debit = bs(kind, inp, 6000) - bs(kind, inp, k2)
        edge = 6000 + debit if zone == "above" else 6000 - debit
    else:
        k = next(iter(hint.values()))
        edge = k + bs("C", inp, k) if zone == "above" else k - bs("P", inp, k)
    expected = (
        close_between(inp, edge, math.inf) if zone == "above" else close_between(inp, 0.0, edge)
    )
    assert odds["value"] == pytest.approx(expected, abs=1e-6)
    side = "low" if zone == "above" else "high"
    assert odds[side] == pytest.approx(edge, abs=0.005)
    assert odds["high" if zone == "above" else "low"] is None


def test_the_straddle_pays_outside_its_break_evens() -> None:
    inp = moment()
    odds = play_odds(
        "breakout_straddle", {"strike": 6000.0, "call_strike": 6015.0, "put_strike": 5985.0}, inp
    )
    assert odds is not None
    assert odds["outside"] is True and odds["event"] == "close outside the straddle's break-evens"
    premium = bs("C", inp, 6000) + bs("P", inp, 6000)
    assert odds["value"] == pytest.approx(
        1 - close_between(inp, 6000 - premium, 6000 + premium), abs=1e-6
    )


@settings(max_examples=200, deadline=None)
@given(
    spot=st.floats(50.0, 8000.0),
    low=st.floats(0.5, 1.5),
    width=st.floats(0.0, 0.5),
    vol=st.floats(0.02, 1.5),
    hours=st.floats(0.02, 6.5),
)
def test_in_band_matches_scipy(
    spot: float, low: float, width: float, vol: float, hours: float
) -> None:
    inp = moment(spot=spot, atm_iv=vol, hours_left=hours)
    lo, hi = spot * low, spot * (low + width)
    assert in_band(spot, lo, hi, vol, tau_left(inp)) == pytest.approx(
        close_between(inp, lo, hi), abs=1e-9
    )


def test_no_legs_no_odds() -> None:
    assert play_odds("iron_fly", {}, moment()) is None
    assert play_odds("iron_fly", {"short_call_strike": 1.0}, moment(spot=math.nan)) is None


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_no_high_confidence_next_to_long_odds_over_whole_sessions(seed: int) -> None:
    # the card showed "Iron Fly (high confidence)" beside a 9% pin probability; every verdict
    # now carries its own odds, and "high" never sits next to odds below HIGH_ODDS
    sim = Simulated(seed=seed, date=DAY, now="15:59", scale=0.05)
    times = pd.date_range(f"{DAY} 09:40", f"{DAY} 15:55", freq="15min", tz="America/New_York")
    seen = set()
    for symbol in ("SPX", "SPY"):
        for t in times:
            setup = sim.at(t).get_snapshot(symbol)["setup"]
            for v in [setup["primary"], *setup["alternatives"]]:
                if v["key"] == "wait":
                    assert v["odds"] is None
                    continue
                seen.add(v["key"])
                assert (v["odds"] is None) == (not v["strikes_hint"])
                if v["confidence"] == "high":
                    assert v["odds"]["value"] >= HIGH_ODDS, (symbol, t, v)
    assert seen <= set(PLAYS) and len(seen) >= 3


def test_the_card_shows_the_plays_own_odds_and_flags_a_band_spot_has_left() -> None:
    # seed 1, SPX, 15:05: an Iron Fly rated high, a 9% pin probability, spot outside the
    # 1-sigma band fixed at the open
    sim = Simulated(seed=1, date=DAY, now="15:59", scale=0.05)
    snap = ff.snapshot("SPX", source=sim.at("15:05"))
    fly = snap.setup.primary  # type: ignore[union-attr]
    assert fly is not None and fly.key == "iron_fly" and fly.confidence == "high"
    assert snap.probabilities is not None and snap.probabilities.pin is not None
    assert snap.probabilities.pin.value == pytest.approx(0.09, abs=0.01)
    assert fly.odds is not None and fly.odds.value >= HIGH_ODDS
    html = snap._repr_html_()
    assert f"pays if SPX closes {fly.odds.zone}: <b>{fly.odds.value:.0%}</b>" in html
    assert "1σ range <b>" in html and "(spot has left this band)" in html
    assert "A setup whose own odds of paying are below 25% is never rated high." in html
    assert "pin = close within half a strike of the magnet" in html


def test_a_hosted_card_does_not_claim_the_engines_rule() -> None:
    from flowframe.sources.samples import SampleSource

    snap = ff.Snapshot(SampleSource(now="14:45").get_snapshot("SPY"))
    html = snap._repr_html_()
    assert "never rated high" not in html and "pays if" not in html
    assert "pin = close within half a strike of the magnet" in html


def test_the_card_says_a_straddle_pays_outside_its_zone() -> None:
    body = {
        "symbol": "SPY",
        "as_of": "2026-09-18T14:42:19Z",
        "setup": {
            "primary": {
                "key": "breakout_straddle",
                "display_name": "Breakout Straddle / Strangle",
                "confidence": "medium",
                "conditions_met": [],
                "conditions_failed": [],
                "strikes_hint": {"strike": 587.0},
                "odds": {
                    "value": 0.43,
                    "low": 583.19,
                    "high": 590.81,
                    "outside": True,
                    "event": "close outside the straddle's break-evens",
                },
                "thesis": "x",
            }
        },
    }
    snap = ff.Snapshot(body)
    assert "pays if SPY closes outside 583.19–590.81: <b>43%</b>" in snap._repr_html_()
