"""Sniffing and the registry contract; Tempo wrappers; the `jitbench load` command."""
from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from jitbench.cli import main
from jitbench.errors import UnknownFormat
from jitbench.ingest import ReadResult, Reader, Source, formats, register
from jitbench.ingest.registry import sniff
from jitbench.store import Store

TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"


def b64(hexid: str) -> str:
    return base64.b64encode(bytes.fromhex(hexid)).decode()


def tempo_span(**over):
    span = {"traceId": b64(TRACE), "spanId": b64(SPAN), "name": "GET /", "kind": "SPAN_KIND_SERVER",
            "startTimeUnixNano": "1700000000000000001", "endTimeUnixNano": "1700000000500000001",
            "status": {"code": "STATUS_CODE_ERROR", "message": "boom"}}
    span.update(over)
    return span


def resource(key: str, spans: list) -> dict:
    return {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
            key: [{"scope": {"name": "s"}, "instrumentationLibrary": {"name": "old"}, "spans": spans}]}


@pytest.mark.parametrize("doc,fmt", [
    ({"batches": [resource("scopeSpans", [tempo_span()])]}, "tempo"),
    ({"batches": [resource("instrumentationLibrarySpans", [tempo_span()])]}, "tempo"),   # pre-1.0 name
    ({"trace": {"resourceSpans": [resource("scopeSpans", [tempo_span()])]}}, "tempo"),
    ({"result": {"resourceSpans": [resource("scopeSpans", [tempo_span()])]}}, "otlp-traces"),  # Jaeger api_v3
])
def test_tempo_and_wrapped_otlp(tmp_path, doc, fmt):
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc, indent=2))
    with Store() as store:
        summary = store.load(path)
        assert (summary.format, summary.rows, summary.rejects) == (fmt, 1, 0)
        row = store.sql("select *, epoch_ns(start_time) s from spans").iloc[0]
        assert (row.trace_id, row.span_id, row.kind, row.status_code, row.status_message) == \
            (TRACE, SPAN, "SERVER", "ERROR", "boom")
        assert row.s == 1700000000000000001 and row.duration_ns == 500_000_000 and row.service_name == "api"


def test_sniffing_is_by_content_not_name(tmp_path, shared_data):
    copy = tmp_path / "traces.log"     # a misleading name
    copy.write_bytes((shared_data / "zipkin" / "skew.json").read_bytes())
    with Store() as store:
        assert store.load(copy).format == "zipkin"
    assert sniff(b'{"resourceLogs": []}').name == "otlp-logs"
    assert sniff(b'{"data": [{"traceID": "01", "spans": [{"operationName": "x"}]}]}').name == "jaeger"
    with pytest.raises(UnknownFormat, match="it is empty"):
        sniff(b"   ")


def test_a_new_reader_plugs_in_as_documented(tmp_path, monkeypatch):
    from jitbench.ingest import registry
    registry.formats()  # builtins in, then a private copy so the test reader does not outlive the test
    monkeypatch.setattr(registry, "_READERS", dict(registry._READERS))
    def sniff_csv(head: bytes) -> int:
        return 70 if head.startswith(b"trace,span,") else 0

    def read_csv(store, source, source_id, **opts):
        rows, rejects = [], []
        for number, line in source.lines():
            if number == 1:
                continue
            parts = line.decode().split(",")
            if len(parts) != 3:
                rejects.append((source.location(number), "expected trace,span,name", line))
                continue
            rows.append({"trace_id": parts[0], "span_id": parts[1], "name": parts[2], "source_id": source_id})
        store.insert("spans", rows)
        store.add_rejects(source_id, rejects)
        return ReadResult(len(rows), ["csv is a test format"])

    register(Reader("test-csv", "spans", sniff_csv, read_csv, "a test format"))
    assert "test-csv" in formats()
    path = tmp_path / "x.csv"
    path.write_text("trace,span,name\naa,bb,one\nbroken\ncc,dd,two\n")
    with Store() as store:
        with pytest.warns(UserWarning, match="csv is a test format"):
            summary = store.load(path)
        assert (summary.format, summary.rows, summary.rejects) == ("test-csv", 2, 1)
        assert store.sql("select location from rejects").location[0] == f"{path}:3"


def test_in_memory_source(tmp_path):
    body = json.dumps({"batches": [resource("scopeSpans", [tempo_span()])]}).encode()
    with Store() as store:
        summary = store.load(Source.from_bytes(body, "http://tempo:3200/api/traces/abc", kind="http"))
        assert (summary.uri, summary.format, summary.rows) == ("http://tempo:3200/api/traces/abc", "tempo", 1)
        assert store.sql("select kind from sources").kind[0] == "http"


def test_cli_load_prints_a_summary_per_source(tmp_path, shared_data):
    db = tmp_path / "inc.duckdb"
    result = CliRunner().invoke(main, ["load", str(shared_data / "zipkin" / "yelp.json"),
                                       str(shared_data / "jaeger" / "ui_01.json"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and "16 rows (zipkin)" in lines[0] and "5 rows (jaeger)" in lines[1]
    result = CliRunner().invoke(main, ["load", str(shared_data / "zipkin" / "skew.json"), "--db", str(db),
                                       "--format", "zipkin", "--json"])
    summary = json.loads(result.output)
    assert (summary["rows"], summary["rejects"], summary["format"], summary["source_id"]) == (4, 0, "zipkin", 3)
    with Store(db) as store:
        assert store.count("spans") == 25


def test_cli_load_errors_are_one_line_and_exit_1(tmp_path):
    db = tmp_path / "inc.duckdb"
    good = tmp_path / "a.json"
    good.write_text(json.dumps({"batches": [resource("scopeSpans", [tempo_span()])]}))
    result = CliRunner().invoke(main, ["load", str(tmp_path / "missing.json"), str(good), "--db", str(db)])
    assert result.exit_code == 1
    assert "error: no such file or directory" in result.output and "1 rows (tempo)" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["load", str(good), "--db", str(db), "--format", "nope"])
    assert result.exit_code == 1 and "no reader for format 'nope'" in result.output


def test_cli_load_url_with_token_from_environment(tmp_path, monkeypatch):
    body = json.dumps({"batches": [resource("scopeSpans", [tempo_span()])]}).encode()
    seen = []

    class Tempo(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tempo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api/traces/{TRACE}"
        monkeypatch.setenv("TEMPO_TOKEN", "s3cr3t-token-value")
        result = CliRunner().invoke(main, ["load", url, "--db", str(tmp_path / "x.duckdb"),
                                           "--token-env", "TEMPO_TOKEN"])
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    assert seen == ["Bearer s3cr3t-token-value"] and "1 rows (tempo)" in result.output
    assert "s3cr3t-token-value" not in result.output
    with Store(tmp_path / "x.duckdb") as store:
        assert store.sql("select kind, uri from sources").values.tolist() == [["http", url]]
    assert b"s3cr3t-token-value" not in (tmp_path / "x.duckdb").read_bytes()


def test_progress_bar_on_request(tmp_path, capsys):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"batches": [resource("scopeSpans", [tempo_span()])]}))
    with Store() as store:
        store.load(path, progress=True)
        err = capsys.readouterr().err                     # forced on: tqdm on stderr, in bytes
        assert "t.json" in err and f"/{path.stat().st_size}" in err
        store.load(path)
        assert capsys.readouterr().err == ""              # default: only loads longer than 2 s show one
