"""The hedge-flow figure: per-bar flow as bars, the cumulative as a line, an optional price."""

from __future__ import annotations

import json
from typing import Any, Final

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from flowframe._constants import HEDGE_COLUMNS
from flowframe.frames.band import band
from flowframe.frames.checks import require_columns
from flowframe.frames.ensemble import is_model_frame
from flowframe.plotting.axes import (
    _attr,
    _bar_part,
    _new_axes,
    _title,
    align_zeros,
    bar_spacing,
    date_nums,
    plain_axis,
    time_axis,
)
from flowframe.plotting.style import (
    _MONEY_DECIMALS,
    BUY_COLOR,
    CALLS_COLOR,
    CUMULATIVE_COLOR,
    PRICE_COLOR,
    PUTS_COLOR,
    SELL_COLOR,
    _sign_colors,
    money_formatter,
)

__all__ = ["plot_hedge"]

_SPLIT_LEGS: Final = ("calls_bar", "calls_cumulative", "puts_bar", "puts_cumulative")
_PRICE_SPINE_OFFSET: Final = 80.0  # points right of the cumulative axis


def _price_series(frame: pd.DataFrame, price: pd.Series | bool | None) -> pd.Series | None:
    """Return the price to overlay: None, ``frame["spot"]``, or a checked Series."""
    if price is None or price is False:
        return None
    if price is True:
        require_columns(frame, ("spot",), "plot_hedge(price=True)")
        return frame["spot"]
    if not isinstance(price, pd.Series):
        raise TypeError(
            f"plot_hedge: price must be None, True or a pandas Series, got {type(price).__name__}"
        )
    if not isinstance(price.index, pd.DatetimeIndex):
        raise ValueError("plot_hedge: a price Series must be indexed by time")
    return price


def _models(n: int) -> str:
    return f"{n} model" if n == 1 else f"{n} models"


def _median_and_band(
    frame: pd.DataFrame,
) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray, int]]:
    """Return the per-bar median frame of an ensemble's frame, and its cumulative band.

    Both from :func:`flowframe.frames.band` (min, median, max over the models, NaN skipped).
    """
    reduced = band(frame)
    n = len(json.loads(reduced.attrs["band_of"]))
    fields = [f for f in ("bar", "cumulative", *_SPLIT_LEGS) if (f, "median") in reduced.columns]
    median = pd.DataFrame({f: reduced[(f, "median")] for f in fields}, index=frame.index)
    median.attrs = dict(frame.attrs)
    if "cumulative" not in fields:
        return median, (np.array([]), np.array([]), n)
    low = reduced[("cumulative", "low")].to_numpy(dtype=np.float64, na_value=np.nan)
    high = reduced[("cumulative", "high")].to_numpy(dtype=np.float64, na_value=np.nan)
    return median, (low, high, n)


