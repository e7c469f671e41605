"""Jaeger JSON: one trace object, the query API's ``{"data": [...]}`` and the UI's download.

Jaeger documents are API responses and UI exports (kilobytes to a few megabytes), so they
are read in Python.  UI-only fields (``relativeStartTime``, ``depth``, ``childSpanIds``,
the nested ``span`` of a reference, an embedded ``process``...) are ignored.  Mapping to
the store:

* service and resource attributes from the span's process (``processes[processID]``);
* parent: the first CHILD_OF reference inside the same trace (legacy ``parentSpanID``
  too); every other reference (FOLLOWS_FROM, another trace) becomes a ``span_links`` row;
* kind from the ``span.kind`` tag; status ERROR from ``otel.status_code=ERROR`` or an
  ``error`` tag that is true, OK from ``otel.status_code=OK``;
* scope from ``otel.scope.name``/``otel.library.name`` (and their ``.version``);
* span logs become ``span_events`` (name from the ``event`` field);
* times are microseconds: end = start + duration.
"""
from __future__ import annotations

import json

from .normalize import hex_id, span_kind, to_json
from .registry import ReadResult, Reader, json_document, register


def _tag_value(tag: dict):
    value, kind = tag.get("value"), str(tag.get("type", "")).lower()
    if kind == "int64" and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    if kind == "bool" and isinstance(value, str):
        return value.lower() == "true"
    return value


def _tags(tags) -> dict:
    return {t.get("key"): _tag_value(t) for t in tags or [] if isinstance(t, dict)}


def traces_of(doc) -> list:
    """The trace objects in any of Jaeger's JSON shapes (object, ``data`` wrapper, list)."""
    if isinstance(doc, list):
        return [t for item in doc for t in traces_of(item)]
    if isinstance(doc, dict):
        if isinstance(doc.get("data"), list):
            return doc["data"]
        if isinstance(doc.get("spans"), list):
            return [doc]
    return []


def span_rows(span: dict, processes: dict, trace_ids: set) -> tuple[dict, list, list]:
    """One Jaeger span as a ``spans`` row plus its ``span_events`` and ``span_links`` rows."""
    trace_id = hex_id(span["traceID"])
    span_id = hex_id(span["spanID"])
    parent, links = None, []
    legacy = span.get("parentSpanID")
    if legacy and hex_id(legacy).strip("0"):
        parent = hex_id(legacy)
    for ref in span.get("references") or []:
        ref_trace, ref_span = hex_id(ref.get("traceID")), hex_id(ref.get("spanID"))
        if parent is None and ref.get("refType", "CHILD_OF") == "CHILD_OF" and ref_trace == trace_id:
            parent = ref_span
        else:
            links.append({"trace_id": trace_id, "span_id": span_id, "linked_trace_id": ref_trace,
                          "linked_span_id": ref_span,
                          "attributes": to_json({"jaeger.ref_type": ref.get("refType")})})
    process = span.get("process") or processes.get(span.get("processID")) or {}
    resource = _tags(process.get("tags"))
    service = process.get("serviceName") or None
    if service is not None:
        resource = {"service.name": service, **resource}
    tags = _tags(span.get("tags"))
    otel_status = str(tags.get("otel.status_code", "")).upper()
    error = tags.get("error")
    status = ("ERROR" if otel_status == "ERROR" or error is True or str(error).lower() == "true"
              else "OK" if otel_status == "OK" else "UNSET")
    start = int(span["startTime"]) * 1000 if span.get("startTime") is not None else None
    duration = int(span["duration"]) * 1000 if span.get("duration") is not None else None
    row = {"trace_id": trace_id, "span_id": span_id, "parent_span_id": parent, "service_name": service,
           "name": span.get("operationName"), "kind": span_kind(tags.get("span.kind")),
           "start_time": start, "end_time": start + duration if None not in (start, duration) else None,
           "duration_ns": duration, "status_code": status,
           "status_message": tags.get("otel.status_description") or None,
           "attributes": to_json(tags), "resource_attributes": to_json(resource),
           "scope_name": tags.get("otel.scope.name") or tags.get("otel.library.name"),
           "scope_version": tags.get("otel.scope.version") or tags.get("otel.library.version")}
    events = []
    for log in span.get("logs") or []:
        fields = _tags(log.get("fields"))
        events.append({"trace_id": trace_id, "span_id": span_id,
                       "time": int(log["timestamp"]) * 1000 if log.get("timestamp") is not None else None,
                       "name": str(fields.pop("event", "log")), "attributes": to_json(fields)})
    return row, events, links


def read_jaeger(store, source, source_id: int, **opts) -> ReadResult:
    """Read a Jaeger JSON document into spans, span_events and span_links."""
    doc = json_document(store, source, source_id)
    if doc is None:
        return ReadResult()
    traces = traces_of(doc)
    spans, events, links, rejects, warnings = [], [], [], [], []
    if isinstance(doc, dict) and doc.get("errors"):
        warnings.append(f"the response reports errors: {json.dumps(doc['errors'])[:200]}")
    for t, trace in enumerate(traces):
        processes = trace.get("processes") or {}
        trace_spans = trace.get("spans") or []
        for s, span in enumerate(trace_spans):
            where = f"{source.uri}#data[{t}].spans[{s}]"
            try:
                row, span_events, span_links = span_rows(span, processes, set())
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                what = f"missing field {err}" if isinstance(err, KeyError) else str(err)
                rejects.append((where, f"unreadable Jaeger span: {what}", json.dumps(span)[:2000]))
                continue
            spans.append(row | {"source_id": source_id})
            events += [e | {"source_id": source_id} for e in span_events]
            links += [link | {"source_id": source_id} for link in span_links]
    if not traces:
        warnings.append("no Jaeger traces in the document")
    store.insert("spans", spans)
    store.insert("span_events", events)
    store.insert("span_links", links)
    store.add_rejects(source_id, rejects)
    return ReadResult(len(spans), warnings)


def sniff_jaeger(head: bytes) -> int:
    """Jaeger JSON: ``traceID`` (capital ID) with ``operationName``."""
    window = head[:8192]
    return 80 if b'"traceID"' in window and (b'"operationName"' in window or b'"spans"' in window) else 0


register(Reader("jaeger", "spans", sniff_jaeger, read_jaeger,
                "Jaeger JSON: a trace object, /api/traces {data: [...]}, or a UI download"))
