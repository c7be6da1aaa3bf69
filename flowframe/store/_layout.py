"""The store's tree: partition paths, manifests, hashes and atomic writes (see ``LAYOUT.md``).

Nothing here knows what a partition holds; :mod:`flowframe.store._store` does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import orjson
import pandas as pd

from flowframe import _params
from flowframe._version import __version__
from flowframe._wire import iso_z

__all__ = [
    "FORMAT",
    "KINDS",
    "MANIFEST",
    "MARKET_WIDE",
    "STORE_FILE",
    "atomic_write",
    "check_format",
    "date_text",
    "decode_symbol",
    "encode_symbol",
    "file_digest",
    "files_digest",
    "json_bytes",
    "new_manifest",
    "now_z",
    "partition_dir",
    "read_json",
    "replace_dir",
    "result_name",
    "scratch_dir",
    "symbol_text",
    "walk_partitions",
]

#: The store format this flowframe writes, and the newest it reads (``store.json["format"]``).
FORMAT: Final = 1
#: The top-level file naming the store's format.
STORE_FILE: Final = "store.json"
#: Each partition's manifest (a leading ``_`` so Parquet readers skip it, as ``_SUCCESS``).
MANIFEST: Final = "_manifest.json"
#: What a store keeps, one directory each under the root.
KINDS: Final = ("bodies", "market", "results")
#: The ``symbol=`` value of a partition that belongs to no one symbol (the leaderboard).
MARKET_WIDE: Final = "_all"

_SAFE: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_NAME_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_PERCENT_RE: Final = re.compile(r"%([0-9A-F]{2})")


def now_z() -> str:
    """Return the current UTC time as ISO-8601 with a ``Z``."""
    return iso_z(pd.Timestamp.now(tz="UTC"))


def date_text(date: object) -> str:
    """Return a session date as ``YYYY-MM-DD``, or raise ``ValueError`` naming what is allowed.

    A ``datetime.date``, a ``YYYY-MM-DD`` string, or a datetime (a ``pd.Timestamp``
    included): a tz-aware one is read in America/New_York (the session's date), a naive one
    as it stands.
    """
    if isinstance(date, dt.datetime):
        stamp = pd.Timestamp(date)
        if stamp.tz is not None:
            stamp = stamp.tz_convert("America/New_York")
        return stamp.date().isoformat()
    try:
        text = _params.validate_expiry(date)
    except ValueError:
        text = None
    if text is None:
        raise ValueError(
            f"date={date!r} is not allowed; use a datetime.date, a 'YYYY-MM-DD' string or a "
            "pd.Timestamp"
        )
    return text


def symbol_text(symbol: object, *, market_wide: bool) -> str | None:
    """Return a validated, upper-cased symbol, or None for a market-wide partition."""
    if symbol is None:
        if market_wide:
            return None
        raise ValueError("symbol is required here: a ticker like 'SPY'")
    return _params.validate_symbol(symbol)


def encode_symbol(symbol: str | None) -> str:
    """Return the ``symbol=`` directory value: letters, digits, ``.``, ``-``; others as %XX.

    ``_`` is encoded too, so that :data:`MARKET_WIDE` (None) never names a real symbol.
    """
    if symbol is None:
        return MARKET_WIDE
    return "".join(c if c in _SAFE else f"%{ord(c):02X}" for c in symbol)


def decode_symbol(text: str) -> str | None:
    """Undo :func:`encode_symbol`."""
    if text == MARKET_WIDE:
        return None
    return _PERCENT_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


def result_name(name: object) -> str:
    """Return a valid result name, or raise ``ValueError`` naming the rule."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ValueError(
            f"name={name!r} is not allowed; a result name is 1 to 100 letters, digits, '.', "
            "'_' or '-', starting with a letter or digit (like 'hedge_flow-all-30s')"
        )
    return name


def partition_dir(
    root: Path, kind: str, date: str, symbol: str | None, name: str | None = None
) -> Path:
    """Return the directory of one partition (``results`` has a level per name)."""
    base = root / kind if name is None else root / kind / name
    return base / f"date={date}" / f"symbol={encode_symbol(symbol)}"


