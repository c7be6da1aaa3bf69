"""Reading helpers shared by the endpoint families (private to :mod:`flowframe.frames`).

What every ``*_from_payload`` / ``*_from_json`` reader does the same way: check the payload's
shape (an object, a ``bars`` list, optional strings), read the ``envelope`` fields, parse bar
times to UTC nanoseconds, sort them (the last of a duplicated time wins), and pack numbers into
float64 arrays, naming the field and bar index of the first value that is not a number. The
kernels behind them live in :mod:`flowframe.frames._fastpath`; the family modules
(:mod:`~flowframe.frames.hedge_flow`, :mod:`~flowframe.frames.series`,
:mod:`~flowframe.frames.grid`, :mod:`~flowframe.frames.leaderboard`) build on these.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from operator import itemgetter
from types import NoneType
from typing import Any, Final, NoReturn, TypeVar

import numpy as np
import orjson
import pandas as pd

from flowframe.errors import SchemaError
from flowframe.frames import _fastpath
from flowframe.frames.attrs import storable_attrs
from flowframe.frames.checks import read_timestamp

__all__ = [
    "BOOL_TYPES",
    "ISO_TIME",
    "NUMERIC_TYPES",
    "UTC",
    "JsonText",
    "bad_number",
    "bar_columns",
    "envelope",
    "from_json",
    "has_bool",
    "json_bytes",
    "optional_str",
    "pack_numbers",
    "read_attrs",
    "read_floats",
    "read_matrix",
    "read_times",
    "require_list",
    "require_mapping",
    "sort_order",
    "source_attr",
    "take",
    "time_index",
]

# Python numbers from JSON, plus numpy scalars from in-process sources (never bool).
NUMERIC_TYPES: Final = frozenset({float, int, NoneType, np.float64, np.float32, np.int64, np.int32})
# the booleans a payload may hold where a number belongs: JSON's, and numpy's from in-process
# sources; both pack as 0.0 / 1.0, so the readers look for them (has_bool)
BOOL_TYPES: Final = frozenset({bool, np.bool_})
UTC: Final = "UTC"
#: An ISO-8601 date-time as a bar time: ``YYYY-MM-DD``, ``T`` or a space, ``HH:MM``, optional
#: ``:SS`` and a fraction of 1 to 9 digits, and an optional offset (``Z``, ``+HH:MM``,
#: ``+HHMM`` or ``+HH``).
ISO_TIME: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,  # \d: 0-9 only
)


# --------------------------------------------------------------------------- payload shape


def require_mapping(payload: Any, what: str) -> Mapping[str, Any]:
    """Return ``payload`` if it is a JSON object, else raise :class:`SchemaError`."""
    if not isinstance(payload, Mapping):
        raise SchemaError(f"{what} payload must be a JSON object, got {type(payload).__name__}")
    return payload


def require_list(payload: Mapping[str, Any], field: str, what: str) -> list[Any]:
    """Return the list in ``payload[field]``, or raise :class:`SchemaError` naming the field."""
    if field not in payload:
        raise SchemaError(f"{what} payload has no {field!r} field")
    value = payload[field]
    if not isinstance(value, list):
        raise SchemaError(f"{what} field {field!r} must be a list, got {type(value).__name__}")
    return value


def bar_columns(payload: Mapping[str, Any], keys: Sequence[str], what: str) -> list[Sequence[Any]]:
    """Return the ``bars``' values for ``keys``, column by column (None where absent)."""
    bars = require_list(payload, "bars", what)
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


def optional_str(payload: Mapping[str, Any], field: str, what: str) -> str | None:
    """Return ``payload[field]`` if it is a string, None if absent or null, else raise."""
    value = payload.get(field)
    if value is None or isinstance(value, str):
        return value
    raise SchemaError(f"{what} field {field!r} must be a string or null, got {value!r}")


# --------------------------------------------------------------------------- times


