"""An answer left empty by the clock says why (a FlowframeWarning from the loaders)."""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd
import pytest

import flowframe as ff
from flowframe.errors import FlowframeWarning
from flowframe.sources.engine.clock import SessionClock
from flowframe.sources.engine.simulated import Simulated

DAY = "2026-09-18"  # a Friday


def sim(now: str, date: str = DAY) -> Simulated:
    return Simulated(seed=1, date=date, now=now, scale=0.02)


@pytest.mark.parametrize(
    ("load", "endpoint"),
    [
        (lambda s: ff.hedge_flow("SPY", source=s), "hedge-flow"),
        (lambda s: ff.series("SPY", source=s), "series"),
        (lambda s: ff.heatmap("SPY", source=s), "heatmap"),
        (lambda s: ff.strike_flow("SPY", source=s), "strike-flow"),
    ],
)
def test_before_the_open_every_loader_says_why(load, endpoint: str) -> None:
    with pytest.warns(FlowframeWarning) as record:
        out = load(sim("09:10"))
    assert len(out) == 0 if isinstance(out, pd.DataFrame) else out.sizes["bar"] == 0
    (message,) = [str(w.message) for w in record]
    assert message == (
        f"Simulated(seed=1, 2026-09-18): the {endpoint} answer for 'SPY' has no bars: the "
        "clock reads 2026-09-18 09:10:00 ET, before the 09:30 ET open: no bar has completed yet"
    )


def test_a_clock_on_another_day_than_the_tape_names_both_days_and_the_fix() -> None:
    market = sim("15:00").market("SPY")
    clock = SessionClock(dt.date(2026, 12, 3), now="12:00")
    local = ff.Local(
        chain=market.chain,
        tape=market.tape,
        spot=market.spot,
        symbol="SPY",
        expiration=DAY,
        clock=clock,
    )
    with pytest.warns(
        FlowframeWarning,
        match=r"the clock reads 2026-12-03 12:00:00 ET, but this "
        r"source's session is 2026-09-18; pass now= to ff.Local",
    ):
        hf = ff.hedge_flow("SPY", source=local)
    assert hf.empty


def test_a_weekend_and_a_window_after_the_close_say_so() -> None:
    with pytest.warns(FlowframeWarning, match="2026-09-19 is a Saturday, a day without a session"):
        ff.hedge_flow("SPY", source=sim("12:00", date="2026-09-19"))
    with pytest.warns(
        FlowframeWarning, match="the 5-minute window starts after the 16:00 ET close"
    ):
        ff.hedge_flow("SPY", minutes=5, source=sim("16:30"))


def test_no_same_day_expiry_says_when_the_next_is() -> None:
    source = sim("12:00", date="2026-09-15")  # a Tuesday: TSLA lists Mon, Wed, Fri
    assert not source.has_zero_dte("TSLA")
    with pytest.warns(
        FlowframeWarning,
        match=r"TSLA has no same-day expiry on 2026-09-15 "
        r"\(Tuesday\); its next is 2026-09-16",
    ):
        ff.series("TSLA", source=source)


def test_a_full_answer_warns_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(ff.hedge_flow("SPY", minutes=30, source=sim("12:00"))) == 60
        assert sim("12:00").why_empty("SPY", 30) is None
