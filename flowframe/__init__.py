"""flowframe: 0DTE dealer-flow data as pandas DataFrames, xarray arrays and live widgets.

Sources answer the six endpoints with wire payloads; :mod:`flowframe.frames` converts them;
the loaders (``ff.hedge_flow``, ``ff.series``, ...) do both; ``df.flow`` / ``da.flow`` forward
to the plotting and analysis functions exported here.
"""

from flowframe import accessor as _accessor  # noqa: F401  (registers df.flow, da.flow, ds.flow)
from flowframe._connect import connect
from flowframe._source import Source
from flowframe._version import __version__
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
from flowframe.engine.clock import SessionClock
from flowframe.engine.core import EngineConfig
from flowframe.engine.local import Local
from flowframe.engine.simulated import Simulated
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
    SchemaError,
    ServerError,
    TierRestrictedError,
)
from flowframe.hosted import AsyncFlashAlpha, FlashAlpha, Quota
from flowframe.loaders import heatmap, hedge_flow, leaderboard, series, snapshot, strike_flow
from flowframe.plotting import (
    format_money,
    money_formatter,
    plot_heatmap,
    plot_hedge,
    plot_profile,
    plot_series,
)
from flowframe.samples import SampleSource
from flowframe.snapshot import Snapshot

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncFlashAlpha",
    "AuthenticationError",
    "BadRequestError",
    "EngineConfig",
    "FlashAlpha",
    "FlowframeError",
    "FlowframeWarning",
    "Local",
    "MissingAPIKeyError",
    "NotFoundError",
    "Quota",
    "RateLimitError",
    "SampleSource",
    "SchemaError",
    "ServerError",
    "SessionClock",
    "Simulated",
    "Snapshot",
    "Source",
    "TierRestrictedError",
    "__version__",
    "accelerating_runs",
    "bursts",
    "connect",
    "format_money",
    "heatmap",
    "heatmap_profile",
    "heatmap_to_delta",
    "hedge_flow",
    "leaderboard",
    "money_formatter",
    "plot_heatmap",
    "plot_hedge",
    "plot_profile",
    "plot_series",
    "resample_flow",
    "rolling_flow",
    "rolling_flows",
    "series",
    "sign_flips",
    "snapshot",
    "strike_flow",
    "to_et",
    "top_strikes",
]


def __getattr__(name: str) -> object:
    # ``ff.live`` loads on first use: only the live layer imports ipywidgets (DESIGN.md)
    if name == "live":
        import importlib

        return importlib.import_module("flowframe.live")
    raise AttributeError(f"module 'flowframe' has no attribute {name!r}")
