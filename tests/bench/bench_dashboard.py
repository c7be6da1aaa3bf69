"""Benchmark: one dashboard tick at full-session size.

Run:  .venv/bin/python -m tests.bench.bench_dashboard   (never collected by pytest)

A simulated SPY session at realistic scale runs at 60x from 15:45 ET (the series then holds
more than 600 bars). Each tick advances the clock by 30 session seconds and calls
``Dashboard.refresh()``: fetch what is new from the source, merge it, redraw every panel (PNG
rendering, the path without ipympl). The engine's one-off session computation happens before
timing, as a running dashboard pays it on its first poll. Goal: median tick at most 100 ms.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import flowframe as ff
from flowframe.engine.clock import SessionClock
from flowframe.live import Dashboard

DATE = dt.date(2026, 9, 18)


def main() -> int:
    wall = [0.0]
    clock = SessionClock(DATE, speed=60, start="15:45", wall=lambda: wall[0])
    source = ff.Simulated(seed=0, date=DATE, clock=clock, symbols=("SPY", "SPX", "QQQ", "IWM"))
    for sym in source.symbols:
        source.local(sym).state  # noqa: B018 - the engine's one-off cost, outside the timing
    dash = Dashboard("SPY", source=source, render="png")
    dash.refresh()  # the first poll fetches the whole session
    bars = len(dash.data.series) if dash.data.series is not None else 0
    times = []
    for _ in range(25):
        wall[0] += 0.5  # 30 session seconds at 60x
        start = time.perf_counter()
        dash.refresh()
        times.append(time.perf_counter() - start)
    median = statistics.median(times) * 1e3
    print(f"SPY session at realistic scale, {bars} series bars held at the first tick")
    print(
        f"| one tick (fetch new, merge, redraw all panels), median of 25 | {median:.1f} ms | <= 100 ms |"
    )
    print(f"| fastest / slowest tick | {min(times) * 1e3:.1f} / {max(times) * 1e3:.1f} ms | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
