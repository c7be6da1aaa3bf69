"""How far the numbers move when IVs and spot are implied from the quotes (issue 14).

Run with ``.venv/bin/python -m tests.bench.bench_implied_market``. For each simulated symbol
(seed 0, 2026-09-18), hand the assembler what a tbbo file alone gives (prints with their NBBO,
the OI, no spot, no IVs) and compare a source over the result at 14:45 ET with ff.Simulated,
which knows the IVs and the spot path. Prints the README's table.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd

import flowframe as ff
from flowframe.sources.vendors._assemble import assemble

DAY = "2026-09-18"
NOW = "14:45"
TAPE = ["t", "strike", "right", "price", "size", "bid", "ask"]


def main() -> None:
    print(
        "| symbol | IV error near the money (median / max) | spot error (median / p99) "
        "| net GEX | cumulative hedge-flow | gamma flip | assemble |"
    )
    print("|---|---|---|---|---|---|---|")
    for symbol in ("SPX", "SPY", "QQQ", "IWM"):
        sim = ff.Simulated(seed=0, date=DAY, now=NOW)
        market = sim.market(symbol)
        start = time.perf_counter()
        built = assemble(
            symbol=symbol,
            date=dt.date.fromisoformat(DAY),
            trades=market.tape.loc[:, TAPE],
            oi=market.chain.loc[:, ["strike", "right", "oi"]],
            source="bench",
        )
        took = time.perf_counter() - start
        truth = market.chain.set_index(["strike", "right"])["iv"]
        key = pd.MultiIndex.from_frame(built.chain[["strike", "right"]])
        error = np.abs(built.chain["iv"].to_numpy() - truth.reindex(key).to_numpy())
        near = np.abs(built.chain["strike"].to_numpy() / float(market.spot.iloc[0]) - 1) < 0.01
        spot_error = (built.spot - market.spot.reindex(built.spot.index)).abs()
        src = ff.Local.from_market(built, now=NOW)
        a = sim.get_series(symbol, minutes=390)["bars"][-1]
        b = src.get_series(symbol, minutes=390)["bars"][-1]
        ha, hb = (
            s.get_hedge_flow(symbol, minutes=390)["bars"][-1]["cumulative"] for s in (sim, src)
        )
        print(
            f"| {symbol} | {np.median(error[near]):.4f} / {error[near].max():.4f} "
            f"| {spot_error.median():.3f} / {spot_error.quantile(0.99):.3f} "
            f"| {100 * (b['net_gex'] / a['net_gex'] - 1):+.1f}% | {100 * (hb / ha - 1):+.1f}% "
            f"| {b['gamma_flip'] - a['gamma_flip']:+.2f} | {took:.2f} s |"
        )


if __name__ == "__main__":
    main()
