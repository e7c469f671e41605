"""Salted fingerprints of held values, and the check of a text against them.

The runner must prove that no value held by the kernel survived in a bundle,
without ever receiving those values.  The kernel sends :func:`fingerprint`
output: a random salt and keyed BLAKE2 hashes of each value's "pieces" (the
maximal runs of token characters, at least :data:`MIN_PIECE` long; a value made
only of token characters is one piece).  :func:`find_leaks` then hashes every
window of every token-character run of the bundle's text, at each fingerprinted
length, and reports the lengths and offsets that match — never the value.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Iterable

# characters a credential is usually made of; a run of them is a "token"
TOKEN_RUN = re.compile(r"[A-Za-z0-9._~+/=:%@\-]+")
MIN_PIECE = 6


def _hash(salt: bytes, text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), key=salt, digest_size=16).hexdigest()


def pieces(value: str) -> set[str]:
    """The parts of ``value`` that are checked: its token runs of >= MIN_PIECE chars."""
    return {p for p in TOKEN_RUN.findall(value) if len(p) >= MIN_PIECE}


@dataclass
class Fingerprints:
    """A salt and the hashes of held-value pieces, grouped by piece length."""
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    by_length: dict[int, set[str]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Fingerprints({self.count} pieces)"

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.by_length.values())

    def add(self, values: Iterable[str]) -> None:
        """Fingerprint ``values`` (and their URL-quoted/escaped spellings)."""
        from .scrub import variants
        for value in values:
            if not isinstance(value, str):
                continue
            for form in variants(value) if len(value) >= MIN_PIECE else ():
                for piece in pieces(form):
                    self.by_length.setdefault(len(piece), set()).add(_hash(self.salt, piece))

    def to_json(self) -> dict:
        """Serialisable form: hex salt and hashes only, never a value."""
        return {"salt": self.salt.hex(),
                "pieces": {str(n): sorted(h) for n, h in sorted(self.by_length.items())}}

    @classmethod
    def from_json(cls, data: dict) -> "Fingerprints":
        return cls(bytes.fromhex(data["salt"]),
                   {int(n): set(h) for n, h in data.get("pieces", {}).items()})


def fingerprint(values: Iterable[str]) -> Fingerprints:
    """Fingerprints of ``values`` under a fresh random salt.

    >>> fp = fingerprint(["hunter2-hunter2"]); find_leaks("x hunter2-hunter2 y", fp) != []
    True
    """
    fp = Fingerprints()
    fp.add(values)
    return fp


def _digests(table: "Fingerprints") -> dict[int, set[bytes]]:
    """The table's hashes as raw bytes by length (cheaper to compare than hex in the inner loop)."""
    return {n: {bytes.fromhex(h) for h in hashes} for n, hashes in table.by_length.items()}


def find_leaks(text: str, fingerprints: "Fingerprints | Iterable[Fingerprints]",
               cache: dict | None = None) -> list[tuple[int, int]]:
    """Offsets and lengths ``(offset, length)`` in ``text`` where a held piece appears.

    Every window of each token run is checked at each fingerprinted length, so a
    piece glued to other characters (``"pw" + password``) is found as well.
    Several tables (one per process, each with its own salt) may be given.
    ``cache`` (a dict kept across calls) remembers runs already checked: a
    report repeats the same class names and ids thousands of times.
    """
    tables = [fingerprints] if isinstance(fingerprints, Fingerprints) else list(fingerprints)
    prepared = [(t.salt, sorted(_digests(t).items())) for t in tables if t.by_length]
    if not prepared:
        return []
    shortest = min(n for _, lengths in prepared for n, _ in lengths)
    cache = {} if cache is None else cache
    hits: list[tuple[int, int]] = []
    for run in TOKEN_RUN.finditer(text):
        token = run.group(0)
        if len(token) < shortest:
            continue
        found = cache.get(token)
        if found is None:
            found = []
            data = token.encode("ascii")  # TOKEN_RUN matches ASCII only: offsets stay the same
            for salt, lengths in prepared:
                for n, wanted in lengths:
                    for i in range(len(data) - n + 1):
                        if hashlib.blake2b(data[i:i + n], key=salt, digest_size=16).digest() in wanted:
                            found.append((i, n))
            cache[token] = found
        hits.extend((run.start() + i, n) for i, n in found)
    return hits
