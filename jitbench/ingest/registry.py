"""The reader registry: which formats jitbench reads, and how a format is recognised.

The contract for adding a reader
--------------------------------
A reader is a :class:`Reader` registered with :func:`register`::

    from jitbench.ingest.registry import Reader, ReadResult, register

    def sniff_logfmt(head: bytes) -> int:
        # head: the first bytes of the *decompressed* content (up to 64 KiB, possibly
        # cut mid-line).  Return 0 for "not mine", else a confidence 1..100; the highest
        # wins.  Sniffers must be cheap and must never raise.
        return 60 if head.lstrip().startswith(b"ts=") else 0

    def read_logfmt(store, source, source_id, **opts) -> ReadResult:
        # source: a Source (below).  Write rows tagged with source_id, either
        #   store.insert("logs", [{"time": ns, "body": ..., "source_id": source_id}, ...])
        # or in bulk with SQL on store.con.  Record every record you cannot read with
        #   store.add_rejects(source_id, [(source.location(line_no), "why", raw_text)])
        # and keep going.  Raise IngestError only when the source cannot be read at all.
        ...
        return ReadResult(rows=n, warnings=[...])

    register(Reader("logfmt", "logs", sniff_logfmt, read_logfmt, "logfmt key=value lines"))

Rules every reader keeps:

* rows go to the store's normalised tables only (``spans``, ``span_events``, ``span_links``,
  ``logs``), with ``source_id`` set; ids lower-case hex, times UTC nanoseconds, enums as
  names (see :mod:`jitbench.ingest.normalize`), a missing service name is NULL;
* nothing is dropped silently: an unreadable record goes to ``rejects`` with a location
  (``source.location(line)`` gives ``file:line``; HTTP readers use ``url#index``);
* ``**opts`` are the keyword arguments given to ``Store.load`` (e.g. ``pattern=`` for plain
  text); a reader ignores what it does not understand;
* the store counts rows and rejects itself after the read, writes the ``sources`` row and
  calls the journal hook: a reader never does bookkeeping;
* if a reader raises, every row of that load is taken back (``Store.discard_source``).

``ReadResult.rows`` is informational; ``warnings`` end up in the load's summary (e.g.
"stopped at the server's limit of 5000 lines").  Readers may also return a plain int.
"""
from __future__ import annotations

import gzip
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterator

from ..errors import IngestError, UnknownFormat

HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Reader:
    """One format jitbench reads: its name, what it fills, how it is recognised and read."""

    name: str                       # the --format value, e.g. "otlp-traces"
    table: str                      # "spans" or "logs": what the format holds
    sniff: Callable[[bytes], int]   # head bytes -> 0 (not mine) .. 100 (certainly mine)
    read: Callable[..., "ReadResult | int"]  # (store, source, source_id, **opts)
    description: str = ""


@dataclass
class ReadResult:
    """What a reader reports back; the store counts rows and rejects on its own."""

    rows: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class Source:
    """The bytes one reader reads: a local file (gzip/zstd handled) or bytes in memory.

    ``uri`` names it in ``sources`` and in reject locations (a path or URL, never a
    credential).  ``path`` is set for local files so that bulk readers can hand the
    file to DuckDB; ``compression`` is None, ``"gzip"`` or ``"zstd"``.

    >>> src = Source.from_bytes(b'{"a": 1}\\n', "memory:1")
    >>> [line for line in src.lines()]
    [(1, b'{"a": 1}')]
    """

    uri: str
    path: Path | None = None
    data: bytes | None = None
    compression: str | None = None
    kind: str = "file"
    # called with a byte count as a reader gets through the source (drives the progress bar)
    advance: Callable[[int], None] = field(default=lambda n: None, repr=False, compare=False)

    @classmethod
    def from_bytes(cls, data: bytes, uri: str, kind: str = "memory") -> "Source":
        """Bytes already in memory (an HTTP response, a test) as a source; gzip/zstd are detected."""
        return cls(uri=uri, data=data, compression=compression_of(data[:4]), kind=kind)

    @property
    def size(self) -> int:
        """Bytes as stored (compressed size for a compressed file)."""
        return len(self.data) if self.data is not None else self.path.stat().st_size

    def open(self) -> IO[bytes]:
        """A binary stream of the decompressed content."""
        raw: IO[bytes] = io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")
        if self.compression == "gzip":
            return gzip.GzipFile(fileobj=raw)
        if self.compression == "zstd":
            import zstandard
            # buffered: zstandard's reader has no readline()
            return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=True))
        return raw

    def head(self, size: int = HEAD_BYTES) -> bytes:
        """The first ``size`` decompressed bytes (what sniffers see)."""
        try:
            with self.open() as stream:
                return stream.read(size)
        except (OSError, EOFError) as err:
            raise IngestError(f"cannot read {self.uri}: {err}",
                              hint="check the file is complete and of the compression its name says") from None

    def read_all(self) -> bytes:
        """The whole decompressed content (for formats that are one document)."""
        try:
            with self.open() as stream:
                return stream.read()
        except (OSError, EOFError) as err:
            raise IngestError(f"cannot read {self.uri}: {err}",
                              hint="check the file is complete and of the compression its name says") from None

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """``(line_number, line)`` pairs, 1-based, without the line break."""
        with self.open() as stream:
            for number, line in enumerate(stream, 1):
                yield number, line.rstrip(b"\r\n")

    def location(self, line: int | None = None) -> str:
        """``uri:line`` — where a reject came from."""
        return self.uri if line is None else f"{self.uri}:{line}"


