"""Every simulated symbol through both real formats (issue 14, "Round trips").

Each symbol's simulated session (a tenth of the prints, so the suite stays quick) is written
as Databento DBN (Databento's own encoder: definitions, tbbo, statistics; zstd) and as
Polygon's flat files (gzipped CSVs and an OI file), read back by ``ff.read_databento`` and
``ff.read_polygon``, and checked: the tape and the OI are equal to the simulated ones, and,
given the simulated IVs, every endpoint's payload equals ``ff.Simulated``'s at the same clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flowframe as ff
from tests.vendors.common import with_sim_ivs
from tests.vendors.dbn import write_dbn
from tests.vendors.flatfiles import write_polygon

DAY = "2026-09-18"
NOW = "14:45"
SYMBOLS = ("SPX", "SPY", "QQQ", "IWM")
TAPE = ["t", "strike", "right", "price", "size", "bid", "ask"]
PAYLOADS: list[tuple[str, dict[str, Any]]] = [
    ("get_series", {"minutes": 390}),
    ("get_hedge_flow", {"minutes": 390}),
    ("get_hedge_flow", {"side": "puts", "bar": "5m", "minutes": 390}),
    ("get_heatmap", {"metric": "gex", "minutes": 390}),
    ("get_heatmap", {"metric": "signed_flow", "mode": "delta", "minutes": 60}),
    ("get_strike_flow", {"minutes": 390}),
    ("get_snapshot", {}),
]


@pytest.fixture(scope="module")
def sim() -> ff.Simulated:
    return ff.Simulated(seed=4, date=DAY, now=NOW, scale=0.1, symbols=SYMBOLS)


def read(fmt: str, market: ff.Market, folder: Path) -> ff.Market:
    if fmt == "dbn":
        paths = write_dbn(market, folder, compress=True, extras=False)
        return ff.read_databento(*paths, symbol=market.symbol, spot=market.spot)
    trades, quotes = write_polygon(market, folder)
    return ff.read_polygon(
        trades, quotes, symbol=market.symbol, spot=market.spot, oi=folder / "oi.csv"
    )


def on_the_price_grid(tape: pd.DataFrame) -> pd.DataFrame:
    """Prices as a file holds them: the decimal to 1e-9 (a mid print is no float sum)."""
    out = tape.loc[:, TAPE].copy()
    for column in ("price", "bid", "ask"):
        out[column] = np.round(out[column].to_numpy() * 1e9) / 1e9
    return out


@pytest.mark.parametrize("fmt", ["dbn", "polygon"])
@pytest.mark.parametrize("symbol", SYMBOLS)
def test_each_symbol_round_trips_through_each_format(
    sim: ff.Simulated, tmp_path: Path, symbol: str, fmt: str
) -> None:
    market = sim.market(symbol)
    built = read(fmt, market, tmp_path)
    got, want = on_the_price_grid(built.tape), on_the_price_grid(market.tape)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    key = ["strike", "right"]
    oi = built.chain.loc[:, [*key, "oi"]].sort_values(key, ignore_index=True)
    truth = market.chain.loc[:, [*key, "oi"]].sort_values(key, ignore_index=True)
    np.testing.assert_array_equal(oi["oi"].to_numpy(), truth["oi"].to_numpy())
    assert built.quality.set_index("reason").loc["used", "count"] == len(market.tape)
    # given the simulated IVs, every endpoint is the simulator's
    src = ff.Local.from_market(with_sim_ivs(built, market), now=NOW)
    for method, params in PAYLOADS:
        assert getattr(src, method)(symbol, **params) == getattr(sim, method)(symbol, **params), (
            method,
            params,
        )
