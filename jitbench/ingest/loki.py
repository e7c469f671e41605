"""Loki ``query_range`` responses into ``logs`` rows.

A response holds streams; each stream has its labels and ``values``, entries of
``[ns-timestamp, line]`` or ``[ns-timestamp, line, metadata]``.  The metadata is
either structured metadata as a flat object, or — when the request asked for
``X-Loki-Response-Encoding-Flags: categorize-labels`` — an object with
``structuredMetadata`` and ``parsed``.  Stream labels become
``resource_attributes``; structured metadata and parsed labels become
``attributes``.  The service name, level and trace/span ids come from the labels
and metadata first, then from the line itself when it is JSON or logfmt (or
holds ``trace_id=<hex>`` / a ``traceparent``).

The same reader serves saved responses (``format="loki"``) and the HTTP source
(:mod:`jitbench.ingest.http`), which pages through a whole window.
"""
from __future__ import annotations

import json
import re
from typing import NamedTuple

from .logs import RAW_CUT, ROLE_OF, Reject, hex_id, logfmt_row, parse_logfmt, severity_number, to_unix_ns

# labels Loki setups use for the service, in order of preference
SERVICE_LABELS = ("service_name", "service", "service.name", "app", "application", "app_kubernetes_io_name",
                  "job", "container")
LEVEL_LABELS = ("level", "detected_level", "severity", "lvl", "loglevel")
_TRACE_IN_TEXT = re.compile(r"trace[_.\-]?id[\"']?\s*[=:]\s*[\"']?([0-9a-fA-F]{32}|[0-9a-fA-F]{16})\b", re.I)
_SPAN_IN_TEXT = re.compile(r"span[_.\-]?id[\"']?\s*[=:]\s*[\"']?([0-9a-fA-F]{16})\b", re.I)
_TRACEPARENT = re.compile(r"\b00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}\b")


class Entry(NamedTuple):
    """One log line of a response, with where it was (``where#stream.entry``)."""
    location: str
    labels: dict
    time_ns: int
    line: str
    metadata: dict

    def key(self) -> tuple:
        """What makes a line itself: its stream, time and text (used to drop page overlaps)."""
        return (tuple(sorted(self.labels.items())), self.time_ns, self.line,
                tuple(sorted((k, str(v)) for k, v in self.metadata.items())))


def entries(response: dict, where: str) -> tuple[list[Entry], list[Reject]]:
    """The log lines of one ``query_range`` response, and rejects for entries that are malformed.

    Raises ``ValueError`` when the response is not a Loki streams result at all
    (an error status, or a metric query's matrix).

    >>> resp = {"status": "success", "data": {"resultType": "streams", "result": [
    ...     {"stream": {"app": "api"}, "values": [["1795960920000000000", "hello"]]}]}}
    >>> [e.line for e in entries(resp, "loki")[0]]
    ['hello']
    """
    if not isinstance(response, dict):
        raise ValueError("not a Loki response (expected a JSON object with data.result)")
    if response.get("status") not in (None, "success"):
        raise ValueError(f"Loki answered status {response.get('status')!r}: {response.get('error', '')}")
    data = response.get("data", response)
    kind = data.get("resultType") if isinstance(data, dict) else None
    if kind in ("matrix", "vector", "scalar"):
        raise ValueError(f"Loki returned a {kind} (a metric query); load a log query such as {{app=\"api\"}}")
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, list):
        raise ValueError("not a Loki response (no data.result list of streams)")
    found: list[Entry] = []
    rejects: list[Reject] = []
    for s, stream in enumerate(result):
        here = f"{where}#{s}"
        if not isinstance(stream, dict) or not isinstance(stream.get("values", []), list):
            rejects.append(Reject(here, "stream is not an object with a values list", _dump(stream)))
            continue
        labels = stream.get("stream") or stream.get("labels") or {}
        if not isinstance(labels, dict):
            rejects.append(Reject(here, "stream labels are not an object", _dump(stream)))
            continue
        for e, value in enumerate(stream.get("values", [])):
            try:
                found.append(_entry(f"{here}.{e}", labels, value))
            except (ValueError, TypeError) as err:
                rejects.append(Reject(f"{here}.{e}", str(err), _dump(value)))
    return found, rejects


