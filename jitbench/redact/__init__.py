"""Secret and PII scrubbing of text, frames and notebooks, with verification.

Imports nothing of jitbench: a kernel, a runner and a test can all use it
without pulling in Vault or DuckDB.

- :class:`Scrubber` removes held values exactly (and their quoted/escaped
  spellings) and credential shapes by rule; optional PII masking.
- :func:`scrub_notebook` applies it to every string of a notebook.
- :func:`fingerprint` / :func:`find_leaks` let a process prove that values it
  never saw (only their salted hashes) are absent from a text;
  :func:`find_bundle_leaks` checks every file of a bundle.
"""
from .fingerprints import Fingerprints, find_leaks, fingerprint
from .notebook import scrub_notebook
from .rules import MASK, apply_rules, pii_masker
from .scrub import Scrubber
from .verify import Leak, find_bundle_leaks

__all__ = ["Fingerprints", "Leak", "MASK", "Scrubber", "apply_rules", "find_bundle_leaks", "find_leaks",
           "fingerprint", "pii_masker", "scrub_notebook"]
