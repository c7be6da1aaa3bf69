"""``flowframe demo``: the tutorial notebooks, in JupyterLab or as an HTML report.

Two modes:

* **Lab**: where a browser can open, launch JupyterLab on ``02_live_dashboard.ipynb`` with the
  notebooks folder as its root (:func:`launch_lab`).
* **Headless**: execute every ``notebooks/*.ipynb`` on the simulated source, one after the
  other in sorted order (``jobs`` runs several at once), and write ``index.html`` (headline,
  summary figures, one entry per notebook with its timing, figures and status), one HTML page
  per notebook and every figure as a PNG (:func:`run_headless`). It is the default in CI and
  wherever no browser can open (:func:`can_open_browser`).

The Jupyter packages come from the ``demo`` extra and are imported only here, lazily, so the
core package imports without them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import html
import inspect
import io
import os
import re
import signal
import subprocess
import sys
import time
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from flowframe._constants import API_KEY_ENV

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from nbclient import NotebookClient
    from nbformat import NotebookNode

    from flowframe.frames.snapshot import Snapshot

__all__ = [
    "DemoError",
    "NotebookRun",
    "Report",
    "can_open_browser",
    "find_notebooks",
    "headline",
    "kernel_env",
    "lab_command",
    "launch_lab",
    "require",
    "run_headless",
]

INSTALL_HINT: Final = 'pip install "flowframe[demo]"'
LIVE_DASHBOARD: Final = "02_live_dashboard.ipynb"
CELL_TIMEOUT: Final = 600.0
KERNEL_LOG: Final = "kernels.log"  # the kernels' own stdout and stderr, in the report folder
HEADLESS_MODULES: Final = ("nbclient", "nbconvert", "nbformat", "ipykernel")
LAB_MODULES: Final = ("jupyterlab", "ipykernel")
# Dropped from the kernels' environment: the key (so the notebooks use the simulated source)
# and a forced matplotlib backend (the inline backend is what puts figures in the outputs).
_DROPPED_ENV: Final = (API_KEY_ENV, "MPLBACKEND")
_FALSE: Final = ("", "0", "false", "no", "off")
_ANSI: Final = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_DATA_PNG: Final = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=\s]+)")
_PAGE_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:auto;padding:0 1em}"
    "table{border-collapse:collapse}td,th{padding:.2em .6em;text-align:left}"
    ".ok{color:#2ca02c}.failed{color:#d62728}img{max-width:100%}"
    ".thumbs img{max-width:340px;margin:.3em;border:1px solid #ddd}"
    "pre{white-space:pre-wrap;background:#fbeaea;padding:.5em}"
)


class DemoError(Exception):
    """The demo cannot start: a missing dependency or no notebooks to run."""


def can_open_browser(
    environ: Mapping[str, str] | None = None, *, platform: str | None = None
) -> bool:
    """Tell whether a web browser can open here; when it cannot, the demo runs headless.

    Parameters
    ----------
    environ : mapping, optional
        The environment to read; ``os.environ`` when omitted.
    platform : str, optional
        A ``sys.platform`` value; the current one when omitted.

    Returns
    -------
    bool
        False in CI (``CI`` set to anything but ``""``, ``0``, ``false``, ``no`` or ``off``),
        on Linux and other X11 systems with neither ``DISPLAY`` nor ``WAYLAND_DISPLAY`` set, and
        where :func:`webbrowser.get` finds no browser; True otherwise.
    """
    env = os.environ if environ is None else environ
    plat = sys.platform if platform is None else platform
    if env.get("CI", "").strip().lower() not in _FALSE:
        return False
    if not plat.startswith(("darwin", "win32", "cygwin")) and not (
        env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
    ):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def require(modules: Sequence[str]) -> None:
    """Import ``modules`` or raise one error naming the missing ones and the install command.

    Raises
    ------
    DemoError
        Some of them cannot be imported.
    """
    missing = []
    for name in modules:
        try:
            import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise DemoError(
            f"flowframe demo needs {', '.join(missing)}, from the demo extra: {INSTALL_HINT}"
        )


def default_locations() -> list[Path]:
    """Return where the notebooks are looked for, in order.

    Returns
    -------
    list of pathlib.Path
        ``notebooks/`` at the root of the source tree (an editable install), then
        ``./notebooks`` under the working directory.
    """
    import flowframe

    places = [Path(flowframe.__file__).resolve().parents[1] / "notebooks"]
    here = (Path.cwd() / "notebooks").resolve()
    return places if here in places else [*places, here]


def _notebooks_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def find_notebooks(folder: Path | None = None) -> tuple[Path, list[Path]]:
    """Locate the folder of tutorial notebooks and list them in sorted order.

    Parameters
    ----------
    folder : pathlib.Path, optional
        Use this folder (``--notebooks``) instead of the :func:`default_locations`.

    Returns
    -------
    tuple of (pathlib.Path, list of pathlib.Path)
        The folder, absolute, and its ``*.ipynb`` files.

    Raises
    ------
    DemoError
        No notebooks there, saying where it looked.
    """
    places = [p.resolve() for p in ([folder] if folder is not None else default_locations())]
    for place in places:
        found = _notebooks_in(place) if place.is_dir() else []
        if found:
            return place, found
    where = ", ".join(str(p) for p in places)
    hint = (
        ""
        if folder is not None
        else "; run it from a flowframe checkout (installed with pip install -e) "
        "or pass --notebooks DIR"
    )
    raise DemoError(f"no notebooks (*.ipynb) found in {where}{hint}")


def kernel_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for the notebook kernels: a copy without the API key.

    Without ``FLASHALPHA_API_KEY`` every notebook uses the simulated source; ``MPLBACKEND`` is
    dropped too so that figures reach the outputs through the inline backend. The process's
    own environment is left as it is.

    Parameters
    ----------
    environ : mapping, optional
        The environment to copy; ``os.environ`` when omitted.

    Returns
    -------
    dict
        The kernels' environment.
    """
    env = dict(os.environ if environ is None else environ)
    for name in _DROPPED_ENV:
        env.pop(name, None)
    return env


