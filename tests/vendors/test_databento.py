"""ff.read_databento: OPRA DBN files (written by Databento's own encoder) to an ff.Market.

The simulated SPX session of 2026-09-18 is written as the files a Databento user downloads
(definition, tbbo, statistics; plain and Zstandard) with rows of other roots and expiries
mixed in, and read back: the tape and open interest come through exactly, what is not kept is
counted, and a source over the market serves what ff.Simulated serves.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flowframe as ff
from flowframe.sources.engine.market import generate_market
from flowframe.sources.vendors.databento import _frames, read_databento
from tests.vendors.common import with_sim_ivs
from tests.vendors.dbn import EXTRAS, FIRST_ID, write_dbn

DAY = "2026-09-18"
DATE = dt.date(2026, 9, 18)
NOW = "14:45"
TAPE = ["t", "strike", "right", "price", "size", "bid", "ask"]
OI = ["strike", "right", "oi"]


@pytest.fixture(scope="module")
def sim() -> ff.Simulated:
    return ff.Simulated(seed=0, date=DAY, now=NOW)


@pytest.fixture(scope="module")
def market(sim: ff.Simulated) -> ff.Market:
    return sim.market("SPX")


@pytest.fixture(scope="module")
def files(market: ff.Market, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return {
        "plain": write_dbn(market, tmp_path_factory.mktemp("plain")),
        "zstd": write_dbn(market, tmp_path_factory.mktemp("zstd"), compress=True),
    }


@pytest.fixture(scope="module")
def small() -> ff.Market:
    """A 2% SPX session, for everything but the full-size round trips."""
    return generate_market("SPX", DAY, 0, scale=0.02)


@pytest.fixture(scope="module")
def small_files(small: ff.Market, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_dbn(small, tmp_path_factory.mktemp("small"))


def on_the_price_grid(market: ff.Market) -> pd.DataFrame:
    """The tape as a fixed-point file holds it: prices to 1e-9, read back as the nearest float.

    The simulator's mid prints are ``0.5 * (bid + ask)``, which can be one ulp off the decimal
    mid (43.65 computed as 43.650000000000006): a DBN price is that decimal, to 1e-9.
    """
    tape = market.tape.loc[:, TAPE].copy()
    tape["price"] = np.rint(tape["price"].to_numpy() * 1e9).astype(np.int64) / 1e9
    return tape


def chain_oi(market: ff.Market) -> pd.DataFrame:
    """The chain's open interest by (strike, right), as int64 (a checked chain holds floats)."""
    oi = market.chain.loc[:, OI].sort_values(["strike", "right"], ignore_index=True)
    return oi.astype({"oi": np.int64})


def quality(market: ff.Market) -> dict[tuple[str, str], int]:
    q = market.quality
    return {(i, r): int(c) for i, r, c in zip(q["input"], q["reason"], q["count"], strict=True)}


# ------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("kind", ["plain", "zstd"])
def test_the_tape_and_open_interest_read_back_exactly(
    files: dict[str, list[Path]], market: ff.Market, kind: str
) -> None:
    frames = _frames(*files[kind], symbol="SPX")
    assert frames["date"] == DATE and frames["symbol"] == "SPX"
    pd.testing.assert_frame_equal(frames["trades"], on_the_price_grid(market), check_exact=True)
    pd.testing.assert_frame_equal(frames["oi"], chain_oi(market), check_exact=True)
    assert frames["quotes"] is None and frames["source"] == "databento"
    # the only change is the decimal a mid print is: at most one ulp
    gap = np.abs(frames["trades"]["price"].to_numpy() - market.tape["price"].to_numpy())
    assert np.all(gap <= np.spacing(market.tape["price"].to_numpy()))


@pytest.mark.parametrize("kind", ["plain", "zstd"])
def test_the_market_holds_the_tape_the_oi_and_counts_what_was_not_kept(
    files: dict[str, list[Path]], market: ff.Market, kind: str
) -> None:
    built = read_databento(*files[kind], symbol="SPX", spot=market.spot)
    pd.testing.assert_frame_equal(built.tape.loc[:, TAPE], on_the_price_grid(market))
    pd.testing.assert_frame_equal(chain_oi(built), chain_oi(market), check_exact=True)
    counts = quality(built)
    for input_, reasons in (("definitions", EXTRAS["definition"]), ("tape", EXTRAS["tape"])):
        for reason, count in reasons.items():
            assert counts[(input_, reason)] == count, (input_, reason)
    for reason, count in EXTRAS["oi"].items():
        assert counts[("statistics", reason)] == count, reason
    assert counts[("tape", "used")] == len(market.tape)
    assert built.quality.attrs["source"] == "databento"
    assert (built.symbol, built.date, built.expiration) == ("SPX", DATE, DAY)


