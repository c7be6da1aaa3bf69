from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from py_lets_be_rational import (  # type: ignore[import-untyped]
    implied_volatility_from_a_transformed_rational_guess as lbr_implied_vol,
)
from py_lets_be_rational import normalised_black_call as lbr_normalised_black_call
from py_lets_be_rational.exceptions import (  # type: ignore[import-untyped]
    BelowIntrinsicException,
)
from scipy.special import ndtr

from flowframe.sources.engine import greeks as G
from flowframe.sources.engine import implied as I
from flowframe.sources.engine.implied import IV_REASONS, REASON_DTYPE, implied_vol
from flowframe.sources.engine.schemas import MIN_TAU, TRADING_MINUTES_PER_YEAR

EPS = float(np.finfo(np.float64).eps)
DBL_MIN = float(np.finfo(np.float64).tiny)
DAY = 1.0 / 252  # a full session on the trading clock


def vol_error_bound(spot, strike, tau, vol, is_call, r=0.0, q=0.0):
    """How far float64 rounding in ``greeks.price`` alone can move the implied vol.

    ``greeks.price`` sums two terms, ``w S e^{-q tau} N(w d1)`` and ``-w K e^{-r tau} N(w d2)``;
    its result carries a few ulps of the larger one (a cancellation that grows far out of the
    money at small ``vol sqrt(tau)``), plus the rounding of ``d1`` and ``d2`` themselves, which
    moves each ``N`` by ``phi(d) * delta_d``, plus underflow: ``scipy.special.ndtr`` returns 0
    below ~``DBL_MIN`` (``ndtr(-38) == 0``), an absolute error up to ``DBL_MIN`` in each ``N``
    (it matters for a huge strike times a vanishing ``N(d2)``). Divided by vega, that is the
    vol error no solver can avoid: the inverse problem is only well-posed to this accuracy in
    float64.
    """
    w = 1.0 if is_call else -1.0
    d1, d2 = (float(d) for d in G.d1_d2(spot, strike, tau, vol, r, q))
    sd, kd = spot * math.exp(-q * tau), strike * math.exp(-r * tau)
    terms = sd * float(ndtr(w * d1)) + kd * float(ndtr(w * d2))
    vst = vol * math.sqrt(tau)
    err_d = 4 * EPS * (abs(math.log(spot / strike)) + abs(r - q) * tau + vst * vst) / vst
    pdf = sd * math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)  # = K e^{-r tau} phi(d2)
    err_price = 4 * EPS * terms + 2 * pdf * err_d + 2 * (sd + kd) * DBL_MIN
    vega = pdf * math.sqrt(tau)
    return err_price / vega if vega > 0 else math.inf


# ---------------------------------------------------------------- (a) round trip, hypothesis
#
# Inputs: spot 10..10000, vol 0.03..3.0, tau from one trading minute to one trading day
# (whole minutes and log-uniform), calls and puts. The strike is drawn in standard deviations
# out of the money, z = ln(K/S) / (vol sqrt(tau)) for a call (ln(S/K) / ... for a put), from
# 8 sd in the money to 38 sd out of it (prices down to ~1e-300 * spot).
#
# Skipped with `assume`, and only these, as mathematically unrecoverable in float64:
# - a price that is not above intrinsic (the time value rounded away or underflowed to 0:
#   no vol fits), or below 1e-300 (a subnormal price has lost its significant bits);
# - a price whose own float64 rounding moves the vol by more than 1e-9 (vol_error_bound):
#   the vol is not determined to the 1e-8 asked for. That excludes deep in-the-money
#   options, whose time value is a few ulps of the price.
# Everything kept must be solved, with reason "", to 1e-8 absolute.

taus = st.one_of(
    st.integers(1, 390).map(lambda m: m / TRADING_MINUTES_PER_YEAR),
    st.floats(math.log(MIN_TAU), math.log(DAY)).map(math.exp),
)


def _strike(spot: float, z: float, vol: float, tau: float, is_call: bool) -> float:
    step = z * vol * math.sqrt(tau)
    return spot * math.exp(step if is_call else -step)


