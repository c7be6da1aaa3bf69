"""``ff.live.Dashboard``: a live 0DTE dealer-flow panel for Jupyter.

The dashboard is an :class:`ipywidgets.VBox` that owns one :class:`~flowframe.live.poller.Poller`
and renders its :class:`~flowframe.live.contract.LiveData` in the panels of
:mod:`flowframe.live.panels`::

    controls      symbol, bar size, refresh interval, pause/resume, refresh now
    headline      narrative, severity, trade angle, flow direction and its gauge
    hedge-flow    per-bar flow (green buy / red sell), cumulative, calls/puts legs, spot
    series        spot, gamma flip, call/put walls, magnet, on the gamma regime
                  (over an ensemble source, both also shade the band of its variants)
    heatmap       strike x time of the chosen metric (raw or per-bar delta), spot path
    leaderboard   the ranked universe; choosing a symbol points the dashboard at it
    alert log     newest first
    status line   source, session clock, last/next poll, quota, last error, bodies recorded,
                  tick counter

State
-----
What the dashboard follows is held once, in traits of the dashboard (``symbol``, ``bar``,
``metric``, ``interval``, ``paused``), as ipywidgets' own containers hold theirs. The controls
and the poller follow the traits, and the controls set them: ``dash.symbol = "QQQ"`` moves the
symbol box, the poller and the panels, and typing in the box sets ``dash.symbol``. The poller
is the same object for the dashboard's life: it changes symbol, metric and bar size in place.

Rendering
---------
Figures are drawn in place (:mod:`flowframe.live.chart`); text panels are plain
``HTML.value`` assignments. Nothing here ever uses an ``Output`` widget's context manager, so
updates from the poller's asyncio task (or a thread) reach the browser.

Ensembles
---------
Over an :class:`~flowframe.Ensemble` (any source with an ``ensemble_sources()`` method) the
poller polls the primary variant, as over any source. After each update, in the same cycle and
on the same clock, the dashboard loads the session of every variant in-process
(``ff.hedge_flow`` and ``ff.series`` with ``source=`` the ensemble), takes the low and high over
the variants per bar, aligned on the bars the panels show, and hands them to the hedge-flow
panel (the cumulative) and the series panel (gamma flip, call and put walls, magnet), which
shade them behind the primary's lines. ``band=False`` turns it off; a plain source costs
nothing more. A band that cannot be computed is listed in :attr:`Dashboard.errors` (a
``"callback"`` error named ``_update_band``), the panels show no band, and polling goes on.

Stable CSS classes (``add_class``) for tests and styling: ``ff-dashboard``, ``ff-controls``,
and the panels' (:mod:`flowframe.live.panels`).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import Callable, Mapping
from typing import Any, Final

import ipywidgets
import pandas as pd
import traitlets
from matplotlib.figure import Figure

from flowframe import _params
from flowframe._constants import BARS, METRICS
from flowframe.frames import loaders
from flowframe.frames.band import band
from flowframe.live.chart import Render, resolve_render
from flowframe.live.contract import Alert, LiveData, PollStatus
from flowframe.live.panels import (
    AlertLog,
    HeadlinePanel,
    HeatmapPanel,
    HedgePanel,
    LeaderboardPanel,
    SeriesPanel,
    StatusLine,
)
from flowframe.live.poller import Poller
from flowframe.sources.base import Source
from flowframe.sources.default import connect
from flowframe.store import Store

# ipywidgets ships no type hints: reach it through Any, so that mypy --strict accepts calls
W: Any = ipywidgets

# the panels were defined here before the split: still importable from this module
__all__ = [
    "AlertLog",
    "Dashboard",
    "HeadlinePanel",
    "HeatmapPanel",
    "HedgePanel",
    "LeaderboardPanel",
    "SeriesPanel",
    "StatusLine",
    "resolve_render",
]

INTERVAL_CHOICES: Final = ("auto", "2", "5", "10", "15", "30", "60")

#: The series fields the series panel shades a band for.
BAND_LEVELS: Final = ("gamma_flip", "call_wall", "put_wall", "magnet")
_SESSION_MINUTES: Final = 390  # the whole regular session: the panels show all of it


def _is_ensemble(source: object) -> bool:
    """Whether ``source`` is an ensemble (duck-typed: it has ``ensemble_sources()``)."""
    return callable(getattr(source, "ensemble_sources", None))


def _low_high(reduced: pd.DataFrame, field: str, index: pd.Index) -> pd.DataFrame:
    """Return the ``low`` and ``high`` of one field of :func:`band`'s frame, on ``index``."""
    return pd.DataFrame({"low": reduced[(field, "low")], "high": reduced[(field, "high")]}).reindex(
        index
    )


