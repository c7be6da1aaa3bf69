"""Plots of an ensemble's objects: the median, the min-max band, sign disagreements, diffs."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection, PolyCollection, QuadMesh

import flowframe as ff
from flowframe.frames.ensemble import model_field
from tests.plotting.conftest import save_picture


@pytest.fixture(scope="module")
def ens() -> ff.Ensemble:
    day = ff.Simulated(seed=5, now="14:00", symbols=["SPY"], scale=0.1)
    return ff.Ensemble(
        day,
        {"A": None, "B": {"dealer_prior": "short_all"}, "blocks": ff.whatif.drop_blocks(5)},
    )


@pytest.fixture(autouse=True)
def _close() -> object:
    yield
    plt.close("all")


def _fill_extent(ax: Any) -> tuple[float, float]:
    polys = [c for a in ax.figure.axes for c in a.collections if isinstance(c, PolyCollection)]
    assert polys, "a band is drawn"
    ys = np.concatenate([np.asarray(p.get_paths()[0].vertices)[:, 1] for p in polys])
    return float(ys.min()), float(ys.max())


def test_hedge_plot_draws_the_median_and_the_band(ens: ff.Ensemble) -> None:
    hf = ff.hedge_flow("SPY", bar="5m", minutes=390, source=ens)
    ax = hf.flow.plot_hedge()
    save_picture(ax, "hedge_ensemble_band")
    cum = model_field(hf, "cumulative")
    low, high = _fill_extent(ax)
    assert low == pytest.approx(cum.min(axis=1).min()) and high == pytest.approx(
        cum.max(axis=1).max()
    )
    twin = next(a for a in ax.figure.axes if a is not ax)
    line = twin.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), cum.median(axis=1).to_numpy())
    assert "median of 3 models, band min-max" in ax.get_title()
    texts = [t.get_text() for t in twin.get_legend().get_texts()]
    assert "band: 3 models (min-max)" in texts


def test_series_plot_bands_the_levels(ens: ff.Ensemble) -> None:
    se = ff.series("SPY", bar="5m", minutes=390, source=ens)
    ax = se.flow.plot_series()
    save_picture(ax, "series_ensemble_band")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for level in ("gamma flip", "call wall", "put wall", "magnet"):
        assert f"{level}: band of 3 models" in labels
    assert "regime of the majority" in ax.get_title()


def test_heatmap_median_marks_sign_disagreement_and_selects_a_model(ens: ff.Ensemble) -> None:
    hm = ff.heatmap("SPY", metric="gex", minutes=120, source=ens)
    ax = hm.flow.plot()
    save_picture(ax, "heatmap_ensemble_median")
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    assert "median of 3 models; dots: they disagree on the sign" in ax.get_title()
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert dots and len(np.asarray(dots[0].get_offsets())) > 0  # A and B disagree on call strikes
    plt.close("all")
    one = hm.flow.plot(model="B")
    alone = ff.heatmap("SPY", metric="gex", minutes=120, source=ens.member("B", "SPY")).flow.plot()
    a = next(c for c in one.collections if isinstance(c, QuadMesh)).get_array()
    b = next(c for c in alone.collections if isinstance(c, QuadMesh)).get_array()
    np.testing.assert_array_equal(a, b)
    assert one.get_title().splitlines()[0].endswith("[B]")
    assert mesh.norm.vmin == -float(mesh.norm.vmax)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"no model 'Z'; this array has \['A', 'B', 'blocks'\]"):
        hm.flow.plot(model="Z")


def test_diff_plot_is_diverging_and_centred(ens: ff.Ensemble) -> None:
    hm = ff.heatmap("SPY", metric="oi", minutes=120, source=ens)
    d = ff.diff(hm, "A", "blocks")
    ax = ff.plot_diff(d)
    save_picture(ax, "heatmap_diff")
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    assert mesh.norm.vmin == -float(mesh.norm.vmax)  # type: ignore[arg-type]  # oi is unsigned; its difference is not
    assert mesh.cmap.name == "RdBu_r"
    assert ax.get_title().splitlines()[0] == "SPY oi (raw): A - blocks"
    ax2 = ff.plot_diff(hm, "A", "blocks")
    np.testing.assert_array_equal(
        next(c for c in ax2.collections if isinstance(c, QuadMesh)).get_array(), mesh.get_array()
    )
