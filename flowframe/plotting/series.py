"""The series figure: spot with the dealer levels, over the gamma regime."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from flowframe.frames.checks import require_columns
from flowframe.plotting.axes import (
    _attr,
    _bar_part,
    _new_axes,
    _title,
    bar_spacing,
    date_nums,
    plain_axis,
    time_axis,
)
from flowframe.plotting.style import REGIME_ALPHA, REGIME_COLORS

__all__ = ["plot_series"]

_SERIES_COLUMNS: Final = ("spot", "gamma_flip", "call_wall", "put_wall", "magnet", "regime")


def _runs(labels: list[str | None]) -> list[tuple[str, int, int]]:
    """Return runs of equal labels as (label, first index, last index), missing runs dropped."""
    runs: list[tuple[str, int, int]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            label = labels[start]
            if label is not None:
                runs.append((label, start, i - 1))
            start = i
    return runs


def plot_series(frame: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Plot a series frame: spot with the dealer levels, on the gamma regime.

    Draws spot (solid), ``gamma_flip`` (dashed), ``call_wall`` and ``put_wall`` (step lines)
    and ``magnet`` (dotted), over background spans for each contiguous run of the ``regime``
    column (``positive_gamma`` light green, ``negative_gamma`` light red; other regimes and
    missing values are left unshaded). NaN values leave gaps in the lines.

    Parameters
    ----------
    frame : pandas.DataFrame
        A series frame (:func:`flowframe.frames.series_from_payload`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 11 x 5 inch figure when omitted.
    title : str, optional
        The title; by default ``"{symbol} spot, dealer levels and gamma regime
        ({bar_size} bars)"``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on, with a legend.

    Raises
    ------
    SchemaError
        The frame lacks any of ``spot, gamma_flip, call_wall, put_wall, magnet, regime``.
    ValueError
        The frame has no bars to plot.
    """
    require_columns(frame, _SERIES_COLUMNS, "plot_series")
    if frame.empty:
        raise ValueError("plot_series: the frame has no bars to plot")
    ax = _new_axes(ax)
    x = date_nums(frame.index)
    spacing = bar_spacing(x, frame.attrs.get("bar_size"))

    def column(name: str) -> np.ndarray:
        return frame[name].to_numpy(dtype=np.float64, na_value=np.nan)

    ax.plot(x, column("spot"), color="black", linewidth=1.6, label="spot", zorder=4)
    ax.plot(x, column("gamma_flip"), color="#7f7f7f", linestyle="--", label="gamma flip")
    ax.plot(x, column("call_wall"), color="#1f77b4", drawstyle="steps-post", label="call wall")
    ax.plot(x, column("put_wall"), color="#ff7f0e", drawstyle="steps-post", label="put wall")
    ax.plot(x, column("magnet"), color="#9467bd", linestyle=":", linewidth=1.8, label="magnet")

    labels = [None if pd.isna(v) else str(v) for v in frame["regime"].astype(object)]
    shaded: set[str] = set()
    for label, first, last in _runs(labels):
        color = REGIME_COLORS.get(label)
        if color is None:
            continue
        ax.axvspan(
            x[first] - spacing / 2.0,
            x[last] + spacing / 2.0,
            color=color,
            alpha=REGIME_ALPHA,
            linewidth=0,
            zorder=0,
            label=None if label in shaded else label.replace("_", " "),
        )
        shaded.add(label)

    ax.set_xlim(x[0] - spacing / 2.0, x[-1] + spacing / 2.0)
    time_axis(ax)
    plain_axis(ax)
    ax.set_ylabel("price")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", borderaxespad=0)

    symbol = _attr(frame.attrs, "symbol")
    default = "spot, dealer levels and gamma regime"
    default = f"{symbol} {default}" if symbol else default.capitalize()
    part = _bar_part(frame.attrs)
    _title(ax, title, f"{default} ({part})" if part else default)
    return ax
