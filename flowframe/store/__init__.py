"""The store: one documented on-disk layout for everything flowframe keeps.

:class:`Store` holds recorded hosted bodies (gzip JSON lines, appended), engine inputs (a
:class:`~flowframe.Market` as Parquet) and computed results (DataFrames as Parquet, xarray
objects as Zarr), partitioned by session date and symbol, each partition with a JSON
manifest. ``flowframe/store/LAYOUT.md`` documents the tree, the files, the manifest fields
and the format version policy.

pyarrow and zarr load when a store first writes or reads Parquet or Zarr, not on import.
"""

from __future__ import annotations

from flowframe.store._layout import FORMAT
from flowframe.store._store import Store

__all__ = ["FORMAT", "Store"]
