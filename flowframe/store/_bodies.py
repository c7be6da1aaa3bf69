"""Recorded hosted bodies: one gzip member per record, one JSON line in each (see ``LAYOUT.md``).

A file is a standard multi-member gzip file (``gzip -dc`` and
``pd.read_json(path, lines=True)`` read it). One member per record means a writer killed
mid-write leaves at most one incomplete member at the end: :func:`scan` finds where the last
complete member ends, so the records before it are read and the torn tail is not.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
import pandas as pd

from flowframe._wire import iso_z
from flowframe.errors import SchemaError

__all__ = ["ENDPOINTS", "RECORD_KEYS", "Scan", "encode", "normalise", "record_key", "scan"]

#: The endpoints a record may come from (each has its own file, ``<endpoint>.jsonl.gz``).
ENDPOINTS: Final = ("snapshot", "series", "hedge-flow", "heatmap", "strike-flow", "leaderboard")
#: The keys of a record given to ``append_bodies``.
RECORD_KEYS: Final = ("endpoint", "params", "received_at", "status", "body")
_CHUNK: Final = 1 << 16
_MAGIC: Final = b"\x1f\x8b\x08"  # the start of a gzip member (deflate)


def _received(value: object, i: int) -> str:
    """Return a record's ``received_at`` as UTC ISO-8601 with a ``Z``."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        stamp = None
    if not isinstance(value, str | dt.datetime) or stamp is None or pd.isna(stamp):
        raise ValueError(
            f"record {i}: received_at={value!r} is not allowed; use a tz-aware datetime or an "
            "ISO-8601 string with an offset or 'Z'"
        )
    if stamp.tz is None:
        raise ValueError(
            f"record {i}: received_at={value!r} has no time zone; give it an offset or 'Z'"
        )
    return iso_z(stamp)


def normalise(record: object, i: int) -> dict[str, Any]:
    """Check one record and return it in stored form (``received_at`` as ISO, body as bytes).

    Raises
    ------
    ValueError
        A key missing or unknown, or a value not of its kind; the message names the record,
        the key and what is allowed.
    """
    if not isinstance(record, Mapping):
        raise ValueError(f"record {i} must be a dict with keys {list(RECORD_KEYS)}")
    keys = set(record)
    if keys != set(RECORD_KEYS):
        missing, extra = sorted(set(RECORD_KEYS) - keys), sorted(map(str, keys - set(RECORD_KEYS)))
        raise ValueError(
            f"record {i} must have exactly the keys {list(RECORD_KEYS)}; "
            f"missing {missing}, unknown {extra}"
        )
    endpoint = record["endpoint"]
    if endpoint not in ENDPOINTS:
        raise ValueError(f"record {i}: endpoint={endpoint!r} is not one of {list(ENDPOINTS)}")
    params = record["params"]
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise ValueError(f"record {i}: params must be a dict with string keys, got {params!r}")
    try:
        orjson.dumps(dict(params))
    except TypeError:
        raise ValueError(
            f"record {i}: params must hold JSON values (str, int, float, bool, None, lists, "
            f"dicts), got {params!r}"
        ) from None
    status = record["status"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"record {i}: status must be an HTTP status int (100-599), got {status!r}")
    body = record["body"]
    if not isinstance(body, bytes | bytearray | memoryview):
        raise ValueError(
            f"record {i}: body must be the response's bytes, got {type(body).__name__}"
        )
    return {
        "endpoint": endpoint,
        "params": dict(params),
        "received_at": _received(record["received_at"], i),
        "status": status,
        "body": bytes(body),
    }


