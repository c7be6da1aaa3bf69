from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from blackscholes import BlackScholesCall, BlackScholesPut
from hypothesis import given, settings
from hypothesis import strategies as st

from flowframe.sources.engine import greeks as G
from flowframe.sources.engine.schemas import MIN_TAU, MULTIPLIER, TRADING_MINUTES_PER_YEAR

# --------------------------------------------------------------------------- (a) hand vector


def test_model_md_vector() -> None:
    # MODEL.md section 2: S=55, K=50, tau=1, r=0.0025, q=0, vol=0.15
    g = G.greeks(55.0, 50.0, 1.0, 0.15, np.array([True, False]), r=0.0025)
    assert g.delta == pytest.approx([0.766408, -0.233592], abs=5e-7)
    assert g.gamma == pytest.approx([0.037125, 0.037125], abs=5e-7)
    assert g.vanna == pytest.approx([-1.178299, -1.178299], abs=5e-7)
    assert g.charm == pytest.approx([0.083268, 0.083268], abs=5e-7)  # per year, q = 0: call == put


def test_model_md_vector_single_functions() -> None:
    args = (55.0, 50.0, 1.0, 0.15)
    assert float(G.delta(*args, True, r=0.0025)) == pytest.approx(0.766408, abs=5e-7)
    assert float(G.delta(*args, False, r=0.0025)) == pytest.approx(-0.233592, abs=5e-7)
    assert float(G.gamma(*args, r=0.0025)) == pytest.approx(0.037125, abs=5e-7)
    assert float(G.vanna(*args, r=0.0025)) == pytest.approx(-1.178299, abs=5e-7)
    assert float(G.charm(*args, True, r=0.0025)) == pytest.approx(0.083268, abs=5e-7)
    assert float(G.charm(*args, False, r=0.0025)) == pytest.approx(0.083268, abs=5e-7)


# ------------------------------------------------------------- (b) independent implementation
#
# Conventions of the `blackscholes` package (0.2.2), read from its source and checked here:
# - T is in years, sigma decimal, q continuous yield: the same as ours (we feed it our tau).
# - delta(): e^{-qT} N(d1) (call) and e^{-qT} (N(d1) - 1) (put): our spot delta. (Its
#   `spot_delta()` multiplies by e^{rT}; not used.)
# - gamma(), vanna() (= -e^{-qT} phi(d1) d2 / sigma, per 1.00 vol) and vega() (per 1.00 vol,
#   not per vol point): same units as ours, no conversion.
# - charm(): q e^{-qT} N(d1) - e^{-qT} phi(d1) [2(r-q)T - d2 sigma sqrt(T)] / (2 T sigma sqrt(T))
#   (put: -q e^{-qT} N(-d1) - ...): d(delta)/dt with time passing (= -d(delta)/dT), per YEAR.
#   That is our sign and unit, so the conversion factor is +1 (checked against the finite
#   difference -d(delta)/d(tau) in test_blackscholes_charm_convention below).
# - It asserts S, K, T, sigma > 0 and q >= 0; it uses erf for N, so only absolute agreement
#   is meaningful in the far tails.

BS_CHARM_TO_OURS = 1.0  # per year, time passing, same sign: no conversion needed


def _bs(call: bool, *a: float) -> dict[str, float]:
    s, k, t, v, r, q = a
    o = (BlackScholesCall if call else BlackScholesPut)(S=s, K=k, T=t, r=r, sigma=v, q=q)
    return {
        "price": o.price(),
        "delta": o.delta(),
        "gamma": o.gamma(),
        "vanna": o.vanna(),
        "charm": o.charm() * BS_CHARM_TO_OURS,
        "vega": o.vega(),
    }


def _close(ours: float, ref: float, tol: float = 1e-9) -> bool:
    """1e-9 absolute, relative where the value is large."""
    return abs(ours - ref) <= tol * max(1.0, abs(ref))


def test_blackscholes_charm_convention() -> None:
    s, k, t, v, r, q = 6000.0, 6020.0, 30 / TRADING_MINUTES_PER_YEAR, 0.2, 0.03, 0.01
    h = t * 1e-4
    for cls in (BlackScholesCall, BlackScholesPut):
        up = cls(S=s, K=k, T=t + h, r=r, sigma=v, q=q).delta()
        dn = cls(S=s, K=k, T=t - h, r=r, sigma=v, q=q).delta()
        theirs = cls(S=s, K=k, T=t, r=r, sigma=v, q=q).charm()
        assert theirs == pytest.approx(-(up - dn) / (2 * h), rel=1e-5)


