"""Keys, plans and daily quotas, as the hosted API enforces them (API.md: *Quotas*).

- A key's plan gates the endpoints: ``snapshot``, ``series`` and ``hedge-flow`` need Growth;
  ``heatmap``, ``strike-flow`` and the ``leaderboard`` need Alpha.
- Each key has a daily quota (Free 5, Basic 250, Growth 2,500, Alpha unlimited), one call one
  debit, reset at 00:00 UTC. Every answer to a known key carries ``X-RateLimit-Limit``,
  ``-Remaining`` and ``-Reset`` (unix seconds of the next reset); a call with none left gets
  the hosted 429 body and ``Retry-After`` (seconds to the reset).
- Keys are compared in constant time (:func:`hmac.compare_digest` against every key held, no
  early exit), and never logged, echoed or kept in a message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = ["PLAN_NAMES", "PLAN_QUOTA", "REQUIRED_PLAN", "Keys", "Verdict"]

#: Plans, lowest first.
PLAN_ORDER: Final = ("free", "basic", "growth", "alpha")
#: The name each plan has in the hosted bodies.
PLAN_NAMES: Final = {"free": "Free", "basic": "Basic", "growth": "Growth", "alpha": "Alpha"}
#: Daily calls per plan (None: unlimited).
PLAN_QUOTA: Final[dict[str, int | None]] = {
    "free": 5,
    "basic": 250,
    "growth": 2500,
    "alpha": None,
}
#: The lowest plan each endpoint serves.
REQUIRED_PLAN: Final = {
    "snapshot": "growth",
    "series": "growth",
    "hedge-flow": "growth",
    "heatmap": "alpha",
    "strike-flow": "alpha",
    "leaderboard": "alpha",
}


def _next_reset(now: dt.datetime) -> dt.datetime:
    day = now.astimezone(dt.UTC).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the key check decided for one call.

    ``status`` 0 lets the call through; otherwise it is the error status (401, 403, 429) with
    ``body``. ``headers`` are the quota headers to send either way (none for an unknown key).
    """

    status: int
    body: dict[str, Any] | None
    headers: dict[str, str]
    plan: str | None


class Keys:
    """The keys a server accepts, each with its plan, and their daily use.

    Parameters
    ----------
    plans : mapping of str to str, or None
        Key to plan (``free``, ``basic``, ``growth``, ``alpha``; any case). None accepts any
        non-empty key as Alpha (the default of ``flowframe serve``: a local server).
    now : callable, optional
        The wall clock (tz-aware), for the daily reset; tests inject one.
    """

    def __init__(
        self,
        plans: Mapping[str, str] | None = None,
        *,
        now: Callable[[], dt.datetime] | None = None,
    ):
        self._open = plans is None
        held: list[tuple[bytes, str]] = []
        given: Mapping[Any, Any] = plans or {}
        for i, (key, plan) in enumerate(given.items()):
            if not isinstance(key, str) or not key.strip() or key != key.strip():
                raise ValueError(
                    f"key #{i + 1}: a key must be a non-empty string without surrounding spaces"
                )
            name = str(plan).strip().lower() if isinstance(plan, str) else None
            if name not in PLAN_QUOTA:
                raise ValueError(
                    f"key #{i + 1}: plan={plan!r} is not allowed; use one of {list(PLAN_ORDER)}"
                )
            held.append((_digest(key.encode("utf-8", "surrogateescape")), name))
        self._held = held
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._used: dict[int, tuple[dt.date, int]] = {}  # key index -> (UTC day, calls)
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], **kwargs: Any) -> Keys:
        """Read a JSON object of key to plan (``{"k1": "growth", "k2": "alpha"}``)."""
        text = Path(path).read_text()
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(value, dict):
            raise ValueError(f"{path}: must hold a JSON object of key to plan")
        return cls(value, **kwargs)

    @property
    def open(self) -> bool:
        """True when any key is accepted (as Alpha)."""
        return self._open

    def __len__(self) -> int:
        return len(self._held)

    def __repr__(self) -> str:  # never the keys themselves
        if self._open:
            return "Keys(any key, as Alpha)"
        counts = {p: sum(1 for _, q in self._held if q == p) for p in PLAN_ORDER}
        listed = ", ".join(f"{n} {p}" for p, n in counts.items() if n)
        return f"Keys({len(self._held)} keys: {listed})"

    def _find(self, given: bytes) -> int | None:
        """Return the index of the key equal to ``given``, comparing with every key held.

        Digests of equal length are compared, so the time taken tells neither where a guess
        first differs nor how long the real keys are.
        """
        digest = _digest(given)
        found = None
        for i, (key, _) in enumerate(self._held):
            if hmac.compare_digest(key, digest) and found is None:
                found = i
        return found

    def check(self, key: str | None, endpoint: str) -> Verdict:
        """Authenticate a call, gate it by plan and debit the quota (see the module)."""
        if not key:
            return Verdict(401, _unauthorized("Missing API key."), {}, None)
        if self._open:
            return Verdict(0, None, _headers(None, None, self._now()), "alpha")
        index = self._find(key.encode("utf-8", "surrogateescape"))
        if index is None:
            return Verdict(401, _unauthorized("Invalid API key."), {}, None)
        plan = self._held[index][1]
        now = self._now()
        limit = PLAN_QUOTA[plan]
        with self._lock:
            day, used = self._used.get(index, (now.astimezone(dt.UTC).date(), 0))
            if day != now.astimezone(dt.UTC).date():
                day, used = now.astimezone(dt.UTC).date(), 0
            if limit is not None and used >= limit:
                headers = _headers(limit, 0, now)
                reset = _next_reset(now)
                headers["Retry-After"] = str(max(int((reset - now).total_seconds()), 1))
                return Verdict(429, _quota_exceeded(plan, limit, reset), headers, plan)
            used += 1
            self._used[index] = (day, used)
        remaining = None if limit is None else limit - used
        headers = _headers(limit, remaining, now)
        need = REQUIRED_PLAN[endpoint]
        if PLAN_ORDER.index(plan) < PLAN_ORDER.index(need):
            body = {
                "status": "ERROR",
                "error": "tier_restricted",
                "message": f"This endpoint requires the {PLAN_NAMES[need]} plan or higher.",
                "current_plan": PLAN_NAMES[plan],
                "required_plan": PLAN_NAMES[need],
            }
            return Verdict(403, body, headers, plan)
        return Verdict(0, None, headers, plan)


def _digest(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()


def _headers(limit: int | None, remaining: int | None, now: dt.datetime) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "unlimited" if limit is None else str(limit),
        "X-RateLimit-Remaining": "unlimited" if remaining is None else str(remaining),
        "X-RateLimit-Reset": str(int(_next_reset(now).timestamp())),
    }


def _unauthorized(detail: str) -> dict[str, Any]:
    return {"title": "Unauthorized", "status": 401, "detail": detail}


def _quota_exceeded(plan: str, limit: int, reset: dt.datetime) -> dict[str, Any]:
    higher = PLAN_ORDER[min(PLAN_ORDER.index(plan) + 1, len(PLAN_ORDER) - 1)]
    return {
        "status": "ERROR",
        "error": "Quota exceeded",
        "message": (
            f"You have exceeded your daily API quota of {limit} requests on the "
            f"{PLAN_NAMES[plan]} plan. Please upgrade to {PLAN_NAMES[higher]} for a higher limit."
        ),
        "current_plan": PLAN_NAMES[plan],
        "limit": limit,
        "upgrade_to": PLAN_NAMES[higher],
        "reset_at": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
