"""Benchmark: an 8-variant ensemble against 8 separate ``ff.Local`` computations.

Run:  .venv/bin/python -m tests.bench.bench_ensemble   (never collected by pytest)

On a full simulated SPX session (the first seed with at least 800k prints, as
``bench_engine``), in one process, interleaved rounds:

- **separate**: 8 ``ff.Local`` sources, each built from its variant's chain, tape and spot
  (``Ensemble.inputs``, made before timing) and computed (``.state``);
- **engine only**: the stricter baseline, ``compute_session`` 8 times on the same inputs
  (what ``ff.Local`` runs, without its input checks and counts);
- **ensemble**: ``ff.Ensemble(source, variants).states("SPX")``, from the same source.

Two mixes of 8 variants: *assumptions* (the four dealer priors at OI weights 0.43 and 1:
one tape) and *mixed* (the six standard variants plus two tape what-ifs, blocks of 50+ left
out and unsigned prints left out: three tapes). The ratio separate / ensemble is the figure
(goal: at least 2x); every state is checked equal to its separate twin before timing.
"""

from __future__ import annotations

import gc
import statistics
import time
from typing import Any

import numpy as np

import flowframe as ff
from flowframe.sources.engine.core import compute_session
from tests.bench.bench_engine import DATE, spx_market

ROUNDS = 3


def _mixes() -> dict[str, dict[str, Any]]:
    priors = ("long_calls_short_puts", "short_all", "short_calls_long_puts", "flow_only")
    assumptions = {
        f"{p} w={w}": {"dealer_prior": p, "oi_weight": w} for p in priors for w in (0.43, 1.0)
    }
    mixed: dict[str, Any] = {p: {"dealer_prior": p} for p in priors}
    mixed["oi_weight=0"] = {"oi_weight": 0.0}
    mixed["oi_weight=1"] = {"oi_weight": 1.0}
    mixed["no_blocks"] = ff.whatif.drop_blocks(50)
    mixed["signed_only"] = ff.whatif.drop_unsigned()
    return {"assumptions": assumptions, "mixed": mixed}


def _separate(inputs: dict[str, tuple[Any, ...]], configs: dict[str, ff.EngineConfig]) -> list[Any]:
    out = []
    for name, (chain, tape, spot) in inputs.items():
        src = ff.Local(
            chain=chain,
            tape=tape,
            spot=spot,
            symbol="SPX",
            expiration=DATE,
            now="16:00",
            config=configs[name],
        )
        out.append(src.state)
    return out


def _engine_only(
    inputs: dict[str, tuple[Any, ...]], configs: dict[str, ff.EngineConfig]
) -> list[Any]:
    """The stricter baseline: the engine alone (no input checks and counts of ``ff.Local``)."""
    return [
        compute_session(chain, tape, spot, symbol="SPX", expiration=DATE, config=configs[name])
        for name, (chain, tape, spot) in inputs.items()
    ]


def main() -> None:
    market, seed = spx_market()
    print(f"SPX seed {seed}: {len(market.tape):,} prints, {len(market.chain)} contracts")
    local = ff.Local.from_market(market, now="16:00")
    for mix, variants in _mixes().items():
        ens = ff.Ensemble(local, variants)
        inputs = {n: ens.inputs(n) for n in ens.names}
        configs = {n: ens.config(n) for n in ens.names}
        states = ens.states("SPX")
        for name, alone in zip(ens.names, _separate(inputs, configs), strict=True):
            for field in ("net_gex", "gamma_flip", "strike_gex", "hf_all", "pin_score"):
                a, b = getattr(states[name], field), getattr(alone, field)
                assert np.array_equal(a, b, equal_nan=True), (mix, name, field)
        sep, eng, ens_t = [], [], []
        for _ in range(ROUNDS):
            gc.collect()
            t = time.perf_counter()
            _separate(inputs, configs)
            sep.append(time.perf_counter() - t)
            gc.collect()
            t = time.perf_counter()
            _engine_only(inputs, configs)
            eng.append(time.perf_counter() - t)
            gc.collect()
            t = time.perf_counter()
            ff.Ensemble(local, variants).states("SPX")
            ens_t.append(time.perf_counter() - t)
        s, g, e = (statistics.median(x) for x in (sep, eng, ens_t))
        rounds = ", ".join(f"{a / b:.2f}" for a, b in zip(sep, ens_t, strict=True))
        print(
            f"{mix:12s} 8 separate Locals {s:6.2f} s | 8 engine-only {g:6.2f} s | "
            f"ensemble {e:6.2f} s | Locals/ensemble {s / e:4.2f}x (rounds: {rounds}) | "
            f"engine-only/ensemble {g / e:4.2f}x"
        )


if __name__ == "__main__":
    main()
