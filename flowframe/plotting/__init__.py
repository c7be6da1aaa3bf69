"""The plotting layer: pure matplotlib functions on the frames layer's objects.

Each function takes a frame or array and returns the ``Axes`` it drew on; none fetches data
or keeps state. ``df.flow`` / ``da.flow`` forward here. The building blocks (``time_axis``,
``color_norm``, ...) are public for the live layer's charts, which draw the same way.

One module per figure, on two shared ones:

- :mod:`~flowframe.plotting.hedge`: :func:`plot_hedge`;
- :mod:`~flowframe.plotting.series`: :func:`plot_series`;
- :mod:`~flowframe.plotting.heatmap`: :func:`plot_heatmap` and its colour scale
  (:func:`color_norm`, :func:`is_signed`);
- :mod:`~flowframe.plotting.profile`: :func:`plot_profile`;
- :mod:`~flowframe.plotting.pin`: :func:`plot_pin`;
- :mod:`~flowframe.plotting.reliability`: :func:`plot_reliability`;
- :mod:`~flowframe.plotting.style`: colours, ``FIGSIZE``, :func:`format_money`,
  :func:`money_formatter`;
- :mod:`~flowframe.plotting.axes`: :func:`time_axis`, :func:`plain_axis`, :func:`date_nums`,
  :func:`bar_spacing`, :func:`align_zeros`.

Every ``plot_*`` function is pure matplotlib: it never selects a backend and never calls
``plt.show()``, so it works the same in a notebook, a script or a test under ``Agg``. Each takes
``ax=None``; with ``None`` it creates a new pyplot figure (``plt.figure`` + ``add_subplot``, so
a notebook shows it automatically), otherwise it draws on the given axes and leaves the
figure's size and layout alone. Each returns the main :class:`~matplotlib.axes.Axes`; extra
y-axes (``twinx``) and colorbars are added to the same figure and can be found in
``ax.figure.axes``.

Conventions
-----------
Time
    Bars are drawn centred at their ``t`` stamp. The x-axis is in US Eastern time
    (``America/New_York``) with ``HH:MM`` tick labels, whatever the frame's time zone; the
    data are plotted as matplotlib date numbers (days since the epoch, UTC), so
    ``matplotlib.dates.num2date(x, tz="America/New_York")`` reads any plotted x back.
Money
    Dollar axes use :func:`money_formatter` (``$12.4M``, ``-$850K``; see :func:`format_money`).
Colour
    A per-bar or per-strike value is green (``#2ca02c``, dealers buy / positive) when ``>= 0``,
    red (``#d62728``, dealers sell / negative) when ``< 0`` and grey when NaN (drawn with zero
    length, so bars still line up one to one with the data).
"""

from flowframe.plotting.axes import align_zeros, bar_spacing, date_nums, plain_axis, time_axis
from flowframe.plotting.heatmap import color_norm, is_signed, plot_diff, plot_heatmap
from flowframe.plotting.hedge import plot_hedge
from flowframe.plotting.pin import plot_pin
from flowframe.plotting.profile import plot_profile
from flowframe.plotting.reliability import plot_reliability
from flowframe.plotting.series import plot_series
from flowframe.plotting.style import (
    BUY_COLOR,
    CALLS_COLOR,
    CUMULATIVE_COLOR,
    FIGSIZE,
    LEVEL_STYLES,
    NAN_COLOR,
    NEUTRAL_COLOR,
    PRICE_COLOR,
    PUTS_COLOR,
    REGIME_ALPHA,
    REGIME_COLORS,
    SELL_COLOR,
    format_money,
    money_formatter,
)

__all__ = [
    "BUY_COLOR",
    "CALLS_COLOR",
    "CUMULATIVE_COLOR",
    "FIGSIZE",
    "LEVEL_STYLES",
    "NAN_COLOR",
    "NEUTRAL_COLOR",
    "PRICE_COLOR",
    "PUTS_COLOR",
    "REGIME_ALPHA",
    "REGIME_COLORS",
    "SELL_COLOR",
    "align_zeros",
    "bar_spacing",
    "color_norm",
    "date_nums",
    "format_money",
    "is_signed",
    "money_formatter",
    "plain_axis",
    "plot_diff",
    "plot_heatmap",
    "plot_hedge",
    "plot_pin",
    "plot_profile",
    "plot_reliability",
    "plot_series",
    "time_axis",
]