PAYLOADS = [
    ("get_series", {"minutes": 390}),
    ("get_hedge_flow", {"minutes": 390}),
    ("get_heatmap", {"minutes": 390}),
    ("get_strike_flow", {"minutes": 390}),
    ("get_snapshot", {}),
]


@pytest.fixture(scope="module")
def from_dbn(files: dict[str, list[Path]], market: ff.Market) -> ff.Local:
    built = read_databento(*files["zstd"], symbol="SPX", spot=market.spot)
    return ff.Local.from_market(with_sim_ivs(built, market), now=NOW)


def test_given_the_simulated_ivs_every_payload_equals_the_simulators_inputs(
    from_dbn: ff.Local, market: ff.Market
) -> None:
    """Against the simulator's chain, tape (on the DBN price grid) and spot, every payload."""
    reference = ff.Local(
        chain=market.chain,
        tape=on_the_price_grid(market),
        spot=market.spot,
        symbol="SPX",
        expiration=DAY,
        now=NOW,
    )
    for method, params in PAYLOADS:
        mine = getattr(from_dbn, method)("SPX", **params)
        assert mine == getattr(reference, method)("SPX", **params), method


def test_given_the_simulated_ivs_every_payload_equals_simulated(
    from_dbn: ff.Local, sim: ff.Simulated
) -> None:
    # a mid print read back from DBN's fixed-point price is the decimal, one float step off
    # 0.5 * (bid + ask) for about 2% of prints: the quote rule's AT_MID tolerance reads it as
    # a mid print, as the simulator meant
    for method, params in PAYLOADS:
        assert getattr(from_dbn, method)("SPX", **params) == getattr(sim, method)(
            "SPX", **params
        ), method


# ------------------------------------------------------------------------------ variants


@pytest.mark.parametrize(
    "options",
    [
        {"trades": "trades", "quotes": "cmbp-1"},
        {"trades": "trades", "quotes": "cbbo-1s", "compress": True},
        {"version": 1},
        {"version": 2},
        {"osi_only": True},
    ],
    ids=["trades+cmbp-1", "trades+cbbo-1s", "dbn-v1", "dbn-v2", "osi-only"],
)
def test_every_layout_reads_the_same_session(
    small: ff.Market, tmp_path: Path, options: dict[str, object]
) -> None:
    """Trades plus a quote file, DBN versions 1 and 2, definitions without strike/expiration."""
    paths = write_dbn(small, tmp_path, **options)  # type: ignore[arg-type]
    built = read_databento(*paths, symbol="SPX", spot=small.spot)
    pd.testing.assert_frame_equal(built.tape.loc[:, TAPE], on_the_price_grid(small))
    pd.testing.assert_frame_equal(chain_oi(built), chain_oi(small), check_exact=True)


def test_separate_quotes_are_handed_over_sorted(small: ff.Market, tmp_path: Path) -> None:
    paths = write_dbn(small, tmp_path, trades="trades", quotes="cmbp-1")
    frames = _frames(*paths, symbol="SPX")
    assert list(frames["trades"].columns) == ["t", "strike", "right", "price", "size"]
    quotes = frames["quotes"]
    assert list(quotes.columns) == ["t", "strike", "right", "bid", "ask"]
    assert quotes["t"].is_monotonic_increasing and len(quotes) == len(small.tape)
    assert (quotes["t"] == small.tape["t"] - pd.Timedelta(1, "ns")).all()


def test_a_directory_reads_as_its_files_in_any_order(
    small: ff.Market, small_files: list[Path]
) -> None:
    by_dir = _frames(small_files[0].parent, symbol="spx")
    reversed_ = _frames(*reversed(small_files), symbol="SPX", date=DAY)
    for frames in (by_dir, reversed_):
        pd.testing.assert_frame_equal(frames["trades"], on_the_price_grid(small))
        pd.testing.assert_frame_equal(frames["oi"], chain_oi(small))


def test_another_date_keeps_that_expiry_and_counts_the_session(
    small: ff.Market, small_files: list[Path]
) -> None:
    later = DATE + dt.timedelta(days=3)  # the extra SPXW contracts expire then
    frames = _frames(*small_files, symbol="SPX", date=later)
    assert frames["date"] == later and len(frames["trades"]) == EXTRAS["tape"]["other_expiry"]
    notes = {(n.input, n.reason): n.count for n in frames["notes"]}
    assert notes[("tape", "other_expiry")] == len(small.tape)


