"""Zipkin v2 JSON: an array of spans (what ``/api/v2/trace/{id}`` and the UI download give).

RPC client and server halves share one span id in Zipkin (the server half has
``shared: true``); both are kept, as distinct rows told apart by ``kind``.  Mapping:

* service and resource from ``localEndpoint`` (NULL service when it has none);
* ``remoteEndpoint`` as ``peer.service`` / ``net.peer.ip`` / ``net.peer.port`` attributes,
  ``shared`` and ``debug`` as ``zipkin.shared`` / ``zipkin.debug``;
* status ERROR when the ``error`` tag is present, whatever its value (its value, if any,
  is the status message);
* a span without ``kind`` is a local operation: INTERNAL;
* annotations become ``span_events``; times are microseconds, a missing ``duration``
  leaves the end time NULL.
"""
from __future__ import annotations

import json

from .normalize import hex_id, span_kind, to_json
from .registry import ReadResult, Reader, json_document, register


def span_rows(span: dict) -> tuple[dict, list]:
    """One Zipkin v2 span as a ``spans`` row plus its ``span_events`` rows."""
    trace_id, span_id = hex_id(span["traceId"]), hex_id(span["id"])
    local = span.get("localEndpoint") or {}
    remote = span.get("remoteEndpoint") or {}
    tags = dict(span.get("tags") or {})
    attributes = dict(tags)
    for key, field in (("peer.service", "serviceName"), ("net.peer.ip", "ipv4"), ("net.peer.ip6", "ipv6"),
                       ("net.peer.port", "port")):
        if remote.get(field) is not None:
            attributes[key] = remote[field]
    for flag in ("shared", "debug"):
        if span.get(flag) is not None:
            attributes[f"zipkin.{flag}"] = span[flag]
    service = local.get("serviceName") or None
    resource = {k: v for k, v in (("service.name", service), ("host.ip", local.get("ipv4")),
                                  ("host.ip6", local.get("ipv6")), ("host.port", local.get("port")))
                if v is not None}
    start = int(span["timestamp"]) * 1000 if span.get("timestamp") is not None else None
    duration = int(span["duration"]) * 1000 if span.get("duration") is not None else None
    row = {"trace_id": trace_id, "span_id": span_id, "parent_span_id": hex_id(span.get("parentId")) or None,
           "service_name": service, "name": span.get("name"),
           "kind": span_kind(span.get("kind")) if span.get("kind") else "INTERNAL",
           "start_time": start, "end_time": start + duration if None not in (start, duration) else None,
           "duration_ns": duration, "status_code": "ERROR" if "error" in tags else "UNSET",
           "status_message": tags.get("error") or None,
           "attributes": to_json(attributes), "resource_attributes": to_json(resource) if resource else None}
    events = [{"trace_id": trace_id, "span_id": span_id,
               "time": int(a["timestamp"]) * 1000 if a.get("timestamp") is not None else None,
               "name": a.get("value"), "attributes": None}
              for a in span.get("annotations") or []]
    return row, events


def read_zipkin(store, source, source_id: int, **opts) -> ReadResult:
    """Read a Zipkin v2 JSON span array (or one span object) into spans and span_events."""
    doc = json_document(store, source, source_id)
    if doc is None:
        return ReadResult()
    items = doc if isinstance(doc, list) else [doc]
    # a trace list from /api/v2/traces is a list of span lists
    items = [s for item in items for s in (item if isinstance(item, list) else [item])]
    spans, events, rejects = [], [], []
    for index, span in enumerate(items):
        try:
            row, span_events = span_rows(span)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            what = f"missing field {err}" if isinstance(err, KeyError) else str(err)
            rejects.append((f"{source.uri}#[{index}]", f"unreadable Zipkin span: {what}", json.dumps(span)[:2000]))
            continue
        spans.append(row | {"source_id": source_id})
        events += [e | {"source_id": source_id} for e in span_events]
    store.insert("spans", spans)
    store.insert("span_events", events)
    store.add_rejects(source_id, rejects)
    return ReadResult(len(spans))


def sniff_zipkin(head: bytes) -> int:
    """Zipkin v2: a JSON array of objects with ``traceId`` and ``id`` (and no OTLP keys)."""
    window = head[:8192]
    if not window.lstrip().startswith(b"[") or b'"traceId"' not in window:
        return 0
    return 80 if (b'"localEndpoint"' in window or b'"timestamp"' in window or b'"id"' in window) else 0


register(Reader("zipkin", "spans", sniff_zipkin, read_zipkin, "Zipkin v2 JSON span arrays"))