def walk_partitions(root: Path, kind: str) -> Iterator[tuple[str | None, str, str | None, Path]]:
    """Yield ``(name, date, symbol, directory)`` for each partition of ``kind`` with a manifest."""
    base = root / kind
    if not base.is_dir():
        return
    tops = [(None, base)] if kind != "results" else [(p.name, p) for p in _subdirs(base)]
    for name, top in tops:
        for date_dir in _subdirs(top):
            if not date_dir.name.startswith("date="):
                continue
            for sym_dir in _subdirs(date_dir):
                if sym_dir.name.startswith("symbol=") and (sym_dir / MANIFEST).is_file():
                    date = date_dir.name.removeprefix("date=")
                    symbol = decode_symbol(sym_dir.name.removeprefix("symbol="))
                    yield name, date, symbol, sym_dir


def _subdirs(path: Path) -> list[Path]:
    """Return the visible subdirectories of ``path``, sorted (dot-names are scratch space)."""
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))


def read_json(path: Path) -> dict[str, Any]:
    """Read a JSON object, or raise ``ValueError`` naming the file."""
    try:
        value = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); the store file is damaged") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path} must hold a JSON object, got {type(value).__name__}")
    return value


def json_bytes(value: Mapping[str, Any]) -> bytes:
    """Return a manifest's bytes: indented JSON (readable by hand), ending in a newline."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n"


def atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary name in the same directory.

    ``sync=False`` skips the fsync: the file is still whole for any reader and survives the
    writer's death, but not a power cut until the system flushes it.
    """
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def scratch_dir(final: Path) -> Path:
    """Create and return a hidden directory beside ``final`` to build its new contents in."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex}")
    tmp.mkdir()
    return tmp


def replace_dir(tmp: Path, final: Path) -> None:
    """Put the directory ``tmp`` in the place of ``final`` (whole: never half old, half new).

    An existing ``final`` is moved aside first and removed after; a reader in between finds
    no partition (not a mixed one).
    """
    if not final.exists():
        os.replace(tmp, final)
        return
    aside = final.with_name(f".{final.name}.old-{uuid.uuid4().hex}")
    os.replace(final, aside)
    os.replace(tmp, final)
    shutil.rmtree(aside, ignore_errors=True)


def file_digest(path: Path) -> str:
    """Return the sha256 of a file's bytes, or of a directory's files (paths and bytes)."""
    h = hashlib.sha256()
    if path.is_file():
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    for sub in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(sub.relative_to(path).as_posix().encode() + b"\0")
        h.update(file_digest(sub).encode() + b"\n")
    return h.hexdigest()


def files_digest(files: Mapping[str, Mapping[str, Any]]) -> str:
    """Return the partition's hash: sha256 over each stored file's name and sha256, sorted."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(f"{name}\0{files[name]['sha256']}\n".encode())
    return h.hexdigest()


def new_manifest(
    kind: str,
    date: str,
    symbol: str | None,
    *,
    name: str | None = None,
    source: str | None = None,
    params: Mapping[str, Any] | None = None,
    created: str | None = None,
) -> dict[str, Any]:
    """Return the manifest fields every partition has (``files`` and ``sha256`` filled later)."""
    stamp = now_z()
    return {
        "format": FORMAT,
        "flowframe_version": __version__,
        "kind": kind,
        "name": name,
        "date": date,
        "symbol": symbol,
        "source": source,
        "params": dict(params or {}),
        "sha256": None,
        "files": {},
        "created": created or stamp,
        "updated": stamp,
    }


def check_format(found: object, where: Path, version: object) -> int:
    """Return a store / manifest format this flowframe reads, or raise ``ValueError``."""
    if isinstance(found, bool) or not isinstance(found, int) or found < 1:
        raise ValueError(f"{where}: 'format' must be a positive integer, got {found!r}")
    if found > FORMAT:
        raise ValueError(
            f"{where} has store format {found}, written by flowframe {version}; this "
            f"flowframe ({__version__}) reads store formats 1 to {FORMAT}: upgrade flowframe "
            "to read it"
        )
    return found
