"""The ASGI application: the six routes of the hosted 0DTE flow API over any source.

``app(source, keys=None)`` is a Starlette application. Each request is checked as the hosted
API checks it (in this order):

1. the key (``X-Api-Key``): a missing or unknown key gets the 401 problem+json body;
2. the daily quota (one call, one debit): none left gets the 429 body and ``Retry-After``;
3. the plan: an endpoint above the key's plan gets the 403 ``tier_restricted`` body naming
   the current and required plans;
4. the parameters: the documented 400 bodies (``invalid_side``, ``invalid_bar``,
   ``invalid_metric``, ``invalid_mode``, ``bar_unavailable``, ``invalid_expiry``);
   ``minutes`` is clamped to 1..390 and ``n`` to 1..100; the symbol is trimmed and
   upper-cased. A ``minutes`` or ``n`` that is not an integer at all has no documented
   answer: it gets a 400 of the same shape (``invalid_minutes``, ``invalid_n``) rather than
   a guess.

Then the source answers, and the body is its payload serialised with orjson (or its bytes,
for a source that hands over bytes: a replay serves the recorded bytes). An unknown symbol
gets the source's answer: empty bars, or the 404 ``symbol_not_found`` from the snapshot. A
replay asked for something it did not record answers 404 ``not_recorded`` (flowframe's own
error code, the message saying what the recording holds). A path outside the six routes gets
a JSON 404 ``not_found``, another method than GET a JSON 405 ``method_not_allowed``. Every
answer to a known key carries the quota headers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from typing import Any, Final

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowframe import _params
from flowframe._constants import (
    BARS,
    ENDPOINT_METHODS,
    GRID_BARS,
    LEADERBOARD_METRICS,
    METRICS,
    MINUTES_RANGE,
    MODES,
    N_RANGE,
    ROUTE_PREFIX,
    SIDES,
)
from flowframe.errors import APIStatusError
from flowframe.serve._keys import Keys
from flowframe.sources.engine.clock import SessionClock

__all__ = ["app"]

logger = logging.getLogger("flowframe.serve")

_SYMBOL_ENDPOINTS: Final = ("snapshot", "series", "hedge-flow", "heatmap", "strike-flow")
_DEFAULT_BAR: Final = {"series": "30s", "hedge-flow": "30s", "heatmap": "1m", "strike-flow": "1m"}
JSON: Final = "application/json; charset=utf-8"
#: Bytes of answers a server keeps for a source on a frozen clock (see ``app``).
CACHE_BYTES: Final = 64 * 2**20
PROBLEM: Final = "application/problem+json; charset=utf-8"


class _BadParam(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.body = {"error": code, "message": message}


def _choice(
    q: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...], code: str
) -> str:
    value = q.get(name, default)
    if value not in allowed:
        raise _BadParam(code, f"{name} must be {'|'.join(allowed)}")
    return value


def _clamped(q: Mapping[str, str], name: str, default: int, bounds: tuple[int, int]) -> int:
    text = q.get(name)
    if text is None:
        return default
    try:
        value = int(text.strip())
    except ValueError:
        lo, hi = bounds
        raise _BadParam(
            f"invalid_{name}", f"{name} must be an integer (clamped to {lo}..{hi})"
        ) from None
    return min(max(value, bounds[0]), bounds[1])


def parse(endpoint: str, q: Mapping[str, str]) -> dict[str, Any]:
    """Return the keyword arguments of the source method, or raise ``_BadParam``."""
    if endpoint == "snapshot":
        expiry = q.get("expiry")
        if expiry is None or expiry == "":
            return {}
        try:
            return {"expiry": _params.validate_expiry(expiry)}
        except ValueError:
            raise _BadParam("invalid_expiry", "expiry must be a date as YYYY-MM-DD") from None
    if endpoint == "leaderboard":
        return {
            "metric": _choice(q, "metric", "heat", LEADERBOARD_METRICS, "invalid_metric"),
            "n": _clamped(q, "n", 10, N_RANGE),
        }
    kwargs: dict[str, Any] = {}
    if endpoint == "hedge-flow":
        kwargs["side"] = _choice(q, "side", "all", SIDES, "invalid_side")
    if endpoint in ("series", "hedge-flow"):
        kwargs["bar"] = _choice(q, "bar", "30s", BARS, "invalid_bar")
    else:
        if endpoint == "heatmap":
            kwargs["metric"] = _choice(q, "metric", "gex", METRICS, "invalid_metric")
            kwargs["mode"] = _choice(q, "mode", "raw", MODES, "invalid_mode")
        bar = q.get("bar", "1m")
        if bar not in GRID_BARS:
            raise _BadParam("bar_unavailable", f"{endpoint} serves bar=1m only")
        kwargs["bar"] = bar
    kwargs["minutes"] = _clamped(q, "minutes", 60, MINUTES_RANGE)
    return kwargs


class _Answers:
    """Answers (status, body) by key, least recently used dropped beyond ``size`` bytes.

    Used from the event loop only (one request at a time), so it needs no lock.
    """

    def __init__(self, size: int):
        self.size = max(int(size), 0)
        self.held = 0
        self._items: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()

    def get(self, key: Hashable) -> tuple[int, bytes] | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: Hashable, value: tuple[int, bytes]) -> None:
        if len(value[1]) > self.size:
            return
        self._items[key] = value
        self.held += len(value[1])
        while self.held > self.size:
            _, (_, body) = self._items.popitem(last=False)
            self.held -= len(body)


def _symbol(raw: str) -> str:
    return raw.strip().upper()


def _response(status: int, body: bytes, headers: Mapping[str, str], media: str = JSON) -> Response:
    return Response(body, status_code=status, headers=dict(headers), media_type=media)


def app(
    source: Any = None,
    keys: Keys | Mapping[str, str] | None = None,
    *,
    warm: bool = True,
    now: Callable[[], dt.datetime] | None = None,
    cache_bytes: int = CACHE_BYTES,
) -> Starlette:
    """Return the ASGI application serving the six routes from ``source``.

    Parameters
    ----------
    source : Source, optional
        Anything with the six ``get_*`` methods: ``ff.Simulated`` (the default: today's
        simulated session, seed 0, at the wall clock), ``ff.Local``, ``ff.Replay``, yours.
    keys : Keys or mapping of key to plan, optional
        The keys accepted and their plans (``free``, ``basic``, ``growth``, ``alpha``).
        None accepts any non-empty key as Alpha.
    warm : bool, default True
        Compute every symbol's session when the server starts (``source.symbols``), so no
        request waits for it and concurrent first requests do not compute it twice.
    now : callable, optional
        The wall clock for the quotas' daily reset (tests inject one).
    cache_bytes : int, default 64 MiB
        Keep answers up to this many bytes (the least recently used go first), by request
        and clock time, for a source on a frozen :class:`~flowframe.SessionClock` (a
        simulated moment, a past day, a replay): its answer to the same request at the same
        time is the same, so it is computed once. A running clock, or a source without a
        ``SessionClock`` (your own, the hosted client), is asked every time. 0 turns it off.

    Returns
    -------
    starlette.applications.Starlette
        Mount it in your own server, or run it with uvicorn (``flowframe serve`` does).
    """
    if source is None:
        from flowframe.sources.engine.simulated import Simulated

        source = Simulated(seed=0)
    held = keys if isinstance(keys, Keys) else Keys(keys, now=now)
    raw_source = callable(getattr(source, "get_raw", None))
    clock = getattr(source, "clock", None)
    cache = _Answers(cache_bytes if isinstance(clock, SessionClock) else 0)

    def answer(endpoint: str, symbol: str | None, kwargs: dict[str, Any]) -> tuple[int, bytes]:
        if not cache.size or clock is None or clock.running:
            return compute(endpoint, symbol, kwargs)
        key = (endpoint, symbol, tuple(sorted(kwargs.items())), clock.now())
        found = cache.get(key)
        if found is None:
            found = compute(endpoint, symbol, kwargs)
            cache.put(key, found)
        return found

    def compute(endpoint: str, symbol: str | None, kwargs: dict[str, Any]) -> tuple[int, bytes]:
        try:
            if raw_source:
                return 200, bytes(source.get_raw(endpoint, symbol, **kwargs))
            method = getattr(source, ENDPOINT_METHODS[endpoint])
            payload = method(**kwargs) if symbol is None else method(symbol, **kwargs)
            return 200, orjson.dumps(payload)
        except APIStatusError as exc:
            return exc.status_code, orjson.dumps(exc.body or {"message": str(exc)})
        except LookupError as exc:  # a replay asked for what it did not record
            if type(exc).__name__ != "ReplayError":
                raise
            return 404, orjson.dumps({"error": "not_recorded", "message": str(exc)})
        except ValueError:  # a symbol flowframe cannot even read: unknown
            if symbol is None:
                raise
            message = f"No data for {symbol}."
            return 404, orjson.dumps({"error": "symbol_not_found", "message": message})

    async def route(request: Request) -> Response:
        endpoint = request.path_params.get("endpoint", "leaderboard")
        if endpoint not in ENDPOINT_METHODS:
            missing = {"error": "not_found", "message": f"no route {ROUTE_PREFIX}/{endpoint}"}
            return _response(404, orjson.dumps(missing), {})
        verdict = held.check(request.headers.get("x-api-key"), endpoint)
        if verdict.status:
            media = PROBLEM if verdict.status == 401 else JSON
            return _response(verdict.status, orjson.dumps(verdict.body), verdict.headers, media)
        try:
            kwargs = parse(endpoint, request.query_params)
        except _BadParam as exc:
            return _response(400, orjson.dumps(exc.body), verdict.headers)
        symbol = None
        if endpoint != "leaderboard":
            symbol = _symbol(request.path_params["symbol"])
            if not symbol:
                empty = {"error": "symbol_not_found", "message": "No data for ."}
                return _response(404, orjson.dumps(empty), verdict.headers)
        status, body = answer(endpoint, symbol, kwargs)
        return _response(status, body, verdict.headers)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if warm:
            for sym in getattr(source, "symbols", ()) or ():
                try:
                    answer("series", sym, {"bar": "30s", "minutes": 1})
                except Exception:  # an optimisation only: the first request will say what fails
                    logger.info("flowframe.serve: warming %s failed", sym, exc_info=True)
        yield

    routes = [
        Route(f"{ROUTE_PREFIX}/leaderboard", route, methods=["GET"]),
        Route(f"{ROUTE_PREFIX}/{{endpoint}}/{{symbol:path}}", route, methods=["GET"]),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        body = {"error": "not_found", "message": f"no route {request.url.path}"}
        return _response(404, orjson.dumps(body), {})

    async def not_allowed(request: Request, exc: Exception) -> Response:
        body = {"error": "method_not_allowed", "message": "every route answers GET only"}
        return _response(405, orjson.dumps(body), {"Allow": "GET"})

    application = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: not_allowed},
    )
    application.router.redirect_slashes = False  # a redirect would cost the client a call
    application.state.source = source
    application.state.keys = held
    return application
