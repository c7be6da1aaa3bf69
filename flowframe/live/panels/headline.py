"""The headline panel: the snapshot card of the symbol followed, in its severity colour."""

from __future__ import annotations

from typing import Any

from flowframe.frames.card import flow_gauge, flow_line, snapshot_card
from flowframe.frames.snapshot import Snapshot
from flowframe.live.contract import LiveData
from flowframe.live.panels.base import W, _e, _Panel, _symbol_of

__all__ = ["HeadlinePanel"]


class HeadlinePanel(_Panel):
    """The snapshot's headline: narrative, severity colour, trade angle, flow direction, gauge.

    The gauge shows how much today's flow has changed the size of dealers' gamma exposure:
    right (red) when it grew (``amplifying``), left (green) when it shrank (``dampening``),
    bounded at +-50%, with the 5% neutral band shaded.

    Parameters
    ----------
    data : LiveData, optional
        What to show (its ``snapshot``); an empty one when omitted.

    Attributes
    ----------
    html : ipywidgets.HTML
        The card (``.ff-narrative``, ``.ff-severity[data-severity]``, ``.ff-angle``,
        ``.ff-flow[data-label]``, ``.ff-gauge[data-value]``).
    """

    css = "ff-headline"

    def __init__(self, data: LiveData | None = None, **kwargs: Any):
        super().__init__(data, **kwargs)
        self.html = W.HTML(value=self._waiting(None))
        self.children = (self.html,)

    def update(self, data: LiveData | None = None) -> None:
        """Show ``data`` (or the LiveData held) now."""
        if data is not None:
            self.data = data
        snap = self.data.snapshot
        value = self._waiting(_symbol_of(self.data)) if snap is None else self.card(snap)
        with self.html.hold_sync():
            self.html.value = value

    @staticmethod
    def _waiting(symbol: str | None) -> str:
        what = f" for {_e(symbol)}" if symbol else ""
        return f"<div class='ff-narrative' style='color:#777'>waiting for a snapshot{what}</div>"

    @staticmethod
    def card(snap: Snapshot) -> str:
        """Return the headline card of a snapshot as HTML (the compact snapshot card).

        See Also
        --------
        flowframe.frames.card.snapshot_card : The one renderer, ``compact=True`` here.
        """
        return snapshot_card(snap, compact=True)

    @staticmethod
    def flow_line(snap: Snapshot) -> str:
        """Return the flow-direction line with its amplifying/dampening gauge.

        See Also
        --------
        flowframe.frames.card.flow_line : The renderer.
        """
        return flow_line(snap)

    @staticmethod
    def gauge(shift: float | None, settled: float | None) -> str:
        """Return the gauge as HTML: the change in ``|GEX|`` since the settle, bounded.

        See Also
        --------
        flowframe.frames.card.flow_gauge : The renderer, and what its arguments mean.
        """
        return flow_gauge(shift, settled)
