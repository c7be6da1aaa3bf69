"""Benchmark: ff.sessions over 20 sessions x 4 symbols, serial against a 2-worker LocalCluster.

Run:  .venv/bin/python -m tests.bench.bench_sessions   (never collected by pytest)

The workload is the issue's: 20 consecutive session days on the XNYS calendar from
2026-10-01 (holidays skipped with ``flowframe._session.is_session_day``) x SPY, SPX, QQQ and
IWM, simulated from seed 0 (``source=0``), 1-minute bars, every variable (hedge-flow by leg and
the series fields): 80 tasks. In one process, one after the other:

- serial: ``dask.config.set(scheduler="synchronous")``, the tasks one by one in this process;
- ``parallel=True``: a fresh 2-worker ``distributed.LocalCluster`` (processes, 1 thread each),
  its start-up and shut-down included in the time;
- the same cluster started beforehand and handed over as ``client=``: the run alone, with each
  worker's peak resident memory during it (``VmHWM`` of ``/proc/self/status``, reset through
  ``/proc/self/clear_refs`` just before the run; ``ru_maxrss`` would not do: a spawned worker
  inherits its parent's high-water mark); then the same on a cluster started with
  distributed's default worker environment (``MALLOC_TRIM_THRESHOLD_=65536``, which
  ``parallel=True`` leaves out), to show what that setting costs;
- the ceiling: the same 80 tasks split between two plain interpreters (no Dask) started at
  once, each timing its 40 tasks after the warm-up task: what two processes on this machine
  give at that moment (the other work on it included);
- a fresh ``ff.Store``: the first call (default threaded scheduler: compute and write 80
  pairs), then the second call from the cache: lazy (the default with a store: 80 Zarr pairs
  opened dask-backed), its ``.load()``, and ``lazy=False`` (read eagerly).

Every result is checked identical to the serial one before anything is reported. A warm-up
task (a day outside the workload) runs in this process first, so the serial time is not
charged for imports and first calls; the cluster's workers pay theirs inside ``parallel=True``
(part of its start-up) and run the same warm-up task before the ``client=`` run. The runs
follow one another, so other work on the machine slows whichever it overlaps: the load
average before and after is printed with the table.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pandas as pd
import xarray as xr

import flowframe as ff
from flowframe._session import is_session_day
from flowframe.research.sessions import session_task, sessions

SYMBOLS = ["SPY", "SPX", "QQQ", "IWM"]
START = dt.date(2026, 10, 1)
N_SESSIONS = 20
SEED = 0


def session_days(start: dt.date, n: int) -> list[dt.date]:
    """The first ``n`` session days from ``start`` (weekends and XNYS holidays skipped)."""
    days: list[dt.date] = []
    day = start
    while len(days) < n:
        if is_session_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def memory_mb() -> dict[str, float]:
    """This process's resident memory now (``rss``) and its peak since the last reset, MB."""
    with open("/proc/self/status") as fh:
        fields = dict(line.split(":", 1) for line in fh)
    return {
        "rss": int(fields["VmRSS"].split()[0]) / 1024,
        "peak": int(fields["VmHWM"].split()[0]) / 1024,
    }


