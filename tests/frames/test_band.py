"""``ff.band`` and ``ff.diff``: reductions over an ensemble's ``model`` dimension."""

from __future__ import annotations

import inspect
import json
import warnings
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import flowframe as ff
from flowframe._constants import SERIES_FLOAT_COLUMNS
from flowframe.frames.band import BAND, band, diff
from flowframe.frames.ensemble import model_field, stack_frames, stack_grids

MODELS = ["A", "B", "D"]
_A = TypeVar("_A", xr.DataArray, xr.Dataset)

CONFIGS: dict[str, Any] = {"A": None, "B": "short_all", "D": "flow_only"}
NUMERIC_SERIES = list(SERIES_FLOAT_COLUMNS)  # the series' float fields, in order


def _source(prior: Any, seed: int = 7) -> ff.Simulated:
    config = None if prior is None else ff.EngineConfig(dealer_prior=prior)
    return ff.Simulated(seed=seed, now="12:00", symbols=["SPY"], scale=0.1, config=config)


@pytest.fixture(scope="module")
def sources() -> dict[str, ff.Simulated]:
    return {name: _source(prior) for name, prior in CONFIGS.items()}


def _stack_arrays(parts: dict[str, _A]) -> _A:
    """Stack one-model grids as the loaders do for an ensemble source."""
    out: Any = stack_grids(parts, "test ensemble")
    return cast(_A, out)