def test_another_symbol_keeps_its_own_roots(small_files: list[Path]) -> None:
    frames = _frames(*small_files, symbol="SPY")  # the extras hold two SPY contracts
    assert len(frames["trades"]) == EXTRAS["tape"]["other_symbol"]
    assert set(frames["trades"]["right"]) == {"C", "P"}
    assert frames["oi"]["oi"].tolist() == [333, 444]


# ------------------------------------------------------------------------------ errors


def test_without_databento_the_error_names_the_extra(
    small_files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "databento", None)
    with pytest.raises(ImportError, match=r"pip install 'flowframe\[databento\]'"):
        read_databento(*small_files, symbol="SPX")


def test_without_a_definition_file_the_error_says_so(small_files: list[Path]) -> None:
    with pytest.raises(ValueError, match=r"no 'definition' file.*tbbo.*statistics"):
        read_databento(*small_files[1:], symbol="SPX")


def test_prints_on_several_dates_need_a_date(small: ff.Market, tmp_path: Path) -> None:
    other = generate_market("SPX", "2026-09-17", 0, scale=0.01)
    paths = write_dbn(small, tmp_path / "a") + write_dbn(
        other, tmp_path / "b", first_id=FIRST_ID + 10_000
    )
    with pytest.raises(ValueError, match=r"2 dates.*2026-09-17, 2026-09-18; pass date="):
        read_databento(*paths, symbol="SPX")
    frames = _frames(*paths, symbol="SPX", date="2026-09-17")
    notes = {(n.input, n.reason): n.count for n in frames["notes"]}
    assert len(frames["trades"]) == len(other.tape)
    assert notes[("tape", "other_expiry")] == len(small.tape) + 2 * EXTRAS["tape"]["other_expiry"]


def test_unusable_file_sets_are_refused(small: ff.Market, tmp_path: Path) -> None:
    tbbo = write_dbn(small, tmp_path / "tbbo")
    trades = write_dbn(small, tmp_path / "trades", trades="trades")
    definition, _, quotes, statistics = trades
    with pytest.raises(ValueError, match=r"'trades' file has no quotes.*cmbp-1"):
        read_databento(definition, trades[1], statistics, symbol="SPX")
    with pytest.raises(ValueError, match="both 'trades' and 'tbbo'"):
        read_databento(*tbbo, trades[1], quotes, symbol="SPX")
    with pytest.raises(ValueError, match="no prints among the files"):
        read_databento(definition, statistics, symbol="SPX")
    with pytest.raises(ValueError, match="needs files"):
        read_databento(symbol="SPX")


def test_files_that_are_not_opra_dbn_are_refused(small_files: list[Path], tmp_path: Path) -> None:
    dbn: Any = importlib.import_module("databento_dbn")  # its stubs type enums as str

    text = tmp_path / "notes.dbn"
    text.write_text("ts_event,price\n1,2\n")
    with pytest.raises(ValueError, match=r"notes\.dbn' is not a DBN file"):
        read_databento(text, *small_files, symbol="SPX")
    with pytest.raises(FileNotFoundError, match=r"missing\.dbn"):
        read_databento(tmp_path / "missing.dbn", *small_files, symbol="SPX")

    def header(dataset: str, schema: object) -> Path:
        path = tmp_path / f"{dataset}.{schema}.dbn"
        meta = dbn.Metadata(
            dataset=dataset,
            start=0,
            stype_in=dbn.SType.RAW_SYMBOL,
            stype_out=dbn.SType.INSTRUMENT_ID,
            schema=schema,
        )
        path.write_bytes(meta.encode())
        return path

    with pytest.raises(ValueError, match=r"dataset 'XNAS\.ITCH'.*'OPRA\.PILLAR'"):
        read_databento(header("XNAS.ITCH", dbn.Schema.TRADES), *small_files, symbol="SPX")
    with pytest.raises(ValueError, match=r"schema 'ohlcv-1m'.*does not read; use definition"):
        read_databento(header("OPRA.PILLAR", dbn.Schema.OHLCV_1M), *small_files, symbol="SPX")


def test_strict_refuses_prints_without_a_definition(small_files: list[Path]) -> None:
    with pytest.raises(ValueError, match="strict=True: 3 prints name an instrument id"):
        _frames(*small_files, symbol="SPX", strict=True)


