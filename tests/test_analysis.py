from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from flowframe import analysis as A
from flowframe.errors import SchemaError
from flowframe.frames import (
    heatmap_from_payload,
    hedge_flow_from_payload,
    series_from_payload,
    split_hedge_flow,
)
from flowframe.sources.samples import SampleSource

ET = "America/New_York"
OPEN_UTC = "2026-06-05 13:30"  # 09:30 ET in June (EDT, UTC-4)


# --------------------------------------------------------------------------- builders


def flow(
    bars: Sequence[float],
    *,
    start: str = OPEN_UTC,
    freq: str = "30s",
    bar_size: str | None = "30s",
    times: Sequence[str] | pd.DatetimeIndex | None = None,
    **extra: Sequence[float],
) -> pd.DataFrame:
    """A hand-built hedge-flow frame: ``cumulative`` is the running sum of ``bar``."""
    values = np.asarray(bars, dtype=np.float64)
    if times is None:
        index = pd.date_range(start, periods=len(values), freq=freq, tz="UTC", unit="ns")
    elif isinstance(times, pd.DatetimeIndex):
        index = times.as_unit("ns")
    else:
        index = pd.DatetimeIndex(pd.to_datetime([str(t) for t in times], utc=True)).as_unit("ns")
    frame = pd.DataFrame(
        {"bar": values, "cumulative": np.cumsum(values), **extra},
        index=pd.DatetimeIndex(index, name="t"),
    )
    frame.attrs = {
        "symbol": "SPY",
        "expiration": "2026-06-05",
        "side": "all",
        "bar_size": bar_size,
        "as_of": pd.Timestamp("2026-06-05 18:45", tz="UTC"),
        "source": "test",
        "data_as_of": {"flow": "2026-06-05T18:45:00Z"},
    }
    return frame


def tix(obj: pd.DataFrame | pd.Series[Any]) -> pd.DatetimeIndex:
    assert isinstance(obj.index, pd.DatetimeIndex)
    return obj.index


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture(scope="module")
def src() -> SampleSource:
    return SampleSource(now="14:45")


@pytest.fixture(scope="module")
def full() -> SampleSource:
    return SampleSource(seed=3)


@pytest.fixture(scope="module")
def f30(src: SampleSource) -> pd.DataFrame:
    return hedge_flow_from_payload(src.get_hedge_flow("SPY", bar="30s", minutes=390))


@pytest.fixture(scope="module")
def series30(src: SampleSource) -> pd.DataFrame:
    return series_from_payload(src.get_series("SPY", bar="30s", minutes=390))


@pytest.fixture(scope="module")
def gex(src: SampleSource) -> xr.DataArray:
    return heatmap_from_payload(src.get_heatmap("SPY", minutes=390))


def grid(values: Any, strikes: Sequence[float], **attrs: Any) -> xr.DataArray:
    bars = pd.date_range("2026-06-05 13:30", periods=len(values), freq="1min", unit="ns")
    return xr.DataArray(
        np.asarray(values, dtype=np.float64),
        dims=("bar", "strike"),
        coords={
            "bar": bars.to_numpy(),
            "strike": np.asarray(strikes, dtype=np.float64),
            "spot": ("bar", np.linspace(590, 591, len(values))),
        },
        name=attrs.get("metric", "gex"),
        attrs={"symbol": "SPY", "metric": "gex", "mode": "raw", "bar_size": "1m", **attrs},
    )


# --------------------------------------------------------------------------- oracles


def flips_oracle(values: Sequence[float], min_abs: float) -> list[tuple[int, float, float, int]]:
    out = []
    prev: tuple[int, float] | None = None
    for i, v in enumerate(values):
        if not abs(v) > min_abs:  # NaN fails too
            continue
        sign = 1 if v > 0 else -1
        if prev is not None and sign != prev[0]:
            out.append((i, v, prev[1], sign))
        prev = (sign, v)
    return out


def runs_oracle(values: Sequence[float], min_length: int) -> list[list[int]]:
    runs: list[list[int]] = []
    current: list[int] = []
    for i, v in enumerate(values):
        if current and v * values[current[-1]] > 0 and abs(v) > abs(values[current[-1]]):
            current.append(i)
            continue
        if len(current) >= min_length:
            runs.append(current)
        current = [i] if v != 0 else []
    if len(current) >= min_length:
        runs.append(current)
    return runs


finite_bars = st.lists(st.integers(-20, 20).map(float), max_size=60)
bars_with_nan = st.lists(st.one_of(st.integers(-20, 20).map(float), st.just(math.nan)), max_size=60)


# --------------------------------------------------------------------------- sign_flips


def test_sign_flips_hand_case() -> None:
    frame = flow([1, 2, 4, -1, -3, -9, 2])
    out = A.sign_flips(frame)
    assert list(out.index) == [ts("2026-06-05 13:31:30"), ts("2026-06-05 13:33:00")]
    assert out["value"].tolist() == [-1.0, 2.0]
    assert out["previous"].tolist() == [4.0, -9.0]
    assert out["sign"].tolist() == [-1, 1]


