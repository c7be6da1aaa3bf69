"""The snapshot's ``headline`` block: the one-line dashboard read of a moment of the session.

:func:`headline` turns :class:`~flowframe.sources.engine.decision.inputs.DecisionInputs`,
the ``setup`` block of :func:`~flowframe.sources.engine.decision.setups.evaluate_setups` and
the pin probability into ``{"narrative", "trade_angle", "severity", "promoted"}``.

Trade angle
-----------
The family of ``setup["primary"]``
(:data:`flowframe.sources.engine.decision.setups.TRADE_ANGLES`): Iron Fly
-> ``"pin"``; Iron Condor and the two credit spreads -> ``"range"``; Breakout Straddle,
Directional Debit Spread and Lotto -> ``"breakout"``; Wait, no primary or an unknown play ->
``"low_signal"``. A primary without ``key`` is looked up by its ``display_name``.

Severity
--------
With ``d`` = ``inp.distance_to_flip_sigmas`` (spot to gamma flip in remaining sigmas; None
without a flip or without time left, when the flip rules do not fire), the severity is
``"alert"`` when any of

- (A1) ``d <= 0.25``: spot within a quarter of a remaining sigma of the flip;
- (A2) ``flow_label == "regime_flip"``: today's flow changed the sign of net GEX;
- (A3) ``regime == "positive_gamma"`` and ``pin_score >= 80`` and ``hours_left <= 1``: a tight
  pin in the last hour;
- (A4) ``regime == "negative_gamma"`` and ``accelerating`` and ``abs(flow_z) >= 3``: a squeeze
  building;

holds, else ``"watch"`` when any of the weaker versions

- (W1) ``d <= 1``;
- (W2) ``flow_label == "amplifying"``;
- (W3) ``regime == "positive_gamma"`` and ``pin_score >= 65`` and ``hours_left <= 2``;
- (W4) ``abs(flow_z) >= 2`` or ``accelerating`` (any regime);

holds, else ``"info"``. Every bound is inclusive. :func:`severity_reasons` returns the codes
(``"A1"`` ... ``"W4"``) that fired.

Promoted
--------
``magnet``, ``pin_score``, ``pin_probability_pct`` (a percentage, 0-100, two decimals: the
pin probability x 100), ``regime``, ``gamma_flip`` (None without a flip) and ``flow_label``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final, Literal

from flowframe.sources.engine.decision.inputs import DecisionInputs
from flowframe.sources.engine.decision.setups import DISPLAY_NAMES, TRADE_ANGLES, WAIT

__all__ = ["Severity", "TradeAngle", "headline", "severity", "severity_reasons", "trade_angle"]

TradeAngle = Literal["pin", "range", "breakout", "low_signal"]
Severity = Literal["info", "watch", "alert"]

ALERT_FLIP_SIGMAS: Final = 0.25
ALERT_PIN_SCORE: Final = 80.0
ALERT_PIN_HOURS: Final = 1.0
ALERT_FLOW_Z: Final = 3.0
WATCH_FLIP_SIGMAS: Final = 1.0
WATCH_PIN_SCORE: Final = 65.0
WATCH_PIN_HOURS: Final = 2.0
WATCH_FLOW_Z: Final = 2.0

_ANGLES: Final[Mapping[str, TradeAngle]] = {
    "pin": "pin",
    "range": "range",
    "breakout": "breakout",
    "low_signal": "low_signal",
}
_KEY_BY_NAME: Final = {name: key for key, name in DISPLAY_NAMES.items()}


def trade_angle(setup: Mapping[str, Any]) -> TradeAngle:
    """Return the trade angle of a ``setup`` block (the family of its primary play).

    Parameters
    ----------
    setup : mapping
        A ``setup`` block, as returned by
        :func:`~flowframe.sources.engine.decision.setups.evaluate_setups`.

    Returns
    -------
    {"pin", "range", "breakout", "low_signal"}
        ``"low_signal"`` for Wait, a missing primary or a play this module does not know.
    """
    primary = setup.get("primary")
    if not isinstance(primary, Mapping):
        return "low_signal"
    key = primary.get("key")
    if not isinstance(key, str):
        key = _KEY_BY_NAME.get(str(primary.get("display_name")), WAIT)
    return _ANGLES.get(TRADE_ANGLES.get(key, "low_signal"), "low_signal")


def severity_reasons(inp: DecisionInputs) -> list[str]:
    """Return the escalation rules that fire (codes ``"A1"`` ... ``"A4"``, ``"W1"`` ... ``"W4"``).

    Parameters
    ----------
    inp : DecisionInputs
        The state to grade.

    Returns
    -------
    list of str
        The codes of the module docstring, alert rules first, in order.
    """
    d = inp.distance_to_flip_sigmas
    positive = inp.regime == "positive_gamma"
    z = abs(inp.flow_z)
    rules = [
        ("A1", d is not None and d <= ALERT_FLIP_SIGMAS),
        ("A2", inp.flow_label == "regime_flip"),
        (
            "A3",
            positive and inp.pin_score >= ALERT_PIN_SCORE and inp.hours_left <= ALERT_PIN_HOURS,
        ),
        ("A4", inp.regime == "negative_gamma" and inp.accelerating and z >= ALERT_FLOW_Z),
        ("W1", d is not None and d <= WATCH_FLIP_SIGMAS),
        ("W2", inp.flow_label == "amplifying"),
        (
            "W3",
            positive and inp.pin_score >= WATCH_PIN_SCORE and inp.hours_left <= WATCH_PIN_HOURS,
        ),
        ("W4", z >= WATCH_FLOW_Z or inp.accelerating),
    ]
    return [code for code, fired in rules if fired]


def severity(inp: DecisionInputs) -> Severity:
    """Grade a moment ``"alert"``, ``"watch"`` or ``"info"`` (rules in the module docstring).

    Parameters
    ----------
    inp : DecisionInputs
        The state to grade.

    Returns
    -------
    {"info", "watch", "alert"}
        The highest level any rule reaches.
    """
    reasons = severity_reasons(inp)
    if any(code.startswith("A") for code in reasons):
        return "alert"
    if reasons:
        return "watch"
    return "info"


def _flip_words(inp: DecisionInputs) -> str:
    if inp.gamma_flip is None:
        return "no flip in range"
    d = inp.distance_to_flip_sigmas
    where = f"flip {inp.gamma_flip:.2f}"
    return where if d is None else f"{where} ({d:.2f}σ away)"


def _narrative(inp: DecisionInputs, angle: TradeAngle, pct: float) -> str:
    regime = inp.regime
    if angle == "pin":
        return (
            f"Pinning toward {inp.magnet:.2f} ({regime}). Pin score {inp.pin_score:.0f}/100. "
            f"{pct:.0f}% pin prob."
        )
    if angle == "range":
        walls = (
            f"Range around {inp.call_wall:.2f}, where the put and call walls meet"
            if inp.put_wall == inp.call_wall
            else f"Range between {inp.put_wall:.2f} and {inp.call_wall:.2f}"
        )
        return (
            f"{walls} ({regime}). "
            f"1σ to close ±{max(inp.sigma_rem, 0.0):.2f}; {_flip_words(inp)}. "
            f"Pin score {inp.pin_score:.0f}/100."
        )
    if angle == "breakout":
        run = ", accelerating" if inp.accelerating else ""
        return (
            f"Breakout risk ({regime}): {_flip_words(inp)}. "
            f"Flow {inp.flow_label}{run}, 30-min flow z {inp.flow_z:+.1f}, "
            f"spot {inp.spot_change_30m:+.2f} in 30 min."
        )
    return (
        f"Low signal ({regime}). Pin score {inp.pin_score:.0f}/100, flow {inp.flow_label}, "
        f"{_flip_words(inp)}. No setup qualifies."
    )


def headline(
    inp: DecisionInputs, setup: Mapping[str, Any], pin_probability: float
) -> dict[str, Any]:
    """Build the ``headline`` block of the snapshot.

    Parameters
    ----------
    inp : DecisionInputs
        The moment to describe.
    setup : mapping
        The ``setup`` block for the same moment (its primary sets the trade angle).
    pin_probability : float
        Probability that the close lands at the magnet, in [0, 1] (a fraction, not a
        percentage; floating noise within 1e-9 of the bounds is clipped).

    Returns
    -------
    dict
        ``{"narrative": str, "trade_angle": str, "severity": str, "promoted": {...}}``; the rules
        are in the module docstring.

    Raises
    ------
    ValueError
        If ``pin_probability`` is not a number in [0, 1] (for example a percentage).
    """
    p = float(pin_probability)
    if not math.isfinite(p) or not -1e-9 <= p <= 1.0 + 1e-9:
        raise ValueError(f"pin_probability must be a probability in [0, 1], got {p!r}")
    pct = round(min(max(p, 0.0), 1.0) * 100.0, 2)
    angle = trade_angle(setup)
    return {
        "narrative": _narrative(inp, angle, pct),
        "trade_angle": angle,
        "severity": severity(inp),
        "promoted": {
            "magnet": float(inp.magnet),
            "pin_score": float(inp.pin_score),
            "pin_probability_pct": pct,
            "regime": inp.regime,
            "gamma_flip": None if inp.gamma_flip is None else float(inp.gamma_flip),
            "flow_label": inp.flow_label,
        },
    }
