"""The clock of a chain's implied vols (issue 12): calendar IVs convert, the simulator's travel.

The engine computes on the trading clock (``T = minutes to 16:00 / (252 * 390)``); vendor
IVs are annualised over calendar time (``T = seconds to 16:00 / (365 * 86400)``). ``ff.Local``
converts them keeping total variance, and reads the clock from ``chain.attrs["iv_clock"]``.
The independent side prices gamma with the ``blackscholes`` package, not flowframe's greeks.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from blackscholes import BlackScholesCall

import flowframe as ff
from flowframe.sources.engine.core import compute_session
from flowframe.sources.engine.greeks import CALENDAR_TO_TRADING_VOL, trading_clock_vol
from flowframe.sources.engine.simulated import Simulated

DAY = "2026-09-18"  # a Friday
OPEN = pd.Timestamp(f"{DAY} 09:30", tz="America/New_York").tz_convert("UTC")


def _tape() -> pd.DataFrame:
    """A tape with no prints: exposures come from settled OI alone."""
    return pd.DataFrame(
        {
            "t": pd.Series([], dtype="datetime64[ns, UTC]"),
            "strike": pd.Series([], dtype=np.float64),
            "right": pd.Series([], dtype="str"),
            "price": pd.Series([], dtype=np.float64),
            "size": pd.Series([], dtype=np.int64),
            "side": pd.Series([], dtype=np.int64),
        }
    )


def _spot(level: float) -> pd.Series:
    return pd.Series([level], index=pd.DatetimeIndex([OPEN]), name="spot")


def _local(chain: pd.DataFrame, spot: float = 100.0, **kwargs: Any) -> ff.Local:
    return ff.Local(
        chain=chain,
        tape=_tape(),
        spot=_spot(spot),
        symbol="XYZ",
        expiration=DAY,
        now="14:45",
        **kwargs,
    )


def _last_series_bar(src: ff.Local) -> dict[str, Any]:
    """The 30 s sample ending at 14:45 ET (75 minutes before the close)."""
    bar: dict[str, Any] = src.get_series("XYZ", bar="30s", minutes=1)["bars"][-1]
    assert bar["t"] == "2026-09-18T18:44:30Z"
    return bar


# --------------------------------------------------------------------- hand-computed


def test_a_calendar_iv_gives_the_gamma_of_its_total_variance() -> None:
    # one call, K = 100, OI 1000, spot 100, vendor IV 30% on the calendar clock, at 14:45 ET
    chain = pd.DataFrame({"strike": [100.0], "right": ["C"], "oi": [1000], "iv": [0.30]})
    minutes_left = 75.0
    t_calendar = minutes_left * 60 / (365 * 86400)  # 4,500 s / 31,536,000 s = 1.426941e-4 yr
    t_trading = minutes_left / (252 * 390)  # 75 / 98,280 = 7.631258e-4 yr
    vol_trading = 0.30 * math.sqrt(t_calendar / t_trading)  # 0.30 * 0.432419 = 0.129726
    assert vol_trading == pytest.approx(0.129726, abs=1e-6)
    # total variance kept: 0.129726**2 * 7.631258e-4 == 0.30**2 * 1.426941e-4 == 1.284247e-5
    assert vol_trading**2 * t_trading == pytest.approx(0.30**2 * t_calendar, rel=1e-14)
    gamma = BlackScholesCall(S=100.0, K=100.0, T=t_trading, r=0.0, sigma=vol_trading).gamma()
    # the same as pricing on the calendar clock throughout: only vol * sqrt(T) matters
    assert gamma == pytest.approx(
        BlackScholesCall(S=100.0, K=100.0, T=t_calendar, r=0.0, sigma=0.30).gamma(), rel=1e-12
    )
    assert gamma == pytest.approx(1.113231, abs=1e-6)  # per point, per share
    expected_gex = 1000 * gamma * 100 * 100.0**2 * 0.01  # dealers long calls: +OI
    assert expected_gex == pytest.approx(11_132_307, abs=1)

    src = _local(chain)  # no attrs: the IV is read on the calendar clock
    assert src.iv_clock == "calendar"
    bar = _last_series_bar(src)
    assert bar["net_gex"] == pytest.approx(expected_gex, rel=1e-12)
    assert bar["atm_iv"] == pytest.approx(vol_trading, abs=1e-6)  # the engine's (trading) clock
    # read as a trading-clock IV (the old behaviour), gamma is 2.31x smaller at the money
    old = BlackScholesCall(S=100.0, K=100.0, T=t_trading, r=0.0, sigma=0.30).gamma()
    trading = _last_series_bar(_local(chain, iv_clock="trading"))
    assert trading["net_gex"] == pytest.approx(1000 * old * 100 * 100.0**2 * 0.01, rel=1e-12)
    assert bar["net_gex"] / trading["net_gex"] == pytest.approx(2.312587, abs=1e-6)


# --------------------------------------------------------------------- the default


def _smile_chain() -> pd.DataFrame:
    strikes = np.arange(95.0, 105.5, 1.0)
    iv = 0.25 + 0.01 * np.abs(strikes - 100.0)
    call_oi = np.round(4000 * np.exp(-np.abs(strikes - 101.0) / 2))
    put_oi = np.round(2500 * np.exp(-np.abs(strikes - 99.0) / 2))
    return pd.DataFrame(
        {
            "strike": np.repeat(strikes, 2),
            "right": np.tile(["C", "P"], strikes.size),
            "oi": np.column_stack([call_oi, put_oi]).ravel().astype(int),
            "iv": np.repeat(iv, 2),
        }
    )


def _independent_net_gex(chain: pd.DataFrame, spot: float, vol: np.ndarray) -> float:
    """Net GEX at 14:45 (dealers +OI calls, -OI puts), gamma from ``blackscholes``."""
    tau = 75.0 / (252 * 390)
    total = 0.0
    for (_, row), sigma in zip(chain.iterrows(), vol, strict=True):
        g = BlackScholesCall(S=spot, K=row["strike"], T=tau, r=0.0, sigma=float(sigma)).gamma()
        sign = 1.0 if row["right"] == "C" else -1.0
        total += sign * row["oi"] * g * 100 * spot**2 * 0.01
    return total


def test_a_chain_without_attrs_is_read_on_the_calendar_clock() -> None:
    chain = _smile_chain()
    assert "iv_clock" not in chain.attrs
    default = _local(chain, spot=100.4)
    assert default.iv_clock == "calendar"
    calendar = _last_series_bar(default)
    assert calendar == _last_series_bar(_local(chain, spot=100.4, iv_clock="calendar"))
    trading = _last_series_bar(_local(chain, spot=100.4, iv_clock="trading"))

    # "trading" gives the old numbers: the chain's IVs used as they are
    iv = chain["iv"].to_numpy()
    assert trading["net_gex"] == pytest.approx(_independent_net_gex(chain, 100.4, iv), rel=1e-12)
    assert trading["atm_iv"] == pytest.approx(0.254, abs=1e-6)
    # calendar: every IV x sqrt(98,280 / 525,600) = 0.432419 before the greeks
    assert math.isclose(CALENDAR_TO_TRADING_VOL, math.sqrt(98_280 / 525_600), rel_tol=1e-15)
    expected = _independent_net_gex(chain, 100.4, iv * 0.43241912697)
    assert calendar["net_gex"] == pytest.approx(expected, rel=1e-10)
    assert calendar["atm_iv"] == pytest.approx(0.254 * 0.432419, abs=1e-6)
    # the expected difference: net GEX x0.669 here, where calls and puts offset (the lower
    # vol's sharper gamma weighs the strikes differently); one contract at the money alone
    # has 2.31x the gamma (the hand-computed case above)
    assert calendar["net_gex"] / trading["net_gex"] == pytest.approx(
        expected / _independent_net_gex(chain, 100.4, iv), rel=1e-10
    )
    assert calendar["net_gex"] / trading["net_gex"] == pytest.approx(0.6691, abs=1e-4)
    # and exactly what a trading-clock chain of the converted IVs gives
    converted = chain.assign(iv=iv * CALENDAR_TO_TRADING_VOL)
    assert _last_series_bar(_local(converted, spot=100.4, iv_clock="trading")) == calendar


def test_the_state_keeps_trading_clock_ivs_and_the_callers_chain_is_untouched() -> None:
    chain = _smile_chain()
    chain.attrs["iv_clock"] = "calendar"
    src = _local(chain, spot=100.4)
    state_chain = src.state.chain
    assert state_chain.attrs["iv_clock"] == "trading"
    np.testing.assert_allclose(
        state_chain["iv"].to_numpy(),
        trading_clock_vol(chain.sort_values(["right", "strike"])["iv"].to_numpy(), "calendar"),
        rtol=1e-15,
    )
    assert chain.attrs == {"iv_clock": "calendar"}  # the input keeps its clock and its IVs
    assert chain["iv"].iloc[0] == pytest.approx(0.30)
    # the state's chain fed back in computes the same session
    again = _local(state_chain, spot=100.4)
    assert again.iv_clock == "trading"
    assert _last_series_bar(again) == _last_series_bar(src)


# --------------------------------------------------------------------- the simulator's clock


@pytest.fixture(scope="module")
def sim() -> Simulated:
    return Simulated(seed=3, date=DAY, scale=0.03, symbols=("SPY",))


NOWS = ("10:05", "12:30", "14:45", "15:58")


def test_local_over_a_simulated_market_computes_what_simulated_does(sim: Simulated) -> None:
    m = sim.market("SPY")
    assert m.chain.attrs["iv_clock"] == "trading"  # the simulator's IVs are on the engine's clock
    local = ff.Local(
        chain=m.chain,
        tape=m.tape.drop(columns="side"),  # as Simulated feeds the engine
        spot=m.spot,
        symbol="SPY",
        expiration=m.expiration,
    )
    assert local.iv_clock == "trading"
    for now in NOWS:
        ours, theirs = local.at(now), sim.at(now)
        assert ours.get_snapshot("SPY") == theirs.get_snapshot("SPY"), now
        assert ours.get_series("SPY", bar="1m", minutes=390) == theirs.get_series(
            "SPY", bar="1m", minutes=390
        ), now
        for metric in ("gex", "vex", "chex"):
            assert ours.get_heatmap("SPY", metric=metric, minutes=60) == theirs.get_heatmap(
                "SPY", metric=metric, minutes=60
            ), (now, metric)
    # the clock travels through the operations users do to a chain
    near = m.chain[(m.chain["strike"] - m.spot.iloc[0]).abs() <= 5.0].copy()
    assert _local_spy(m, near).iv_clock == "trading"


def _local_spy(m: Any, chain: pd.DataFrame, **kwargs: Any) -> ff.Local:
    return ff.Local(
        chain=chain,
        tape=m.tape.drop(columns="side"),
        spot=m.spot,
        symbol="SPY",
        expiration=m.expiration,
        now="14:45",
        **kwargs,
    )


def test_a_simulated_chain_stripped_of_its_clock_reads_as_calendar(sim: Simulated) -> None:
    m = sim.market("SPY")
    bare = m.chain.copy()
    bare.attrs = {}
    net = sim.at("14:45").get_series("SPY", bar="1m", minutes=5)["bars"][-1]["net_gex"]
    as_calendar = _local_spy(m, bare).get_series("SPY", bar="1m", minutes=5)["bars"][-1]
    assert as_calendar["net_gex"] != pytest.approx(net, rel=0.1)
    as_trading = _local_spy(m, bare, iv_clock="trading")
    assert as_trading.get_series("SPY", bar="1m", minutes=5)["bars"][-1]["net_gex"] == net


# --------------------------------------------------------------------- conflicts and bad values


def test_an_explicit_clock_against_the_chains_attrs_is_honoured_with_a_warning(
    sim: Simulated,
) -> None:
    m = sim.market("SPY")
    with pytest.warns(ff.FlowframeWarning, match=r"iv_clock='calendar' contradicts") as record:
        src = _local_spy(m, m.chain, iv_clock="calendar")
    assert record[0].filename == __file__  # points at the caller's line
    assert "attrs['iv_clock']='trading'" in str(record[0].message)
    assert src.iv_clock == "calendar"
    bare = m.chain.copy()
    bare.attrs = {}
    net = src.get_series("SPY", bar="1m", minutes=5)["bars"][-1]["net_gex"]
    assert net == _local_spy(m, bare).get_series("SPY", bar="1m", minutes=5)["bars"][-1]["net_gex"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # agreeing with the attrs says nothing
        assert _local_spy(m, m.chain, iv_clock="trading").iv_clock == "trading"


@pytest.mark.parametrize("bad", ["calender", "Calendar", "365", "", 365, True])
def test_a_clock_that_is_not_one_names_the_value_and_the_choices(bad: Any) -> None:
    allowed = r"use 'calendar' \(IVs annualised over calendar time.*or 'trading'"
    with pytest.raises(ValueError, match=rf"^iv_clock={bad!r} is not allowed; {allowed}"):
        _local(_smile_chain(), iv_clock=bad)
    tagged = _smile_chain()
    tagged.attrs["iv_clock"] = bad
    with pytest.raises(ValueError, match=rf"^chain.attrs\['iv_clock'\]={bad!r} is not allowed"):
        _local(tagged)
    with pytest.raises(ValueError, match=rf"^iv_clock={bad!r} is not allowed"):
        compute_session(
            _smile_chain(), _tape(), _spot(100.0), symbol="XYZ", expiration=DAY, iv_clock=bad
        )
