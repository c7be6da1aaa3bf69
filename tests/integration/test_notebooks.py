"""The notebooks run top to bottom on the simulated source, and are stored without outputs.

Each notebook is executed once per test run (a module-scoped cache) in a kernel started without
``FLASHALPHA_API_KEY`` (so every source is the simulated one and no request leaves the machine)
and without ``MPLBACKEND`` (so the kernel's inline backend turns figures into PNG outputs). The
tests then check what a reader would notice: no error, no stray warning, and the figures, tables
and cards each notebook promises.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from flowframe.sources.engine.decision.setups import DISPLAY_NAMES

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class ExecutedNotebooks:
    """Execute each notebook at most once and keep the result (and how long it took)."""

    def __init__(self) -> None:
        self._done: dict[Path, Any] = {}
        self.seconds: dict[str, float] = {}

    def __call__(self, path: Path) -> Any:
        if path not in self._done:
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(
                nb,
                timeout=300,
                kernel_name="python3",
                allow_errors=True,  # record every error as an output; the tests report them
                resources={"metadata": {"path": str(path.parent)}},
            )
            with pytest.MonkeyPatch.context() as mp:
                # the kernel inherits this environment: no key, and the inline backend
                mp.delenv("FLASHALPHA_API_KEY", raising=False)
                mp.delenv("MPLBACKEND", raising=False)
                start = time.perf_counter()
                client.execute()
                self.seconds[path.name] = time.perf_counter() - start
            self._done[path] = nb
        return self._done[path]


@pytest.fixture(scope="module")
def executed() -> Iterator[ExecutedNotebooks]:
    cache = ExecutedNotebooks()
    yield cache
    if cache.seconds:
        timings = ", ".join(f"{name} {s:.1f} s" for name, s in sorted(cache.seconds.items()))
        print(f"\nnotebook execution times: {timings}")


# --------------------------------------------------------------------------- output helpers


def _outputs(nb: Any) -> list[Any]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def _with_mime(nb: Any, mime: str) -> list[Any]:
    return [o for o in _outputs(nb) if mime in o.get("data", {})]


def _html(nb: Any) -> list[str]:
    return [str(o["data"]["text/html"]) for o in _with_mime(nb, "text/html")]


def _stream(nb: Any, name: str) -> str:
    return "".join(
        str(o.get("text", ""))
        for o in _outputs(nb)
        if o.get("output_type") == "stream" and o.get("name") == name
    )


def _all_text(nb: Any) -> str:
    parts = [_stream(nb, "stdout")]
    for o in _outputs(nb):
        data = o.get("data", {})
        parts.extend(str(data[m]) for m in ("text/plain", "text/html") if m in data)
    return "\n".join(parts)


def _last_code_cell(nb: Any) -> Any:
    return [c for c in nb.cells if c.cell_type == "code"][-1]


# --------------------------------------------------------------------------- per notebook


def _quickstart(nb: Any) -> None:
    assert len(_with_mime(nb, "image/png")) >= 3, "hedge-flow, series and heatmap figures"
    assert any('class="ff-snapshot"' in h for h in _html(nb)), "the snapshot's HTML card"
    assert any("<table" in h and "cumulative" in h for h in _html(nb)), "the hedge-flow frame"
    # ff.connect() without a key says once that the data is simulated
    assert _stream(nb, "stderr").count("FlowframeWarning") == 1


def _live_dashboard(nb: Any) -> None:
    assert _with_mime(nb, WIDGET_VIEW), "the dashboard renders as a widget view"
    # the session moved while the notebook waited, and the figures are kept as pictures
    ticks = re.search(r"(\d+) ticks; session clock (\d\d:\d\d) ET", _stream(nb, "stdout"))
    assert ticks is not None and int(ticks.group(1)) >= 5 and ticks.group(2) > "10:30", ticks
    assert len(_with_mime(nb, "image/png")) >= 3, "hedge-flow, series and heatmap as PNG"


def _playbook(nb: Any) -> None:
    html = _html(nb)
    assert any("<table" in h and "symbol" in h and "value" in h and "rank" in h for h in html), (
        "the leaderboard table"
    )
    assert sum('class="ff-snapshot' in h for h in html) >= 3, "cards at the open, power hour, close"
    text = _all_text(nb)
    assert any(name in text for name in DISPLAY_NAMES.values()), "the setup names"
    assert "conditions" in text and "anti-setups" in text
    assert len(_with_mime(nb, "image/png")) >= 2, "the midday hedge-flow and the power-hour series"


def _research(nb: Any) -> None:
    assert len(_with_mime(nb, "image/png")) >= 6, "one figure per study and the reliability plot"
    html = _html(nb)
    assert any("brier" in h and "climatology" in h and "skill" in h for h in html), (
        "the calibration table"
    )
    assert any("noise band" in h for h in html), "the flow-against-returns correlations"
    # section 6: the dealer priors as an ensemble, and the blocks what-if
    assert len(_with_mime(nb, "image/png")) >= 9, "the band, the two priors' GEX, the diff"
    assert any("1 of 4" in h or "2 of 4" in h for h in html), "the agreement table"
    stdout = _stream(nb, "stdout")
    assert "EnsembleSnapshot(SPX, 4 models" in stdout
    assert re.search(r"blocks of 50\+: [\d,]+ of [\d,]+ prints", stdout), "the what-if counted"
    assert "what_if: drop_blocks(size >= 50)" in stdout


def _hosted_api(nb: Any) -> None:
    stdout = _stream(nb, "stdout")
    assert "No FLASHALPHA_API_KEY" in stdout, "the no-key explanation"
    assert "MissingAPIKeyError" in stdout
    assert "TierRestrictedError" in stdout and "RateLimitError" in stdout
    assert "requests that reached the server: 0" in stdout, "validation before sending"
    last = _last_code_cell(nb)
    assert any("Done:" in str(o.get("text", "")) for o in last.outputs), "reaches the last cell"


def _history(nb: Any) -> None:
    stdout = _stream(nb, "stdout")
    assert re.search(r"79 cycles, 790 requests, 790 bodies written", _all_text(nb)), "recorded"
    assert "0 bodies written, 10 already held" in _all_text(nb), "a second run adds nothing"
    assert "snapshot body byte for byte: True" in stdout, "the replay is the recording"
    ticks = re.search(r"(\d+) ticks; session clock (\d\d:\d\d) ET", stdout)
    assert ticks is not None and int(ticks.group(1)) >= 5, "the dashboard ran on the replay"
    assert re.search(r"from the cache in [\d.]+ s: \d+x faster, identical", stdout)
    assert "crosses in 20 sessions x 2 symbols" in stdout, "the event study"
    assert len(_with_mime(nb, "image/png")) >= 4, "three dashboard panels and the study"


EXPECTATIONS: dict[str, Callable[[Any], None]] = {
    "01_quickstart.ipynb": _quickstart,
    "02_live_dashboard.ipynb": _live_dashboard,
    "03_session_playbook.ipynb": _playbook,
    "04_research.ipynb": _research,
    "05_hosted_api.ipynb": _hosted_api,
    "06_history.ipynb": _history,
}


# --------------------------------------------------------------------------- tests


def test_the_tutorials_are_all_there() -> None:
    names = {p.name for p in NOTEBOOKS}
    mine = {
        "01_quickstart.ipynb",
        "03_session_playbook.ipynb",
        "04_research.ipynb",
        "05_hosted_api.ipynb",
        "06_history.ipynb",
    }
    assert mine <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert nb.nbformat == 4
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_clean(path: Path, executed: ExecutedNotebooks) -> None:
    nb = executed(path)
    errors = [
        f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("output_type") == "error"
    ]
    assert errors == []
    # the only warning a reader may see is flowframe's own "the data is simulated"
    stray = [
        line
        for line in _stream(nb, "stderr").splitlines()
        if "Warning" in line and "FlowframeWarning" not in line
    ]
    assert stray == []


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_shows_what_it_promises(path: Path, executed: ExecutedNotebooks) -> None:
    nb = executed(path)
    check = EXPECTATIONS.get(path.name)
    if check is None:  # a notebook added later: at least it shows something
        assert _outputs(nb)
    else:
        check(nb)
