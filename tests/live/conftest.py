"""Fixtures of the widget tests: a frozen session, a dashboard refreshed on it, no pyplot."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import flowframe as ff
from flowframe.live import Dashboard
from tests.fakes import DATE, SYMBOLS


@pytest.fixture(autouse=True)
def _no_pyplot_figures() -> Iterator[None]:
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before, "the dashboard must never register figures with pyplot"


@pytest.fixture(scope="module")
def frozen() -> ff.Simulated:
    """One simulated session frozen at 14:00 ET, shared (its markets are built once)."""
    return ff.Simulated(seed=3, date=DATE, now="14:00", symbols=SYMBOLS, scale=0.02)


@pytest.fixture(scope="module")
def refreshed(frozen: ff.Simulated) -> Dashboard:
    dash = Dashboard("SPY", frozen, render="png")
    dash.refresh()
    return dash
