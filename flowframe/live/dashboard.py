"""``ff.live.Dashboard``: a live 0DTE dealer-flow panel for Jupyter, and the panels it is made of.

The dashboard is an :class:`ipywidgets.VBox` that owns one :class:`~flowframe.live.poller.Poller`
and renders its :class:`~flowframe.live.contract.LiveData`::

    controls      symbol, bar size, refresh interval, pause/resume, refresh now
    headline      narrative, severity, trade angle, flow direction and its gauge
    hedge-flow    per-bar flow (green buy / red sell), cumulative, calls/puts legs, spot
    series        spot, gamma flip, call/put walls, magnet, on the gamma regime
    heatmap       strike x time of the chosen metric (raw or per-bar delta), spot path
    leaderboard   the ranked universe; choosing a symbol points the dashboard at it
    alert log     newest first
    status line   source, session clock, last/next poll, quota, last error, tick counter

Every panel is a class of its own (:class:`HeadlinePanel`, :class:`HedgePanel`,
:class:`SeriesPanel`, :class:`HeatmapPanel`, :class:`LeaderboardPanel`, :class:`StatusLine`,
:class:`AlertLog`) that can be displayed alone and updated with ``panel.update(...)``.

Rendering
---------
Each chart is one :class:`matplotlib.figure.Figure`, created when its panel is built and never
again: every update changes its artists in place (``Line2D.set_data``,
``PolyCollection.set_verts`` for bars and regime spans, ``AxesImage.set_data`` and
``set_extent`` for the heatmap, axis limits, titles). With ``render="png"`` the figure is drawn
by Agg into an :class:`ipywidgets.Image` (``Image.value`` holds PNG bytes); with
``render="ipympl"`` it lives on an ipympl canvas widget and is redrawn with
``canvas.draw_idle()``. A panel redraws only when what it plots changed (it compares a
fingerprint of its arrays), so polling faster than the bars move costs no
rendering. Text panels are plain ``HTML.value`` assignments. Nothing here ever uses an
``Output`` widget's context manager, so updates from the poller's asyncio task (or a thread)
reach the browser.

Stable CSS classes (``add_class``) for tests and styling: ``ff-dashboard``, ``ff-panel``,
``ff-controls``, ``ff-headline``, ``ff-hedge``, ``ff-series``, ``ff-heatmap``,
``ff-leaderboard``, ``ff-status``, ``ff-alerts``; chart widgets carry ``ff-image`` (PNG) or
``ff-canvas`` (ipympl); the status line holds ``<span class='ff-tick' data-tick='N'>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import html
import importlib
import io
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, Literal

import ipywidgets
import matplotlib
import matplotlib.dates
import matplotlib.patheffects as path_effects
import numpy as np
import pandas as pd
import PIL.Image
import xarray as xr
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colorbar import Colorbar
from matplotlib.colors import Normalize, to_rgba_array
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import ScalarFormatter

from flowframe import _params
from flowframe._constants import BARS, ET, METRIC_UNITS, METRICS
from flowframe.analysis import heatmap_to_delta
from flowframe.frames.snapshot import SEVERITY_COLOURS, Snapshot
from flowframe.live.contract import Alert, LiveData, PollStatus
from flowframe.live.poller import Poller
from flowframe.plotting import (
    BUY_COLOR,
    CALLS_COLOR,
    CUMULATIVE_COLOR,
    NAN_COLOR,
    PRICE_COLOR,
    PUTS_COLOR,
    REGIME_ALPHA,
    REGIME_COLORS,
    SELL_COLOR,
    bar_spacing,
    color_norm,
    date_nums,
    is_signed,
    money_formatter,
    plain_axis,
    time_axis,
)
from flowframe.sources.base import Source
from flowframe.sources.default import connect

# ipywidgets ships no type hints: reach it through Any, so that mypy --strict accepts calls
W: Any = ipywidgets

__all__ = [
    "AlertLog",
    "Dashboard",
    "HeadlinePanel",
    "HeatmapPanel",
    "HedgePanel",
    "LeaderboardPanel",
    "SeriesPanel",
    "StatusLine",
]

Render = Literal["auto", "png", "ipympl"]

RENDERS: Final = ("auto", "png", "ipympl")
IPYMPL_BACKENDS: Final = ("module://ipympl.backend_nbagg", "widget", "ipympl")
MODES: Final = ("raw", "delta")
INTERVAL_CHOICES: Final = ("auto", "2", "5", "10", "15", "30", "60")

DPI: Final = 80
CHART_SIZE: Final = (10.5, 3.3)  # inches; 840 x 264 px at DPI
HEATMAP_SIZE: Final = (10.5, 3.9)
GAUGE_BOUND: Final = 0.5  # the gauge shows |GEX| changes of up to +-50%
NEUTRAL_BAND: Final = 0.05  # flow_direction's neutral band (reference/MODEL.md)
AROUND_SPOT: Final = 0.03  # heatmap strikes kept around the session's spot range
STRIKE_MARGIN: Final = 3  # and strikes kept beyond the outermost ones with a value
ACTIVE_SHARE: Final = 0.01  # a strike "has a value" above 1% of the largest |value|
ALERT_LINES: Final = 50
STICKY_FILL: Final = 0.5  # live axes rescale once the data fills less than half of them
STICKY_HEADROOM: Final = 0.12  # and leave this share of the span free on each side
FLOW_COLOURS: Final = {
    "amplifying": "#d62728",
    "regime_flip": "#9467bd",
    "dampening": "#2ca02c",
    "neutral": "#7f7f7f",
    "no_flow": "#7f7f7f",
}

_NO_POLYGONS: Final[Any] = np.empty((0, 4, 2))
_SIGN_RGBA: Final[Any] = to_rgba_array([NAN_COLOR, BUY_COLOR, SELL_COLOR])
_REGIME_RGBA: Final[Any] = to_rgba_array(
    ["none", REGIME_COLORS["positive_gamma"], REGIME_COLORS["negative_gamma"]]
)
_PNG_OPTIONS: Final = {"compress_level": 1}  # as small as the default here, and faster
_MARGINS: Final = {"left": 0.085, "right": 0.845, "top": 0.9, "bottom": 0.22}
_NICE_STEPS: Final = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
_MAX_REFINE: Final = 4  # a regular heatmap grid has at most 4x the cells of the data
_UNIX_EPOCH: Final = "1970-01-01T00:00:00"
_NS_PER_DAY: Final = 86_400e9
_e = html.escape
# matplotlib.dates ships no type hints: reach it through Any
_mdates: Any = matplotlib.dates


# --------------------------------------------------------------------------- helpers


def resolve_render(render: str) -> Literal["png", "ipympl"]:
    """Return the rendering path for ``render``: ``"auto"`` follows the matplotlib backend.

    Parameters
    ----------
    render : {"auto", "png", "ipympl"}
        ``"auto"`` means ``"ipympl"`` when the current backend is ipympl's
        (``%matplotlib widget``), else ``"png"``.

    Returns
    -------
    {"png", "ipympl"}
        The path to use.

    Raises
    ------
    ValueError
        ``render`` is not one of the three.
    """
    choice = _params.validate_choice(render, RENDERS, "render")
    if choice == "auto":
        backend = matplotlib.get_backend(auto_select=False)
        return "ipympl" if backend is not None and backend.lower() in IPYMPL_BACKENDS else "png"
    return "ipympl" if choice == "ipympl" else "png"


def _floats(frame: pd.DataFrame, *columns: str, numeric: bool = False) -> list[np.ndarray]:
    """Return columns as float64 arrays (all NaN where absent), in one pass over the frame.

    ``numeric=True`` says every column of the frame is a number (the hedge-flow schema): the
    whole frame is then read at once, with no selection at all.
    """
    # one read, not one frame[column] each: pandas deep-copies attrs on every selection
    if numeric:
        try:
            table = frame.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            pass  # not all numbers after all
        else:
            where = frame.columns.get_indexer(pd.Index(columns))
            return [table[:, i].copy() if i >= 0 else np.full(len(frame), np.nan) for i in where]
    table = frame.reindex(columns=list(columns)).to_numpy(dtype=np.float64, na_value=np.nan)
    return [np.ascontiguousarray(table[:, i]) for i in range(len(columns))]


def _days(index: pd.Index) -> np.ndarray:
    """Return matplotlib date numbers of a time index (as ``flowframe.plotting`` plots them)."""
    if (
        isinstance(index, pd.DatetimeIndex)
        and _mdates.get_epoch() == _UNIX_EPOCH
        and not index.hasnans
    ):
        # days since 1970 in UTC (naive times are UTC), straight from the integers: what
        # date2num computes, without its conversions
        return np.asarray(index.as_unit("ns").asi8, dtype=np.float64) / _NS_PER_DAY
    return date_nums(index)


def _limits(
    *arrays: np.ndarray, include_zero: bool = False, pad: float = 0.06
) -> tuple[float, float]:
    """Return padded (low, high) over the finite values of arrays (``(-1, 1)`` for none)."""
    finite = [a[np.isfinite(a)] for a in arrays]
    values = np.concatenate(finite) if finite else np.empty(0)
    if include_zero:
        values = np.append(values, 0.0)
    if not values.size:
        return -1.0, 1.0
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo
    if not span > 0:
        span = abs(hi) * 0.01 or 1.0
    return lo - pad * span, hi + pad * span


def _sticky(
    current: tuple[float, float], wanted: tuple[float, float], *, headroom: float = STICKY_HEADROOM
) -> tuple[float, float]:
    """Return axis limits that hold ``wanted`` and change rarely.

    The current limits are kept while ``wanted`` fits inside them and fills at least
    :data:`STICKY_FILL` of them; otherwise the new limits are ``wanted`` widened by
    ``headroom`` of its span on each side. A live chart then keeps its axes (and the
    background the PNG path blits onto) for many ticks, instead of rescaling on every bar.
    """
    low, high = wanted
    span = high - low
    c_low, c_high = current
    if c_low <= low and high <= c_high and span >= STICKY_FILL * (c_high - c_low):
        return current
    return low - headroom * span, high + headroom * span


def _session_span(x: np.ndarray, spacing: float) -> tuple[float, float]:
    """Return the x limits of the regular session (09:30-16:00 ET) of the first bar's day.

    ``x`` holds date numbers (days since 1970, UTC). The span is widened to hold every bar
    (with half a bar's margin), so bars outside regular hours are never cut off.
    """
    first = pd.Timestamp(round(float(x[0]) * _NS_PER_DAY), tz="UTC").tz_convert(ET)
    day = first.normalize()
    opened = (day + pd.Timedelta(hours=9, minutes=30)).value / _NS_PER_DAY
    closed = (day + pd.Timedelta(hours=16)).value / _NS_PER_DAY
    return min(opened, float(x[0]) - spacing / 2.0), max(closed, float(x[-1]) + spacing / 2.0)


def _nice_ceil(value: float) -> float:
    """Round a positive ``value`` up to 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 x 10**k."""
    if not value > 0 or not math.isfinite(value):
        return value
    exponent = math.floor(math.log10(value))
    scale = 10.0**exponent
    for step in _NICE_STEPS:
        if step * scale >= value * (1 - 1e-12):
            return step * scale
    return 10.0 * scale


def _nice_norm(norm: Normalize, *, signed: bool) -> tuple[float, float]:
    """Return a colour range holding ``norm``'s, on :func:`_nice_ceil` steps.

    The colour scale of a live heatmap then changes only when the data crosses a step,
    not on every bar. A signed scale stays symmetric about zero.
    """
    low, high = float(norm.vmin or 0.0), float(norm.vmax or 0.0)  # color_norm sets both
    if signed:
        top = _nice_ceil(max(abs(low), abs(high)))
        return -top, top
    span = _nice_ceil(high - low) if high > low else 1.0
    step = span / 4.0
    low = math.floor(low / step) * step
    high = max(low + span, math.ceil(high / step) * step)
    return low, high


def _fingerprint(*parts: Any) -> int:
    """Return a hash of strings, numbers and numpy arrays (by content)."""
    return hash(tuple(p.tobytes() if isinstance(p, np.ndarray) else p for p in parts))


def _et(when: pd.Timestamp | dt.datetime | None, fmt: str = "%H:%M:%S") -> str:
    """Write a time as ET (naive datetimes are read as local wall-clock time)."""
    if when is None:
        return "&ndash;"
    stamp = pd.Timestamp(when)
    if stamp.tz is None:
        stamp = stamp.tz_localize(dt.datetime.now().astimezone().tzinfo)
    return stamp.tz_convert(ET).strftime(fmt)


def _regular(centres: np.ndarray, step: float, *, gap: bool) -> tuple[np.ndarray, np.ndarray]:
    """Put ascending centres on a regular grid of ``step``.

    Returns the grid's centres and, for each, the index of the nearest given centre; with
    ``gap``, -1 where none lies within half a step (a missing bar). A grid that would be much
    finer than the centres (uneven spacing) falls back to the centres as they are.
    """
    count = round((centres[-1] - centres[0]) / step) + 1 if centres.size > 1 else 1
    if count > _MAX_REFINE * centres.size + 8:
        return centres, np.arange(centres.size)
    grid = centres[0] + step * np.arange(count)
    nearest = np.searchsorted((centres[:-1] + centres[1:]) / 2.0, grid)
    if gap:
        nearest[np.abs(centres[nearest] - grid) > step / 2.0] = -1
    return grid, nearest


def _coordinate(array: xr.DataArray, name: str) -> pd.Index:
    """Return a dimension's coordinate as an index (the one xarray keeps, when it has one)."""
    index: pd.Index = (
        array.indexes[name]
        if name in array.indexes
        else pd.Index(np.asarray(array.coords.variables[name].values))
    )
    return index


def _symbol_of(data: LiveData) -> str | None:
    for frame in (data.series, data.hedge):
        if frame is not None and frame.attrs.get("symbol"):
            return str(frame.attrs["symbol"])
    if data.heatmap is not None and data.heatmap.attrs.get("symbol"):
        return str(data.heatmap.attrs["symbol"])
    if data.snapshot is not None:
        return data.snapshot.symbol
    return None


class _Chart:
    """One persistent figure and the widget that shows it (an Image or an ipympl canvas).

    On the PNG path a frame is blitted: the figure without its data artists (axes, ticks,
    labels, legends; the costly text) is rendered once and kept as a background, and each
    frame restores it and draws only the ``animated`` artists on top. The background is
    rendered again whenever :meth:`static_key` changes (an axis limit, a title, a visible
    axes, the colour scale), so a frame always shows what a full render would.
    """

    def __init__(self, figsize: tuple[float, float], render: Literal["png", "ipympl"]):
        self.render = render
        self.figure = Figure(figsize=figsize, dpi=DPI)
        self.widget: Any
        if render == "ipympl":
            self.widget = _ipympl_canvas(self.figure)
            self.widget.add_class("ff-canvas")
        else:
            FigureCanvasAgg(self.figure)
            self.widget = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
            self.widget.add_class("ff-image")
        self.draws = 0
        self.full_draws = 0  # backgrounds rendered (PNG path); draws - full_draws were blits
        self.animated: list[Artist] = []  # the data artists, drawn in this order
        self.extra_key: Callable[[], tuple[Any, ...]] = tuple
        self._background: Any = None
        self._background_key: tuple[Any, ...] | None = None
        self.message: Text = self.figure.text(
            0.5, 0.5, "waiting for data", ha="center", va="center", color="#777", fontsize=13
        )

    def static_key(self) -> tuple[Any, ...]:
        """Return what the background shows besides the data artists (limits, texts...)."""
        parts: list[Any] = [self.message.get_visible(), self.message.get_text()]
        for ax in self.figure.axes:
            parts.append(ax.get_visible())
            parts.extend(ax.viewLim.bounds)
            parts.append(ax.get_title(loc="left"))
        parts.extend(self.extra_key())
        return tuple(parts)

    def draw(self) -> None:
        """Push the figure to its widget: PNG bytes, or a draw request to the canvas."""
        if self.render == "ipympl":
            self.figure.canvas.draw_idle()
        else:
            self.widget.value = self._blit()
        self.draws += 1

    def _blit(self) -> bytes:
        canvas: Any = self.figure.canvas  # FigureCanvasAgg (its blit methods are untyped)
        key = self.static_key()
        if self._background is None or key != self._background_key:
            for artist in self.animated:
                artist.set_animated(True)  # left out of the full render
            try:
                canvas.draw()
            finally:
                for artist in self.animated:
                    artist.set_animated(False)
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self._background_key = self.static_key()
            self.full_draws += 1
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for artist in self.animated:
            if artist.get_visible() and (artist.axes is None or artist.axes.get_visible()):
                artist.draw(renderer)
        width, height = canvas.get_width_height(physical=True)
        image = PIL.Image.frombuffer(
            "RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
        buffer = io.BytesIO()
        image.save(buffer, format="png", **_PNG_OPTIONS)
        return buffer.getvalue()

    def png(self) -> bytes:
        """Return the figure as PNG bytes, from a full render (whatever the rendering path)."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs=_PNG_OPTIONS)
        return buffer.getvalue()

    def waiting(self, text: str | None) -> None:
        """Show ``text`` instead of the axes (``None`` shows the axes)."""
        self.message.set_text(text or "")
        self.message.set_visible(text is not None)
        for ax in self.figure.axes:
            ax.set_visible(text is None)


def _ipympl_canvas(figure: Figure) -> Any:
    """Put ``figure`` on an ipympl canvas widget, without registering it with pyplot."""
    # imported here (ipympl is optional) and through Any (it ships no type hints); importing
    # it makes ipympl matplotlib's global backend, so put back whatever the user had
    previous = matplotlib.get_backend()
    nbagg: Any = importlib.import_module("ipympl.backend_nbagg")
    if matplotlib.get_backend() != previous:
        matplotlib.use(previous)
    canvas = nbagg.Canvas(figure)
    with warnings.catch_warnings():
        # ipympl 0.10's Toolbar hands traitlets an argument it does not know (harmless)
        warnings.filterwarnings(
            "ignore", "Passing unrecognized arguments to super", DeprecationWarning
        )
        nbagg.FigureManager(canvas, 0)  # answers the front end's messages (resize, draw)
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.resizable = False
    return canvas


# --------------------------------------------------------------------------- panels


class _Panel(W.VBox):  # type: ignore[misc]
    """A VBox with the panel CSS classes and the LiveData it shows."""

    css = "ff-panel"

    def __init__(self, data: LiveData | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data = data if data is not None else LiveData()
        self.add_class("ff-panel")
        self.add_class(self.css)


class HeadlinePanel(_Panel):
    """The snapshot's headline: narrative, severity colour, trade angle, flow direction, gauge.

    The gauge shows how much today's flow has changed the size of dealers' gamma exposure:
    right (red) when it grew (``amplifying``), left (green) when it shrank (``dampening``),
    bounded at +-50%, with the 5% neutral band shaded.

    Parameters
    ----------
    data : LiveData, optional
        What to show (its ``snapshot``); an empty one when omitted.

    Attributes
    ----------
    html : ipywidgets.HTML
        The card (``.ff-narrative``, ``.ff-severity[data-severity]``, ``.ff-angle``,
        ``.ff-flow[data-label]``, ``.ff-gauge[data-value]``).
    """

    css = "ff-headline"

    def __init__(self, data: LiveData | None = None, **kwargs: Any):
        super().__init__(data, **kwargs)
        self.html = W.HTML(value=self._waiting(None))
        self.children = (self.html,)

    def update(self, data: LiveData | None = None) -> None:
        """Show ``data`` (or the LiveData held) now."""
        if data is not None:
            self.data = data
        snap = self.data.snapshot
        value = self._waiting(_symbol_of(self.data)) if snap is None else self.card(snap)
        with self.html.hold_sync():
            self.html.value = value

    @staticmethod
    def _waiting(symbol: str | None) -> str:
        what = f" for {_e(symbol)}" if symbol else ""
        return f"<div class='ff-narrative' style='color:#777'>waiting for a snapshot{what}</div>"

    @staticmethod
    def card(snap: Snapshot) -> str:
        """Return the headline card of a snapshot as HTML."""
        symbol = _e(snap.symbol or "?")
        if snap.status != "live":
            what = "market closed" if snap.status == "session_closed" else "no 0DTE expiry today"
            return (
                f"<div class='ff-narrative' data-status='{_e(snap.status)}' "
                "style='padding:4px 10px;border-left:6px solid #999'>"
                f"<b>{symbol}</b>: {what}. {_e(snap.message or '')}</div>"
            )
        h = snap.headline
        severity = (h.severity if h is not None else None) or ""
        colour = SEVERITY_COLOURS.get(severity, "#444444")
        stamp = f"{_et(snap.as_of, '%H:%M:%S')} ET" if snap.as_of is not None else ""
        spot = f" &middot; spot {snap.spot:,.2f}" if snap.spot is not None else ""
        regime = _e((snap.regime or "").replace("_", " "))
        narrative = _e((h.narrative if h is not None else None) or "no headline")
        angle = _e(((h.trade_angle if h is not None else None) or "n/a").replace("_", " "))
        rows = [
            f"<div style='border-left:6px solid {colour};padding:2px 10px;font-family:sans-serif'>",
            "<div style='color:#444'>"
            f"<span class='ff-severity' data-severity='{_e(severity)}' style='background:{colour};"
            "color:white;border-radius:3px;padding:0 6px;font-weight:bold'>"
            f"{_e(severity.upper() or 'N/A')}</span> <b>{symbol}</b> 0DTE &middot; {stamp}{spot}"
            f" &middot; {regime}</div>",
            f"<div class='ff-narrative' style='font-size:1.15em;font-weight:600;margin:3px 0;"
            f"color:{colour}'>{narrative}</div>",
            f"<div>trade angle: <b class='ff-angle'>{angle}</b>",
        ]
        s = snap.setup
        if s is not None and s.primary is not None:
            p = s.primary
            rows.append(
                f" &middot; setup: <b>{_e(p.display_name or '?')}</b>"
                f" ({_e(p.confidence or 'n/a')} confidence)"
            )
        pr = snap.probabilities
        if pr is not None:
            for name, item in (("pin", pr.pin), ("1&sigma; range", pr.range_1sigma)):
                if item is not None and item.value is not None:
                    rows.append(f" &middot; {name} <b>{item.value:.0%}</b>")
        rows.append("</div>")
        rows.append(HeadlinePanel.flow_line(snap))
        rows.append("</div>")
        return "".join(rows)

    @staticmethod
    def flow_line(snap: Snapshot) -> str:
        """Return the flow-direction line with its amplifying/dampening gauge."""
        f = snap.flow_direction
        if f is None:
            return "<div class='ff-flow' data-label=''>flow: n/a</div>"
        label = f.label or "n/a"
        colour = FLOW_COLOURS.get(label, "#444444")
        shift = f.flow_gex_pct_shift
        text = (
            f"net GEX {shift:+.1%} vs settled" if shift is not None and math.isfinite(shift) else ""
        )
        return (
            f"<div class='ff-flow' data-label='{_e(label)}' style='margin-top:2px'>"
            f"flow: <b style='color:{colour}'>{_e(label.replace('_', ' '))}</b> "
            f"{HeadlinePanel.gauge(f.flow_gex_pct_shift, f.settled_net_gex)} "
            f"<span style='color:#444'>{_e(text)}</span> "
            f"<span style='color:#777'>{_e(f.description or '')}</span></div>"
        )

    @staticmethod
    def gauge(shift: float | None, settled: float | None) -> str:
        """Return the gauge as HTML: the change in ``|GEX|`` since the settle, bounded.

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
            A ``div.ff-gauge`` whose ``data-value`` is the signed change of size (positive =
            amplifying), or ``"n/a"`` when unknown.
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
        colour = FLOW_COLOURS["amplifying"] if growth >= 0 else FLOW_COLOURS["dampening"]
        band = NEUTRAL_BAND / GAUGE_BOUND * 50.0
        return (
            "<span style='font-size:0.8em;color:#2ca02c'>dampening</span> "
            f"<span class='ff-gauge' data-value='{growth:.6f}' title='|GEX| {growth:+.1%}' "
            f"style='{box}'>"
            f"<span style='position:absolute;left:{50 - band:.2f}%;width:{2 * band:.2f}%;"
            "top:0;bottom:0;background:#dcdcdc'></span>"
            f"<span style='position:absolute;left:{left:.2f}%;width:{width:.2f}%;top:2px;"
            f"bottom:2px;background:{colour}'></span>"
            "<span style='position:absolute;left:50%;top:-2px;bottom:-2px;width:1px;"
            "background:#333'></span></span>"
            " <span style='font-size:0.8em;color:#d62728'>amplifying</span>"
        )


class _ChartPanel(_Panel):
    """A panel around one persistent figure, redrawn only when its arrays change."""

    def __init__(
        self,
        data: LiveData | None,
        render: str,
        figsize: tuple[float, float],
        **kwargs: Any,
    ):
        super().__init__(data, **kwargs)
        self.chart = _Chart(figsize, resolve_render(render))
        self.figure = self.chart.figure
        self._key: int | None = None
        self.unavailable: str | None = None  # shown instead of "waiting" (a 403, say)
        self.children: tuple[Any, ...] = (self.chart.widget,)

    @property
    def widget(self) -> Any:
        """The widget showing the figure (``ipywidgets.Image`` or an ipympl canvas)."""
        return self.chart.widget

    @property
    def draws(self) -> int:
        """How many times the figure was pushed to its widget."""
        return self.chart.draws

    def update(self, data: LiveData | None = None, *, force: bool = False) -> bool:
        """Show ``data`` (or the LiveData held); redraw only if what is plotted changed.

        Parameters
        ----------
        data : LiveData, optional
            New data; the LiveData held (which the poller updates) when omitted.
        force : bool, default False
            Redraw even if nothing changed.

        Returns
        -------
        bool
            Whether the figure was redrawn.
        """
        if data is not None:
            self.data = data
        prepared = self._prepare(self.data)
        if isinstance(prepared, str) and self.unavailable:
            prepared = self.unavailable
        key = _fingerprint(*prepared) if isinstance(prepared, tuple) else _fingerprint(prepared)
        if key == self._key and not force:
            return False
        with self.chart.widget.hold_sync():
            if isinstance(prepared, tuple):
                self.chart.waiting(None)
                self._apply(prepared)
            else:
                self.chart.waiting(prepared)
            self.chart.draw()
        self._key = key
        return True

    def png(self) -> bytes:
        """Return the figure as PNG bytes."""
        return self.chart.png()

    def _prepare(self, data: LiveData) -> tuple[Any, ...] | str:  # pragma: no cover
        raise NotImplementedError

    def _apply(self, prepared: tuple[Any, ...]) -> None:  # pragma: no cover
        raise NotImplementedError


def _legend_below(ax: Axes, handles: Sequence[Any]) -> None:
    ax.legend(
        handles=list(handles),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncols=len(handles),
        fontsize="small",
        frameon=False,
        handlelength=1.6,
        columnspacing=1.2,
    )


class HedgePanel(_ChartPanel):
    """Dealer hedge-flow: per-bar bars by sign, cumulative, calls/puts cumulatives, spot.

    Per-bar flow is drawn as bars on the left axis (green where dealers buy, red where they
    sell, grey and flat where unknown); the cumulative (solid) and the calls and puts
    cumulatives (dashed) share the right axis; spot is overlaid on a third axis further right.

    Parameters
    ----------
    data : LiveData, optional
        What to show (``hedge``; ``series["spot"]`` for the overlay).
    render : {"auto", "png", "ipympl"}, default "auto"
        How the figure reaches the browser (see :func:`resolve_render`).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The one figure of this panel.
    widget : ipywidgets.Image or ipympl Canvas
        The widget showing it (class ``ff-image`` or ``ff-canvas``).
    """

    css = "ff-hedge"

    def __init__(self, data: LiveData | None = None, *, render: str = "auto", **kwargs: Any):
        super().__init__(data, render, CHART_SIZE, **kwargs)
        fig = self.figure
        fig.subplots_adjust(**_MARGINS)
        ax = fig.add_subplot()
        self.ax = ax
        self.bars = PolyCollection(_NO_POLYGONS, linewidths=0, zorder=2, antialiaseds=False)
        ax.add_collection(self.bars)
        ax.axhline(0.0, color="#555555", linewidth=0.8, zorder=1)
        ax.set_ylabel("per-bar flow (delta $)")
        ax.yaxis.set_major_formatter(money_formatter(2))
        time_axis(ax)
        ax.set_xlabel("")
        ax.grid(True, axis="y", alpha=0.25)
        twin = ax.twinx()
        self.twin = twin
        (self.cumulative,) = twin.plot([], [], color=CUMULATIVE_COLOR, lw=2.0, label="cumulative")
        (self.calls,) = twin.plot([], [], color=CALLS_COLOR, lw=1.4, ls="--", label="calls cum.")
        (self.puts,) = twin.plot([], [], color=PUTS_COLOR, lw=1.4, ls="--", label="puts cum.")
        twin.set_ylabel("cumulative (delta $)")
        twin.yaxis.set_major_formatter(money_formatter(2))
        price = ax.twinx()
        self.price_ax = price
        price.spines["right"].set_position(("outward", 62.0))
        price.spines["right"].set_color(PRICE_COLOR)
        price.tick_params(axis="y", colors=PRICE_COLOR, labelsize="small")
        plain_axis(price)
        (self.spot,) = price.plot([], [], color=PRICE_COLOR, lw=1.1, alpha=0.85, label="spot")
        _legend_below(
            price,
            [
                Patch(facecolor=BUY_COLOR, label="dealers buy"),
                Patch(facecolor=SELL_COLOR, label="dealers sell"),
                self.cumulative,
                self.calls,
                self.puts,
                self.spot,
            ],
        )
        self.title = ax.set_title("dealer hedge-flow", loc="left", fontsize="medium")
        self.chart.animated = [self.bars, self.cumulative, self.calls, self.puts, self.spot]
        self.update()

    def _prepare(self, data: LiveData) -> tuple[Any, ...] | str:
        frame = data.hedge
        if frame is None or frame.empty or "bar" not in frame.columns:
            symbol = _symbol_of(data)
            return f"waiting for hedge-flow{' of ' + symbol if symbol else ''}"
        x = _days(frame.index)
        spacing = bar_spacing(x, frame.attrs.get("bar_size"))
        px = py = np.empty(0)
        series = data.series
        if series is not None and not series.empty and "spot" in series.columns:
            px = _days(series.index)
            shown = (px >= x[0] - spacing) & (px <= x[-1] + spacing)
            px, py = px[shown], _floats(series, "spot")[0][shown]
        symbol = frame.attrs.get("symbol") or _symbol_of(data) or ""
        size = frame.attrs.get("bar_size")
        title = f"{symbol} dealer hedge-flow" + (f" ({size} bars, ET)" if size else " (ET)")
        return (
            title.strip(),
            float(spacing),
            x,
            *_floats(
                frame, "bar", "cumulative", "calls_cumulative", "puts_cumulative", numeric=True
            ),
            px,
            py,
        )

    def _apply(self, prepared: tuple[Any, ...]) -> None:
        title, spacing, x, bar, cumulative, calls, puts, px, py = prepared
        half = spacing * 0.4
        height = np.nan_to_num(bar, nan=0.0)
        verts: Any = np.empty((len(x), 4, 2))
        verts[:, 0, 0] = verts[:, 1, 0] = x - half
        verts[:, 2, 0] = verts[:, 3, 0] = x + half
        verts[:, 0, 1] = verts[:, 3, 1] = 0.0
        verts[:, 1, 1] = verts[:, 2, 1] = height
        self.bars.set_verts(verts)
        sign = np.where(np.isnan(bar), 0, np.where(height >= 0, 1, 2))
        self.bars.set_facecolor(_SIGN_RGBA[sign])
        self.ax.set_ylim(*_sticky(self.ax.get_ylim(), _limits(bar, include_zero=True)))
        self.ax.set_xlim(*_session_span(x, spacing))  # as the other panels
        self.cumulative.set_data(x, cumulative)
        legs = bool(np.isfinite(calls).any() or np.isfinite(puts).any())
        self.calls.set_data(x, calls)
        self.puts.set_data(x, puts)
        self.calls.set_visible(legs)
        self.puts.set_visible(legs)
        wanted = _limits(cumulative, *((calls, puts) if legs else ()))
        self.twin.set_ylim(*_sticky(self.twin.get_ylim(), wanted))
        self.spot.set_data(px, py)
        self.price_ax.set_visible(bool(np.isfinite(py).any()))
        self.price_ax.set_ylim(*_sticky(self.price_ax.get_ylim(), _limits(py, pad=0.04)))
        self.title.set_text(title)


class SeriesPanel(_ChartPanel):
    """Spot with the dealer levels (gamma flip, call and put walls, magnet) on the regime.

    Parameters
    ----------
    data : LiveData, optional
        What to show (``series``).
    render : {"auto", "png", "ipympl"}, default "auto"
        How the figure reaches the browser.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The one figure of this panel.
    lines : dict of str to matplotlib.lines.Line2D
        ``spot``, ``gamma_flip``, ``call_wall``, ``put_wall``, ``magnet``.
    """

    css = "ff-series"

    def __init__(self, data: LiveData | None = None, *, render: str = "auto", **kwargs: Any):
        super().__init__(data, render, CHART_SIZE, **kwargs)
        fig = self.figure
        fig.subplots_adjust(**_MARGINS)
        ax = fig.add_subplot()
        self.ax = ax
        self.regimes = PolyCollection(
            _NO_POLYGONS,
            linewidths=0,
            alpha=REGIME_ALPHA,
            zorder=1.6,  # over the grid (1.5), the same in a full render and a blitted frame
            transform=ax.get_xaxis_transform(),
        )
        ax.add_collection(self.regimes, autolim=False)
        style: dict[str, dict[str, Any]] = {
            "spot": {"color": "black", "lw": 1.6, "zorder": 4},
            "gamma_flip": {"color": "#7f7f7f", "ls": "--", "lw": 1.3},
            "call_wall": {"color": "#1f77b4", "drawstyle": "steps-post", "lw": 1.4},
            "put_wall": {"color": "#ff7f0e", "drawstyle": "steps-post", "lw": 1.4},
            "magnet": {"color": "#9467bd", "ls": ":", "lw": 1.8},
        }
        self.lines: dict[str, Line2D] = {}
        for name, kw in style.items():
            (self.lines[name],) = ax.plot([], [], label=name.replace("_", " "), **kw)
        time_axis(ax)
        ax.set_xlabel("")
        plain_axis(ax)
        ax.set_ylabel("price")
        ax.grid(True, axis="y", alpha=0.3)
        _legend_below(
            ax,
            [
                *self.lines.values(),
                Patch(facecolor=REGIME_COLORS["positive_gamma"], alpha=0.3, label="+gamma"),
                Patch(facecolor=REGIME_COLORS["negative_gamma"], alpha=0.3, label="-gamma"),
            ],
        )
        self.title = ax.set_title("spot and dealer levels", loc="left", fontsize="medium")
        self.chart.animated = [self.regimes, *self.lines.values()]
        self.update()

    def _prepare(self, data: LiveData) -> tuple[Any, ...] | str:
        frame = data.series
        if frame is None or frame.empty or "spot" not in frame.columns:
            symbol = _symbol_of(data)
            return f"waiting for the series{' of ' + symbol if symbol else ''}"
        x = _days(frame.index)
        spacing = bar_spacing(x, frame.attrs.get("bar_size"))
        codes = np.zeros(len(frame), dtype=np.int8)
        if "regime" in frame.columns:
            regime = frame["regime"].to_numpy(dtype=object)
            codes[regime == "positive_gamma"] = 1
            codes[regime == "negative_gamma"] = 2
        symbol = frame.attrs.get("symbol") or ""
        size = frame.attrs.get("bar_size")
        title = f"{symbol} spot, dealer levels and gamma regime" + (
            f" ({size} bars, ET)" if size else " (ET)"
        )
        columns = _floats(frame, *self.lines)
        return (title.strip(), float(spacing), x, codes, *columns)

    def _apply(self, prepared: tuple[Any, ...]) -> None:
        title, spacing, x, codes, *columns = prepared
        for line, values in zip(self.lines.values(), columns, strict=True):
            line.set_data(x, values)
        # regime runs as spans (x in data, y over the whole axes)
        change = np.flatnonzero(np.diff(codes)) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [len(codes)]]) - 1
        keep = codes[starts] > 0
        starts, ends = starts[keep], ends[keep]
        verts: Any = np.empty((len(starts), 4, 2))
        verts[:, 0, 0] = verts[:, 1, 0] = x[starts] - spacing / 2.0
        verts[:, 2, 0] = verts[:, 3, 0] = x[ends] + spacing / 2.0
        verts[:, 0, 1] = verts[:, 3, 1] = 0.0
        verts[:, 1, 1] = verts[:, 2, 1] = 1.0
        self.regimes.set_verts(verts)
        self.regimes.set_facecolor(_REGIME_RGBA[codes[starts]])
        self.ax.set_xlim(*_session_span(x, spacing))
        self.ax.set_ylim(*_sticky(self.ax.get_ylim(), _limits(*columns, pad=0.05)))
        self.title.set_text(title)


