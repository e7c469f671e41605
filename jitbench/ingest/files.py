"""Local sources: paths, globs and directories, gzip and zstd, turned into ``Source`` objects."""
from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Iterable

from ..errors import IngestError
from .registry import Source, compression_of

GLOB_CHARS = set("*?[")


def expand(source) -> list[Source]:
    """Every file ``source`` names, as Sources, in a stable order.

    ``source`` is a path, a glob (``traces/*.jsonl.gz``, ``**`` recurses), a directory
    (every non-hidden file under it), a ``Source``, or a list of any of these.
    Compression is recognised from the file's first bytes, not its name.

    >>> expand("/no/such/file")
    Traceback (most recent call last):
    jitbench.errors.IngestError: no such file or directory: /no/such/file — check the path ...
    """
    if isinstance(source, (str, os.PathLike, Source)):
        source = [source]
    found: list[Source] = []
    for item in source:
        if isinstance(item, Source):
            found.append(item)
        else:
            found.extend(file_source(p) for p in _paths(str(item)))
    return found


def file_source(path: Path) -> Source:
    """A Source for one local file; IngestError if it cannot be opened."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as err:
        raise IngestError(f"cannot read {path}: {err.strerror}", hint="check the file's permissions") from None
    return Source(uri=str(path), path=Path(path), compression=compression_of(magic), kind="file")


def _paths(text: str) -> Iterable[Path]:
    expanded = os.path.expanduser(text)
    if GLOB_CHARS & set(expanded):
        matches = sorted(Path(p) for p in glob.glob(expanded, recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise IngestError(f"no file matches {text}", hint="check the pattern (quote it so the shell "
                              "does not expand it)")
        return files
    path = Path(expanded)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file()
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not files:
            raise IngestError(f"directory {text} holds no files", hint="point at the files to load")
        return files
    if not path.exists():
        raise IngestError(f"no such file or directory: {text}", hint="check the path")
    return [path]
