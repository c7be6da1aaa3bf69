"""The live dashboard in a real browser: JupyterLab and Debian's Chromium, offline.

``notebooks/02_live_dashboard.ipynb`` is opened in JupyterLab, run with "Run All Cells", and
watched as a trader would: the status counter must rise, and the hedge-flow and heatmap
figures must be on the page, not blank, and change between two moments. Once on ipympl
canvases (the notebook as stored, ``%matplotlib widget``) and once as PNG images (the same
notebook without ipympl). A negative control blocks ipympl's front-end extension: the label
still counts, but the check must fail, which proves it looks at the pictures.

Screenshots go to ``artifacts/browser/``. Without Chromium the tests skip, except under CI
(``CI`` set), where they fail: ``.ci/run`` installs Chromium first.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.integration.jupyterlab import Lab, chromium, chromium_context, jupyterlab, open_notebook
from tests.integration.jupyterlab import run_all_cells as run_all

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "02_live_dashboard.ipynb"
ARTIFACTS = ROOT / "artifacts" / "browser"
PANELS = ("ff-hedge", "ff-heatmap")
FIRST_TICK_TIMEOUT = 180.0  # kernel start, imports, the engine's first session computation
WATCH = 4.0  # seconds between the two moments compared

if chromium() is None:
    if os.environ.get("CI"):
        pytest.fail(
            "the browser test needs Chromium and CI must not skip it: .ci/run installs it "
            "(apt-get install chromium), or set FLOWFRAME_CHROMIUM",
            pytrace=False,
        )
    pytest.skip("no Chromium here (apt-get install chromium)", allow_module_level=True)


# reads one chart panel: is its picture there, how much of it is drawn, and a signature
LOOK = """(panel) => {
    const root = document.querySelector('.' + panel);
    if (!root) return {found: false};
    let source = root.querySelector('.ff-canvas canvas');
    let kind = 'canvas';
    if (!source) {
        const img = root.querySelector('img.ff-image');
        if (!img || !img.complete || img.naturalWidth === 0) return {found: false};
        source = document.createElement('canvas');
        source.width = img.naturalWidth;
        source.height = img.naturalHeight;
        source.getContext('2d').drawImage(img, 0, 0);
        kind = 'img';
    }
    if (source.width === 0 || source.height === 0) return {found: false};
    const data = source.getContext('2d').getImageData(0, 0, source.width, source.height).data;
    let drawn = 0;
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) {
            drawn += 1;
        }
        hash = (hash * 31 + data[i] + 7 * data[i + 1] + 13 * data[i + 2]) | 0;
    }
    return {found: true, kind: kind, width: source.width, height: source.height,
            drawn: drawn / (data.length / 4), hash: hash};
}"""
TICK = """() => {
    const e = document.querySelector('.ff-status .ff-tick');
    return e ? Number(e.dataset.tick) : null;
}"""


@dataclass
class Watch:
    """What the page showed over the run."""

    ticks: list[int] = field(default_factory=list)
    first: dict[str, Any] = field(default_factory=dict)
    second: dict[str, Any] = field(default_factory=dict)
    headline: str = ""
    seconds: float = 0.0


def watch(lab: Lab, notebook: str, name: str, *, block: tuple[str, ...] = ()) -> Watch:
    """Open, run all, and watch the dashboard; assert what a trader would see."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    seen = Watch()
    with chromium_context(block=block, viewport=(1600, 2400)) as browser:
        page = open_notebook(browser, lab, notebook)
        run_all(page)

        def sample() -> int | None:
            found = page.evaluate(TICK)
            tick = None if found is None else int(found)
            if tick is not None:
                seen.ticks.append(tick)
            return tick

        deadline = time.monotonic() + FIRST_TICK_TIMEOUT
        while (sample() or 0) < 3:  # bounded: every wait has a deadline
            assert time.monotonic() < deadline, f"the status counter never reached 3: {seen}"
            page.wait_for_timeout(150)
        page.wait_for_timeout(800)  # a canvas lags its label by a round trip (P8)
        dashboard = page.locator(".ff-dashboard").first
        dashboard.scroll_into_view_if_needed()
        seen.first = {panel: page.evaluate(LOOK, panel) for panel in PANELS}
        dashboard.screenshot(path=str(ARTIFACTS / f"{name}_1.png"))
        until = time.monotonic() + WATCH
        while time.monotonic() < until:
            sample()
            page.wait_for_timeout(150)
        page.wait_for_timeout(800)
        sample()
        seen.second = {panel: page.evaluate(LOOK, panel) for panel in PANELS}
        dashboard.screenshot(path=str(ARTIFACTS / f"{name}_2.png"))
        page.screenshot(path=str(ARTIFACTS / f"{name}_page.png"))
        seen.headline = page.locator(".ff-headline").first.inner_text()
        assert browser.page_errors == [], browser.page_errors
        leaked = [u for u in browser.blocked if not any(b in u for b in block)]
        assert leaked == [], f"requests beyond 127.0.0.1: {leaked}"
        if block:
            assert any(any(b in u for b in block) for u in browser.blocked), "nothing blocked"
    seen.seconds = time.monotonic() - start
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(seen.__dict__, indent=1, default=str))
    check(seen)
    return seen


def check(seen: Watch) -> None:
    """The assertions: a rising counter, pictures present, drawn and changing."""
    distinct = sorted(set(seen.ticks))
    assert seen.ticks == sorted(seen.ticks), f"the counter went down: {seen.ticks}"
    assert len(distinct) >= 3, f"the counter did not keep rising: {distinct}"
    for panel in PANELS:
        first, second = seen.first[panel], seen.second[panel]
        assert first["found"] and second["found"], f"{panel}: no canvas or image on the page"
        assert first["drawn"] > 0.02 and second["drawn"] > 0.02, f"{panel} is blank: {first}"
        assert first["hash"] != second["hash"], f"{panel} did not change in {WATCH} s"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One JupyterLab for the module, over copies of the live notebook (Lab may save them)."""
    root = tmp_path_factory.mktemp("notebooks")
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    stored = json.loads(NOTEBOOK.read_text())
    cell = stored["cells"][1]
    text = "".join(cell["source"])
    assert text.startswith("%matplotlib widget"), "the live notebook starts with ipympl"
    cell["source"] = text.replace("%matplotlib widget", "%matplotlib inline", 1)
    (root / "02_live_dashboard_png.ipynb").write_text(json.dumps(stored))
    with jupyterlab(root) as server:
        yield server


def test_dashboard_updates_live_on_ipympl_canvases(lab: Lab) -> None:
    seen = watch(lab, NOTEBOOK.name, "ipympl")
    for panel in PANELS:
        assert seen.first[panel]["kind"] == "canvas"
        assert seen.first[panel]["width"] >= 600 and seen.first[panel]["height"] >= 200
    assert "SPY" in seen.headline or "flow" in seen.headline.lower(), seen.headline


def test_dashboard_updates_live_as_png_images(lab: Lab) -> None:
    seen = watch(lab, "02_live_dashboard_png.ipynb", "png")
    for panel in PANELS:
        assert seen.first[panel]["kind"] == "img"


def test_negative_control_without_the_widget_front_end(lab: Lab) -> None:
    """With ipympl's front-end extension missing, the counter still rises but there is no
    canvas: the check must fail (it looks at the pictures, not only at the label)."""
    with pytest.raises(AssertionError, match="no canvas or image on the page") as failed:
        watch(lab, NOTEBOOK.name, "negative", block=("jupyter-matplotlib",))
    assert "counter" not in str(failed.value)  # it failed on the pictures, not on the ticks