def plot_hedge(
    frame: pd.DataFrame,
    *,
    ax: Axes | None = None,
    price: pd.Series | bool | None = None,
    legs: bool | None = None,
    title: str | None = None,
) -> Axes:
    """Plot a hedge-flow frame: per-bar flow as bars, the cumulative as a line.

    The per-bar flow is drawn as bars on the main (left) y-axis, green where dealers buy and
    red where they sell. The cumulative flow is a line on a twin y-axis on the right; the two
    axes put zero at the same height (:func:`~flowframe.plotting.axes.align_zeros`, each
    keeping all its data in view), so the one horizontal zero line is zero on both. For a
    split frame (:func:`flowframe.frames.split_hedge_flow`) the calls and puts cumulatives are
    added as dashed lines on that axis. One legend labels everything; it belongs to the
    topmost axes (so that it is drawn above every line) and sits below the plot, under the
    time label, so that it never hides data. A figure created here leaves room for it and
    for the price axis; on axes you pass, make that room yourself.

    Parameters
    ----------
    frame : pandas.DataFrame
        A hedge-flow frame (index ``t``, columns ``bar`` and ``cumulative``; optionally the
        split columns ``calls_bar, calls_cumulative, puts_bar, puts_cumulative``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 11 x 5 inch figure when omitted.
    price : pandas.Series or True, optional
        A price to overlay (for example a series frame's ``spot``), indexed by time (naive
        times are read as UTC); ``True`` uses ``frame["spot"]``. Only the part within the
        frame's time window is drawn, on a third y-axis whose spine is offset 80 points to
        the right of the cumulative axis.
    legs : bool, optional
        Whether to draw the calls and puts cumulatives. ``None`` draws them when the frame has
        the split columns; ``True`` requires them; ``False`` never draws them.
    title : str, optional
        The title; by default ``"{symbol} dealer hedge-flow ({side}, {bar_size} bars)"`` from
        the frame's attrs (parts that are missing are left out).

    Returns
    -------
    matplotlib.axes.Axes
        The main axes (the bars). The twin axes are in ``ax.figure.axes``.

    Raises
    ------
    SchemaError
        The frame lacks ``bar``/``cumulative`` (or the split columns with ``legs=True``, or
        ``spot`` with ``price=True``), or is not indexed by tz-aware time.
    ValueError
        The frame has no bars to plot.
    """
    band = None
    if is_model_frame(frame):  # an ensemble's frame: the median, and the min-max band
        frame, band = _median_and_band(frame)
    require_columns(frame, HEDGE_COLUMNS, "plot_hedge")
    if legs:
        require_columns(frame, _SPLIT_LEGS, "plot_hedge(legs=True)")
    draw_legs = legs is not False and all(c in frame.columns for c in _SPLIT_LEGS)
    if frame.empty:
        raise ValueError("plot_hedge: the frame has no bars to plot")
    overlay = _price_series(frame, price)

    created = ax is None
    ax = _new_axes(ax, layout=None)
    x = date_nums(frame.index)
    spacing = bar_spacing(x, frame.attrs.get("bar_size"))
    bars = frame["bar"].to_numpy(dtype=np.float64, na_value=np.nan)
    ax.bar(
        x,
        np.nan_to_num(bars, nan=0.0),
        width=spacing * 0.8,
        color=_sign_colors(bars),
        linewidth=0,
        label="per-bar flow",
        zorder=2,
    )
    ax.axhline(0.0, color="#555555", linewidth=0.8, zorder=1)
    ax.set_ylabel("per-bar flow (delta $)")
    ax.yaxis.set_major_formatter(money_formatter(_MONEY_DECIMALS))
    ax.set_xlim(x[0] - spacing, x[-1] + spacing)
    time_axis(ax)

    twin = ax.twinx()
    twin.plot(
        x,
        frame["cumulative"].to_numpy(dtype=np.float64, na_value=np.nan),
        color=CUMULATIVE_COLOR,
        linewidth=2.0,
        label="cumulative" if band is None else f"cumulative, median of {_models(band[2])}",
    )
    band_patch = None
    if band is not None:
        low, high, n = band
        twin.fill_between(
            x, low, high, color=CUMULATIVE_COLOR, alpha=0.18, linewidth=0, step=None, zorder=0
        )
        band_patch = Patch(
            facecolor=CUMULATIVE_COLOR, alpha=0.18, label=f"band: {_models(n)} (min-max)"
        )
    if draw_legs:
        for leg, color in (("calls", CALLS_COLOR), ("puts", PUTS_COLOR)):
            twin.plot(
                x,
                frame[f"{leg}_cumulative"].to_numpy(dtype=np.float64, na_value=np.nan),
                color=color,
                linewidth=1.5,
                linestyle="--",
                label=f"{leg} cumulative",
            )
    twin.set_ylabel("cumulative (delta $)")
    twin.yaxis.set_major_formatter(money_formatter(_MONEY_DECIMALS))
    # one zero line for both axes: the bars' zero would otherwise sit beside some non-zero
    # cumulative, and a cumulative crossing it would look like a change of sign
    align_zeros(ax, twin)
    top = twin

    if overlay is not None:
        third = ax.twinx()
        # offset in points, not axes fraction, so the gap fits the cumulative axis's labels
        # whatever the axes' width
        third.spines["right"].set_position(("outward", _PRICE_SPINE_OFFSET))
        third.spines["right"].set_color(PRICE_COLOR)
        px = date_nums(overlay.index)
        # only the frame's window, so that the price axis scales to what is shown
        shown = (px >= x[0] - spacing) & (px <= x[-1] + spacing)
        third.plot(
            px[shown],
            overlay.to_numpy(dtype=np.float64, na_value=np.nan)[shown],
            color=PRICE_COLOR,
            linewidth=1.2,
            alpha=0.9,
            label=str(overlay.name) if overlay.name is not None else "price",
        )
        third.set_ylabel("price", color=PRICE_COLOR)
        third.tick_params(axis="y", colors=PRICE_COLOR)
        plain_axis(third)
        ax.set_xlim(x[0] - spacing, x[-1] + spacing)
        top = third
        if created:
            ax.figure.subplots_adjust(left=0.08, right=0.82, bottom=0.2)
    elif created:
        ax.figure.subplots_adjust(left=0.08, right=0.9, bottom=0.2)

    handles: list[Any] = [
        Patch(facecolor=BUY_COLOR, label="dealers buy"),
        Patch(facecolor=SELL_COLOR, label="dealers sell"),
    ]
    for axes in (twin, top) if top is not twin else (twin,):
        handles.extend(axes.get_lines())
    if band_patch is not None:
        handles.append(band_patch)
    # below the axes (under the time label), so that it never hides a bar or a line
    top.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        ncols=min(len(handles), 7),
        fontsize="small",
        frameon=False,
    )

    symbol = _attr(frame.attrs, "symbol")
    parts = [p for p in (_attr(frame.attrs, "side"), _bar_part(frame.attrs)) if p]
    default = f"{symbol} dealer hedge-flow" if symbol else "Dealer hedge-flow"
    if parts:
        default += f" ({', '.join(parts)})"
    if band is not None:
        default += f": median of {_models(band[2])}, band min-max"
    _title(ax, title, default)
    return ax