def headline(snap: Snapshot, symbol: str) -> str:
    """Write the one-line headline of a snapshot, as the demo prints it.

    Parameters
    ----------
    snap : Snapshot
        The decision snapshot.
    symbol : str
        Its symbol, first on the line.

    Returns
    -------
    str
        ``"<symbol> <status> <time ET>: <narrative>"``.
    """
    if snap.headline is not None:
        text = snap.headline.narrative
    elif snap.status == "live":
        lv = snap.levels
        flow_label = snap.flow_direction.label if snap.flow_direction else "n/a"
        pin = snap.raw.get("pin_risk", {})
        flip = lv["gamma_flip"] if lv["gamma_flip"] is not None else float("nan")
        magnet = lv["magnet"] if lv["magnet"] is not None else float("nan")
        text = (
            f"{snap.regime}, spot {snap.spot:,.2f}, gamma flip {flip:,.2f}, "
            f"magnet {magnet:,.0f}, pin score {pin.get('pin_score')}, "
            f"pin odds {pin.get('pin_probability_pct')}%, flow {flow_label}"
        )
    else:
        text = snap.message or ""
    when = (
        snap.as_of.tz_convert("America/New_York").strftime("%Y-%m-%d %H:%M ET")
        if snap.as_of
        else ""
    )
    return f"{symbol} {snap.status} {when}: {text}"


def simulated_snapshot(symbol: str, *, now: str, seed: int, date: str | None) -> Snapshot:
    """Return the snapshot of ``symbol`` from the simulated session these options select.

    Parameters
    ----------
    symbol : str
        SPX, SPY, QQQ or IWM.
    now : str
        Session clock, ET (``"HH:MM"``).
    seed : int
        Simulation seed.
    date : str, optional
        Session date; the latest weekday when omitted.

    Returns
    -------
    Snapshot
        The decision snapshot.
    """
    import flowframe as ff

    return ff.snapshot(symbol, source=ff.Simulated(seed=seed, date=date, now=now))


# --- headless: the summary at the top of the report -------------------------------------------


@dataclass
class Summary:
    """The top of the report, from the simulated session of ``--symbol/--now/--seed/--date``.

    Attributes
    ----------
    headline : str
        The snapshot headline, as printed.
    lines : list of str
        More lines to print after it.
    html : str
        The snapshot card, leaderboard and summary figures (``summary_*.png``).
    source : str
        The simulated source, as its repr.
    error : str or None
        ``"<ErrorName>: <message>"`` when it could not be computed.
    """

    headline: str = ""
    source: str = ""
    lines: list[str] = field(default_factory=list)
    html: str = ""
    error: str | None = None


