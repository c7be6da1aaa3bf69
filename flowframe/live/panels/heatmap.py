"""The heatmap panel: one metric by strike and time, raw or per-bar delta, with spot."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import matplotlib.patheffects as path_effects
import numpy as np
import pandas as pd
from matplotlib.colorbar import Colorbar
from matplotlib.colors import Normalize
from matplotlib.ticker import ScalarFormatter

from flowframe import _params
from flowframe._constants import METRIC_UNITS, METRICS, MODES
from flowframe.analysis import heatmap_to_delta
from flowframe.live.chart import (
    _MARGINS,
    HEATMAP_SIZE,
    STICKY_HEADROOM,
    _coordinate,
    _days,
    _nice_norm,
    _regular,
    _session_span,
    _sticky,
)
from flowframe.live.contract import LiveData
from flowframe.live.panels.base import W, _ChartPanel, _symbol_of
from flowframe.plotting import (
    bar_spacing,
    color_norm,
    is_signed,
    money_formatter,
    plain_axis,
    time_axis,
)

__all__ = ["HeatmapPanel"]

AROUND_SPOT: Final = 0.03  # heatmap strikes kept around the session's spot range
STRIKE_MARGIN: Final = 3  # and strikes kept beyond the outermost ones with a value
ACTIVE_SHARE: Final = 0.01  # a strike "has a value" above 1% of the largest |value|


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
        (:func:`flowframe.heatmap_to_delta`, computed here from the raw array; the first
        bar, whose change the window does not hold, is left blank).

    Attributes
    ----------
    metric_control : ipywidgets.Dropdown
        The metric; changing it calls the :meth:`on_metric` callbacks (the dashboard links it
        to its ``metric`` trait, which points its poller at the new metric; the panel shows
        whatever metric its data holds).
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
