"""ff.read_tape: any CSV, Parquet or DataFrame of option prints, in the engine's tape schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import flowframe as ff
from flowframe.errors import SchemaError
from flowframe.sources.vendors.tape import read_tape

DAY = "2026-09-18"
ET = "America/New_York"
OPEN = pd.Timestamp("2026-09-18 09:30", tz=ET)
ALLOWED = (
    "'t', 't_ns', 't_us', 't_ms', 't_s', 'strike', 'right', 'price', 'size', 'bid', 'ask', "
    "'side', 'expiration', 'occ'"
)
THEIRS = {
    "time": "t",
    "K": "strike",
    "cp": "right",
    "px": "price",
    "qty": "size",
    "bb": "bid",
    "bo": "ask",
    "aggressor": "side",
}


@pytest.fixture(scope="module")
def market() -> ff.Market:
    return ff.Simulated(seed=0, date=DAY).market("SPX")


@pytest.fixture(scope="module")
def sample(market: ff.Market) -> pd.DataFrame:
    """20,000 simulated prints, shuffled, under a vendor's own column names."""
    tape = market.tape.iloc[:20_000]
    theirs = tape.rename(columns={v: k for k, v in THEIRS.items()})
    return theirs.sample(frac=1.0, random_state=1).reset_index(drop=True)


def small(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "t": pd.to_datetime(["2026-09-18 13:30:02", "2026-09-18 13:30:01"], utc=True),
        "strike": [6200.0, 6100.0],
        "right": ["C", "P"],
        "price": [1.5, 2.5],
        "size": [1, 2],
    }
    base.update(columns)
    return pd.DataFrame({k: v for k, v in base.items() if v is not None})


# ----------------------------------------------------------------------------- round trips


def test_a_vendors_csv_reads_back_as_the_simulated_tape(
    sample: pd.DataFrame, market: ff.Market, tmp_path: Path
) -> None:
    path = tmp_path / "prints.csv.gz"
    sample.assign(time=sample["time"].dt.tz_convert(ET)).to_csv(path, index=False)
    got = read_tape(path, columns=THEIRS)
    pd.testing.assert_frame_equal(got, market.tape.iloc[:20_000].reset_index(drop=True))


def test_parquet_reads_back_as_the_simulated_tape(
    sample: pd.DataFrame, market: ff.Market, tmp_path: Path
) -> None:
    path = tmp_path / "prints.parquet"
    sample.to_parquet(path)
    got = read_tape(path, columns=THEIRS)
    pd.testing.assert_frame_equal(got, market.tape.iloc[:20_000].reset_index(drop=True))


def test_the_tape_read_makes_the_same_market(sample: pd.DataFrame, market: ff.Market) -> None:
    tape = read_tape(sample, columns=THEIRS)
    built = ff.Market.from_frames(
        symbol="SPX", chain=market.chain, tape=tape, spot=market.spot, expiration=DAY
    )
    pd.testing.assert_frame_equal(built.tape, market.tape.iloc[:20_000].reset_index(drop=True))


def test_dtypes_order_and_the_other_columns() -> None:
    frame = small(
        venue=["X", "Y"], t=None, when=["2026-09-18T09:30:02-04:00", "2026-09-18T09:30:01-04:00"]
    )
    got = read_tape(frame, columns={"when": "t"})
    assert list(got.columns) == ["t", "strike", "right", "price", "size", "venue"]
    assert got.dtypes.astype(str).tolist() == [
        "datetime64[ns, UTC]",
        "float64",
        "str",
        "float64",
        "int64",
        "str",
    ]
    assert got["venue"].tolist() == ["Y", "X"]  # sorted by t, the rows whole
    assert got["t"].tolist() == [
        pd.Timestamp("2026-09-18 13:30:01", tz="UTC"),
        pd.Timestamp("2026-09-18 13:30:02", tz="UTC"),
    ]


def test_an_occ_column_gives_the_contract() -> None:
    frame = small(strike=None, right=None, sym=["O:SPXW260918C06200000", "SPX   260918P06100000"])
    got = read_tape(frame, columns={"sym": "occ"})
    assert list(got.columns) == [
        "t",
        "strike",
        "right",
        "price",
        "size",
        "expiration",
        "root",
        "occ",
    ]
    assert got[["strike", "right", "root"]].values.tolist() == [
        [6100.0, "P", "SPX"],
        [6200.0, "C", "SPXW"],
    ]
    assert got["expiration"].tolist() == [pd.Timestamp(DAY)] * 2
    assert got["expiration"].dtype == np.dtype("datetime64[ns]")


def test_nothing_is_dropped_or_respelled() -> None:
    frame = small(
        right=["call", "banana"], price=[np.nan, -1.0], size=[np.nan, 0.0], side=[1, np.nan]
    )
    got = read_tape(frame)
    assert got["right"].tolist() == ["banana", "call"]
    assert got["price"].isna().tolist() == [False, True]
    assert got["size"].dtype == np.float64 and got["size"].isna().tolist() == [False, True]
    assert got["side"].dtype == np.float64


