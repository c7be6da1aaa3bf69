"""The simulated 0DTE session generator: schemas, determinism, magnitudes, quotes, validation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr

from flowframe.sources.engine.market import PROFILES, Market, generate_market
from flowframe.sources.engine.schemas import CHAIN_COLUMNS, RIGHTS, TAPE_COLUMNS, TAPE_QUOTE_COLUMNS

ROOT = Path(__file__).resolve().parents[3]
DATE = "2026-06-05"  # a Friday, EDT
SYMBOLS = ("SPX", "SPY", "QQQ", "IWM")
SCALE = {"SPX": 0.02, "SPY": 0.03, "QQQ": 0.05, "IWM": 0.05}
ET = "America/New_York"


@pytest.fixture(scope="module")
def markets() -> dict[str, Market]:
    return {s: generate_market(s, DATE, seed=1, scale=SCALE[s]) for s in SYMBOLS}


@pytest.fixture(scope="module")
def spx() -> Market:
    """A busier SPX session (scale 0.05, about 40 k prints) for statistics."""
    return generate_market("SPX", DATE, seed=7, scale=0.05)


def digest(obj: pd.DataFrame | pd.Series) -> str:
    """Return a hash of values, dtypes, index and column names, independent of object identity."""
    h = hashlib.sha256()
    frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
    h.update(repr(list(frame.columns)).encode())
    h.update(repr([str(d) for d in frame.dtypes]).encode())
    for col in frame.columns:
        values = frame[col]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            h.update(values.array.asi8.tobytes())
        elif pd.api.types.is_string_dtype(values.dtype):
            h.update("\x00".join(values.tolist()).encode())
        else:
            h.update(values.to_numpy().tobytes())
    index = frame.index
    if isinstance(index, pd.DatetimeIndex):
        h.update(index.asi8.tobytes())
    else:
        h.update(index.to_numpy().tobytes())
    return h.hexdigest()


def spot_at(m: Market, t: pd.Series) -> np.ndarray:
    """Return the last spot at or before each time."""
    pos = m.spot.index.searchsorted(pd.DatetimeIndex(t), side="right") - 1
    return m.spot.to_numpy()[pos]


def et_hour(t: pd.Series) -> np.ndarray:
    hour: np.ndarray = t.dt.tz_convert(ET).dt.hour.to_numpy()
    return hour


# --------------------------------------------------------------------------- profiles


def test_profiles_cover_the_four_symbols() -> None:
    assert set(SYMBOLS) <= set(PROFILES)
    assert PROFILES["SPX"].strike_step == 5.0
    assert {PROFILES[s].strike_step for s in ("SPY", "QQQ", "IWM")} == {1.0}
    levels = {s: PROFILES[s].spot for s in SYMBOLS}
    assert levels == {"SPX": 6000.0, "SPY": 600.0, "QQQ": 520.0, "IWM": 225.0}
    assert PROFILES["SPX"].prints == 800_000
    assert 300_000 <= PROFILES["SPY"].prints <= 500_000
    assert PROFILES["QQQ"].prints < PROFILES["SPY"].prints
    assert PROFILES["IWM"].prints < PROFILES["SPY"].prints
    for s in SYMBOLS:
        low, high = PROFILES[s].atm_vol
        assert 0.10 <= low < high <= 0.25


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"spot": 0.0}, "spot"),
        ({"strike_step": -1.0}, "strike_step"),
        ({"oi": (5.0, 1.0)}, "oi"),
        ({"oi_top3": (0.2, 1.5)}, "oi_top3"),
        ({"spread": 1.5}, "spread"),
        ({"tick": 0.005}, "cents"),
        ({"skew": (-0.5, -0.1)}, "too steep"),
        ({"max_size": 0}, "max_size"),
    ],
)
def test_profile_rejects_bad_values(change: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(PROFILES["SPY"], **change)


# --------------------------------------------------------------------------- schemas


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_chain_schema(markets: dict[str, Market], symbol: str) -> None:
    m = markets[symbol]
    chain = m.chain
    assert tuple(chain.columns) == CHAIN_COLUMNS
    assert chain["strike"].dtype == np.float64
    assert chain["right"].dtype == "str"
    assert chain["oi"].dtype == np.int64
    assert chain["iv"].dtype == np.float64
    assert isinstance(chain.index, pd.RangeIndex)
    assert set(chain["right"]) == set(RIGHTS)
    expected = chain.sort_values(["right", "strike"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(chain, expected)
    calls = chain[chain["right"] == "C"]["strike"].to_numpy()
    puts = chain[chain["right"] == "P"]["strike"].to_numpy()
    np.testing.assert_array_equal(calls, puts)
    step = m.profile.strike_step
    np.testing.assert_allclose(np.diff(calls), step)
    np.testing.assert_allclose(calls / step, np.rint(calls / step))
    s0 = float(m.spot.iloc[0])
    assert calls.min() <= s0 * 0.96 and calls.max() >= s0 * 1.04  # at least +-4%
    assert (chain["oi"] >= 0).all() and (chain["iv"] > 0).all()
    assert m.symbol == symbol and m.date == dt.date(2026, 6, 5) and m.expiration == DATE


def test_spx_has_about_100_strikes_each_side(markets: dict[str, Market]) -> None:
    chain = markets["SPX"].chain
    n = (chain["right"] == "C").sum()
    assert 95 <= n <= 115
    assert 45 <= (markets["SPY"].chain["right"] == "C").sum() <= 60


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_tape_schema(markets: dict[str, Market], symbol: str) -> None:
    m = markets[symbol]
    tape = m.tape
    assert tuple(tape.columns) == (*TAPE_COLUMNS, *TAPE_QUOTE_COLUMNS, "side")
    assert tape["t"].dtype == "datetime64[ns, UTC]"
    for col in ("strike", "price", "bid", "ask"):
        assert tape[col].dtype == np.float64, col
    assert tape["right"].dtype == "str"
    assert tape["size"].dtype == np.int64
    assert tape["side"].dtype == np.int8
    assert isinstance(tape.index, pd.RangeIndex)
    assert set(np.unique(tape["side"])) == {-1, 1}
    assert set(tape["right"]) == set(RIGHTS)
    assert (tape["size"] > 0).all()
    listed = set(zip(m.chain["strike"], m.chain["right"], strict=True))
    assert set(zip(tape["strike"], tape["right"], strict=True)) <= listed


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_print_times_inside_session_and_sorted(markets: dict[str, Market], symbol: str) -> None:
    m = markets[symbol]
    t = m.tape["t"]
    assert t.is_monotonic_increasing
    assert (t > m.session_open).all() and (t < m.session_close).all()
    assert m.session_open == pd.Timestamp(f"{DATE} 09:30", tz=ET)
    assert m.session_close == pd.Timestamp(f"{DATE} 16:00", tz=ET)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_spot_schema(markets: dict[str, Market], symbol: str) -> None:
    spot = markets[symbol].spot
    assert isinstance(spot, pd.Series)
    assert spot.name == "spot" and spot.dtype == np.float64
    index = spot.index
    assert isinstance(index, pd.DatetimeIndex)
    assert index.dtype == "datetime64[ns, UTC]"
    assert index.name == "t"
    assert len(spot) == 23_401
    assert (np.diff(index.asi8) == 1_000_000_000).all()
    assert index[0] == pd.Timestamp(f"{DATE} 09:30:00", tz=ET)
    assert index[-1] == pd.Timestamp(f"{DATE} 16:00:00", tz=ET)
    assert np.isfinite(spot.to_numpy()).all() and (spot > 0).all()


def test_winter_session_is_an_hour_later_in_utc() -> None:
    m = generate_market("SPY", "2026-01-09", seed=0, scale=0.002)
    assert m.spot.index[0] == pd.Timestamp("2026-01-09 14:30", tz="UTC")
    assert m.spot.index[-1] == pd.Timestamp("2026-01-09 21:00", tz="UTC")


def test_events_describe_jumps_and_episodes(markets: dict[str, Market]) -> None:
    m = markets["SPX"]
    ev = m.events
    assert tuple(ev.columns) == ("kind", "start", "end", "value")
    assert ev["start"].dtype == "datetime64[ns, UTC]"
    assert set(ev["kind"]) == {"jump", "imbalance"}
    assert ev["start"].is_monotonic_increasing
    jumps = ev[ev["kind"] == "jump"]
    assert (jumps["start"] == jumps["end"]).all()
    # each jump is visible in the path: the 1-second log return at its time carries it
    logs = np.log(m.spot)
    for _, row in jumps.iterrows():
        ret = float(logs.loc[row["start"]] - logs.shift(1).loc[row["start"]])
        assert abs(ret - row["value"]) < 0.0015
    episodes = ev[ev["kind"] == "imbalance"]
    assert len(episodes) >= 3
    minutes = (episodes["end"] - episodes["start"]).dt.total_seconds() / 60
    assert minutes.between(10, 40).all()
    assert episodes["value"].abs().between(0.05, 0.15).all()


# --------------------------------------------------------------------------- determinism


def test_same_inputs_give_identical_bytes() -> None:
    a = generate_market("SPX", DATE, seed=3, scale=0.01)
    b = generate_market("SPX", dt.date(2026, 6, 5), seed=3, scale=0.01)
    for name in ("chain", "tape", "events"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
        assert digest(getattr(a, name)) == digest(getattr(b, name))
    pd.testing.assert_series_equal(a.spot, b.spot)
    assert digest(a.spot) == digest(b.spot)
    for col in ("strike", "price", "size", "bid", "ask", "side"):
        assert a.tape[col].to_numpy().tobytes() == b.tape[col].to_numpy().tobytes()
    assert a.profile == b.profile


def test_stream_is_stable_across_processes(markets: dict[str, Market]) -> None:
    """Seeds derive from crc32, not hash(): another PYTHONHASHSEED gives the same session."""
    code = (
        "from tests.sources.engine.test_market import digest, SCALE, DATE\n"
        "from flowframe.sources.engine.market import generate_market\n"
        "m = generate_market('SPY', DATE, seed=1, scale=SCALE['SPY'])\n"
        "print(digest(m.tape), digest(m.chain), digest(m.spot))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    m = markets["SPY"]
    assert out.stdout.split() == [digest(m.tape), digest(m.chain), digest(m.spot)]


def test_different_seed_date_or_symbol_differ() -> None:
    base = generate_market("SPY", DATE, seed=0, scale=0.005)
    other_seed = generate_market("SPY", DATE, seed=1, scale=0.005)
    other_date = generate_market("SPY", "2026-06-08", seed=0, scale=0.005)
    for other in (other_seed, other_date):
        assert digest(base.tape) != digest(other.tape)
        assert digest(base.chain) != digest(other.chain)
        assert not np.array_equal(base.spot.to_numpy(), other.spot.to_numpy())
    # same profile, different names: independent streams
    prof = PROFILES["SPY"]
    a = generate_market("AAA", DATE, seed=0, profile=prof, scale=0.005)
    b = generate_market("BBB", DATE, seed=0, profile=prof, scale=0.005)
    assert a.spot.iloc[0] != b.spot.iloc[0]
    assert not np.array_equal(a.spot.to_numpy(), b.spot.to_numpy())
    assert digest(a.tape) != digest(b.tape)
    assert digest(base.tape) != digest(generate_market("QQQ", DATE, seed=0, scale=0.005).tape)


def test_scale_changes_counts_only() -> None:
    small = generate_market("QQQ", DATE, seed=2, scale=0.01)
    big = generate_market("QQQ", DATE, seed=2, scale=0.04)
    pd.testing.assert_series_equal(small.spot, big.spot)
    np.testing.assert_array_equal(small.chain["iv"], big.chain["iv"])
    np.testing.assert_array_equal(small.chain["strike"], big.chain["strike"])
    assert len(big.tape) == pytest.approx(4 * len(small.tape), rel=0.01)
    assert big.chain["oi"].sum() == pytest.approx(4 * small.chain["oi"].sum(), rel=0.01)


# --------------------------------------------------------------------------- magnitudes


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_print_counts_follow_profile_and_scale(markets: dict[str, Market], symbol: str) -> None:
    m = markets[symbol]
    expected = m.profile.prints * SCALE[symbol]
    assert 0.89 * expected <= len(m.tape) <= 1.11 * expected


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_sizes_heavy_tailed(markets: dict[str, Market], symbol: str) -> None:
    size = markets[symbol].tape["size"]
    assert size.median() == 1
    assert 2.0 <= size.mean() <= 4.0
    assert size.max() >= 50
    assert (size == 1).mean() > 0.5


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_open_interest_peaks_near_the_money(markets: dict[str, Market], symbol: str) -> None:
    m = markets[symbol]
    by_strike = m.chain.groupby("strike")["oi"].sum()
    share = by_strike.nlargest(3).sum() / by_strike.sum()
    assert 0.20 <= share <= 0.40
    s0 = float(m.spot.iloc[0])
    peak = float(by_strike.index.to_numpy()[np.argmax(by_strike.to_numpy())])
    assert abs(peak / s0 - 1) < 0.02
    totals = m.chain.groupby("right")["oi"].sum()
    assert totals["C"] > 0 and totals["P"] > 0
    assert 0.25 < totals["C"] / totals.sum() < 0.75
    low, high = m.profile.oi
    assert low * SCALE[symbol] * 0.99 <= by_strike.sum() <= high * SCALE[symbol] * 1.01


@pytest.mark.parametrize("seed", range(6))
def test_top3_share_in_band_across_seeds(seed: int) -> None:
    m = generate_market("SPX", DATE, seed=seed, scale=0.002)
    by_strike = m.chain.groupby("strike")["oi"].sum()
    assert 0.20 <= by_strike.nlargest(3).sum() / by_strike.sum() <= 0.40
    assert 0.97 * 6000 <= m.spot.iloc[0] <= 1.03 * 6000
    atm = float(np.interp(m.spot.iloc[0], m.chain["strike"][:100], m.chain["iv"][:100]))
    assert 0.09 <= atm <= 0.26


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_mid_prints_and_buy_share(markets: dict[str, Market], symbol: str) -> None:
    tape = markets[symbol].tape
    mid = (tape["price"] == (tape["bid"] + tape["ask"]) / 2).mean()
    assert 0.10 <= mid <= 0.20
    assert abs((tape["side"] == 1).mean() - 0.5) < 0.05


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_last_hour_busier_than_midday(markets: dict[str, Market], symbol: str) -> None:
    m = markets[symbol]
    hour = et_hour(m.tape["t"])
    assert (hour == 15).sum() > 1.5 * (hour == 12).sum()
    # U shape: the first half hour is busier than 12:00-12:30 too
    elapsed = (m.tape["t"] - m.session_open).dt.total_seconds() / 60
    assert (elapsed < 30).sum() > 1.3 * elapsed.between(150, 180, inclusive="left").sum()


def test_imbalance_episodes_show_in_the_tape(spx: Market) -> None:
    tape, ev = spx.tape, spx.events
    signed = tape["side"].to_numpy(dtype=np.float64)
    measured, wanted = [], []
    for _, row in ev[ev["kind"] == "imbalance"].iterrows():
        inside = ((tape["t"] >= row["start"]) & (tape["t"] < row["end"])).to_numpy()
        measured.append(signed[inside].mean())
        wanted.append(row["value"])
    measured_arr, wanted_arr = np.array(measured), np.array(wanted)
    # overlapping episodes add up, so compare on aggregate: signs agree and sizes are close
    assert (np.sign(measured_arr) == np.sign(wanted_arr)).mean() >= 0.75
    assert np.mean(measured_arr * np.sign(wanted_arr)) == pytest.approx(
        np.mean(np.abs(wanted_arr)), abs=0.04
    )


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_spot_path_plausible_with_jumps(markets: dict[str, Market], symbol: str) -> None:
    m = markets[symbol]
    spot = m.spot.to_numpy()
    s0 = spot[0]
    assert abs(s0 / m.profile.spot - 1) <= m.profile.spot_jitter + 1e-9
    assert spot.max() / spot.min() - 1 < 0.06  # the daily range
    calls = m.chain[m.chain["right"] == "C"]
    atm = float(np.interp(s0, calls["strike"], calls["iv"]))
    per_second = atm * math.sqrt(1 / (252 * 23_400))
    rets = np.diff(np.log(spot))
    assert np.abs(rets).max() > 15 * per_second  # a jump, far beyond diffusion
    diffusion = rets[np.abs(rets) < 10 * per_second]
    assert 0.9 < diffusion.std() / per_second < 1.15  # GBM at the ATM vol (cent rounding)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_iv_has_put_skew(markets: dict[str, Market], symbol: str) -> None:
    m = markets[symbol]
    calls = m.chain[m.chain["right"] == "C"]
    strikes, iv = calls["strike"].to_numpy(), calls["iv"].to_numpy()
    s0 = float(m.spot.iloc[0])
    atm = float(np.interp(s0, strikes, iv))
    assert 0.10 <= atm <= 0.25
    half_day = 0.5 * atm / math.sqrt(252)
    put_iv = float(np.interp(s0 * math.exp(-half_day), strikes, iv))
    call_iv = float(np.interp(s0 * math.exp(half_day), strikes, iv))
    assert put_iv > atm > call_iv
    assert iv[0] > atm  # the deep put wing is the richest side near the money
    np.testing.assert_array_equal(m.chain["iv"][m.chain["right"] == "P"].to_numpy(), iv)


def test_contracts_cluster_near_and_follow_the_spot(spx: Market) -> None:
    tape = spx.tape
    s_t = spot_at(spx, tape["t"])
    s0 = float(spx.spot.iloc[0])
    k = tape["strike"].to_numpy()
    assert (np.abs(k / s_t - 1) < 0.01).mean() > 0.6
    assert spx.spot.max() / spx.spot.min() - 1 > 0.005  # the path moved, so drift is visible
    assert np.abs(k - s_t).mean() < np.abs(k - s0).mean()
    by_half_hour = pd.DataFrame({"k": k, "s": s_t}).groupby(
        (tape["t"] - spx.session_open).dt.total_seconds() // 1800
    )
    means = by_half_hour.mean()
    assert np.corrcoef(means["k"], means["s"])[0, 1] > 0.8


def test_more_puts_on_down_moves(spx: Market) -> None:
    tape = spx.tape
    logs = np.log(spx.spot)
    r30 = (logs - logs.shift(1800).bfill()).to_numpy()
    pos = spx.spot.index.searchsorted(pd.DatetimeIndex(tape["t"]), side="right") - 1
    move = r30[pos]
    is_put = (tape["right"] == "P").to_numpy()
    band = 0.5 * 0.15 * math.sqrt(30 / (252 * 390))
    assert is_put[move < -band].mean() > is_put[move > band].mean() + 0.05


# --------------------------------------------------------------------------- quotes


def ticks(m: Market, price: np.ndarray) -> np.ndarray:
    p = m.profile
    out: np.ndarray = np.where(price < p.tick_break, p.tick, p.tick_wide)
    return out


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_quotes_sane_and_on_the_tick_grid(markets: dict[str, Market], symbol: str) -> None:
    m = markets[symbol]
    tape = m.tape
    bid, ask, price = (tape[c].to_numpy() for c in ("bid", "ask", "price"))
    assert (bid >= 0).all() and (ask > bid).all() and (price > 0).all()
    for quote in (bid, ask):
        units = quote / ticks(m, quote)
        np.testing.assert_allclose(units, np.rint(units), atol=1e-6)
    outside = (price > ask) | (price < bid)
    assert outside.mean() < 0.05
    two_ticks = 2 * ticks(m, ask) + 1e-9
    assert (price <= ask + two_ticks).all() and (price >= bid - two_ticks).all()


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_prices_match_the_true_side(markets: dict[str, Market], symbol: str) -> None:
    tape = markets[symbol].tape
    bid, ask, price = (tape[c].to_numpy() for c in ("bid", "ask", "price"))
    side = tape["side"].to_numpy()
    mid = price == (bid + ask) / 2
    buys, sells = (side == 1) & ~mid, (side == -1) & ~mid
    assert (price[buys] >= ask[buys]).all()
    assert (price[sells] <= bid[sells]).all()
    # the quote rule is right on every non-mid print; mid prints keep a random true side
    assert 0.3 < (side[mid] == 1).mean() < 0.7
    # zero-bid contracts only print customer buys at the ask
    zero = bid == 0
    assert (side[zero] == 1).all() and not mid[zero].any()


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_quotes_straddle_the_bsm_value(markets: dict[str, Market], symbol: str) -> None:
    m = markets[symbol]
    tape = m.tape.iloc[::7]
    s = spot_at(m, tape["t"])
    iv_of = m.chain.set_index(["strike", "right"])["iv"]
    iv = iv_of.reindex(pd.MultiIndex.from_arrays([tape["strike"], tape["right"]])).to_numpy()
    minutes = (m.session_close - tape["t"]).dt.total_seconds().to_numpy() / 60
    tau = np.maximum(minutes, 1.0) / (252 * 390)
    k = tape["strike"].to_numpy()
    w = np.where(tape["right"] == "C", 1.0, -1.0)
    vol = iv * np.sqrt(tau)
    d1 = np.log(s / k) / vol + vol / 2
    theo = w * (s * ndtr(w * d1) - k * ndtr(w * (d1 - vol)))
    bid, ask = tape["bid"].to_numpy(), tape["ask"].to_numpy()
    tick = ticks(m, ask)
    assert (theo >= bid - tick).all() and (theo <= ask + tick).all()
    spread = ask - bid
    pricey = theo > 1.0
    assert np.median(spread[pricey] / theo[pricey]) < 0.06  # a few % of the price


# --------------------------------------------------------------------------- arguments


def test_unknown_symbol_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"AAPL, AMZN, IWM, NVDA, QQQ, SPX, SPY, TSLA"):
        generate_market("GME", DATE)


@pytest.mark.parametrize("scale", [0, -1.0, math.nan, math.inf, True, "1"])
def test_bad_scale(scale: object) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate_market("SPY", DATE, scale=scale)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_bad_seed(seed: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        generate_market("SPY", DATE, seed=seed, scale=0.001)  # type: ignore[arg-type]


def test_bad_date() -> None:
    with pytest.raises(ValueError, match="date"):
        generate_market("SPY", "2026-13-45", scale=0.001)
    with pytest.raises(TypeError, match="date"):
        generate_market("SPY", 20260605, scale=0.001)  # type: ignore[arg-type]


def test_dates_weekends_and_symbols_normalise() -> None:
    saturday = generate_market("spy ", "2026-06-06", seed=0, scale=0.001)
    assert saturday.symbol == "SPY" and saturday.date == dt.date(2026, 6, 6)
    assert len(saturday.tape) > 0
    aware = dt.datetime(2026, 6, 6, 1, 0, tzinfo=dt.UTC)  # 21:00 ET on June 5
    assert generate_market("SPY", aware, seed=0, scale=0.001).date == dt.date(2026, 6, 5)
    naive = dt.datetime(2026, 6, 5, 12, 0)
    assert generate_market("SPY", naive, seed=0, scale=0.001).date == dt.date(2026, 6, 5)


def test_custom_profile_for_any_symbol() -> None:
    prof = dataclasses.replace(PROFILES["IWM"], spot=50.0, prints=10_000, strike_range=0.1)
    m = generate_market("XYZ", DATE, seed=0, profile=prof)
    assert m.profile is prof and m.symbol == "XYZ"
    assert 40 < m.spot.iloc[0] < 60
    assert 8_900 <= len(m.tape) <= 11_100


def test_market_is_frozen_with_a_short_repr(markets: dict[str, Market]) -> None:
    m = markets["IWM"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.symbol = "X"  # type: ignore[misc]
    text = repr(m)
    assert text.startswith("Market(symbol='IWM'") and len(text) < 200
    assert f"prints={len(m.tape)}" in text


# --------------------------------------------------------------------------- full scale


@pytest.mark.slow
def test_full_scale_spx_session() -> None:
    start = time.perf_counter()
    m = generate_market("SPX", DATE, seed=0)
    elapsed = time.perf_counter() - start
    tape = m.tape
    assert 400_000 <= len(tape) <= 900_000
    assert 700_000 <= len(tape) <= 900_000  # about 800 k at scale 1
    contracts = int(tape["size"].sum())
    assert 1_500_000 <= contracts <= 3_000_000
    assert (tape["size"] >= 100).sum() > 100  # blocks
    assert tape["size"].median() == 1 and 2.0 <= tape["size"].mean() <= 4.0
    oi = int(m.chain["oi"].sum())
    assert 200_000 <= oi <= 1_500_000
    by_strike = m.chain.groupby("strike")["oi"].sum()
    assert 0.20 <= by_strike.nlargest(3).sum() / by_strike.sum() <= 0.40
    mid = (tape["price"] == (tape["bid"] + tape["ask"]) / 2).mean()
    assert 0.10 <= mid <= 0.20
    assert abs((tape["side"] == 1).mean() - 0.5) < 0.03
    hour = et_hour(tape["t"])
    assert (hour == 15).sum() > 1.5 * (hour == 12).sum()
    assert tape["t"].is_monotonic_increasing
    assert elapsed < 10.0  # about 0.5 s on a 2-core sandbox; a gross-regression guard only
