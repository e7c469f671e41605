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


def find_leaks(text: str, fingerprints: "Fingerprints | Iterable[Fingerprints]") -> list[tuple[int, int]]:
    """Offsets and lengths ``(offset, length)`` in ``text`` where a held piece appears.

    Every window of each token run is checked at each fingerprinted length, so a
    piece glued to other characters (``"pw" + password``) is found as well.
    Several tables (one per process, each with its own salt) may be given.
    """
    tables = [fingerprints] if isinstance(fingerprints, Fingerprints) else list(fingerprints)
    hits: list[tuple[int, int]] = []
    for table in tables:
        lengths = sorted(table.by_length)
        if not lengths:
            continue
        shortest, salt = lengths[0], table.salt
        for run in TOKEN_RUN.finditer(text):
            token = run.group(0)
            if len(token) < shortest:
                continue
            for n in lengths:
                wanted = table.by_length[n]
                for i in range(len(token) - n + 1):
                    if _hash(salt, token[i:i + n]) in wanted:
                        hits.append((run.start() + i, n))
    return hits
