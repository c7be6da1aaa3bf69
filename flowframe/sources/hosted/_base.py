"""What the sync and async hosted clients share: key, URL, retries, error mapping, quota.

Everything here is I/O free; the two clients only run the request loop. What guards the key
and bounds each attempt (masked key, scrubber, log filter, deadline, capped body) is in
:mod:`flowframe.sources.hosted._guard`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import logging
import math
import os
import random
import threading
import time
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
from flowframe.sources.hosted._guard import (
    DeadlineExceeded,
    KeyAuth,
    Scrubber,
    Secret,
    install_log_filter,
)

__all__ = ["Quota", "make_status_error"]

logger = logging.getLogger("flowframe.sources.hosted")

#: First backoff delay, its ceiling, and the longest ``Retry-After`` the client will wait.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
DEFAULT_MAX_RETRY_WAIT = 60.0
#: The longest wait between two attempts a client accepts (``max_retry_wait`` at most).
MAX_WAIT = 300.0
#: ``Retry-After`` reads as at most a day: the quota resets daily at 00:00 UTC, so no honest
#: wait is longer, and a finite, bounded number never overflows a timestamp or a sleep.
MAX_RETRY_AFTER = 86_400.0
#: The decoded size past which a body is refused (32 MiB; the largest real body, a full
#: session's strike-flow over a wide grid, is a few MB).
DEFAULT_MAX_RESPONSE_BYTES = 32 * 2**20
#: The total deadline of one attempt, when not given: this many times ``timeout``.
TOTAL_TIMEOUT_FACTOR = 3.0
RETRY_STATUSES = frozenset({408, 429})
#: The ``error`` codes of the API's 400 answers (API.md).
_BAD_REQUEST_CODES = frozenset(
    {
        "invalid_side",
        "invalid_bar",
        "invalid_metric",
        "invalid_mode",
        "invalid_expiry",
        "bar_unavailable",
        "no_strike_data_for_window",
    }
)
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
    """Read ``X-RateLimit-Limit/Remaining/Reset``; None when the response has none of them.

    A header sent twice reaches us joined by a comma (httpx joins repeated headers:
    ``"9950, 9949"``). Each is read as the lowest sensible value it holds: for ``Limit`` and
    ``Remaining`` the lowest integer (a negative one counts as 0), for ``Reset`` the latest
    time (the quota refills no sooner). Text that holds no such value reads as None, as
    before; ``unlimited`` holds when a header says so and holds no number.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    raw_limit = lower.get("x-ratelimit-limit")
    raw_remaining = lower.get("x-ratelimit-remaining")
    raw_reset = lower.get("x-ratelimit-reset")
    if raw_limit is None and raw_remaining is None and raw_reset is None:
        return None
    limit = _lowest_count(raw_limit)
    remaining = _lowest_count(raw_remaining)
    unlimited = (limit is None and _says_unlimited(raw_limit)) or (
        remaining is None and _says_unlimited(raw_remaining)
    )
    return Quota(
        limit=None if unlimited else limit,
        remaining=None if unlimited else remaining,
        reset=_latest_reset(raw_reset),
        unlimited=unlimited,
    )


#: Held while a client folds an answer's quota into its own (:func:`merge_quota`).
_QUOTA_LOCK = threading.Lock()
#: Two resets this far apart belong to different daily windows (the API resets at 00:00 UTC).
_NEW_WINDOW = dt.timedelta(hours=12)