def _as_of(body: bytes) -> str | None:
    """Return the body's top-level ``as_of`` string, or None (not JSON, or none sent)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    found = value.get("as_of") if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def record_key(record: Mapping[str, Any]) -> bytes:
    """Return the key that makes a record a duplicate: endpoint, params, the server's ``as_of``.

    A body with no ``as_of`` (an error body) is keyed by its ``received_at`` instead, so two
    errors at different times are two records.
    """
    as_of = record["as_of"]
    when = ["as_of", as_of] if as_of is not None else ["received_at", record["received_at"]]
    return orjson.dumps([record["endpoint"], record["params"], *when], option=orjson.OPT_SORT_KEYS)


def encode(record: Mapping[str, Any]) -> tuple[dict[str, Any], bytes, bytes]:
    """Return a checked record as read back (``as_of`` added), its JSON line, its gzip member."""
    body: bytes = record["body"]
    stored = {
        "endpoint": record["endpoint"],
        "params": record["params"],
        "as_of": _as_of(body),
        "received_at": record["received_at"],
        "status": record["status"],
        "body": body,
    }
    line: dict[str, Any] = {k: v for k, v in stored.items() if k != "body"}
    try:
        line["body"] = body.decode("utf-8")
    except UnicodeDecodeError:  # not UTF-8: kept exactly all the same
        line["body_base64"] = base64.b64encode(body).decode("ascii")
    text = orjson.dumps(line) + b"\n"
    return stored, text, gzip.compress(text, mtime=0)


def _decode(text: bytes, where: str) -> dict[str, Any]:
    """Return the record a JSON line holds (body back as bytes)."""
    try:
        line = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise SchemaError(f"{where}: a complete record is not a JSON line: {text[:80]!r}") from None
    if not isinstance(line, dict) or ("body" not in line and "body_base64" not in line):
        raise SchemaError(f"{where}: a record lacks its body: {text[:80]!r}")
    body = line["body"].encode("utf-8") if "body" in line else base64.b64decode(line["body_base64"])
    return {
        "endpoint": line["endpoint"],
        "params": line["params"],
        "as_of": line["as_of"],
        "received_at": line["received_at"],
        "status": line["status"],
        "body": body,
    }


def chain(previous: str, line: bytes) -> str:
    """Return the running hash after one more record line."""
    return hashlib.sha256(previous.encode() + hashlib.sha256(line).digest()).hexdigest()


@dataclass
class Scan:
    """What a bodies file holds: its records, their keys, and any torn tail."""

    records: list[dict[str, Any]] = field(default_factory=list)
    keys: set[bytes] = field(default_factory=set)
    sha256: str = ""
    good: int = 0  # bytes up to the end of the last complete record
    size: int = 0  # bytes in the file

    @property
    def torn(self) -> int:
        """Bytes after the last complete record (an interrupted write)."""
        return self.size - self.good


def scan(data: bytes, where: str) -> Scan:
    """Read every complete record of a bodies file's bytes, in file order.

    The tail after the last complete record is torn (not an error) when it is the start of
    a member never finished, or bytes that are not gzip with no member after them (a tail a
    crash filled with zeros).

    Raises
    ------
    SchemaError
        Bytes that are not gzip with members after them, or a complete member that is not a
        record: the file is damaged, and nothing is cut off.
    """
    out = Scan(sha256=chain("", b""), size=len(data))
    view = memoryview(data)
    pos = 0
    while pos < len(data):
        d = zlib.decompressobj(31)
        parts: list[bytes] = []
        fed = pos
        try:
            while not d.eof and fed < len(data):
                piece = view[fed : fed + _CHUNK]
                fed += len(piece)
                parts.append(d.decompress(piece))
        except zlib.error as exc:
            if data.find(_MAGIC, pos + 1) == -1:
                break  # not gzip from here to the end (a tail a crash zero-filled): torn
            raise SchemaError(
                f"{where}: damaged at byte {pos} ({exc}) with records after it; not a torn "
                "tail, so nothing is cut off: repair or move the file"
            ) from None
        if not d.eof:
            break  # the last member never ended: torn
        text = b"".join(parts)
        record = _decode(text, where)
        out.records.append(record)
        out.keys.add(record_key(record))
        out.sha256 = chain(out.sha256, text)
        pos = fed - len(d.unused_data)
        out.good = pos
    return out
