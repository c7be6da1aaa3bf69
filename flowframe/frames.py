"""Pure converters between wire payloads and pandas / xarray objects, both ways.

Every ``*_from_payload`` reads a dict shaped like the hosted API's JSON body (from any source)
and returns an object with a fixed schema: the same columns, dtypes and dims whatever the
payload holds. Every ``*_to_payload`` writes the object back as a body, for recording and
serving, so that ``x_from_payload(x_to_payload(obj))`` equals ``obj``.

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

import array
from collections.abc import Hashable, Iterable, Mapping, Sequence
from operator import itemgetter
from types import NoneType
from typing import Any, Final, Literal, NoReturn

import numpy as np
import pandas as pd
import xarray as xr

from flowframe._checks import read_timestamp
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
from flowframe.snapshot import Snapshot, snapshot_from_payload, snapshot_to_payload

__all__ = [
    "Snapshot",
    "heatmap_from_payload",
    "heatmap_to_payload",
    "hedge_flow_from_payload",
    "hedge_flow_to_payload",
    "leaderboard_from_payload",
    "leaderboard_to_payload",
    "pin_values_are_fractions",
    "regime_categorical",
    "series_from_payload",
    "series_to_payload",
    "snapshot_from_payload",
    "snapshot_to_payload",
    "split_hedge_flow",
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


def _bars(payload: Mapping[str, Any], what: str) -> list[Mapping[str, Any]]:
    bars = _require_list(payload, "bars", what)
    if all(type(b) is dict for b in bars):  # what JSON decoders give; skip the ABC check
        return bars
    for i, b in enumerate(bars):
        if not isinstance(b, Mapping):
            raise SchemaError(f"{what} bars[{i}] must be an object, got {type(b).__name__}")
    return bars


def _records(bars: list[Mapping[str, Any]], keys: Sequence[str]) -> list[tuple[Any, ...]]:
    """Each bar's values for ``keys`` (None where absent), as one tuple per bar."""
    try:  # every field present: one C call per bar
        get = itemgetter(*keys)
        return [get(b) for b in bars]
    except KeyError:
        return [tuple(map(b.get, keys)) for b in bars]


def _optional_str(payload: Mapping[str, Any], field: str, what: str) -> str | None:
    value = payload.get(field)
    if value is None or isinstance(value, str):
        return value
    raise SchemaError(f"{what} field {field!r} must be a string or null, got {value!r}")


def _times(values: Sequence[Any], what: str, field: str = "t") -> pd.DatetimeIndex:
    """Parse bar times to a UTC ``datetime64[ns]`` index, naming the first bad bar."""
    if values and all(type(v) is str for v in values):
        try:
            parsed = pd.to_datetime(list(values), format="ISO8601", utc=True)
            return pd.DatetimeIndex(parsed).as_unit("ns")
        except (ValueError, TypeError, OverflowError):
            pass
    elif not values:
        return pd.DatetimeIndex([], dtype="datetime64[ns, UTC]")
    for i, v in enumerate(values):  # slow path: find the culprit
        if type(v) is not str:
            raise SchemaError(f"{what} bars[{i}].{field} must be an ISO-8601 string, got {v!r}")
        try:
            pd.to_datetime([v], format="ISO8601", utc=True)
        except (ValueError, TypeError, OverflowError):
            raise SchemaError(f"{what} bars[{i}].{field} is not an ISO-8601 time: {v!r}") from None
    raise SchemaError(f"{what} bar times do not parse together (mixed offsets?)")


def _bad_number(values: Iterable[Any]) -> tuple[int, Any] | None:
    for i, v in enumerate(values):
        if type(v) not in _NUMERIC_TYPES or type(v) is bool:
            return i, v
        if isinstance(v, int) and abs(v) > 1e308:
            return i, v
    return None


def _row_buffer(values: Sequence[Any]) -> array.array[float] | np.ndarray | None:
    """Convert numbers (None -> NaN) to float64 in a buffer; None when a value is not a number.

    ``array.array("d", ...)`` converts in one C pass and rejects strings, None, containers and
    huge ints as it goes. A list holding nulls takes a second look that admits only numbers and
    None. Booleans convert silently, so :func:`_has_bool` looks for them afterwards.
    """
    try:
        return array.array("d", values)
    except TypeError:
        if not set(map(type, values)) <= _NUMERIC_TYPES:
            return None
        try:
            return np.array(values, dtype=np.float64)
        except OverflowError:
            return None
    except OverflowError:
        return None


def _vector(values: Sequence[Any]) -> np.ndarray | None:
    buffer = _row_buffer(values)
    return None if buffer is None else np.frombuffer(buffer, dtype=np.float64)