def test_sizes_and_sides_in_whole_numbers_are_integers() -> None:
    got = read_tape(small(size=[1.0, 2.0], side=[1.0, -1.0]))
    assert got["size"].dtype == np.int64 and got["side"].dtype == np.int8


# ----------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    "column, values",
    [
        ("t_ns", [1_789_738_202_000_000_000, 1_789_738_201_000_000_000]),
        ("t_us", [1_789_738_202_000_000, 1_789_738_201_000_000]),
        ("t_ms", [1_789_738_202_000, 1_789_738_201_000]),
        ("t_s", [1_789_738_202, 1_789_738_201]),
        ("t_s", [1_789_738_202.0, 1_789_738_201.0]),
    ],
)
def test_epoch_times_in_each_unit(column: str, values: list[float]) -> None:
    got = read_tape(small(t=None, epoch=values), columns={"epoch": column})
    assert got["t"].tolist() == [
        pd.Timestamp("2026-09-18 13:30:01", tz="UTC"),
        pd.Timestamp("2026-09-18 13:30:02", tz="UTC"),
    ]
    assert "epoch" not in got.columns and column not in got.columns


def test_naive_times_need_a_zone() -> None:
    frame = small(t=["2026-09-18 09:30:02", "2026-09-18 09:30:01"])
    with pytest.raises(ValueError) as err:
        read_tape(frame)
    assert str(err.value) == (
        "tape column 't' holds times without a time zone; pass tz= the zone they were "
        "written in (e.g. tz='America/New_York'): flowframe does not guess one"
    )
    got = read_tape(frame, tz=ET)
    assert got["t"].iloc[0] == pd.Timestamp("2026-09-18 13:30:01", tz="UTC")
    naive = frame.assign(t=pd.to_datetime(frame["t"]))
    assert read_tape(naive, tz=ET)["t"].tolist() == got["t"].tolist()


def test_times_of_day_need_a_date_and_a_zone() -> None:
    frame = small(t=None, clock=["09:30:02.250", "09:30:01"])
    with pytest.raises(ValueError) as err:
        read_tape(frame, columns={"clock": "t"}, tz=ET)
    assert str(err.value) == (
        "tape column 't' (from 'clock') holds times of day without a date; pass "
        "date='YYYY-MM-DD' (the session date) and tz= their zone (e.g. "
        "tz='America/New_York')"
    )
    with pytest.raises(ValueError, match="holds times of day without a time zone"):
        read_tape(frame, columns={"clock": "t"}, date=DAY)
    got = read_tape(frame, columns={"clock": "t"}, date=dt.date(2026, 9, 18), tz=ET)
    assert got["t"].tolist() == [
        pd.Timestamp("2026-09-18 13:30:01", tz="UTC"),
        pd.Timestamp("2026-09-18 13:30:02.250", tz="UTC"),
    ]
    clocks = pd.Series([dt.time(9, 30, 2, 250_000), dt.time(9, 30, 1)], dtype=object)
    objects = frame.assign(clock=clocks)
    got_objects = read_tape(objects, columns={"clock": "t"}, date=DAY, tz=ET)
    assert got_objects["t"].tolist() == got["t"].tolist()


def test_a_date_with_full_timestamps_is_refused() -> None:
    with pytest.raises(ValueError) as err:
        read_tape(small(), date=DAY)
    assert str(err.value) == (
        "date='2026-09-18' is for times of day only, and tape column 't' holds full "
        "timestamps; read_tape drops no print (Market.from_frames counts those of other "
        "days): leave date out"
    )


def test_numbers_in_t_need_a_unit() -> None:
    with pytest.raises(ValueError) as err:
        read_tape(small(t=[1_789_738_202, 1_789_738_201]))
    assert str(err.value) == (
        "tape column 't' holds numbers: epoch times need their unit; map the column onto "
        "'t_ns', 't_us', 't_ms', 't_s' instead of 't'"
    )


def test_mixed_zones_and_garbage() -> None:
    mixed = small(t=["2026-09-18T13:30:02Z", "2026-09-18T09:30:01-04:00"])
    assert read_tape(mixed)["t"].iloc[0] == pd.Timestamp("2026-09-18 13:30:01", tz="UTC")
    half = small(t=["2026-09-18T13:30:02Z", "2026-09-18 09:30:01"])
    with pytest.raises(SchemaError) as err:
        read_tape(half, tz=ET)
    assert str(err.value) == (
        "tape column 't' mixes times with and without a zone (row 1: '2026-09-18 09:30:01' "
        "has none); write them all one way"
    )
    garbage = small(t=["2026-09-18T13:30:02Z", "soon"])
    with pytest.raises(SchemaError) as err:
        read_tape(garbage)
    assert str(err.value) == (
        "tape column 't', row 1: 'soon' is not a time; write times as ISO 8601 "
        "('2026-09-18T09:30:00.123-04:00'), or map epoch numbers to 't_ns', 't_us', "
        "'t_ms', 't_s'"
    )


def test_a_bad_zone() -> None:
    with pytest.raises(ValueError) as err:
        read_tape(small(), tz="Mars/Olympus")
    assert str(err.value) == (
        "tz='Mars/Olympus' is not a time zone; pass an IANA name like 'America/New_York' or 'UTC'"
    )


