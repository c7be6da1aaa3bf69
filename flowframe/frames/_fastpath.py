"""Vectorised kernels behind the readers of :mod:`flowframe.frames` (private).

Each kernel handles the common, plainly written case in a few C-level passes and answers
``None`` (or "not sure") for anything else, so that its caller falls back on the general path,
which alone decides what is an error and words the message. A kernel never accepts an input
that the general path rejects, and never gives a different result for an input both accept:
``tests/frames/test_read.py`` checks both paths against each other on generated payloads
(and ``tests/frames/test_fastpath.py`` the kernels themselves).
"""

from __future__ import annotations

import importlib
import struct
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from itertools import chain, islice, starmap
from types import GenericAlias
from typing import Any, Final, NamedTuple

import numpy as np
import orjson

from flowframe._constants import SERIES_COLUMNS, SERIES_FLOAT_COLUMNS

__all__ = [
    "HAS_MSGSPEC",
    "bool_free",
    "columns",
    "pack_floats",
    "pack_rows",
    "series_table",
    "utc_nanoseconds",
]


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


# msgspec, when installed, decodes series bodies straight into typed records (see series_table)
_msgspec: Final = _optional("msgspec")
HAS_MSGSPEC: Final = _msgspec is not None

# Screens for the two JSON literals: a pair of letters from each, rare elsewhere in these
# bodies, and where that pair starts inside the literal.
_SCREENS: Final = ((b"true", 1), (b"false", 2))  # "ru", "ls"


def bool_free(text: bytes | bytearray | memoryview) -> bool:
    """Whether the JSON text holds no ``true`` / ``false`` literal, so no boolean anywhere.

    Two vectorised passes per literal look for a letter pair of it (``ru``, ``ls``) as 16-bit
    words at both alignments; each of the few hits (``calls``, ``intervals``...) is then
    compared with the whole literal. A literal inside a string also answers False, which
    only means "look closer"; True is a proof, since JSON has no other way to write a boolean.
    """
    chars = np.frombuffer(text, dtype=np.uint8)
    n = chars.size
    if n < 4:  # too short to hold either literal
        return True
    for literal, at in _SCREENS:
        pair = int.from_bytes(literal[at : at + 2], "little")
        for align in (0, 1):
            words = np.frombuffer(text, dtype="<u2", count=(n - align) // 2, offset=align)
            hits = words == pair
            if not hits.any():
                continue
            starts = np.flatnonzero(hits) * 2 + (align - at)
            starts = starts[(starts >= 0) & (starts <= n - len(literal))]
            found = np.ones(starts.size, dtype=bool)
            for j, char in enumerate(literal):
                found &= chars[starts + j] == char
            if found.any():
                return False
    return True


def columns(bars: list[dict[str, Any]], keys: Sequence[str]) -> list[list[Any]] | None:
    """Return the bars' values for ``keys``, column by column (None where a key is absent).

    Works when every bar lists the same keys in the same order (what an API or a recorder
    writes): the bars are flattened in one pass and each column is a strided slice, with no
    per-value lookup. Answers None otherwise. ``bars`` must hold dicts only.
    """
    n = len(bars)
    if n == 0:
        return [[] for _ in keys]
    first = list(bars[0])
    if list(chain.from_iterable(bars)) != first * n:
        return None
    width = len(first)
    flat = list(chain.from_iterable(map(dict.values, bars)))
    position = {key: i for i, key in enumerate(first)}
    return [flat[position[key] :: width] if key in position else [None] * n for key in keys]


def pack_floats(values: Sequence[Any], out: np.ndarray) -> bool:
    """Write ``values`` into the float64 array ``out`` in one C call, if they are all numbers.

    ``struct``'s ``d`` takes what :func:`float` of a number gives (floats, ints, numpy
    scalars, and booleans, which callers look for separately) and refuses None, strings,
    containers and ints too large for a float; any refusal answers False and leaves ``out``
    partly written.
    """
    try:
        struct.pack_into(f"{len(values)}d", out.data, 0, *values)
    except struct.error:
        return False
    return True


def pack_rows(rows: Sequence[Sequence[Any]], width: int) -> tuple[np.ndarray, list[int]]:
    """Pack rows of ``width`` numbers into a writable (rows x width) float64 array.

    One C loop (``starmap`` of a compiled ``struct``) over the rows; a row that does not pack
    (a null, something not a number, a wrong length, not a list) is left as zeros, and its
    index is returned for the caller to convert or reject. Booleans pack as 0.0 / 1.0, as in
    :func:`pack_floats`.
    """
    pack = struct.Struct(f"{width}d").pack
    packed: list[bytes] = []
    failed: list[int] = []
    while True:
        try:  # list.extend keeps what it took before an error, so resume after the bad row
            packed.extend(starmap(pack, islice(rows, len(packed), None)))
            break
        except (struct.error, TypeError):  # TypeError: a row that is no sequence
            failed.append(len(packed))
            packed.append(bytes(8 * width))
    buffer = bytearray().join(packed)  # one copy, writable
    return np.frombuffer(buffer, dtype=np.float64).reshape(len(rows), width), failed


# ISO-8601 "YYYY-MM-DDTHH:MM:SS": the character each position may hold ("0" to "9" for digits)
_STEM: Final = "dddd-dd-ddTdd:dd:dd"
_SUFFIXES: Final = ("Z", "+00:00", "")
_ZERO: Final = np.uint8(ord("0"))
_CLOCK_MAX: Final = np.array([23, 59, 59], dtype=np.uint8)
_CLOCK_SECONDS: Final = np.array([3_600, 60, 1])
# the years datetime64[ns] holds, with room to spare
_FIRST_YEAR: Final = 1678
_LAST_YEAR: Final = 2261
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
# days before the first of each month in a common year, and month lengths
_CUMDAYS: Final = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])
_MONTH_DAYS: Final = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_NS_PER_S: Final = 1_000_000_000


