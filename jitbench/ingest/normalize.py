"""One normal form for every format: hex ids, UTC nanoseconds, OTLP enum names, JSON attributes.

Each rule exists twice: as a Python function (for readers that build rows in Python) and
as a DuckDB SQL expression builder (for the bulk readers).  Tests hold the two to the same
answers.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re

SPAN_KINDS = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"]
STATUS_CODES = ["UNSET", "OK", "ERROR"]
_HEX = re.compile(r"[0-9a-fA-F]*")


def hex_id(value) -> str | None:
    """An id as lower-case hex: hex of either case is lowered, base64 (12 or 24 chars, or padded) decoded.

    ``""`` and None stay as they are (the caller decides what absent means).

    >>> hex_id("5B8EFFF798038103D269B633813FC60C"), hex_id("W47/95gDgQPSabYzgTn8YA==")
    ('5b8efff798038103d269b633813fc60c', '5b8efff798038103d269b6338139fc60')
    """
    if value is None or value == "":
        return value
    text = str(value)
    if _looks_base64(text):
        try:
            return base64.b64decode(text, validate=True).hex()
        except (binascii.Error, ValueError):
            pass
    if not _HEX.fullmatch(text):
        raise ValueError(f"id {text[:40]!r} is neither hex nor base64")
    return text.lower()


def _looks_base64(text: str) -> bool:
    return len(text) in (12, 24) or text.endswith("=") or not _HEX.fullmatch(text)


def span_kind(value) -> str:
    """OTLP span kind as a name (number, ``SPAN_KIND_SERVER``, ``server`` all accepted).

    >>> span_kind(2), span_kind("SPAN_KIND_CLIENT"), span_kind("producer"), span_kind(None)
    ('SERVER', 'CLIENT', 'PRODUCER', 'UNSPECIFIED')
    """
    return _enum(value, SPAN_KINDS, "SPAN_KIND_", "UNSPECIFIED")


def status_code(value) -> str:
    """OTLP status code as UNSET/OK/ERROR (number or ``STATUS_CODE_ERROR`` accepted)."""
    return _enum(value, STATUS_CODES, "STATUS_CODE_", "UNSET")


def _enum(value, names: list[str], prefix: str, default: str) -> str:
    if value is None or value == "":
        return default
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        index = int(value)
        return names[index] if 0 <= index < len(names) else default
    name = str(value).upper().removeprefix(prefix)
    return name if name in names else default


def time_ns(value, unit: str = "ns") -> int | None:
    """A time as integer nanoseconds since the epoch, UTC.

    Numbers (or numeric strings) are taken in ``unit`` (``ns``, ``us``, ``ms``, ``s``);
    strings that are not numbers are parsed as RFC 3339 (fractions kept to the nanosecond,
    an offset converted to UTC, no offset taken as UTC).

    >>> time_ns("1544712660000000000"), time_ns(1485467191639875, "us")
    (1544712660000000000, 1485467191639875000)
    >>> time_ns("2026-11-29T14:02:00.123456789+01:00")
    1795956120123456789
    """
    if value is None or value == "":
        return None
    factor = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}[unit]
    if isinstance(value, bool):
        raise ValueError(f"time {value!r} is not a number or an RFC 3339 timestamp")
    if isinstance(value, int):
        return value * factor
    if isinstance(value, float):
        return int(round(value * factor))
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text) * factor
    return rfc3339_ns(text)


_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?\d*\s*(Z|[+-]\d\d:?\d\d)?", re.I)


def rfc3339_ns(text: str) -> int:
    """RFC 3339 / ISO 8601 text to epoch nanoseconds, without losing digits past microseconds."""
    match = _RFC3339.fullmatch(text.strip())
    if not match:
        raise ValueError(f"time {text[:40]!r} is not a number or an RFC 3339 timestamp")
    date, clock, fraction, offset = match.groups()
    base = dt.datetime.fromisoformat(f"{date}T{clock}").replace(tzinfo=dt.timezone.utc)
    nanos = int(base.timestamp()) * 1_000_000_000 + int((fraction or "0").ljust(9, "0"))
    if offset and offset.upper() != "Z":
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        nanos -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60) * 1_000_000_000
    return nanos


def any_value(value):
    """An OTLP AnyValue (``{"stringValue": "x"}``, ``{"intValue": "10"}``, ...) as a plain value.

    >>> any_value({"intValue": "10"}), any_value({"arrayValue": {"values": [{"boolValue": True}]}})
    (10, [True])
    """
    if not isinstance(value, dict) or not value:
        return None
    kind, inner = next(iter(value.items()))
    if kind == "intValue":
        try:
            return int(inner)
        except (TypeError, ValueError):
            return inner
    if kind == "arrayValue":
        return [any_value(v) for v in (inner or {}).get("values", [])]
    if kind == "kvlistValue":
        return kv_object((inner or {}).get("values", []))
    return inner


def kv_object(pairs) -> dict:
    """OTLP ``[{"key": k, "value": AnyValue}, ...]`` as ``{k: value}``."""
    return {p.get("key"): any_value(p.get("value")) for p in pairs or [] if isinstance(p, dict)}


def to_json(value) -> str | None:
    """Attributes (a dict) as the store's JSON text; None stays NULL."""
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- the same rules as DuckDB SQL expressions ------------------------------------------------

