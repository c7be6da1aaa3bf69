"""Benchmark: a load test of ``flowframe serve`` on 127.0.0.1 against a bare-route floor.

Run:  .venv/bin/python -m tests.bench.bench_serve   (never collected by pytest)
      options: --requests 20000 --clients 50 --rounds 2 --client aiohttp|httpx --profile PATH

The source is ``ff.Simulated(seed=0, date="2026-09-18", now="14:45", symbols=["SPY", "QQQ"])``
(frozen clock: every answer is the same bytes each time it is asked). The workload is a fixed
list of request URLs over the six routes, drawn with ``random.Random(0)`` as a realistic client
mix would send them: dashboards polling a short recent window most of the time, with
occasional reloads of a longer one.

- endpoints: series 25%, hedge-flow 20%, heatmap 15%, strike-flow 15%, snapshot 15%,
  leaderboard 10%; symbol SPY 60% / QQQ 40%;
- ``minutes``: 70% a poll of 1..15, 20% one of 30/45/60/90/120, 10% a reload of
  240/300/390 (the session is at 14:45, so 390 is the whole day so far);
- bars 30s/1m/5m/15m (40/30/20/10%), sides all/calls/puts, the six heatmap metrics in both
  modes, the four leaderboard metrics with ``n`` in 5/10/20/50/100.

Two servers, each in its own spawned process (this machine has 2 cores: the server gets one,
the client the other, and they do not share a GIL), each run by ``tests.serve.server.running``
(uvicorn, ``OneWriteProtocol``, 127.0.0.1, port 0):

- flowframe: ``flowframe.serve.app(source)`` (any key accepted);
- the floor: a bare Starlette app, one route returning ``Response(body)`` for the request's
  path and query from a dict of the very bytes flowframe answers (computed beforehand in this
  process through ``app(source)`` itself, over ``httpx.ASGITransport``), with the same
  media type. Both send the same bodies: the floor is the cost of the framework, the server
  and the client alone.

The client, in this process: one asyncio loop, one keep-alive session of at most
``--clients`` connections and ``--clients`` tasks taking the next URL from the shared list.
The session is aiohttp's ``ClientSession`` (aiohttp comes with databento, the databento
extra). ``--client httpx`` uses ``httpx.AsyncClient`` instead, but it cannot measure the
floor: on this 2-core machine it tops out near 150-300 req/s with 50 concurrent requests
(its CPU share near 100%), against 3,000+ for aiohttp on the same floor server, so with it
both servers measure the client and the ratio means nothing.
Each server is warmed with 300 requests first; then the rounds alternate floor, flowframe,
floor, flowframe, ... over the whole list, each reported (the machine is shared: the spread
between rounds is the noise). Every response must be 200 with exactly the expected bytes;
anything else is an error. Reported: errors, throughput, p50/p99 latency, the client's CPU
share of the wall time (near 100%: the client, not the server, was the limit), and the ratio
of flowframe's throughput to the floor's in the same round. Goal: at least 0.5x.

Before the load, a table of what each endpoint's answer costs alone (``parse``, the source's
``get_*`` and ``orjson.dumps``, one by one in this process over the distinct URLs, weighted
by the workload): the ceiling of one flowframe process, whatever the server.

``--profile PATH`` runs instead a cProfile of the flowframe server (its uvicorn thread) under
the same workload and writes the stats there, printing the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import multiprocessing.connection
import os
import pickle
import pstats
import random
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PREFIX = "/v1/flow/zero-dte"
DATE = "2026-09-18"
NOW = "14:45"
SYMBOLS = ("SPY", "QQQ")
HEADERS = {"X-Api-Key": "bench"}
WARMUP = 300

Fetch = Callable[[str], Awaitable[tuple[int, bytes]]]


def source() -> Any:
    import flowframe as ff

    return ff.Simulated(seed=0, date=DATE, now=NOW, symbols=list(SYMBOLS))


def workload(n: int, seed: int = 0) -> list[str]:
    """The fixed, seeded list of ``n`` request paths (with their queries); see the module."""
    rng = random.Random(seed)

    def pick(weighted: Mapping[str, float]) -> str:
        return rng.choices(list(weighted), weights=list(weighted.values()))[0]

    def minutes() -> int:
        kind = pick({"poll": 70, "medium": 20, "reload": 10})
        if kind == "poll":
            return rng.randint(1, 15)
        if kind == "medium":
            return int(rng.choice((30, 45, 60, 90, 120)))
        return int(rng.choice((240, 300, 390)))

    endpoints = {
        "series": 25,
        "hedge-flow": 20,
        "heatmap": 15,
        "strike-flow": 15,
        "snapshot": 15,
        "leaderboard": 10,
    }
    bars = {"30s": 40, "1m": 30, "5m": 20, "15m": 10}
    urls = []
    for _ in range(n):
        endpoint = pick(endpoints)
        sym = pick({"SPY": 60, "QQQ": 40})
        if endpoint == "leaderboard":
            metric = rng.choice(("heat", "pin_risk", "abs_flow", "charm_intensity"))
            urls.append(
                f"{PREFIX}/leaderboard?metric={metric}&n={rng.choice((5, 10, 20, 50, 100))}"
            )
        elif endpoint == "snapshot":
            urls.append(f"{PREFIX}/snapshot/{sym}")
        elif endpoint == "series":
            urls.append(f"{PREFIX}/series/{sym}?bar={pick(bars)}&minutes={minutes()}")
        elif endpoint == "hedge-flow":
            side = rng.choice(("all", "calls", "puts"))
            urls.append(
                f"{PREFIX}/hedge-flow/{sym}?side={side}&bar={pick(bars)}&minutes={minutes()}"
            )
        elif endpoint == "heatmap":
            metric = rng.choice(("gex", "dex", "vex", "chex", "oi", "signed_flow"))
            mode = rng.choice(("raw", "delta"))
            urls.append(f"{PREFIX}/heatmap/{sym}?metric={metric}&mode={mode}&minutes={minutes()}")
        else:
            urls.append(f"{PREFIX}/strike-flow/{sym}?minutes={minutes()}")
    return urls


async def _expected_async(paths: Sequence[str]) -> dict[str, bytes]:
    from flowframe.serve import app

    transport = httpx.ASGITransport(app=app(source()))
    bodies = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for path in paths:
            response = await client.get(path, headers=HEADERS)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
            bodies[path] = response.content
    return bodies


def expected(paths: Sequence[str]) -> dict[str, bytes]:
    """The body flowframe answers to each distinct path, computed in this process."""
    return asyncio.run(_expected_async(sorted(set(paths))))


def answer_times(paths: Sequence[str], bodies: dict[str, bytes]) -> dict[str, float]:
    """The time the source and orjson take for each distinct path, alone in this process.

    What ``flowframe.serve``'s route calls (``parse``, the ``get_*`` method, ``orjson.dumps``)
    without the framework, the server or the network: the least one request costs.
    """
    import orjson

    from flowframe._constants import ENDPOINT_METHODS
    from flowframe.serve._app import parse

    src = source()
    for sym in SYMBOLS:
        src.local(sym).state  # noqa: B018 - the session's one-off computation, untimed
    seconds = {}
    for path in sorted(set(paths)):
        route, _, query = path.removeprefix(PREFIX + "/").partition("?")
        name, _, symbol = route.partition("/")
        q = dict(item.split("=") for item in query.split("&")) if query else {}
        start = time.perf_counter()
        kwargs = parse(name, q)
        method = getattr(src, ENDPOINT_METHODS[name])
        body = orjson.dumps(method(symbol, **kwargs) if symbol else method(**kwargs))
        seconds[path] = time.perf_counter() - start
        if body != bodies[path]:
            raise RuntimeError(f"{path}: the source's answer differs from the app's")
    return seconds


def endpoint(path: str) -> str:
    return path.removeprefix(PREFIX + "/").split("/")[0].split("?")[0]


def costs(paths: Sequence[str], bodies: dict[str, bytes], seconds: dict[str, float]) -> None:
    """Print what each endpoint costs in-process, weighted by the workload, and its bodies."""
    print("Each request's source call and serialisation alone, one by one in this process:\n")
    print("| endpoint | share of requests | mean body kB | mean ms | share of time |")
    print("|---|---|---|---|---|")
    total = sum(seconds[p] for p in paths)
    for name in ("snapshot", "series", "hedge-flow", "heatmap", "strike-flow", "leaderboard"):
        mine = [p for p in paths if endpoint(p) == name]
        if not mine:
            continue
        spent = sum(seconds[p] for p in mine)
        kb = sum(len(bodies[p]) for p in mine) / len(mine) / 1e3
        print(
            f"| {name} | {len(mine) / len(paths):.0%} | {kb:.1f} | "
            f"{spent / len(mine) * 1e3:.2f} | {spent / total:.0%} |"
        )
    mean = total / len(paths)
    print(f"| all (the workload) | 100% | | {mean * 1e3:.2f} | 100% |")
    print(f"\nso one flowframe process serves at most {1 / mean:,.0f} req/s of this mix")


def floor_app(bodies: dict[str, bytes]) -> Any:
    """A bare Starlette app: one route, the body for the path and query from ``bodies``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from flowframe.serve._app import JSON

    async def route(request: Request) -> Response:
        query = request.url.query
        body = bodies.get(request.url.path + ("?" + query if query else ""))
        if body is None:
            return Response(b'{"error":"not_found"}', status_code=404, media_type=JSON)
        return Response(body, media_type=JSON)

    return Starlette(routes=[Route("/{path:path}", route, methods=["GET"])])


