"""Live widgets: a poller over any source and a dashboard that renders what it gathers.

:class:`Poller` polls one symbol of any source into :class:`LiveData`;
``ff.live.Dashboard("SPY")`` is the whole panel; its parts (:class:`HeadlinePanel`,
:class:`HedgePanel`, :class:`SeriesPanel`, :class:`HeatmapPanel`, :class:`LeaderboardPanel`,
:class:`StatusLine`, :class:`AlertLog`) each render a :class:`LiveData` on their own.

Modules, bottom up: ``contract`` (the shared types), ``cadence`` (plans, quota, intervals,
back-off), ``merge`` (windows into the frames held), ``alerts`` (alert detection), ``poller``
(the Poller and its run loop), ``chart`` (the persistent figures), ``panels`` (one module per
panel) and ``dashboard`` (the Dashboard).
"""

from __future__ import annotations

from flowframe.live.contract import Alert, LiveData, PollStatus
from flowframe.live.dashboard import Dashboard
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

__all__ = [
    "Alert",
    "AlertLog",
    "Dashboard",
    "HeadlinePanel",
    "HeatmapPanel",
    "HedgePanel",
    "LeaderboardPanel",
    "LiveData",
    "PollStatus",
    "Poller",
    "SeriesPanel",
    "StatusLine",
]
