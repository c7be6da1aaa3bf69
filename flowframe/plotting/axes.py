"""Axis helpers every figure draws with: new axes, time axes in US Eastern time, titles.

Time
    Bars are drawn centred at their ``t`` stamp. The x-axis is in US Eastern time
    (``America/New_York``) with ``HH:MM`` tick labels, whatever the frame's time zone; the
    data are plotted as matplotlib date numbers (days since the epoch, UTC), so
    ``matplotlib.dates.num2date(x, tz="America/New_York")`` reads any plotted x back.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Final

import matplotlib.dates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import ScalarFormatter

from flowframe._constants import BAR_SECONDS, ET
from flowframe.plotting.style import FIGSIZE

# matplotlib.dates ships no type hints: reach it through Any so that mypy --strict accepts calls
_mdates: Any = matplotlib.dates

__all__ = ["align_zeros", "bar_spacing", "date_nums", "plain_axis", "time_axis"]

_DEFAULT_SPACING_DAYS: Final = 60.0 / 86400.0


def _new_axes(ax: Axes | None, *, layout: str | None = "constrained") -> Axes:
    """Return ``ax``, or the axes of a new ``FIGSIZE`` pyplot figure when it is None."""
    if ax is not None:
        return ax
    fig = plt.figure(figsize=FIGSIZE, layout=layout)
    return fig.add_subplot()


def _utc_naive(values: Any) -> pd.DatetimeIndex:
    """Return times as a naive UTC index (aware times are converted, naive ones are UTC)."""
    index = pd.DatetimeIndex(values)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index


def date_nums(values: Any) -> np.ndarray:
    """Return matplotlib date numbers (days since the epoch, UTC) of times."""
    index = _utc_naive(values)
    nums = _mdates.date2num(index.to_numpy(dtype="datetime64[ns]"))
    return np.asarray(nums, dtype=np.float64)


def bar_spacing(x: np.ndarray, bar_size: object) -> float:
    """Return the typical bar spacing in days (median step; bar_size for a single bar)."""
    steps = np.diff(x)
    steps = steps[steps > 0]
    if steps.size:
        return float(np.median(steps))
    if isinstance(bar_size, str) and bar_size in BAR_SECONDS:
        return BAR_SECONDS[bar_size] / 86400.0
    return _DEFAULT_SPACING_DAYS


def _edges(centres: np.ndarray, single_width: float) -> np.ndarray:
    """Return cell edges around ascending centres (midpoints; half a step beyond the ends)."""
    if centres.size == 1:
        half = single_width / 2.0
        return np.array([centres[0] - half, centres[0] + half])
    mids = (centres[1:] + centres[:-1]) / 2.0
    first = centres[0] - (mids[0] - centres[0])
    last = centres[-1] + (centres[-1] - mids[-1])
    return np.concatenate([[first], mids, [last]])


def time_axis(ax: Axes) -> None:
    """Put HH:MM tick labels in US Eastern time on the x-axis."""
    locator = _mdates.AutoDateLocator(tz=ET, minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_mdates.DateFormatter("%H:%M", tz=ET))
    ax.set_xlabel("time (ET)")


def plain_axis(ax: Axes, which: str = "y") -> None:
    """Write plain numbers (no offset, no scientific notation) on a price axis."""
    formatter = ScalarFormatter(useOffset=False)
    formatter.set_scientific(False)
    (ax.yaxis if which == "y" else ax.xaxis).set_major_formatter(formatter)


def align_zeros(ax1: Axes, ax2: Axes) -> None:
    """Set the y-limits of two axes on one x-axis (``twinx``) so that their zeros line up.

    Each axis keeps every value it shows: its current y-limits (after autoscaling; widened
    to include zero) stay inside the new ones. Zero goes to the height (as a fraction of the
    axes) where both axes are widened by the same factor, the least either must give up:
    with zero at fractions ``f1 <= f2`` of the two heights, that is ``f2 / (1 - f1 + f2)``.
    One horizontal line at zero is then zero on both axes. Call it after drawing; it fixes
    the limits (autoscaling is off afterwards).

    Parameters
    ----------
    ax1, ax2 : matplotlib.axes.Axes
        The two axes, for example a plot's axes and its ``twinx()``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [-1.0, 9.0])
    >>> twin = ax.twinx()
    >>> _ = twin.plot([0, 1], [-30.0, 10.0])
    >>> align_zeros(ax, twin)
    >>> [round(float(-lo / (hi - lo)), 4) for lo, hi in (ax.get_ylim(), twin.get_ylim())]
    [0.4571, 0.4571]
    >>> plt.close(fig)
    """
    limits = []
    for axes in (ax1, ax2):
        lo, hi = (float(v) for v in axes.get_ylim())
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        if not hi > lo:
            lo, hi = -1.0, 1.0
        limits.append((lo, hi))
    f1, f2 = sorted(-lo / (hi - lo) for lo, hi in limits)
    zero = f2 / (1.0 - f1 + f2)
    for axes, (lo, hi) in zip((ax1, ax2), limits, strict=True):
        below = -lo / zero if zero > 0 else 0.0
        above = hi / (1.0 - zero) if zero < 1 else 0.0
        span = max(below, above)
        axes.set_ylim(-zero * span, (1.0 - zero) * span)


def _attr(attrs: Mapping[Hashable, Any], key: str) -> str | None:
    """Return ``attrs[key]`` as text, or None when absent."""
    value = attrs.get(key)
    return None if value is None else str(value)


def _bar_part(attrs: Mapping[Hashable, Any]) -> str | None:
    """Return ``"{bar_size} bars"`` for a title, or None without a bar size."""
    size = _attr(attrs, "bar_size")
    return f"{size} bars" if size else None


def _title(ax: Axes, title: str | None, default: str) -> None:
    """Set ``title``, or ``default`` when it is None."""
    ax.set_title(default if title is None else title)
