"""The hosted 0DTE flow API, served from any source: ``flowframe serve`` and :func:`app`.

Any program written against the hosted API (FlashAlpha's SDKs, flowframe's own client, a
bot) runs against a simulated session, a replayed day or your own tape, offline. Starlette
and uvicorn are the ``serve`` extra (``pip install 'flowframe[serve]'``); this package is
imported only when used.
"""

from __future__ import annotations

from flowframe.serve._app import app, parse
from flowframe.serve._keys import PLAN_QUOTA, REQUIRED_PLAN, Keys
from flowframe.serve._server import OneWriteProtocol, run

__all__ = ["PLAN_QUOTA", "REQUIRED_PLAN", "Keys", "OneWriteProtocol", "app", "parse", "run"]