class HeatmapPanel(_ChartPanel):
    """The strike x time heatmap of one metric, raw or per-bar delta, with the spot path.

    Signed metrics (and every delta) use ``RdBu_r`` on a scale symmetric about zero (white
    = 0); ``oi`` raw uses ``viridis``. Deltas scale on the 98th percentile of ``|value|``.
    Strikes within 3% of the session's spot range are shown, and of those no more than three
    beyond the outermost strikes holding a value (above 1% of the largest ``|value|``).

    Parameters
    ----------
    data : LiveData, optional
        What to show (``heatmap``).
    render : {"auto", "png", "ipympl"}, default "auto"
        How the figure reaches the browser.
    metric : str, default "gex"
        The initial choice of the metric dropdown (``gex, dex, vex, chex, oi, signed_flow``).
    mode : {"raw", "delta"}, default "raw"
        Raw values, or each bar's change from the previous one
        (:func:`flowframe.heatmap_to_delta`, computed here from the raw array).

    Attributes
    ----------
    metric_control : ipywidgets.Dropdown
        The metric; changing it calls the :meth:`on_metric` callbacks (the dashboard points
        its poller at the new metric; the panel shows whatever metric its data holds).
    mode_control : ipywidgets.ToggleButtons
        ``raw`` / ``delta``; redraws at once.
    """

    css = "ff-heatmap"

    def __init__(
        self,
        data: LiveData | None = None,
        *,
        render: str = "auto",
        metric: str = "gex",
        mode: str = "raw",
        **kwargs: Any,
    ):
        metric = _params.validate_choice(metric, METRICS, "metric")
        mode = _params.validate_choice(mode, MODES, "mode")
        super().__init__(data, render, HEATMAP_SIZE, **kwargs)
        self._metric_callbacks: list[Callable[[str], Any]] = []
        self.metric_control = W.Dropdown(
            options=list(METRICS),
            value=metric,
            description="metric",
            layout=W.Layout(width="190px"),
        )
        self.mode_control = W.ToggleButtons(
            options=list(MODES), value=mode, style={"button_width": "60px"}
        )
        self.metric_control.observe(self._metric_changed, names="value")
        self.mode_control.observe(lambda change: self.update(force=True), names="value")
        fig = self.figure
        fig.subplots_adjust(left=_MARGINS["left"], right=_MARGINS["right"], top=0.92, bottom=0.1)
        ax = fig.add_subplot()
        self.ax = ax
        # an AxesImage on a regular (time x strike) grid: its extent is float64, where a
        # NonUniformImage keeps float32 centres, too coarse for minutes as date numbers
        self.image = ax.imshow(
            np.full((1, 1), np.nan),
            cmap="RdBu_r",
            norm=Normalize(vmin=-1.0, vmax=1.0),
            aspect="auto",
            origin="lower",
            interpolation="nearest",
            extent=(0.0, 1.0, 0.0, 1.0),
        )
        self.image.set_visible(False)
        (self.spot,) = ax.plot(
            [],
            [],
            color="black",
            lw=1.6,
            label="spot",
            path_effects=[path_effects.withStroke(linewidth=3.5, foreground="white")],
        )
        ax.legend(loc="upper left", fontsize="small", framealpha=0.85)
        time_axis(ax)
        ax.set_xlabel("")
        plain_axis(ax)
        ax.set_ylabel("strike")
        cax = fig.add_axes((0.862, 0.1, 0.016, 0.82))
        self.colorbar = Colorbar(cax, mappable=self.image)
        self.title = ax.set_title("heatmap", loc="left", fontsize="medium")
        self.children = (W.HBox([self.metric_control, self.mode_control]), self.widget)
        self._window: tuple[float, float] = (0.0, 0.0)  # strikes shown (sticky)
        legend = ax.get_legend()
        assert legend is not None
        self.chart.animated = [self.image, self.spot, legend]  # the legend over the spot path
        self.chart.extra_key = lambda: (
            self.image.get_cmap().name,
            *self.image.get_clim(),
            self.colorbar.ax.get_ylabel(),
        )
        self.update()

    @property
    def metric(self) -> str:
        """The metric chosen in the dropdown."""
        return str(self.metric_control.value)

    @property
    def mode(self) -> str:
        """``"raw"`` or ``"delta"``."""
        return str(self.mode_control.value)

    def on_metric(self, fn: Callable[[str], Any]) -> None:
        """Call ``fn(metric)`` when the metric dropdown changes."""
        self._metric_callbacks.append(fn)

    def _metric_changed(self, change: Mapping[str, Any]) -> None:
        for fn in list(self._metric_callbacks):
            fn(str(change["new"]))

    def _prepare(self, data: LiveData) -> tuple[Any, ...] | str:
        array = data.heatmap
        if array is None or "bar" not in array.dims or "strike" not in array.dims:
            symbol = _symbol_of(data)
            return f"waiting for the heatmap{' of ' + symbol if symbol else ''}"
        if array.sizes["bar"] == 0 or array.sizes["strike"] == 0:
            return "no heatmap bars yet"
        if self.mode == "delta" and array.attrs.get("mode") != "delta":
            array = heatmap_to_delta(array)
        grid = array if array.dims == ("bar", "strike") else array.transpose("bar", "strike")
        # read coordinates as variables and indexes: no DataArray is built for each
        coords = grid.coords.variables
        strikes = np.asarray(_coordinate(grid, "strike"), dtype=np.float64)
        spot = (
            np.asarray(coords["spot"].values, dtype=np.float64)
            if "spot" in coords and coords["spot"].dims == ("bar",)
            else np.full(grid.sizes["bar"], np.nan)
        )
        keep = np.ones(strikes.size, dtype=bool)
        if np.isfinite(spot).any():
            lo = float(np.nanmin(spot)) * (1.0 - AROUND_SPOT)
            hi = float(np.nanmax(spot)) * (1.0 + AROUND_SPOT)
            inside = (strikes >= lo) & (strikes <= hi)
            if inside.sum() >= 2:
                keep = inside
        values = np.asarray(grid.values, dtype=np.float64)
        # and no further than a few strikes beyond the ones where something visible happened
        strength = np.nan_to_num(np.abs(values)).max(axis=0, initial=0.0)
        active = np.flatnonzero(keep & (strength > ACTIVE_SHARE * strength[keep].max(initial=0)))
        if active.size:
            first, last = active[0] - STRIKE_MARGIN, active[-1] + STRIKE_MARGIN
            keep &= (np.arange(strikes.size) >= first) & (np.arange(strikes.size) <= last)
        if keep.any():  # a window that moves only when the strikes of interest leave it
            wanted = (float(strikes[keep].min()), float(strikes[keep].max()))
            self._window = _sticky(self._window, wanted, headroom=STICKY_HEADROOM / 2)
            keep = (strikes >= self._window[0]) & (strikes <= self._window[1])
        strikes = strikes[keep]
        values = values[:, keep]
        x = _days(pd.DatetimeIndex(_coordinate(grid, "bar")))
        symbol = grid.attrs.get("symbol") or ""
        metric = str(grid.attrs.get("metric") or (grid.name if grid.name is not None else "value"))
        mode = str(grid.attrs.get("mode") or "raw")
        size = grid.attrs.get("bar_size")
        title = f"{symbol} {metric} ({mode}) by strike" + (f", {size} bars, ET" if size else "")
        units = str(grid.attrs.get("units") or METRIC_UNITS.get(metric, ""))
        signed = is_signed(grid, values)
        return (title.strip(), units, signed, mode == "delta", x, strikes, values, spot)

    def _apply(self, prepared: tuple[Any, ...]) -> None:
        title, units, signed, robust, x, strikes, values, spot = prepared
        spacing = bar_spacing(x, "1m")
        times, at_time = _regular(x, spacing, gap=True)
        steps = np.diff(strikes)
        step = float(steps[steps > 0].min()) if (steps > 0).any() else 1.0
        levels, at_strike = _regular(strikes, step, gap=False)
        # each cell of the regular grid shows its bar and strike; a missing bar stays blank
        cells = values[np.maximum(at_time, 0)][:, at_strike].T
        cells[:, at_time < 0] = np.nan
        norm = color_norm(values, signed=signed, robust=robust)
        image = self.image
        image.set_data(np.ma.masked_invalid(cells))
        image.set_extent(
            (
                times[0] - spacing / 2.0,
                times[-1] + spacing / 2.0,
                levels[0] - step / 2.0,
                levels[-1] + step / 2.0,
            )
        )
        image.set_cmap("RdBu_r" if signed else "viridis")
        image.set_clim(*_nice_norm(norm, signed=signed))
        image.set_visible(True)
        self.spot.set_data(x, spot)
        self.ax.set_xlim(*_session_span(x, spacing))
        self.ax.set_ylim(strikes[0] - step / 2.0, strikes[-1] + step / 2.0)
        self.colorbar.set_label(units, fontsize="small")
        if units.startswith("USD"):
            self.colorbar.formatter = money_formatter(2)
        else:
            formatter = ScalarFormatter()
            formatter.set_powerlimits((-3, 4))
            self.colorbar.formatter = formatter
        self.colorbar.update_ticks()
        self.title.set_text(title)


