"""Many sessions and symbols as one labelled cube: :func:`sessions`.

Each (session, symbol) pair is one task: build that day's source, load its hedge-flow (calls,
puts, all), its series and, on request, its strike x time heatmaps for the whole session, and
lay them on a grid of minutes since the open (heatmaps also on an axis of listed strikes counted
from the day's at-the-money strike). Tasks run on Dask: the threaded scheduler by default, a
two-process ``distributed.LocalCluster`` with ``parallel=True``, or the caller's
``distributed.Client``. Dask, distributed and tqdm are imported inside the functions that use
them (DESIGN.md: they load on first use).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import xarray as xr

from flowframe import _params
from flowframe._constants import METRICS, SERIES_FLOAT_COLUMNS
from flowframe._session import early_close, is_session_day, session_bounds, session_minutes

if TYPE_CHECKING:
    from distributed import Client

    from flowframe.sources.base import Source
    from flowframe.store import Store

__all__ = [
    "HEATMAP_METRICS",
    "HEDGE_VARIABLES",
    "SERIES_VARIABLES",
    "STRIKE_AXIS",
    "VARIABLE_UNITS",
    "sessions",
]

#: Bar sizes :func:`sessions` accepts, in minutes (30-second bars have no whole-minute label).
BAR_MINUTES: Final = {"1m": 1, "5m": 5, "15m": 15}
#: Minutes in a regular session (09:30-16:00 ET); the ``minute`` axis always spans it.
FULL_SESSION: Final = 390

#: Hedge-flow variables: the per-bar values of each leg (``side="split"``).
HEDGE_VARIABLES: Final = ("hedge_all", "hedge_calls", "hedge_puts")
_HEDGE_COLUMNS: Final = {"hedge_all": "bar", "hedge_calls": "calls_bar", "hedge_puts": "puts_bar"}
#: Series variables: the numeric (float64) fields of :func:`flowframe.series`, in its order.
SERIES_VARIABLES: Final = SERIES_FLOAT_COLUMNS
_PRICE: Final = "USD (underlying price)"
_FLOW_BAR: Final = "USD (signed dealer hedge delta-dollars per bar, + = dealers buy)"
# (no word "since" in a unit: xarray/CF readers would decode the variable as time)
_FLOW_CUM: Final = "USD (signed dealer hedge delta-dollars, cumulative from the open)"
#: ``attrs["units"]`` of every variable.
VARIABLE_UNITS: Final = {
    "hedge_all": _FLOW_BAR,
    "hedge_calls": _FLOW_BAR,
    "hedge_puts": _FLOW_BAR,
    "spot": _PRICE,
    "net_gex": "USD per 1% move (dealer gamma exposure)",
    "net_dex": "USD (dealer delta exposure)",
    "gamma_flip": _PRICE,
    "call_wall": _PRICE,
    "put_wall": _PRICE,
    "magnet": _PRICE,
    "pin_score": "score from 0 to 100",
    "pin_probability_pct": "percent (0-100)",
    "atm_iv": "decimal fraction (0.123 = 12.3%)",
    "charm_dollars_per_hour": "USD of delta per hour (dealer charm)",
    "hedge_flow_call_cumulative": _FLOW_CUM,
    "hedge_flow_put_cumulative": _FLOW_CUM,
    "hedge_flow_cumulative_all": _FLOW_CUM,
}
_ALL_VARIABLES: Final = HEDGE_VARIABLES + SERIES_VARIABLES
#: Heatmap metrics ``heatmaps=`` accepts; each gives the variable ``f"heatmap_{metric}"``.
HEATMAP_METRICS: Final = METRICS
#: How the heatmaps' strike axis is built (also ``ds.attrs["strike_axis"]`` with heatmaps).
STRIKE_AXIS: Final = (
    "strike_offset counts listed strikes from the day's at-the-money strike (the listed strike "
    "nearest the spot of the first bar; a tie goes to the lower strike): 0 is that strike, "
    "+k the k-th listed strike above it, -k the k-th below; coordinate strike holds the exact "
    "strike of every (session, symbol, strike_offset), NaN where that day lists no such strike "
    "(then every heatmap value there is NaN too, never 0)"
)
_STRIKE_UNITS: Final = "USD (the listed strike; NaN: no such strike listed that day)"
#: How a session shorter than the regular one is laid on the ``minute`` axis.
PADDING: Final = "NaN after the close: an early-close session (210 minutes) is NaN-padded to 390"

SourceSpec = int | Callable[[dt.date], Any]


def _result_name(bar: str) -> str:
    return f"sessions-{bar}"


def _describe(source: object) -> str:
    """Name a source spec for attrs and cache params (stable across processes)."""
    if isinstance(source, int):
        return f"Simulated(seed={source})"
    if _is_store(source):
        return f"Store({str(source.path)!r})"  # type: ignore[attr-defined]
    func = getattr(source, "func", None)  # functools.partial
    if func is not None:
        args = ", ".join(repr(a) for a in getattr(source, "args", ()))
        return f"{_describe(func)}({args})"
    module = getattr(source, "__module__", None) or type(source).__module__
    qualname = getattr(source, "__qualname__", None) or type(source).__qualname__
    return f"{module}:{qualname}"


def _is_store(obj: object) -> bool:
    from flowframe.store import Store

    return isinstance(obj, Store)


def _source_for(spec: Any, symbol: str, day: dt.date) -> Source:
    """Build the source one task reads: seed, callable ``date -> source`` or a Store."""
    close = session_bounds(day)[1]
    if isinstance(spec, int):
        from flowframe.sources.engine.simulated import Simulated

        return Simulated(seed=spec, date=day, now=close)
    if _is_store(spec):
        from flowframe.sources.engine.local import Local

        try:
            market = spec.read_market(symbol, day)
        except FileNotFoundError:  # no inputs stored: replay the recorded bodies, if any
            from flowframe.research.replay import Replay

            return Replay(spec, date=day, now=close)
        return Local.from_market(market, now=close)
    src: Source = spec(day)
    return src


def _heatmap_variable(metric: str) -> str:
    return f"heatmap_{metric}"


def _since_open(times: Any, opening: pd.Timestamp) -> np.ndarray:
    """Whole minutes from ``opening`` to each time (tz-aware, or naive UTC as in a heatmap)."""
    index = pd.DatetimeIndex(times)
    if index.tz is None:
        index = index.tz_localize("UTC")
    since: np.ndarray = np.asarray((index - opening) // pd.Timedelta(minutes=1))
    return since


def _heatmap_cubes(
    src: Source,
    symbol: str,
    minutes: int,
    opening: pd.Timestamp,
    grid: np.ndarray,
    metrics: Sequence[str],
) -> tuple[dict[str, tuple[np.ndarray, str]], np.ndarray, np.ndarray]:
    """One day's heatmaps on ``(minute, strike_offset)``: values and units, offsets, strikes."""
    from flowframe.frames.loaders import heatmap

    maps = [heatmap(symbol, metric=m, bar="1m", minutes=minutes, source=src) for m in metrics]
    listed = [np.asarray(m["strike"].to_numpy(), dtype=np.float64) for m in maps]
    strikes = np.unique(np.concatenate(listed))
    strikes = strikes[np.isfinite(strikes)]
    first = maps[0]
    spots = np.asarray(first["spot"].to_numpy() if "spot" in first.coords else [], np.float64)
    finite = [float(x) for x in spots if np.isfinite(x)]
    spot = finite[0] if finite else first.attrs.get("underlying_price")
    if len(strikes) and not isinstance(spot, int | float):
        raise ValueError(
            f"heatmaps: {symbol} on {opening.date()} has no spot to find the at-the-money "
            "strike (the heatmap's spot and underlying_price are null)"
        )
    atm = int(np.argmin(np.abs(strikes - float(spot or 0.0)))) if len(strikes) else 0
    offsets = np.arange(len(strikes), dtype=np.int64) - atm
    cubes: dict[str, tuple[np.ndarray, str]] = {}
    for metric, da, columns in zip(metrics, maps, listed, strict=True):
        frame = pd.DataFrame(
            np.asarray(da.to_numpy(), dtype=np.float64),
            index=_since_open(da["bar"].to_numpy(), opening),
            columns=columns,
        )
        values = frame.reindex(index=grid, columns=strikes).to_numpy(dtype=np.float64)
        cubes[metric] = (values, str(da.attrs.get("units", "")))
    return cubes, offsets, strikes


