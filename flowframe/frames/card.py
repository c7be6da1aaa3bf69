"""The snapshot card: one HTML rendering of a 0DTE decision snapshot, for every screen.

:func:`snapshot_card` is the only renderer: ``Snapshot._repr_html_`` (the notebook repr), the
live dashboard's headline panel (``compact=True``) and the ``flowframe demo`` report all call
it, so the three always agree. The colour maps of severities and flow directions live here
too, spelled once (:data:`SEVERITY_COLORS`, :data:`FLOW_COLORS`).

The card reads a snapshot through :class:`CardSnapshot`, the attributes it shows: this module
imports nothing from :mod:`flowframe.frames.snapshot`, whose HTML repr calls it.

Stable hooks for tests and styling: ``div.ff-snapshot[data-status]`` (plus
``ff-snapshot-degraded`` outside a session), ``.ff-severity[data-severity]``,
``.ff-narrative``, ``.ff-angle``, ``.ff-flow[data-label]``, ``.ff-gauge[data-value]``, and in
the full card ``.ff-setup``, ``.ff-odds``, ``.ff-levels``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final, Protocol

from flowframe._constants import ET

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FLOW_COLORS",
    "GAUGE_BOUND",
    "NEUTRAL_BAND",
    "SEVERITY_COLORS",
    "CardSnapshot",
    "flow_gauge",
    "flow_line",
    "snapshot_card",
]

#: The headline's severity colours: blue, amber, red.
SEVERITY_COLORS: Final = {"info": "#1f77b4", "watch": "#e08a00", "alert": "#d62728"}
#: The flow-direction label colours: red where flow feeds moves, green where it damps them.
FLOW_COLORS: Final = {
    "amplifying": "#d62728",
    "regime_flip": "#9467bd",
    "dampening": "#2ca02c",
    "neutral": "#7f7f7f",
    "no_flow": "#7f7f7f",
}
#: The gauge shows changes of ``|GEX|`` up to +-50%.
GAUGE_BOUND: Final = 0.5
#: flow_direction's neutral band, +-5% (reference/MODEL.md), shaded on the gauge.
NEUTRAL_BAND: Final = 0.05

_INK: Final = "#444444"
_MUTED: Final = "#777777"
_DEGRADED: Final = "#999999"
_e = html.escape
#: How the setup's confidence and the odds beside it relate, as the full card says it.
_ODDS_NOTE: Final = (
    "Confidence grades how clearly dealer positioning meets the setup's conditions; the "
    "percentages are a model's odds for the close, with no dealer flow in them. The pin and "
    "range odds answer other questions than the setup's: pin = close within half a strike "
    "of the magnet; the range bands are fixed at the open."
)
#: Added when the setup carries its own odds (flowframe's engine): the rule that ties them.
_ODDS_RULE: Final = " A setup whose own odds of paying are below 25% is never rated high."


# The attributes the card reads, as read-only properties (the snapshot's blocks are frozen
# dataclasses). Typing the card through these keeps the import one way: snapshot -> card.


class _Headline(Protocol):
    @property
    def narrative(self) -> str | None: ...
    @property
    def trade_angle(self) -> str | None: ...
    @property
    def severity(self) -> str | None: ...


class _Flow(Protocol):
    @property
    def label(self) -> str | None: ...
    @property
    def settled_net_gex(self) -> float | None: ...
    @property
    def flow_gex_pct_shift(self) -> float | None: ...
    @property
    def description(self) -> str | None: ...


class _PlayOdds(Protocol):
    @property
    def value(self) -> float: ...
    @property
    def zone(self) -> str: ...


class _Verdict(Protocol):
    @property
    def odds(self) -> _PlayOdds | None: ...
    @property
    def display_name(self) -> str | None: ...
    @property
    def confidence(self) -> str | None: ...
    @property
    def conditions_met(self) -> Sequence[str]: ...
    @property
    def conditions_failed(self) -> Sequence[str]: ...
    @property
    def strikes_hint(self) -> Mapping[str, float]: ...


class _Setup(Protocol):
    @property
    def primary(self) -> _Verdict | None: ...
    @property
    def alternatives(self) -> Sequence[_Verdict]: ...
    @property
    def anti_setups(self) -> Sequence[_Verdict]: ...


class _Probability(Protocol):
    @property
    def value(self) -> float | None: ...
    @property
    def low(self) -> float | None: ...
    @property
    def high(self) -> float | None: ...


class _Probabilities(Protocol):
    @property
    def pin(self) -> _Probability | None: ...
    @property
    def range_1sigma(self) -> _Probability | None: ...
    @property
    def range_2sigma(self) -> _Probability | None: ...


class CardSnapshot(Protocol):
    """What :func:`snapshot_card` reads: :class:`~flowframe.Snapshot` has all of it."""

    @property
    def symbol(self) -> str | None:
        """The underlying."""

    @property
    def status(self) -> str:
        """``live``, ``session_closed`` or ``no_zero_dte``."""

    @property
    def message(self) -> str | None:
        """The body's message (outside a session)."""

    @property
    def next_session(self) -> str | None:
        """The last session (closed) or the next 0DTE expiry (none today)."""

    @property
    def as_of(self) -> pd.Timestamp | None:
        """When the snapshot was computed (UTC)."""

    @property
    def spot(self) -> float | None:
        """The underlying's price."""

    @property
    def regime(self) -> str | None:
        """The dealer gamma regime label."""

    @property
    def headline(self) -> _Headline | None:
        """Narrative, trade angle, severity."""

    @property
    def flow_direction(self) -> _Flow | None:
        """The flow-direction block."""

    @property
    def setup(self) -> _Setup | None:
        """The setup block."""

    @property
    def probabilities(self) -> _Probabilities | None:
        """The probabilities block."""

    @property
    def levels(self) -> Mapping[str, float | None]:
        """Gamma flip, walls, magnet, max pain."""


