"""``df.flow``, ``da.flow`` and ``ds.flow``: one-line forwards to plotting and analysis.

Every method here has a function twin (``df.flow.plot_hedge()`` is
``flowframe.plot_hedge(df)``), which is where the documentation and the logic live. As in
xarray's ``plot`` accessor, each method carries its twin's docstring and signature
(``functools.wraps``), so ``help(df.flow.plot_hedge)`` and Jupyter's Shift-Tab show the real
parameters. The twin's module (matplotlib, for the plots) is imported the first time a method
is looked up, not when flowframe is imported.

The accessors keep no state: pandas 3 builds a new one on every ``df.flow``. On a frame or
array without what a method needs, the accessor raises ``AttributeError`` naming the missing
columns (or dims), as pandas recommends for accessors.

Ensemble objects (an :class:`~flowframe.Ensemble` source's) are accepted too: frames whose
columns are ``(model, field)`` (the column checks look at the field level) and arrays with a
``model`` dimension besides ``bar`` and ``strike``. ``.flow.band()`` and ``.flow.diff("A", "B")``
(:func:`flowframe.band`, :func:`flowframe.diff`) reduce them over ``model``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import xarray as xr

from flowframe.frames.checks import missing_columns
from flowframe.frames.ensemble import frame_fields, is_model_frame

__all__ = ["FlowArrayAccessor", "FlowDatasetAccessor", "FlowFrameAccessor"]

_HEDGE = ("bar", "cumulative")
_SERIES_PLOT = ("spot", "gamma_flip", "call_wall", "put_wall", "magnet", "regime")
_PIN_PLOT = ("pin_score", "pin_probability_pct")
_ANALYSIS = "flowframe.analysis"
_FRAMES = "flowframe.frames"
_PLOTTING = "flowframe.plotting"

# (accessor, method name, the call's keyword arguments) -> the object the twin receives;
# it may pop accessor-only keywords (``variable``) from the dict it is given
Prepare = Callable[[Any, str, dict[str, Any]], Any]


class _Forward:
    """A method that calls ``module.name(prepared object, *args, **kwargs)``.

    On lookup from an accessor it returns a function carrying the twin's name, docstring and
    signature (without the data argument, plus any accessor-only keywords), so that ``help()``
    and IPython show what the call takes.
    """

    def __init__(
        self,
        module: str,
        name: str,
        prepare: Prepare,
        extra: Sequence[inspect.Parameter] = (),
        *,
        leading: inspect.Parameter | None = None,
    ):
        self._module = module
        self._name = name
        self._prepare = prepare
        self._extra = tuple(extra)
        self._leading = leading  # an accessor-only first positional (``ds.flow.plot(variable)``)
        self._attr = name
        self._owner = ""
        self._signature: inspect.Signature | None = None

    def __set_name__(self, owner: type, attr: str) -> None:
        self._attr = attr
        self._owner = {"FlowFrameAccessor": "df", "FlowArrayAccessor": "da"}.get(
            owner.__name__, "ds"
        )

    def _twin(self) -> Callable[..., Any]:
        twin: Callable[..., Any] = getattr(importlib.import_module(self._module), self._name)
        return twin

    def signature(self) -> inspect.Signature:
        """Return the method's signature: the twin's without its data argument."""
        if self._signature is None:
            twin = inspect.signature(self._twin())
            params = list(twin.parameters.values())[1:]
            if self._extra:
                rest = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
                tail = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
                params = [*rest, *self._extra, *tail]
            if self._leading is not None:
                params = [self._leading, *params]
            self._signature = inspect.Signature(params, return_annotation=twin.return_annotation)
        return self._signature

    def __get__(self, accessor: Any, owner: type | None = None) -> Callable[..., Any]:
        twin = self._twin()
        attr, prepare, leading = self._attr, self._prepare, self._leading

        @functools.wraps(twin)
        def method(*args: Any, **kwargs: Any) -> Any:
            if accessor is None:
                raise TypeError(f"call {attr} on an object's .flow accessor")
            if leading is not None and args:
                if leading.name in kwargs:
                    raise TypeError(f"{attr}() got multiple values for {leading.name!r}")
                kwargs[leading.name], args = args[0], args[1:]
            return twin(prepare(accessor, attr, kwargs), *args, **kwargs)

        method.__name__ = method.__qualname__ = attr
        method.__signature__ = self.signature()  # type: ignore[attr-defined]
        method.__doc__ = (
            f"``{self._owner}.flow.{attr}(...)`` is :func:`flowframe.{self._name}` on this "
            f"object.\n\n{inspect.getdoc(twin) or ''}"
        )
        return method


def _whole(accessor: Any, method: str, kwargs: dict[str, Any]) -> Any:
    return accessor._obj


def _columns(*columns: str) -> Prepare:
    def prepare(accessor: Any, method: str, kwargs: dict[str, Any]) -> Any:
        return accessor._need(columns, method)

    return prepare


def _column_kwarg(accessor: Any, method: str, kwargs: dict[str, Any]) -> Any:
    return accessor._need((kwargs.get("column", "bar"),), method)


def _grid(accessor: Any, method: str, kwargs: dict[str, Any]) -> Any:
    return accessor._grid(method, kwargs.pop("variable", None))


_VARIABLE = inspect.Parameter(
    "variable", inspect.Parameter.KEYWORD_ONLY, default="signed_delta_dollars", annotation="str"
)
_LEADING_VARIABLE = _VARIABLE.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD)


@pd.api.extensions.register_dataframe_accessor("flow")
class FlowFrameAccessor:
    """Flow analysis and plots on hedge-flow and series frames (``df.flow``)."""

    __slots__ = ("_obj",)

    def __init__(self, obj: pd.DataFrame):
        index = obj.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
            raise AttributeError(
                "df.flow needs a frame indexed by tz-aware bar time 't' "
                "(from ff.hedge_flow or ff.series)"
            )
        fields = frame_fields(obj)
        if "bar" not in fields and "spot" not in fields:
            raise AttributeError(
                "df.flow needs a hedge-flow frame (columns bar, cumulative) or a series frame "
                f"(columns spot, ...); this frame lacks bar and spot (it has "
                f"{', '.join(map(str, obj.columns)) or 'no columns'})"
            )
        self._obj = obj

    def _need(self, columns: Sequence[str], method: str) -> pd.DataFrame:
        fields = frame_fields(self._obj)
        missing = (
            [c for c in columns if c not in fields]
            if is_model_frame(self._obj)
            else missing_columns(self._obj, columns)
        )
        if missing:
            raise AttributeError(
                f"df.flow.{method} needs columns {', '.join(missing)}, which this frame lacks"
            )
        return self._obj

    # plots
    plot_hedge = _Forward(_PLOTTING, "plot_hedge", _columns(*_HEDGE))
    plot_series = _Forward(_PLOTTING, "plot_series", _columns(*_SERIES_PLOT))
    plot_pin = _Forward(_PLOTTING, "plot_pin", _columns(*_PIN_PLOT))

    # ensembles (frames with (model, field) columns)
    band = _Forward(_FRAMES, "band", _whole)
    diff = _Forward(_FRAMES, "diff", _whole)

    # analysis
    sign_flips = _Forward(_ANALYSIS, "sign_flips", _column_kwarg)
    bursts = _Forward(_ANALYSIS, "bursts", _column_kwarg)
    accelerating_runs = _Forward(_ANALYSIS, "accelerating_runs", _column_kwarg)
    resample = _Forward(_ANALYSIS, "resample_flow", _whole)
    rolling = _Forward(_ANALYSIS, "rolling_flow", _column_kwarg)
    rolling_many = _Forward(_ANALYSIS, "rolling_flows", _column_kwarg)
    to_et = _Forward(_ANALYSIS, "to_et", _whole)


class _GridAccessor:
    __slots__ = ("_obj",)

    def __init__(self, obj: Any):
        self._obj = obj

    def _grid(self, method: str, variable: str | None = None) -> xr.DataArray:
        obj: xr.DataArray | xr.Dataset = self._obj
        if isinstance(obj, xr.Dataset):
            name = variable or "signed_delta_dollars"
            if name not in obj.data_vars:
                raise AttributeError(
                    f"ds.flow.{method} needs variable {name!r}; this Dataset has "
                    f"{', '.join(map(str, obj.data_vars)) or 'none'}"
                )
            var = obj[name]
            # the variable plays the heatmap's metric: carry the Dataset's attrs along
            obj = var.assign_attrs({**obj.attrs, "metric": name, "mode": "raw", **var.attrs})
        missing = [d for d in ("bar", "strike") if d not in obj.dims]
        if missing:
            raise AttributeError(
                f".flow.{method} needs dims ('bar', 'strike'); this array lacks "
                f"{', '.join(missing)} (it has {', '.join(map(str, obj.dims)) or 'no dims'})"
            )
        return obj


@xr.register_dataarray_accessor("flow")
class FlowArrayAccessor(_GridAccessor):
    """Heatmap plots and analysis on (bar x strike) arrays (``da.flow``)."""

    plot = _Forward(_PLOTTING, "plot_heatmap", _grid)
    plot_profile = _Forward(_PLOTTING, "plot_profile", _grid)
    profile = _Forward(_ANALYSIS, "heatmap_profile", _grid)
    to_delta = _Forward(_ANALYSIS, "heatmap_to_delta", _grid)
    top_strikes = _Forward(_ANALYSIS, "top_strikes", _grid)
    utc = _Forward(_FRAMES, "utc_bars", _whole)
    band = _Forward(_FRAMES, "band", _whole)
    diff = _Forward(_FRAMES, "diff", _whole)


@xr.register_dataset_accessor("flow")
class FlowDatasetAccessor(_GridAccessor):
    """The same on strike-flow Datasets (``ds.flow``), choosing a ``variable``."""

    plot = _Forward(_PLOTTING, "plot_heatmap", _grid, leading=_LEADING_VARIABLE)
    profile = _Forward(_ANALYSIS, "heatmap_profile", _grid, [_VARIABLE])
    top_strikes = _Forward(_ANALYSIS, "top_strikes", _grid, [_VARIABLE])
    utc = _Forward(_FRAMES, "utc_bars", _whole)
    band = _Forward(_FRAMES, "band", _whole)
    diff = _Forward(_FRAMES, "diff", _whole)
