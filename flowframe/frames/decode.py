"""Pure converters between wire payloads and pandas / xarray objects, both ways.

Every ``*_from_payload`` reads a dict shaped like the hosted API's JSON body (from any source)
and returns an object with a fixed schema: the same columns, dtypes and dims whatever the
payload holds. Every ``*_to_payload`` writes the object back as a body, for recording and
serving, so that ``x_from_payload(x_to_payload(obj))`` equals ``obj``.

With the body's JSON text at hand (bytes off the wire, a recording), ``heatmap_from_json``,
``strike_flow_from_json``, ``series_from_json`` and ``hedge_flow_from_json`` return the same
objects as ``*_from_payload(orjson.loads(text))``, sooner: they decode once, need not look at
the type of every zero to rule out a boolean (one scan of the text does), let the decoded
body go before building the result, and, for series, decode the bars straight into typed
records with msgspec when it is installed. ``tests/bench/bench_frames.py`` measures them.

Schemas
-------
hedge-flow
    ``DataFrame`` indexed by ``t`` (``datetime64[ns, UTC]``, ascending, unique); float64
    columns ``bar`` (signed delta-dollars in the bucket, + = dealers buy) and ``cumulative``
    (running sum since the open). A split frame (calls and puts) adds ``calls_bar,
    calls_cumulative, puts_bar, puts_cumulative``; ``bar``/``cumulative`` are their sums.
    attrs: symbol, expiration, side, bar_size, as_of, source, endpoint_version, data_as_of.
series
    ``DataFrame`` indexed by ``t``; the 16 documented bar fields as columns in
    :data:`SERIES_COLUMNS` order: float64 except ``gamma_flip_status`` (``str``) and ``regime``
    (categorical, categories ``positive_gamma, negative_gamma, neutral`` plus any other label
    the payload carries). ``pin_score`` is 0-100; ``pin_probability_pct`` is a percentage 0-100
    (see *Units*).
heatmap
    ``xr.DataArray`` named after the metric, dims ``("bar", "strike")``, coords ``bar``
    (``datetime64[ns]``, UTC), ``strike`` (float64, ascending), ``spot`` (along ``bar``);
    attrs symbol, expiration, metric, mode, bar_size, as_of, units, underlying_price,
    tier_used, gap_intervals, source, endpoint_version, data_as_of.
strike-flow
    ``xr.Dataset`` of ``signed_delta_dollars``, ``signed_gamma_dollars``, ``contracts``
    (float64, per-bar increments) on the heatmap's dims and coords.
leaderboard
    ``DataFrame`` indexed by ``rank`` (int64, ascending), columns ``symbol`` (``str``) and
    ``value`` (float64); attrs metric, n, as_of, market_open, source.

Reading rules
-------------
An empty ``bars`` gives an empty object of the same schema; ``null`` becomes NaN; an absent
optional field becomes a NaN column; bars are sorted by ``t``; a duplicated ``t`` keeps the
last bar given; ISO-8601 times with up to 9 fractional digits parse (a time without an offset
is read as UTC). A ``values`` array whose length differs from ``strikes_grid``, a ``t`` that
does not parse, or a value that is not a number (a string, a boolean, an object) raises
:class:`~flowframe.SchemaError` naming the field and the bar index: nothing is ever
misaligned silently.

Units
-----
``pin_probability_pct`` appears in published bodies both as a percentage (64.1) and as a
fraction (0.64). flowframe always returns a percentage. With ``pin_probability_unit="auto"``
(the default) a payload whose non-null values all lie in [0, 1] is read as fractions and
multiplied by 100; anything else is read as percentages. Pass ``"pct"`` or ``"fraction"`` to
decide yourself. Bodies written by :func:`series_to_payload` carry
``"pin_probability_unit": "pct"`` so they read back exactly. ``atm_iv`` is a decimal fraction
(0.123 = 12.3%), as the series endpoint sends it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import partial
from operator import itemgetter
from types import NoneType
from typing import Any, Final, Literal, NamedTuple, NoReturn, TypeVar

import numpy as np
import orjson
import pandas as pd
import xarray as xr
from pandas.api.internals import (  # type: ignore[import-not-found]  # not in pandas-stubs
    create_dataframe_from_blocks,
)
from xarray.indexes import PandasIndex

from flowframe._constants import (
    METRIC_UNITS,
    REGIMES,
    SERIES_COLUMNS,
    SERIES_FLOAT_COLUMNS,
    SPLIT_COLUMNS,
    STRIKE_FLOW_UNITS,
    STRIKE_FLOW_VARIABLES,
)
from flowframe.errors import SchemaError
from flowframe.frames import _fastpath
from flowframe.frames.checks import read_timestamp
from flowframe.frames.snapshot import Snapshot, snapshot_from_payload, snapshot_to_payload

__all__ = [
    "Snapshot",
    "heatmap_from_json",
    "heatmap_from_payload",
    "heatmap_to_payload",
    "hedge_flow_from_json",
    "hedge_flow_from_payload",
    "hedge_flow_to_payload",
    "leaderboard_from_payload",
    "leaderboard_to_payload",
    "pin_values_are_fractions",
    "regime_categorical",
    "series_from_json",
    "series_from_payload",
    "series_to_payload",
    "snapshot_from_payload",
    "snapshot_to_payload",
    "split_hedge_flow",
    "strike_flow_from_json",
    "strike_flow_from_payload",
    "strike_flow_to_payload",
]

PinUnit = Literal["auto", "pct", "fraction"]

# Python numbers from JSON, plus numpy scalars from in-process sources (never bool).
_NUMERIC_TYPES: Final = frozenset(
    {float, int, NoneType, np.float64, np.float32, np.int64, np.int32}
)
_ENVELOPE: Final = ("endpoint_version", "data_as_of")
_UTC: Final = "UTC"


# --------------------------------------------------------------------------- reading helpers


def _require_mapping(payload: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise SchemaError(f"{what} payload must be a JSON object, got {type(payload).__name__}")
    return payload


def _require_list(payload: Mapping[str, Any], field: str, what: str) -> list[Any]:
    if field not in payload:
        raise SchemaError(f"{what} payload has no {field!r} field")
    value = payload[field]
    if not isinstance(value, list):
        raise SchemaError(f"{what} field {field!r} must be a list, got {type(value).__name__}")
    return value


def _table(payload: Mapping[str, Any], keys: Sequence[str], what: str) -> list[Sequence[Any]]:
    """Return the ``bars``' values for ``keys``, column by column (None where absent)."""
    bars = _require_list(payload, "bars", what)
    if set(map(type, bars)) <= {dict}:  # what JSON decoders give; skip the ABC check
        columns = _fastpath.columns(bars, keys)
        if columns is not None:
            return list(columns)
    else:
        for i, b in enumerate(bars):
            if not isinstance(b, Mapping):
                raise SchemaError(f"{what} bars[{i}] must be an object, got {type(b).__name__}")
    if not bars or len(keys) < 2:
        return [[b.get(key) for b in bars] for key in keys]
    try:  # every field present: one C call per bar
        get = itemgetter(*keys)
        records = [get(b) for b in bars]
    except KeyError:
        records = [tuple(map(b.get, keys)) for b in bars]
    return list(zip(*records, strict=True))


