"""The heatmap figure: a (time x strike) colour mesh with the spot path, and its scales."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

import matplotlib.patheffects as path_effects
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize

from flowframe._constants import METRIC_UNITS, SIGNED_METRICS, STRIKE_FLOW_UNITS
from flowframe.frames.band import diff
from flowframe.frames.checks import require_grid
from flowframe.plotting.axes import (
    _attr,
    _bar_part,
    _edges,
    _new_axes,
    bar_spacing,
    date_nums,
    plain_axis,
    time_axis,
)
from flowframe.plotting.style import _MONEY_DECIMALS, _is_money, format_money, money_formatter

__all__ = ["color_norm", "is_signed", "plot_diff", "plot_heatmap"]

_ROBUST_PERCENTILES: Final = (2.0, 98.0)  # unsigned values, robust: these percentiles
_SIGNED_PERCENTILE: Final = 99.0  # signed values, robust: of |values| over non-zero cells
# per-bar flow arrays: sparse (most cells zero), a few large prints, activity near spot
_FLOW_METRICS: Final = frozenset({"signed_flow", *STRIKE_FLOW_UNITS})
_ACTIVE_SHARE: Final = 0.99  # flow arrays show the central strikes holding this share of |flow|
_ACTIVE_MARGIN: Final = 2  # and this many strikes more on each side

Strikes = Literal["auto", "all"] | Sequence[float]


def is_signed(array: xr.DataArray, values: np.ndarray) -> bool:
    """Whether values carry a sign: a signed metric, delta mode, or (unknown) negatives."""
    metric = array.attrs.get("metric")
    if metric in SIGNED_METRICS or array.attrs.get("mode") == "delta" or "diff" in array.attrs:
        return True
    if metric in METRIC_UNITS:
        return False
    return bool(np.nanmin(values, initial=0.0) < 0) if values.size else False


_DISAGREE_SHARE: Final = 0.02


def _models(n: int) -> str:
    return "model" if n == 1 else "models"


def plot_diff(
    array: xr.DataArray, a: str | None = None, b: str | None = None, **kwargs: Any
) -> Axes:
    """Plot a difference of two variants on a diverging scale centred on zero.

    Parameters
    ----------
    array : xarray.DataArray
        A :func:`flowframe.diff` result (``attrs["diff"]``), or an ensemble's array with
        ``a`` and ``b`` naming the two variants (``a - b`` is drawn).
    a, b : str, optional
        The variants, for an ensemble's array.
    **kwargs
        As :func:`plot_heatmap` (``ax``, ``strikes``, ``vmax``, ``robust``, ...).
    """
    if "model" in array.dims:
        if a is None or b is None:
            raise ValueError("plot_diff: an ensemble's array needs a= and b=, the two variants")
        array = diff(array, a, b)
    elif "diff" not in array.attrs:
        array = array.assign_attrs({**array.attrs, "diff": "difference"})
    return plot_heatmap(array, **kwargs)


def _spot(array: xr.DataArray) -> np.ndarray | None:
    """Return the ``spot`` coord along ``bar`` as float64, or None."""
    if "spot" not in array.coords or array["spot"].dims != ("bar",):
        return None
    return np.asarray(array["spot"].values, dtype=np.float64)


def _units(array: xr.DataArray) -> str:
    """Return the units label: ``attrs["units"]``, else the metric's, else ""."""
    units = array.attrs.get("units")
    if units:
        return str(units)
    return METRIC_UNITS.get(str(array.attrs.get("metric")), "")


def _grid_name(array: xr.DataArray) -> str:
    """Return ``"{symbol} {metric} ({mode})"`` for a title (missing parts left out)."""
    symbol = _attr(array.attrs, "symbol")
    metric = _attr(array.attrs, "metric") or ("value" if array.name is None else str(array.name))
    mode = _attr(array.attrs, "mode")
    name = f"{metric} ({mode})" if mode else metric
    return f"{symbol} {name}" if symbol else name


def _is_flow(array: xr.DataArray) -> bool:
    """Whether an array is per-bar flow (``signed_flow``, or a strike-flow variable)."""
    return str(array.attrs.get("metric")) in _FLOW_METRICS