def session_task(
    spec: Any, symbol: str, date: str, bar: str, heatmaps: Sequence[str] = ()
) -> xr.Dataset:
    """Compute one (session, symbol) pair on the ``minute`` grid (the unit of work).

    Parameters
    ----------
    spec : int, callable or Store
        The ``source`` given to :func:`sessions`.
    symbol : str
        The symbol (validated).
    date : str
        The session date, ISO ``YYYY-MM-DD`` (a session day).
    bar : {"1m", "5m", "15m"}
        Bar size.
    heatmaps : sequence of str, default ()
        Metrics of :data:`HEATMAP_METRICS` to add as ``heatmap_<metric>`` (``bar="1m"``).

    Returns
    -------
    xarray.Dataset
        Every variable of :data:`HEDGE_VARIABLES` and :data:`SERIES_VARIABLES`, float64 on
        dim ``minute`` (int64, minutes since the open of each bar's start, ``0`` to
        ``390 - step``), NaN where the session has no bar (after an early close); units in
        each variable's attrs. Each heatmap is float64 on ``(minute, strike_offset)`` with
        coordinate ``strike`` (float64, along ``strike_offset``; see :data:`STRIKE_AXIS`).
    """
    from flowframe.frames.loaders import hedge_flow, series

    day = dt.date.fromisoformat(date)
    step = BAR_MINUTES[bar]
    minutes = session_minutes(day)
    opening = session_bounds(day)[0]
    src = _source_for(spec, symbol, day)
    flow = hedge_flow(symbol, side="split", bar=bar, minutes=minutes, source=src)
    table = series(symbol, bar=bar, minutes=minutes, source=src)
    grid = np.arange(0, FULL_SESSION, step, dtype=np.int64)

    def on_grid(frame: pd.DataFrame, column: str) -> np.ndarray:
        since = _since_open(frame.index, opening)
        values = pd.Series(frame[column].to_numpy(dtype=np.float64), index=since)
        out: np.ndarray = values.reindex(grid).to_numpy(dtype=np.float64)
        return out

    data: dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, str]]] = {}
    for name, column in _HEDGE_COLUMNS.items():
        data[name] = (("minute",), on_grid(flow, column), {"units": VARIABLE_UNITS[name]})
    for name in SERIES_VARIABLES:
        data[name] = (("minute",), on_grid(table, name), {"units": VARIABLE_UNITS[name]})
    coords: dict[str, Any] = {"minute": grid}
    if heatmaps:
        cubes, offsets, strikes = _heatmap_cubes(src, symbol, minutes, opening, grid, heatmaps)
        for metric, (values, units) in cubes.items():
            data[_heatmap_variable(metric)] = (
                ("minute", "strike_offset"),
                values,
                {"units": units},
            )
        coords["strike_offset"] = offsets
        coords["strike"] = ("strike_offset", strikes, {"units": _STRIKE_UNITS})
    return xr.Dataset(
        data,
        coords=coords,
        attrs={"symbol": symbol, "date": date, "bar_size": bar, "session_minutes": minutes},
    )