def _png(draw: Callable[[Axes], object]) -> bytes:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.8))
    draw(fig.add_subplot())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def _summary(out: Path, *, symbol: str, now: str, seed: int, date: str | None) -> Summary:
    """Load every endpoint from the simulated session and draw the top-of-report figures."""
    import flowframe as ff
    from flowframe.frames.card import snapshot_card

    src = ff.Simulated(seed=seed, date=date, now=now)
    hedge = ff.hedge_flow(symbol, side="split", bar="1m", minutes=390, source=src)
    series = ff.series(symbol, bar="1m", minutes=390, source=src)
    gex = ff.heatmap(symbol, metric="gex", minutes=390, source=src)
    flow = ff.heatmap(symbol, metric="signed_flow", minutes=120, source=src)
    board = ff.leaderboard(n=5, source=src)
    snap = ff.snapshot(symbol, source=src)
    figures: dict[str, tuple[str, Callable[[Axes], object]]] = {
        "hedge_flow": (
            "Dealer hedge-flow, calls and puts, with spot",
            lambda ax: hedge.flow.plot_hedge(ax=ax, price=series["spot"]),
        ),
        "series": (
            "Session series: spot, gamma flip, walls, magnet, regime",
            lambda ax: series.flow.plot_series(ax=ax),
        ),
        "heatmap_gex": ("GEX by strike and time", lambda ax: gex.flow.plot(ax=ax)),
        "heatmap_signed_flow": (
            "Signed aggressor flow by strike, last 2 hours",
            lambda ax: flow.flow.plot(ax=ax),
        ),
    }
    sections = []
    for name, (caption, draw) in figures.items():
        filename = f"summary_{name}.png"
        (out / filename).write_bytes(_png(draw))
        sections.append(
            f"<h3>{html.escape(caption)}</h3><a href='{filename}'>"
            f"<img alt='{html.escape(caption)}' src='{filename}'></a>"
        )
    runs = hedge.flow.accelerating_runs(price=series["spot"])
    flips = hedge.flow.sign_flips()
    confirmed = int(runs["confirmed"].sum()) if len(runs) else 0
    total = ff.format_money(hedge["cumulative"].iloc[-1])
    return Summary(
        headline=headline(snap, symbol),
        source=repr(src),
        lines=[f"hedge-flow: {len(hedge)} 1-minute bars, cumulative {total}"],
        html=(
            snapshot_card(snap)  # the notebook's card, from its one renderer
            + f"<h3>Leaderboard (heat)</h3>{board.to_html()}"
            + f"<p>{len(flips)} sign flips of the per-bar flow; {len(runs)} accelerating runs "
            f"({confirmed} confirmed by spot).</p>" + "".join(sections)
        ),
    )


# --- headless: executing the notebooks -----------------------------------------------------


@dataclass
class NotebookRun:
    """What happened to one notebook.

    Attributes
    ----------
    path : pathlib.Path
        The notebook.
    title : str
        Its first Markdown heading (the file's stem when it has none).
    seconds : float
        Wall time of the execution.
    figures : list of pathlib.Path
        The PNG files extracted from its outputs, ``<notebook>_<n>.png``.
    html : pathlib.Path or None
        Its HTML page; None when the export failed too.
    error : str or None
        ``"<ErrorName>: <message>"`` when it failed.
    """

    path: Path
    title: str
    seconds: float = 0.0
    figures: list[Path] = field(default_factory=list)
    html: Path | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every cell ran."""
        return self.error is None


@dataclass
class Report:
    """The outcome of :func:`run_headless`.

    Attributes
    ----------
    index : pathlib.Path
        The report page, absolute.
    runs : list of NotebookRun
        One per notebook, in sorted order.
    summary : Summary
        The headline and summary section.
    interrupted : bool
        Ctrl-C stopped the run; the report shows what ran until then.
    """

    index: Path
    runs: list[NotebookRun]
    summary: Summary
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        """Whether every notebook and the summary ran."""
        return self.summary.error is None and all(run.ok for run in self.runs)


def _clean(text: str) -> str:
    return _ANSI.sub("", text).strip()


def _error(name: str, message: str) -> str:
    message = _clean(message)
    return f"{name}: {message}" if message else name


def _title(nb: NotebookNode, default: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in str(cell.source).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def _figures(nb: NotebookNode) -> list[bytes]:
    """Return the PNG figures in the outputs: inline images and images inside HTML (ipympl)."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                found.append(base64.b64decode(data["image/png"]))
            elif "text/html" in data:
                text = data["text/html"]
                text = "".join(text) if isinstance(text, list) else str(text)
                found.extend(base64.b64decode(m) for m in _DATA_PNG.findall(text))
    return found