def color_norm(
    values: np.ndarray, *, signed: bool, robust: bool, vmax: float | None = None
) -> Normalize:
    """Return a colour scale: symmetric about zero when signed, else smallest to largest.

    Signed values get ``Normalize(-m, m)``, so that zero is the midpoint: ``m`` is ``vmax``
    when given; else, when ``robust``, the 99th percentile of ``|values|`` over the finite
    non-zero cells (zeros are left out: in a sparse array such as per-bar flow most cells are
    zero, and counting them would let the sparsity decide the scale); else the largest
    ``|value|``. ``m = 1`` when there is nothing but zeros and NaN. Unsigned values go from
    the smallest to the largest value (the 2nd to the 98th percentile when ``robust``), up
    to ``vmax`` when given.

    Parameters
    ----------
    values : numpy.ndarray
        The values to colour (NaN and infinities are left out).
    signed : bool
        Whether the values carry a sign (:func:`is_signed`).
    robust : bool
        Scale on percentiles rather than extremes.
    vmax : float, optional
        The top of the scale (``m`` for signed values), overriding the rules above.

    Returns
    -------
    matplotlib.colors.Normalize
        The scale; values beyond it are drawn in the end colours.

    Raises
    ------
    ValueError
        ``vmax`` is not a positive finite number.
    """
    if vmax is not None and not (np.isfinite(vmax) and vmax > 0):
        raise ValueError(f"color_norm: vmax must be a positive number or None, got {vmax!r}")
    finite = values[np.isfinite(values)]
    if signed:
        if vmax is not None:
            m = float(vmax)
        elif robust:
            nonzero = np.abs(finite[finite != 0])
            m = float(np.percentile(nonzero, _SIGNED_PERCENTILE)) if nonzero.size else 0.0
        else:
            m = float(np.abs(finite).max()) if finite.size else 0.0
        return Normalize(vmin=-m, vmax=m) if m > 0 else Normalize(vmin=-1.0, vmax=1.0)
    if not finite.size:
        return Normalize(vmin=0.0, vmax=1.0 if vmax is None else float(vmax))
    low_q, high_q = _ROBUST_PERCENTILES if robust else (0.0, 100.0)
    lo = float(np.percentile(finite, low_q))
    hi = float(np.percentile(finite, high_q))
    if not hi > lo:
        lo, hi = float(finite.min()), float(finite.max())
    if not hi > lo:
        lo, hi = lo - 0.5, lo + 0.5
    if vmax is not None:
        hi = float(vmax)
        lo = lo if hi > lo else 0.0
    return Normalize(vmin=lo, vmax=hi)


def _amount(value: float, money: bool) -> str:
    """Write a scale limit: ``$12.4M`` in dollars, else three significant digits."""
    return format_money(value) if money else f"{value:,.3g}"


def _share(share: float) -> str:
    """Write a share of a total: ``0.4%``, ``<0.1%`` for a trace, ``0.0%`` for none."""
    return "<0.1%" if 0 < share < 0.001 else f"{share:.1%}"


def _clip_note(
    values: np.ndarray, norm: Normalize, *, signed: bool, rule: str | None, money: bool
) -> str | None:
    """Say what the colour scale clips: its limits, the rule behind them, how many cells."""
    finite = values[np.isfinite(values)]
    lo, hi = float(norm.vmin or 0.0), float(norm.vmax or 0.0)
    beyond = int(np.count_nonzero((finite < lo) | (finite > hi)))
    if not beyond or rule is None:
        return None
    limits = (
        f"at ±{_amount(hi, money)}" if signed else f"to {_amount(lo, money)}..{_amount(hi, money)}"
    )
    return f"colour clipped {limits} ({rule}): {beyond} cell{'' if beyond == 1 else 's'} beyond"


def _weights(grid: xr.DataArray) -> np.ndarray:
    """Return each strike's sum of ``|value|`` over the bars (NaN counts as zero)."""
    return np.asarray(np.nansum(np.abs(np.asarray(grid.values, dtype=np.float64)), axis=0))


