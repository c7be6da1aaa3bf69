"""The status line: source, clock, last and next poll, quota, errors, recording, tick counter."""

from __future__ import annotations

from typing import Any

from flowframe.live.contract import PollStatus
from flowframe.live.panels.base import W, _e, _et, _Panel

__all__ = ["StatusLine"]


class StatusLine(_Panel):
    """Source, session clock (ET), last update, next poll, quota, last error and tick counter.

    The tick counter (``<span class='ff-tick' data-tick='N'>tick N</span>``) only goes up,
    whatever it is given.

    Parameters
    ----------
    status : PollStatus, optional
        What to show first.

    Attributes
    ----------
    html : ipywidgets.HTML
        The line.
    tick : int
        The highest tick shown.
    """

    css = "ff-status"

    def __init__(self, status: PollStatus | None = None, **kwargs: Any):
        super().__init__(None, **kwargs)
        self.tick = 0
        self.status = status if status is not None else PollStatus()
        self.html = W.HTML()
        self.children = (self.html,)
        self.update()

    def update(
        self,
        status: PollStatus | None = None,
        *,
        errors: int | None = None,
        running: bool | None = None,
        note: str | None = None,
    ) -> None:
        """Show ``status`` (or the one held).

        Parameters
        ----------
        status : PollStatus, optional
            The poller's status.
        errors : int, optional
            How many errors the session has had.
        running : bool, optional
            Whether the poller is running (shows ``live`` or ``paused``).
        note : str, optional
            A message of the dashboard's own (a rejected control value, say).
        """
        if status is not None:
            self.status = status
        self.tick = max(self.tick, int(self.status.ticks))
        with self.html.hold_sync():
            self.html.value = self.line(
                self.status, tick=self.tick, errors=errors, running=running, note=note
            )

    @staticmethod
    def line(
        status: PollStatus,
        *,
        tick: int,
        errors: int | None = None,
        running: bool | None = None,
        note: str | None = None,
    ) -> str:
        """Return the status line as HTML."""
        s = status
        sep = " <span style='color:#bbb'>|</span> "
        parts = []
        if running is not None:
            state, colour = ("live", "#2ca02c") if running else ("paused", "#999")
            parts.append(f"<b class='ff-state' style='color:{colour}'>&#9679; {state}</b>")
        parts.append(f"<span class='ff-source'>{_e(s.source or 'no source')}</span>")
        parts.append(f"<span class='ff-clock'>session {_et(s.session_time)} ET</span>")
        parts.append(f"<span class='ff-updated'>updated {_et(s.last_update)}</span>")
        parts.append(f"<span class='ff-next'>next {_et(s.next_poll)}</span>")
        if s.interval:
            parts.append(f"every {s.interval:g}s")
        if s.quota_remaining is not None or s.quota_limit is not None:
            left = "?" if s.quota_remaining is None else f"{s.quota_remaining:,}"
            limit = "" if s.quota_limit is None else f"/{s.quota_limit:,}"
            need = "" if s.projected_use is None else f", session needs ~{s.projected_use:,}"
            low = (
                s.quota_remaining is not None
                and s.projected_use is not None
                and s.projected_use > s.quota_remaining
            )
            style = " style='color:#d62728;font-weight:bold'" if low else ""
            parts.append(f"<span class='ff-quota'{style}>quota {left}{limit} left{need}</span>")
        else:
            parts.append("<span class='ff-quota'>quota: none</span>")
        if s.backoff:
            parts.append(f"<span class='ff-backoff'>backing off {s.backoff:g}s</span>")
        if s.last_error:
            count = f" ({errors} so far)" if errors else ""
            parts.append(
                f"<span class='ff-error' style='color:#d62728'>last error{count}: "
                f"{_e(s.last_error)}</span>"
            )
        if "recorded" in s.extra:  # Dashboard(record_to=...): bodies written to the store
            failed = int(s.extra.get("record_errors", 0) or 0)
            style = " style='color:#d62728'" if failed else ""
            unwritten = f", {failed:,} not written" if failed else ""
            parts.append(
                f"<span class='ff-recorded'{style}>recorded {int(s.extra['recorded']):,}"
                f"{unwritten}</span>"
            )
        if note:
            parts.append(f"<span class='ff-note' style='color:#e08a00'>{_e(note)}</span>")
        parts.append(f"<span class='ff-tick' data-tick='{tick}'>tick {tick}</span>")
        return f"<div style='font-size:0.85em;color:#444'>{sep.join(parts)}</div>"