def test_a_symbol_without_prints_and_bad_arguments_are_refused(small_files: list[Path]) -> None:
    with pytest.raises(ValueError, match="no print of QQQ's options"):
        _frames(*small_files, symbol="QQQ")
    with pytest.raises(ValueError, match="symbol"):
        _frames(*small_files, symbol="")
    with pytest.raises(ValueError, match="expiry='18/09/2026' is not allowed"):
        _frames(*small_files, symbol="SPX", date="18/09/2026")
    with pytest.raises(ValueError, match="paths must be file or directory paths"):
        _frames(42, symbol="SPX")  # type: ignore[arg-type]


def test_open_interest_takes_the_last_figure_before_the_close(
    small: ff.Market, small_files: list[Path], tmp_path: Path
) -> None:
    """Deleted, empty and after-close figures are not used; two roots' figures are added."""
    dbn: Any = importlib.import_module("databento_dbn")
    definition, tbbo, _ = small_files
    first = small.chain.iloc[0]  # the monthly SPX root lists the same strike and right
    am = FIRST_ID - 100
    open_ns = pd.Timestamp(f"{DAY} 06:30", tz="America/New_York").value
    close_ns = pd.Timestamp(f"{DAY} 16:00", tz="America/New_York").value

    def write(path: Path, schema: object, records: list[Any]) -> Path:
        meta = dbn.Metadata(
            dataset="OPRA.PILLAR",
            start=open_ns,
            stype_in=dbn.SType.RAW_SYMBOL,
            stype_out=dbn.SType.INSTRUMENT_ID,
            schema=schema,
        )
        path.write_bytes(meta.encode() + b"".join(bytes(r) for r in records))
        return path

    monthly = dbn.InstrumentDefMsg(
        publisher_id=30,
        instrument_id=am,
        ts_event=open_ns,
        ts_recv=open_ns,
        min_price_increment=50_000_000,
        display_factor=1_000_000_000,
        raw_symbol=f"SPX   260918{first['right']}{round(first['strike'] * 1000):08d}",
        asset="SPX",
        security_type="",
        instrument_class=dbn.InstrumentClass.CALL,
        security_update_action=dbn.SecurityUpdateAction.ADD,
        expiration=close_ns,
        strike_price=round(first["strike"] * 1e9),
    )

    def stat(instrument_id: int, ts: int, quantity: int, action: Any = None) -> Any:
        return dbn.StatMsg(
            publisher_id=30,
            instrument_id=instrument_id,
            ts_event=ts,
            ts_recv=ts,
            ts_ref=dbn.UNDEF_TIMESTAMP,
            price=dbn.UNDEF_PRICE,
            quantity=quantity,
            stat_type=dbn.StatType.OPEN_INTEREST,
            update_action=action or dbn.StatUpdateAction.NEW,
        )

    ids = [FIRST_ID + i for i in range(4)]
    records = [
        stat(am, open_ns, 7),  # added to the SPXW figure of the same contract
        stat(ids[0], open_ns, 100),
        stat(ids[1], open_ns, 200),
        stat(ids[1], open_ns + 1, 0, dbn.StatUpdateAction.DELETE),  # deleted: none
        stat(ids[2], open_ns, 300),
        stat(ids[2], open_ns + 2, dbn.UNDEF_STAT_QUANTITY),  # no quantity: 300 stands
        stat(ids[3], open_ns, 400),
        stat(ids[3], close_ns, 999),  # after the close: 400 stands
    ]
    paths = [
        definition,
        write(tmp_path / "monthly.definition.dbn", dbn.Schema.DEFINITION, [monthly]),
        tbbo,
        write(tmp_path / "oi.statistics.dbn", dbn.Schema.STATISTICS, records),
    ]
    frames = _frames(*paths, symbol="SPX")
    chain = small.chain.loc[:3, ["strike", "right"]]
    got = chain.merge(frames["oi"], on=["strike", "right"], how="left")["oi"]
    assert got.fillna(-1).tolist() == [107, -1, 300, 400]
    notes = {(n.input, n.reason): n.count for n in frames["notes"]}
    assert notes[("statistics", "deleted")] == 1
    assert notes[("statistics", "no_quantity")] == 1
    assert notes[("statistics", "after_close")] == 1
    assert notes[("statistics", "superseded")] == 1  # the 200 the deletion replaced
    assert notes[("statistics", "summed")] == 1
