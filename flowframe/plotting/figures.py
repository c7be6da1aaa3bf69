"""Matplotlib pictures of flowframe's frames and arrays: hedge-flow, series, heatmap, profile.

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

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Mapping
from typing import Any, Final

import matplotlib.dates
import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, ScalarFormatter

from flowframe._constants import BAR_SECONDS, ET, HEDGE_COLUMNS, METRIC_UNITS, SIGNED_METRICS
from flowframe.analysis import nearest_bar
from flowframe.frames.checks import require_columns, require_grid

# matplotlib.dates ships no type hints: reach it through Any so that mypy --strict accepts calls
_mdates: Any = matplotlib.dates

__all__ = [
    "format_money",
    "money_formatter",
    "plot_heatmap",
    "plot_hedge",
    "plot_profile",
    "plot_series",
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

_SUFFIXES: Final = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
_SERIES_COLUMNS: Final = ("spot", "gamma_flip", "call_wall", "put_wall", "magnet", "regime")
_SPLIT_LEGS: Final = ("calls_bar", "calls_cumulative", "puts_bar", "puts_cumulative")
_DEFAULT_SPACING_DAYS: Final = 60.0 / 86400.0
_MONEY_DECIMALS: Final = 2  # axes: enough for ticks such as $1.25M
_PRICE_SPINE_OFFSET: Final = 80.0  # points right of the cumulative axis
_ROBUST_PERCENTILES: Final = (2.0, 98.0)

# --------------------------------------------------------------------------- money


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


# --------------------------------------------------------------------------- shared helpers


def _new_axes(ax: Axes | None, *, layout: str | None = "constrained") -> Axes:
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


def _sign_colors(values: np.ndarray) -> list[str]:
    return [NAN_COLOR if np.isnan(v) else (BUY_COLOR if v >= 0 else SELL_COLOR) for v in values]


def _attr(attrs: Mapping[Hashable, Any], key: str) -> str | None:
    value = attrs.get(key)
    return None if value is None else str(value)


def _is_money(units: str) -> bool:
    return units.startswith("USD")


def _title(ax: Axes, title: str | None, default: str) -> None:
    ax.set_title(default if title is None else title)


# --------------------------------------------------------------------------- hedge-flow


def _price_series(frame: pd.DataFrame, price: pd.Series | bool | None) -> pd.Series | None:
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
    red where they sell. The cumulative flow is a line on a twin y-axis on the right. For a
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
        label="cumulative",
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
    _title(ax, title, default)
    return ax


def _bar_part(attrs: Mapping[Hashable, Any]) -> str | None:
    size = _attr(attrs, "bar_size")
    return f"{size} bars" if size else None


# --------------------------------------------------------------------------- series


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


# --------------------------------------------------------------------------- heatmap, profile


def is_signed(array: xr.DataArray, values: np.ndarray) -> bool:
    """Whether values carry a sign: a signed metric, delta mode, or (unknown) negatives."""
    metric = array.attrs.get("metric")
    if metric in SIGNED_METRICS or array.attrs.get("mode") == "delta":
        return True
    if metric in METRIC_UNITS:
        return False
    return bool(np.nanmin(values, initial=0.0) < 0) if values.size else False


def _spot(array: xr.DataArray) -> np.ndarray | None:
    if "spot" not in array.coords or array["spot"].dims != ("bar",):
        return None
    return np.asarray(array["spot"].values, dtype=np.float64)


def _units(array: xr.DataArray) -> str:
    units = array.attrs.get("units")
    if units:
        return str(units)
    return METRIC_UNITS.get(str(array.attrs.get("metric")), "")


def _grid_name(array: xr.DataArray) -> str:
    symbol = _attr(array.attrs, "symbol")
    metric = _attr(array.attrs, "metric") or ("value" if array.name is None else str(array.name))
    mode = _attr(array.attrs, "mode")
    name = f"{metric} ({mode})" if mode else metric
    return f"{symbol} {name}" if symbol else name


def color_norm(values: np.ndarray, *, signed: bool, robust: bool) -> Normalize:
    """Return a colour scale: symmetric about zero when signed, else smallest to largest."""
    finite = values[np.isfinite(values)]
    low_q, high_q = _ROBUST_PERCENTILES if robust else (0.0, 100.0)
    if signed:
        m = float(np.percentile(np.abs(finite), high_q)) if finite.size else 0.0
        if not m > 0:
            m = float(np.abs(finite).max()) if finite.size else 0.0
        return Normalize(vmin=-m, vmax=m) if m > 0 else Normalize(vmin=-1.0, vmax=1.0)
    if not finite.size:
        return Normalize(vmin=0.0, vmax=1.0)
    lo = float(np.percentile(finite, low_q))
    hi = float(np.percentile(finite, high_q))
    if not hi > lo:
        lo, hi = float(finite.min()), float(finite.max())
    if not hi > lo:
        lo, hi = lo - 0.5, lo + 0.5
    return Normalize(vmin=lo, vmax=hi)


def _require_bars(array: xr.DataArray, what: str) -> None:
    require_grid(array, what)
    if array.sizes["bar"] == 0 or array.sizes["strike"] == 0:
        raise ValueError(f"{what}: the array has no bars to plot (or no strikes)")


def plot_heatmap(
    array: xr.DataArray,
    *,
    ax: Axes | None = None,
    around_spot: float | None = 0.03,
    cmap: str | Colormap | None = None,
    show_spot: bool = True,
    colorbar: bool = True,
    title: str | None = None,
    robust: bool | None = None,
) -> Axes:
    """Plot a heatmap array as a (time x strike) colour mesh, with the spot path over it.

    Signed values (metrics ``gex, dex, vex, chex, signed_flow``, any ``mode="delta"`` array,
    and an array of unknown metric holding negatives) use a diverging colormap (``RdBu_r``)
    on a scale symmetric about zero, ``Normalize(-m, m)``, so that zero is always the
    midpoint (white); ``m`` is the largest absolute value, or its 98th percentile when
    ``robust``; all-zero or all-NaN data gives ``m = 1``. Unsigned values (``oi`` raw) use
    ``viridis`` from the smallest to the largest value (2nd to 98th percentile when
    ``robust``). NaN cells are left blank. Each cell is centred on its bar time and strike.

    Parameters
    ----------
    array : xarray.DataArray
        A heatmap array (:func:`flowframe.frames.heatmap_from_payload`): dims ``("bar",
        "strike")``, coord ``bar`` (naive times read as UTC), ``strike`` and ``spot``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 11 x 5 inch figure when omitted.
    around_spot : float or None, default 0.03
        Keep the strikes within ``min(spot) * (1 - around_spot)`` to
        ``max(spot) * (1 + around_spot)`` over the session; ``None`` keeps every strike, as
        does an array without (finite) spot values.
    cmap : str or matplotlib.colors.Colormap, optional
        Override the colormap (the scale stays as described above).
    show_spot : bool, default True
        Overlay the spot path (a black line with a white outline) when the array has spot.
    colorbar : bool, default True
        Add a colorbar labelled with ``attrs["units"]``.
    title : str, optional
        The title; by default ``"{symbol} {metric} ({mode}) by strike ({bar_size} bars)"``.
    robust : bool, optional
        Scale the colours on percentiles rather than extremes (values beyond are drawn in the
        end colours, and the colorbar gets arrows). ``None`` means ``True`` for
        ``mode="delta"`` arrays, whose first bar and strikes crossed by spot can dwarf every
        other change, and ``False`` otherwise.

    Returns
    -------
    matplotlib.axes.Axes
        The axes holding the mesh (``ax.collections[0]``; its ``norm`` and ``cmap`` tell the
        scale). The colorbar's axes is in ``ax.figure.axes``.

    Raises
    ------
    SchemaError
        ``array`` is not a DataArray with dims ``bar`` and ``strike``.
    ValueError
        The array has no bars or no strikes, ``around_spot`` is negative, or no strike lies
        within ``around_spot`` of the spot range.
    """
    _require_bars(array, "plot_heatmap")
    if around_spot is not None and not around_spot >= 0:
        raise ValueError(f"plot_heatmap: around_spot must be >= 0 or None, got {around_spot}")
    grid = array.transpose("bar", "strike")
    spot = _spot(grid)
    if around_spot is not None and spot is not None and np.isfinite(spot).any():
        lo = float(np.nanmin(spot)) * (1.0 - around_spot)
        hi = float(np.nanmax(spot)) * (1.0 + around_spot)
        strikes_all = np.asarray(grid["strike"].values, dtype=np.float64)
        keep = (strikes_all >= lo) & (strikes_all <= hi)
        if not keep.any():
            raise ValueError(
                f"plot_heatmap: no strike lies within around_spot={around_spot} of the spot "
                f"range ({lo:g} .. {hi:g}); pass around_spot=None to keep every strike"
            )
        grid = grid.isel(strike=np.flatnonzero(keep))

    values = np.asarray(grid.values, dtype=np.float64)
    strikes = np.asarray(grid["strike"].values, dtype=np.float64)
    x = date_nums(grid["bar"].values)
    spacing = bar_spacing(x, grid.attrs.get("bar_size"))
    x_edges = _edges(x, spacing)
    y_edges = _edges(strikes, 1.0)

    if robust is None:
        robust = grid.attrs.get("mode") == "delta"
    signed = is_signed(grid, values)
    norm = color_norm(values, signed=signed, robust=robust)
    default_cmap = "RdBu_r" if signed else "viridis"

    ax = _new_axes(ax)
    mesh = ax.pcolormesh(
        x_edges,
        y_edges,
        np.ma.masked_invalid(values.T),
        cmap=default_cmap if cmap is None else cmap,
        norm=norm,
        shading="flat",
        rasterized=True,
    )
    if show_spot and spot is not None:
        ax.plot(
            x,
            spot,
            color="black",
            linewidth=1.6,
            label="spot",
            path_effects=[path_effects.withStroke(linewidth=3.5, foreground="white")],
        )
        ax.legend(loc="upper left", fontsize="small", framealpha=0.85)
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_ylim(y_edges[0], y_edges[-1])
    time_axis(ax)
    ax.set_ylabel("strike")
    plain_axis(ax)

    units = _units(grid)
    if colorbar:
        finite = values[np.isfinite(values)]
        vmin, vmax = norm.vmin, norm.vmax
        below = vmin is not None and bool(finite.size) and float(finite.min()) < vmin
        above = vmax is not None and bool(finite.size) and float(finite.max()) > vmax
        extend = {(True, True): "both", (True, False): "min", (False, True): "max"}
        bar = ax.figure.colorbar(
            mesh, ax=ax, pad=0.02, extend=extend.get((below, above), "neither")
        )
        bar.set_label(units)
        if _is_money(units):
            bar.formatter = money_formatter(_MONEY_DECIMALS)
            bar.update_ticks()

    part = _bar_part(grid.attrs)
    default = f"{_grid_name(grid)} by strike"
    _title(ax, title, f"{default} ({part})" if part else default)
    return ax


When = str | dt.datetime | np.datetime64 | None


def plot_profile(
    array: xr.DataArray,
    at: When = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Plot one bar of a heatmap array as horizontal bars by strike.

    Signed values are green (``>= 0``) or red (``< 0``); an unsigned array (``oi`` raw) is
    drawn in one neutral blue. A dashed horizontal line marks that bar's spot.

    Parameters
    ----------
    array : xarray.DataArray
        A heatmap array (:func:`flowframe.frames.heatmap_from_payload`).
    at : str, datetime or Timestamp, optional
        The bar to show: the one nearest this time (naive times are UTC). The last bar when
        omitted.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 11 x 5 inch figure when omitted.
    title : str, optional
        The title; by default ``"{symbol} {metric} ({mode}) by strike at HH:MM ET"``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: one bar patch per strike, in strike order.

    Raises
    ------
    SchemaError
        ``array`` is not a DataArray with dims ``bar`` and ``strike``.
    ValueError
        The array has no bars or no strikes, or ``at`` is not a time.
    """
    _require_bars(array, "plot_profile")
    grid = array.transpose("bar", "strike")
    i = nearest_bar(grid, at, "plot_profile")
    row = grid.isel(bar=i)
    values = np.asarray(row.values, dtype=np.float64)
    strikes = np.asarray(grid["strike"].values, dtype=np.float64)
    steps = np.diff(strikes)
    height = 0.8 * (float(steps.min()) if steps.size else 1.0)
    signed = is_signed(grid, values)
    colors = _sign_colors(values) if signed else [NEUTRAL_COLOR] * len(values)

    ax = _new_axes(ax)
    ax.barh(strikes, np.nan_to_num(values, nan=0.0), height=height, color=colors, linewidth=0)
    ax.axvline(0.0, color="#555555", linewidth=0.8)
    spot = _spot(grid)
    when = pd.Timestamp(_utc_naive(grid["bar"].values)[i]).tz_localize("UTC").tz_convert(ET)
    if spot is not None and np.isfinite(spot[i]):
        ax.axhline(
            float(spot[i]),
            color="black",
            linestyle="--",
            linewidth=1.2,
            label=f"spot {spot[i]:,.2f}",
        )
        ax.legend(loc="upper right", fontsize="small", framealpha=0.85)
    units = _units(grid)
    ax.set_xlabel(units or "value")
    if _is_money(units):
        ax.xaxis.set_major_formatter(money_formatter(_MONEY_DECIMALS))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, symmetric=signed))
    ax.set_ylabel("strike")
    plain_axis(ax)
    ax.set_ylim(strikes[0] - height, strikes[-1] + height)
    ax.grid(True, axis="x", alpha=0.3)
    _title(ax, title, f"{_grid_name(grid)} by strike at {when:%H:%M} ET")
    return ax
