"""Benchmark: one dashboard tick at full-session size.

Run:  .venv/bin/python -m tests.bench.bench_dashboard   (never collected by pytest)

A simulated SPY session at realistic scale runs at 60x from 15:45 ET (the series then holds
375 one-minute bars). Each tick advances the clock by 30 session seconds and calls
``Dashboard.refresh()``: fetch what is new from the source, merge it, redraw every panel (PNG
rendering, the path without ipympl). The engine's one-off session computation happens before
timing, as a running dashboard pays it on its first poll. Goal: median tick at most 100 ms.

The baseline, in the same process and interleaved tick by tick, is the same dashboard made to
render every figure in full on every tick (no kept background), which is what a tick cost
before the PNG path blitted.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

import matplotlib

matplotlib.use("Agg")

import flowframe as ff
from flowframe.live import Dashboard
from flowframe.sources.engine.clock import SessionClock

DATE = dt.date(2026, 9, 18)
TICKS = 25


def dashboard(*, full: bool) -> tuple[Dashboard, list[float]]:
    wall = [0.0]
    clock = SessionClock(DATE, speed=60, start="15:45", wall=lambda: wall[0])
    source = ff.Simulated(seed=0, date=DATE, clock=clock, symbols=("SPY", "SPX", "QQQ", "IWM"))
    for sym in source.symbols:
        source.local(sym).state  # noqa: B018 - the engine's one-off cost, outside the timing
    dash = Dashboard("SPY", source=source, render="png")
    if full:
        for panel in (dash.hedge, dash.series, dash.heatmap):
            chart: Any = panel.chart
            chart.static_key = object  # a new key every time: never blit
    dash.refresh()  # the first poll fetches the whole session
    return dash, wall


def main() -> int:
    blit, blit_wall = dashboard(full=False)
    full, full_wall = dashboard(full=True)
    bars = len(blit.data.series) if blit.data.series is not None else 0
    before = {p: getattr(blit, p).chart.full_draws for p in ("hedge", "series", "heatmap")}
    draws = {p: getattr(blit, p).draws for p in ("hedge", "series", "heatmap")}
    times: dict[str, list[float]] = {"blit": [], "full": []}
    for _ in range(TICKS):
        for name, dash, wall in (("blit", blit, blit_wall), ("full", full, full_wall)):
            wall[0] += 0.5  # 30 session seconds at 60x
            start = time.perf_counter()
            dash.refresh()
            times[name].append(time.perf_counter() - start)
    median = statistics.median(times["blit"]) * 1e3
    baseline = statistics.median(times["full"]) * 1e3
    print(f"SPY session at realistic scale, {bars} series bars held at the first tick")
    print("| case | median of 25 ticks | goal |")
    print("|---|---|---|")
    print(f"| one tick (fetch new, merge, redraw all panels) | {median:.1f} ms | <= 100 ms |")
    print(f"| the same, every figure rendered in full (baseline) | {baseline:.1f} ms | |")
    print(f"| speed-up over the baseline | {baseline / median:.1f}x | |")
    lo, hi = min(times["blit"]) * 1e3, max(times["blit"]) * 1e3
    print(f"| fastest / slowest tick | {lo:.1f} / {hi:.1f} ms | |")
    for p in ("hedge", "series", "heatmap"):
        panel = getattr(blit, p)
        n = panel.draws - draws[p]
        f = panel.chart.full_draws - before[p]
        print(f"| {p}: frames drawn / of which full renders | {n} / {f} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
