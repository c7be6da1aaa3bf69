"""The look shared by every figure: colours, figure size and money formatting.

Colour
    A per-bar or per-strike value is green (``BUY_COLOR``, dealers buy / positive) when
    ``>= 0``, red (``SELL_COLOR``, dealers sell / negative) when ``< 0`` and grey
    (``NAN_COLOR``) when NaN. Regime spans use ``REGIME_COLORS`` at ``REGIME_ALPHA``.
Levels
    The dealer levels over time use ``LEVEL_STYLES``: one colour, dash pattern and width
    each, stacked so that levels at the same strike all stay visible.
Money
    Dollar axes use :func:`money_formatter` (``$12.4M``, ``-$850K``; see :func:`format_money`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
from matplotlib.ticker import FuncFormatter

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
    "format_money",
    "money_formatter",
]

BUY_COLOR: Final = "#2ca02c"
SELL_COLOR: Final = "#d62728"
NAN_COLOR: Final = "#999999"
NEUTRAL_COLOR: Final = "#1f77b4"
CUMULATIVE_COLOR: Final = "#1f3b73"
CALLS_COLOR: Final = "#9467bd"
PUTS_COLOR: Final = "#ff7f0e"
PRICE_COLOR: Final = "#444444"
REGIME_COLORS: Final = {"positive_gamma": "#2ca02c", "negative_gamma": "#d62728"}
REGIME_ALPHA: Final = 0.12
FIGSIZE: Final = (11.0, 5.0)
# The dealer levels over time (``Line2D`` keywords by series column). A wall or the magnet is a
# strike that holds until the next bar, so each is a step line; they often sit on the same
# strike, so each has its own colour, dash pattern and width, and the wider a line the lower
# it is drawn: where the call wall, the put wall and the magnet coincide one sees a wide pale
# blue band, orange dashes on it and purple dots on top. All are drawn under spot (zorder 4).
LEVEL_STYLES: Final[Mapping[str, Mapping[str, Any]]] = {
    "gamma_flip": {"color": "#7f7f7f", "linestyle": "--", "linewidth": 1.2, "zorder": 2.0},
    "call_wall": {
        "color": "#1f77b4",
        "linestyle": "-",
        "linewidth": 5.0,
        "alpha": 0.45,
        "drawstyle": "steps-post",
        "solid_joinstyle": "miter",
        "zorder": 2.1,
    },
    "put_wall": {
        "color": "#ff7f0e",
        "linestyle": "--",
        "linewidth": 2.2,
        "drawstyle": "steps-post",
        "zorder": 2.2,
    },
    "magnet": {
        "color": "#9467bd",
        "linestyle": ":",
        "linewidth": 1.6,
        "drawstyle": "steps-post",
        "dash_capstyle": "round",
        "zorder": 2.3,
    },
}


_SUFFIXES: Final = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
_MONEY_DECIMALS: Final = 2  # axes: enough for ticks such as $1.25M


def _strip(text: str) -> str:
    """Drop trailing zeros after a decimal point, and the point itself if nothing is left."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_money(value: float, *, decimals: int = 1) -> str:
    """Write a dollar amount compactly: ``$12.4M``, ``-$850K``, ``$1.25B``, ``$512``.

    Rules, in order:

    * NaN gives ``"n/a"``; infinities give ``"$inf"`` and ``"-$inf"``.
    * ``|value| >= 1e12`` is written in trillions (``T``), ``>= 1e9`` in billions (``B``),
      ``>= 1e6`` in millions (``M``), ``>= 1e3`` in thousands (``K``), each rounded to
      ``decimals`` decimals; below ``1e3`` the amount is rounded to whole dollars.
    * Trailing zeros after the decimal point are dropped, and the point with them:
      ``12_000_000`` gives ``$12M``, ``12_400_000`` gives ``$12.4M``.
    * The suffix is chosen after rounding, so ``999_960`` gives ``$1M`` (not ``$1000K``).
    * A negative amount puts the sign before the dollar sign (``-$1.2B``); an amount that
      rounds to zero has no sign (``-0.3`` gives ``$0``).

    Parameters
    ----------
    value : float
        The amount in dollars.
    decimals : int, default 1
        Decimals kept for amounts written with a suffix (at most; trailing zeros are dropped).

    Returns
    -------
    str
        The formatted amount.

    Raises
    ------
    ValueError
        ``decimals`` is negative.

    Examples
    --------
    >>> format_money(12_400_000)
    '$12.4M'
    >>> format_money(-850_000)
    '-$850K'
    >>> format_money(1_234_567_890, decimals=2)
    '$1.23B'
    >>> format_money(float("nan"))
    'n/a'
    """
    if decimals < 0:
        raise ValueError(f"format_money: decimals must be >= 0, got {decimals}")
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "-$inf" if value < 0 else "$inf"
    size = abs(float(value))
    text = f"{size:.0f}"
    if text == "0":
        return "$0"
    if float(text) >= 1e3:
        # the smallest unit whose rounded amount stays below 1000 (T has no upper bound)
        for scale, suffix in reversed(_SUFFIXES):
            scaled = f"{size / scale:.{decimals}f}"
            if float(scaled) < 1e3 or suffix == "T":
                text = _strip(scaled) + suffix
                break
    return f"-${text}" if value < 0 else f"${text}"


def money_formatter(decimals: int = 1) -> FuncFormatter:
    """Make a tick formatter that writes values with :func:`format_money`.

    Parameters
    ----------
    decimals : int, default 1
        Passed to :func:`format_money`.

    Returns
    -------
    matplotlib.ticker.FuncFormatter
        Use with ``axis.set_major_formatter``.
    """
    if decimals < 0:
        raise ValueError(f"money_formatter: decimals must be >= 0, got {decimals}")

    def _format(x: float, pos: int | None = None) -> str:
        return format_money(x, decimals=decimals)

    return FuncFormatter(_format)


def _is_money(units: str) -> bool:
    """Whether a units label (``attrs["units"]``) is in dollars."""
    return units.startswith("USD")


def _sign_colors(values: np.ndarray) -> list[str]:
    """Colour each value by its sign: buy if ``>= 0``, sell if ``< 0``, grey if NaN."""
    return [NAN_COLOR if np.isnan(v) else (BUY_COLOR if v >= 0 else SELL_COLOR) for v in values]
