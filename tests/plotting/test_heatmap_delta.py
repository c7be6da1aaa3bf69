"""A delta heatmap's picture: the first bar (a level on the wire) is blank, not the scale (issue 12)."""

from __future__ import annotations

import numpy as np

import flowframe as ff
from flowframe.plotting import plot_heatmap
from tests.plotting.conftest import limits, mesh_of


def test_the_first_bar_of_a_delta_heatmap_is_blank_and_off_the_scale():
    sim = ff.Simulated(seed=3, date="2026-09-18", now="12:00", scale=0.02, symbols=("SPY",))
    delta = ff.heatmap("SPY", mode="delta", minutes=60, source=sim)
    level = float(np.nanmax(np.abs(delta["start_level"].values)))
    changes = float(np.nanmax(np.abs(delta.isel(bar=slice(1, None)).values)))
    assert level > changes  # the picture the wire's first bar would spoil
    for robust in (True, False):
        mesh = mesh_of(plot_heatmap(delta, around_spot=None, robust=robust))
        data = mesh.get_array()
        assert data is not None
        cells = np.ma.masked_invalid(data).reshape(delta.sizes["strike"], -1)
        assert cells[:, 0].mask.all()  # the first bar's column: blank
        assert not cells[:, 1:].mask.all(axis=0).any()  # every other bar shows
        vmin, vmax = limits(mesh)
        assert vmin == -vmax and vmax <= changes
    # extremes, not percentiles: the largest change sets the scale
    mesh = mesh_of(plot_heatmap(delta, around_spot=None, robust=False))
    assert limits(mesh)[1] == changes
