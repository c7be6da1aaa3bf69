"""Validate and normalise the parameters of the six endpoints, before anything is sent.

Every source (hosted or local) calls these, so a typo fails the same way everywhere: a
:class:`ValueError` naming the parameter, the value and what is allowed, and no request.

Clamping
--------
The server clamps ``minutes`` to 1..390 and ``n`` to 1..100. flowframe mirrors that on the
client for values *above* the range: the value sent is the clamped one, so the request, the
response and the frame's attrs agree, and a :class:`~flowframe.FlowframeWarning` says so (asking
for more than a session holds is a meaningful request: "all of it"). Values *below* 1 mean
nothing and raise :class:`ValueError`, as do booleans and every float (``60.0`` and
``np.float64(60.0)`` alike); integers are Python or numpy integers (``np.int64(60)``).

Symbols
-------
A symbol is 1 to 32 visible ASCII characters, checked on the characters given before they are
upper-cased (so ``"ß"``, ``"ſpy"`` or ``"ﬁ"``, which Python upper-cases to ASCII, are refused),
and not made only of dots: ``"."`` and ``".."`` are path segments an HTTP client would collapse.
"""

from __future__ import annotations

import datetime as dt
import numbers
import operator
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from flowframe._constants import (
    BARS,
    GRID_BARS,
    LEADERBOARD_METRICS,
    METRICS,
    MINUTES_RANGE,
    MODES,
    N_RANGE,
    ROUTE_PREFIX,
    SIDES,
)
from flowframe.errors import FlowframeWarning

__all__ = ["Request", "validate_choice", "validate_expiry", "validate_symbol"]

_SYMBOL_OK = re.compile(r"^[\x21-\x7e]{1,32}$")  # visible ASCII, no spaces, at most 32
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Request:
    """One validated endpoint call: the route, its escaped path and its query parameters."""

    endpoint: str
    path: str
    params: dict[str, str]
    symbol: str | None = None


def validate_symbol(symbol: object) -> str:
    """Return ``symbol`` trimmed and upper-cased, or raise ``ValueError``.

    The trimmed text must be 1 to 32 visible ASCII characters, checked before upper-casing
    (``"ß"``, ``"ſpy"`` and ``"ﬁ"`` upper-case to ASCII and are refused), and not only dots
    (``"."`` and ``".."`` are URL path segments an HTTP client collapses). A dot inside a
    symbol (``"BRK.B"``) is fine; ``"/"`` is escaped in the path.

    Raises
    ------
    ValueError
        Not a string, empty, or not a ticker by the rule above.

    Examples
    --------
    >>> validate_symbol(" spy ")
    'SPY'
    """
    if not isinstance(symbol, str):
        raise ValueError(f"symbol must be a string like 'SPY', got {type(symbol).__name__}")
    cleaned = symbol.strip()
    if not cleaned:
        raise ValueError("symbol must not be empty; pass a ticker with a 0DTE expiry like 'SPY'")
    # checked before upper-casing: "ß".upper() is "SS", "ſ".upper() is "S", "ﬁ".upper() is "FI"
    if not _SYMBOL_OK.fullmatch(cleaned):
        raise ValueError(
            f"symbol {symbol!r} is not a ticker: use 1 to 32 visible ASCII characters "
            "without spaces, like 'SPY' or 'ES=F'"
        )
    if not cleaned.strip("."):
        raise ValueError(
            f"symbol {symbol!r} is not a ticker: a symbol made only of dots would be read as a "
            "path segment ('.' or '..'); use letters, digits and punctuation, like 'SPY', "
            "'BRK.B' or 'ES=F'"
        )
    return cleaned.upper()


