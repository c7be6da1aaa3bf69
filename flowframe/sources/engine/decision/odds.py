"""Model odds that a play pays at the close [CHOICE: lognormal, flat at the ATM IV].

The same model as the snapshot's ``probabilities`` block (see
:func:`flowframe.sources.engine.decision.body.probabilities`): the close ``S_T`` is lognormal
around spot with no drift in price (``E[S_T] = S``), volatility ``atm_iv`` on the trading
clock and ``tau`` the time left (trading years, :func:`~flowframe.sources.engine.greeks.
tau_from_minutes` of the hours left), so::

    P(low < S_T < high) = N(z(high)) - N(z(low))
    z(B) = (ln(B / S) + sigma^2 tau / 2) / (sigma sqrt(tau))

A play's *profit zone* is where it pays more than it cost at expiry, priced with Black-Scholes
at the same flat vol (no smile: [CHOICE], so the odds do not depend on how a vendor's smile
was fitted):

- iron fly: short straddle at ``K``, wings ``Kp < K < Kc``; credit ``c = C(K) + P(K) - C(Kc) -
  P(Kp)``; zone ``(K - c, K + c)``;
- iron condor: shorts ``Ksp < Ksc``, wings outside; credit ``c`` likewise; zone
  ``(Ksp - c, Ksc + c)``;
- bull put spread (short ``Ks`` over long ``Kl``): ``c = P(Ks) - P(Kl)``; zone ``(Ks - c, inf)``;
  bear call spread: ``c = C(Ks) - C(Kl)``; zone ``(0, Ks + c)``;
- debit spread: long ``Kl``, short ``Ks`` further out; debit ``d``; calls: zone
  ``(Kl + d, inf)``, puts: ``(0, Kl - d)``;
- straddle at ``K`` (premium ``p = C(K) + P(K)``): outside ``(K - p, K + p)``;
- lotto (one OTM option of premium ``p``): call ``(K + p, inf)``, put ``(0, K - p)``.

These are the odds of the play paying *if the close were drawn from the no-flow model*: they
ignore dealer positioning, which is what the setup's conditions weigh. The rules engine uses
them as a floor on confidence (:data:`~flowframe.sources.engine.decision.setups.HIGH_ODDS`),
so a "high confidence" play never sits next to long odds of paying.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from scipy.special import ndtr

from flowframe.sources.engine import greeks as bs
from flowframe.sources.engine.decision.inputs import DecisionInputs

__all__ = ["in_band", "play_odds", "tau_left"]


def tau_left(inp: DecisionInputs) -> float:
    """Return the time left in trading years (floored at one trading minute)."""
    return float(bs.tau_from_minutes(max(inp.hours_left, 0.0) * 60.0))


def in_band(spot: float, low: float, high: float, vol: float, tau: float) -> float:
    """Return ``P(low <= S_T <= high)`` under the lognormal at ``vol`` over ``tau``.

    ``low`` <= 0 and ``high`` = inf stand for an open side. With no time or no vol left, the
    close is spot: 1.0 when spot is inside the band, else 0.0.
    """
    scale = vol * math.sqrt(tau)
    if not scale > 0:
        return float(low <= spot <= high)

    def z(level: float) -> float:
        return (math.log(level / spot) + 0.5 * scale * scale) / scale

    upper = 1.0 if math.isinf(high) else float(ndtr(z(high)))
    lower = 0.0 if low <= 0 else float(ndtr(z(low)))
    return max(0.0, upper - lower)


def _price(inp: DecisionInputs, strike: float, call: bool, tau: float) -> float:
    return float(bs.price(inp.spot, strike, tau, inp.atm_iv, call))


def play_odds(key: str, hint: Mapping[str, float], inp: DecisionInputs) -> dict[str, Any] | None:
    """Return the odds that a play pays at the close, with its profit zone.

    Parameters
    ----------
    key : str
        The play (``"iron_fly"``, ...).
    hint : mapping of str to float
        Its legs (the verdict's ``strikes_hint``); an empty hint (no listed legs) gives None.
    inp : DecisionInputs
        The moment: spot, ATM IV, hours left.

    Returns
    -------
    dict or None
        ``{"value": P, "low": L, "high": H, "outside": bool, "event": text}``: ``P`` in
        [0, 1]; ``L`` / ``H`` the zone's ends in points (None for an open side); ``outside``
        is True for the straddle, which pays *outside* ``[L, H]``. None without legs or with a
        non-finite input.
    """
    if not hint or not all(map(math.isfinite, (inp.spot, inp.atm_iv, inp.hours_left))):
        return None
    tau = tau_left(inp)
    vol = inp.atm_iv

    def band(low: float, high: float) -> float:
        return in_band(inp.spot, low, high, vol, tau)

    low: float | None
    high: float | None
    if key == "iron_fly":
        k = hint["short_call_strike"]
        kc, kp = hint["long_call_strike"], hint["long_put_strike"]
        c = (
            _price(inp, k, True, tau)
            + _price(inp, k, False, tau)
            - _price(inp, kc, True, tau)
            - _price(inp, kp, False, tau)
        )
        low, high = k - c, k + c
        value, event = band(low, high), "close inside the fly's break-evens"
    elif key == "iron_condor":
        ksp, ksc = hint["short_put_strike"], hint["short_call_strike"]
        c = (
            _price(inp, ksp, False, tau)
            - _price(inp, hint["long_put_strike"], False, tau)
            + _price(inp, ksc, True, tau)
            - _price(inp, hint["long_call_strike"], True, tau)
        )
        low, high = ksp - c, ksc + c
        value, event = band(low, high), "close inside the condor's break-evens"
    elif key == "bull_put_spread":
        ks = hint["short_put_strike"]
        c = _price(inp, ks, False, tau) - _price(inp, hint["long_put_strike"], False, tau)
        low, high = ks - c, None
        value, event = band(low, math.inf), "close above the spread's break-even"
    elif key == "bear_call_spread":
        ks = hint["short_call_strike"]
        c = _price(inp, ks, True, tau) - _price(inp, hint["long_call_strike"], True, tau)
        low, high = None, ks + c
        value, event = band(0.0, high), "close below the spread's break-even"
    elif key == "debit_spread":
        kl, ks = hint["long_strike"], hint["short_strike"]
        call = ks > kl
        d = _price(inp, kl, call, tau) - _price(inp, ks, call, tau)
        if call:
            low, high = kl + d, None
            value = band(low, math.inf)
        else:
            low, high = None, kl - d
            value = band(0.0, high)
        event = "close beyond the spread's break-even"
    elif key == "breakout_straddle":
        k = hint["strike"]
        p = _price(inp, k, True, tau) + _price(inp, k, False, tau)
        low, high = k - p, k + p
        value, event = 1.0 - band(low, high), "close outside the straddle's break-evens"
    elif key == "lotto":
        if "long_call_strike" in hint:
            k = hint["long_call_strike"]
            low, high = k + _price(inp, k, True, tau), None
            value = band(low, math.inf)
        else:
            k = hint["long_put_strike"]
            low, high = None, k - _price(inp, k, False, tau)
            value = band(0.0, high)
        event = "close beyond the option's break-even"
    else:
        return None
    return {
        "value": round(min(max(value, 0.0), 1.0), 6),
        "low": None if low is None else round(low, 2),
        "high": None if high is None else round(high, 2),
        "outside": key == "breakout_straddle",
        "event": event,
    }
