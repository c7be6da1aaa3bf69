"""Benchmark: implied vols of a whole simulated SPX 0DTE session, vectorised vs per element.

Run:  .venv/bin/python -m tests.bench.bench_iv   (never collected by pytest)

Workload: the simulated SPX chain (seed 0, 2026-09-18; ~216 contracts with their trading-clock
IVs) priced with ``greeks.price`` at every 30 s sample of the session (780 samples, 09:30 to
15:59:30 ET) at that sample's spot and ``tau = tau_from_minutes(minutes to 16:00)``: ~168k
prices whose true vol is known. Measures:

- ``implied_vol`` on all of them at once (median of 5 runs);
- a per-contract Python loop over ``py_lets_be_rational.implied_volatility_from_a_transformed_
  rational_guess`` (Jäckel's "Let's Be Rational", pure Python), timed on a random subsample of
  20,000 elements (seed 1) and scaled per element to the whole set (goal: ``implied_vol`` at
  least 20x faster). ``py_lets_be_rational`` prices undiscounted Black on the forward; with
  ``r = q = 0`` the forward is the spot and the discount factor is 1, so it takes our price,
  spot, strike and tau as they are, with ``q = +1`` for calls and ``-1`` for puts;
- accuracy: the worst absolute vol error of each against the true vol, over the subsample
  elements both solve (goal: equal accuracy), and over every element ``implied_vol`` solves;
  also over the elements whose price determines the vol to 1e-9 in float64 (the rounding
  error of ``greeks.price``, a few ulps of its larger term, over vega; the deep in-the-money
  rest carry vol errors of 1e-6 and more whoever solves them);
- what each returns where it cannot solve: ``implied_vol``'s NaN reasons (whole set and
  subsample), and ``py_lets_be_rational``'s exceptions and zero vols (subsample).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter

import numpy as np
import pandas as pd
import py_lets_be_rational as lbr  # type: ignore[import-untyped]
from scipy.special import ndtr

import flowframe as ff
from flowframe.sources.engine import greeks
from flowframe.sources.engine.greeks import d1_d2
from flowframe.sources.engine.implied import implied_vol

DATE = "2026-09-18"
SAMPLE_SECONDS = 30
LOOP_SAMPLE = 20_000


def session_prices() -> dict[str, np.ndarray]:
    """Every chain contract priced at every 30 s sample: flat arrays of one element each."""
    m = ff.Simulated(seed=0, date=DATE).market("SPX")
    chain = m.chain
    n_samples = int((m.session_close - m.session_open).total_seconds()) // SAMPLE_SECONDS
    times = m.session_open + pd.to_timedelta(np.arange(n_samples) * SAMPLE_SECONDS, unit="s")
    spot = m.spot.reindex(times, method="ffill").to_numpy(dtype=np.float64)
    minutes = (m.session_close - times).total_seconds().to_numpy() / 60.0
    tau = greeks.tau_from_minutes(minutes)
    strike = chain["strike"].to_numpy(dtype=np.float64)
    vol = chain["iv"].to_numpy(dtype=np.float64)
    is_call = (chain["right"] == "C").to_numpy()
    shape = (n_samples, len(chain))
    s2 = np.broadcast_to(spot[:, None], shape)
    t2 = np.broadcast_to(tau[:, None], shape)
    price = greeks.price(s2, strike[None, :], t2, vol[None, :], is_call[None, :])
    return {
        "price": price.ravel(),
        "spot": s2.ravel().copy(),
        "strike": np.broadcast_to(strike, shape).ravel().copy(),
        "tau": t2.ravel().copy(),
        "vol": np.broadcast_to(vol, shape).ravel().copy(),
        "right": np.broadcast_to(np.where(is_call, "C", "P"), shape).ravel().copy(),
        "n_samples": np.array(n_samples),
        "n_contracts": np.array(len(chain)),
    }


def lbr_loop(
    price: np.ndarray, spot: np.ndarray, strike: np.ndarray, tau: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, Counter[str]]:
    """Solve element by element with py_lets_be_rational; NaN (and a tally) where it raises."""
    out = np.full(price.size, np.nan)
    failures: Counter[str] = Counter()
    solve = lbr.implied_volatility_from_a_transformed_rational_guess
    for i, (p, s, k, t, r) in enumerate(
        zip(
            price.tolist(),
            spot.tolist(),
            strike.tolist(),
            tau.tolist(),
            right.tolist(),
            strict=True,
        )
    ):
        try:
            out[i] = solve(p, s, k, t, 1.0 if r == "C" else -1.0)
        except Exception as exc:  # its BelowIntrinsic / AboveMaximum exceptions
            failures[type(exc).__name__] += 1
    return out, failures


def conditioning(
    spot: np.ndarray, strike: np.ndarray, tau: np.ndarray, vol: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """The vol error float64 rounding in ``greeks.price`` alone can cause (r = q = 0).

    A few ulps of the larger of its two terms, ``S N(w d1)`` and ``K N(w d2)``, plus the
    rounding of ``d1``, ``d2`` (``phi(d) * delta_d``) and ``ndtr``'s flush to 0 below
    ``DBL_MIN``; divided by vega.
    """
    eps, tiny = np.finfo(np.float64).eps, np.finfo(np.float64).tiny
    w = np.where(right == "C", 1.0, -1.0)
    d1, d2 = d1_d2(spot, strike, tau, vol)
    terms = spot * ndtr(w * d1) + strike * ndtr(w * d2)
    vst = vol * np.sqrt(tau)
    err_d = 4 * eps * (np.abs(np.log(spot / strike)) + vst * vst) / vst
    with np.errstate(under="ignore"):
        pdf = spot * np.exp(-0.5 * d1 * d1) / np.sqrt(2 * np.pi)
    err_price = 4 * eps * terms + 2 * pdf * err_d + 2 * (spot + strike) * tiny
    with np.errstate(divide="ignore", over="ignore"):
        return np.where(pdf > 0, err_price / (pdf * np.sqrt(tau)), np.inf)


def _tally(reasons: np.ndarray) -> str:
    counts = Counter(str(r) for r in reasons if r)
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "none"


def main() -> int:
    t0 = time.perf_counter()
    d = session_prices()
    build_s = time.perf_counter() - t0
    price, spot, strike, tau, right, vol = (
        d[k] for k in ("price", "spot", "strike", "tau", "right", "vol")
    )
    n = price.size

    implied_vol(price, spot, strike, tau, right)  # warm-up
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        ours, reasons = implied_vol(price, spot, strike, tau, right, return_reason=True)
        runs.append(time.perf_counter() - start)
    ours_s = statistics.median(runs)

    rng = np.random.default_rng(1)
    pick = np.sort(rng.choice(n, size=min(LOOP_SAMPLE, n), replace=False))
    start = time.perf_counter()
    theirs, failures = lbr_loop(price[pick], spot[pick], strike[pick], tau[pick], right[pick])
    loop_s = time.perf_counter() - start
    loop_per_elem = loop_s / pick.size
    loop_full_s = loop_per_elem * n

    true = vol[pick]
    ours_pick = ours[pick]
    theirs_zero = theirs == 0.0
    theirs_ok = np.isfinite(theirs) & (theirs > 0.0)
    both = np.isfinite(ours_pick) & theirs_ok
    err_ours_both = float(np.max(np.abs(ours_pick[both] - true[both])))
    err_theirs_both = float(np.max(np.abs(theirs[both] - true[both])))
    solved = np.isfinite(ours)
    err_ours_all = float(np.max(np.abs(ours[solved] - vol[solved])))
    cond = conditioning(spot, strike, tau, vol, right)
    well = cond <= 1e-9
    well_pick = well[pick]
    both_well = both & well_pick
    err_ours_well = float(np.max(np.abs(ours_pick[both_well] - true[both_well])))
    err_theirs_well = float(np.max(np.abs(theirs[both_well] - true[both_well])))
    solved_well = solved & well
    err_ours_all_well = float(np.max(np.abs(ours[solved_well] - vol[solved_well])))
    unsolved_well = int((well & ~solved & (price > 0)).sum())
    # Elements only py_lets_be_rational answers, and how far off those answers are.
    only_theirs = ~np.isfinite(ours_pick) & theirs_ok
    err_only_theirs = (
        float(np.max(np.abs(theirs[only_theirs] - true[only_theirs])))
        if only_theirs.any()
        else float("nan")
    )
    lbr_nan = ", ".join(f"{k} {v:,}" for k, v in sorted(failures.items()))
    lbr_nan = (lbr_nan + ", " if lbr_nan else "") + f"returned 0 {int(theirs_zero.sum()):,}"

    lines = [
        f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}",
        f"SPX {DATE}, seed 0: {int(d['n_contracts'])} contracts x {int(d['n_samples'])} samples "
        f"(every {SAMPLE_SECONDS} s) = {n:,} prices, built in {build_s:.2f} s; "
        f"py_lets_be_rational timed on a random subsample of {pick.size:,} elements, "
        "scaled per element",
        "",
        "| measure | figure | goal |",
        "|---|---|---|",
        f"| implied_vol, all {n:,} elements (median of 5) | {ours_s * 1e3:.0f} ms "
        f"({ours_s / n * 1e9:.0f} ns/element) | |",
        f"| py_lets_be_rational loop, {pick.size:,} elements | {loop_s:.2f} s "
        f"({loop_per_elem * 1e6:.1f} us/element) | |",
        f"| py_lets_be_rational loop, scaled to {n:,} elements | {loop_full_s:.2f} s | |",
        f"| loop / implied_vol | {loop_full_s / ours_s:.0f}x | >= 20x |",
        f"| worst abs vol error vs true, subsample elements both solve ({int(both.sum()):,}): "
        f"implied_vol | {err_ours_both:.1e} | equal |",
        f"| same elements: py_lets_be_rational | {err_theirs_both:.1e} | equal |",
        f"| worst abs vol error vs true, implied_vol, all {int(solved.sum()):,} solved "
        f"| {err_ours_all:.1e} | |",
        f"| same, well-conditioned only (rounding moves the vol <= 1e-9): subsample, both "
        f"solve ({int(both_well.sum()):,}): implied_vol / py_lets_be_rational "
        f"| {err_ours_well:.1e} / {err_theirs_well:.1e} | equal, <= 1e-8 |",
        f"| same, implied_vol, all well-conditioned solved ({int(solved_well.sum()):,}) "
        f"| {err_ours_all_well:.1e} | <= 1e-8 |",
        f"| well-conditioned elements with a positive price that implied_vol leaves NaN "
        f"| {unsolved_well:,} | 0 |",
        f"| implied_vol NaN, all elements ({int((~solved).sum()):,}) | {_tally(reasons)} | |",
        f"| implied_vol NaN, subsample ({int((~np.isfinite(ours_pick)).sum()):,}) "
        f"| {_tally(reasons[pick])} | |",
        f"| py_lets_be_rational no vol, subsample ({int((~theirs_ok).sum()):,}) | {lbr_nan} | |",
        f"| subsample elements only py_lets_be_rational answers ({int(only_theirs.sum()):,}): "
        f"its worst abs vol error | {err_only_theirs:.1e} | |",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
