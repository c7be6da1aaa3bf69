"""``flowframe serve``: the hosted 0DTE flow API's six routes, served from any source."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any

EPILOG = """\
Point FlashAlpha's official Python SDK at it:

    from flashalpha import FlashAlpha
    fa = FlashAlpha("any-key", base_url="http://127.0.0.1:8000")
    fa.flow_zero_dte_series("SPY", bar="1m", minutes=60)

or flowframe's own client:

    import flowframe as ff
    client = ff.FlashAlpha("any-key", base_url="http://127.0.0.1:8000")
    ff.series("SPY", source=client)

Without --keys any key is accepted as the Alpha plan. --keys FILE holds a JSON object of
key to plan ({"k1": "growth", "k2": "alpha"}): plan gates, daily quotas and the
X-RateLimit-* headers then apply as the hosted API applies them.
"""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``serve`` subcommand to the ``flowframe`` parser."""
    s: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="serve the hosted API's six routes from a simulated session, a recording or a tape",
        description=(
            "Serve /v1/flow/zero-dte/{snapshot,series,hedge-flow,heatmap,strike-flow,"
            "leaderboard} as the hosted API does (bodies, parameter checks and clamps, errors, "
            "plans and quotas), computed here: from a simulated session (default), a store's "
            "recording (--replay) or Databento files (--tape)."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    what = s.add_mutually_exclusive_group()
    what.add_argument("--seed", type=int, default=None, help="simulated session seed (default 0)")
    what.add_argument("--replay", metavar="STORE", default=None, help="serve a store's recording")
    what.add_argument(
        "--tape", metavar="PATH", nargs="+", default=None, help="Databento DBN files or folders"
    )
    s.add_argument("--date", default=None, help="session date YYYY-MM-DD (default: the latest)")
    s.add_argument("--symbols", default=None, help="comma-separated symbols (--tape: exactly one)")
    clock = s.add_mutually_exclusive_group()
    clock.add_argument("--now", default=None, help="freeze the session clock here (ET, HH:MM)")
    clock.add_argument(
        "--speed", type=float, default=None, help="run the session clock at this multiple"
    )
    s.add_argument("--keys", metavar="FILE", default=None, help="JSON object of key to plan")
    s.add_argument("--log-level", default="warning", help="uvicorn's log level")
    return s


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_source(args: argparse.Namespace) -> Any:
    """Return the source the options name."""
    import flowframe as ff

    symbols = [s.strip() for s in (args.symbols or "").split(",") if s.strip()]
    if args.replay:
        return ff.Replay(args.replay, date=args.date, now=args.now, speed=args.speed)
    if args.tape:
        if len(symbols) != 1:
            raise ValueError("--tape needs --symbols naming exactly one underlying (e.g. SPX)")
        market = ff.read_databento(*args.tape, symbol=symbols[0], date=args.date)
        return ff.Local.from_market(market, now=args.now, speed=args.speed)
    kwargs: dict[str, Any] = {"date": args.date, "now": args.now, "speed": args.speed}
    if symbols:
        kwargs["symbols"] = symbols
    return ff.Simulated(args.seed or 0, **kwargs)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``flowframe serve``; return the exit status."""
    if not 0 < args.port < 65536:
        parser.error(f"--port {args.port} is not a TCP port (1-65535)")
    try:
        from flowframe.serve import Keys, app
        from flowframe.serve import run as serve
    except ImportError as exc:
        print(
            f"flowframe serve needs the serve extra ({exc.name} is missing): "
            "pip install 'flowframe[serve]'",
            file=sys.stderr,
        )
        return 2
    try:
        keys = Keys.from_file(args.keys) if args.keys else None
        source = build_source(args)
    except (OSError, ValueError) as exc:
        print(f"flowframe serve: {exc}", file=sys.stderr)
        return 2
    if keys is None and not _is_loopback(args.host):
        print(
            f"warning: serving on {args.host} without --keys: anyone who can reach it gets "
            "the Alpha plan; pass --keys FILE",
            file=sys.stderr,
        )
    print(
        f"serving {getattr(source, 'name', type(source).__name__)} on "
        f"http://{args.host}:{args.port}/v1/flow/zero-dte/ ({keys or 'any key, as Alpha'}); "
        "Ctrl-C stops",
        flush=True,
    )
    serve(app(source, keys), host=args.host, port=args.port, log_level=args.log_level)
    return 0
