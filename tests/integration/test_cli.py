"""The flowframe command: the demo runs the notebooks into a report, or opens JupyterLab."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import webbrowser
from pathlib import Path
from typing import Any, ClassVar

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import flowframe
from flowframe.cli import demo as _demo
from flowframe.cli import main

PLOT = """\
import os
assert "FLASHALPHA_API_KEY" not in os.environ
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([1, 3, 2])
plt.show()"""


def write_notebook(folder: Path, name: str, *sources: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    cells = [new_markdown_cell(s[2:]) if s.startswith("md") else new_code_cell(s) for s in sources]
    path = folder / name
    nbformat.write(new_notebook(cells=cells), path)
    return path


# --- where a browser can open -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "platform", "browser", "expected"),
    [
        ({"DISPLAY": ":0"}, "linux", True, True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True, True),
        ({}, "linux", True, False),  # no display
        ({"DISPLAY": ""}, "linux", True, False),
        ({}, "freebsd14", True, False),
        ({"CI": "true", "DISPLAY": ":0"}, "linux", True, False),
        ({"CI": "1"}, "darwin", True, False),
        ({"CI": "false", "DISPLAY": ":0"}, "linux", True, True),
        ({"CI": ""}, "win32", True, True),
        ({}, "darwin", True, True),
        ({}, "win32", True, True),
        ({"DISPLAY": ":0"}, "linux", False, False),  # webbrowser finds none
        ({}, "darwin", False, False),
    ],
)
def test_can_open_browser(
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    platform: str,
    browser: bool,
    expected: bool,
) -> None:
    def get(using: str | None = None) -> object:
        if not browser:
            raise webbrowser.Error("could not locate runnable browser")
        return object()

    monkeypatch.setattr(webbrowser, "get", get)
    assert _demo.can_open_browser(environ, platform=platform) is expected


def test_can_open_browser_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webbrowser, "get", lambda using=None: object())
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("CI", "true")
    assert not _demo.can_open_browser(platform="linux")
    monkeypatch.delenv("CI")
    assert _demo.can_open_browser(platform="linux")


def test_kernel_env_drops_the_key_without_touching_os_environ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASHALPHA_API_KEY", "fa-secret")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    env = _demo.kernel_env()
    assert "FLASHALPHA_API_KEY" not in env and "MPLBACKEND" not in env
    assert env["PATH"]
    assert os.environ["FLASHALPHA_API_KEY"] == "fa-secret"


# --- headless: the report ---------------------------------------------------------------------


def test_headless_report_keeps_going_past_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLASHALPHA_API_KEY", "fa-secret-key")  # the kernels must not see it
    monkeypatch.setenv("MPLBACKEND", "Agg")  # nor a backend that hides the figures
    folder = tmp_path / "nbs"
    write_notebook(folder, "a_plot.ipynb", "md# A figure", PLOT)
    write_notebook(folder, "b_fails.ipynb", "print('before the failure')", "1 / 0", "print('no')")
    out = tmp_path / "report"
    argv = ["demo", "--headless", "--notebooks", str(folder), "--out", str(out), "--jobs", "2"]
    code = main([*argv, "--symbol", "SPY", "--date", "2026-09-18", "--now", "14:45"])
    printed = capsys.readouterr()
    assert code == 1
    lines = printed.out.splitlines()
    progress = [line for line in lines if line.startswith("  ")]
    assert len(progress) == 2
    (ok,) = [line for line in progress if "a_plot" in line]
    (bad,) = [line for line in progress if "b_fails" in line]
    assert ok.rstrip().endswith("1 figure") and " s " in ok
    assert "FAILED ZeroDivisionError: division by zero" in bad
    headline = next(i for i, line in enumerate(lines) if line.startswith("SPY live "))
    assert lines[headline].startswith("SPY live 2026-09-18 14:45 ET: ")
    index = (out / "index.html").resolve()
    report = next(i for i, line in enumerate(lines) if line.startswith("report: "))
    assert lines[report] == f"report: {index}"
    assert max(lines.index(p) for p in progress) < headline < report
    assert "1 of 2 notebooks failed: b_fails" in printed.err
    assert "fa-secret-key" not in printed.out + printed.err
    assert (
        os.environ["FLASHALPHA_API_KEY"] == "fa-secret-key"
    )  # the process's environment is untouched

    # the figure, as a PNG file and in the notebook's page
    png = out / "a_plot_1.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert not (out / "a_plot_2.png").exists()
    assert "data:image/png;base64," in (out / "a_plot.html").read_text()
    # the failing notebook keeps its page, with the outputs up to the error
    failed_page = (out / "b_fails.html").read_text()
    assert "before the failure" in failed_page and "ZeroDivisionError" in failed_page
    # the report page
    page = index.read_text()
    assert "Simulated data" in page and "SPY live 2026-09-18 14:45 ET:" in page
    assert "href='a_plot.html'" in page and "href='b_fails.html'" in page
    assert "src='a_plot_1.png'" in page and "A figure" in page
    assert "failed" in page and "ZeroDivisionError: division by zero" in page
    assert page.index("#a_plot") < page.index("#b_fails")  # sorted order
    assert "fa-secret-key" not in page
    for name in ("hedge_flow", "series", "heatmap_gex", "heatmap_signed_flow"):
        assert (out / f"summary_{name}.png").stat().st_size > 10_000
        assert f"src='summary_{name}.png'" in page
    assert (out / "kernels.log").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT handling in the event loop is POSIX")
def test_ctrl_c_in_headless_writes_what_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "nbs"
    # The kernel sends the Ctrl-C to the demo itself, so it arrives while the cell runs.
    write_notebook(
        folder,
        "a_interrupted.ipynb",
        "print('started')",
        "import os, signal, time\n"
        "os.kill(int(os.environ['JPY_PARENT_PID']), signal.SIGINT)\n"
        "time.sleep(120)",
    )
    write_notebook(folder, "b_skipped.ipynb", "1")
    out = tmp_path / "report"
    start = time.perf_counter()
    assert main(["demo", "--headless", "--notebooks", str(folder), "--out", str(out)]) == 130
    assert time.perf_counter() - start < 60
    printed = capsys.readouterr()
    assert "a_interrupted" in printed.out and "FAILED KeyboardInterrupt" in printed.out
    assert "b_skipped" in printed.out and "KeyboardInterrupt: not run" in printed.out
    assert f"report: {(out / 'index.html').resolve()}" in printed.out
    assert "interrupted" in printed.err
    assert "started" in (out / "a_interrupted.html").read_text()
    assert not (out / "b_skipped.html").exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# --- errors before anything runs ---------------------------------------------------------------


def test_no_notebooks_in_the_given_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["demo", "--headless", "--notebooks", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert f"no notebooks (*.ipynb) found in {(tmp_path / 'empty').resolve()}" in err


def test_no_notebooks_where_it_looks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    places = [tmp_path / "checkout" / "notebooks", tmp_path / "cwd" / "notebooks"]
    places[1].mkdir(parents=True)
    monkeypatch.setattr(_demo, "default_locations", lambda: places)
    assert main(["demo", "--headless"]) == 2
    err = capsys.readouterr().err
    assert f"found in {places[0]}, {places[1]}" in err and "--notebooks DIR" in err


def test_default_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    checkout = Path(flowframe.__file__).resolve().parents[1] / "notebooks"
    assert _demo.default_locations() == [checkout, tmp_path.resolve() / "notebooks"]
    write_notebook(tmp_path / "notebooks", "x.ipynb", "1")
    monkeypatch.setattr(_demo, "default_locations", lambda: [tmp_path / "no", Path("notebooks")])
    folder, paths = _demo.find_notebooks()
    assert folder == tmp_path.resolve() / "notebooks" and [p.name for p in paths] == ["x.ipynb"]


@pytest.mark.parametrize(
    ("argv", "module"), [(["--headless"], "nbclient"), (["--lab"], "jupyterlab")]
)
def test_missing_demo_extra(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    module: str,
) -> None:
    write_notebook(tmp_path, "a.ipynb", "1")
    monkeypatch.setitem(sys.modules, module, None)  # import fails
    monkeypatch.setattr(subprocess, "Popen", None)  # nothing is launched
    assert main(["demo", *argv, "--notebooks", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"flowframe demo needs {module}" in err and 'pip install "flowframe[demo]"' in err
    assert not (tmp_path / "o").exists()


def test_core_imports_without_the_demo_extra() -> None:
    blocked = ["nbclient", "nbconvert", "nbformat", "jupyterlab", "ipykernel", "jupyter_client"]
    code = (
        f"import sys; sys.modules.update(dict.fromkeys({blocked!r}))\n"
        "import flowframe, flowframe.cli, flowframe.cli.demo\n"
        "from flowframe.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--headless", "--lab"],
        ["--headless", "--no-browser"],
        ["--headless", "--", "--port", "9999"],
        ["--jobs", "0"],
    ],
)
def test_conflicting_options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", *argv])
    assert info.value.code == 2


# --- Lab ---------------------------------------------------------------------------------------


class FakeLab:
    """Stands in for subprocess.Popen: records the command, never starts anything."""

    launched: ClassVar[list[FakeLab]] = []
    script: ClassVar[
        list[Any]
    ] = []  # what successive wait() calls do: a return code or an exception

    def __init__(self, cmd: list[str], cwd: Path | None = None) -> None:
        self.cmd, self.cwd = cmd, cwd
        self.waits: list[float | None] = []
        self.signals: list[str] = []
        FakeLab.launched.append(self)

    def wait(self, timeout: float | None = None) -> int:
        self.waits.append(timeout)
        step = FakeLab.script.pop(0) if FakeLab.script else 0
        if isinstance(step, BaseException):
            raise step
        return int(step)

    def terminate(self) -> None:
        self.signals.append("terminate")

    def kill(self) -> None:
        self.signals.append("kill")


@pytest.fixture
def lab(monkeypatch: pytest.MonkeyPatch) -> type[FakeLab]:
    FakeLab.launched, FakeLab.script = [], []
    monkeypatch.setattr(subprocess, "Popen", FakeLab)
    return FakeLab


def test_lab_where_a_browser_can_open(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    lab: type[FakeLab],
) -> None:
    write_notebook(tmp_path, "01_quickstart.ipynb", "1")
    write_notebook(tmp_path, "02_live_dashboard.ipynb", "1")
    monkeypatch.setattr(_demo, "can_open_browser", lambda: True)
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    argv = ["demo", "--notebooks", str(tmp_path), "--out", str(tmp_path / "o")]
    assert main([*argv, "--symbol", "SPY", "--date", "2026-09-18"]) == 0
    (proc,) = lab.launched
    folder = tmp_path.resolve()
    assert proc.cmd == [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={folder}",
        "--ServerApp.answer_yes=True",
        "--LabApp.default_url=/lab/tree/02_live_dashboard.ipynb",
    ]
    assert proc.cwd == folder
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("SPY live 2026-09-18 14:45 ET: ")
    assert "02_live_dashboard.ipynb (Ctrl-C stops it)" in out
    assert not (tmp_path / "o").exists()  # no report in Lab mode


def test_lab_without_browser_passes_jupyter_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lab: type[FakeLab]
) -> None:
    write_notebook(tmp_path, "01_quickstart.ipynb", "1")  # no dashboard notebook: Lab's root

    def never() -> bool:
        raise AssertionError("--no-browser decides without detection")

    monkeypatch.setattr(_demo, "can_open_browser", never)
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    argv = ["demo", "--no-browser", "--notebooks", str(tmp_path), "--", "--port", "9999"]
    assert main(argv) == 0
    (proc,) = lab.launched
    assert proc.cmd[3:] == [
        f"--ServerApp.root_dir={tmp_path.resolve()}",
        "--ServerApp.answer_yes=True",
        "--no-browser",
        "--port",
        "9999",
    ]


def test_lab_as_root_is_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """JupyterLab refuses to run as root unless told; containers often run as root."""
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    assert _demo.lab_command(tmp_path, open_browser=False)[-1] == "--allow-root"
    given = _demo.lab_command(tmp_path, extra=["--allow-root"])
    assert given.count("--allow-root") == 1
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    assert "--allow-root" not in _demo.lab_command(tmp_path)


def test_lab_forced_where_no_browser_is_detected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lab: type[FakeLab]
) -> None:
    write_notebook(tmp_path, "02_live_dashboard.ipynb", "1")
    monkeypatch.setattr(_demo, "can_open_browser", lambda: False)
    lab.script = [3]
    assert main(["demo", "--lab", "--notebooks", str(tmp_path)]) == 3  # Lab's own exit code
    assert "--no-browser" not in lab.launched[0].cmd


@pytest.mark.parametrize(
    ("script", "signals"),
    [
        ([KeyboardInterrupt(), 0], []),  # the server stops by itself within the grace time
        (
            [KeyboardInterrupt(), subprocess.TimeoutExpired("lab", 30), 0],
            ["terminate"],
        ),
        (
            [
                KeyboardInterrupt(),
                KeyboardInterrupt(),  # Ctrl-C again
                subprocess.TimeoutExpired("lab", 5),
                0,
            ],
            ["terminate", "kill"],
        ),
    ],
)
def test_ctrl_c_ends_lab_cleanly(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lab: type[FakeLab],
    script: list[Any],
    signals: list[str],
) -> None:
    write_notebook(tmp_path, "02_live_dashboard.ipynb", "1")
    monkeypatch.setattr(_demo, "can_open_browser", lambda: True)
    lab.script = script
    assert main(["demo", "--notebooks", str(tmp_path)]) == 0
    (proc,) = lab.launched
    assert proc.waits[:2] == [None, 30.0]
    assert proc.signals == signals


def test_headless_where_no_browser_can_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_notebook(tmp_path, "01_quickstart.ipynb", "1")
    monkeypatch.setattr(_demo, "can_open_browser", lambda: False)
    monkeypatch.setattr(subprocess, "Popen", None)
    calls: list[tuple[list[Path], Path, dict[str, Any]]] = []

    def run_headless(paths: list[Path], out: Path, **kwargs: Any) -> _demo.Report:
        calls.append((paths, out, kwargs))
        return _demo.Report(index=out / "index.html", runs=[], summary=_demo.Summary())

    monkeypatch.setattr(_demo, "run_headless", run_headless)
    assert main(["demo", "--notebooks", str(tmp_path), "--out", "here", "--seed", "3"]) == 0
    ((paths, out, kwargs),) = calls
    assert [p.name for p in paths] == ["01_quickstart.ipynb"] and out == Path("here")
    assert kwargs["seed"] == 3 and kwargs["timeout"] == 600
    printed = capsys.readouterr().out
    assert printed.startswith("no browser can open here (CI or no display): running headless")
    assert f"report: {Path('here') / 'index.html'}" in printed


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("flowframe ")