def _has_bool(arr: np.ndarray, rows: Sequence[Sequence[Any]]) -> bool:
    """Whether a JSON true/false hides in ``rows`` (already converted to ``arr``).

    A boolean can only have become exactly 0.0 or 1.0, so on dense data only those cells are
    looked at; when they are many (sparse grids: OI, contracts), one scan of every type is
    cheaper than picking them out.
    """
    flat = arr.reshape(-1)
    suspects = np.flatnonzero((flat == 0.0) | (flat == 1.0))
    if suspects.size == 0:
        return False
    if suspects.size * 4 > flat.size:
        return any(bool in set(map(type, row)) for row in rows)
    width = len(rows[0])
    i, j = np.divmod(suspects, width)
    return bool in {type(rows[r][c]) for r, c in zip(i.tolist(), j.tolist(), strict=True)}


def _floats(values: Sequence[Any], what: str, field: str) -> np.ndarray:
    """One float64 array from per-bar values (None -> NaN), naming the first bad bar."""
    arr = _vector(values)
    if arr is not None and not _has_bool(arr, [values]):
        return arr
    bad = _bad_number(values)
    i, v = bad if bad is not None else (0, values[0] if values else None)
    raise SchemaError(f"{what} bars[{i}].{field} must be a number or null, got {v!r}")


def _matrix(bars: Sequence[Mapping[str, Any]], field: str, width: int, what: str) -> np.ndarray:
    """Build a (bars x strikes) float64 matrix from per-bar arrays, checked against the grid."""
    rows: list[Any] = [b.get(field) for b in bars]
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
    chunks = [_row_buffer(row) for row in rows]
    for i, chunk in enumerate(chunks):
        if chunk is None:
            _raise_bad_cell(rows[i], i, field, what)
    joined = bytearray().join(chunks)  # type: ignore[arg-type]  # one copy, writable
    out = np.frombuffer(joined, dtype=np.float64).reshape(len(rows), width)
    if out.size and _has_bool(out, rows):
        for i, row in enumerate(rows):
            if bool in set(map(type, row)):
                _raise_bad_cell(row, i, field, what)
    return out


def _raise_bad_cell(row: list[Any], i: int, field: str, what: str) -> NoReturn:
    bad = _bad_number(row)
    j, v = bad if bad is not None else (0, row[0])
    raise SchemaError(f"{what} bars[{i}].{field}[{j}] must be a number or null, got {v!r}")


def _order(index: pd.DatetimeIndex) -> np.ndarray | slice:
    """Positions that sort ``index`` ascending, keeping the last of duplicated times."""
    if index.is_monotonic_increasing and index.is_unique:
        return slice(None)  # the usual case: nothing to reorder, no copy
    keep = np.flatnonzero(~index.duplicated(keep="last"))
    return keep[np.argsort(index.asi8[keep], kind="stable")]


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
    what = "hedge-flow"
    payload = _require_mapping(payload, what)
    bars = _bars(payload, what)
    index = _times([b.get("t") for b in bars], what)
    data = {col: _floats([b.get(col) for b in bars], what, col) for col in ("bar", "cumulative")}
    order = _order(index)
    frame = pd.DataFrame(
        {col: values[order] for col, values in data.items()},
        index=pd.DatetimeIndex(index[order], name="t"),
    )
    frame.attrs = {
        "symbol": _optional_str(payload, "symbol", what),
        "expiration": _optional_str(payload, "expiration", what),
        "side": _optional_str(payload, "side", what),
        "bar_size": _optional_str(payload, "bar_size", what),
        "as_of": read_timestamp(payload, "as_of", what),
        "source": _source_attr(source),
        **_envelope(payload, what),
    }
    return frame


def split_hedge_flow(calls: Any, puts: Any, *, source: str | None = None) -> pd.DataFrame:
    """Join a ``side=calls`` and a ``side=puts`` body into one frame with both legs.

    Returns
    -------
    pandas.DataFrame
        Columns ``bar, cumulative, calls_bar, calls_cumulative, puts_bar, puts_cumulative``;
        ``bar`` and ``cumulative`` are the sums of the legs. A time present in one leg only
        has NaN for the other leg and for the sums (flowframe does not guess a missing leg).
    """
    c = hedge_flow_from_payload(calls, source=source)
    p = hedge_flow_from_payload(puts, source=source)
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
    what = "series"
    payload = _require_mapping(payload, what)
    bars = _bars(payload, what)
    # one pass over the bars, then one column at a time
    table = list(zip(*_records(bars, ("t", *SERIES_COLUMNS)), strict=True))
    index = _times(table[0] if table else (), what)
    order = _order(index)
    columns: dict[str, Any] = {}
    for k, col in enumerate(SERIES_COLUMNS, start=1):
        values = table[k] if table else ()
        if col in SERIES_FLOAT_COLUMNS:
            columns[col] = _floats(values, what, col)[order]
        else:
            if not set(map(type, values)) <= {str, NoneType}:
                i, v = next((i, v) for i, v in enumerate(values) if type(v) not in (str, NoneType))
                raise SchemaError(f"{what} bars[{i}].{col} must be a string or null, got {v!r}")
            strings = list(
                values[order] if isinstance(order, slice) else map(values.__getitem__, order)
            )
            columns[col] = _regime(strings) if col == "regime" else pd.array(strings, dtype="str")
    declared = payload.get("pin_probability_unit", pin_probability_unit)
    if pin_probability_unit != "auto":
        declared = pin_probability_unit
    if declared not in ("auto", "pct", "fraction"):
        raise SchemaError(f"{what} field 'pin_probability_unit' must be 'pct' or 'fraction'")
    pin = columns["pin_probability_pct"]
    if declared == "auto":
        declared = "fraction" if pin_values_are_fractions(pin) else "pct"
    if declared == "fraction":
        columns["pin_probability_pct"] = pin * 100.0
    frame = pd.DataFrame(columns, index=pd.DatetimeIndex(index[order], name="t"), copy=False)
    frame.attrs = {
        "symbol": _optional_str(payload, "symbol", what),
        "expiration": _optional_str(payload, "expiration", what),
        "bar_size": _optional_str(payload, "bar_size", what),
        "as_of": read_timestamp(payload, "as_of", what),
        "source": _source_attr(source),
        "pin_probability_unit_read": declared,
        **_envelope(payload, what),
    }
    return frame


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