def _check_round_trip(spot, z, vol, tau, is_call, r=0.0, q=0.0) -> None:
    strike = _strike(spot, z, vol, tau, is_call)
    price = float(G.price(spot, strike, tau, vol, is_call, r, q))
    intrinsic = max(
        (1 if is_call else -1) * (spot * math.exp(-q * tau) - strike * math.exp(-r * tau)), 0.0
    )
    assume(price > intrinsic and price >= 1e-300)
    assume(vol_error_bound(spot, strike, tau, vol, is_call, r, q) <= 1e-9)
    right = "C" if is_call else "P"
    iv, why = implied_vol(price, spot, strike, tau, right, r=r, q=q, return_reason=True)
    assert str(why) == "", (why, spot, strike, tau, vol, is_call, price)
    assert abs(float(iv) - vol) <= 1e-8, (float(iv), vol, spot, strike, tau, is_call, price)


@settings(max_examples=600, deadline=None)
@given(
    spot=st.floats(10.0, 10_000.0),
    z=st.floats(-8.0, 38.0),
    vol=st.floats(0.03, 3.0),
    tau=taus,
    is_call=st.booleans(),
)
def test_recovers_vol_hypothesis(spot, z, vol, tau, is_call) -> None:
    _check_round_trip(spot, z, vol, tau, is_call)


@settings(max_examples=200, deadline=None)
@given(
    spot=st.floats(10.0, 10_000.0),
    z=st.floats(-8.0, 38.0),
    vol=st.floats(0.03, 3.0),
    tau=st.one_of(taus, st.floats(DAY, 2.0)),
    is_call=st.booleans(),
    r=st.floats(-0.01, 0.08),
    q=st.floats(0.0, 0.05),
)
def test_recovers_vol_with_rates_hypothesis(spot, z, vol, tau, is_call, r, q) -> None:
    _check_round_trip(spot, z, vol, tau, is_call, r, q)


def test_recovers_vol_vectorised_grid() -> None:
    # the same criterion over a dense grid, in one call (the vectorised path, mixed regimes)
    rng = np.random.default_rng(11)
    n = 20_000
    spot = rng.uniform(10, 10_000, n)
    vol = rng.uniform(0.03, 3.0, n)
    tau = np.exp(rng.uniform(math.log(MIN_TAU), math.log(DAY), n))
    is_call = rng.random(n) < 0.5
    z = rng.uniform(-8, 38, n)
    step = z * vol * np.sqrt(tau)
    strike = spot * np.exp(np.where(is_call, step, -step))
    price = G.price(spot, strike, tau, vol, is_call)
    iv, why = implied_vol(price, spot, strike, tau, np.where(is_call, "C", "P"), return_reason=True)
    bound = np.array(
        [vol_error_bound(*a) for a in zip(spot, strike, tau, vol, is_call, strict=True)]
    )
    intrinsic = np.maximum(np.where(is_call, spot - strike, strike - spot), 0.0)
    keep = (price > intrinsic) & (price >= 1e-300) & (bound <= 1e-9)
    assert keep.sum() > 15_000
    assert (why[keep] == "").all()
    assert np.max(np.abs(iv[keep] - vol[keep])) <= 1e-8
    # where it does answer outside that set, the answer is as good as the price allows
    solved = why == ""
    assert (np.isfinite(iv) == solved).all()
    assert (np.abs(iv - vol)[solved & ~keep] <= np.maximum(100 * bound, 1e-8)[solved & ~keep]).all()
    assert not (why == "no_convergence").any()


# ------------------------------------------------------------------ (b) hand-computed cases


