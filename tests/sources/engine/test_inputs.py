"""Bad inputs to ``ff.Local`` (issue 13): a SchemaError naming the column and the first bad row.

Before, each of these crashed deep inside numpy, pandas or the snapshot builder, and only at the
first request. Now the chain, the tape and the spot path are checked when the source is built.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowframe as ff
from flowframe.errors import FlowframeWarning, SchemaError
from flowframe.sources.engine import core
from flowframe.sources.engine.core import check_inputs, compute_session

DAY = "2026-09-18"
OPEN = pd.Timestamp(f"{DAY} 09:30", tz="America/New_York").tz_convert("UTC")


def chain() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "strike": [95.0, 100.0, 105.0, 95.0, 100.0, 105.0],
            "right": ["C", "C", "C", "P", "P", "P"],
            "oi": [10.0, 20.0, 10.0, 15.0, 25.0, 5.0],
            "iv": [0.2, 0.19, 0.21, 0.22, 0.2, 0.18],
        }
    )


def tape(quotes: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "t": [OPEN + pd.Timedelta(seconds=s) for s in (5, 65, 125, 3600)],
            "strike": [100.0, 95.0, 105.0, 100.0],
            "right": ["C", "P", "C", "P"],
            "price": [1.0, 0.5, 0.3, 0.8],
            "size": [1, 2, 3, 4],
            "side": [1, -1, 1, 0],
        }
    )
    if quotes:
        frame = frame.drop(columns="side").assign(
            bid=[0.9, 0.4, 0.2, 0.7], ask=[1.1, 0.6, 0.4, 0.9]
        )
    return frame


def spot() -> pd.Series:
    times = [OPEN + pd.Timedelta(minutes=m) for m in (0, 60, 120, 180)]
    return pd.Series([100.0, 100.5, 101.0, 100.8], index=pd.DatetimeIndex(times), name="spot")


def local(**inputs: Any) -> ff.Local:
    args = {"chain": chain(), "tape": tape(), "spot": spot(), **inputs}
    return ff.Local(**args, symbol="SPX", expiration=DAY, now="15:00")


def with_cell(frame: pd.DataFrame, column: str, row: int, value: Any) -> pd.DataFrame:
    """A copy of ``frame`` with one cell replaced (the column turned to object if need be)."""
    out = frame.copy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # pandas warns before it upcasts: do it ourselves
            out.loc[out.index[row], column] = value
    except (TypeError, ValueError, FutureWarning, OverflowError):
        out[column] = out[column].astype(object)
        out.loc[out.index[row], column] = value
    return out


# --------------------------------------------------------------------- each case of the issue


@pytest.mark.parametrize(
    "inputs, match",
    [
        pytest.param(
            {"tape": tape().assign(size=["1", "2", "3", "4"])},
            r"^tape column 'size' row 0: must be a finite number > 0 \(contracts\), got '1'$",
            id="sizes-as-strings",
        ),
        pytest.param(
            {"tape": with_cell(tape(), "size", 2, "3")},
            r"^tape column 'size' row 2: .*, got '3'$",
            id="one-size-as-a-string",
        ),
        pytest.param(
            {"tape": with_cell(tape().astype({"size": float}), "size", 1, np.inf)},
            r"^tape column 'size' row 1: must be a finite number > 0 \(contracts\), got inf$",
            id="infinite-size",
        ),
        pytest.param(
            {"chain": with_cell(chain(), "oi", 3, np.inf)},
            r"^chain column 'oi' row 3: must be a finite number >= 0 \(settled open interest, "
            r"in contracts\), got inf$",
            id="infinite-oi",
        ),
        pytest.param(
            {"chain": with_cell(chain(), "iv", 3, np.inf)},
            r"^chain column 'iv' row 3: must be a finite number > 0 \(implied vol as a decimal: "
            r"0.15 is 15%\), got inf$",
            id="infinite-iv",
        ),
        pytest.param(
            {"chain": chain().iloc[:0]},
            r"^chain has no rows: it needs at least one listed contract",
            id="empty-chain",
        ),
        pytest.param(
            {"spot": spot().where(spot().index != spot().index[2], 0.0)},
            r"^spot row 2 \(index 2026-09-18 15:30:00\+00:00\): must be a number > 0 .*, got 0.0$",
            id="spot-at-zero",
        ),
        pytest.param(
            {"spot": spot().where(spot().index != spot().index[1], -3.0)},
            r"^spot row 1 \(index .*\): must be a number > 0 .*, got -3.0$",
            id="spot-below-zero",
        ),
        pytest.param(
            {"spot": spot() * np.nan},
            r"^spot path has no finite price \(all 4 are NaN or inf; the first, spot row 0 ",
            id="spot-all-nan",
        ),
        pytest.param(
            {"chain": with_cell(chain(), "strike", 4, "abc")},
            r"^chain column 'strike' row 4: must be a finite number > 0 \(the strike, in points\), "
            r"got 'abc'$",
            id="junk-strike-in-the-chain",
        ),
        pytest.param(
            {"tape": with_cell(tape(), "strike", 1, "abc")},
            r"^tape column 'strike' row 1: .*, got 'abc'$",
            id="junk-strike-in-the-tape",
        ),
    ],
)
def test_bad_input_is_refused_where_it_is_handed_over(inputs: dict[str, Any], match: str) -> None:
    # before: TypeError, OverflowError, ValueError("cannot convert float NaN to integer",
    # "array of sample points is empty", "could not convert string to float") from deep inside,
    # and only once a request computed the session
    with pytest.raises(SchemaError, match=match) as info:
        local(**inputs)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "inputs, match",
    [
        ({"chain": with_cell(chain(), "oi", 2, True)}, r"chain column 'oi' row 2: .*, got True"),
        ({"chain": with_cell(chain(), "iv", 1, None)}, r"chain column 'iv' row 1: .*, got nan"),
        (
            {"chain": chain().astype({"iv": object}).pipe(with_cell, "iv", 1, None)},
            r"chain column 'iv' row 1: .*, got None",
        ),
        ({"chain": with_cell(chain(), "strike", 5, "105")}, r"'strike' row 5: .*, got '105'"),
        ({"chain": with_cell(chain(), "strike", 0, -95.0)}, r"'strike' row 0: .*, got -95.0"),
        ({"chain": with_cell(chain(), "right", 2, "X")}, r"'right' row 2: must be 'C' or 'P'"),
        (
            {"chain": chain().set_axis(list("abcdef")).pipe(with_cell, "iv", 3, -0.2)},
            r"^chain column 'iv' row 3 \(index 'd'\): .*, got -0.2$",
        ),
        (
            {"chain": pd.concat([chain(), chain().iloc[[4]]], ignore_index=True)},
            r"chain lists a \(strike, right\) twice: row 6 repeats \(100, 'P'\) of row 4",
        ),
        ({"tape": with_cell(tape(), "t", 2, pd.NaT)}, r"^tape column 't' row 2: .*, got NaT$"),
        ({"tape": with_cell(tape(), "price", 1, np.inf)}, r"'price' row 1: .*, got inf"),
        ({"tape": with_cell(tape(), "side", 3, "1")}, r"'side' row 3: must be -1, 0 or 1"),
        ({"tape": with_cell(tape(True), "ask", 0, "1.1")}, r"'ask' row 0: .*, got '1.1'"),
        (
            {"spot": spot().astype(object).where(spot().index != spot().index[3], "101")},
            r"^spot row 3 \(index .*\): must be a number > 0 .*, got '101'$",
        ),
    ],
)
def test_every_column_names_its_first_bad_row(inputs: dict[str, Any], match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        local(**inputs)


@pytest.mark.parametrize(
    "column, row, value, reason",
    [
        ("right", 3, "X", "right_unknown"),
        ("price", 1, -1.0, "price_not_positive"),
        ("price", 2, np.nan, "price_not_positive"),
        ("size", 3, 0, "size_not_positive"),
    ],
)
def test_a_print_the_engine_cannot_use_is_counted_or_with_strict_refused(
    column: str, row: int, value: Any, reason: str
) -> None:
    # issue 14: such a print is a row not used (counted), not a file read wrongly (an error)
    bad = with_cell(tape(), column, row, value)
    src = local(tape=bad)
    counts = src.quality.set_index("reason")["count"]
    assert counts["used"] == 3 and counts[reason] == 1
    assert src.state.traded_contracts[-1].sum() == tape()["size"].sum() - tape()["size"][row]
    with pytest.raises(
        SchemaError, match=rf"strict=True: 1 of 4 prints .* {reason}: 1 \(first: tape row {row}\)"
    ):
        local(tape=bad, strict=True)


def test_what_the_engine_handles_is_still_taken() -> None:
    # NaN or infinite quotes (unusable) are classified as before
    quoted = with_cell(tape(True), "bid", 1, np.nan)
    quoted = with_cell(quoted, "ask", 3, np.inf)
    src = local(tape=quoted)
    assert src.state.classification.side.size == 4
    # numbers in object or nullable columns are numbers
    src = local(
        chain=chain().astype({"oi": object}),
        tape=tape().astype({"size": "Int64", "price": "Float64"}),
    )
    assert src.state.traded_contracts[-1].sum() == 10
    # a NaN spot price is a gap, forward-filled and reported (unchanged)
    gap = spot().where(spot().index != spot().index[1], np.nan)
    with pytest.warns(FlowframeWarning, match=r"1 of 4 prices are NaN or infinite"):
        report = local(spot=gap).report()
    assert report["reason"].tolist() == ["used", "unclassified", "spot_not_finite"]
    assert report["count"].tolist() == [4, 1, 1]  # the side-0 print: volume, no flow


def test_compute_session_checks_the_same_way() -> None:
    bad = with_cell(chain(), "iv", 3, np.inf)
    with pytest.raises(SchemaError, match=r"chain column 'iv' row 3"):
        compute_session(bad, tape(), spot(), symbol="SPX", expiration=DAY)


def test_checking_stays_vectorised(monkeypatch: pytest.MonkeyPatch) -> None:
    # numeric columns are checked as arrays: the cell-by-cell path (for object columns) is
    # never taken for a usual 200,000-print tape (no wall-clock threshold: see tests/bench)
    def cell_by_cell(value: object) -> bool:
        raise AssertionError("a numeric column was checked cell by cell")

    monkeypatch.setattr(core, "_is_number", cell_by_cell)
    n = 200_000
    rng = np.random.default_rng(0)
    big = pd.DataFrame(
        {
            "t": OPEN + pd.to_timedelta(np.sort(rng.integers(0, 23_400, n)), unit="s"),
            "strike": rng.choice([95.0, 100.0, 105.0], n),
            "right": pd.array(rng.choice(["C", "P"], n), dtype="str"),
            "price": rng.uniform(0.1, 2.0, n),
            "size": rng.integers(1, 50, n),
            "side": rng.choice([-1, 0, 1], n).astype(np.int8),
        }
    )
    _, checked_tape = check_inputs(chain(), big, spot())
    assert len(checked_tape) == n and checked_tape["size"].dtype == np.int64


# --------------------------------------------------------------------- any one cell (hypothesis)


junk = st.one_of(
    # wrong numbers of a plausible size: magnitudes near the float limits (1e300) pass the
    # checks and overflow in the greeks with a RuntimeWarning; bounding them is left to the
    # plausibility checks of real data
    st.floats(min_value=-1e12, max_value=1e12).filter(lambda x: x == 0 or abs(x) > 1e-9),
    st.sampled_from([np.nan, np.inf, -np.inf, -0.0, 1e-9]),
    st.integers(-(10**20), 10**20),
    st.sampled_from(["10", "abc", "", "C", "P", "1e3", "nan", "inf"]),
    st.sampled_from([None, True, False, np.True_, pd.NA, pd.NaT, np.int64(-1), np.float64(0)]),
    st.builds(lambda s: OPEN + pd.Timedelta(seconds=s), st.integers(-40_000, 40_000)),
)
CELLS = [("chain", column) for column in ("strike", "right", "oi", "iv")] + [
    ("tape", column) for column in ("t", "strike", "right", "price", "size", "side")
]
QUOTE_CELLS = [("quoted", column) for column in ("price", "bid", "ask")]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    where=st.sampled_from([*CELLS, *QUOTE_CELLS, ("spot", None)]),
    row=st.integers(0, 3),
    value=junk,
)
def test_one_bad_cell_is_taken_or_named(
    where: tuple[str, str | None], row: int, value: Any
) -> None:
    """Any one cell replaced: a valid session, or a SchemaError naming that cell, nothing else."""
    name, column = where
    inputs: dict[str, Any] = {}
    if name == "chain":
        inputs["chain"] = with_cell(chain(), str(column), row, value)
    elif name in ("tape", "quoted"):
        inputs["tape"] = with_cell(tape(name == "quoted"), str(column), row, value)
    else:
        path = spot().astype(object)
        path.iloc[row] = value
        inputs["spot"] = path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FlowframeWarning)  # a spot gap is reported
            src = local(**inputs)
            ff.series("SPX", bar="1m", minutes=390, source=src)
            ff.snapshot("SPX", source=src)
    except SchemaError as exc:
        message = str(exc)
        if name == "spot":
            assert re.match(rf"spot (row {row} |path has no finite price)", message), message
        else:
            what = "tape" if name == "quoted" else name
            assert message.startswith(f"{what} column {column!r} row {row}") or (
                column in ("strike", "right") and "twice" in message
            ), message
