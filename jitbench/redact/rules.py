"""Pattern rules: credentials recognisable by their shape, and optional PII.

Held values are removed exactly (see :mod:`.scrub`); these rules catch what a
process never held but printed anyway — another user's Vault token in a log
line, a DSN with a password, an AWS key, a JWT, a bearer header.  PII rules are
off by default; they mask with a salted hash so the same e-mail gives the same
mask everywhere in a bundle and joins on it still work.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable

MASK = "[REDACTED]"


@dataclass(frozen=True)
class Rule:
    """A named regex; ``keep`` is the group kept verbatim before the secret part."""
    name: str
    pattern: re.Pattern
    keep: int | None = None


def _rx(text: str, flags: int = 0) -> re.Pattern:
    return re.compile(text, flags)


CREDENTIAL_RULES: tuple[Rule, ...] = (
    # scheme://user:password@host — keep the user, drop the password
    Rule("dsn-password", _rx(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@'\"]+:)[^\s@/'\"]+(?=@)"), keep=1),
    Rule("bearer", _rx(r"(\bBearer\s+)[A-Za-z0-9._~+/=\-]{8,}", re.IGNORECASE), keep=1),
    Rule("jwt", _rx(r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")),
    # Vault/OpenBao service, batch and recovery tokens (new and legacy prefixes)
    Rule("vault-token", _rx(r"\b(?:hv[sbr]|[sbr])\.[A-Za-z0-9_\-]{20,}")),
    Rule("root-token", _rx(r"\broot-[A-Za-z0-9\-]{8,}")),
    Rule("aws-access-key", _rx(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    # key = value / "key": "value" for names that only ever hold secrets
    Rule("secret-assignment", _rx(
        r"""((?:password|passwd|pwd|secret_access_key|secret[_-]?key|client_secret|api[_-]?key|"""
        r"""x-vault-token|vault_token|auth[_-]?token)['"]?\s*[:=]\s*['"]?)(?!\[REDACTED)[^\s'",;&}]{4,}""",
        re.IGNORECASE), keep=1),
)

_EMAIL = _rx(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b")
_IPV4 = _rx(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")
_CARD = _rx(r"\b(?:\d[ \-]?){12,18}\d\b")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def pii_masker(salt: bytes) -> Callable[[str], str]:
    """A function masking e-mails, IPv4 addresses and card numbers in a text.

    Each value becomes ``<kind:hash8>`` where the hash is salted, so masks are
    stable within one bundle (joins still work) without being a lookup table.

    >>> mask = pii_masker(b"s"); mask("mail a@b.io") == mask("mail a@b.io")
    True
    """
    def tag(kind: str, value: str) -> str:
        digest = hashlib.blake2b(value.encode(), key=salt[:64], digest_size=4).hexdigest()
        return f"<{kind}:{digest}>"

    def card(m: re.Match) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return tag("card", digits) if 13 <= len(digits) <= 19 and _luhn_ok(digits) else m.group(0)

    def mask(text: str) -> str:
        text = _EMAIL.sub(lambda m: tag("email", m.group(0).lower()), text)
        text = _CARD.sub(card, text)
        return _IPV4.sub(lambda m: tag("ip", m.group(0)), text)

    return mask


def apply_rules(text: str, rules: tuple[Rule, ...] = CREDENTIAL_RULES) -> str:
    """Replace every credential-shaped match in ``text`` by ``[REDACTED]``.

    >>> apply_rules("postgresql://app:hunter2@db/x")
    'postgresql://app:[REDACTED]@db/x'
    """
    for rule in rules:
        if rule.keep is None:
            text = rule.pattern.sub(MASK, text)
        else:
            text = rule.pattern.sub(lambda m, k=rule.keep: m.group(k) + MASK, text)
    return text
