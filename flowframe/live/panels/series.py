"""The series panel: spot with the dealer levels (flip, walls, magnet) on the gamma regime."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
from matplotlib.collections import FillBetweenPolyCollection, PolyCollection
from matplotlib.colors import to_rgba_array
from matplotlib.lines import Line2D
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
from flowframe.live.panels.hedge import band_label
from flowframe.plotting import (
    LEVEL_STYLES,
    REGIME_ALPHA,
    REGIME_COLORS,
    bar_spacing,
    plain_axis,
    time_axis,
)

__all__ = ["SeriesPanel"]

_LEVELS: Final = ("call_wall", "put_wall", "magnet")
_BANDS: Final = ("gamma_flip", *_LEVELS)
_BAND_ALPHA: Final = 0.14
_BAND_COLOR: Final = "#8c8c8c"  # the legend's entry: one for the bands of every level

_REGIME_RGBA: Final[Any] = to_rgba_array(
    ["none", REGIME_COLORS["positive_gamma"], REGIME_COLORS["negative_gamma"]]
)


class SeriesPanel(_ChartPanel):
    """Spot with the dealer levels (gamma flip, call and put walls, magnet) on the regime.

    Over an ensemble, the band of each level over its variants (their low and high per bar)
    is shaded in the level's colour behind the lines, when :attr:`band` holds it (the
    dashboard sets it).

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
    band : pandas.DataFrame or None
        The bands: columns ``(level, "low" | "high")`` by bar time, ``attrs["models"]`` the
        number of variants; None (the default) shows none. Read on each update.
    bands : dict of str to matplotlib.collections.FillBetweenPolyCollection
        The shaded band of ``gamma_flip``, ``call_wall``, ``put_wall``, ``magnet`` (hidden
        without one).
    """

    css = "ff-series"

    def __init__(self, data: LiveData | None = None, *, render: str = "auto", **kwargs: Any):
        super().__init__(data, render, CHART_SIZE, **kwargs)
        self.band: pd.DataFrame | None = None
        self._band_label: str | None = None
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
        # the levels in plot_series' styles: steps (a level holds until the next bar), stacked
        # widest first so walls and magnet on one strike all stay visible
        style: dict[str, Any] = {
            "spot": {"color": "black", "lw": 1.6, "zorder": 4},
            **{name: dict(LEVEL_STYLES[name]) for name in ("gamma_flip", *_LEVELS)},
        }
        # the bands over the regimes, under every line; stepped as their levels are
        self.bands: dict[str, FillBetweenPolyCollection] = {}
        for name in _BANDS:
            stepped = style[name].get("drawstyle") == "steps-post"
            self.bands[name] = ax.fill_between(
                [],
                [],
                [],
                color=style[name]["color"],
                alpha=_BAND_ALPHA,
                linewidth=0,
                zorder=1.8,
                step="post" if stepped else None,
            )
            self.bands[name].set_visible(False)
        self.lines: dict[str, Line2D] = {}
        for name, kw in style.items():
            (self.lines[name],) = ax.plot([], [], label=name.replace("_", " "), **kw)
        time_axis(ax)
        ax.set_xlabel("")
        plain_axis(ax)
        ax.set_ylabel("price")
        ax.grid(True, axis="y", alpha=0.3)
        self._handles: list[Any] = [
            *self.lines.values(),
            Patch(facecolor=REGIME_COLORS["positive_gamma"], alpha=0.3, label="+gamma"),
            Patch(facecolor=REGIME_COLORS["negative_gamma"], alpha=0.3, label="-gamma"),
        ]
        _legend_below(ax, self._handles)
        self.title = ax.set_title("spot and dealer levels", loc="left", fontsize="medium")
        self.chart.animated = [self.regimes, *self.bands.values(), *self.lines.values()]
        self.chart.extra_key = lambda: (self._band_label,)  # the legend's band entry
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
        return (title.strip(), float(spacing), x, codes, *self._band_arrays(frame.index), *columns)

    def _band_arrays(self, index: pd.Index) -> tuple[Any, ...]:
        """Return (models, (low, high) of each band level): 0 and empties when none."""
        band = self.band
        empty = (np.empty(0),) * (2 * len(_BANDS))
        if band is None or band.empty or not isinstance(band.columns, pd.MultiIndex):
            return (0, *empty)
        aligned = band.reindex(index)
        arrays: list[np.ndarray] = []
        for name in _BANDS:
            for side in ("low", "high"):
                if (name, side) in aligned.columns:
                    column = aligned[(name, side)]
                    arrays.append(column.to_numpy(dtype=float, na_value=np.nan))
                else:
                    arrays.append(np.full(len(index), np.nan))
        if not any(np.isfinite(a).any() for a in arrays):
            return (0, *empty)
        return (int(band.attrs.get("models", 0)), *arrays)

    def _apply(self, prepared: tuple[Any, ...]) -> None:
        title, spacing, x, codes, models, *rest = prepared
        bounds, columns = rest[: 2 * len(_BANDS)], rest[2 * len(_BANDS) :]
        shown: list[np.ndarray] = []
        for at, fill in enumerate(self.bands.values()):
            low, high = bounds[2 * at], bounds[2 * at + 1]
            visible = models > 0 and bool((np.isfinite(low) & np.isfinite(high)).any())
            if visible:
                fill.set_data(x, low, high)
                shown += [low, high]
            fill.set_visible(visible)
        self._show_band_legend(band_label(models) if shown else None)
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
        self.ax.set_ylim(*_sticky(self.ax.get_ylim(), _limits(*columns, *shown, pad=0.05)))
        self.title.set_text(title)

    def _show_band_legend(self, label: str | None) -> None:
        """Show the bands' legend entry (``None``: none), rebuilding the legend on a change."""
        if label == self._band_label:
            return
        self._band_label = label
        band = [] if label is None else [Patch(facecolor=_BAND_COLOR, alpha=0.35, label=label)]
        _legend_below(self.ax, [*self._handles, *band])