def reset_peak() -> dict[str, float]:
    """Reset this process's peak resident memory to its current one (Linux clear_refs 5)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return memory_mb()


def warm_up() -> None:
    """Run one task of a day outside the workload: imports and first-call costs paid."""
    session_task(SEED, "IWM", "2026-09-30", "1m")


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def on_cluster(days: list[dt.date], *, trim: bool) -> dict[str, Any]:
    """Run the workload as ``client=`` on a 2-worker cluster started as ``parallel=True`` does.

    ``trim``: start the workers with distributed's default environment instead
    (``MALLOC_TRIM_THRESHOLD_=65536``). Start-up includes a warm-up task on each worker.
    """
    import distributed

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    if not trim:
        environ["MALLOC_TRIM_THRESHOLD_"] = None
    key = "MALLOC_TRIM_THRESHOLD_"
    saved = os.environ.pop(key, None)  # a nanny exports it into this process: not inherited
    start = time.perf_counter()
    try:
        with (
            dask.config.set({"distributed.nanny.pre-spawn-environ": environ}),
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            client.run(warm_up)
            startup_s = time.perf_counter() - start
            before = client.run(reset_peak)
            run_s, ds = timed(
                lambda: sessions(SYMBOLS, days, source=SEED, client=client, progress=False)
            )
            after = client.run(memory_mb)
    finally:
        os.environ.pop(key, None)
        if saved is not None:
            os.environ[key] = saved
    return {"startup_s": startup_s, "run_s": run_s, "ds": ds, "before": before, "after": after}


def half(index: int, n_sessions: int) -> None:
    """Child of :func:`ceiling`: warm up, then run every other task; print the seconds."""
    days = session_days(START, n_sessions)
    tasks = [(s, d) for d in days for s in SYMBOLS][index::2]
    warm_up()
    print("ready", flush=True)
    sys.stdin.readline()  # both warmed: start together
    start = time.perf_counter()
    for symbol, day in tasks:
        session_task(SEED, symbol, day.isoformat(), "1m")
    print(f"{time.perf_counter() - start:.3f}", flush=True)


def ceiling(days: list[dt.date]) -> float:
    """Wall time of the workload split between two warmed plain interpreters run at once."""
    import subprocess

    code = "from tests.bench.bench_sessions import half; half({}, {})"
    root = Path(__file__).resolve().parents[2]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code.format(i, len(days))],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in (0, 1)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    seconds = [float(child.communicate()[0]) for child in children]
    return max(seconds)


def main() -> int:
    days = session_days(START, N_SESSIONS)
    n_tasks = len(days) * len(SYMBOLS)
    load_before = os.getloadavg()
    warm_up()
    serial_before = reset_peak()
    with dask.config.set(scheduler="synchronous"):
        serial_s, serial = timed(lambda: sessions(SYMBOLS, days, source=SEED, progress=False))
    serial_after = memory_mb()

    parallel_s, par = timed(
        lambda: sessions(SYMBOLS, days, source=SEED, parallel=True, progress=False)
    )
    xr.testing.assert_identical(par, serial)
    ours = on_cluster(days, trim=False)
    xr.testing.assert_identical(ours["ds"], serial)
    trimmed = on_cluster(days, trim=True)
    xr.testing.assert_identical(trimmed["ds"], serial)
    ceiling_s = ceiling(days)

    with tempfile.TemporaryDirectory() as tmp:
        store = ff.Store(Path(tmp) / "store")
        first_s, first = timed(
            lambda: sessions(SYMBOLS, days, source=SEED, store=store, progress=False)
        )
        lazy_s, lazy = timed(lambda: sessions(SYMBOLS, days, source=SEED, store=store))
        assert all(lazy[v].chunks is not None for v in lazy.data_vars)
        load_s, loaded = timed(lazy.load)
        eager_s, eager = timed(
            lambda: sessions(SYMBOLS, days, source=SEED, store=store, lazy=False)
        )
        store_mb = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file()) / 2**20
    for other in (first, loaded, eager):
        xr.testing.assert_identical(other, serial)
    load_after = os.getloadavg()

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x"

    def per_worker(run: dict[str, Any], key: str, when: str = "after") -> str:
        return ", ".join(f"{m[key]:.0f}" for m in run[when].values()) + " MB"

    rows = [
        f'| serial (`scheduler="synchronous"`), {n_tasks} tasks | {serial_s:.1f} s '
        f"({serial_s / n_tasks:.2f} s a task) | |",
        f"| `parallel=True`: 2-worker LocalCluster, start-up and shut-down included "
        f"| {parallel_s:.1f} s | |",
        f"| serial / `parallel=True` | {ratio(serial_s, parallel_s)} | >= 1.7x |",
        f"| the same cluster started beforehand (`client=`), the run alone "
        f"| {ours['run_s']:.1f} s | |",
        f"| serial / `client=` run | {ratio(serial_s, ours['run_s'])} | >= 1.7x |",
        f"| cluster start-up, with one warm-up task on each worker | {ours['startup_s']:.1f} s | |",
        f"| ceiling: the tasks split between two plain warmed interpreters at once "
        f"| {ceiling_s:.1f} s (serial / it {ratio(serial_s, ceiling_s)}) | |",
        f"| the `client=` run on workers with distributed's default "
        f"`MALLOC_TRIM_THRESHOLD_=65536` | {trimmed['run_s']:.1f} s "
        f"(serial / it {ratio(serial_s, trimmed['run_s'])}) | |",
        f"| first call with a fresh store (threaded scheduler; compute and write {n_tasks} "
        f"pairs) | {first_s:.1f} s (serial / it {ratio(serial_s, first_s)}) | |",
        f"| second call, from the cache, lazy (the default with a store) | {lazy_s:.2f} s "
        f"({lazy_s / first_s:.3f}x the first) | |",
        f"| its `.load()` | {load_s:.2f} s; lazy call + load {(lazy_s + load_s) / first_s:.3f}x "
        "the first | |",
        f"| second call with `lazy=False` (read eagerly) | {eager_s:.2f} s "
        f"({eager_s / first_s:.3f}x the first) | |",
        f"| peak RSS per worker during the `client=` run (RSS before it: "
        f"{per_worker(ours, 'rss', 'before')}; after: {per_worker(ours, 'rss')}) "
        f"| {per_worker(ours, 'peak')} | |",
        f"| the same with `MALLOC_TRIM_THRESHOLD_=65536` (RSS after: "
        f"{per_worker(trimmed, 'rss')}) | {per_worker(trimmed, 'peak')} | |",
        f"| serial: this process's peak RSS during the run (RSS before it: "
        f"{serial_before['rss']:.0f} MB) | {serial_after['peak']:.0f} MB | |",
        f"| the result / the store on disk | {serial.nbytes / 2**20:.1f} MB / "
        f"{store_mb:.1f} MB | |",
    ]
    lines = [
        f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"xarray {xr.__version__}, dask {version('dask')}, distributed "
        f"{version('distributed')}; {os.cpu_count()} cores ({platform.machine()}); load "
        f"average {load_before[0]:.1f} before, {load_after[0]:.1f} after",
        f"{len(days)} sessions ({days[0]} to {days[-1]}) x {', '.join(SYMBOLS)}, "
        f"`source={SEED}`, 1-minute bars, every variable: {n_tasks} tasks; all results "
        "checked identical to the serial one",
        "",
        "| measure | figure | goal |",
        "|---|---|---|",
        *rows,
    ]
    report = "\n".join(lines)
    print(report)
    out = Path(__file__).resolve().parents[2] / "artifacts" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sessions.md").write_text(report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