def json_document(store, source: Source, source_id: int):
    """``source`` parsed as one JSON document; ``None`` once the reason it is not one is a reject."""
    text = source.read_all()
    try:
        return json.loads(text)
    except ValueError as err:
        store.add_rejects(source_id, [(source.location(getattr(err, "lineno", None)),
                                       f"not valid JSON: {err}", text[:2000])])
        return None


def compression_of(magic: bytes) -> str | None:
    """``"gzip"``, ``"zstd"`` or None, from a file's first bytes."""
    if magic[:3] == b"\x1f\x8b\x08":  # gzip magic + deflate, the only method gzip has
        return "gzip"
    if magic[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return None


_READERS: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    """Add (or replace, by name) a reader; see the module docstring for the contract."""
    _READERS[reader.name] = reader
    return reader


def formats() -> list[str]:
    """Names of every registered reader, i.e. the accepted ``format=`` values."""
    _register_builtins()
    return sorted(_READERS)


def get(name: str) -> Reader:
    """The reader called ``name``; UnknownFormat (listing the names) if there is none."""
    _register_builtins()
    try:
        return _READERS[name]
    except KeyError:
        raise UnknownFormat(f"no reader for format {name!r}; known formats: {', '.join(sorted(_READERS))}",
                            hint="") from None


def sniff(head: bytes, uri: str = "input") -> Reader:
    """The reader that recognises ``head`` most confidently; UnknownFormat naming what was seen."""
    _register_builtins()
    scores = []
    for reader in _READERS.values():
        try:
            score = reader.sniff(head)
        except Exception:  # a sniffer bug must not hide the other formats
            score = 0
        if score:
            scores.append((score, reader.name, reader))
    if not scores:
        raise UnknownFormat(f"cannot tell the format of {uri}: it starts with {describe(head)}")
    return max(scores, key=lambda s: (s[0], s[1]))[2]


def describe(head: bytes) -> str:
    """A short, safe description of some bytes for an error message."""
    if not head.strip():
        return "nothing (it is empty)"
    text = head[:60].decode("utf-8", "replace")
    if sum(ch == "\ufffd" or (ch < " " and ch not in "\r\n\t") for ch in text) > 3:
        return f"binary data ({head[:8].hex(' ')} …)"
    return repr(" ".join(text.split())[:50] + ("…" if len(head) > 60 else ""))


# modules of this package that hold no reader
_NOT_READERS = {"registry", "files", "normalize", "jsonchunks"}
_builtins_loaded = False


def _register_builtins() -> None:
    # every module of jitbench.ingest registers its readers when imported; import them on
    # first use rather than at import time, so that importing jitbench stays cheap
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    import importlib
    import pkgutil
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in _NOT_READERS and not info.name.startswith("_"):
            try:
                importlib.import_module(f"{__package__}.{info.name}")
            except Exception as err:  # one broken reader must not take the others down
                warnings.warn(f"jitbench.ingest.{info.name} could not be imported ({err}); "
                              f"its formats are unavailable", RuntimeWarning, stacklevel=2)