def _words(label: str) -> str:
    return label.replace("_", " ")


def snapshot_card(snap: CardSnapshot, *, compact: bool = False) -> str:
    """Return the HTML card of a snapshot.

    The card leads with the headline in its severity colour: a badge, the symbol, time (ET),
    spot and regime, the narrative, the trade angle, then the flow direction with its gauge
    (:func:`flow_line`). Outside a session it says there is none, and when the last or next
    one is.

    Parameters
    ----------
    snap : Snapshot
        The snapshot (anything with the attributes of :class:`CardSnapshot`).
    compact : bool, default False
        The live headline's form: the setup's name and the pin and 1-sigma odds on the trade
        angle's line. The full card (the notebook repr, the demo report) shows instead the
        setup with its conditions, strikes, alternatives and plays to avoid, the odds with
        their bands (1 and 2 sigma), and the dealer levels.

    Returns
    -------
    str
        A ``div.ff-snapshot`` (HTML, every text escaped).

    See Also
    --------
    flow_gauge : The gauge alone.
    """
    symbol = _e(snap.symbol or "?")
    status = _e(snap.status)
    if snap.status != "live":
        closed = snap.status == "session_closed"
        what = "market closed" if closed else "no 0DTE expiry today"
        when = ""
        if snap.next_session:
            label = "Last session" if closed else "Next 0DTE expiry"
            when = f" {label}: {_e(snap.next_session)}"
        return (
            f'<div class="ff-snapshot ff-snapshot-degraded" data-status="{status}" '
            f'style="font-family:sans-serif;border-left:6px solid {_DEGRADED};padding:4px 10px">'
            f"<b>{symbol}</b> &mdash; no 0DTE session: <span class='ff-narrative'>{what}</span>."
            f"{when}<div style='color:#666'>{_e(snap.message or '')}</div></div>"
        )
    h = snap.headline
    severity = (h.severity if h is not None else None) or ""
    colour = SEVERITY_COLORS.get(severity, _INK)
    stamp = snap.as_of.tz_convert(ET).strftime("%H:%M:%S ET") if snap.as_of is not None else ""
    spot = f" &middot; spot {snap.spot:,.2f}" if snap.spot is not None else ""
    regime = _e(_words(snap.regime or ""))
    narrative = _e((h.narrative if h is not None else None) or "no headline")
    angle = _e(_words((h.trade_angle if h is not None else None) or "n/a"))
    parts = [
        # the container's attributes in double quotes, the hooks inside in single ones: as
        # the notebook repr and the live headline wrote them, which pages and tests select on
        f'<div class="ff-snapshot" data-status="{status}" '
        f'style="font-family:sans-serif;border-left:6px solid {colour};padding:2px 10px">',
        f"<div style='color:{_INK}'>"
        f"<span class='ff-severity' data-severity='{_e(severity)}' style='background:{colour};"
        "color:white;border-radius:3px;padding:0 6px;font-weight:bold'>"
        f"{_e(severity.upper() or 'N/A')}</span> <b>{symbol}</b> 0DTE &middot; {stamp}{spot}"
        f" &middot; {regime}</div>",
        "<div class='ff-narrative' style='font-size:1.15em;font-weight:600;margin:3px 0;"
        f"color:{colour}'>{narrative}</div>",
        # no tag inside the angle's text: "trade angle: pin" reads (and searches) as one
        f"<div><span class='ff-angle'>trade angle: {angle}</span>",
    ]
    if compact:
        parts.extend(_inline_details(snap))
    parts.append("</div>")
    parts.append(flow_line(snap))
    if not compact:
        parts.extend(_detail_blocks(snap))
    parts.append("</div>")
    return "".join(parts)