def _optional_str(payload: Mapping[str, Any], field: str, what: str) -> str | None:
    value = payload.get(field)
    if value is None or isinstance(value, str):
        return value
    raise SchemaError(f"{what} field {field!r} must be a string or null, got {value!r}")


def _times(values: Sequence[Any], what: str, field: str = "t") -> np.ndarray:
    """Parse bar times to int64 nanoseconds since the epoch (UTC), naming the first bad bar."""
    if not values:
        return np.empty(0, dtype=np.int64)
    fast = _fastpath.utc_nanoseconds(values)  # the plain forms, vectorised
    if fast is not None:
        return fast
    if all(type(v) is str for v in values):
        try:
            parsed = pd.to_datetime(list(values), format="ISO8601", utc=True)
            return pd.DatetimeIndex(parsed).as_unit("ns").asi8
        except (ValueError, TypeError, OverflowError):
            pass
    for i, v in enumerate(values):  # slow path: find the culprit
        if type(v) is not str:
            raise SchemaError(f"{what} bars[{i}].{field} must be an ISO-8601 string, got {v!r}")
        try:
            pd.to_datetime([v], format="ISO8601", utc=True)
        except (ValueError, TypeError, OverflowError):
            raise SchemaError(f"{what} bars[{i}].{field} is not an ISO-8601 time: {v!r}") from None
    raise SchemaError(f"{what} bar times do not parse together (mixed offsets?)")


def _time_index(nanoseconds: np.ndarray, name: str) -> pd.DatetimeIndex:
    """Return a ``datetime64[ns, UTC]`` index over int64 nanoseconds."""
    return pd.DatetimeIndex(nanoseconds.view("datetime64[ns]"), tz=_UTC, name=name)


def _bad_number(values: Iterable[Any]) -> tuple[int, Any] | None:
    for i, v in enumerate(values):
        if type(v) not in _NUMERIC_TYPES or type(v) is bool:
            return i, v
        if isinstance(v, int) and abs(v) > 1e308:
            return i, v
    return None


def _pack(values: Sequence[Any], out: np.ndarray) -> bool:
    """Write numbers and nulls (None -> NaN) into the float64 array ``out``.

    False when something else is there (a string, a container, an int too large for a
    float). Booleans pass as 0.0 / 1.0: callers look for them with :func:`_has_bool`.
    """
    if _fastpath.pack_floats(values, out):
        return True
    nulls = values.count(None)
    if nulls == len(values):  # an absent field
        out.fill(np.nan)
        return True
    if nulls == 0:
        return False
    if nulls > _FEW_NULLS:
        return _fastpath.pack_floats([np.nan if v is None else v for v in values], out)
    filled = list(values)
    at = -1
    for _ in range(nulls):  # list.index finds each null in C
        at = filled.index(None, at + 1)
        filled[at] = np.nan
    return _fastpath.pack_floats(filled, out)


# up to this many nulls in a column, finding them with list.index beats a comprehension
_FEW_NULLS: Final = 64


class _Text:
    """The JSON text a payload was decoded from, asked at most once whether it has a boolean."""

    __slots__ = ("_answer", "_data")

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._data = data
        self._answer: bool | None = None

    @classmethod
    def proven(cls) -> _Text:
        """Stand for a text already decoded by something that lets no boolean into a number."""
        text = cls(b"")
        text._answer = True
        return text

    def bool_free(self) -> bool:
        """Whether the text has no true/false literal (see ``_fastpath.bool_free``)."""
        if self._answer is None:
            self._answer = _fastpath.bool_free(self._data)
        return self._answer


