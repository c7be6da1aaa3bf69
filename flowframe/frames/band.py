"""Bands and differences over the ``model`` dimension of an ensemble's objects.

An ensemble source (:class:`~flowframe.Ensemble`) makes the loaders return their usual objects
with one more dimension, ``model`` (see :mod:`flowframe.frames.ensemble`): a leading ``model``
dimension on the heatmap DataArray and the strike-flow Dataset, a ``model`` column level
(level names ``["model", None]``) above the fields of the hedge-flow and series frames.
:func:`band` reduces such an object over ``model`` to its low, median and high; :func:`diff`
subtracts one model from another (or one object from another).

Conventions
-----------
- low = min, high = max over the models, median the median; ``q=(lo, hi)`` takes those
  quantiles for low and high instead (linear interpolation). NaN is skipped; a cell NaN in
  every model is NaN in all three, silently (no ``RuntimeWarning``). So
  ``low <= median <= high`` wherever they are not NaN, and the band of a one-model ensemble
  is that model in all three, exactly.
- The band's values are float64, whatever the models' dtype.
- Frames: only the numeric (not boolean) fields have a band or a difference; text and
  categorical fields (``regime``, ``gamma_flip_status``) are left out. :func:`band` names
  them in ``attrs["band_skipped"]`` (comma-separated text).
- ``attrs`` (the attrs rule: strings and numbers only) are kept; :func:`band` adds
  ``band_of`` (the model names, JSON text) and ``band`` (``"min-max"`` or ``"q=0.1-0.9"``);
  :func:`diff` adds ``diff`` (``"A - B"``).
- Nothing is aligned silently: :func:`diff` of two objects whose bars or strikes differ
  raises, unless ``join="inner"`` asks for the common part.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from typing import Any, Final, Literal, TypeVar, overload

import numpy as np
import pandas as pd
import xarray as xr

from flowframe.frames.ensemble import is_model_frame, model_field

__all__ = ["BAND", "band", "diff"]

#: The band's labels, in order (the ``band`` coordinate and column level).
BAND: Final = ("low", "median", "high")

_T = TypeVar("_T", pd.DataFrame, xr.DataArray, xr.Dataset)
Join = Literal["exact", "inner"]
_JOINS: Final = ("exact", "inner")

_HOW_TO = (
    "load it from an ensemble source, e.g. ff.heatmap(symbol, source=ff.Ensemble(source, "
    "{'A': None, 'B': {'dealer_prior': 'short_all'}})) or ff.Ensemble.standard(source)"
)


# ----------------------------------------------------------------------------- helpers


def _models(obj: pd.DataFrame | xr.DataArray | xr.Dataset) -> list[str]:
    """Return the model names of an ensemble object, in order."""
    if isinstance(obj, pd.DataFrame):
        return [str(m) for m in dict.fromkeys(obj.columns.get_level_values(0))]
    return [str(m) for m in obj["model"].to_numpy()]


def _not_ensemble(func: str, obj: object) -> ValueError:
    where = "column level" if isinstance(obj, pd.DataFrame) else "dimension"
    return ValueError(
        f"{func}() needs an ensemble object, with a 'model' {where}; this "
        f"{type(obj).__name__} is not an ensemble object (it has no 'model' {where}). To get "
        f"one, {_HOW_TO}"
    )


def _check_ensemble(func: str, obj: object) -> None:
    if isinstance(obj, pd.DataFrame):
        if not is_model_frame(obj):
            raise _not_ensemble(func, obj)
    elif isinstance(obj, xr.DataArray | xr.Dataset):
        if "model" not in obj.dims:
            raise _not_ensemble(func, obj)
    else:
        raise TypeError(
            f"{func}() takes a DataFrame, DataArray or Dataset, got {type(obj).__name__}"
        )


def _is_numeric(dtype: Any) -> bool:
    return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


def _check_q(q: object) -> tuple[float, float] | None:
    if q is None:
        return None
    allowed = "q must be None (min and max) or a pair (low, high) with 0 <= low <= 0.5 <= high <= 1"
    try:
        lo, hi = (float(v) for v in q)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(f"q={q!r} is not allowed: {allowed}") from None
    if not 0.0 <= lo <= 0.5 <= hi <= 1.0:
        raise ValueError(f"q={q!r} is not allowed: {allowed}")
    return lo, hi


def _reduce(values: np.ndarray, axis: int, q: tuple[float, float] | None) -> np.ndarray:
    """Return low, median and high of ``values`` over ``axis``, stacked on a new first axis.

    NaN-skipping, as ``np.nanmin`` / ``np.nanmedian`` / ``np.nanmax`` (``np.nanquantile``,
    linear, for ``q``), computed at once from the sorted values rather than cell by cell: a
    cell NaN in every model gives NaN, and no warning.
    """
    moved = np.moveaxis(np.asarray(values, dtype=np.float64), axis, 0)
    if moved.shape[0] == 0:
        raise ValueError("band() needs at least one model; this object has none")
    ordered = np.sort(moved, axis=0)  # NaN last
    count = np.count_nonzero(~np.isnan(moved), axis=0)
    last = np.maximum(count - 1, 0)

    def at(position: np.ndarray) -> np.ndarray:
        taken: np.ndarray = np.take_along_axis(ordered, position[None, ...], axis=0)[0]
        return taken

    with np.errstate(invalid="ignore", over="ignore"):
        if q is None:
            low, high = ordered[0], at(last)
        else:
            low, high = (_quantile(at, last, p) for p in q)
        # the median as np.median takes it: the mean of the two middle values (halved
        # first where their sum overflows)
        left, right = at(last // 2), at((last + 1) // 2)
        total = left + right
        median = np.where(np.isfinite(total), total / 2.0, left / 2.0 + right / 2.0)
    out = np.stack([low, median, high])
    out[:, count == 0] = np.nan
    # the median never leaves [low, high] (overflow, or the quantiles' rounding)
    out[1] = np.minimum(np.maximum(out[1], out[0]), out[2])
    return out


def _quantile(at: Any, last: np.ndarray, p: float) -> np.ndarray:
    """Return the linear quantile ``p`` (as ``np.quantile``) of the sorted values."""
    virtual = p * last
    below = np.floor(virtual).astype(np.intp)
    above = np.minimum(below + 1, last)
    t = virtual - below
    a, b = at(below), at(above)
    step = b - a
    # numpy's lerp: from below for t < 0.5, from above for t >= 0.5; a itself where t == 0
    value = np.where(t >= 0.5, b - step * (1.0 - t), a + step * t)
    # where b - a overflows (finite a and b of opposite signs near the float limit)
    wide = ~np.isfinite(step) & np.isfinite(a) & np.isfinite(b)
    value = np.where(wide, a * (1.0 - t) + b * t, value)
    out: np.ndarray = np.where(t == 0.0, a, value)
    return out


def _band_attrs(attrs: Mapping[Hashable, Any], models: list[str], how: str) -> dict[Hashable, Any]:
    return {**attrs, "band_of": json.dumps(models), "band": how}


# ----------------------------------------------------------------------------- band


@overload
def band(obj: pd.DataFrame, q: tuple[float, float] | None = ...) -> pd.DataFrame: ...
@overload
def band(obj: xr.DataArray, q: tuple[float, float] | None = ...) -> xr.DataArray: ...
@overload
def band(obj: xr.Dataset, q: tuple[float, float] | None = ...) -> xr.Dataset: ...


def band(
    obj: pd.DataFrame | xr.DataArray | xr.Dataset, q: tuple[float, float] | None = None
) -> pd.DataFrame | xr.DataArray | xr.Dataset:
    """Reduce an ensemble object over ``model`` to its low, median and high.

    Parameters
    ----------
    obj : DataFrame, DataArray or Dataset
        A loader's answer for an ensemble source (:class:`~flowframe.Ensemble`): a hedge-flow
        or series frame with ``(model, field)`` columns, a heatmap with a ``model`` dimension,
        or a strike-flow Dataset whose variables have one.
    q : (float, float), optional
        Quantiles taken as low and high, ``0 <= lo <= 0.5 <= hi <= 1`` (linear
        interpolation). By default low is the minimum and high the maximum.

    Returns
    -------
    DataFrame, DataArray or Dataset
        The same kind as ``obj``, float64 values, NaN skipped (a cell NaN in every model is
        NaN in low, median and high):

        - DataArray: ``model`` replaced by a leading ``band`` dimension, coordinate
          ``["low", "median", "high"]``; the other dimensions and coordinates kept (the
          ``bar`` index included), coordinates along ``model`` dropped. A heatmap
          ``(model, bar, strike)`` gives ``(band, bar, strike)``.
        - Dataset: each variable with a ``model`` dimension banded as above; variables
          without one kept as they are.
        - DataFrame: the same index; columns a ``pd.MultiIndex`` of ``(field, band)``, level
          names ``[None, "band"]``, the fields in their order and ``low, median, high`` under
          each, for the numeric fields only. Text and categorical fields (``regime``,
          ``gamma_flip_status``) are left out and named in ``attrs["band_skipped"]``. So
          ``out["net_gex"]`` is a frame with columns ``low, median, high``.

        ``attrs`` are ``obj``'s, plus ``band_of`` (the model names, JSON text) and ``band``
        (``"min-max"``, or ``"q=lo-hi"``).

    Raises
    ------
    ValueError
        ``obj`` is not an ensemble object (no ``model`` dimension or column level), or ``q``
        is not a pair in the allowed range.

    Examples
    --------
    >>> ens = ff.Ensemble.standard(ff.Simulated(seed=7))  # doctest: +SKIP
    >>> ff.band(ff.heatmap("SPX", source=ens)).sel(band="high")  # doctest: +SKIP
    >>> ff.series("SPX", source=ens).flow.band(q=(0.1, 0.9))["net_gex"]  # doctest: +SKIP
    """
    qq = _check_q(q)
    _check_ensemble("band", obj)
    how = "min-max" if qq is None else f"q={qq[0]:g}-{qq[1]:g}"
    if isinstance(obj, pd.DataFrame):
        return _band_frame(obj, qq, how)
    models = _models(obj)
    if isinstance(obj, xr.DataArray):
        return _band_array(obj, qq, how, models)
    variables = {
        name: _band_array(var, qq, how, models) if "model" in var.dims else var
        for name, var in obj.data_vars.items()
    }
    template: xr.Dataset = _without_model(obj.drop_vars(list(obj.data_vars)))
    out: xr.Dataset = template.assign(variables)
    out.attrs = _band_attrs(obj.attrs, models, how)
    return out


def _without_model(obj: Any) -> Any:
    """Drop the coordinates along ``model`` and the ``model`` dimension itself."""
    along = [name for name, coord in obj.coords.items() if "model" in coord.dims]
    out = obj.drop_vars(along)
    return out.isel(model=0) if "model" in out.dims else out


def _band_array(
    array: xr.DataArray, q: tuple[float, float] | None, how: str, models: list[str]
) -> xr.DataArray:
    values = _reduce(array.to_numpy(), array.get_axis_num("model"), q)
    # the template keeps the other coordinates with their indexes (UTCBarIndex on bar)
    template = _without_model(array).expand_dims(band=list(BAND))
    out: xr.DataArray = template.copy(data=values)
    out.attrs = _band_attrs(array.attrs, models, how)
    return out


def _band_frame(frame: pd.DataFrame, q: tuple[float, float] | None, how: str) -> pd.DataFrame:
    models = list(dict.fromkeys(frame.columns.get_level_values(0)))
    fields = list(dict.fromkeys(frame.columns.get_level_values(1)))
    blocks: dict[tuple[Any, str], np.ndarray] = {}
    skipped: list[Any] = []
    for field in fields:
        part = model_field(frame, field)
        if not all(_is_numeric(t) for t in part.dtypes):
            skipped.append(field)
            continue
        values = part.reindex(columns=models).to_numpy(dtype=np.float64, na_value=np.nan)
        for label, row in zip(BAND, _reduce(values, 1, q), strict=True):
            blocks[(field, label)] = row
    columns = pd.MultiIndex.from_tuples(list(blocks), names=[None, "band"])
    data = np.column_stack(list(blocks.values())) if blocks else np.empty((len(frame), 0))
    out = pd.DataFrame(data, index=frame.index.copy(), columns=columns)
    out.attrs = _band_attrs(frame.attrs, [str(m) for m in models], how)
    if skipped:
        out.attrs["band_skipped"] = ", ".join(map(str, skipped))
    return out


# ----------------------------------------------------------------------------- diff


def diff(a: _T, b: _T | str | None = None, c: str | None = None, /, *, join: Join = "exact") -> _T:
    """Subtract one model from another, or one object from another.

    Three forms:

    - ``diff(obj, "A", "B")``: an ensemble object and two of its model names; returns
      ``obj.sel(model="A") - obj.sel(model="B")`` (frames: ``obj["A"] - obj["B"]``).
    - ``diff(obj)``: an ensemble of exactly two models, the first minus the second.
    - ``diff(a, b)``: two objects of the same kind (two heatmaps, two strike-flow Datasets,
      two hedge-flow or two series frames, e.g. loaded from two sources); returns ``a - b``.

    Parameters
    ----------
    a : DataFrame, DataArray or Dataset
        The ensemble object, or the first object.
    b : str, or the same kind as ``a``, optional
        The first model's name, or the object subtracted.
    c : str, optional
        The second model's name (subtracted).
    join : {"exact", "inner"}, default "exact"
        How the bars (frames' index, arrays' ``bar``) and strikes of two objects meet.
        ``"exact"``: they must be equal, else ``ValueError`` saying how many differ (nothing
        is dropped silently). ``"inner"``: subtract on the bars and strikes both have. The
        models of one ensemble always share their bars and strikes.

    Returns
    -------
    Same kind as one model's object
        DataArray: ``a``'s dimensions without ``model`` (a heatmap gives ``(bar, strike)``),
        named as ``a`` (e.g. ``gex``). Dataset: the same per variable. DataFrame: the numeric
        (not boolean) columns only, same index; text and categorical fields (``regime``,
        ``gamma_flip_status``) are dropped. ``attrs`` are ``a``'s (without ``models`` when a
        model was taken out of an ensemble), plus ``diff``: ``"A - B"``, the model names, or
        for two plain objects their ``source`` attrs (``"a"`` / ``"b"`` when absent).

    Raises
    ------
    ValueError
        ``a`` is not an ensemble object (names given), a name is not one of its models (the
        message lists them), ``diff(obj)`` on an ensemble of other than two models, two
        objects whose bars or strikes differ under ``join="exact"`` (the message says how
        many), two objects whose numeric columns (frames) or variables (Datasets) are not the
        same, or a ``join`` other than ``"exact"`` and ``"inner"``.
    TypeError
        ``a`` and ``b`` are not of one kind, or only one model name is given.

    Examples
    --------
    >>> hm = ff.heatmap("SPX", source=ff.Ensemble.standard(ff.Simulated(seed=7)))  # doctest: +SKIP
    >>> ff.diff(hm, "short_all", "long_calls_short_puts")  # doctest: +SKIP
    >>> ff.diff(ff.series("SPX", source=a), ff.series("SPX", source=b))  # doctest: +SKIP
    """
    if join not in _JOINS:
        raise ValueError(f"join={join!r} is not allowed; use 'exact' or 'inner'")
    if b is None or isinstance(b, str):
        _check_ensemble("diff", a)
        models = _models(a)
        if b is None:
            if c is not None:
                raise TypeError("diff(obj, 'A', 'B') needs both model names")
            if len(models) != 2:
                raise ValueError(
                    f"diff(obj) takes an ensemble of two models; this one has {len(models)} "
                    f"({models}): name two, diff(obj, 'A', 'B')"
                )
            b, c = models
        elif c is None:
            raise TypeError(f"diff(obj, {b!r}, ...) needs a second model name, e.g. {models}")
        first, second = _model(a, b, models), _model(a, c, models)
        label = f"{b} - {c}"
    else:
        if type(a) is not type(b):
            raise TypeError(
                "diff(a, b) takes two objects of one kind; got "
                f"{type(a).__name__} and {type(b).__name__}"
            )
        first, second = a, b
        label = f"{a.attrs.get('source', 'a')} - {b.attrs.get('source', 'b')}"
    out: _T = _subtract(first, second, label, join)
    return out


def _model(obj: Any, name: str, models: list[str]) -> Any:
    """Return one model of an ensemble object, with the ensemble's attrs less ``models``."""
    if name not in models:
        raise ValueError(f"no model {name!r} in this object; its models are {models}")
    if isinstance(obj, pd.DataFrame):
        position = [str(m) for m in obj.columns.get_level_values(0)].index(name)
        one = obj[obj.columns.get_level_values(0)[position]].copy()
    else:
        along = [n for n, coord in obj.coords.items() if "model" in coord.dims]
        one = obj.drop_vars(along).isel(model=models.index(name))
    one.attrs = {k: v for k, v in obj.attrs.items() if k != "models"}
    return one


