"""The sources layer: everything that answers the six endpoints with wire payloads.

- :mod:`~flowframe.sources.base`: the :class:`Source` protocol every source satisfies.
- :mod:`~flowframe.sources.endpoints`: the six ``get_*`` methods (validation, signatures,
  docstrings) written once for every shipped source, each of which writes ``_get`` only.
- :mod:`~flowframe.sources.default`: ``ff.connect()``, the default source.
- :mod:`~flowframe.sources.hosted`: the FlashAlpha HTTP client (the only user of httpx).
- :mod:`~flowframe.sources.engine`: the local engine over a chain, a tape and a spot path
  (``ff.Local``, ``ff.Simulated``), with the decision layer that computes snapshot bodies.
- :mod:`~flowframe.sources.samples`: a light, seeded source of fixed-shape sample bodies.

Vendor readers (build the engine's inputs from real tapes) and a replayed store belong here.
"""

from flowframe.sources.base import Source
from flowframe.sources.default import connect, reset_default_source

__all__ = ["Source", "connect", "reset_default_source"]