def _export_html(nb: NotebookNode, name: str) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", embed_images=True)  # type: ignore[no-untyped-call]
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}})
    return body


class _Interrupt:
    """Ctrl-C while notebooks run: interrupt the running kernels, then shut them down.

    nbclient does not survive the cancellation of its task (what ``asyncio.run`` does on
    SIGINT), and while a notebook runs it sets its own SIGINT handler, which kills that
    notebook's kernel only. This handler replaces both (:meth:`install` runs again once each
    notebook has started and after it ends): the first Ctrl-C interrupts the running kernels,
    whose cells then fail with KeyboardInterrupt, and skips the notebooks not started yet; a
    second one shuts the kernels down. The report of what ran is still written.
    """

    def __init__(self) -> None:
        self.count = 0
        self.running: set[NotebookClient] = set()
        self._pending: set[asyncio.Future[object]] = set()

    def __call__(self) -> None:
        self.count += 1
        for client in list(self.running):
            # nbclient's manager is asynchronous, though typed as the synchronous one.
            km: Any = client.km
            if km is None:
                continue
            action = km.interrupt_kernel() if self.count == 1 else km.shutdown_kernel(now=True)
            if inspect.isawaitable(action):
                task = asyncio.ensure_future(action)
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)

    def install(self, **_: object) -> None:
        """Handle SIGINT in the running loop where it can (not on Windows, nor off the main thread).

        It takes and ignores keywords so that it can be nbclient's ``on_notebook_start`` hook.
        """
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self)

    def remove(self) -> None:
        """Give SIGINT back to Python's default handler."""
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)


async def _run_notebook(
    path: Path,
    out: Path,
    *,
    env: dict[str, str],
    log: IO[str],
    timeout: float,
    gate: asyncio.Semaphore,
    interrupt: _Interrupt,
) -> NotebookRun:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    async with gate:
        start = time.perf_counter()
        run = NotebookRun(path=path, title=path.stem)
        if interrupt.count:
            run.error = "KeyboardInterrupt: not run"
            return run
        try:
            nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
        except Exception as exc:
            run.error = _error(type(exc).__name__, str(exc))
            return run
        run.title = _title(nb, path.stem)
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            on_notebook_start=interrupt.install,
        )
        interrupt.running.add(client)
        try:
            await client.async_execute(env=env, stdout=log, stderr=log)
        except CellExecutionError as exc:
            run.error = _error(exc.ename, exc.evalue)
        except Exception as exc:
            run.error = _error(type(exc).__name__, str(exc))
        finally:
            interrupt.running.discard(client)
            interrupt.install()  # nbclient removed its handler, which had replaced this one
        run.seconds = time.perf_counter() - start
    for n, png in enumerate(_figures(nb), start=1):
        target = out / f"{path.stem}_{n}.png"
        target.write_bytes(png)
        run.figures.append(target)
    try:
        page = await asyncio.to_thread(_export_html, nb, path.stem)
    except Exception as exc:
        if run.error is None:
            run.error = "HTML export, " + _error(type(exc).__name__, str(exc))
    else:
        run.html = out / f"{path.stem}.html"
        run.html.write_text(page, encoding="utf-8")
    return run


def _progress(run: NotebookRun, width: int) -> str:
    n = len(run.figures)
    line = f"  {run.path.stem:<{width}} {run.seconds:6.1f} s  {n} figure{'s' * (n != 1)}"
    return line if run.ok else f"{line}  FAILED {run.error}"