def read_times(values: Sequence[Any], what: str, field: str = "t") -> np.ndarray:
    """Parse bar times to int64 nanoseconds since the epoch (UTC), naming the first bad bar.

    A bar time is an ISO-8601 date-time (:data:`ISO_TIME`): a date, ``T`` or a space, a time
    to the minute at least, an optional fraction of 1 to 9 digits and an optional offset (none
    reads as UTC). Anything else is refused, words pandas would read as the clock
    (``"now"``, ``"today"``) included; so is a time outside what ``datetime64[ns]`` holds
    (1677-09-21 to 2262-04-11).

    Raises
    ------
    SchemaError
        Naming the field and the bar index of the first time that is not a string, not an
        ISO-8601 date-time, or out of range.
    """
    if not values:
        return np.empty(0, dtype=np.int64)
    fast = _fastpath.utc_nanoseconds(values)  # the plain forms, vectorised
    if fast is not None:
        return fast
    if all(type(v) is str for v in values) and all(map(ISO_TIME.fullmatch, values)):
        try:
            parsed = pd.to_datetime(list(values), format="ISO8601", utc=True)
            return pd.DatetimeIndex(parsed).as_unit("ns").asi8
        except (ValueError, TypeError, OverflowError):  # OutOfBoundsDatetime is a ValueError
            pass
    for i, v in enumerate(values):  # slow path: find the culprit
        if type(v) is not str:
            raise SchemaError(f"{what} bars[{i}].{field} must be an ISO-8601 string, got {v!r}")
        if not ISO_TIME.fullmatch(v):
            raise SchemaError(f"{what} bars[{i}].{field} is not an ISO-8601 time: {v!r}")
        try:
            pd.DatetimeIndex(pd.to_datetime([v], format="ISO8601", utc=True)).as_unit("ns")
        except pd.errors.OutOfBoundsDatetime:  # a ValueError: look for it first
            raise SchemaError(
                f"{what} bars[{i}].{field} is out of range: {v!r} (bar times must fall between "
                "1677-09-21 and 2262-04-11, what datetime64[ns] holds)"
            ) from None
        except (ValueError, TypeError, OverflowError):
            raise SchemaError(f"{what} bars[{i}].{field} is not an ISO-8601 time: {v!r}") from None
    raise SchemaError(f"{what} bar times do not parse together")  # pragma: no cover


def time_index(nanoseconds: np.ndarray, name: str) -> pd.DatetimeIndex:
    """Return a ``datetime64[ns, UTC]`` index over int64 nanoseconds."""
    return pd.DatetimeIndex(nanoseconds.view("datetime64[ns]"), tz=UTC, name=name)


# --------------------------------------------------------------------------- numbers


def bad_number(values: Iterable[Any]) -> tuple[int, Any] | None:
    """Return the position and value of the first item that is not a number, if any."""
    for i, v in enumerate(values):
        if type(v) not in NUMERIC_TYPES or type(v) is bool:
            return i, v
        if isinstance(v, int) and abs(v) > 1e308:
            return i, v
    return None


def pack_numbers(values: Sequence[Any], out: np.ndarray) -> bool:
    """Write numbers and nulls (None -> NaN) into the float64 array ``out``.

    False when something else is there (a string, a container, an int too large for a
    float). Booleans pass as 0.0 / 1.0: callers look for them with :func:`has_bool`.
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


class JsonText:
    """The JSON text a payload was decoded from, asked at most once whether it has a boolean."""

    __slots__ = ("_answer", "_data")

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._data = data
        self._answer: bool | None = None

    @classmethod
    def proven(cls) -> JsonText:
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


def has_bool(arr: np.ndarray, rows: Sequence[Sequence[Any]], text: JsonText | None = None) -> bool:
    """Whether a boolean hides in ``rows`` (already converted to ``arr``).

    A JSON true/false, or a numpy ``np.True_`` / ``np.False_`` from an in-process payload:
    both become 0.0 / 1.0 when packed, and neither is a number here.

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
        return any(not BOOL_TYPES.isdisjoint(map(type, row)) for row in rows)
    width = len(rows[0])
    i, j = np.divmod(np.flatnonzero(mask), width)
    suspects = {type(rows[r][c]) for r, c in zip(i.tolist(), j.tolist(), strict=True)}
    return not BOOL_TYPES.isdisjoint(suspects)


def read_floats(
    values: Sequence[Any],
    what: str,
    field: str,
    *,
    text: JsonText | None = None,
    items: str = "bars",
) -> np.ndarray:
    """One float64 array from per-item values (None -> NaN), naming the first bad item.

    ``text`` is the JSON text the values were decoded from, when there is one: it can spare
    the look for booleans (see :func:`has_bool`). ``items`` names the list in messages
    (``bars``, or the leaderboard's ``entries``).
    """
    out = np.empty(len(values), dtype=np.float64)
    if pack_numbers(values, out) and not has_bool(out, [values], text):
        return out
    bad = bad_number(values)
    i, v = bad if bad is not None else (0, values[0] if values else None)
    raise SchemaError(f"{what} {items}[{i}].{field} must be a number or null, got {v!r}")