taus = st.one_of(
    st.integers(1, 390).map(lambda m: m / TRADING_MINUTES_PER_YEAR),  # 0DTE: whole minutes
    st.floats(MIN_TAU, 2.0),
    st.floats(math.log(MIN_TAU), math.log(2.0)).map(math.exp),  # log-uniform 1 min .. 2 y
)


@settings(max_examples=400, deadline=None)
@given(
    spot=st.floats(10.0, 10_000.0),
    moneyness=st.floats(-0.3, 0.3),
    tau=taus,
    vol=st.floats(0.05, 2.0),
    r=st.floats(0.0, 0.05),
    q=st.floats(0.0, 0.03),
)
def test_agrees_with_blackscholes(
    spot: float, moneyness: float, tau: float, vol: float, r: float, q: float
) -> None:
    strike = spot * (1.0 + moneyness)
    is_call = np.array([True, False])
    ours = {
        "price": G.price(spot, strike, tau, vol, is_call, r, q),
        "delta": G.delta(spot, strike, tau, vol, is_call, r, q),
        "gamma": np.broadcast_to(G.gamma(spot, strike, tau, vol, r, q), (2,)),
        "vanna": np.broadcast_to(G.vanna(spot, strike, tau, vol, r, q), (2,)),
        "charm": G.charm(spot, strike, tau, vol, is_call, r, q),
        "vega": np.broadcast_to(G.vega(spot, strike, tau, vol, r, q), (2,)),
    }
    together = G.greeks(spot, strike, tau, vol, is_call, r, q)
    for i, call in enumerate((True, False)):
        ref = _bs(call, spot, strike, tau, vol, r, q)
        for name, values in ours.items():
            assert _close(float(values[i]), ref[name]), (name, call, values[i], ref[name])
        for name in G.Greeks._fields:
            assert _close(float(getattr(together, name)[i]), ref[name]), (name, call)


# ------------------------------------------------------------------------------ (c) parity


def _grid(n: int = 20_000, seed: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    s = rng.uniform(10, 10_000, n)
    k = s * rng.uniform(0.7, 1.3, n)
    t = np.exp(rng.uniform(math.log(MIN_TAU), math.log(2.0), n))
    v = rng.uniform(0.05, 2.0, n)
    r = rng.uniform(0, 0.05, n)
    q = rng.uniform(0, 0.03, n)
    return s, k, t, v, r, q


def test_put_call_parity() -> None:
    s, k, t, v, r, q = _grid()
    c = G.price(s, k, t, v, True, r, q)
    p = G.price(s, k, t, v, False, r, q)
    forward_gap = s * np.exp(-q * t) - k * np.exp(-r * t)
    np.testing.assert_allclose(c - p, forward_gap, rtol=0, atol=1e-9 * s.max())
    dc = G.delta(s, k, t, v, True, r, q)
    dp = G.delta(s, k, t, v, False, r, q)
    np.testing.assert_allclose(dc - dp, np.exp(-q * t), rtol=0, atol=1e-12)
    assert (c >= 0).all() and (p >= 0).all()
    assert ((dc >= 0) & (dc <= 1)).all() and ((dp <= 0) & (dp >= -1)).all()


def test_charm_call_minus_put_is_q_discount() -> None:
    # charm_call - charm_put = q e^{-q tau} (N(d1) + N(-d1)) = q e^{-q tau}
    s, k, t, v, r, q = _grid()
    diff = G.charm(s, k, t, v, True, r, q) - G.charm(s, k, t, v, False, r, q)
    scale = np.maximum(1.0, np.abs(G.charm(s, k, t, v, True, r, q)))
    np.testing.assert_array_less(np.abs(diff - q * np.exp(-q * t)) / scale, 1e-9)


def test_greeks_equal_single_functions() -> None:
    s, k, t, v, r, q = _grid(5_000)
    is_call = np.arange(s.size) % 3 == 0
    for kw in ({}, {"r": r, "q": q}, {"r": 0.04, "q": 0.0}):
        g = G.greeks(s, k, t, v, is_call, **kw)
        np.testing.assert_allclose(g.delta, G.delta(s, k, t, v, is_call, **kw), rtol=1e-14)
        np.testing.assert_allclose(g.gamma, G.gamma(s, k, t, v, **kw), rtol=1e-14)
        np.testing.assert_allclose(g.vanna, G.vanna(s, k, t, v, **kw), rtol=1e-14)
        np.testing.assert_allclose(
            g.charm, G.charm(s, k, t, v, is_call, **kw), rtol=1e-12, atol=1e-12
        )


# ----------------------------------------------------------------------- (d) finite differences

FD_CASES = [
    # spot, strike, tau, vol, r, q
    (55.0, 50.0, 1.0, 0.15, 0.0025, 0.0),
    (6000.0, 6000.0, 390 / TRADING_MINUTES_PER_YEAR, 0.15, 0.0, 0.0),  # 0DTE at the open
    (6000.0, 6010.0, 30 / TRADING_MINUTES_PER_YEAR, 0.18, 0.0, 0.0),  # 30 minutes left
    (6000.0, 5980.0, 15 / TRADING_MINUTES_PER_YEAR, 0.25, 0.04, 0.013),
    (600.0, 580.0, 0.25, 0.35, 0.05, 0.03),
    (25.0, 31.0, 2.0, 1.2, 0.01, 0.02),
]


def _central(f: Callable[[float], float], x: float, h: float) -> float:
    """Five-point central difference, error O(h^4)."""
    return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)


