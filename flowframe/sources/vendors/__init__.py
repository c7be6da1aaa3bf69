"""Vendor readers: real option tapes in, as an :class:`~flowframe.Market`.

- :func:`~flowframe.sources.vendors.occ.parse_occ`: OSI option symbols (padded, compact,
  ``O:``-prefixed) to root, expiration, right and strike;
- :func:`~flowframe.sources.vendors.databento.read_databento`: Databento DBN files of OPRA
  (definitions, tbbo or trades plus quotes, statistics), decoded by Databento's own library
  (the ``databento`` extra);
- :func:`~flowframe.sources.vendors.polygon.read_polygon`: Polygon's options flat files;
- :func:`~flowframe.sources.vendors.tape.read_tape`: any CSV, Parquet or DataFrame with a
  column mapping.

The readers keep one symbol's roots and the 0DTE expiry, and hand the rest to
:func:`~flowframe.sources.vendors._assemble.assemble`, which builds the chain from the quotes
(implied vols from NBBO mids, open interest from the statistics), implies the spot path from
put-call parity when none is given, and checks and counts everything
(:attr:`Market.quality`).
"""
