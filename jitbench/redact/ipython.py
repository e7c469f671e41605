"""Redaction at the source: scrub a kernel's outputs as they are produced.

:func:`install` wraps the kernel session's ``send`` — every stream, display,
result, error and comm message leaves the kernel through it — so that every
value returned by ``held()`` is removed before a message leaves the kernel.  ``held`` is
called on each output (the set only grows as leases are taken); the scrubber
is rebuilt when it changed, and ``on_change(values)`` lets the caller publish
fresh fingerprints.
"""
from __future__ import annotations

import threading
from typing import Callable, Iterable

from .scrub import Scrubber


class OutputScrubber:
    """The live scrubber of one kernel: rebuilt whenever the held values change."""

    def __init__(self, held: Callable[[], Iterable[str]], on_change: Callable[[frozenset], None] | None = None,
                 pii: bool = False, salt: bytes = b"jitbench"):
        self._held = held
        self._on_change = on_change
        self._pii = pii
        self._salt = salt
        self._seen: frozenset = frozenset()
        self._scrubber = Scrubber(pii=pii, salt=salt)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OutputScrubber({len(self._seen)} held values)"

    def current(self) -> Scrubber:
        """The scrubber for the values held right now (rebuilt only when they changed)."""
        values = frozenset(self._held())
        if values != self._seen:
            with self._lock:
                if values != self._seen:
                    self._scrubber = Scrubber(values, pii=self._pii, salt=self._salt)
                    self._seen = values
                    if self._on_change is not None:
                        self._on_change(values)
        return self._scrubber

    def text(self, text):
        return self.current().text(text) if isinstance(text, str) else text

    def data(self, obj):
        return self.current().data(obj)


def _shell(shell=None):
    if shell is not None:
        return shell
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def install(held: Callable[[], Iterable[str]], on_change: Callable[[frozenset], None] | None = None,
            pii: bool = False, shell=None, salt: bytes = b"jitbench") -> OutputScrubber | None:
    """Scrub every message the running kernel sends; ``None`` outside an IPython kernel.

    The hook sits on the kernel's ``Session.send``, the one door every output
    goes through (streams after buffering, rich displays, results, errors,
    widget comm messages), so a new kind of output cannot slip past it.
    Installing twice keeps the first scrubber (and its callbacks).

    >>> install(lambda: {"s3cr3t-value"})        # in a notebook   # doctest: +SKIP
    OutputScrubber(0 held values)
    """
    shell = _shell(shell)
    session = getattr(getattr(shell, "kernel", None), "session", None)
    if session is None:
        return None
    existing = getattr(session, "_jitbench_output_scrubber", None)
    if existing is not None:
        return existing
    scrubber = OutputScrubber(held, on_change, pii, salt)
    send = session.send

    def scrubbed_send(stream, msg_or_type, content=None, *args, **kwargs):
        if isinstance(msg_or_type, dict):
            msg_or_type = dict(msg_or_type)
            for key in ("content", "metadata"):
                if msg_or_type.get(key):
                    msg_or_type[key] = scrubber.data(msg_or_type[key])
        if content is not None:
            content = scrubber.data(content)
        if kwargs.get("metadata"):
            kwargs["metadata"] = scrubber.data(kwargs["metadata"])
        return send(stream, msg_or_type, content, *args, **kwargs)

    session.send = scrubbed_send
    session._jitbench_output_scrubber = scrubber
    session._jitbench_original_send = send
    return scrubber


def uninstall(shell=None) -> bool:
    """Remove the hook (for debugging, and for tests that simulate a redaction gap); True if one was removed."""
    session = getattr(getattr(_shell(shell), "kernel", None), "session", None)
    original = getattr(session, "_jitbench_original_send", None)
    if original is None:
        return False
    session.send = original
    del session._jitbench_original_send, session._jitbench_output_scrubber
    return True