@pytest.mark.parametrize("is_call", [True, False])
@pytest.mark.parametrize(("s", "k", "t", "v", "r", "q"), FD_CASES)
def test_finite_differences(
    s: float, k: float, t: float, v: float, r: float, q: float, is_call: bool
) -> None:
    def d(s_: float = s, t_: float = t, v_: float = v) -> float:
        return float(G.delta(s_, k, t_, v_, is_call, r, q))

    def p(s_: float = s, v_: float = v) -> float:
        return float(G.price(s_, k, t, v_, is_call, r, q))

    g = G.greeks(s, k, t, v, is_call, r, q)
    hs, hv, ht = s * 1e-5, v * 1e-5, t * 1e-5
    assert float(g.gamma) == pytest.approx(_central(lambda x: d(s_=x), s, hs), rel=1e-5, abs=1e-9)
    assert float(g.vanna) == pytest.approx(_central(lambda x: d(v_=x), v, hv), rel=1e-5, abs=1e-8)
    # charm is d(delta)/dt with time passing: minus the derivative in tau
    assert float(g.charm) == pytest.approx(-_central(lambda x: d(t_=x), t, ht), rel=1e-5, abs=1e-7)
    assert float(g.delta) == pytest.approx(_central(lambda x: p(s_=x), s, hs), rel=1e-6, abs=1e-8)
    vega = float(G.vega(s, k, t, v, r, q))
    assert vega == pytest.approx(_central(lambda x: p(v_=x), v, hv), rel=1e-5, abs=1e-7)


# -------------------------------------------------------------------------------- (e) guards


def test_expired_contracts() -> None:
    s = np.array([55.0, 50.0, 45.0, 55.0, 50.0, 45.0])
    is_call = np.array([True, True, True, False, False, False])
    for tau in (0.0, -0.01):
        g = G.greeks(s, 50.0, tau, 0.2, is_call, r=0.03, q=0.01)
        np.testing.assert_array_equal(g.delta, [1.0, 0.5, 0.0, 0.0, -0.5, -1.0])
        for arr in (g.gamma, g.vanna, g.charm):
            np.testing.assert_array_equal(arr, np.zeros(6))
        np.testing.assert_array_equal(
            G.price(s, 50.0, tau, 0.2, is_call, 0.03), [5.0, 0.0, 0.0, 0.0, 0.0, 5.0]
        )
        np.testing.assert_array_equal(G.delta(s, 50.0, tau, 0.2, is_call), g.delta)
        np.testing.assert_array_equal(G.gamma(s, 50.0, tau, 0.2), np.zeros(6))
        np.testing.assert_array_equal(G.vanna(s, 50.0, tau, 0.2), np.zeros(6))
        np.testing.assert_array_equal(G.vega(s, 50.0, tau, 0.2), np.zeros(6))
        np.testing.assert_array_equal(G.charm(s, 50.0, tau, 0.2, is_call, 0.0, 0.02), np.zeros(6))
        d1, d2 = G.d1_d2(s[:3], 50.0, tau, 0.2)
        np.testing.assert_array_equal(d1, [np.inf, 0.0, -np.inf])
        np.testing.assert_array_equal(d2, d1)


