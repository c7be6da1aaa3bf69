"""The snapshot's ``setup`` block: a rules engine over the textbook 0DTE plays.

:func:`evaluate_setups` reads one
:class:`~flowframe.sources.engine.decision.inputs.DecisionInputs` and judges
seven plays, each a fixed list of named conditions (:class:`Rule`) whose text carries its
threshold and the observed number (``"pin_score > 65 (is 71)"``), so ``conditions_met`` and
``conditions_failed`` read as an audit trail. It returns the wire block::

    {"primary": verdict, "alternatives": [verdict, ...], "anti_setups": [verdict, ...]}

and every verdict is ``{"key", "display_name", "confidence", "conditions_met",
"conditions_failed", "strikes_hint", "thesis"}``.

Plays and conditions
--------------------
``sigma`` is ``inp.sigma_rem`` (remaining one-sigma move to the close, points); "flip
distance" is ``inp.distance_to_flip_sigmas``. Every multi-leg play also has a last condition
saying that the chain lists a strike for every leg in the right order (it only fails when the
listed strikes stop short of a wing).

Iron Fly (``iron_fly``, pin)
    regime = positive_gamma; spot within 0.3% of the magnet; pin_score > 65; flow not against
    the pin (label not ``regime_flip`` and no accelerating run); 0.25 <= hours left <= 3.
    Legs: short call and short put at the magnet strike, long wings at magnet -/+
    max(sigma, spacing) rounded outward to listed strikes.
Iron Condor (``iron_condor``, range)
    regime = positive_gamma; spot between the walls with its 1-sigma band inside them (put
    wall <= spot - sigma and spot + sigma <= call wall; one condition, as the band inside
    implies spot between); flip distance > 1 sigma (no flip in range passes). Legs: shorts at
    or outside max(wall, 1 sigma), wings two spacings further out.
Bull Put Credit Spread (``bull_put_spread``, range)
    regime = positive_gamma or flow = dampening; spot above the gamma flip (without a flip:
    regime = positive_gamma); put wall >= 0.5 sigma below spot; flow_z > -2. Legs: short put
    at or below the put wall, long put one spacing lower.
Bear Call Credit Spread (``bear_call_spread``, range)
    The mirror: positive gamma or dampening; spot below the flip (without a flip: regime =
    positive_gamma); call wall >= 0.5 sigma above spot; flow_z < 2. Legs: short call at or
    above the call wall, long call one spacing higher.
Directional Debit Spread (``debit_spread``, breakout)
    regime = negative_gamma; abs(flow_z) >= 2; the 30-minute spot change has the sign of
    flow_z (and is not 0). Legs: ``long_strike`` at the money, ``short_strike`` max(sigma,
    spacing) further in the direction of the flow (calls up, puts down).
Breakout Straddle / Strangle (``breakout_straddle``, breakout)
    regime = negative_gamma; flow = amplifying or an accelerating run; spot within 0.5 sigma
    of the flip or crossed it in the last 30 minutes (no flip in range fails). Legs:
    ``strike`` at the money, ``put_strike``/``call_strike`` for the strangle
    max(0.5 sigma, spacing) either side of it, rounded outward.
Long Premium / Lotto (``lotto``, breakout)
    regime = negative_gamma; hours left <= 1.5; an accelerating run. Leg: one OTM option about
    max(sigma, spacing) out in the direction of the run (``long_call_strike`` or
    ``long_put_strike``).

Anti-setups
-----------
A play is an anti-setup when every fact of one of its contradictions holds (each
contradiction also breaks one of the play's own conditions, so an anti-setup never qualifies):

- premium sellers (fly, condor, both credit spreads): regime = negative_gamma and flow =
  amplifying (dealers chase the move);
- bull put: flow_z <= -2 and spot fell over 30 minutes; bear call: flow_z >= 2 and spot rose;
- straddle and debit spread: regime = positive_gamma and pin_score >= 65;
- lotto: regime = positive_gamma and both walls within 1.5 sigma of spot (tight walls).

An anti-setup verdict keeps the play's own conditions in ``conditions_met`` /
``conditions_failed``, has an empty ``strikes_hint``, a thesis starting "Avoid — " that names
the numbers, and the confidence of its contradiction's facts (rule below).

Confidence
----------
Each rule has a margin: how far the observed value clears (positive) or misses (negative) its
threshold, in units of a fixed scale per rule (15 pin-score points, 0.3 percentage points of
magnet distance, 0.5 h of the time window, one sigma for wall and flip distances, 2 for
flow_z, ...), clipped to [-1, 1]; yes/no rules score -1 or +1. With ``share`` the fraction of
conditions met:

- ``"high"``: share = 1 and every margin >= 0.2;
- ``"medium"``: share = 1 with some margin below 0.2, or share >= 0.75 (one failure in four);
- ``"low"``: otherwise.

Confidence and odds
-------------------
Confidence grades how clearly the dealer-flow state meets a play's conditions; it is not a
probability. Beside it every play's verdict carries ``odds`` (:mod:`~flowframe.sources.
engine.decision.odds`): the no-flow lognormal model's probability that the play pays at the
close, with its profit zone. The two must not contradict each other, so a play whose odds are
below :data:`HIGH_ODDS` (25%) is at most ``"medium"``, whatever its margins (a lotto, ~10%,
never reads "high"). The snapshot's ``probabilities`` block answers different questions (the
close within half a strike of the magnet; inside bands fixed at the open, which spot may have
left), so a pin play can be "high" next to a 9% pin probability: the fly pays across its
break-evens, far wider than half a strike.

Primary, alternatives, Wait
---------------------------
A play qualifies when every condition is met. The score of a play is its confidence rank
(high 2, medium 1, low 0); the primary is the qualifying play with the highest score, ties
broken by the fixed priority order of :data:`PLAYS` (most specific first). Alternatives are
the other plays with at most one failed condition that are not anti-setups, ordered by
(failures, -score, priority). The Wait verdict (``wait``) is primary when no play qualifies,
or when the state conflicts: regime = neutral; flow = ``regime_flip`` without confirmation
(confirmed = abs(flow_z) >= 2 with the 30-minute spot change of the same sign); or a premium
seller and a premium buyer qualify together; or a numeric input is NaN or infinite (then no
play is issued at all: no alternatives, no anti-setups). Its ``conditions_met`` lists those
reasons, its confidence is high when a conflict forces it or no play is within one
condition, medium otherwise; the plays that qualified then move to the alternatives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any, Final, Literal

from flowframe.sources.engine.decision.inputs import DecisionInputs
from flowframe.sources.engine.decision.odds import play_odds

__all__ = [
    "DISPLAY_NAMES",
    "PLAYS",
    "TRADE_ANGLES",
    "WAIT",
    "Confidence",
    "Rule",
    "confidence_of",
    "evaluate_setups",
    "missing_inputs",
]

Confidence = Literal["high", "medium", "low"]

WAIT: Final = "wait"
"""Key of the Wait / no-trade verdict."""

PLAYS: Final[tuple[str, ...]] = (
    "iron_fly",
    "iron_condor",
    "bull_put_spread",
    "bear_call_spread",
    "debit_spread",
    "breakout_straddle",
    "lotto",
)
"""Play keys in priority order (ties for primary go to the earlier one)."""

DISPLAY_NAMES: Final[Mapping[str, str]] = {
    "iron_fly": "Iron Fly",
    "iron_condor": "Iron Condor",
    "bull_put_spread": "Bull Put Credit Spread",
    "bear_call_spread": "Bear Call Credit Spread",
    "debit_spread": "Directional Debit Spread",
    "breakout_straddle": "Breakout Straddle / Strangle",
    "lotto": "Long Premium / Lotto",
    WAIT: "Wait / No Trade",
}
"""Wire ``display_name`` of every verdict key."""

TRADE_ANGLES: Final[Mapping[str, str]] = {
    "iron_fly": "pin",
    "iron_condor": "range",
    "bull_put_spread": "range",
    "bear_call_spread": "range",
    "debit_spread": "breakout",
    "breakout_straddle": "breakout",
    "lotto": "breakout",
    WAIT: "low_signal",
}
"""Headline ``trade_angle`` of every verdict key (the family of the play)."""

_SHORT_PREMIUM: Final = frozenset(
    {"iron_fly", "iron_condor", "bull_put_spread", "bear_call_spread"}
)

# Thresholds (documented in the module docstring).
FLY_MAGNET_PCT: Final = 0.3
FLY_PIN_SCORE: Final = 65.0
FLY_HOURS: Final = (0.25, 3.0)
CONDOR_FLIP_SIGMAS: Final = 1.0
CREDIT_WALL_SIGMAS: Final = 0.5
CREDIT_FLOW_Z: Final = 2.0
DEBIT_FLOW_Z: Final = 2.0
STRADDLE_FLIP_SIGMAS: Final = 0.5
LOTTO_HOURS: Final = 1.5
ANTI_PIN_SCORE: Final = 65.0
TIGHT_WALL_SIGMAS: Final = 1.5
CONFIRM_FLOW_Z: Final = 2.0
HIGH_MARGIN: Final = 0.2
HIGH_ODDS: Final = 0.25
"""A play whose model odds of paying at the close are below this is at most "medium"."""
MEDIUM_SHARE: Final = 0.75

_RANK: Final[Mapping[str, int]] = {"high": 2, "medium": 1, "low": 0}


@dataclass(frozen=True)
class Rule:
    """One named condition of a play, with the number behind it.

    Attributes
    ----------
    key : str
        Stable identifier within the play (``"pin_score"``).
    name : str
        The requirement with its threshold (``"pin_score > 65"``).
    observed : str
        What the state shows (``"71"``).
    passed : bool
        Whether the requirement holds.
    margin : float
        How far the observed value clears (> 0) or misses (< 0) the threshold, in units of the
        rule's scale, clipped to [-1, 1]; +1 or -1 for yes/no rules.
    value : float, str, bool or None
        The number (or label) the rule compares, in the rule's own unit (``71.0`` for
        ``pin_score > 65``; a distance in remaining sigmas for the sigma rules); None when there
        is nothing to measure (no flip in range). Yes/no rules hold a bool.
    op : str or None
        The comparison: ``">", ">=", "<", "<=", "=", "in"`` (``threshold`` is then
        ``[low, high]``) or ``"is"`` (a yes/no rule: ``value`` is the bool, ``threshold``
        True).
    threshold : float, str, bool, list of float, or None
        What ``value`` is compared with.
    """

    key: str
    name: str
    observed: str
    passed: bool
    margin: float
    value: float | str | bool | None = None
    op: str | None = None
    threshold: float | str | bool | list[float] | None = None

    def condition(self) -> dict[str, Any]:
        """Return the rule as the wire's machine-readable condition (JSON-ready).

        ``{"id", "text", "met", "value", "op", "threshold", "margin"}``: numbers are rounded
        to 4 decimals, and a NaN value is written as None.
        """
        return {
            "id": self.key,
            "text": self.text,
            "met": self.passed,
            "value": _json_value(self.value),
            "op": self.op,
            "threshold": _json_value(self.threshold),
            "margin": round(self.margin, 4),
        }

    @property
    def text(self) -> str:
        """Return the audit line, ``"<name> (is <observed>)"``."""
        return f"{self.name} (is {self.observed})"


def _json_value(x: Any) -> Any:
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, list):
        return [_json_value(v) for v in x]
    x = float(x)
    return round(x, 4) if math.isfinite(x) else None


@dataclass(frozen=True)
class _Contradiction:
    rules: tuple[Rule, ...]
    thesis: str


@dataclass(frozen=True)
class _Assessment:
    key: str
    rules: tuple[Rule, ...]
    hint: dict[str, float]
    thesis: str
    contradictions: tuple[_Contradiction, ...] = ()
    odds: dict[str, Any] | None = None

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.rules)

    @property
    def confidence(self) -> Confidence:
        rated = confidence_of(self.rules)
        if rated == "high" and self.odds is not None and self.odds["value"] < HIGH_ODDS:
            return "medium"  # long odds of paying: never "high" (see the module docstring)
        return rated

    @property
    def avoid(self) -> _Contradiction | None:
        return next((c for c in self.contradictions if all(r.passed for r in c.rules)), None)


# --------------------------------------------------------------------------- formatting


def _n(x: float) -> str:
    """Format a number with at most two decimals, trailing zeros dropped."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _p(x: float) -> str:
    """Format a price with two decimals."""
    return f"{x:.2f}"