def _serve(kind: str, bodies_file: str, conn: multiprocessing.connection.Connection) -> None:
    """Child process: serve ``kind`` until told to stop; send the URL, then the profile."""
    if kind == "floor":
        application = floor_app(pickle.loads(Path(bodies_file).read_bytes()))
    else:
        from flowframe.serve import app

        application = app(source())
    if kind == "profile":
        _serve_profiled(application, bodies_file, conn)
        return
    from tests.serve.server import running

    with running(application) as url:
        conn.send(url)
        conn.recv()  # stop


def _serve_profiled(
    application: Any, out: str, conn: multiprocessing.connection.Connection
) -> None:
    """As ``running`` does, but with the uvicorn thread under cProfile (stats written to out)."""
    import socket

    import uvicorn

    from flowframe.serve._server import OneWriteProtocol

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        application, http=OneWriteProtocol, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    profile = cProfile.Profile()

    def run() -> None:
        profile.runcall(server.run, sockets=[sock])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    conn.send(f"http://127.0.0.1:{sock.getsockname()[1]}")
    conn.recv()
    server.should_exit = True
    thread.join(timeout=30)
    profile.dump_stats(out)
    conn.send("done")


class Server:
    """A server process (``kind``: floor, flowframe or profile) and its base URL."""

    def __init__(self, kind: str, bodies_file: str):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(kind, bodies_file, child), daemon=True)
        self.process.start()
        if not self.conn.poll(120):
            raise RuntimeError(f"the {kind} server did not start within 120 s")
        self.url: str = self.conn.recv()

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(timeout=60)
        if self.process.is_alive():
            self.process.kill()


