"""The ``flowframe`` command.

``flowframe demo`` opens the tutorial notebooks in JupyterLab where a browser can open, and
otherwise (``--headless``, CI, no display) executes them on the simulated session and writes
an HTML report.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def _demo(args: argparse.Namespace, parser: argparse.ArgumentParser, lab_args: list[str]) -> int:
    from flowframe.cli import demo as _demo

    if args.headless and (args.lab or args.no_browser):
        parser.error("--headless runs without JupyterLab; it excludes --lab and --no-browser")
    if lab_args and args.headless:
        parser.error("options after -- go to JupyterLab; --headless does not launch it")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    session = {"now": args.now, "seed": args.seed, "date": args.date}
    try:
        folder, paths = _demo.find_notebooks(args.notebooks)
        if args.headless:
            lab = False
        elif args.lab or args.no_browser:
            lab = True
        else:
            lab = _demo.can_open_browser()
            if not lab:
                print("no browser can open here (CI or no display): running headless")
        if lab:
            _demo.require(_demo.LAB_MODULES)
            snap = _demo.simulated_snapshot(args.symbol, **session)
            print(_demo.headline(snap, args.symbol))
            dashboard = folder / _demo.LIVE_DASHBOARD
            where = dashboard if dashboard.exists() else f"{folder} (no {dashboard.name} yet)"
            print(f"JupyterLab on {where} (Ctrl-C stops it)")
            return _demo.launch_lab(folder, open_browser=not args.no_browser, extra=lab_args)
        start = time.perf_counter()
        report = _demo.run_headless(
            paths,
            args.out,
            symbol=args.symbol,
            jobs=args.jobs,
            timeout=args.timeout,
            **session,
        )
    except _demo.DemoError as exc:
        print(f"flowframe demo: {exc}", file=sys.stderr)
        return 2
    print(f"report: {report.index}")
    if report.interrupted:
        print("interrupted", file=sys.stderr)
        return 130
    failed = [run for run in report.runs if not run.ok]
    if failed:
        names = ", ".join(run.path.stem for run in failed)
        print(f"{len(failed)} of {len(report.runs)} notebooks failed: {names}", file=sys.stderr)
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    from flowframe._version import __version__
    from flowframe.cli.demo import CELL_TIMEOUT

    parser = argparse.ArgumentParser(prog="flowframe", description=__doc__)
    parser.add_argument("--version", action="version", version=f"flowframe {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser(
        "demo",
        help="open the tutorial notebooks in JupyterLab, or run them into an HTML report",
        description=(
            "Where a browser can open, launch JupyterLab on 02_live_dashboard. With --headless "
            "(the default in CI and without a display) execute every notebook on the simulated "
            "source and write an HTML report with the figures. Options after -- go to "
            "JupyterLab (flowframe demo --no-browser -- --port 9999)."
        ),
    )
    mode = d.add_mutually_exclusive_group()
    mode.add_argument(
        "--headless", action="store_true", help="execute the notebooks and write the report"
    )
    mode.add_argument(
        "--lab", action="store_true", help="launch JupyterLab even where no browser is detected"
    )
    d.add_argument(
        "--no-browser",
        action="store_true",
        help="launch JupyterLab without opening a browser (it prints its URL); implies --lab",
    )
    d.add_argument(
        "--notebooks",
        type=Path,
        metavar="DIR",
        default=None,
        help="notebooks folder (default: the checkout's notebooks/, else ./notebooks)",
    )
    d.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        default=Path("flowframe-demo"),
        help="report folder (headless; default ./flowframe-demo)",
    )
    d.add_argument(
        "--jobs", type=int, default=1, help="notebooks run at once (headless; default 1)"
    )
    d.add_argument(
        "--timeout", type=float, default=CELL_TIMEOUT, help="seconds allowed per cell (headless)"
    )
    d.add_argument("--symbol", default="SPX", help="headline symbol: SPX, SPY, QQQ or IWM")
    d.add_argument("--now", default="14:45", help="headline session clock, ET (HH:MM)")
    d.add_argument("--seed", type=int, default=0, help="headline simulation seed")
    d.add_argument("--date", default=None, help="headline session date YYYY-MM-DD")
    from flowframe.cli import record as _record
    from flowframe.cli import serve as _serve

    rec = _record.add_parser(sub)
    srv = _serve.add_parser(sub)
    c = sub.add_parser("calibrate", help="predicted odds against outcomes over simulated sessions")
    c.add_argument("--sessions", type=int, default=50)
    c.add_argument("--first-seed", type=int, default=0)
    c.add_argument("--out", default=None, help="also write the tables to this Markdown file")
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    args, lab_args = parser.parse_args(argv[:cut]), argv[cut + 1 :]
    if args.command == "calibrate":
        from flowframe.sources.engine import calibration

        forwarded = ["--sessions", str(args.sessions), "--first-seed", str(args.first_seed)]
        return calibration.main(forwarded + (["--out", args.out] if args.out else []))
    if args.command in ("record", "serve"):
        if lab_args:
            parser.error("options after -- are for flowframe demo's JupyterLab")
        if args.command == "serve":
            return _serve.run(args, srv)
        return _record.run(args, rec)
    if lab_args and args.command != "demo":
        parser.error("options after -- are for flowframe demo's JupyterLab")
    return _demo(args, parser, lab_args)


if __name__ == "__main__":
    sys.exit(main())
