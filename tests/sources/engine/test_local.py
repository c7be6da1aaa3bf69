"""ff.Local and ff.Simulated: hosted shapes, exact identities, the clock, degraded states."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flowframe as ff
from flowframe._constants import SERIES_COLUMNS
from flowframe.errors import FlowframeWarning
from flowframe.sources.engine.clock import SessionClock
from flowframe.sources.engine.simulated import Simulated

DAY = "2026-09-18"  # a Friday


@pytest.fixture(scope="module")
def sim() -> Simulated:
    return Simulated(seed=11, date=DAY, now="15:10", scale=0.03)


# --------------------------------------------------------------------- shapes


def test_payloads_have_the_hosted_shapes(sim: Simulated) -> None:
    hf = sim.get_hedge_flow("SPX", side="calls", bar="5m", minutes=180)
    # every success body also carries the hosted envelope (SDK 1.3.0+)
    envelope = {"endpoint_version", "data_as_of"}
    assert set(hf) == {"symbol", "expiration", "as_of", "side", "bar_size", "bars", *envelope}
    assert set(hf["bars"][0]) == {"t", "bar", "cumulative"}
    se = sim.get_series("SPX", bar="1m", minutes=120)
    assert set(se) == {"symbol", "expiration", "as_of", "bar_size", "bars", *envelope}
    assert set(se["bars"][0]) == {"t", *SERIES_COLUMNS}
    hm = sim.get_heatmap("SPX", metric="gex")
    assert set(hm) == {
        "symbol",
        "underlying_price",
        "expiration",
        "metric",
        "mode",
        "bar_size",
        "as_of",
        "tier_used",
        "strikes_grid",
        "bars",
        "gap_intervals",
        *envelope,
    }
    assert set(hm["bars"][0]) == {"t", "spot", "values"}
    sf = sim.get_strike_flow("SPX")
    assert set(sf["bars"][0]) == {
        "t",
        "spot",
        "signed_delta_dollars",
        "signed_gamma_dollars",
        "contracts",
    }
    lb = sim.get_leaderboard(n=2)
    assert set(lb) == {"metric", "n", "as_of", "market_open", "entries", *envelope}
    assert len(lb["entries"]) == 2
    assert list(hf)[-2:] == list(lb)[-2:] == ["endpoint_version", "data_as_of"]
    feeds = hf["data_as_of"]
    assert feeds["index_feed"] == feeds["flow_feed"] == hf["as_of"]  # SPX: the index feeds
    assert feeds["equity_feed"] is None and feeds["oi_feed"] == "2026-09-17T20:00:00Z"
    assert lb["data_as_of"]["equity_feed"] == lb["as_of"]
    snap = sim.get_snapshot("SPX")
    assert {"regime", "exposures", "pin_risk", "levels", "flow_direction", "strikes"} <= set(snap)
    assert envelope <= set(snap)
    assert set(snap["flow_direction"]) == {
        "label",
        "settled_net_gex",
        "live_net_gex",
        "flow_gex_adjustment",
        "flow_gex_pct_shift",
        "contracts_with_flow",
        "total_abs_delta_contracts",
        "description",
    }


def test_payloads_read_into_frames(sim: Simulated) -> None:
    assert ff.hedge_flow("SPX", minutes=30, source=sim).shape == (60, 2)
    assert ff.series("SPX", minutes=30, source=sim).shape == (60, 16)
    da = ff.heatmap("SPX", metric="oi", minutes=30, source=sim)
    assert da.shape[0] == 30 and (da.values >= 0).all()
    assert ff.strike_flow("SPX", minutes=30, source=sim)["contracts"].shape[0] == 30
    assert ff.snapshot("SPX", source=sim).status == "live"


def test_bars_are_labelled_by_start_and_complete(sim: Simulated) -> None:
    now = pd.Timestamp(f"{DAY} 15:10", tz="America/New_York")
    hf = ff.hedge_flow("SPX", minutes=5, source=sim)
    assert hf.index[-1] == now - pd.Timedelta(seconds=30)  # the 15:09:30 sample ended at 15:10
    assert hf.index[0] == now - pd.Timedelta(minutes=5)
    grid = ff.heatmap("SPX", minutes=5, source=sim)
    assert pd.Timestamp(grid["bar"].values[-1], tz="UTC") == now - pd.Timedelta(minutes=1)


# --------------------------------------------------------------------- identities (exact)


def test_cumulative_is_the_running_sum_of_bar(sim: Simulated) -> None:
    for side in ("all", "calls", "puts"):
        for bar in ("30s", "1m", "5m", "15m"):
            body = sim.get_hedge_flow("SPX", side=side, bar=bar, minutes=390)
            bars = np.array([b["bar"] for b in body["bars"]])
            cum = np.array([b["cumulative"] for b in body["bars"]])
            assert (np.cumsum(bars) == cum).all(), (side, bar)


def test_all_is_calls_plus_puts(sim: Simulated) -> None:
    for bar in ("30s", "5m"):
        a, c, p = (
            sim.get_hedge_flow("SPX", side=s, bar=bar, minutes=390)["bars"]
            for s in ("all", "calls", "puts")
        )
        assert [x["bar"] for x in a] == [y["bar"] + z["bar"] for y, z in zip(c, p, strict=True)]
        assert [x["cumulative"] for x in a] == [
            y["cumulative"] + z["cumulative"] for y, z in zip(c, p, strict=True)
        ]


def test_strike_flow_sums_to_hedge_flow(sim: Simulated) -> None:
    sf = sim.get_strike_flow("SPX", minutes=390)
    hf = sim.get_hedge_flow("SPX", bar="1m", minutes=390)
    by_time = {b["t"]: b["bar"] for b in hf["bars"]}
    assert len(sf["bars"]) >= 300
    for bar in sf["bars"]:
        assert sum(bar["signed_delta_dollars"]) == by_time[bar["t"]]


@pytest.mark.parametrize("metric", ["gex", "dex", "vex", "chex", "oi"])
def test_heatmap_delta_is_the_difference_of_raw(sim: Simulated, metric: str) -> None:
    raw = np.array(
        [b["values"] for b in sim.get_heatmap("SPX", metric=metric, minutes=120)["bars"]]
    )
    delta = np.array(
        [
            b["values"]
            for b in sim.get_heatmap("SPX", metric=metric, mode="delta", minutes=120)["bars"]
        ]
    )
    assert (delta[0] == raw[0]).all()
    assert (delta[1:] == np.diff(raw, axis=0)).all()


def test_signed_flow_delta_equals_raw(sim: Simulated) -> None:
    raw = sim.get_heatmap("SPX", metric="signed_flow", minutes=60)
    delta = sim.get_heatmap("SPX", metric="signed_flow", mode="delta", minutes=60)
    assert raw["bars"] == delta["bars"]
    sf = sim.get_strike_flow("SPX", minutes=60)
    assert [b["values"] for b in raw["bars"]] == [b["signed_delta_dollars"] for b in sf["bars"]]


def test_series_cumulatives_equal_hedge_flow(sim: Simulated) -> None:
    for bar in ("30s", "15m"):
        se = sim.get_series("SPX", bar=bar, minutes=390)["bars"]
        for side, field in (
            ("all", "hedge_flow_cumulative_all"),
            ("calls", "hedge_flow_call_cumulative"),
            ("puts", "hedge_flow_put_cumulative"),
        ):
            hf = sim.get_hedge_flow("SPX", side=side, bar=bar, minutes=390)["bars"]
            assert [b[field] for b in se] == [b["cumulative"] for b in hf]


def test_coarse_bars_equal_resampled_fine_bars(sim: Simulated) -> None:
    fine = ff.hedge_flow("SPX", minutes=390, source=sim)
    for bar in ("1m", "5m", "15m"):
        coarse = ff.hedge_flow("SPX", bar=bar, minutes=390, source=sim)
        pd.testing.assert_frame_equal(ff.resample_flow(fine, bar), coarse, check_exact=True)


def test_effective_oi_is_never_negative(sim: Simulated) -> None:
    assert (sim.local("SPX").state.effective_oi >= 0).all()


# --------------------------------------------------------------------- clock and degraded states


def test_running_clock_moves_and_stops_at_the_close() -> None:
    wall = [0.0]
    clock = SessionClock(pd.Timestamp(DAY).date(), speed=60, wall=lambda: wall[0])
    assert clock.now() == clock.open
    wall[0] = 60.0  # one real minute = one session hour
    assert clock.now() == clock.open + pd.Timedelta(hours=1)
    wall[0] = 10_000.0
    assert clock.now() == clock.close


def test_running_session_reveals_bars_as_time_passes() -> None:
    wall = [0.0]
    date = pd.Timestamp(DAY).date()
    sim = Simulated(
        seed=2, date=DAY, scale=0.02, clock=SessionClock(date, speed=60, wall=lambda: wall[0])
    )
    with pytest.warns(FlowframeWarning, match="the first 30 s sample of the session has not"):
        assert ff.hedge_flow("SPY", source=sim).empty  # at the open nothing has ended
    wall[0] = 10.0  # 10 session minutes
    assert len(ff.hedge_flow("SPY", source=sim)) == 20
    wall[0] = 20.0
    assert len(ff.hedge_flow("SPY", source=sim)) == 40


def test_clock_arguments() -> None:
    date = pd.Timestamp(DAY).date()
    with pytest.raises(ValueError, match="not both"):
        SessionClock(date, now="10:00", speed=10)
    with pytest.raises(ValueError, match="speed=0"):
        SessionClock(date, speed=0)
    assert SessionClock(date, now="10:00").now() == pd.Timestamp(
        f"{DAY} 10:00", tz="America/New_York"
    )
    # the date as text, as everywhere else in flowframe
    assert SessionClock(DAY, now="10:00").now() == SessionClock(date, now="10:00").now()
    with pytest.raises(ValueError, match=r"date='18/09/2026' is not allowed; use .*YYYY-MM-DD"):
        SessionClock("18/09/2026", now="10:00")
    with pytest.raises(ValueError, match="date=20260918 is not allowed"):
        SessionClock(20260918, now="10:00")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("now", "wall"),
    [
        ("4pm", "16:00"),
        ("4:15 PM", "16:15"),
        ("9:45am", "09:45"),
        ("12pm", "12:00"),
        ("14:45:30", "14:45:30"),
        ("1445", "14:45"),
        (f"{DAY} 14:45", "14:45"),
        (f"{DAY}T18:45:00Z", "14:45"),
    ],
)
def test_now_reads_every_documented_form(now: str, wall: str) -> None:
    clock = SessionClock(DAY, now=now)
    assert clock.now() == pd.Timestamp(f"{DAY} {wall}", tz="America/New_York")


@pytest.mark.parametrize("now", ["4 o'clock", "tomorrow", "25:00", "13pm", "0001-01-01x", "5"])
def test_a_time_the_clock_cannot_read_names_the_accepted_forms(now: str) -> None:
    # "4pm" used to parse as 0001-01-01 16:00 and fail later with OutOfBoundsDatetime
    with pytest.raises(ValueError, match=r"now=.* use a time of day in ET: 'HH:MM'.*'4pm'"):
        SessionClock(DAY, now=now)
    with pytest.raises(ValueError, match=r"is not a time"):
        Simulated(seed=1, date=DAY, now=now, scale=0.02)


def test_a_past_days_tape_without_now_shows_that_day_frozen_at_its_close() -> None:
    # it used to follow the real clock: empty frames stamped with today's as_of
    market = Simulated(seed=1, date=DAY, scale=0.02).market("SPY")  # (Simulated: 15:00)
    local = ff.Local(
        chain=market.chain, tape=market.tape, spot=market.spot, symbol="SPY", expiration=DAY
    )
    close = pd.Timestamp(f"{DAY} 16:00", tz="America/New_York")
    assert not local.clock.running and local.clock.now() == close
    assert "frozen at 2026-09-18 16:00:00 ET" in repr(local.clock)
    hf = ff.hedge_flow("SPY", minutes=390, source=local)
    assert len(hf) == 780 and ff.frames.as_of(hf) == close
    today = pd.Timestamp.now(tz="America/New_York").date()
    assert SessionClock(today).running  # today's session follows the real clock


def test_before_the_open_everything_degrades() -> None:
    sim = Simulated(seed=1, date=DAY, now="09:00", scale=0.02)
    assert sim.get_hedge_flow("SPX")["bars"] == []
    assert sim.get_series("SPX")["bars"] == []
    assert sim.get_heatmap("SPX")["strikes_grid"] == [] and sim.get_heatmap("SPX")["bars"] == []
    assert sim.get_leaderboard()["market_open"] is False
    snap = sim.get_snapshot("SPX")
    assert snap == {
        "symbol": "SPX",
        "session_closed": True,
        "last_session": "2026-09-17",
        "message": "Market closed. Last session: 2026-09-17.",
    }


def test_after_the_close_windows_empty_out() -> None:
    sim = Simulated(seed=1, date=DAY, now="17:00", scale=0.02)
    assert sim.get_hedge_flow("SPX", minutes=60)["bars"] == []
    assert len(sim.get_hedge_flow("SPX", minutes=90)["bars"]) == 60  # 15:30-16:00
    assert sim.get_snapshot("SPX")["last_session"] == DAY


def test_weekend_has_no_session() -> None:
    sim = Simulated(seed=1, date="2026-09-19", now="12:00", scale=0.02)
    assert sim.get_hedge_flow("SPX", minutes=390)["bars"] == []
    assert sim.get_snapshot("SPX")["last_session"] == DAY


def test_unknown_symbol(sim: Simulated) -> None:
    body = sim.get_hedge_flow("zzz")
    assert body["bars"] == [] and body["symbol"] == "ZZZ"
    assert sim.get_heatmap("ZZZ")["strikes_grid"] == []
    with pytest.raises(ff.NotFoundError, match="No data for ZZZ"):
        sim.get_snapshot("ZZZ")


def test_bad_parameters_raise_before_any_work(sim: Simulated) -> None:
    with pytest.raises(ValueError, match="side='both'"):
        sim.get_hedge_flow("SPX", side="both")
    with pytest.raises(ValueError, match="bar='5m' is not allowed for heatmap"):
        sim.get_heatmap("SPX", bar="5m")


# --------------------------------------------------------------------- determinism and sources


def test_same_seed_same_session_byte_for_byte() -> None:
    a = Simulated(seed=5, date=DAY, now="12:00", scale=0.02)
    b = Simulated(seed=5, date=DAY, now="12:00", scale=0.02)
    for sym in ("SPX", "IWM"):
        ta, tb = a.market(sym).tape, b.market(sym).tape
        assert ta.equals(tb)
        assert (
            pd.util.hash_pandas_object(ta).to_numpy().tobytes()
            == pd.util.hash_pandas_object(tb).to_numpy().tobytes()
        )
        assert json.dumps(a.get_series(sym, minutes=390)) == json.dumps(
            b.get_series(sym, minutes=390)
        )
    c = Simulated(seed=6, date=DAY, now="12:00", scale=0.02)
    assert not c.market("SPX").tape.equals(a.market("SPX").tape)


def test_local_with_a_quote_tape_reports_coverage(sim: Simulated) -> None:
    m = sim.market("SPY")
    local = ff.Local(
        chain=m.chain,
        tape=m.tape.drop(columns="side"),
        spot=m.spot,
        symbol="SPY",
        expiration=m.expiration,
        now="15:10",
    )
    cls = local.state.classification
    assert cls.coverage > 0.99 and cls.by_quote > cls.by_tick > 0
    truth = m.tape["side"].to_numpy()
    assert (cls.side == truth).mean() > 0.85
    with_side = ff.Local(
        chain=m.chain, tape=m.tape, spot=m.spot, symbol="SPY", expiration=m.expiration, now="15:10"
    )
    assert with_side.state.classification.by_quote == 0


def test_simulated_arguments() -> None:
    with pytest.raises(ValueError, match="have no simulation profile"):
        Simulated(symbols=("SPX", "XYZ"))
    with pytest.raises(ValueError, match="seed"):
        Simulated(seed="1")  # type: ignore[arg-type]
    assert isinstance(Simulated(), ff.Source)
    assert "frozen at" in repr(Simulated(date=DAY))


def test_leaderboard_ranks_the_universe(sim: Simulated) -> None:
    for metric in ("heat", "pin_risk", "abs_flow", "charm_intensity"):
        board = ff.leaderboard(metric=metric, source=sim)
        # a Friday: the weekly single names expire too
        assert sorted(board["symbol"]) == [
            "AAPL",
            "AMZN",
            "IWM",
            "NVDA",
            "QQQ",
            "SPX",
            "SPY",
            "TSLA",
        ]
        assert board["value"].is_monotonic_decreasing


def _json_safe(body: Any) -> None:
    json.dumps(body, allow_nan=False)


def test_bodies_are_strict_json(sim: Simulated) -> None:
    for body in (
        sim.get_series("SPX", minutes=390),
        sim.get_snapshot("SPX"),
        sim.get_heatmap("SPX", metric="vex"),
        sim.get_strike_flow("QQQ"),
        sim.get_leaderboard(),
    ):
        _json_safe(body)


def test_weekly_names_off_their_expiry_day() -> None:
    tuesday = Simulated(seed=4, date="2026-09-15", now="14:00", scale=0.02)
    snap = tuesday.get_snapshot("TSLA")
    assert snap == {
        "symbol": "TSLA",
        "no_zero_dte": True,
        "next_zero_dte_expiry": "2026-09-16",
        "message": "No 0DTE expiry for TSLA today (Tuesday). Next expiry: 2026-09-16.",
    }
    assert tuesday.get_snapshot("AAPL")["next_zero_dte_expiry"] == "2026-09-18"
    assert tuesday.get_hedge_flow("TSLA")["bars"] == []
    board = ff.leaderboard(metric="heat", source=tuesday)
    assert sorted(board["symbol"]) == ["IWM", "QQQ", "SPX", "SPY"]
    assert ff.snapshot("TSLA", source=tuesday).status == "no_zero_dte"


def test_at_steps_through_a_day_without_recomputing(monkeypatch: pytest.MonkeyPatch) -> None:
    """``sim.at(now)`` answers exactly as a source built at ``now`` would, and every source
    made from one day shares each symbol's session, computed once."""
    from flowframe.sources.engine import core
    from flowframe.sources.engine import local as local_module

    calls: list[str] = []
    original = core.compute_session

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["symbol"])
        return original(*args, **kwargs)

    monkeypatch.setattr(local_module, "compute_session", counting)
    day = Simulated(seed=5, date=DAY, scale=0.02, symbols=("SPY", "QQQ"))
    steps = {now: day.at(now) for now in ("09:45", "12:30", "15:15")}
    for now, sim in steps.items():
        fresh = Simulated(seed=5, date=DAY, now=now, scale=0.02, symbols=("SPY", "QQQ"))
        assert sim.get_series("SPY", bar="1m", minutes=390) == fresh.get_series(
            "SPY", bar="1m", minutes=390
        )
        assert sim.get_snapshot("SPY") == fresh.get_snapshot("SPY")
        assert sim.get_leaderboard(n=2) == fresh.get_leaderboard(n=2)
        assert sim.clock.now() == pd.Timestamp(f"{DAY} {now}", tz="America/New_York")
    # the steps computed each symbol once between them (the fresh sources once each as well)
    assert calls.count("SPY") == 1 + 3 and calls.count("QQQ") == 1 + 3
    # at() of an at() still shares the day; the original keeps its own clock
    assert steps["12:30"].at("13:00").local("SPY").state is day.local("SPY").state
    assert day.clock.now() == pd.Timestamp(f"{DAY} 15:00", tz="America/New_York")  # default
    assert len(ff.hedge_flow("SPY", bar="1m", minutes=390, source=steps["09:45"])) == 15


def test_local_at_shares_the_computed_session(sim: Simulated) -> None:
    base = sim.local("SPY")
    early = base.at("10:00")
    assert early.state is base.state and early.clock is not base.clock
    assert early.get_hedge_flow("SPY", bar="1m", minutes=390)["bars"][-1]["t"].startswith(
        f"{DAY}T13:59"
    )
    with pytest.raises(ValueError, match="date"):
        base.at("not a time")