@dataclass
class Run:
    name: str
    requests: int
    errors: int
    wall: float
    cpu: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.wall

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1e3


async def _send_httpx(url: str, clients: int, worker: Callable[[Fetch], Awaitable[None]]) -> None:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:

        async def fetch(path: str) -> tuple[int, bytes]:
            response = await client.get(path, headers=HEADERS)
            return response.status_code, response.content

        await asyncio.gather(*(worker(fetch) for _ in range(clients)))


async def _send_aiohttp(url: str, clients: int, worker: Callable[[Fetch], Awaitable[None]]) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as session:

        async def fetch(path: str) -> tuple[int, bytes]:
            async with session.get(path, headers=HEADERS) as response:
                return response.status, await response.read()

        await asyncio.gather(*(worker(fetch) for _ in range(clients)))


async def load(
    name: str,
    url: str,
    paths: Sequence[str],
    bodies: dict[str, bytes],
    clients: int,
    library: str = "aiohttp",
) -> Run:
    """Send every path with ``clients`` concurrent tasks; check each answer."""
    latencies: list[float] = []
    errors: list[str] = []
    position = iter(range(len(paths)))

    async def worker(fetch: Fetch) -> None:
        for i in position:
            path = paths[i]
            start = time.perf_counter()
            try:
                status, body = await fetch(path)
            except Exception as exc:  # a failed request is an error of the run, not a crash
                errors.append(f"{path}: {type(exc).__name__} {exc}")
                continue
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(f"{path}: status {status}")
            elif body != bodies[path]:
                errors.append(f"{path}: body differs from the expected bytes")

    send = _send_aiohttp if library == "aiohttp" else _send_httpx
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await send(url, clients, worker)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    for line in errors[:5]:
        print(f"  error ({name}): {line}")
    return Run(name, len(paths), len(errors), wall, cpu, latencies)


