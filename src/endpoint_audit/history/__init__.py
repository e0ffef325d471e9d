"""History: a local SQLite store of audit rounds, and what changed between them.

One file (see `location`), written by `history import` and by `scan`/`evaluate`/`report
merge --store`, read by the `history` commands and `report weekly`. The store reads the
result model only: it never runs an audit.
"""
