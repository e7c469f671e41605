"""Time windows and durations as the analysis functions accept them.

A window is a ``(start, end)`` pair of anything :class:`pandas.Timestamp`
understands (ISO text, ``datetime``, epoch nanoseconds).  Text without a date
(``"13:45"``) takes the date of the data in the store, because an on-call
engineer thinks in wall-clock times of the incident day, not in full ISO
stamps.  Times are UTC; the store keeps naive UTC ``TIMESTAMP_NS``.
"""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

from jitbench.errors import ParameterError

_TIME_ONLY = re.compile(r"^\s*\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*Z?\s*$", re.IGNORECASE)

# bucket widths a human reads easily; the first giving <= ~120 buckets wins
_BUCKETS = ["1s", "5s", "10s", "15s", "30s", "1min", "2min", "5min", "10min", "15min", "30min",
            "1h", "2h", "6h", "12h", "1D"]


def _data_day(store) -> pd.Timestamp | None:
    row = store.con.execute("SELECT min(start_time) FROM spans").fetchall()[0]
    if row[0] is None:
        row = store.con.execute("SELECT min(time) FROM logs").fetchall()[0]
    return None if row[0] is None else pd.Timestamp(row[0]).normalize()


def to_utc(value: Any, store=None, *, name: str = "time") -> pd.Timestamp:
    """Turn ``value`` into a naive UTC :class:`pandas.Timestamp` (nanoseconds kept).

    Aware values are converted to UTC; a bare clock time takes the date of the
    data in ``store``.  Raises :class:`ParameterError` naming ``name`` otherwise.

    >>> to_utc("2026-11-29T14:02:00+01:00")
    Timestamp('2026-11-29 13:02:00')
    """
    if isinstance(value, str) and _TIME_ONLY.match(value):
        day = _data_day(store) if store is not None else None
        if day is None:
            raise ParameterError(f"{name} {value!r} has no date and the store has no data to take one from",
                                 hint="give a full ISO time such as 2026-11-29T14:02Z")
        value = f"{day.date().isoformat()}T{value.strip().rstrip('Zz')}"
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"{name} {value!r} is not a time ({exc})",
                             hint="give an ISO time such as 2026-11-29T14:02Z") from None
    if ts is pd.NaT:
        raise ParameterError(f"{name} is empty", hint="give an ISO time such as 2026-11-29T14:02Z")
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts


def parse_window(window, store=None, *, name: str = "window") -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Parse a ``(start, end)`` window; ``None`` stays ``None`` (meaning: all the data).

    Either end may be ``None`` for an open side.  Raises :class:`ParameterError`
    for a pair in the wrong order or of the wrong shape.

    >>> parse_window(("2026-11-29T13:45Z", "2026-11-29T14:30Z"))
    (Timestamp('2026-11-29 13:45:00'), Timestamp('2026-11-29 14:30:00'))
    """
    if window is None:
        return None
    if isinstance(window, (str, bytes)) or not hasattr(window, "__len__") or len(window) != 2:
        raise ParameterError(f"{name} {window!r} is not a (start, end) pair",
                             hint='pass e.g. ("2026-11-29T13:45Z", "2026-11-29T14:30Z")')
    start = None if window[0] is None else to_utc(window[0], store, name=f"{name} start")
    end = None if window[1] is None else to_utc(window[1], store, name=f"{name} end")
    if start is None:
        start = pd.Timestamp.min.ceil("us")
    if end is None:
        end = pd.Timestamp.max.floor("us")
    if end <= start:
        raise ParameterError(f"{name} ends ({end}) before it starts ({start})", hint="swap the two times")
    return start, end


def to_timedelta(value: Any, *, name: str = "duration") -> pd.Timedelta:
    """Parse a duration: ``"2s"``, ``"500ms"``, ``"5min"``, a number of seconds or a timedelta.

    >>> to_timedelta("500ms")
    Timedelta('0 days 00:00:00.500000')
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return pd.Timedelta(seconds=value)
    try:
        td = pd.Timedelta(value)
    except (ValueError, TypeError):
        raise ParameterError(f"{name} {value!r} is not a duration", hint='use e.g. "2s", "500ms" or "5min"') from None
    if td is pd.NaT or td < pd.Timedelta(0):
        raise ParameterError(f"{name} {value!r} is not a positive duration", hint='use e.g. "2s"')
    return td


def sql_time(ts: pd.Timestamp) -> str:
    """A SQL ``TIMESTAMP_NS`` literal for ``ts`` (nanoseconds kept).

    >>> sql_time(pd.Timestamp("2026-11-29 14:02:00.000000001"))
    "TIMESTAMP_NS '2026-11-29 14:02:00.000000001'"
    """
    text = ts.isoformat(sep=" ")
    return f"TIMESTAMP_NS '{text}'"


def window_clause(window, column: str = "start_time") -> str:
    """SQL condition keeping rows whose ``column`` lies in ``window`` (``TRUE`` for ``None``).

    >>> window_clause((pd.Timestamp("2026-11-29 13:00"), pd.Timestamp("2026-11-29 14:00")))
    "(start_time >= TIMESTAMP_NS '2026-11-29 13:00:00' AND start_time < TIMESTAMP_NS '2026-11-29 14:00:00')"
    """
    if window is None:
        return "TRUE"
    return f"({column} >= {sql_time(window[0])} AND {column} < {sql_time(window[1])})"


def data_extent(store, table: str = "spans", column: str = "start_time") -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last ``column`` in ``table``, or ``None`` for an empty table.

    >>> data_extent(store)            # doctest: +SKIP
    (Timestamp('2026-11-29 13:00:00'), Timestamp('2026-11-29 14:30:00'))
    """
    lo, hi = store.con.execute(f"SELECT min({column}), max({column}) FROM {table}").fetchall()[0]
    return None if lo is None else (pd.Timestamp(lo), pd.Timestamp(hi))


def choose_bucket(start: pd.Timestamp, end: pd.Timestamp, target: int = 120) -> str:
    """A readable bucket width giving at most about ``target`` buckets over ``[start, end]``.

    >>> choose_bucket(pd.Timestamp("2026-11-29 13:00"), pd.Timestamp("2026-11-29 14:00"))
    '30s'
    """
    span = max(end - start, pd.Timedelta(seconds=1))
    for width in _BUCKETS:
        if span / pd.Timedelta(width) <= target:
            return width
    return _BUCKETS[-1]


def interval_sql(width: str) -> str:
    """A SQL ``INTERVAL`` for a pandas-style width such as ``"30s"`` or ``"5min"``.

    >>> interval_sql("5min")
    "INTERVAL '300000000 microseconds'"
    """
    td = to_timedelta(width, name="bucket")
    return f"INTERVAL '{int(td / pd.Timedelta(microseconds=1))} microseconds'"