def test_expired_mixed_with_live() -> None:
    tau = np.array([0.0, 0.01, 0.0])
    g = G.greeks(55.0, 50.0, tau, 0.2, True)
    assert g.delta[0] == 1.0 and g.delta[2] == 1.0 and 0.5 < g.delta[1] < 1.0
    assert g.gamma[1] > 0 and g.gamma[0] == 0.0


@pytest.mark.parametrize(
    ("s", "k", "t", "v", "r", "q"),
    [
        (55.0, 50.0, 0.1, 0.0, 0.0, 0.0),  # zero vol
        (55.0, 50.0, 0.1, -0.2, 0.0, 0.0),  # negative vol
        (55.0, 50.0, 0.1, np.nan, 0.0, 0.0),
        (55.0, 50.0, 0.1, np.inf, 0.0, 0.0),
        (np.nan, 50.0, 0.1, 0.2, 0.0, 0.0),
        (np.inf, 50.0, 0.1, 0.2, 0.0, 0.0),
        (0.0, 50.0, 0.1, 0.2, 0.0, 0.0),
        (-5.0, 50.0, 0.1, 0.2, 0.0, 0.0),
        (55.0, 0.0, 0.1, 0.2, 0.0, 0.0),
        (55.0, -np.inf, 0.1, 0.2, 0.0, 0.0),
        (55.0, 50.0, np.nan, 0.2, 0.0, 0.0),
        (55.0, 50.0, np.inf, 0.2, 0.0, 0.0),
        (55.0, 50.0, 0.1, 0.2, np.nan, 0.0),
        (55.0, 50.0, 0.1, 0.2, 0.0, np.inf),
        (55.0, 50.0, 0.0, np.nan, 0.0, 0.0),  # expired but invalid: NaN wins
        (55.0, 50.0, -1.0, 0.0, 0.0, 0.0),
    ],
)
def test_invalid_inputs_give_nan(
    s: float, k: float, t: float, v: float, r: float, q: float
) -> None:
    # pytest turns warnings into errors, so this also checks that nothing warns
    for is_call in (True, False):
        assert all(np.isnan(x) for x in G.greeks(s, k, t, v, is_call, r, q))
        assert np.isnan(G.price(s, k, t, v, is_call, r, q))
        assert np.isnan(G.delta(s, k, t, v, is_call, r, q))
        assert np.isnan(G.charm(s, k, t, v, is_call, r, q))
    assert np.isnan(G.gamma(s, k, t, v, r, q))
    assert np.isnan(G.vanna(s, k, t, v, r, q))
    assert np.isnan(G.vega(s, k, t, v, r, q))
    assert all(np.isnan(x) for x in G.d1_d2(s, k, t, v, r, q))


def test_invalid_elements_do_not_spoil_the_rest() -> None:
    vol = np.array([0.2, np.nan, 0.0, 0.2, -1.0])
    g = G.greeks(55.0, 50.0, 0.5, vol, True)
    ref = G.greeks(55.0, 50.0, 0.5, 0.2, True)
    for name in G.Greeks._fields:
        arr, one = getattr(g, name), float(getattr(ref, name))
        assert arr[0] == one and arr[3] == one
        assert np.isnan(arr[[1, 2, 4]]).all()
    r = np.array([0.01, np.nan])
    assert np.isnan(G.price(55.0, 50.0, 0.5, 0.2, True, r=r)).tolist() == [False, True]


def test_deep_out_of_the_money_underflow_is_quiet() -> None:
    # one minute left, 30% away, low vol: phi(d1) and N(d1) underflow to exactly 0
    k = np.array([70.0, 130.0])
    g = G.greeks(100.0, k, MIN_TAU, 0.05, np.array([False, True]))
    for arr in g:
        np.testing.assert_array_equal(arr, [0.0, 0.0])
    np.testing.assert_array_equal(G.price(100.0, k, MIN_TAU, 0.05, np.array([False, True])), 0.0)
    # ... and the in-the-money side is exactly +-1
    np.testing.assert_array_equal(
        G.delta(100.0, k, MIN_TAU, 0.05, np.array([True, False])), [1, -1]
    )
    # put tails keep relative precision (N(-d1), not N(d1) - 1)
    tiny = float(G.delta(100.0, 40.0, 0.1, 0.2, False))  # N(-d1) ~ 1e-47; N(d1) - 1 == 0.0
    assert -1e-40 < tiny < 0.0


