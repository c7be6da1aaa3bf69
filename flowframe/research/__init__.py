"""Research over many sessions at once: :func:`sessions` on Dask.

Dask, distributed and tqdm load on first use (inside :func:`sessions`), never on
``import flowframe``.
"""

from __future__ import annotations

from flowframe.research.sessions import sessions

__all__ = ["sessions"]