def _dates(dates: object) -> list[dt.date]:
    items: Iterable[object]
    if isinstance(dates, str | dt.date | pd.Timestamp):
        items = [dates]
    elif isinstance(dates, Iterable):
        items = dates
    else:
        raise ValueError(f"dates={dates!r} is not allowed; use a date or a sequence of dates")
    days: list[dt.date] = []
    for item in items:
        try:
            stamp = pd.Timestamp(item)  # type: ignore[arg-type]
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"dates: {item!r} is not a date; use 'YYYY-MM-DD', datetime.date or Timestamp"
            ) from err
        day = stamp.date()
        if not is_session_day(day):
            raise ValueError(
                f"dates: {day.isoformat()} has no session (weekend or exchange holiday); "
                "use session days only"
            )
        days.append(day)
    if not days:
        raise ValueError("dates is empty; give at least one session day")
    if len(set(days)) != len(days):
        raise ValueError(f"dates has duplicates: {[d.isoformat() for d in days]}")
    return days


def _symbols(symbols: object) -> list[str]:
    items = [symbols] if isinstance(symbols, str) else symbols
    if not isinstance(items, Iterable):
        raise ValueError(f"symbols={symbols!r} is not allowed; use a str or a sequence of str")
    out = [_params.validate_symbol(s) for s in items]
    if not out:
        raise ValueError("symbols is empty; give at least one symbol")
    if len(set(out)) != len(out):
        raise ValueError(f"symbols has duplicates: {out}")
    return out


