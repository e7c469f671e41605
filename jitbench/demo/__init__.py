"""The demo: a realistic incident in a small shop, investigated end to end on this machine.

:func:`generate` writes the shop's traces and logs (and returns the answer
key); :mod:`jitbench.demo.shop` seeds the shop's PostgreSQL database;
:mod:`jitbench.demo.run` is what ``jitbench demo`` does.
"""
from .generate import Incident, generate

__all__ = ["Incident", "generate"]