def _z(x: float) -> str:
    """Format a signed z-score."""
    return f"{x:+.1f}"


# --------------------------------------------------------------------------- rule builders


def _clip(x: float) -> float:
    if math.isnan(x):
        return -1.0
    return max(-1.0, min(1.0, x))


def _ratio(num: float, den: float) -> float:
    """Return ``num / den``, or the sign of ``num`` (as +-1, 0) when ``den`` is not positive."""
    if den > 0:
        return num / den
    return 0.0 if num == 0 else math.copysign(1.0, num)


def _flag(
    key: str,
    name: str,
    passed: bool,
    observed: str,
    *,
    value: float | str | bool | None = None,
    op: str = "is",
    threshold: float | str | bool | None = True,
) -> Rule:
    """Build a yes/no rule; by default its value is ``passed`` itself (``op="is"``)."""
    shown = passed if value is None and op == "is" else value
    return Rule(key, name, observed, passed, 1.0 if passed else -1.0, shown, op, threshold)


def _level(
    key: str,
    name: str,
    passed: bool,
    observed: str,
    margin: float,
    *,
    value: float | None,
    op: str,
    threshold: float | list[float],
) -> Rule:
    """Build a numeric rule whose margin is already scaled (sign follows ``passed``)."""
    m = _clip(margin)
    if (passed and m < 0) or (not passed and m > 0):
        m = 0.0
    return Rule(key, name, observed, passed, m, value, op, threshold)


