"""The plotting layer: pure matplotlib functions on the frames layer's objects.

Each function takes a frame or array and returns the ``Axes`` it drew on; none fetches data
or keeps state. ``df.flow`` / ``da.flow`` forward here. The building blocks (``time_axis``,
``color_norm``, ...) are public for the live layer's charts, which draw the same way.
"""

from flowframe.plotting.figures import (
    BUY_COLOR,
    CALLS_COLOR,
    CUMULATIVE_COLOR,
    FIGSIZE,
    NAN_COLOR,
    NEUTRAL_COLOR,
    PRICE_COLOR,
    PUTS_COLOR,
    REGIME_ALPHA,
    REGIME_COLORS,
    SELL_COLOR,
    bar_spacing,
    color_norm,
    date_nums,
    format_money,
    is_signed,
    money_formatter,
    plain_axis,
    plot_heatmap,
    plot_hedge,
    plot_profile,
    plot_series,
    time_axis,
)

__all__ = [
    "BUY_COLOR",
    "CALLS_COLOR",
    "CUMULATIVE_COLOR",
    "FIGSIZE",
    "NAN_COLOR",
    "NEUTRAL_COLOR",
    "PRICE_COLOR",
    "PUTS_COLOR",
    "REGIME_ALPHA",
    "REGIME_COLORS",
    "SELL_COLOR",
    "bar_spacing",
    "color_norm",
    "date_nums",
    "format_money",
    "is_signed",
    "money_formatter",
    "plain_axis",
    "plot_heatmap",
    "plot_hedge",
    "plot_profile",
    "plot_series",
    "time_axis",
]
