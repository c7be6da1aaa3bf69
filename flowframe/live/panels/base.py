"""What every live panel shares: a VBox with the panel CSS classes, and a chart panel's redraw.

A panel holds the :class:`~flowframe.live.contract.LiveData` it shows (the dashboard's panels
hold the poller's, which it updates) and shows it on ``panel.update(...)``. Text panels set
``HTML.value``; chart panels (:class:`_ChartPanel`) redraw their one persistent figure only
when the arrays they plot changed (a fingerprint of them), so polling faster than the bars move
costs no rendering.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import ipywidgets
import pandas as pd

from flowframe._constants import ET
from flowframe.live.chart import _Chart, _fingerprint, resolve_render
from flowframe.live.contract import LiveData

# ipywidgets ships no type hints: reach it through Any, so that mypy --strict accepts calls
W: Any = ipywidgets

_e = html.escape


def _et(when: pd.Timestamp | dt.datetime | None, fmt: str = "%H:%M:%S") -> str:
    """Write a time as ET (naive datetimes are read as local wall-clock time)."""
    if when is None:
        return "&ndash;"
    stamp = pd.Timestamp(when)
    if stamp.tz is None:
        stamp = stamp.tz_localize(dt.datetime.now().astimezone().tzinfo)
    return stamp.tz_convert(ET).strftime(fmt)


def _symbol_of(data: LiveData) -> str | None:
    for frame in (data.series, data.hedge):
        if frame is not None and frame.attrs.get("symbol"):
            return str(frame.attrs["symbol"])
    if data.heatmap is not None and data.heatmap.attrs.get("symbol"):
        return str(data.heatmap.attrs["symbol"])
    if data.snapshot is not None:
        return data.snapshot.symbol
    return None


class _Panel(W.VBox):  # type: ignore[misc]
    """A VBox with the panel CSS classes and the LiveData it shows."""

    css = "ff-panel"

    def __init__(self, data: LiveData | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data = data if data is not None else LiveData()
        self.add_class("ff-panel")
        self.add_class(self.css)


class _ChartPanel(_Panel):
    """A panel around one persistent figure, redrawn only when its arrays change."""

    def __init__(
        self,
        data: LiveData | None,
        render: str,
        figsize: tuple[float, float],
        **kwargs: Any,
    ):
        super().__init__(data, **kwargs)
        self.chart = _Chart(figsize, resolve_render(render))
        self.figure = self.chart.figure
        self._key: int | None = None
        self.unavailable: str | None = None  # shown instead of "waiting" (a 403, say)
        self.children: tuple[Any, ...] = (self.chart.widget,)

    @property
    def widget(self) -> Any:
        """The widget showing the figure (``ipywidgets.Image`` or an ipympl canvas)."""
        return self.chart.widget

    @property
    def draws(self) -> int:
        """How many times the figure was pushed to its widget."""
        return self.chart.draws

    def update(self, data: LiveData | None = None, *, force: bool = False) -> bool:
        """Show ``data`` (or the LiveData held); redraw only if what is plotted changed.

        Parameters
        ----------
        data : LiveData, optional
            New data; the LiveData held (which the poller updates) when omitted.
        force : bool, default False
            Redraw even if nothing changed.

        Returns
        -------
        bool
            Whether the figure was redrawn.
        """
        if data is not None:
            self.data = data
        prepared = self._prepare(self.data)
        if isinstance(prepared, str) and self.unavailable:
            prepared = self.unavailable
        key = _fingerprint(*prepared) if isinstance(prepared, tuple) else _fingerprint(prepared)
        if key == self._key and not force:
            return False
        with self.chart.widget.hold_sync():
            if isinstance(prepared, tuple):
                self.chart.waiting(None)
                self._apply(prepared)
            else:
                self.chart.waiting(prepared)
            self.chart.draw()
        self._key = key
        return True

    def png(self) -> bytes:
        """Return the figure as PNG bytes."""
        return self.chart.png()

    def _prepare(self, data: LiveData) -> tuple[Any, ...] | str:  # pragma: no cover
        raise NotImplementedError

    def _apply(self, prepared: tuple[Any, ...]) -> None:  # pragma: no cover
        raise NotImplementedError
