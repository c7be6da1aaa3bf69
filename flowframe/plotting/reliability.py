"""The reliability figure: predicted probability against observed frequency, bin by bin."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from flowframe.frames.checks import require_columns
from flowframe.plotting.axes import _new_axes, _title

__all__ = ["plot_reliability"]

_RELIABILITY_COLUMNS: Final = ("kind", "count", "predicted", "observed")
_COLORS: Final = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
# where each kind's count labels sit around its points (points), so that kinds whose bins
# land close together do not write over each other
_OFFSETS: Final = ((6.0, -11.0), (-6.0, 6.0), (6.0, 6.0), (-6.0, -11.0))
_LIMITS: Final = (-0.02, 1.02)
_LABEL_BOX: Final = {
    "boxstyle": "round,pad=0.15",
    "facecolor": "white",
    "edgecolor": "none",
    "alpha": 0.8,
}


def plot_reliability(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    min_count: int = 20,
) -> Axes:
    """Plot a reliability table: each bin's observed frequency against its mean prediction.

    One line with markers per ``kind`` (in the table's order) joins its bins, over the
    dashed diagonal of perfect calibration. Every point is labelled with its ``count``, the
    number of predictions in the bin, since a bin of 2 predictions can sit anywhere and
    means little while one of 400 pins the frequency down; points resting on fewer than
    ``min_count`` predictions are also drawn hollow. Both axes run from 0 to 1 (a little
    beyond, so that points on the edges stay whole) at the same scale; the legend sits
    to the right of the axes.

    Parameters
    ----------
    table : pandas.DataFrame
        A reliability table (:func:`flowframe.calibration.reliability`): one row per kind
        and bin with columns ``kind, count, predicted, observed``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 11 x 5 inch figure when omitted.
    title : str, optional
        The title; by default ``"Reliability: predicted probability against observed
        frequency"``.
    min_count : int, default 20
        Points on fewer predictions than this are drawn hollow.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: one line per kind (labelled with the kind), the diagonal
        (``"calibrated"``) and one :class:`~matplotlib.text.Annotation` per bin, whose text
        is its count and whose ``xy`` is its point.

    Raises
    ------
    SchemaError
        The table lacks any of ``kind, count, predicted, observed``.
    ValueError
        The table has no bins.
    """
    require_columns(table, _RELIABILITY_COLUMNS, "plot_reliability", time_index=False)
    if table.empty:
        raise ValueError("plot_reliability: the table has no bins to plot")
    ax = _new_axes(ax)
    ax.plot([0.0, 1.0], [0.0, 1.0], color="grey", linewidth=1.0, linestyle="--", label="calibrated")
    for i, (kind, group) in enumerate(table.groupby("kind", sort=False, observed=True)):
        color = _COLORS[i % len(_COLORS)]
        predicted = group["predicted"].to_numpy(dtype=np.float64)
        observed = group["observed"].to_numpy(dtype=np.float64)
        counts = group["count"].to_numpy(dtype=np.int64)
        ax.plot(predicted, observed, color=color, marker="o", linewidth=1.5, label=str(kind))
        few = counts < min_count
        if few.any():  # hollow: white faces over the line's filled markers
            ax.plot(
                predicted[few],
                observed[few],
                linestyle="none",
                marker="o",
                markerfacecolor="white",
                markeredgecolor=color,
                label="_few",
            )
        dx, dy = _OFFSETS[i % len(_OFFSETS)]
        for px, py, n in zip(predicted, observed, counts, strict=True):
            ax.annotate(
                str(n),
                xy=(float(px), float(py)),
                xytext=(dx, dy),
                textcoords="offset points",
                ha="left" if dx > 0 else "right",
                fontsize="x-small",
                color=color,
                bbox=_LABEL_BOX,  # readable over the lines it sits on
                zorder=5,
            )
    handles: list[Any] = list(ax.get_legend_handles_labels()[0])
    handles.append(
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markerfacecolor="white",
            markeredgecolor="grey",
            label=f"hollow: fewer than {min_count} predictions",
        )
    )
    handles.append(Line2D([], [], linestyle="none", label="numbers: predictions per bin"))
    # beside the axes, so that it never hides a point or its count
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0,
        fontsize="small",
        frameon=False,
    )
    ax.set_xlim(*_LIMITS)
    ax.set_ylim(*_LIMITS)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("predicted probability (bin mean)")
    ax.set_ylabel("observed frequency")
    ax.grid(True, alpha=0.3)
    _title(ax, title, "Reliability: predicted probability against observed frequency")
    return ax