ZONES = st.sampled_from(
    ["UTC", "America/New_York", "America/Chicago", "Europe/London", "Asia/Tokyo"]
)
INSTANTS = st.integers(min_value=946_684_800 * 10**9, max_value=4_102_444_799 * 10**9)


@given(st.lists(st.tuples(INSTANTS, ZONES), min_size=1, max_size=20))
def test_property_iso_times_in_any_zone_read_as_the_same_instants(
    items: list[tuple[int, str]],
) -> None:
    stamps = [pd.Timestamp(ns, tz="UTC").tz_convert(zone).isoformat() for ns, zone in items]
    frame = pd.DataFrame(
        {"when": stamps, "strike": 1.0, "right": "C", "price": 1.0, "size": np.int64(1)}
    )
    got = read_tape(frame, columns={"when": "t"})
    assert got["t"].array.asi8.tolist() == sorted(ns for ns, _ in items)


@given(st.lists(INSTANTS, min_size=1, max_size=20), st.sampled_from(["ns", "us", "ms", "s"]))
def test_property_epoch_integers_read_as_their_instants(values: list[int], unit: str) -> None:
    scale = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9}[unit]
    epoch = [v // scale for v in values]
    frame = pd.DataFrame(
        {"e": epoch, "strike": 1.0, "right": "C", "price": 1.0, "size": np.int64(1)}
    )
    got = read_tape(frame, columns={"e": f"t_{unit}"})
    assert got["t"].array.asi8.tolist() == sorted(e * scale for e in epoch)


# ----------------------------------------------------------------------------- the mapping


def test_a_mapping_of_a_column_that_is_not_there() -> None:
    with pytest.raises(ValueError) as err:
        read_tape(small(), columns={"px": "price"})
    assert str(err.value) == (
        "columns maps 'px', which the tape does not have; it has 't', 'strike', 'right', "
        "'price', 'size'"
    )


def test_a_mapping_onto_no_tape_column() -> None:
    with pytest.raises(ValueError) as err:
        read_tape(small(), columns={"price": "premium"})
    assert (
        str(err.value)
        == f"columns maps onto 'premium', which is no tape column; map onto {ALLOWED}"
    )


def test_a_missing_required_column_lists_what_there_is() -> None:
    frame = small(price=None, px=[1.0, 2.0])
    with pytest.raises(ValueError) as err:
        read_tape(frame)
    assert str(err.value) == (
        "the tape has no 'price' column: it has 't', 'strike', 'right', 'size', 'px'; map "
        f"theirs with columns={{'their name': 'our name'}} onto {ALLOWED}"
    )
    with pytest.raises(ValueError) as err:
        read_tape(frame.drop(columns=["strike", "t"]), columns={"px": "price"})
    assert str(err.value) == (
        "the tape has no 't', 'strike' column: it has 'right', 'size', 'price' (after the "
        "mapping {'px': 'price'}); map theirs with columns={'their name': 'our name'} onto "
        f"{ALLOWED}"
    )


@pytest.mark.parametrize(
    "frame, columns, message",
    [
        (
            small(px=[1.0, 2.0]),
            {"px": "price"},
            "columns maps a column onto 'price', which the tape already has under that name; "
            "map that one elsewhere, or drop it first",
        ),
        (
            small(px=[1.0, 2.0], price=None, p2=[1.0, 2.0]),
            {"px": "price", "p2": "price"},
            "columns maps more than one column onto 'price'; map one",
        ),
        (
            small(sym=["O:SPXW260918C06200000"] * 2),
            {"sym": "occ"},
            "the tape has both 'occ' and 'strike', 'right': the OSI symbol gives root, "
            "expiration, right and strike; map one or the other",
        ),
        (
            small(e=[1, 2]),
            {"e": "t_s"},
            "the tape has more than one time column ('t', 't_s'); map one",
        ),
    ],
)
def test_mappings_that_cannot_be_followed(
    frame: pd.DataFrame, columns: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError) as err:
        read_tape(frame, columns=columns)
    assert str(err.value) == message


def test_a_cell_that_is_no_number_or_no_symbol() -> None:
    with pytest.raises(SchemaError) as err:
        read_tape(small(qty=["1", "two"], size=None), columns={"qty": "size"})
    assert str(err.value) == (
        "tape column 'size' (from 'qty'), row 1: 'two' is not a number (the column's cells "
        "must all be numbers)"
    )
    frame = small(strike=None, right=None, sym=["O:SPXW260918C06200000", "O:SPXW260918X06200000"])
    with pytest.raises(
        SchemaError, match=r"^tape column 'occ' \(from 'sym'\): symbol at position 1 "
    ):
        read_tape(frame, columns={"sym": "occ"})


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match=r"tape file 'nowhere\.csv' does not exist"):
        read_tape("nowhere.csv")
    with pytest.raises(ValueError, match="data must be a path to a CSV"):
        read_tape(5)  # type: ignore[arg-type]


def test_it_is_exported_at_the_top() -> None:
    assert ff.read_tape is read_tape
