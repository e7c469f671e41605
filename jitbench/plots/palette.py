"""One colour per service, stable across the figures of a notebook."""
from __future__ import annotations

import zlib

import plotly.colors

_PALETTE = plotly.colors.qualitative.Safe + plotly.colors.qualitative.Vivid


def colour_of(name: str) -> str:
    """The colour of a service, chosen by a hash of its name so every figure agrees.

    >>> colour_of("checkout") == colour_of("checkout")
    True
    """
    return _PALETTE[zlib.crc32(str(name).encode()) % len(_PALETTE)]


def colour_map(names) -> dict[str, str]:
    """``{name: colour}`` for every distinct name.

    >>> sorted(colour_map(["a", "b", "a"]))
    ['a', 'b']
    """
    return {n: colour_of(n) for n in dict.fromkeys(names)}
