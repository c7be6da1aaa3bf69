"""The ``flow_direction`` block: has today's flow reinforced or weakened the dealer regime."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["flow_direction"]

Payload = dict[str, Any]


def flow_direction(
    settled: float, live: float, effective_oi: np.ndarray, settled_oi: np.ndarray
) -> Payload:
    """Label how flow moved dealer GEX, by the published rules (5% neutral band) [API].

    ``no_flow`` when no contract's effective OI moved; ``neutral`` inside the band;
    ``amplifying`` when the same sign grew; ``dampening`` when it shrank; ``regime_flip`` on a
    sign change or a move away from zero.
    """
    moved = np.abs(effective_oi - settled_oi)
    adjustment = live - settled
    shift = None if settled == 0 else adjustment / abs(settled)
    if not (moved > 0).any():
        label = "no_flow"
    elif settled == 0:
        label = "regime_flip" if live != 0 else "neutral"
    elif live != 0 and (live > 0) != (settled > 0):
        label = "regime_flip"
    elif shift is not None and abs(shift) < 0.05:
        label = "neutral"
    elif abs(live) > abs(settled):
        label = "amplifying"
    else:
        label = "dampening"
    pct = "" if shift is None else f" by {abs(shift):.1%}"
    verbs = {
        "no_flow": "No flow has moved effective open interest since the open.",
        "neutral": f"Flow has moved dealer GEX{pct} since the open, inside the 5% neutral band.",
        "amplifying": f"Flow has amplified dealer GEX{pct} since the open.",
        "dampening": f"Flow has dampened dealer GEX{pct} since the open.",
        "regime_flip": "Flow has flipped the sign of dealer GEX since the open.",
    }
    return {
        "label": label,
        "settled_net_gex": settled,
        "live_net_gex": live,
        "flow_gex_adjustment": adjustment,
        "flow_gex_pct_shift": shift,
        "contracts_with_flow": int((moved > 0).sum()),
        "total_abs_delta_contracts": float(moved.sum()),
        "description": verbs[label],
    }
