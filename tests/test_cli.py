"""The flowframe command: the demo writes its report from the simulated session."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowframe._cli import main


def test_demo_writes_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    assert (
        main(
            ["demo", "--out", str(out), "--date", "2026-09-18", "--now", "14:45", "--symbol", "SPY"]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "SPY live 2026-09-18 14:45 ET:" in printed
    assert f"report: {(out / 'index.html').resolve()}" in printed
    html = (out / "index.html").read_text()
    assert "Simulated data" in html and 'class="ff-snapshot"' in html
    assert html.count("data:image/png;base64,") == 4
    for name in ("hedge_flow", "series", "heatmap_gex", "heatmap_signed_flow"):
        assert (out / f"{name}.png").stat().st_size > 10_000


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("flowframe ")
