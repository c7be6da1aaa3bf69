"""Reading rules shared by every family: malformed payloads, the JSON text entry points."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowframe as ff
from flowframe import frames
from flowframe.frames import _fastpath
from flowframe.frames._read import ISO_TIME, read_times
from flowframe.sources.samples import SampleSource
from tests.conftest import load
from tests.frames.conftest import (
    assert_same,
    corrupt,
    grid_payloads,
    hedge_payloads,
    msgspec_switched,
    series_payloads,
)


def test_schema_error_is_a_value_error() -> None:
    assert issubclass(ff.SchemaError, ValueError) and issubclass(ff.SchemaError, ff.FlowframeError)


def test_arrays_are_writable_and_own_their_data() -> None:
    da = frames.heatmap_from_payload(load("heatmap_gex_raw_1m.json"))
    assert da.values.flags.writeable
    da.values[0, 0] = 1.0  # no "assignment destination is read-only"
    df = frames.hedge_flow_from_payload(load("hedge_flow_calls_5m.json"))
    df.iloc[0, 0] = 5.0


# --------------------------------------------------------------------- round-trip of the snapshot (tests/frames/test_snapshot.py covers the rest)


def test_snapshot_round_trip() -> None:
    snap = frames.snapshot_from_payload(SampleSource(now="12:00").get_snapshot("SPY"))
    assert frames.snapshot_from_payload(frames.snapshot_to_payload(snap)) == snap


# --------------------------------------------------------------------- malformed payloads (hypothesis)


READERS = {
    "hedge": (
        frames.hedge_flow_from_payload,
        lambda: SampleSource(now="10:05").get_hedge_flow("SPY", minutes=3),
    ),
    "series": (
        frames.series_from_payload,
        lambda: SampleSource(now="10:05").get_series("SPY", minutes=2),
    ),
    "heatmap": (
        frames.heatmap_from_payload,
        lambda: {**SampleSource(now="10:05", n_strikes=3).get_heatmap("SPY", minutes=2)},
    ),
    "strike": (
        frames.strike_flow_from_payload,
        lambda: SampleSource(now="10:05", n_strikes=3).get_strike_flow("SPY", minutes=2),
    ),
    "leaderboard": (frames.leaderboard_from_payload, lambda: SampleSource().get_leaderboard(n=3)),
    "snapshot": (
        frames.snapshot_from_payload,
        lambda: (
            load("snapshot_no_zero_dte.json")
            | {
                "headline": {"narrative": "x", "promoted": {"pin_probability_pct": 0.5}},
                "setup": {
                    "primary": {
                        "display_name": "Iron Fly",
                        "conditions_met": ["a"],
                        "strikes_hint": {"k": 1},
                    }
                },
                "probabilities": {"pin": {"value": 0.4}},
                "no_zero_dte": False,
                "strikes": [{"strike": 1, "call_oi": 3}],
            }
        ),
    ),
}


@pytest.mark.parametrize("kind", sorted(READERS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_malformed_payloads_only_raise_schema_error(kind: str, data: Any) -> None:
    reader, make = READERS[kind]
    payload = corrupt(data.draw, make())
    with contextlib.suppress(ff.SchemaError):  # anything else fails the test
        reader(payload)


# --------------------------------------------------------------------- JSON text entry points


JSON_READERS = {
    "hedge": (frames.hedge_flow_from_json, frames.hedge_flow_from_payload),
    "series": (frames.series_from_json, frames.series_from_payload),
    "heatmap": (frames.heatmap_from_json, frames.heatmap_from_payload),
    "strike": (frames.strike_flow_from_json, frames.strike_flow_from_payload),
}
PAYLOADS = {
    "hedge": hedge_payloads(),
    "series": series_payloads(),
    "heatmap": grid_payloads(),
    "strike": grid_payloads(arrays=("signed_delta_dollars", "signed_gamma_dollars", "contracts")),
}


NO_MSGSPEC = pytest.mark.skipif(not _fastpath.HAS_MSGSPEC, reason="msgspec is not installed")
# (reader, whether msgspec may be used): only the series reader has a msgspec path
JSON_CASES = [
    pytest.param("hedge", True, id="hedge"),
    pytest.param("heatmap", True, id="heatmap"),
    pytest.param("strike", True, id="strike"),
    pytest.param("series", True, id="series-msgspec", marks=NO_MSGSPEC),
    pytest.param("series", False, id="series-orjson"),
]


@pytest.mark.parametrize("kind, with_msgspec", JSON_CASES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_json_readers_equal_the_payload_readers(kind: str, with_msgspec: bool, data: Any) -> None:
    from_json, from_payload = JSON_READERS[kind]
    payload = data.draw(PAYLOADS[kind])
    text = orjson.dumps(payload)
    with msgspec_switched(with_msgspec):
        assert_same(from_json(text, source="s"), from_payload(payload, source="s"))
        assert_same(from_json(text.decode()), from_payload(payload))


@pytest.mark.parametrize("kind, with_msgspec", JSON_CASES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_json_readers_fail_as_the_payload_readers(kind: str, with_msgspec: bool, data: Any) -> None:
    """Malformed bodies: the same SchemaError (same message) from the text as from the dict."""
    from_json, from_payload = JSON_READERS[kind]
    payload = corrupt(data.draw, READERS[kind][1]())
    try:
        text = orjson.dumps(payload)
    except orjson.JSONEncodeError:  # e.g. an int beyond 64 bits: no such JSON from orjson
        return
    payload = orjson.loads(text)  # what a decoder gives back (tuples become lists...)
    with msgspec_switched(with_msgspec):
        try:
            expected = from_payload(payload)
        except ff.SchemaError as exc:
            with pytest.raises(ff.SchemaError) as got:
                from_json(text)
            assert str(got.value) == str(exc)
        else:
            assert_same(from_json(text), expected)


@pytest.mark.parametrize(
    "text, error",
    [
        (b"", ff.SchemaError),
        (b"{not json", ff.SchemaError),
        ('{"bars": [}', ff.SchemaError),
        (b"[1, 2]", ff.SchemaError),
        (5, TypeError),
    ],
)
@pytest.mark.parametrize("kind", sorted(JSON_READERS))
def test_json_readers_reject_what_is_not_a_body(kind: str, text: Any, error: type) -> None:
    with pytest.raises(error):
        JSON_READERS[kind][0](text)


# --------------------------------------------------------------------- bar times (issue 13)


@pytest.mark.parametrize("word", ["now", "today", "yesterday", "tomorrow", "NOW", " now"])
def test_words_for_the_clock_are_not_bar_times(word: str) -> None:
    # before: "now" and "today" were read as the current wall-clock time
    bars = [{"t": "2026-09-18T14:00:00Z", "bar": 1}, {"t": word, "bar": 2}]
    with pytest.raises(ff.SchemaError, match=r"hedge-flow bars\[1\]\.t is not an ISO-8601 time"):
        frames.hedge_flow_from_payload({"bars": bars})


@pytest.mark.parametrize(
    "times, bad",
    [
        (["2026-09-18T14:00:00Z", "2026-09-18T14:00:30+00:00", "9999-01-01T00:00:00Z"], 2),
        (["9999-12-31T23:59:59Z"], 0),
        (["2026-09-18T14:00:00-04:00", "1200-01-01T00:00:00Z"], 1),
        (["2262-04-11T23:47:16.854775808Z"], 0),  # one nanosecond past what datetime64 holds
    ],
)
def test_a_time_out_of_range_names_its_bar(times: list[str], bad: int) -> None:
    # before: "bar times do not parse together (mixed offsets?)", with no bar index
    bars = [{"t": t, "bar": 1} for t in times]
    with pytest.raises(ff.SchemaError, match=rf"hedge-flow bars\[{bad}\]\.t is out of range"):
        frames.hedge_flow_from_payload({"bars": bars})
    with pytest.raises(ff.SchemaError, match=rf"bars\[{bad}\]\.t is out of range"):
        frames.hedge_flow_from_json(orjson.dumps({"bars": bars}))


@st.composite
def iso_instants(draw: Any) -> tuple[str, int]:
    """An ISO-8601 date-time in any form a body may write, and its instant in UTC nanoseconds."""
    day = draw(st.dates(min_value=dt.date(1700, 1, 1), max_value=dt.date(2200, 12, 31)))
    hour, minute, second = (
        draw(st.integers(0, 23)),
        draw(st.integers(0, 59)),
        draw(st.integers(0, 59)),
    )
    digits = draw(st.integers(0, 9))
    fraction = draw(st.text("0123456789", min_size=digits, max_size=digits))
    with_seconds = draw(st.booleans()) or bool(digits)
    offset = draw(st.integers(-14 * 60, 14 * 60)) if draw(st.booleans()) else 0
    if draw(st.booleans()):  # whole hours may be written as +HH
        offset -= offset % 60
    form = draw(st.sampled_from(["Z", "+HH:MM", "+HHMM", "+HH", ""]))
    if form == "+HH" and offset % 60:
        form = "+HH:MM"
    if form in ("Z", "") and offset:
        form = "+HH:MM"
    sign, mag = ("-" if offset < 0 else "+"), abs(offset)
    suffix = {
        "Z": "Z",
        "": "",
        "+HH:MM": f"{sign}{mag // 60:02d}:{mag % 60:02d}",
        "+HHMM": f"{sign}{mag // 60:02d}{mag % 60:02d}",
        "+HH": f"{sign}{mag // 60:02d}",
    }[form]
    text = f"{day.isoformat()}{draw(st.sampled_from('T '))}{hour:02d}:{minute:02d}"
    if with_seconds:
        text += f":{second:02d}" + (f".{fraction}" if digits else "")
    text += suffix
    seconds = (day - dt.date(1970, 1, 1)).days * 86_400 + hour * 3_600 + minute * 60
    seconds += (second if with_seconds else 0) - offset * 60
    nanos = int(fraction.ljust(9, "0")) if digits else 0
    return text, seconds * 10**9 + nanos


@settings(max_examples=400, deadline=None)
@given(st.lists(iso_instants(), min_size=1, max_size=5))
def test_iso_times_parse_to_their_instant(pairs: list[tuple[str, int]]) -> None:
    texts = [text for text, _ in pairs]
    assert read_times(texts, "hedge-flow").tolist() == [ns for _, ns in pairs]


clock_words = st.sampled_from(["now", "today", "yesterday", "tomorrow", "noon", "midnight"])
near_misses = st.builds(
    lambda text, i, c: text[:i] + c + text[i + 1 :],
    iso_instants().map(lambda pair: pair[0]),
    st.integers(0, 30),
    st.sampled_from(list("0912:-T .Zxz+٣")),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=30), clock_words, near_misses), st.integers(0, 2))
def test_junk_never_parses_silently(text: str, at: int) -> None:
    """Any text: a SchemaError naming its bar, or an ISO-8601 date-time read as pandas reads it."""
    texts = ["2026-09-18T14:00:00Z"] * 3
    texts[at] = text
    try:
        got = read_times(texts, "hedge-flow")
    except ff.SchemaError as exc:
        assert f"bars[{at}].t" in str(exc)
        return
    assert ISO_TIME.fullmatch(text), text  # only ISO-8601 date-times are read
    expected = pd.DatetimeIndex(pd.to_datetime([text], format="ISO8601", utc=True))
    assert got[at] == expected.as_unit("ns").asi8[0]


# --------------------------------------------------------------------- numpy booleans (issue 13)


IN_PROCESS = {
    "hedge": (frames.hedge_flow_from_payload, "10:05", ("bars", 1, "bar"), r"bars\[1\]\.bar"),
    "series": (frames.series_from_payload, "10:05", ("bars", 1, "spot"), r"bars\[1\]\.spot"),
    "heatmap": (
        frames.heatmap_from_payload,
        "10:05",
        ("bars", 1, "values", 2),
        r"bars\[1\]\.values\[2\]",
    ),
    "heatmap-sparse": (
        frames.heatmap_from_payload,
        "15:00",
        ("bars", 40, "values", 7),
        r"bars\[40\]\.values\[7\]",
    ),
    "grid": (frames.heatmap_from_payload, "10:05", ("strikes_grid", 1), r"strikes_grid\[1\]"),
    "strike": (
        frames.strike_flow_from_payload,
        "10:05",
        ("bars", 0, "contracts", 0),
        r"bars\[0\]\.contracts\[0\]",
    ),
    "leaderboard": (frames.leaderboard_from_payload, "10:05", ("entries", 1, "value"), r"\.value"),
}


@pytest.mark.parametrize("kind", sorted(IN_PROCESS))
@pytest.mark.parametrize("flag", [np.True_, np.False_])
def test_numpy_booleans_are_not_numbers(kind: str, flag: Any) -> None:
    # before: np.True_ in an in-process payload was read as 1.0 (a Python True is refused)
    reader, now, path, where = IN_PROCESS[kind]
    src = SampleSource(now=now, n_strikes=12)
    payload = {
        "hedge": lambda: src.get_hedge_flow("SPY", minutes=3),
        "series": lambda: src.get_series("SPY", minutes=3),
        "heatmap": lambda: src.get_heatmap("SPY", minutes=3),
        "heatmap-sparse": lambda: src.get_heatmap("SPY", minutes=60),
        "grid": lambda: src.get_heatmap("SPY", minutes=3),
        "strike": lambda: src.get_strike_flow("SPY", minutes=3),
        "leaderboard": lambda: src.get_leaderboard(n=3),
    }[kind]()
    node: Any = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = flag
    with pytest.raises(ff.SchemaError, match=rf"{where} must be a number.*got {flag!r}"):
        reader(payload)