def _odds(snap: CardSnapshot, *, bands: bool) -> list[str]:
    """Return ``pin 49%``-style items (1 and 2 sigma with their bands when ``bands``).

    The range bands are fixed at the open; when spot has left one, the item says so (a 0%
    there is about the open's band, not about the play on the card).
    """
    pr = snap.probabilities
    if pr is None:
        return []
    items = [("pin", pr.pin), ("1σ range", pr.range_1sigma)]
    if bands:
        items.append(("2σ range", pr.range_2sigma))
    out = []
    for name, item in items:
        if item is None or item.value is None:
            continue
        band = ""
        known = item.low is not None and item.high is not None
        if bands and known:
            where = "within" if name == "pin" else "set at the open"
            band = f" [{where} {item.low:,.2f} – {item.high:,.2f}]"
        left = (
            name != "pin"
            and known
            and snap.spot is not None
            and not (item.low <= snap.spot <= item.high)  # type: ignore[operator]
        )
        note = " <i>(spot has left this band)</i>" if left else ""
        out.append(f"{name} <b>{item.value:.0%}</b>{band}{note}")
    return out


def _verdict_words(p: _Verdict, symbol: str | None) -> str:
    """Return ``(high confidence; pays if SPX closes 5786.20–5813.80: 41%)``-style text."""
    words = f"{_e(p.confidence or 'n/a')} confidence"
    if p.odds is not None:
        who = _e(symbol or "spot")
        words += f"; pays if {who} closes {_e(p.odds.zone)}: <b>{p.odds.value:.0%}</b>"
    return f" ({words})"


def _inline_details(snap: CardSnapshot) -> list[str]:
    """Return the compact card's tail of the angle's line: the setup's name, the main odds."""
    parts = []
    s = snap.setup
    if s is not None and s.primary is not None:
        p = s.primary
        parts.append(
            f" &middot; setup: <b>{_e(p.display_name or '?')}</b>" + _verdict_words(p, snap.symbol)
        )
    parts.extend(f" &middot; {item}" for item in _odds(snap, bands=False))
    return parts


def _detail_blocks(snap: CardSnapshot) -> list[str]:
    """Return the full card's blocks: the setup and its conditions, odds, dealer levels."""
    parts = []
    s = snap.setup
    if s is not None and s.primary is not None:
        p = s.primary
        met = "".join(f"<li>&#10003; {_e(c)}</li>" for c in p.conditions_met)
        failed = "".join(
            f"<li style='color:#d62728'>&#10007; {_e(c)}</li>" for c in p.conditions_failed
        )
        hint = ", ".join(f"{_e(k)} {v:g}" for k, v in p.strikes_hint.items())
        alts = ", ".join(_e(a.display_name or "?") for a in s.alternatives)
        anti = ", ".join(_e(a.display_name or "?") for a in s.anti_setups)
        parts.append(
            f"<div class='ff-setup'>setup: <b>{_e(p.display_name or '?')}</b>"
            + _verdict_words(p, snap.symbol)
            + f"<ul style='margin:2px 0'>{met}{failed}</ul>"
            + (f"<div>strikes: {hint}</div>" if hint else "")
            + (f"<div>alternatives: {alts}</div>" if alts else "")
            + (f"<div>avoid: {anti}</div>" if anti else "")
            + "</div>"
        )
    if snap.probabilities is not None:
        odds = " &middot; ".join(_odds(snap, bands=True))
        rule = _ODDS_RULE if s is not None and s.primary is not None and s.primary.odds else ""
        parts.append(
            f"<div class='ff-odds'>odds at the close: {odds}"
            f"<div style='color:{_MUTED};font-size:0.9em'>{_ODDS_NOTE}{rule}</div></div>"
        )
    levels = [f"{_words(name)} {v:,.2f}" for name, v in snap.levels.items() if v is not None]
    if levels:
        joined = " &middot; ".join(levels)
        parts.append(f"<div class='ff-levels' style='color:#333'>levels: {joined}</div>")
    return parts