def _notebook_row(run: NotebookRun) -> str:
    name = html.escape(run.path.stem)
    link = f"<a href='{html.escape(run.html.name)}'>{name}</a>" if run.html else name
    status = (
        "<span class='ok'>ok</span>"
        if run.ok
        else f"<span class='failed'>failed</span><pre>{html.escape(run.error or '')}</pre>"
    )
    thumbs = "".join(
        f"<a href='{html.escape(p.name)}'><img alt='{html.escape(p.name)}' "
        f"src='{html.escape(p.name)}'></a>"
        for p in run.figures
    )
    return (
        f"<section><h3>{link}: {html.escape(run.title)}</h3>"
        f"<p>{status} in {run.seconds:.1f} s, {len(run.figures)} figures</p>"
        f"<div class='thumbs'>{thumbs}</div></section>"
    )


def _write_index(out: Path, runs: list[NotebookRun], summary: Summary, source: str) -> Path:
    def row(r: NotebookRun) -> str:
        name = html.escape(r.path.stem)
        link = f"<a href='{html.escape(r.html.name)}'>{name}</a>" if r.html else name
        state = "ok" if r.ok else "failed"
        return (
            f"<tr><td>{link}</td><td>{html.escape(r.title)}</td>"
            f"<td class='{state}'>{state}</td><td>{r.seconds:.1f} s</td>"
            f"<td><a href='#{name}'>{len(r.figures)}</a></td></tr>"
        )

    rows = "".join(row(r) for r in runs)
    notebooks = "<h2>Notebook figures</h2>" + "".join(
        f"<div id='{html.escape(r.path.stem)}'>{_notebook_row(r)}</div>" for r in runs
    )
    top = (
        f"<p class='failed'>Summary failed: {html.escape(summary.error)}</p>"
        if summary.error
        else f"<p><b>{html.escape(summary.headline)}</b></p>"
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>flowframe demo</title>"
        f"<style>{_PAGE_STYLE}</style></head><body>"
        "<h1>flowframe demo</h1>"
        + top
        + "<p><b>Simulated data.</b> The notebooks ran without an API key, so on flowframe's "
        "simulated 0DTE session: chain, trade tape and spot path generated at realistic scale, "
        "computed by the local engine into the hosted API's payloads. The headline and the "
        f"figures at a glance come from {html.escape(source)}. Estimates from a model of dealer "
        "positioning, not any dealer's book.</p>"
        "<h2>Notebooks</h2><table><tr><th>notebook</th><th>title</th><th>status</th><th>time</th>"
        f"<th>figures</th></tr>{rows}</table>"
        + "<h2>At a glance</h2>"
        + summary.html
        + notebooks
        + f"<p><small>Kernel logs: <a href='{KERNEL_LOG}'>{KERNEL_LOG}</a></small></p>"
        + "</body></html>"
    )
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index.resolve()


async def _run_all(
    paths: Sequence[Path],
    out: Path,
    *,
    jobs: int,
    timeout: float,
    log: IO[str],
    echo: Callable[[str], None],
) -> tuple[list[NotebookRun], bool]:
    env = kernel_env()
    gate = asyncio.Semaphore(max(1, jobs))
    width = max(len(p.stem) for p in paths)
    interrupt = _Interrupt()

    async def one(path: Path) -> NotebookRun:
        run = await _run_notebook(
            path, out, env=env, log=log, timeout=timeout, gate=gate, interrupt=interrupt
        )
        echo(_progress(run, width))
        return run

    interrupt.install()
    try:
        runs = list(await asyncio.gather(*(one(p) for p in paths)))
    finally:
        interrupt.remove()
    return runs, interrupt.count > 0


