"""The live snapshot body, every block of the hosted shape, from the engine's state at "now".

Blocks and their conventions (see ``flowframe/sources/engine/CONVENTIONS.md`` for the engine's):

- ``regime``: label, gamma flip, spot vs flip, distances in %, dollars and remaining sigmas.
- ``exposures``: live net GEX/DEX/VEX/CHEX of the 0DTE chain. ``pct_of_total_gex`` and
  ``total_chain_net_gex`` need the other expiries, which a local source does not have: null.
- ``expected_move`` [CHOICE]: implied 1-sigma of a whole session
  (``open spot x ATM IV / sqrt(252)``, x ``sqrt(210/390)`` on a 13:00 early close: the trading
  clock's year stays 252 x 390 minutes); remaining 1-sigma (``spot x ATM IV x sqrt(tau)``);
  bounds = spot +- remaining; ``straddle_price`` = BSM ATM straddle now.
- ``pin_risk``: magnet, its GEX, pin score and components, max pain, top-3 OI share.
- ``hedging`` [API buckets]: for a spot move of +-10 bp, 25 bp, 0.5% and 1%, dealers trade
  ``-GEX * (move / 1%)`` dollars of delta (linear in the move), i.e. ``shares = that / spot``;
  ``convexity_at_spot`` = second difference of net GEX over the three strikes nearest spot.
- ``decay`` [CHOICE]: ``net_theta_dollars`` = the time value dealers are short, which decays
  in their favour by the close (``-sum(n * (price - intrinsic) * 100)``; negative when dealers
  are net long premium);
  ``theta_per_hour_remaining`` = that / hours left; ``charm_regime`` from the sign of net
  CHEX; ``gamma_acceleration`` = ATM gamma now / ATM gamma with 7 sessions left.
- ``vol_context``: 0DTE ATM IV (in %), ``skew_25d`` = 25-delta put IV minus 25-delta call IV
  (vol points), vanna exposure; 7DTE IV and VIX are not local inputs: null.
- ``flow``: volumes since the open (by side), effective OI, ratios, ATM (+-0.5%) and top-3
  strike volume shares.
- ``levels``: walls with their GEX and strength (wall GEX / same-side total |GEX|), distances,
  highest-OI strike, largest positive / negative net GEX strikes.
- ``liquidity``: last quoted spreads (% of mid) at the strike nearest spot, and weighted by
  premium traded since the open; execution score ``100 * exp(-weighted spread / 5%)``; null
  when the tape carried no quotes.
- ``metadata``: age of the last sample, chain size, ``data_quality_score`` = classification
  coverage x 100.
- ``strikes``: the per-strike table of the hosted body.
- ``flow_direction``, ``headline``, ``setup``, ``probabilities``: the decision layer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from flowframe._stats import robust_z
from flowframe._wire import iso_z, json_number
from flowframe.sources.engine import greeks as bs
from flowframe.sources.engine.core import N_SAMPLES, SessionState
from flowframe.sources.engine.decision.flow import flow_direction
from flowframe.sources.engine.decision.headline import headline as make_headline
from flowframe.sources.engine.decision.inputs import DecisionInputs
from flowframe.sources.engine.decision.odds import in_band
from flowframe.sources.engine.decision.setups import evaluate_setups
from flowframe.sources.engine.schemas import MULTIPLIER, SAMPLE_SECONDS

__all__ = ["decision_inputs", "probabilities", "snapshot_body"]

CALIBRATION_METHOD = "lognormal_atm_iv_v1"
_BUCKETS = (("10bp", 0.001), ("25bp", 0.0025), ("half_pct", 0.005), ("1pct", 0.01))
_SQRT_252 = math.sqrt(252.0)
#: Fewer 30-minute flows than this give a flow_z of 0 (too little history to judge).
FLOW_Z_MIN_HISTORY = 5


def decision_inputs(state: SessionState, now: pd.Timestamp) -> DecisionInputs:
    """Read the session at ``now`` into :class:`DecisionInputs` (a pure function of the state).

    Parameters
    ----------
    state : SessionState
        The computed session (``Local.state``).
    now : pandas.Timestamp
        A tz-aware time. The values read are those of the last sample completed by then
        (of the first sample while none has).
    """
    s = state
    done = max(s.completed(now), 1)
    i = done - 1
    spot = float(s.spot[i])
    open_spot = float(s.spot[0])
    vol = float(s.atm_iv[i])
    hours_left = max((s.close - now).total_seconds() / 3600.0, 0.0)
    flow = s.hf_all
    window = 60  # 30 minutes of 30 s samples
    flow_30m = float(flow[max(0, done - window) : done].sum())
    rolling = (
        np.convolve(flow[:done], np.ones(window), mode="valid") if done >= window else np.empty(0)
    )
    last = flow[max(0, done - 4) : done]
    accelerating = bool(
        last.size == 4
        and (np.all(last > 0) or np.all(last < 0))
        and np.all(np.diff(np.abs(last)) > 0)
    )
    flip = float(s.gamma_flip[i])
    fd = _flow_block(s, i)
    strikes = tuple(float(k) for k in s.strikes)
    spacing = float(np.median(np.diff(s.strikes))) if len(strikes) > 1 else 1.0
    return DecisionInputs(
        symbol=s.symbol,
        spot=spot,
        open_spot=open_spot,
        hours_left=hours_left,
        regime=s.regime[i],  # type: ignore[arg-type]
        net_gex=float(s.net_gex[i]),
        gamma_flip=flip if math.isfinite(flip) else None,
        call_wall=float(s.call_wall[i]),
        put_wall=float(s.put_wall[i]),
        magnet=float(s.magnet[i]),
        pin_score=float(s.pin_score[i]),
        atm_iv=vol,
        sigma_rem=spot * vol * math.sqrt(float(s.tau[i])),
        # the day's session: a full 1/252 year, or 210/390 of it on an early close
        sigma_day=open_spot * float(s.atm_iv[0]) / _SQRT_252 * math.sqrt(s.n_samples / N_SAMPLES),
        flow_label=fd["label"],
        flow_shift=fd["flow_gex_pct_shift"],
        flow_30m=flow_30m,
        flow_z=robust_z(flow_30m, rolling[:-1], min_history=FLOW_Z_MIN_HISTORY),
        accelerating=accelerating,
        spot_change_30m=spot - float(s.spot[max(0, i - window)]),
        strikes=strikes,
        strike_spacing=spacing,
        pin_components={k: float(v[i]) for k, v in s.pin_components.items()},
    )


def probabilities(inp: DecisionInputs, tau: float) -> dict[str, Any]:
    """Pin and range odds to the close [CHOICE: lognormal at ATM IV, the time left].

    - ``pin``: the close lands within half a strike spacing of the magnet.
    - ``range_1sigma`` / ``range_2sigma``: the close lands inside ``open spot +- k`` session
      sigmas, bands fixed at the open (so they read 68.27% and 95.45% at 09:30).
    """
    half = inp.strike_spacing / 2.0
    pin_band = (inp.magnet - half, inp.magnet + half)
    out: dict[str, Any] = {
        "pin": {
            "value": json_number(in_band(inp.spot, *pin_band, inp.atm_iv, tau), 6),
            "low": pin_band[0],
            "high": pin_band[1],
            "band": list(pin_band),
            "calibration_method": CALIBRATION_METHOD,
        }
    }
    for k, name in ((1, "range_1sigma"), (2, "range_2sigma")):
        low = inp.open_spot - k * inp.sigma_day
        high = inp.open_spot + k * inp.sigma_day
        out[name] = {
            "value": json_number(in_band(inp.spot, low, high, inp.atm_iv, tau), 6),
            "low": json_number(low, 2),
            "high": json_number(high, 2),
            "band": [json_number(low, 2), json_number(high, 2)],
            "calibration_method": CALIBRATION_METHOD,
        }
    return out


def snapshot_body(state: SessionState, now: pd.Timestamp) -> dict[str, Any]:
    """Build the live snapshot body at ``now`` (every block; see the module docstring).

    A pure function of the computed session: ``Local.get_snapshot`` returns exactly this
    while the market is open (outside the session it answers the degraded body instead).

    Parameters
    ----------
    state : SessionState
        The computed session (``Local.state``).
    now : pandas.Timestamp
        A tz-aware time inside the session.
    """
    s = state
    done = max(s.completed(now), 1)
    i = done - 1
    inp = decision_inputs(s, now)
    spot, vol, tau = inp.spot, inp.atm_iv, float(s.tau[i])
    chain = s.chain
    k_of = np.searchsorted(s.strikes, chain["strike"].to_numpy())
    is_call = (chain["right"] == "C").to_numpy()
    iv = chain["iv"].to_numpy()
    strike = chain["strike"].to_numpy()
    g = bs.greeks(spot, strike, tau, iv, is_call)
    price = bs.price(spot, strike, tau, iv, is_call)
    intrinsic = np.where(is_call, np.maximum(spot - strike, 0.0), np.maximum(strike - spot, 0.0))
    eff = s.effective_oi[i]
    position = s.position[i]
    volume = s.traded_contracts[i]
    n_k = s.strikes.size

    def by_strike(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.bincount(k_of[mask], weights=values[mask], minlength=n_k)

    call_gex, put_gex = s.strike_call_gex[i], s.strike_put_gex[i]
    net_gex_k = s.strike_gex[i]
    dex_c = position * g.delta * MULTIPLIER * spot
    call_dex, put_dex = by_strike(dex_c, is_call), by_strike(dex_c, ~is_call)
    call_oi, put_oi = by_strike(eff, is_call), by_strike(eff, ~is_call)
    call_vol, put_vol = by_strike(volume, is_call), by_strike(volume, ~is_call)
    total_vol = float(volume.sum())
    total_oi = float(eff.sum())
    abs_gex_total = float(np.abs(net_gex_k).sum())

    flip = inp.gamma_flip
    sigma_rem = inp.sigma_rem
    m_idx = int(np.searchsorted(s.strikes, inp.magnet))
    near = np.argsort(np.abs(s.strikes - spot))[:3]
    near = np.sort(near)
    convexity = (
        float(net_gex_k[near[0]] - 2 * net_gex_k[near[1]] + net_gex_k[near[2]])
        if n_k >= 3
        else None
    )
    hedging: dict[str, Any] = {}
    for label, move in _BUCKETS:
        dollars = -inp.net_gex * (move / 0.01)
        for direction, sign in (("up", 1.0), ("down", -1.0)):
            shares = sign * dollars / spot
            hedging[f"spot_{direction}_{label}"] = {
                "dealer_shares_to_trade": round(shares),
                "direction": "buy" if shares > 0 else "sell" if shares < 0 else "none",
                "notional_usd": round(shares * spot),
            }
    hedging["convexity_at_spot"] = convexity

    theta_dollars = -float((position * (price - intrinsic)).sum() * MULTIPLIER)
    hours_left = inp.hours_left
    atm_gamma_now = float(bs.gamma(spot, spot, tau, vol))
    atm_gamma_7 = float(bs.gamma(spot, spot, tau + 6.0 / 252.0, vol))
    skew = _skew_25d(spot, strike, tau, iv, is_call)
    net_chex = float(s.net_chex[i])
    vex = float(s.net_vex[i])

    spreads = s.spread_pct[i]
    atm_strike = float(s.strikes[int(np.argmin(np.abs(s.strikes - spot)))])
    atm_contracts = strike == atm_strike
    premium = volume * price  # premium traded so far, per contract
    known = np.isfinite(spreads) & (premium > 0)
    atm_known = atm_contracts & np.isfinite(spreads)
    atm_spread = float(spreads[atm_known].mean()) if atm_known.any() else float("nan")
    weighted = (
        float(np.average(spreads[known], weights=premium[known])) if known.any() else float("nan")
    )

    top3_oi = float(np.sort(call_oi + put_oi)[-3:].sum())
    top3_share = top3_oi / total_oi * 100.0 if total_oi else 0.0
    atm_vol_share = float((call_vol + put_vol)[np.abs(s.strikes - spot) <= 0.005 * spot].sum())
    top3_vol = float(np.sort(call_vol + put_vol)[-3:].sum())

    setup = evaluate_setups(inp)
    probs = probabilities(inp, tau)
    pin_value = probs["pin"]["value"] or 0.0
    head = make_headline(inp, setup, pin_value)
    fd = _flow_block(s, i)
    last_sample_end = s.open + pd.Timedelta(seconds=SAMPLE_SECONDS * done)
    expiry = s.expiration

    def pct(x: float) -> float | None:
        return json_number(x / spot * 100.0, 4)

    def wall(side: str, level: float, gex: np.ndarray) -> dict[str, Any]:
        """Return one wall's ``levels`` fields: GEX, strength (of same-side |GEX|), distance."""
        wall_gex = float(gex[int(np.searchsorted(s.strikes, level))])
        same_side = float(np.abs(gex).sum())
        return {
            f"{side}_wall": level,
            f"{side}_wall_gex": wall_gex,
            f"{side}_wall_strength": json_number(abs(wall_gex) / same_side, 4)
            if same_side
            else None,
            f"distance_to_{side}_wall_pct": pct(level - spot),
        }

    strikes_rows = []
    by_contract = {
        (float(k), r): j for j, (k, r) in enumerate(zip(strike, chain["right"], strict=True))
    }
    for j, k in enumerate(s.strikes.tolist()):
        c = by_contract.get((k, "C"))
        p = by_contract.get((k, "P"))

        def pick(arr: np.ndarray, idx: int | None, digits: int = 6) -> float | None:
            return None if idx is None else json_number(float(arr[idx]), digits)

        strikes_rows.append(
            {
                "strike": k,
                "distance_from_spot_pct": pct(k - spot),
                "call_symbol": None
                if c is None
                else f"{s.symbol}-{expiry[2:4]}{expiry[5:7]}{expiry[8:]}-C-{k:g}",
                "put_symbol": None
                if p is None
                else f"{s.symbol}-{expiry[2:4]}{expiry[5:7]}{expiry[8:]}-P-{k:g}",
                "call_gex": float(call_gex[j]),
                "put_gex": float(put_gex[j]),
                "net_gex": float(net_gex_k[j]),
                "call_dex": float(call_dex[j]),
                "put_dex": float(put_dex[j]),
                "net_dex": float(call_dex[j] + put_dex[j]),
                "net_vex": float(s.strike_vex[i, j]),
                "net_chex": float(s.strike_chex[i, j]),
                "call_oi": float(call_oi[j]),
                "put_oi": float(put_oi[j]),
                "call_volume": float(call_vol[j]),
                "put_volume": float(put_vol[j]),
                "gex_share_pct": json_number(abs(float(net_gex_k[j])) / abs_gex_total * 100.0, 4)
                if abs_gex_total
                else None,
                "oi_share_pct": json_number(float(call_oi[j] + put_oi[j]) / total_oi * 100.0, 4)
                if total_oi
                else None,
                "volume_share_pct": json_number(
                    float(call_vol[j] + put_vol[j]) / total_vol * 100.0, 4
                )
                if total_vol
                else None,
                "call_iv": pick(iv, c),
                "put_iv": pick(iv, p),
                "call_delta": pick(g.delta, c),
                "put_delta": pick(g.delta, p),
                "call_gamma": pick(g.gamma, c, 8),
                "put_gamma": pick(g.gamma, p, 8),
                "call_theta": None
                if c is None
                else json_number(_theta_per_day(spot, k, tau, float(iv[c])), 4),
                "put_theta": None
                if p is None
                else json_number(_theta_per_day(spot, k, tau, float(iv[p])), 4),
                "call_mid": pick(price, c, 4),
                "put_mid": pick(price, p, 4),
                "call_spread_pct": pick(spreads, c, 4),
                "put_spread_pct": pick(spreads, p, 4),
            }
        )

    return {
        "symbol": s.symbol,
        "underlying_price": spot,
        "expiration": expiry,
        "as_of": iso_z(now),
        "market_open": True,
        "time_to_close_hours": round(hours_left, 4),
        "time_to_close_pct": round(hours_left / _session_hours(s) * 100.0, 2),
        "regime": {
            "label": inp.regime,
            "description": _regime_text(inp.regime),
            "gamma_flip": None if flip is None else round(flip, 2),
            "gamma_flip_status": s.gamma_flip_status[i],
            "spot_vs_flip": None if flip is None else ("above" if spot >= flip else "below"),
            "spot_to_flip_pct": None if flip is None else pct(spot - flip),
            "distance_to_flip_dollars": None if flip is None else json_number(spot - flip, 4),
            "distance_to_flip_sigmas": json_number(inp.distance_to_flip_sigmas, 4)
            if inp.distance_to_flip_sigmas is not None
            else None,
        },
        "exposures": {
            "net_gex": inp.net_gex,
            "net_dex": float(s.net_dex[i]),
            "net_vex": vex,
            "net_chex": net_chex,
            "pct_of_total_gex": None,
            "total_chain_net_gex": None,
        },
        "expected_move": {
            "implied_1sd_dollars": json_number(inp.sigma_day, 4),
            "implied_1sd_pct": json_number(inp.sigma_day / inp.open_spot * 100.0, 4),
            "remaining_1sd_dollars": json_number(sigma_rem, 4),
            "remaining_1sd_pct": pct(sigma_rem),
            "upper_bound": json_number(spot + sigma_rem, 2),
            "lower_bound": json_number(spot - sigma_rem, 2),
            "straddle_price": json_number(
                float(bs.price(spot, spot, tau, vol, True) + bs.price(spot, spot, tau, vol, False)),
                4,
            ),
            "atm_iv": json_number(vol, 6),
        },
        "pin_risk": {
            "magnet_strike": inp.magnet,
            "magnet_gex": float(net_gex_k[m_idx]),
            "distance_to_magnet_pct": json_number(inp.distance_to_magnet_pct, 4),
            "pin_score": inp.pin_score,
            "components": inp.pin_components,
            "pin_probability_pct": json_number(pin_value * 100.0, 2),
            "max_pain": float(s.max_pain[i]),
            "oi_concentration_top3_pct": json_number(top3_oi / total_oi * 100.0, 2)
            if total_oi
            else None,
            "description": f"Magnet {inp.magnet:g}: pin score {inp.pin_score:.0f}/100, "
            f"{top3_share:.0f}% of effective OI in the top 3 strikes.",
        },
        "hedging": hedging,
        "decay": {
            "net_theta_dollars": json_number(theta_dollars, 2),
            "theta_per_hour_remaining": json_number(theta_dollars / hours_left, 2)
            if hours_left > 0
            else None,
            "charm_regime": "time_decay_dealers_buy" if net_chex > 0 else "time_decay_dealers_sell",
            "charm_description": (
                "Time decay pushes dealers to buy: supportive into the close"
                if net_chex > 0
                else "Time decay pushes dealers to sell: a headwind into the close"
            ),
            "charm_dollars_per_hour": net_chex,
            "gamma_acceleration": json_number(atm_gamma_now / atm_gamma_7, 4)
            if atm_gamma_7 > 0
            else None,
            "description": (
                f"Dealers are net short ${theta_dollars:,.0f} of 0DTE time value: decay works "
                "for them into the close."
                if theta_dollars >= 0
                else f"Dealers are net long ${-theta_dollars:,.0f} of 0DTE time value: decay "
                "costs them into the close."
            ),
        },
        "vol_context": {
            "zero_dte_atm_iv": json_number(vol * 100.0, 4),
            "seven_dte_atm_iv": None,
            "iv_ratio_0dte_7dte": None,
            "vix": None,
            "skew_25d": json_number(skew, 4),
            "vanna_exposure": vex,
            "vanna_interpretation": "vol_up_dealers_buy" if vex > 0 else "vol_up_dealers_sell",
            "description": f"0DTE ATM IV {vol * 100:.1f}%; 25-delta skew {skew:+.2f} vol points.",
        },
        "flow": {
            "total_volume": total_vol,
            "call_volume": float(call_vol.sum()),
            "put_volume": float(put_vol.sum()),
            "net_call_minus_put_volume": float(call_vol.sum() - put_vol.sum()),
            "total_oi": total_oi,
            "call_oi": float(call_oi.sum()),
            "put_oi": float(put_oi.sum()),
            "pc_ratio_volume": json_number(float(put_vol.sum() / call_vol.sum()), 4)
            if call_vol.sum()
            else None,
            "pc_ratio_oi": json_number(float(put_oi.sum() / call_oi.sum()), 4)
            if call_oi.sum()
            else None,
            "volume_to_oi_ratio": json_number(total_vol / total_oi, 4) if total_oi else None,
            "atm_volume_share_pct": json_number(atm_vol_share / total_vol * 100.0, 2)
            if total_vol
            else None,
            "top3_strike_volume_pct": json_number(top3_vol / total_vol * 100.0, 2)
            if total_vol
            else None,
        },
        "levels": {
            **wall("call", inp.call_wall, call_gex),
            **wall("put", inp.put_wall, put_gex),
            "distance_to_magnet_dollars": json_number(spot - inp.magnet, 4),
            "highest_oi_strike": float(s.strikes[int(np.argmax(call_oi + put_oi))]),
            "highest_oi_total": float((call_oi + put_oi).max()),
            "max_positive_gamma": float(s.strikes[int(np.argmax(net_gex_k))]),
            "max_negative_gamma": float(s.strikes[int(np.argmin(net_gex_k))]),
        },
        "liquidity": {
            "atm_spread_pct": json_number(atm_spread, 4),
            "weighted_spread_pct": json_number(weighted, 4),
            "execution_score": (
                None if not math.isfinite(weighted) else round(100.0 * math.exp(-weighted / 5.0))
            ),
        },
        "metadata": {
            "snapshot_age_seconds": json_number((now - last_sample_end).total_seconds(), 3),
            "chain_contract_count": len(chain),
            "data_quality_score": json_number(s.classification.coverage * 100.0, 2)
            if math.isfinite(s.classification.coverage)
            else None,
            "greek_smoothness_score": None,
        },
        "strikes": strikes_rows,
        "flow_direction": fd,
        "headline": head,
        "setup": setup,
        "probabilities": probs,
    }