def _entry(location: str, labels: dict, value) -> Entry:
    if not isinstance(value, list) or len(value) < 2:
        raise ValueError("entry is not [timestamp, line] or [timestamp, line, metadata]")
    ts, line = value[0], value[1]
    if not isinstance(ts, (str, int)) or isinstance(ts, bool):
        raise ValueError(f"entry timestamp {ts!r} is not a nanosecond timestamp")
    time_ns = to_unix_ns(ts)
    if time_ns is None:
        raise ValueError("entry has no timestamp")
    if not isinstance(line, str):
        raise ValueError(f"entry line is a {type(line).__name__}, not text")
    meta = value[2] if len(value) > 2 else {}
    if not isinstance(meta, dict):
        raise ValueError("entry metadata is not an object")
    if "structuredMetadata" in meta or "parsed" in meta:  # categorize-labels encoding
        meta = {**(meta.get("parsed") or {}), **(meta.get("structuredMetadata") or {})}
    return Entry(location, labels, time_ns, line, meta)


def entry_row(entry: Entry) -> tuple:
    """The ``logs`` row of one entry (columns of :data:`jitbench.ingest.logs.LOG_COLUMNS`).

    >>> entry_row(Entry("x", {"app": "api", "level": "warn"}, 5, "slow trace_id=" + "ab" * 16, {}))[:7]
    (5, None, 'warn', 13, 'api', 'slow trace_id=abababababababababababababababab', 'abababababababababababababababab')
    """
    labels, meta = entry.labels, entry.metadata
    line_row = _line_row(entry.line)
    level = _first(meta, LEVEL_LABELS) or _first(labels, LEVEL_LABELS) or (line_row[2] if line_row else None)
    trace_id = (_id(meta, "trace_id", (32, 16)) or (line_row[6] if line_row else None)
                or _id(labels, "trace_id", (32, 16)))
    span_id = _id(meta, "span_id", (16,)) or (line_row[7] if line_row else None) or _id(labels, "span_id", (16,))
    if trace_id is None:
        m = _TRACE_IN_TEXT.search(entry.line) or _TRACEPARENT.search(entry.line)
        if m:
            trace_id = m.group(1).lower()
            if span_id is None and m.re is _TRACEPARENT:
                span_id = m.group(2)
    if span_id is None and trace_id is not None:
        m = _SPAN_IN_TEXT.search(entry.line)
        span_id = m.group(1).lower() if m else None
    service = _first(labels, SERVICE_LABELS) or _first(meta, SERVICE_LABELS) or (line_row[4] if line_row else None)
    return (entry.time_ns, None, level, severity_number(level), service, entry.line, trace_id, span_id,
            json.dumps(meta, ensure_ascii=False) if meta else None,
            json.dumps(labels, ensure_ascii=False) if labels else None)


def _line_row(line: str) -> tuple | None:
    # a JSON or logfmt line carries its own level and ids; plain text only what the regexes find
    text = line.lstrip()
    try:
        if text.startswith("{"):
            from .logs import json_log_row
            return json_log_row(text)
        if "=" in text:
            fields = parse_logfmt(text)
            if len(fields) >= 2:
                return logfmt_row(text)
    except (ValueError, TypeError):
        return None
    return None


def _first(fields: dict, names: tuple[str, ...]):
    for name in names:
        value = fields.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _id(fields: dict, role: str, sizes: tuple[int, ...]) -> str | None:
    for key, value in fields.items():
        hit = ROLE_OF.get(key.lower())
        if hit and hit[0] == role:
            found = hex_id(value, sizes)
            if found:
                return found
    return None


def _dump(value) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text[:RAW_CUT]


# -- the registry reader: a saved query_range response ------------------------------

def _register() -> None:
    from ..errors import IngestError
    from .logs import write_log_rows
    from .registry import Reader, ReadResult, register

    def sniff(head: bytes) -> int:
        start = head.lstrip()[:1]
        return 90 if start == b"{" and b'"resultType"' in head and b'"streams"' in head else 0

    def read(store, source, source_id, **opts) -> ReadResult:
        try:
            response = json.loads(source.read_all())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise IngestError(f"{source.uri} is not valid JSON ({err})",
                              hint="a Loki response file must be the whole query_range JSON") from None
        try:
            found, rejects = entries(response, source.uri)
        except ValueError as err:
            raise IngestError(f"{source.uri}: {err}", hint="") from None
        rows = [entry_row(e) for e in found]
        write_log_rows(store, source_id, rows)
        store.add_rejects(source_id, [(r.location, r.error, r.raw) for r in rejects])
        return ReadResult(len(rows))

    register(Reader("loki", "logs", sniff, read, "Loki query_range response (streams)"))


_register()
