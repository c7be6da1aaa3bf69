"""The leaderboard panel: the ranked universe, and a button per symbol to follow it."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from flowframe.frames import as_of
from flowframe.live.contract import LiveData
from flowframe.live.panels.base import W, _e, _et, _Panel

__all__ = ["LeaderboardPanel"]


class LeaderboardPanel(_Panel):
    """The ranked universe as a table, with a button per symbol to point the dashboard at it.

    Parameters
    ----------
    data : LiveData, optional
        What to show (``leaderboard``).
    current : str, optional
        The symbol to highlight (the one the dashboard follows).

    Attributes
    ----------
    html : ipywidgets.HTML
        The table (``tr.ff-row[data-symbol]``; the current symbol's row is ``ff-current``).
    choices : ipywidgets.ToggleButtons
        One button per ranked symbol; choosing one calls the :meth:`on_select` callbacks.
    """

    css = "ff-leaderboard"

    def __init__(self, data: LiveData | None = None, *, current: str | None = None, **kwargs: Any):
        super().__init__(data, **kwargs)
        self.current = current
        self._callbacks: list[Callable[[str], Any]] = []
        self._cache: tuple[pd.DataFrame | None, str | None, tuple[str, ...], str] | None = None
        self.html = W.HTML()
        self.choices = W.ToggleButtons(
            options=[], value=None, style={"button_width": "58px"}, layout=W.Layout(width="100%")
        )
        self.choices.observe(self._chosen, names="value")
        self.children = (self.html, self.choices)
        self.update()

    def on_select(self, fn: Callable[[str], Any]) -> None:
        """Call ``fn(symbol)`` when a symbol is chosen."""
        self._callbacks.append(fn)

    def select(self, symbol: str) -> None:
        """Choose ``symbol`` as a click on its button would (it must be listed)."""
        if symbol not in self.symbols:
            raise ValueError(
                f"symbol {symbol!r} is not on the leaderboard; use one of {self.symbols}"
            )
        if self.choices.value == symbol:
            self._notify(symbol)
        else:
            self.choices.value = symbol

    @property
    def symbols(self) -> list[str]:
        """The ranked symbols, best first."""
        return list(self._read(self.data.leaderboard)[0])

    def _read(self, board: pd.DataFrame | None) -> tuple[tuple[str, ...], str]:
        """Return (symbols, table HTML) of ``board``, read once per board and highlight."""
        # the poller replaces the leaderboard every few cycles only: keep the last reading
        # (and a reference to its board, so identity cannot be mistaken)
        cached = self._cache
        if cached is not None and cached[0] is board and cached[1] == self.current:
            return cached[2], cached[3]
        symbols: tuple[str, ...] = ()
        if board is not None and "symbol" in board.columns:
            symbols = tuple(str(s) for s in board["symbol"])
        table = self.table(board, self.current)
        self._cache = (board, self.current, symbols, table)
        return symbols, table

    def _chosen(self, change: Mapping[str, Any]) -> None:
        # update() only ever shows the current symbol (or none): any other value is a click
        new = change["new"]
        if new is not None and new != self.current:
            self._notify(str(new))

    def _notify(self, symbol: str) -> None:
        self.current = symbol
        self.update()
        for fn in list(self._callbacks):
            fn(symbol)

    def update(self, data: LiveData | None = None, *, current: str | None = None) -> None:
        """Show ``data`` (or the LiveData held), highlighting ``current`` if given."""
        if data is not None:
            self.data = data
        if current is not None:
            self.current = current
        symbols, table = self._read(self.data.leaderboard)
        with self.hold_sync(), self.html.hold_sync(), self.choices.hold_sync():
            self.html.value = table
            if tuple(self.choices.options) != symbols:
                # with nothing chosen, new options choose nothing (else ipywidgets picks the
                # first, which would read as a click)
                self.choices.value = None
                self.choices.options = symbols
            self.choices.value = self.current if self.current in symbols else None

    @staticmethod
    def table(board: pd.DataFrame | None, current: str | None = None) -> str:
        """Return the leaderboard as an HTML table."""
        if board is None or board.empty:
            return "<div style='color:#777'>leaderboard: waiting for data</div>"
        metric = _e(str(board.attrs.get("metric") or "value").replace("_", " "))
        stamp = as_of(board)
        when = f" at {_et(stamp, '%H:%M')} ET" if stamp is not None else ""
        values = board["value"].to_numpy(dtype=np.float64, na_value=np.nan)
        top = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
        rows = []
        for rank, symbol, value in zip(board.index, board["symbol"], values, strict=True):
            width = 0.0 if not (top > 0 and math.isfinite(value)) else abs(value) / top * 100.0
            here = str(symbol) == current
            style = "background:#fff4d6;font-weight:bold" if here else ""
            rows.append(
                f"<tr class='ff-row{' ff-current' if here else ''}' data-symbol='{_e(str(symbol))}'"
                f" style='{style}'><td style='text-align:right;color:#777'>{int(rank)}</td>"
                f"<td>{_e(str(symbol))}</td><td style='text-align:right'>{value:.3g}</td>"
                "<td style='width:90px'><div style='height:8px;background:#1f77b4;"
                f"width:{width:.1f}%'></div></td></tr>"
            )
        return (
            f"<div style='font-weight:600'>leaderboard: {metric}{when}</div>"
            "<table style='border-collapse:collapse;font-size:0.9em;width:100%'>"
            "<tr style='color:#777'><th>#</th><th style='text-align:left'>symbol</th>"
            f"<th>{metric}</th><th></th></tr>{''.join(rows)}</table>"
        )