def run_headless(
    paths: Sequence[Path],
    out: Path,
    *,
    symbol: str = "SPX",
    now: str = "14:45",
    seed: int = 0,
    date: str | None = None,
    jobs: int = 1,
    timeout: float = CELL_TIMEOUT,
    echo: Callable[[str], None] = print,
) -> Report:
    """Execute the notebooks on the simulated source and write the HTML report.

    A notebook that fails is kept (its outputs up to the error, its figures and its page) and
    marked failed; the others still run.

    Parameters
    ----------
    paths : sequence of pathlib.Path
        The notebooks; each runs with its own folder as working directory.
    out : pathlib.Path
        The report folder, created if needed.
    symbol, now, seed, date
        The simulated session of the headline and the summary figures.
    jobs : int, default 1
        How many notebooks run at once. One at a time keeps the timing of each notebook as
        when it runs alone (the live dashboard waits on the session clock).
    timeout : float, default 600
        Seconds allowed per cell.
    echo : callable, default print
        Receives the progress lines: one per notebook as it finishes, then the headline.

    Returns
    -------
    Report
        The report page and what happened to each notebook.

    Raises
    ------
    DemoError
        The Jupyter packages of the demo extra are missing.
    """
    require(HEADLESS_MODULES)
    out.mkdir(parents=True, exist_ok=True)
    echo(
        f"running {len(paths)} notebook{'s' * (len(paths) != 1)} from "
        f"{paths[0].parent if paths else '-'} on the simulated source"
        + (f", {jobs} at a time" if jobs > 1 else "")
    )
    with (out / KERNEL_LOG).open("w", encoding="utf-8") as log:
        runs, interrupted = asyncio.run(
            _run_all(paths, out, jobs=jobs, timeout=timeout, log=log, echo=echo)
        )
    # After the notebooks, not beside them: notebooks that wait on the session clock (the live
    # dashboard) must not compete for the CPU.
    if interrupted:
        summary = Summary(error="not computed, interrupted")
    else:
        try:
            summary = _summary(out, symbol=symbol, now=now, seed=seed, date=date)
        except Exception as exc:
            summary = Summary(error=_error(type(exc).__name__, str(exc)))
    index = _write_index(out, runs, summary, summary.source or f"Simulated(seed={seed})")
    if summary.error is None:
        echo(summary.headline)
        for line in summary.lines:
            echo(line)
    elif not interrupted:
        echo(f"headline: failed, {summary.error}")
    return Report(index=index, runs=runs, summary=summary, interrupted=interrupted)


# --- Lab --------------------------------------------------------------------------------------


def lab_command(folder: Path, *, open_browser: bool = True, extra: Sequence[str] = ()) -> list[str]:
    """Return the command line that serves ``folder`` in JupyterLab on the live dashboard.

    Parameters
    ----------
    folder : pathlib.Path
        The notebooks folder, the server's root.
    open_browser : bool, default True
        Open a browser tab (``--no-browser`` otherwise; the server prints its URL).
    extra : sequence of str, optional
        More JupyterLab options (``--port 9999``, ``--allow-root``), before the notebook.

    Returns
    -------
    list of str
        ``python -m jupyterlab ...``, opening ``02_live_dashboard.ipynb`` when it exists.
    """
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={folder}",
        "--ServerApp.answer_yes=True",  # Ctrl-C stops the server without asking
    ]
    if (folder / LIVE_DASHBOARD).exists():
        # The page the browser opens, and the URL the server prints.
        cmd.append(f"--LabApp.default_url=/lab/tree/{LIVE_DASHBOARD}")
    if not open_browser:
        cmd.append("--no-browser")
    if getattr(os, "geteuid", lambda: -1)() == 0 and "--allow-root" not in extra:
        cmd.append("--allow-root")  # Lab refuses root otherwise (containers often are root)
    cmd.extend(extra)
    return cmd


def launch_lab(
    folder: Path, *, open_browser: bool = True, extra: Sequence[str] = (), grace: float = 30.0
) -> int:
    """Run JupyterLab in the foreground until it exits or Ctrl-C stops it.

    Parameters
    ----------
    folder : pathlib.Path
        The notebooks folder.
    open_browser : bool, default True
        Open a browser tab.
    extra : sequence of str, optional
        More JupyterLab options.
    grace : float, default 30
        Seconds the server gets to shut down its kernels after Ctrl-C before it is terminated.

    Returns
    -------
    int
        JupyterLab's exit code; 0 after Ctrl-C.

    Raises
    ------
    DemoError
        JupyterLab is not installed.
    """
    require(LAB_MODULES)
    cmd = lab_command(folder, open_browser=open_browser, extra=extra)
    process = subprocess.Popen(cmd, cwd=folder)
    try:
        return process.wait()
    except KeyboardInterrupt:
        # The server got the same SIGINT and is shutting down; give it time to stop kernels.
        try:
            process.wait(timeout=grace)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return 0