def test_atm_closed_form_and_brenner_subrahmanyam() -> None:
    # ATM, r = q = 0: C = S (2 N(s/2) - 1) = S erf(s / (2 sqrt 2)), s = vol sqrt(tau), by hand
    spot, vol, tau = 6000.0, 0.15, 30 / TRADING_MINUTES_PER_YEAR
    s = vol * math.sqrt(tau)
    price = spot * math.erf(s / (2 * math.sqrt(2)))
    # s = 0.15 sqrt(30 / 98280) = 0.00262071; 6000 s / sqrt(2 pi) = 6.27313, less O(s^3)
    assert price == pytest.approx(6.27308, abs=1e-5)
    for right in ("C", "P"):  # ATM put = ATM call
        assert float(implied_vol(price, spot, spot, tau, right)) == pytest.approx(vol, abs=1e-13)
    # Brenner-Subrahmanyam: vol ~ price sqrt(2 pi) / (S sqrt(tau)), to O(s^2)
    approx = price * math.sqrt(2 * math.pi) / (spot * math.sqrt(tau))
    assert approx == pytest.approx(vol, rel=1e-5)
    assert float(implied_vol(price, spot, spot, tau, "C")) != approx


def test_textbook_hull() -> None:
    # Hull, Options, Futures and Other Derivatives: S = 42, K = 40, r = 10%, T = 0.5,
    # vol = 20% gives c = 4.76 and p = 0.81 (to 4 decimals: 4.7594, 0.8086).
    c = float(implied_vol(4.7594, 42.0, 40.0, 0.5, "C", r=0.1))
    p = float(implied_vol(0.8086, 42.0, 40.0, 0.5, "P", r=0.1))
    assert c == pytest.approx(0.20, abs=1e-4)
    assert p == pytest.approx(0.20, abs=1e-4)
    exact = G.price(42.0, 40.0, 0.5, 0.2, np.array([True, False]), r=0.1)
    np.testing.assert_allclose(exact, [4.7594, 0.8086], atol=5e-5)
    np.testing.assert_allclose(
        implied_vol(exact, 42.0, 40.0, 0.5, ["C", "P"], r=0.1), 0.2, rtol=0, atol=1e-13
    )


def test_model_md_vector() -> None:
    # MODEL.md section 2: S=55, K=50, tau=1, r=0.0025, q=0, vol=0.15
    prices = G.price(55.0, 50.0, 1.0, 0.15, np.array([True, False]), r=0.0025)
    np.testing.assert_allclose(
        implied_vol(prices, 55.0, 50.0, 1.0, ["C", "P"], r=0.0025), 0.15, rtol=0, atol=1e-13
    )


def test_deep_otm_one_minute_to_expiry() -> None:
    # vega ~ 1e-50: Newton on the price alone cannot move from any guess here
    spot, tau = 6000.0, MIN_TAU
    strikes = np.array([6060.0, 6120.0, 5940.0, 5880.0])
    rights = np.array(["C", "C", "P", "P"])
    vol = 0.2
    price = G.price(spot, strikes, tau, vol, rights == "C")
    assert (price > 0).all() and (price < 1e-40).all()
    assert (G.vega(spot, strikes, tau, vol) < 1e-30).all()
    iv = implied_vol(price, spot, strikes, tau, rights)
    np.testing.assert_allclose(iv, vol, rtol=0, atol=1e-12)


def test_calls_and_puts_agree_through_parity() -> None:
    spot, tau, vol = 5000.0, 45 / TRADING_MINUTES_PER_YEAR, 0.18
    strikes = np.linspace(4950, 5050, 21)
    c = G.price(spot, strikes, tau, vol, True)
    p = G.price(spot, strikes, tau, vol, False)
    np.testing.assert_allclose(implied_vol(c, spot, strikes, tau, "C"), vol, atol=1e-11)
    np.testing.assert_allclose(implied_vol(p, spot, strikes, tau, "P"), vol, atol=1e-11)


# ----------------------------------------------------------- (c) against py_lets_be_rational
#
# py_lets_be_rational (Jäckel's "Let's Be Rational", pure Python) solves the undiscounted
# Black formula on the forward: black(F, K, sigma, T, q=+1 call / -1 put). With r = q = 0 the
# forward is the spot and the discount factor 1, so our price, spot, strike and tau go in as
# they are. It returns 0 for a price at intrinsic and raises below it.