def merge_quota(held: Quota | None, new: Quota) -> Quota:
    """Fold a response's quota into the one held: the lowest ``remaining`` of a window wins.

    Answers can arrive out of order (concurrent async calls: the oldest answer, with the
    highest ``remaining``, may land last), so within one reset window the quota keeps the
    lowest ``remaining`` any answer stated, and a ``remaining`` the answer did not state
    (None) keeps the one held. A window is told by ``reset``: a reset at least 12 hours
    later starts a new window (the new answer is taken whole); one at least 12 hours earlier
    is a late answer from the previous window (ignored). A different ``limit`` (the plan
    changed) or an ``unlimited`` answer is taken whole; when either side lacks a reset (the
    windows cannot be told apart) the new answer is taken, keeping the ``remaining`` held
    if it states none.

    Parameters
    ----------
    held : Quota or None
        The quota held so far (None before the first answer).
    new : Quota
        The quota the latest answer stated (:func:`parse_quota`).

    Returns
    -------
    Quota
        The quota to hold.

    Examples
    --------
    >>> import datetime as dt
    >>> reset = dt.datetime(2026, 9, 19, tzinfo=dt.UTC)
    >>> early, late = Quota(10_000, 9_950, reset), Quota(10_000, 9_999, reset)
    >>> merge_quota(early, late).remaining
    9950
    """
    if held is None:
        return new
    comparable = not (held.unlimited or new.unlimited) and held.limit == new.limit
    if comparable and held.reset is not None and new.reset is not None:
        if held.reset - new.reset >= _NEW_WINDOW:
            return held  # a late answer from the previous window
        if new.reset - held.reset < _NEW_WINDOW:  # the same window: the lowest remaining
            remaining = _lowest(held.remaining, new.remaining)
            return Quota(new.limit, remaining, new.reset, unlimited=False)
        return new  # a new window
    if comparable and new.remaining is None:
        return Quota(new.limit, held.remaining, new.reset or held.reset, unlimited=False)
    return new


