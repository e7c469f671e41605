"""JSON sources cut into line-numbered Arrow chunks, and run through DuckDB two chunks at a time.

This is the line-numbered path of the JSON readers (a clean local file is read by DuckDB
whole, :mod:`.direct`; this path takes everything else).  DuckDB parses and flattens JSON far faster
than Python, but a file of few, huge lines (a collector writes hundreds of spans a line)
lands in one DuckDB vector and so on one core; and a whole-file query holds the whole
file's intermediate rows.  Cutting the file here into chunks of lines (``CHUNK_BYTES``)
and running one query per chunk on ``WORKERS`` cursors in parallel keeps both cores busy,
keeps memory flat whatever the file size, and gives every record its line number for
``rejects``.

A source whose first line is not a whole JSON value but whose whole content is, is a
pretty-printed document: it becomes one record (line 1).  Anything else is read as JSON
lines, so that every bad line is rejected with its own number.
"""
from __future__ import annotations

import itertools
import json
import os
import queue
import threading
from typing import Callable, Iterator

import duckdb
import pyarrow as pa

from ..errors import IngestError
from .registry import Source

CHUNK_BYTES = 8 << 20
WORKERS = max(1, min(4, os.cpu_count() or 1))
DOCUMENT_LIMIT = 1 << 30  # a pretty-printed document must fit in memory; say so past this


def is_document(head: bytes) -> bool:
    """True when ``head`` starts a multi-line JSON document rather than JSON lines."""
    first = head.lstrip().split(b"\n", 1)[0].strip()
    if not first:
        return False
    try:
        json.loads(first)
        return False
    except ValueError:
        return b"\n" in head.lstrip()


def chunks(source: Source, chunk_bytes: int | None = None) -> Iterator[pa.Table]:
    """Arrow tables of ``line`` (1-based, BIGINT) and ``text`` (VARCHAR; NULL if not UTF-8).

    Blank lines are skipped.  Each table holds about ``chunk_bytes`` (default ``CHUNK_BYTES``) of text.
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    if is_document(source.head()):
        data = source.read_all()
        if _valid_json(data):
            source.advance(len(data))
            yield _table([1], [data])
            return
        # not one document either: read it line by line, so that each bad line is located
    with source.open() as stream:
        number = 1
        while True:
            try:
                lines = stream.readlines(chunk_bytes)
            except (OSError, EOFError) as err:
                raise IngestError(f"cannot read {source.uri} past line {number - 1}: {err}",
                                  hint="check the file is complete (a cut-off .gz or .zst?)") from None
            if not lines:
                return
            numbers, texts = [], []
            for offset, line in enumerate(lines):
                if line.strip():
                    numbers.append(number + offset)
                    texts.append(line)
            number += len(lines)
            source.advance(sum(map(len, lines)) if source.compression is None else 0)
            if texts:
                yield _table(numbers, texts)


def _valid_json(data: bytes) -> bool:
    # DuckDB's parser: no Python objects for a document of hundreds of megabytes
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    with duckdb.connect() as con:  # a private connection: never disturb the caller's default one
        return bool(con.execute("SELECT json_valid(?)", [text]).fetchall()[0][0])


def _table(numbers: list[int], raw: list[bytes]) -> pa.Table:
    lines = pa.array(numbers, pa.int64())
    try:  # Arrow checks UTF-8 in C++: no Python string per line
        return pa.table({"line": lines, "text": pa.array(raw, pa.large_binary()).cast(pa.large_string())})
    except pa.ArrowInvalid:
        pass
    texts = []
    for line in raw:
        try:
            texts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(None)  # binary garbage: the reader rejects it by its NULL text
    return pa.table({"line": lines, "text": pa.array(texts, pa.large_string())})


def run_chunks(con, source: Source, work: Callable[[object, pa.Table, str], None],
               workers: int = WORKERS, chunk_bytes: int | None = None) -> None:
    """Call ``work(cursor, chunk, name)`` for every chunk, ``workers`` at a time.

    ``name`` is a per-worker identifier the work may use for temporary tables.  The first
    error stops the reading and is raised here.
    """
    stream = chunks(source, chunk_bytes)
    first = next(stream, None)
    if first is None:
        return
    second = next(stream, None)
    if second is None:  # one chunk: no thread worth starting
        cursor = con.cursor()
        try:
            work(cursor, first, "jb_chunk_0")
        finally:
            cursor.close()
        return
    pending: queue.Queue = queue.Queue(maxsize=workers)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        cursor = con.cursor()
        try:
            while True:
                chunk = pending.get()
                if chunk is None:
                    return
                if not errors:
                    try:
                        work(cursor, chunk, f"jb_chunk_{index}")
                    except BaseException as err:  # handed to the reading thread
                        errors.append(err)
        finally:
            cursor.close()

    # parallel over chunks, not inside each statement: on chunks this size DuckDB's own
    # threads cost more than they give (measured: 2 workers x 1 thread load 1M spans ~2x
    # faster than 2 workers x 2 threads), so the database runs one thread a query meanwhile
    before = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    con.execute("SET threads = 1")
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for chunk in itertools.chain([first, second], stream):
            if errors:
                break
            pending.put(chunk)
    finally:
        for _ in threads:
            pending.put(None)
        for thread in threads:
            thread.join()
        con.execute(f"SET threads = {int(before)}")
    if errors:
        raise errors[0]
