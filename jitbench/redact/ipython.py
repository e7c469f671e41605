"""Redaction at the source: scrub a kernel's outputs as they are produced.

:func:`install` wraps the four ways an IPython kernel emits output — rich
display (``display_pub.publish``), the value of a cell's last expression
(``displayhook.write_format_data``), ``sys.stdout``/``sys.stderr`` writes and
error tracebacks (``_showtraceback``) — so that every value returned by
``held()`` is removed before the message leaves the kernel.  ``held`` is
called on each output (the set only grows as leases are taken); the scrubber
is rebuilt when it changed, and ``on_change(values)`` lets the caller publish
fresh fingerprints.
"""
from __future__ import annotations

import sys
import threading
from typing import Callable, Iterable

from .scrub import Scrubber


class OutputScrubber:
    """The live scrubber of one kernel: rebuilt whenever the held values change."""

    def __init__(self, held: Callable[[], Iterable[str]], on_change: Callable[[frozenset], None] | None = None,
                 pii: bool = False):
        self._held = held
        self._on_change = on_change
        self._pii = pii
        self._seen: frozenset = frozenset()
        self._scrubber = Scrubber(pii=pii)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OutputScrubber({len(self._seen)} held values)"

    def current(self) -> Scrubber:
        """The scrubber for the values held right now (rebuilt only when they changed)."""
        values = frozenset(self._held())
        if values != self._seen:
            with self._lock:
                if values != self._seen:
                    self._scrubber = Scrubber(values, pii=self._pii)
                    self._seen = values
                    if self._on_change is not None:
                        self._on_change(values)
        return self._scrubber

    def text(self, text):
        return self.current().text(text) if isinstance(text, str) else text

    def data(self, obj):
        return self.current().data(obj)


def _wrap_stream(stream, scrubber: OutputScrubber) -> None:
    if stream is None or getattr(stream, "_jitbench_scrubbed", False):
        return
    write = stream.write
    stream.write = lambda text: write(scrubber.text(text))
    stream._jitbench_scrubbed = True


def install(held: Callable[[], Iterable[str]], on_change: Callable[[frozenset], None] | None = None,
            pii: bool = False, shell=None) -> OutputScrubber | None:
    """Scrub every output of the running IPython kernel; ``None`` outside IPython.

    Installing twice keeps the first scrubber (and its callbacks).

    >>> install(lambda: {"s3cr3t-value"})        # in a notebook   # doctest: +SKIP
    OutputScrubber(0 held values)
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return None
        shell = get_ipython()
    if shell is None:
        return None
    existing = getattr(shell, "_jitbench_output_scrubber", None)
    if existing is not None:
        return existing
    scrubber = OutputScrubber(held, on_change, pii)

    publish = shell.display_pub.publish

    def scrubbed_publish(data, metadata=None, *args, **kwargs):
        return publish(scrubber.data(data), scrubber.data(metadata) if metadata else metadata, *args, **kwargs)

    shell.display_pub.publish = scrubbed_publish

    hook = shell.displayhook
    if hasattr(hook, "write_format_data"):
        write_format_data = hook.write_format_data
        hook.write_format_data = lambda fmt, md=None: write_format_data(
            scrubber.data(fmt), scrubber.data(md) if md else md)

    show = shell._showtraceback

    def scrubbed_traceback(etype, evalue, stb):
        # only str(evalue) is sent, so a scrubbed string stands in for the exception
        return show(etype, scrubber.text(str(evalue)), scrubber.data(list(stb)))

    shell._showtraceback = scrubbed_traceback
    _wrap_stream(sys.stdout, scrubber)
    _wrap_stream(sys.stderr, scrubber)
    shell._jitbench_output_scrubber = scrubber
    return scrubber
