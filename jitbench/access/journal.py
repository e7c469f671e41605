"""The append-only access journal ``$JITBENCH_HOME/journal.jsonl``, hash-chained.

Each line is one JSON object with ``ts``, ``event`` and ``prev`` — the SHA-256
of the line before it (64 zeros for the first) — so a removed or edited line is
detectable by :func:`verify`.  Writers from several processes take a file lock.
If a line cannot be written the caller gets :class:`JournalError` and must not
issue access (the journal fails closed).
"""
from __future__ import annotations

import hashlib
import json
import os

from filelock import FileLock

from .. import config
from ..errors import JournalError
from .durations import now

GENESIS = "0" * 64
EVENTS = ("grant", "lease", "renew", "revoke", "expire", "error", "data_load", "attach")


def _lock() -> FileLock:
    return FileLock(str(config.journal_path()) + ".lock", timeout=30)


def _last_line(path) -> bytes | None:
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        end = f.tell()
        if end == 0:
            return None
        block = min(end, 65536)
        while True:
            f.seek(end - block)
            chunk = f.read(block)
            lines = chunk.rstrip(b"\n").split(b"\n")
            if len(lines) > 1 or block == end:
                return lines[-1]
            block = min(end, block * 4)


def _durable() -> bool:
    # JITBENCH_JOURNAL_FSYNC=0 trades power-loss durability for ~10 ms per line (tmpfs, benchmarks)
    return os.environ.get("JITBENCH_JOURNAL_FSYNC", "1").lower() not in ("0", "false", "no")


def digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def ensure_writable() -> None:
    """Raise :class:`JournalError` now if the journal could not take a line (checked before issuing access)."""
    path = config.journal_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab"):
            pass
    except OSError as err:
        raise JournalError(f"cannot write the access journal {path} ({err.strerror})") from None


def append(event: str, **fields) -> dict:
    """Append one ``event`` line with ``fields`` and return it; raise :class:`JournalError` if it can't be written.

    Callers pass ids, names and counts, never secret values.

    >>> append("data_load", grant_id="g-1", source="file", uri="traces.jsonl", rows=10)  # doctest: +SKIP
    """
    path = config.journal_path()
    record = {"ts": now().isoformat(timespec="milliseconds").replace("+00:00", "Z"), "event": event, **fields}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock():
            last = _last_line(path) if path.exists() else None
            record["prev"] = digest(last) if last else GENESIS
            line = json.dumps(record, default=str, separators=(",", ":")).encode()
            with open(path, "ab") as f:
                f.write(line + b"\n")
                f.flush()
                if _durable():
                    os.fsync(f.fileno())
    except OSError as err:
        raise JournalError(f"cannot write the access journal {path} ({err.strerror})") from None
    return record


def read(grant_id: str | None = None) -> list[dict]:
    """Every journal entry, oldest first; only those of ``grant_id`` when given."""
    path = config.journal_path()
    if not path.exists():
        return []
    out = []
    with open(path, "rb") as f:
        for raw in f:
            if raw.strip():
                entry = json.loads(raw)
                if grant_id is None or entry.get("grant_id") == grant_id:
                    out.append(entry)
    return out


def verify() -> None:
    """Raise :class:`JournalError` naming the first line whose ``prev`` does not match the line before it."""
    path = config.journal_path()
    if not path.exists():
        return
    prev = GENESIS
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip(b"\n")
            try:
                entry = json.loads(line)
            except ValueError:
                raise JournalError(f"journal {path} line {number} is not JSON", hint="the journal was edited") from None
            if entry.get("prev") != prev:
                raise JournalError(f"journal {path} line {number} does not follow line {number - 1}",
                                   hint="a line was removed or edited; keep this file as evidence") from None
            prev = digest(line)