def flow_line(snap: CardSnapshot) -> str:
    """Return the flow-direction line of a snapshot, with its gauge (:func:`flow_gauge`).

    Parameters
    ----------
    snap : Snapshot
        The snapshot.

    Returns
    -------
    str
        A ``div.ff-flow`` whose ``data-label`` is the flow-direction label (empty when the
        snapshot has none).
    """
    f = snap.flow_direction
    if f is None:
        return "<div class='ff-flow' data-label=''>flow: n/a</div>"
    label = f.label or "n/a"
    colour = FLOW_COLORS.get(label, _INK)
    shift = f.flow_gex_pct_shift
    text = f"net GEX {shift:+.1%} vs settled" if shift is not None and math.isfinite(shift) else ""
    return (
        f"<div class='ff-flow' data-label='{_e(label)}' style='margin-top:2px'>"
        f"flow: <b style='color:{colour}'>{_e(_words(label))}</b> "
        f"{flow_gauge(shift, f.settled_net_gex)} "
        f"<span style='color:{_INK}'>{_e(text)}</span> "
        f"<span style='color:{_MUTED}'>{_e(f.description or '')}</span></div>"
    )


def flow_gauge(shift: float | None, settled: float | None) -> str:
    """Return the flow gauge as HTML: the change in ``|GEX|`` since the settle, bounded.

    Right (red) when today's flow grew dealers' gamma exposure (``amplifying``), left (green)
    when it shrank it (``dampening``), bounded at :data:`GAUGE_BOUND`, with the neutral band
    (:data:`NEUTRAL_BAND`) shaded.

    Parameters
    ----------
    shift : float or None
        ``flow_gex_pct_shift``: ``(live - settled) / |settled|`` as a fraction.
    settled : float or None
        ``settled_net_gex``, whose sign turns the shift into a change of size (a more
        negative GEX on a negative settle is amplification).

    Returns
    -------
    str
        A ``span.ff-gauge`` whose ``data-value`` is the signed change of size (positive =
        amplifying), empty when unknown.

    Examples
    --------
    >>> "data-value='0.194000'" in flow_gauge(-0.194, -29e6)
    True
    """
    box = (
        "display:inline-block;position:relative;width:200px;height:12px;"
        "background:#f2f2f2;border:1px solid #ccc;border-radius:3px;vertical-align:middle"
    )
    if shift is None or not math.isfinite(shift):
        return f"<span class='ff-gauge' data-value='' style='{box}'></span>"
    growth = shift * (-1.0 if settled is not None and settled < 0 else 1.0)
    frac = max(-1.0, min(1.0, growth / GAUGE_BOUND)) * 50.0  # percent of the width
    left, width = (50.0, frac) if frac >= 0 else (50.0 + frac, -frac)
    colour = FLOW_COLORS["amplifying"] if growth >= 0 else FLOW_COLORS["dampening"]
    band = NEUTRAL_BAND / GAUGE_BOUND * 50.0
    return (
        f"<span style='font-size:0.8em;color:{FLOW_COLORS['dampening']}'>dampening</span> "
        f"<span class='ff-gauge' data-value='{growth:.6f}' title='|GEX| {growth:+.1%}' "
        f"style='{box}'>"
        f"<span style='position:absolute;left:{50 - band:.2f}%;width:{2 * band:.2f}%;"
        "top:0;bottom:0;background:#dcdcdc'></span>"
        f"<span style='position:absolute;left:{left:.2f}%;width:{width:.2f}%;top:2px;"
        f"bottom:2px;background:{colour}'></span>"
        "<span style='position:absolute;left:50%;top:-2px;bottom:-2px;width:1px;"
        "background:#333'></span></span>"
        f" <span style='font-size:0.8em;color:{FLOW_COLORS['amplifying']}'>amplifying</span>"
    )
