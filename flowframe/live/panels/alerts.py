"""The alert log: the poller's alerts, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from flowframe.live.contract import Alert
from flowframe.live.panels.base import W, _e, _et, _Panel

__all__ = ["ALERT_LINES", "AlertLog"]

#: Lines the alert log shows, at most (by default).
ALERT_LINES: Final = 50


class AlertLog(_Panel):
    """The alerts, newest first: time (ET), symbol, kind, message.

    Parameters
    ----------
    alerts : sequence of Alert, optional
        Alerts so far, oldest first (as the poller keeps them).
    limit : int, default 50
        Most lines shown.

    Attributes
    ----------
    html : ipywidgets.HTML
        The log (``div.ff-alert[data-kind]`` per line).
    """

    css = "ff-alerts"

    def __init__(self, alerts: Sequence[Alert] = (), *, limit: int = ALERT_LINES, **kwargs: Any):
        super().__init__(None, **kwargs)
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        self.limit = limit
        self.alerts: list[Alert] = list(alerts)[-limit:]
        self.html = W.HTML()
        self.children = (self.html,)
        self.update()

    def update(self, alerts: Sequence[Alert] | None = None) -> None:
        """Show ``alerts`` (oldest first; the newest ``limit`` are kept)."""
        if alerts is not None:
            self.alerts = list(alerts)[-self.limit :]
        with self.html.hold_sync():
            self.html.value = self.log(self.alerts)

    def add(self, alert: Alert) -> None:
        """Add one alert at the top."""
        self.alerts = [*self.alerts, alert][-self.limit :]
        self.update()

    @staticmethod
    def log(alerts: Sequence[Alert]) -> str:
        """Return the alerts as HTML, newest first."""
        head = f"<div style='font-weight:600'>alerts ({len(alerts)})</div>"
        if not alerts:
            return head + "<div style='color:#777'>none yet</div>"
        lines = []
        for a in reversed(alerts):
            colour = "#d62728" if a.kind in ("severity_escalation", "hedge_burst") else "#1f3b73"
            lines.append(
                f"<div class='ff-alert' data-kind='{_e(a.kind)}' style='margin:1px 0'>"
                f"<code>{_et(a.time, '%H:%M:%S')}</code> <b>{_e(a.symbol)}</b> "
                f"<span style='color:{colour}'>{_e(a.kind.replace('_', ' '))}</span> "
                f"{_e(a.message)}</div>"
            )
        return (
            head + "<div style='max-height:260px;overflow-y:auto;font-size:0.85em'>"
            f"{''.join(lines)}</div>"
        )
