"""Benchmark: wire bytes to DataArray / DataFrame, as ratios against baselines in-process.

Run:  .venv/bin/python -m tests.bench.bench_frames   (never collected by pytest)

Cases (the issue's):
- heatmap, 390 bars x 300 strikes: flowframe's bytes entry point ``heatmap_from_json(b)``
  against bare ``orjson.loads(b)`` (goal <= 2x) and against a straightforward conversion
  (stdlib ``json``, a DataFrame of the bars, a DataFrame of the values, then xarray; goal >= 3x
  faster); the dict route ``heatmap_from_payload(orjson.loads(b))`` is timed beside it;
- series, 780 bars (a few nulls, as the API sends): the same with ``series_from_json`` against
  ``orjson.loads`` and the straightforward pandas way to the same frame
  (``pd.DataFrame(json.loads(b)["bars"])``, parsed and sorted times, the documented columns and
  dtypes). Every route's result is checked equal before timing.

Timings are interleaved (one call of each per round) so that machine noise hits every
candidate alike; the report gives medians and their ratios, never absolute thresholds.
"""

from __future__ import annotations

import gc
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import xarray as xr

from flowframe import frames
from flowframe._constants import SERIES_COLUMNS, SERIES_FLOAT_COLUMNS
from flowframe.frames import _fastpath
from flowframe.sources.samples import SampleSource

ROUNDS = 41


def heatmap_bytes(*, dense: bool = False) -> bytes:
    """390 x 300 heatmap body. The sample grid is about half exact zeros far from spot (like
    OI or contracts); ``dense=True`` perturbs every value (like GEX/DEX computed from OI)."""
    src = SampleSource(seed=1, now="16:00", n_strikes=300)
    body = src.get_heatmap("SPY", metric="gex", minutes=390)
    if dense:
        rng = np.random.default_rng(1)
        for bar in body["bars"]:
            bar["values"] = [round(v + float(rng.normal(0, 1e3)), 2) for v in bar["values"]]
    body["bars"][17]["values"][5] = None  # the API sends nulls inside values
    assert len(body["bars"]) == 390 and len(body["strikes_grid"]) == 300
    return orjson.dumps(body)


def series_bytes() -> bytes:
    body = SampleSource(seed=1, now="16:00").get_series("SPY", bar="30s", minutes=390)
    assert len(body["bars"]) == 780
    for bar in body["bars"][::40]:  # the API sends nulls: no flip in range, no IV yet
        bar["gamma_flip"] = None
        bar["gamma_flip_status"] = "no_flip_in_range"
        bar["atm_iv"] = None
    return orjson.dumps(body)


def naive_heatmap(raw: bytes) -> xr.DataArray:
    payload = json.loads(raw)
    bars = pd.DataFrame(payload["bars"])
    bars["t"] = pd.to_datetime(bars["t"], utc=True).dt.tz_convert(None)
    bars = bars.sort_values("t")
    values = pd.DataFrame(
        bars["values"].tolist(), index=bars["t"], columns=payload["strikes_grid"], dtype=float
    )
    return xr.DataArray(
        values.to_numpy(),
        dims=("bar", "strike"),
        coords={
            "bar": values.index.to_numpy(),
            "strike": values.columns.to_numpy(dtype=float),
            "spot": ("bar", bars["spot"].to_numpy(dtype=float)),
        },
        name=payload["metric"],
    )


def naive_series(raw: bytes) -> pd.DataFrame:
    """The same frame as ``series_from_payload``, written the straightforward pandas way."""
    payload = json.loads(raw)
    df = pd.DataFrame(payload["bars"])
    df["t"] = pd.to_datetime(df["t"], utc=True, format="ISO8601").dt.as_unit("ns")
    df = df.drop_duplicates("t", keep="last").set_index("t").sort_index()
    df = df.reindex(columns=list(SERIES_COLUMNS))
    dtypes: dict[str, Any] = dict.fromkeys(SERIES_FLOAT_COLUMNS, "float64")
    dtypes["gamma_flip_status"] = "str"
    dtypes["regime"] = pd.CategoricalDtype(["positive_gamma", "negative_gamma", "neutral"])
    return df.astype(dtypes)


def heatmap_cases(raw: bytes) -> dict[str, Callable[[], Any]]:
    return {
        "orjson.loads": lambda: orjson.loads(raw),
        "flowframe": lambda: frames.heatmap_from_json(raw),
        "dict route": lambda: frames.heatmap_from_payload(orjson.loads(raw)),
        "naive": lambda: naive_heatmap(raw),
    }


def series_cases(raw: bytes) -> dict[str, Callable[[], Any]]:
    return {
        "orjson.loads": lambda: orjson.loads(raw),
        "flowframe": lambda: frames.series_from_json(raw),
        "dict route": lambda: frames.series_from_payload(orjson.loads(raw)),
        "naive": lambda: naive_series(raw),
    }


def measure(cases: dict[str, Callable[[], Any]], rounds: int = ROUNDS) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in cases}
    for fn in cases.values():  # warm up
        fn()
    gc.collect()
    for _ in range(rounds):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> int:
    sparse = heatmap_bytes()
    dense = heatmap_bytes(dense=True)
    ser = series_bytes()
    # every route gives the same result (and the naive one the same numbers)
    for heat in (sparse, dense):
        ours = frames.heatmap_from_json(heat)
        xr.testing.assert_identical(ours, frames.heatmap_from_payload(orjson.loads(heat)))
        np.testing.assert_array_equal(ours.values, naive_heatmap(heat).values)
    ours_series = frames.series_from_json(ser)
    pd.testing.assert_frame_equal(ours_series, frames.series_from_payload(orjson.loads(ser)))
    pd.testing.assert_frame_equal(ours_series, naive_series(ser))

    results = {
        "heatmap 390x300, dense": measure(heatmap_cases(dense)),
        "heatmap 390x300, half zeros": measure(heatmap_cases(sparse)),
        "series 780 bars": measure(series_cases(ser)),
    }
    msgspec = importlib.import_module("msgspec") if _fastpath.HAS_MSGSPEC else None
    decoder = f"msgspec {msgspec.__version__}" if msgspec else "no msgspec (orjson)"
    lines = [
        f"python {sys.version.split()[0]}, pandas {pd.__version__}, xarray {xr.__version__}, "
        f"numpy {np.__version__}, orjson {orjson.__version__}, series decoder: {decoder}; "
        f"median of {ROUNDS} interleaved rounds",
        "| case | bytes | orjson.loads | flowframe (bytes) | dict route | naive "
        "| flowframe / orjson (goal <= 2x) | dict route / orjson | naive / flowframe (goal >= 3x) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (case, r), raw in zip(results.items(), (dense, sparse, ser), strict=True):
        lines.append(
            f"| {case} | {len(raw) / 1e6:.2f} MB | {r['orjson.loads'] * 1e3:.2f} ms | "
            f"{r['flowframe'] * 1e3:.2f} ms | {r['dict route'] * 1e3:.2f} ms | "
            f"{r['naive'] * 1e3:.2f} ms | {r['flowframe'] / r['orjson.loads']:.2f}x | "
            f"{r['dict route'] / r['orjson.loads']:.2f}x | {r['naive'] / r['flowframe']:.2f}x |"
        )
    report = "\n".join(lines)
    print(report)
    out = Path(__file__).resolve().parents[2] / "artifacts" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "frames.md").write_text(report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
