"""``flowframe serve`` on the command line: the loopback warning, ``--keys`` files, ``--help``.

``flowframe.serve.run`` (and ``flowframe.serve._server.run``) is replaced by a recorder, and
``uvicorn.Server.run`` by a failure: nothing listens, whatever path the CLI imports run by.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import uvicorn

import flowframe.serve
from flowframe.cli import main
from flowframe.cli.serve import _is_loopback
from flowframe.serve import Keys, _server

SESSION = ["--date", "2026-09-18", "--now", "14:45", "--symbols", "SPY"]
WARNING = "without --keys"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def record(application: Any, **kwargs: Any) -> None:
        calls.append({"app": application, **kwargs})

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("flowframe serve started a real server in a test")

    monkeypatch.setattr(flowframe.serve, "run", record, raising=False)
    monkeypatch.setattr(_server, "run", record)
    monkeypatch.setattr(uvicorn.Server, "run", refuse)
    return calls


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_a_non_loopback_address_without_keys_warns(
    served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], host: str
) -> None:
    assert main(["serve", "--host", host, "--port", "8123", *SESSION]) == 0
    out, err = capsys.readouterr()
    assert f"warning: serving on {host} {WARNING}" in err
    assert "anyone who can reach it gets the Alpha plan; pass --keys FILE" in err
    assert f"http://{host}:8123/v1/flow/zero-dte/" in out
    (call,) = served
    assert (call["host"], call["port"], call["log_level"]) == (host, 8123, "warning")
    assert call["app"].state.keys.open


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_without_keys_does_not_warn(
    served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], host: str
) -> None:
    assert main(["serve", "--host", host, *SESSION]) == 0
    out, err = capsys.readouterr()
    assert WARNING not in err and "warning" not in err
    assert "any key, as Alpha" in out
    assert served[0]["port"] == 8000


def test_keys_file_serves_those_keys_and_silences_the_warning(
    served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secret = "sk-cli-5e4d3c2b1a"
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({secret: "growth", "k2": "Alpha"}))
    assert main(["serve", "--host", "0.0.0.0", "--keys", str(keys), *SESSION]) == 0
    out, err = capsys.readouterr()
    assert WARNING not in err
    held = served[0]["app"].state.keys
    assert isinstance(held, Keys) and not held.open and len(held) == 2
    assert "Keys(2 keys: 1 growth, 1 alpha)" in out
    assert secret not in out + err
    assert held.check(secret, "series").status == 0
    assert held.check(secret, "heatmap").status == 403


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file"),
        ("{not json", "not JSON"),
        ('["sk-cli-5e4d3c2b1a"]', "must hold a JSON object of key to plan"),
        ('{"sk-cli-5e4d3c2b1a": "platinum"}', "plan='platinum' is not allowed"),
        ('{" sk-cli-5e4d3c2b1a": "growth"}', "without surrounding spaces"),
        ('{"": "growth"}', "a key must be a non-empty string"),
    ],
)
def test_a_bad_keys_file_exits_2_with_a_message(
    served: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: str | None,
    message: str,
) -> None:
    keys = tmp_path / "keys.json"
    if content is not None:
        keys.write_text(content)
    assert main(["serve", "--keys", str(keys), *SESSION]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("flowframe serve: ") and message in err
    assert "sk-cli-5e4d3c2b1a" not in out + err  # the keys are never echoed
    assert served == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "0"],
        ["--port", "70000"],
        ["--now", "14:45", "--speed", "60"],
        ["--seed", "1", "--replay", "somewhere"],
    ],
)
def test_bad_options_exit_2(
    served: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", *argv])
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err
    assert served == []


def test_help_shows_the_sdk_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert 'base_url="http://127.0.0.1:8000"' in out
    assert "from flashalpha import FlashAlpha" in out
    assert 'fa.flow_zero_dte_series("SPY", bar="1m", minutes=60)' in out
    assert 'ff.FlashAlpha("any-key", base_url="http://127.0.0.1:8000")' in out
    assert "--keys FILE" in out and "--speed" in out