def validate_choice(value: object, allowed: Sequence[str], name: str) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError`` naming both.

    Examples
    --------
    >>> validate_choice("calls", ("all", "calls", "puts"), "side")
    'calls'
    """
    if isinstance(value, str) and value in allowed:
        return value
    listed = ", ".join(repr(a) for a in allowed)
    raise ValueError(f"{name}={value!r} is not allowed; use one of {listed}")


def validate_int(value: object, name: str, bounds: tuple[int, int]) -> int:
    """Return ``value`` as an int in ``bounds``, clamping above the range with a warning.

    A Python or numpy integer is accepted (``np.int64(60)`` reads as ``60``); a boolean and
    every float are refused, ``60.0`` and ``np.float64(60.0)`` alike.
    """
    lo, hi = bounds
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}={value!r} is not allowed; use a whole number from {lo} to {hi}")
    value = operator.index(value)  # a numpy integer as a Python int
    if value < lo:
        raise ValueError(f"{name}={value!r} is not allowed; use a whole number from {lo} to {hi}")
    if value > hi:
        warnings.warn(
            f"{name}={value} is above the server's limit; sending {name}={hi} "
            f"(the server clamps {name} to {lo}..{hi})",
            FlowframeWarning,
            stacklevel=4,
        )
        return hi
    return value


def validate_expiry(expiry: object) -> str | None:
    """Return ``expiry`` as ``YYYY-MM-DD`` (or None), or raise ``ValueError``.

    Accepts a :class:`datetime.date`, a datetime at midnight (a ``pd.Timestamp`` included),
    or a string ``YYYY-MM-DD`` naming a real date.
    """
    if expiry is None:
        return None
    if isinstance(expiry, dt.datetime):
        if expiry.time() != dt.time(0, 0):
            raise ValueError(
                f"expiry={expiry!r} carries a time of day; pass a date or a 'YYYY-MM-DD' string"
            )
        return expiry.date().isoformat()
    if isinstance(expiry, dt.date):
        return expiry.isoformat()
    if isinstance(expiry, str):
        text = expiry.strip()
        if _DATE_RE.match(text):
            try:
                return dt.date.fromisoformat(text).isoformat()
            except ValueError:
                pass
    raise ValueError(
        f"expiry={expiry!r} is not allowed; use a datetime.date or a 'YYYY-MM-DD' string"
    )


def _path(endpoint: str, symbol: str | None = None) -> str:
    if symbol is None:
        return f"{ROUTE_PREFIX}/{endpoint}"
    return f"{ROUTE_PREFIX}/{endpoint}/{quote(symbol, safe='')}"


def snapshot(symbol: object, *, expiry: object = None) -> Request:
    """Validate a ``snapshot`` call."""
    sym = validate_symbol(symbol)
    params = {}
    exp = validate_expiry(expiry)
    if exp is not None:
        params["expiry"] = exp
    return Request("snapshot", _path("snapshot", sym), params, sym)


def series(symbol: object, *, bar: object = "30s", minutes: object = 60) -> Request:
    """Validate a ``series`` call."""
    sym = validate_symbol(symbol)
    params = {
        "bar": validate_choice(bar, BARS, "bar"),
        "minutes": str(validate_int(minutes, "minutes", MINUTES_RANGE)),
    }
    return Request("series", _path("series", sym), params, sym)


def hedge_flow(
    symbol: object, *, side: object = "all", bar: object = "30s", minutes: object = 60
) -> Request:
    """Validate a ``hedge-flow`` call."""
    sym = validate_symbol(symbol)
    params = {
        "side": validate_choice(side, SIDES, "side"),
        "bar": validate_choice(bar, BARS, "bar"),
        "minutes": str(validate_int(minutes, "minutes", MINUTES_RANGE)),
    }
    return Request("hedge-flow", _path("hedge-flow", sym), params, sym)


def heatmap(
    symbol: object,
    *,
    metric: object = "gex",
    mode: object = "raw",
    bar: object = "1m",
    minutes: object = 60,
) -> Request:
    """Validate a ``heatmap`` call."""
    sym = validate_symbol(symbol)
    params = {
        "metric": validate_choice(metric, METRICS, "metric"),
        "mode": validate_choice(mode, MODES, "mode"),
        "bar": _grid_bar(bar, "heatmap"),
        "minutes": str(validate_int(minutes, "minutes", MINUTES_RANGE)),
    }
    return Request("heatmap", _path("heatmap", sym), params, sym)


def strike_flow(symbol: object, *, bar: object = "1m", minutes: object = 60) -> Request:
    """Validate a ``strike-flow`` call."""
    sym = validate_symbol(symbol)
    params = {
        "bar": _grid_bar(bar, "strike-flow"),
        "minutes": str(validate_int(minutes, "minutes", MINUTES_RANGE)),
    }
    return Request("strike-flow", _path("strike-flow", sym), params, sym)


def leaderboard(*, metric: object = "heat", n: object = 10) -> Request:
    """Validate a ``leaderboard`` call."""
    params = {
        "metric": validate_choice(metric, LEADERBOARD_METRICS, "metric"),
        "n": str(validate_int(n, "n", N_RANGE)),
    }
    return Request("leaderboard", _path("leaderboard"), params)


def _grid_bar(bar: object, endpoint: str) -> str:
    if bar in GRID_BARS:
        return str(bar)
    if bar in BARS:
        raise ValueError(f"bar={bar!r} is not allowed for {endpoint}; it serves bar='1m' only")
    return validate_choice(bar, GRID_BARS, "bar")


ENDPOINTS: Final = ("snapshot", "series", "hedge-flow", "heatmap", "strike-flow", "leaderboard")


def build(endpoint: object, symbol: object = None, **params: object) -> Request:
    """Return the validated request for ``endpoint`` (a name from :data:`ENDPOINTS`).

    ``symbol`` is required for every endpoint but the leaderboard, which takes none.
    """
    name = validate_choice(endpoint, ENDPOINTS, "endpoint")
    if name == "leaderboard":
        if symbol is not None:
            raise ValueError("the leaderboard takes no symbol (it ranks every symbol)")
        return leaderboard(**params)
    if symbol is None:
        raise ValueError(f"the {name} endpoint needs a symbol")
    builders: dict[str, Callable[..., Request]] = {
        "snapshot": snapshot,
        "series": series,
        "hedge-flow": hedge_flow,
        "heatmap": heatmap,
        "strike-flow": strike_flow,
    }
    try:
        return builders[name](symbol, **params)
    except TypeError as exc:  # an argument this endpoint does not take
        raise ValueError(f"{name}: {exc}") from None
