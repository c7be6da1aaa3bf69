"""``flowframe record``: poll a source through a session into a store (:func:`flowframe.record`)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

DESCRIPTION = (
    "Poll a source through a session and append every body to a store as it arrives, so "
    "ff.Replay(store, date=...) can answer any moment of the day later. By default the "
    "simulated session (--seed, --date), recorded from the open to --now (default the close) "
    "as fast as it computes, or paced by --speed. With --hosted, the hosted API on the wall "
    "clock within the key's daily quota (key from FLASHALPHA_API_KEY). Killed at any moment, "
    "it loses at most the body in flight; run the same command again to resume (nothing is "
    "recorded twice)."
)


def _list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``record`` subcommand to the ``flowframe`` parser."""
    r: argparse.ArgumentParser = sub.add_parser(
        "record", help="record a session's bodies into a store", description=DESCRIPTION
    )
    r.add_argument("--store", required=True, metavar="PATH", help="the store (created if missing)")
    r.add_argument("--symbols", default="SPY", help="comma-separated symbols (default SPY)")
    src = r.add_mutually_exclusive_group()
    src.add_argument("--seed", type=int, default=None, help="simulated session seed (default 0)")
    src.add_argument(
        "--hosted", action="store_true", help="record the hosted API (FLASHALPHA_API_KEY)"
    )
    r.add_argument("--base-url", default=None, help="hosted API base URL (with --hosted)")
    r.add_argument("--plan", default=None, help="the key's plan if the headers do not say")
    r.add_argument("--date", default=None, help="simulated session date YYYY-MM-DD")
    clock = r.add_mutually_exclusive_group()
    clock.add_argument(
        "--now", default=None, help="record the simulated session up to this ET time (HH:MM)"
    )
    clock.add_argument(
        "--speed", type=float, default=None, help="run the simulated clock at this multiple"
    )
    r.add_argument("--until", default=None, help="last poll, ET (HH:MM)")
    r.add_argument("--interval", type=float, default=None, help="seconds between cycles (>= 30)")
    r.add_argument("--endpoints", default=None, help="comma-separated endpoints (default all)")
    r.add_argument("--metrics", default=None, help="heatmap metrics (default all six)")
    r.add_argument("--hedge-sides", default="all", help="hedge-flow sides (default all)")
    r.add_argument(
        "--leaderboard-metrics", default=None, help="leaderboard metrics (default all four)"
    )
    r.add_argument("--max-cycles", type=int, default=None, help="stop after this many cycles")
    r.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar (default: on a terminal)",
    )
    return r


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``flowframe record``; return the exit status."""
    import flowframe as ff
    from flowframe._constants import ET
    from flowframe._session import session_bounds
    from flowframe.research.record import record

    if args.hosted and (args.date or args.now or args.speed):
        parser.error("--date, --now and --speed set the simulated session; not with --hosted")
    if args.base_url and not args.hosted:
        parser.error("--base-url is for --hosted")
    symbols = _list(args.symbols) or []
    source: Any
    try:
        if args.hosted:
            kwargs = {"base_url": args.base_url} if args.base_url else {}
            source = ff.FlashAlpha(**kwargs)
        else:
            sim = ff.Simulated(
                args.seed or 0, date=args.date, speed=args.speed, now="09:30", symbols=symbols
            )
            now = args.now
            if now is None and args.speed is None:
                now = session_bounds(sim.date)[1]  # the whole session
            source = (
                ff.Simulated(args.seed or 0, date=sim.date, speed=args.speed, symbols=symbols)
                if args.speed is not None
                else sim.at(now)
            )
    except (ValueError, ff.MissingAPIKeyError) as exc:
        print(f"flowframe record: {exc}", file=sys.stderr)
        return 2
    progress = args.progress if args.progress is not None else sys.stderr.isatty()

    def told(rep: ff.Recording) -> None:
        if rep.cycles == 1:
            resumed = (
                f" (resumed at the poll of {rep.resumed_at.tz_convert(ET):%H:%M:%S} ET)"
                if rep.resumed_at is not None
                else ""
            )
            print(f"recording {', '.join(rep.symbols)} on {rep.date}{resumed}", flush=True)

    try:
        report = record(
            source,
            symbols,
            args.store,
            endpoints=_list(args.endpoints),
            metrics=_list(args.metrics),
            hedge_sides=_list(args.hedge_sides) or ["all"],
            leaderboard_metrics=_list(args.leaderboard_metrics),
            interval=args.interval,
            until=args.until,
            plan=args.plan,
            max_cycles=args.max_cycles,
            progress=progress,
            on_cycle=told,
        )
    except ValueError as exc:
        print(f"flowframe record: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: every body received so far is in the store", file=sys.stderr)
        return 130
    finally:
        close = getattr(source, "close", None)
        if callable(close):
            close()
    print(repr(report))
    for when, what, message in report.errors[-5:]:
        print(f"  error at {when.tz_convert(ET):%H:%M:%S} ET, {what}: {message}", file=sys.stderr)
    print(f"store: {os.fspath(args.store)}")
    return 0
