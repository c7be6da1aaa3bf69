"""flowframe.frames re-exports every converter from its family module."""

from __future__ import annotations

import importlib

import pytest

from flowframe import frames

# the names flowframe.frames has exported since it was one module (frames.py)
NAMES = {
    "band": ("band", "diff"),
    "ensemble": ("EnsembleSnapshot",),
    "hedge_flow": (
        "hedge_flow_from_json",
        "hedge_flow_from_payload",
        "hedge_flow_to_payload",
        "split_hedge_flow",
    ),
    "series": (
        "pin_values_are_fractions",
        "regime_categorical",
        "series_from_json",
        "series_from_payload",
        "series_to_payload",
    ),
    "grid": (
        "UTCBarIndex",
        "heatmap_from_json",
        "heatmap_from_payload",
        "heatmap_to_payload",
        "strike_flow_from_json",
        "strike_flow_from_payload",
        "strike_flow_to_payload",
        "utc_bars",
    ),
    "leaderboard": ("leaderboard_from_payload", "leaderboard_to_payload"),
    "snapshot": (
        "Condition",
        "Snapshot",
        "snapshot_from_payload",
        "snapshot_to_payload",
        "snapshots_frame",
    ),
    # the attrs rule's readers (issue 12: attrs hold text where a time or an object was)
    "attrs": ("as_of", "data_as_of", "gap_intervals"),
}


@pytest.mark.parametrize("family", sorted(NAMES))
def test_every_converter_is_reexported_from_its_family(family: str) -> None:
    module = importlib.import_module(f"flowframe.frames.{family}")
    for name in NAMES[family]:
        assert getattr(frames, name) is getattr(module, name), name
        assert name in frames.__all__


def test_all_lists_exactly_the_converters() -> None:
    assert sorted(frames.__all__) == sorted(n for names in NAMES.values() for n in names)