def confidence_of(rules: Sequence[Rule]) -> Confidence:
    """Rate a list of conditions.

    Parameters
    ----------
    rules : sequence of Rule
        The conditions of one play (or the facts of one contradiction).

    Returns
    -------
    {"high", "medium", "low"}
        ``"high"`` when every rule passed with a margin of at least 0.2; ``"medium"`` when every
        rule passed but one only just, or at least 75% passed; ``"low"`` otherwise.
    """
    if not rules:
        return "low"
    share = sum(r.passed for r in rules) / len(rules)
    if share == 1.0:
        return "high" if min(r.margin for r in rules) >= HIGH_MARGIN else "medium"
    return "medium" if share >= MEDIUM_SHARE else "low"


# --------------------------------------------------------------------------- strikes


def _tol(price: float) -> float:
    return 1e-9 * max(1.0, abs(price))


def _up(inp: DecisionInputs, price: float) -> float | None:
    """Return the lowest listed strike at or above ``price`` (``price`` without strikes)."""
    if not inp.strikes:
        return price
    above = [k for k in inp.strikes if k >= price - _tol(price)]
    return min(above) if above else None


def _down(inp: DecisionInputs, price: float) -> float | None:
    """Return the highest listed strike at or below ``price`` (``price`` without strikes)."""
    if not inp.strikes:
        return price
    below = [k for k in inp.strikes if k <= price + _tol(price)]
    return max(below) if below else None


def _strictly_increasing(*legs: float | None) -> bool:
    vals = [v for v in legs if v is not None]
    return len(vals) == len(legs) and all(a < b for a, b in pairwise(vals))


def _legs_text(hint: Mapping[str, float]) -> str:
    return ", ".join(f"{k.removesuffix('_strike')} {_n(v)}" for k, v in hint.items())


def _legs_rule(
    name: str, legs: dict[str, float | None], ordered: bool
) -> tuple[Rule, dict[str, float]]:
    """Build the structural rule of a play and its hint (empty when the legs do not exist)."""
    missing = [k.removesuffix("_strike") for k, v in legs.items() if v is None]
    hint = {k: float(v) for k, v in legs.items() if v is not None}
    if missing:
        observed = "no listed strike for " + ", ".join(missing)
    elif not ordered:
        observed = "legs collapse: " + _legs_text(hint)
    else:
        observed = _legs_text(hint)
    passed = not missing and ordered
    return _flag("legs", name, passed, observed), (hint if passed else {})


# --------------------------------------------------------------------------- shared rules


def _sigma(inp: DecisionInputs) -> float:
    return max(inp.sigma_rem, 0.0)


def _width(inp: DecisionInputs) -> float:
    """Return the distance to the next leg: one remaining sigma, at least one spacing."""
    return max(_sigma(inp), inp.strike_spacing)


def _regime_is(inp: DecisionInputs, regime: str) -> Rule:
    return _flag(
        "regime",
        f"regime = {regime}",
        inp.regime == regime,
        inp.regime,
        value=inp.regime,
        op="=",
        threshold=regime,
    )


