"""Snapshot: typed blocks, the strike table, degraded states, and the HTML card."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import flowframe as ff
from flowframe.sources.samples import SampleSource
from tests.conftest import load


@pytest.fixture
def live() -> dict[str, Any]:
    body = SampleSource(now="14:45").get_snapshot("SPY")
    body["strikes"][0]["call_symbol"] = "SPY-260605-C-560"
    body["pin_risk"]["max_pain"] = 590.0
    return body


def test_live_blocks(live: dict[str, Any]) -> None:
    snap = ff.Snapshot(live, source="sample")
    assert snap.status == "live" and snap.symbol == "SPY" and snap.regime == "positive_gamma"
    assert snap.as_of is not None and str(snap.as_of.tz) == "UTC"
    assert snap.headline is not None and snap.headline.severity == "watch"
    assert snap.headline.promoted["pin_probability_pct"] == pytest.approx(49.4)  # 0.494 -> %
    assert snap.flow_direction is not None and snap.flow_direction.flow_gex_pct_shift == 0.125
    assert snap.setup is not None and snap.setup.primary is not None
    assert snap.setup.primary.conditions_failed == ("pin_score > 65",)
    assert snap.setup.primary.strikes_hint["long_put_strike"] == 589.0
    assert [a.display_name for a in snap.setup.anti_setups] == ["Long Premium / Lotto"]
    assert snap.probabilities is not None and snap.probabilities.pin is not None
    assert snap.probabilities.pin.value == 0.494
    assert (
        snap.probabilities.range_1sigma is not None
        and snap.probabilities.range_1sigma.low is not None
    )
    assert snap.levels["max_pain"] == 590.0 and snap.levels["magnet"] == 592.0
    assert snap.raw == live


def test_strikes_table(live: dict[str, Any]) -> None:
    table = ff.Snapshot(live).strikes
    assert table.index.name == "strike" and table.index.dtype == np.float64
    assert table.index.is_monotonic_increasing and len(table) == 61
    assert table["call_oi"].dtype == np.float64 and str(table["call_symbol"].dtype) == "str"
    assert (
        table["call_symbol"].iloc[0] == "SPY-260605-C-560"
        and table["call_symbol"].isna().sum() == 60
    )


def test_percentage_probability_is_read_as_fraction() -> None:
    body = {
        "symbol": "SPY",
        "probabilities": {"pin": {"value": 64.0}},
        "headline": {"promoted": {"pin_probability_pct": 64.1}},
    }
    snap = ff.Snapshot(body)
    assert snap.probabilities is not None and snap.probabilities.pin is not None
    assert snap.probabilities.pin.value == pytest.approx(0.64)
    assert snap.headline is not None and snap.headline.promoted["pin_probability_pct"] == 64.1


@pytest.mark.parametrize(
    "fixture, status, nxt",
    [
        ("snapshot_session_closed.json", "session_closed", "2026-09-18"),
        ("snapshot_no_zero_dte.json", "no_zero_dte", "2026-09-25"),
    ],
)
def test_degraded_states(fixture: str, status: str, nxt: str) -> None:
    snap = ff.Snapshot(load(fixture))
    assert snap.status == status and snap.next_session == nxt
    assert snap.headline is None and snap.setup is None and snap.probabilities is None
    assert snap.strikes.empty and snap.strikes.index.name == "strike"
    card = snap._repr_html_()
    assert "no 0DTE session" in card
    assert nxt in card
    assert ("Last session" if status == "session_closed" else "Next 0DTE expiry") in card


def test_html_card_reads_at_a_glance(live: dict[str, Any]) -> None:
    live["headline"]["severity"] = "alert"
    live["headline"]["narrative"] = "Spot testing <flip> & walls"
    card = ff.Snapshot(live)._repr_html_()
    assert "#d62728" in card and "ALERT" in card  # alert colour and badge
    assert "Spot testing &lt;flip&gt; &amp; walls" in card  # escaped
    assert "angle: pin" in card
    assert "amplifying" in card or "dampening" in card
    assert "Iron Fly" in card and "&#10003; regime = positive_gamma" in card
    assert "&#10007; pin_score &gt; 65" in card
    assert "pin <b>49%</b>" in card and "1σ range <b>68%</b>" in card
    assert "gamma flip" in card and "call wall" in card and "magnet 592.00" in card
    assert "14:45:00 ET" in card  # as_of 18:45 UTC, shown in ET (EDT)


def test_repr(live: dict[str, Any]) -> None:
    assert repr(ff.Snapshot(live)).startswith(
        "Snapshot(SPY, live, as_of=2026-06-05T18:45:00+00:00, headline='Pinning"
    )
    assert repr(ff.Snapshot(load("snapshot_no_zero_dte.json"))).startswith(
        "Snapshot(TSLA, no_zero_dte, message="
    )


def test_repr_never_raises_on_a_partly_built_snapshot(live: dict[str, Any]) -> None:
    # before: AttributeError ('Snapshot' object has no attribute 'symbol' / 'as_of' / ...)
    bare = ff.Snapshot.__new__(ff.Snapshot)
    assert repr(bare) == "Snapshot(None, unread)"
    assert "Snapshot(None, unread)" in bare._repr_html_()
    # __init__ stopped midway: symbol and status read, as_of refused
    stopped = ff.Snapshot.__new__(ff.Snapshot)
    with pytest.raises(ff.SchemaError, match="as_of"):
        stopped.__init__({**live, "as_of": "soon"})  # type: ignore[misc]
    assert repr(stopped) == "Snapshot(SPY, live)"
    assert stopped._repr_html_().startswith("<pre>Snapshot(SPY, live)")


@pytest.mark.parametrize(
    "body, match",
    [
        ({"headline": "hot"}, "block 'headline' must be an object"),
        (
            {"setup": {"primary": {"conditions_met": "all"}}},
            r"setup\.primary\.conditions_met must be a list of strings",
        ),
        (
            {"probabilities": {"pin": {"value": "high"}}},
            r"probabilities\.pin\.value must be a number",
        ),
        ({"strikes": [{"strike": "590"}]}, r"strikes\[0\]\.strike must be a number"),
        ({"as_of": "noon"}, "field 'as_of' is not an ISO-8601 time"),
        ([1], "snapshot payload must be a JSON object"),
    ],
)
def test_malformed_snapshot(body: Any, match: str) -> None:
    with pytest.raises(ff.SchemaError, match=match):
        ff.Snapshot(body)


def test_numpy_numbers_in_an_in_process_payload_are_numbers() -> None:
    """A payload built in Python may hold numpy scalars: np.int64 and np.float64 are read
    as numbers (np.int64 was refused while np.float64 passed); a numpy bool is not one."""
    import copy

    body = ff.Simulated(seed=0, date="2026-09-18", now="14:45").get_snapshot("SPY")
    numpyish = copy.deepcopy(body)
    numpyish["underlying_price"] = np.int64(600)
    assert ff.frames.snapshot_from_payload(numpyish).spot == 600.0
    numpyish["underlying_price"] = np.float64(600.25)
    assert ff.frames.snapshot_from_payload(numpyish).spot == 600.25
    numpyish["underlying_price"] = np.True_
    with pytest.raises(ff.SchemaError, match=r"underlying_price must be a number or null, got"):
        ff.frames.snapshot_from_payload(numpyish)
