"""Research over many sessions: record a day, replay it, and :func:`sessions` on Dask.

- :func:`~flowframe.research.record.record` polls a source through a session into an
  :class:`~flowframe.Store`;
- :class:`~flowframe.research.replay.Replay` answers the six endpoints from that recording;
- :func:`~flowframe.research.sessions.sessions` lays many sessions and symbols on one Dataset.

Dask, distributed and tqdm load on first use, never on ``import flowframe``; the recorder and
the replay load on first use of ``ff.record`` / ``ff.Replay``.
"""

from __future__ import annotations

from flowframe.research.sessions import sessions

__all__ = ["sessions"]
