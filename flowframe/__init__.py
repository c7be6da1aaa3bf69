"""flowframe: 0DTE dealer-flow data as pandas DataFrames, xarray arrays and live widgets."""

from flowframe._source import Source
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
    SchemaError,
    ServerError,
    TierRestrictedError,
)
from flowframe.hosted import AsyncFlashAlpha, FlashAlpha, Quota

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncFlashAlpha",
    "AuthenticationError",
    "BadRequestError",
    "FlashAlpha",
    "FlowframeError",
    "FlowframeWarning",
    "MissingAPIKeyError",
    "NotFoundError",
    "Quota",
    "RateLimitError",
    "SchemaError",
    "ServerError",
    "Source",
    "TierRestrictedError",
    "__version__",
]