def _regime(values: Sequence[str | None]) -> Any:
    """Regime labels as a categorical with the known labels first, then any others, sorted."""
    extra = sorted(v for v in set(values).difference(_REGIME_CODES) if v is not None)
    categories = [*REGIMES, *extra]
    lookup: dict[str | None, int] = dict(_REGIME_CODES)
    lookup.update((label, len(REGIMES) + i) for i, label in enumerate(extra))
    codes = np.fromiter(map(lookup.__getitem__, values), dtype=np.int8, count=len(values))
    dtype: Any = pd.CategoricalDtype(categories)  # pandas-stubs types this overload narrowly
    return pd.Categorical.from_codes(codes, dtype=dtype)


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
    bad = _bad_number(raw)
    if bad is not None or any(v is None for v in raw):
        i, v = bad if bad is not None else (raw.index(None), None)
        raise SchemaError(f"{what} strikes_grid[{i}] must be a number, got {v!r}")
    strikes = np.array(raw, dtype=np.float64)
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


def _grid_coords(
    payload: Mapping[str, Any], bars: list[Mapping[str, Any]], what: str
) -> tuple[dict[str, Any], np.ndarray | slice, np.ndarray | slice]:
    strikes, perm = _grid(payload, what)
    index = _times([b.get("t") for b in bars], what)
    order = _order(index)
    spot = _floats([b.get("spot") for b in bars], what, "spot")[order]
    times = index[order].tz_convert(None).as_unit("ns")
    coords = {  # index objects, so xarray need not build them again
        "bar": pd.DatetimeIndex(times, name="bar"),
        "strike": pd.Index(strikes, name="strike"),
        "spot": ("bar", spot),
    }
    return coords, order, perm


def _strikes_width(coords: Mapping[str, Any]) -> int:
    """Return the number of strikes in the grid coords."""
    return len(coords["strike"])


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
    what = "heatmap"
    payload = _require_mapping(payload, what)
    bars = _bars(payload, what)
    coords, order, perm = _grid_coords(payload, bars, what)
    width = _strikes_width(coords)
    values = _matrix(bars, "values", width, what)[order][:, perm]
    metric = _optional_str(payload, "metric", what)
    attrs = _grid_attrs(payload, what, source)
    attrs["metric"] = metric
    attrs["mode"] = _optional_str(payload, "mode", what)
    attrs["units"] = METRIC_UNITS.get(metric or "", "unknown")
    array = xr.DataArray(
        values, dims=("bar", "strike"), coords=coords, name=metric or "value", attrs=attrs
    )
    array["bar"].attrs["timezone"] = _UTC
    return array


def strike_flow_from_payload(payload: Any, *, source: str | None = None) -> xr.Dataset:
    """Read a ``strike-flow`` body as a Dataset of three (bar x strike) variables.

    Returns
    -------
    xarray.Dataset
        ``signed_delta_dollars``, ``signed_gamma_dollars``, ``contracts`` (float64, per-bar
        increments, each with ``attrs["units"]``) on the heatmap's dims and coords.
    """
    what = "strike-flow"
    payload = _require_mapping(payload, what)
    bars = _bars(payload, what)
    coords, order, perm = _grid_coords(payload, bars, what)
    width = _strikes_width(coords)
    data_vars = {
        name: (
            ("bar", "strike"),
            _matrix(bars, name, width, what)[order][:, perm],
            {"units": STRIKE_FLOW_UNITS[name]},
        )
        for name in STRIKE_FLOW_VARIABLES
    }
    dataset = xr.Dataset(data_vars, coords=coords, attrs=_grid_attrs(payload, what, source))
    dataset["bar"].attrs["timezone"] = _UTC
    return dataset


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
