"""The live panels, each a widget of its own over a :class:`~flowframe.live.contract.LiveData`.

:class:`HeadlinePanel`, :class:`HedgePanel`, :class:`SeriesPanel`, :class:`HeatmapPanel`,
:class:`LeaderboardPanel`, :class:`StatusLine` and :class:`AlertLog` can be displayed alone
and updated with ``panel.update(...)``; :class:`~flowframe.live.dashboard.Dashboard` composes
them. Stable CSS classes (``add_class``): every panel has ``ff-panel`` and its own
(``ff-headline``, ``ff-hedge``, ``ff-series``, ``ff-heatmap``, ``ff-leaderboard``,
``ff-status``, ``ff-alerts``); chart widgets carry ``ff-image`` (PNG) or ``ff-canvas``
(ipympl); the status line holds ``<span class='ff-tick' data-tick='N'>``.
"""

from flowframe.live.panels.alerts import AlertLog
from flowframe.live.panels.headline import HeadlinePanel
from flowframe.live.panels.heatmap import HeatmapPanel
from flowframe.live.panels.hedge import HedgePanel
from flowframe.live.panels.leaderboard import LeaderboardPanel
from flowframe.live.panels.series import SeriesPanel
from flowframe.live.panels.status import StatusLine

__all__ = [
    "AlertLog",
    "HeadlinePanel",
    "HeatmapPanel",
    "HedgePanel",
    "LeaderboardPanel",
    "SeriesPanel",
    "StatusLine",
]
