"""ff.parse_occ: OSI option symbols, padded, compact and O:-prefixed, parsed in bulk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import flowframe as ff
from flowframe.sources.vendors.occ import OCC_COLUMNS, ROOTS, parse_occ, roots_of

EXPECTED = (
    "expected an OSI symbol like 'SPXW  260918C06200000', 'SPXW260918C06200000' or "
    "'O:SPXW260918C06200000'"
)

roots = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=6)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
rights = st.sampled_from("CP")
millis = st.integers(min_value=1, max_value=99_999_999)
forms = st.sampled_from(["padded", "compact", "polygon"])


def osi(root: str, date: dt.date, right: str, milli: int, form: str) -> str:
    tail = f"{date:%y%m%d}{right}{milli:08d}"
    if form == "padded":
        return f"{root:<6}{tail}"
    if form == "compact":
        return f"{root}{tail}"
    return f"O:{root}{tail}"


contracts = st.tuples(roots, dates, rights, millis, forms)


def test_the_three_spellings_read_alike() -> None:
    got = parse_occ(["SPXW  260918C06200000", "SPXW260918C06200000", "O:SPXW260918C06200000"])
    assert list(got.columns) == list(OCC_COLUMNS)
    assert got["root"].tolist() == ["SPXW"] * 3
    assert got["expiration"].tolist() == [pd.Timestamp("2026-09-18")] * 3
    assert got["right"].tolist() == ["C"] * 3
    assert got["strike"].tolist() == [6200.0] * 3


def test_dtypes() -> None:
    got = parse_occ(["O:SPX260918P05950500"])
    assert got.dtypes.to_dict() == {
        "root": pd.StringDtype(na_value=np.nan),
        "expiration": np.dtype("datetime64[ns]"),
        "right": pd.StringDtype(na_value=np.nan),
        "strike": np.dtype("float64"),
    }
    assert got.loc[0, "strike"] == 5950.5


def test_it_is_exported_at_the_top() -> None:
    assert ff.parse_occ is parse_occ


@pytest.mark.parametrize(
    "symbols, index",
    [
        ("SPXW260918C06200000", pd.RangeIndex(1)),
        (["SPXW260918C06200000", "SPX 260918P06100000"], pd.RangeIndex(2)),
        (np.array(["SPXW260918C06200000", "SPX 260918P06100000"]), pd.RangeIndex(2)),
        (pd.Index(["SPXW260918C06200000", "SPX 260918P06100000"]), pd.RangeIndex(2)),
        (
            pd.Series(["SPXW260918C06200000", "SPX 260918P06100000"], index=[10, 3]),
            pd.Index([10, 3]),
        ),
        (
            pd.Series(
                ["SPXW260918C06200000", "SPX 260918P06100000"], dtype="str", index=["a", "b"]
            ),
            pd.Index(["a", "b"]),
        ),
    ],
)
def test_inputs_and_the_index(symbols: object, index: pd.Index) -> None:
    got = parse_occ(symbols)  # type: ignore[arg-type]
    pd.testing.assert_index_equal(got.index, index, exact=False)
    assert got["root"].iloc[0] == "SPXW" and got["strike"].iloc[0] == 6200.0


def test_no_symbols_no_rows() -> None:
    got = parse_occ([])
    assert len(got) == 0 and list(got.columns) == list(OCC_COLUMNS)
    assert got["expiration"].dtype == np.dtype("datetime64[ns]")
    assert got["strike"].dtype == np.dtype("float64")


def test_a_repeated_symbol_parses_once_and_comes_back_everywhere() -> None:
    symbols = ["O:SPXW260918C06200000", "O:SPXW260918P06200000"] * 50_000
    got = parse_occ(symbols)
    assert len(got) == 100_000
    assert got["right"].iloc[::2].eq("C").all() and got["right"].iloc[1::2].eq("P").all()


@given(st.lists(contracts, min_size=1, max_size=30))
def test_property_every_spelling_parses_back_exactly(
    items: list[tuple[str, dt.date, str, int, str]],
) -> None:
    got = parse_occ([osi(*item) for item in items])
    assert got["root"].tolist() == [i[0] for i in items]
    assert got["expiration"].tolist() == [pd.Timestamp(i[1]) for i in items]
    assert got["right"].tolist() == [i[2] for i in items]
    assert got["strike"].tolist() == [i[3] / 1000 for i in items]


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "symbol, what",
    [
        ("SPXW261318C06200000", "the expiration's month is not 01 to 12"),
        ("SPXW260018C06200000", "the expiration's month is not 01 to 12"),
        ("SPXW260631C06200000", "the expiration's day is not a day of its month"),
        ("SPXW270229C06200000", "the expiration's day is not a day of its month"),
        ("SPXW260900C06200000", "the expiration's day is not a day of its month"),
        ("SPXW000132C06200000", "the expiration's day is not a day of its month"),
        ("SPXW2609X8C06200000", "the expiration YYMMDD is not 6 digits"),
        ("SPXW260918X06200000", "the right (after the date) is not 'C' or 'P'"),
        ("SPXW260918c06200000", "the right (after the date) is not 'C' or 'P'"),
        ("SPXW260918C062000.0", "the strike is not 8 digits"),
        ("SPXW260918C00000000", "the strike is zero"),
        (
            "260918C06200000",
            "too short: 15 characters (after any 'O:' prefix); an OSI symbol has 16 to 21",
        ),
        (
            "O:260918C06200000",
            "too short: 15 characters (after any 'O:' prefix); an OSI symbol has 16 to 21",
        ),
        (
            "SPXWEEK260918C06200000",
            "too long: 22 characters (after any 'O:' prefix); an OSI symbol has 16 to 21",
        ),
        ("      260918C06200000", "leading or trailing blanks"),
        (" SPX260918C06200000", "leading or trailing blanks"),
        ("SPX260918C06200000 ", "leading or trailing blanks"),
        (
            "spxw260918C06200000",
            "root must be 1 to 6 upper-case letters or digits (padded with spaces after it)",
        ),
        (
            "SP X260918C06200000",
            "root must be 1 to 6 upper-case letters or digits (padded with spaces after it)",
        ),
        ("SPX260918C06200000\x00", "contains a NUL character"),
        ("", "too short: 0 characters (after any 'O:' prefix); an OSI symbol has 16 to 21"),
    ],
)
def test_a_bad_symbol_is_named_with_its_position(symbol: str, what: str) -> None:
    symbols = ["SPXW260918C06200000", "SPXW260918P06200000", "SPXW  260918C06100000", symbol]
    with pytest.raises(ValueError) as err:
        parse_occ(symbols)
    assert str(err.value) == f"symbol at position 3 {symbol!r}: {what}; {EXPECTED}"


@pytest.mark.parametrize(
    "bad, what",
    [(None, "missing (NaN or None)"), (np.nan, "missing (NaN or None)"), (6200, "not a str (int)")],
)
def test_a_value_that_is_no_str(bad: object, what: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_occ(["SPXW260918C06200000", bad, "SPXW260918C06200000"])  # type: ignore[list-item]
    assert str(err.value) == f"symbol at position 1 {bad!r}: {what}; {EXPECTED}"


def test_a_missing_value_in_a_str_series() -> None:
    with pytest.raises(ValueError, match=r"^symbol at position 2 nan: missing \(NaN or None\)"):
        parse_occ(pd.Series(["SPXW260918C06200000", "SPXW260918C06200000", None], dtype="str"))


def test_the_first_bad_position_is_named_when_a_bad_symbol_repeats() -> None:
    symbols = ["SPXW260918C06200000", "BAD", "SPXW260918C06200000", "BAD", "WORSE"]
    with pytest.raises(ValueError, match=r"^symbol at position 1 'BAD': too short"):
        parse_occ(symbols)


def test_a_table_is_refused() -> None:
    with pytest.raises(ValueError, match="symbols must be one-dimensional"):
        parse_occ(np.array([["SPXW260918C06200000"]]))
    with pytest.raises(ValueError, match="symbols must be a str or a list"):
        parse_occ(6200)  # type: ignore[arg-type]


MUTATIONS: dict[str, Callable[[str, dt.date, str, int, str], str]] = {
    "month 13": lambda r, d, c, m, f: osi(r, d, c, m, f)[:-13] + "13" + osi(r, d, c, m, f)[-11:],
    "day 32": lambda r, d, c, m, f: osi(r, d, c, m, f)[:-11] + "32" + osi(r, d, c, m, f)[-9:],
    "right X": lambda r, d, c, m, f: osi(r, d, c, m, f)[:-9] + "X" + osi(r, d, c, m, f)[-8:],
    "strike with a letter": lambda r, d, c, m, f: osi(r, d, c, m, f)[:-1] + "Z",
    "root of 7": lambda r, d, c, m, f: osi("ABCDEFG", d, c, m, "compact"),
    "no root": lambda r, d, c, m, f: osi(r, d, c, m, "compact")[len(r) :],
    "lower-case root": lambda r, d, c, m, f: "x" + osi(r, d, c, m, "compact"),
}


@given(
    st.lists(contracts, min_size=0, max_size=10),
    contracts,
    st.sampled_from(sorted(MUTATIONS)),
    st.lists(contracts, min_size=0, max_size=5),
)
def test_property_a_malformed_symbol_raises_at_its_position(
    before: list[tuple[str, dt.date, str, int, str]],
    item: tuple[str, dt.date, str, int, str],
    mutation: str,
    after: list[tuple[str, dt.date, str, int, str]],
) -> None:
    bad = MUTATIONS[mutation](*item)
    symbols = [osi(*b) for b in before] + [bad] + [osi(*a) for a in after]
    with pytest.raises(ValueError) as err:
        parse_occ(symbols)
    message = str(err.value)
    assert message.startswith(f"symbol at position {len(before)} {bad!r}: ")
    assert message.endswith(EXPECTED)


# ----------------------------------------------------------------------------- roots


def test_the_roots_of_an_index_and_of_anything_else() -> None:
    assert ROOTS["SPX"] == ("SPX", "SPXW")
    assert roots_of("spx") == ("SPX", "SPXW")
    assert roots_of("NDX") == ("NDX", "NDXP")
    assert roots_of("SPY") == ("SPY",)
