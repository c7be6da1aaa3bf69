"""``flowframe record`` killed with SIGKILL at random moments, then run again.

Nothing recorded before a kill is lost, and after the restarts the store holds exactly what
one uninterrupted run records: the same records, in the same order, none twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import flowframe as ff

DATE = "2026-09-18"
ARGS = [
    sys.executable,
    "-m",
    "flowframe",
    "record",
    "--seed",
    "3",
    "--date",
    DATE,
    "--symbols",
    "SPY",
    "--interval",
    "300",
    "--metrics",
    "gex",
    "--leaderboard-metrics",
    "heat",
    "--no-progress",
]
KILLS = 4
DEADLINE = 240.0  # seconds for the whole test; every wait below is bounded by it


def _held(path: Path) -> list[tuple[object, ...]]:
    """Every record the store returns, as comparable tuples (a torn tail is not returned)."""
    store = ff.Store(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ff.FlowframeWarning)  # a torn tail: checked below
        return [
            (symbol, r["endpoint"], repr(sorted(r["params"].items())), r["as_of"], r["body"])
            for symbol in ("SPY", None)
            for r in store.read_bodies(symbol, DATE)
        ]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_loses_nothing_recorded_and_restarts_without_duplicates(tmp_path: Path) -> None:
    start = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k != "FLASHALPHA_API_KEY"}
    reference = tmp_path / "reference"
    subprocess.run(
        [*ARGS, "--store", str(reference)],
        check=True,
        timeout=DEADLINE,
        env=env,
        capture_output=True,
    )
    expected = _held(reference)
    assert len(expected) == 79 * 6  # 09:30 to 16:00 every 5 minutes, 6 requests a cycle

    store = tmp_path / "killed"
    rng = random.Random(20261204)
    before: list[tuple[object, ...]] = []
    kills = 0
    while kills < KILLS:
        left = DEADLINE - (time.monotonic() - start)
        assert left > 0, "the kill loop ran out of time"
        proc = subprocess.Popen(
            [*ARGS, "--store", str(store)], stdout=subprocess.PIPE, text=True, env=env
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed after the first cycle landed
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is not None:  # it finished first: the session is recorded
            proc.stdout.close()
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=left)
        proc.stdout.close()
        kills += 1
        assert line.startswith("recording SPY on 2026-09-18"), line
        after = _held(store)
        # nothing recorded before the kill is lost (the killed run only added records)
        assert set(before) <= set(after)
        assert len(set(after)) == len(after), "a record is held twice"
        before = after
    assert kills >= 2, "the recorder finished before it could be killed twice"
    done = subprocess.run(
        [*ARGS, "--store", str(store)],
        check=True,
        timeout=max(DEADLINE - (time.monotonic() - start), 1.0),
        env=env,
        capture_output=True,
        text=True,
    )
    assert "reached 16:00:00 ET" in done.stdout
    got = _held(store)
    assert len(set(got)) == len(got)
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    # per endpoint, in the order recorded (the files are appended to, never rewritten)
    for symbol in ("SPY", None):
        for endpoint in ("series", "heatmap", "leaderboard"):
            a = [r for r in expected if r[0] == symbol and r[1] == endpoint]
            b = [r for r in got if r[0] == symbol and r[1] == endpoint]
            assert a == b
    parts = ff.Store(store).partitions("bodies")
    assert int(parts["records"].sum()) == len(expected)
    print(f"{kills} kills, {int(parts['torn'].sum())} torn records cut off")