def test_agrees_with_py_lets_be_rational_grid() -> None:
    spot = 6000.0
    strikes = np.arange(5700.0, 6305.0, 5.0)
    taus = np.array([1, 5, 30, 120, 390]) / TRADING_MINUTES_PER_YEAR
    vols = np.array([0.05, 0.15, 0.5, 2.0])
    kk, tt, vv, cc = np.meshgrid(strikes, taus, vols, [True, False], indexing="ij")
    kk, tt, vv, cc = kk.ravel(), tt.ravel(), vv.ravel(), cc.ravel()
    price = G.price(spot, kk, tt, vv, cc)
    ours, why = implied_vol(price, spot, kk, tt, np.where(cc, "C", "P"), return_reason=True)
    compared = 0
    for i in range(price.size):
        try:
            flag = 1.0 if cc[i] else -1.0  # its q: +1 call, -1 put
            theirs = lbr_implied_vol(float(price[i]), spot, float(kk[i]), float(tt[i]), flag)
        except BelowIntrinsicException:
            assert why[i] == "below_intrinsic"
            continue
        if theirs == 0.0:  # its answer for a price at intrinsic
            assert why[i] == "at_intrinsic"
            continue
        bound = vol_error_bound(spot, kk[i], tt[i], vv[i], bool(cc[i]))
        if bound <= 1e-9:
            assert why[i] == ""
            assert abs(ours[i] - theirs) <= 1e-9, (i, ours[i], theirs, vv[i])
            assert abs(ours[i] - vv[i]) <= 1e-9
            compared += 1
    assert compared > 1500


def test_normalised_black_matches_lets_be_rational() -> None:
    # the function the solver inverts, against Jäckel's (all four regions)
    rng = np.random.default_rng(3)
    x = -np.exp(rng.uniform(math.log(1e-8), math.log(50.0), 4000))
    x[:50] = 0.0
    s = np.exp(rng.uniform(math.log(1e-5), math.log(20.0), 4000))
    with np.errstate(all="ignore"):
        ours = I._normalised_black(x, s)
    theirs = np.array([lbr_normalised_black_call(a, b) for a, b in zip(x, s, strict=True)])
    live = theirs > 1e-300
    assert live.sum() > 2000
    # erfcx implementations differ (scipy vs Cody) by ~1e-16; the small-t expansion amplifies
    # that by up to h^2 ~ 100 near h = -10
    np.testing.assert_allclose(ours[live], theirs[live], rtol=1e-13, atol=0)
    assert ((ours == 0) == (theirs == 0)).all()


# ---------------------------------------------------------------------------- (d) reasons


def test_every_reason_in_one_array(monkeypatch: pytest.MonkeyPatch) -> None:
    s, t = 6000.0, 30 / TRADING_MINUTES_PER_YEAR
    itm_intrinsic = 100.0  # call 5900 with spot 6000
    cases = [
        # (price, spot, strike, tau, right, expected reason)
        (float(G.price(s, 6010.0, t, 0.15, True)), s, 6010.0, t, "C", ""),
        (np.nan, s, 6010.0, t, "C", "nan_input"),
        (1.0, np.inf, 6010.0, t, "C", "nan_input"),
        (1.0, s, 6010.0, 0.0, "C", "non_positive_tau"),
        (1.0, s, 6010.0, -t, "P", "non_positive_tau"),
        (1.0, -s, 6010.0, t, "C", "non_positive_spot_or_strike"),
        (1.0, s, 0.0, t, "P", "non_positive_spot_or_strike"),
        (99.0, s, 5900.0, t, "C", "below_intrinsic"),
        (-0.5, s, 6100.0, t, "P", "below_intrinsic"),
        (itm_intrinsic, s, 5900.0, t, "C", "at_intrinsic"),
        (0.0, s, 6100.0, t, "C", "at_intrinsic"),  # an OTM price that underflowed to 0
        (s, s, 6010.0, t, "C", "above_upper_bound"),  # call >= S
        (7000.0, s, 6990.0, t, "P", "above_upper_bound"),  # put >= K
        # ITM call one ulp above intrinsic: a time value, but the price's rounding is all of it
        (math.nextafter(itm_intrinsic, math.inf), s, 5900.0, t, "C", "no_time_value_resolvable"),
        # far OTM price underflowed to the smallest subnormal
        (5e-324, s, 6600.0, t, "C", "no_time_value_resolvable"),
    ]
    price, spot, strike, tau, right, expected = (list(c) for c in zip(*cases, strict=True))
    iv, why = implied_vol(price, spot, strike, tau, right, return_reason=True)
    assert why.tolist() == expected
    assert (np.isnan(iv) == (why != "")).all()
    assert float(iv[0]) == pytest.approx(0.15, abs=1e-12)

    # "no_convergence" does not happen in practice (see the round-trip tests); it is what an
    # element still running at the iteration cap gets, so cap the solver at one round.
    monkeypatch.setattr(I, "MAX_ITERATIONS", 1)
    iv1, why1 = implied_vol(price, spot, strike, tau, right, return_reason=True)
    assert why1[0] == "no_convergence" and np.isnan(iv1[0])
    assert why1[1:].tolist() == expected[1:]
    assert set(expected[1:]) | {"no_convergence"} == set(IV_REASONS)


