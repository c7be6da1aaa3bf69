"""plot_series: what a person looking at the series figure would notice."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgba
from matplotlib.lines import Line2D

import flowframe as ff
from flowframe import frames
from flowframe.errors import SchemaError
from flowframe.plotting import LEVEL_STYLES, plot_series
from flowframe.sources.samples import SampleSource
from tests.plotting.conftest import (
    assert_et_time_axis,
    legend_labels,
    line,
    rects,
    save_picture,
    tick_texts,
    ys,
)


def test_series_lines_and_styles(series):
    ax = plot_series(series)
    assert isinstance(ax, Axes)
    labels = legend_labels(ax)
    for name in ("spot", "gamma flip"):
        assert name in labels
    levels = level_lines(ax)  # labelled "call wall (n moves)", ...
    for ln in levels.values():
        assert ln.get_label() in labels
    assert line(ax, "gamma flip").get_linestyle() == "--"
    assert levels["magnet"].get_linestyle() == ":"
    assert levels["call_wall"].get_drawstyle() == "steps-post"
    assert levels["put_wall"].get_drawstyle() == "steps-post"
    assert levels["call_wall"].get_color() != levels["put_wall"].get_color()
    np.testing.assert_array_equal(line(ax, "spot").get_ydata(), series["spot"].to_numpy())
    assert ax.get_title() == "SPY spot, dealer levels and gamma regime (30s bars)"
    assert_et_time_axis(ax, "13:45", "14:45")
    # prices are written plainly, without an offset such as "+5.9e2"
    assert all(re.match(r"^\d{3}(\.\d+)?$", t) for t in tick_texts(ax)), tick_texts(ax)


def regime_runs(regime: pd.Series) -> list[tuple[str, int, int]]:
    values = regime.astype(object).tolist()
    runs, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((values[start], start, i - 1))
            start = i
    return runs


def test_series_regime_spans(session_series):
    ax = plot_series(session_series)
    runs = regime_runs(session_series["regime"])
    assert {r for r, _, _ in runs} == {"positive_gamma", "negative_gamma"}
    spans = rects(ax)
    assert len(spans) == len(runs)
    x = mdates.date2num(session_series.index.tz_localize(None))
    half = (x[1] - x[0]) / 2
    for span, (regime, first, last) in zip(spans, runs, strict=True):
        colour = "#2ca02c" if regime == "positive_gamma" else "#d62728"
        assert span.get_facecolor()[:3] == pytest.approx(to_rgba(colour)[:3])
        assert span.get_alpha() == pytest.approx(0.12)
        assert span.get_x() == pytest.approx(x[first] - half)
        assert span.get_x() + span.get_width() == pytest.approx(x[last] + half)
    labels = legend_labels(ax)
    assert labels.count("positive gamma") == 1
    assert labels.count("negative gamma") == 1
    assert_et_time_axis(ax, "09:30", "14:45")


def test_series_nan_gaps_and_missing_regime(series):
    frame = series.copy()
    frame.iloc[10:20, frame.columns.get_loc("spot")] = np.nan
    frame.iloc[:, frame.columns.get_loc("magnet")] = np.nan
    frame["regime"] = frame["regime"].cat.add_categories(["unknown"])
    frame.iloc[30:40, frame.columns.get_loc("regime")] = np.nan
    frame.iloc[40:50, frame.columns.get_loc("regime")] = "neutral"
    frame.iloc[50:60, frame.columns.get_loc("regime")] = "unknown"
    ax = plot_series(frame)
    assert np.isnan(ys(line(ax, "spot"))[10:20]).all()
    # neutral, unknown and missing regimes are left unshaded: negative runs before and after
    assert len(ax.patches) == 2


def test_series_errors(hedge):
    with pytest.raises(
        SchemaError,
        match="plot_series needs columns spot, gamma_flip, call_wall, put_wall, magnet, regime",
    ):
        plot_series(hedge)
    with pytest.raises(ValueError, match="no bars to plot"):
        plot_series(frames.series_from_payload({"bars": []}))


# --------------------------------------------------------------------------- pictures


def _picture(kind: str, source: SampleSource) -> Axes:
    if kind == "series":
        return plot_series(
            frames.series_from_payload(source.get_series("SPY", bar="5m", minutes=390))
        )
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["series"])
def test_picture_written_for_a_person_to_look_at(kind, source):
    save_picture(_picture(kind, source), kind)


# --------------------------------------------------------------------------- the levels


LEVELS = {"call_wall": "call wall", "put_wall": "put wall", "magnet": "magnet"}


def level_lines(ax: Axes, suffix: str = "") -> dict[str, Line2D]:
    """The level lines by column name: the legend's (by label), or the ``_raw`` ones (by gid)."""
    if suffix:
        found = {ln.get_gid(): ln for ln in ax.get_lines()}
        return {name: found[name + suffix] for name in LEVELS}
    return {
        name: next(ln for ln in ax.get_lines() if str(ln.get_label()).startswith(text))
        for name, text in LEVELS.items()
    }


