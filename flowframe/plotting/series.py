"""The series figure: spot with the dealer levels, over the gamma regime."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any, Final

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from flowframe._constants import BAR_SECONDS
from flowframe.frames.band import band
from flowframe.frames.checks import require_columns
from flowframe.frames.ensemble import is_model_frame, model_field
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
from flowframe.plotting.style import LEVEL_STYLES, REGIME_ALPHA, REGIME_COLORS

__all__ = ["plot_series"]

_SERIES_COLUMNS: Final = ("spot", "gamma_flip", "call_wall", "put_wall", "magnet", "regime")
_LEVELS: Final = {"call_wall": "call wall", "put_wall": "put wall", "magnet": "magnet"}
_RAW_ALPHA: Final = 0.3  # the raw levels under held ones
_RAW_WIDTH: Final = 1.0


def _moves(values: np.ndarray) -> int:
    """Count the changes of a level from one finite value to the next (gaps skipped)."""
    finite = values[np.isfinite(values)]
    return int(np.count_nonzero(np.diff(finite)))


def _hold(values: np.ndarray, bars: int) -> np.ndarray:
    """Draw every run of a level shorter than ``bars`` at the level before it.

    Runs are maximal runs of equal values, taken in order, so several short runs in a row all
    take the last level that held. The first run, NaN runs and a run right after a NaN run are
    kept as they are (there is no level before them to hold).
    """
    out = values.copy()
    nan = np.isnan(values)
    same = (values[1:] == values[:-1]) | (nan[1:] & nan[:-1])
    starts = np.concatenate([[0], np.flatnonzero(~same) + 1])
    ends = np.concatenate([starts[1:], [values.size]])
    for start, end in zip(starts[1:], ends[1:], strict=True):
        before = out[start - 1]
        if end - start < bars and not nan[start] and np.isfinite(before):
            out[start:end] = before
    return out


def _hold_bars(hold: str, spacing: float) -> tuple[int, str]:
    """Return ``hold`` in bars ``spacing`` days apart (at least one) and as text (``"5min"``)."""
    seconds: float
    if hold in BAR_SECONDS:
        seconds = float(BAR_SECONDS[hold])
    else:
        try:
            seconds = pd.Timedelta(hold).total_seconds()
        except (ValueError, TypeError):
            seconds = float("nan")
    if not seconds > 0:
        raise ValueError(
            f"plot_series: hold={hold!r} is not a positive duration: use a bar name such as "
            "'5m' or a pandas duration such as '5min'"
        )
    bars = max(1, math.ceil(seconds / (spacing * 86400.0) - 1e-9))
    text = f"{seconds / 60:g}min" if seconds % 60 == 0 else f"{seconds:g}s"
    return bars, text


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


_BAND_LEVELS = ("gamma_flip", "call_wall", "put_wall", "magnet")
_STRIKE_LEVELS = ("call_wall", "put_wall", "magnet")


def _median_and_bands(
    frame: pd.DataFrame,
) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]], int]:
    """Per-bar median of an ensemble's series frame, its level bands, and the model count.

    Numeric fields take the median over models (:func:`flowframe.frames.band`), the strike
    levels the lower median (never between two strikes); ``regime`` the label most models
    give (ties: the earliest model's); the four levels also get their min-max band.
    """
    reduced = band(frame)
    out: dict[str, Any] = {}
    for field in dict.fromkeys(reduced.columns.get_level_values(0)):
        if field in _STRIKE_LEVELS:
            part = model_field(frame, field)
            out[field] = part.quantile(0.5, axis=1, interpolation="lower")
        else:
            out[field] = reduced[(field, "median")]
    regimes = model_field(frame, "regime").astype(object)
    out["regime"] = [_majority(row) for row in regimes.itertuples(index=False)]
    median = pd.DataFrame(out, index=frame.index)
    median.attrs = dict(frame.attrs)
    bands = {
        level: (
            reduced[(level, "low")].to_numpy(dtype=np.float64, na_value=np.nan),
            reduced[(level, "high")].to_numpy(dtype=np.float64, na_value=np.nan),
        )
        for level in _BAND_LEVELS
    }
    return median, bands, len(json.loads(reduced.attrs["band_of"]))


def _majority(row: Any) -> Any:
    """Return the label most models give (ties: the earliest model's), or None."""
    labels = [v for v in row if not pd.isna(v)]
    if not labels:
        return None
    counts = Counter(labels)
    return max(labels, key=lambda v: (counts[v], -labels.index(v)))


def plot_series(
    frame: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    hold: str | None = None,
) -> Axes:
    """Plot a series frame: spot with the dealer levels, on the gamma regime.

    Draws spot (solid black, on top), ``gamma_flip`` (grey dashed) and the three strike
    levels, over background spans for each contiguous run of the ``regime`` column
    (``positive_gamma`` light green, ``negative_gamma`` light red; other regimes and missing
    values are left unshaded). NaN values leave gaps in the lines.

    ``call_wall``, ``put_wall`` and ``magnet`` are strikes that hold until the next bar, so
    each is a step line (``drawstyle="steps-post"``) in its own style from
    :data:`~flowframe.plotting.style.LEVEL_STYLES`: the call wall a wide pale blue band, the
    put wall orange dashes, the magnet purple dots, stacked in that order so that where they
    sit on the same strike (often: the largest call gamma, put gamma and net gamma can all
    be at one strike) every one stays visible. Each level's legend entry counts its moves
    (changes of strike) over the frame: the engine picks the strike with the most gamma at
    every bar, so near-ties between strikes make a level jump back and forth, and the figure
    shows those jumps as they are.

    Parameters
    ----------
    frame : pandas.DataFrame
        A series frame (:func:`flowframe.frames.series_from_payload`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 11 x 5 inch figure when omitted.
    title : str, optional
        The title; by default ``"{symbol} spot, dealer levels and gamma regime
        ({bar_size} bars)"``.
    hold : str, optional
        A persistence view, off by default: a bar name or fixed pandas offset (``"5min"``).
        A level's move is then drawn only if the new strike held at least that long (rounded
        up to whole bars); shorter runs are drawn at the strike before them, and the legend
        says ``"call wall held ≥ 5min (3 of 44 moves)"``. The levels as computed are still
        drawn underneath, thin and faint, so the jumps stay visible.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on, with a legend.

    Raises
    ------
    SchemaError
        The frame lacks any of ``spot, gamma_flip, call_wall, put_wall, magnet, regime``.
    ValueError
        The frame has no bars to plot, or ``hold`` is not a positive duration.
    """
    bands: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    n_models = 0
    if is_model_frame(frame):
        frame, bands, n_models = _median_and_bands(frame)
    require_columns(frame, _SERIES_COLUMNS, "plot_series")
    if frame.empty:
        raise ValueError("plot_series: the frame has no bars to plot")
    x = date_nums(frame.index)
    spacing = bar_spacing(x, frame.attrs.get("bar_size"))
    held = None if hold is None else _hold_bars(hold, spacing)
    ax = _new_axes(ax)

    def column(name: str) -> np.ndarray:
        return frame[name].to_numpy(dtype=np.float64, na_value=np.nan)

    ax.plot(x, column("spot"), color="black", linewidth=1.6, label="spot", zorder=4)
    ax.plot(x, column("gamma_flip"), label="gamma flip", **LEVEL_STYLES["gamma_flip"])
    for name, text in _LEVELS.items():
        values = column(name)
        style = dict(LEVEL_STYLES[name])
        moves = _moves(values)
        if held is None:
            label = f"{text} ({moves} move{'' if moves == 1 else 's'})"
            ax.plot(x, values, label=label, gid=name, **style)
            continue
        bars, duration = held
        shown = _hold(values, bars)
        raw = {**style, "alpha": _RAW_ALPHA, "linewidth": _RAW_WIDTH, "linestyle": "-"}
        ax.plot(x, values, label=f"_{text} as computed", gid=f"{name}_raw", **raw)
        label = f"{text} held ≥ {duration} ({_moves(shown)} of {moves} moves)"
        ax.plot(x, shown, label=label, gid=name, **style)

    for name, (low, high) in bands.items():
        color = LEVEL_STYLES.get(name, {}).get("color", "grey")
        ax.fill_between(
            x,
            low,
            high,
            color=color,
            alpha=0.12,
            linewidth=0,
            step=None if name == "gamma_flip" else "post",
            zorder=0.5,
            label=f"{name.replace('_', ' ')}: band of {n_models} models",
        )

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
    default = f"{default} ({part})" if part else default
    if n_models:
        models = "model" if n_models == 1 else "models"
        default += f"\nmedian of {n_models} {models} (walls, magnet: the lower median), "
        default += "bands min-max, regime of the majority"
    _title(ax, title, default)
    return ax
