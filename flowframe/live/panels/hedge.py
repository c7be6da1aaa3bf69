"""The hedge-flow panel: dealers' per-bar flow by sign, the cumulative and its legs, spot."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba_array
from matplotlib.patches import Patch

from flowframe.live.chart import (
    _MARGINS,
    _NO_POLYGONS,
    CHART_SIZE,
    _days,
    _floats,
    _legend_below,
    _limits,
    _session_span,
    _sticky,
)
from flowframe.live.contract import LiveData
from flowframe.live.panels.base import _ChartPanel, _symbol_of
from flowframe.plotting import (
    BUY_COLOR,
    CALLS_COLOR,
    CUMULATIVE_COLOR,
    NAN_COLOR,
    PRICE_COLOR,
    PUTS_COLOR,
    SELL_COLOR,
    align_zeros,
    bar_spacing,
    money_formatter,
    plain_axis,
    time_axis,
)

__all__ = ["HedgePanel", "band_label"]

_SIGN_RGBA: Final[Any] = to_rgba_array([NAN_COLOR, BUY_COLOR, SELL_COLOR])
_BAND_ALPHA: Final = 0.15


def _band_arrays(band: pd.DataFrame | None, index: pd.Index) -> tuple[int, np.ndarray, np.ndarray]:
    """Return (models, low, high) of a ``low, high`` band on ``index`` (0 and empties: none)."""
    if band is None or band.empty or not {"low", "high"} <= set(band.columns):
        return 0, np.empty(0), np.empty(0)
    aligned = band.reindex(index)
    low = aligned["low"].to_numpy(dtype=float, na_value=np.nan)
    high = aligned["high"].to_numpy(dtype=float, na_value=np.nan)
    if not (np.isfinite(low) & np.isfinite(high)).any():
        return 0, np.empty(0), np.empty(0)
    return int(band.attrs.get("models", 0)), low, high


def band_label(models: int) -> str:
    """Return the legend label of a band over ``models`` variants."""
    return f"band: {models} models (min\N{EN DASH}max)"


class HedgePanel(_ChartPanel):
    """Dealer hedge-flow: per-bar bars by sign, cumulative, calls/puts cumulatives, spot.

    Per-bar flow is drawn as bars on the left axis (green where dealers buy, red where they
    sell, grey and flat where unknown); the cumulative (solid) and the calls and puts
    cumulatives (dashed) share the right axis; spot is overlaid on a third axis further right.

    Over an ensemble, the band of its variants' cumulative (their low and high per bar) is
    shaded behind the cumulative, when :attr:`band` holds it (the dashboard sets it).

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
    band : pandas.DataFrame or None
        The band of the cumulative: columns ``low, high`` by bar time, ``attrs["models"]``
        the number of variants; None (the default) shows none. Read on each update.
    band_fill : matplotlib.collections.FillBetweenPolyCollection
        The shaded band (hidden without one).
    """

    css = "ff-hedge"

    def __init__(self, data: LiveData | None = None, *, render: str = "auto", **kwargs: Any):
        super().__init__(data, render, CHART_SIZE, **kwargs)
        self.band: pd.DataFrame | None = None
        self._band_label: str | None = None
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
        # the band lies under the lines of the twin axes (which is drawn over the bars)
        self.band_fill = twin.fill_between(
            [], [], [], color=CUMULATIVE_COLOR, alpha=_BAND_ALPHA, linewidth=0, zorder=1.5
        )
        self.band_fill.set_visible(False)
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
        self._handles: list[Any] = [
            Patch(facecolor=BUY_COLOR, label="dealers buy"),
            Patch(facecolor=SELL_COLOR, label="dealers sell"),
            self.cumulative,
            self.calls,
            self.puts,
            self.spot,
        ]
        _legend_below(price, self._handles)
        self.title = ax.set_title("dealer hedge-flow", loc="left", fontsize="medium")
        # in the order of a full render: the bars' axes, then the twin's band and lines
        self.chart.animated = [
            self.bars,
            self.band_fill,
            self.cumulative,
            self.calls,
            self.puts,
            self.spot,
        ]
        self.chart.extra_key = lambda: (self._band_label,)  # the legend's band entry
        # the sticky limits of the two flow axes, kept apart from the aligned ones shown, so
        # that aligning the zeros does not make them rescale on every tick
        self._bar_limits: tuple[float, float] = ax.get_ylim()
        self._cumulative_limits: tuple[float, float] = twin.get_ylim()
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
            *_band_arrays(self.band, frame.index),
        )

    def _apply(self, prepared: tuple[Any, ...]) -> None:
        title, spacing, x, bar, cumulative, calls, puts, px, py, models, low, high = prepared
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
        self._bar_limits = _sticky(self._bar_limits, _limits(bar, include_zero=True))
        self.ax.set_xlim(*_session_span(x, spacing))  # as the other panels
        self.cumulative.set_data(x, cumulative)
        legs = bool(np.isfinite(calls).any() or np.isfinite(puts).any())
        self.calls.set_data(x, calls)
        self.puts.set_data(x, puts)
        self.calls.set_visible(legs)
        self.puts.set_visible(legs)
        banded = models > 0
        if banded:
            self.band_fill.set_data(x, low, high)
        self.band_fill.set_visible(banded)
        self._show_band_legend(band_label(models) if banded else None)
        wanted = _limits(
            cumulative,
            *((calls, puts) if legs else ()),
            *((low, high) if banded else ()),
            include_zero=True,
        )
        self._cumulative_limits = _sticky(self._cumulative_limits, wanted)
        # one zero for both flow axes (as plot_hedge): per-bar $0 beside cumulative $0
        self.ax.set_ylim(*self._bar_limits)
        self.twin.set_ylim(*self._cumulative_limits)
        align_zeros(self.ax, self.twin)
        self.spot.set_data(px, py)
        self.price_ax.set_visible(bool(np.isfinite(py).any()))
        self.price_ax.set_ylim(*_sticky(self.price_ax.get_ylim(), _limits(py, pad=0.04)))
        self.title.set_text(title)

    def _show_band_legend(self, label: str | None) -> None:
        """Show the band's legend entry (``None``: none), rebuilding the legend on a change."""
        if label == self._band_label:
            return
        self._band_label = label
        band = [] if label is None else [Patch(facecolor=CUMULATIVE_COLOR, alpha=0.35, label=label)]
        _legend_below(self.price_ax, [*self._handles, *band])
