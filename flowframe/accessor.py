"""``df.flow``, ``da.flow`` and ``ds.flow``: one-line forwards to plotting and analysis.

Every method here has a function twin (``df.flow.plot_hedge()`` is
``flowframe.plot_hedge(df)``), which is where the documentation and the logic live. The
accessors keep no state: pandas 3 builds a new one on every ``df.flow``.

On a frame or array without what a method needs, the accessor raises ``AttributeError`` naming
the missing columns (or dims), as pandas recommends for accessors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import xarray as xr

from flowframe import analysis, plotting
from flowframe._checks import missing_columns

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["FlowArrayAccessor", "FlowDatasetAccessor", "FlowFrameAccessor"]

_HEDGE = ("bar", "cumulative")
_SERIES_PLOT = ("spot", "gamma_flip", "call_wall", "put_wall", "magnet", "regime")


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
        if "bar" not in obj.columns and "spot" not in obj.columns:
            raise AttributeError(
                "df.flow needs a hedge-flow frame (columns bar, cumulative) or a series frame "
                f"(columns spot, ...); this frame lacks bar and spot (it has "
                f"{', '.join(map(str, obj.columns)) or 'no columns'})"
            )
        self._obj = obj

    def _need(self, columns: Sequence[str], method: str) -> pd.DataFrame:
        missing = missing_columns(self._obj, columns)
        if missing:
            raise AttributeError(
                f"df.flow.{method} needs columns {', '.join(missing)}, which this frame lacks"
            )
        return self._obj

    def _flow_column(self, column: str, method: str) -> pd.DataFrame:
        return self._need((column,), method)

    # ------------------------------------------------------------------ plots

    def plot_hedge(self, **kwargs: Any) -> Axes:
        """Plot per-bar and cumulative hedge-flow; see :func:`flowframe.plot_hedge`."""
        return plotting.plot_hedge(self._need(_HEDGE, "plot_hedge"), **kwargs)

    def plot_series(self, **kwargs: Any) -> Axes:
        """Plot spot with flip, walls, magnet and regime; see :func:`flowframe.plot_series`."""
        return plotting.plot_series(self._need(_SERIES_PLOT, "plot_series"), **kwargs)

    # ------------------------------------------------------------------ analysis

    def sign_flips(self, *, column: str = "bar", **kwargs: Any) -> pd.DataFrame:
        """Find the bars where the flow changes sign; see :func:`flowframe.sign_flips`."""
        frame = self._flow_column(column, "sign_flips")
        return analysis.sign_flips(frame, column=column, **kwargs)

    def bursts(self, *, column: str = "bar", **kwargs: Any) -> pd.DataFrame:
        """Find the bars beyond k robust sigma; see :func:`flowframe.bursts`."""
        return analysis.bursts(self._flow_column(column, "bursts"), column=column, **kwargs)

    def accelerating_runs(self, *, column: str = "bar", **kwargs: Any) -> pd.DataFrame:
        """Find runs of same-signed accelerating bars; see :func:`flowframe.accelerating_runs`."""
        frame = self._flow_column(column, "accelerating_runs")
        return analysis.accelerating_runs(frame, column=column, **kwargs)

    def resample(self, rule: str) -> pd.DataFrame:
        """Resample to coarser bars by the API's rules; see :func:`flowframe.resample_flow`."""
        return analysis.resample_flow(self._obj, rule)

    def rolling(self, window: str = "5min", *, column: str = "bar") -> pd.Series:
        """Sum the flow over a trailing window; see :func:`flowframe.rolling_flow`."""
        return analysis.rolling_flow(self._flow_column(column, "rolling"), window, column=column)

    def rolling_many(
        self,
        windows: Sequence[str] = ("1min", "5min", "15min", "30min", "session"),
        *,
        column: str = "bar",
    ) -> pd.DataFrame:
        """Sum the flow over several trailing windows; see :func:`flowframe.rolling_flows`."""
        frame = self._flow_column(column, "rolling_many")
        return analysis.rolling_flows(frame, windows, column=column)

    def to_et(self) -> pd.DataFrame:
        """Return the frame with its index in US Eastern time; see :func:`flowframe.to_et`."""
        return analysis.to_et(self._obj)


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

    def plot(self, **kwargs: Any) -> Axes:
        """Plot the strike x time heatmap; see :func:`flowframe.plot_heatmap`."""
        return plotting.plot_heatmap(self._grid("plot"), **kwargs)

    def plot_profile(self, at: Any = None, **kwargs: Any) -> Axes:
        """Plot the profile at one bar; see :func:`flowframe.plot_profile`."""
        return plotting.plot_profile(self._grid("plot_profile"), at, **kwargs)

    def profile(self, at: Any = None) -> xr.DataArray:
        """Return the values by strike at one bar; see :func:`flowframe.heatmap_profile`."""
        return analysis.heatmap_profile(self._grid("profile"), at)

    def to_delta(self) -> xr.DataArray:
        """Return the change from the previous bar; see :func:`flowframe.heatmap_to_delta`."""
        return analysis.heatmap_to_delta(self._grid("to_delta"))

    def top_strikes(self, n: int = 5, *, at: Any = None) -> pd.DataFrame:
        """Rank strikes by concentration; see :func:`flowframe.top_strikes`."""
        return analysis.top_strikes(self._grid("top_strikes"), n, at=at)


@xr.register_dataset_accessor("flow")
class FlowDatasetAccessor(_GridAccessor):
    """The same on strike-flow Datasets (``ds.flow``), choosing a ``variable``."""

    def plot(self, variable: str = "signed_delta_dollars", **kwargs: Any) -> Axes:
        """Plot one variable as a heatmap; see :func:`flowframe.plot_heatmap`."""
        return plotting.plot_heatmap(self._grid("plot", variable), **kwargs)

    def profile(self, at: Any = None, *, variable: str = "signed_delta_dollars") -> xr.DataArray:
        """Return one variable by strike at one bar; see :func:`flowframe.heatmap_profile`."""
        return analysis.heatmap_profile(self._grid("profile", variable), at)

    def top_strikes(
        self, n: int = 5, *, at: Any = None, variable: str = "signed_delta_dollars"
    ) -> pd.DataFrame:
        """Rank strikes by concentration of one variable; see :func:`flowframe.top_strikes`."""
        return analysis.top_strikes(self._grid("top_strikes", variable), n, at=at)