class _Layout(NamedTuple):
    low: np.ndarray  # lowest and highest character allowed at each position
    high: np.ndarray
    fraction: slice  # where the fraction digits are
    scale: np.ndarray  # nanoseconds per unit of each fraction digit


@lru_cache(maxsize=32)
def _layout(width: int, suffix: str) -> _Layout | None:
    """Return the layout of ISO-8601 times ``width`` characters long ending in ``suffix``."""
    digits = width - len(suffix) - len(_STEM) - 1  # after the "."
    if digits == -1:
        pattern = _STEM + suffix
    elif 1 <= digits <= 9:
        pattern = _STEM + "." + "d" * digits + suffix
    else:
        return None
    pattern += "\n"  # each row ends in one: then every string is one row
    low = np.array([ord("0") if c == "d" else ord(c) for c in pattern], dtype=np.uint8)
    high = np.array([ord("9") if c == "d" else ord(c) for c in pattern], dtype=np.uint8)
    fraction = slice(len(_STEM) + 1, len(_STEM) + 1 + max(digits, 0))
    scale = 10 ** np.arange(8, 8 - max(digits, 0), -1, dtype=np.int64)
    return _Layout(low, high, fraction, scale)


def _day_number(text: str) -> int | None:
    """Days since 1970-01-01 of a "YYYY-MM-DD" made of digits, or None if it is no date."""
    year = int(text[:4])
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        return None
    try:
        return date(year, int(text[5:7]), int(text[8:10])).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None


def _day_numbers(d: np.ndarray) -> np.ndarray | None:
    """Days since 1970-01-01 of each row of digit values (date in columns 0-9), or None."""
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 5] * 10 + d[:, 6]
    day = d[:, 8] * 10 + d[:, 9]
    if (
        (year < _FIRST_YEAR).any()
        or (year > _LAST_YEAR).any()
        or ((month < 1) | (month > 12)).any()
        or (day < 1).any()
    ):
        return None
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    if (day > _MONTH_DAYS[month] + (leap & (month == 2))).any():
        return None
    before = year - 1  # leap days from 1970 to the start of the year
    leap_days = before // 4 - before // 100 + before // 400 - 477
    days: np.ndarray = (year - 1970) * 365 + leap_days + _CUMDAYS[month] + (leap & (month > 2))
    days += day - 1
    return days


