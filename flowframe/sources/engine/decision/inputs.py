"""What the decision layer reads: one moment of one session, as plain numbers.

:class:`DecisionInputs` is built from the engine's state at a clock time (see
:func:`flowframe.sources.engine.decision.body.decision_inputs`), or by hand in tests, so the rules
(headline, setups, probabilities) are pure functions of it and can be tested case by case.

Units: prices and levels in points; exposures in dollars (GEX per 1% move); probabilities in
[0, 1]; times in hours; ``sigma_rem`` is the remaining one-sigma move to the close in points
(spot x ATM IV x sqrt(tau), trading clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Regime = Literal["positive_gamma", "negative_gamma", "neutral"]
FlowLabel = Literal["no_flow", "neutral", "amplifying", "dampening", "regime_flip"]

__all__ = ["DecisionInputs", "FlowLabel", "Regime"]


@dataclass(frozen=True)
class DecisionInputs:
    """One moment of a 0DTE session, everything the rules look at.

    Attributes
    ----------
    symbol : str
    spot : float
        Underlying price now.
    open_spot : float
        Price at 09:30 (the range bands are fixed around it).
    hours_left : float
        Hours to the close (0..6.5; 0..3.5 on a 13:00 early close).
    regime : {"positive_gamma", "negative_gamma", "neutral"}
        Sign of live net GEX.
    net_gex : float
        Live net GEX, $ per 1% move.
    gamma_flip : float or None
        Re-priced zero of net GEX; None when there is none in range.
    call_wall, put_wall, magnet : float
        Strikes (see the engine conventions).
    pin_score : float
        0-100.
    pin_components : dict of str to float
        ``oi_score, proximity_score, time_score, gamma_score`` (0-100 each).
    atm_iv : float
        ATM implied vol (decimal, trading clock).
    sigma_rem : float
        Remaining one-sigma move to the close, in points.
    sigma_day : float
        One-sigma move of the whole session, in points (``open_spot * atm_iv / sqrt(252)``,
        x ``sqrt(210/390)`` on a 13:00 early close).
    flow_label : str
        ``flow_direction.label``.
    flow_shift : float or None
        ``flow_direction.flow_gex_pct_shift`` (fraction; None when settled GEX is 0).
    flow_30m : float
        Dealer hedge-flow over the last 30 minutes, $ (+ = dealers bought).
    flow_z : float
        That flow in robust standard deviations of 30-minute flows so far today (0 early).
    accelerating : bool
        The last bars form a run of same-signed, growing hedge-flow (the squeeze fingerprint).
    spot_change_30m : float
        Spot change over the last 30 minutes, points.
    strikes : tuple of float
        Listed strikes (ascending), for snapping hints.
    strike_spacing : float
        Typical distance between listed strikes.
    """

    symbol: str
    spot: float
    open_spot: float
    hours_left: float
    regime: Regime
    net_gex: float
    gamma_flip: float | None
    call_wall: float
    put_wall: float
    magnet: float
    pin_score: float
    atm_iv: float
    sigma_rem: float
    sigma_day: float
    flow_label: FlowLabel
    flow_shift: float | None
    flow_30m: float = 0.0
    flow_z: float = 0.0
    accelerating: bool = False
    spot_change_30m: float = 0.0
    strikes: tuple[float, ...] = ()
    strike_spacing: float = 1.0
    pin_components: dict[str, float] = field(default_factory=dict)

    @property
    def distance_to_flip_sigmas(self) -> float | None:
        """|spot - flip| in remaining sigmas (None without a flip)."""
        if self.gamma_flip is None or self.sigma_rem <= 0:
            return None
        return abs(self.spot - self.gamma_flip) / self.sigma_rem

    @property
    def distance_to_magnet_pct(self) -> float:
        """|spot - magnet| as a percentage of spot."""
        return abs(self.spot - self.magnet) / self.spot * 100.0

    def snap(self, price: float) -> float:
        """Return the listed strike nearest ``price`` (``price`` itself without strikes)."""
        if not self.strikes:
            return price
        return min(self.strikes, key=lambda k: (abs(k - price), k))
