"""Alert detection: what a trader wants to know now, from what each polling cycle brought.

:class:`AlertDetector` keeps what it has seen of one symbol's session and turns each landed
cycle's frames into :class:`~flowframe.live.contract.Alert` records, each event once:

``flip_cross`` / ``wall_cross``
    Spot changes side of the gamma flip / the call or put wall between consecutive series
    bars (each bar against its own level).
``hedge_burst``
    A bar's hedge flow lies beyond ``burst_k`` robust sigmas (1.4826 MAD) of the median of
    the session's bars before it (causal; at least 10 bars of history).
``flow_direction_flip``
    The snapshot's ``flow_direction.label`` moves into or out of ``regime_flip``, or between
    ``amplifying`` and ``dampening``.
``severity_escalation``
    The headline's severity rises (info < watch < alert).

The first series seen is the baseline: the session's past raises nothing.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import pandas as pd

from flowframe._stats import robust_center_scale
from flowframe.frames.snapshot import Snapshot
from flowframe.live.contract import Alert

__all__ = ["ALERT_KINDS", "BURST_MIN_BARS", "AlertDetector"]

#: The kinds of :class:`Alert` a poller raises.
ALERT_KINDS: Final = (
    "flow_direction_flip",
    "severity_escalation",
    "flip_cross",
    "wall_cross",
    "hedge_burst",
)
#: Bars of history a hedge burst is measured against, at least.
BURST_MIN_BARS: Final = 10

_SEVERITY_RANK: Final = {"info": 0, "watch": 1, "alert": 2}
_LEVELS: Final = ("gamma_flip", "call_wall", "put_wall")
_LEVEL_LABELS: Final = {
    "gamma_flip": "the gamma flip",
    "call_wall": "the call wall",
    "put_wall": "the put wall",
}


def _side(value: float, level: float) -> int:
    """-1 below, +1 above, 0 at the level or when either is NaN."""
    if not (math.isfinite(value) and math.isfinite(level)):
        return 0
    return int(np.sign(value - level))


class AlertDetector:
    """Find the alerts of one symbol's session, cycle after cycle, each event once.

    Parameters
    ----------
    symbol : str
        The symbol the alerts are about (it leads every message).
    burst_k : float, default 3.0
        A hedge burst is a bar beyond ``burst_k`` robust sigmas of the session's bars before
        it.

    Examples
    --------
    >>> detector = AlertDetector("SPY")
    >>> detector.series_alerts(None, None)  # the frames held after each landed cycle
    []
    """

    def __init__(self, symbol: str, *, burst_k: float = 3.0):
        self.symbol = symbol
        self.burst_k = float(burst_k)
        self.reset(symbol)

    def reset(self, symbol: str) -> None:
        """Forget everything seen: a new symbol's session starts from its own baseline."""
        self.symbol = symbol
        self._fired: set[tuple[str, str, pd.Timestamp]] = set()
        self._last_label: str | None = None
        self._last_severity: str | None = None
        self.rebase()

    def rebase(self) -> None:
        """Take the next series as a new baseline (its bars changed size, say).

        What the snapshot said last, and the events already fired, are kept.
        """
        self._checked_from: pd.Timestamp | None = None

    def _alert(self, time: pd.Timestamp, kind: str, message: str, **values: Any) -> Alert:
        return Alert(time=time, symbol=self.symbol, kind=kind, message=message, values=values)

    def _once(self, kind: str, detail: str, t: pd.Timestamp) -> bool:
        key = (kind, detail, t)
        if key in self._fired:
            return False
        self._fired.add(key)
        return True

    def series_alerts(self, series: pd.DataFrame | None, hedge: pd.DataFrame | None) -> list[Alert]:
        """Return the alerts of the bars new since the last look (the last bar seen again).

        Parameters
        ----------
        series : pandas.DataFrame or None
            The session series held (``spot``, ``gamma_flip``, ``call_wall``, ``put_wall``).
        hedge : pandas.DataFrame or None
            The hedge-flow derived from it (``bar``).

        Returns
        -------
        list of Alert
            ``flip_cross``, ``wall_cross`` and ``hedge_burst`` alerts, in time order; none
            the first time (the baseline).
        """
        if series is None or hedge is None or series.empty:
            return []
        index = pd.DatetimeIndex(series.index)
        start = self._checked_from
        self._checked_from = index[-1]
        if start is None:
            return []
        first = max(int(index.searchsorted(start, side="left")), 1)
        spot = series["spot"].to_numpy(dtype=np.float64)
        levels = {name: series[name].to_numpy(dtype=np.float64) for name in _LEVELS}
        flow = hedge["bar"].to_numpy(dtype=np.float64)
        out: list[Alert] = []
        for i in range(first, len(index)):
            t = index[i]
            for name in _LEVELS:
                alert = self._cross(
                    t, name, spot[i - 1], spot[i], levels[name][i - 1], levels[name][i]
                )
                if alert is not None:
                    out.append(alert)
            alert = self._burst(t, flow[:i], flow[i])
            if alert is not None:
                out.append(alert)
        return out

    def _cross(
        self,
        t: pd.Timestamp,
        name: str,
        spot_before: float,
        spot: float,
        level_before: float,
        level: float,
    ) -> Alert | None:
        before, after = _side(spot_before, level_before), _side(spot, level)
        if before == 0 or after == 0 or before == after:
            return None
        kind = "flip_cross" if name == "gamma_flip" else "wall_cross"
        if not self._once(kind, name, t):
            return None
        direction = "up" if after > 0 else "down"
        where = "above" if after > 0 else "below"
        message = (
            f"{self.symbol} spot {spot:,.2f} crossed {where} {_LEVEL_LABELS[name]} {level:,.2f} "
            f"(previous bar: spot {spot_before:,.2f}, level {level_before:,.2f})"
        )
        values: dict[str, Any] = {
            "spot": float(spot),
            "previous_spot": float(spot_before),
            "level": float(level),
            "previous_level": float(level_before),
            "direction": direction,
        }
        if kind == "wall_cross":
            values["wall"] = "call" if name == "call_wall" else "put"
        return self._alert(t, kind, message, **values)

    def _burst(self, t: pd.Timestamp, past: np.ndarray, value: float) -> Alert | None:
        past = past[np.isfinite(past)]
        if not math.isfinite(value) or past.size < BURST_MIN_BARS:
            return None
        median, sigma = robust_center_scale(past)
        if not sigma > 0:
            return None
        z = (value - median) / sigma
        if abs(z) <= self.burst_k or not self._once("hedge_burst", "bar", t):
            return None
        who = "buy" if value > 0 else "sell"
        message = (
            f"{self.symbol} hedge-flow burst: dealers {who} {abs(value):,.0f} $ of delta in one "
            f"bar, {z:+.1f} robust sigma from the session's median bar {median:,.0f} $"
        )
        return self._alert(
            t,
            "hedge_burst",
            message,
            bar=float(value),
            z=float(z),
            median=median,
            sigma=sigma,
            k=self.burst_k,
            bars=int(past.size),
        )

    def snapshot_alerts(self, snapshot: Snapshot | None, now: pd.Timestamp) -> list[Alert]:
        """Return the alerts of a new snapshot against the ones seen before.

        Parameters
        ----------
        snapshot : Snapshot or None
            The snapshot just landed.
        now : pandas.Timestamp
            The session clock, the alerts' time when the snapshot has no ``as_of``.

        Returns
        -------
        list of Alert
            ``flow_direction_flip`` then ``severity_escalation``, when they happened.
        """
        if snapshot is None:
            return []
        time = snapshot.as_of if snapshot.as_of is not None else now
        out: list[Alert] = []
        flow = snapshot.flow_direction
        label = flow.label if flow is not None else None
        if flow is not None and label is not None:
            before = self._last_label
            if before is not None and label != before:
                into_flip = (label == "regime_flip") != (before == "regime_flip")
                swap = {label, before} == {"amplifying", "dampening"}
                if into_flip or swap:
                    out.append(
                        self._alert(
                            time,
                            "flow_direction_flip",
                            f"{self.symbol} flow direction {before} -> {label}"
                            + (f": {flow.description}" if flow.description else ""),
                            previous=before,
                            label=label,
                            flow_gex_pct_shift=flow.flow_gex_pct_shift,
                            live_net_gex=flow.live_net_gex,
                            settled_net_gex=flow.settled_net_gex,
                        )
                    )
            self._last_label = label
        headline = snapshot.headline
        severity = headline.severity if headline is not None else None
        if headline is not None and severity in _SEVERITY_RANK:
            before = self._last_severity
            if before is not None and _SEVERITY_RANK[severity] > _SEVERITY_RANK[before]:
                out.append(
                    self._alert(
                        time,
                        "severity_escalation",
                        f"{self.symbol} headline {before} -> {severity}: "
                        f"{headline.narrative or ''}".rstrip(": "),
                        previous=before,
                        severity=severity,
                        narrative=headline.narrative,
                        trade_angle=headline.trade_angle,
                    )
                )
            self._last_severity = severity
        return out