def sql_hex_id(col: str) -> str:
    """SQL for :func:`hex_id` (invalid base64 gives NULL)."""
    return (f"CASE WHEN length({col}) IN (12, 24) OR {col} LIKE '%=' OR NOT regexp_full_match({col}, "
            f"'[0-9a-fA-F]*') THEN lower(hex(try(from_base64({col})))) ELSE lower({col}) END")


def sql_enum(col: str, names: list[str], prefix: str, default: str) -> str:
    """SQL for :func:`span_kind` / :func:`status_code` over a VARCHAR column."""
    cases = " ".join(f"WHEN '{i}' THEN '{n}' WHEN '{prefix}{n}' THEN '{n}' WHEN '{n}' THEN '{n}'"
                     for i, n in enumerate(names))
    return f"coalesce(CASE upper({col}) {cases} END, '{default}')"


def sql_time_ns(col: str) -> str:
    """SQL: a VARCHAR of epoch nanoseconds as TIMESTAMP_NS (NULL when absent or not a number)."""
    return f"make_timestamp_ns(TRY_CAST({col} AS BIGINT))"


def sql_attributes(col: str) -> str:
    """SQL turning a list of OTLP ``{key, value: AnyValue}`` structs into JSON object text.

    Scalars become JSON scalars (``intValue`` a number), arrays and kvlists keep their OTLP
    JSON; an empty or missing list gives ``{}``/NULL respectively.
    """
    v = "a.value"
    value = (f"coalesce(to_json({v}.stringValue), CASE WHEN regexp_full_match({v}.intValue, '-?[0-9]+') "
             f"THEN {v}.intValue ELSE to_json({v}.intValue) END, CAST({v}.doubleValue AS VARCHAR), "
             f"CAST({v}.boolValue AS VARCHAR), to_json({v}.bytesValue), "
             f"CAST({v}.arrayValue AS VARCHAR), CAST({v}.kvlistValue AS VARCHAR), 'null')")
    return (f"('{{' || array_to_string(list_transform({col}, lambda a: to_json(coalesce(a.key, '')) || ':' "
            f"|| {value}), ',') || '}}')")


def sql_attributes_text(col: str, kv_type: str) -> str:
    """SQL turning OTLP key/value JSON text (a ``JSON`` column) into a JSON object, mostly by
    plain text replacement.

    DuckDB hands back a ``JSON`` field minified, so a list of scalar attributes always reads
    ``[{"key":"k","value":{"stringValue":...}},...]``; the markers replaced all contain a bare
    double quote, which inside a JSON string is always escaped, so they cannot be confused
    with text in a key or value.  A list that is not of that shape (an item without a value,
    another key order, an extra field) does not come out as valid JSON, and takes the
    general path (:func:`sql_attributes` over ``kv_type``), as do lists holding arrays,
    kvlists or empty values.  The result is of type JSON (validated once, here).
    """
    text = f"CAST({col} AS VARCHAR)"
    # OTLP writes an int64 as a string: "k": 7, not "k": "7" (one pass finds and unquotes it)
    fast = f"regexp_replace({text}, ',\"value\":\\{{\"intValue\":\"(-?[0-9]+)\"', ':\\1', 'g')"
    for kind in ("stringValue", "boolValue", "doubleValue", "bytesValue"):
        fast = f"replace({fast}, ',\"value\":{{\"{kind}\":', ':')"
    fast = f"replace({fast}, '}}}},{{\"key\":', ',')"
    # the list's two ends, by anchored patterns (a trim or a slice walks every character)
    fast = f"TRY_CAST(regexp_replace(regexp_replace({fast}, '^\\[\\{{\"key\":', '{{'), '\\}}\\}}\\]$', '}}') AS JSON)"
    simple = (f"starts_with({text}, '[{{\"key\":\"') AND ends_with({text}, '}}}}]') "
              f"AND NOT contains({text}, 'Value\":{{')")
    general = sql_attributes(f"json_transform({col}, {chr(39)}{kv_type}{chr(39)})")
    return (f"CASE WHEN {col} IS NULL THEN NULL WHEN {text} = '[]' THEN '{{}}'::JSON "
            f"WHEN {simple} THEN coalesce({fast}, ({general})::JSON) "
            f"ELSE ({general})::JSON END")
