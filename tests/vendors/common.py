"""Shared by the vendor tests: a read-back market with the simulator's IVs put in."""

from __future__ import annotations

import dataclasses

import pandas as pd

import flowframe as ff


def with_sim_ivs(built: ff.Market, market: ff.Market) -> ff.Market:
    """``built`` with each contract's IV replaced by the simulated market's (same clock)."""
    ivs = market.chain.set_index(["strike", "right"])["iv"]
    key = pd.MultiIndex.from_frame(built.chain[["strike", "right"]])
    chain = built.chain.assign(iv=ivs.reindex(key).to_numpy())
    chain.attrs = dict(built.chain.attrs)
    return dataclasses.replace(built, chain=chain)