def _flip_text(inp: DecisionInputs) -> str:
    d = inp.distance_to_flip_sigmas
    if inp.gamma_flip is None:
        return "no flip in range"
    if d is None:
        return f"flip {_p(inp.gamma_flip)}, no sigma left"
    return f"{_n(d)}σ to flip {_p(inp.gamma_flip)}"


def _direction(inp: DecisionInputs) -> int:
    """Return +1 (up) or -1 (down): the sign of the 30-minute flow, else of the spot change."""
    for x in (inp.flow_30m, inp.flow_z, inp.spot_change_30m):
        if x != 0 and not math.isnan(x):
            return 1 if x > 0 else -1
    return 1


# --------------------------------------------------------------------------- plays


def _iron_fly(inp: DecisionInputs) -> _Assessment:
    d_mag = inp.distance_to_magnet_pct
    lo, hi = FLY_HOURS
    h = inp.hours_left
    against = inp.flow_label == "regime_flip" or inp.accelerating
    rules = [
        _regime_is(inp, "positive_gamma"),
        _level(
            "magnet",
            f"spot within {_n(FLY_MAGNET_PCT)}% of magnet",
            d_mag <= FLY_MAGNET_PCT,
            f"{_n(d_mag)}%: {_p(inp.spot)} vs {_p(inp.magnet)}",
            (FLY_MAGNET_PCT - d_mag) / FLY_MAGNET_PCT,
            value=d_mag,
            op="<=",
            threshold=FLY_MAGNET_PCT,
        ),
        _level(
            "pin_score",
            f"pin_score > {_n(FLY_PIN_SCORE)}",
            inp.pin_score > FLY_PIN_SCORE,
            _n(inp.pin_score),
            (inp.pin_score - FLY_PIN_SCORE) / 15.0,
            value=inp.pin_score,
            op=">",
            threshold=FLY_PIN_SCORE,
        ),
        _flag(
            "flow",
            "flow not against the pin: no regime_flip, no accelerating run",
            not against,
            f"{inp.flow_label}, {'accelerating' if inp.accelerating else 'not accelerating'}",
        ),
        _level(
            "time",
            f"hours left in [{_n(lo)}, {_n(hi)}]",
            lo <= h <= hi,
            f"{h:.2f} h",
            min(h - lo, hi - h) / 0.5,
            value=h,
            op="in",
            threshold=[lo, hi],
        ),
    ]
    short = inp.snap(inp.magnet)
    legs: dict[str, float | None] = {
        "short_call_strike": short,
        "short_put_strike": short,
        "long_call_strike": _up(inp, short + _width(inp)),
        "long_put_strike": _down(inp, short - _width(inp)),
    }
    ordered = _strictly_increasing(legs["long_put_strike"], short, legs["long_call_strike"])
    legs_rule, hint = _legs_rule("wing strikes listed beyond the magnet", legs, ordered)
    rules.append(legs_rule)
    thesis = (
        f"Positive gamma holds spot {_n(d_mag)}% from the {_p(inp.magnet)} magnet with pin score "
        f"{_n(inp.pin_score)}: dealers sell rallies and buy dips into the close, so sell the "
        f"{_n(short)} straddle"
        + (
            f" and buy the {_n(hint['long_put_strike'])}/{_n(hint['long_call_strike'])} wings."
            if hint
            else " with wings about one sigma out."
        )
    )
    return _Assessment("iron_fly", tuple(rules), hint, thesis, (_short_premium_avoid(inp),))


def _iron_condor(inp: DecisionInputs) -> _Assessment:
    s = _sigma(inp)
    d_flip = inp.distance_to_flip_sigmas
    band_lo, band_hi = inp.spot - s, inp.spot + s
    if d_flip is None:
        flip_ok, flip_margin = inp.gamma_flip is None, 1.0 if inp.gamma_flip is None else -1.0
    else:
        flip_ok, flip_margin = d_flip > CONDOR_FLIP_SIGMAS, d_flip - CONDOR_FLIP_SIGMAS
    rules = [
        _regime_is(inp, "positive_gamma"),
        _level(
            "band",
            "spot between the walls, 1σ band inside: put wall <= spot - 1σ, spot + 1σ <= call wall",
            inp.put_wall <= band_lo and band_hi <= inp.call_wall,
            f"band {_p(band_lo)}-{_p(band_hi)}, walls {_p(inp.put_wall)}-{_p(inp.call_wall)}",
            _ratio(min(band_lo - inp.put_wall, inp.call_wall - band_hi), s),
            value=_ratio(min(band_lo - inp.put_wall, inp.call_wall - band_hi), s),
            op=">=",
            threshold=0.0,
        ),
        _level(
            "flip",
            f"distance_to_flip_sigmas > {_n(CONDOR_FLIP_SIGMAS)}",
            flip_ok,
            "no flip in range" if inp.gamma_flip is None else _flip_text(inp),
            flip_margin,
            value=d_flip,
            op=">",
            threshold=CONDOR_FLIP_SIGMAS,
        ),
    ]
    wing = 2.0 * inp.strike_spacing
    short_call = _up(inp, max(inp.call_wall, band_hi))
    short_put = _down(inp, min(inp.put_wall, band_lo))
    legs: dict[str, float | None] = {
        "short_call_strike": short_call,
        "short_put_strike": short_put,
        "long_call_strike": None if short_call is None else _up(inp, short_call + wing),
        "long_put_strike": None if short_put is None else _down(inp, short_put - wing),
    }
    ordered = _strictly_increasing(
        legs["long_put_strike"], short_put, short_call, legs["long_call_strike"]
    )
    legs_rule, hint = _legs_rule("strikes listed outside the walls", legs, ordered)
    rules.append(legs_rule)
    thesis = (
        f"Positive gamma between the {_p(inp.put_wall)} put wall and the {_p(inp.call_wall)} "
        f"call wall, with the remaining 1σ ({_p(band_lo)}-{_p(band_hi)}) inside them and the "
        f"flip {'out of range' if d_flip is None else f'{_n(d_flip)}σ away'}: sell the range"
        + (
            f" ({_n(hint['short_put_strike'])}/{_n(hint['short_call_strike'])} shorts, "
            f"{_n(hint['long_put_strike'])}/{_n(hint['long_call_strike'])} wings)."
            if hint
            else " outside the walls."
        )
    )
    return _Assessment("iron_condor", tuple(rules), hint, thesis, (_short_premium_avoid(inp),))


