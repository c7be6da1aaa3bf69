"""flow(df) / da.flow / flow(ds): registration, forwarding, errors, statelessness."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import flowframe as ff
from flowframe.sources.samples import SampleSource


def flow(obj: Any) -> Any:
    """Type checkers cannot see accessors (pandas-stubs reads .flow as a column)."""
    return obj.flow


SRC = SampleSource(seed=2, now="13:00")


@pytest.fixture(autouse=True)
def _close() -> Any:
    yield
    plt.close("all")


@pytest.fixture
def hedge() -> pd.DataFrame:
    return ff.hedge_flow("SPY", minutes=120, source=SRC)


@pytest.fixture
def series() -> pd.DataFrame:
    return ff.series("SPY", minutes=120, source=SRC)


@pytest.fixture
def heat() -> xr.DataArray:
    return ff.heatmap("SPY", minutes=60, source=SRC)


def test_accessors_are_registered(hedge: pd.DataFrame, heat: xr.DataArray) -> None:
    assert type(flow(hedge)).__name__ == "FlowFrameAccessor"
    assert type(flow(heat)).__name__ == "FlowArrayAccessor"
    assert type(flow(ff.strike_flow("SPY", source=SRC))).__name__ == "FlowDatasetAccessor"


def test_accessor_keeps_no_state(hedge: pd.DataFrame) -> None:
    assert flow(hedge) is not flow(hedge)  # pandas 3 rebuilds it; nothing cached on it
    assert not hasattr(flow(hedge), "__dict__")


def test_accessor_equals_function(hedge: pd.DataFrame, series: pd.DataFrame) -> None:
    before = hedge.copy()
    pd.testing.assert_frame_equal(flow(hedge).sign_flips(), ff.sign_flips(hedge))
    pd.testing.assert_frame_equal(flow(hedge).bursts(k=2.5), ff.bursts(hedge, k=2.5))
    pd.testing.assert_frame_equal(
        flow(hedge).accelerating_runs(price=series["spot"]),
        ff.accelerating_runs(hedge, price=series["spot"]),
    )
    pd.testing.assert_frame_equal(flow(hedge).resample("5m"), ff.resample_flow(hedge, "5m"))
    pd.testing.assert_series_equal(flow(hedge).rolling("15min"), ff.rolling_flow(hedge, "15min"))
    pd.testing.assert_frame_equal(flow(hedge).rolling_many(), ff.rolling_flows(hedge))
    pd.testing.assert_frame_equal(flow(hedge).to_et(), ff.to_et(hedge))
    pd.testing.assert_frame_equal(flow(series).resample("15m"), ff.resample_flow(series, "15m"))
    pd.testing.assert_frame_equal(hedge, before)  # not mutated
    assert hedge.attrs == before.attrs


def test_array_accessor_equals_function(heat: xr.DataArray) -> None:
    xr.testing.assert_identical(flow(heat).profile(), ff.heatmap_profile(heat))
    xr.testing.assert_identical(flow(heat).to_delta(), ff.heatmap_to_delta(heat))
    pd.testing.assert_frame_equal(flow(heat).top_strikes(3), ff.top_strikes(heat, 3))


def test_plots_return_axes_and_match_the_function(
    hedge: pd.DataFrame, series: pd.DataFrame, heat: xr.DataArray
) -> None:
    a = flow(hedge).plot_hedge()
    b = ff.plot_hedge(hedge)
    assert len(a.patches) == len(b.patches) == len(hedge)
    assert [p.get_height() for p in a.patches] == [p.get_height() for p in b.patches]  # type: ignore[attr-defined]
    assert flow(series).plot_series().get_legend() is not None
    ax = flow(heat).plot()
    assert ax.collections  # the mesh
    assert flow(heat).plot_profile().patches


def test_dataset_accessor_plots_a_variable() -> None:
    ds = ff.strike_flow("SPY", minutes=30, source=SRC)
    ax = flow(ds).plot("contracts")
    assert ax.collections
    assert flow(ds).top_strikes(2, variable="contracts")["share"].between(0, 1).all()
    with pytest.raises(
        AttributeError,
        match=r"ds.flow.plot needs variable 'gex'; this Dataset has signed_delta_dollars, signed_gamma_dollars, contracts",
    ):
        flow(ds).plot("gex")


def test_wrong_frame_names_missing_columns(hedge: pd.DataFrame) -> None:
    with pytest.raises(
        AttributeError,
        match=r"df.flow.plot_series needs columns spot, gamma_flip, call_wall, put_wall, magnet, regime, which this frame lacks",
    ):
        flow(hedge).plot_series()
    other = pd.DataFrame({"a": [1.0]}, index=pd.DatetimeIndex(["2026-09-18"], tz="UTC", name="t"))
    with pytest.raises(
        AttributeError,
        match=r"df.flow needs a hedge-flow frame \(columns bar, cumulative\) or a series frame .*\(it has a\)",
    ):
        flow(other)
    with pytest.raises(AttributeError, match="indexed by tz-aware bar time"):
        flow(pd.DataFrame({"bar": [1.0]}))


def test_series_frame_without_bar(series: pd.DataFrame) -> None:
    with pytest.raises(AttributeError, match=r"df.flow.plot_hedge needs columns bar, cumulative"):
        flow(series).plot_hedge()
    with pytest.raises(AttributeError, match=r"df.flow.sign_flips needs columns bar"):
        flow(series).sign_flips()
    flips = flow(series).sign_flips(column="hedge_flow_cumulative_all")
    assert list(flips.columns) == ["value", "previous", "sign"]


def test_wrong_array_names_missing_dims() -> None:
    flat = xr.DataArray(np.zeros(3), dims=("x",))
    with pytest.raises(
        AttributeError,
        match=r"\.flow\.plot needs dims \('bar', 'strike'\); this array lacks bar, strike \(it has x\)",
    ):
        flow(flat).plot()


def test_split_frame_plot_shows_legs() -> None:
    df = ff.hedge_flow("SPY", side="split", minutes=60, source=SRC)
    ax = flow(df).plot_hedge()
    legends = [a.get_legend() for a in ax.figure.axes if a.get_legend() is not None]
    labels = [t.get_text() for legend in legends for t in legend.get_texts()]
    assert any("calls" in s for s in labels) and any("puts" in s for s in labels)


# ---------------------------------------------------------------------- help() and Shift-Tab


def help_text(obj: Any) -> str:
    import pydoc

    return pydoc.plain(pydoc.render_doc(obj))


def test_help_on_accessor_methods_shows_the_twins_parameters(hedge: pd.DataFrame) -> None:
    import inspect

    method = flow(hedge).plot_hedge
    assert str(inspect.signature(method)) == str(inspect.signature(ff.plot_hedge)).replace(
        "frame: 'pd.DataFrame', *, ", "*, "
    )
    assert inspect.signature(method).return_annotation == "Axes"
    text = help_text(method)
    assert "plot_hedge(*, ax: 'Axes | None' = None, price:" in text
    assert "legs: 'bool | None' = None, title: 'str | None' = None" in text
    assert "``df.flow.plot_hedge(...)`` is :func:`flowframe.plot_hedge` on this object." in text
    assert "The per-bar flow is drawn as bars" in text  # the twin's own docstring follows
    assert method.__name__ == "plot_hedge" and method.__wrapped__ is ff.plot_hedge


def test_help_on_da_flow_plot_and_ds_flow() -> None:
    import inspect

    heatmap = ff.heatmap("SPY", minutes=30, source=SRC)
    text = help_text(flow(heatmap).plot)
    assert "plot(*, ax: 'Axes | None' = None, around_spot: 'float | None' = 0.03" in text
    assert "robust: 'bool | None' = None" in text
    ds = ff.strike_flow("SPY", minutes=30, source=SRC)
    params = inspect.signature(flow(ds).plot).parameters
    assert next(iter(params)) == "variable"
    assert params["variable"].default == "signed_delta_dollars"
    params = inspect.signature(flow(ds).profile).parameters
    assert list(params) == ["at", "variable"]
    assert params["variable"].kind is inspect.Parameter.KEYWORD_ONLY
    with pytest.raises(TypeError, match="got multiple values for 'variable'"):
        flow(ds).plot("contracts", variable="contracts")
    assert list(inspect.signature(flow(hedge_frame()).rolling).parameters) == ["window", "column"]


def hedge_frame() -> pd.DataFrame:
    return ff.hedge_flow("SPY", minutes=30, source=SRC)


def test_help_on_the_loaders_shows_parameters_and_schema() -> None:
    text = help_text(ff.heatmap)
    assert (
        "heatmap(symbol: 'str', *, metric: 'str' = 'gex', mode: 'str' = 'raw', bar: 'str' = '1m'"
        in text
    )
    for section in ("Parameters", "Returns", "Examples"):
        assert section in text
    for param in ("symbol", "metric", "mode", "bar", "minutes", "source"):
        assert f"{param} :" in text


def test_class_level_lookup_documents_and_refuses_a_call() -> None:
    from flowframe.accessor import FlowFrameAccessor

    method = FlowFrameAccessor.plot_hedge
    assert "Plot a hedge-flow frame" in (method.__doc__ or "")
    with pytest.raises(TypeError, match=r"call plot_hedge on an object's \.flow accessor"):
        method()
