"""The assembler every reader ends in (issue 14): a vendor's trades, quotes and open interest
to a checked ff.Market, on the simulated session written the way vendors write it.

Given the simulated IVs, every endpoint of a source over the assembled market equals
ff.Simulated's; with IVs solved from the quotes, how far the numbers move is measured and
bounded here (and reported in the README).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import flowframe as ff
from flowframe.sources.vendors._assemble import assemble, implied_spot
from tests.vendors.common import with_sim_ivs

DAY = "2026-09-18"
DATE = dt.date(2026, 9, 18)
NOW = "14:45"
TAPE = ["t", "strike", "right", "price", "size", "bid", "ask"]


@pytest.fixture(scope="module")
def sim() -> ff.Simulated:
    return ff.Simulated(seed=0, date=DAY, now=NOW)


@pytest.fixture(scope="module")
def market(sim: ff.Simulated) -> ff.Market:
    return sim.market("SPY")


@pytest.fixture(scope="module")
def tbbo(market: ff.Market) -> ff.Market:
    """What a tbbo reader hands over: prints with their NBBO, the OI, the spot path."""
    return assemble(
        symbol="SPY",
        date=DATE,
        trades=market.tape.loc[:, TAPE],
        oi=market.chain.loc[:, ["strike", "right", "oi"]],
        spot=market.spot,
        source="test",
    )


PAYLOADS = [
    ("get_series", {"minutes": 390}),
    ("get_hedge_flow", {"minutes": 390}),
    ("get_hedge_flow", {"side": "calls", "bar": "5m", "minutes": 390}),
    ("get_heatmap", {"metric": "gex", "minutes": 390}),
    ("get_heatmap", {"metric": "signed_flow", "mode": "delta", "minutes": 120}),
    ("get_strike_flow", {"minutes": 390}),
    ("get_snapshot", {}),
]


def test_the_tape_and_oi_come_through_exactly(tbbo: ff.Market, market: ff.Market) -> None:
    pd.testing.assert_frame_equal(tbbo.tape.loc[:, TAPE], market.tape.loc[:, TAPE])
    pd.testing.assert_frame_equal(
        tbbo.chain.loc[:, ["strike", "right", "oi"]].reset_index(drop=True),
        market.chain.loc[:, ["strike", "right", "oi"]]
        .astype({"oi": np.int64})
        .reset_index(drop=True),
        check_dtype=False,
    )
    reasons = tbbo.quality["reason"].tolist()
    assert reasons[:1] == ["iv_from_quotes"] and "used" in reasons
    assert tbbo.chain.attrs["iv_clock"] == "trading"


@pytest.mark.parametrize("method, params", PAYLOADS)
def test_given_the_simulated_ivs_every_payload_equals_simulated(
    tbbo: ff.Market, market: ff.Market, sim: ff.Simulated, method: str, params: dict[str, object]
) -> None:
    src = ff.Local.from_market(with_sim_ivs(tbbo, market), now=NOW)
    assert getattr(src, method)("SPY", **params) == getattr(sim, method)("SPY", **params)


def test_ivs_solved_from_the_quotes_are_near_the_simulated(
    tbbo: ff.Market, market: ff.Market
) -> None:
    truth = with_sim_ivs(tbbo, market).chain["iv"].to_numpy()
    solved = tbbo.chain["iv"].to_numpy()
    spot = float(market.spot.iloc[0])
    near = np.abs(tbbo.chain["strike"].to_numpy() / spot - 1) < 0.01
    error = np.abs(solved - truth)
    assert np.all(np.isfinite(solved))
    assert np.median(error[near]) < 0.01, np.median(error[near])


def test_separate_quotes_are_attached_strictly_before_each_print(market: ff.Market) -> None:
    quotes = market.tape.loc[:, ["t", "strike", "right", "bid", "ask"]].assign(
        t=market.tape["t"] - pd.Timedelta(1, "ns")
    )
    built = assemble(
        symbol="SPY",
        date=DATE,
        trades=market.tape.loc[:, ["t", "strike", "right", "price", "size"]],
        quotes=quotes,
        oi=market.chain.loc[:, ["strike", "right", "oi"]],
        spot=market.spot,
        source="test",
    )
    pd.testing.assert_frame_equal(built.tape.loc[:, TAPE], market.tape.loc[:, TAPE])


def test_spot_from_parity_tracks_the_true_path(market: ff.Market) -> None:
    spot, missing = implied_spot(market.tape.loc[:, ["t", "strike", "right", "bid", "ask"]], DATE)
    truth = market.spot.reindex(spot.index)
    error = (spot - truth).abs()
    assert missing < 60  # the first prints of both rights come within the first minute
    assert error.median() < 0.05 * 5, error.median()


def test_no_open_interest_is_said(market: ff.Market) -> None:
    built = assemble(
        symbol="SPY", date=DATE, trades=market.tape.loc[:, TAPE], spot=market.spot, source="test"
    )
    assert (built.chain["oi"] == 0).all()
    row = built.quality.set_index("reason").loc["oi_missing"]
    assert row["count"] == len(built.chain) and row["unit"] == "contracts"


def test_with_everything_implied_the_payloads_move_little(
    market: ff.Market, sim: ff.Simulated
) -> None:
    """Spot from parity and IVs from the quotes (a tbbo file alone): the numbers the user
    reads move by a few tenths of a percent on SPY (the README lists every symbol)."""
    built = assemble(
        symbol="SPY",
        date=DATE,
        trades=market.tape.loc[:, TAPE],
        oi=market.chain.loc[:, ["strike", "right", "oi"]],
        source="test",
    )
    reasons = built.quality.set_index("reason")["count"]
    assert reasons["spot_from_parity"] + reasons["spot_not_implied"] == 23_401
    src = ff.Local.from_market(built, now=NOW)
    truth = sim.get_series("SPY", minutes=390)["bars"][-1]
    got = src.get_series("SPY", minutes=390)["bars"][-1]
    assert got["net_gex"] == pytest.approx(truth["net_gex"], rel=0.02)
    assert got["gamma_flip"] == pytest.approx(truth["gamma_flip"], abs=0.5)  # half a strike
    flow = [s.get_hedge_flow("SPY", minutes=390)["bars"][-1]["cumulative"] for s in (sim, src)]
    assert flow[1] == pytest.approx(flow[0], rel=0.02)
