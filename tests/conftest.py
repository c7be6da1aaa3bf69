from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import matplotlib
import pytest

matplotlib.use("Agg")

import flowframe as ff
from tests.fakeapi import KEY, FakeAPI

DATA = Path(__file__).parent / "data"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees a key from the developer's environment."""
    monkeypatch.delenv("FLASHALPHA_API_KEY", raising=False)


class Recorder:
    """An httpx MockTransport handler that records requests and plays scripted responses."""

    def __init__(
        self, *responses: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
    ):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.responses:
            return httpx.Response(200, json={"bars": []})
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        if callable(item) and not isinstance(item, httpx.Response):
            return item(request)
        return item


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(sleeps: list[float]) -> Callable[..., ff.FlashAlpha]:
    def make(*responses: Any, **kwargs: Any) -> ff.FlashAlpha:
        recorder = Recorder(*responses)
        kwargs.setdefault("sleep", sleeps.append)
        kwargs.setdefault("seed", 0)
        client = ff.FlashAlpha(KEY, transport=httpx.MockTransport(recorder), **kwargs)
        client.recorder = recorder  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def fake_api() -> Iterator[FakeAPI]:
    with FakeAPI() as api:
        yield api
