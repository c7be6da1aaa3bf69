"""Are the snapshot's probabilities calibrated? Predictions against outcomes over many sessions.

For each simulated session (seed x symbol x date) and each checkpoint of the day, the snapshot's
``probabilities`` are recorded with what happened at the close: did it land within half a
strike spacing of the magnet (``pin``), inside the 1-sigma and 2-sigma bands fixed at the open
(``range_1sigma``, ``range_2sigma``)? :func:`reliability` bins the predictions and compares
each bin's mean prediction with its observed frequency; :func:`brier` scores them, against the
climatological forecast (always predicting the overall hit rate) as a baseline.

Run ``flowframe calibrate`` (or ``python -m flowframe.sources.engine.calibration``) for the tables.

What this measures, honestly: the simulator moves spot as a random walk at the ATM implied
vol plus jumps, with no pinning pressure. The probabilities are lognormal at that vol, so
good calibration here shows the implementation is right and how much the jumps cost; it is
not evidence that real markets behave like the model.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np
import pandas as pd

from flowframe._constants import ET
from flowframe._session import is_session_day
from flowframe.sources.engine.core import EngineConfig
from flowframe.sources.engine.decision.body import decision_inputs, probabilities
from flowframe.sources.engine.simulated import Simulated

__all__ = ["brier", "calibration_records", "reliability", "summary"]

KINDS: Final = ("pin", "range_1sigma", "range_2sigma")
_CONFIG: Final = EngineConfig(gamma_flip=False)  # the probabilities do not read the flip
CHECKPOINTS: Final = ("10:00", "11:30", "13:00", "14:30", "15:30")
SYMBOLS: Final = ("SPX", "SPY", "QQQ", "IWM")


def _weekdays(start: dt.date, count: int) -> list[dt.date]:
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        if is_session_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def calibration_records(
    seeds: Iterable[int],
    *,
    symbols: Sequence[str] = SYMBOLS,
    checkpoints: Sequence[str] = CHECKPOINTS,
    start: str = "2026-03-02",
    scale: float = 0.05,
) -> pd.DataFrame:
    """Predictions and outcomes, one row per session x checkpoint x kind.

    Each seed is a different session date (consecutive session days from ``start``, exchange
    holidays skipped), so the sessions differ in spot path, vol, skew and positioning.
    ``scale`` only thins the tape (the spot path and the chain do not depend on it), which
    keeps this fast.

    Returns
    -------
    pandas.DataFrame
        Columns ``seed, date, symbol, checkpoint, kind, predicted, outcome`` (``outcome`` 0/1).
    """
    seed_list = list(seeds)
    rows = []
    for seed, day in zip(
        seed_list, _weekdays(dt.date.fromisoformat(start), len(seed_list)), strict=True
    ):
        sim = Simulated(
            seed=seed, date=day, now="16:00", symbols=symbols, scale=scale, config=_CONFIG
        )
        for symbol in symbols:
            src = sim.local(symbol)
            state = src.state
            close = float(state.spot[-1])
            for checkpoint in checkpoints:
                now = pd.Timestamp(f"{day.isoformat()} {checkpoint}", tz=ET).tz_convert("UTC")
                inp = decision_inputs(state, now)
                i = max(state.completed(now), 1) - 1
                tau = float(state.tau[i])
                probs = probabilities(inp, tau)
                scale_now = inp.atm_iv * np.sqrt(tau)
                z = (np.log(close / inp.spot) + 0.5 * scale_now**2) / scale_now
                for kind in KINDS:
                    block = probs[kind]
                    hit = block["low"] <= close <= block["high"]
                    rows.append(
                        (
                            seed,
                            day.isoformat(),
                            symbol,
                            checkpoint,
                            kind,
                            float(block["value"]),
                            int(hit),
                            float(z),
                        )
                    )
    return pd.DataFrame(
        rows,
        columns=["seed", "date", "symbol", "checkpoint", "kind", "predicted", "outcome", "z"],
    )


def dispersion(records: pd.DataFrame) -> pd.DataFrame:
    """Spread of the closes against the predicted spread, per checkpoint and overall.

    ``z = (ln(close / spot) + sigma^2 tau / 2) / (sigma sqrt(tau))`` is each close standardised by
    the lognormal the probabilities use. Calibrated predictions give ``std(z)`` near 1 and
    ``mean(z)`` near 0; a model that understates the remaining move shows ``std(z) > 1``.
    """
    one = records[records["kind"] == KINDS[0]]
    table = one.groupby("checkpoint")["z"].agg(n="size", mean="mean", std="std").reset_index()
    total = pd.DataFrame(
        [{"checkpoint": "all", "n": len(one), "mean": one["z"].mean(), "std": one["z"].std()}]
    )
    return pd.concat([table, total], ignore_index=True)


def reliability(records: pd.DataFrame, *, bins: int = 10) -> pd.DataFrame:
    """Bin predictions per kind: count, mean prediction, observed frequency, and their gap."""
    edges = np.linspace(0.0, 1.0, bins + 1).tolist()
    labelled = records.assign(
        bin=pd.cut(records["predicted"], edges, include_lowest=True, right=True)
    )
    table = (
        labelled.groupby(["kind", "bin"], observed=True)
        .agg(
            count=("outcome", "size"), predicted=("predicted", "mean"), observed=("outcome", "mean")
        )
        .reset_index()
    )
    table["gap"] = table["observed"] - table["predicted"]
    return table


def brier(records: pd.DataFrame) -> pd.DataFrame:
    """Brier score per kind, against the climatological forecast; skill = 1 - score/baseline."""
    out = []
    for kind, group in records.groupby("kind", sort=False):
        p, y = group["predicted"].to_numpy(), group["outcome"].to_numpy()
        score = float(np.mean((p - y) ** 2))
        base = float(np.mean((y.mean() - y) ** 2))
        out.append(
            {
                "kind": kind,
                "n": len(group),
                "mean_predicted": float(p.mean()),
                "observed_rate": float(y.mean()),
                "brier": score,
                "climatology": base,
                "skill": 1.0 - score / base if base > 0 else float("nan"),
            }
        )
    return pd.DataFrame(out)


def summary(records: pd.DataFrame) -> str:
    """Write the Brier, dispersion and reliability tables as Markdown text."""
    scores = brier(records)
    table = reliability(records)
    lines = [
        f"{records['seed'].nunique()} sessions x {records['symbol'].nunique()} symbols x "
        f"{records['checkpoint'].nunique()} checkpoints = {len(records) // len(KINDS)} predictions "
        "per kind",
        "",
        "| kind | n | mean predicted | observed | Brier | climatology | skill |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in scores.itertuples():
        lines.append(
            f"| {r.kind} | {r.n} | {r.mean_predicted:.3f} | {r.observed_rate:.3f} | "
            f"{r.brier:.4f} | {r.climatology:.4f} | {r.skill:+.2f} |"
        )
    lines += [
        "",
        "| checkpoint (ET) | closes | mean z | std z (1 = calibrated) |",
        "|---|---|---|---|",
    ]
    for r in dispersion(records).itertuples():
        lines.append(f"| {r.checkpoint} | {r.n} | {r.mean:+.3f} | {r.std:.3f} |")
    lines += [
        "",
        "| kind | predicted bin | n | mean predicted | observed | gap |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.kind} | {r.bin} | {r.count} | {r.predicted:.3f} | {r.observed:.3f} "
            f"| {r.gap:+.3f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``flowframe calibrate --sessions 50``."""
    parser = argparse.ArgumentParser(prog="flowframe calibrate", description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=50, help="seeds (one session date each)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--out", default=None, help="also write the tables to this Markdown file")
    args = parser.parse_args(argv)
    records = calibration_records(
        range(args.first_seed, args.first_seed + args.sessions), scale=args.scale
    )
    text = summary(records)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
