"""The 0DTE decision snapshot as an object a trader reads at a glance.

:class:`Snapshot` wraps a ``snapshot`` body from any source. It keeps the body untouched in
``.raw`` and exposes the decision blocks as small typed records (``headline``,
``flow_direction``, ``setup``, ``probabilities``), the per-strike table as a DataFrame, and an
HTML card for notebooks. Outside a session (``session_closed`` / ``no_zero_dte``) the blocks are
None and the card says there is no session and when the next one is.

Units: ``Headline.promoted["pin_probability_pct"]`` is a percentage (0-100) whatever the body
used (published bodies show both 64.1 and 0.64; a value in [0, 1] is read as a fraction);
``Probability.value`` is a probability in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from flowframe.errors import SchemaError
from flowframe.frames.card import SEVERITY_COLORS, snapshot_card
from flowframe.frames.checks import read_timestamp

__all__ = [
    "FlowDirection",
    "Headline",
    "Probabilities",
    "Probability",
    "Setup",
    "SetupVerdict",
    "Snapshot",
]

Status = Literal["live", "session_closed", "no_zero_dte"]

#: The headline's severity colours (the British spelling of
#: :data:`flowframe.frames.card.SEVERITY_COLORS`, kept for code that imports it from here).
SEVERITY_COLOURS: Final = SEVERITY_COLORS


def _block(payload: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise SchemaError(f"snapshot block {name!r} must be an object, got {type(value).__name__}")
    return value


def _num(block: Mapping[str, Any], key: str, where: str) -> float | None:
    value = block.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"snapshot field {where}.{key} must be a number or null, got {value!r}")
    return float(value)


def _text(block: Mapping[str, Any], key: str, where: str) -> str | None:
    value = block.get(key)
    if value is None or isinstance(value, str):
        return value
    raise SchemaError(f"snapshot field {where}.{key} must be a string or null, got {value!r}")


def _texts(block: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = block.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SchemaError(f"snapshot field {where}.{key} must be a list of strings")
    return tuple(value)


@dataclass(frozen=True, slots=True)
class Headline:
    """The one-line read: narrative, trade angle and severity (info, watch, alert)."""

    narrative: str | None
    trade_angle: str | None
    severity: str | None
    promoted: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_block(cls, block: Mapping[str, Any]) -> Headline:
        """Read a ``headline`` block."""
        promoted = block.get("promoted") or {}
        if not isinstance(promoted, Mapping):
            raise SchemaError("snapshot field headline.promoted must be an object")
        promoted = dict(promoted)
        pin = _num(promoted, "pin_probability_pct", "headline.promoted")
        if pin is not None and 0.0 <= pin <= 1.0:
            promoted["pin_probability_pct"] = pin * 100.0
        return cls(
            narrative=_text(block, "narrative", "headline"),
            trade_angle=_text(block, "trade_angle", "headline"),
            severity=_text(block, "severity", "headline"),
            promoted=promoted,
        )


@dataclass(frozen=True, slots=True)
class FlowDirection:
    """Has today's flow reinforced or weakened the settled dealer regime."""

    label: str | None
    settled_net_gex: float | None
    live_net_gex: float | None
    flow_gex_adjustment: float | None
    flow_gex_pct_shift: float | None
    contracts_with_flow: float | None
    total_abs_delta_contracts: float | None
    description: str | None

    @classmethod
    def from_block(cls, block: Mapping[str, Any]) -> FlowDirection:
        """Read a ``flow_direction`` block."""
        w = "flow_direction"
        return cls(
            label=_text(block, "label", w),
            settled_net_gex=_num(block, "settled_net_gex", w),
            live_net_gex=_num(block, "live_net_gex", w),
            flow_gex_adjustment=_num(block, "flow_gex_adjustment", w),
            flow_gex_pct_shift=_num(block, "flow_gex_pct_shift", w),
            contracts_with_flow=_num(block, "contracts_with_flow", w),
            total_abs_delta_contracts=_num(block, "total_abs_delta_contracts", w),
            description=_text(block, "description", w),
        )


