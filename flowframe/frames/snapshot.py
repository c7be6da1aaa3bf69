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

import html
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from flowframe.errors import SchemaError
from flowframe.frames.card import SEVERITY_COLORS, snapshot_card
from flowframe.frames.checks import read_timestamp

__all__ = [
    "Condition",
    "FlowDirection",
    "Headline",
    "PlayOdds",
    "Probabilities",
    "Probability",
    "Setup",
    "SetupVerdict",
    "Snapshot",
    "snapshots_frame",
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
    # numpy's numbers are numbers (an in-process payload may hold them); booleans are not
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
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


_OPS: Final = (">=", "<=", ">", "<", "=", "in", "is")
_COMPARISON: Final = re.compile(
    r"^(?P<id>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>>=|<=|>|<|=)\s*(?P<threshold>[^\s()]+)"
    r"(?:\s+\(is (?P<value>[^)]*)\))?$"
)


_NUMBER: Final = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def _scalar(text: str) -> float | str:
    """Return ``text`` as a float when it is a decimal number, else the text itself."""
    return float(text) if _NUMBER.match(text) else text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition of a setup verdict, machine-readable.

    Attributes
    ----------
    id : str
        Stable within the play (``"pin_score"``; the Wait verdict's reasons have ids such as
        ``"inputs_not_finite"``).
    text : str
        The audit line as the body wrote it (``"pin_score > 65 (is 71)"``).
    met : bool
        Whether it held.
    value : float, str, bool or None
        What the state showed, in the rule's unit; None when the body did not say.
    op : str or None
        ``">", ">=", "<", "<=", "=", "in"`` (``threshold`` is ``[low, high]``), ``"is"``
        (a yes/no rule), or None when the text names no comparison.
    threshold : float, str, bool, list or None
        What ``value`` is compared with.
    margin : float or None
        How far the value clears (> 0) or misses (< 0) the threshold in the rule's scale,
        in [-1, 1] (local engine only).
    """

    id: str
    text: str
    met: bool
    value: float | str | bool | None = None
    op: str | None = None
    threshold: float | str | bool | list[float] | None = None
    margin: float | None = None

    @classmethod
    def from_text(cls, text: str, met: bool) -> Condition:
        """Read a condition from its text alone (a hosted body sends only the texts).

        ``"pin_score > 65"`` gives id ``pin_score``, op ``>``, threshold 65.0; an audit suffix
        ``"(is 71)"`` gives the value. Any other text keeps a slug of itself as its id, with
        op, threshold and value None: nothing is guessed.
        """
        match = _COMPARISON.match(text.strip())
        if match is None:
            return cls(_slug(text) or "condition", text, met)
        value = match["value"]
        return cls(
            match["id"],
            text,
            met,
            value=None if value is None else _scalar(value),
            op=match["op"],
            threshold=_scalar(match["threshold"]),
        )

    @classmethod
    def from_block(cls, block: Any, where: str) -> Condition:
        """Read one structured condition (``{"id", "text", "met", ...}``)."""
        if not isinstance(block, Mapping):
            raise SchemaError(f"snapshot field {where} must be an object")
        ident, text, met = block.get("id"), block.get("text"), block.get("met")
        if not isinstance(ident, str) or not isinstance(text, str) or not isinstance(met, bool):
            raise SchemaError(
                f"snapshot field {where} needs 'id' and 'text' (strings) and 'met' (a bool)"
            )
        op = block.get("op")
        if op is not None and op not in _OPS:
            raise SchemaError(f"snapshot field {where}.op must be one of {_OPS}, got {op!r}")
        margin = _num(block, "margin", where)
        return cls(ident, text, met, block.get("value"), op, block.get("threshold"), margin)


@dataclass(frozen=True, slots=True)
class PlayOdds:
    """The model odds that a play pays at the close, and its profit zone.

    Attributes
    ----------
    value : float
        Probability in [0, 1] (lognormal at the ATM IV, no dealer flow in it).
    low, high : float or None
        The profit zone's ends in points; None for an open side.
    event : str or None
        What is counted (``"close inside the fly's break-evens"``).
    outside : bool
        True when the play pays *outside* ``[low, high]`` (a straddle).
    """

    value: float
    low: float | None
    high: float | None
    event: str | None
    outside: bool = False

    @classmethod
    def from_block(cls, block: Any, where: str) -> PlayOdds | None:
        """Read a verdict's ``odds`` block (None when the body has none)."""
        if block is None:
            return None
        if not isinstance(block, Mapping):
            raise SchemaError(f"snapshot field {where} must be an object or null")
        value = _num(block, "value", where)
        if value is None or not 0.0 <= value <= 1.0:
            raise SchemaError(f"snapshot field {where}.value must be a probability in [0, 1]")
        outside = block.get("outside", False)
        if not isinstance(outside, bool):
            raise SchemaError(f"snapshot field {where}.outside must be true or false")
        return cls(
            value,
            _num(block, "low", where),
            _num(block, "high", where),
            _text(block, "event", where),
            outside,
        )

    @property
    def zone(self) -> str:
        """The profit zone in words.

        ``"5,786.20–5,813.80"``, ``"above 5,790.10"``, ``"below 6,055.40"``; for a straddle
        ``"outside 5,786.20–5,813.80"``.
        """
        lo, hi = self.low, self.high
        if lo is not None and hi is not None:
            return f"{'outside ' if self.outside else ''}{lo:,.2f}–{hi:,.2f}"
        if lo is not None:
            return f"above {lo:,.2f}"
        if hi is not None:
            return f"below {hi:,.2f}"
        return "anywhere"


@dataclass(frozen=True, slots=True)
class SetupVerdict:
    """One play the rules engine judged, with the conditions behind the verdict.

    ``conditions`` holds every condition, met or not, as :class:`Condition` records: read from
    the body's ``conditions`` list when it sends one (flowframe's engine does), else from the
    texts of ``conditions_met`` and ``conditions_failed`` (the hosted API sends only those).
    """

    display_name: str | None
    confidence: str | None
    conditions_met: tuple[str, ...]
    conditions_failed: tuple[str, ...]
    strikes_hint: dict[str, float]
    thesis: str | None
    key: str | None = None
    conditions: tuple[Condition, ...] = ()
    odds: PlayOdds | None = None

    @classmethod
    def from_block(cls, block: Any, where: str) -> SetupVerdict:
        """Read one verdict (``setup.primary``, an alternative or an anti-setup)."""
        if not isinstance(block, Mapping):
            raise SchemaError(f"snapshot field {where} must be an object")
        hint = block.get("strikes_hint") or {}
        if not isinstance(hint, Mapping):
            raise SchemaError(f"snapshot field {where}.strikes_hint must be an object")
        met = _texts(block, "conditions_met", where)
        failed = _texts(block, "conditions_failed", where)
        structured = block.get("conditions")
        if structured is None:
            conditions = tuple(Condition.from_text(t, True) for t in met) + tuple(
                Condition.from_text(t, False) for t in failed
            )
        elif isinstance(structured, list):
            conditions = tuple(
                Condition.from_block(c, f"{where}.conditions[{i}]")
                for i, c in enumerate(structured)
            )
        else:
            raise SchemaError(f"snapshot field {where}.conditions must be a list")
        return cls(
            display_name=_text(block, "display_name", where),
            confidence=_text(block, "confidence", where),
            conditions_met=met,
            conditions_failed=failed,
            strikes_hint={
                str(k): v for k in hint if (v := _num(hint, k, f"{where}.strikes_hint")) is not None
            },
            thesis=_text(block, "thesis", where),
            key=_text(block, "key", where),
            conditions=conditions,
            odds=PlayOdds.from_block(block.get("odds"), f"{where}.odds"),
        )

    def conditions_frame(self) -> pd.DataFrame:
        """Return the conditions as a table, one row each.

        Columns ``id, text, met`` (bool), ``value, op, threshold`` (object: numbers, labels or
        None) and ``margin`` (float64, NaN where the body gave none).
        """
        columns = ["id", "text", "met", "value", "op", "threshold", "margin"]
        rows = [[getattr(c, name) for name in columns] for c in self.conditions]
        frame = pd.DataFrame(rows, columns=columns).astype(
            {"id": "str", "text": "str", "met": bool, "margin": np.float64}
        )
        return frame.astype({"value": object, "op": object, "threshold": object})


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

    # ------------------------------------------------------------------ tables

    def to_dict(self) -> dict[str, Any]:
        """Return the snapshot as one flat row: every scalar of the body, by dotted path.

        The row starts with ``symbol, as_of`` (a UTC ``pd.Timestamp`` or None), ``status``,
        ``source`` and ``spot``; then every number, string and bool of the body's blocks under
        its path (``"regime.gamma_flip"``, ``"exposures.net_gex"``,
        ``"pin_risk.components.oi_score"``). The setup is summarised as
        ``setup.primary.key/display_name/confidence/conditions_met/conditions_failed`` (the
        last two are counts) and ``setup.alternatives`` / ``setup.anti_setups`` (their keys,
        comma-joined), and the probabilities are the typed ones (fractions in [0, 1], as
        :attr:`probabilities` reads them, so ``"probabilities.pin.value"`` does not depend on
        whether the source sent 0.64 or 64). ``headline.promoted.pin_probability_pct`` is a
        percentage, as :attr:`headline` reads it.

        Left out, and kept in :attr:`raw` / :attr:`strikes`: lists (the per-strike table, the
        condition texts, ``band`` pairs, which ``low`` / ``high`` repeat) and the verdicts'
        free text (thesis, strikes hints). A degraded snapshot (session closed, no 0DTE) has
        fewer keys; stacking rows fills what one lacks with NaN (:func:`snapshots_frame`).
        """
        row: dict[str, Any] = {
            "symbol": self.symbol,
            "as_of": self.as_of,
            "status": self.status,
            "source": self.source,
            "spot": self.spot,
        }
        skip = {"symbol", "as_of", "underlying_price", "strikes", "setup", "probabilities"}
        for key, value in self.raw.items():
            if key not in skip:
                _flatten(key, value, row)
        if self.headline is not None:
            pin = self.headline.promoted.get("pin_probability_pct")
            if pin is not None:
                row["headline.promoted.pin_probability_pct"] = pin
        if self.setup is not None:
            primary = self.setup.primary
            if primary is not None:
                row["setup.primary.key"] = primary.key
                row["setup.primary.display_name"] = primary.display_name
                row["setup.primary.confidence"] = primary.confidence
                row["setup.primary.conditions_met"] = len(primary.conditions_met)
                row["setup.primary.conditions_failed"] = len(primary.conditions_failed)
                if primary.odds is not None:
                    row["setup.primary.odds"] = primary.odds.value
            for name in ("alternatives", "anti_setups"):
                verdicts = getattr(self.setup, name)
                row[f"setup.{name}"] = ",".join(v.key or v.display_name or "?" for v in verdicts)
        if self.probabilities is not None:
            for name in ("pin", "range_1sigma", "range_2sigma"):
                p = getattr(self.probabilities, name)
                if p is not None:
                    for part in ("value", "low", "high", "calibration_method"):
                        row[f"probabilities.{name}.{part}"] = getattr(p, part)
        return row

    def to_series(self) -> pd.Series:
        """Return :meth:`to_dict` as a Series named by ``as_of`` (object dtype).

        ``pd.DataFrame([s.to_series() for s in snapshots])`` stacks a day of snapshots, one
        row each; :func:`snapshots_frame` does that and gives each column its own dtype.
        """
        return pd.Series(self.to_dict(), name=self.as_of, dtype=object)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        return self.raw == other.raw

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        # never raises, even on an object whose __init__ stopped midway (a debugger, a
        # traceback's locals or a log line show those): every attribute read has a default
        status = getattr(self, "status", None) or "unread"
        head = f"Snapshot({getattr(self, 'symbol', None)}, {status}"
        as_of = getattr(self, "as_of", None)
        if isinstance(as_of, pd.Timestamp):
            head += f", as_of={as_of.isoformat()}"
        narrative = getattr(getattr(self, "headline", None), "narrative", None)
        message = getattr(self, "message", None)
        if narrative:
            head += f", headline={narrative!r}"
        elif message:
            head += f", message={message!r}"
        return head + ")"

    # ------------------------------------------------------------------ html

    def _repr_html_(self) -> str:
        if not hasattr(self, "levels"):  # partly built (__init__ stopped): the text repr
            return f"<pre>{html.escape(repr(self))}</pre>"
        # the one card renderer, shared with the live headline and the demo report
        return snapshot_card(self)


def _flatten(path: str, value: Any, row: dict[str, Any]) -> None:
    """Add the scalars under ``value`` to ``row`` by dotted path (lists are left out)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(f"{path}.{key}", item, row)
    elif value is None or isinstance(value, str | bool | int | float):
        row[path] = value


def snapshots_frame(snapshots: Iterable[Snapshot]) -> pd.DataFrame:
    """Stack snapshots into a DataFrame, one row each (:meth:`Snapshot.to_dict`).

    Parameters
    ----------
    snapshots : iterable of Snapshot
        For instance one per minute of a session (``src.at(t)`` for each ``t``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``as_of`` (UTC); columns in first-seen order, each with the dtype its
        values share: float64 for numbers (NaN where a snapshot lacks the field or sent
        null), the nullable ``boolean`` for flags, ``str`` for texts, object for a mix.

    Examples
    --------
    >>> src = ff.Simulated(now="15:00")  # doctest: +SKIP
    >>> times = pd.date_range("2026-09-18 10:00", "2026-09-18 15:00", freq="30min",
    ...                       tz="America/New_York")  # doctest: +SKIP
    >>> day = snapshots_frame(ff.snapshot("SPX", source=src.at(t)) for t in times)
    ... # doctest: +SKIP
    >>> day[["spot", "regime.label", "setup.primary.key"]]  # doctest: +SKIP
    """
    rows = [s.to_dict() for s in snapshots]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    data: dict[str, Any] = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        present = [v for v in values if v is not None]
        if name == "as_of":
            data[name] = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
        elif present and all(isinstance(v, bool) for v in present):
            data[name] = pd.array(values, dtype="boolean")
        elif present and all(isinstance(v, int | float) for v in present):
            data[name] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        elif all(isinstance(v, str) for v in present):
            data[name] = pd.array(values, dtype="str")
        else:
            data[name] = pd.array(values, dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows))).set_index("as_of")


def snapshot_from_payload(payload: Any, *, source: str | None = None) -> Snapshot:
    """Read a ``snapshot`` body (live or degraded) as a :class:`Snapshot`."""
    return Snapshot(payload, source=source)


def snapshot_to_payload(snapshot: Snapshot) -> dict[str, Any]:
    """Return the body the snapshot was read from (a copy)."""
    return dict(snapshot.raw)
