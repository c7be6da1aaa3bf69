"""What the sync and async hosted clients share: key, URL, retries, error mapping, quota.

Everything here is I/O free; the two clients only run the request loop.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import logging
import math
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from flowframe import _params
from flowframe._constants import API_KEY_ENV, DEFAULT_BASE_URL
from flowframe._version import __version__
from flowframe.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    MissingAPIKeyError,
    NotFoundError,
    RateLimitError,
    SchemaError,
    ServerError,
    TierRestrictedError,
)

__all__ = ["Quota", "make_status_error"]

logger = logging.getLogger("flowframe.sources.hosted")

#: First backoff delay, its ceiling, and the longest ``Retry-After`` the client will wait.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
DEFAULT_MAX_RETRY_WAIT = 60.0
RETRY_STATUSES = frozenset({408, 429})
_KEY_OK = frozenset(chr(c) for c in range(0x21, 0x7F))
_BODY_SNIPPET = 300
USER_AGENT = f"flowframe/{__version__}"


@dataclass(frozen=True, slots=True)
class Quota:
    """The daily quota as the last response's ``X-RateLimit-*`` headers stated it.

    Attributes
    ----------
    limit : int or None
        Calls allowed per day; None when ``unlimited``.
    remaining : int or None
        Calls left today; None when ``unlimited``.
    reset : datetime.datetime or None
        When the quota resets (tz-aware UTC; the API resets at 00:00 UTC).
    unlimited : bool
        True for plans without a daily limit (Alpha).
    """

    limit: int | None
    remaining: int | None
    reset: dt.datetime | None
    unlimited: bool = False

    @property
    def used(self) -> int | None:
        """Calls spent today, when the plan has a limit."""
        if self.limit is None or self.remaining is None:
            return None
        return self.limit - self.remaining


def parse_quota(headers: Mapping[str, str]) -> Quota | None:
    """Read ``X-RateLimit-Limit/Remaining/Reset``; None when the response has none of them."""
    lower = {k.lower(): v for k, v in headers.items()}
    raw_limit = lower.get("x-ratelimit-limit")
    raw_remaining = lower.get("x-ratelimit-remaining")
    raw_reset = lower.get("x-ratelimit-reset")
    if raw_limit is None and raw_remaining is None and raw_reset is None:
        return None
    unlimited = any((v or "").strip().lower() == "unlimited" for v in (raw_limit, raw_remaining))
    reset = None
    if raw_reset is not None:
        try:
            reset = dt.datetime.fromtimestamp(float(raw_reset), tz=dt.UTC)
        except (ValueError, OverflowError, OSError):
            reset = None
    return Quota(
        limit=None if unlimited else _int_or_none(raw_limit),
        remaining=None if unlimited else _int_or_none(raw_remaining),
        reset=reset,
        unlimited=unlimited,
    )


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def resolve_api_key(api_key: str | None) -> str:
    """Return the key from the argument or the environment, checked but never echoed."""
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    if key is None or not key.strip():
        raise MissingAPIKeyError(
            "no API key: pass FlashAlpha(api_key=...) or set the environment variable "
            f"{API_KEY_ENV} (export {API_KEY_ENV}=...). Without a key, use a local source, "
            "which needs none."
        )
    key = key.strip()
    if not set(key) <= _KEY_OK:
        # Never show the key: a header error from the HTTP stack would print it.
        raise ValueError(
            "api_key contains spaces or characters outside visible ASCII; "
            "copy the key again from your FlashAlpha account"
        )
    return key


def check_base_url(base_url: str) -> httpx.URL:
    """Accept ``https://`` anywhere and ``http://`` on loopback only."""
    url = httpx.URL(base_url)
    if url.scheme == "https":
        return url
    if url.scheme == "http":
        if _is_loopback(url.host):
            return url
        raise ValueError(
            f"base_url={base_url!r} uses plain http:// to a non-loopback host, which would "
            "send the API key in clear text; use https://, or http:// to localhost/127.0.0.1/::1"
        )
    raise ValueError(f"base_url={base_url!r} is not allowed; use an https:// URL")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def backoff_delay(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with jitter for retry ``attempt`` (0-based), in seconds."""
    delay = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return delay * (1.0 - 0.25 * rng.random())


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Return ``Retry-After`` in seconds: a number of seconds or an HTTP date, else None."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        now = now or dt.datetime.now(dt.UTC)
        return max(0.0, (when - now).total_seconds())
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def is_retryable_status(status: int) -> bool:
    """408, 429 and every 5xx are retried; no other status is."""
    return status in RETRY_STATUSES or 500 <= status <= 599


@dataclass(frozen=True, slots=True)
class Decision:
    """After a response or transport error: wait ``delay`` seconds and retry, or stop."""

    retry: bool
    delay: float = 0.0


def decide(
    *,
    attempt: int,
    max_retries: int,
    max_retry_wait: float,
    rng: random.Random,
    status: int | None,
    retry_after: float | None,
) -> Decision:
    """Decide whether attempt ``attempt`` (0-based) is retried and after how long.

    ``status`` is None for a timeout or transport error.
    """
    if attempt >= max_retries:
        return Decision(False)
    if status is not None and not is_retryable_status(status):
        return Decision(False)
    if retry_after is not None:
        if retry_after > max_retry_wait:
            return Decision(False)  # the server asked for longer than we will wait
        return Decision(True, retry_after)
    return Decision(True, backoff_delay(attempt, rng))


class Scrubber:
    """Remove the API key from any text before it reaches a message, a body or a log."""

    __slots__ = ("_key",)

    def __init__(self, key: str):
        self._key = key

    def text(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key in text else text

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value


def decode_success(response: httpx.Response, scrub: Scrubber) -> dict[str, Any]:
    """Decode a 2xx body as a JSON object, or raise :class:`SchemaError`."""
    try:
        payload = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        snippet = scrub.text(response.content[:80].decode("utf-8", "replace"))
        raise SchemaError(
            f"the {response.status_code} response to {response.request.url.path} is not valid "
            f"JSON ({exc}); it starts {snippet!r} ({len(response.content)} bytes)"
        ) from None
    if not isinstance(payload, dict):
        raise SchemaError(
            f"the response to {response.request.url.path} is JSON but not an object "
            f"(got {type(payload).__name__})"
        )
    return payload


def _decode_error_body(response: httpx.Response, scrub: Scrubber) -> Any:
    try:
        return scrub.value(orjson.loads(response.content))
    except orjson.JSONDecodeError:
        return scrub.text(response.content.decode("utf-8", "replace"))


def _parse_reset_at(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def make_status_error(
    response: httpx.Response,
    scrub: Scrubber,
    *,
    retry_after: float | None = None,
) -> APIStatusError:
    """Map an error response to the right exception: the one place statuses are read."""
    status = response.status_code
    body = _decode_error_body(response, scrub)
    method = response.request.method
    url = str(response.request.url)
    if isinstance(body, dict):
        code = _str_or_none(body.get("error"))
        message = (
            _str_or_none(body.get("message"))
            or _str_or_none(body.get("detail"))
            or _str_or_none(body.get("title"))
            or ""
        )
    else:
        code = None
        text = " ".join(str(body).split())
        if text:
            if len(text) > _BODY_SNIPPET:
                text = text[:_BODY_SNIPPET] + "..."
            message = f"non-JSON body: {text}"
        else:
            message = "empty body"
    common: dict[str, Any] = {
        "status_code": status,
        "code": code,
        "body": body,
        "method": method,
        "url": url,
    }
    get = body.get if isinstance(body, dict) else (lambda _k: None)
    if status == 400:
        return BadRequestError(message, **common)
    if status == 401:
        return AuthenticationError(message or "missing or invalid API key", **common)
    if status == 403:
        return TierRestrictedError(
            message,
            current_plan=_str_or_none(get("current_plan")),
            required_plan=_str_or_none(get("required_plan")),
            **common,
        )
    if status == 404:
        return NotFoundError(message, **common)
    if status == 429:
        return RateLimitError(
            message,
            retry_after=retry_after,
            reset_at=_parse_reset_at(get("reset_at")),
            **common,
        )
    if status >= 500:
        return ServerError(message, **common)
    return APIStatusError(message, **common)


def connection_error(exc: httpx.TransportError, request: _params.Request) -> APIConnectionError:
    """Wrap an httpx transport error (never carrying headers, so never the key)."""
    where = request.path
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"no response from {where} within the timeout ({type(exc).__name__})",
            method="GET",
            url=where,
        )
    return APIConnectionError(
        f"connection to {where} failed: {type(exc).__name__}: {exc}", method="GET", url=where
    )


class BaseClient:
    """Settings and state shared by :class:`FlashAlpha` and :class:`AsyncFlashAlpha`."""

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str,
        timeout: float,
        max_retries: int,
        max_retry_wait: float,
        seed: int | None,
    ):
        if type(max_retries) is not int or max_retries < 0:
            raise ValueError(f"max_retries={max_retries!r} is not allowed; use an int >= 0")
        if type(timeout) not in (int, float) or not timeout > 0:
            raise ValueError(f"timeout={timeout!r} is not allowed; use seconds > 0")
        if not max_retry_wait >= 0:
            raise ValueError(f"max_retry_wait={max_retry_wait!r} is not allowed; use seconds >= 0")
        self._key = resolve_api_key(api_key)
        self._scrub = Scrubber(self._key)
        self.base_url = check_base_url(base_url or DEFAULT_BASE_URL)
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.max_retry_wait = float(max_retry_wait)
        self._rng = random.Random(seed)
        self._quota: Quota | None = None
        self.requests_sent = 0

    @property
    def quota(self) -> Quota | None:
        """The quota stated by the last response that carried ``X-RateLimit-*`` headers."""
        return self._quota

    def _headers(self) -> dict[str, str]:
        return {"X-Api-Key": self._key, "Accept": "application/json"}

    def _note_response(self, response: httpx.Response) -> None:
        quota = parse_quota(response.headers)
        if quota is not None:
            self._quota = quota

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self.base_url)!r}, api_key='***')"

    def _http_options(self) -> dict[str, Any]:
        """Return the settings of the owned httpx client (sync or async)."""
        return {
            "base_url": self.base_url,
            "timeout": self.timeout,
            "follow_redirects": False,  # a redirect must never carry the key elsewhere
            "headers": {"User-Agent": USER_AGENT},
        }

    def _on_response(
        self, response: httpx.Response, request: _params.Request, attempt: int, *, raw: bool
    ) -> dict[str, Any] | bytes | float:
        """Return the payload (bytes with ``raw``) or the seconds before a retry; or raise."""
        self._note_response(response)
        if response.is_success:
            return response.content if raw else decode_success(response, self._scrub)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        decision = decide(
            attempt=attempt,
            max_retries=self.max_retries,
            max_retry_wait=self.max_retry_wait,
            rng=self._rng,
            status=response.status_code,
            retry_after=retry_after,
        )
        if not decision.retry:
            raise make_status_error(response, self._scrub, retry_after=retry_after)
        self._log_retry(request, str(response.status_code), decision.delay, attempt)
        return decision.delay

    def _on_transport_error(
        self, exc: httpx.TransportError, request: _params.Request, attempt: int
    ) -> float:
        """Return the seconds to wait before a retry, or raise when out of retries."""
        decision = decide(
            attempt=attempt,
            max_retries=self.max_retries,
            max_retry_wait=self.max_retry_wait,
            rng=self._rng,
            status=None,
            retry_after=None,
        )
        if not decision.retry:
            raise connection_error(exc, request) from exc
        self._log_retry(request, type(exc).__name__, decision.delay, attempt)
        return decision.delay

    def _log_retry(self, request: _params.Request, why: str, delay: float, attempt: int) -> None:
        logger.info(
            "retrying GET %s after %s in %.2f s (retry %d of %d)",
            request.path,
            why,
            delay,
            attempt + 1,
            self.max_retries,
        )