class LeaderboardPanel(_Panel):
    """The ranked universe as a table, with a button per symbol to point the dashboard at it.

    Parameters
    ----------
    data : LiveData, optional
        What to show (``leaderboard``).
    current : str, optional
        The symbol to highlight (the one the dashboard follows).

    Attributes
    ----------
    html : ipywidgets.HTML
        The table (``tr.ff-row[data-symbol]``; the current symbol's row is ``ff-current``).
    choices : ipywidgets.ToggleButtons
        One button per ranked symbol; choosing one calls the :meth:`on_select` callbacks.
    """

    css = "ff-leaderboard"

    def __init__(self, data: LiveData | None = None, *, current: str | None = None, **kwargs: Any):
        super().__init__(data, **kwargs)
        self.current = current
        self._callbacks: list[Callable[[str], Any]] = []
        self._quiet = False
        self._cache: tuple[pd.DataFrame | None, str | None, tuple[str, ...], str] | None = None
        self.html = W.HTML()
        self.choices = W.ToggleButtons(
            options=[], value=None, style={"button_width": "58px"}, layout=W.Layout(width="100%")
        )
        self.choices.observe(self._chosen, names="value")
        self.children = (self.html, self.choices)
        self.update()

    def on_select(self, fn: Callable[[str], Any]) -> None:
        """Call ``fn(symbol)`` when a symbol is chosen."""
        self._callbacks.append(fn)

    def select(self, symbol: str) -> None:
        """Choose ``symbol`` as a click on its button would (it must be listed)."""
        if symbol not in self.symbols:
            raise ValueError(
                f"symbol {symbol!r} is not on the leaderboard; use one of {self.symbols}"
            )
        if self.choices.value == symbol:
            self._notify(symbol)
        else:
            self.choices.value = symbol

    @property
    def symbols(self) -> list[str]:
        """The ranked symbols, best first."""
        return list(self._read(self.data.leaderboard)[0])

    def _read(self, board: pd.DataFrame | None) -> tuple[tuple[str, ...], str]:
        """Return (symbols, table HTML) of ``board``, read once per board and highlight."""
        # the poller replaces the leaderboard every few cycles only: keep the last reading
        # (and a reference to its board, so identity cannot be mistaken)
        cached = self._cache
        if cached is not None and cached[0] is board and cached[1] == self.current:
            return cached[2], cached[3]
        symbols: tuple[str, ...] = ()
        if board is not None and "symbol" in board.columns:
            symbols = tuple(str(s) for s in board["symbol"])
        table = self.table(board, self.current)
        self._cache = (board, self.current, symbols, table)
        return symbols, table

    def _chosen(self, change: Mapping[str, Any]) -> None:
        if not self._quiet and change["new"] is not None:
            self._notify(str(change["new"]))

    def _notify(self, symbol: str) -> None:
        self.current = symbol
        self.update()
        for fn in list(self._callbacks):
            fn(symbol)

    def update(self, data: LiveData | None = None, *, current: str | None = None) -> None:
        """Show ``data`` (or the LiveData held), highlighting ``current`` if given."""
        if data is not None:
            self.data = data
        if current is not None:
            self.current = current
        symbols, table = self._read(self.data.leaderboard)
        with self.hold_sync(), self.html.hold_sync(), self.choices.hold_sync():
            self.html.value = table
            self._quiet = True
            try:
                if tuple(self.choices.options) != symbols:
                    self.choices.options = symbols
                self.choices.value = self.current if self.current in symbols else None
            finally:
                self._quiet = False

    @staticmethod
    def table(board: pd.DataFrame | None, current: str | None = None) -> str:
        """Return the leaderboard as an HTML table."""
        if board is None or board.empty:
            return "<div style='color:#777'>leaderboard: waiting for data</div>"
        metric = _e(str(board.attrs.get("metric") or "value").replace("_", " "))
        stamp = board.attrs.get("as_of")
        when = f" at {_et(stamp, '%H:%M')} ET" if stamp is not None else ""
        values = board["value"].to_numpy(dtype=np.float64, na_value=np.nan)
        top = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
        rows = []
        for rank, symbol, value in zip(board.index, board["symbol"], values, strict=True):
            width = 0.0 if not (top > 0 and math.isfinite(value)) else abs(value) / top * 100.0
            here = str(symbol) == current
            style = "background:#fff4d6;font-weight:bold" if here else ""
            rows.append(
                f"<tr class='ff-row{' ff-current' if here else ''}' data-symbol='{_e(str(symbol))}'"
                f" style='{style}'><td style='text-align:right;color:#777'>{int(rank)}</td>"
                f"<td>{_e(str(symbol))}</td><td style='text-align:right'>{value:.3g}</td>"
                "<td style='width:90px'><div style='height:8px;background:#1f77b4;"
                f"width:{width:.1f}%'></div></td></tr>"
            )
        return (
            f"<div style='font-weight:600'>leaderboard: {metric}{when}</div>"
            "<table style='border-collapse:collapse;font-size:0.9em;width:100%'>"
            "<tr style='color:#777'><th>#</th><th style='text-align:left'>symbol</th>"
            f"<th>{metric}</th><th></th></tr>{''.join(rows)}</table>"
        )