# below this many 0.0/1.0 cells, looking at their types beats scanning the JSON text
_FEW_SUSPECTS: Final = 32


def _has_bool(arr: np.ndarray, rows: Sequence[Sequence[Any]], text: _Text | None = None) -> bool:
    """Whether a JSON true/false hides in ``rows`` (already converted to ``arr``).

    A boolean can only have become exactly 0.0 or 1.0, so on dense data only those cells are
    looked at. When they are many (sparse grids: OI, contracts), a scan of the JSON text they
    came from, if any, settles it in one vectorised pass; otherwise one scan of every type is
    cheaper than picking them out.
    """
    flat = arr.reshape(-1)
    mask = (flat == 0.0) | (flat == 1.0)
    count = np.count_nonzero(mask)
    if count == 0:
        return False
    if text is not None and count > _FEW_SUSPECTS and text.bool_free():
        return False
    if count * 4 > flat.size:
        return any(bool in set(map(type, row)) for row in rows)
    width = len(rows[0])
    i, j = np.divmod(np.flatnonzero(mask), width)
    return bool in {type(rows[r][c]) for r, c in zip(i.tolist(), j.tolist(), strict=True)}


def _floats(
    values: Sequence[Any], what: str, field: str, *, text: _Text | None = None
) -> np.ndarray:
    """One float64 array from per-bar values (None -> NaN), naming the first bad bar.

    ``text`` is the JSON text the values were decoded from, when there is one: it can spare
    the look for booleans (see :func:`_has_bool`).
    """
    out = np.empty(len(values), dtype=np.float64)
    if _pack(values, out) and not _has_bool(out, [values], text):
        return out
    bad = _bad_number(values)
    i, v = bad if bad is not None else (0, values[0] if values else None)
    raise SchemaError(f"{what} bars[{i}].{field} must be a number or null, got {v!r}")


def _matrix(
    rows: Sequence[Any], field: str, width: int, what: str, *, text: _Text | None = None
) -> np.ndarray:
    """Build a (bars x strikes) float64 matrix from per-bar arrays, checked against the grid."""
    if set(map(type, rows)) - {list} or set(map(len, rows)) - {width}:
        for i, row in enumerate(rows):
            if type(row) is not list:
                raise SchemaError(
                    f"{what} bars[{i}].{field} must be a list parallel to strikes_grid, "
                    f"got {type(row).__name__}"
                )
            if len(row) != width:
                raise SchemaError(
                    f"{what} bars[{i}].{field} has {len(row)} values but strikes_grid has {width}"
                )
    out, failed = _fastpath.pack_rows(rows, width)
    for i in failed:  # rows holding a null, or something wrong
        if not _pack(rows[i], out[i]):
            _raise_bad_cell(rows[i], i, field, what)
    if out.size and _has_bool(out, rows, text):
        for i, row in enumerate(rows):
            if bool in set(map(type, row)):
                _raise_bad_cell(row, i, field, what)
    return out


def _raise_bad_cell(row: list[Any], i: int, field: str, what: str) -> NoReturn:
    bad = _bad_number(row)
    j, v = bad if bad is not None else (0, row[0])
    raise SchemaError(f"{what} bars[{i}].{field}[{j}] must be a number or null, got {v!r}")


def _order(nanoseconds: np.ndarray) -> np.ndarray | slice:
    """Positions that sort the times ascending, keeping the last of duplicated times."""
    if (nanoseconds[1:] > nanoseconds[:-1]).all():
        return slice(None)  # the usual case: nothing to reorder, no copy
    # np.unique keeps the first of equal values, so look from the end; it sorts, too
    _, from_end = np.unique(nanoseconds[::-1], return_index=True)
    return nanoseconds.size - 1 - from_end


def _take(values: Sequence[Any], order: np.ndarray | slice) -> Sequence[Any]:
    """Return ``values`` in ``order`` (positions from :func:`_order`)."""
    if isinstance(order, slice):
        return values  # the usual case: in order already
    return list(map(values.__getitem__, order.tolist()))


def _envelope(payload: Mapping[str, Any], what: str) -> dict[Hashable, Any]:
    version = _optional_str(payload, "endpoint_version", what)
    data_as_of = payload.get("data_as_of")
    if data_as_of is not None and not isinstance(data_as_of, Mapping):
        raise SchemaError(f"{what} field 'data_as_of' must be an object or null")
    return {
        "endpoint_version": version,
        "data_as_of": dict(data_as_of) if data_as_of is not None else None,
    }


def _source_attr(source: str | None) -> str:
    return source if source is not None else "payload"


def _json_bytes(data: Any, what: str) -> bytes | bytearray | memoryview:
    """Return JSON text as bytes (str is encoded as UTF-8)."""
    if isinstance(data, str):
        try:
            return data.encode()
        except UnicodeEncodeError as exc:
            raise SchemaError(f"{what} body is not valid JSON: {exc}") from None
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"{what} JSON must be bytes or str, got {type(data).__name__}")
    return data


def _loads(data: Any, what: str) -> tuple[Any, _Text]:
    """Decode a JSON body with orjson, and keep its text for :func:`_has_bool`."""
    text = _json_bytes(data, what)
    try:
        payload = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise SchemaError(f"{what} body is not valid JSON: {exc}") from None
    return payload, _Text(text)