def read_matrix(
    rows: Sequence[Any], field: str, width: int, what: str, *, text: JsonText | None = None
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
        if not pack_numbers(rows[i], out[i]):
            _raise_bad_cell(rows[i], i, field, what)
    if out.size and has_bool(out, rows, text):
        for i, row in enumerate(rows):
            if not BOOL_TYPES.isdisjoint(map(type, row)):
                _raise_bad_cell(row, i, field, what)
    return out


def _raise_bad_cell(row: list[Any], i: int, field: str, what: str) -> NoReturn:
    bad = bad_number(row)
    j, v = bad if bad is not None else (0, row[0])
    raise SchemaError(f"{what} bars[{i}].{field}[{j}] must be a number or null, got {v!r}")


# --------------------------------------------------------------------------- order, envelope


def sort_order(nanoseconds: np.ndarray) -> np.ndarray | slice:
    """Positions that sort the times ascending, keeping the last of duplicated times."""
    if (nanoseconds[1:] > nanoseconds[:-1]).all():
        return slice(None)  # the usual case: nothing to reorder, no copy
    # np.unique keeps the first of equal values, so look from the end; it sorts, too
    _, from_end = np.unique(nanoseconds[::-1], return_index=True)
    return nanoseconds.size - 1 - from_end


def take(values: Sequence[Any], order: np.ndarray | slice) -> Sequence[Any]:
    """Return ``values`` in ``order`` (positions from :func:`sort_order`)."""
    if isinstance(order, slice):
        return values  # the usual case: in order already
    return list(map(values.__getitem__, order.tolist()))


def envelope(payload: Mapping[str, Any], what: str) -> dict[Hashable, Any]:
    """Read the envelope fields every body may carry: ``endpoint_version``, ``data_as_of``.

    As the attrs rule keeps them (:mod:`flowframe.frames.attrs`): a field the body left
    null is absent; ``data_as_of`` (an object) is its compact JSON text.
    """
    version = optional_str(payload, "endpoint_version", what)
    data_as_of = payload.get("data_as_of")
    if data_as_of is not None and not isinstance(data_as_of, Mapping):
        raise SchemaError(f"{what} field 'data_as_of' must be an object or null")
    fields: dict[Hashable, Any] = {"endpoint_version": version, "data_as_of": data_as_of}
    return storable_attrs(fields, what)


def source_attr(source: str | None) -> str:
    """Return ``attrs["source"]``: the source's name, or ``"payload"`` when none is given."""
    return source if source is not None else "payload"


def read_attrs(
    payload: Mapping[str, Any], what: str, source: str | None, strings: Sequence[str], **fields: Any
) -> dict[Hashable, Any]:
    """Return a reader's attrs: ``strings``, ``as_of``, ``fields``, ``source``, the envelope.

    ``strings`` name optional string fields (:func:`optional_str`); ``as_of`` is checked with
    :func:`~flowframe.frames.checks.read_timestamp`; ``fields`` are values already read. The
    result follows the attrs rule (:func:`flowframe.frames.attrs.storable_attrs`): only
    strings and numbers, ``as_of`` as UTC ISO-8601 with ``Z``, nothing for a null field.
    """
    attrs: dict[Hashable, Any] = {key: optional_str(payload, key, what) for key in strings}
    attrs["as_of"] = read_timestamp(payload, "as_of", what)
    attrs.update(fields)
    attrs["source"] = source_attr(source)
    attrs = storable_attrs(attrs, what)
    attrs.update(envelope(payload, what))
    return attrs


# --------------------------------------------------------------------------- JSON text


def json_bytes(data: Any, what: str) -> bytes | bytearray | memoryview:
    """Return JSON text as bytes (str is encoded as UTF-8)."""
    if isinstance(data, str):
        try:
            return data.encode()
        except UnicodeEncodeError as exc:
            raise SchemaError(f"{what} body is not valid JSON: {exc}") from None
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"{what} JSON must be bytes or str, got {type(data).__name__}")
    return data


def _loads(data: Any, what: str) -> tuple[Any, JsonText]:
    """Decode a JSON body with orjson, and keep its text for :func:`has_bool`."""
    text = json_bytes(data, what)
    try:
        payload = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise SchemaError(f"{what} body is not valid JSON: {exc}") from None
    return payload, JsonText(text)


_T = TypeVar("_T")


def from_json(data: Any, what: str, read: Callable[[Any, JsonText | None], Callable[[], _T]]) -> _T:
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
