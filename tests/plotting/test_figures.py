"""Tests for flowframe.plotting: what a person looking at the figure would notice."""

from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.collections import QuadMesh
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from flowframe import frames
from flowframe.errors import SchemaError
from flowframe.plotting import (
    BUY_COLOR,
    NAN_COLOR,
    NEUTRAL_COLOR,
    SELL_COLOR,
    format_money,
    money_formatter,
    plot_heatmap,
    plot_hedge,
    plot_profile,
    plot_series,
)
from flowframe.sources.samples import SampleSource

ET = "America/New_York"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "plots"
HHMM = re.compile(r"^\d\d:\d\d$")
DAY_SECONDS = 86400.0


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _clean_figures(monkeypatch):
    def no_show(*args, **kwargs):
        raise AssertionError("plotting must never call plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def source():
    return SampleSource(now="14:45")


@pytest.fixture(scope="module")
def hedge(source):
    return frames.hedge_flow_from_payload(source.get_hedge_flow("SPY"))


@pytest.fixture(scope="module")
def split(source):
    return frames.split_hedge_flow(
        source.get_hedge_flow("SPY", side="calls"), source.get_hedge_flow("SPY", side="puts")
    )


@pytest.fixture(scope="module")
def series(source):
    return frames.series_from_payload(source.get_series("SPY"))


@pytest.fixture(scope="module")
def session_series(source):
    """The whole session to 14:45 in 5-minute bars: both gamma regimes appear."""
    return frames.series_from_payload(source.get_series("SPY", bar="5m", minutes=390))


@pytest.fixture(scope="module")
def gex(source):
    return frames.heatmap_from_payload(source.get_heatmap("SPY"))


@pytest.fixture(scope="module")
def gex_delta(source):
    return frames.heatmap_from_payload(source.get_heatmap("SPY", mode="delta"))


@pytest.fixture(scope="module")
def oi(source):
    return frames.heatmap_from_payload(source.get_heatmap("SPY", metric="oi"))


def small_hedge(start="2026-06-05 13:30", n=5, freq="1min", bars=None):
    index = pd.date_range(start, periods=n, freq=freq, tz="UTC", name="t")
    bar = np.array(bars if bars is not None else [1e6, -2e6, 3e6, -4e6, 5e6][:n], dtype=float)
    frame = pd.DataFrame({"bar": bar, "cumulative": np.nancumsum(bar)}, index=index)
    frame.attrs = {"symbol": "SPY", "side": "all", "bar_size": "1m"}
    return frame


# --------------------------------------------------------------------------- helpers


def legend_labels(ax: Axes) -> list[str]:
    labels: list[str] = []
    for axes in ax.figure.axes:
        legend = axes.get_legend()
        if legend is not None:
            labels.extend(t.get_text() for t in legend.get_texts())
    return labels


def tick_texts(ax: Axes, which: str = "y") -> list[str]:
    ax.figure.canvas.draw()
    labels = ax.get_yticklabels() if which == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels if t.get_text()]


def date_num(ts: str) -> float:
    return float(mdates.date2num(pd.Timestamp(ts).tz_convert("UTC").tz_localize(None)))


def as_et(num: float) -> pd.Timestamp:
    return pd.Timestamp(mdates.num2date(num)).tz_convert(ET)


def line(ax: Axes, label: str) -> Line2D:
    for axes in ax.figure.axes:
        for candidate in axes.get_lines():
            if candidate.get_label() == label:
                return candidate
    raise AssertionError(f"no line labelled {label!r}")


def rects(ax: Axes) -> list[Rectangle]:
    """The axes' patches (bars or spans), all rectangles, in drawing order."""
    found = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(found) == len(ax.patches)
    return found


def xs(ln: Line2D) -> np.ndarray:
    return np.asarray(ln.get_xdata(), dtype=np.float64)


def ys(ln: Line2D) -> np.ndarray:
    return np.asarray(ln.get_ydata(), dtype=np.float64)


def limits(mesh: QuadMesh) -> tuple[float, float]:
    """The colour scale's (vmin, vmax)."""
    vmin, vmax = mesh.norm.vmin, mesh.norm.vmax
    assert isinstance(vmin, float) and isinstance(vmax, float)
    return vmin, vmax


def mesh_of(ax: Axes) -> QuadMesh:
    meshes = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 1
    return meshes[0]


