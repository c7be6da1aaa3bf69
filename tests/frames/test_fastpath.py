"""The vectorised kernels of flowframe.frames._fastpath, against the general path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from flowframe.frames import _fastpath


def test_bool_free_is_exactly_the_absence_of_the_literals() -> None:
    @settings(max_examples=400, deadline=None)
    @given(st.binary(max_size=24) | st.text("truefalsx ,[]", max_size=24).map(str.encode))
    def check(text: bytes) -> None:
        expected = b"true" not in text and b"false" not in text
        assert _fastpath.bool_free(text) is expected
        assert _fastpath.bool_free(bytearray(text)) is expected

    check()


@st.composite
def iso_texts(draw: Any) -> str:
    """ISO-8601 times in the forms the fast parser reads, and near misses of them."""
    t: datetime = draw(st.datetimes(min_value=datetime(1600, 1, 1), max_value=datetime(2300, 1, 1)))
    nanos = t.microsecond * 1000 + draw(st.integers(0, 999))
    digits = draw(st.integers(0, 10))
    fraction = f"{nanos:09d}"[:digits] if digits <= 9 else "1" * 10
    text: str = t.strftime("%Y-%m-%dT%H:%M:%S") + ("." + fraction if digits else "")
    text += str(draw(st.sampled_from(["Z", "+00:00", "", "-04:00", "z"])))
    if draw(st.booleans()):  # a near miss: one character changed
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + str(draw(st.sampled_from("0912:-T .Zx"))) + text[i + 1 :]
    return text


@settings(max_examples=500, deadline=None)
@given(st.lists(iso_texts(), min_size=1, max_size=4), st.booleans())
def test_fast_time_parser_agrees_with_pandas(texts: list[str], same_width: bool) -> None:
    if same_width:
        texts = [t for t in texts if len(t) == len(texts[0])]
    fast = _fastpath.utc_nanoseconds(texts)
    try:
        expected = pd.DatetimeIndex(pd.to_datetime(texts, format="ISO8601", utc=True))
    except (ValueError, TypeError, OverflowError):
        assert fast is None
        return
    if fast is not None:
        assert fast.tolist() == expected.as_unit("ns").asi8.tolist()


def test_fast_time_parser_reads_sessions_and_refuses_odd_forms() -> None:
    times = [f"2026-09-18T14:{m:02d}:{s:02d}.1234567Z" for m in range(60) for s in (0, 30)]
    fast = _fastpath.utc_nanoseconds(times)
    assert fast is not None
    assert fast.tolist() == pd.to_datetime(times, utc=True).as_unit("ns").asi8.tolist()
    for odd in (
        ["2026-09-18T14:00:00Z2", "026-09-18T14:00:00Z"],  # right total, wrong cut
        ["2026-02-29T14:00:00Z"],  # no such day
        ["2026-09-18T14:00:00-04:00"],  # an offset: pandas reads those
        ["2026-09-18T14:00:00Z", 5],
    ):
        assert _fastpath.utc_nanoseconds(odd) is None


def test_pack_rows_reports_the_rows_it_could_not_pack() -> None:
    rows: list[list[Any]] = [[1.0, 2], [None, 3.5], [4, "x"], [True, 6.0], [7.25, 8]]
    out, failed = _fastpath.pack_rows(rows, 2)
    assert failed == [1, 2]
    assert out[[0, 3, 4]].tolist() == [[1.0, 2.0], [1.0, 6.0], [7.25, 8.0]]
    assert out.flags.writeable
