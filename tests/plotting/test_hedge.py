"""plot_hedge: what a person looking at the hedge-flow figure would notice."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba

from flowframe import frames
from flowframe.errors import SchemaError
from flowframe.plotting import BUY_COLOR, NAN_COLOR, SELL_COLOR, align_zeros, plot_hedge
from flowframe.sources.samples import SampleSource
from tests.plotting.conftest import (
    DAY_SECONDS,
    ET,
    HHMM,
    as_et,
    assert_et_time_axis,
    legend_labels,
    line,
    rects,
    save_picture,
    small_hedge,
    tick_texts,
    xs,
)


def test_hedge_bars_one_per_bar_coloured_by_sign(hedge):
    ax = plot_hedge(hedge)
    assert isinstance(ax, Axes)
    assert len(ax.patches) == len(hedge)
    for patch, value in zip(rects(ax), hedge["bar"], strict=True):
        assert patch.get_facecolor() == to_rgba(BUY_COLOR if value >= 0 else SELL_COLOR)
        assert patch.get_height() == pytest.approx(value)
    # bars are centred on their bar time, 80% of the 30 s spacing wide, and do not overlap
    x = mdates.date2num(hedge.index.tz_localize(None))
    centres = [p.get_x() + p.get_width() / 2 for p in rects(ax)]
    np.testing.assert_allclose(centres, x, rtol=0, atol=1e-9)
    assert rects(ax)[0].get_width() * DAY_SECONDS == pytest.approx(24.0)


def test_hedge_twin_axis_and_money_ticks(hedge):
    ax = plot_hedge(hedge)
    fig_axes = ax.figure.axes
    assert len(fig_axes) == 2
    twin = fig_axes[1]
    cumulative = line(ax, "cumulative")
    assert cumulative.axes is twin
    np.testing.assert_array_equal(cumulative.get_ydata(), hedge["cumulative"].to_numpy())
    bar_ticks = tick_texts(ax)
    assert all(t.startswith(("$", "-$")) for t in bar_ticks), bar_ticks
    assert any(t.endswith("M") for t in bar_ticks), bar_ticks
    cum_ticks = tick_texts(twin)
    assert all("$" in t for t in cum_ticks), cum_ticks
    assert any(t.endswith("M") for t in cum_ticks), cum_ticks
    assert str(twin.yaxis.get_label_position()) == "right"


def test_hedge_time_axis_in_eastern(hedge):
    ax = plot_hedge(hedge)
    assert_et_time_axis(ax, "13:45", "14:45")
    first = as_et(xs(line(ax, "cumulative"))[0])
    assert first == hedge.index[0].tz_convert(ET)
    assert first.strftime("%H:%M") == "13:45"
    assert ax.get_xlabel() == "time (ET)"


@pytest.mark.parametrize(
    ("start", "expected"),
    [("2026-06-05 13:30", "09:30"), ("2026-01-09 14:30", "09:30")],
    ids=["EDT", "EST"],
)
def test_hedge_open_reads_0930_in_summer_and_winter(start, expected):
    ax = plot_hedge(small_hedge(start=start))
    labels = tick_texts(ax, "x")
    assert expected in labels, labels
    assert all(HHMM.match(t) for t in labels)


def test_hedge_legend_and_default_title(hedge):
    ax = plot_hedge(hedge)
    labels = legend_labels(ax)
    assert labels == ["dealers buy", "dealers sell", "cumulative"]
    assert ax.get_title() == "SPY dealer hedge-flow (all, 30s bars)"
    assert plot_hedge(hedge, title="mine").get_title() == "mine"


def test_hedge_split_draws_dashed_legs(split):
    ax = plot_hedge(split)
    labels = legend_labels(ax)
    assert {"calls cumulative", "puts cumulative", "cumulative"} <= set(labels)
    calls, puts = line(ax, "calls cumulative"), line(ax, "puts cumulative")
    assert calls.get_linestyle() == puts.get_linestyle() == "--"
    assert calls.get_color() != puts.get_color()
    np.testing.assert_array_equal(puts.get_ydata(), split["puts_cumulative"].to_numpy())
    assert ax.get_title() == "SPY dealer hedge-flow (split, 30s bars)"


def test_hedge_legs_switch(split, hedge):
    ax = plot_hedge(split, legs=False)
    assert "calls cumulative" not in legend_labels(ax)
    ax = plot_hedge(split, legs=True)
    assert "calls cumulative" in legend_labels(ax)
    with pytest.raises(SchemaError, match="calls_bar"):
        plot_hedge(hedge, legs=True)


def test_hedge_price_overlay_on_offset_third_axis(split, series):
    ax = plot_hedge(split, price=series["spot"])
    fig_axes = ax.figure.axes
    assert len(fig_axes) == 3
    third = fig_axes[2]
    assert third.spines["right"].get_position() == ("outward", 80.0)
    spot = line(ax, "spot")
    assert spot.axes is third
    np.testing.assert_array_equal(spot.get_ydata(), series["spot"].to_numpy())
    assert "spot" in legend_labels(ax)
    price_ticks = tick_texts(third)
    assert price_ticks and all("$" not in t and "e" not in t for t in price_ticks)


def test_hedge_price_keeps_to_the_frames_window(split, source):
    whole_day = frames.series_from_payload(source.get_series("SPY", bar="5m", minutes=390))
    ax = plot_hedge(split, price=whole_day["spot"])
    spot_x = xs(line(ax, "spot"))
    assert as_et(spot_x.min()) >= split.index[0].tz_convert(ET) - pd.Timedelta(seconds=30)
    assert as_et(spot_x.max()) <= split.index[-1].tz_convert(ET) + pd.Timedelta(seconds=30)


def test_hedge_price_true_uses_spot_column(hedge):
    with pytest.raises(SchemaError, match="spot"):
        plot_hedge(hedge, price=True)
    frame = hedge.assign(spot=np.linspace(590.0, 595.0, len(hedge)))
    ax = plot_hedge(frame, price=True)
    assert len(ax.figure.axes) == 3
    np.testing.assert_array_equal(line(ax, "spot").get_ydata(), frame["spot"].to_numpy())


def test_hedge_price_must_be_a_series(hedge):
    with pytest.raises(TypeError, match="price"):
        plot_hedge(hedge, price=[1.0, 2.0])  # type: ignore[arg-type]


def test_hedge_single_bar_and_nan_bar():
    one = small_hedge(n=1, bars=[-3e6])
    ax = plot_hedge(one)
    assert len(ax.patches) == 1
    assert ax.patches[0].get_facecolor() == to_rgba(SELL_COLOR)
    assert rects(ax)[0].get_width() * DAY_SECONDS == pytest.approx(48.0)  # 0.8 x 1m
    gap = small_hedge(n=3, bars=[1e6, np.nan, -1e6])
    ax = plot_hedge(gap)
    assert len(ax.patches) == 3
    assert ax.patches[1].get_facecolor() == to_rgba(NAN_COLOR)
    assert rects(ax)[1].get_height() == 0


def test_hedge_draws_on_given_axes_without_new_figure(hedge):
    _, given = plt.subplots()
    before = plt.get_fignums()
    ax = plot_hedge(hedge, ax=given)
    assert ax is given
    assert plt.get_fignums() == before
    assert matplotlib.get_backend().lower() == "agg"


def test_hedge_leaves_frame_untouched(hedge):
    copy = hedge.copy()
    plot_hedge(hedge)
    pd.testing.assert_frame_equal(hedge, copy)
    assert hedge.attrs == copy.attrs


def test_hedge_errors(series, gex):
    empty = small_hedge().iloc[:0]
    with pytest.raises(ValueError, match="no bars to plot"):
        plot_hedge(empty)
    with pytest.raises(SchemaError, match="plot_hedge needs columns bar, cumulative"):
        plot_hedge(series)
    with pytest.raises(SchemaError, match="needs a DataFrame"):
        plot_hedge(gex)
    naive = small_hedge()
    naive.index = naive.index.tz_localize(None)
    with pytest.raises(SchemaError, match="tz-aware"):
        plot_hedge(naive)


# --------------------------------------------------------------------------- pictures


def _picture(kind: str, source: SampleSource) -> Axes:
    if kind == "hedge":
        return plot_hedge(frames.hedge_flow_from_payload(source.get_hedge_flow("SPY", side="all")))
    if kind == "hedge_split_price":
        split = frames.split_hedge_flow(
            source.get_hedge_flow("SPY", side="calls"), source.get_hedge_flow("SPY", side="puts")
        )
        spot = frames.series_from_payload(source.get_series("SPY"))["spot"]
        return plot_hedge(split, price=spot)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["hedge", "hedge_split_price"])
def test_picture_written_for_a_person_to_look_at(kind, source):
    save_picture(_picture(kind, source), kind)


def zero_height(axes: Axes) -> float:
    """Where y = 0 sits on an axes, as a fraction of its height from the bottom."""
    lo, hi = axes.get_ylim()
    return (0.0 - lo) / (hi - lo)


@pytest.mark.parametrize("with_price", [False, True], ids=["bars-and-cumulative", "with-price"])
def test_hedge_twin_axes_share_one_zero(split, series, with_price):
    ax = plot_hedge(split, price=series["spot"] if with_price else None)
    ax.figure.canvas.draw()
    twin = line(ax, "cumulative").axes
    assert isinstance(twin, Axes) and twin is not ax
    # one horizontal zero line for both axes (it sat beside a non-zero cumulative)
    assert zero_height(ax) == pytest.approx(zero_height(twin), abs=1e-6)
    assert 0.0 < zero_height(ax) < 1.0
    # and nothing is pushed out of view to get there
    lo, hi = ax.get_ylim()
    assert lo <= split["bar"].min() and split["bar"].max() <= hi
    lo, hi = twin.get_ylim()
    for column in ("cumulative", "calls_cumulative", "puts_cumulative"):
        assert lo <= split[column].min() and split[column].max() <= hi, column


def test_align_zeros_keeps_data_and_lines_up_zero():
    _, ax = plt.subplots()
    ax.plot([0, 1], [-1.0, 9.0])
    other = ax.twinx()
    other.plot([0, 1], [-30.0, 10.0])
    before = (ax.get_ylim(), other.get_ylim())
    align_zeros(ax, other)
    assert zero_height(ax) == pytest.approx(zero_height(other), abs=1e-12)
    for axes, (lo, hi) in zip((ax, other), before, strict=True):
        new_lo, new_hi = axes.get_ylim()
        assert new_lo <= lo and hi <= new_hi  # only widened
    # all-positive on one side and all-negative on the other: zero lands between
    _, ax = plt.subplots()
    ax.set_ylim(0.0, 4.0)
    other = ax.twinx()
    other.set_ylim(-2.0, 0.0)
    align_zeros(ax, other)
    assert zero_height(ax) == pytest.approx(zero_height(other))
    assert ax.get_ylim()[1] >= 4.0 and other.get_ylim()[0] <= -2.0
