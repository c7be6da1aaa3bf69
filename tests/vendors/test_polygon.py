"""ff.read_polygon: Polygon (Massive) options flat files in, one 0DTE session out.

The simulated SPX session is written as Polygon writes its flat files (tests/vendors/
flatfiles.py) and read back: the tape and the OI come through exactly, every row of another
root, another expiry or a corrected print is counted, and given the simulated IVs every
endpoint equals ff.Simulated's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flowframe as ff
from flowframe.errors import SchemaError
from flowframe.sources.engine.core import InputNote
from flowframe.sources.vendors import polygon
from flowframe.sources.vendors.polygon import _frames, read_polygon
from tests.vendors.common import with_sim_ivs
from tests.vendors.flatfiles import EXTRA, trades_frame, write_polygon

DAY = "2026-09-18"
DATE = dt.date(2026, 9, 18)
NOW = "14:45"
TAPE = ["t", "strike", "right", "price", "size", "bid", "ask"]
T0 = pd.Timestamp("2026-09-18 10:00", tz="America/New_York").value  # ns

ACTIONS = {
    "other_symbol": "an option of another underlying (root not SPX/SPXW): not read",
    "other_expiry": "expires on another date than the session's (not 0DTE): not read",
    "corrected_print": "a non-zero correction indicator (corrected or cancelled): not used",
    "root_not_traded": (
        "a root of the symbol with no print of the expiry in the session (the AM-settled "
        "monthly on its expiry day): not used"
    ),
}
UNITS = {"tape": "prints", "quotes": "quotes", "oi": "rows"}


@pytest.fixture(scope="module")
def sim() -> ff.Simulated:
    return ff.Simulated(seed=0, date=DAY, now=NOW)


@pytest.fixture(scope="module")
def market(sim: ff.Simulated) -> ff.Market:
    return sim.market("SPX")


@pytest.fixture(scope="module")
def files(market: ff.Market, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    directory = tmp_path_factory.mktemp("polygon")
    trades, quotes = write_polygon(market, directory)
    return trades, quotes, directory / "oi.csv"


@pytest.fixture(scope="module")
def frames(files: tuple[Path, Path, Path]) -> dict[str, Any]:
    trades, quotes, oi = files
    return _frames(trades, quotes, symbol="spx", oi=oi)


@pytest.fixture(scope="module")
def read(files: tuple[Path, Path, Path], market: ff.Market) -> ff.Market:
    trades, quotes, oi = files
    return read_polygon(trades, quotes, symbol="SPX", oi=oi, spot=market.spot)


def trades_df(*rows: tuple[str, float, int, float], correction: int = 0) -> pd.DataFrame:
    """Trades flat-file rows: (ticker, price, sip ns, size)."""
    return pd.DataFrame(
        {
            "ticker": [r[0] for r in rows],
            "conditions": 209,
            "correction": correction,
            "exchange": 302,
            "price": [r[1] for r in rows],
            "sip_timestamp": [r[2] for r in rows],
            "size": [r[3] for r in rows],
        }
    )


SMALL = trades_df(
    ("O:SPXW260918C06200000", 1.5, T0, 1),
    ("O:SPXW260918P06100000", 2.5, T0 + 1_000, 2),
    ("O:SPY260918C00600000", 0.5, T0 + 2_000, 3),
)


# ----------------------------------------------------------------------------- the frames


def test_the_tape_handed_over_is_the_simulated_tape(
    frames: dict[str, Any], market: ff.Market
) -> None:
    columns = ["t", "strike", "right", "price", "size"]
    pd.testing.assert_frame_equal(frames["trades"], market.tape.loc[:, columns])
    assert frames["trades"].dtypes.astype(str).tolist() == [
        "datetime64[ns, UTC]",
        "float64",
        "str",
        "float64",
        "int64",
    ]


def test_the_quotes_handed_over_are_each_prints_nbbo_one_ns_before_it(
    frames: dict[str, Any], market: ff.Market
) -> None:
    expected = market.tape.loc[:, ["t", "strike", "right", "bid", "ask"]].assign(
        t=market.tape["t"] - pd.Timedelta(1, "ns")
    )
    pd.testing.assert_frame_equal(frames["quotes"], expected)


def test_the_oi_handed_over_is_the_chains(frames: dict[str, Any], market: ff.Market) -> None:
    pd.testing.assert_frame_equal(frames["oi"], market.chain.loc[:, ["strike", "right", "oi"]])


def test_the_session_is_inferred_and_the_rest_named(frames: dict[str, Any]) -> None:
    assert frames["date"] == DATE
    assert frames["symbol"] == "SPX"
    assert frames["source"] == "polygon"
    assert frames["spot"] is None


def test_every_row_left_out_is_counted_once_by_reason(frames: dict[str, Any]) -> None:
    expected = [
        InputNote(kind, reason, count, UNITS[kind], ACTIONS[reason])
        for kind, file in (("tape", "trades"), ("quotes", "quotes"), ("oi", "oi"))
        for reason, count in EXTRA[file].items()
    ]
    assert frames["notes"] == expected


# ----------------------------------------------------------------------------- the market


def test_the_market_tape_is_the_simulated_tape_exactly(read: ff.Market, market: ff.Market) -> None:
    pd.testing.assert_frame_equal(read.tape.loc[:, TAPE], market.tape.loc[:, TAPE])


def test_the_market_oi_is_the_simulated_chains(read: ff.Market, market: ff.Market) -> None:
    got = read.chain.loc[:, ["strike", "right", "oi"]].sort_values(["strike", "right"])
    want = market.chain.loc[:, ["strike", "right", "oi"]].sort_values(["strike", "right"])
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
    )


def test_the_quality_report_counts_the_readers_rows(read: ff.Market) -> None:
    quality = read.quality
    assert quality.attrs["source"] == "polygon"
    for kind, file in (("tape", "trades"), ("quotes", "quotes"), ("oi", "oi")):
        for reason, count in EXTRA[file].items():
            row = quality.loc[(quality["input"] == kind) & (quality["reason"] == reason)]
            assert row[["count", "unit"]].values.tolist() == [[count, UNITS[kind]]]
    used = quality.loc[quality["reason"] == "used", "count"]
    assert used.tolist() == [len(read.tape)]


@pytest.fixture(scope="module")
def local(read: ff.Market, market: ff.Market) -> ff.Local:
    return ff.Local.from_market(with_sim_ivs(read, market), now=NOW)


@pytest.mark.parametrize(
    "method, params",
    [
        ("get_series", {"minutes": 390}),
        ("get_hedge_flow", {"side": "calls", "bar": "5m", "minutes": 390}),
        ("get_heatmap", {"metric": "gex", "minutes": 390}),
        ("get_snapshot", {}),
    ],
)
def test_given_the_simulated_ivs_every_payload_equals_simulated(
    local: ff.Local, sim: ff.Simulated, method: str, params: dict[str, object]
) -> None:
    assert getattr(local, method)("SPX", **params) == getattr(sim, method)("SPX", **params)


def test_without_spot_it_is_implied_from_the_quotes(market: ff.Market, tmp_path: Path) -> None:
    thin = dataclasses.replace(market, tape=market.tape.iloc[::20].reset_index(drop=True))
    trades, quotes = write_polygon(thin, tmp_path)
    built = read_polygon(trades, quotes, symbol="SPX", date=DAY)
    pd.testing.assert_frame_equal(built.tape.loc[:, TAPE], thin.tape.loc[:, TAPE])
    quality = built.quality.set_index(["input", "reason"])
    assert quality.loc[("spot", "spot_from_parity"), "unit"] == "seconds"
    assert quality.loc[("chain", "oi_missing"), "count"] == len(built.chain)
    assert isinstance(built.spot.index, pd.DatetimeIndex) and built.spot.index.tz is not None
    assert built.spot.notna().all()


# ----------------------------------------------------------------------------- inputs


def test_date_given_or_inferred_reads_the_same() -> None:
    inferred = _frames(SMALL, symbol="SPX")
    for date in (DAY, DATE, pd.Timestamp(DAY)):
        given = _frames(SMALL, symbol="SPX", date=date)
        pd.testing.assert_frame_equal(given["trades"], inferred["trades"])
        assert given["date"] == DATE


def test_a_list_of_files_reads_as_one(market: ff.Market, tmp_path: Path) -> None:
    rows = trades_frame(market).iloc[:5000]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv.gz"
    rows.iloc[:2000].to_csv(first, index=False)
    rows.iloc[2000:].to_csv(second, index=False)
    pd.testing.assert_frame_equal(
        _frames([first, second], symbol="SPX")["trades"], _frames(rows, symbol="SPX")["trades"]
    )


def test_chunks_read_as_the_whole_and_name_the_files_rows(
    market: ff.Market, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = trades_frame(market).iloc[:5000].reset_index(drop=True)
    path = tmp_path / "t.csv"
    rows.to_csv(path, index=False)
    whole = _frames(path, symbol="SPX")
    monkeypatch.setattr(polygon, "CHUNK_ROWS", 700)
    pd.testing.assert_frame_equal(_frames(path, symbol="SPX")["trades"], whole["trades"])
    rows["price"] = rows["price"].astype(object)
    rows.loc[3210, "price"] = "abc"
    rows.to_csv(path, index=False)
    with pytest.raises(SchemaError) as err:
        _frames(path, symbol="SPX")
    assert (
        str(err.value) == f"trades {str(path)!r} column 'price', row 3,210: 'abc' is not a number"
    )


def test_other_roots_starting_like_the_symbols_are_other_symbols() -> None:
    rows = trades_df(
        ("O:SPXW260918C06200000", 1.5, T0, 1),
        ("O:SPXL260918C00100000", 0.5, T0 + 1, 1),
        ("O:SPX260918C06200000", 1.6, T0 + 2, 1),
    )
    got = _frames(rows, symbol="SPX")
    assert got["trades"]["price"].tolist() == [1.5, 1.6]
    assert [(n.reason, n.count) for n in got["notes"]] == [("other_symbol", 1)]


def test_a_corrected_print_is_counted_not_used() -> None:
    rows = pd.concat(
        [SMALL, trades_df(("O:SPXW260918C06200000", 9.0, T0 + 5, 1), correction=1)],
        ignore_index=True,
    )
    got = _frames(rows, symbol="SPX")
    assert got["trades"]["price"].tolist() == [1.5, 2.5]
    assert [(n.reason, n.count) for n in got["notes"]] == [
        ("other_symbol", 1),
        ("corrected_print", 1),
    ]


def test_sizes_written_as_decimals_read_as_contracts() -> None:
    rows = SMALL.assign(size=[1.0, 2.0, 3.0])
    assert _frames(rows, symbol="SPX")["trades"]["size"].tolist() == [1, 2]
    assert _frames(rows, symbol="SPX")["trades"]["size"].dtype == np.int64


def test_open_interest_by_strike_and_right_passes_through() -> None:
    oi = pd.DataFrame({"strike": [6200, 6100], "right": ["C", "P"], "oi": [5, 7]})
    got = _frames(SMALL, symbol="SPX", oi=oi)["oi"]
    assert got.to_dict("list") == {"strike": [6200.0, 6100.0], "right": ["C", "P"], "oi": [5, 7]}
    assert got["oi"].dtype == np.int64


def test_open_interest_by_symbol_column() -> None:
    oi = pd.DataFrame({"symbol": ["SPXW  260918C06200000"], "open_interest": [4.0]})
    got = _frames(SMALL, symbol="SPX", oi=oi)["oi"]
    assert got.to_dict("list") == {"strike": [6200.0], "right": ["C"], "oi": [4]}


# ----------------------------------------------------------------------------- errors


def test_a_missing_column_is_named_with_the_columns_there_are(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as err:
        _frames(SMALL.drop(columns="sip_timestamp"), symbol="SPX")
    assert str(err.value) == (
        "trades DataFrame has no column 'sip_timestamp': it has 'ticker', 'conditions', "
        "'correction', 'exchange', 'price', 'size'; a Polygon options trades flat file has "
        "'ticker', 'sip_timestamp', 'price', 'size'"
    )
    path = tmp_path / "q.csv.gz"
    pd.DataFrame({"ticker": ["O:SPXW260918C06200000"], "bid": [1.0]}).to_csv(path, index=False)
    with pytest.raises(SchemaError) as err:
        _frames(SMALL, path, symbol="SPX")
    assert str(err.value) == (
        f"quotes {str(path)!r} has no column 'sip_timestamp', 'bid_price', 'ask_price': it "
        "has 'ticker', 'bid'; a Polygon options quotes flat file has 'ticker', "
        "'sip_timestamp', 'bid_price', 'ask_price'"
    )


def test_prints_on_two_dates_need_a_date() -> None:
    rows = pd.concat(
        [SMALL, trades_df(("O:SPXW260918C06200000", 1.0, T0 - 86_400 * 10**9, 1))],
        ignore_index=True,
    )
    with pytest.raises(ValueError) as err:
        _frames(rows, symbol="SPX")
    assert str(err.value) == (
        "date=None, but the SPX prints (roots SPX, SPXW) fall on 2 dates (America/New_York): "
        "2026-09-17 (1 print), 2026-09-18 (2 prints); pass date='YYYY-MM-DD' to choose the "
        "session (its 0DTE expiry)"
    )
    # given the date, the other day's print is handed over: the Market counts it (other_day)
    assert len(_frames(rows, symbol="SPX", date=DAY)["trades"]) == 3


def test_no_print_of_the_symbol() -> None:
    with pytest.raises(SchemaError) as err:
        _frames(SMALL, symbol="NDX")
    assert str(err.value) == (
        "trades hold no print of NDX's options (roots NDX, NDXP); the roots found are: "
        "SPXW (2 rows), SPY (1 row)"
    )


def test_no_print_of_the_expiry() -> None:
    with pytest.raises(SchemaError) as err:
        _frames(SMALL, symbol="SPX", date="2026-09-25")
    assert str(err.value) == (
        "trades hold no SPX option expiring on 2026-09-25 (0DTE): the SPX prints expire on "
        "2026-09-18 (2); pass the date the options expire and the tape was printed"
    )


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("price", "abc", "column 'price', row 1: 'abc' is not a number"),
        ("size", 2.5, "column 'size', row 1: 2.5 is not a whole number of contracts"),
        ("size", np.nan, "column 'size', row 1: nan is not a whole number of contracts"),
        (
            "sip_timestamp",
            T0 // 10**6,
            f"column 'sip_timestamp', row 1: {T0 // 10**6} is not nanoseconds since the epoch "
            "(it would fall before 1973); Polygon's flat files stamp SIP time in nanoseconds",
        ),
        (
            "ticker",
            "O:SPXW2609",
            "column 'ticker', row 1: 'O:SPXW2609' is not an OSI symbol (too short: 8 "
            "characters (after any 'O:' prefix); an OSI symbol has 16 to 21); expected one "
            "like 'O:SPXW260918C06200000'",
        ),
        ("ticker", None, "column 'ticker', row 1: None is empty"),
    ],
)
def test_a_cell_that_cannot_be_read_is_named(column: str, value: Any, message: str) -> None:
    rows = SMALL.astype({column: object})
    rows.loc[1, column] = value
    with pytest.raises(SchemaError) as err:
        _frames(rows, symbol="SPX")
    assert str(err.value) == f"trades DataFrame {message}"


def test_a_bad_cell_of_another_underlying_is_not_read() -> None:
    rows = SMALL.astype({"price": object})
    rows.loc[2, "price"] = "abc"  # the SPY row
    assert len(_frames(rows, symbol="SPX")["trades"]) == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"trades": 5},
            "trades must be a path to a Polygon flat file (.csv or .csv.gz), a list of paths, "
            "or a DataFrame; got int",
        ),
        ({"trades": "nowhere.csv.gz"}, "trades file 'nowhere.csv.gz' does not exist"),
        (
            {"date": "2026-13-01"},
            "date='2026-13-01' is not allowed; use a datetime.date or a 'YYYY-MM-DD' string "
            "(the session date, which is the 0DTE expiry)",
        ),
        ({"oi": "nowhere.csv"}, "oi file 'nowhere.csv' does not exist"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    args = {"trades": SMALL, **kwargs}
    with pytest.raises(ValueError) as err:
        _frames(args.pop("trades"), symbol="SPX", **args)
    assert str(err.value) == message


def test_open_interest_without_its_columns() -> None:
    with pytest.raises(SchemaError) as err:
        _frames(SMALL, symbol="SPX", oi=pd.DataFrame({"contract": ["x"], "oi": [1]}))
    assert str(err.value) == (
        "oi DataFrame must have one contract column, 'ticker' or 'symbol' (OCC symbols), or "
        "'strike' and 'right', and one of 'oi' or 'open_interest'; it has 'contract', 'oi'"
    )


def test_open_interest_given_twice_for_a_contract() -> None:
    oi = pd.DataFrame(
        {
            "ticker": ["O:SPXW260918C06200000", "O:SPY260918C00600000", "SPXW  260918C06200000"],
            "oi": [1, 2, 3],
        }
    )
    with pytest.raises(SchemaError) as err:
        _frames(SMALL, symbol="SPX", oi=oi)
    assert str(err.value) == (
        "oi DataFrame gives the contract 6200 C more than once (rows 0, 2); give one "
        "open-interest figure per contract"
    )


def test_open_interest_that_is_not_whole() -> None:
    oi = pd.DataFrame({"strike": [6200], "right": ["C"], "oi": [1.5]})
    with pytest.raises(SchemaError) as err:
        _frames(SMALL, symbol="SPX", oi=oi)
    assert str(err.value) == (
        "oi DataFrame column 'oi', row 0: 1.5 is not a whole number of contracts"
    )


def test_it_is_exported_at_the_top() -> None:
    assert ff.read_polygon is read_polygon