def test_sign_flips_schema() -> None:
    frame = flow([1, -1, 1])
    out = A.sign_flips(frame)
    assert list(out.columns) == ["value", "previous", "sign"]
    assert out.dtypes.to_dict() == {
        "value": np.dtype("float64"),
        "previous": np.dtype("float64"),
        "sign": np.dtype("int8"),
    }
    assert out.index.name == "t"
    assert out.index.dtype == frame.index.dtype
    assert out.attrs == frame.attrs


def test_sign_flips_skips_small_zero_and_nan_bars() -> None:
    frame = flow([5, 0.5, -0.5, 0, math.nan, 3, -4, 1])
    out = A.sign_flips(frame, min_abs=1.0)
    assert out["value"].tolist() == [-4.0]
    assert out["previous"].tolist() == [3.0]
    # zeros never flip and do not reset the sign
    out0 = A.sign_flips(flow([1, 0, 1, 0, -1]))
    assert out0["value"].tolist() == [-1.0]
    assert out0["previous"].tolist() == [1.0]
    assert list(out0.index) == [ts("2026-06-05 13:32:00")]


def test_sign_flips_keeps_timezone() -> None:
    frame = A.to_et(flow([1, -1]))
    out = A.sign_flips(frame)
    assert str(tix(out).tz) == ET
    assert out.index[0] == ts("2026-06-05 13:30:30")


def test_sign_flips_empty() -> None:
    frame = flow([])
    out = A.sign_flips(frame)
    assert out.empty
    assert out.dtypes.to_dict() == A.sign_flips(flow([1, -1])).dtypes.to_dict()
    assert out.index.dtype == frame.index.dtype


def test_sign_flips_on_other_column(series30: pd.DataFrame) -> None:
    out = A.sign_flips(series30, column="net_gex")
    assert (np.sign(out["value"]) == out["sign"]).all()
    assert (np.sign(out["previous"]) == -out["sign"]).all()


def test_sign_flips_rejects_negative_min_abs() -> None:
    with pytest.raises(ValueError, match="min_abs"):
        A.sign_flips(flow([1.0]), min_abs=-1.0)


@settings(max_examples=150, deadline=None)
@given(values=bars_with_nan, min_abs=st.sampled_from([0.0, 0.5, 3.0, 10.0]))
def test_sign_flips_matches_loop_oracle(values: list[float], min_abs: float) -> None:
    frame = flow(values)
    out = A.sign_flips(frame, min_abs=min_abs)
    expected = flips_oracle(values, min_abs)
    assert list(out.index) == [frame.index[i] for i, *_ in expected]
    assert out["value"].tolist() == [v for _, v, _, _ in expected]
    assert out["previous"].tolist() == [p for _, _, p, _ in expected]
    assert out["sign"].tolist() == [s for *_, s in expected]


# --------------------------------------------------------------------------- bursts


def test_bursts_whole_frame_hand_case() -> None:
    # median 0, MAD 1 -> z = x / 1.4826
    frame = flow([0, 1, -1, 0, 1, -1, 0, 1, -1, 20, -30])
    out = A.bursts(frame)
    assert out["value"].tolist() == [20.0, -30.0]
    np.testing.assert_allclose(out["z"], [20 / 1.4826, -30 / 1.4826])
    assert out["sign"].tolist() == [1, -1]
    assert list(out.index) == list(frame.index[[9, 10]])
    assert out.dtypes.to_dict() == {
        "value": np.dtype("float64"),
        "z": np.dtype("float64"),
        "sign": np.dtype("int8"),
    }
    assert out.attrs == frame.attrs


def test_bursts_threshold_k() -> None:
    frame = flow([0, 1, -1, 0, 1, -1, 0, 1, -1, 4])  # z(4) = 2.698
    assert A.bursts(frame, k=3.0).empty
    assert A.bursts(frame, k=2.5)["value"].tolist() == [4.0]


@pytest.mark.parametrize("k", [0, -1.0, math.nan])
def test_bursts_rejects_non_positive_k(k: float) -> None:
    with pytest.raises(ValueError, match="k must be > 0"):
        A.bursts(flow([1, 2, 3]), k=k)


def test_bursts_zero_mad_gives_none() -> None:
    frame = flow([5, 5, 5, 5, 5, 100])
    assert A.bursts(frame).empty
    assert A.bursts(frame, window=3).empty


def test_bursts_trailing_window_hand_case() -> None:
    # baseline of the last bar: the 4 bars before it [1, -1, 1, -1]: median 0, MAD 1
    frame = flow([1, -1, 1, -1, 1, -1, 30])
    out = A.bursts(frame, window=4)
    assert list(out.index) == [frame.index[6]]
    np.testing.assert_allclose(out["z"], [30 / 1.4826])
    # the same window as a time offset: [t - 2min, t) holds 4 bars of 30s
    pd.testing.assert_frame_equal(A.bursts(frame, window="2min"), out)


