"""Benchmark: ff.read_databento on a session of over a million OPRA tbbo records.

Run:  .venv/bin/python -m tests.bench.bench_dbn   (never collected by pytest)

Writes a simulated SPX session scaled past 1,000,000 prints as OPRA DBN files with
Databento's own encoder (``tests/vendors/dbn.py``: definition, tbbo, statistics; plain and
Zstandard), then times, median of 3 in this process, each after one warm-up:

- the floor: Databento's own decode of the tbbo file to a DataFrame,
  ``databento.DBNStore.from_file(tbbo).to_df()``;
- ``ff.read_databento(...)`` to a checked ``Market`` (decode, keep SPX/SPXW 0DTE, map the
  contracts, count, then the assembler: chain IVs from the NBBO, OI, the engine's input
  checks) and ``ff.Local.from_market(market)`` ready to serve (inputs checked; the engine's
  session computation, run on the first request, is ``bench_engine``'s);
- the reader's own part alone (decode, filter, map: what it hands the assembler).

Goal: read_databento to a ready source within 2x the floor, plain and compressed.
"""

from __future__ import annotations

import functools
import importlib.metadata
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flowframe.errors import SchemaError
from flowframe.sources.engine.local import Local
from flowframe.sources.engine.market import generate_market
from flowframe.sources.vendors.databento import _frames, read_databento
from tests.vendors.dbn import write_dbn

DATE = "2026-09-18"
MIN_RECORDS = 1_000_000
SCALE = 1.2  # the SPX session at scale 1 has ~880k prints


def median_of_3(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Warm up once, then the median wall time of 3 runs (and the last result)."""
    result = fn()
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), result


def floor(tbbo: Path) -> pd.DataFrame:
    import databento

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # databento's to_df warns under pandas 3.1
        frame: pd.DataFrame = databento.DBNStore.from_file(tbbo).to_df()
    return frame


def main() -> int:
    t0 = time.perf_counter()
    market = generate_market("SPX", DATE, 0, scale=SCALE)
    generate_s = time.perf_counter() - t0
    rows: list[str] = []
    failed: str | None = None
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        files = {
            "plain": write_dbn(market, Path(tmp) / "plain"),
            "zstd": write_dbn(market, Path(tmp) / "zstd", compress=True),
        }
        write_s = time.perf_counter() - t0
        n_records = len(floor(files["plain"][1]))
        assert n_records >= MIN_RECORDS, f"only {n_records:,} tbbo records"
        sizes = {
            kind: {p.name.split(".")[1]: p.stat().st_size for p in paths}
            for kind, paths in files.items()
        }
        for kind, paths in files.items():
            tbbo = paths[1]
            floor_s, _ = median_of_3(functools.partial(floor, tbbo))

            def ready(paths: list[Path] = paths) -> Local:
                built = read_databento(*paths, symbol="SPX", spot=market.spot)
                return Local.from_market(built)

            frames_s, frames = median_of_3(functools.partial(_frames, *paths, symbol="SPX"))
            assert len(frames["trades"]) == len(market.tape)
            rows.append(
                f"| {kind}: floor, `DBNStore.from_file(tbbo).to_df()` | {floor_s:.2f} s | |"
            )
            try:
                ours_s, source = median_of_3(ready)
            except SchemaError as exc:  # the assembler refused: time the reader alone
                failed = f"{type(exc).__name__}: {exc}"
                rows += [
                    f"| {kind}: the reader to the assembler's input (`_frames`) "
                    f"| {frames_s:.2f} s | |",
                    f"| {kind}: ratio to the floor, reader alone | {frames_s / floor_s:.2f}x "
                    "| <= 2x |",
                ]
                continue
            assert len(source.quality) and source.symbol == "SPX"
            rows += [
                f"| {kind}: `read_databento` to a Market, then `Local.from_market` ready "
                f"| {ours_s:.2f} s | |",
                f"| {kind}: ratio to the floor | {ours_s / floor_s:.2f}x | <= 2x |",
                f"| {kind}: of which the reader (decode, keep, map: `_frames`) "
                f"| {frames_s:.2f} s | |",
            ]
        if failed is None:
            parity_s, _ = median_of_3(
                lambda: Local.from_market(read_databento(*files["zstd"], symbol="SPX"))
            )
            rows.append(
                f"| zstd: the same with the spot path implied by parity (no `spot=`) "
                f"| {parity_s:.2f} s | |"
            )

    mb = {k: {s: v / 2**20 for s, v in d.items()} for k, d in sizes.items()}
    lines = [
        f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"databento {importlib.metadata.version('databento')}",
        f"SPX session {DATE} at scale {SCALE}: {len(market.tape):,} prints, "
        f"{len(market.chain)} contracts; generated in {generate_s:.1f} s, written as DBN "
        f"(plain and zstd) in {write_s:.1f} s",
        f"tbbo: {n_records:,} records (the prints and 23 of other roots, expiries and no "
        f"definition), {mb['plain']['tbbo']:.1f} MB plain, {mb['zstd']['tbbo']:.1f} MB zstd; "
        f"definition {sizes['plain']['definition']:,} B plain, "
        f"{sizes['zstd']['definition']:,} B zstd; statistics "
        f"{sizes['plain']['statistics']:,} B plain, {sizes['zstd']['statistics']:,} B zstd",
        "",
        "| measure | figure | goal |",
        "|---|---|---|",
        *rows,
    ]
    if failed is not None:
        lines += ["", f"read_databento could not build the Market (the assembler): {failed}"]
    report = "\n".join(lines)
    print(report)
    out = Path(__file__).resolve().parents[2] / "artifacts" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "dbn.md").write_text(report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