_T = TypeVar("_T")


def _from_json(data: Any, what: str, read: Callable[[Any, _Text | None], Callable[[], _T]]) -> _T:
    """Decode ``data``, read it with ``read``, and build the result once the body is gone.

    Readers come in two phases: ``read`` checks the payload and copies out what the result
    needs (arrays, attrs), returning the step that builds the pandas / xarray object. Letting
    the decoded body go in between halves peak memory, and the garbage collector passes that
    building triggers then have a few objects to walk instead of every decoded value.
    """
    payload, text = _loads(data, what)
    build = read(payload, text)
    del payload
    return build()


# --------------------------------------------------------------------------- writing helpers


def _iso(ts: pd.Timestamp | None) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    text = pd.Timestamp(ts).tz_convert(_UTC).isoformat()
    return text.replace("+00:00", "Z")


def _iso_times(index: pd.DatetimeIndex) -> list[str]:
    utc = index.tz_convert(_UTC) if index.tz is not None else index.tz_localize(_UTC)
    return [t.isoformat().replace("+00:00", "Z") for t in utc]


def _json_number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _json_numbers(values: np.ndarray) -> list[float | None]:
    out: list[float | None] = values.astype(object).tolist()
    if np.isnan(values).any():
        return [None if v != v else v for v in out]  # NaN != NaN
    return out


def _put_envelope(body: dict[str, Any], attrs: Mapping[Hashable, Any]) -> None:
    for key in _ENVELOPE:
        if attrs.get(key) is not None:
            body[key] = attrs[key]


# --------------------------------------------------------------------------- hedge-flow


def hedge_flow_from_payload(payload: Any, *, source: str | None = None) -> pd.DataFrame:
    """Read a ``hedge-flow`` body as a DataFrame indexed by bar time.

    Parameters
    ----------
    payload : dict
        A hedge-flow body (``{symbol, expiration, as_of, side, bar_size, bars}``).
    source : str, optional
        Where the body came from, kept in ``attrs["source"]``.

    Returns
    -------
    pandas.DataFrame
        Index ``t`` (``datetime64[ns, UTC]``), float64 columns ``bar`` and ``cumulative``.

    Raises
    ------
    SchemaError
        The body is not a hedge-flow body (the message names the field and bar index).

    Examples
    --------
    >>> body = {"symbol": "SPY", "side": "calls", "bar_size": "5m",
    ...         "bars": [{"t": "2026-06-05T18:40:00Z", "bar": 1240000, "cumulative": 18432000}]}
    >>> hedge_flow_from_payload(body)
                                     bar  cumulative
    t
    2026-06-05 18:40:00+00:00  1240000.0  18432000.0
    """
    return _read_hedge_flow(payload, None, source)()


def hedge_flow_from_json(data: bytes | str, *, source: str | None = None) -> pd.DataFrame:
    """Read a ``hedge-flow`` body from its JSON text (bytes as received, or str).

    The same frame as ``hedge_flow_from_payload(orjson.loads(data))``, sooner: see
    :func:`heatmap_from_json`. Text that is not JSON raises :class:`SchemaError`.
    """
    return _from_json(data, "hedge-flow", partial(_read_hedge_flow, source=source))


def _read_hedge_flow(
    payload: Any, text: _Text | None, source: str | None
) -> Callable[[], pd.DataFrame]:
    what = "hedge-flow"
    payload = _require_mapping(payload, what)
    times, bar, cumulative = _table(payload, ("t", "bar", "cumulative"), what)
    nanoseconds = _times(times, what)
    order = _order(nanoseconds)
    columns = {
        "bar": _floats(bar, what, "bar", text=text)[order],
        "cumulative": _floats(cumulative, what, "cumulative", text=text)[order],
    }
    attrs = {
        "symbol": _optional_str(payload, "symbol", what),
        "expiration": _optional_str(payload, "expiration", what),
        "side": _optional_str(payload, "side", what),
        "bar_size": _optional_str(payload, "bar_size", what),
        "as_of": read_timestamp(payload, "as_of", what),
        "source": _source_attr(source),
        **_envelope(payload, what),
    }
    return partial(_frame, columns, nanoseconds[order], attrs)


def _frame(
    columns: dict[str, np.ndarray], nanoseconds: np.ndarray, attrs: dict[Hashable, Any]
) -> pd.DataFrame:
    frame = pd.DataFrame(columns, index=_time_index(nanoseconds, "t"), copy=False)
    frame.attrs = attrs
    return frame