def _plural(dim: str) -> str:
    return "bars" if dim in ("bar", "index") else f"{dim}s" if dim == "strike" else f"{dim} labels"


def _mismatch(dim: str, left: pd.Index, right: pd.Index) -> ValueError:
    common = left.intersection(right)
    n = len(left.union(right)) - len(common)
    what = _plural(dim)
    return ValueError(
        f"diff: the two objects' {what} differ: {n} {what} are in only one of them "
        f"(a has {len(left)}, b has {len(right)}, {len(common)} in common); nothing is "
        f"aligned silently: pass join='inner' to subtract on the {len(common)} common {what}"
    )


def _same_names(what: str, left: list[Any], right: list[Any]) -> None:
    """Refuse two objects whose numeric columns (or variables) are not the same set."""
    only_a = [str(n) for n in left if n not in right]
    only_b = [str(n) for n in right if n not in left]
    if only_a or only_b:
        raise ValueError(
            f"diff: the two objects' numeric {what} differ (only in a: "
            f"{', '.join(only_a) or 'none'}; only in b: {', '.join(only_b) or 'none'}); "
            "select the common ones first"
        )


def _subtract(a: Any, b: Any, label: str, join: Join) -> Any:
    out: Any
    if isinstance(a, pd.DataFrame):
        if not a.index.equals(b.index):
            if join == "exact":
                raise _mismatch("index", a.index, b.index)
            common = a.index.intersection(b.index, sort=False)
            a, b = a.loc[common], b.loc[common]
        numeric = [c for c in a.columns if _is_numeric(a[c].dtype)]
        _same_names("columns", numeric, [c for c in b.columns if _is_numeric(b[c].dtype)])
        out = a[numeric] - b[numeric]
    else:
        if set(a.dims) != set(b.dims):
            raise ValueError(
                f"diff: the two objects' dimensions differ ({tuple(a.dims)} and {tuple(b.dims)})"
            )
        if isinstance(a, xr.Dataset):
            _same_names("variables", list(a.data_vars), list(b.data_vars))
        for dim in a.dims:
            if dim in a.indexes and dim in b.indexes:
                left, right = a.indexes[dim], b.indexes[dim]
                if not left.equals(right) and join == "exact":
                    raise _mismatch(str(dim), left, right)
        if join == "inner":
            a, b = xr.align(a, b, join="inner")
        with xr.set_options(keep_attrs=True):
            out = a - b
        if isinstance(out, xr.Dataset):
            for name, var in out.data_vars.items():
                var.attrs = dict(a[name].attrs)
        else:
            out.name = a.name
    out.attrs = {**a.attrs, "diff": label}
    return out