def test_reason_array_dtype_and_ids() -> None:
    assert np.dtype("<U27") == REASON_DTYPE
    assert max(len(r) for r in IV_REASONS) == 27  # "non_positive_spot_or_strike"
    _, why = implied_vol([1.0, np.nan], 100.0, 100.0, 0.01, "C", return_reason=True)
    assert why.dtype == REASON_DTYPE
    assert why.tolist() == ["", "nan_input"]


def test_nan_rates_are_nan_input() -> None:
    _, why = implied_vol(1.0, 100.0, 100.0, 0.01, "C", r=np.nan, return_reason=True)
    assert str(why) == "nan_input"
    _, why = implied_vol([1.0, 1.0], 100.0, 100.0, 0.01, "C", q=[0.0, np.inf], return_reason=True)
    assert why.tolist() == ["", "nan_input"]


def test_wild_inputs_never_raise_or_warn() -> None:
    # Fuzz: magnitudes over the whole float64 range, both signs, zeros, NaN, infinities,
    # subnormals, huge rates. Warnings are errors in this suite. Every element must come out
    # either a finite positive vol with reason "" or NaN with a reason.
    rng = np.random.default_rng(0)
    n = 30_000

    def wild() -> np.ndarray:
        v = np.exp(rng.uniform(-745, 709, n)) * rng.choice([1, 1, 1, -1], n)
        special = rng.choice([0.0, np.nan, np.inf, -np.inf, 5e-324, 1.7976931348623157e308], n)
        return np.where(rng.random(n) < 0.1, special, v)

    r = np.where(rng.random(n) < 0.5, 0.0, wild())
    q = np.where(rng.random(n) < 0.5, 0.0, wild())
    right = np.where(rng.random(n) < 0.5, "C", "P")
    iv, why = implied_vol(wild(), wild(), wild(), wild(), right, r=r, q=q, return_reason=True)
    assert set(why.tolist()) <= {"", *IV_REASONS}
    assert (np.isnan(iv) == (why != "")).all()
    assert (iv[why == ""] > 0).all() and np.isfinite(iv[why == ""]).all()
    assert (why == "").sum() > 300


def test_deep_itm_at_the_close_is_not_a_vol() -> None:
    # the engine's case: deep ITM at one minute, priced by the engine itself
    price = G.price(6000.0, 5900.0, MIN_TAU, 0.15, True)
    iv, why = implied_vol(price, 6000.0, 5900.0, MIN_TAU, "C", return_reason=True)
    assert np.isnan(iv) and str(why) in {"at_intrinsic", "below_intrinsic"}


# ---------------------------------------------------------------- (e) shapes, broadcasting


