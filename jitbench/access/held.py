"""Every secret value this process has held, in memory only, for post-mortem redaction.

Values go in when Vault hands them to us (grant tokens, lease data) and never
leave the process except as salted hashes computed by the caller.
"""
from __future__ import annotations

import threading

_values: set[str] = set()
_lock = threading.Lock()


def remember(*values: object) -> None:
    """Add every non-empty string among ``values`` (and inside dicts/lists) to the held set."""
    stack = list(values)
    with _lock:
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                if v:
                    _values.add(v)
            elif isinstance(v, dict):
                stack.extend(v.values())
            elif isinstance(v, (list, tuple)):
                stack.extend(v)


def held_secrets() -> frozenset[str]:
    """Every secret value this process has held so far (tokens, passwords, JWTs, KV values).

    >>> "hunter2" in held_secrets()      # doctest: +SKIP
    True
    """
    with _lock:
        return frozenset(_values)