def _flip_side(inp: DecisionInputs, above: bool) -> Rule:
    side = "above" if above else "below"
    name = f"spot {side} gamma flip"
    if inp.gamma_flip is None:
        ok = inp.regime == "positive_gamma"
        return _flag(
            "flip_side",
            name,
            ok,
            f"no flip in range, {inp.regime}",
            value=inp.regime,
            op="=",
            threshold="positive_gamma",
        )
    gap = inp.spot - inp.gamma_flip if above else inp.gamma_flip - inp.spot
    return _level(
        "flip_side",
        name,
        gap > 0,
        f"{_p(inp.spot)} vs {_p(inp.gamma_flip)}",
        _ratio(gap, _sigma(inp)),
        value=gap,
        op=">",
        threshold=0.0,
    )


def _credit_regime(inp: DecisionInputs) -> Rule:
    ok = inp.regime == "positive_gamma" or inp.flow_label == "dampening"
    return _flag(
        "regime",
        "regime = positive_gamma or flow = dampening",
        ok,
        f"{inp.regime}, {inp.flow_label}",
    )


@dataclass(frozen=True)
class _CreditSide:
    """The words and the orientation of one of the two credit spreads (mirror images)."""

    key: str
    name: str
    kind: str  # "put" or "call": the option sold
    below: bool  # the wall and the spread sit below spot (bull put) or above it (bear call)
    holds: str  # where spot holds against the flip, in the thesis
    support: str  # what the wall is to spot
    dealers: str  # what dealers do hard in the contradiction
    moving: str  # the spot move of the contradiction


_BULL_PUT: Final = _CreditSide(
    "bull_put_spread", "bull put", "put", True, "holds above", "support", "selling", "falling"
)
_BEAR_CALL: Final = _CreditSide(
    "bear_call_spread", "bear call", "call", False, "stays below", "resistance", "buying", "rising"
)


def _credit_spread(inp: DecisionInputs, side: _CreditSide) -> _Assessment:
    """Judge the bull put (wall and strikes below spot) or the bear call (above), one logic.

    ``against`` is the dealer flow_z and ``toward`` the 30-minute spot change pushing toward
    the short strike (dealers selling / spot falling for the bull put, the opposite for the
    bear call).
    """
    s = _sigma(inp)
    kind, z, zmax = side.kind, inp.flow_z, _n(CREDIT_FLOW_Z)
    if side.below:
        wall, gap, against, toward = inp.put_wall, inp.spot - inp.put_wall, -z, -inp.spot_change_30m
        calm, hard, where = f"flow_z > -{zmax}", f"flow_z <= -{zmax}", "below"
    else:
        wall, gap, against, toward = inp.call_wall, inp.call_wall - inp.spot, z, inp.spot_change_30m
        calm, hard, where = f"flow_z < {zmax}", f"flow_z >= {zmax}", "above"
    cushion = _ratio(gap, s)
    rules = [
        _credit_regime(inp),
        _flip_side(inp, above=side.below),
        _level(
            "wall",
            f"{kind} wall >= {_n(CREDIT_WALL_SIGMAS)}σ {where} spot",
            cushion >= CREDIT_WALL_SIGMAS,
            f"{_n(cushion)}σ, wall {_p(wall)}",
            (cushion - CREDIT_WALL_SIGMAS) / CREDIT_WALL_SIGMAS,
            value=cushion,
            op=">=",
            threshold=CREDIT_WALL_SIGMAS,
        ),
        _level(
            "flow_z",
            calm,
            against < CREDIT_FLOW_Z,
            _z(z),
            (CREDIT_FLOW_Z - against) / CREDIT_FLOW_Z,
            value=z,
            op=">" if side.below else "<",
            threshold=-CREDIT_FLOW_Z if side.below else CREDIT_FLOW_Z,
        ),
    ]
    outward = _down if side.below else _up
    step = -inp.strike_spacing if side.below else inp.strike_spacing
    short = outward(inp, wall)
    long = None if short is None else outward(inp, short + step)
    legs: dict[str, float | None] = {f"short_{kind}_strike": short, f"long_{kind}_strike": long}
    ordered = _strictly_increasing(long, short) if side.below else _strictly_increasing(short, long)
    at_or = "at or below" if side.below else "at or above"
    legs_rule, hint = _legs_rule(f"{kind} strikes listed {at_or} the {kind} wall", legs, ordered)
    rules.append(legs_rule)
    thesis = (
        f"Spot {_p(inp.spot)} {side.holds} the flip with the {_p(wall)} {kind} wall "
        f"{_n(cushion)}σ {where} as {side.support} ({inp.regime}, flow {inp.flow_label}): "
        f"sell the {kind} "
        + (
            f"spread {_n(hint[f'short_{kind}_strike'])}/{_n(hint[f'long_{kind}_strike'])}."
            if hint
            else "spread at the wall."
        )
    )
    avoid = _Contradiction(
        (
            _level(
                "flow_z",
                hard,
                against >= CREDIT_FLOW_Z,
                _z(z),
                (against - CREDIT_FLOW_Z) / CREDIT_FLOW_Z,
                value=z,
                op="<=" if side.below else ">=",
                threshold=-CREDIT_FLOW_Z if side.below else CREDIT_FLOW_Z,
            ),
            _flag(
                side.moving,
                f"spot {side.moving} over 30 min",
                toward > 0,
                f"{inp.spot_change_30m:+.2f}",
                value=inp.spot_change_30m,
                op="<" if side.below else ">",
                threshold=0.0,
            ),
        ),
        f"Avoid — dealers {side.dealers} hard (flow_z {_z(z)}) with spot "
        f"{inp.spot_change_30m:+.2f} in 30 min: a {side.name} sells {side.support} into the move.",
    )
    return _Assessment(side.key, tuple(rules), hint, thesis, (_short_premium_avoid(inp), avoid))