def _active(weights: np.ndarray, strikes: np.ndarray, spot: np.ndarray | None) -> np.ndarray:
    """Return which strikes a flow array shows: where its activity is, and where spot went.

    The central strikes holding ``_ACTIVE_SHARE`` of the total ``|value|`` (trimmed from both
    ends while each end's trimmed strikes hold at most half the rest), ``_ACTIVE_MARGIN``
    strikes more on each side, widened to the strikes just below and above the spot range.
    """
    total = float(weights.sum())
    if not total > 0:
        return np.ones(strikes.size, dtype=bool)
    cum = np.cumsum(weights) / total
    tail = (1.0 - _ACTIVE_SHARE) / 2.0
    first = max(int(np.searchsorted(cum, tail, side="right")) - _ACTIVE_MARGIN, 0)
    last = min(
        int(np.searchsorted(cum, 1.0 - tail, side="left")) + _ACTIVE_MARGIN, strikes.size - 1
    )
    lo, hi = float(strikes[first]), float(strikes[last])
    if spot is not None and np.isfinite(spot).any():
        below = strikes[strikes <= np.nanmin(spot)]
        above = strikes[strikes >= np.nanmax(spot)]
        lo = min(lo, float(below.max()) if below.size else float(strikes[0]))
        hi = max(hi, float(above.min()) if above.size else float(strikes[-1]))
    return np.asarray((strikes >= lo) & (strikes <= hi))


def _shown_strikes(
    grid: xr.DataArray, spot: np.ndarray | None, strikes: Strikes, around_spot: float | None
) -> np.ndarray:
    """Return which strikes ``plot_heatmap`` shows (a mask over ``grid["strike"]``)."""
    every = np.asarray(grid["strike"].values, dtype=np.float64)
    if isinstance(strikes, str):
        if strikes == "all":
            return np.ones(every.size, dtype=bool)
        if strikes != "auto":
            raise ValueError(
                f"plot_heatmap: strikes must be 'auto', 'all' or (low, high), got {strikes!r}"
            )
    else:
        low, high = (float(v) for v in strikes)
        keep = (every >= low) & (every <= high)
        if not keep.any():
            raise ValueError(
                f"plot_heatmap: no strike lies within strikes=({low:g}, {high:g}); the array "
                f"has strikes {every[0]:g} .. {every[-1]:g}"
            )
        return np.asarray(keep)
    keep = np.ones(every.size, dtype=bool)
    if around_spot is not None and spot is not None and np.isfinite(spot).any():
        lo = float(np.nanmin(spot)) * (1.0 - around_spot)
        hi = float(np.nanmax(spot)) * (1.0 + around_spot)
        keep = (every >= lo) & (every <= hi)
        if not keep.any():
            raise ValueError(
                f"plot_heatmap: no strike lies within around_spot={around_spot} of the spot "
                f"range ({lo:g} .. {hi:g}); pass around_spot=None to keep every strike"
            )
    if _is_flow(grid):
        active = keep & _active(_weights(grid), every, spot)
        if active.any():
            keep = active
    return np.asarray(keep)


def _crop_note(grid: xr.DataArray, keep: np.ndarray) -> str | None:
    """Say which strikes are shown and what share of ``|value|`` the others hold."""
    left_out = int(np.count_nonzero(~keep))
    if not left_out:
        return None
    weights = _weights(grid)
    total = float(weights.sum())
    share = float(weights[~keep].sum()) / total if total > 0 else 0.0
    shown = np.asarray(grid["strike"].values, dtype=np.float64)[keep]
    metric = _attr(grid.attrs, "metric") or ("value" if grid.name is None else str(grid.name))
    return (
        f"strikes {shown[0]:g}–{shown[-1]:g} shown; the {left_out} of {keep.size} outside "
        f"hold {_share(share)} of |{metric}|"
    )


