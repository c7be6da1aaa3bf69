"""``flowframe serve --replay STORE`` and ``--tape FILES``: the sources the options build, served.

A replayed day is served byte for byte as recorded; a Databento tape is served as the
``ff.Local`` built from it answers in process.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

import flowframe as ff
from flowframe.cli import serve as cli
from flowframe.serve import app
from tests.serve.server import running
from tests.vendors.dbn import write_dbn

DATE = "2026-09-18"
PREFIX = "/v1/flow/zero-dte"
KEY = {"X-Api-Key": "k"}


def options(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["serve", *argv])


def test_replay_serves_the_recorded_bytes(tmp_path: Path) -> None:
    sim = ff.Simulated(seed=2, date=DATE, now="11:00", symbols=["SPY"])
    ff.record(sim, "SPY", tmp_path, interval=300, metrics="gex", progress=False)
    source = cli.build_source(options("--replay", str(tmp_path), "--now", "10:47"))
    assert isinstance(source, ff.Replay) and source.symbols == ("SPY",)
    store = ff.Store(tmp_path)
    recorded = [r for r in store.read_bodies("SPY", DATE) if r["as_of"] == "2026-09-18T14:45:00Z"]
    assert {r["endpoint"] for r in recorded} == {
        "snapshot",
        "series",
        "hedge-flow",
        "heatmap",
        "strike-flow",
    }
    with running(app(source)) as url, httpx.Client(base_url=url, timeout=30) as c:
        for rec in recorded:
            r = c.get(f"{PREFIX}/{rec['endpoint']}/SPY", params=rec["params"], headers=KEY)
            assert r.status_code == 200 and r.content == rec["body"], rec["endpoint"]
        derived = c.get(f"{PREFIX}/series/SPY", params={"bar": "5m"}, headers=KEY).json()
        assert derived == orjson.loads(orjson.dumps(sim.at("10:45").get_series("SPY", bar="5m")))
        missing = c.get(f"{PREFIX}/series/QQQ", headers=KEY)
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_recorded"
    assert "QQQ was not recorded on 2026-09-18" in missing.json()["message"]


def test_tape_serves_what_the_local_source_answers(tmp_path: Path) -> None:
    sim = ff.Simulated(seed=4, date=DATE, now="12:00", scale=0.1, symbols=["SPY"])
    paths = write_dbn(sim.market("SPY"), tmp_path, compress=True, extras=False)
    args = options("--tape", *map(str, paths), "--symbols", "SPY", "--now", "12:00")
    source: Any = cli.build_source(args)
    assert isinstance(source, ff.Local) and source.symbol == "SPY"
    with running(app(source)) as url, httpx.Client(base_url=url, timeout=30) as c:
        for endpoint, params in (
            ("series", {"bar": "1m", "minutes": "30"}),
            ("hedge-flow", {"side": "puts", "bar": "5m", "minutes": "120"}),
            ("heatmap", {"metric": "gex", "minutes": "15"}),
        ):
            r = c.get(f"{PREFIX}/{endpoint}/SPY", params=params, headers=KEY)
            kwargs = {k: int(v) if k == "minutes" else v for k, v in params.items()}
            method = getattr(source, f"get_{endpoint.replace('-', '_')}")
            assert r.json() == orjson.loads(orjson.dumps(method("SPY", **kwargs))), endpoint


def test_tape_needs_one_symbol(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--tape needs --symbols naming exactly one"):
        cli.build_source(options("--tape", str(tmp_path)))
