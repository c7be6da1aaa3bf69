"""ff.live.Dashboard over an ensemble: the band of its variants on the hedge-flow and series.

Headless (ipywidgets' DummyComm, matplotlib Agg). After a refresh the hedge-flow panel shades
the low and high of the variants' cumulative, and the series panel those of the gamma flip,
walls and magnet, behind the primary's lines; a plain source and ``band=False`` show none; a
band that fails is an error of the dashboard and polling goes on.
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import FillBetweenPolyCollection, PolyCollection

import flowframe as ff
from flowframe.live import Dashboard, LiveData
from flowframe.live import dashboard as dashboard_module
from tests.fakes import DATE, PNG

LEVELS = ("gamma_flip", "call_wall", "put_wall", "magnet")
LABEL = "band: 3 models (min\N{EN DASH}max)"


@pytest.fixture(scope="module")
def ensemble() -> ff.Ensemble:
    """Three variants whose hedge-flow differs (two tape what-ifs), frozen at 14:00 ET."""
    day = ff.Simulated(seed=3, date=DATE, now="14:00", symbols=("SPY",), scale=0.02)
    return ff.Ensemble(
        day,
        {
            "base": None,
            "no_blocks": ff.whatif.drop_blocks(20),
            "calls_only": ff.whatif.calls_only(),
        },
    )


@pytest.fixture(scope="module")
def banded(ensemble: ff.Ensemble) -> Dashboard:
    dash = Dashboard("SPY", ensemble, render="png", leaderboard_every=None)
    dash.refresh()
    return dash


def fills(ax: Any) -> list[FillBetweenPolyCollection]:
    """The visible band regions of an axes (PolyCollections from fill_between)."""
    return [
        c for c in ax.collections if isinstance(c, FillBetweenPolyCollection) and c.get_visible()
    ]


def y_extent(fill: PolyCollection) -> tuple[float, float]:
    ys = np.concatenate([np.asarray(path.vertices)[:, 1] for path in fill.get_paths()])
    ys = ys[np.isfinite(ys)]
    return float(ys.min()), float(ys.max())


def band_of(panel: Any) -> pd.DataFrame | None:
    """The band a panel holds now (a function: mypy keeps no earlier narrowing)."""
    band: pd.DataFrame | None = panel.band
    return band


def legend_texts(ax: Any) -> list[str]:
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def members(ensemble: ff.Ensemble, loader: Any, field: str, index: pd.Index) -> pd.DataFrame:
    frame = loader("SPY", bar="1m", minutes=390, source=ensemble)
    values = frame.xs(field, axis=1, level=1).apply(pd.to_numeric, errors="coerce")
    return pd.DataFrame(values.astype(float).reindex(index))


def test_hedge_panel_shades_the_members_cumulative(
    banded: Dashboard, ensemble: ff.Ensemble
) -> None:
    assert banded.errors == []
    hedge = banded.data.hedge
    assert hedge is not None and not hedge.empty
    cumulative = members(ensemble, ff.hedge_flow, "cumulative", hedge.index)
    assert cumulative.shape[1] == 3
    assert cumulative.max(axis=1).sub(cumulative.min(axis=1)).max() > 0  # a real band
    (fill,) = fills(banded.hedge.twin)
    low, high = y_extent(fill)
    assert low == pytest.approx(float(cumulative.min().min()))
    assert high == pytest.approx(float(cumulative.max().max()))
    # behind the primary's line, which it holds
    assert fill.get_zorder() < banded.hedge.cumulative.get_zorder()
    primary = hedge["cumulative"].to_numpy(dtype=float)
    band = banded.hedge.band
    assert band is not None and band.attrs["models"] == 3
    assert band.index.equals(hedge.index)
    inside = np.isfinite(primary)
    assert (band["low"].to_numpy()[inside] <= primary[inside] + 1e-6).all()
    assert (primary[inside] <= band["high"].to_numpy()[inside] + 1e-6).all()
    assert LABEL in legend_texts(banded.hedge.price_ax)


def test_series_panel_shades_the_levels(banded: Dashboard, ensemble: ff.Ensemble) -> None:
    frame = banded.data.series
    assert frame is not None
    shown = fills(banded.series.ax)
    assert len(shown) == len(LEVELS)
    for name in LEVELS:
        fill = banded.series.bands[name]
        assert fill.get_visible()
        assert fill.get_zorder() < banded.series.lines[name].get_zorder()
        values = members(ensemble, ff.series, name, frame.index)
        low, high = y_extent(fill)
        assert low == pytest.approx(float(np.nanmin(values.to_numpy())))
        assert high == pytest.approx(float(np.nanmax(values.to_numpy())))
    band = banded.series.band
    assert band is not None and band.index.equals(frame.index)
    assert LABEL in legend_texts(banded.series.ax)
    # the blitted frame and a full render both show it
    assert bytes(banded.hedge.widget.value).startswith(PNG)
    assert banded.pngs()["series"].startswith(PNG)


def test_a_plain_source_shows_no_band() -> None:
    day = ff.Simulated(seed=3, date=DATE, now="14:00", symbols=("SPY",), scale=0.02)
    dash = Dashboard("SPY", day, render="png", leaderboard_every=None)
    dash.refresh()
    assert dash.band_source is None
    assert dash.data.hedge is not None and not dash.data.hedge.empty
    assert dash.hedge.band is None and dash.series.band is None
    assert fills(dash.hedge.twin) == [] and fills(dash.series.ax) == []
    assert not any(t.startswith("band") for t in legend_texts(dash.hedge.price_ax))
    assert not any(t.startswith("band") for t in legend_texts(dash.series.ax))


def test_band_false_shows_none(ensemble: ff.Ensemble) -> None:
    dash = Dashboard("SPY", ensemble, render="png", leaderboard_every=None, band=False)
    dash.refresh()
    assert dash.band_source is None
    assert dash.hedge.band is None and dash.series.band is None
    assert fills(dash.hedge.twin) == [] and fills(dash.series.ax) == []
    assert not any(t.startswith("band") for t in legend_texts(dash.hedge.price_ax))


def test_a_failing_band_is_an_error_and_polling_goes_on(
    ensemble: ff.Ensemble, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> tuple[None, None]:
        raise ValueError("no band today")

    monkeypatch.setattr(dashboard_module, "ensemble_band", broken)
    dash = Dashboard("SPY", ensemble, render="png", leaderboard_every=None)
    dash.refresh()
    dash.refresh()
    assert dash.status.ticks == 2
    assert dash.data.hedge is not None and not dash.data.hedge.empty
    band_errors = [e for e in dash.errors if "no band today" in e[2]]
    assert len(band_errors) == 2 and all("_update_band" in e[2] for e in band_errors)
    assert fills(dash.hedge.twin) == [] and fills(dash.series.ax) == []
    # the rest of the dashboard drew
    assert banded_lines(dash) > 0


def banded_lines(dash: Dashboard) -> int:
    return len(np.asarray(dash.hedge.cumulative.get_xdata()))


def test_a_new_symbol_drops_the_band(ensemble: ff.Ensemble) -> None:
    dash = Dashboard("SPY", ensemble, render="png", leaderboard_every=None)
    dash.refresh()
    assert band_of(dash.hedge) is not None
    dash.bar = "5m"  # the bars held are dropped: so is their band, until the next cycle
    assert band_of(dash.hedge) is None and band_of(dash.series) is None
    dash.refresh()
    band = band_of(dash.hedge)
    hedge = dash.data.hedge
    assert band is not None and hedge is not None and band.index.equals(hedge.index)


def test_panels_take_a_band_alone() -> None:
    """A panel shows a band handed to it, aligned on its own frame's bars."""
    index = pd.date_range("2026-09-18 13:30", periods=5, freq="1min", tz="UTC", name="t")
    hedge = pd.DataFrame({"bar": [1.0, -2.0, 3.0, 0.5, -1.0]}, index=index)
    hedge["cumulative"] = hedge["bar"].cumsum()
    hedge.attrs.update(symbol="SPY", bar_size="1m")
    panel = ff.live.HedgePanel(LiveData(hedge=hedge), render="png")
    band = pd.DataFrame({"low": hedge["cumulative"] - 1, "high": hedge["cumulative"] + 2})
    band.attrs["models"] = 4
    panel.band = band.iloc[1:]  # one bar short: the first bar has no band
    assert panel.update()
    (fill,) = fills(panel.twin)
    assert y_extent(fill) == pytest.approx((-1.0 - 1.0, 2.5 + 2.0))  # bars 1 to 4
    assert "band: 4 models (min\N{EN DASH}max)" in legend_texts(panel.price_ax)
    panel.band = None
    assert panel.update()
    assert fills(panel.twin) == []
    assert not any(t.startswith("band") for t in legend_texts(panel.price_ax))
