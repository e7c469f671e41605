"""Values of log records in normal form: times to UTC nanoseconds, levels to OTLP severity numbers, hex ids.

Log files declare no units, so a number's unit is read from its magnitude
(seconds, milliseconds, microseconds or nanoseconds since the epoch), and text
times are RFC 3339 / ISO 8601 with every fractional digit kept.  The SQL twins
of these rules live in :mod:`jitbench.ingest.bulk_logs`; tests hold the two to
the same answers.
"""
from __future__ import annotations

import base64
import binascii
import calendar
import datetime as dt
import functools
import re
from decimal import Decimal

_RFC3339 = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*"
    r"(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$")


def to_unix_ns(value) -> int | None:
    """A timestamp as UTC nanoseconds since the epoch, or ``None`` for an empty value.

    Numbers (or digit strings) are read by magnitude as seconds, milliseconds,
    microseconds or nanoseconds; text is RFC 3339 / ISO 8601 with up to nine
    fractional digits kept, and without an offset it is taken as UTC.  Raises
    ``ValueError`` for anything else.

    >>> to_unix_ns("2026-11-29T14:02:00.123456789Z"), to_unix_ns(1795960920123)
    (1795960920123456789, 1795960920123000000)
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"time {value!r} is not a timestamp")
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return _epoch_ns(int(text))
        if _DECIMAL.fullmatch(text):
            return _epoch_ns(float(text), text)
        m = _RFC3339.match(text)
        if not m:
            raise ValueError(f"time {_short(value)!r} is not a timestamp (expected RFC 3339 or epoch s/ms/µs/ns)")
        y, mo, d, h, mi, s, frac, tz = m.groups()
        secs = _minute_seconds(y, mo, d, h, mi)
        if secs is None or int(s or 0) > 60:
            raise ValueError(f"time {_short(value)!r} is not a valid date")
        ns = int(frac[:9].ljust(9, "0")) if frac else 0
        return (secs + int(s or 0) - _offset_seconds(tz)) * 1_000_000_000 + ns
    if isinstance(value, float):  # through its shortest text, so 1795960920.25 s is exact
        text = repr(value)
        if text in ("inf", "-inf", "nan"):
            raise ValueError(f"time {text} is not a timestamp")
        return _epoch_ns(value, text) if "e" not in text else _epoch_ns(value)
    if isinstance(value, int):
        return _epoch_ns(value)
    raise ValueError(f"time of type {type(value).__name__} is not a timestamp")


_DECIMAL = re.compile(r"\d+\.\d*")


@functools.lru_cache(maxsize=4096)
def _minute_seconds(y: str, mo: str, d: str, h: str, mi: str) -> int | None:
    # log lines come in runs within one minute: the calendar work is done once per minute
    try:
        return calendar.timegm(dt.datetime(int(y), int(mo), int(d), int(h), int(mi)).timetuple())
    except ValueError:
        return None


def _offset_seconds(tz: str | None) -> int:
    if not tz or tz in ("Z", "z", "UTC", "GMT"):
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60)


def _epoch_ns(number, text: str | None = None) -> int:
    # magnitude decides the unit: seconds until year 5138, then ms, µs, ns; a number that came
    # as text is scaled exactly (Decimal), so every fractional digit written is kept
    magnitude = abs(number)
    for limit, per_unit in ((1e11, 1_000_000_000), (1e14, 1_000_000), (1e17, 1_000), (1e20, 1)):
        if magnitude < limit:
            if text is not None:
                ns = int(Decimal(text) * per_unit)
            else:
                ns = number * per_unit if isinstance(number, int) else int(round(number * per_unit))
            if not -2**63 < ns < 2**63:  # TIMESTAMP_NS spans the years 1677-2262
                break
            return ns
    raise ValueError(f"time {number!r} is out of range for a timestamp")


# OTLP severity numbers: TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21 (+1..3 for finer steps);
# syslog names follow the OpenTelemetry mapping appendix.
_SEVERITY = {
    "trace": 1, "trc": 1, "finest": 1, "finer": 2, "fine": 5, "verbose": 5,
    "debug": 5, "dbg": 5, "dbug": 5, "config": 6,
    "info": 9, "inf": 9, "information": 9, "informational": 9, "notice": 10,
    "warn": 13, "warning": 13, "wrn": 13,
    "error": 17, "err": 17, "eror": 17, "severe": 17,
    "fatal": 21, "critical": 22, "crit": 22, "alert": 23, "emerg": 24, "emergency": 24, "panic": 24,
    "t": 1, "d": 5, "i": 9, "w": 13, "e": 17, "f": 21, "c": 22,
}
# pino and bunyan write the level as a number: 10 trace ... 60 fatal
_NUMERIC_LEVEL = {10: 1, 20: 5, 30: 9, 40: 13, 50: 17, 60: 21}


def severity_number(level) -> int | None:
    """The OTLP ``severity_number`` (1-24) of a level name or number, ``None`` when unknown.

    Names are matched case-insensitively (``WARN``, ``warning``, ``Information``,
    ``ERROR2``); pino/bunyan numbers 10-60 map to TRACE..FATAL; a number 1-24 is
    taken as already OTLP.

    >>> severity_number("Warning"), severity_number(30), severity_number("INFO2")
    (13, 9, 10)
    """
    if level is None or isinstance(level, bool):
        return None
    if isinstance(level, (int, float)):
        n = int(level)
        if n in _NUMERIC_LEVEL:
            return _NUMERIC_LEVEL[n]
        return n if 1 <= n <= 24 else None
    text = str(level).strip().lower()
    if text.isdigit():
        return severity_number(int(text))
    if text in _SEVERITY:
        return _SEVERITY[text]
    m = re.fullmatch(r"([a-z]+)([1-4])", text)  # OTLP short names with a step: INFO2, ERROR3
    if m and m.group(1) in _SEVERITY and m.group(1) in ("trace", "debug", "info", "warn", "error", "fatal"):
        return _SEVERITY[m.group(1)] + int(m.group(2)) - 1
    return None


_HEX = re.compile(r"[0-9a-fA-F]+")


def hex_id(value, sizes: tuple[int, ...] = (16, 32)) -> str | None:
    """A trace or span id as lower-case hex, or ``None`` when it is empty or not an id.

    Accepts hex of either case (also with dashes, as a UUID) and base64 of 8 or
    16 bytes, as some backends emit; an all-zero id counts as absent.

    >>> hex_id("5B8EFFF798038103D269B633813FC60C"), hex_id("W47/95gDgQPSabYzgT/GDA==")
    ('5b8efff798038103d269b633813fc60c', '5b8efff798038103d269b633813fc60c')
    """
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("-", "") if len(value) == 36 else value.strip()
    if len(text) in sizes and _HEX.fullmatch(text):
        out = text.lower()
    else:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(raw) * 2 not in sizes:
            return None
        out = raw.hex()
    return None if not out.strip("0") else out


def _short(value) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:60] + "…"