def row(run: Run, ratio: str) -> str:
    return (
        f"| {run.name} | {run.requests} | {run.errors} | {run.rps:,.0f} | "
        f"{run.quantile(0.5):.1f} | {run.quantile(0.99):.1f} | {run.cpu / run.wall:.0%} | {ratio} |"
    )


def profile(
    paths: Sequence[str], bodies: dict[str, bytes], out: str, clients: int, library: str
) -> int:
    server = Server("profile", str(Path(out).resolve()))
    try:
        asyncio.run(load("warm-up", server.url, paths[:WARMUP], bodies, clients, library))
        run = asyncio.run(load("flowframe (profiled)", server.url, paths, bodies, clients, library))
    finally:
        server.conn.send("stop")
        server.conn.poll(120)
        server.process.join(timeout=60)
    print(f"profiled {run.requests} requests, {run.rps:,.0f} req/s, {run.errors} errors")
    stats = pstats.Stats(out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    return 0


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_serve")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--client", choices=("aiohttp", "httpx"), default="aiohttp")
    parser.add_argument("--profile", metavar="PATH", help="cProfile the flowframe server instead")
    args = parser.parse_args(argv)

    paths = workload(args.requests)
    warm = workload(WARMUP, seed=1)
    t0 = time.perf_counter()
    bodies = expected(paths + warm)
    prep = time.perf_counter() - t0
    seconds = answer_times(paths, bodies)
    size = sum(len(bodies[p]) for p in paths) / len(paths)
    print(
        f"{len(paths)} requests over {len(set(paths))} distinct URLs, mean body {size / 1e3:.1f} kB; "
        f"{args.clients} clients ({args.client}); expected bodies computed in {prep:.1f} s; "
        f"load average {loadavg()} ({os.cpu_count()} CPUs)\n"
    )
    costs(paths, bodies, seconds)
    with tempfile.TemporaryDirectory() as tmp:
        bodies_file = str(Path(tmp) / "bodies.pickle")
        Path(bodies_file).write_bytes(pickle.dumps(bodies))
        if args.profile:
            return profile(paths, bodies, args.profile, args.clients, args.client)
        servers = {
            "floor": Server("floor", bodies_file),
            "flowframe": Server("flowframe", bodies_file),
        }
        runs: list[tuple[Run, Run]] = []
        try:
            for name, server in servers.items():
                asyncio.run(load(name, server.url, warm, bodies, args.clients, args.client))
            for _ in range(args.rounds):
                pair = [
                    asyncio.run(load(name, s.url, paths, bodies, args.clients, args.client))
                    for name, s in servers.items()
                ]
                runs.append((pair[0], pair[1]))
        finally:
            for server in servers.values():
                server.stop()
    print()
    print(
        "| round: server | requests | errors | req/s | p50 ms | p99 ms | client CPU | flowframe / floor |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for i, (floor_run, ff_run) in enumerate(runs, 1):
        floor_run.name, ff_run.name = f"{i}: floor (bare route)", f"{i}: flowframe"
        print(row(floor_run, ""))
        print(row(ff_run, f"{ff_run.rps / floor_run.rps:.2f}x (goal >= 0.5x)"))
    errors = sum(a.errors + b.errors for a, b in runs)
    print(f"\nload average after: {loadavg()}; errors {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
