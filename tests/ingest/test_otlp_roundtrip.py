"""Round trip: OpenTelemetry SDK -> its real OTLP/HTTP exporter (protobuf) -> a receiver run here
-> OTLP JSON (protobuf JSON mapping: base64 ids, enum names) and file-exporter lines (hex ids,
enum numbers) -> Store.load -> every span back with its ids, parent, times and status."""
from __future__ import annotations

import base64
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (ExportTraceServiceRequest,
                                                                       ExportTraceServiceResponse)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode, set_span_in_context

from jitbench.store import Store

T0 = 1_795_950_000_123_456_789  # nanoseconds, with digits below the microsecond


class Receiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP traces endpoint keeping every decoded request."""

    requests: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        type(self).requests.append(request)
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def exported():
    """Spans made by two SDK services, sent over OTLP/HTTP; returns (requests, expected rows)."""
    Receiver.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    made = []
    try:
        for service, compression in (("checkout", Compression.NoCompression), ("payments", Compression.Gzip)):
            provider = TracerProvider(resource=Resource.create({"service.name": service, "host.name": "node-1"}))
            provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint,
                                                                             compression=compression)))
            tracer = provider.get_tracer("roundtrip.test", "0.3.1")
            root = tracer.start_span("POST /checkout", kind=SpanKind.SERVER, start_time=T0,
                                     attributes={"http.method": "POST", "http.status_code": 500,
                                                 "retry": True, "ratio": 0.25, "tags": ["a", "b"]})
            ctx = set_span_in_context(root)
            child = tracer.start_span("SELECT orders", kind=SpanKind.CLIENT, context=ctx, start_time=T0 + 1_001,
                                      links=[Link(root.get_span_context(), {"why": "test"})])
            child.add_event("retrying", {"attempt": 2}, timestamp=T0 + 5_000)
            child.set_status(Status(StatusCode.ERROR, "deadlock detected"))
            child.end(end_time=T0 + 2_500_333)
            ok = tracer.start_span("render", kind=SpanKind.INTERNAL, context=ctx, start_time=T0 + 3_000_000)
            ok.set_status(Status(StatusCode.OK))
            ok.end(end_time=T0 + 3_000_007)
            root.end(end_time=T0 + 9_999_999)
            made += [(service, s) for s in (root, child, ok)]
            provider.shutdown()
    finally:
        server.shutdown()
        server.server_close()
    expected = {}
    for service, s in made:
        ctx = s.get_span_context()
        expected[(f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}")] = {
            "parent_span_id": f"{s.parent.span_id:016x}" if s.parent else None, "service_name": service,
            "name": s.name, "kind": s.kind.name, "start": s.start_time, "end": s.end_time,
            "status_code": {"UNSET": "UNSET", "OK": "OK", "ERROR": "ERROR"}[s.status.status_code.name],
            "status_message": s.status.description}
    return Receiver.requests, expected


def _hex_ids(node):
    """The OTLP/JSON file form: protobuf JSON mapping, but ids as hex and enums as numbers."""
    if isinstance(node, dict):
        return {k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId") and v else _hex_ids(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


def check(store, source_id, expected):
    got = store.sql(f"select *, epoch_ns(start_time) as s_ns, epoch_ns(end_time) as e_ns from spans "
                    f"where source_id = {source_id}")
    assert len(got) == len(expected) == 6
    for row in got.itertuples():
        want = expected[(row.trace_id, row.span_id)]
        assert (row.parent_span_id if isinstance(row.parent_span_id, str) else None) == want["parent_span_id"]
        assert (row.service_name, row.name, row.kind) == (want["service_name"], want["name"], want["kind"])
        assert (row.s_ns, row.e_ns, row.duration_ns) == (want["start"], want["end"], want["end"] - want["start"])
        assert row.status_code == want["status_code"]
        assert (row.status_message if isinstance(row.status_message, str) else None) == want["status_message"]
        assert (row.scope_name, row.scope_version) == ("roundtrip.test", "0.3.1")
    root = got[got.name == "POST /checkout"].iloc[0]
    attrs = json.loads(root.attributes)
    assert attrs["http.status_code"] == 500 and attrs["retry"] is True and attrs["ratio"] == 0.25
    assert json.loads(root.resource_attributes)["host.name"] == "node-1"
    events = store.sql(f"select *, epoch_ns(time) as t from span_events where source_id = {source_id}")
    assert sorted(events.t) == [T0 + 5_000] * 2 and set(events.name) == {"retrying"}
    assert all(json.loads(a) == {"attempt": 2} for a in events.attributes)
    links = store.sql(f"select * from span_links where source_id = {source_id}")
    assert len(links) == 2 and all((lt, ls) in expected for lt, ls in zip(links.linked_trace_id, links.linked_span_id))


def test_protobuf_json_mapping_document(exported, tmp_path):
    requests, expected = exported
    merged = ExportTraceServiceRequest()
    for request in requests:
        merged.resource_spans.extend(request.resource_spans)
    path = tmp_path / "traces.json"
    path.write_text(json_format.MessageToJson(merged))   # pretty-printed, base64 ids, enum names
    text = path.read_text()
    assert '"SPAN_KIND_SERVER"' in text and "STATUS_CODE_ERROR" in text  # the mapping really is that
    with Store() as store:
        summary = store.load(path)
        assert (summary.format, summary.rows, summary.rejects) == ("otlp-traces", 6, 0)
        check(store, summary.source_id, expected)


def test_file_exporter_lines(exported, tmp_path):
    requests, expected = exported
    path = tmp_path / "traces.jsonl.gz"
    lines = [json.dumps(_hex_ids(json_format.MessageToDict(r, use_integers_for_enums=True))) for r in requests]
    assert len(lines) == 6  # SimpleSpanProcessor: one request a span
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    with Store() as store:
        summary = store.load(path)
        assert (summary.format, summary.rows, summary.rejects) == ("otlp-traces", 6, 0)
        check(store, summary.source_id, expected)