def split_hedge_flow(calls: Any, puts: Any, *, source: str | None = None) -> pd.DataFrame:
    """Join a ``side=calls`` and a ``side=puts`` body into one frame with both legs.

    Each body is a decoded payload, or its JSON bytes (read by :func:`hedge_flow_from_json`).

    Returns
    -------
    pandas.DataFrame
        Columns ``bar, cumulative, calls_bar, calls_cumulative, puts_bar, puts_cumulative``;
        ``bar`` and ``cumulative`` are the sums of the legs. A time present in one leg only
        has NaN for the other leg and for the sums (flowframe does not guess a missing leg).
    """
    c, p = (
        hedge_flow_from_json(body, source=source)
        if isinstance(body, bytes | str)
        else hedge_flow_from_payload(body, source=source)
        for body in (calls, puts)
    )
    for frame, side in ((c, "calls"), (p, "puts")):
        if frame.attrs["side"] not in (None, side):
            raise SchemaError(
                f"split_hedge_flow expects a {side!r} body there, got side={frame.attrs['side']!r}"
            )
    index = c.index.union(p.index)
    c = c.reindex(index)
    p = p.reindex(index)
    frame = pd.DataFrame(
        {
            "bar": c["bar"] + p["bar"],
            "cumulative": c["cumulative"] + p["cumulative"],
            "calls_bar": c["bar"],
            "calls_cumulative": c["cumulative"],
            "puts_bar": p["bar"],
            "puts_cumulative": p["cumulative"],
        },
        index=pd.DatetimeIndex(index, name="t"),
    )
    attrs = dict(c.attrs)
    attrs["side"] = "split"
    as_ofs = [a for a in (c.attrs["as_of"], p.attrs["as_of"]) if a is not None]
    attrs["as_of"] = max(as_ofs) if as_ofs else None
    frame.attrs = attrs
    return frame


def hedge_flow_to_payload(
    frame: pd.DataFrame, *, side: Literal["calls", "puts"] | None = None
) -> dict[str, Any]:
    """Write a hedge-flow frame back as a body.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame from :func:`hedge_flow_from_payload` or :func:`split_hedge_flow`.
    side : {"calls", "puts"}, optional
        For a split frame, write that leg instead of the sum (``side="all"``).
    """
    _require_columns(frame, ("bar", "cumulative"), "hedge_flow_to_payload")
    prefix = ""
    out_side = frame.attrs.get("side")
    if side is not None:
        _require_columns(frame, SPLIT_COLUMNS, "hedge_flow_to_payload(side=...)")
        prefix, out_side = f"{side}_", side
    elif out_side == "split":
        out_side = "all"
    bar = frame[f"{prefix}bar"].to_numpy(dtype=np.float64)
    cumulative = frame[f"{prefix}cumulative"].to_numpy(dtype=np.float64)
    body: dict[str, Any] = {
        "symbol": frame.attrs.get("symbol"),
        "expiration": frame.attrs.get("expiration"),
        "as_of": _iso(frame.attrs.get("as_of")),
        "side": out_side,
        "bar_size": frame.attrs.get("bar_size"),
        "bars": [
            {"t": t, "bar": _json_number(b), "cumulative": _json_number(c)}
            for t, b, c in zip(_iso_times(_dt_index(frame)), bar, cumulative, strict=True)
        ],
    }
    _put_envelope(body, frame.attrs)
    return body


# --------------------------------------------------------------------------- series


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
        Index ``t``; every documented bar field as a column, always, in
        ``flowframe.frames.SERIES_COLUMNS`` order.
    """
    return _read_series(payload, None, source, pin_probability_unit)()


def series_from_json(
    data: bytes | str, *, source: str | None = None, pin_probability_unit: PinUnit = "auto"
) -> pd.DataFrame:
    """Read a ``series`` body from its JSON text (bytes as received, or str).

    The same frame as ``series_from_payload(orjson.loads(data), ...)``, sooner. With msgspec
    installed, the bars are decoded straight into typed records (no dict per bar, types
    checked while decoding); a body that msgspec finds anything wrong with, and every body
    without msgspec, takes the general path, as :func:`heatmap_from_json` does. Text that is
    not JSON raises :class:`SchemaError`.
    """
    text = _json_bytes(data, "series")
    fast = _fastpath.series_table(text)
    if fast is None:
        read = partial(_read_series, source=source, pin_probability_unit=pin_probability_unit)
        return _from_json(text, "series", read)
    fields, table = fast
    return _read_series_table(fields, table, _Text.proven(), source, pin_probability_unit)()


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
    payload: Any, text: _Text | None, source: str | None, pin_probability_unit: PinUnit
) -> Callable[[], pd.DataFrame]:
    payload = _require_mapping(payload, "series")
    table = _table(payload, ("t", *SERIES_COLUMNS), "series")
    return _read_series_table(payload, table, text, source, pin_probability_unit)


def _read_series_table(
    payload: Mapping[str, Any],
    columns: Sequence[Sequence[Any]],
    text: _Text | None,
    source: str | None,
    pin_probability_unit: PinUnit,
) -> Callable[[], pd.DataFrame]:
    """Read a series from its top-level fields and its bars' columns (``t`` first)."""
    what = "series"
    times, *table = columns
    nanoseconds = _times(times, what)
    order = _order(nanoseconds)
    # the float columns as one (columns x bars) block, the layout a DataFrame keeps
    block = np.empty((len(_SERIES_FLOATS), len(nanoseconds)), dtype=np.float64)
    floats: list[Sequence[Any]] = []
    strings: list[tuple[int, Sequence[str | None]]] = []
    for k, (col, values) in enumerate(zip(SERIES_COLUMNS, table, strict=True)):
        if col in SERIES_FLOAT_COLUMNS:
            row = block[len(floats)]
            floats.append(values)
            if not _pack(values, row):
                _raise_first_series_error(table, what)
        elif set(map(type, values)) <= {str, NoneType}:
            strings.append((k, _take(values, order)))
        else:
            _raise_first_series_error(table, what)
    if _has_bool(block, floats, text):
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
    attrs = {
        "symbol": _optional_str(payload, "symbol", what),
        "expiration": _optional_str(payload, "expiration", what),
        "bar_size": _optional_str(payload, "bar_size", what),
        "as_of": read_timestamp(payload, "as_of", what),
        "source": _source_attr(source),
        "pin_probability_unit_read": declared,
        **_envelope(payload, what),
    }
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
        index=_time_index(nanoseconds, "t"),
        columns=_SERIES_INDEX.copy(),  # a new Index object per frame (its name is settable)
    )
    frame.attrs = attrs
    return frame


