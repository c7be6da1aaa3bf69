"""What Parquet and Zarr do not keep, recorded in the manifest and put back on reading.

- A DataFrame's dtypes: pyarrow writes no dictionary page for a column with no rows, so a
  zero-row categorical comes back with no categories; every column's and the index's dtype
  is recorded, and a column read back in another dtype is cast to the recorded one.
- An xarray object's custom indexes (the grids' ``bar`` :class:`UTCBarIndex`): xarray builds
  a plain ``PandasIndex`` on reading; the index class is recorded by its import path and set
  again. Only classes under ``flowframe.`` are imported, and only subclasses of
  ``xarray.Index`` are used.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from typing import Any, TypeVar, cast

import pandas as pd
import xarray as xr
from xarray.indexes import PandasIndex, PandasMultiIndex

from flowframe.errors import FlowframeWarning, SchemaError

__all__ = ["frame_schema", "index_classes", "restore_frame", "restore_indexes"]

T_Grid = TypeVar("T_Grid", bound=xr.DataArray | xr.Dataset)


def _dtype_spec(dtype: Any) -> Any:
    """Return a dtype as JSON: its name, or the categories of a categorical."""
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        return {
            "categorical": {
                "categories": cats.tolist(),
                "categories_dtype": str(cats.dtype),
                "ordered": bool(dtype.ordered),
            }
        }
    return str(dtype)


def _dtype(spec: Any) -> Any:
    """Undo :func:`_dtype_spec`."""
    if isinstance(spec, dict):
        cat = spec["categorical"]
        categories = pd.Index(cat["categories"], dtype=cat["categories_dtype"])
        return pd.CategoricalDtype(categories, ordered=bool(cat["ordered"]))
    return pd.api.types.pandas_dtype(spec)


def frame_schema(df: pd.DataFrame) -> dict[str, Any]:
    """Return the dtypes of a frame's columns (in order) and of its index's levels, as JSON."""
    index = df.index
    levels = index.levels if isinstance(index, pd.MultiIndex) else [index]
    return {
        "columns": [[str(name), _dtype_spec(dtype)] for name, dtype in df.dtypes.items()],
        "index": [_dtype_spec(level.dtype) for level in levels],
    }


def restore_frame(df: pd.DataFrame, schema: Mapping[str, Any] | None, where: str) -> pd.DataFrame:
    """Cast the columns of a frame read back to the dtypes recorded when it was written.

    Raises
    ------
    SchemaError
        The columns read are not the columns recorded, or a column cannot take its dtype.
    """
    if not schema:
        return df
    recorded = [(name, _dtype(spec)) for name, spec in schema["columns"]]
    names = [name for name, _ in recorded]
    if [str(c) for c in df.columns] != names:
        raise SchemaError(
            f"{where}: the file holds columns {list(df.columns)}, the manifest records {names}"
        )
    # by position: a MultiIndex column (an ensemble's (model, field)) is recorded as text
    for i, (name, dtype) in enumerate(recorded):
        column = df.iloc[:, i]
        if column.dtype != dtype:
            try:
                df.isetitem(i, column.astype(dtype).array)
            except (TypeError, ValueError) as exc:
                raise SchemaError(
                    f"{where}: column {name!r} read back as {column.dtype} cannot take its "
                    f"recorded dtype {dtype}: {exc}"
                ) from None
    index = schema.get("index") or []
    if len(index) == 1 and not isinstance(df.index, pd.MultiIndex):
        dtype = _dtype(index[0])
        if df.index.dtype != dtype:
            df.index = df.index.astype(dtype)
    return df


def index_classes(obj: xr.DataArray | xr.Dataset) -> dict[str, str]:
    """Return ``{dim: "module:qualname"}`` for each index that is not xarray's default."""
    out: dict[str, str] = {}
    for name, index in obj.xindexes.items():
        kind = type(index)
        if kind in (PandasIndex, PandasMultiIndex):
            continue
        out[str(name)] = _class_path(kind)
    return out


def _index_class(path: str, where: str) -> type[xr.Index] | None:
    """Import a recorded index class, or warn and return None when it cannot be used."""
    module, _, qualname = path.partition(":")
    found: Any = None
    if module == "flowframe" or module.startswith("flowframe."):
        try:
            found = importlib.import_module(module)
            for part in qualname.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError):
            found = None
    if isinstance(found, type) and issubclass(found, xr.Index):
        return found
    warnings.warn(
        f"{where}: the index class {path!r} recorded for it is not a flowframe xarray index "
        "this flowframe has; the coordinate keeps xarray's plain index",
        FlowframeWarning,
        stacklevel=4,
    )
    return None


def restore_indexes(obj: T_Grid, classes: Mapping[str, str] | None, where: str) -> T_Grid:
    """Set again the index classes recorded by :func:`index_classes`."""
    for dim, path in (classes or {}).items():
        index = obj.xindexes.get(dim)
        if index is None or _class_path(type(index)) == path:
            continue
        kind = _index_class(path, where)
        if kind is not None:
            obj = cast(T_Grid, obj.drop_indexes(dim).set_xindex(dim, kind))
    return obj


def _class_path(kind: type) -> str:
    """Return ``"module:qualname"`` of a class."""
    return f"{kind.__module__}:{kind.__qualname__}"