def assert_et_time_axis(ax: Axes, first: str, last: str) -> None:
    """Tick labels are HH:MM within [first, last] ET, and 13:30Z reads as 09:30 in June."""
    labels = tick_texts(ax, "x")
    assert labels
    assert all(HHMM.match(t) for t in labels), labels
    assert all(first <= t <= last for t in labels), labels
    fmt = ax.xaxis.get_major_formatter()
    assert fmt(date_num("2026-06-05T13:30:00Z")) == "09:30"


# --------------------------------------------------------------------------- format_money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12_400_000, "$12.4M"),
        (-850_000, "-$850K"),
        (12_000_000, "$12M"),
        (1_000_000, "$1M"),
        (1_260_000_000, "$1.3B"),
        (-1_234_000_000, "-$1.2B"),
        (3.2e12, "$3.2T"),
        (5e15, "$5000T"),
        (1_500, "$1.5K"),
        (1_000, "$1K"),
        (512, "$512"),
        (512.7, "$513"),
        (-512.4, "-$512"),
        (0, "$0"),
        (0.0, "$0"),
        (-0.3, "$0"),
        (999.6, "$1K"),
        (999_940, "$999.9K"),
        (999_960, "$1M"),
        (np.float64(2.5e6), "$2.5M"),
        (float("nan"), "n/a"),
        (np.nan, "n/a"),
        (math.inf, "$inf"),
        (-math.inf, "-$inf"),
    ],
)
def test_format_money(value, expected):
    assert format_money(value) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1_234_567_890, 2, "$1.23B"),
        (12_400_000, 0, "$12M"),
        (1_234_000, 3, "$1.234M"),
        (1_200_000, 3, "$1.2M"),
        (-1_250_000, 2, "-$1.25M"),
        (512.7, 3, "$513"),
    ],
)
def test_format_money_decimals(value, decimals, expected):
    assert format_money(value, decimals=decimals) == expected


def test_format_money_rejects_negative_decimals():
    with pytest.raises(ValueError, match="decimals"):
        format_money(1.0, decimals=-1)
    with pytest.raises(ValueError, match="decimals"):
        money_formatter(-1)


def test_money_formatter():
    fmt = money_formatter()
    assert isinstance(fmt, FuncFormatter)
    assert fmt(2.5e6, 0) == "$2.5M"
    assert fmt(-1.25e6, None) == "-$1.2M"
    assert money_formatter(2)(-1.25e6, 0) == "-$1.25M"


# --------------------------------------------------------------------------- plot_hedge


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


# --------------------------------------------------------------------------- plot_series


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


# --------------------------------------------------------------------------- plot_heatmap


def test_heatmap_gex_is_centred_at_zero(gex):
    ax = plot_heatmap(gex)
    assert isinstance(ax, Axes)
    mesh = mesh_of(ax)
    assert mesh.cmap.name == "RdBu_r"
    vmin, vmax = limits(mesh)
    assert vmin == -vmax
    assert np.asarray(mesh.norm(np.array(0.0))) == pytest.approx(0.5)
    shown = gex.sel(strike=slice(ax.get_ylim()[0], ax.get_ylim()[1]))
    assert vmax == pytest.approx(float(np.abs(shown).max()))
    assert_et_time_axis(ax, "13:45", "14:45")
    assert ax.get_title() == "SPY gex (raw) by strike (1m bars)"


def test_heatmap_colorbar_labelled_with_units(gex, oi):
    ax = plot_heatmap(gex)
    assert len(ax.figure.axes) == 2
    bar = mesh_of(ax).colorbar
    assert bar is not None
    assert bar.ax.get_ylabel() == gex.attrs["units"] == "USD per 1% move (dealer gamma exposure)"
    ticks = [t.get_text() for t in bar.ax.get_yticklabels()]
    assert any(t.endswith("M") and "$" in t for t in ticks), ticks
    ax = plot_heatmap(oi)
    bar = mesh_of(ax).colorbar
    assert bar is not None
    assert bar.ax.get_ylabel() == "contracts (effective open interest)"
    assert len(plot_heatmap(gex, colorbar=False).figure.axes) == 1


def test_heatmap_oi_raw_is_sequential(oi):
    mesh = mesh_of(plot_heatmap(oi))
    assert mesh.cmap.name == "viridis"
    vmin, vmax = limits(mesh)
    assert vmin >= 0
    assert vmin != -vmax
    assert vmax == float(oi.max())