def _raise_first_series_error(table: Sequence[Sequence[Any]], what: str) -> NoReturn:
    """Raise for the first bad value, column by column: the fast path found one somewhere."""
    for col, values in zip(SERIES_COLUMNS, table, strict=True):
        if col in SERIES_FLOAT_COLUMNS:
            _floats(values, what, col)
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
    _require_columns(frame, SERIES_COLUMNS, "series_to_payload")
    times = _iso_times(_dt_index(frame))
    cols: dict[str, list[Any]] = {}
    for col in SERIES_COLUMNS:
        if col in SERIES_FLOAT_COLUMNS:
            cols[col] = _json_numbers(frame[col].to_numpy(dtype=np.float64))
        else:
            cols[col] = [None if pd.isna(v) else str(v) for v in frame[col]]
    bars = [{"t": t, **{col: cols[col][i] for col in SERIES_COLUMNS}} for i, t in enumerate(times)]
    body: dict[str, Any] = {
        "symbol": frame.attrs.get("symbol"),
        "expiration": frame.attrs.get("expiration"),
        "as_of": _iso(frame.attrs.get("as_of")),
        "bar_size": frame.attrs.get("bar_size"),
        "pin_probability_unit": "pct",
        "bars": bars,
    }
    _put_envelope(body, frame.attrs)
    return body


# --------------------------------------------------------------------------- heatmap, strike-flow


def _grid(payload: Mapping[str, Any], what: str) -> tuple[np.ndarray, np.ndarray | slice]:
    """Return the strike grid as sorted float64, and the permutation that sorts it."""
    raw = _require_list(payload, "strikes_grid", what)
    strikes = np.empty(len(raw), dtype=np.float64)
    if not _fastpath.pack_floats(raw, strikes) or _has_bool(strikes, [raw]):
        bad = _bad_number(raw)
        i, v = bad if bad is not None else (raw.index(None), None)
        raise SchemaError(f"{what} strikes_grid[{i}] must be a number, got {v!r}")
    if not np.isfinite(strikes).all():
        raise SchemaError(f"{what} strikes_grid holds a non-finite strike")
    if (np.diff(strikes) > 0).all():
        return strikes, slice(None)  # the usual case: ascending already, no copy
    perm = np.argsort(strikes, kind="stable")
    strikes = strikes[perm]
    if (np.diff(strikes) == 0).any():
        dup = strikes[1:][np.diff(strikes) == 0][0]
        raise SchemaError(f"{what} strikes_grid lists strike {dup:g} twice")
    return strikes, perm


def _read_grid(
    payload: Any, arrays: Sequence[str], what: str, text: _Text | None
) -> tuple[Mapping[str, Any], _Grid]:
    """Read a grid body: the payload (checked), and what its coords and arrays hold."""
    payload = _require_mapping(payload, what)
    times, spot, *columns = _table(payload, ("t", "spot", *arrays), what)
    strikes, perm = _grid(payload, what)
    nanoseconds = _times(times, what)
    order = _order(nanoseconds)
    spot_values = _floats(spot, what, "spot", text=text)[order]
    matrices = [
        _matrix(rows, name, strikes.size, what, text=text)[order][:, perm]
        for name, rows in zip(arrays, columns, strict=True)
    ]
    grid = _Grid(nanoseconds[order], strikes, spot_values, matrices, attrs={})
    return payload, grid


class _Grid(NamedTuple):
    """What a grid body holds, copied out of the payload (which can then be let go)."""

    nanoseconds: np.ndarray
    strikes: np.ndarray
    spot: np.ndarray
    matrices: list[np.ndarray]
    attrs: dict[Hashable, Any]


def _grid_coords(grid: _Grid) -> xr.Coordinates:
    """Coords ``bar`` (naive UTC, ``attrs["timezone"]``), ``strike`` and ``spot``."""
    # the indexes built once here and handed over, so that xarray need not build them again
    times = pd.DatetimeIndex(grid.nanoseconds.view("datetime64[ns]"), name="bar")
    bar = PandasIndex(times, "bar")
    strike = PandasIndex(pd.Index(grid.strikes, name="strike"), "strike")
    variables = {
        **bar.create_variables(),
        **strike.create_variables(),
        "spot": xr.Variable("bar", grid.spot),
    }
    variables["bar"].attrs["timezone"] = _UTC
    return xr.Coordinates(variables, indexes={"bar": bar, "strike": strike})