class StatusLine(_Panel):
    """Source, session clock (ET), last update, next poll, quota, last error and tick counter.

    The tick counter (``<span class='ff-tick' data-tick='N'>tick N</span>``) only goes up,
    whatever it is given.

    Parameters
    ----------
    status : PollStatus, optional
        What to show first.

    Attributes
    ----------
    html : ipywidgets.HTML
        The line.
    tick : int
        The highest tick shown.
    """

    css = "ff-status"

    def __init__(self, status: PollStatus | None = None, **kwargs: Any):
        super().__init__(None, **kwargs)
        self.tick = 0
        self.status = status if status is not None else PollStatus()
        self.html = W.HTML()
        self.children = (self.html,)
        self.update()

    def update(
        self,
        status: PollStatus | None = None,
        *,
        errors: int | None = None,
        running: bool | None = None,
        note: str | None = None,
    ) -> None:
        """Show ``status`` (or the one held).

        Parameters
        ----------
        status : PollStatus, optional
            The poller's status.
        errors : int, optional
            How many errors the session has had.
        running : bool, optional
            Whether the poller is running (shows ``live`` or ``paused``).
        note : str, optional
            A message of the dashboard's own (a rejected control value, say).
        """
        if status is not None:
            self.status = status
        self.tick = max(self.tick, int(self.status.ticks))
        with self.html.hold_sync():
            self.html.value = self.line(
                self.status, tick=self.tick, errors=errors, running=running, note=note
            )

    @staticmethod
    def line(
        status: PollStatus,
        *,
        tick: int,
        errors: int | None = None,
        running: bool | None = None,
        note: str | None = None,
    ) -> str:
        """Return the status line as HTML."""
        s = status
        sep = " <span style='color:#bbb'>|</span> "
        parts = []
        if running is not None:
            state, colour = ("live", "#2ca02c") if running else ("paused", "#999")
            parts.append(f"<b class='ff-state' style='color:{colour}'>&#9679; {state}</b>")
        parts.append(f"<span class='ff-source'>{_e(s.source or 'no source')}</span>")
        parts.append(f"<span class='ff-clock'>session {_et(s.session_time)} ET</span>")
        parts.append(f"<span class='ff-updated'>updated {_et(s.last_update)}</span>")
        parts.append(f"<span class='ff-next'>next {_et(s.next_poll)}</span>")
        if s.interval:
            parts.append(f"every {s.interval:g}s")
        if s.quota_remaining is not None or s.quota_limit is not None:
            left = "?" if s.quota_remaining is None else f"{s.quota_remaining:,}"
            limit = "" if s.quota_limit is None else f"/{s.quota_limit:,}"
            need = "" if s.projected_use is None else f", session needs ~{s.projected_use:,}"
            low = (
                s.quota_remaining is not None
                and s.projected_use is not None
                and s.projected_use > s.quota_remaining
            )
            style = " style='color:#d62728;font-weight:bold'" if low else ""
            parts.append(f"<span class='ff-quota'{style}>quota {left}{limit} left{need}</span>")
        else:
            parts.append("<span class='ff-quota'>quota: none</span>")
        if s.backoff:
            parts.append(f"<span class='ff-backoff'>backing off {s.backoff:g}s</span>")
        if s.last_error:
            count = f" ({errors} so far)" if errors else ""
            parts.append(
                f"<span class='ff-error' style='color:#d62728'>last error{count}: "
                f"{_e(s.last_error)}</span>"
            )
        if note:
            parts.append(f"<span class='ff-note' style='color:#e08a00'>{_e(note)}</span>")
        parts.append(f"<span class='ff-tick' data-tick='{tick}'>tick {tick}</span>")
        return f"<div style='font-size:0.85em;color:#444'>{sep.join(parts)}</div>"