def test_tau_from_minutes() -> None:
    got = G.tau_from_minutes([390, 195, 1, 0.5, 0, -10, np.nan])
    np.testing.assert_allclose(got[:3], [1 / 252, 0.5 / 252, MIN_TAU], rtol=1e-15)
    assert (got[3:6] == MIN_TAU).all()
    assert np.isnan(got[6])
    assert G.tau_from_minutes(390).shape == ()
    assert MIN_TAU == 1 / (252 * 390)


def test_is_call_types() -> None:
    ints = G.delta(55.0, 50.0, 1.0, 0.2, np.array([1, 0]))
    np.testing.assert_array_equal(ints, G.delta(55.0, 50.0, 1.0, 0.2, np.array([True, False])))
    with pytest.raises(TypeError, match="is_call must be boolean"):
        G.delta(55.0, 50.0, 1.0, 0.2, np.array(["C", "P"]))


# ---------------------------------------------------------------------------- (f) broadcasting


def test_broadcasting_shapes() -> None:
    strikes = np.linspace(5900.0, 6100.0, 41)
    g = G.greeks(6000.0, strikes, 0.001, 0.15, True)
    assert all(arr.shape == (41,) for arr in g)
    spots = np.array([5990.0, 6000.0, 6010.0])[:, None]
    g2 = G.greeks(spots, strikes[None, :], 0.001, 0.15, False)
    assert all(arr.shape == (3, 41) for arr in g2)
    for i, sp in enumerate(spots[:, 0]):
        for j in (0, 20, 40):
            one = G.greeks(float(sp), float(strikes[j]), 0.001, 0.15, False)
            for name in G.Greeks._fields:
                assert getattr(g2, name)[i, j] == pytest.approx(float(getattr(one, name)), 1e-14)
    # is_call as (2, 1) against strikes (41,): every output, gamma too, is (2, 41)
    g3 = G.greeks(6000.0, strikes, 0.001, 0.15, np.array([[True], [False]]))
    assert all(arr.shape == (2, 41) for arr in g3)
    np.testing.assert_allclose(g3.delta[0] - g3.delta[1], 1.0, atol=1e-15)
    np.testing.assert_array_equal(g3.gamma[0], g3.gamma[1])
    # vol and tau per row, r per column
    shape = G.price(
        6000.0, strikes, np.array([[0.001], [0.002]]), 0.15, True, r=np.zeros((1, 41))
    ).shape
    assert shape == (2, 41)
    assert G.gamma(spots, strikes, 0.001, np.full((3, 1), 0.2)).shape == (3, 41)
    # all scalars give 0-d arrays
    assert all(a.shape == () for a in G.greeks(1.0, 1.0, 1.0, 0.2, 1))
    assert G.price(1.0, 1.0, 1.0, 0.2, True).shape == ()
    assert G.d1_d2(1.0, 1.0, 1.0, 0.2)[0].shape == ()
    # empty input
    assert G.greeks(np.array([]), 1.0, 1.0, 0.2, True).delta.shape == (0,)


def test_incompatible_shapes_raise() -> None:
    with pytest.raises(ValueError, match="broadcast"):
        G.greeks(np.ones(3), np.ones(4), 1.0, 0.2, True)


# ----------------------------------------------------------------------- 0DTE magnitude (§13)


def test_spx_0dte_magnitude() -> None:
    s = 6000.0
    tau = float(G.tau_from_minutes(390))  # 6.5 h left = a full session = 1/252 year
    gam = float(G.gamma(s, s, tau, 0.15))
    assert gam == pytest.approx(0.0070, rel=0.05)
    gex_per_contract_per_pct = gam * MULTIPLIER * s**2 * 0.01
    assert gex_per_contract_per_pct == pytest.approx(0.25e6, rel=0.05)
    # gamma grows like 1/sqrt(tau): 15 minutes left is about sqrt(26) = 5.1 times the open
    late = float(G.gamma(s, s, float(G.tau_from_minutes(15)), 0.15))
    assert late == pytest.approx(0.0359, rel=0.05)
