"""Proof that no held value survived: check every file of a bundle.

Each file is read the way a reader would see it — the strings of a notebook or
JSON file, the unescaped text of an HTML page, every text cell of a Parquet
file — and checked against the exact values this process holds and against
the salted fingerprints other processes (the kernel) sent.  A hit is a
:class:`Leak` naming the file and the offset, never the value; the caller
refuses the bundle.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .fingerprints import Fingerprints, find_leaks
from .notebook import is_binary
from .scrub import MIN_SECRET_LENGTH, variants


@dataclass(frozen=True)
class Leak:
    """Where a held value was found: file, part of it, offset and length (no value)."""
    path: str
    part: str
    offset: int
    length: int

    def __str__(self) -> str:
        return f"{self.path} ({self.part}) at offset {self.offset}, {self.length} chars"


def _strings(obj, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(obj, str):
        yield where or "/", obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(k, str):
                yield f"{where}/<key>", k
            if not is_binary(k):
                yield from _strings(v, f"{where}/{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _strings(v, f"{where}/{i}")


def _parts(path: Path, skip: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(part name, text) pairs of one file, as a reader of that file type sees it."""
    suffix = path.suffix.lower()
    if suffix in (".ipynb", ".json"):
        yield from _strings(json.loads(path.read_text(encoding="utf-8")))
    elif suffix == ".jsonl":
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                yield from ((f"line {n}{w}", t) for w, t in _strings(json.loads(line)))
    elif suffix == ".parquet":
        import pyarrow.parquet as pq
        table = pq.read_table(path)
        yield "schema", " ".join(table.column_names)
        for name in table.column_names:
            col = table.column(name)
            if str(col.type) in ("string", "large_string") or "json" in str(col.type):
                yield f"column {name}", "\n".join(v for v in col.to_pylist() if isinstance(v, str))
            elif not str(col.type).startswith(("int", "uint", "double", "float", "bool", "timestamp",
                                                "date", "decimal")):
                yield f"column {name}", "\n".join(str(v) for v in col.to_pylist())
    else:
        text = path.read_text(encoding="utf-8", errors="replace")
        for blob in skip:  # known library code (plotly.js) embedded verbatim
            text = text.replace(blob, "")
        yield "text", text
        if suffix in (".html", ".htm"):
            yield "unescaped", html.unescape(text)


def find_bundle_leaks(root: Path, fingerprints: Iterable[Fingerprints] = (), held: Iterable[str] = (),
                      skip: Iterable[str] = ()) -> list[Leak]:
    """Every place under ``root`` where a held value (exact or fingerprinted) appears.

    ``held`` are values this process holds (checked exactly, with their escaped
    spellings); ``fingerprints`` come from other processes; ``skip`` are exact
    blobs (library code) removed from text files before checking.
    """
    forms = set()
    for value in held:
        if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
            forms |= variants(value)
    tables = list(fingerprints)
    skip = [s for s in skip if s]
    leaks: list[Leak] = []
    cache: dict = {}
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        rel = str(path.relative_to(root))
        for part, text in _parts(path, skip):
            for form in forms:
                at = text.find(form)
                if at >= 0:
                    leaks.append(Leak(rel, part, at, len(form)))
            for offset, length in find_leaks(text, tables, cache) if tables else ():
                leaks.append(Leak(rel, part, offset, length))
    return leaks