def moves(values: np.ndarray) -> int:
    """How many times a level changes from one finite value to another."""
    finite = values[np.isfinite(values)]
    return int(np.count_nonzero(np.diff(finite)))


def runs(values: np.ndarray) -> list[int]:
    """The lengths of the runs of equal values."""
    change = np.flatnonzero(np.diff(values) != 0) + 1
    return [int(n) for n in np.diff(np.concatenate([[0], change, [values.size]]))]


@pytest.fixture(scope="module")
def jumpy(simulated):
    """SPY's whole session to 14:45 in 1-minute bars: walls that jump every few minutes and
    coincide with each other and the magnet much of the time."""
    return ff.series("SPY", bar="1m", minutes=390, source=simulated)


def test_series_levels_are_steps_in_layered_styles(jumpy):
    ax = plot_series(jumpy)
    lines = level_lines(ax)
    # a level holds until the next bar: steps, never a slanted segment between two strikes
    for name, ln in lines.items():
        assert ln.get_drawstyle() == "steps-post", name
        np.testing.assert_array_equal(ys(ln), jumpy[name].to_numpy())
        assert to_hex(ln.get_color()) == to_hex(LEVEL_STYLES[name]["color"])
    # distinct colour, dash pattern and width for each
    for attribute in ("get_color", "get_linestyle", "get_linewidth"):
        assert len({str(getattr(ln, attribute)()) for ln in lines.values()}) == 3, attribute
    # where levels coincide every one stays visible: the wider the line, the lower it is drawn
    stacked = sorted(lines.values(), key=lambda ln: ln.get_zorder())
    widths = [ln.get_linewidth() for ln in stacked]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 3
    assert all(0 < ln.get_zorder() < line(ax, "spot").get_zorder() for ln in stacked)
    equal = (jumpy["call_wall"] == jumpy["put_wall"]) | (jumpy["put_wall"] == jumpy["magnet"])
    assert equal.mean() > 0.1  # this session does have coincident levels
    # the jumping is the data, shown as computed, and counted in the legend
    labels = legend_labels(ax)
    for name, text in LEVELS.items():
        n = moves(jumpy[name].to_numpy())
        assert n > 5
        assert lines[name].get_label() == f"{text} ({n} moves)"
        assert lines[name].get_label() in labels


def test_series_hold_draws_levels_that_persisted_and_keeps_the_raw_ones(jumpy):
    ax = plot_series(jumpy, hold="5min")
    held, raw = level_lines(ax), level_lines(ax, "_raw")
    labels = legend_labels(ax)
    for name, text in LEVELS.items():
        values = jumpy[name].to_numpy()
        np.testing.assert_array_equal(ys(raw[name]), values)  # still drawn, faintly
        alpha = raw[name].get_alpha()
        assert alpha is not None and alpha < 0.5
        assert str(raw[name].get_label()).startswith("_")  # not in the legend
        shown = ys(held[name])
        assert set(shown[np.isfinite(shown)]) <= set(values[np.isfinite(values)])
        assert all(n >= 5 for n in runs(shown)[1:])  # every move held 5 one-minute bars
        n, k = moves(values), moves(shown)
        assert k < n
        assert held[name].get_label() == f"{text} held ≥ 5min ({k} of {n} moves)"
        assert held[name].get_label() in labels
    with pytest.raises(ValueError, match="hold"):
        plot_series(jumpy, hold="soon")
