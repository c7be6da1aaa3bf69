"""Test helper: a simulated market written as Databento DBN files of OPRA, by Databento's encoder.

:func:`write_dbn` writes what a Databento user downloads for one 0DTE session of
``OPRA.PILLAR``: a ``definition`` file (one ``InstrumentDefMsg`` per listed contract, the OSI
symbol padded as OPRA sends it, ``"SPXW  260918C06200000"``), a trade file (``tbbo``: one
``MBP1Msg`` per print, action Trade, the aggressor's side, the NBBO just before the print as
level 0; or ``trades`` plus a ``cmbp-1``/``cbbo-1s`` quote file) and a ``statistics`` file (one
``OPEN_INTEREST`` ``StatMsg`` per contract). Every record is built by ``databento_dbn``'s own
record classes and ``Metadata.encode()``; the ``.zst`` files are Databento's ``Transcoder``
compressing that same stream.

With ``extras=True`` (the default) the files also carry what a real download of a whole root
does and a reader must count, not use (:data:`EXTRAS`): contracts of another root and of
another expiry (with prints and open interest), prints of an instrument id no definition
names, a stale open-interest figure later restated, and statistics that are not open interest.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from flowframe._constants import ET
from flowframe.sources.engine.inputs import Market

__all__ = ["DATASET", "EXTRAS", "FIRST_ID", "PUBLISHER", "osi", "write_dbn"]

DATASET: Final = "OPRA.PILLAR"
#: Databento's publisher id of OPRA's own (consolidated) records.
PUBLISHER: Final = 30
_SCALE: Final = 1_000_000_000  # DBN prices: fixed-point int64 at 1e-9
#: The instrument id of the chain's first contract (by default).
FIRST_ID: Final = 700_001
_PRINTS_PER_EXTRA: Final = 5

#: What ``extras=True`` adds beyond the market, by the reason a reader counts it.
EXTRAS: Final[dict[str, dict[str, int]]] = {
    # 2 contracts of another root, 2 of the root expiring another day: 5 prints and 1 OI each
    "definition": {"other_symbol": 2, "other_expiry": 2},
    "tape": {"other_symbol": 10, "other_expiry": 10, "no_definition": 3},
    "oi": {"other_symbol": 2, "other_expiry": 2, "superseded": 2, "not_open_interest": 3},
}


def _dbn() -> Any:
    """``databento_dbn``, untyped: its stubs disagree with it (a record's ``levels`` is one
    pair, not a list; enum members are typed as str)."""
    return importlib.import_module("databento_dbn")


def osi(root: str, expiry: dt.date, right: str, strike: float) -> str:
    """The padded OSI symbol OPRA sends: root in 6, ``YYMMDD``, right, strike x 1000 in 8."""
    return f"{root:<6}{expiry:%y%m%d}{right}{round(strike * 1000):08d}"


def _fixed(values: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(values, dtype=np.float64) * _SCALE).astype(np.int64)


def _other_root(symbol: str) -> str:
    return "QQQ" if symbol == "SPY" else "SPY"


def _option_root(symbol: str) -> str:
    """The root the 0DTE contracts trade under (SPX's dailies are SPXW)."""
    return {"SPX": "SPXW", "NDX": "NDXP", "RUT": "RUTW"}.get(symbol, symbol)


def _contracts(market: Market, extras: bool, first_id: int) -> pd.DataFrame:
    """Every contract the files define: the chain's, then the extras."""
    chain = market.chain
    frame = pd.DataFrame(
        {
            "root": _option_root(market.symbol),
            "expiry": market.date,
            "strike": chain["strike"].to_numpy(np.float64),
            "right": chain["right"].astype(str).to_numpy(),
            "oi": chain["oi"].to_numpy(np.int64),
            "kind": "chain",
        }
    )
    if extras:
        mid = float(chain["strike"].iloc[len(chain) // 4])
        later = market.date + dt.timedelta(days=3)
        spot = float(market.spot.iloc[0])
        rows = [
            (_option_root(market.symbol), later, mid, "C", 111, "other_expiry"),
            (_option_root(market.symbol), later, mid, "P", 222, "other_expiry"),
            (_other_root(market.symbol), market.date, round(spot / 10), "C", 333, "other_symbol"),
            (_other_root(market.symbol), market.date, round(spot / 10), "P", 444, "other_symbol"),
        ]
        extra = pd.DataFrame(rows, columns=frame.columns)
        frame = pd.concat([frame, extra], ignore_index=True)
    frame["instrument_id"] = first_id + np.arange(len(frame))
    return frame


def _metadata(schema: Any, day: dt.date, symbol: str, version: int) -> bytes:
    dbn = _dbn()

    start = pd.Timestamp(day, tz="UTC")
    meta = dbn.Metadata(
        dataset=DATASET,
        start=start.value,
        end=(start + pd.Timedelta(days=1)).value,
        stype_in=dbn.SType.PARENT,
        stype_out=dbn.SType.INSTRUMENT_ID,
        schema=schema,
        symbols=[f"{_option_root(symbol)}.OPT"],
        version=version,
    )
    encoded: bytes = meta.encode()
    return encoded


def _write(path: Path, chunks: Iterator[bytes], compress: bool) -> Path:
    dbn = _dbn()

    if not compress:
        with path.open("wb") as f:
            for chunk in chunks:
                f.write(chunk)
        return path
    out = io.BytesIO()
    transcoder = dbn.Transcoder(out, dbn.Encoding.DBN, dbn.Compression.ZSTD)
    for chunk in chunks:
        transcoder.write(chunk)
    transcoder.finish()
    path.write_bytes(out.getvalue())
    return path


def _batched(records: Iterator[bytes], size: int = 65_536) -> Iterator[bytes]:
    batch: list[bytes] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield b"".join(batch)
            batch = []
    if batch:
        yield b"".join(batch)


def _older_definition(version: int) -> tuple[Any, dict[str, Any]]:
    """A DBN version 1 or 2 definition class and a value for each of its (all required) fields."""
    dbn = _dbn()

    cls = dbn.v1.InstrumentDefMsg if version == 1 else dbn.v2.InstrumentDefMsg
    names = [n for n in str(cls.__text_signature__).strip("()").split(", ") if "=" not in n]
    texts = {"currency", "settl_currency", "secsubtype", "raw_symbol", "group", "exchange"}
    texts |= {"asset", "cfi", "security_type", "unit_of_measure", "underlying"}
    texts |= {"strike_price_currency"}
    defaults: dict[str, Any] = {n: "" if n in texts else 0 for n in names}
    defaults["match_algorithm"] = next(iter(dbn.MatchAlgorithm.variants()))
    defaults["user_defined_instrument"] = dbn.UserDefinedInstrument.NO
    return cls, defaults


def _definitions(
    contracts: pd.DataFrame, day: dt.date, version: int, osi_only: bool
) -> Iterator[bytes]:
    dbn = _dbn()

    sent = pd.Timestamp(dt.datetime.combine(day, dt.time(6, 0)), tz=ET).value
    cls, defaults = (dbn.InstrumentDefMsg, {}) if version == 3 else _older_definition(version)
    columns = [
        contracts[c].tolist() for c in ("root", "expiry", "strike", "right", "instrument_id")
    ]
    for root, expiry, strike, right, instrument_id in zip(*columns, strict=True):
        close = pd.Timestamp(dt.datetime.combine(expiry, dt.time(16, 0)), tz=ET).value
        fields = {
            **defaults,
            "publisher_id": PUBLISHER,
            "instrument_id": int(instrument_id),
            "ts_event": sent,
            "ts_recv": sent,
            "min_price_increment": _SCALE // 100,
            "display_factor": _SCALE,
            "raw_symbol": osi(str(root), expiry, str(right), float(strike)),
            "asset": str(root),
            "security_type": "",
            "instrument_class": dbn.InstrumentClass.CALL
            if right == "C"
            else dbn.InstrumentClass.PUT,
            "security_update_action": dbn.SecurityUpdateAction.ADD,
            "expiration": dbn.UNDEF_TIMESTAMP if osi_only else close,
            "strike_price": dbn.UNDEF_PRICE if osi_only else round(float(strike) * _SCALE),
            "underlying": str(root).removesuffix("W"),
            "contract_multiplier": 100,
            "currency": "USD",
        }
        yield bytes(cls(**fields))


def _statistics(
    contracts: pd.DataFrame, day: dt.date, extras: bool, version: int
) -> Iterator[bytes]:
    dbn = _dbn()

    at = pd.Timestamp(dt.datetime.combine(day, dt.time(6, 30)), tz=ET).value
    cls = dbn.StatMsg if version == 3 else dbn.v1.StatMsg  # v2 kept v1's statistics

    def stat(instrument_id: int, ts: int, quantity: int, kind: Any) -> bytes:
        record = cls(
            publisher_id=PUBLISHER,
            instrument_id=instrument_id,
            ts_event=ts,
            ts_recv=ts,
            ts_ref=dbn.UNDEF_TIMESTAMP,
            price=dbn.UNDEF_PRICE,
            quantity=quantity,
            stat_type=kind,
            update_action=dbn.StatUpdateAction.NEW,
        )
        return bytes(record)

    ids = contracts["instrument_id"].to_numpy()
    if extras:  # a stale figure for the first two contracts, restated below
        for i in (0, 1):
            yield stat(int(ids[i]), at - 60 * _SCALE, 987_654, dbn.StatType.OPEN_INTEREST)
    for instrument_id, oi in zip(ids.tolist(), contracts["oi"].tolist(), strict=True):
        yield stat(instrument_id, at, oi, dbn.StatType.OPEN_INTEREST)
    if extras:
        for i in (0, 1, 2):
            yield stat(int(ids[i]), at + _SCALE, 5_000, dbn.StatType.CLEARED_VOLUME)


def _prints(market: Market, contracts: pd.DataFrame, extras: bool, undefined: int) -> pd.DataFrame:
    """Every print the trade file carries, in time order: the tape's, then the extras'."""
    tape = market.tape
    chain = contracts.loc[contracts["kind"] == "chain"]
    key = pd.MultiIndex.from_arrays([chain["strike"], chain["right"]])
    rows = key.get_indexer(pd.MultiIndex.from_arrays([tape["strike"], tape["right"].astype(str)]))
    if (rows < 0).any():
        raise ValueError("the market's tape has a (strike, right) its chain does not list")
    t = tape["t"].array.as_unit("ns").asi8
    side = tape["side"].to_numpy() if "side" in tape.columns else np.zeros(len(tape), np.int8)
    frame = pd.DataFrame(
        {
            "t": t,
            "instrument_id": chain["instrument_id"].to_numpy()[rows],
            "price": _fixed(tape["price"].to_numpy()),
            "size": tape["size"].to_numpy(np.int64),
            "bid": _fixed(tape["bid"].to_numpy()),
            "ask": _fixed(tape["ask"].to_numpy()),
            "side": side,
        }
    )
    if extras:
        others = contracts.loc[contracts["kind"] != "chain", "instrument_id"].tolist()
        ids = [i for i in others for _ in range(_PRINTS_PER_EXTRA)] + [undefined] * 3
        step = (t[-1] - t[0]) // (len(ids) + 1)
        extra = pd.DataFrame(
            {
                "t": t[0] + step * np.arange(1, len(ids) + 1) + 7,
                "instrument_id": ids,
                "price": _SCALE,
                "size": 1,
                "bid": _SCALE * 9 // 10,
                "ask": _SCALE * 11 // 10,
                "side": 1,
            }
        )
        frame = pd.concat([frame, extra], ignore_index=True)
        frame = frame.iloc[np.argsort(frame["t"].to_numpy(), kind="stable")]
    return frame.reset_index(drop=True)


def _tbbo(prints: pd.DataFrame) -> Iterator[bytes]:
    dbn = _dbn()

    mbp1, pair = dbn.MBP1Msg, dbn.BidAskPair
    trade, buy, sell, none = dbn.Action.TRADE, dbn.Side.BID, dbn.Side.ASK, dbn.Side.NONE
    sides = {1: buy, -1: sell, 0: none}
    columns = [prints[c].tolist() for c in ("t", "instrument_id", "price", "size", "bid", "ask")]
    for seq, (t, iid, price, size, bid, ask, side) in enumerate(
        zip(*columns, prints["side"].tolist(), strict=True)
    ):
        record = mbp1(
            publisher_id=PUBLISHER,
            instrument_id=iid,
            ts_event=t,
            price=price,
            size=size,
            action=trade,
            side=sides[side],
            depth=0,
            ts_recv=t,
            flags=dbn.F_LAST,
            sequence=seq,
            levels=pair(bid_px=bid, ask_px=ask, bid_sz=10, ask_sz=10),
        )
        yield bytes(record)


def _trades(prints: pd.DataFrame) -> Iterator[bytes]:
    dbn = _dbn()

    trade_msg, trade = dbn.TradeMsg, dbn.Action.TRADE
    sides = {1: dbn.Side.BID, -1: dbn.Side.ASK, 0: dbn.Side.NONE}
    columns = [prints[c].tolist() for c in ("t", "instrument_id", "price", "size", "side")]
    for seq, (t, iid, price, size, side) in enumerate(zip(*columns, strict=True)):
        record = trade_msg(
            publisher_id=PUBLISHER,
            instrument_id=iid,
            ts_event=t,
            price=price,
            size=size,
            action=trade,
            side=sides[side],
            depth=0,
            ts_recv=t,
            flags=dbn.F_LAST,
            sequence=seq,
        )
        yield bytes(record)


def _quotes(prints: pd.DataFrame, schema: str) -> Iterator[bytes]:
    """One consolidated quote update per print, 1 ns before it: the NBBO the print met."""
    dbn = _dbn()

    pair = dbn.ConsolidatedBidAskPair
    columns = [prints[c].tolist() for c in ("t", "instrument_id", "bid", "ask")]
    for t, iid, bid, ask in zip(*columns, strict=True):
        levels = pair(bid_px=bid, ask_px=ask, bid_sz=10, ask_sz=10, bid_pb=PUBLISHER)
        record: Any
        if schema == "cmbp-1":
            record = dbn.CMBP1Msg(
                rtype=dbn.RType.CMBP_1,
                publisher_id=PUBLISHER,
                instrument_id=iid,
                ts_event=t - 1,
                price=bid,
                size=10,
                action=dbn.Action.ADD,
                side=dbn.Side.BID,
                ts_recv=t - 1,
                flags=dbn.F_LAST,
                levels=levels,
            )
        else:
            record = dbn.CBBOMsg(
                rtype=dbn.RType.CBBO_1S,
                publisher_id=PUBLISHER,
                instrument_id=iid,
                ts_event=t - 1,
                price=dbn.UNDEF_PRICE,
                size=0,
                side=dbn.Side.NONE,
                ts_recv=t - 1,
                flags=dbn.F_LAST,
                levels=levels,
            )
        yield bytes(record)


def write_dbn(
    market: Market,
    directory: str | Path,
    *,
    compress: bool = False,
    extras: bool = True,
    trades: Literal["tbbo", "trades"] = "tbbo",
    quotes: Literal["cmbp-1", "cbbo-1s"] = "cmbp-1",
    version: Literal[1, 2, 3] = 3,
    first_id: int = FIRST_ID,
    osi_only: bool = False,
) -> list[Path]:
    """Write ``market`` as OPRA DBN files (Databento's encoder) in ``directory``.

    Parameters
    ----------
    market : Market
        A session with a tape carrying ``bid``/``ask`` (and ``side``, the aggressor's, written
        as the record's side: ``B`` buy, ``A`` sell, ``N`` none), e.g. the simulator's.
    directory : str or Path
        Created if missing.
    compress : bool, default False
        Write ``.dbn.zst`` (Zstandard, by Databento's ``Transcoder``) instead of ``.dbn``.
    extras : bool, default True
        Add the rows a reader must count and not use (see :data:`EXTRAS`).
    trades : {"tbbo", "trades"}, default "tbbo"
        ``tbbo``: one file of prints with their NBBO. ``trades``: the prints alone, and a
        quote file (schema ``quotes``) with each print's NBBO 1 ns before it.
    quotes : {"cmbp-1", "cbbo-1s"}, default "cmbp-1"
        The quote file's schema when ``trades="trades"``.
    version : {1, 2, 3}, default 3
        The DBN version (1 and 2 lay definitions and statistics out differently).
    first_id : int
        The instrument id of the chain's first contract; the others follow.
    osi_only : bool, default False
        Leave the definitions' ``strike_price`` and ``expiration`` undefined, as some
        publishers do: only the OSI symbol then says them.

    Returns
    -------
    list of Path
        Definitions, trades (then quotes), statistics, named as Databento names them
        (``opra-pillar-20260918.tbbo.dbn.zst``).
    """
    dbn = _dbn()

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    day, symbol = market.date, market.symbol
    suffix = ".dbn.zst" if compress else ".dbn"
    stem = f"opra-pillar-{day:%Y%m%d}"
    contracts = _contracts(market, extras, first_id)
    prints = _prints(market, contracts, extras, undefined=first_id - 1)

    def file(schema: Any, records: Iterator[bytes]) -> Path:
        path = folder / f"{stem}.{schema}{suffix}"
        chunks = itertools.chain([_metadata(schema, day, symbol, version)], _batched(records))
        return _write(path, chunks, compress)

    paths = [file(dbn.Schema.DEFINITION, _definitions(contracts, day, version, osi_only))]
    if trades == "tbbo":
        paths.append(file(dbn.Schema.TBBO, _tbbo(prints)))
    else:
        paths.append(file(dbn.Schema.TRADES, _trades(prints)))
        paths.append(file(dbn.Schema.from_str(quotes), _quotes(prints, quotes)))
    paths.append(file(dbn.Schema.STATISTICS, _statistics(contracts, day, extras, version)))
    return paths
