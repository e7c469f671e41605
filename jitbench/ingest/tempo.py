"""Tempo trace-by-id responses: v1 ``{"batches": [...]}`` and v2 ``{"trace": {...}}``.

Both are OTLP inside a wrapper (base64 ids and enum names allowed), so the OTLP reader
reads them; this module only recognises them, so that ``--format tempo`` and sniffing
name what was loaded.
"""
from __future__ import annotations

from .otlp import read_traces
from .registry import Reader, register


def sniff_tempo(head: bytes) -> int:
    """Tempo: a ``batches`` array, or a ``trace`` object holding ``resourceSpans``."""
    window = head[:4096].lstrip()
    if not window.startswith(b"{"):
        return 0
    if b'"batches"' in window:
        return 95
    if b'"trace"' in window and b'"resourceSpans"' in window and window.find(b'"trace"') < window.find(
            b'"resourceSpans"'):
        return 95
    return 0


register(Reader("tempo", "spans", sniff_tempo, read_traces,
                "Tempo trace-by-id responses (v1 batches, v2 trace wrapper): OTLP inside"))
