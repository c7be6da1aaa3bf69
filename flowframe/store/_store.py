"""``ff.Store``: one directory holding recorded bodies, engine inputs and computed results."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import pandas as pd
import xarray as xr

from flowframe._version import __version__
from flowframe.errors import FlowframeWarning, SchemaError
from flowframe.store import _bodies, _layout, _schema
from flowframe.store._layout import FORMAT, KINDS, MANIFEST, STORE_FILE

if TYPE_CHECKING:
    from flowframe.sources.engine.inputs import Market

__all__ = ["Store"]

Kind = Literal["bodies", "market", "results"]
Result = pd.DataFrame | xr.DataArray | xr.Dataset

#: The files of a market partition: the frame each holds.
_MARKET_FILES: Final = ("chain", "tape", "spot", "quality", "events")
_PARTITION_COLUMNS: Final = (
    "kind",
    "name",
    "date",
    "symbol",
    "type",
    "source",
    "params",
    "records",
    "torn",
    "sha256",
    "flowframe_version",
    "format",
    "created",
    "updated",
    "path",
)


class Store:
    """One directory holding everything flowframe keeps, in one documented layout.

    Three kinds of partition, each a directory per session date and symbol with a JSON
    manifest (``_manifest.json``: flowframe version, store format, source, parameters, the
    sha256 of the stored files, created / updated times):

    - ``bodies/date=D/symbol=S/``: recorded hosted bodies, exactly as received, one
      gzip-compressed JSON-lines file per endpoint, appended to;
    - ``market/date=D/symbol=S/``: a :class:`~flowframe.Market` (chain, tape, spot, quality,
      events) as Parquet;
    - ``results/NAME/date=D/symbol=S/``: a computed result, a DataFrame as Parquet
      (``data.parquet``) or an xarray object as Zarr (``data.zarr``).

    The full layout and the format policy are in ``flowframe/store/LAYOUT.md``.

    Parameters
    ----------
    path : str or os.PathLike
        The store's root directory. Created (with ``store.json``) when it does not exist or
        is empty.

    Raises
    ------
    ValueError
        ``path`` is a file, or a non-empty directory that is not a store, or a store of a
        newer format than this flowframe reads (the message names the store's format, the
        flowframe version that wrote it, and the formats this one reads).

    Notes
    -----
    Conventions: dates are session dates (America/New_York) as ``YYYY-MM-DD``; symbols are
    upper-cased tickers, ``None`` for a market-wide partition (the leaderboard); times in
    manifests and records are UTC ISO-8601 with a ``Z``. One writer per partition at a time.
    Each write of a market or a result builds the whole partition in a hidden directory
    beside it and then moves it into place, so a reader finds the old partition or the new
    one, never a mix; bodies are appended (see :meth:`append_bodies`).

    Examples
    --------
    >>> import flowframe as ff
    >>> store = ff.Store(tmp / "flow")  # doctest: +SKIP
    >>> store.write_result(ff.hedge_flow("SPY"), name="hedge_flow", symbol="SPY",
    ...                    date="2026-09-18")  # doctest: +SKIP
    >>> store.read_result("hedge_flow", symbol="SPY", date="2026-09-18")  # doctest: +SKIP
    """

    #: The store format this flowframe writes (and the newest it reads).
    FORMAT: Final = FORMAT

    def __init__(self, path: str | os.PathLike[str]) -> None:
        root = Path(path).expanduser()
        marker = root / STORE_FILE
        if root.exists() and not root.is_dir():
            raise ValueError(f"Store path {str(root)!r} is a file; give a directory")
        if marker.is_file():
            info = _layout.read_json(marker)
            self._format = _layout.check_format(
                info.get("format"), marker, info.get("flowframe_version", "unknown")
            )
        elif root.is_dir() and any(root.iterdir()):
            raise ValueError(
                f"{str(root)!r} is not a flowframe store (it has no {STORE_FILE}) and is not "
                "empty; give a new or empty directory, or an existing store"
            )
        else:
            root.mkdir(parents=True, exist_ok=True)
            info = {"format": FORMAT, "flowframe_version": __version__, "created": _layout.now_z()}
            _layout.atomic_write(marker, _layout.json_bytes(info))
            self._format = FORMAT
        self._root = root
        self._scans: dict[Path, tuple[int, int, _bodies.Scan]] = {}

    # ------------------------------------------------------------------ about the store

    @property
    def path(self) -> Path:
        """Return the store's root directory."""
        return self._root

    @property
    def format(self) -> int:
        """Return the store's format version (``store.json["format"]``)."""
        return self._format

    def __repr__(self) -> str:
        counts = {kind: sum(1 for _ in _layout.walk_partitions(self._root, kind)) for kind in KINDS}
        held = ", ".join(f"{kind}={n}" for kind, n in counts.items())
        return f"Store({str(self._root)!r}, format={self._format}, {held})"

    def _dir(self, kind: str, date: object, symbol: object, name: str | None = None) -> Path:
        sym = _layout.symbol_text(symbol, market_wide=kind != "market")
        return _layout.partition_dir(self._root, kind, _layout.date_text(date), sym, name)

    def _read_manifest(self, part: Path) -> dict[str, Any]:
        manifest = _layout.read_json(part / MANIFEST)
        _layout.check_format(
            manifest.get("format"), part / MANIFEST, manifest.get("flowframe_version")
        )
        return manifest

    def _missing(self, kind: str, what: str) -> FileNotFoundError:
        held = [
            f"{n + ' ' if n else ''}{s or '(market-wide)'} {d}"
            for n, d, s, _ in _layout.walk_partitions(self._root, kind)
        ]
        listing = ", ".join(held[:10]) + (", ..." if len(held) > 10 else "") or "none"
        return FileNotFoundError(f"no {what} in store {str(self._root)!r}; it holds: {listing}")

    def manifest(
        self, kind: Kind, symbol: str | None, date: object, *, name: str | None = None
    ) -> dict[str, Any]:
        """Return one partition's manifest.

        Parameters
        ----------
        kind : {"bodies", "market", "results"}
            The partition's kind.
        symbol : str or None
            The symbol (None: a market-wide partition).
        date : str, datetime.date or pandas.Timestamp
            The session date.
        name : str, optional
            The result's name (``kind="results"`` only, and required there).

        Returns
        -------
        dict
            ``format``, ``flowframe_version``, ``kind``, ``name``, ``date``, ``symbol``,
            ``source``, ``params``, ``sha256``, ``files`` (each stored file's ``bytes`` and
            ``sha256``), ``created``, ``updated``, and the kind's own fields (LAYOUT.md).

        Raises
        ------
        ValueError
            An unknown kind, or ``name`` given or missing against the kind.
        FileNotFoundError
            No such partition.
        """
        if kind not in KINDS:
            raise ValueError(f"kind={kind!r} is not one of {list(KINDS)}")
        if (kind == "results") != (name is not None):
            raise ValueError("name is required for kind='results' and only there")
        if name is not None:
            name = _layout.result_name(name)
        part = self._dir(kind, date, symbol, name)
        if not (part / MANIFEST).is_file():
            raise self._missing(kind, f"{kind} partition {part.relative_to(self._root)}")
        return self._read_manifest(part)

    def partitions(self, kind: Kind | None = None) -> pd.DataFrame:
        """Return one row per partition, with its manifest's fields.

        Parameters
        ----------
        kind : {"bodies", "market", "results"}, optional
            Only this kind; all kinds when omitted.

        Returns
        -------
        pandas.DataFrame
            Columns ``kind``, ``name`` (results only), ``date`` (``YYYY-MM-DD``), ``symbol``
            (None when market-wide), ``type`` (``DataFrame``, ``DataArray``, ``Dataset``,
            ``Market``, ``bodies``), ``source``, ``params`` (dict), ``records`` and ``torn``
            (bodies only, Int64: records held, torn records cut off), ``sha256``,
            ``flowframe_version``, ``format``, ``created`` and ``updated``
            (datetime64[ns, UTC]), ``path``; sorted by kind, name, date, symbol; a default
            integer index.
        """
        if kind is not None and kind not in KINDS:
            raise ValueError(f"kind={kind!r} is not one of {list(KINDS)}")
        rows = []
        for k in [kind] if kind else KINDS:
            for _, _, _, part in _layout.walk_partitions(self._root, k):
                m = self._read_manifest(part)
                records = m.get("records")
                torn = m.get("torn")
                rows.append(
                    {
                        "kind": k,
                        "name": m.get("name"),
                        "date": m["date"],
                        "symbol": m.get("symbol"),
                        "type": m.get("type"),
                        "source": m.get("source"),
                        "params": m.get("params", {}),
                        "records": sum(records.values()) if records is not None else pd.NA,
                        "torn": sum(torn.values()) if torn is not None else pd.NA,
                        "sha256": m.get("sha256"),
                        "flowframe_version": m.get("flowframe_version"),
                        "format": m.get("format"),
                        "created": m.get("created"),
                        "updated": m.get("updated"),
                        "path": str(part),
                    }
                )
        frame = pd.DataFrame(rows, columns=list(_PARTITION_COLUMNS))
        for col in ("kind", "name", "date", "symbol", "type", "source", "sha256", "path"):
            frame[col] = pd.Series(
                [None if _missing_value(v) else str(v) for v in frame[col]],
                index=frame.index,
                dtype=object,
            )
        frame["flowframe_version"] = frame["flowframe_version"].astype("str")
        frame["records"] = frame["records"].astype("Int64")
        frame["torn"] = frame["torn"].astype("Int64")
        frame["format"] = frame["format"].astype("int64")
        for col in ("created", "updated"):
            frame[col] = pd.to_datetime(frame[col], utc=True).astype("datetime64[ns, UTC]")
        return frame

    # ------------------------------------------------------------------ partitions written whole

    def _commit(
        self,
        tmp: Path,
        final: Path,
        manifest: dict[str, Any],
    ) -> None:
        """Hash the files built in ``tmp``, write its manifest, and move it into place."""
        if (final / MANIFEST).is_file():  # keep when the partition was first written
            manifest["created"] = self._read_manifest(final).get("created", manifest["created"])
        files = {
            p.name: {"bytes": _size(p), "sha256": _layout.file_digest(p)}
            for p in sorted(tmp.iterdir())
            if p.name != MANIFEST
        }
        manifest["files"] = files
        manifest["sha256"] = _layout.files_digest(files)
        _layout.atomic_write(tmp / MANIFEST, _layout.json_bytes(manifest))
        _layout.replace_dir(tmp, final)

    def write_result(
        self,
        obj: Result,
        *,
        name: str,
        symbol: str | None,
        date: object,
        params: Mapping[str, Any] | None = None,
        source: str | None = None,
    ) -> Path:
        """Store a computed result: a DataFrame as Parquet, a DataArray or Dataset as Zarr.

        Writing the same name, symbol and date again replaces the result (the manifest keeps
        its first ``created`` time).

        Parameters
        ----------
        obj : pandas.DataFrame, xarray.DataArray or xarray.Dataset
            Any loader's object, or your own. A DataFrame's column names must be strings;
            attrs must be what Parquet / Zarr keep (the loaders' attrs rule: str, int, float).
        name : str
            The result's name: 1 to 100 letters, digits, ``.``, ``_`` or ``-``, starting with a
            letter or digit.
        symbol : str or None
            The symbol it is for; None for a market-wide result (the leaderboard).
        date : str, datetime.date or pandas.Timestamp
            The session date.
        params : dict, optional
            The parameters it was computed with (JSON values), kept in the manifest.
        source : str, optional
            What computed it; ``obj.attrs["source"]`` when omitted.

        Returns
        -------
        pathlib.Path
            The partition's directory.

        Raises
        ------
        ValueError
            A bad name, symbol, date or params, or an object of another type.
        """
        if not isinstance(obj, pd.DataFrame | xr.DataArray | xr.Dataset):
            raise ValueError(
                f"write_result stores a pandas.DataFrame, xarray.DataArray or xarray.Dataset, "
                f"got {type(obj).__name__}"
            )
        name = _layout.result_name(name)
        if isinstance(obj, pd.DataFrame):
            columns: list[Any] = list(obj.columns)
            # a MultiIndex of strings (an ensemble's (model, field) columns) round-trips too:
            # pyarrow keeps its levels in the pandas metadata
            bad = [
                c
                for c in columns
                if not isinstance(c, str)
                and not (isinstance(c, tuple) and all(isinstance(p, str) for p in c))
            ]
            if bad:
                raise ValueError(
                    f"write_result needs string column names (Parquet keeps only strings), "
                    f"got {bad[:5]}: rename them first"
                )
        final = self._dir("results", date, symbol, name)
        if source is None and isinstance(obj.attrs.get("source"), str):
            source = str(obj.attrs["source"])
        manifest = _layout.new_manifest(
            "results",
            final.parent.name.removeprefix("date="),
            _layout.symbol_text(symbol, market_wide=True),
            name=name,
            source=source,
            params=_json_params(params),
        )
        manifest["type"] = type(obj).__name__
        tmp = _layout.scratch_dir(final)
        try:
            if isinstance(obj, pd.DataFrame):
                obj.to_parquet(tmp / "data.parquet", engine="pyarrow")
                manifest["schema"] = _schema.frame_schema(obj)
            else:
                obj.to_zarr(tmp / "data.zarr", mode="w", consolidated=False)
                manifest["indexes"] = _schema.index_classes(obj)
            self._commit(tmp, final, manifest)
        finally:
            _remove(tmp)
        return final

    def read_result(
        self, name: str, *, symbol: str | None, date: object, lazy: bool = False
    ) -> Result:
        """Read a stored result back, as it was written.

        Values, dtypes (a zero-row categorical's categories included), index / coords, names
        and attrs come back equal, and a grid's ``bar`` coordinate has flowframe's UTC bar
        index again (``ff.utc_bars``): ``xr.testing.assert_identical`` holds.

        Parameters
        ----------
        name : str
            The result's name.
        symbol : str or None
            The symbol (None: market-wide).
        date : str, datetime.date or pandas.Timestamp
            The session date.
        lazy : bool, default False
            For a DataArray or Dataset: open it without loading the values, dask-backed when
            dask is installed (one chunk per Zarr chunk), else xarray's own lazy arrays. A
            DataFrame is always read whole.

        Returns
        -------
        pandas.DataFrame, xarray.DataArray or xarray.Dataset
            The type written.

        Raises
        ------
        FileNotFoundError
            No such result (the message lists what the store holds).
        """
        name = _layout.result_name(name)
        part = self._dir("results", date, symbol, name)
        if not (part / MANIFEST).is_file():
            raise self._missing("results", f"result {name!r} for {_where(part)}")
        manifest = self._read_manifest(part)
        where = f"{part}"
        kind = manifest.get("type")
        if kind == "DataFrame":
            frame = pd.read_parquet(part / "data.parquet", engine="pyarrow")
            return _schema.restore_frame(frame, manifest.get("schema"), where)
        if kind not in ("DataArray", "Dataset"):
            raise SchemaError(f"{where}: the manifest's type {kind!r} is not one this reads")
        opener = xr.open_dataarray if kind == "DataArray" else xr.open_dataset
        chunks: dict[str, Any] | None = (
            {} if lazy and importlib.util.find_spec("dask") is not None else None
        )
        obj: xr.DataArray | xr.Dataset = opener(
            part / "data.zarr", engine="zarr", consolidated=False, chunks=chunks
        )
        if not lazy:
            with obj:
                obj = obj.load()
        return _schema.restore_indexes(obj, manifest.get("indexes"), where)

    def write_market(
        self,
        market: Market,
        *,
        source: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Path:
        """Store a :class:`~flowframe.Market` (chain, tape, spot, quality, events) as Parquet.

        Parameters
        ----------
        market : flowframe.Market
            The engine inputs of one symbol's session; partitioned by its symbol and date.
        source : str, optional
            Where it came from; ``market.quality.attrs["source"]`` when omitted.
        params : dict, optional
            How it was built (JSON values), kept in the manifest.

        Returns
        -------
        pathlib.Path
            The partition's directory.

        Notes
        -----
        A simulated market's ``profile`` (its ``SymbolProfile``) is kept in the manifest;
        any other non-None ``profile`` is refused rather than dropped.
        """
        from flowframe.sources.engine.inputs import Market

        if not isinstance(market, Market):
            raise ValueError(f"write_market stores a flowframe.Market, got {type(market).__name__}")
        final = self._dir("market", market.date, market.symbol)
        if source is None and isinstance(market.quality.attrs.get("source"), str):
            source = str(market.quality.attrs["source"])
        manifest = _layout.new_manifest(
            "market",
            market.date.isoformat(),
            market.symbol,
            source=source,
            params=_json_params(params),
        )
        manifest["type"] = "Market"
        manifest["expiration"] = market.expiration
        manifest["checked"] = bool(market.checked)
        manifest["profile"] = _profile_json(market.profile)
        manifest["spot_name"] = market.spot.name if isinstance(market.spot.name, str) else None
        spot = market.spot.rename("spot").to_frame()
        spot.attrs = dict(market.spot.attrs)
        frames = {
            "chain": market.chain,
            "tape": market.tape,
            "spot": spot,
            "quality": market.quality,
            "events": market.events,
        }
        tmp = _layout.scratch_dir(final)
        try:
            manifest["schema"] = {}
            for key, frame in frames.items():
                frame.to_parquet(tmp / f"{key}.parquet", engine="pyarrow")
                manifest["schema"][key] = _schema.frame_schema(frame)
            self._commit(tmp, final, manifest)
        finally:
            _remove(tmp)
        return final

    def read_market(self, symbol: str, date: object) -> Market:
        """Read a stored :class:`~flowframe.Market` back, equal to the one written.

        Parameters
        ----------
        symbol : str
            The underlying.
        date : str, datetime.date or pandas.Timestamp
            The session date.

        Returns
        -------
        flowframe.Market
            Chain (with its ``attrs``, ``iv_clock`` included), tape, spot, quality (with its
            ``attrs``), events, profile and ``checked`` as written.

        Raises
        ------
        FileNotFoundError
            No market for that symbol and date (the message lists what the store holds).
        """
        from flowframe.sources.engine.inputs import Market

        part = self._dir("market", date, symbol)
        if not (part / MANIFEST).is_file():
            raise self._missing("market", f"market for {_where(part)}")
        manifest = self._read_manifest(part)
        frames = {}
        for key in _MARKET_FILES:
            frame = pd.read_parquet(part / f"{key}.parquet", engine="pyarrow")
            frames[key] = _schema.restore_frame(
                frame, manifest["schema"].get(key), f"{part / key}.parquet"
            )
        spot = frames["spot"]["spot"].rename(manifest.get("spot_name"))
        spot.attrs = dict(frames["spot"].attrs)
        return Market(
            symbol=str(manifest["symbol"]),
            date=dt.date.fromisoformat(manifest["date"]),
            expiration=str(manifest["expiration"]),
            chain=frames["chain"],
            tape=frames["tape"],
            spot=spot,
            quality=frames["quality"],
            profile=_profile_from_json(manifest.get("profile")),
            events=frames["events"],
            checked=bool(manifest.get("checked", False)),
        )

    # ------------------------------------------------------------------ bodies, appended

    def _scan(self, path: Path) -> _bodies.Scan:
        """Return what a bodies file holds (cached while its size and mtime stay the same)."""
        if not path.is_file():
            return _bodies.Scan(sha256=_bodies.chain("", b""))
        stat = path.stat()
        cached = self._scans.get(path)
        if cached is not None and cached[:2] == (stat.st_size, stat.st_mtime_ns):
            return cached[2]
        found = _bodies.scan(path.read_bytes(), str(path))
        self._scans[path] = (stat.st_size, stat.st_mtime_ns, found)
        return found

    def append_bodies(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        symbol: str | None,
        date: object,
        sync: bool = True,
    ) -> int:
        """Append recorded hosted bodies; records already held are skipped.

        A record's key is its endpoint, its params and the server's ``as_of`` (the body's
        top-level ``as_of``; a body with none, such as an error, is keyed by ``received_at``).
        Appending a record whose key the file holds does nothing, so a recorder restarted
        after a crash can append again without duplicates. Each record is one gzip member
        written and flushed in turn, so a writer killed mid-write loses at most the record in
        flight: its torn tail is cut off here, before appending, and counted in the
        manifest's ``torn`` (and in :meth:`partitions`).

        Parameters
        ----------
        records : iterable of dict
            Each with exactly the keys ``endpoint`` (one of ``snapshot``, ``series``,
            ``hedge-flow``, ``heatmap``, ``strike-flow``, ``leaderboard``), ``params`` (dict
            of JSON values: the request's query parameters), ``received_at`` (tz-aware
            datetime or ISO-8601 string with an offset; stored as UTC ``...Z``), ``status``
            (HTTP status int) and ``body`` (the response's bytes, stored exactly).
        symbol : str or None
            The symbol; None for market-wide bodies (the leaderboard).
        date : str, datetime.date or pandas.Timestamp
            The session date.
        sync : bool, default True
            fsync the file and the manifest before returning. False leaves that to the
            system (or to :meth:`sync_bodies`): every record is still flushed, so it
            survives the writer being killed, though not a power cut. A recorder appends
            each body as it arrives with ``sync=False`` and syncs once a cycle.

        Returns
        -------
        int
            The number of records written (duplicates not counted).

        Raises
        ------
        ValueError
            A record that is not of the form above (nothing is written then).
        """
        checked = [_bodies.normalise(r, i) for i, r in enumerate(records)]
        if not checked:
            return 0
        part = self._dir("bodies", date, symbol)
        part.mkdir(parents=True, exist_ok=True)
        if (part / MANIFEST).is_file():
            manifest = self._read_manifest(part)
        else:
            manifest = _layout.new_manifest(
                "bodies",
                part.parent.name.removeprefix("date="),
                _layout.symbol_text(symbol, market_wide=True),
            )
            manifest.update(type="bodies", records={}, torn={})
            _layout.atomic_write(part / MANIFEST, _layout.json_bytes(manifest))
        written = 0
        for endpoint in _bodies.ENDPOINTS:
            batch = [r for r in checked if r["endpoint"] == endpoint]
            if not batch:
                continue
            path = part / f"{endpoint}.jsonl.gz"
            found = self._scan(path)
            if found.torn:
                os.truncate(path, found.good)
                manifest["torn"][endpoint] = manifest["torn"].get(endpoint, 0) + 1
                found.size = found.good
            with open(path, "ab") as f:
                for given in batch:
                    record, line, member = _bodies.encode(given)
                    key = _bodies.record_key(record)
                    if key in found.keys:
                        continue
                    f.write(member)
                    f.flush()
                    found.keys.add(key)
                    found.records.append(record)
                    found.sha256 = _bodies.chain(found.sha256, line)
                    found.size += len(member)
                    written += 1
                if sync:
                    os.fsync(f.fileno())
            found.good = found.size
            stat = path.stat()
            self._scans[path] = (stat.st_size, stat.st_mtime_ns, found)
            manifest["records"][endpoint] = len(found.records)
            manifest["files"][path.name] = {"bytes": stat.st_size, "sha256": found.sha256}
        manifest["sha256"] = _layout.files_digest(manifest["files"])
        manifest["updated"] = _layout.now_z()
        _layout.atomic_write(part / MANIFEST, _layout.json_bytes(manifest), sync=sync)
        return written

    def sync_bodies(self, *, symbol: str | None, date: object) -> None:
        """Flush a bodies partition's files and manifest to disk (fsync).

        For a writer that appended with ``append_bodies(sync=False)``.
        """
        part = self._dir("bodies", date, symbol)
        if not part.is_dir():
            return
        for path in sorted(part.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)

    def read_bodies(
        self, symbol: str | None, date: object, endpoint: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the recorded bodies of one symbol and date, oldest first.

        Parameters
        ----------
        symbol : str or None
            The symbol (None: market-wide bodies).
        date : str, datetime.date or pandas.Timestamp
            The session date.
        endpoint : str, optional
            Only this endpoint's records.

        Returns
        -------
        list of dict
            Each with ``endpoint``, ``params`` (dict), ``as_of`` (the body's ``as_of``, or
            None), ``received_at`` (UTC ISO-8601 ``...Z``), ``status`` (int) and ``body``
            (the bytes appended, exactly); in the order appended for one endpoint, by
            ``received_at`` across endpoints (ties in the order ``snapshot``, ``series``,
            ``hedge-flow``, ``heatmap``, ``strike-flow``, ``leaderboard``). Empty when
            nothing was recorded.

        Warns
        -----
        FlowframeWarning
            A file ends in a torn record (a write interrupted, or one in progress): it is
            not returned; the next :meth:`append_bodies` cuts it off and counts it.
        """
        if endpoint is not None and endpoint not in _bodies.ENDPOINTS:
            raise ValueError(f"endpoint={endpoint!r} is not one of {list(_bodies.ENDPOINTS)}")
        part = self._dir("bodies", date, symbol)
        out: list[dict[str, Any]] = []
        for name in [endpoint] if endpoint else _bodies.ENDPOINTS:
            path = part / f"{name}.jsonl.gz"
            found = self._scan(path)
            if found.torn:
                warnings.warn(
                    f"{path} ends in a torn record ({found.torn} bytes after the last "
                    "complete one): not returned; the next append_bodies cuts it off and "
                    "counts it in the manifest's 'torn'",
                    FlowframeWarning,
                    stacklevel=2,
                )
            out.extend(dict(r) for r in found.records)
        if endpoint is None:
            out.sort(key=lambda r: pd.Timestamp(r["received_at"]))
        return out


def _where(part: Path) -> str:
    """Return ``"SPY on 2026-09-18"`` for a partition's directory."""
    symbol = _layout.decode_symbol(part.name.removeprefix("symbol=")) or "(market-wide)"
    return f"{symbol} on {part.parent.name.removeprefix('date=')}"


def _missing_value(value: object) -> bool:
    """Return True for None, NaN and NA (a manifest field left null)."""
    found: Any = value
    return found is None or (not isinstance(found, str) and bool(pd.isna(found)))


def _size(path: Path) -> int:
    """Return the bytes of a file, or of every file under a directory."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _remove(path: Path) -> None:
    """Remove a scratch directory left by a failed write (gone already after a commit)."""
    import shutil

    if path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _json_params(params: object) -> dict[str, Any]:
    """Return params as a dict of JSON values, or raise ``ValueError``."""
    import orjson

    if params is None:
        return {}
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise ValueError(f"params must be a dict with string keys, got {params!r}")
    try:
        return dict(orjson.loads(orjson.dumps(dict(params))))
    except TypeError:
        raise ValueError(
            f"params must hold JSON values (str, int, float, bool, None, lists, dicts), got "
            f"{params!r}"
        ) from None


def _profile_json(profile: object) -> dict[str, Any] | None:
    """Return a simulated market's profile as JSON (None for none); refuse anything else."""
    from flowframe.sources.engine.market import SymbolProfile

    if profile is None:
        return None
    if not isinstance(profile, SymbolProfile):
        raise ValueError(
            f"write_market keeps a market's profile only when it is None or a SymbolProfile, "
            f"got {type(profile).__name__}"
        )
    return dataclasses.asdict(profile)


def _profile_from_json(value: object) -> object:
    """Undo :func:`_profile_json` (lists back to tuples)."""
    from flowframe.sources.engine.market import SymbolProfile

    if value is None:
        return None
    if not isinstance(value, dict):
        raise SchemaError(f"a market manifest's profile must be an object, got {value!r}")
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
    return SymbolProfile(**fields)