def test_bursts_trailing_window_needs_history() -> None:
    frame = flow([1000, -1000, 1, -1, 1, -1, 1])
    # the first bars have no baseline (min_periods 3): never bursts
    assert A.bursts(frame, window=4).empty
    # but the whole-frame baseline (look-ahead) flags them
    assert A.bursts(frame)["value"].tolist() == [1000.0, -1000.0]


def test_bursts_window_is_causal(f30: pd.DataFrame) -> None:
    cut = 300
    head = f30.iloc[:cut]
    for window in (20, "10min"):
        whole = A.bursts(f30, window=window)
        part = A.bursts(head, window=window)
        pd.testing.assert_frame_equal(part, whole[whole.index < f30.index[cut]])
        assert len(whole) > 0


def test_bursts_offset_window_equals_bar_window_on_regular_grid(f30: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(A.bursts(f30, window="10min"), A.bursts(f30, window=20))


@pytest.mark.parametrize(
    ("window", "match"),
    [(2, "at least 3 bars"), ("1min", "fewer than 3 bars"), ("soon", "not a bar size")],
)
def test_bursts_rejects_bad_window(window: int | str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        A.bursts(flow([1, 2, 3, 4, 5]), window=window)


def test_bursts_empty() -> None:
    for window in (None, 5, "5min"):
        out = A.bursts(flow([]), window=window)
        assert out.empty
        assert list(out.columns) == ["value", "z", "sign"]


# --------------------------------------------------------------------------- accelerating runs


def test_accelerating_runs_hand_case() -> None:
    frame = flow([1, 2, 4, -1, -3, -9, 2])
    out = A.accelerating_runs(frame)
    assert isinstance(out.index, pd.RangeIndex)
    assert list(out.index) == [0, 1]
    assert list(out["start"]) == [frame.index[0], frame.index[3]]
    assert list(out["end"]) == [frame.index[2], frame.index[5]]
    assert out["length"].tolist() == [3, 3]
    assert out["sign"].tolist() == [1, -1]
    assert out["total"].tolist() == [7.0, -13.0]
    assert out["peak"].tolist() == [4.0, -9.0]
    assert out["price_change"].isna().all()
    assert out["confirmed"].tolist() == [False, False]
    assert A.accelerating_runs(frame, min_length=4).empty
    assert len(A.accelerating_runs(frame, min_length=2)) == 2


def test_accelerating_runs_schema() -> None:
    frame = flow([1, 2, 4])
    out = A.accelerating_runs(frame)
    assert out.dtypes.to_dict() == {
        "start": frame.index.dtype,
        "end": frame.index.dtype,
        "length": np.dtype("int64"),
        "sign": np.dtype("int8"),
        "total": np.dtype("float64"),
        "peak": np.dtype("float64"),
        "price_change": np.dtype("float64"),
        "confirmed": np.dtype("bool"),
    }
    assert out.attrs == frame.attrs
    empty = A.accelerating_runs(flow([]))
    assert empty.empty
    assert empty.dtypes.to_dict() == out.dtypes.to_dict()


def test_accelerating_runs_need_strict_growth_and_nonzero_sign() -> None:
    out = A.accelerating_runs(flow([1, 2, 2, 3, 4]), min_length=2)
    assert out["length"].tolist() == [2, 3]
    assert out["total"].tolist() == [3.0, 9.0]
    out = A.accelerating_runs(flow([0, 1, 2, 0, 3, math.nan, 4, 5, 6]))
    assert out["length"].tolist() == [3]
    assert out["total"].tolist() == [15.0]


def test_accelerating_runs_with_price_series() -> None:
    frame = flow([1, 2, 4, -1, -3, -9, 2, 3, 4])
    spot = pd.Series(
        [100.0, 101, 102, 103, 102, 100, 101, 101.5, 101],
        index=frame.index,
    )
    out = A.accelerating_runs(frame, price=spot)
    # first run opens the frame: price at its start (100) to its end (102)
    # second run: price at the bar before it (102) to its end (100)
    # third run: price at the bar before it (100) to its end (101)
    assert out["price_change"].tolist() == [2.0, -2.0, 1.0]
    assert out["confirmed"].tolist() == [True, True, True]
    against = A.accelerating_runs(frame, price=-spot)
    assert against["confirmed"].tolist() == [False, False, False]


def test_accelerating_runs_uses_own_spot_column() -> None:
    frame = flow([-1, -2, -3], spot=[500.0, 499.0, 501.0])
    out = A.accelerating_runs(frame)
    assert out["price_change"].tolist() == [1.0]
    assert out["confirmed"].tolist() == [False]


def test_accelerating_runs_aligns_price_as_of() -> None:
    frame = flow([1, 2, 3, 4])  # 13:30:00 .. 13:31:30
    # a coarser, naive (read as UTC) price: 13:29 -> 10, 13:31 -> 11
    price = pd.Series(
        [10.0, 11.0], index=pd.DatetimeIndex(["2026-06-05 13:29", "2026-06-05 13:31"])
    )
    out = A.accelerating_runs(frame, price=price)
    assert out["price_change"].tolist() == [1.0]  # 11 (as of 13:31:30) - 10 (as of 13:30)
    late = pd.Series([10.0], index=pd.DatetimeIndex(["2026-06-05 13:31"], tz="UTC"))
    out = A.accelerating_runs(frame, price=late)
    assert out["price_change"].isna().all()  # no price as of the start
    assert out["confirmed"].tolist() == [False]


def test_accelerating_runs_with_series_spot(f30: pd.DataFrame, series30: pd.DataFrame) -> None:
    out = A.accelerating_runs(f30, price=series30["spot"])
    assert len(out) > 0
    start_pos = f30.index.get_indexer(pd.DatetimeIndex(out["start"]))
    end_pos = f30.index.get_indexer(pd.DatetimeIndex(out["end"]))
    spot = series30["spot"].to_numpy()
    np.testing.assert_allclose(
        out["price_change"], spot[end_pos] - spot[np.maximum(start_pos - 1, 0)]
    )
    assert (out["confirmed"] == (np.sign(out["price_change"]) == out["sign"])).all()


@pytest.mark.parametrize("min_length", [1, 0, -3])
def test_accelerating_runs_rejects_short_min_length(min_length: int) -> None:
    with pytest.raises(ValueError, match="min_length"):
        A.accelerating_runs(flow([1, 2, 3]), min_length=min_length)


def test_accelerating_runs_rejects_non_series_price() -> None:
    with pytest.raises(TypeError, match="price"):
        A.accelerating_runs(flow([1, 2, 3]), price=[1.0, 2.0, 3.0])  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(values=bars_with_nan, min_length=st.integers(2, 5))
def test_accelerating_runs_matches_loop_oracle(values: list[float], min_length: int) -> None:
    frame = flow(values)
    out = A.accelerating_runs(frame, min_length=min_length)
    expected = runs_oracle(values, min_length)
    assert list(out["start"]) == [frame.index[r[0]] for r in expected]
    assert list(out["end"]) == [frame.index[r[-1]] for r in expected]
    assert out["length"].tolist() == [len(r) for r in expected]
    assert out["total"].tolist() == [sum(values[i] for i in r) for r in expected]
    assert out["peak"].tolist() == [values[r[-1]] for r in expected]


# --------------------------------------------------------------------------- resample_flow


@pytest.mark.parametrize("bar", ["1m", "5m", "15m"])
def test_resample_matches_api_hedge_flow(src: SampleSource, f30: pd.DataFrame, bar: str) -> None:
    expected = hedge_flow_from_payload(src.get_hedge_flow("SPY", bar=bar, minutes=390))
    out = A.resample_flow(f30, bar)
    pd.testing.assert_frame_equal(out, expected)
    assert out.attrs == expected.attrs
    assert out.attrs["bar_size"] == bar


@pytest.mark.parametrize("bar", ["1m", "5m", "15m"])
def test_resample_matches_api_split(src: SampleSource, bar: str) -> None:
    def split(size: str) -> pd.DataFrame:
        return split_hedge_flow(
            src.get_hedge_flow("SPY", side="calls", bar=size, minutes=390),
            src.get_hedge_flow("SPY", side="puts", bar=size, minutes=390),
        )

    expected = split(bar)
    out = A.resample_flow(split("30s"), bar)
    pd.testing.assert_frame_equal(out, expected)
    assert out.attrs == expected.attrs


@pytest.mark.parametrize("bar", ["1m", "5m", "15m"])
def test_resample_matches_api_series(src: SampleSource, series30: pd.DataFrame, bar: str) -> None:
    expected = series_from_payload(src.get_series("SPY", bar=bar, minutes=390))
    out = A.resample_flow(series30, bar)
    pd.testing.assert_frame_equal(out, expected)
    assert out.attrs == expected.attrs
    assert out["regime"].dtype == series30["regime"].dtype
    assert out["gamma_flip_status"].dtype == series30["gamma_flip_status"].dtype


def test_resample_full_session_from_1m(full: SampleSource) -> None:
    one = hedge_flow_from_payload(full.get_hedge_flow("SPY", bar="1m", minutes=390))
    expected = hedge_flow_from_payload(full.get_hedge_flow("SPY", bar="15m", minutes=390))
    pd.testing.assert_frame_equal(A.resample_flow(one, "15m"), expected)
    assert len(expected) == 26


def test_resample_hand_case() -> None:
    frame = flow([1, 2, 3, 4, 5, 6, 7, 8])  # 09:30:00 .. 09:33:30 ET
    out = A.resample_flow(frame, "1m")
    assert list(out.index) == list(pd.date_range(OPEN_UTC, periods=4, freq="1min", tz="UTC"))
    assert out["bar"].tolist() == [3.0, 7.0, 11.0, 15.0]
    assert out["cumulative"].tolist() == [3.0, 10.0, 21.0, 36.0]
    two = A.resample_flow(frame, "2min")
    assert two["bar"].tolist() == [10.0, 26.0]
    assert two["cumulative"].tolist() == [10.0, 36.0]
    assert two.attrs["bar_size"] == "2min"
    assert out.attrs["bar_size"] == "1m"
    assert out.index.name == "t"
    assert out.index.dtype == frame.index.dtype


def test_resample_aligns_to_session_open() -> None:
    times = ["13:29", "13:31", "13:45", "14:29", "14:30", "14:31"]
    frame = flow([1, 2, 3, 4, 5, 6], times=[f"2026-06-05 {t}" for t in times], bar_size="1m")
    hourly = A.resample_flow(frame, "1h")
    # 09:29 ET belongs to the bucket before the open (08:30 ET); then 09:30 and 10:30 ET
    assert list(hourly.index) == [ts("2026-06-05 12:30"), ts(OPEN_UTC), ts("2026-06-05 14:30")]
    assert hourly["bar"].tolist() == [1.0, 9.0, 11.0]
    twenty = A.resample_flow(frame, "20min")
    assert list(tix(twenty).strftime("%H:%M")) == ["13:10", "13:30", "14:10", "14:30"]
    assert twenty["bar"].tolist() == [1.0, 5.0, 4.0, 11.0]


def test_resample_session_open_follows_dst() -> None:
    winter = flow([1, 2, 3], start="2026-01-15 14:30", freq="1min", bar_size="1m")
    out = A.resample_flow(winter, "1h")
    assert list(out.index) == [ts("2026-01-15 14:30")]  # 09:30 EST
    et = A.to_et(A.resample_flow(flow([1, 2], start="2026-01-15 14:40", bar_size="1m"), "15m"))
    assert et.index[0] == pd.Timestamp("2026-01-15 09:30", tz=ET)


def test_resample_drops_empty_buckets() -> None:
    frame = flow(
        [1, 2, 3],
        times=["2026-06-05 13:30", "2026-06-05 13:31", "2026-06-05 13:50"],
        bar_size="1m",
    )
    out = A.resample_flow(frame, "5m")
    assert list(out.index) == [ts("2026-06-05 13:30"), ts("2026-06-05 13:50")]
    assert out["bar"].tolist() == [3.0, 3.0]
    assert out["cumulative"].tolist() == [3.0, 6.0]


def test_resample_nan_bar_makes_bucket_sum_nan() -> None:
    frame = flow([1, math.nan, 3, 4])
    frame.loc[frame.index[3], "cumulative"] = math.nan
    out = A.resample_flow(frame, "1m")
    assert math.isnan(out["bar"].iloc[0])
    assert out["bar"].iloc[1] == 7.0
    assert math.isnan(out["cumulative"].iloc[1])  # the last bar's level, not filled


def test_resample_same_size_is_identity(f30: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(A.resample_flow(f30, "30s"), f30)


def test_resample_keeps_timezone() -> None:
    frame = A.to_et(flow([1, 2, 3, 4]))
    out = A.resample_flow(frame, "1m")
    assert str(tix(out).tz) == ET
    assert list(tix(out).strftime("%H:%M")) == ["09:30", "09:31"]


@pytest.mark.parametrize(
    ("frame", "rule", "match"),
    [
        (flow([1, 2, 3], freq="1min", bar_size="1m"), "30s", r"rule='30s' is finer .* '1m'"),
        (flow([1, 2, 3], freq="5min", bar_size=None), "1m", r"rule='1m' is finer .* '5min'"),
        (flow([1, 2, 3], freq="5min", bar_size="5m"), "7min", "not a whole multiple"),
        (flow([1, 2, 3]), "fortnight", "not a bar size"),
        (flow([1, 2, 3]), "1ME", "not a bar size"),
    ],
)
def test_resample_rejects_bad_rule(frame: pd.DataFrame, rule: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        A.resample_flow(frame, rule)


def test_resample_empty_frame() -> None:
    frame = flow([])
    out = A.resample_flow(frame, "5m")
    assert out.empty
    assert out.dtypes.to_dict() == frame.dtypes.to_dict()
    assert out.attrs["bar_size"] == "5m"


def test_resample_needs_time_index() -> None:
    with pytest.raises(SchemaError, match="resample_flow needs a frame indexed by tz-aware"):
        A.resample_flow(flow([1, 2]).reset_index(drop=True), "1m")
    with pytest.raises(SchemaError, match="ascending and unique"):
        A.resample_flow(flow([1, 2]).iloc[::-1], "1m")


RULE_STEPS = {
    "1m": pd.Timedelta(minutes=1),
    "5m": pd.Timedelta(minutes=5),
    "15m": pd.Timedelta(minutes=15),
    "10min": pd.Timedelta(minutes=10),
    "1h": pd.Timedelta(hours=1),
    "90s": pd.Timedelta(seconds=90),
}


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(-1000, 1000), min_size=1, max_size=80),
    gaps=st.lists(st.integers(1, 5), min_size=80, max_size=80),
    offset=st.integers(-20, 20),
    rule=st.sampled_from(list(RULE_STEPS)),
)
def test_resample_preserves_sums_and_matches_pandas(
    values: list[int], gaps: list[int], offset: int, rule: str
) -> None:
    steps = np.cumsum([offset, *gaps[: len(values) - 1]])
    times = pd.Timestamp(OPEN_UTC, tz="UTC") + pd.to_timedelta(steps * 30, unit="s")
    frame = flow(values, times=pd.DatetimeIndex(times))
    out = A.resample_flow(frame, rule)
    assert out["bar"].sum() == frame["bar"].sum()
    np.testing.assert_array_equal(out["cumulative"], out["bar"].cumsum())
    assert out.index.is_monotonic_increasing
    assert out.index.is_unique
    # the oracle: pandas resampling anchored on the session open, empty buckets dropped
    step = RULE_STEPS[rule]
    expected = (
        frame.resample(step, origin=pd.Timestamp(OPEN_UTC, tz="UTC"), label="left", closed="left")
        .agg({"bar": "sum", "cumulative": "last"})
        .loc[lambda d: d.index.isin(out.index)]
    )
    counts = frame["bar"].resample(step, origin=pd.Timestamp(OPEN_UTC, tz="UTC")).count()
    assert list(out.index) == list(counts.index[counts.to_numpy() > 0])
    pd.testing.assert_frame_equal(out, expected, check_freq=False, check_flags=False)


# --------------------------------------------------------------------------- rolling flow


def test_rolling_flow_hand_case() -> None:
    frame = flow([1, 2, 3, 4, 5])
    one = A.rolling_flow(frame, "1min")
    assert one.tolist() == [1.0, 3.0, 5.0, 7.0, 9.0]
    assert one.name == "flow_1min"
    assert A.rolling_flow(frame, "2min").tolist() == [1.0, 3.0, 6.0, 10.0, 14.0]
    assert A.rolling_flow(frame).name == "flow_5min"
    assert one.index.equals(frame.index)
    assert one.dtype == np.float64
    assert one.attrs == frame.attrs


def test_rolling_flow_respects_time_gaps() -> None:
    frame = flow(
        [1, 2, 4],
        times=["2026-06-05 13:30", "2026-06-05 13:31", "2026-06-05 13:40"],
        bar_size="1m",
    )
    assert A.rolling_flow(frame, "5min").tolist() == [1.0, 3.0, 4.0]


def test_rolling_flow_session_is_running_sum(f30: pd.DataFrame) -> None:
    session = A.rolling_flow(f30, "session")
    assert session.name == "flow_session"
    pd.testing.assert_series_equal(session, f30["bar"].cumsum(), check_names=False)
    # the sample frame starts at the open, so this is the API's cumulative
    pd.testing.assert_series_equal(session, f30["cumulative"], check_names=False)
    # a frame starting later restarts the sum at its first bar
    late = A.rolling_flow(f30.iloc[100:], "session")
    assert late.iloc[0] == f30["bar"].iloc[100]


def test_rolling_flow_window_against_bar_size(src: SampleSource) -> None:
    f5 = hedge_flow_from_payload(src.get_hedge_flow("SPY", bar="5m", minutes=390))
    with pytest.raises(
        ValueError, match=r"window='1min' is shorter than the frame's bar size '5m'"
    ):
        A.rolling_flow(f5, "1min")
    pd.testing.assert_series_equal(A.rolling_flow(f5, "5min"), f5["bar"], check_names=False)
    with pytest.raises(ValueError, match="under one minute"):
        A.rolling_flow(flow([1, 2]), "30s")
    with pytest.raises(ValueError, match="not a bar size"):
        A.rolling_flow(flow([1, 2]), "whenever")


def test_rolling_flows(f30: pd.DataFrame) -> None:
    out = A.rolling_flows(f30)
    windows = ["1min", "5min", "15min", "30min", "session"]
    assert list(out.columns) == [f"flow_{w}" for w in windows]
    assert out.index.equals(f30.index)
    assert (out.dtypes == np.float64).all()
    for w in windows:
        pd.testing.assert_series_equal(out[f"flow_{w}"], A.rolling_flow(f30, w))
    assert out.attrs == f30.attrs
    # a 30-minute window at 30s bars is the sum of the last 60 bars
    assert out["flow_30min"].iloc[-1] == f30["bar"].iloc[-60:].sum()
    with pytest.raises(ValueError, match="repeat"):
        A.rolling_flows(f30, ["5min", "5min"])


# --------------------------------------------------------------------------- to_et


def test_to_et_frame_and_series() -> None:
    frame = flow([1, 2])
    out = A.to_et(frame)
    assert str(tix(out).tz) == ET
    assert out.index[0] == pd.Timestamp("2026-06-05 09:30", tz=ET)
    assert (tix(out).asi8 == tix(frame).asi8).all()  # same instants
    assert out.index.name == "t"
    assert str(tix(frame).tz) == "UTC"
    assert out.attrs == frame.attrs
    series = A.to_et(frame["bar"])
    assert isinstance(series, pd.Series)
    assert str(tix(series).tz) == ET
    assert series.tolist() == [1.0, 2.0]


def test_to_et_needs_tz_aware_index() -> None:
    naive = flow([1, 2]).tz_localize(None)
    with pytest.raises(SchemaError, match="to_et"):
        A.to_et(naive)
    with pytest.raises(SchemaError, match="to_et"):
        A.to_et(naive["bar"])


# --------------------------------------------------------------------------- heatmaps


def test_heatmap_profile_last_and_nearest(gex: xr.DataArray) -> None:
    last = A.heatmap_profile(gex)
    assert last.dims == ("strike",)
    np.testing.assert_array_equal(last.values, gex.values[-1])
    assert last["bar"].values == gex["bar"].values[-1]
    assert float(last["spot"]) == float(gex["spot"].values[-1])
    assert last.attrs == gex.attrs
    assert last.name == gex.name
    # naive is UTC; 14:00:20 is nearest the 14:00 bar, 14:00:40 the 14:01 bar
    at = A.heatmap_profile(gex, "2026-06-05 14:00:20")
    assert at["bar"].values == np.datetime64("2026-06-05T14:00:00", "ns")
    later = A.heatmap_profile(gex, pd.Timestamp("2026-06-05 14:00:40"))
    assert later["bar"].values == np.datetime64("2026-06-05T14:01:00", "ns")
    # tz-aware times are converted: 10:00 ET is 14:00 UTC
    et = A.heatmap_profile(gex, pd.Timestamp("2026-06-05 10:00", tz=ET))
    xr.testing.assert_identical(et, at)
    # far outside the window: the nearest end
    first = A.heatmap_profile(gex, "2026-06-05 00:00")
    assert first["bar"].values == gex["bar"].values[0]


def test_heatmap_profile_errors() -> None:
    empty = grid(np.empty((0, 3)), [1, 2, 3])
    with pytest.raises(ValueError, match="at least one bar"):
        A.heatmap_profile(empty)
    with pytest.raises(SchemaError, match="heatmap_profile needs dims"):
        A.heatmap_profile(xr.DataArray(np.zeros(3), dims=("strike",)))


def test_heatmap_to_delta_matches_api(src: SampleSource, gex: xr.DataArray) -> None:
    delta = A.heatmap_to_delta(gex)
    expected = heatmap_from_payload(src.get_heatmap("SPY", minutes=390, mode="delta"))
    xr.testing.assert_allclose(delta, expected)
    assert delta.attrs == expected.attrs
    assert delta.attrs["mode"] == "delta"
    assert gex.attrs["mode"] == "raw"
    # the running sum from the first bar's level gives the raw array back
    np.testing.assert_allclose(
        (delta.cumsum("bar") + delta["start_level"]).values, gex.values, rtol=1e-9, atol=1e-6
    )


def test_heatmap_to_delta_hand_case() -> None:
    arr = grid([[1, 2], [4, 1], [4, math.nan]], [10, 20])
    out = A.heatmap_to_delta(arr)
    # the first bar's change is unknown (NaN); its level is kept apart
    np.testing.assert_array_equal(out.values, [[math.nan, math.nan], [3, -1], [0, math.nan]])
    np.testing.assert_array_equal(out["start_level"].values, [1, 2])
    assert out["start_level"].dims == ("strike",)
    assert out["start_level"].attrs["bar"] == "2026-06-05T13:30:00Z"
    assert out.dims == arr.dims
    np.testing.assert_array_equal(out["spot"].values, arr["spot"].values)
    empty = A.heatmap_to_delta(grid(np.empty((0, 2)), [10, 20]))
    assert empty.shape == (0, 2)
    assert np.isnan(empty["start_level"].values).all() and "bar" not in empty["start_level"].attrs


def test_heatmap_to_delta_signed_flow_is_already_per_bar(src: SampleSource) -> None:
    raw = heatmap_from_payload(src.get_heatmap("SPY", metric="signed_flow", minutes=60))
    delta = A.heatmap_to_delta(raw)
    expected = heatmap_from_payload(
        src.get_heatmap("SPY", metric="signed_flow", mode="delta", minutes=60)
    )
    xr.testing.assert_identical(delta, expected)
    np.testing.assert_array_equal(delta.values, raw.values)


def test_heatmap_to_delta_rejects_delta(src: SampleSource) -> None:
    delta = heatmap_from_payload(src.get_heatmap("SPY", mode="delta", minutes=10))
    with pytest.raises(ValueError, match="already in mode='delta'"):
        A.heatmap_to_delta(delta)


def test_top_strikes_hand_case() -> None:
    arr = grid([[1, -2, 0], [3, -2, math.nan]], [10, 20, 30])
    out = A.top_strikes(arr, n=5)
    assert out.index.name == "rank"
    assert out.index.dtype == np.int64
    assert out.index.tolist() == [1, 2, 3]
    assert out["strike"].tolist() == [10.0, 20.0, 30.0]  # tie at 0.5: lower strike first
    assert out["value"].tolist() == [4.0, -4.0, 0.0]
    assert out["share"].tolist() == [0.5, 0.5, 0.0]
    assert out.dtypes.to_dict() == {
        "strike": np.dtype("float64"),
        "value": np.dtype("float64"),
        "share": np.dtype("float64"),
    }
    at = A.top_strikes(arr, n=2, at="2026-06-05 13:31")
    assert at["strike"].tolist() == [10.0, 20.0]
    assert at["value"].tolist() == [3.0, -2.0]
    assert at["share"].tolist() == [0.6, 0.4]
    assert A.top_strikes(arr, n=1)["strike"].tolist() == [10.0]


def test_top_strikes_shares(gex: xr.DataArray) -> None:
    everything = A.top_strikes(gex, n=gex.sizes["strike"])
    assert len(everything) == gex.sizes["strike"]
    assert everything["share"].sum() == pytest.approx(1.0)
    assert everything["share"].is_monotonic_decreasing
    assert ((everything["share"] >= 0) & (everything["share"] <= 1)).all()
    np.testing.assert_allclose(
        everything.set_index("strike")["value"].sort_index(), gex.sum("bar").values
    )
    assert everything.attrs == gex.attrs
    top = A.top_strikes(gex)
    pd.testing.assert_frame_equal(top, everything.iloc[:5])


def test_top_strikes_all_zero_and_errors() -> None:
    zeros = A.top_strikes(grid([[0, 0]], [1, 2]))
    assert zeros["share"].tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        A.top_strikes(grid([[1, 2]], [1, 2]), n=0)
    with pytest.raises(ValueError, match="at least one bar"):
        A.top_strikes(grid(np.empty((0, 2)), [1, 2]), at="2026-06-05")


# --------------------------------------------------------------------------- shared contracts

FrameCall = Callable[..., Any]

FRAME_CALLS: dict[str, FrameCall] = {
    "sign_flips": A.sign_flips,
    "bursts": A.bursts,
    "accelerating_runs": A.accelerating_runs,
    "rolling_flow": A.rolling_flow,
    "rolling_flows": A.rolling_flows,
}


@pytest.mark.parametrize("name", list(FRAME_CALLS))
def test_missing_column_raises_schema_error(name: str, series30: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match=rf"{name} needs columns bar, which this frame lacks"):
        FRAME_CALLS[name](series30)
    with pytest.raises(SchemaError, match=rf"{name} needs columns nope, which this frame lacks"):
        FRAME_CALLS[name](flow([1, 2]), column="nope")
    with pytest.raises(SchemaError, match=name):
        FRAME_CALLS[name]("not a frame")


def test_grid_functions_need_a_grid() -> None:
    for fn in (A.heatmap_profile, A.heatmap_to_delta, A.top_strikes):
        with pytest.raises(SchemaError, match=rf"{fn.__name__} needs"):
            fn(xr.DataArray(np.zeros((2, 2)), dims=("time", "strike")))


def test_functions_do_not_mutate_inputs(
    f30: pd.DataFrame, series30: pd.DataFrame, gex: xr.DataArray
) -> None:
    frames = [f30, series30]
    before = [(f.copy(deep=True), copy.deepcopy(f.attrs)) for f in frames]
    gex_before = gex.copy(deep=True)
    price = series30["spot"]
    price_before = price.copy(deep=True)
    outputs = [
        A.sign_flips(f30),
        A.bursts(f30, window="5min"),
        A.accelerating_runs(f30, price=price),
        A.resample_flow(f30, "5m"),
        A.resample_flow(series30, "15m"),
        A.rolling_flows(f30),
        A.to_et(f30),
        A.to_et(series30["spot"]),
    ]
    arrays: list[xr.DataArray | pd.DataFrame] = [
        A.heatmap_profile(gex),
        A.heatmap_to_delta(gex),
        A.top_strikes(gex, at="2026-06-05 14:00"),
    ]
    for out in outputs:
        out.attrs["symbol"] = "CHANGED"  # results do not share attrs with inputs
        if isinstance(out.attrs.get("data_as_of"), dict):
            out.attrs["data_as_of"]["x"] = 1
    for arr in arrays:
        arr.attrs["mode"] = "CHANGED"
    for frame, (copy_frame, attrs) in zip(frames, before, strict=True):
        pd.testing.assert_frame_equal(frame, copy_frame)
        assert frame.attrs == attrs
    pd.testing.assert_series_equal(price, price_before)
    xr.testing.assert_identical(gex, gex_before)
    assert gex.attrs == gex_before.attrs


def test_results_keep_data_as_of_unshared() -> None:
    frame = flow([1, -1, 2, -3])
    out = A.sign_flips(frame)
    out.attrs["data_as_of"]["flow"] = "changed"
    assert frame.attrs["data_as_of"] == {"flow": "2026-06-05T18:45:00Z"}