def test_heatmap_oi_delta_is_diverging(source):
    oi_delta = frames.heatmap_from_payload(source.get_heatmap("SPY", metric="oi", mode="delta"))
    mesh = mesh_of(plot_heatmap(oi_delta))
    assert mesh.cmap.name == "RdBu_r"
    vmin, vmax = limits(mesh)
    assert vmin == -vmax


def test_heatmap_delta_is_robust_by_default(gex_delta):
    ax = plot_heatmap(gex_delta, around_spot=None)
    mesh = mesh_of(ax)
    peak = float(np.abs(gex_delta).max())
    vmin, vmax = limits(mesh)
    assert vmin == -vmax
    assert 0 < vmax < peak / 2  # a few huge changes do not wash out the rest
    assert mesh.colorbar is not None and mesh.colorbar.extend == "both"
    mesh = mesh_of(plot_heatmap(gex_delta, around_spot=None, robust=False))
    assert limits(mesh)[1] == pytest.approx(peak)
    assert mesh.colorbar is not None and mesh.colorbar.extend == "neither"


@pytest.mark.parametrize(
    "values",
    [np.zeros((3, 4)), np.full((3, 4), np.nan), np.arange(12.0).reshape(3, 4) + 1.0],
    ids=["all-zero", "all-nan", "positive-only"],
)
def test_heatmap_degenerate_signed_data(gex, values):
    array = gex.isel(bar=slice(0, 3), strike=slice(30, 34)).copy(data=values)
    mesh = mesh_of(plot_heatmap(array, around_spot=None))
    vmin, vmax = limits(mesh)
    assert vmin == -vmax
    assert vmax > 0


def test_heatmap_around_spot_limits_strikes(gex):
    spot = gex["spot"].to_numpy()
    lo, hi = spot.min() * 0.99, spot.max() * 1.01
    ax = plot_heatmap(gex, around_spot=0.01)
    y0, y1 = ax.get_ylim()
    assert lo - 0.5 <= y0 and y1 <= hi + 0.5
    kept = gex.strike[(gex.strike >= lo) & (gex.strike <= hi)]
    cells = mesh_of(ax).get_array()
    assert cells is not None and cells.shape == (kept.size, gex.sizes["bar"])
    wide = plot_heatmap(gex, around_spot=None)
    assert wide.get_ylim() == (559.5, 620.5)
    default = plot_heatmap(gex).get_ylim()
    assert wide.get_ylim()[0] < default[0] < y0 and y1 < default[1] < wide.get_ylim()[1]


def test_heatmap_around_spot_errors(gex):
    with pytest.raises(ValueError, match="around_spot"):
        plot_heatmap(gex, around_spot=-0.1)
    far = gex.assign_coords(spot=("bar", np.full(gex.sizes["bar"], 1000.0)))
    with pytest.raises(ValueError, match="no strike lies within"):
        plot_heatmap(far, around_spot=0.01)


def test_heatmap_spot_overlay(gex):
    ax = plot_heatmap(gex)
    spot = line(ax, "spot")
    np.testing.assert_array_equal(spot.get_ydata(), gex["spot"].to_numpy())
    assert spot.get_color() == "black"
    assert spot.get_path_effects()  # the white outline
    assert as_et(xs(spot)[0]).strftime("%H:%M") == "13:45"
    assert not plot_heatmap(gex, show_spot=False).get_lines()


def test_heatmap_without_spot_keeps_every_strike(gex):
    ax = plot_heatmap(gex.drop_vars("spot"))
    assert not ax.get_lines()
    assert ax.get_ylim() == (559.5, 620.5)


def test_heatmap_single_bar_and_cmap_override(gex):
    ax = plot_heatmap(gex.isel(bar=[0]), cmap="coolwarm")
    mesh = mesh_of(ax)
    assert mesh.cmap.name == "coolwarm"
    vmin, vmax = limits(mesh)
    assert vmin == -vmax
    x0, x1 = ax.get_xlim()
    assert (x1 - x0) * DAY_SECONDS == pytest.approx(60.0)


def test_heatmap_errors(gex, hedge):
    with pytest.raises(ValueError, match="no bars to plot"):
        plot_heatmap(gex.isel(bar=slice(0, 0)))
    with pytest.raises(SchemaError, match=r"plot_heatmap needs an xarray\.DataArray"):
        plot_heatmap(hedge)
    with pytest.raises(SchemaError, match="needs dims"):
        plot_heatmap(xr.DataArray(np.zeros((2, 2)), dims=("x", "y")))