def _bull_put(inp: DecisionInputs) -> _Assessment:
    return _credit_spread(inp, _BULL_PUT)


def _bear_call(inp: DecisionInputs) -> _Assessment:
    return _credit_spread(inp, _BEAR_CALL)


def _debit_spread(inp: DecisionInputs) -> _Assessment:
    z = inp.flow_z
    with_flow = inp.spot_change_30m * z > 0
    rules = [
        _regime_is(inp, "negative_gamma"),
        _level(
            "flow_z",
            f"|flow_z| >= {_n(DEBIT_FLOW_Z)}",
            abs(z) >= DEBIT_FLOW_Z,
            _z(z),
            (abs(z) - DEBIT_FLOW_Z) / DEBIT_FLOW_Z,
            value=abs(z),
            op=">=",
            threshold=DEBIT_FLOW_Z,
        ),
        _flag(
            "with_flow",
            "spot moving with the flow: 30-min change has the sign of flow_z",
            with_flow,
            f"{inp.spot_change_30m:+.2f} pts vs flow_z {_z(z)}",
        ),
    ]
    up = z > 0 or (z == 0 and _direction(inp) > 0)
    long = inp.snap(inp.spot)
    short = _up(inp, long + _width(inp)) if up else _down(inp, long - _width(inp))
    legs: dict[str, float | None] = {"long_strike": long, "short_strike": short}
    ordered = _strictly_increasing(long, short) if up else _strictly_increasing(short, long)
    kind = "call" if up else "put"
    legs_rule, hint = _legs_rule(f"{kind} spread strikes listed about 1σ wide", legs, ordered)
    rules.append(legs_rule)
    thesis = (
        f"Negative gamma with strong 30-min dealer flow (flow_z {_z(z)}) and spot "
        f"{inp.spot_change_30m:+.2f} the same way: dealers chase the move, so buy the "
        + (
            f"{_n(hint['long_strike'])}/{_n(hint['short_strike'])} {kind} debit spread."
            if hint
            else f"{kind} debit spread about 1σ wide."
        )
    )
    return _Assessment("debit_spread", tuple(rules), hint, thesis, (_long_premium_avoid(inp),))


def _straddle(inp: DecisionInputs) -> _Assessment:
    s = _sigma(inp)
    d_flip = inp.distance_to_flip_sigmas
    flip = inp.gamma_flip
    crossed = flip is not None and (inp.spot - flip) * (inp.spot - inp.spot_change_30m - flip) < 0
    if flip is None:
        near, margin, observed = False, -1.0, "no flip in range"
    elif crossed:
        near, margin = True, 1.0
        observed = f"crossed {_p(flip)}: {_p(inp.spot - inp.spot_change_30m)} -> {_p(inp.spot)}"
    elif d_flip is None:  # no time left: only spot sitting on the flip counts
        near = inp.spot == flip
        margin, observed = (1.0 if near else -1.0), _flip_text(inp)
    else:
        near = d_flip <= STRADDLE_FLIP_SIGMAS
        margin, observed = (STRADDLE_FLIP_SIGMAS - d_flip) / STRADDLE_FLIP_SIGMAS, _flip_text(inp)
    flow_ok = inp.flow_label == "amplifying" or inp.accelerating
    rules = [
        _regime_is(inp, "negative_gamma"),
        _flag(
            "flow",
            "flow = amplifying or an accelerating run",
            flow_ok,
            f"{inp.flow_label}, {'accelerating' if inp.accelerating else 'not accelerating'}",
        ),
        _level(
            "flip",
            f"spot within {_n(STRADDLE_FLIP_SIGMAS)}σ of the flip or crossed it in 30 min",
            near,
            observed,
            margin,
            value=d_flip if flip is not None and not crossed else None,
            op="<=",
            threshold=STRADDLE_FLIP_SIGMAS,
        ),
    ]
    atm = inp.snap(inp.spot)
    legs: dict[str, float | None] = {
        "strike": atm,
        "call_strike": _up(inp, atm + max(0.5 * s, inp.strike_spacing)),
        "put_strike": _down(inp, atm - max(0.5 * s, inp.strike_spacing)),
    }
    ordered = _strictly_increasing(legs["put_strike"], atm, legs["call_strike"])
    legs_rule, hint = _legs_rule("straddle and strangle strikes listed", legs, ordered)
    rules.append(legs_rule)
    flip_words = "no flip in range" if flip is None else f"the {_p(flip)} flip"
    thesis = (
        f"Negative gamma at {flip_words} with flow {inp.flow_label}"
        f"{' and an accelerating run' if inp.accelerating else ''}: dealers amplify a break, "
        + (
            f"so buy the {_n(atm)} straddle (or the {_n(hint['put_strike'])}/"
            f"{_n(hint['call_strike'])} strangle)."
            if hint
            else "so buy the at-the-money straddle."
        )
    )
    return _Assessment("breakout_straddle", tuple(rules), hint, thesis, (_long_premium_avoid(inp),))