def _grid_attrs(payload: Mapping[str, Any], what: str, source: str | None) -> dict[Hashable, Any]:
    underlying = payload.get("underlying_price")
    if underlying is not None and type(underlying) not in _NUMERIC_TYPES:
        raise SchemaError(f"{what} field 'underlying_price' must be a number or null")
    gaps = payload.get("gap_intervals", [])
    if gaps is None:
        gaps = []
    if not isinstance(gaps, list):
        raise SchemaError(f"{what} field 'gap_intervals' must be a list")
    return {
        "symbol": _optional_str(payload, "symbol", what),
        "expiration": _optional_str(payload, "expiration", what),
        "bar_size": _optional_str(payload, "bar_size", what),
        "as_of": read_timestamp(payload, "as_of", what),
        "underlying_price": None if underlying is None else float(underlying),
        "tier_used": _optional_str(payload, "tier_used", what),
        "gap_intervals": list(gaps),
        "source": _source_attr(source),
        **_envelope(payload, what),
    }


def heatmap_from_payload(payload: Any, *, source: str | None = None) -> xr.DataArray:
    """Read a ``heatmap`` body as a (bar x strike) DataArray.

    Returns
    -------
    xarray.DataArray
        Named after the metric; dims ``("bar", "strike")``; coords ``bar`` (UTC),
        ``strike`` (ascending), ``spot`` (along ``bar``). ``attrs["units"]`` names the unit.

    Raises
    ------
    SchemaError
        A ``values`` array does not match ``strikes_grid``, a time does not parse, a value is
        not a number; the message names the field and the bar index.
    """
    return _read_heatmap(payload, None, source)()


def heatmap_from_json(data: bytes | str, *, source: str | None = None) -> xr.DataArray:
    """Read a ``heatmap`` body from its JSON text (bytes as received, or str).

    The same array as ``heatmap_from_payload(orjson.loads(data))``, sooner: the text is
    decoded once with orjson and its numbers converted in C loops; when the body has many
    zeros, one vectorised scan of the text for ``true`` / ``false`` spares looking at each
    zero's type; and the decoded body is let go before the array is built.

    Raises
    ------
    SchemaError
        The text is not JSON, or not a heatmap body (as :func:`heatmap_from_payload`).

    Examples
    --------
    >>> body = (b'{"metric": "oi", "strikes_grid": [480, 485], "bars": [{"t": '
    ...         b'"2026-06-05T18:40:00Z", "spot": 482.1, "values": [1200, null]}]}')
    >>> heatmap_from_json(body).values.tolist()
    [[1200.0, nan]]
    """
    return _from_json(data, "heatmap", partial(_read_heatmap, source=source))


def _read_heatmap(
    payload: Any, text: _Text | None, source: str | None
) -> Callable[[], xr.DataArray]:
    what = "heatmap"
    payload, grid = _read_grid(payload, ("values",), what, text)
    metric = _optional_str(payload, "metric", what)
    grid.attrs.update(_grid_attrs(payload, what, source))
    grid.attrs["metric"] = metric
    grid.attrs["mode"] = _optional_str(payload, "mode", what)
    grid.attrs["units"] = METRIC_UNITS.get(metric or "", "unknown")
    return partial(_heatmap_array, grid, metric or "value")


def _heatmap_array(grid: _Grid, name: str) -> xr.DataArray:
    (values,) = grid.matrices
    coords = _grid_coords(grid)
    return xr.DataArray(values, coords=coords, dims=("bar", "strike"), name=name, attrs=grid.attrs)


def strike_flow_from_payload(payload: Any, *, source: str | None = None) -> xr.Dataset:
    """Read a ``strike-flow`` body as a Dataset of three (bar x strike) variables.

    Returns
    -------
    xarray.Dataset
        ``signed_delta_dollars``, ``signed_gamma_dollars``, ``contracts`` (float64, per-bar
        increments, each with ``attrs["units"]``) on the heatmap's dims and coords.
    """
    return _read_strike_flow(payload, None, source)()


def strike_flow_from_json(data: bytes | str, *, source: str | None = None) -> xr.Dataset:
    """Read a ``strike-flow`` body from its JSON text (bytes as received, or str).

    The same Dataset as ``strike_flow_from_payload(orjson.loads(data))``, sooner: see
    :func:`heatmap_from_json`. Text that is not JSON raises :class:`SchemaError`.
    """
    return _from_json(data, "strike-flow", partial(_read_strike_flow, source=source))


def _read_strike_flow(
    payload: Any, text: _Text | None, source: str | None
) -> Callable[[], xr.Dataset]:
    what = "strike-flow"
    payload, grid = _read_grid(payload, STRIKE_FLOW_VARIABLES, what, text)
    grid.attrs.update(_grid_attrs(payload, what, source))
    return partial(_strike_flow_dataset, grid)


def _strike_flow_dataset(grid: _Grid) -> xr.Dataset:
    data_vars = {
        name: (("bar", "strike"), matrix, {"units": STRIKE_FLOW_UNITS[name]})
        for name, matrix in zip(STRIKE_FLOW_VARIABLES, grid.matrices, strict=True)
    }
    return xr.Dataset(data_vars, coords=_grid_coords(grid), attrs=grid.attrs)