def _flow_block(s: SessionState, i: int) -> dict[str, Any]:
    return flow_direction(
        float(s.settled_net_gex[i]),
        float(s.net_gex[i]),
        s.effective_oi[i],
        s.chain["oi"].to_numpy(),
    )


def _theta_per_day(spot: float, strike: float, tau: float, vol: float) -> float:
    """BSM theta (r = q = 0), per trading day, per share: -S phi(d1) vol / (2 sqrt(tau)) / 252."""
    d1 = (math.log(spot / strike) + 0.5 * vol * vol * tau) / (vol * math.sqrt(tau))
    phi = math.exp(-0.5 * d1 * d1) / math.sqrt(2.0 * math.pi)
    return -spot * phi * vol / (2.0 * math.sqrt(tau)) / 252.0


def _skew_25d(
    spot: float, strike: np.ndarray, tau: float, iv: np.ndarray, is_call: np.ndarray
) -> float:
    """25-delta put IV minus 25-delta call IV, in vol points (interpolated on delta)."""
    out = []
    for calls, target in ((False, -0.25), (True, 0.25)):
        mask = is_call == calls
        if mask.sum() < 2:
            return float("nan")
        d = bs.delta(spot, strike[mask], tau, iv[mask], calls)
        order = np.argsort(d)
        out.append(float(np.interp(target, d[order], iv[mask][order])))
    return (out[0] - out[1]) * 100.0


def _session_hours(s: SessionState) -> float:
    """Return the session's length in hours: 6.5, or 3.5 on a 13:00 early close."""
    return s.n_samples * SAMPLE_SECONDS / 3600.0


def _regime_text(regime: str) -> str:
    return {
        "positive_gamma": "Dealers long gamma: moves dampened, mean reversion likely",
        "negative_gamma": "Dealers short gamma: moves amplified, trends can extend",
    }.get(regime, "Dealer gamma near zero: no dominant hedging pressure")