def _lowest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def _tokens(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _says_unlimited(text: str | None) -> bool:
    return any(token.lower() == "unlimited" for token in _tokens(text))


def _lowest_count(text: str | None) -> int | None:
    """Return the lowest integer among the comma-separated values of ``text`` (>= 0)."""
    counts = []
    for token in _tokens(text):
        try:
            counts.append(max(int(token), 0))
        except ValueError:
            continue
    return min(counts) if counts else None


def _latest_reset(text: str | None) -> dt.datetime | None:
    """Return the latest unix time among the comma-separated values of ``text``."""
    times = []
    for token in _tokens(text):
        try:
            times.append(dt.datetime.fromtimestamp(float(token), tz=dt.UTC))
        except (ValueError, OverflowError, OSError):
            continue
    return max(times) if times else None


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
    """Return ``Retry-After`` in seconds, finite and clamped to 0 to 86400 (one day).

    Parameters
    ----------
    value : str or None
        The header: a number of seconds or an HTTP date.
    now : datetime.datetime, optional
        The time an HTTP date is measured from (now, by default).

    Returns
    -------
    float or None
        The seconds to wait, held to ``0 .. MAX_RETRY_AFTER`` (86400 s: the quota resets
        daily): ``1e20``, ``inf`` or a date in 2099 read as 86400, so the result can be
        slept on or added to a timestamp without overflow (issue 13). A negative number or
        a past date reads as 0. None when there is no header or it is neither form
        (``nan`` included).

    Examples
    --------
    >>> parse_retry_after("7"), parse_retry_after("1e20"), parse_retry_after("-4")
    (7.0, 86400.0, 0.0)
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        now = now or dt.datetime.now(dt.UTC)
        seconds = (when - now).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


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


def decode_success(response: httpx.Response, content: bytes, scrub: Scrubber) -> dict[str, Any]:
    """Decode a 2xx body (``content``, already scrubbed) as a JSON object, else SchemaError."""
    path = response.request.url.path
    try:
        payload = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        snippet = content[:80].decode("utf-8", "replace")
        raise SchemaError(
            scrub.text(
                f"the {response.status_code} response to {path} is not valid JSON ({exc}); "
                f"it starts {snippet!r} ({len(content)} bytes)"
            )
        ) from None
    if not isinstance(payload, dict):
        raise SchemaError(
            f"the response to {path} is JSON but not an object (got {type(payload).__name__})"
        )
    return payload


def error_status(body: Any, wire: int) -> int | None:
    """Return the status a 2xx body in the API's error shape stands for; None for a real body.

    The error shapes (API.md) are ``{status: "ERROR", error, message, ...}`` and the
    problem+json ``{title, status: 401, detail}``. A numeric ``status`` of 400 to 599 is
    taken as it is; with ``"ERROR"``, the ``error`` code picks it: ``tier_restricted`` 403,
    ``symbol_not_found`` 404, a key code (``unauthorized``, ``*_api_key``) 401, the
    parameter codes (``invalid_*``, ``bar_unavailable``, ...) 400, a quota body (``reset_at``,
    or a code naming a quota, a rate or a limit) 429. Any other code keeps ``wire``: it is
    still an error (:class:`~flowframe.APIStatusError`), never a payload.
    """
    if not isinstance(body, dict):
        return None
    status = body.get("status")
    if type(status) is int and 400 <= status <= 599 and body.keys() & {"title", "detail", "error"}:
        return status
    if not (isinstance(status, str) and status.strip().upper() == "ERROR"):
        return None
    raw_code = body.get("error")
    code = raw_code.strip().lower() if isinstance(raw_code, str) else ""
    if code == "tier_restricted":
        return 403
    if code == "symbol_not_found":
        return 404
    if code == "unauthorized" or code.endswith("api_key"):
        return 401
    if code in _BAD_REQUEST_CODES or code.startswith("invalid_"):
        return 400
    if "reset_at" in body or any(word in code for word in ("quota", "rate", "limit")):
        return 429
    return wire


def error_shape(content: bytes) -> Any:
    """Return the decoded body when a 2xx body may be an error shape; else None, undecoded.

    A body without a ``"status"`` key is never decoded here (the bytes route stays cheap);
    one that is not JSON is left to the reader, which says so.
    """
    if b'"status"' not in content:
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


def _decode_error_body(content: bytes, scrub: Scrubber) -> Any:
    try:
        return scrub.value(orjson.loads(content))
    except orjson.JSONDecodeError:
        return scrub.text(content.decode("utf-8", "replace"))


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
    content: bytes,
    scrub: Scrubber,
    *,
    retry_after: float | None = None,
    status: int | None = None,
) -> APIStatusError:
    """Map an error answer to the right exception: the one place statuses are read.

    Parameters
    ----------
    response : httpx.Response
        The answer (its status, request and headers).
    content : bytes
        Its body as read, already scrubbed.
    scrub : Scrubber
        Scrubs the decoded body and the message once more.
    retry_after : float, optional
        The parsed ``Retry-After`` (for a 429).
    status : int, optional
        The status the body stands for, when it differs from the HTTP one: a 2xx whose body
        is the API's error shape (:func:`error_status`) raises what that status would, and
        the message says which HTTP status it came with.

    Returns
    -------
    APIStatusError
        The subclass for the status (400, 401, 403, 404, 429, 5xx), else the base class.
    """
    wire = response.status_code
    status = wire if status is None else status
    body = _decode_error_body(content, scrub)
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
    if 200 <= wire <= 299:
        message = f"{message} (an error body sent with HTTP {wire})".lstrip()
    message = scrub.text(message)
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


def connection_error(
    exc: BaseException,
    request: _params.Request,
    scrub: Scrubber,
    *,
    total_timeout: float | None = None,
) -> APIConnectionError:
    """Build (not raise) the error for a failed attempt, its text scrubbed.

    ``total_timeout`` is set when the attempt's total deadline passed. The caller raises
    the result outside its ``except`` block and without ``from``: httpx's exception quotes
    server bytes (h11 puts a malformed status or header line in its text), so it must not
    ride along as ``__cause__`` or ``__context__``.
    """
    where = request.path
    if total_timeout is not None:
        return APITimeoutError(
            f"no response from {where} within total_timeout={total_timeout:g} s "
            "(connect, headers and body together)",
            method="GET",
            url=where,
        )
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"no response from {where} within the timeout ({type(exc).__name__})",
            method="GET",
            url=where,
        )
    text = " ".join(scrub.text(str(exc)).split())
    detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return APIConnectionError(f"connection to {where} failed: {detail}", method="GET", url=where)


def check_proxy(proxy: str | None, base_url: httpx.URL) -> str | None:
    """Accept an explicit proxy for an ``https://`` base URL only.

    Through a proxy an ``https://`` request is tunnelled (``CONNECT``, or SOCKS): the proxy
    sees the host and port, never the headers. An ``http://`` (loopback) request would be
    forwarded in clear text, key included, so it never goes through one.
    """
    if proxy is None:
        return None
    if not isinstance(proxy, str):
        raise ValueError(f"proxy={proxy!r} is not allowed; use a URL string or None")
    scheme = httpx.URL(proxy).scheme
    if scheme not in ("http", "https", "socks5", "socks5h"):
        raise ValueError(
            f"proxy scheme {scheme!r} is not allowed; use http://, https:// or socks5://"
        )
    if base_url.scheme != "https":
        raise ValueError(
            "proxy= is refused with an http:// base_url: the proxy would read the request, "
            "API key included, in clear text; a loopback base_url is reached directly"
        )
    return proxy


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
        total_timeout: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        proxy: str | None = None,
    ):
        if type(max_retries) is not int or max_retries < 0:
            raise ValueError(f"max_retries={max_retries!r} is not allowed; use an int >= 0")
        if type(timeout) not in (int, float) or not 0 < timeout < math.inf:
            raise ValueError(f"timeout={timeout!r} is not allowed; use seconds > 0")
        if type(max_retry_wait) not in (int, float) or not 0 <= max_retry_wait <= MAX_WAIT:
            raise ValueError(
                f"max_retry_wait={max_retry_wait!r} is not allowed; use seconds from 0 to "
                f"{MAX_WAIT:g}"
            )
        if total_timeout is None:
            total_timeout = TOTAL_TIMEOUT_FACTOR * timeout
        elif type(total_timeout) not in (int, float) or not 0 < total_timeout < math.inf:
            raise ValueError(
                f"total_timeout={total_timeout!r} is not allowed; use seconds > 0, or None "
                f"for {TOTAL_TIMEOUT_FACTOR:g} x timeout"
            )
        if type(max_response_bytes) is not int or max_response_bytes < 1:
            raise ValueError(
                f"max_response_bytes={max_response_bytes!r} is not allowed; use an int >= 1"
            )
        self._secret = Secret(resolve_api_key(api_key))
        self._scrub = Scrubber(self._secret)
        install_log_filter(self._scrub)
        self.base_url = check_base_url(base_url or DEFAULT_BASE_URL)
        self._proxy = check_proxy(proxy, self.base_url)
        self.timeout = float(timeout)
        self.total_timeout = float(total_timeout)
        self.max_response_bytes = max_response_bytes
        self.max_retries = max_retries
        self.max_retry_wait = float(max_retry_wait)
        self._rng = random.Random(seed)
        self._quota: Quota | None = None
        self.requests_sent = 0

    @property
    def quota(self) -> Quota | None:
        """The quota the responses' ``X-RateLimit-*`` headers state (None before any).

        Every answer's headers are folded in by :func:`merge_quota`: within one reset window
        the lowest ``remaining`` any answer stated, so answers arriving out of order (async
        calls in flight together) never raise it back.
        """
        return self._quota

    def _note_response(self, response: httpx.Response) -> None:
        quota = parse_quota(response.headers)
        if quota is not None:
            with _QUOTA_LOCK:  # a sync client shared by threads: one fold at a time
                self._quota = merge_quota(self._quota, quota)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self.base_url)!r}, api_key='***')"

    def _http_options(self) -> dict[str, Any]:
        """Return the settings of the owned httpx client (sync or async)."""
        return {
            "base_url": self.base_url,
            "timeout": self.timeout,
            "follow_redirects": False,  # a redirect must never carry the key elsewhere
            # never the environment's HTTP(S)_PROXY / ALL_PROXY / NO_PROXY or ~/.netrc: a
            # plain-HTTP proxy would read a loopback request, key included (issue 13)
            "trust_env": False,
            # the key goes in as the request is sent: no headers dict of flowframe or httpx
            # holds it, so a traceback that shows locals does not show it
            "auth": KeyAuth(self._secret),
            "headers": {
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Accept-Encoding": "gzip, deflate",  # what the capped reader decodes
            },
        }

    def _attempt_timeout(self, deadline: float, now: float) -> httpx.Timeout:
        """Each read, write, connect and pool wait: ``timeout``, or less when the deadline nears."""
        return httpx.Timeout(max(min(self.timeout, deadline - now), 0.001))

    def _clean(self, response: httpx.Response) -> None:
        """Scrub the key from the reason phrase and the headers, in place, before any use."""
        phrase = response.extensions.get("reason_phrase")
        if isinstance(phrase, bytes):
            response.extensions["reason_phrase"] = self._scrub.bytes(phrase)
        items = response.headers.multi_items()
        clean = [(k, self._scrub.text(v)) for k, v in items]
        if clean != items:
            response.headers = httpx.Headers(clean)

    def _on_response(
        self,
        response: httpx.Response,
        content: bytes,
        request: _params.Request,
        attempt: int,
        *,
        raw: bool,
    ) -> dict[str, Any] | bytes | float:
        """Return the payload (bytes with ``raw``) or the seconds before a retry; or raise.

        ``content`` is the body as read and scrubbed. A 2xx whose body is the API's error
        shape is an error like the status it stands for (:func:`error_status`).
        """
        self._note_response(response)  # again: harmless, the fold keeps the lowest
        status = response.status_code
        if response.is_success:
            if raw:
                meant = error_status(error_shape(content), status)
                if meant is None:
                    return content
            else:
                payload = decode_success(response, content, self._scrub)
                meant = error_status(payload, status)
                if meant is None:
                    return payload
            status = meant
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        decision = decide(
            attempt=attempt,
            max_retries=self.max_retries,
            max_retry_wait=self.max_retry_wait,
            rng=self._rng,
            status=status,
            retry_after=retry_after,
        )
        if not decision.retry:
            raise make_status_error(
                response, content, self._scrub, retry_after=retry_after, status=status
            )
        self._log_retry(request, str(status), decision.delay, attempt)
        return decision.delay

    def _exchange_error(
        self, exc: Exception, request: _params.Request, deadline: float
    ) -> tuple[APIConnectionError, str]:
        """Map a failed exchange to the client's error, and name what failed.

        A timeout at the attempt's total deadline (``total_timeout``) says so in the message;
        a per-read timeout before it does not. The error is built from scrubbed text.
        """
        late = isinstance(exc, TimeoutError | DeadlineExceeded) or (
            isinstance(exc, httpx.TimeoutException) and time.monotonic() >= deadline - 0.01
        )
        total = self.total_timeout if late else None
        error = connection_error(exc, request, self._scrub, total_timeout=total)
        return error, type(exc).__name__

    def _on_failure(
        self, error: APIConnectionError, why: str, request: _params.Request, attempt: int
    ) -> float:
        """Return the seconds to wait before a retry, or raise ``error`` when out of retries.

        Called outside any ``except`` block, so ``error`` carries no ``__context__``.
        """
        decision = decide(
            attempt=attempt,
            max_retries=self.max_retries,
            max_retry_wait=self.max_retry_wait,
            rng=self._rng,
            status=None,
            retry_after=None,
        )
        if not decision.retry:
            raise error
        self._log_retry(request, why, decision.delay, attempt)
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