def test_scalar_input_gives_0d_arrays() -> None:
    p = float(G.price(100.0, 101.0, 0.02, 0.3, True))
    iv = implied_vol(p, 100.0, 101.0, 0.02, "C")
    assert isinstance(iv, np.ndarray)  # not a float
    assert iv.shape == () and iv.dtype == np.float64
    assert float(iv) == pytest.approx(0.3, abs=1e-13)
    iv2, why = implied_vol(p, 100.0, 101.0, 0.02, "C", return_reason=True)
    assert iv2.shape == () and why.shape == () and why.dtype == REASON_DTYPE and str(why) == ""


def test_broadcasting() -> None:
    spot = np.array([[5990.0], [6000.0], [6010.0]])  # (3, 1)
    strike = np.array([5980.0, 6000.0, 6020.0, 6040.0])  # (4,)
    right = np.array(["P", "C", "C", "C"])
    tau = 20 / TRADING_MINUTES_PER_YEAR
    vol = np.array([0.2, 0.15, 0.14, 0.13])
    price = G.price(spot, strike, tau, vol, right == "C")
    assert price.shape == (3, 4)
    iv, why = implied_vol(price, spot, strike, tau, right, return_reason=True)
    assert iv.shape == why.shape == (3, 4)
    np.testing.assert_allclose(iv, np.broadcast_to(vol, (3, 4)), atol=1e-11)
    # a right per row, broadcast along the strikes; tau and rates as arrays too
    both = implied_vol(
        price[:, 1:2], spot, strike[1], np.full((1, 1), tau), np.array([["C"]]), r=[0.0], q=0.0
    )
    assert both.shape == (3, 1)
    np.testing.assert_allclose(both[:, 0], 0.15, atol=1e-11)


def test_dtypes_lists_and_ints() -> None:
    iv = implied_vol([5, 10], [100, 100], 100, 1, ["C", "P"])  # ints and lists
    assert iv.dtype == np.float64 and iv.shape == (2,)
    np.testing.assert_allclose(G.price(100.0, 100.0, 1.0, iv, np.array([True, False])), [5, 10])
    obj = implied_vol([5.0], 100.0, 100.0, 1.0, np.array(["C"], dtype=object))
    assert obj.shape == (1,) and np.isfinite(obj).all()
    f32 = implied_vol(np.float32(5.0), np.float32(100.0), 100.0, 1.0, "C")
    assert f32.dtype == np.float64


def test_empty_and_inputs_untouched() -> None:
    iv, why = implied_vol(np.array([]), 100.0, 100.0, 1.0, "C", return_reason=True)
    assert iv.shape == (0,) and why.shape == (0,)
    price = np.array([5.0, np.nan, -1.0])
    before = price.copy()
    implied_vol(price, 100.0, 100.0, 1.0, "C")
    np.testing.assert_array_equal(price, before)


def test_return_reason_false_returns_array_only() -> None:
    out = implied_vol(5.0, 100.0, 100.0, 1.0, "C")
    assert isinstance(out, np.ndarray)


# ---------------------------------------------------------------------------- (f) bad right


@pytest.mark.parametrize(
    ("right", "where", "value"),
    [
        (["C", "P", "c"], "right[2]", "'c'"),
        (np.array([["C", "P"], ["X", "C"]]), "right[1, 0]", "'X'"),
        ("call", "right", "'call'"),
        ([True, False], "right[0]", "True"),
        (np.array([b"C"]), "right[0]", "b'C'"),
        ([1, -1], "right[0]", "1"),
    ],
)
def test_bad_right_raises_naming_position(right, where, value) -> None:
    n = np.asarray(right).shape
    with pytest.raises(ValueError) as info:
        implied_vol(np.ones(n), 100.0, 100.0, 1.0, right)
    message = str(info.value)
    assert f"{where} = {value}" in message
    assert "'C'" in message and "'P'" in message and "case-sensitive" in message


def test_bad_right_raises_even_when_numbers_are_bad() -> None:
    with pytest.raises(ValueError, match=r"right\[1\]"):
        implied_vol([np.nan, 1.0], 100.0, 100.0, 1.0, ["C", "p"])
