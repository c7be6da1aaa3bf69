"""Exceptions and warnings raised by flowframe.

The tree::

    FlowframeError
    ├── APIError                      anything that went wrong talking to the hosted API
    │   ├── APIStatusError            the server answered with an error status
    │   │   ├── BadRequestError       400  (invalid_side, invalid_bar, ...)
    │   │   ├── AuthenticationError   401  (missing or bad key)
    │   │   ├── TierRestrictedError   403  (current_plan, required_plan)
    │   │   ├── NotFoundError         404  (symbol_not_found)
    │   │   ├── RateLimitError        429  (retry_after, reset_at)
    │   │   └── ServerError           5xx
    │   ├── APIConnectionError        no answer: DNS, refused, reset, truncated
    │   │   └── APITimeoutError       no answer in time (each read, or the attempt's total)
    │   └── ResponseTooLargeError     a body past max_response_bytes once decoded (limit)
    ├── MissingAPIKeyError            no key given and none in FLASHALPHA_API_KEY
    └── SchemaError                   a payload or frame that cannot be read (also a ValueError)

    FlowframeWarning                  flowframe's own warnings (a UserWarning)

A bad *parameter* is a plain :class:`ValueError` naming the parameter and the allowed values,
raised before any request is sent.

No exception here ever carries the API key: the hosted client scrubs it (as sent, and
percent- or JSON-escaped) from every body before anything reads it and from any text it puts
in a message, and raises its errors without chaining httpx's (whose text quotes server bytes).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flowframe._wire import iso_z

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "FlowframeError",
    "FlowframeWarning",
    "MissingAPIKeyError",
    "NotFoundError",
    "RateLimitError",
    "ResponseTooLargeError",
    "SchemaError",
    "ServerError",
    "TierRestrictedError",
]


class FlowframeError(Exception):
    """Base class of every exception flowframe raises on purpose."""


class FlowframeWarning(UserWarning):
    """A warning from flowframe (simulated data, clamped parameters, ...)."""


class MissingAPIKeyError(FlowframeError):
    """The hosted client was built without a key: none passed, none in the environment."""


class SchemaError(FlowframeError, ValueError):
    """A payload or frame does not have the shape flowframe documents.

    The message names the field and, for per-bar fields, the bar index.
    """


class APIError(FlowframeError):
    """Something went wrong talking to the hosted API.

    Attributes
    ----------
    message : str
        What went wrong, in words.
    method, url : str or None
        The request that failed (the URL never carries the key).
    """

    def __init__(self, message: str, *, method: str | None = None, url: str | None = None):
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class APIConnectionError(APIError):
    """No usable answer came back: the connection failed, was reset or was cut short."""


class APITimeoutError(APIConnectionError):
    """No answer came back within the client's timeout.

    Either one read waited longer than ``timeout``, or the whole attempt (connect, headers
    and body) took longer than ``total_timeout``.
    """


class ResponseTooLargeError(APIError):
    """A response body is larger than the client's ``max_response_bytes`` once decoded.

    Not retried: the same request would bring the same body. The message names the cap and
    how to raise it.

    Attributes
    ----------
    limit : int
        The cap, in decoded bytes.
    """

    def __init__(
        self, message: str, *, limit: int, method: str | None = None, url: str | None = None
    ):
        super().__init__(message, method=method, url=url)
        self.limit = limit


class APIStatusError(APIError):
    """The server answered with an error status.

    Attributes
    ----------
    status_code : int
        The HTTP status.
    code : str or None
        The body's ``error`` field (``"invalid_side"``, ``"tier_restricted"``, ...), if any.
    body : object
        The decoded JSON body, or the text of a body that was not JSON.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        body: Any = None,
        method: str | None = None,
        url: str | None = None,
    ):
        super().__init__(message, method=method, url=url)
        self.status_code = status_code
        self.code = code
        self.body = body

    def __str__(self) -> str:
        reason = _REASONS.get(self.status_code, "")
        head = f"{self.status_code} {reason}".rstrip()
        if self.code:
            head += f" [{self.code}]"
        text = f"{head}: {self.message}" if self.message else head
        extra = self._details()
        return f"{text} ({extra})" if extra else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, code={self.code!r}, "
            f"message={self.message!r})"
        )

    def _details(self) -> str:
        return ""


class BadRequestError(APIStatusError):
    """400: the server rejected a parameter."""


class AuthenticationError(APIStatusError):
    """401: the key is missing or not valid."""


class TierRestrictedError(APIStatusError):
    """403: the key's plan does not include this endpoint.

    Attributes
    ----------
    current_plan, required_plan : str or None
        The plan the key has, and the lowest plan that includes the endpoint.
    """

    def __init__(
        self,
        message: str,
        *,
        current_plan: str | None = None,
        required_plan: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(message, **kwargs)
        self.current_plan = current_plan
        self.required_plan = required_plan

    def _details(self) -> str:
        parts = []
        if self.required_plan:
            parts.append(f"needs the {self.required_plan} plan")
        if self.current_plan:
            parts.append(f"this key is on {self.current_plan}")
        return "; ".join(parts)


class NotFoundError(APIStatusError):
    """404: the symbol (or route) does not exist."""


class RateLimitError(APIStatusError):
    """429: the daily quota is spent, or the server asked to slow down.

    Attributes
    ----------
    retry_after : float or None
        Seconds the server asked to wait (``Retry-After`` in seconds or as an HTTP date).
    reset_at : datetime.datetime or None
        When the quota resets (UTC), from the body's ``reset_at``; a naive time is read as UTC.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        reset_at: dt.datetime | None = None,
        **kwargs: Any,
    ):
        super().__init__(message, **kwargs)
        if reset_at is not None and reset_at.tzinfo is None:
            reset_at = reset_at.replace(tzinfo=dt.UTC)
        self.retry_after = retry_after
        self.reset_at = reset_at

    def _details(self) -> str:
        parts = []
        if self.retry_after is not None:
            parts.append(f"retry after {self.retry_after:g} s")
        if self.reset_at is not None:
            parts.append(f"quota resets {iso_z(self.reset_at)}")
        return "; ".join(parts)


class ServerError(APIStatusError):
    """5xx: the server failed."""


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