@dataclass(frozen=True, slots=True)
class SetupVerdict:
    """One play the rules engine judged, with the conditions behind the verdict."""

    display_name: str | None
    confidence: str | None
    conditions_met: tuple[str, ...]
    conditions_failed: tuple[str, ...]
    strikes_hint: dict[str, float]
    thesis: str | None

    @classmethod
    def from_block(cls, block: Any, where: str) -> SetupVerdict:
        """Read one verdict (``setup.primary``, an alternative or an anti-setup)."""
        if not isinstance(block, Mapping):
            raise SchemaError(f"snapshot field {where} must be an object")
        hint = block.get("strikes_hint") or {}
        if not isinstance(hint, Mapping):
            raise SchemaError(f"snapshot field {where}.strikes_hint must be an object")
        return cls(
            display_name=_text(block, "display_name", where),
            confidence=_text(block, "confidence", where),
            conditions_met=_texts(block, "conditions_met", where),
            conditions_failed=_texts(block, "conditions_failed", where),
            strikes_hint={
                str(k): v for k in hint if (v := _num(hint, k, f"{where}.strikes_hint")) is not None
            },
            thesis=_text(block, "thesis", where),
        )


@dataclass(frozen=True, slots=True)
class Setup:
    """The primary play, the alternatives, and the plays the state argues against."""

    primary: SetupVerdict | None
    alternatives: tuple[SetupVerdict, ...]
    anti_setups: tuple[SetupVerdict, ...]

    @classmethod
    def from_block(cls, block: Mapping[str, Any]) -> Setup:
        """Read a ``setup`` block."""
        primary = block.get("primary")
        lists = {}
        for name in ("alternatives", "anti_setups"):
            items = block.get(name) or []
            if not isinstance(items, list):
                raise SchemaError(f"snapshot field setup.{name} must be a list")
            lists[name] = tuple(
                SetupVerdict.from_block(item, f"setup.{name}[{i}]") for i, item in enumerate(items)
            )
        return cls(
            primary=None if primary is None else SetupVerdict.from_block(primary, "setup.primary"),
            alternatives=lists["alternatives"],
            anti_setups=lists["anti_setups"],
        )


@dataclass(frozen=True, slots=True)
class Probability:
    """A probability in [0, 1], with its band (low, high) and how it was calibrated."""

    value: float | None
    low: float | None = None
    high: float | None = None
    calibration_method: str | None = None

    @classmethod
    def from_block(cls, block: Any, where: str) -> Probability:
        """Read one probability block."""
        if not isinstance(block, Mapping):
            raise SchemaError(f"snapshot field {where} must be an object")
        value = _num(block, "value", where)
        if value is not None and value > 1.0:  # a percentage slipped in
            value /= 100.0
        return cls(
            value=value,
            low=_num(block, "low", where),
            high=_num(block, "high", where),
            calibration_method=_text(block, "calibration_method", where),
        )


@dataclass(frozen=True, slots=True)
class Probabilities:
    """Pin odds and the odds of closing inside the 1-sigma and 2-sigma bands."""

    pin: Probability | None
    range_1sigma: Probability | None
    range_2sigma: Probability | None

    @classmethod
    def from_block(cls, block: Mapping[str, Any]) -> Probabilities:
        """Read a ``probabilities`` block."""
        parts = {}
        for name in ("pin", "range_1sigma", "range_2sigma"):
            item = block.get(name)
            parts[name] = (
                None if item is None else Probability.from_block(item, f"probabilities.{name}")
            )
        return cls(**parts)


def _strikes_frame(rows: Any) -> pd.DataFrame:
    if rows is None:
        rows = []
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise SchemaError("snapshot field 'strikes' must be a list of objects")
    columns: list[str] = []
    for r in rows:
        columns.extend(k for k in r if k != "strike" and k not in columns)
    strikes = []
    for i, r in enumerate(rows):
        k = r.get("strike")
        if isinstance(k, bool) or not isinstance(k, int | float):
            raise SchemaError(f"snapshot field strikes[{i}].strike must be a number, got {k!r}")
        strikes.append(float(k))
    data: dict[str, Any] = {}
    for col in columns:
        values = [r.get(col) for r in rows]
        present = [v for v in values if v is not None]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
            data[col] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        else:
            data[col] = pd.array([None if v is None else str(v) for v in values], dtype="str")
    frame = pd.DataFrame(data, index=pd.Index(np.array(strikes, dtype=np.float64), name="strike"))
    return frame.sort_index(kind="stable")


