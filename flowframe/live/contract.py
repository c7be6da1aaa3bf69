"""The contract between the poller and the widgets of ``ff.live`` (shared types only).

The poller (``flowframe.live.poller``) fetches from any source and keeps :class:`LiveData`;
the dashboard (``flowframe.live.dashboard``) renders it. Nothing here imports ipywidgets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import xarray as xr

from flowframe.frames.snapshot import Snapshot

__all__ = ["Alert", "LiveData", "PollStatus"]


@dataclass
class LiveData:
    """The latest frames, by panel.

    Attributes
    ----------
    series : pandas.DataFrame or None
        The session series (``ff.series`` schema), merged across polls.
    hedge : pandas.DataFrame or None
        Hedge-flow by leg (the split schema of ``ff.hedge_flow(side="split")``: ``bar,
        cumulative, calls_bar, calls_cumulative, puts_bar, puts_cumulative``), derived from the
        series' cumulatives, so it costs no request of its own.
    heatmap : xarray.DataArray or None
        The chosen metric's (bar x strike) heatmap, merged across polls.
    snapshot : Snapshot or None
        The latest snapshot.
    leaderboard : pandas.DataFrame or None
        The latest leaderboard (polled less often).
    """

    series: pd.DataFrame | None = None
    hedge: pd.DataFrame | None = None
    heatmap: xr.DataArray | None = None
    snapshot: Snapshot | None = None
    leaderboard: pd.DataFrame | None = None


@dataclass
class PollStatus:
    """What the status line shows; only ``ticks`` matters for progress (it only goes up)."""

    source: str = ""
    ticks: int = 0
    session_time: pd.Timestamp | None = None
    last_update: dt.datetime | None = None
    next_poll: dt.datetime | None = None
    interval: float = 0.0
    requests: int = 0
    quota_remaining: int | None = None
    quota_limit: int | None = None
    projected_use: int | None = None
    last_error: str | None = None
    backoff: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Alert:
    """Something a trader wants to know now.

    ``kind`` is one of ``flow_direction_flip``, ``severity_escalation``, ``flip_cross``,
    ``wall_cross``, ``hedge_burst``; ``values`` holds the numbers behind it.
    """

    time: pd.Timestamp
    symbol: str
    kind: str
    message: str
    values: dict[str, Any] = field(default_factory=dict)
