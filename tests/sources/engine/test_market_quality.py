"""ff.Market and the quality report (issue 14): every mistake a new user makes with a real tape
either raises an error naming the column and the likely cause, or is counted by reason.

The mistakes are the issue's list: rights spelled "call"/"put" or in lower case, strikes in
OCC units (x1000), an expiration one day off, prints outside the session or on another day,
strikes not in the chain, duplicate prints, NaN prices, crossed quotes, IVs in percent.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import flowframe as ff
from flowframe.errors import SchemaError
from flowframe.sources.engine.core import InputNote
from flowframe.sources.engine.inputs import QUALITY_COLUMNS

DAY = "2026-09-18"


@pytest.fixture(scope="module")
def market() -> ff.Market:
    return ff.Simulated(seed=3, date=DAY).market("SPY")


def counts(src: ff.Local | ff.Market) -> dict[str, int]:
    return {str(k): int(v) for k, v in src.quality.set_index("reason")["count"].items()}


def flow(src: ff.Local) -> pd.Series:
    return ff.hedge_flow("SPY", minutes=390, source=src.at("16:00"))["cumulative"]


def local(market: ff.Market, **changes: object) -> ff.Local:
    inputs = {"chain": market.chain, "tape": market.tape, "spot": market.spot, **changes}
    return ff.Local(**inputs, symbol="SPY", expiration=DAY, now="16:00")  # type: ignore[arg-type]


def test_the_simulator_gives_a_market_with_its_quality(market: ff.Market) -> None:
    assert isinstance(market, ff.Market)
    assert list(market.quality.columns) == list(QUALITY_COLUMNS)
    assert market.quality["count"].dtype == np.int64
    assert counts(market) == {"used": len(market.tape)}
    assert market.quality.attrs == {"symbol": "SPY", "date": DAY, "source": "simulated"}
    assert "<table" in market.quality.to_html()  # the notebook view (DataFrame's own)
    # a checked market keeps its report through from_market, and answers as Local would
    src = ff.Local.from_market(market, now="14:45")
    pd.testing.assert_frame_equal(src.quality, market.quality)
    direct = local(market).at("14:45")
    assert src.get_series("SPY", minutes=390) == direct.get_series("SPY", minutes=390)


def test_rights_in_other_spellings_are_read_and_counted(market: ff.Market) -> None:
    spelled = market.tape.assign(
        right=market.tape["right"].map({"C": "call", "P": "Put"}).to_numpy()
    )
    spelled.loc[spelled.index[::7], "right"] = spelled["right"].iloc[::7].str[0].str.lower()
    src = local(market, tape=spelled)
    assert counts(src)["right_normalised"] == len(market.tape)
    assert "right_normalised" not in counts(local(market))
    pd.testing.assert_series_equal(flow(src), flow(local(market)))  # not $0 any more
    assert flow(src).abs().max() > 1e6
    chain = market.chain.assign(right=market.chain["right"].str.lower())
    assert counts(local(market, chain=chain))["right_normalised"] == len(chain)


def test_strikes_in_occ_units_are_refused_with_the_cause(market: ff.Market) -> None:
    tape = market.tape.assign(strike=market.tape["strike"] * 1000)
    with pytest.raises(
        SchemaError,
        match=r"tape column 'strike' shares no strike with the chain.*strikes x 1000, as OCC symbols carry them: divide by 1000",
    ):
        local(market, tape=tape)
    chain = market.chain.assign(strike=market.chain["strike"] * 1000)
    with pytest.raises(
        SchemaError,
        match=r"chain column 'strike': the median strike .* is 1,002 times the median spot 611.69 \(OCC symbols carry strike x 1000: divide by 1000\)",
    ):
        local(market, chain=chain, tape=tape)


def test_ivs_in_percent_are_refused(market: ff.Market) -> None:
    chain = market.chain.assign(iv=market.chain["iv"] * 100)
    with pytest.raises(
        SchemaError,
        match=r"chain column 'iv': the median IV is .* looks like percent.*divide the column by 100",
    ):
        local(market, chain=chain)


def test_an_expiration_one_day_off_is_refused(market: ff.Market) -> None:
    with pytest.raises(
        SchemaError, match=r"expiration 2026-09-17 matches no print.*on 2026-09-18 \(ET\)"
    ):
        ff.Local(
            chain=market.chain,
            tape=market.tape,
            spot=market.spot,
            symbol="SPY",
            expiration="2026-09-17",
        )


def test_prints_outside_the_session_another_day_or_unlisted_are_counted(market: ff.Market) -> None:
    tape = market.tape
    early = tape.iloc[:4].assign(
        t=pd.Timestamp(f"{DAY} 09:00", tz="America/New_York").tz_convert("UTC")
    )
    before = tape.iloc[4:9].assign(t=tape["t"].iloc[4:9] - pd.Timedelta(days=1))
    unlisted = tape.iloc[9:11].assign(strike=1.5)
    extra = pd.concat([tape, early, before, unlisted], ignore_index=True)
    src = local(market, tape=extra)
    assert counts(src) == {
        "used": len(tape),
        "outside_session": 4,
        "other_day": 5,
        "strike_not_in_chain": 2,
    }
    pd.testing.assert_series_equal(flow(src), flow(local(market)))
    with pytest.raises(
        SchemaError,
        match=r"strict=True: 11 of .* other_day: 5 .*outside_session: 4 .*strike_not_in_chain: 2",
    ):
        local(market, tape=extra, strict=True)


def test_duplicate_prints_count_once(market: ff.Market) -> None:
    tape = pd.concat([market.tape, market.tape.iloc[100:130]], ignore_index=True)
    tape = tape.sort_values("t", kind="stable", ignore_index=True)
    src = local(market, tape=tape)
    assert counts(src) == {"used": len(market.tape), "duplicate_print": 30}
    pd.testing.assert_series_equal(flow(src), flow(local(market)))
    # two prints at one time that differ in any column are two prints
    twin = market.tape.iloc[[200]].assign(size=market.tape["size"].iloc[200] + 1)
    assert "duplicate_print" not in counts(local(market, tape=pd.concat([market.tape, twin])))


def test_nan_prices_and_crossed_or_locked_quotes_are_counted(market: ff.Market) -> None:
    tape = market.tape.drop(columns="side").copy()  # classified from its quotes
    tape.loc[[10, 11], "price"] = np.nan
    tape.loc[[20, 21, 22], "bid"] = tape.loc[[20, 21, 22], "ask"] + 0.05  # crossed
    tape.loc[[30], "bid"] = tape.loc[[30], "ask"]  # locked
    got = counts(local(market, tape=tape))
    assert got["price_not_positive"] == 2
    assert got["crossed_quote"] == 3 and got["locked_quote"] == 1
    assert got["used"] == len(tape) - 6
    # with the side given, the quotes are not read, so a crossed one costs nothing
    given = market.tape.copy()
    given.loc[[20, 21], "bid"] = given.loc[[20, 21], "ask"] + 0.05
    assert counts(local(market, tape=given)) == {"used": len(given)}


def test_market_from_frames_checks_and_counts_once(market: ff.Market) -> None:
    tape = pd.concat([market.tape, market.tape.iloc[:3]], ignore_index=True)
    built = ff.Market.from_frames(
        symbol="spy",
        chain=market.chain,
        tape=tape,
        spot=market.spot,
        expiration=DAY,
        source="mine",
        notes=[InputNote("tape", "other_symbol", 7, "prints", "another root: not read")],
    )
    assert built.symbol == "SPY" and built.date.isoformat() == DAY
    assert built.quality["reason"].tolist() == ["other_symbol", "used", "duplicate_print"]
    assert counts(built) == {"other_symbol": 7, "used": len(market.tape), "duplicate_print": 3}
    assert built.quality.attrs["source"] == "mine"
    assert len(built.tape) == len(market.tape)
    assert "prints_not_used=10" in repr(built)  # the reader's 7 and the 3 duplicates
    src = ff.Local.from_market(built, now="16:00")
    pd.testing.assert_series_equal(flow(src), flow(local(market)))
    # an unchecked Market (built by hand) is checked by from_market
    raw = dataclasses.replace(market, tape=tape, checked=False)
    assert counts(ff.Local.from_market(raw))["duplicate_print"] == 3
    with pytest.raises(TypeError, match=r"from_market\(\) takes an ff\.Market"):
        ff.Local.from_market(market.tape)  # type: ignore[arg-type]
