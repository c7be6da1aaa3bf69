"""Shared by the plotting tests: frames from a sample session, and what a person would look at."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import QuadMesh
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from flowframe import frames
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


def save_picture(ax: Axes, kind: str) -> None:
    """Write the figure to ``artifacts/plots/{kind}.png`` for a person to look at."""
    fig = ax.get_figure(root=True)
    assert fig is not None
    assert tuple(fig.get_size_inches()) == (11.0, 5.0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{kind}.png"
    fig.savefig(path, dpi=100)
    assert path.stat().st_size > 10_000
    assert matplotlib.get_backend().lower() == "agg"


@pytest.fixture(scope="module")
def simulated():
    """The engine's SPY session at 14:45 ET (2026-11-20): realistic, sparse per-bar flow."""
    from flowframe.sources.engine.simulated import Simulated

    return Simulated(seed=0, date="2026-11-20", now="14:45", symbols=["SPY"])