def utc_nanoseconds(values: Sequence[Any]) -> np.ndarray | None:
    """Parse ISO-8601 UTC times written alike to int64 nanoseconds since the epoch.

    The plain forms an API writes: ``YYYY-MM-DDTHH:MM:SS``, an optional fraction of 1 to 9
    digits, then ``Z``, ``+00:00`` or nothing (read as UTC), every string of one width. Each
    field is checked (a real day of a real month, hours up to 23, seconds up to 59, years
    that ``datetime64[ns]`` holds). Anything else answers None.
    """
    n = len(values)
    if n == 0:
        return None
    try:  # one row per time, each ended by a newline (no time holds one)
        text = "\n".join(values) + "\n"
    except TypeError:  # something is not a string
        return None
    first = values[0]
    width = len(first)
    if len(text) != n * (width + 1) or not text.isascii():
        return None
    suffix = next(s for s in _SUFFIXES if first.endswith(s))
    layout = _layout(width, suffix)
    if layout is None:
        return None
    rows = np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(n, width + 1)
    if ((rows < layout.low) | (rows > layout.high)).any():
        return None
    # hour, minute and second from the checked digits (at most 99: uint8 holds them)
    clock = (rows[:, 11:18:3] - _ZERO) * np.uint8(10) + (rows[:, 12:19:3] - _ZERO)
    if (clock > _CLOCK_MAX).any():
        return None
    if (rows[:, :10] == rows[0, :10]).all():  # one date (a session): read it once
        days: np.ndarray | int | None = _day_number(first)
    else:
        days = _day_numbers(rows[:, :10].astype(np.int64) - ord("0"))
    if days is None:
        return None
    seconds = clock.astype(np.int64) @ _CLOCK_SECONDS + days * 86_400
    nanoseconds: np.ndarray = seconds * _NS_PER_S
    if layout.scale.size:
        nanoseconds += (rows[:, layout.fraction] - _ZERO).astype(np.int64) @ layout.scale
    return nanoseconds


# the body fields a series frame keeps in attrs (decoded by orjson, as on the general path)
_SERIES_ENVELOPE: Final = (
    "symbol",
    "expiration",
    "as_of",
    "bar_size",
    "pin_probability_unit",
    "endpoint_version",
    "data_as_of",
)


@lru_cache(maxsize=1)
def _series_decoder() -> Any:
    """Return a msgspec decoder of series bodies: bars as typed records, the rest raw."""
    ms = _msgspec
    bar = ms.defstruct(
        "SeriesBar",
        [
            ("t", str | None, None),
            *(
                (c, float | None if c in SERIES_FLOAT_COLUMNS else str | None, None)
                for c in SERIES_COLUMNS
            ),
        ],
        gc=False,
    )
    body = ms.defstruct(
        "SeriesBody",
        [("bars", GenericAlias(list, bar)), *((f, ms.Raw, ms.UNSET) for f in _SERIES_ENVELOPE)],
    )
    return ms.json.Decoder(body)


def series_table(
    text: bytes | bytearray | memoryview,
) -> tuple[dict[str, Any], list[list[Any]]] | None:
    """Decode a series body with msgspec: its top-level fields, and its bars column by column.

    The columns are ``t`` then :data:`SERIES_COLUMNS`, None where a field is absent or null.
    msgspec checks each value's type as it decodes (a number, never a boolean, in a float
    field; a string in a string field) and builds no dict per bar, which is what makes this
    path fast. Answers None when msgspec is not installed or the body is not plainly a good
    one (any decoding or type error): the general path then reads it and words the error. The
    top-level fields are decoded by orjson, as there, so the attrs are the same.
    """
    if _msgspec is None:
        return None
    try:
        body = _series_decoder().decode(text)
        fields = {
            name: orjson.loads(memoryview(raw))
            for name in _SERIES_ENVELOPE
            if (raw := getattr(body, name)) is not _msgspec.UNSET
        }
    except Exception:  # whatever it is (msgspec.DecodeError, bad UTF-8...), the general path
        return None  # decides what to say about it
    width = 1 + len(SERIES_COLUMNS)
    flat = list(chain.from_iterable(map(_msgspec.structs.astuple, body.bars)))
    return fields, [flat[k::width] for k in range(width)]
