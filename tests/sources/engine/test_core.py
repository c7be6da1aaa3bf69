"""The engine against hand-computed cases and independent implementations."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

import flowframe as ff
from flowframe.sources.engine import core
from flowframe.sources.engine.core import EngineConfig, compute_session
from flowframe.sources.engine.decision.flow import flow_direction

DAY = "2026-09-18"
OPEN = pd.Timestamp(f"{DAY} 09:30", tz="America/New_York").tz_convert("UTC")
TRADING_YEAR_MIN = 252 * 390


def n_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def n_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def hand_greeks(s: float, k: float, minutes_left: float, vol: float) -> tuple[float, float, float]:
    """Delta (call), delta (put), gamma by the textbook formulas, r = q = 0."""
    tau = max(minutes_left, 1.0) / TRADING_YEAR_MIN
    d1 = (math.log(s / k) + 0.5 * vol * vol * tau) / (vol * math.sqrt(tau))
    return n_cdf(d1), n_cdf(d1) - 1.0, n_pdf(d1) / (s * vol * math.sqrt(tau))


def chain(rows: list[tuple[float, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["strike", "right", "oi", "iv"])


def tape(rows: list[tuple[float, float, str, float, int, int]]) -> pd.DataFrame:
    """Rows of (seconds after the open, strike, right, price, size, side)."""
    return pd.DataFrame(
        {
            "t": [OPEN + pd.Timedelta(seconds=r[0]) for r in rows],
            "strike": [r[1] for r in rows],
            "right": [r[2] for r in rows],
            "price": [r[3] for r in rows],
            "size": [r[4] for r in rows],
            "side": [r[5] for r in rows],
        }
    )


def flat_spot(level: float = 100.0) -> pd.Series:
    return pd.Series([level], index=pd.DatetimeIndex([OPEN - pd.Timedelta(minutes=1)]), name="spot")


def empty_tape() -> pd.DataFrame:
    return tape([]).astype(
        {
            "t": "datetime64[ns, UTC]",
            "strike": float,
            "right": str,
            "price": float,
            "size": int,
            "side": int,
        }
    )


# --------------------------------------------------------------------- hedge-flow


def test_hedge_flow_sign_and_scale_by_hand() -> None:
    ch = chain([(100.0, "C", 0.0, 0.2), (100.0, "P", 0.0, 0.2), (105.0, "C", 0.0, 0.25)])
    tp = tape(
        [(5, 100.0, "C", 1.0, 10, +1), (40, 100.0, "P", 1.0, 5, -1), (75, 105.0, "C", 0.2, 3, -1)]
    )
    s = compute_session(ch, tp, flat_spot(100.0), symbol="X", expiration=DAY)
    dc, _, _ = hand_greeks(100.0, 100.0, 390 - 5 / 60, 0.2)
    assert s.hf_calls[0] == round(10 * dc * 100 * 100)  # customer buys calls: dealers buy
    assert s.hf_calls[0] > 0
    _, dp40, _ = hand_greeks(100.0, 100.0, 390 - 40 / 60, 0.2)
    assert s.hf_puts[1] == round(-1 * 5 * dp40 * 100 * 100)  # customer sells puts: dealers buy
    assert s.hf_puts[1] > 0
    dc105, _, _ = hand_greeks(100.0, 105.0, 390 - 75 / 60, 0.25)
    assert s.hf_calls[2] == round(-3 * dc105 * 100 * 100) < 0
    assert (s.hf_all == s.hf_calls + s.hf_puts).all()


def test_prints_outside_the_session_or_chain_are_ignored() -> None:
    ch = chain([(100.0, "C", 0.0, 0.2), (100.0, "P", 0.0, 0.2)])
    tp = tape(
        [
            (-5, 100.0, "C", 1.0, 10, 1),
            (390 * 60, 100.0, "C", 1.0, 10, 1),
            (10, 110.0, "C", 1.0, 10, 1),
        ]
    )
    s = compute_session(ch, tp, flat_spot(), symbol="X", expiration=DAY)
    assert s.hf_all.sum() == 0


def test_strike_flow_by_hand() -> None:
    ch = chain([(100.0, "C", 0.0, 0.2), (100.0, "P", 0.0, 0.2)])
    tp = tape([(5, 100.0, "C", 1.0, 4, 1), (35, 100.0, "P", 1.0, 6, 1)])  # both in minute 0
    s = compute_session(ch, tp, flat_spot(), symbol="X", expiration=DAY)
    dc, _, g = hand_greeks(100.0, 100.0, 390 - 5 / 60, 0.2)
    _, dp, g2 = hand_greeks(100.0, 100.0, 390 - 35 / 60, 0.2)
    assert s.strike_contracts[0, 0] == 10
    assert s.strike_delta_dollars[0, 0] == round(4 * dc * 1e4) + round(6 * dp * 1e4)
    assert s.strike_gamma_dollars[0, 0] == round(4 * g * 100 * 1e4 * 0.01) + round(
        6 * g2 * 100 * 1e4 * 0.01
    )
    assert s.strike_delta_dollars[0, 0] == s.hf_all[0] + s.hf_all[1]


# --------------------------------------------------------------------- effective OI and exposures


def test_effective_oi_weight_and_floor() -> None:
    ch = chain([(100.0, "C", 100.0, 0.2), (100.0, "P", 10.0, 0.2)])
    tp = tape([(5, 100.0, "C", 1.0, 50, 1), (5, 100.0, "P", 1.0, 100, -1)])
    s = compute_session(ch, tp, flat_spot(), symbol="X", expiration=DAY)
    assert s.effective_oi[0].tolist() == [100.0 + 0.43 * 50, 0.0]  # 10 - 43 floors at zero


def test_gex_sign_and_scale_by_hand() -> None:
    ch = chain([(100.0, "C", 1000.0, 0.2), (95.0, "P", 500.0, 0.2)])
    s = compute_session(ch, empty_tape(), flat_spot(100.0), symbol="X", expiration=DAY)
    _, _, g_c = hand_greeks(100.0, 100.0, 389.5, 0.2)
    _, _, g_p = hand_greeks(100.0, 95.0, 389.5, 0.2)
    call_gex = 1000 * g_c * 100 * 100**2 * 0.01
    put_gex = -500 * g_p * 100 * 100**2 * 0.01  # dealers short puts under the default prior
    assert s.net_gex[0] == pytest.approx(call_gex + put_gex, rel=1e-12)
    k100 = int(np.searchsorted(s.strikes, 100.0))
    assert s.strike_call_gex[0, k100] == pytest.approx(call_gex, rel=1e-12)
    assert s.strike_put_gex[0, 1 - k100] == pytest.approx(put_gex, rel=1e-12)
    assert s.regime[0] == "positive_gamma"
    # the magnitude the model doc derives: one ATM SPX contract, 15%, 6.5 h -> about $0.25M per 1%
    spx = compute_session(
        chain([(6000.0, "C", 1.0, 0.15)]),
        empty_tape(),
        flat_spot(6000.0),
        symbol="SPX",
        expiration=DAY,
    )
    assert spx.net_gex[0] == pytest.approx(0.25e6, rel=0.05)


@pytest.mark.parametrize(
    "prior, sign_call, sign_put",
    [("long_calls_short_puts", 1, -1), ("short_all", -1, -1), ("short_calls_long_puts", -1, 1)],
)
def test_dealer_prior_is_switchable(prior: Any, sign_call: int, sign_put: int) -> None:
    ch = chain([(100.0, "C", 1000.0, 0.2), (100.0, "P", 1000.0, 0.2)])
    s = compute_session(
        ch,
        empty_tape(),
        flat_spot(),
        symbol="X",
        expiration=DAY,
        config=EngineConfig(dealer_prior=prior),
    )
    assert np.sign(s.strike_call_gex[0, 0]) == sign_call
    assert np.sign(s.strike_put_gex[0, 0]) == sign_put


def test_flow_only_prior_holds_the_other_side_of_flow() -> None:
    ch = chain([(100.0, "C", 5000.0, 0.2), (100.0, "P", 0.0, 0.2)])
    tp = tape([(5, 100.0, "C", 1.0, 100, 1)])  # customers buy 100 calls
    s = compute_session(
        ch,
        tp,
        flat_spot(),
        symbol="X",
        expiration=DAY,
        config=EngineConfig(dealer_prior="flow_only"),
    )
    assert s.net_gex[0] < 0  # dealers short 43 calls, nothing from settled OI
    _, _, g = hand_greeks(100.0, 100.0, 389.5, 0.2)
    assert s.net_gex[0] == pytest.approx(-0.43 * 100 * g * 100 * 1e4 * 0.01, rel=1e-12)


def test_bad_config() -> None:
    with pytest.raises(ValueError, match="dealer_prior='naive' is not allowed"):
        EngineConfig(dealer_prior="naive")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="oi_weight"):
        EngineConfig(oi_weight=1.5)


# --------------------------------------------------------------------- levels


def test_gamma_flip_against_an_independent_root() -> None:
    """Calls above, puts below: the re-priced net GEX crosses zero between them."""
    ch = chain([(104.0, "C", 3000.0, 0.3), (97.0, "P", 2000.0, 0.3)])
    s = compute_session(ch, empty_tape(), flat_spot(100.0), symbol="X", expiration=DAY)

    def net_gex(x: float) -> float:
        _, _, gc = hand_greeks(x, 104.0, 389.5, 0.3)
        _, _, gp = hand_greeks(x, 97.0, 389.5, 0.3)
        return (3000 * gc - 2000 * gp) * 100 * x * x * 0.01

    root = brentq(net_gex, 97.0, 104.0)
    assert s.gamma_flip_status[0] == "ok"
    assert s.gamma_flip[0] == pytest.approx(root, abs=0.02)


def test_no_flip_when_gex_never_changes_sign() -> None:
    ch = chain([(100.0, "C", 1000.0, 0.2)])
    s = compute_session(ch, empty_tape(), flat_spot(), symbol="X", expiration=DAY)
    assert math.isnan(s.gamma_flip[0]) and s.gamma_flip_status[0] == "no_flip_in_range"


def test_walls_and_magnet_by_hand() -> None:
    ch = chain(
        [
            (98.0, "P", 4000.0, 0.2),
            (99.0, "P", 1000.0, 0.2),
            (100.0, "C", 500.0, 0.2),
            (100.0, "P", 500.0, 0.2),
            (101.0, "C", 3000.0, 0.2),
            (102.0, "C", 1000.0, 0.2),
        ]
    )
    s = compute_session(ch, empty_tape(), flat_spot(100.2), symbol="X", expiration=DAY)
    assert s.call_wall[0] == 101.0 and s.put_wall[0] == 98.0
    gex = s.strike_gex[0]
    reach = max(3 * s.spot[0] * s.atm_iv[0] * math.sqrt(s.tau[0]), 1.5)
    near = np.abs(s.strikes - s.spot[0]) <= reach
    assert s.magnet[0] == s.strikes[near][np.argmax(np.abs(gex[near]))]


def test_magnet_tie_goes_to_the_nearest_strike() -> None:
    strikes = np.array([99.0, 100.0, 101.0])
    gex = np.array([[5.0, 1.0, 5.0]])
    assert core._magnet(strikes, gex, np.array([100.6]), np.array([10.0]))[0] == 101.0
    assert core._magnet(strikes, gex, np.array([99.3]), np.array([10.0]))[0] == 99.0


def test_pin_probability_matches_the_model_doc() -> None:
    # SPX S=6002, magnet 6000, 1 h left, 15%: 8.9%; at the strike: 3.5% (open), 9.0% (1 h), 17.8% (15 min)
    tau = lambda minutes: np.array([minutes / TRADING_YEAR_MIN])  # noqa: E731
    one = np.array([1.0])
    assert core._pin_probability(np.array([6002.0]), 6000 * one, 0.15 * one, tau(60), 2.5)[
        0
    ] == pytest.approx(8.9, abs=0.05)
    assert core._pin_probability(6000 * one, 6000 * one, 0.15 * one, tau(390), 2.5)[
        0
    ] == pytest.approx(3.5, abs=0.05)
    assert core._pin_probability(6000 * one, 6000 * one, 0.15 * one, tau(60), 2.5)[
        0
    ] == pytest.approx(9.0, abs=0.05)
    assert core._pin_probability(6000 * one, 6000 * one, 0.15 * one, tau(15), 2.5)[
        0
    ] == pytest.approx(17.8, abs=0.05)


def test_pin_score_components_by_hand() -> None:
    strikes = np.array([99.0, 100.0, 101.0, 102.0])
    oi = np.array([[10.0, 60.0, 20.0, 10.0]])  # top-3 share 0.9 -> oi_score 100
    gex = np.array([[1.0, 4.0, -3.0, 2.0]])  # |gex(100)| / sum = 0.4 -> gamma_score 100
    parts, score = core._pin_score(
        strikes, oi, gex, np.array([100.5]), np.array([1.0]), np.array([100.0]), np.array([195.0])
    )
    assert parts["oi_score"][0] == 100 and parts["gamma_score"][0] == 100
    assert parts["time_score"][0] == 50
    assert parts["proximity_score"][0] == round(100 * math.exp(-0.5 * 0.25))
    expected = 0.30 * 100 + 0.25 * 100 * math.exp(-0.125) + 0.25 * 50 + 0.20 * 100
    assert score[0] == round(expected)


def test_max_pain_by_hand() -> None:
    ch = chain(
        [
            (95.0, "C", 100.0, 0.2),
            (100.0, "C", 100.0, 0.2),
            (100.0, "P", 100.0, 0.2),
            (105.0, "P", 100.0, 0.2),
        ]
    )
    s = compute_session(ch, empty_tape(), flat_spot(), symbol="X", expiration=DAY)
    # payout at 95: puts 100 and 105 pay 5 + 10 -> 1500; at 100: call 95 and put 105 pay 5 + 5
    # -> 1000; at 105: calls 95 and 100 pay 10 + 5 -> 1500
    assert s.max_pain[0] == 100.0


# --------------------------------------------------------------------- flow_direction rules


@pytest.mark.parametrize(
    "settled, live, moved, label",
    [
        (1e9, 1.2e9, True, "amplifying"),
        (1e9, 0.8e9, True, "dampening"),
        (1e9, 1.049e9, True, "neutral"),
        (1e9, 1.05e9, True, "amplifying"),  # the band is |shift| < 5%
        (1e9, 0.951e9, True, "neutral"),
        (-1e9, -1.3e9, True, "amplifying"),
        (1e9, -0.2e9, True, "regime_flip"),
        (0.0, 2e8, True, "regime_flip"),
        (1e9, 1.5e9, False, "no_flow"),
    ],
)
def test_flow_direction_rules(settled: float, live: float, moved: bool, label: str) -> None:
    eff = np.array([110.0 if moved else 100.0, 50.0])
    block = flow_direction(settled, live, eff, np.array([100.0, 50.0]))
    assert block["label"] == label
    assert block["flow_gex_pct_shift"] == (
        None if settled == 0 else pytest.approx((live - settled) / abs(settled))
    )


# --------------------------------------------------------------------- inputs


GOOD_CHAIN = chain([(100.0, "C", 1.0, 0.2), (100.0, "P", 1.0, 0.2)])
GOOD_TAPE = tape([(5, 100.0, "C", 1.0, 1, 1)])


@pytest.mark.parametrize(
    "bad, match",
    [
        (GOOD_CHAIN.drop(columns="iv"), r"chain needs columns iv"),
        (
            GOOD_CHAIN.assign(right=["X", "P"]),
            r"chain column 'right' row 0: must be 'C' or 'P', got 'X'",
        ),
        (
            GOOD_CHAIN.assign(oi=[-1.0, 1.0]),
            r"chain column 'oi' row 0: must be a finite number >= 0 .*, got -1.0",
        ),
        (
            GOOD_CHAIN.assign(iv=[0.0, 0.2]),
            r"chain column 'iv' row 0: must be a finite number > 0 .*, got 0.0",
        ),
        (pd.concat([GOOD_CHAIN, GOOD_CHAIN]), r"chain lists a \(strike, right\) twice"),
    ],
)
def test_chain_errors(bad: pd.DataFrame, match: str) -> None:
    with pytest.raises(ff.SchemaError, match=match):
        compute_session(bad, GOOD_TAPE, flat_spot(), symbol="X", expiration=DAY)


@pytest.mark.parametrize(
    "bad, match",
    [
        (GOOD_TAPE.drop(columns="size"), r"tape needs columns size"),
        (
            GOOD_TAPE.assign(t=GOOD_TAPE["t"].dt.tz_localize(None)),
            r"tape column 't' must be tz-aware",
        ),
        (
            GOOD_TAPE.assign(size=[0]),
            r"tape column 'size' row 0: must be a finite number > 0 \(contracts\), got 0",
        ),
        (GOOD_TAPE.assign(side=[2]), r"side"),
        (GOOD_TAPE.drop(columns="side"), r"bid|ask"),
    ],
)
def test_tape_errors(bad: pd.DataFrame, match: str) -> None:
    with pytest.raises(ff.SchemaError, match=match):
        compute_session(GOOD_CHAIN, bad, flat_spot(), symbol="X", expiration=DAY)


def test_spot_errors() -> None:
    with pytest.raises(ff.SchemaError, match="tz-aware"):
        compute_session(
            GOOD_CHAIN,
            GOOD_TAPE,
            pd.Series([1.0], index=pd.DatetimeIndex(["2026-09-18"])),
            symbol="X",
            expiration=DAY,
        )
    with pytest.raises(ff.SchemaError, match="'spot' column"):
        compute_session(
            GOOD_CHAIN, GOOD_TAPE, pd.DataFrame({"px": [1.0]}), symbol="X", expiration=DAY
        )


# --------------------------------------------------------------------- completed samples


@pytest.mark.parametrize(
    "now, done",
    [
        (OPEN - pd.Timedelta(hours=2), 0),  # before the open
        (OPEN, 0),  # the first sample has started, not ended
        (OPEN + pd.Timedelta(seconds=29.999), 0),
        (OPEN + pd.Timedelta(seconds=30), 1),
        (OPEN + pd.Timedelta(seconds=95), 3),
        (pd.Timestamp(f"{DAY} 10:00:29", tz="America/New_York"), 60),  # mid-session, by hand
        (pd.Timestamp(f"{DAY} 10:00:30", tz="America/New_York"), 61),
        (pd.Timestamp(f"{DAY} 12:45", tz="America/New_York"), 390),
        (pd.Timestamp(f"{DAY} 15:59:59", tz="America/New_York"), 779),
        (pd.Timestamp(f"{DAY} 16:00", tz="America/New_York"), 780),  # the close
        (pd.Timestamp(f"{DAY} 19:30", tz="America/New_York"), 780),  # after the close
        (pd.Timestamp("2026-09-21 10:00", tz="America/New_York"), 780),  # a later day
        (pd.Timestamp("2026-09-17 15:00", tz="America/New_York"), 0),  # an earlier day
    ],
)
def test_completed_samples_by_hand(now: pd.Timestamp, done: int) -> None:
    assert core.completed_samples(OPEN, now) == done


@pytest.fixture(scope="module")
def friday_state() -> core.SessionState:
    return compute_session(
        chain([(100.0, "C", 10.0, 0.2), (100.0, "P", 10.0, 0.2)]),
        tape([(5, 100.0, "C", 1.0, 10, +1)]),
        flat_spot(),
        symbol="TEST",
        expiration=DAY,
    )


def test_state_counts_its_completed_samples(friday_state: core.SessionState) -> None:
    state = friday_state
    assert state.has_session
    assert state.open == OPEN
    assert state.close == pd.Timestamp(f"{DAY} 16:00", tz="America/New_York")
    noon = pd.Timestamp(f"{DAY} 12:00", tz="America/New_York")
    assert state.completed(noon) == core.completed_samples(state.open, noon) == 300
    assert state.completed(OPEN - pd.Timedelta(seconds=1)) == 0
    assert state.completed(state.close + pd.Timedelta(days=3)) == 780


def test_a_weekend_state_completes_no_sample() -> None:
    saturday = "2026-09-19"
    sat_open = pd.Timestamp(f"{saturday} 09:30", tz="America/New_York")
    state = compute_session(
        chain([(100.0, "C", 10.0, 0.2)]),
        empty_tape(),
        pd.Series([100.0], index=pd.DatetimeIndex([sat_open]), name="spot"),
        symbol="TEST",
        expiration=saturday,
    )
    assert not state.has_session
    for clock in ("08:00", "12:00", "16:00", "20:00"):
        assert state.completed(pd.Timestamp(f"{saturday} {clock}", tz="America/New_York")) == 0
    assert core.completed_samples(state.open, sat_open + pd.Timedelta(hours=1)) == 120
