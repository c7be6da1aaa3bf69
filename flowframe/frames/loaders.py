"""Fetch from a source and convert: one call from symbol to DataFrame, DataArray or Snapshot.

``source`` is anything with the six ``get_*`` methods (:class:`flowframe.Source`): the hosted
:class:`~flowframe.FlashAlpha` client, :class:`~flowframe.SampleSource`, or your own.
``source=None`` means ``ff.connect()``: the hosted client when a key is available, the
simulated session (with one warning) when not.

From a :class:`~flowframe.sources.base.BytesSource` (the hosted client) the loaders take the
body's bytes (:meth:`FlashAlpha.get_raw`) and read them with the ``*_from_json`` readers,
which skip building the decoded dict; other sources hand over decoded payloads. Both routes
give equal objects.

Given an :class:`~flowframe.Ensemble` as ``source``, every loader asks each variant and stacks
the answers on ``model`` (:mod:`flowframe.frames.ensemble`): a leading ``model`` dimension
for heatmap and strike-flow, a ``model`` column level for hedge-flow and series, a ``model``
row level for the leaderboard; ``snapshot`` returns an
:class:`~flowframe.frames.EnsembleSnapshot` (the members and how many agree).

Every object a loader returns can leave the notebook as it is: ``df.to_parquet`` for the
DataFrames, ``to_netcdf`` / ``to_zarr`` for the DataArray and the Dataset, each read back by
plain pandas / xarray with equal values, dtypes, index or coords, and attrs (the ``store``
extra installs pyarrow, zarr and netCDF4; a grid read back takes
:func:`flowframe.frames.utc_bars` to get its ``bar`` index back, and an empty series has lost
its ``regime`` categories). That is why attrs hold only strings and numbers
(*The attrs rule* in :mod:`flowframe.frames`): ``as_of`` is UTC ISO-8601 text ending in ``Z``
(:func:`flowframe.frames.as_of` gives the ``pd.Timestamp``), ``data_as_of`` and
``gap_intervals`` are JSON text, ``market_open`` is 1 or 0, and a field the body left null is
absent.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

import pandas as pd
import xarray as xr

from flowframe._constants import SIDES
from flowframe._params import validate_choice, validate_symbol
from flowframe.errors import FlowframeWarning
from flowframe.frames.ensemble import (
    EnsembleSnapshot,
    ensemble_sources,
    stack_frames,
    stack_grids,
    stack_rows,
)
from flowframe.frames.grid import (
    heatmap_from_json,
    heatmap_from_payload,
    strike_flow_from_json,
    strike_flow_from_payload,
)
from flowframe.frames.hedge_flow import (
    hedge_flow_from_json,
    hedge_flow_from_payload,
    split_hedge_flow,
)
from flowframe.frames.leaderboard import leaderboard_from_payload
from flowframe.frames.series import series_from_json, series_from_payload
from flowframe.frames.snapshot import Snapshot
from flowframe.sources.base import BytesSource, Source

if TYPE_CHECKING:
    from flowframe.sources.engine.ensemble import Ensemble

_T = TypeVar("_T")

__all__ = ["heatmap", "hedge_flow", "leaderboard", "series", "snapshot", "strike_flow"]


def _resolve(source: Source | None) -> Source:
    if source is None:
        from flowframe.sources.default import connect

        return connect()
    return source


def _body(src: Source, endpoint: str, symbol: str, **params: Any) -> Any:
    """Fetch one body: its bytes from the hosted client, the decoded payload from others.

    A source that says which symbols it holds (``symbols``, as the local sources do) and does
    not hold this one answers with empty bars, as the hosted API does for an unknown symbol;
    the loader says so with a :class:`~flowframe.FlowframeWarning` instead of handing back an
    empty frame without a word.
    """
    held = getattr(src, "symbols", None)
    wanted = validate_symbol(symbol)
    if isinstance(held, tuple) and wanted not in held:
        warnings.warn(
            f"{source_name(src)} holds no data for {wanted!r} (it holds "
            f"{', '.join(map(str, held))}): the {endpoint} answer is empty",
            FlowframeWarning,
            stacklevel=3,
        )
    if isinstance(src, BytesSource):
        body: object = src.get_raw(endpoint, symbol, **params)
        if isinstance(body, bytes | bytearray | memoryview | str):
            return body
        close = getattr(body, "close", None)  # an un-awaited coroutine: close it quietly
        if callable(close):
            close()
        raise TypeError(
            f"{type(src).__name__}.get_raw returned {type(body).__name__}, not bytes: the "
            "loaders are synchronous; use ff.FlashAlpha, or await the async client's get_* "
            "methods and convert with the flowframe.frames readers"
        )
    fetch: Callable[..., Any] = getattr(src, "get_" + endpoint.replace("-", "_"))
    payload = fetch(symbol, **params)
    held_here = not isinstance(held, tuple) or wanted in held
    if held_here and isinstance(payload, Mapping) and payload.get("bars") == []:
        _say_why_empty(src, endpoint, wanted, params.get("minutes"))
    return payload


def _say_why_empty(src: Source, endpoint: str, symbol: str, minutes: Any) -> None:
    """Warn with the source's reason when its clock leaves the answer without bars.

    Local sources (``ff.Local``, ``ff.Simulated``) explain themselves with ``why_empty``: a
    clock before the open, on another day than the tape's, or a window after the close.
    """
    why = getattr(src, "why_empty", None)
    if not callable(why):
        return
    reason = why(symbol, minutes if isinstance(minutes, int) else None)
    if reason:
        warnings.warn(
            f"{source_name(src)}: the {endpoint} answer for {symbol!r} has no bars: {reason}",
            FlowframeWarning,
            stacklevel=4,
        )


def _read(
    body: Any, from_json: Callable[..., _T], from_payload: Callable[..., _T], name: str
) -> _T:
    """Read a body with the reader for its form (bytes, or a decoded payload)."""
    read = from_json if isinstance(body, bytes | str) else from_payload
    return read(body, source=name)


def source_name(source: object) -> str:
    """Return a printable name for ``source`` (never its key): ``FlashAlpha(https://...)``."""
    name = getattr(source, "name", None)
    if isinstance(name, str):
        return name
    base = getattr(source, "base_url", None)
    kind = type(source).__name__
    return f"{kind}({base})" if base is not None else kind


def hedge_flow(
    symbol: str,
    *,
    side: str = "all",
    bar: str = "30s",
    minutes: int = 60,
    source: Source | None = None,
) -> pd.DataFrame:
    """Load dealer hedge-flow as a DataFrame indexed by bar time.

    Fetches ``GET /v1/flow/zero-dte/hedge-flow/{symbol}`` (or the same body from a local
    source) and reads it with :func:`flowframe.frames.hedge_flow_from_json` /
    :func:`~flowframe.frames.hedge_flow_from_payload`.

    Parameters
    ----------
    symbol : str
        Underlying with a same-day expiry (``"SPY"``, ``"SPX"``, ``"QQQ"``, ``"IWM"`` daily;
        other names on their weekly expiry days). Trimmed and upper-cased; 1 to 32 visible
        ASCII characters.
    side : {"all", "calls", "puts", "split"}, default "all"
        Which dealer leg: ``"all"`` is calls + puts. ``"split"`` fetches calls and puts (two
        requests) and returns both legs and their sum (:func:`flowframe.frames.split_hedge_flow`).
    bar : {"30s", "1m", "5m", "15m"}, default "30s"
        Bar size; coarser bars keep the last 30-second sample of each bucket.
    minutes : int, default 60
        Look-back window in minutes, a whole number from 1 to 390 (a full session). Above 390
        the request is sent with 390, as the server clamps, and a
        :class:`~flowframe.FlowframeWarning` says so.
    source : Source, optional
        Where to read from: anything with the six ``get_*`` methods
        (:class:`~flowframe.FlashAlpha`, :class:`~flowframe.Simulated`,
        :class:`~flowframe.Local`, :class:`~flowframe.SampleSource`, your own). ``None`` means
        :func:`flowframe.connect`: the hosted client when ``FLASHALPHA_API_KEY`` is set, else
        the simulated session (with one warning).

    Returns
    -------
    pandas.DataFrame
        Index ``t``: bar times, ``datetime64[ns, UTC]``, ascending and unique. float64
        columns ``bar`` (signed delta-dollars dealers trade in the bucket, + = dealers buy)
        and ``cumulative`` (running sum since the open for that side); NaN where the body
        has null. With ``side="split"`` the columns are ``bar, cumulative, calls_bar,
        calls_cumulative, puts_bar, puts_cumulative``, where ``bar`` / ``cumulative`` are the
        legs' sums (NaN at a time only one leg has). ``df.attrs``: ``symbol``,
        ``expiration``, ``side`` (``"split"`` for a split frame), ``bar_size``, ``as_of``
        (UTC ISO-8601 text ending in ``Z``; :func:`flowframe.frames.as_of` reads it as a
        ``pd.Timestamp``), ``source`` (the source's name, never a key),
        ``endpoint_version``, ``data_as_of`` (JSON text; :func:`flowframe.frames.data_as_of`
        decodes it); a field the body left null is absent. No bars (before the open, an
        unknown symbol) gives an empty frame of the same schema. ``df.to_parquet`` keeps all
        of it.

    Raises
    ------
    ValueError
        ``symbol``, ``side``, ``bar`` or ``minutes`` is not allowed (the message names the
        parameter and the allowed values); raised before any request is sent.
    SchemaError
        The body cannot be read as a hedge-flow body (the message names the field and the
        bar index).
    APIError
        From the hosted client: :class:`~flowframe.APIStatusError` and its subclasses
        (``AuthenticationError`` 401, ``TierRestrictedError`` 403, ``NotFoundError`` 404,
        ``RateLimitError`` 429, ``ServerError`` 5xx), or :class:`~flowframe.APIConnectionError`
        / :class:`~flowframe.APITimeoutError`.

    Warns
    -----
    FlowframeWarning
        ``minutes`` is above 390 (the value sent is 390), or ``source=None`` found no key and
        fell back on the simulated session.

    See Also
    --------
    flowframe.frames.hedge_flow_from_payload : The converter, for a body already at hand.
    flowframe.frames.split_hedge_flow : Join a calls and a puts body.
    flowframe.plot_hedge : Plot the frame (also ``df.flow.plot_hedge()``).
    series : The session series, whose ``hedge_flow_*_cumulative`` columns match.

    Examples
    --------
    >>> import flowframe as ff
    >>> src = ff.SampleSource(now="11:00")
    >>> df = ff.hedge_flow("SPY", bar="1m", minutes=30, source=src)
    >>> df.shape, list(df.columns), str(df.index.dtype)
    ((30, 2), ['bar', 'cumulative'], 'datetime64[ns, UTC]')
    >>> df.attrs["side"], df.attrs["bar_size"], df.attrs["as_of"]
    ('all', '1m', '2026-06-05T15:00:00Z')
    >>> ff.frames.as_of(df)
    Timestamp('2026-06-05 15:00:00+0000', tz='UTC')
    >>> split = ff.hedge_flow("SPY", side="split", minutes=30, source=src)
    >>> list(split.columns)
    ['bar', 'cumulative', 'calls_bar', 'calls_cumulative', 'puts_bar', 'puts_cumulative']
    >>> ff.hedge_flow("SPY", bar="2m", source=src)
    Traceback (most recent call last):
    ...
    ValueError: bar='2m' is not allowed; use one of '30s', '1m', '5m', '15m'

    With a key, the same call reads the hosted API:

    >>> ff.hedge_flow("SPY", source=ff.FlashAlpha(api_key="..."))  # doctest: +SKIP
    """
    validate_choice(side, (*SIDES, "split"), "side")
    src = _resolve(source)
    name = source_name(src)
    models = ensemble_sources(src)
    if models is not None:
        frames = {
            k: hedge_flow(symbol, side=side, bar=bar, minutes=minutes, source=m)
            for k, m in models.items()
        }
        return stack_frames(frames, name)
    if side == "split":
        calls, puts = (
            _body(src, "hedge-flow", symbol, side=leg, bar=bar, minutes=minutes)
            for leg in ("calls", "puts")
        )
        return split_hedge_flow(calls, puts, source=name)
    body = _body(src, "hedge-flow", symbol, side=side, bar=bar, minutes=minutes)
    return _read(body, hedge_flow_from_json, hedge_flow_from_payload, name)


def series(
    symbol: str, *, bar: str = "30s", minutes: int = 60, source: Source | None = None
) -> pd.DataFrame:
    """Load the session series (spot, GEX, flip, walls, pin, regime, ...) as a DataFrame.

    Fetches ``GET /v1/flow/zero-dte/series/{symbol}`` (or the same body from a local source)
    and reads it with :func:`flowframe.frames.series_from_json` /
    :func:`~flowframe.frames.series_from_payload`.

    Parameters
    ----------
    symbol : str
        Underlying with a same-day expiry (``"SPY"``, ``"SPX"``, ``"QQQ"``, ``"IWM"`` daily;
        other names on their weekly expiry days). Trimmed and upper-cased; 1 to 32 visible
        ASCII characters.
    bar : {"30s", "1m", "5m", "15m"}, default "30s"
        Bar size; the raw samples are 30 seconds apart and coarser bars keep the last sample
        of each bucket.
    minutes : int, default 60
        Look-back window in minutes, a whole number from 1 to 390 (a full session). Above 390
        the request is sent with 390, as the server clamps, and a
        :class:`~flowframe.FlowframeWarning` says so.
    source : Source, optional
        Where to read from (any object with the six ``get_*`` methods). ``None`` means
        :func:`flowframe.connect`: the hosted client when ``FLASHALPHA_API_KEY`` is set, else
        the simulated session (with one warning).

    Returns
    -------
    pandas.DataFrame
        Index ``t``: bar times, ``datetime64[ns, UTC]``, ascending and unique. Every
        documented bar field is a column, always, in this order and dtype (NaN where a bar
        has null or lacks the field):

        - float64: ``spot, net_gex, net_dex, gamma_flip``;
        - ``gamma_flip_status``: ``str`` (``"ok"``, ``"no_flip_in_range"``, ...);
        - float64: ``call_wall, put_wall, magnet, pin_score`` (0-100),
          ``pin_probability_pct`` (a percentage 0-100 whichever unit the body used);
        - ``regime``: categorical with categories ``positive_gamma, negative_gamma,
          neutral`` (plus any other label the body carries);
        - float64: ``atm_iv`` (a decimal fraction, 0.123 = 12.3%),
          ``charm_dollars_per_hour, hedge_flow_call_cumulative, hedge_flow_put_cumulative,
          hedge_flow_cumulative_all``.

        ``df.attrs``: ``symbol``, ``expiration``, ``bar_size``, ``as_of`` (UTC ISO-8601
        text ending in ``Z``; :func:`flowframe.frames.as_of` reads it as a
        ``pd.Timestamp``), ``pin_probability_unit_read`` (``"pct"`` or ``"fraction"``: how
        the body wrote the pin probability), ``source``, ``endpoint_version``,
        ``data_as_of`` (JSON text); a field the body left null is absent.
        ``df.to_parquet`` keeps all of it, the ``regime`` categories included (but for a
        frame with no bar, whose categories pyarrow does not write).

    Raises
    ------
    ValueError
        ``symbol``, ``bar`` or ``minutes`` is not allowed (the message names the parameter and
        the allowed values); raised before any request is sent.
    SchemaError
        The body cannot be read as a series body (the message names the field and the bar
        index).
    APIError
        From the hosted client: an :class:`~flowframe.APIStatusError` subclass (401, 403,
        404, 429, 5xx) or :class:`~flowframe.APIConnectionError`.

    Warns
    -----
    FlowframeWarning
        ``minutes`` is above 390 (the value sent is 390), or ``source=None`` found no key and
        fell back on the simulated session.

    See Also
    --------
    flowframe.frames.series_from_payload : The converter, for a body already at hand.
    flowframe.plot_series : Plot spot, the dealer levels and the regime.
    hedge_flow : The hedge-flow bars behind the ``hedge_flow_*`` columns.

    Examples
    --------
    >>> import flowframe as ff
    >>> src = ff.SampleSource(now="11:00")
    >>> df = ff.series("SPY", bar="5m", minutes=60, source=src)
    >>> df.shape
    (12, 16)
    >>> str(df["regime"].dtype), str(df["gamma_flip_status"].dtype), str(df["spot"].dtype)
    ('category', 'str', 'float64')
    >>> df.attrs["bar_size"], df.attrs["pin_probability_unit_read"]
    ('5m', 'pct')
    >>> ff.series("SPY", minutes=0, source=src)
    Traceback (most recent call last):
    ...
    ValueError: minutes=0 is not allowed; use a whole number from 1 to 390
    """
    src = _resolve(source)
    models = ensemble_sources(src)
    if models is not None:
        frames = {k: series(symbol, bar=bar, minutes=minutes, source=m) for k, m in models.items()}
        return stack_frames(frames, source_name(src))
    body = _body(src, "series", symbol, bar=bar, minutes=minutes)
    return _read(body, series_from_json, series_from_payload, source_name(src))


def heatmap(
    symbol: str,
    *,
    metric: str = "gex",
    mode: str = "raw",
    bar: str = "1m",
    minutes: int = 60,
    source: Source | None = None,
) -> xr.DataArray:
    """Load the strike x time heatmap of one metric as a (bar x strike) DataArray.

    Fetches ``GET /v1/flow/zero-dte/heatmap/{symbol}`` (or the same body from a local source)
    and reads it with :func:`flowframe.frames.heatmap_from_json` /
    :func:`~flowframe.frames.heatmap_from_payload`.

    Parameters
    ----------
    symbol : str
        Underlying with a same-day expiry (``"SPY"``, ``"SPX"``, ``"QQQ"``, ``"IWM"`` daily;
        other names on their weekly expiry days). Trimmed and upper-cased; 1 to 32 visible
        ASCII characters.
    metric : {"gex", "dex", "vex", "chex", "oi", "signed_flow"}, default "gex"
        The dealer exposure per strike: gamma (USD per 1% move), delta (USD), vanna (USD per
        vol point), charm (USD of delta per day), effective open interest (contracts), or
        signed aggressor flow (USD of delta per bar).
    mode : {"raw", "delta"}, default "raw"
        ``"raw"`` values, or ``"delta"``: the change from the previous bar. The body sends
        the window's first bar raw; the array holds NaN there and that level in the coord
        ``start_level``, so ``da.sum("bar")`` is the change over the window (for
        ``signed_flow``, already per bar, delta is raw).
    bar : {"1m"}, default "1m"
        Bar size; the heatmap serves 1-minute bars only (``"30s"``, ``"5m"`` and ``"15m"``
        raise).
    minutes : int, default 60
        Look-back window in minutes, a whole number from 1 to 390 (a full session). Above 390
        the request is sent with 390, as the server clamps, and a
        :class:`~flowframe.FlowframeWarning` says so.
    source : Source, optional
        Where to read from (any object with the six ``get_*`` methods). ``None`` means
        :func:`flowframe.connect`: the hosted client when ``FLASHALPHA_API_KEY`` is set, else
        the simulated session (with one warning).

    Returns
    -------
    xarray.DataArray
        float64 values named after the metric (``da.name == "gex"``), dims ``("bar",
        "strike")``, NaN where the body has null. Coords: ``bar`` (``datetime64[ns]``, UTC
        wall time, ``attrs["timezone"] == "UTC"``; ascending, unique; indexed by
        :class:`~flowframe.frames.UTCBarIndex`, so ``da.sel(bar=hf.index[i])`` takes the
        frames' tz-aware times and ``to_series()`` gives them), ``strike`` (float64,
        ascending), ``spot`` (float64, along ``bar``), and for ``mode="delta"``
        ``start_level`` (float64, along ``strike``). ``da.attrs``: ``symbol``,
        ``expiration``, ``bar_size``, ``as_of`` (UTC ISO-8601 text ending in ``Z``;
        :func:`flowframe.frames.as_of` reads it as a ``pd.Timestamp``),
        ``underlying_price`` (float), ``tier_used``, ``gap_intervals`` (JSON text of the
        body's list, ``"[]"`` for none; :func:`flowframe.frames.gap_intervals` decodes it),
        ``source``, ``endpoint_version``, ``data_as_of`` (JSON text), ``metric``, ``mode``,
        ``units`` (for example ``"USD per 1% move (dealer gamma exposure)"``); a field the
        body left null is absent. ``da.to_netcdf`` and ``da.to_zarr`` keep all of it.

    Raises
    ------
    ValueError
        ``symbol``, ``metric``, ``mode``, ``bar`` or ``minutes`` is not allowed (the message
        names the parameter and the allowed values); raised before any request is sent.
    SchemaError
        The body cannot be read as a heatmap body: a ``values`` array does not match
        ``strikes_grid``, a time does not parse, a value is not a number (the message names
        the field and the bar index).
    APIError
        From the hosted client: an :class:`~flowframe.APIStatusError` subclass (the heatmap
        needs the Alpha plan: 403 ``TierRestrictedError`` below it; 400
        ``BadRequestError`` for ``no_strike_data_for_window``) or
        :class:`~flowframe.APIConnectionError`.

    Warns
    -----
    FlowframeWarning
        ``minutes`` is above 390 (the value sent is 390), or ``source=None`` found no key and
        fell back on the simulated session.

    See Also
    --------
    flowframe.frames.heatmap_from_payload : The converter, for a body already at hand.
    flowframe.plot_heatmap : Plot the grid with the spot path (also ``da.flow.plot()``).
    flowframe.plot_profile : One bar as horizontal bars by strike.
    strike_flow : The per-strike signed flow on the same grid.

    Examples
    --------
    >>> import flowframe as ff
    >>> src = ff.SampleSource(now="11:00")
    >>> da = ff.heatmap("SPY", metric="oi", minutes=30, source=src)
    >>> da.name, da.dims, da.shape
    ('oi', ('bar', 'strike'), (30, 61))
    >>> da.attrs["units"], str(da["bar"].dtype), da["spot"].dims
    ('contracts (effective open interest)', 'datetime64[ns]', ('bar',))
    >>> ff.heatmap("SPY", bar="5m", source=src)
    Traceback (most recent call last):
    ...
    ValueError: bar='5m' is not allowed for heatmap; it serves bar='1m' only
    """
    src = _resolve(source)
    models = ensemble_sources(src)
    if models is not None:
        grids = {
            k: heatmap(symbol, metric=metric, mode=mode, bar=bar, minutes=minutes, source=m)
            for k, m in models.items()
        }
        return stack_grids(grids, source_name(src))  # type: ignore[return-value]
    body = _body(src, "heatmap", symbol, metric=metric, mode=mode, bar=bar, minutes=minutes)
    return _read(body, heatmap_from_json, heatmap_from_payload, source_name(src))


def strike_flow(
    symbol: str, *, bar: str = "1m", minutes: int = 60, source: Source | None = None
) -> xr.Dataset:
    """Load per-strike signed flow as a Dataset on (bar x strike).

    Fetches ``GET /v1/flow/zero-dte/strike-flow/{symbol}`` (or the same body from a local
    source) and reads it with :func:`flowframe.frames.strike_flow_from_json` /
    :func:`~flowframe.frames.strike_flow_from_payload`.

    Parameters
    ----------
    symbol : str
        Underlying with a same-day expiry (``"SPY"``, ``"SPX"``, ``"QQQ"``, ``"IWM"`` daily;
        other names on their weekly expiry days). Trimmed and upper-cased; 1 to 32 visible
        ASCII characters.
    bar : {"1m"}, default "1m"
        Bar size; strike-flow serves 1-minute bars only (``"30s"``, ``"5m"`` and ``"15m"``
        raise).
    minutes : int, default 60
        Look-back window in minutes, a whole number from 1 to 390 (a full session). Above 390
        the request is sent with 390, as the server clamps, and a
        :class:`~flowframe.FlowframeWarning` says so.
    source : Source, optional
        Where to read from (any object with the six ``get_*`` methods). ``None`` means
        :func:`flowframe.connect`: the hosted client when ``FLASHALPHA_API_KEY`` is set, else
        the simulated session (with one warning).

    Returns
    -------
    xarray.Dataset
        Three float64 variables on dims ``("bar", "strike")``, per-bar increments (not
        cumulative), each with ``attrs["units"]``: ``signed_delta_dollars`` (USD of signed
        aggressor delta; summed over strikes it is the hedge-flow ``bar`` for side
        ``"all"``), ``signed_gamma_dollars`` (USD per 1% move) and ``contracts``. Coords as
        :func:`heatmap`: ``bar`` (``datetime64[ns]``, UTC), ``strike`` (float64, ascending),
        ``spot`` (along ``bar``). ``ds.attrs``: ``symbol``, ``expiration``, ``bar_size``,
        ``as_of``, ``underlying_price``, ``tier_used``, ``gap_intervals``, ``source``,
        ``endpoint_version``, ``data_as_of``, kept as :func:`heatmap` keeps them (strings and
        numbers; absent when null). ``ds.to_netcdf`` and ``ds.to_zarr`` keep all of it.

    Raises
    ------
    ValueError
        ``symbol``, ``bar`` or ``minutes`` is not allowed (the message names the parameter and
        the allowed values); raised before any request is sent.
    SchemaError
        The body cannot be read as a strike-flow body (the message names the array, the field
        and the bar index).
    APIError
        From the hosted client: an :class:`~flowframe.APIStatusError` subclass (strike-flow
        needs the Alpha plan: 403 ``TierRestrictedError`` below it) or
        :class:`~flowframe.APIConnectionError`.

    Warns
    -----
    FlowframeWarning
        ``minutes`` is above 390 (the value sent is 390), or ``source=None`` found no key and
        fell back on the simulated session.

    See Also
    --------
    flowframe.frames.strike_flow_from_payload : The converter, for a body already at hand.
    heatmap : One exposure metric on the same grid.
    flowframe.plot_heatmap : Plot one variable (also ``ds.flow.plot("contracts")``).

    Examples
    --------
    >>> import flowframe as ff
    >>> src = ff.SampleSource(now="11:00")
    >>> ds = ff.strike_flow("SPY", minutes=30, source=src)
    >>> list(ds.data_vars)
    ['signed_delta_dollars', 'signed_gamma_dollars', 'contracts']
    >>> ds["contracts"].dims, dict(ds.sizes)
    (('bar', 'strike'), {'bar': 30, 'strike': 61})
    >>> ds["contracts"].attrs["units"]
    'contracts per bar'
    """
    src = _resolve(source)
    models = ensemble_sources(src)
    if models is not None:
        grids = {
            k: strike_flow(symbol, bar=bar, minutes=minutes, source=m) for k, m in models.items()
        }
        return stack_grids(grids, source_name(src))  # type: ignore[return-value]
    body = _body(src, "strike-flow", symbol, bar=bar, minutes=minutes)
    return _read(body, strike_flow_from_json, strike_flow_from_payload, source_name(src))


@overload
def snapshot(  # type: ignore[overload-overlap]  # an Ensemble is a Source: it wins first
    symbol: str, *, expiry: dt.date | str | None = None, source: Ensemble
) -> EnsembleSnapshot: ...
@overload
def snapshot(
    symbol: str, *, expiry: dt.date | str | None = None, source: Source | None = None
) -> Snapshot: ...


def snapshot(
    symbol: str, *, expiry: dt.date | str | None = None, source: Source | None = None
) -> Snapshot | EnsembleSnapshot:
    """Load the 0DTE decision snapshot (live or degraded) as a :class:`Snapshot`.

    Fetches ``GET /v1/flow/zero-dte/snapshot/{symbol}`` (or the same body from a local
    source) and wraps it in :class:`flowframe.Snapshot`.

    Parameters
    ----------
    symbol : str
        Underlying with a same-day expiry (``"SPY"``, ``"SPX"``, ``"QQQ"``, ``"IWM"`` daily;
        other names on their weekly expiry days). Trimmed and upper-cased; 1 to 32 visible
        ASCII characters.
    expiry : datetime.date or str, optional
        The expiration to read, as a date (a datetime at midnight, a ``pd.Timestamp``
        included) or a ``"YYYY-MM-DD"`` string naming a real date. ``None`` means today's
        session.
    source : Source, optional
        Where to read from (any object with the six ``get_*`` methods). ``None`` means
        :func:`flowframe.connect`: the hosted client when ``FLASHALPHA_API_KEY`` is set, else
        the simulated session (with one warning).

    Returns
    -------
    Snapshot
        ``.status`` (``"live"``, ``"session_closed"`` or ``"no_zero_dte"``), ``.raw`` (the
        body as received), ``.symbol``, ``.as_of`` (UTC ``pd.Timestamp`` or None), ``.spot``,
        ``.levels`` (``gamma_flip, call_wall, put_wall, magnet, max_pain``), ``.regime``,
        ``.source``; the decision blocks ``.headline``, ``.flow_direction``, ``.setup`` and
        ``.probabilities`` (None outside a live session); ``.strikes``, a DataFrame indexed
        by ``strike`` (float64, ascending) with one column per per-strike field; and, when
        degraded, ``.message`` and ``.next_session``. Renders as an HTML card in notebooks.

    Raises
    ------
    ValueError
        ``symbol`` or ``expiry`` is not allowed (the message names the parameter and the
        allowed values); raised before any request is sent.
    SchemaError
        The body cannot be read as a snapshot body (the message names the block and field).
    APIError
        From the hosted client: an :class:`~flowframe.APIStatusError` subclass (404
        ``NotFoundError`` for an unknown symbol; 400 ``BadRequestError`` for an expiry the
        server refuses) or :class:`~flowframe.APIConnectionError`.

    Warns
    -----
    FlowframeWarning
        ``source=None`` found no key and fell back on the simulated session.

    See Also
    --------
    flowframe.frames.snapshot_from_payload : The converter, for a body already at hand.
    flowframe.Snapshot.to_dict : The snapshot as plain data.

    Examples
    --------
    >>> import flowframe as ff
    >>> snap = ff.snapshot("SPY", source=ff.SampleSource(now="11:00"))
    >>> snap.status, snap.symbol, snap.strikes.index.name
    ('live', 'SPY', 'strike')
    >>> snap.headline.severity in ("info", "watch", "alert")
    True
    >>> ff.snapshot("SPY", expiry="06/05/2026", source=ff.SampleSource())
    Traceback (most recent call last):
    ...
    ValueError: expiry='06/05/2026' is not allowed; use a datetime.date or a 'YYYY-MM-DD' string
    """
    src = _resolve(source)
    models = ensemble_sources(src)
    if models is not None:
        members = {k: snapshot(symbol, expiry=expiry, source=m) for k, m in models.items()}
        return EnsembleSnapshot(members, source=source_name(src))
    return Snapshot(src.get_snapshot(symbol, expiry=expiry), source=source_name(src))


def leaderboard(*, metric: str = "heat", n: int = 10, source: Source | None = None) -> pd.DataFrame:
    """Load the cross-symbol leaderboard as a DataFrame indexed by rank.

    Fetches ``GET /v1/flow/zero-dte/leaderboard`` (or the same body from a local source) and
    reads it with :func:`flowframe.frames.leaderboard_from_payload`.

    Parameters
    ----------
    metric : {"heat", "pin_risk", "abs_flow", "charm_intensity"}, default "heat"
        What to rank by: ``heat`` (hedge-flow normalised by net GEX), ``pin_risk`` (pin
        score), ``abs_flow`` (absolute calls flow plus absolute puts flow) or
        ``charm_intensity`` (absolute charm dollars per hour).
    n : int, default 10
        How many symbols, a whole number from 1 to 100. Above 100 the request is sent with
        100, as the server clamps, and a :class:`~flowframe.FlowframeWarning` says so.
    source : Source, optional
        Where to read from (any object with the six ``get_*`` methods). ``None`` means
        :func:`flowframe.connect`: the hosted client when ``FLASHALPHA_API_KEY`` is set, else
        the simulated session (with one warning).

    Returns
    -------
    pandas.DataFrame
        Index ``rank`` (int64, ascending, 1 = highest), columns ``symbol`` (``str``) and
        ``value`` (float64, NaN for null). ``df.attrs``: ``metric``, ``n``, ``as_of`` (UTC
        ISO-8601 text ending in ``Z``; :func:`flowframe.frames.as_of` reads it as a
        ``pd.Timestamp``), ``market_open`` (1 = open, 0 = closed: NetCDF keeps no boolean),
        ``source``, ``endpoint_version``, ``data_as_of`` (JSON text); a field the body left
        null is absent. ``df.to_parquet`` keeps all of it.

    Raises
    ------
    ValueError
        ``metric`` or ``n`` is not allowed (the message names the parameter and the allowed
        values); raised before any request is sent.
    SchemaError
        The body cannot be read as a leaderboard body (the message names the entry and field).
    APIError
        From the hosted client: an :class:`~flowframe.APIStatusError` subclass (the
        leaderboard needs the Alpha plan: 403 ``TierRestrictedError`` below it) or
        :class:`~flowframe.APIConnectionError`.

    Warns
    -----
    FlowframeWarning
        ``n`` is above 100 (the value sent is 100), or ``source=None`` found no key and fell
        back on the simulated session.

    See Also
    --------
    flowframe.frames.leaderboard_from_payload : The converter, for a body already at hand.
    snapshot : The decision snapshot of one symbol.

    Examples
    --------
    >>> import flowframe as ff
    >>> df = ff.leaderboard(metric="heat", n=5, source=ff.SampleSource(now="11:00"))
    >>> df.index.name, list(df.columns), len(df)
    ('rank', ['symbol', 'value'], 5)
    >>> str(df["symbol"].dtype), str(df["value"].dtype), df.attrs["metric"]
    ('str', 'float64', 'heat')
    >>> ff.leaderboard(metric="hot", source=ff.SampleSource())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: metric='hot' is not allowed; use one of 'heat', 'pin_risk', ...
    """
    src = _resolve(source)
    models = ensemble_sources(src)
    if models is not None:
        frames = {k: leaderboard(metric=metric, n=n, source=m) for k, m in models.items()}
        return stack_rows(frames, source_name(src))
    payload = src.get_leaderboard(metric=metric, n=n)
    return leaderboard_from_payload(payload, source=source_name(src))