def _require_bars(array: xr.DataArray, what: str) -> None:
    """Raise unless ``array`` is a (bar, strike) grid with a bar and a strike."""
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
    strikes: Strikes = "auto",
    vmax: float | None = None,
    model: str | None = None,
) -> Axes:
    """Plot a heatmap array as a (time x strike) colour mesh, with the spot path over it.

    **Ensembles.** An array with a ``model`` dimension (a loader's answer for an
    :class:`~flowframe.Ensemble`) draws one variant with ``model="name"``; by default it draws
    the median over the variants and puts a small dot on every cell where the variants
    disagree on the sign (some positive, some negative, and one at least 2% of the array's
    largest ``|value|``), and the title says so. **Diffs.**
    An array from :func:`flowframe.diff` (``attrs["diff"]``) is always drawn on the signed,
    diverging scale, titled with the difference (``"gex: A - B"``).

    Signed values (metrics ``gex, dex, vex, chex, signed_flow``, any ``mode="delta"`` array,
    and an array of unknown metric holding negatives) use a diverging colormap (``RdBu_r``)
    on a scale symmetric about zero, ``Normalize(-m, m)``, so that zero is always the
    midpoint (white); ``m`` is the largest absolute value, or, when ``robust``, the 99th
    percentile of ``|value|`` over the non-zero cells; all-zero or all-NaN data gives
    ``m = 1``. Unsigned values (``oi`` raw, strike-flow ``contracts``) use ``viridis`` from
    the smallest to the largest value (2nd to 98th percentile when ``robust``). See
    :func:`color_norm`. NaN cells are left blank. Each cell is centred on its bar time and
    strike.

    **Flow arrays** (``signed_flow`` and the strike-flow variables ``signed_delta_dollars``,
    ``signed_gamma_dollars``, ``contracts``, as ``ds.flow.plot(variable)`` passes them) are
    sparse: most cells are zero, a few large prints would set a linear scale and leave the
    rest white, and trades happen at a few strikes around spot. So by default they are
    scaled robustly and cropped to their activity: the central strikes holding 99% of the
    array's ``|value|`` (summed over the bars; trimmed equally from both ends), two strikes
    more on each side, and always the strikes just below and above the spot path, within
    the ``around_spot`` window.

    Nothing is dropped silently. When strikes are left out, a second title line says which
    are shown and the share of ``|value|`` the others hold (``"strikes 6150–6245 shown; the
    88 of 110 outside hold 0.6% of |signed_flow|"``). When the colour scale clips values,
    the colorbar gets arrows (``extend``) and its label a second line saying where, by
    which rule and how many cells (``"colour clipped at ±$61.5M (p99 of non-zero
    |values|): 47 cells beyond"``); without a colorbar that line goes to the title.

    Parameters
    ----------
    array : xarray.DataArray
        A heatmap array (:func:`flowframe.frames.heatmap_from_payload`): dims ``("bar",
        "strike")``, coord ``bar`` (naive times read as UTC), ``strike`` and ``spot``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 11 x 5 inch figure when omitted.
    around_spot : float or None, default 0.03
        With ``strikes="auto"``, keep the strikes within ``min(spot) * (1 - around_spot)``
        to ``max(spot) * (1 + around_spot)`` over the session; ``None`` keeps every strike
        (of a flow array: every strike its activity crop keeps), as does an array without
        (finite) spot values.
    cmap : str or matplotlib.colors.Colormap, optional
        Override the colormap (the scale stays as described above).
    show_spot : bool, default True
        Overlay the spot path (a black line with a white outline) when the array has spot.
    colorbar : bool, default True
        Add a colorbar labelled with ``attrs["units"]``.
    title : str, optional
        The title; by default ``"{symbol} {metric} ({mode}) by strike ({bar_size} bars)"``.
        The note on left-out strikes is added as a second line either way.
    robust : bool, optional
        Scale the colours on percentiles rather than extremes (values beyond are drawn in the
        end colours, and the colorbar gets arrows). ``None`` means ``True`` for flow arrays
        and ``mode="delta"`` arrays, whose strikes crossed by spot can dwarf every other
        change, and ``False`` otherwise. (A delta array's first bar is NaN, drawn blank: the
        raw level the body sends there is its ``start_level`` coordinate, off this scale.)
    strikes : {"auto", "all"} or (float, float), default "auto"
        Which strikes to show: ``"auto"`` as described above (the ``around_spot`` window,
        and for flow arrays their activity), ``"all"`` every strike, ``(low, high)`` the
        strikes from ``low`` to ``high`` inclusive.
    vmax : float, optional
        The top of the colour scale (``±vmax`` for signed values), instead of the rules
        above.

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
        The array has no bars or no strikes, ``around_spot`` is negative, no strike lies
        within ``around_spot`` of the spot range or within ``strikes=(low, high)``,
        ``strikes`` is another string, or ``vmax`` is not a positive number.
    """
    disagree = None
    n_models = 0
    if "model" in getattr(array, "dims", ()):  # not an array: _require_bars says so below
        models = [str(m) for m in array["model"].values]
        if model is not None:
            if model not in models:
                raise ValueError(f"plot_heatmap: no model {model!r}; this array has {models}")
            array = array.sel(model=model, drop=True).assign_attrs({**array.attrs, "model": model})
        else:
            n_models = len(models)
            stacked = np.asarray(array.transpose("model", "bar", "strike").values, dtype=float)
            signs = np.sign(stacked)
            largest = np.nanmax(np.abs(stacked), axis=0, initial=0.0)
            scale = np.nanmax(largest, initial=0.0)
            # a sign disagreement counts where it matters: some model puts 2% of the
            # array's largest |value| there
            disagree = (
                (np.nanmax(signs, axis=0, initial=-1) > 0)
                & (np.nanmin(signs, axis=0, initial=1) < 0)
                & (largest >= _DISAGREE_SHARE * scale)
            )
            array = array.median("model").assign_attrs(array.attrs)
    elif model is not None:
        raise ValueError("plot_heatmap: model= needs an array with a 'model' dimension")
    _require_bars(array, "plot_heatmap")
    if around_spot is not None and not around_spot >= 0:
        raise ValueError(f"plot_heatmap: around_spot must be >= 0 or None, got {around_spot}")
    if vmax is not None and not (np.isfinite(vmax) and vmax > 0):
        raise ValueError(f"plot_heatmap: vmax must be a positive number or None, got {vmax!r}")
    grid = array.transpose("bar", "strike")
    spot = _spot(grid)
    keep = _shown_strikes(grid, spot, strikes, around_spot)
    crop = _crop_note(grid, keep)
    grid = grid.isel(strike=np.flatnonzero(keep))
    if disagree is not None:
        disagree = disagree[:, np.flatnonzero(keep)]

    values = np.asarray(grid.values, dtype=np.float64)
    shown = np.asarray(grid["strike"].values, dtype=np.float64)
    x = date_nums(grid["bar"].values)
    spacing = bar_spacing(x, grid.attrs.get("bar_size"))
    x_edges = _edges(x, spacing)
    y_edges = _edges(shown, 1.0)

    if robust is None:
        robust = grid.attrs.get("mode") == "delta" or _is_flow(grid) or "diff" in grid.attrs
    signed = is_signed(grid, values)
    norm = color_norm(values, signed=signed, robust=robust, vmax=vmax)
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
    if disagree is not None and disagree.any():
        rows, cols = np.nonzero(disagree)
        ax.scatter(
            x[rows],
            shown[cols],
            s=2.0,
            color="black",
            alpha=0.55,
            linewidths=0,
            label="models disagree on the sign",
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
    if vmax is not None:
        rule: str | None = "vmax"
    elif robust:
        rule = f"p{_SIGNED_PERCENTILE:g} of non-zero |values|" if signed else "p2..p98"
    else:
        rule = None
    clip = _clip_note(values, norm, signed=signed, rule=rule, money=_is_money(units))
    if colorbar:
        finite = values[np.isfinite(values)]
        vmin, vmax_ = norm.vmin, norm.vmax
        below = vmin is not None and bool(finite.size) and float(finite.min()) < vmin
        above = vmax_ is not None and bool(finite.size) and float(finite.max()) > vmax_
        extend = {(True, True): "both", (True, False): "min", (False, True): "max"}
        bar = ax.figure.colorbar(
            mesh, ax=ax, pad=0.02, extend=extend.get((below, above), "neither")
        )
        if clip is None:
            bar.set_label(units)
        else:  # two lines, smaller, so that the note fits along the bar
            bar.set_label(f"{units}\n{clip}", fontsize="small")
        if _is_money(units):
            bar.formatter = money_formatter(_MONEY_DECIMALS)
            bar.update_ticks()

    part = _bar_part(grid.attrs)
    default = f"{_grid_name(grid)} by strike"
    default = f"{default} ({part})" if part else default
    if "diff" in grid.attrs:
        default = f"{_grid_name(grid)}: {grid.attrs['diff']}"
    elif n_models:
        default += f"\nmedian of {n_models} {_models(n_models)}; dots: they disagree on the sign"
    elif "model" in grid.attrs:
        default += f" [{grid.attrs['model']}]"
    notes = [n for n in (crop, None if colorbar else clip) if n]
    ax.set_title("\n".join([default if title is None else title, *notes]))
    return ax
