"""The investigation store: one DuckDB database, the normalised tables, and load bookkeeping."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Callable, Iterable

import duckdb
import pandas as pd

from ..errors import StoreError
from .schema import TABLES
from .remote import RemoteLoads
from .summary import LoadSummary
from .views import VIEWS

RAW_LIMIT = 2000  # characters of a rejected record kept in `rejects.raw`

# tables whose rows carry a source_id, i.e. what a failed load must take back
DATA_TABLES = ("spans", "span_events", "span_links", "logs", "rejects")


class Store(RemoteLoads):
    """One investigation's DuckDB database (in memory, or a file at ``path``).

    Tables are those of :mod:`jitbench.store.schema` (``spans``, ``span_events``,
    ``span_links``, ``logs``, ``sources``, ``rejects``) plus the views of
    :mod:`jitbench.store.views` (``spans_ms``, ``root_spans``, ``orphan_spans``,
    ``traces``).  ``on_load(event)`` is called after each load with the ``data_load``
    journal fields; the investigation facade wires it to the access journal.

    >>> store = Store()
    >>> store.load("traces/*.jsonl.gz")                       # doctest: +SKIP
    >>> store.sql("select service_name, count(*) from spans group by 1")  # doctest: +SKIP
    """

    def __init__(self, path: str | Path | None = None, on_load: Callable[[dict], Any] | None = None):
        self.path = Path(path) if path is not None else None
        self.on_load = on_load
        try:
            self.con = duckdb.connect(str(self.path) if self.path else ":memory:")
        except duckdb.Error as err:
            raise StoreError(f"cannot open the store {self.path}: {_first_line(err)}",
                             hint="check the path, and that no other process has it open") from None
        # never reach for the network: bastions are offline and extensions must ship with us
        self.con.execute("SET autoinstall_known_extensions = false")
        self.con.execute("SET autoload_known_extensions = false")
        for ddl in TABLES.values():
            self.con.execute(ddl)
        for ddl in VIEWS.values():
            self.con.execute(ddl)

    # -- querying ------------------------------------------------------------
    def sql(self, query: str, params: Iterable | dict | None = None) -> pd.DataFrame:
        """Run one SQL statement and return its result as a pandas DataFrame.

        >>> Store().sql("select count(*) as n from spans").n[0]
        0
        """
        try:
            return self.con.execute(query, params).df() if params is not None else self.con.sql(query).df()
        except duckdb.Error as err:
            raise StoreError(f"query failed: {_first_line(err)}", hint="check the SQL against the store's "
                             "tables (spans, span_events, span_links, logs, sources, rejects)") from None

    def count(self, table: str, source_id: int | None = None) -> int:
        """Rows of ``table`` (one of the store's tables), optionally of one load only."""
        if table not in TABLES:
            raise StoreError(f"no table {table!r} in the store", hint=f"use one of {', '.join(TABLES)}")
        where = "" if source_id is None else f" WHERE source_id = {int(source_id)}"
        return self.con.execute(f"SELECT count(*) FROM {table}{where}").fetchall()[0][0]

    # -- loading ---------------------------------------------------------------
    def load(self, source, format: str | None = None, lease=None, **opts) -> LoadSummary:
        """Read ``source`` (path, glob, directory, list of them, or an ingest ``Source``) into the store.

        The format is sniffed from content unless ``format`` names a registered reader
        (``jitbench.ingest.formats()``).  ``lease`` (anything with ``lease_id`` and
        ``grant_id``) is recorded with the load.  Records that cannot be read go to
        ``rejects`` with their location; the returned summary counts both.
        """
        from ..ingest import load  # the store does not need the readers until it loads

        return load(self, source, format=format, lease=lease, **opts)

    def begin_source(self, kind: str, uri: str, format: str | None = None, lease=None) -> int:
        """Create the ``sources`` row of a new load and return its ``source_id``."""
        source_id = self.con.execute("SELECT coalesce(max(source_id), 0) + 1 FROM sources").fetchall()[0][0]
        self.con.execute(
            "INSERT INTO sources (source_id, kind, uri, format, lease_id, grant_id, loaded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [source_id, kind, uri, format, getattr(lease, "lease_id", None), _grant_id(lease),
             dt.datetime.now(dt.timezone.utc)])
        return source_id

    def finish_source(self, source_id: int, *, format: str | None, bytes: int, seconds: float,
                      files: int = 1, warnings: list[str] | None = None, rows: int | None = None) -> LoadSummary:
        """Count what a load wrote, fill in its ``sources`` row, call ``on_load`` and summarise it."""
        if rows is None:  # given by loads into a table of their own (a PostgreSQL query result)
            rows = sum(self.count(t, source_id) for t in ("spans", "logs"))
        rejects = self.count("rejects", source_id)
        warnings = list(warnings or [])
        if rows == 0:
            warnings.append("no rows loaded" + (f" ({rejects} rejected)" if rejects else ""))
        self.con.execute(
            "UPDATE sources SET format = ?, rows_loaded = ?, rows_rejected = ?, bytes = ?, seconds = ?, "
            "warnings = ? WHERE source_id = ?",
            [format, rows, rejects, bytes, seconds, warnings, source_id])
        kind, uri, lease_id, grant_id = self.con.execute(
            "SELECT kind, uri, lease_id, grant_id FROM sources WHERE source_id = ?", [source_id]).fetchall()[0]
        summary = LoadSummary(source_id, uri, format, rows, rejects, bytes, seconds, warnings, files,
                              lease_id, grant_id)
        if self.on_load is not None:
            self.on_load(summary.journal_fields() | {"kind": kind})
        return summary

    def discard_source(self, source_id: int) -> None:
        """Take back every row of a load that failed, so a failure leaves the store as it was."""
        for table in DATA_TABLES:
            self.con.execute(f"DELETE FROM {table} WHERE source_id = ?", [source_id])
        self.con.execute("DELETE FROM sources WHERE source_id = ?", [source_id])

    # -- writing rows (for readers) -------------------------------------------
    def add_rejects(self, source_id: int, rejects: Iterable[tuple[str, str, str | bytes | None]]) -> int:
        """Record unreadable records as ``(location, error, raw)``; ``raw`` is cut to 2,000 characters.

        >>> Store().add_rejects(1, [("spans.jsonl:7", "truncated JSON", '{"resourceSpans": [')])
        1
        """
        rows = [(source_id, loc, " ".join(str(err).split()) or "unreadable", _cut(raw))
                for loc, err, raw in rejects]
        if rows:
            self.con.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?)", rows)
        return len(rows)

    def insert(self, table: str, records: list[dict]) -> int:
        """Append ``records`` (dicts keyed by column name) to one of the store's tables.

        Missing columns are NULL; time columns take integer nanoseconds since the epoch
        (UTC); JSON columns take dicts/lists (serialised here) or JSON text.  This is the
        path for readers that build rows in Python; bulk readers insert with SQL.
        """
        if not records:
            return 0
        if table not in TABLES:
            raise StoreError(f"no table {table!r} in the store", hint=f"use one of {', '.join(TABLES)}")
        columns = self.columns(table)
        frame = {}
        for name, type_ in columns.items():
            values = [r.get(name) for r in records]
            if type_ == "JSON":
                values = [v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                          for v in values]
            frame[name] = pd.Series(values, dtype="object" if type_ != "TIMESTAMP_NS" else "Int64")
        df = pd.DataFrame(frame)  # noqa: F841 (read by DuckDB's replacement scan)
        select = ", ".join(f"make_timestamp_ns(df.{n})" if t == "TIMESTAMP_NS" else f"df.{n}::{t}"
                           for n, t in columns.items())
        self.con.execute(f"INSERT INTO {table} SELECT {select} FROM df")
        return len(records)

    def columns(self, table: str) -> dict[str, str]:
        """Column name -> DuckDB type of one of the store's tables, in table order."""
        rows = self.con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                                "WHERE table_name = ? ORDER BY column_index", [table]).fetchall()
        return dict(rows)

    # -- lifetime --------------------------------------------------------------
    def close(self) -> None:
        """Close the database (a file store keeps its data; an in-memory one is gone)."""
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path) if self.path else ':memory:'})"


def _grant_id(lease) -> str | None:
    grant = getattr(lease, "grant_id", None)
    if grant is None and getattr(lease, "grant", None) is not None:
        grant = getattr(lease.grant, "id", None)
    return grant


def _cut(raw) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bytes):
        raw = raw[: RAW_LIMIT * 4].decode("utf-8", "replace")
    return raw[:RAW_LIMIT]


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