class AlertLog(_Panel):
    """The alerts, newest first: time (ET), symbol, kind, message.

    Parameters
    ----------
    alerts : sequence of Alert, optional
        Alerts so far, oldest first (as the poller keeps them).
    limit : int, default 50
        Most lines shown.

    Attributes
    ----------
    html : ipywidgets.HTML
        The log (``div.ff-alert[data-kind]`` per line).
    """

    css = "ff-alerts"

    def __init__(self, alerts: Sequence[Alert] = (), *, limit: int = ALERT_LINES, **kwargs: Any):
        super().__init__(None, **kwargs)
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        self.limit = limit
        self.alerts: list[Alert] = list(alerts)[-limit:]
        self.html = W.HTML()
        self.children = (self.html,)
        self.update()

    def update(self, alerts: Sequence[Alert] | None = None) -> None:
        """Show ``alerts`` (oldest first; the newest ``limit`` are kept)."""
        if alerts is not None:
            self.alerts = list(alerts)[-self.limit :]
        with self.html.hold_sync():
            self.html.value = self.log(self.alerts)

    def add(self, alert: Alert) -> None:
        """Add one alert at the top."""
        self.alerts = [*self.alerts, alert][-self.limit :]
        self.update()

    @staticmethod
    def log(alerts: Sequence[Alert]) -> str:
        """Return the alerts as HTML, newest first."""
        head = f"<div style='font-weight:600'>alerts ({len(alerts)})</div>"
        if not alerts:
            return head + "<div style='color:#777'>none yet</div>"
        lines = []
        for a in reversed(alerts):
            colour = "#d62728" if a.kind in ("severity_escalation", "hedge_burst") else "#1f3b73"
            lines.append(
                f"<div class='ff-alert' data-kind='{_e(a.kind)}' style='margin:1px 0'>"
                f"<code>{_et(a.time, '%H:%M:%S')}</code> <b>{_e(a.symbol)}</b> "
                f"<span style='color:{colour}'>{_e(a.kind.replace('_', ' '))}</span> "
                f"{_e(a.message)}</div>"
            )
        return (
            head + "<div style='max-height:260px;overflow-y:auto;font-size:0.85em'>"
            f"{''.join(lines)}</div>"
        )


