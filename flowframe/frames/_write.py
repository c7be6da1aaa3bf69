"""Writing helpers shared by the ``*_to_payload`` writers (private to :mod:`flowframe.frames`).

Times and numbers are written as :mod:`flowframe._wire` says (UTC ISO-8601 with ``Z``; NaN and
infinities as ``null``). A body's top-level fields come from the object's ``attrs``, in the
order the API writes them, followed by the envelope fields the object carries; what the attrs
rule (:mod:`flowframe.frames.attrs`) changed is changed back (text to objects, absent to
null).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final

import pandas as pd

from flowframe._wire import iso_z, iso_z_many
from flowframe.errors import SchemaError
from flowframe.frames.attrs import as_of, data_as_of

__all__ = [
    "iso_or_none",
    "iso_times",
    "write_body",
]

_ENVELOPE: Final = ("endpoint_version", "data_as_of")


def iso_or_none(ts: pd.Timestamp | None) -> str | None:
    """Write a tz-aware time as :func:`flowframe._wire.iso_z` does; None (or NaT) as None."""
    if ts is None or pd.isna(ts):
        return None
    return iso_z(ts)


def iso_times(index: pd.Index) -> list[str]:
    """Write bar times as :func:`flowframe._wire.iso_z_many` does (naive times are UTC).

    Raises :class:`SchemaError` unless ``index`` is a ``DatetimeIndex``.
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise SchemaError(f"expected a frame indexed by time 't', got {type(index).__name__}")
    return iso_z_many(index if index.tz is not None else index.tz_localize("UTC"))


def write_body(attrs: Mapping[Hashable, Any], keys: Sequence[str], **fields: Any) -> dict[str, Any]:
    """Return a body: ``keys`` from ``attrs``, then ``fields``, then the envelope.

    Undoes the attrs rule (:mod:`flowframe.frames.attrs`): a key absent from ``attrs`` is
    written as null; ``as_of`` (ISO-8601 text, or a ``pd.Timestamp``) is written with
    :func:`iso_or_none`; ``data_as_of`` (JSON text, or a dict) as the object it holds. A field
    that is also in ``keys`` takes that key's place (``side`` for a split hedge-flow frame), so
    the order stays the API's.
    """
    body = {key: iso_or_none(as_of(attrs)) if key == "as_of" else attrs.get(key) for key in keys}
    body.update(fields)
    envelope = {"endpoint_version": attrs.get("endpoint_version"), "data_as_of": data_as_of(attrs)}
    for key in _ENVELOPE:
        if envelope[key] is not None:
            body[key] = envelope[key]
    return body