class Snapshot:
    """A snapshot body, read.

    Parameters
    ----------
    payload : dict
        A ``snapshot`` body from any source.
    source : str, optional
        Where it came from.

    Attributes
    ----------
    status : {"live", "session_closed", "no_zero_dte"}
    raw : dict
        The body as received.
    headline, flow_direction, setup, probabilities
        Typed decision blocks, or None where the body has none.
    strikes : pandas.DataFrame
        The per-strike table indexed by ``strike`` (float64, ascending).
    """

    def __init__(self, payload: Any, *, source: str | None = None):
        if not isinstance(payload, Mapping):
            raise SchemaError(
                f"snapshot payload must be a JSON object, got {type(payload).__name__}"
            )
        self.raw: dict[str, Any] = dict(payload)
        self.source = source if source is not None else "payload"
        symbol = payload.get("symbol")
        if symbol is not None and not isinstance(symbol, str):
            raise SchemaError(f"snapshot field 'symbol' must be a string, got {symbol!r}")
        self.symbol: str | None = symbol
        self.status: Status
        if payload.get("session_closed") is True:
            self.status = "session_closed"
        elif payload.get("no_zero_dte") is True:
            self.status = "no_zero_dte"
        else:
            self.status = "live"
        self.message: str | None = _text(payload, "message", "snapshot")
        self.next_session: str | None = (
            _text(payload, "next_zero_dte_expiry", "snapshot")
            if self.status == "no_zero_dte"
            else _text(payload, "last_session", "snapshot")
        )
        self.as_of = read_timestamp(payload, "as_of", "snapshot")
        self.spot = _num(payload, "underlying_price", "snapshot")
        live = self.status == "live"
        headline = _block(payload, "headline")
        flow = _block(payload, "flow_direction")
        setup = _block(payload, "setup")
        probabilities = _block(payload, "probabilities")
        self.headline = Headline.from_block(headline) if live and headline else None
        self.flow_direction = FlowDirection.from_block(flow) if live and flow else None
        self.setup = Setup.from_block(setup) if live and setup else None
        self.probabilities = (
            Probabilities.from_block(probabilities) if live and probabilities else None
        )
        self.strikes = _strikes_frame(payload.get("strikes") if live else None)
        self.levels = self._levels(payload)

    @staticmethod
    def _levels(payload: Mapping[str, Any]) -> dict[str, float | None]:
        regime = _block(payload, "regime") or {}
        levels = _block(payload, "levels") or {}
        pin = _block(payload, "pin_risk") or {}
        return {
            "gamma_flip": _num(regime, "gamma_flip", "regime"),
            "call_wall": _num(levels, "call_wall", "levels"),
            "put_wall": _num(levels, "put_wall", "levels"),
            "magnet": _num(pin, "magnet_strike", "pin_risk"),
            "max_pain": _num(pin, "max_pain", "pin_risk"),
        }

    @property
    def regime(self) -> str | None:
        """The dealer gamma regime label (``positive_gamma``, ``negative_gamma``)."""
        block = _block(self.raw, "regime") or {}
        return _text(block, "label", "regime")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        return self.raw == other.raw

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        head = f"Snapshot({self.symbol}, {self.status}"
        if self.as_of is not None:
            head += f", as_of={self.as_of.isoformat()}"
        if self.headline is not None and self.headline.narrative:
            head += f", headline={self.headline.narrative!r}"
        elif self.message:
            head += f", message={self.message!r}"
        return head + ")"

    # ------------------------------------------------------------------ html

    def _repr_html_(self) -> str:
        # the one card renderer, shared with the live headline and the demo report
        return snapshot_card(self)


def snapshot_from_payload(payload: Any, *, source: str | None = None) -> Snapshot:
    """Read a ``snapshot`` body (live or degraded) as a :class:`Snapshot`."""
    return Snapshot(payload, source=source)


def snapshot_to_payload(snapshot: Snapshot) -> dict[str, Any]:
    """Return the body the snapshot was read from (a copy)."""
    return dict(snapshot.raw)
