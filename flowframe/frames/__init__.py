"""The frames layer: wire payloads to pandas / xarray objects and back, and the loaders.

Everything here is a pure converter except :mod:`flowframe.frames.loaders`, which asks a
source (:mod:`flowframe.sources`) for a payload and converts it. Nothing here does I/O itself,
plots or imports a widget library.
"""

from flowframe.frames.decode import (
    heatmap_from_json,
    heatmap_from_payload,
    heatmap_to_payload,
    hedge_flow_from_json,
    hedge_flow_from_payload,
    hedge_flow_to_payload,
    leaderboard_from_payload,
    leaderboard_to_payload,
    pin_values_are_fractions,
    regime_categorical,
    series_from_json,
    series_from_payload,
    series_to_payload,
    split_hedge_flow,
    strike_flow_from_json,
    strike_flow_from_payload,
    strike_flow_to_payload,
)
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