def _stack_frames(parts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Stack one-model frames as the loaders do for an ensemble source."""
    return stack_frames(parts, "test ensemble")


@pytest.fixture(scope="module")
def hm(sources: dict[str, ff.Simulated]) -> xr.DataArray:
    """A heatmap of three models, (model, bar, strike), as an ensemble source gives it."""
    return _stack_arrays(
        {k: ff.heatmap("SPY", metric="gex", minutes=30, source=s) for k, s in sources.items()}
    )


@pytest.fixture(scope="module")
def sf(sources: dict[str, ff.Simulated]) -> xr.Dataset:
    return _stack_arrays(
        {k: ff.strike_flow("SPY", minutes=20, source=s) for k, s in sources.items()}
    )


@pytest.fixture(scope="module")
def se(sources: dict[str, ff.Simulated]) -> pd.DataFrame:
    return _stack_frames(
        {k: ff.series("SPY", bar="5m", minutes=60, source=s) for k, s in sources.items()}
    )


@pytest.fixture(scope="module")
def hf(sources: dict[str, ff.Simulated]) -> pd.DataFrame:
    return _stack_frames({k: ff.hedge_flow("SPY", bar="1m", source=s) for k, s in sources.items()})


def _one(frame: pd.DataFrame, model: str) -> pd.DataFrame:
    """Return one model's frame of an ensemble's frame."""
    part: Any = frame[model]
    assert isinstance(part, pd.DataFrame)
    return part


def _columns(frame: pd.DataFrame) -> list[Any]:
    return list(frame.columns)


def _same_bits(x: np.ndarray, y: np.ndarray) -> bool:
    """Equal values, NaN where NaN, and the same sign bit (so -0.0 is not 0.0)."""
    return bool(
        x.dtype == y.dtype
        and x.shape == y.shape
        and np.array_equal(x, y, equal_nan=True)
        and np.array_equal(np.signbit(x), np.signbit(y))
    )


# ----------------------------------------------------------------------------- band: arrays


def test_band_of_a_heatmap_replaces_model_by_a_leading_band(hm: xr.DataArray) -> None:
    out = band(hm)
    assert out.dims == ("band", "bar", "strike")
    assert out.shape == (3, *hm.shape[1:]) and out.dtype == np.float64
    assert out["band"].values.tolist() == ["low", "median", "high"] == list(BAND)
    assert out.name == "gex" and "model" not in out.coords
    assert out["spot"].dims == ("bar",)
    np.testing.assert_array_equal(out["spot"], hm["spot"])
    np.testing.assert_array_equal(out["strike"], hm["strike"])
    np.testing.assert_array_equal(out["bar"], hm["bar"])
    # the bar index is still the UTC one: a tz-aware label selects
    t = pd.Timestamp(hm["bar"].values[3]).tz_localize("UTC")
    assert out.sel(bar=t).dims == ("band", "strike")
    values = hm.to_numpy()
    np.testing.assert_array_equal(out.sel(band="low"), values.min(axis=0))
    np.testing.assert_array_equal(out.sel(band="median"), np.median(values, axis=0))
    np.testing.assert_array_equal(out.sel(band="high"), values.max(axis=0))
    assert out.attrs == {**hm.attrs, "band_of": json.dumps(MODELS), "band": "min-max"}
    assert json.loads(out.attrs["band_of"]) == MODELS
    assert all(isinstance(v, str | int | float) for v in out.attrs.values())


def test_band_of_a_dataset_bands_each_variable(sf: xr.Dataset) -> None:
    out = band(sf)
    assert isinstance(out, xr.Dataset)
    assert list(out.data_vars) == list(sf.data_vars)
    assert dict(out.sizes) == {"band": 3, "bar": sf.sizes["bar"], "strike": sf.sizes["strike"]}
    for name in sf.data_vars:
        assert out[name].dims == ("band", "bar", "strike") and out[name].dtype == np.float64
        xr.testing.assert_identical(out[name].drop_attrs(), band(sf[name]).drop_attrs())
    assert out["band"].values.tolist() == list(BAND) and "model" not in out.coords
    assert out.attrs["band_of"] == json.dumps(MODELS) and out.attrs["symbol"] == "SPY"


def test_a_dataset_variable_without_model_is_kept(sf: xr.Dataset) -> None:
    plain = sf.assign(flat=sf["contracts"].isel(model=0, drop=True))
    out = band(plain)
    xr.testing.assert_identical(out["flat"], plain["flat"])
    assert out["contracts"].dims == ("band", "bar", "strike")


def test_coords_along_model_are_dropped(hm: xr.DataArray) -> None:
    tagged = hm.assign_coords(prior=("model", ["x", "y", "z"]))
    out = band(tagged)
    assert "prior" not in out.coords and set(out.coords) == {"band", "bar", "strike", "spot"}


# ----------------------------------------------------------------------------- band: frames


def test_band_of_a_series_frame(se: pd.DataFrame) -> None:
    out = band(se)
    assert out.index.equals(se.index) and out.index.name == "t"
    assert out.columns.names == [None, "band"]
    assert _columns(out) == [(f, b) for f in NUMERIC_SERIES for b in BAND]
    assert (out.dtypes == np.float64).all()
    assert out.attrs["band_skipped"] == "gamma_flip_status, regime"
    assert out.attrs["band_of"] == json.dumps(MODELS) and out.attrs["band"] == "min-max"
    assert out.attrs["symbol"] == se.attrs["symbol"]
    net = model_field(se, "net_gex")
    pd.testing.assert_series_equal(out[("net_gex", "low")], net.min(axis=1), check_names=False)
    pd.testing.assert_series_equal(
        out[("net_gex", "median")], net.median(axis=1), check_names=False
    )
    pd.testing.assert_series_equal(out[("net_gex", "high")], net.max(axis=1), check_names=False)
    assert out["net_gex"].columns.tolist() == list(BAND)


def test_band_of_a_hedge_flow_frame(hf: pd.DataFrame) -> None:
    out = band(hf)
    assert _columns(out) == [(f, b) for f in ("bar", "cumulative") for b in BAND]
    assert out.shape == (len(hf), 6) and "band_skipped" not in out.attrs
    assert isinstance(out.index, pd.DatetimeIndex) and str(out.index.tz) == "UTC"


def test_a_frame_without_numeric_fields_gives_no_columns(se: pd.DataFrame) -> None:
    text = se.loc[:, (slice(None), ["gamma_flip_status", "regime"])]
    out = band(text)
    assert out.shape == (len(se), 0) and out.columns.names == [None, "band"]
    assert out.attrs["band_skipped"] == "gamma_flip_status, regime"


# ----------------------------------------------------------------------------- one model, NaN, q


@pytest.mark.parametrize("q", [None, (0.1, 0.9), (0.0, 1.0), (0.5, 0.5)])
def test_the_band_of_one_model_is_that_model_exactly(
    hm: xr.DataArray, sf: xr.Dataset, se: pd.DataFrame, q: tuple[float, float] | None
) -> None:
    one = hm.isel(model=[1])
    out = band(one, q=q)
    for label in BAND:
        assert _same_bits(out.sel(band=label).to_numpy(), hm.isel(model=1).to_numpy())
    ds = band(sf.isel(model=[2]), q=q)
    for name in sf.data_vars:
        for label in BAND:
            assert _same_bits(
                ds[name].sel(band=label).to_numpy(), sf[name].isel(model=2).to_numpy()
            )
    frame = band(se.loc[:, ["B"]], q=q)
    for field in NUMERIC_SERIES:
        for label in BAND:
            assert _same_bits(frame[(field, label)].to_numpy(), se[("B", field)].to_numpy())


def test_nan_is_skipped_and_all_nan_is_nan_without_warnings() -> None:
    values = np.array(
        [[[1.0, np.nan, np.nan, -0.0]], [[3.0, 2.0, np.nan, 0.0]], [[np.nan, 4.0, np.nan, 5.0]]]
    )
    array = xr.DataArray(values, dims=("model", "bar", "strike"), coords={"model": ["a", "b", "c"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = band(array).to_numpy()[:, 0, :]
        quantiles = band(array, q=(0.25, 0.75)).to_numpy()[:, 0, :]
    np.testing.assert_array_equal(out[:, 0], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(out[:, 1], [2.0, 3.0, 4.0])
    assert np.isnan(out[:, 2]).all() and np.isnan(quantiles[:, 2]).all()
    np.testing.assert_array_equal(out[:, 3], [-0.0, 0.0, 5.0])
    np.testing.assert_array_equal(quantiles[:, 0], [1.5, 2.0, 2.5])
    frame = pd.concat(
        {m: pd.DataFrame({"x": values[i, 0]}) for i, m in enumerate("abc")},
        axis=1,
        names=["model", None],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fb = band(frame)
    np.testing.assert_array_equal(fb["x"].to_numpy().T, out)


def test_q_takes_linear_quantiles(hm: xr.DataArray, se: pd.DataFrame) -> None:
    out = band(hm, q=(0.1, 0.9))
    values = hm.to_numpy()
    np.testing.assert_allclose(out.sel(band="low"), np.quantile(values, 0.1, axis=0), rtol=1e-12)
    np.testing.assert_allclose(out.sel(band="high"), np.quantile(values, 0.9, axis=0), rtol=1e-12)
    np.testing.assert_array_equal(out.sel(band="median"), np.median(values, axis=0))
    assert out.attrs["band"] == "q=0.1-0.9"
    xr.testing.assert_equal(band(hm, q=(0.0, 1.0)), band(hm))
    frame = band(se, q=(0.25, 0.75))
    dex = model_field(se, "net_dex").to_numpy()
    np.testing.assert_allclose(
        frame[("net_dex", "high")], np.quantile(dex, 0.75, axis=1), rtol=1e-12
    )


@pytest.mark.parametrize(
    "q", [(0.6, 0.9), (0.1, 0.4), (-0.1, 0.9), (0.1, 1.5), (0.1,), (0.1, 0.5, 0.9), "ab", 0.5]
)
def test_a_bad_q_says_what_is_allowed(hm: xr.DataArray, q: Any) -> None:
    with pytest.raises(
        ValueError, match=r"q=.* is not allowed: .*a pair \(low, high\) with 0 <= low <= 0.5"
    ):
        band(hm, q=q)


# ----------------------------------------------------------------------------- properties

_cells = st.floats(-1e12, 1e12, width=64) | st.just(np.nan)
_qs = st.sampled_from([None, (0.0, 1.0), (0.1, 0.9), (0.25, 0.5), (0.5, 0.5)])


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=5),
        elements=_cells,
    ),
    _qs,
)
def test_array_bands_are_ordered_everywhere(
    values: np.ndarray, q: tuple[float, float] | None
) -> None:
    array = xr.DataArray(
        values,
        dims=("model", "bar", "strike"),
        coords={"model": [f"m{i}" for i in range(values.shape[0])]},
    )
    out = band(array, q=q)
    assert out.dims == ("band", "bar", "strike") and out.shape == (3, *values.shape[1:])
    low, median, high = out.to_numpy()
    seen = ~np.isnan(values).all(axis=0)
    assert np.isnan(out.to_numpy()[:, ~seen]).all()
    assert not np.isnan(out.to_numpy()[:, seen]).any()
    assert np.all(low[seen] <= median[seen]) and np.all(median[seen] <= high[seen])
    if values.shape[0] == 1:
        for row in (low, median, high):
            assert _same_bits(row, values[0])
    with warnings.catch_warnings():  # numpy's own reductions warn on all-NaN cells
        warnings.simplefilter("ignore", RuntimeWarning)
        if q is None:
            np.testing.assert_array_equal(low, np.nanmin(values, axis=0))
            np.testing.assert_array_equal(high, np.nanmax(values, axis=0))
        else:
            np.testing.assert_array_equal(low, np.nanquantile(values, q[0], axis=0))
            np.testing.assert_array_equal(high, np.nanquantile(values, q[1], axis=0))
        if q != (0.5, 0.5):
            np.testing.assert_array_equal(median, np.nanmedian(values, axis=0))


def test_bands_near_the_float_limit_stay_ordered() -> None:
    values = np.array([[-1.7e308, 1e308, 1.7e308], [1.7e308, 1.5e308, 1.7e308]])
    array = xr.DataArray(values[:, None, :], dims=("model", "bar", "strike"))
    for q in (None, (0.1, 0.9)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            low, median, high = band(array.assign_coords(model=["a", "b"]), q=q).to_numpy()[:, 0]
        assert np.isfinite([low, median, high]).all()
        assert (low <= median).all() and (median <= high).all()
    np.testing.assert_array_equal(median, [0.0, 1.25e308, 1.7e308])


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(0, 8), st.integers(1, 3)),
        elements=_cells,
    ),
    _qs,
)
def test_frame_bands_are_ordered_everywhere(
    values: np.ndarray, q: tuple[float, float] | None
) -> None:
    n_models, n_bars, n_fields = values.shape
    index = pd.date_range("2026-09-18 14:00", periods=n_bars, freq="1min", tz="UTC", name="t")
    fields = [f"f{j}" for j in range(n_fields)]
    frame = pd.concat(
        {
            f"m{i}": pd.DataFrame(values[i], index=index, columns=fields).assign(
                regime=pd.Categorical(["long_gamma"] * n_bars)
            )
            for i in range(n_models)
        },
        axis=1,
        names=["model", None],
    )
    out = band(frame, q=q)
    assert _columns(out) == [(f, b) for f in fields for b in BAND]
    assert out.attrs["band_skipped"] == "regime"
    for j, field in enumerate(fields):
        low, median, high = (out[(field, b)].to_numpy() for b in BAND)
        seen = ~np.isnan(values[:, :, j]).all(axis=0)
        assert np.isnan(median[~seen]).all() and np.isnan(low[~seen]).all()
        assert np.all(low[seen] <= median[seen]) and np.all(median[seen] <= high[seen])


# ----------------------------------------------------------------------------- band: errors


def test_band_of_a_one_model_object_says_it_is_not_an_ensemble(
    hm: xr.DataArray, sf: xr.Dataset, se: pd.DataFrame
) -> None:
    plains: tuple[Any, ...] = (
        hm.isel(model=0, drop=True),
        sf.isel(model=0, drop=True),
        _one(se, "A"),
    )
    for plain in plains:
        with pytest.raises(ValueError, match=r"is not an ensemble object.*ff\.Ensemble"):
            band(plain)
    with pytest.raises(TypeError, match="takes a DataFrame, DataArray or Dataset, got list"):
        band([1, 2])  # type: ignore[call-overload]


# ----------------------------------------------------------------------------- diff


def test_diff_of_two_models_is_the_hand_subtraction(hm: xr.DataArray, sf: xr.Dataset) -> None:
    d = diff(hm, "A", "B")
    assert d.dims == ("bar", "strike") and d.name == "gex" and d.dtype == np.float64
    np.testing.assert_array_equal(d, hm.sel(model="A").to_numpy() - hm.sel(model="B").to_numpy())
    assert d.attrs == {**{k: v for k, v in hm.attrs.items() if k != "models"}, "diff": "A - B"}
    assert "model" not in d.coords and d["spot"].dims == ("bar",)
    assert d.sel(bar=pd.Timestamp(hm["bar"].values[0]).tz_localize("UTC")).dims == ("strike",)
    ds = diff(sf, "D", "A")
    assert list(ds.data_vars) == list(sf.data_vars) and ds.attrs["diff"] == "D - A"
    for name in sf.data_vars:
        assert ds[name].dims == ("bar", "strike")
        np.testing.assert_array_equal(
            ds[name], sf[name].sel(model="D").to_numpy() - sf[name].sel(model="A").to_numpy()
        )


def test_diff_of_frames_keeps_the_numeric_fields(se: pd.DataFrame, hf: pd.DataFrame) -> None:
    d = diff(se, "A", "D")
    assert d.columns.tolist() == NUMERIC_SERIES and d.index.equals(se.index)
    pd.testing.assert_frame_equal(
        d,
        _one(se, "A")[NUMERIC_SERIES] - _one(se, "D")[NUMERIC_SERIES],
        check_exact=True,
        check_flags=False,
    )
    assert d.attrs["diff"] == "A - D" and "models" not in d.attrs
    h = diff(hf, "B", "A")
    assert h.columns.tolist() == ["bar", "cumulative"]
    pd.testing.assert_frame_equal(h, _one(hf, "B") - _one(hf, "A"))


def test_diff_of_a_two_model_ensemble_needs_no_names(hm: xr.DataArray) -> None:
    pair = hm.sel(model=["B", "D"])
    xr.testing.assert_identical(diff(pair), diff(pair, "B", "D"))
    with pytest.raises(ValueError, match=r"takes an ensemble of two models; this one has 3"):
        diff(hm)


def test_diff_of_two_plain_objects(
    hm: xr.DataArray, sources: dict[str, ff.Simulated], se: pd.DataFrame
) -> None:
    a = ff.heatmap("SPY", metric="gex", minutes=30, source=sources["A"])
    b = ff.heatmap("SPY", metric="gex", minutes=30, source=sources["B"])
    d = diff(a, b)
    np.testing.assert_array_equal(d, diff(hm, "A", "B"))
    assert d.attrs["diff"] == f"{a.attrs['source']} - {b.attrs['source']}"
    assert d.attrs["metric"] == "gex" and d.name == "gex"
    fa, fb = _one(se, "A"), _one(se, "B")
    fd = diff(fa, fb)
    assert fd.columns.tolist() == NUMERIC_SERIES
    pd.testing.assert_frame_equal(fd, diff(se, "A", "B"), check_flags=False)


def test_diff_does_not_align_silently(hm: xr.DataArray, se: pd.DataFrame) -> None:
    a = hm.sel(model="A", drop=True)
    other = ff.heatmap("SPY", metric="gex", minutes=30, source=_source(None, seed=8))
    common = np.intersect1d(a["strike"], other["strike"])
    n = len(np.union1d(a["strike"], other["strike"])) - len(common)
    with pytest.raises(
        ValueError,
        match=rf"strikes differ: {n} strikes are in only one of them .*join='inner'",
    ):
        diff(a, other)
    inner = diff(a, other, join="inner")
    assert inner.sizes["strike"] == len(common) and inner.sizes["bar"] == a.sizes["bar"]
    np.testing.assert_array_equal(
        inner, a.sel(strike=common).to_numpy() - other.sel(strike=common).to_numpy()
    )
    shorter = a.isel(bar=slice(5, None))
    with pytest.raises(ValueError, match=r"bars differ: 5 bars are in only one of them"):
        diff(a, shorter)
    assert diff(a, shorter, join="inner").sizes["bar"] == a.sizes["bar"] - 5
    fa, fb = _one(se, "A"), _one(se, "B").iloc[2:]
    with pytest.raises(ValueError, match=r"bars differ: 2 bars are in only one of them"):
        diff(fa, fb)
    fd = diff(fa, fb, join="inner")
    assert fd.index.equals(fb.index)


def test_diff_errors_name_what_is_wrong(hm: xr.DataArray, sf: xr.Dataset, se: pd.DataFrame) -> None:
    with pytest.raises(
        ValueError, match=r"no model 'Z' in this object; its models are \['A', 'B', 'D'\]"
    ):
        diff(hm, "A", "Z")
    with pytest.raises(ValueError, match=r"no model 'Z'"):
        diff(se, "Z", "A")
    with pytest.raises(TypeError, match=r"needs a second model name"):
        diff(hm, "A")
    with pytest.raises(ValueError, match=r"is not an ensemble object"):
        diff(hm.isel(model=0, drop=True), "A", "B")
    with pytest.raises(TypeError, match=r"two objects of one kind; got DataArray and DataFrame"):
        diff(hm, se)  # type: ignore[type-var]
    fa = _one(se, "A")
    with pytest.raises(
        ValueError, match=r"numeric columns differ \(only in a: net_gex; only in b: none\)"
    ):
        diff(fa, fa.drop(columns="net_gex"))
    flows = sf.isel(model=0, drop=True)
    with pytest.raises(
        ValueError, match=r"numeric variables differ \(only in a: none; only in b: x\)"
    ):
        diff(flows, flows.assign(x=flows["contracts"]))
    with pytest.raises(ValueError, match=r"join='outer' is not allowed; use 'exact' or 'inner'"):
        diff(hm, "A", "B", join="outer")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- accessors


@pytest.fixture(scope="module")
def ens() -> ff.Ensemble:
    return ff.Ensemble(_source(None), {"A": None, "B": {"dealer_prior": "short_all"}})


def test_accessors_on_the_loaders_ensemble_objects(ens: ff.Ensemble) -> None:
    heat = ff.heatmap("SPY", metric="gex", minutes=30, source=ens)
    xr.testing.assert_identical(heat.flow.band(), band(heat))
    xr.testing.assert_identical(heat.flow.band(q=(0.1, 0.9)), band(heat, q=(0.1, 0.9)))
    xr.testing.assert_identical(heat.flow.diff("A", "B"), diff(heat, "A", "B"))
    assert heat.flow._grid("plot") is heat  # a model dim besides bar and strike is accepted
    flows = ff.strike_flow("SPY", minutes=20, source=ens)
    xr.testing.assert_identical(flows.flow.band(), band(flows))
    xr.testing.assert_identical(flows.flow.diff("B", "A"), diff(flows, "B", "A"))
    series = ff.series("SPY", bar="5m", minutes=60, source=ens)
    accessor: Any = series.flow
    pd.testing.assert_frame_equal(accessor.band(), band(series))
    pd.testing.assert_frame_equal(accessor.diff("A", "B"), diff(series, "A", "B"))
    assert series.flow._need(("spot", "gamma_flip", "regime"), "plot_series") is series
    hedge = ff.hedge_flow("SPY", bar="1m", source=ens)
    pd.testing.assert_frame_equal(hedge.flow.band(), band(hedge))
    assert hedge.flow._need(("bar", "cumulative"), "plot_hedge") is hedge
    with pytest.raises(AttributeError, match=r"df.flow.plot_series needs columns spot"):
        hedge.flow._need(("spot", "bar"), "plot_series")


def test_accessor_methods_show_the_twins_signature(hm: xr.DataArray) -> None:
    assert str(inspect.signature(hm.flow.diff)) == str(
        inspect.signature(diff).replace(
            parameters=list(inspect.signature(diff).parameters.values())[1:]
        )
    )
    assert list(inspect.signature(hm.flow.band).parameters) == ["q"]


def test_the_frame_accessor_still_refuses_other_frames() -> None:
    index = pd.date_range("2026-09-18 14:00", periods=2, freq="1min", tz="UTC")
    with pytest.raises(
        AttributeError,
        match=r"df.flow needs a hedge-flow frame \(columns bar, cumulative\) or a series frame "
        r".*\(it has a\)",
    ):
        pd.DataFrame({"a": [1.0, 2.0]}, index=index).flow  # noqa: B018
    with pytest.raises(AttributeError, match=r"df.flow needs a frame indexed by tz-aware bar time"):
        pd.DataFrame({"bar": [1.0]}).flow  # noqa: B018
    wrong_level = pd.concat({"A": pd.DataFrame({"x": [1.0, 2.0]}, index=index)}, axis=1)
    with pytest.raises(AttributeError, match=r"lacks bar and spot"):
        wrong_level.flow  # noqa: B018
