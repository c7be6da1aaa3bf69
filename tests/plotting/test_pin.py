"""plot_pin: the pin score (a 0-100 score) and the pin probability (a percentage) apart."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.axes import Axes

import flowframe as ff
from flowframe.errors import SchemaError
from flowframe.plotting import plot_pin
from tests.plotting.conftest import assert_et_time_axis, legend_labels, line, save_picture, ys


def flow(obj: Any) -> Any:
    """Type checkers cannot see accessors."""
    return obj.flow


def test_pin_score_and_probability_on_separate_axes(session_series):
    ax = plot_pin(session_series)
    assert isinstance(ax, Axes)
    score, probability = line(ax, "pin score"), line(ax, "pin probability")
    np.testing.assert_array_equal(ys(score), session_series["pin_score"].to_numpy())
    np.testing.assert_array_equal(ys(probability), session_series["pin_probability_pct"].to_numpy())
    # two axes, each named with its unit: a score is not a probability
    assert score.axes is ax and probability.axes is not ax
    assert probability.axes in ax.figure.axes
    assert score.axes.get_ylabel() == "pin score (0-100 score)"
    assert probability.axes.get_ylabel() == "pin probability (%)"
    assert ax.get_ylim() == (0.0, 100.0)
    lo, hi = probability.axes.get_ylim()
    assert lo == 0.0 and session_series["pin_probability_pct"].max() <= hi < 100.0
    assert score.get_color() != probability.get_color()
    assert score.get_linestyle() != probability.get_linestyle()
    assert legend_labels(ax) == ["pin score", "pin probability"]
    assert ax.get_title() == "SPY pin score and pin probability (5m bars)"
    assert_et_time_axis(ax, "09:30", "14:45")


def test_pin_accessor_and_errors(session_series, hedge):
    ax = flow(session_series).plot_pin(title="mine")
    assert ax.get_title() == "mine"
    with pytest.raises(AttributeError, match="pin_score"):
        flow(hedge).plot_pin()
    with pytest.raises(SchemaError, match="pin_probability_pct"):
        plot_pin(session_series.drop(columns="pin_probability_pct"))
    with pytest.raises(ValueError, match="no bars"):
        plot_pin(session_series.iloc[:0])


def test_picture_written_for_a_person_to_look_at(simulated):
    save_picture(plot_pin(ff.series("SPY", bar="5m", minutes=390, source=simulated)), "pin")
