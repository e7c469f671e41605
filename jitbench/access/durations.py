"""Durations as people type them (``15m``, ``1h30m``, ``90s``, ``900``) and UTC timestamps."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ..errors import ParameterError

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str | int | float | timedelta, name: str = "ttl") -> float:
    """Seconds in ``value``: a number of seconds, a timedelta, or text like ``15m`` or ``1h30m``.

    >>> parse_duration("1h30m")
    5400.0
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            seconds = float(text)
        elif re.fullmatch(r"(?:\d+(?:\.\d+)?[smhd])+", text):
            seconds = sum(float(n) * _UNIT[u] for n, u in _PART.findall(text))
        else:
            raise ParameterError(f"{name}={value!r} is not a duration", hint="write it like 15m, 1h30m or 900s")
    else:
        raise ParameterError(f"{name}={value!r} is not a duration", hint="write it like 15m, 1h30m or 900s")
    if seconds <= 0:
        raise ParameterError(f"{name}={value!r} must be longer than zero", hint="write it like 15m or 900s")
    return seconds


def now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    """``2026-11-29T14:02:00Z`` (seconds precision, UTC) for the local state and the journal."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str | None) -> datetime | None:
    """The aware UTC datetime of an :func:`iso` string (or of Vault's RFC 3339 timestamps)."""
    if not text:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def human(seconds: float) -> str:
    """``14m05s``-style text for messages."""
    seconds = int(max(0, round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"