def ensemble_band(
    source: Any, symbol: str, bar: str, data: LiveData
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Return the band of an ensemble's variants on the bars ``data`` holds.

    The hedge-flow band is the low and high (:func:`~flowframe.band`) of the variants'
    ``cumulative`` per bar, on the index of ``data.hedge`` (columns ``low, high``); the
    series band those of :data:`BAND_LEVELS`, on the index of ``data.series`` (columns
    ``(field, "low" | "high")``). Each frame's ``attrs["models"]`` holds the number of
    variants. None where ``data`` holds no frame.
    """
    hedge_band: pd.DataFrame | None = None
    series_band: pd.DataFrame | None = None
    held = data.hedge
    if held is not None and not held.empty:
        flow = band(loaders.hedge_flow(symbol, bar=bar, minutes=_SESSION_MINUTES, source=source))
        hedge_band = _low_high(flow, "cumulative", held.index)
        hedge_band.attrs["models"] = len(json.loads(flow.attrs["band_of"]))
    held = data.series
    if held is not None and not held.empty:
        frame = band(loaders.series(symbol, bar=bar, minutes=_SESSION_MINUTES, source=source))
        fields = set(frame.columns.get_level_values(0))
        parts = {name: _low_high(frame, name, held.index) for name in BAND_LEVELS if name in fields}
        if parts:
            series_band = pd.concat(parts, axis=1)
            series_band.attrs["models"] = len(json.loads(frame.attrs["band_of"]))
    return hedge_band, series_band


def _interval(text: object) -> float | None:
    """Read the interval control: ``"auto"`` (or empty) is None, else seconds > 0."""
    value = str(text).strip().lower().removesuffix("s").strip()
    if value in ("", "auto"):
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"interval must be 'auto' or seconds > 0, got {text!r}")
    return seconds


def _interval_text(seconds: float | None) -> str:
    """Write an interval as the interval control shows it."""
    return "auto" if seconds is None else f"{seconds:g}"


class Dashboard(W.VBox):  # type: ignore[misc]
    """A live 0DTE dealer-flow dashboard for one symbol, in a notebook.

    It owns a :class:`~flowframe.live.poller.Poller` over ``source`` and shows what it
    gathers in the panels of :mod:`flowframe.live.panels`, updated in place. Nothing is
    fetched until :meth:`refresh` (one cycle now) or :meth:`start` (poll in the background on
    the running asyncio loop, as in a Jupyter kernel); the start/pause button does the same.

    Parameters
    ----------
    symbol : str, default "SPY"
        The symbol to follow.
    source : Source, optional
        Any source; :func:`flowframe.connect` when omitted (the hosted API with a key, the
        simulated session without one).
    render : {"auto", "png", "ipympl"}, default "auto"
        ``"ipympl"`` draws on ipympl canvases (``%matplotlib widget``); ``"png"`` pushes PNG
        bytes to ``Image`` widgets; ``"auto"`` picks ipympl when it is the matplotlib backend.
    interval : float, optional
        The shortest time between polls, in session seconds (the poller's ``floor``; it waits
        longer when the daily quota needs it). ``None`` (``"auto"``) keeps the poller's
        default, 30 s: the raw data's sampling.
    heatmap_metric : str, default "gex"
        ``gex, dex, vex, chex, oi`` or ``signed_flow``.
    bar : str, default "1m"
        Bar size of the series and hedge-flow: ``30s, 1m, 5m, 15m``.
    band : bool, default True
        Over an :class:`~flowframe.Ensemble` source, shade the band of its variants (their
        low and high per bar) on the hedge-flow and series panels (see *Ensembles* in the
        module's docs). Ignored for any other source.
    record_to : Store, str or os.PathLike, optional
        Record every body polled in this :class:`~flowframe.Store` (a path is opened as
        ``ff.Store(path)``), for :class:`~flowframe.Replay` to play the session again; passed
        to the poller (see :class:`~flowframe.live.poller.Poller`). The status line then
        shows ``recorded N`` (and how many records could not be written). A record that
        cannot be written never stops the polling: it is listed in :attr:`errors` as a
        ``"record"`` error.
    **poller_options
        Passed to the :class:`~flowframe.live.poller.Poller` (``leaderboard_every``,
        ``sleep``, ``now``, ``plan``, ...).

    Attributes
    ----------
    symbol : traitlets.Unicode
        The symbol followed (trimmed, upper-cased); set it to follow another.
    bar : traitlets.Unicode
        The bar size of the series and hedge-flow.
    metric : traitlets.Unicode
        The heatmap's metric.
    interval : traitlets.Float or None
        The shortest time between polls, in session seconds; None is the default (30 s).
    paused : traitlets.Bool
        Whether polling in the background is off; ``False`` starts it (the start/pause
        button shows it), ``True`` stops it.
    poller : Poller
        The poller, the same one for the dashboard's life.
    headline, hedge, series, heatmap, leaderboard, status_line, alert_log
        The panels.
    symbol_control, bar_control, interval_control, pause_control, refresh_control
        The controls of the top row.
    metric_control, mode_control
        The heatmap's metric and raw/delta controls (on the heatmap panel).

    Examples
    --------
    >>> import flowframe as ff
    >>> import flowframe.live
    >>> src = ff.Simulated(seed=1, date="2026-09-18", now="14:00", symbols=["SPY"], scale=0.02)
    >>> dash = ff.live.Dashboard("SPY", src, render="png")
    >>> dash.refresh()
    >>> dash.status.ticks, dash.data.series.attrs["symbol"]
    (1, 'SPY')

    Record what it polls:

    >>> dash = ff.live.Dashboard("SPY", src, record_to=ff.Store("flow"))  # doctest: +SKIP
    """

    # the dashboard's state, held once (not synced: no front end reads them)
    symbol = traitlets.Unicode("SPY", help="The symbol followed.")
    bar = traitlets.Unicode("1m", help="The bar size of the series and hedge-flow.")
    metric = traitlets.Unicode("gex", help="The heatmap's metric.")
    interval = traitlets.Float(
        None, allow_none=True, help="Seconds between polls at least; None: the default."
    )
    paused = traitlets.Bool(True, help="Whether background polling is off.")

    def __init__(
        self,
        symbol: str = "SPY",
        source: Source | None = None,
        *,
        render: Render = "auto",
        interval: float | None = None,
        heatmap_metric: str = "gex",
        bar: str = "1m",
        band: bool = True,
        record_to: Store | str | os.PathLike[str] | None = None,
        **poller_options: Any,
    ):
        symbol = _params.validate_symbol(symbol)
        bar = _params.validate_choice(bar, BARS, "bar")
        heatmap_metric = _params.validate_choice(heatmap_metric, METRICS, "heatmap_metric")
        mode = resolve_render(render)
        # "auto": the poller's own floor (30 s unless floor= says otherwise)
        self._auto_floor = float(poller_options.get("floor", 30.0))
        if interval is not None:
            if "floor" in poller_options:
                raise ValueError("pass interval= or floor=, not both (interval is the floor)")
            if not (math.isfinite(interval) and interval > 0):
                raise ValueError(f"interval must be None (auto) or seconds > 0, got {interval!r}")
            poller_options["floor"] = float(interval)
        super().__init__()
        self.add_class("ff-dashboard")
        self.render = mode
        self.source: Source = connect() if source is None else source
        self._note: str | None = None
        self._deferred = 0  # > 0 while refresh() runs a cycle: render once, after it
        self._pending = False  # a render is scheduled on the event loop
        self.poller = Poller(
            self.source,
            symbol,
            heatmap_metric=heatmap_metric,
            bar=bar,
            record_to=record_to,
            **poller_options,
        )
        # the ensemble whose band is shaded (None: no band, no cost); computed on each
        # update before the render is scheduled, so the render of a cycle shows its band
        self.band_source: Any = self.source if band and _is_ensemble(self.source) else None
        if self.band_source is not None:
            self.poller.on_update(self._update_band)
        self.poller.on_update(lambda data: self._schedule_render())
        self.poller.on_alert(self._alerted)
        self.poller.on_error(lambda exc: self._schedule_render())

        data = self.poller.data
        self.headline = HeadlinePanel(data)
        self.hedge = HedgePanel(data, render=mode)
        self.series = SeriesPanel(data, render=mode)
        self.heatmap = HeatmapPanel(data, render=mode, metric=heatmap_metric)
        self.leaderboard = LeaderboardPanel(data, current=symbol)
        self.status_line = StatusLine(self.poller.status)
        self.alert_log = AlertLog(self.poller.alerts)

        self.symbol_control = W.Combobox(
            value=symbol,
            options=[str(s) for s in getattr(self.source, "symbols", ()) or ()],
            description="symbol",
            ensure_option=False,
            continuous_update=False,
            layout=W.Layout(width="180px"),
        )
        self.bar_control = W.Dropdown(
            options=list(BARS), value=bar, description="bar", layout=W.Layout(width="140px")
        )
        self.interval_control = W.Combobox(
            value=_interval_text(interval),
            options=list(INTERVAL_CHOICES),
            description="every (s)",
            ensure_option=False,
            continuous_update=False,
            layout=W.Layout(width="170px"),
        )
        self.pause_control = W.ToggleButton(
            value=True, description="start", icon="play", tooltip="start or pause polling"
        )
        self.refresh_control = W.Button(
            description="refresh", icon="refresh", tooltip="poll once now"
        )
        self.metric_control = self.heatmap.metric_control
        self.mode_control = self.heatmap.mode_control
        title = W.HTML("<b style='font-size:1.1em'>flowframe</b>&nbsp;0DTE&nbsp;dealer&nbsp;flow")
        self.controls = W.HBox(
            [
                title,
                self.symbol_control,
                self.bar_control,
                self.interval_control,
                self.pause_control,
                self.refresh_control,
            ],
            layout=W.Layout(align_items="center", flex_flow="row wrap"),
        )
        self.controls.add_class("ff-controls")

        # the traits take the arguments' values; their observers find the poller and the
        # controls already there, so they change nothing
        self.symbol, self.bar, self.metric, self.interval = symbol, bar, heatmap_metric, interval
        # choices of a fixed list are linked both ways; typed text and the start button,
        # which can be refused, go through observers that put the control back
        W.link((self, "bar"), (self.bar_control, "value"))
        W.link((self, "metric"), (self.metric_control, "value"))
        self.symbol_control.observe(self._symbol_typed, names="value")
        self.interval_control.observe(self._interval_typed, names="value")
        self.pause_control.observe(self._pause_clicked, names="value")
        self.refresh_control.on_click(self._refresh_clicked)
        self.leaderboard.on_select(self.set_symbol)

        charts = W.VBox([self.hedge, self.series, self.heatmap], layout=W.Layout(flex="3 1 0%"))
        side = W.VBox(
            [self.leaderboard, self.alert_log],
            layout=W.Layout(flex="1 1 0%", min_width="230px", max_width="340px"),
        )
        self.children = (
            self.controls,
            self.headline,
            W.HBox([charts, side], layout=W.Layout(width="100%")),
            self.status_line,
        )
        self._render()

    # ------------------------------------------------------------------ traits

    @traitlets.validate("symbol")
    def _valid_symbol(self, proposal: Mapping[str, Any]) -> str:
        return _params.validate_symbol(proposal["value"])

    @traitlets.validate("bar")
    def _valid_bar(self, proposal: Mapping[str, Any]) -> str:
        return _params.validate_choice(proposal["value"], BARS, "bar")

    @traitlets.validate("metric")
    def _valid_metric(self, proposal: Mapping[str, Any]) -> str:
        return _params.validate_choice(proposal["value"], METRICS, "metric")

    @traitlets.validate("interval")
    def _valid_interval(self, proposal: Mapping[str, Any]) -> float | None:
        seconds = proposal["value"]
        if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"interval must be None (auto) or seconds > 0, got {seconds!r}")
        return None if seconds is None else float(seconds)

    @traitlets.observe("symbol")
    def _symbol_changed(self, change: Mapping[str, Any]) -> None:
        self.poller.set_symbol(change["new"])
        self._clear_band()
        self._note = None
        self.symbol_control.value = change["new"]
        self._render()

    @traitlets.observe("bar")
    def _bar_changed(self, change: Mapping[str, Any]) -> None:
        # in place: the poller drops the bars held, and the next cycle fetches the new size
        self.poller.set_bar(change["new"])
        self._clear_band()
        self._render()

    @traitlets.observe("metric")
    def _metric_changed(self, change: Mapping[str, Any]) -> None:
        self.poller.set_metric(change["new"])
        self._render()

    @traitlets.observe("interval")
    def _interval_changed(self, change: Mapping[str, Any]) -> None:
        seconds = change["new"]
        self.poller.floor = self._auto_floor if seconds is None else seconds
        self._note = None
        self.interval_control.value = _interval_text(seconds)
        self._render_status()

    @traitlets.observe("paused")
    def _paused_changed(self, change: Mapping[str, Any]) -> None:
        if change["new"]:
            self.poller.stop()
        elif not self.poller.running:
            try:
                self._start()
            except RuntimeError as exc:  # no running event loop (a plain script)
                self.paused = True
                self._reject(str(exc))
                return
        self._show_paused()
        self._render_status()

    def _symbol_typed(self, change: Mapping[str, Any]) -> None:
        try:
            self.symbol = str(change["new"])
        except ValueError as exc:
            self._reject(str(exc))
        # as validated ("qqq" reads "QQQ"), or, refused, the symbol still followed
        self.symbol_control.value = self.symbol

    def _interval_typed(self, change: Mapping[str, Any]) -> None:
        try:
            self.interval = _interval(change["new"])
        except ValueError as exc:
            self._reject(str(exc))
        self.interval_control.value = _interval_text(self.interval)

    def _pause_clicked(self, change: Mapping[str, Any]) -> None:
        self.paused = bool(change["new"])

    def _show_paused(self) -> None:
        paused = self.paused
        with self.pause_control.hold_sync():
            self.pause_control.value = paused
            self.pause_control.description = "start" if paused else "pause"
            self.pause_control.icon = "play" if paused else "pause"

    # ------------------------------------------------------------------ state

    @property
    def data(self) -> LiveData:
        """The poller's latest frames."""
        return self.poller.data

    @property
    def status(self) -> PollStatus:
        """The poller's status (ticks, times, quota, last error)."""
        return self.poller.status

    @property
    def errors(self) -> list[tuple[Any, str, str]]:
        """The errors of this dashboard's polling, oldest first: (time, kind, message)."""
        return self.poller.errors

    @property
    def alerts(self) -> list[Alert]:
        """The alerts so far, oldest first."""
        return self.poller.alerts

    @property
    def running(self) -> bool:
        """Whether the poller is polling in the background."""
        return self.poller.running

    @property
    def figures(self) -> dict[str, Figure]:
        """The figures by panel (``hedge``, ``series``, ``heatmap``), each created once."""
        return {
            "hedge": self.hedge.figure,
            "series": self.series.figure,
            "heatmap": self.heatmap.figure,
        }

    # ------------------------------------------------------------------ actions

    def refresh(self) -> None:
        """Run one polling cycle now (synchronously), then show what it gathered."""
        self._deferred += 1
        try:
            self.poller.cycle()
        finally:
            self._deferred -= 1
        self._render()

    def redraw(self) -> None:
        """Show the data held now, redrawing every figure even if nothing changed."""
        self._render(force=True)

    def start(self) -> None:
        """Poll in the background: one asyncio task on the running loop (as in a notebook).

        Raises
        ------
        RuntimeError
            There is no running event loop.
        """
        self._start()
        self.paused = False  # the poller runs already: the observer only shows it
        self._render_status()

    def stop(self) -> None:
        """Stop polling (the data gathered stays); the poller's task ends at its next await."""
        self.poller.stop()
        self.paused = True
        self._render_status()

    async def astop(self) -> None:
        """Stop polling and wait until the poller's task has finished."""
        await self.poller.astop()
        self.paused = True
        self._render_status()

    def on_alert(self, fn: Callable[[Alert], Any]) -> Callable[[Alert], Any]:
        """Call ``fn(alert)`` for each new alert, once it is in the alert log; returns ``fn``.

        ``fn`` may be an ``async def`` function: it is registered on the poller
        (:meth:`Poller.on_alert`), which awaits it on its own loop and records a callback
        that raises in :attr:`Poller.errors` instead of stopping the polling.

        Raises
        ------
        TypeError
            ``fn`` is not callable.
        """
        # the dashboard's own handler was registered first, so the log is updated before fn runs
        return self.poller.on_alert(fn)

    def set_symbol(self, symbol: str) -> None:
        """Follow ``symbol``; its data is fetched from the next cycle on (``dash.symbol = ...``).

        Raises
        ------
        ValueError
            ``symbol`` is not a symbol.
        """
        self.symbol = symbol

    def set_metric(self, metric: str) -> None:
        """Show ``metric`` on the heatmap; it is fetched from the next cycle on.

        Raises
        ------
        ValueError
            ``metric`` is not one of ``gex, dex, vex, chex, oi, signed_flow``.
        """
        self.metric = metric

    def set_bar(self, bar: str) -> None:
        """Use ``bar`` bars for the series and hedge-flow; fetched from the next cycle on.

        Raises
        ------
        ValueError
            ``bar`` is not one of ``30s, 1m, 5m, 15m``.
        """
        self.bar = bar

    def set_interval(self, interval: float | None) -> None:
        """Poll at most every ``interval`` session seconds (``None``: the default, 30 s).

        Raises
        ------
        ValueError
            ``interval`` is neither None nor a number of seconds > 0.
        """
        self.interval = interval

    def pngs(self) -> dict[str, bytes]:
        """Return each figure as PNG bytes, by panel (whatever the rendering path)."""
        return {
            "hedge": self.hedge.png(),
            "series": self.series.png(),
            "heatmap": self.heatmap.png(),
        }

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (
            f"Dashboard({self.symbol}, {self.poller.status.source}, {state}, "
            f"ticks={self.poller.status.ticks}, render={self.render})"
        )

    # ------------------------------------------------------------------ internals

    def _render(self, *, force: bool = False) -> None:
        data = self.poller.data
        disabled = self.poller.status.extra.get("disabled") or ()
        self.heatmap.unavailable = (
            "the heatmap is not included in this key's plan" if "heatmap" in disabled else None
        )
        with self.hold_sync():
            self.headline.update(data)
            self.hedge.update(data, force=force)
            self.series.update(data, force=force)
            self.heatmap.update(data, force=force)
            self.leaderboard.update(data, current=self.symbol)
            self.alert_log.update(self.alerts)
            self._render_status()
            self._extend_symbols()

    def _update_band(self, data: LiveData) -> None:
        """Compute the ensemble's band for the data just polled and hand it to the panels.

        Called by the poller after each update (its callbacks record what raises, so a band
        that fails is an error of :attr:`errors` and polling goes on, with no band shown).
        """
        self._clear_band()
        if self.band_source is None:
            return
        hedge_band, series_band = ensemble_band(
            self.band_source, self.poller.symbol, self.poller.bar, data
        )
        self.hedge.band, self.series.band = hedge_band, series_band

    def _clear_band(self) -> None:
        self.hedge.band = self.series.band = None

    def _render_status(self) -> None:
        self.status_line.update(
            self.poller.status,
            errors=len(self.errors),
            running=not self.paused,
            note=self._note,
        )

    def _start(self) -> None:
        started = not self.poller.running
        task = self.poller.start()
        if started:
            task.add_done_callback(self._poller_ended)

    def _poller_ended(self, task: asyncio.Task[None]) -> None:
        """Show the pause when the task ends by itself (cancelled, session over, crashed)."""
        if not self.poller.running:  # not a newer task, started meanwhile
            self.paused = True
            self._render_status()

    def _schedule_render(self) -> None:
        """Render after the poller's cycle has ended (its tick counted), or now."""
        if self._deferred:
            return  # refresh() renders once the cycle is over
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._render()
            return
        if not self._pending:
            self._pending = True
            loop.call_soon(self._scheduled_render)

    def _scheduled_render(self) -> None:
        self._pending = False
        self._render()

    def _alerted(self, alert: Alert) -> None:
        self.alert_log.update(self.alerts)

    def _extend_symbols(self) -> None:
        known = list(self.symbol_control.options)
        extra = [s for s in self.leaderboard.symbols if s not in known]
        if extra:
            self.symbol_control.options = known + extra

    def _refresh_clicked(self, button: Any) -> None:
        try:
            self.refresh()
        except RuntimeError as exc:  # the background task is in the middle of a cycle
            self._reject(str(exc))

    def _reject(self, message: str) -> None:
        self._note = message
        self._render_status()
