"""A straightforward pandas reference for dealer hedge-flow (the benchmark's baseline).

Written the way an analyst would without flowframe: ``merge`` the chain onto the tape,
classify with a per-contract ``groupby().apply()`` tick test after the quote rule, look up spot
with ``merge_asof``, compute each print's delta row by row with ``math.erf``, then ``groupby``
30-second buckets and legs. It imports nothing from flowframe, so agreeing with the engine to
1e-9 is an independent check of the engine's hedge-flow, not a copy of it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TRADING_MINUTES_PER_YEAR = 252 * 390
SESSION_SECONDS = 390 * 60


def _tick(prices: pd.Series) -> pd.Series:
    """Tick test inside one contract: sign of the move from the last different price."""
    out = []
    last_different = None
    previous = None
    for p in prices:
        if previous is not None and p != previous:
            last_different = previous
        if last_different is None:
            out.append(0)
        else:
            out.append(1 if p > last_different else -1 if p < last_different else 0)
        previous = p
    return pd.Series(out, index=prices.index, dtype="int64")


def _delta(row: pd.Series) -> float:
    tau = max(row["minutes_left"], 1.0) / TRADING_MINUTES_PER_YEAR
    vol = row["iv"]
    d1 = (math.log(row["spot"] / row["strike"]) + 0.5 * vol * vol * tau) / (vol * math.sqrt(tau))
    n = 0.5 * (1.0 + math.erf(d1 / math.sqrt(2.0)))
    return n if row["right"] == "C" else n - 1.0


def hedge_flow(
    chain: pd.DataFrame, tape: pd.DataFrame, spot: pd.Series, opening: pd.Timestamp
) -> pd.DataFrame:
    """Per 30-second sample: calls and puts hedge-flow bars and their cumulatives."""
    df = tape.copy()
    df["row"] = np.arange(len(df))
    df = df.merge(chain[["strike", "right", "iv"]], on=["strike", "right"], how="inner")
    df = df.sort_values(["t", "row"]).reset_index(drop=True)
    elapsed = (df["t"] - opening).dt.total_seconds()
    df = df[(elapsed >= 0) & (elapsed < SESSION_SECONDS)].copy()
    elapsed = (df["t"] - opening).dt.total_seconds()

    mid = (df["bid"] + df["ask"]) / 2
    usable = df["ask"] > df["bid"]
    quote = np.select([usable & (df["price"] > mid), usable & (df["price"] < mid)], [1, -1], 0)
    ticks = df.groupby(["strike", "right"], group_keys=False)["price"].apply(_tick)
    df["side"] = np.where(quote != 0, quote, ticks.reindex(df.index).to_numpy())

    path = spot.rename("spot").to_frame().reset_index(names="t").sort_values("t")
    df = pd.merge_asof(df.sort_values("t"), path, on="t", direction="backward")
    df["spot"] = df["spot"].fillna(path["spot"].iloc[0])
    df["minutes_left"] = (SESSION_SECONDS - elapsed.to_numpy()) / 60.0
    df["delta"] = df.apply(_delta, axis=1)
    df["hf"] = np.rint(df["side"] * df["size"] * df["delta"] * 100.0 * df["spot"])
    df["sample"] = (elapsed.to_numpy() // 30).astype(int)

    bars = df.groupby(["sample", "right"])["hf"].sum().unstack("right", fill_value=0)
    bars = bars.reindex(range(SESSION_SECONDS // 30), fill_value=0.0)
    out = pd.DataFrame({"calls_bar": bars.get("C", 0.0), "puts_bar": bars.get("P", 0.0)})
    out["calls_cumulative"] = out["calls_bar"].cumsum()
    out["puts_cumulative"] = out["puts_bar"].cumsum()
    return out
