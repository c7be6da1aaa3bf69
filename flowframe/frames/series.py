"""series bodies: read as a DataFrame indexed by bar time, and write back.

Schema
------
``DataFrame`` indexed by ``t`` (``datetime64[ns, UTC]``, ascending, unique); the 16 documented
bar fields as columns, always, in this order: ``spot, net_gex, net_dex, gamma_flip,
gamma_flip_status, call_wall, put_wall, magnet, pin_score, pin_probability_pct, regime, atm_iv,
charm_dollars_per_hour, hedge_flow_call_cumulative, hedge_flow_put_cumulative,
hedge_flow_cumulative_all``; float64 except ``gamma_flip_status`` (``str``) and ``regime``
(categorical, categories ``positive_gamma, negative_gamma, neutral`` plus any other label the
payload carries, sorted: :func:`regime_categorical`). A field absent from every bar is a NaN
column. ``pin_score`` is 0-100; ``pin_probability_pct`` is a percentage 0-100 (see *Units*).
attrs: symbol, expiration, bar_size, as_of, pin_probability_unit_read, source,
endpoint_version, data_as_of, each a string (``as_of`` UTC ISO-8601 with ``Z``, ``data_as_of``
JSON text) and absent when the body left it null: the attrs rule of :mod:`flowframe.frames`,
under which the frame round-trips through Parquet, the ``regime`` categories included (but for
a frame with no bar: pyarrow writes no categories for an empty column, so they come back
empty).

Units
-----
``pin_probability_pct`` appears in published bodies both as a percentage (64.1) and as a
fraction (0.64). flowframe always returns a percentage. With ``pin_probability_unit="auto"``
(the default) a payload whose non-null values all lie in [0, 1] is read as fractions and
multiplied by 100 (:func:`pin_values_are_fractions`); anything else is read as percentages.
Pass ``"pct"`` or ``"fraction"`` to decide yourself. Bodies written by
:func:`series_to_payload` carry ``"pin_probability_unit": "pct"`` so they read back exactly.
``atm_iv`` is a decimal fraction (0.123 = 12.3%), as the series endpoint sends it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import partial
from types import NoneType
from typing import Any, Final, Literal, NoReturn

import numpy as np
import pandas as pd
from pandas.api.internals import (  # type: ignore[import-not-found]  # not in pandas-stubs
    create_dataframe_from_blocks,
)

from flowframe._constants import REGIMES, SERIES_COLUMNS, SERIES_FLOAT_COLUMNS
from flowframe._wire import json_numbers
from flowframe.errors import SchemaError
from flowframe.frames import _fastpath
from flowframe.frames._read import (
    JsonText,
    bar_columns,
    from_json,
    has_bool,
    json_bytes,
    pack_numbers,
    read_attrs,
    read_floats,
    read_times,
    require_mapping,
    sort_order,
    take,
    time_index,
)
from flowframe.frames._write import iso_times, write_body
from flowframe.frames.checks import require_columns

__all__ = [
    "pin_values_are_fractions",
    "regime_categorical",
    "series_from_json",
    "series_from_payload",
    "series_to_payload",
]

PinUnit = Literal["auto", "pct", "fraction"]


def series_from_payload(
    payload: Any, *, source: str | None = None, pin_probability_unit: PinUnit = "auto"
) -> pd.DataFrame:
    """Read a ``series`` body as a DataFrame indexed by bar time.

    Parameters
    ----------
    payload : dict
        A series body (``{symbol, expiration, as_of, bar_size, bars}``).
    source : str, optional
        Where the body came from, kept in ``attrs["source"]``.
    pin_probability_unit : {"auto", "pct", "fraction"}, default "auto"
        How ``pin_probability_pct`` is written in the body (see the module's *Units*).

    Returns
    -------
    pandas.DataFrame
        Index ``t``; every documented bar field as a column, always, in a fixed order and
        dtype (see the module's *Schema*).
    """
    return _read_series(payload, None, source, pin_probability_unit)()


def series_from_json(
    data: bytes | str, *, source: str | None = None, pin_probability_unit: PinUnit = "auto"
) -> pd.DataFrame:
    """Read a ``series`` body from its JSON text (bytes as received, or str).

    The same frame as ``series_from_payload(orjson.loads(data), ...)``, sooner. With msgspec
    installed, the bars are decoded straight into typed records (no dict per bar, types
    checked while decoding); a body that msgspec finds anything wrong with, and every body
    without msgspec, takes the general path, as :func:`flowframe.frames.heatmap_from_json`
    does. Text that is not JSON raises :class:`SchemaError`.
    """
    text = json_bytes(data, "series")
    fast = _fastpath.series_table(text)
    if fast is None:
        read = partial(_read_series, source=source, pin_probability_unit=pin_probability_unit)
        return from_json(text, "series", read)
    fields, table = fast
    return _read_series_table(fields, table, JsonText.proven(), source, pin_probability_unit)()


# what pandas reads "str" as (python- or pyarrow-backed), resolved once
_STR: Final[Any] = pd.api.types.pandas_dtype("str")  # Any: pandas-stubs is narrow here
_SERIES_INDEX: Final = pd.Index(SERIES_COLUMNS)
# where each kind of series column sits in SERIES_COLUMNS
_SERIES_FLOATS: Final = np.array(
    [i for i, col in enumerate(SERIES_COLUMNS) if col in SERIES_FLOAT_COLUMNS]
)
_PIN_ROW: Final = [c for c in SERIES_COLUMNS if c in SERIES_FLOAT_COLUMNS].index(
    "pin_probability_pct"
)


def _read_series(
    payload: Any, text: JsonText | None, source: str | None, pin_probability_unit: PinUnit
) -> Callable[[], pd.DataFrame]:
    payload = require_mapping(payload, "series")
    table = bar_columns(payload, ("t", *SERIES_COLUMNS), "series")
    return _read_series_table(payload, table, text, source, pin_probability_unit)


def _read_series_table(
    payload: Mapping[str, Any],
    columns: Sequence[Sequence[Any]],
    text: JsonText | None,
    source: str | None,
    pin_probability_unit: PinUnit,
) -> Callable[[], pd.DataFrame]:
    """Read a series from its top-level fields and its bars' columns (``t`` first)."""
    what = "series"
    times, *table = columns
    nanoseconds = read_times(times, what)
    order = sort_order(nanoseconds)
    # the float columns as one (columns x bars) block, the layout a DataFrame keeps
    block = np.empty((len(_SERIES_FLOATS), len(nanoseconds)), dtype=np.float64)
    floats: list[Sequence[Any]] = []
    strings: list[tuple[int, Sequence[str | None]]] = []
    for k, (col, values) in enumerate(zip(SERIES_COLUMNS, table, strict=True)):
        if col in SERIES_FLOAT_COLUMNS:
            row = block[len(floats)]
            floats.append(values)
            if not pack_numbers(values, row):
                _raise_first_series_error(table, what)
        elif set(map(type, values)) <= {str, NoneType}:
            strings.append((k, take(values, order)))
        else:
            _raise_first_series_error(table, what)
    if has_bool(block, floats, text):
        _raise_first_series_error(table, what)
    if not isinstance(order, slice):
        block = block[:, order]
    declared = payload.get("pin_probability_unit", pin_probability_unit)
    if pin_probability_unit != "auto":
        declared = pin_probability_unit
    if declared not in ("auto", "pct", "fraction"):
        raise SchemaError(f"{what} field 'pin_probability_unit' must be 'pct' or 'fraction'")
    if declared == "auto":
        declared = "fraction" if pin_values_are_fractions(block[_PIN_ROW]) else "pct"
    if declared == "fraction":
        block[_PIN_ROW] *= 100.0
    attrs = read_attrs(
        payload,
        what,
        source,
        ("symbol", "expiration", "bar_size"),
        pin_probability_unit_read=declared,
    )
    return partial(_series_frame, block, strings, nanoseconds[order], attrs)


def _series_frame(
    block: np.ndarray,
    strings: list[tuple[int, Sequence[str | None]]],
    nanoseconds: np.ndarray,
    attrs: dict[Hashable, Any],
) -> pd.DataFrame:
    blocks: list[tuple[Any, np.ndarray]] = [(block, _SERIES_FLOATS)]
    for k, values in strings:
        array = _regime(values) if SERIES_COLUMNS[k] == "regime" else pd.array(values, dtype=_STR)
        blocks.append((array, np.array([k])))
    frame: pd.DataFrame = create_dataframe_from_blocks(
        blocks,
        index=time_index(nanoseconds, "t"),
        columns=_SERIES_INDEX.copy(),  # a new Index object per frame (its name is settable)
    )
    frame.attrs = attrs
    return frame


def _raise_first_series_error(table: Sequence[Sequence[Any]], what: str) -> NoReturn:
    """Raise for the first bad value, column by column: the fast path found one somewhere."""
    for col, values in zip(SERIES_COLUMNS, table, strict=True):
        if col in SERIES_FLOAT_COLUMNS:
            read_floats(values, what, col)
        elif not set(map(type, values)) <= {str, NoneType}:
            i, v = next((i, v) for i, v in enumerate(values) if type(v) not in (str, NoneType))
            raise SchemaError(f"{what} bars[{i}].{col} must be a string or null, got {v!r}")
    raise AssertionError("no bad value in a series body found to hold one")  # pragma: no cover


def pin_values_are_fractions(values: np.ndarray) -> bool:
    """Apply the ``"auto"`` unit rule: True when every finite value lies in [0, 1].

    Published bodies write ``pin_probability_pct`` both as 64.1 and as 0.64; a set of values
    all within [0, 1] is read as fractions. Apply it to as many values as you have: a short
    window whose pins are all under 1% is ambiguous on its own.
    """
    finite = values[np.isfinite(values)]
    return bool(finite.size) and bool(((finite >= 0) & (finite <= 1)).all())


def regime_categorical(values: Iterable[object]) -> Any:
    """Return regime labels as the series' categorical: known labels first, then others sorted."""
    return _regime([None if v is None or v != v else str(v) for v in values])


_REGIME_CODES: Final[dict[str | None, int]] = {
    None: -1,
    **{label: code for code, label in enumerate(REGIMES)},
}


_REGIME_DTYPE: Final[Any] = pd.CategoricalDtype(list(REGIMES))  # Any: pandas-stubs is narrow here


def _regime(values: Sequence[str | None]) -> Any:
    """Regime labels as a categorical with the known labels first, then any others, sorted."""
    n = len(values)
    try:  # the usual case: known labels only, one shared dtype
        codes = np.fromiter(map(_REGIME_CODES.__getitem__, values), dtype=np.int8, count=n)
        dtype = _REGIME_DTYPE
    except KeyError:
        extra = sorted(v for v in set(values).difference(_REGIME_CODES) if v is not None)
        lookup: dict[str | None, int] = dict(_REGIME_CODES)
        lookup.update((label, len(REGIMES) + i) for i, label in enumerate(extra))
        codes = np.fromiter(map(lookup.__getitem__, values), dtype=np.int32, count=n)
        dtype = pd.CategoricalDtype([*REGIMES, *extra])
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def series_to_payload(frame: pd.DataFrame) -> dict[str, Any]:
    """Write a series frame back as a body (``pin_probability_pct`` as a percentage)."""
    require_columns(frame, SERIES_COLUMNS, "series_to_payload", time_index=False)
    times = iso_times(frame.index)
    cols: dict[str, list[Any]] = {}
    for col in SERIES_COLUMNS:
        if col in SERIES_FLOAT_COLUMNS:
            cols[col] = json_numbers(frame[col].to_numpy(dtype=np.float64))
        else:
            cols[col] = [None if pd.isna(v) else str(v) for v in frame[col]]
    bars = [{"t": t, **{col: cols[col][i] for col in SERIES_COLUMNS}} for i, t in enumerate(times)]
    keys = ("symbol", "expiration", "as_of", "bar_size")
    return write_body(frame.attrs, keys, pin_probability_unit="pct", bars=bars)
