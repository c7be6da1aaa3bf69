"""Benchmark: what ``import flowframe`` costs, as a ratio to ``import pandas, xarray, numpy``.

Run:  .venv/bin/python -m tests.bench.bench_import   (never collected by pytest)

Each round starts a fresh interpreter with ``-X importtime`` running
``import pandas, xarray, numpy; import flowframe`` and reads its report:

- the baseline is the cumulative time of the top-level ``numpy``, ``pandas`` and ``xarray``
  entries (whichever the run imported first carries the shared dependencies);
- flowframe's own cost is the cumulative time of the top-level ``flowframe`` entry, which,
  with those three already loaded, is everything ``import flowframe`` adds (its own modules,
  orjson, msgspec, and anything else it pulls in).

Both come from the same process, so machine noise hits them alike; the report gives the
median ratio over the rounds and the medians of each part (goal: ratio <= 0.5). The modules
``import flowframe`` loads beyond the baseline are listed too, heaviest first.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

ROUNDS = 15
BASELINE = ("numpy", "pandas", "xarray")
CODE = "import pandas, xarray, numpy; import flowframe"


def importtime() -> list[tuple[int, int, str]]:
    """Return (self us, cumulative us, indented name) rows of one fresh interpreter's run."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", CODE],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:") :].split("|", 2)
        rows.append((int(own), int(cumulative), name.rstrip()))
    return rows


def split(rows: list[tuple[int, int, str]]) -> tuple[int, int, list[tuple[int, str]]]:
    """Return baseline us, flowframe us, and the heaviest imports flowframe's entry made."""
    # importtime prints a module after its children, indented two spaces a level
    top = [(i, name.strip(), cum) for i, (_, cum, name) in enumerate(rows) if name[1:2] != " "]
    baseline = sum(cum for _, name, cum in top if name in BASELINE)
    end, _, ours = next(t for t in top if t[1] == "flowframe")
    start = max(i for i, name, _ in top if name in BASELINE)
    inside = [
        (cum, name.strip())
        for _, cum, name in rows[start + 1 : end]
        if name[3:4] != " "  # one level in: imported by flowframe's own modules
    ]
    return baseline, ours, sorted(inside, reverse=True)[:12]


def main() -> None:
    importtime()  # warm the file cache
    ratios, bases, ours_all = [], [], []
    heaviest: list[tuple[int, str]] = []
    for _ in range(ROUNDS):
        baseline, ours, heaviest = split(importtime())
        ratios.append(ours / baseline)
        bases.append(baseline)
        ours_all.append(ours)
    print(f"rounds: {ROUNDS}, fresh interpreter each, `python -X importtime -c {CODE!r}`")
    print(f"import pandas, xarray, numpy : median {statistics.median(bases) / 1e3:7.1f} ms")
    print(f"import flowframe (on top)    : median {statistics.median(ours_all) / 1e3:7.1f} ms")
    print(
        f"ratio flowframe / baseline   : median {statistics.median(ratios):.3f} "
        f"(min {min(ratios):.3f}, max {max(ratios):.3f}; goal <= 0.5)"
    )
    print("heaviest imports inside flowframe's entry (last round, cumulative ms):")
    for cumulative, name in heaviest:
        print(f"  {cumulative / 1e3:7.1f}  {name}")


if __name__ == "__main__":
    main()