def _lotto(inp: DecisionInputs) -> _Assessment:
    h = inp.hours_left
    rules = [
        _regime_is(inp, "negative_gamma"),
        _level(
            "time",
            f"hours left <= {_n(LOTTO_HOURS)}",
            h <= LOTTO_HOURS,
            f"{h:.2f} h",
            (LOTTO_HOURS - h) / 0.5,
            value=h,
            op="<=",
            threshold=LOTTO_HOURS,
        ),
        _flag(
            "accelerating",
            "accelerating hedge-flow run",
            inp.accelerating,
            "yes" if inp.accelerating else "no",
        ),
    ]
    up = _direction(inp) > 0
    atm = inp.snap(inp.spot)
    if up:
        strike = _up(inp, max(inp.spot + _sigma(inp), atm + inp.strike_spacing))
        key, kind = "long_call_strike", "call"
        ordered = strike is not None and strike > inp.spot
    else:
        strike = _down(inp, min(inp.spot - _sigma(inp), atm - inp.strike_spacing))
        key, kind = "long_put_strike", "put"
        ordered = strike is not None and strike < inp.spot
    legs_rule, hint = _legs_rule(f"OTM {kind} strike listed about 1σ out", {key: strike}, ordered)
    rules.append(legs_rule)
    thesis = (
        f"Negative gamma, {h:.2f} h left and an accelerating dealer run "
        f"({'up' if up else 'down'}): a cheap OTM {kind}"
        + (f" at {_n(hint[key])}" if hint else "")
        + " pays if the squeeze carries past 1σ. Size it to lose."
    )
    s = _sigma(inp)
    tight = (
        inp.call_wall - inp.spot <= TIGHT_WALL_SIGMAS * s
        and inp.spot - inp.put_wall <= TIGHT_WALL_SIGMAS * s
    )
    avoid = _Contradiction(
        (
            _regime_is(inp, "positive_gamma"),
            _flag(
                "tight_walls",
                f"walls within {_n(TIGHT_WALL_SIGMAS)}σ of spot",
                tight,
                f"{_p(inp.put_wall)}/{_p(inp.call_wall)}, 1σ = {_p(s)}",
                value=_ratio(max(inp.call_wall - inp.spot, inp.spot - inp.put_wall), s),
                op="<=",
                threshold=TIGHT_WALL_SIGMAS,
            ),
        ),
        f"Avoid — positive gamma + tight walls ({_p(inp.put_wall)}/{_p(inp.call_wall)} within "
        f"{_n(TIGHT_WALL_SIGMAS)}σ = {_p(TIGHT_WALL_SIGMAS * s)}) = unlikely >1σ move into close.",
    )
    return _Assessment("lotto", tuple(rules), hint, thesis, (avoid,))


def _short_premium_avoid(inp: DecisionInputs) -> _Contradiction:
    return _Contradiction(
        (
            _regime_is(inp, "negative_gamma"),
            _flag(
                "flow",
                "flow = amplifying",
                inp.flow_label == "amplifying",
                inp.flow_label,
                value=inp.flow_label,
                op="=",
                threshold="amplifying",
            ),
        ),
        f"Avoid — negative gamma + amplifying flow (flow_z {_z(inp.flow_z)}): dealers chase the "
        f"move, so short premium carries squeeze risk through its strikes.",
    )


def _long_premium_avoid(inp: DecisionInputs) -> _Contradiction:
    return _Contradiction(
        (
            _regime_is(inp, "positive_gamma"),
            _level(
                "pin_score",
                f"pin_score >= {_n(ANTI_PIN_SCORE)}",
                inp.pin_score >= ANTI_PIN_SCORE,
                _n(inp.pin_score),
                (inp.pin_score - ANTI_PIN_SCORE) / 15.0,
                value=inp.pin_score,
                op=">=",
                threshold=ANTI_PIN_SCORE,
            ),
        ),
        f"Avoid — positive gamma + pin score {_n(inp.pin_score)}/100: dealers sell rallies and buy "
        f"dips toward {_p(inp.magnet)}, so long premium bleeds into the close.",
    )


_BUILDERS: Final[Mapping[str, Callable[[DecisionInputs], _Assessment]]] = {
    "iron_fly": _iron_fly,
    "iron_condor": _iron_condor,
    "bull_put_spread": _bull_put,
    "bear_call_spread": _bear_call,
    "debit_spread": _debit_spread,
    "breakout_straddle": _straddle,
    "lotto": _lotto,
}


# --------------------------------------------------------------------------- verdicts


def _verdict(a: _Assessment) -> dict[str, Any]:
    return {
        "key": a.key,
        "display_name": DISPLAY_NAMES[a.key],
        "confidence": a.confidence,
        "conditions_met": [r.text for r in a.rules if r.passed],
        "conditions_failed": [r.text for r in a.rules if not r.passed],
        "conditions": [r.condition() for r in a.rules],
        "strikes_hint": dict(a.hint),
        "odds": a.odds,
        "thesis": a.thesis,
    }


def _anti_verdict(a: _Assessment, why: _Contradiction) -> dict[str, Any]:
    verdict = _verdict(a)
    verdict["confidence"] = confidence_of(why.rules)
    verdict["strikes_hint"] = {}
    verdict["odds"] = None
    verdict["thesis"] = why.thesis
    return verdict


_NUMERIC_INPUTS: Final = (
    "spot",
    "open_spot",
    "hours_left",
    "net_gex",
    "call_wall",
    "put_wall",
    "magnet",
    "pin_score",
    "atm_iv",
    "sigma_rem",
    "sigma_day",
    "flow_30m",
    "flow_z",
    "spot_change_30m",
)