# --------------------------------------------------------------------------- dashboard


def _interval(text: object) -> float | None:
    """Read the interval control: ``"auto"`` (or empty) is None, else seconds > 0."""
    value = str(text).strip().lower().removesuffix("s").strip()
    if value in ("", "auto"):
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"interval must be 'auto' or seconds > 0, got {text!r}")
    return seconds


class Dashboard(W.VBox):  # type: ignore[misc]
    """A live 0DTE dealer-flow dashboard for one symbol, in a notebook.

    It owns a :class:`~flowframe.live.poller.Poller` over ``source`` and shows what it
    gathers in the panels of this module, updated in place. Nothing is fetched until
    :meth:`refresh` (one cycle now) or :meth:`start` (poll in the background on the running
    asyncio loop, as in a Jupyter kernel); the start/pause button does the same.

    Parameters
    ----------
    symbol : str, default "SPY"
        The symbol to follow.
    source : Source, optional
        Any source; :func:`flowframe.connect` when omitted (the hosted API with a key, the
        simulated session without one).
    render : {"auto", "png", "ipympl"}, default "auto"
        ``"ipympl"`` draws on ipympl canvases (``%matplotlib widget``); ``"png"`` pushes PNG
        bytes to ``Image`` widgets; ``"auto"`` picks ipympl when it is the matplotlib backend.
    interval : float, optional
        The shortest time between polls, in session seconds (the poller's ``floor``; it waits
        longer when the daily quota needs it). ``None`` (``"auto"``) keeps the poller's
        default, 30 s: the raw data's sampling.
    heatmap_metric : str, default "gex"
        ``gex, dex, vex, chex, oi`` or ``signed_flow``.
    bar : str, default "1m"
        Bar size of the series and hedge-flow: ``30s, 1m, 5m, 15m``.
    **poller_options
        Passed to the :class:`~flowframe.live.poller.Poller` (``leaderboard_every``,
        ``sleep``, ``now``, ``plan``, ...).

    Attributes
    ----------
    poller : Poller
        The poller (replaced by a new one when the bar size changes, since every bar held
        must then be fetched again).
    headline, hedge, series, heatmap, leaderboard, status_line, alert_log
        The panels.
    symbol_control, bar_control, interval_control, pause_control, refresh_control
        The controls of the top row.
    metric_control, mode_control
        The heatmap's metric and raw/delta controls (on the heatmap panel).

    Examples
    --------
    >>> import flowframe as ff
    >>> import flowframe.live
    >>> src = ff.Simulated(seed=1, date="2026-09-18", now="14:00", symbols=["SPY"], scale=0.02)
    >>> dash = ff.live.Dashboard("SPY", src, render="png")
    >>> dash.refresh()
    >>> dash.status.ticks, dash.data.series.attrs["symbol"]
    (1, 'SPY')
    """

    def __init__(
        self,
        symbol: str = "SPY",
        source: Source | None = None,
        *,
        render: Render = "auto",
        interval: float | None = None,
        heatmap_metric: str = "gex",
        bar: str = "1m",
        **poller_options: Any,
    ):
        symbol = _params.validate_symbol(symbol)
        bar = _params.validate_choice(bar, BARS, "bar")
        heatmap_metric = _params.validate_choice(heatmap_metric, METRICS, "heatmap_metric")
        mode = resolve_render(render)
        # "auto": the poller's own floor (30 s unless floor= says otherwise)
        self._auto_floor = float(poller_options.get("floor", 30.0))
        if interval is not None:
            if "floor" in poller_options:
                raise ValueError("pass interval= or floor=, not both (interval is the floor)")
            if not (math.isfinite(interval) and interval > 0):
                raise ValueError(f"interval must be None (auto) or seconds > 0, got {interval!r}")
            poller_options["floor"] = float(interval)
        super().__init__()
        self.add_class("ff-dashboard")
        self.render = mode
        self.source: Source = connect() if source is None else source
        self._options = poller_options
        self._symbol = symbol
        self._alert_callbacks: list[Callable[[Alert], Any]] = []
        self._past_errors: list[tuple[Any, str, str]] = []
        self._past_alerts: list[Alert] = []
        self._note: str | None = None
        self._quiet = False
        self._deferred = 0  # > 0 while refresh() runs a cycle: render once, after it
        self._pending = False  # a render is scheduled on the event loop
        self.poller = self._new_poller(bar, heatmap_metric)

        data = self.poller.data
        self.headline = HeadlinePanel(data)
        self.hedge = HedgePanel(data, render=mode)
        self.series = SeriesPanel(data, render=mode)
        self.heatmap = HeatmapPanel(data, render=mode, metric=heatmap_metric)
        self.leaderboard = LeaderboardPanel(data, current=symbol)
        self.status_line = StatusLine(self.poller.status)
        self.alert_log = AlertLog(self.poller.alerts)

        self.symbol_control = W.Combobox(
            value=symbol,
            options=[str(s) for s in getattr(self.source, "symbols", ()) or ()],
            description="symbol",
            ensure_option=False,
            continuous_update=False,
            layout=W.Layout(width="180px"),
        )
        self.bar_control = W.Dropdown(
            options=list(BARS), value=bar, description="bar", layout=W.Layout(width="140px")
        )
        self.interval_control = W.Combobox(
            value="auto" if interval is None else f"{interval:g}",
            options=list(INTERVAL_CHOICES),
            description="every (s)",
            ensure_option=False,
            continuous_update=False,
            layout=W.Layout(width="170px"),
        )
        self.pause_control = W.ToggleButton(
            value=True, description="start", icon="play", tooltip="start or pause polling"
        )
        self.refresh_control = W.Button(
            description="refresh", icon="refresh", tooltip="poll once now"
        )
        self.metric_control = self.heatmap.metric_control
        self.mode_control = self.heatmap.mode_control
        title = W.HTML("<b style='font-size:1.1em'>flowframe</b>&nbsp;0DTE&nbsp;dealer&nbsp;flow")
        self.controls = W.HBox(
            [
                title,
                self.symbol_control,
                self.bar_control,
                self.interval_control,
                self.pause_control,
                self.refresh_control,
            ],
            layout=W.Layout(align_items="center", flex_flow="row wrap"),
        )
        self.controls.add_class("ff-controls")

        self.symbol_control.observe(self._symbol_changed, names="value")
        self.bar_control.observe(self._bar_changed, names="value")
        self.interval_control.observe(self._interval_changed, names="value")
        self.pause_control.observe(self._pause_changed, names="value")
        self.refresh_control.on_click(self._refresh_clicked)
        self.heatmap.on_metric(self._metric_changed)
        self.leaderboard.on_select(self.set_symbol)

        charts = W.VBox([self.hedge, self.series, self.heatmap], layout=W.Layout(flex="3 1 0%"))
        side = W.VBox(
            [self.leaderboard, self.alert_log],
            layout=W.Layout(flex="1 1 0%", min_width="230px", max_width="340px"),
        )
        self.children = (
            self.controls,
            self.headline,
            W.HBox([charts, side], layout=W.Layout(width="100%")),
            self.status_line,
        )
        self._render()

    # ------------------------------------------------------------------ state

    @property
    def data(self) -> LiveData:
        """The poller's latest frames."""
        return self.poller.data

    @property
    def status(self) -> PollStatus:
        """The poller's status (ticks, times, quota, last error)."""
        return self.poller.status

    @property
    def errors(self) -> list[tuple[Any, str, str]]:
        """The errors of this dashboard's polling, oldest first: (time, kind, message)."""
        return [*self._past_errors, *self.poller.errors]

    @property
    def alerts(self) -> list[Alert]:
        """The alerts so far, oldest first."""
        return [*self._past_alerts, *self.poller.alerts]

    @property
    def running(self) -> bool:
        """Whether the poller is polling in the background."""
        return self.poller.running

    @property
    def symbol(self) -> str:
        """The symbol followed."""
        return self._symbol

    @property
    def figures(self) -> dict[str, Figure]:
        """The figures by panel (``hedge``, ``series``, ``heatmap``), each created once."""
        return {
            "hedge": self.hedge.figure,
            "series": self.series.figure,
            "heatmap": self.heatmap.figure,
        }

    # ------------------------------------------------------------------ actions

    def refresh(self) -> None:
        """Run one polling cycle now (synchronously), then show what it gathered."""
        self._deferred += 1
        try:
            self.poller.cycle()
        finally:
            self._deferred -= 1
        self._render()

    def redraw(self) -> None:
        """Show the data held now, redrawing every figure even if nothing changed."""
        self._render(force=True)

    def start(self) -> None:
        """Poll in the background: one asyncio task on the running loop (as in a notebook).

        Raises
        ------
        RuntimeError
            There is no running event loop.
        """
        self._start()
        self._sync_pause()
        self._render_status()

    def stop(self) -> None:
        """Stop polling (the data gathered stays); the poller's task ends at its next await."""
        self.poller.stop()
        self._sync_pause(running=False)
        self._render_status(running=False)

    async def astop(self) -> None:
        """Stop polling and wait until the poller's task has finished."""
        await self.poller.astop()
        self._sync_pause()
        self._render_status()

    def on_alert(self, fn: Callable[[Alert], Any]) -> Callable[[Alert], Any]:
        """Call ``fn(alert)`` for each new alert, once it is in the alert log; returns ``fn``."""
        self._alert_callbacks.append(fn)
        return fn

    def set_symbol(self, symbol: str) -> None:
        """Follow ``symbol``; its data is fetched from the next cycle on."""
        symbol = _params.validate_symbol(symbol)
        self.poller.set_symbol(symbol)
        self._symbol = symbol
        self._note = None
        with self._quietly():
            self.symbol_control.value = symbol
        self._render()

    def set_metric(self, metric: str) -> None:
        """Show ``metric`` on the heatmap; it is fetched from the next cycle on."""
        self.metric_control.value = _params.validate_choice(metric, METRICS, "metric")

    def set_bar(self, bar: str) -> None:
        """Use ``bar`` bars for the series and hedge-flow; fetched from the next cycle on."""
        self.bar_control.value = _params.validate_choice(bar, BARS, "bar")

    def set_interval(self, interval: float | None) -> None:
        """Poll at most every ``interval`` session seconds (``None``: the default, 30 s)."""
        text = "auto" if interval is None else f"{interval:g}"
        if self.interval_control.value == text:
            self._apply_interval(interval)
        else:
            self.interval_control.value = text

    def pngs(self) -> dict[str, bytes]:
        """Return each figure as PNG bytes, by panel (whatever the rendering path)."""
        return {
            "hedge": self.hedge.png(),
            "series": self.series.png(),
            "heatmap": self.heatmap.png(),
        }

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (
            f"Dashboard({self._symbol}, {self.poller.status.source}, {state}, "
            f"ticks={self.poller.status.ticks}, render={self.render})"
        )

    # ------------------------------------------------------------------ internals

    def _new_poller(self, bar: str, metric: str) -> Poller:
        poller = Poller(self.source, self._symbol, heatmap_metric=metric, bar=bar, **self._options)

        # callbacks of a poller the dashboard has replaced are ignored
        def updated(data: LiveData) -> None:
            if poller is self.poller:
                self._schedule_render()

        def alerted(alert: Alert) -> None:
            if poller is self.poller:
                self._alerted(alert)

        def failed(exc: BaseException) -> None:
            if poller is self.poller:
                self._schedule_render()

        poller.on_update(updated)
        poller.on_alert(alerted)
        poller.on_error(failed)
        return poller

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    def _render(self, *, force: bool = False) -> None:
        data = self.poller.data
        disabled = self.poller.status.extra.get("disabled") or ()
        self.heatmap.unavailable = (
            "the heatmap is not included in this key's plan" if "heatmap" in disabled else None
        )
        with self.hold_sync():
            self.headline.update(data)
            self.hedge.update(data, force=force)
            self.series.update(data, force=force)
            self.heatmap.update(data, force=force)
            self.leaderboard.update(data, current=self._symbol)
            self.alert_log.update(self.alerts)
            self._render_status()
            self._extend_symbols()

    def _render_status(self, *, running: bool | None = None) -> None:
        self.status_line.update(
            self.poller.status,
            errors=len(self.errors),
            running=self.poller.running if running is None else running,
            note=self._note,
        )

    def _start(self) -> None:
        poller = self.poller
        task = poller.start()

        def ended(task: asyncio.Task[None]) -> None:  # cancelled, session over, or crashed
            if poller is self.poller:
                self._sync_pause(running=False)
                self._render_status(running=False)

        task.add_done_callback(ended)

    def _schedule_render(self) -> None:
        """Render after the poller's cycle has ended (its tick counted), or now."""
        if self._deferred:
            return  # refresh() renders once the cycle is over
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._render()
            return
        if not self._pending:
            self._pending = True
            loop.call_soon(self._scheduled_render)

    def _scheduled_render(self) -> None:
        self._pending = False
        self._render()

    def _alerted(self, alert: Alert) -> None:
        self.alert_log.update(self.alerts)
        for fn in list(self._alert_callbacks):
            fn(alert)

    def _extend_symbols(self) -> None:
        known = list(self.symbol_control.options)
        extra = [s for s in self.leaderboard.symbols if s not in known]
        if extra:
            self.symbol_control.options = known + extra

    def _sync_pause(self, *, running: bool | None = None) -> None:
        if running is None:
            running = self.poller.running
        with self._quietly(), self.pause_control.hold_sync():
            self.pause_control.value = not running
            self.pause_control.description = "pause" if running else "start"
            self.pause_control.icon = "pause" if running else "play"

    def _refresh_clicked(self, button: Any) -> None:
        try:
            self.refresh()
        except RuntimeError as exc:  # the background task is in the middle of a cycle
            self._reject(str(exc))

    def _reject(self, message: str) -> None:
        self._note = message
        self._render_status()

    def _symbol_changed(self, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        try:
            self.set_symbol(str(change["new"]))
        except ValueError as exc:
            with self._quietly():
                self.symbol_control.value = self._symbol
            self._reject(str(exc))

    def _metric_changed(self, metric: str) -> None:
        self.poller.set_metric(metric)
        self._render()

    def _bar_changed(self, change: Mapping[str, Any]) -> None:
        """Replace the poller: every bar held must be fetched again at the new size."""
        old = self.poller
        running = old.running
        old.stop()
        self._past_errors = [*self._past_errors, *old.errors][-ALERT_LINES:]
        self._past_alerts = [*self._past_alerts, *old.alerts][-ALERT_LINES:]
        new = self._new_poller(str(change["new"]), old.heatmap_metric)
        # the tick counter and the request count go on from the old poller's
        new.status.ticks = old.status.ticks
        new.status.requests = old.status.requests
        new.data.leaderboard = old.data.leaderboard
        self.poller = new
        if running:
            self._start()
        self._sync_pause()
        self._render()

    def _interval_changed(self, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        try:
            seconds = _interval(change["new"])
        except ValueError as exc:
            with self._quietly():
                self.interval_control.value = str(change["old"])
            self._reject(str(exc))
            return
        self._apply_interval(seconds)

    def _apply_interval(self, seconds: float | None) -> None:
        self.poller.floor = self._auto_floor if seconds is None else seconds
        if seconds is None:
            self._options.pop("floor", None)
        else:
            self._options["floor"] = seconds
        self._note = None
        self._render_status()

    def _pause_changed(self, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        try:
            if change["new"]:
                self.stop()
            else:
                self.start()
        except RuntimeError as exc:  # no running event loop (a plain script)
            self._sync_pause()
            self._reject(str(exc))
