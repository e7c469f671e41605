"""Whole-file loads in which DuckDB reads the file itself: the fast path for clean files.

Handing DuckDB the path, instead of chunks of lines cut in Python, lets it split the file
across all its threads and stream rows straight into the store's tables, with no
intermediate table and no copy through Python (two and a half times the chunked path
on 1M spans).  What it cannot do is say on which line a bad record was: so the statements
run here read clean input only.  Any line that is not a record of the format, any record
with an unreadable id or time, makes a statement fail (SQL ``error()``); everything the
load wrote is rolled back and the reader reads the file again the careful way
(:mod:`.jsonchunks`), where each bad record is rejected with its ``file:line``.  Clean
files are the rule; a dirty one costs the time of one extra read.
"""
from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from typing import Iterator

import duckdb

from .jsonchunks import is_document
from .registry import Source

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 16 << 20  # DuckDB buffers about twice this per thread; longer lines take the careful path
MEMORY_LIMIT = "512MB"     # a file store's cap while DuckDB streams a file into it (RSS stays flat)
DECLINED = "jitbench: not clean"  # prefix of the error() raised in statements to hand over to the careful path
GLOB_CHARS = set("*?[]{}")  # DuckDB would expand them in a path and might read other files too


def eligible(source: Source) -> bool:
    """True when DuckDB can read ``source`` itself: a local file of JSON lines (plain, gzip or zstd)."""
    return (source.path is not None and not GLOB_CHARS & set(str(source.path))
            and not is_document(source.head()))


def scan(source: Source) -> str:
    """The SQL table function reading ``source``'s lines as JSON objects (one row per line)."""
    path = str(source.path).replace("'", "''")
    return (f"read_json_objects('{path}', format='newline_delimited', compression='{source.compression or 'none'}', "
            f"maximum_object_size={MAX_LINE_BYTES})")


def refuse(condition: str, why: str, value: str) -> str:
    """SQL giving ``value``, or failing the statement (the file is not clean) where ``condition`` holds."""
    return f"CASE WHEN {condition} THEN error('{DECLINED}: {why}') ELSE {value} END"


def load(store, source: Source, statements: list[str]) -> str | None:
    """Run ``statements`` (each reading ``source`` with :func:`scan`) as one transaction.

    Returns None when they ran, or, with nothing written, why DuckDB could not read the
    file as clean input (the caller then reads it the careful way).  Other errors propagate.
    """
    con = store.con
    with _settings(con, file_store=getattr(store, "path", None) is not None), _progress(con, source) as progress:
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                con.execute(statement)
        except (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.IOException,
                duckdb.OutOfMemoryException) as err:
            con.execute("ROLLBACK")
            progress.rewind()  # the careful read starts again from the first byte
            reason = str(err).splitlines()[0][:300]
            log.info("%s: read line by line instead (%s)", source.uri, reason)
            return reason
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    log.debug("%s: read by DuckDB in one pass", source.uri)
    return None


@contextmanager
def _settings(con, file_store: bool) -> Iterator[None]:
    """Every core, no insertion order (so inserts run in parallel), UTC, a memory cap for file stores.

    The cap matters: DuckDB otherwise keeps every block it writes cached up to 80% of
    RAM, and a file store's peak RSS would grow with the file; capped, written blocks
    leave memory.  An in-memory store cannot spill its tables, so it is not capped.
    """
    names = ["threads", "preserve_insertion_order", "TimeZone"] + (["memory_limit"] if file_store else [])
    before = {n: con.execute(f"SELECT current_setting('{n}')").fetchall()[0][0] for n in names}
    con.execute(f"SET threads = {os.cpu_count() or 1}")
    con.execute("SET TimeZone = 'UTC'")  # a time written without an offset is UTC, as everywhere in jitbench
    con.execute("SET preserve_insertion_order = false")
    if file_store:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    try:
        yield
    finally:
        for name, value in before.items():
            con.execute(f"SET {name} = '{value}'" if isinstance(value, str) else f"SET {name} = {value}")


class _Progress:
    """Drives a source's progress callback from DuckDB's own progress while statements run."""

    def __init__(self, con, source: Source):
        self.con, self.source, self.reported = con, source, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self.done.wait(0.5):
            try:
                percent = self.con.query_progress()
            except duckdb.Error:
                continue
            position = int(self.source.size * max(0.0, min(percent, 100.0)) / 100)
            if position > self.reported:
                self.source.advance(position - self.reported)
                self.reported = position

    def rewind(self) -> None:
        self.done.set()
        self.thread.join()
        self.source.advance(-self.reported)
        self.reported = 0


@contextmanager
def _progress(con, source: Source) -> Iterator[_Progress]:
    progress = _Progress(con, source)
    progress.thread.start()
    try:
        yield progress
    finally:
        progress.done.set()
        progress.thread.join()