# --------------------------------------------------------------------------- plot_profile


def test_profile_last_bar_by_default(gex):
    ax = plot_profile(gex)
    assert isinstance(ax, Axes)
    last = gex.isel(bar=-1).to_numpy()
    assert len(ax.patches) == gex.sizes["strike"]
    for patch, strike, value in zip(rects(ax), gex.strike.to_numpy(), last, strict=True):
        assert patch.get_width() == pytest.approx(value)
        assert patch.get_y() + patch.get_height() / 2 == pytest.approx(strike)
        assert patch.get_facecolor() == to_rgba(BUY_COLOR if value >= 0 else SELL_COLOR)
    spot = float(gex["spot"][-1])
    hline = next(ln for ln in ax.get_lines() if str(ln.get_label()).startswith("spot"))
    assert list(ys(hline)) == [spot, spot]
    assert legend_labels(ax) == [f"spot {spot:,.2f}"]
    assert ax.get_title() == "SPY gex (raw) by strike at 14:44 ET"
    assert any(t.startswith(("$", "-$")) and t.endswith("M") for t in tick_texts(ax, "x"))


@pytest.mark.parametrize(
    "at",
    [
        "2026-06-05 18:00",
        "2026-06-05T14:00:00-04:00",
        pd.Timestamp("2026-06-05 18:00:20", tz="UTC"),
        np.datetime64("2026-06-05T17:59:45"),
    ],
    ids=["naive-str-utc", "aware-str-et", "aware-timestamp", "datetime64"],
)
def test_profile_at_nearest_bar(gex, at):
    ax = plot_profile(gex, at)
    assert ax.get_title().endswith("at 14:00 ET")
    row = gex.sel(bar=np.datetime64("2026-06-05T18:00")).to_numpy()
    np.testing.assert_allclose([p.get_width() for p in rects(ax)], row)


def test_profile_oi_is_one_colour(oi):
    ax = plot_profile(oi)
    assert {p.get_facecolor() for p in ax.patches} == {to_rgba(NEUTRAL_COLOR)}
    assert ax.get_xlabel() == "contracts (effective open interest)"


def test_profile_errors(gex, series):
    with pytest.raises(ValueError, match="no bars to plot"):
        plot_profile(gex.isel(bar=slice(0, 0)))
    with pytest.raises(SchemaError, match=r"plot_profile needs an xarray\.DataArray"):
        plot_profile(series)
    with pytest.raises(ValueError, match="not a time"):
        plot_profile(gex, "not a time")


# --------------------------------------------------------------------------- pictures


def _picture(kind: str, source: SampleSource) -> Axes:
    def payload_hedge(side: str) -> pd.DataFrame:
        return frames.hedge_flow_from_payload(source.get_hedge_flow("SPY", side=side))

    def grid(metric: str, mode: str) -> xr.DataArray:
        return frames.heatmap_from_payload(source.get_heatmap("SPY", metric=metric, mode=mode))

    if kind == "hedge":
        return plot_hedge(payload_hedge("all"))
    if kind == "hedge_split_price":
        split = frames.split_hedge_flow(
            source.get_hedge_flow("SPY", side="calls"), source.get_hedge_flow("SPY", side="puts")
        )
        spot = frames.series_from_payload(source.get_series("SPY"))["spot"]
        return plot_hedge(split, price=spot)
    if kind == "series":
        return plot_series(
            frames.series_from_payload(source.get_series("SPY", bar="5m", minutes=390))
        )
    if kind == "heatmap_gex_raw":
        return plot_heatmap(grid("gex", "raw"))
    if kind == "heatmap_gex_delta":
        return plot_heatmap(grid("gex", "delta"))
    if kind == "heatmap_oi":
        return plot_heatmap(grid("oi", "raw"))
    if kind == "profile":
        return plot_profile(grid("gex", "raw"))
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "hedge",
        "hedge_split_price",
        "series",
        "heatmap_gex_raw",
        "heatmap_gex_delta",
        "heatmap_oi",
        "profile",
    ],
)
def test_picture_written_for_a_person_to_look_at(kind, source):
    ax = _picture(kind, source)
    fig = ax.get_figure(root=True)
    assert fig is not None
    assert tuple(fig.get_size_inches()) == (11.0, 5.0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{kind}.png"
    fig.savefig(path, dpi=100)
    assert path.stat().st_size > 10_000
    assert matplotlib.get_backend().lower() == "agg"
