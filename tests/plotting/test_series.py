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
from matplotlib.colors import to_rgba

from flowframe import frames
from flowframe.errors import SchemaError
from flowframe.plotting import plot_series
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
    for name in ("spot", "gamma flip", "call wall", "put wall", "magnet"):
        assert name in labels
    assert line(ax, "gamma flip").get_linestyle() == "--"
    assert line(ax, "magnet").get_linestyle() == ":"
    assert line(ax, "call wall").get_drawstyle() == "steps-post"
    assert line(ax, "put wall").get_drawstyle() == "steps-post"
    assert line(ax, "call wall").get_color() != line(ax, "put wall").get_color()
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
