"""The ``flowframe`` command: ``flowframe demo`` writes a report of what the package shows."""

from __future__ import annotations

import argparse
import base64
import html
import io
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _png(fig: object) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")  # type: ignore[attr-defined]
    return buf.getvalue()


def demo(out: Path, *, symbol: str, now: str, seed: int, date: str | None) -> Path:
    """Load every endpoint from the simulated session, plot it, and write an HTML report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import flowframe as ff

    src = ff.Simulated(seed=seed, date=date, now=now)
    out.mkdir(parents=True, exist_ok=True)
    hedge = ff.hedge_flow(symbol, side="split", bar="1m", minutes=390, source=src)
    series = ff.series(symbol, bar="1m", minutes=390, source=src)
    gex = ff.heatmap(symbol, metric="gex", minutes=390, source=src)
    flow = ff.heatmap(symbol, metric="signed_flow", minutes=120, source=src)
    board = ff.leaderboard(n=5, source=src)
    snap = ff.snapshot(symbol, source=src)

    figures: dict[str, tuple[str, Callable[[Axes], object]]] = {
        "hedge_flow": (
            "Dealer hedge-flow, calls and puts, with spot",
            lambda ax: hedge.flow.plot_hedge(ax=ax, price=series["spot"]),
        ),
        "series": (
            "Session series: spot, gamma flip, walls, magnet, regime",
            lambda ax: series.flow.plot_series(ax=ax),
        ),
        "heatmap_gex": ("GEX by strike and time", lambda ax: gex.flow.plot(ax=ax)),
        "heatmap_signed_flow": (
            "Signed aggressor flow by strike, last 2 hours",
            lambda ax: flow.flow.plot(ax=ax),
        ),
    }
    sections = []
    for name, (caption, draw) in figures.items():
        fig, ax = plt.subplots(figsize=(11, 4.8))
        draw(ax)
        data = _png(fig)
        plt.close(fig)
        (out / f"{name}.png").write_bytes(data)
        encoded = base64.b64encode(data).decode()
        sections.append(
            f"<h2>{html.escape(caption)}</h2>"
            f"<img alt='{name}' src='data:image/png;base64,{encoded}'>"
        )
    runs = hedge.flow.accelerating_runs(price=series["spot"])
    flips = hedge.flow.sign_flips()
    report = out / "index.html"
    report.write_text(
        "<!doctype html><meta charset='utf-8'><title>flowframe demo</title>"
        "<body style='font-family:sans-serif;max-width:1100px;margin:auto'>"
        "<h1>flowframe demo</h1>"
        f"<p><b>Simulated data</b>: {html.escape(repr(src))}. A seeded 0DTE session "
        "(chain, trade tape and spot path generated at realistic scale), computed by "
        "flowframe's local engine into the hosted API's payloads. Estimates from a model of "
        "dealer positioning, not any dealer's book.</p>"
        + snap._repr_html_()
        + f"<h2>Leaderboard (heat)</h2>{board.to_html()}"
        + f"<p>{len(flips)} sign flips of the per-bar flow; {len(runs)} accelerating runs "
        f"({int(runs['confirmed'].sum()) if len(runs) else 0} confirmed by spot).</p>"
        + "".join(sections)
        + "</body>",
        encoding="utf-8",
    )
    if snap.headline is not None:
        headline = snap.headline.narrative
    elif snap.status == "live":
        lv = snap.levels
        flow_label = snap.flow_direction.label if snap.flow_direction else "n/a"
        pin = snap.raw.get("pin_risk", {})
        flip = lv["gamma_flip"] if lv["gamma_flip"] is not None else float("nan")
        headline = (
            f"{snap.regime}, spot {snap.spot:,.2f}, gamma flip {flip:,.2f}, "
            f"magnet {lv['magnet']:,.0f}, pin score {pin.get('pin_score')}, "
            f"pin odds {pin.get('pin_probability_pct')}%, flow {flow_label}"
        )
    else:
        headline = snap.message
    when = (
        snap.as_of.tz_convert("America/New_York").strftime("%Y-%m-%d %H:%M ET")
        if snap.as_of
        else ""
    )
    print(f"{symbol} {snap.status} {when}: {headline}")
    total = ff.format_money(hedge["cumulative"].iloc[-1])
    print(f"hedge-flow: {len(hedge)} 1-minute bars, cumulative {total}")
    print(f"report: {report.resolve()}")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    from flowframe._version import __version__

    parser = argparse.ArgumentParser(prog="flowframe", description=__doc__)
    parser.add_argument("--version", action="version", version=f"flowframe {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="write an HTML report with every loader and plot")
    d.add_argument("--out", type=Path, default=Path("flowframe-demo"), help="report folder")
    d.add_argument("--symbol", default="SPX", help="SPX, SPY, QQQ or IWM")
    d.add_argument("--now", default="14:45", help="session clock, ET (HH:MM)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--date", default=None, help="session date YYYY-MM-DD (latest weekday)")
    d.add_argument(
        "--headless", action="store_true", help="never open a browser (the default for now)"
    )
    c = sub.add_parser("calibrate", help="predicted odds against outcomes over simulated sessions")
    c.add_argument("--sessions", type=int, default=50)
    c.add_argument("--first-seed", type=int, default=0)
    c.add_argument("--out", default=None, help="also write the tables to this Markdown file")
    args = parser.parse_args(argv)
    if args.command == "calibrate":
        from flowframe import calibration

        forwarded = ["--sessions", str(args.sessions), "--first-seed", str(args.first_seed)]
        return calibration.main(forwarded + (["--out", args.out] if args.out else []))
    if args.command == "demo":
        start = time.perf_counter()
        demo(args.out, symbol=args.symbol, now=args.now, seed=args.seed, date=args.date)
        print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
