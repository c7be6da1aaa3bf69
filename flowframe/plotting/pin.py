"""The pin figure: the pin score (a 0-100 score) and the pin probability (a percentage)."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from flowframe.frames.checks import require_columns
from flowframe.plotting.axes import (
    _attr,
    _bar_part,
    _new_axes,
    _title,
    bar_spacing,
    date_nums,
    time_axis,
)

__all__ = ["plot_pin"]

_PIN_COLUMNS: Final = ("pin_score", "pin_probability_pct")
_SCORE_COLOR: Final = "#1f77b4"
_PROBABILITY_COLOR: Final = "#8c564b"
_HEADROOM: Final = 1.15  # the probability axis reaches 15% above the largest value


def plot_pin(frame: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Plot a series frame's pin score and pin probability, each on its own y-axis.

    They are different things: ``pin_score`` is a 0-100 score (how strongly the state
    looks like a pin: gamma concentration near the magnet, time left, regime), and
    ``pin_probability_pct`` is a probability in percent (the lognormal odds of closing
    within half a strike of the magnet). A score of 70 is not a 70% chance, so they never
    share an axis: the score is a solid blue line on the left axis, fixed at 0 to 100 and
    labelled ``"pin score (0-100 score)"``; the probability is a dashed brown line on a twin
    axis on the right, from 0% to 15% above its largest value, labelled ``"pin probability
    (%)"``, with its ticks and label in its line's colour. Both axes start at zero. NaN
    values leave gaps.

    Parameters
    ----------
    frame : pandas.DataFrame
        A series frame (:func:`flowframe.frames.series_from_payload`) with ``pin_score``
        and ``pin_probability_pct``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 11 x 5 inch figure when omitted.
    title : str, optional
        The title; by default ``"{symbol} pin score and pin probability ({bar_size}
        bars)"``.

    Returns
    -------
    matplotlib.axes.Axes
        The score's axes; the probability's (its ``twinx``) is in ``ax.figure.axes``.

    Raises
    ------
    SchemaError
        The frame lacks ``pin_score`` or ``pin_probability_pct``, or is not indexed by
        tz-aware time.
    ValueError
        The frame has no bars to plot.
    """
    require_columns(frame, _PIN_COLUMNS, "plot_pin")
    if frame.empty:
        raise ValueError("plot_pin: the frame has no bars to plot")
    ax = _new_axes(ax)
    x = date_nums(frame.index)
    spacing = bar_spacing(x, frame.attrs.get("bar_size"))
    score = frame["pin_score"].to_numpy(dtype=np.float64, na_value=np.nan)
    probability = frame["pin_probability_pct"].to_numpy(dtype=np.float64, na_value=np.nan)

    ax.plot(x, score, color=_SCORE_COLOR, linewidth=1.8, label="pin score")
    ax.set_ylim(0.0, 100.0)
    ax.set_ylabel("pin score (0-100 score)", color=_SCORE_COLOR)
    ax.tick_params(axis="y", colors=_SCORE_COLOR)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_xlim(x[0] - spacing / 2.0, x[-1] + spacing / 2.0)
    time_axis(ax)

    twin = ax.twinx()
    twin.plot(
        x,
        probability,
        color=_PROBABILITY_COLOR,
        linewidth=1.8,
        linestyle="--",
        label="pin probability",
    )
    top = float(np.nanmax(probability)) if np.isfinite(probability).any() else 0.0
    twin.set_ylim(0.0, min(100.0, max(top * _HEADROOM, 1.0)))
    twin.set_ylabel("pin probability (%)", color=_PROBABILITY_COLOR)
    twin.tick_params(axis="y", colors=_PROBABILITY_COLOR)
    twin.yaxis.set_major_formatter(PercentFormatter(xmax=100.0, decimals=0 if top >= 5 else None))
    twin.legend(
        handles=[*ax.get_lines(), *twin.get_lines()],
        loc="upper left",
        fontsize="small",
        framealpha=0.85,
    )

    symbol = _attr(frame.attrs, "symbol")
    default = "pin score and pin probability"
    default = f"{symbol} {default}" if symbol else default.capitalize()
    part = _bar_part(frame.attrs)
    _title(ax, title, f"{default} ({part})" if part else default)
    return ax
