"""Exact removal of held secret values, then the pattern rules, on any data.

A :class:`Scrubber` knows the values a process holds and removes each of them
wherever it appears — also in the forms a value takes on its way to an output:
URL-quoted in a DSN, escaped in a JSON string or a Python repr, HTML-escaped in
a DataFrame's HTML.  Values shorter than :data:`MIN_SECRET_LENGTH` are ignored
because removing "pg" or "1" from every output would destroy the report while
protecting nothing a guesser could not find.
"""
from __future__ import annotations

import html
import json
import re
from typing import Any, Iterable
from urllib.parse import quote

from .rules import CREDENTIAL_RULES, MASK, apply_rules, pii_masker

MIN_SECRET_LENGTH = 6


def variants(value: str) -> set[str]:
    """The spellings of ``value`` an output may contain (raw, quoted, escaped).

    >>> sorted(variants('a"b/c1'))
    ['a"b/c1', 'a%22b%2Fc1', 'a&quot;b/c1', 'a\\\\"b/c1']
    """
    forms = {value, quote(value, safe=""), json.dumps(value)[1:-1], repr(value)[1:-1],
             html.escape(value, quote=True)}
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


class Scrubber:
    """Removes held values (exactly) and credential shapes (by rule) from data.

    ``held`` are the secret values; ``pii`` turns on e-mail/IP/card masking
    with ``salt``.  ``scrubber.text(s)`` cleans a string, ``scrubber.data(obj)``
    cleans every string inside dicts/lists/tuples (keys too) and returns a copy.

    >>> Scrubber({"s3cr3t-value"}).text("pw=s3cr3t-value!")
    'pw=[REDACTED]!'
    """

    def __init__(self, held: Iterable[str] = (), *, rules=CREDENTIAL_RULES, pii: bool = False,
                 salt: bytes = b"jitbench"):
        self._held = frozenset(v for v in held if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH)
        forms = set()
        for value in self._held:
            forms |= variants(value)
        # longest first so a DSN containing a password is removed whole
        self._exact = (re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
                       if forms else None)
        self._rules = rules
        self._pii = pii_masker(salt) if pii else None

    def __repr__(self) -> str:
        return f"Scrubber({len(self._held)} held values, pii={'on' if self._pii else 'off'})"

    @property
    def held_count(self) -> int:
        return len(self._held)

    def text(self, text: str) -> str:
        """``text`` with every held value and credential shape replaced by ``[REDACTED]``."""
        if not text:
            return text
        if self._exact is not None:
            text = self._exact.sub(MASK, text)
        text = apply_rules(text, self._rules)
        if self._pii is not None:
            text = self._pii(text)
        return text

    def data(self, obj: Any) -> Any:
        """A copy of ``obj`` with every string in it scrubbed (dict keys included)."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return obj.__class__((self.data(k), self.data(v)) for k, v in obj.items())
        if isinstance(obj, (list, tuple)):
            return obj.__class__(self.data(v) for v in obj)
        return obj

    def frame(self, df):
        """A copy of a pandas DataFrame with text cells, column names and index scrubbed."""
        from pandas.api.types import is_object_dtype, is_string_dtype

        def textual(dtype) -> bool:
            return is_object_dtype(dtype) or is_string_dtype(dtype)

        out = df.copy()
        out.columns = [self.data(c) for c in out.columns]
        for i in range(out.shape[1]):
            if textual(out.dtypes.iloc[i]):
                out.iloc[:, i] = out.iloc[:, i].map(
                    lambda v: self.data(v) if isinstance(v, (str, list, dict)) else v)
        if textual(out.index.dtype):
            out.index = [self.data(v) for v in out.index]
        return out
