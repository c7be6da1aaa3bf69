"""The chart engine: the rendering path, sticky axis limits, nice colour steps, session spans."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from flowframe.live.chart import _session_span, resolve_render
from flowframe.live.dashboard import resolve_render as resolve_render_from_dashboard


def test_render_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_render("auto") == "png"  # Agg
    assert resolve_render("png") == "png" and resolve_render("ipympl") == "ipympl"
    for backend in ("module://ipympl.backend_nbagg", "widget"):
        monkeypatch.setattr(matplotlib, "get_backend", lambda backend=backend, **kw: backend)
        assert resolve_render("auto") == "ipympl"
    with pytest.raises(ValueError, match="render"):
        resolve_render("svg")


@pytest.mark.parametrize(
    ("current", "wanted", "expected"),
    [
        ((0.0, 10.0), (2.0, 8.0), (0.0, 10.0)),  # fits and fills 60%: kept
        ((0.0, 10.0), (4.0, 8.0), (3.52, 8.48)),  # fills 40%: rescaled with 12% headroom
        ((0.0, 10.0), (5.0, 12.0), (4.16, 12.84)),  # does not fit: rescaled
        ((0.0, 1.0), (600.0, 700.0), (588.0, 712.0)),  # another symbol
    ],
)
def test_sticky_limits(
    current: tuple[float, float], wanted: tuple[float, float], expected: tuple[float, float]
) -> None:
    from flowframe.live.chart import _sticky

    assert _sticky(current, wanted) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "nice"),
    [(1.0, 1.0), (1.1, 1.25), (2.6e6, 3e6), (7.9e-3, 8e-3), (8.1, 10.0), (9.99e9, 1e10)],
)
def test_colour_scale_snaps_to_nice_steps(value: float, nice: float) -> None:
    from matplotlib.colors import Normalize

    from flowframe.live.chart import _nice_ceil, _nice_norm

    assert _nice_ceil(value) == pytest.approx(nice)
    assert _nice_norm(Normalize(-value / 2, value), signed=True) == pytest.approx((-nice, nice))
    low, high = _nice_norm(Normalize(3.0, 7.3), signed=False)
    assert (low, high) == pytest.approx((2.5, 7.5))  # span 4.3 -> 5, on steps of 1.25


def test_session_span_is_the_regular_session_of_the_first_bar() -> None:
    def days(index: pd.DatetimeIndex) -> np.ndarray:
        return np.asarray(index.as_unit("ns").asi8, dtype=np.float64) / 86_400e9

    def span(index: pd.DatetimeIndex) -> list[pd.Timestamp]:
        # to the second: date numbers are floats
        return [
            pd.Timestamp(round(v * 86_400), unit="s", tz="UTC")
            for v in _session_span(days(index), 1 / 1440)
        ]

    summer = pd.date_range("2026-09-18 14:00", periods=3, freq="1min", tz="UTC")
    assert span(summer) == [pd.Timestamp("2026-09-18 13:30Z"), pd.Timestamp("2026-09-18 20:00Z")]
    # winter: the same 09:30-16:00 ET is an hour later in UTC; bars past the close are kept
    winter = pd.date_range("2026-12-18 21:00", periods=3, freq="1min", tz="UTC")  # 16:00 ET
    assert span(winter) == [
        pd.Timestamp("2026-12-18 14:30Z"),
        pd.Timestamp("2026-12-18 21:02:30Z"),
    ]


def test_resolve_render_is_still_importable_from_the_dashboard() -> None:
    assert resolve_render_from_dashboard is resolve_render
