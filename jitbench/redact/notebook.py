"""Scrubbing a whole notebook: sources, outputs, tracebacks, metadata, widget state.

Every string of the notebook is scrubbed, wherever it sits, rather than a list
of known places: a new output type or a new metadata key cannot then become a
hole.  Binary outputs (base64 images) are left as they are: they hold pixels,
not text, and scanning megabytes of base64 would only find coincidences.
"""
from __future__ import annotations

from typing import Any

from .scrub import Scrubber

BINARY_MIME_PREFIXES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def is_binary(key: Any) -> bool:
    return isinstance(key, str) and key.startswith(BINARY_MIME_PREFIXES)


def _walk(obj: Any, scrubber: Scrubber) -> Any:
    if isinstance(obj, str):
        return scrubber.text(obj)
    if isinstance(obj, dict):
        return obj.__class__((scrubber.text(k) if isinstance(k, str) else k,
                              v if is_binary(k) else _walk(v, scrubber)) for k, v in obj.items())
    if isinstance(obj, list):
        return [_walk(v, scrubber) for v in obj]
    return obj


def scrub_notebook(nb: dict, scrubber: Scrubber) -> dict:
    """A scrubbed copy of a notebook (an ``nbformat`` node or its plain dict form).

    >>> nb = {"cells": [{"cell_type": "code", "source": "pw = 'x1y2z3w4'", "outputs": []}],
    ...       "metadata": {}}
    >>> scrub_notebook(nb, Scrubber({"x1y2z3w4"}))["cells"][0]["source"]
    "pw = '[REDACTED]'"
    """
    return _walk(nb, scrubber)
