"""Run a flowframe.serve application with uvicorn in a thread, on 127.0.0.1 only.

    with running(app(source)) as url:
        httpx.get(f"{url}/v1/flow/zero-dte/series/SPY", headers={"X-Api-Key": "k"})

The port is chosen by the system (port 0); the server stops, and its thread ends, when the
context exits (bounded waits).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from flowframe.serve import OneWriteProtocol


@contextlib.contextmanager
def running(application: Any, *, one_write: bool = True) -> Iterator[str]:
    """Serve ``application`` on 127.0.0.1 in a background thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        application,
        http=OneWriteProtocol if one_write else "h11",
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start within 30 s")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
