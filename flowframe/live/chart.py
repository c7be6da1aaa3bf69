"""The chart engine of the live panels: one persistent figure per panel, drawn in place.

Each chart is one :class:`matplotlib.figure.Figure`, created when its panel is built and never
again: every update changes its artists in place (``Line2D.set_data``,
``PolyCollection.set_verts`` for bars and regime spans, ``AxesImage.set_data`` and
``set_extent`` for the heatmap, axis limits, titles). With ``render="png"`` the figure is drawn
by Agg into an :class:`ipywidgets.Image` (``Image.value`` holds PNG bytes), blitting the data
artists onto a kept background (:class:`_Chart`); with ``render="ipympl"`` it lives on an
ipympl canvas widget and is redrawn with ``canvas.draw_idle()``. Either way the update is a
trait assignment, never an ``Output`` widget's context manager, so updates from the poller's
asyncio task (or a thread) reach the browser.

Axes change rarely, so that most frames are blits: axis limits are sticky (:func:`_sticky`),
time axes span the whole regular session (:func:`_session_span`), and a heatmap's colour scale
snaps to nice steps (:func:`_nice_norm`).
"""

from __future__ import annotations

import importlib
import io
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

import ipywidgets
import matplotlib
import matplotlib.dates
import numpy as np
import pandas as pd
import PIL.Image
import xarray as xr
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.text import Text

from flowframe import _params
from flowframe._constants import ET
from flowframe._session import session_bounds
from flowframe.plotting import date_nums

# ipywidgets ships no type hints: reach it through Any, so that mypy --strict accepts calls
W: Any = ipywidgets

__all__ = [
    "CHART_SIZE",
    "DPI",
    "HEATMAP_SIZE",
    "IPYMPL_BACKENDS",
    "RENDERS",
    "STICKY_FILL",
    "STICKY_HEADROOM",
    "Render",
    "resolve_render",
]

Render = Literal["auto", "png", "ipympl"]

RENDERS: Final = ("auto", "png", "ipympl")
IPYMPL_BACKENDS: Final = ("module://ipympl.backend_nbagg", "widget", "ipympl")

DPI: Final = 80
CHART_SIZE: Final = (10.5, 3.3)  # inches; 840 x 264 px at DPI
HEATMAP_SIZE: Final = (10.5, 3.9)
STICKY_FILL: Final = 0.5  # live axes rescale once the data fills less than half of them
STICKY_HEADROOM: Final = 0.12  # and leave this share of the span free on each side

_NO_POLYGONS: Final[Any] = np.empty((0, 4, 2))
_PNG_OPTIONS: Final = {"compress_level": 1}  # as small as the default here, and faster
_MARGINS: Final = {"left": 0.085, "right": 0.845, "top": 0.9, "bottom": 0.22}
_NICE_STEPS: Final = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
_MAX_REFINE: Final = 4  # a regular heatmap grid has at most 4x the cells of the data
_UNIX_EPOCH: Final = "1970-01-01T00:00:00"
_NS_PER_DAY: Final = 86_400e9
# matplotlib.dates ships no type hints: reach it through Any
_mdates: Any = matplotlib.dates


# --------------------------------------------------------------------------- reading frames


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


def _coordinate(array: xr.DataArray, name: str) -> pd.Index:
    """Return a dimension's coordinate as an index (the one xarray keeps, when it has one)."""
    index: pd.Index = (
        array.indexes[name]
        if name in array.indexes
        else pd.Index(np.asarray(array.coords.variables[name].values))
    )
    return index


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


def _fingerprint(*parts: Any) -> int:
    """Return a hash of strings, numbers and numpy arrays (by content)."""
    return hash(tuple(p.tobytes() if isinstance(p, np.ndarray) else p for p in parts))


# --------------------------------------------------------------------------- axes


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
    """Return the x limits of the session of the first bar's day (exchange calendar).

    09:30-16:00 ET, or 09:30-13:00 ET on an early-close day
    (:func:`flowframe._session.session_bounds`).

    ``x`` holds date numbers (days since 1970, UTC). The span is widened to hold every bar
    (with half a bar's margin), so bars outside regular hours are never cut off.
    """
    first = pd.Timestamp(round(float(x[0]) * _NS_PER_DAY), tz="UTC").tz_convert(ET)
    opened, closed = (bound.value / _NS_PER_DAY for bound in session_bounds(first.date()))
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


# --------------------------------------------------------------------------- figures


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
