"""The only package that imports DuckDB: the database (connection, cursors, audited
writes, migrations as SQL files) and one repository module per stage, plus the set-based
compute SQL (``scans``, ``profile_scan``, ``sliceline``). It imports no stage package."""
