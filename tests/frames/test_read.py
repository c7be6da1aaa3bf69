"""Reading rules shared by every family: malformed payloads, the JSON text entry points."""

from __future__ import annotations

import contextlib
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowframe as ff
from flowframe import frames
from flowframe.frames import _fastpath
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