def _fields(fields: Sequence[str] | None) -> list[str]:
    if fields is None:
        return list(_ALL_VARIABLES)
    wanted = [fields] if isinstance(fields, str) else list(fields)
    unknown = [f for f in wanted if f not in _ALL_VARIABLES]
    if unknown or not wanted:
        raise ValueError(
            f"fields={wanted!r} is not allowed: {unknown or 'empty'}; "
            f"use a non-empty subset of {list(_ALL_VARIABLES)}"
        )
    return wanted


def _heatmaps(heatmaps: str | Sequence[str] | None, bar: str) -> list[str]:
    if heatmaps is None:
        return []
    wanted = [heatmaps] if isinstance(heatmaps, str) else list(heatmaps)
    unknown = [m for m in wanted if m not in HEATMAP_METRICS]
    if unknown:
        raise ValueError(
            f"heatmaps={wanted!r} is not allowed: {unknown}; use a subset of "
            f"{list(HEATMAP_METRICS)}"
        )
    if len(set(wanted)) != len(wanted):
        raise ValueError(f"heatmaps has duplicates: {wanted}")
    if wanted and bar != "1m":
        raise ValueError(
            f"heatmaps need bar='1m', not bar={bar!r}: the heatmap serves 1-minute bars only"
        )
    return wanted


def _cached(
    store: Store, name: str, symbol: str, day: dt.date, params: Mapping[str, Any]
) -> list[str] | None:
    """Say which heatmaps a stored pair holds if its bar and source match, else None.

    A manifest without ``heatmaps`` (written before heatmaps existed) holds none.
    """
    try:
        manifest = store.manifest("results", symbol, day, name=name)
    except FileNotFoundError:
        return None
    held = manifest.get("params") or {}
    if manifest.get("type") != "Dataset" or any(
        held.get(k) != params[k] for k in ("bar", "source")
    ):
        return None
    return [m for m in HEATMAP_METRICS if m in (held.get("heatmaps") or [])]


def _stack(rows: list[list[Any]]) -> Any:
    """Stack a (session x symbol) grid of arrays: numpy, or dask when any of them is."""
    if not any(hasattr(a, "dask") for row in rows for a in row):
        return np.stack([np.stack(row) for row in rows]).astype(np.float64, copy=False)
    import dask.array as _darray

    darray: Any = _darray
    cube = darray.stack([darray.stack(row) for row in rows]).astype(np.float64, copy=False)
    # one chunk per pair: Zarr (ds.to_zarr, store.write_result) needs uniform chunks, and
    # reindexing a pair's strike_offset splits its chunk where it adds NaN
    return cube.rechunk(dict.fromkeys(range(2, cube.ndim), -1))


def _run(
    tasks: list[tuple[str, dt.date, tuple[str, ...]]],
    spec: Any,
    bar: str,
    parallel: bool,
    client: Client | None,
    progress: bool,
) -> list[xr.Dataset]:
    """Run one task per (symbol, date, heatmaps) on Dask; results in the order of ``tasks``."""
    import dask as _dask

    dask: Any = _dask  # dask and distributed are untyped: keep their calls out of strict mypy

    def delayed() -> list[Any]:
        task = dask.delayed(session_task, pure=False)
        return [task(spec, sym, day.isoformat(), bar, maps) for sym, day, maps in tasks]

    if client is None and not parallel:
        # the threaded scheduler, unless the caller set another one in dask.config
        # (dask.config.set(scheduler="synchronous") runs the tasks one by one, in order)
        scheduler = dask.config.get("scheduler", None) or "threads"
        if not progress:
            return list(dask.compute(*delayed(), scheduler=scheduler))
        from dask.callbacks import Callback
        from tqdm.auto import tqdm  # type: ignore[import-untyped]

        with tqdm(total=len(tasks), desc="sessions") as bar_:

            class _Tick(Callback):
                def _posttask(self, *args: object) -> None:
                    bar_.update(1)

            tick: Any = _Tick
            with tick():
                return list(dask.compute(*delayed(), scheduler=scheduler))

    import distributed as _distributed

    dist: Any = _distributed

    def on(user: Any) -> list[xr.Dataset]:
        futures = user.compute(delayed())
        if progress:
            from tqdm.auto import tqdm

            with tqdm(total=len(futures), desc="sessions") as bar_:
                for _ in dist.as_completed(futures):
                    bar_.update(1)
        gathered: list[xr.Dataset] = user.gather(futures)
        return gathered

    if client is not None:
        return on(client)
    # distributed's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536; a fixed threshold
    # turns off glibc's dynamic one, so every large array these tasks allocate goes through
    # mmap / munmap (system time several times higher, tasks slower); unset (None) for ours
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", None) or {})
    environ["MALLOC_TRIM_THRESHOLD_"] = None
    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ": environ}),
        dist.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        dist.Client(cluster) as own,
    ):
        return on(own)