def missing_inputs(inp: DecisionInputs) -> list[str]:
    """Return the names of the numeric inputs that are NaN or infinite (``gamma_flip`` too).

    ``gamma_flip`` and ``flow_shift`` may be None (no flip in range, no settled GEX); a
    number there must still be finite.
    """
    names = [n for n in _NUMERIC_INPUTS if not math.isfinite(getattr(inp, n))]
    names += [
        n
        for n in ("gamma_flip", "flow_shift")
        if (v := getattr(inp, n)) is not None and not math.isfinite(v)
    ]
    return names


def _conflicts(inp: DecisionInputs, qualified: Sequence[_Assessment]) -> list[tuple[str, str]]:
    """Return the reasons the state is too conflicted to trade, as ``(id, text)``."""
    reasons = []
    missing = missing_inputs(inp)
    if missing:
        shown = ", ".join(f"{n} is {getattr(inp, n)}" for n in missing)
        reasons.append(
            ("inputs_not_finite", f"inputs not finite: {shown} (no play is judged on them)")
        )
    if inp.regime == "neutral":
        reasons.append(("regime_neutral", f"regime = neutral (is net GEX {inp.net_gex:.3g})"))
    if inp.flow_label == "regime_flip":
        confirmed = abs(inp.flow_z) >= CONFIRM_FLOW_Z and inp.spot_change_30m * inp.flow_z > 0
        if not confirmed:
            reasons.append(
                (
                    "unconfirmed_regime_flip",
                    f"flow = regime_flip without confirmation: needs |flow_z| >= "
                    f"{_n(CONFIRM_FLOW_Z)} with spot moving the same way (is flow_z "
                    f"{_z(inp.flow_z)}, spot {inp.spot_change_30m:+.2f})",
                )
            )
    sellers = [a for a in qualified if a.key in _SHORT_PREMIUM]
    buyers = [a for a in qualified if a.key not in _SHORT_PREMIUM]
    if sellers and buyers:
        reasons.append(
            (
                "sellers_and_buyers",
                f"premium sellers and buyers both qualify ({DISPLAY_NAMES[sellers[0].key]} vs "
                f"{DISPLAY_NAMES[buyers[0].key]})",
            )
        )
    return reasons


def _wait(
    inp: DecisionInputs, conflicts: Sequence[tuple[str, str]], near: Sequence[_Assessment]
) -> dict[str, Any]:
    reasons = list(conflicts)
    if not conflicts:
        reasons.append(("nothing_qualifies", "no play has every condition met"))
    if near:
        closest = near[0]
        failed = [r.text for r in closest.rules if not r.passed]
        reasons.append(
            (
                "closest",
                f"closest: {DISPLAY_NAMES[closest.key]} (fails: {'; '.join(failed)})"
                if failed
                else f"{DISPLAY_NAMES[closest.key]} qualifies but is held back by the conflict",
            )
        )
    confidence: Confidence = "high" if conflicts or not near else "medium"
    thesis = (
        f"Low signal ({inp.regime}, flow {inp.flow_label}, pin score {_n(inp.pin_score)}): "
        + "; ".join([text for _, text in conflicts] or ["nothing qualifies"])
        + ". Stand aside until a play qualifies."
    )
    return {
        "key": WAIT,
        "display_name": DISPLAY_NAMES[WAIT],
        "confidence": confidence,
        "conditions_met": [text for _, text in reasons],
        "conditions_failed": [],
        "conditions": [
            {
                "id": key,
                "text": text,
                "met": True,
                "value": None,
                "op": None,
                "threshold": None,
                "margin": None,
            }
            for key, text in reasons
        ],
        "strikes_hint": {},
        "odds": None,
        "thesis": thesis,
    }


def _with_odds(a: _Assessment, inp: DecisionInputs) -> _Assessment:
    return replace(a, odds=play_odds(a.key, a.hint, inp))


def evaluate_setups(inp: DecisionInputs) -> dict[str, Any]:
    """Judge the textbook 0DTE plays against one moment of a session.

    Parameters
    ----------
    inp : DecisionInputs
        The state to judge.

    Returns
    -------
    dict
        ``{"primary": verdict, "alternatives": [verdict, ...], "anti_setups": [verdict, ...]}``;
        ``primary`` is a play with every condition met or the Wait verdict, never None. Each
        verdict has ``key, display_name, confidence, conditions_met, conditions_failed,
        strikes_hint, thesis``; every ``strikes_hint`` value is a listed strike (the raw price
        when ``inp.strikes`` is empty). The rules are in the module docstring.
    """
    assessed = [_with_odds(_BUILDERS[key](inp), inp) for key in PLAYS]
    priority = {key: i for i, key in enumerate(PLAYS)}
    anti = [(a, why) for a in assessed if (why := a.avoid) is not None]
    anti_keys = {a.key for a, _ in anti}
    usable = [a for a in assessed if a.key not in anti_keys]
    qualified = sorted(
        (a for a in usable if a.failed == 0),
        key=lambda a: (-_RANK[a.confidence], priority[a.key]),
    )
    conflicts = _conflicts(inp, qualified)
    primary: dict[str, Any]
    if qualified and not conflicts:
        chosen: _Assessment | None = qualified[0]
        primary = _verdict(qualified[0])
    else:
        chosen = None
    near = sorted(
        (a for a in usable if a.failed <= 1 and a is not chosen),
        key=lambda a: (a.failed, -_RANK[a.confidence], priority[a.key]),
    )
    if missing_inputs(inp):  # nothing is judged on NaN: only the Wait, saying why
        near, anti = [], []
    if chosen is None:
        primary = _wait(inp, conflicts, near)
    return {
        "primary": primary,
        "alternatives": [_verdict(a) for a in near],
        "anti_setups": [_anti_verdict(a, why) for a, why in anti],
    }
