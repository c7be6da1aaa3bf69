"""flowframe: 0DTE dealer-flow data as pandas DataFrames, xarray arrays and live widgets.

Sources (:mod:`flowframe.sources`) answer the six endpoints with wire payloads;
:mod:`flowframe.frames` converts them; the loaders (``ff.hedge_flow``, ``ff.series``, ...) do
both; ``df.flow`` / ``da.flow`` forward to :mod:`flowframe.plotting` and
:mod:`flowframe.analysis`; :mod:`flowframe.live` holds the widgets.

``import flowframe`` loads only what the loaders and the accessors need (pandas, xarray,
orjson, msgspec). The hosted client (httpx), the engine (scipy), plotting (matplotlib) and the
widgets (ipywidgets) load on first use of a name that needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from flowframe import _moved
from flowframe import accessor as _accessor  # noqa: F401  (registers df.flow, da.flow, ds.flow)
from flowframe._version import __version__
from flowframe.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    FlowframeError,
    FlowframeWarning,
    MissingAPIKeyError,
    NotFoundError,
    RateLimitError,
    ResponseTooLargeError,
    SchemaError,
    ServerError,
    TierRestrictedError,
)
from flowframe.frames.grid import utc_bars
from flowframe.frames.loaders import (
    heatmap,
    hedge_flow,
    leaderboard,
    series,
    snapshot,
    strike_flow,
)
from flowframe.frames.snapshot import Snapshot, snapshots_frame
from flowframe.sources.base import Source
from flowframe.sources.default import connect

if TYPE_CHECKING:
    from flowframe import live as live
    from flowframe.analysis import (
        accelerating_runs,
        bursts,
        heatmap_profile,
        heatmap_to_delta,
        resample_flow,
        rolling_flow,
        rolling_flows,
        sign_flips,
        to_et,
        top_strikes,
    )
    from flowframe.frames.band import band, diff
    from flowframe.plotting import (
        format_money,
        money_formatter,
        plot_diff,
        plot_heatmap,
        plot_hedge,
        plot_pin,
        plot_profile,
        plot_reliability,
        plot_series,
    )
    from flowframe.research.record import Recording, record
    from flowframe.research.replay import Replay, ReplayError
    from flowframe.research.sessions import sessions
    from flowframe.sources.engine import calibration as calibration
    from flowframe.sources.engine import whatif as whatif
    from flowframe.sources.engine.clock import SessionClock
    from flowframe.sources.engine.core import EngineConfig
    from flowframe.sources.engine.ensemble import Ensemble
    from flowframe.sources.engine.implied import implied_vol
    from flowframe.sources.engine.inputs import Market
    from flowframe.sources.engine.local import Local
    from flowframe.sources.engine.simulated import Simulated
    from flowframe.sources.hosted import AsyncFlashAlpha, FlashAlpha, Quota
    from flowframe.sources.samples import SampleSource
    from flowframe.sources.vendors.databento import read_databento
    from flowframe.sources.vendors.occ import parse_occ
    from flowframe.sources.vendors.polygon import read_polygon
    from flowframe.sources.vendors.tape import read_tape
    from flowframe.store import Store

_moved.install()

# name -> the module that defines it, imported on first use (PEP 562)
_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
            "accelerating_runs",
            "bursts",
            "heatmap_profile",
            "heatmap_to_delta",
            "resample_flow",
            "rolling_flow",
            "rolling_flows",
            "sign_flips",
            "to_et",
            "top_strikes",
        ),
        "flowframe.analysis",
    ),
    **dict.fromkeys(
        (
            "format_money",
            "money_formatter",
            "plot_heatmap",
            "plot_diff",
            "plot_hedge",
            "plot_pin",
            "plot_profile",
            "plot_reliability",
            "plot_series",
        ),
        "flowframe.plotting",
    ),
    **dict.fromkeys(("AsyncFlashAlpha", "FlashAlpha", "Quota"), "flowframe.sources.hosted"),
    "EngineConfig": "flowframe.sources.engine.core",
    "Ensemble": "flowframe.sources.engine.ensemble",
    "band": "flowframe.frames.band",
    "diff": "flowframe.frames.band",
    "Market": "flowframe.sources.engine.inputs",
    "implied_vol": "flowframe.sources.engine.implied",
    "parse_occ": "flowframe.sources.vendors.occ",
    "read_databento": "flowframe.sources.vendors.databento",
    "read_polygon": "flowframe.sources.vendors.polygon",
    "read_tape": "flowframe.sources.vendors.tape",
    "Local": "flowframe.sources.engine.local",
    "SampleSource": "flowframe.sources.samples",
    "SessionClock": "flowframe.sources.engine.clock",
    "Store": "flowframe.store",
    "sessions": "flowframe.research",
    "Recording": "flowframe.research.record",
    "record": "flowframe.research.record",
    "Replay": "flowframe.research.replay",
    "ReplayError": "flowframe.research.replay",
    "Simulated": "flowframe.sources.engine.simulated",
}
# submodules reachable as attributes (``ff.live.Dashboard``, ``from flowframe import calibration``)
_SUBMODULES: dict[str, str] = {
    "calibration": "flowframe.sources.engine.calibration",
    "whatif": "flowframe.sources.engine.whatif",
    "live": "flowframe.live",
}

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncFlashAlpha",
    "AuthenticationError",
    "BadRequestError",
    "EngineConfig",
    "Ensemble",
    "FlashAlpha",
    "FlowframeError",
    "FlowframeWarning",
    "Local",
    "Market",
    "MissingAPIKeyError",
    "NotFoundError",
    "Quota",
    "RateLimitError",
    "Recording",
    "Replay",
    "ReplayError",
    "ResponseTooLargeError",
    "SampleSource",
    "SchemaError",
    "ServerError",
    "SessionClock",
    "Simulated",
    "Snapshot",
    "Source",
    "Store",
    "TierRestrictedError",
    "__version__",
    "accelerating_runs",
    "band",
    "bursts",
    "connect",
    "diff",
    "format_money",
    "heatmap",
    "heatmap_profile",
    "heatmap_to_delta",
    "hedge_flow",
    "implied_vol",
    "leaderboard",
    "money_formatter",
    "parse_occ",
    "plot_diff",
    "plot_heatmap",
    "plot_hedge",
    "plot_pin",
    "plot_profile",
    "plot_reliability",
    "plot_series",
    "read_databento",
    "read_polygon",
    "read_tape",
    "record",
    "resample_flow",
    "rolling_flow",
    "rolling_flows",
    "series",
    "sessions",
    "sign_flips",
    "snapshot",
    "snapshots_frame",
    "strike_flow",
    "to_et",
    "top_strikes",
    "utc_bars",
    "whatif",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(_SUBMODULES[name])
    else:
        raise AttributeError(f"module 'flowframe' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_SUBMODULES})