def _grid_body(obj: xr.DataArray | xr.Dataset) -> dict[str, Any]:
    times = pd.DatetimeIndex(obj["bar"].values).tz_localize(_UTC)
    attrs = obj.attrs
    body: dict[str, Any] = {
        "symbol": attrs.get("symbol"),
        "underlying_price": attrs.get("underlying_price"),
        "expiration": attrs.get("expiration"),
    }
    if isinstance(obj, xr.DataArray):
        body["metric"] = attrs.get("metric")
        body["mode"] = attrs.get("mode")
    body.update(
        {
            "bar_size": attrs.get("bar_size"),
            "as_of": _iso(attrs.get("as_of")),
            "tier_used": attrs.get("tier_used"),
            "strikes_grid": obj["strike"].values.astype(np.float64).tolist(),
            "bars": [
                {"t": t, "spot": s}
                for t, s in zip(_iso_times(times), _json_numbers(obj["spot"].values), strict=True)
            ],
            "gap_intervals": list(attrs.get("gap_intervals") or []),
        }
    )
    _put_envelope(body, attrs)
    return body


def heatmap_to_payload(array: xr.DataArray) -> dict[str, Any]:
    """Write a heatmap DataArray back as a body."""
    _require_dims(array, "heatmap_to_payload")
    body = _grid_body(array)
    matrix = array.transpose("bar", "strike").values.astype(np.float64)
    for bar, row in zip(body["bars"], matrix, strict=True):
        bar["values"] = _json_numbers(row)
    return body


def strike_flow_to_payload(dataset: xr.Dataset) -> dict[str, Any]:
    """Write a strike-flow Dataset back as a body."""
    _require_dims(dataset, "strike_flow_to_payload")
    body = _grid_body(dataset)
    for name in STRIKE_FLOW_VARIABLES:
        matrix = dataset[name].transpose("bar", "strike").values.astype(np.float64)
        for bar, row in zip(body["bars"], matrix, strict=True):
            bar[name] = _json_numbers(row)
    return body


# --------------------------------------------------------------------------- leaderboard


def leaderboard_from_payload(payload: Any, *, source: str | None = None) -> pd.DataFrame:
    """Read a ``leaderboard`` body as a DataFrame indexed by rank.

    Returns
    -------
    pandas.DataFrame
        Index ``rank`` (int64, 1 = highest), columns ``symbol`` (``str``) and ``value``
        (float64); attrs metric, n, as_of, market_open, source.
    """
    what = "leaderboard"
    payload = _require_mapping(payload, what)
    entries = _require_list(payload, "entries", what)
    ranks: list[int] = []
    symbols: list[str] = []
    for i, e in enumerate(entries):
        if not isinstance(e, Mapping):
            raise SchemaError(f"{what} entries[{i}] must be an object, got {type(e).__name__}")
        rank, symbol = e.get("rank"), e.get("symbol")
        if type(rank) is not int:
            raise SchemaError(f"{what} entries[{i}].rank must be an integer, got {rank!r}")
        if type(symbol) is not str:
            raise SchemaError(f"{what} entries[{i}].symbol must be a string, got {symbol!r}")
        ranks.append(rank)
        symbols.append(symbol)
    values = _floats([e.get("value") for e in entries], what, "value")
    if any(abs(r) >= 2**63 for r in ranks):
        raise SchemaError(f"{what} entries hold a rank out of range")
    rank_index = pd.Index(np.array(ranks, dtype=np.int64), name="rank")
    keep = np.flatnonzero(~rank_index.duplicated(keep="last"))
    keep = keep[np.argsort(rank_index.to_numpy()[keep], kind="stable")]
    frame = pd.DataFrame(
        {
            "symbol": pd.array([symbols[i] for i in keep], dtype="str"),
            "value": values[keep],
        },
        index=pd.Index(rank_index.to_numpy()[keep], name="rank", dtype=np.int64),
    )
    n = payload.get("n")
    market_open = payload.get("market_open")
    if n is not None and type(n) is not int:
        raise SchemaError(f"{what} field 'n' must be an integer or null, got {n!r}")
    if market_open is not None and type(market_open) is not bool:
        raise SchemaError(f"{what} field 'market_open' must be true, false or null")
    frame.attrs = {
        "metric": _optional_str(payload, "metric", what),
        "n": n,
        "as_of": read_timestamp(payload, "as_of", what),
        "market_open": market_open,
        "source": _source_attr(source),
        **_envelope(payload, what),
    }
    return frame


def leaderboard_to_payload(frame: pd.DataFrame) -> dict[str, Any]:
    """Write a leaderboard frame back as a body."""
    _require_columns(frame, ("symbol", "value"), "leaderboard_to_payload")
    body: dict[str, Any] = {
        "metric": frame.attrs.get("metric"),
        "n": frame.attrs.get("n"),
        "as_of": _iso(frame.attrs.get("as_of")),
        "market_open": frame.attrs.get("market_open"),
        "entries": [
            {"rank": int(r), "symbol": str(s), "value": _json_number(float(v))}
            for r, s, v in zip(frame.index, frame["symbol"], frame["value"], strict=True)
        ],
    }
    _put_envelope(body, frame.attrs)
    return body


# --------------------------------------------------------------------------- frame checks


def _dt_index(frame: pd.DataFrame) -> pd.DatetimeIndex:
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise SchemaError(f"expected a frame indexed by time 't', got {type(frame.index).__name__}")
    return frame.index


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"{what} needs columns {', '.join(missing)}, which the frame lacks")


def _require_dims(obj: xr.DataArray | xr.Dataset, what: str) -> None:
    missing = [d for d in ("bar", "strike") if d not in obj.dims]
    if missing or "spot" not in obj.coords:
        raise SchemaError(f"{what} needs dims ('bar', 'strike') and a 'spot' coordinate")
