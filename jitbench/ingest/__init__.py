"""Reading traces and logs into the investigation store.

``load(store, source, format=None)`` is what ``Store.load`` and ``jitbench load`` call:
it expands paths and globs (:mod:`.files`), picks a reader per file by sniffing its
content (:mod:`.registry`, which also documents how to add a format), lets the reader
write rows and rejects, and books the load in ``sources``.

>>> from jitbench.store import Store
>>> from jitbench.ingest import formats
>>> "otlp-traces" in formats()
True
"""
from __future__ import annotations

import time
import warnings

from ..errors import IngestError, UnknownFormat
from .files import expand
from .registry import ReadResult, Reader, Source, describe, formats, get, register, sniff

__all__ = ["load", "formats", "register", "Reader", "ReadResult", "Source", "LoadWarning"]

PROGRESS_DELAY = 2.0  # seconds before a progress bar appears: short loads stay quiet
LOAD_MEMORY_LIMIT = "256MB"  # DuckDB's cap during a load into a file store (see _cap_memory)


class LoadWarning(UserWarning):
    """A load finished but something should not go unnoticed (no rows, a limit was hit)."""


def load(store, source, format: str | None = None, lease=None, *, progress: bool | None = None,
         uri: str | None = None, **opts):
    """Read ``source`` into ``store``; return its LoadSummary (see ``Store.load``).

    One ``sources`` row is written per call, whatever the number of files; rejects carry
    the file and line.  An explicit ``format`` applies to every file; otherwise each file
    is sniffed.  A file whose format cannot be told is an ``UnknownFormat`` error when it
    is the only one, and a reject (plus a warning) when it is one of several.  ``progress``
    forces the tqdm bar on or off (default: shown for loads longer than two seconds).
    """
    sources = expand(source)
    reader = get(format) if format else None  # an unknown --format fails before any work
    label = uri or _label(source, sources)
    kind = sources[0].kind if len({s.kind for s in sources}) == 1 else "mixed"
    started = time.perf_counter()
    source_id = store.begin_source(kind, label, format, lease)
    notes: list[str] = []
    used: list[str] = []
    restore = _cap_memory(store)
    try:
        with _progress_bar(sum(_size(s) for s in sources), label, progress) as bar:
            for src in sources:
                src.advance = bar.update
                before = bar.n
                chosen = reader or _sniff_one(store, src, source_id, single=len(sources) == 1, notes=notes)
                if chosen is not None:
                    try:
                        result = chosen.read(store, src, source_id, **opts)
                    except IngestError as err:
                        if len(sources) == 1:
                            raise
                        # one unreadable file of many: say so, keep the others
                        store.add_rejects(source_id, [(src.location(), str(err), None)])
                        notes.append(f"{src.uri}: not loaded ({chosen.name})")
                        continue
                    if isinstance(result, ReadResult):
                        notes.extend(result.warnings)
                    if chosen.name not in used:
                        used.append(chosen.name)
                bar.update(max(0, _size(src) - (bar.n - before)))
    except BaseException:
        store.discard_source(source_id)
        raise
    finally:
        restore()
    summary = store.finish_source(source_id, format="+".join(used) or format, files=len(sources),
                                  bytes=sum(_size(s) for s in sources),
                                  seconds=time.perf_counter() - started, warnings=notes)
    for note in summary.warnings:
        warnings.warn(note if label in note else f"{label}: {note}", LoadWarning, stacklevel=3)
    return summary


def _cap_memory(store):
    """Cap DuckDB's memory while a file-backed store loads; return what undoes it.

    DuckDB keeps every block it writes cached up to its limit (80% of RAM by default),
    so a big load's peak RSS would grow with the file; capped, written blocks go to
    disk and memory stays flat.  An in-memory store cannot spill its tables, so it is
    left alone.
    """
    if getattr(store, "path", None) is None:
        return lambda: None
    before = store.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    store.con.execute(f"SET memory_limit = '{LOAD_MEMORY_LIMIT}'")
    return lambda: store.con.execute(f"SET memory_limit = '{before}'")


def _sniff_one(store, src: Source, source_id: int, *, single: bool, notes: list[str]) -> Reader | None:
    head = src.head()
    if not head.strip():
        notes.append(f"{src.uri} is empty")
        return None
    try:
        return sniff(head, src.uri)
    except UnknownFormat:
        if single:
            raise
        store.add_rejects(source_id, [(src.location(), f"unknown format: starts with {describe(head)}",
                                       head[:200])])
        notes.append(f"{src.uri}: unknown format, skipped")
        return None


def _label(source, sources: list[Source]) -> str:
    if isinstance(source, (list, tuple)):
        return sources[0].uri if len(sources) == 1 else ", ".join(
            s.uri if isinstance(s, Source) else str(s) for s in source)
    return source.uri if isinstance(source, Source) else str(source)


def _size(src: Source) -> int:
    try:
        return src.size
    except OSError as err:
        raise IngestError(f"cannot read {src.uri}: {err.strerror}", hint="check the path") from None


class _progress_bar:
    """A tqdm bar over bytes that shows up only for slow loads (tqdm's ``delay``)."""

    def __init__(self, total: int, label: str, enabled: bool | None):
        from tqdm.auto import tqdm
        self.bar = tqdm(total=total, unit="B", unit_scale=True, desc=label[-40:], leave=False,
                        delay=PROGRESS_DELAY if enabled is None else 0, disable=enabled is False)
        self.n = 0  # counted here: a disabled tqdm does not count

    def update(self, nbytes: int) -> None:
        self.n += nbytes
        self.bar.update(nbytes)

    def __enter__(self) -> "_progress_bar":
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()