def sessions(
    symbols: str | Sequence[str],
    dates: object,
    *,
    source: SourceSpec | Store,
    bar: str = "1m",
    fields: Sequence[str] | None = None,
    heatmaps: str | Sequence[str] | None = None,
    store: Store | None = None,
    lazy: bool | None = None,
    parallel: bool = False,
    client: Client | None = None,
    progress: bool | None = None,
) -> xr.Dataset:
    """Load hedge-flow, series and heatmaps for many sessions and symbols as one Dataset.

    Each (session, symbol) pair is one Dask task that builds that day's source, loads
    :func:`flowframe.hedge_flow` (``side="split"``), :func:`flowframe.series` and, on request,
    :func:`flowframe.heatmap` over the whole session, and lays the bars on a grid of minutes
    since the open.

    Parameters
    ----------
    symbols : str or sequence of str
        Symbols (trimmed and upper-cased; no duplicates).
    dates : date-like or sequence of date-like
        Session dates (``"YYYY-MM-DD"``, ``datetime.date`` or ``pandas.Timestamp``), ET, in
        the order wanted on the ``session`` axis. A date without a session on the exchange
        calendar (weekend, holiday) raises ``ValueError`` naming it: nothing is skipped
        silently.
    source : int, callable or Store
        Where each session comes from. An int is a seed: ``ff.Simulated(seed=source,
        date=d, now=<d's close>)``. A callable ``date -> source`` (a ``datetime.date`` in,
        anything with the six endpoint methods out, clock at or after the close) is called
        once per task, so it must be picklable (a module-level function or a
        ``functools.partial`` of one) for a cluster. An ``ff.Store`` gives, per (symbol,
        date), ``ff.Local.from_market(store.read_market(symbol, d), now=<d's close>)`` when it
        holds that market's inputs, else ``ff.Replay(store, date=d, now=<d's close>)``: the
        day's recorded bodies (``ff.record``), which must hold the series at 1 minute or finer
        from the open (a heatmap asked for must have been recorded too).
    bar : {"1m", "5m", "15m"}, default "1m"
        Bar size.
    fields : sequence of str, optional
        Variables to keep (default: all of :data:`HEDGE_VARIABLES` then
        :data:`SERIES_VARIABLES`).
    heatmaps : str or sequence of str, optional
        Heatmap metrics of :data:`HEATMAP_METRICS` (``"gex"``, ``"dex"``, ``"vex"``,
        ``"chex"``, ``"oi"``, ``"signed_flow"``) to add, each as the variable
        ``heatmap_<metric>`` on ``(session, symbol, minute, strike_offset)``: the day's
        ``ff.heatmap(symbol, metric=..., mode="raw")`` over the whole session (needs
        ``bar="1m"``). Default: none (nothing is computed for them).
    store : Store, optional
        Cache: each pair is written with ``store.write_result(name=f"sessions-{bar}", ...)``
        (params ``{"bar", "source", "heatmaps"}``, all variables, whatever ``fields``) and
        read back on later calls instead of being computed, when ``bar`` and ``source`` match
        and it holds every heatmap asked for (a pair cached with ``heatmaps=["gex", "dex"]``
        serves a call with ``["gex"]`` or none; one cached without heatmaps is computed again
        for a call with heatmaps, then with those it held as well).
    lazy : bool, optional
        Open the cached pairs lazily (``store.read_result(..., lazy=True)``): the variables
        come back dask-backed and nothing is read until ``.load()``, ``.compute()`` or
        ``.values``; pairs computed in this call are in memory and stacked with them. Default:
        lazy when ``store`` is given. ``lazy=True`` without a store raises ``ValueError``. A
        lazy result reads the store's files when computed: rewrite those pairs (another
        ``source`` for the same ``bar``) before then and it reads the new values.
    parallel : bool, default False
        Run on a fresh ``distributed.LocalCluster`` (2 worker processes, 1 thread each,
        bound to 127.0.0.1, no dashboard), closed afterwards. Its workers start without
        distributed's ``MALLOC_TRIM_THRESHOLD_=65536``: glibc keeps its dynamic threshold,
        whereas a fixed one sends every large array the tasks allocate through mmap / munmap
        (the same run took 1.2x to 2.3x as long in ``tests/bench/bench_sessions.py``); freed
        memory goes back to the system later, the peak is about the same. False: Dask's
        threaded scheduler, or the scheduler set with ``dask.config.set(scheduler=...)``
        (``"synchronous"`` runs the tasks one by one).
    client : distributed.Client, optional
        Run on this client instead (it is left open, its workers as you started them).
        Overrides ``parallel``.
    progress : bool, optional
        Show a ``tqdm.auto`` bar of finished tasks; default: only for more than 8 tasks to
        compute (cached pairs are not counted).

    Returns
    -------
    xarray.Dataset
        Dims ``session`` (``datetime64[ns]``, the dates at midnight, naive: ET session dates),
        ``symbol`` (str, numpy's ``StringDType``: Zarr v3 stores it as its standard ``string``,
        whereas a fixed-width ``<U`` has no Zarr v3 specification), ``minute`` (int64: minutes
        since the open at each bar's start, ``0, step, ..., 390 - step``), and with ``heatmaps``
        ``strike_offset`` (below). Variables, float64 on ``(session, symbol, minute)``, each
        with ``attrs["units"]``: ``hedge_all``, ``hedge_calls``, ``hedge_puts`` (the per-bar
        hedge values of each leg) and the numeric series fields (``spot``, ``net_gex``,
        ``gamma_flip``, ...). ``regime`` and ``gamma_flip_status`` (labels) are left out. A
        session shorter than 390 minutes (an early close, 210) is NaN after its close. ``attrs``
        (str / int only): ``bar_size``, ``source``, ``padding``, ``early_close_sessions``
        (comma-separated ISO dates, ``""`` if none). A cached result is identical to a computed
        one (after ``.load()`` when lazy).

        With ``heatmaps``, strikes differ by day (the chain is listed around each day's price)
        and by symbol (SPX 5-point strikes near 5,800, SPY 1-point near 580), so the strike axis
        is not the absolute strike: it is ``strike_offset`` (int64), listed strikes counted from
        each day's at-the-money strike, the listed strike nearest the spot of the session's
        first bar (a tie goes to the lower one). ``0`` is that strike, ``+k`` the k-th listed
        strike above it, ``-k`` the k-th below, so rows line up by place in the chain across
        days and symbols and every value is one listed strike's, exactly as ``ff.heatmap`` gave
        it (nothing interpolated or rounded). The coordinate ``strike`` (float64, on ``(session,
        symbol, strike_offset)``) holds each cell's exact strike; ``ds.strike -
        ds.spot.isel(minute=0)`` gives points from the open and ``ds.strike /
        ds.spot.isel(minute=0)`` moneyness. The axis spans every offset listed on any (session,
        symbol); where a day lists no such strike (SPY's chain has fewer strikes than SPX's; a
        day listed fewer above or below), ``strike`` and every heatmap are NaN: NaN means "not
        listed that day", never 0. A step is that chain's own spacing (1 point for SPY, 5 for
        SPX near the money, wider far out on a real chain), not a fixed distance in points or
        percent. Each heatmap keeps ``attrs["units"]`` from the loader; ``ds.attrs`` gains
        ``heatmap_mode`` (``"raw"``) and ``strike_axis`` (:data:`STRIKE_AXIS`).

    Raises
    ------
    ValueError
        A symbol, date, ``bar``, ``fields``, ``heatmaps``, ``lazy`` or ``source`` that is not
        allowed (the message names it and what is allowed); raised before any task runs.

    Examples
    --------
    >>> from flowframe.research import sessions  # also ``ff.sessions``
    >>> ds = sessions("SPY", ["2026-11-27"], source=0, fields=["spot"], progress=False)
    >>> dict(ds.sizes), ds.attrs["early_close_sessions"]
    ({'session': 1, 'symbol': 1, 'minute': 390}, '2026-11-27')
    >>> bool(ds["spot"].isel(minute=209).notnull()), bool(ds["spot"].isel(minute=210).isnull())
    (True, True)
    """
    syms = _symbols(symbols)
    days = _dates(dates)
    bar = _params.validate_choice(bar, tuple(BAR_MINUTES), "bar")
    keep = _fields(fields)
    maps = _heatmaps(heatmaps, bar)
    if isinstance(source, bool) or not (
        isinstance(source, int) or callable(source) or _is_store(source)
    ):
        raise ValueError(
            f"source={source!r} is not allowed; use an int seed, a callable date -> source, "
            "or an ff.Store holding markets"
        )
    if store is not None and not _is_store(store):
        raise ValueError(f"store={store!r} is not allowed; use an ff.Store or None")
    if lazy is not None and not isinstance(lazy, bool):
        raise ValueError(f"lazy={lazy!r} is not allowed; use None, True or False")
    if lazy and store is None:
        raise ValueError("lazy=True needs a store: only cached results open lazily")
    lazy = store is not None if lazy is None else lazy
    name = _result_name(bar)
    described = _describe(source)
    pairs = [(sym, day) for day in days for sym in syms]
    wanted = {"bar": bar, "source": described}
    held = {p: None if store is None else _cached(store, name, p[0], p[1], wanted) for p in pairs}
    hits = {p for p in pairs if (h := held[p]) is not None and set(maps) <= set(h)}
    # a stale pair is computed with the heatmaps asked for and those it held (none lost)
    todo: list[tuple[str, dt.date, tuple[str, ...]]] = [
        (s, d, tuple(m for m in HEATMAP_METRICS if m in maps or m in (held[(s, d)] or [])))
        for s, d in pairs
        if (s, d) not in hits
    ]
    show = len(todo) > 8 if progress is None else bool(progress)
    done: dict[tuple[str, dt.date], xr.Dataset] = {}
    if todo:
        for task, result in zip(todo, _run(todo, source, bar, parallel, client, show), strict=True):
            sym, day, computed = task
            done[(sym, day)] = result
            if store is not None:
                store.write_result(
                    result,
                    name=name,
                    symbol=sym,
                    date=day,
                    params={"bar": bar, "source": described, "heatmaps": list(computed)},
                    source=described,
                )
    for pair in hits:
        assert store is not None
        cached = store.read_result(name, symbol=pair[0], date=pair[1], lazy=lazy)
        assert isinstance(cached, xr.Dataset)
        done[pair] = cached
    cube_vars = [_heatmap_variable(m) for m in maps]
    coords: dict[str, Any] = {
        "session": np.array([np.datetime64(d.isoformat(), "ns") for d in days]),
        "symbol": np.array(syms, dtype=np.dtypes.StringDType()),
        "minute": done[pairs[0]]["minute"].to_numpy().astype(np.int64),
    }
    if maps:
        offsets = np.unique(
            np.concatenate([done[p]["strike_offset"].to_numpy() for p in pairs])
        ).astype(np.int64)
        for pair in pairs:
            done[pair] = done[pair][keep + cube_vars].reindex(
                strike_offset=offsets, fill_value=np.nan
            )
        coords["strike_offset"] = offsets
        strike = _stack([[done[(s, d)]["strike"].data for s in syms] for d in days])
        dims3 = ("session", "symbol", "strike_offset")
        coords["strike"] = (dims3, strike, {"units": _STRIKE_UNITS})
    variables: dict[str, tuple[tuple[str, ...], Any, dict[str, str]]] = {}
    for var in keep:
        cube = _stack([[done[(s, d)][var].data for s in syms] for d in days])
        variables[var] = (("session", "symbol", "minute"), cube, {"units": VARIABLE_UNITS[var]})
    for var in cube_vars:
        cube = _stack([[done[(s, d)][var].data for s in syms] for d in days])
        units = done[pairs[0]][var].attrs.get("units", "")
        variables[var] = (("session", "symbol", "minute", "strike_offset"), cube, {"units": units})
    early = [d.isoformat() for d in days if early_close(d) is not None]
    attrs: dict[str, str] = {
        "bar_size": bar,
        "source": described,
        "padding": PADDING,
        "early_close_sessions": ",".join(early),
    }
    if maps:
        attrs.update(heatmap_mode="raw", strike_axis=STRIKE_AXIS)
    return xr.Dataset(variables, coords=coords, attrs=attrs)
