"""Drive a real JupyterLab with Debian's Chromium through Playwright, offline.

The recipe is ``shared/reference/BROWSER-TESTS.md``: JupyterLab on 127.0.0.1 (a free port, a
random token, its own config, runtime, settings and workspace folders, its own process group),
Chromium launched by Playwright from the system binary (``playwright install`` is never run),
every request that is not to 127.0.0.1 aborted and recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LOCAL = ("http://127.0.0.1", "data:", "blob:")
# console noise that says nothing about the page (BROWSER-TESTS.md, P14)
HARMLESS = ("willReadFrequently", "without encryption", "Unsatisfied version")


def chromium() -> str | None:
    """Return the system Chromium binary (``FLOWFRAME_CHROMIUM`` overrides), or None."""
    for candidate in (
        os.environ.get("FLOWFRAME_CHROMIUM"),
        shutil.which("chromium"),
        "/usr/lib/chromium/chromium",
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def page_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?token={self.token}&reset"


@contextlib.contextmanager
def jupyterlab(root: Path, *, timeout: float = 120.0) -> Iterator[Lab]:
    """Start JupyterLab serving ``root``; stop it (and its kernels) on exit."""
    base = Path(tempfile.mkdtemp(prefix="ff-lab-"))
    settings = base / "settings"
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))  # no virtualised cells (P5)
    notices = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notices.parent.mkdir(parents=True)
    notices.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))  # (P6)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "MPLBACKEND": "",
    }
    env.pop("FLASHALPHA_API_KEY", None)  # the simulated source, always
    env.pop("MPLBACKEND")
    port, token = free_port(), secrets.token_hex(16)
    log = base / "lab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    lab = Lab(f"http://127.0.0.1:{port}", token, root, process, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited at start-up:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                status = httpx.get(f"{lab.url}/api/status", params={"token": token}, timeout=2)
                if status.status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"JupyterLab not ready in {timeout:.0f} s")
            time.sleep(0.25)
        yield lab
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the server and the kernels it started
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class Browser:
    """What a page did that a test may want to assert on."""

    context: Any
    blocked: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@contextlib.contextmanager
def chromium_context(
    *, block: tuple[str, ...] = (), viewport: tuple[int, int] = (1280, 900)
) -> Iterator[Browser]:
    """Launch Chromium with a fresh profile; abort every request that leaves 127.0.0.1.

    ``block`` lists URL fragments to abort as well (a front-end extension made missing, for a
    negative control).
    """
    from playwright.sync_api import sync_playwright

    binary = chromium()
    if binary is None:
        raise RuntimeError("no Chromium: apt-get install chromium (or set FLOWFRAME_CHROMIUM)")
    profile = tempfile.mkdtemp(prefix="ff-chrome-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=binary,
            headless=True,
            args=CHROME_ARGS,
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        browser = Browser(context)

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(LOCAL) and not any(part in url for part in block):
                r.continue_()
            else:
                browser.blocked.append(url)
                r.abort()

        context.route("**/*", route)
        try:
            yield browser
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def open_notebook(browser: Browser, lab: Lab, notebook: str, *, timeout: float = 120.0) -> Any:
    """Open ``notebook`` in Lab and wait until its kernel is idle and connected (P12)."""
    page = browser.context.new_page()
    page.on("pageerror", lambda e: browser.page_errors.append(str(e)))

    def console(message: Any) -> None:
        if message.type == "error" and not any(h in message.text for h in HARMLESS):
            browser.console_errors.append(message.text)

    page.on("console", console)
    page.goto(lab.page_url(notebook), wait_until="domcontentloaded", timeout=timeout * 1e3)
    page.wait_for_function(
        """() => {
            const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const k = w && w.sessionContext && w.sessionContext.session
                && w.sessionContext.session.kernel;
            return k && k.status === 'idle' && k.connectionStatus === 'connected';
        }""",
        timeout=timeout * 1e3,
        polling=250,
    )
    return page


def run_all_cells(page: Any) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
