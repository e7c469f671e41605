"""HTTP sources against a real HTTP server on 127.0.0.1 serving Loki/Tempo/Jaeger-shaped answers.

The server is ``http.server`` in a thread: it pages Loki ``query_range`` exactly as
Loki does (``[start, end)``, ``limit`` lines, ``direction=forward``), checks the bearer
token, and plays scripted failures (401, 429 with ``Retry-After``, 500) before
answering, so the client's retries, errors and paging are exercised over real sockets.
"""
from __future__ import annotations

import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from jitbench.errors import IngestError, SourceDenied, SourceUnreachable
from jitbench.ingest import LoadWarning
from jitbench.ingest.http import HttpClient, load_jaeger, load_loki, load_tempo, page_loki, public_url
from jitbench.store import Store

TOKEN = "tok-9f1c2e7d-loki-read-lease-value"
T0 = 1_795_960_920_000_000_000  # 2026-11-29T14:02:00Z in ns


class FakeApi(BaseHTTPRequestHandler):
    """Loki query_range, Tempo and Jaeger endpoints over an in-memory data set."""

    server: "FakeServer"

    def do_GET(self):  # noqa: N802 (http.server's name)
        srv = self.server
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        srv.requests.append((url.path, params, dict(self.headers)))
        if srv.script:
            status, headers, body = srv.script.pop(0)
            return self._send(status, body, headers)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"message": "no org id / bad token"})
        if url.path == "/loki/api/v1/query_range":
            srv.pages_served += 1
            if srv.pages_before_failing is not None and srv.pages_served > srv.pages_before_failing:
                return self._send(500, b"internal error")
            return self._send(200, srv.loki_page(params))
        if url.path in srv.routes:
            return self._send(200, srv.routes[url.path])
        return self._send(404, {"error": "trace not found"})

    def _send(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep test output quiet
        pass


class FakeServer(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeApi)
        self.requests: list = []
        self.script: list = []          # (status, headers, body) answered before anything else
        self.lines: list = []           # (labels, ts_ns, line, metadata)
        self.routes: dict = {}
        self.max_limit = 5000
        self.pages_served = 0
        self.pages_before_failing: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def loki_page(self, params: dict) -> dict:
        # what Loki does for a forward query: the first `limit` lines of [start, end), grouped by stream
        start, end, limit = int(params["start"]), int(params["end"]), int(params["limit"])
        assert params.get("direction") == "forward"
        assert limit <= self.max_limit, "over Loki's max_entries_limit_per_query"
        hits = sorted((ln for ln in self.lines if start <= ln[1] < end), key=lambda ln: ln[1])[:limit]
        streams: dict = {}
        for labels, ts, line, meta in hits:
            stream = streams.setdefault(json.dumps(labels, sort_keys=True), {"stream": labels, "values": []})
            stream["values"].append([str(ts), line, meta] if meta else [str(ts), line])
        return {"status": "success", "data": {"resultType": "streams", "result": list(streams.values()),
                                              "stats": {}}}


@pytest.fixture
def api():
    server = FakeServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# -- Loki paging ------------------------------------------------------------------------

def test_loki_pages_through_the_whole_window_counting_every_line_once(api):
    # 2,500 lines in two streams, with runs of identical timestamps that straddle page boundaries
    for i in range(2500):
        ts = T0 + (i // 7) * 1_000_000     # 7 lines share each millisecond
        app = "checkout" if i % 2 else "payments"
        api.lines.append(({"app": app, "level": "info"}, ts, f"line {i}", None))
    api.lines.append(({"app": "checkout"}, T0 + 10**12, "outside the window", None))
    store = Store()
    summary = load_loki(store, api.url, '{app=~".+"}', T0, T0 + 10**11, token=TOKEN, limit=100)
    assert summary.rows == 2500 and summary.rejects == 0 and summary.warnings == []
    bodies = store.sql("select body from logs").body
    assert sorted(bodies) == sorted(f"line {i}" for i in range(2500))  # each exactly once
    assert len([r for r in api.requests if r[0].endswith("query_range")]) >= 25
    counts = store.sql("select service_name, count(*) n from logs group by 1 order by 1")
    assert counts.n.tolist() == [1250, 1250]


def test_loki_lines_identical_in_everything_but_count_are_all_kept(api):
    # the same line written three times in one nanosecond is three lines, also across a page boundary
    for _ in range(3):
        api.lines.append(({"app": "a"}, T0 + 5, "dup", None))
    for i in range(4):
        api.lines.append(({"app": "a"}, T0 + 1, f"before {i}", None))
    store = Store()
    summary = store.load_loki(api.url, '{app="a"}', T0, T0 + 100, token=TOKEN, limit=5)
    assert summary.rows == 7
    assert store.sql("select count(*) n from logs where body = 'dup'").n[0] == 3


def test_loki_more_lines_in_one_nanosecond_than_a_page_grows_the_page(api):
    for i in range(30):
        api.lines.append(({"app": "a"}, T0, f"burst {i}", None))
    api.lines.append(({"app": "a"}, T0 + 1, "after", None))
    store = Store()
    summary = load_loki(store, api.url, '{app="a"}', T0, T0 + 100, token=TOKEN, limit=10)
    assert summary.rows == 31 and summary.warnings == []


def test_loki_max_lines_stops_and_says_the_result_is_partial(api):
    for i in range(50):
        api.lines.append(({"app": "a"}, T0 + i, f"l{i}", None))
    store = Store()
    with pytest.warns(LoadWarning, match="max_lines=20"):
        summary = load_loki(store, api.url, '{app="a"}', T0, T0 + 100, token=TOKEN, limit=15, max_lines=20)
    assert summary.rows == 20
    assert any("max_lines=20" in w for w in summary.warnings)
    row = store.sql("select rows_loaded, warnings from sources").iloc[0]
    assert row.rows_loaded == 20 and any("more lines" in w for w in row.warnings)


def test_loki_entries_carry_labels_metadata_and_trace_ids(api):
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    api.lines += [
        ({"service_name": "checkout", "env": "prod"}, T0 + 1, "plain text", {"trace_id": trace.upper(),
                                                                            "span_id": "00F067AA0BA902B7"}),
        ({"app": "cart"}, T0 + 2, json.dumps({"level": "error", "msg": "boom", "traceId": trace}), None),
        ({"app": "cart"}, T0 + 3, f"level=warn msg=slow trace_id={trace}", None),
        ({"app": "cart"}, T0 + 4, f"GET /x traceparent=00-{trace}-00f067aa0ba902b7-01", None),
        ({"app": "cart"}, T0 + 5, "no ids here", {"structuredMetadata": {"pod": "p1"}, "parsed": {"x": "1"}}),
    ]
    store = Store()
    load_loki(store, api.url, '{}', T0, T0 + 100, token=TOKEN)
    df = store.sql("select * from logs order by time")
    assert df.trace_id.tolist()[:4] == [trace] * 4 and df.trace_id.isna().tolist()[4]
    assert df.span_id.tolist()[0] == "00f067aa0ba902b7" and df.span_id.tolist()[3] == "00f067aa0ba902b7"
    assert df.service_name.tolist() == ["checkout", "cart", "cart", "cart", "cart"]
    assert df.severity_number.tolist()[1:3] == [17, 13]
    assert json.loads(df.resource_attributes[0]) == {"service_name": "checkout", "env": "prod"}
    assert json.loads(df.attributes[4]) == {"pod": "p1", "x": "1"}
    assert df.time.astype("int64").tolist()[0] == T0 + 1  # nanoseconds kept


def test_loki_malformed_entries_are_rejected_with_their_response_index(api):
    api.script.append((200, {}, {"status": "success", "data": {"resultType": "streams", "result": [
        {"stream": {"app": "a"}, "values": [[str(T0), "good"], ["yesterday", "bad time"], [str(T0 + 1), 42],
                                            [str(T0 + 2)]]},
        "not a stream"]}}))
    store = Store()
    summary = load_loki(store, api.url, '{app="a"}', T0, T0 + 100, token=TOKEN)
    assert (summary.rows, summary.rejects) == (1, 4)
    locations = store.sql("select location, error from rejects order by location")
    assert all("query_range?" in loc and "#0#" in loc for loc in locations.location)
    assert locations.location.str.endswith("#0#0.1").any()
    assert TOKEN not in " ".join(locations.location)


def test_loki_metric_query_is_a_clear_error(api):
    api.script.append((200, {}, {"status": "success", "data": {"resultType": "matrix", "result": []}}))
    store = Store()
    with pytest.raises(IngestError, match="metric query"):
        load_loki(store, api.url, 'rate({app="a"}[1m])', T0, T0 + 100, token=TOKEN)
    assert store.sql("select count(*) n from sources").n[0] == 0


# -- errors and retries -------------------------------------------------------------------

def test_401_is_a_clear_one_line_error_without_the_token(api):
    store = Store()
    with pytest.raises(SourceDenied) as err:
        load_loki(store, api.url, '{app="a"}', T0, T0 + 100, token="wrong-token-value")
    text = str(err.value)
    assert "401" in text and "lease" in text and "\n" not in text and "wrong-token-value" not in text
    assert store.sql("select count(*) n from sources").n[0] == 0  # nothing half-booked


def test_403_is_denied_and_not_retried(api):
    api.script.append((403, {}, {"message": "forbidden"}))
    waits: list = []
    with pytest.raises(SourceDenied, match="403"):
        load_loki(Store(), api.url, '{app="a"}', T0, T0 + 100, token=TOKEN, sleep=waits.append)
    assert waits == [] and len(api.requests) == 1


def test_429_and_500_are_retried_honouring_retry_after(api):
    api.lines.append(({"app": "a"}, T0, "after the storm", None))
    api.script += [(429, {"Retry-After": "3"}, {"error": "too many"}), (500, {}, b"oops"),
                   (503, {}, b"busy")]
    waits: list = []
    summary = load_loki(Store(), api.url, '{app="a"}', T0, T0 + 100, token=TOKEN, sleep=waits.append,
                        backoff=0.25)
    assert summary.rows == 1
    assert waits == [3.0, 0.5, 1.0]  # Retry-After first, then exponential backoff
    assert all(r[2].get("Authorization") == f"Bearer {TOKEN}" for r in api.requests)


def test_retries_are_bounded_and_a_failure_midway_leaves_no_partial_load(api):
    for i in range(30):
        api.lines.append(({"app": "a"}, T0 + i, f"l{i}", None))
    api.pages_before_failing = 1  # the first page is served, then the server fails for good
    store = Store()
    waits: list = []
    with pytest.raises(SourceUnreachable, match="server error 500 after 3 attempts"):
        load_loki(store, api.url, '{app="a"}', T0, T0 + 100, token=TOKEN, limit=10, retries=2,
                  sleep=waits.append)
    assert len(waits) == 2
    assert store.sql("select count(*) n from logs").n[0] == 0      # the first page was taken back
    assert store.sql("select count(*) n from sources").n[0] == 0


def test_retry_after_longer_than_we_wait_is_an_error(api):
    api.script.append((429, {"Retry-After": "3600"}, b"slow down"))
    with pytest.raises(SourceUnreachable, match="retry after 3600 s"):
        load_loki(Store(), api.url, '{app="a"}', T0, T0 + 100, token=TOKEN, sleep=lambda s: None)


def test_unreachable_server_is_a_clear_error():
    client = HttpClient("http://127.0.0.1:9", retries=1, sleep=lambda s: None, timeout=2)
    with pytest.raises(SourceUnreachable, match="cannot reach http://127.0.0.1:9/x"):
        client.get("/x")


def test_bad_window_and_credentials_never_reach_messages_or_sources(api):
    with pytest.raises(IngestError, match="before it starts"):
        load_loki(Store(), api.url, '{}', T0 + 10, T0, token=TOKEN)
    assert public_url("https://u:pw@h:1/p?q=1") == "https://h:1/p?q=1"
    store = Store()
    api.lines.append(({"app": "a"}, T0, "x", None))
    url = api.url.replace("http://", "http://someone:hunter2@")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_loki(store, url, '{app="a"}', "2026-11-29T14:02:00Z", "2026-11-29T14:03:00Z", token=TOKEN)
    uri = store.sql("select uri from sources").uri[0]
    assert "hunter2" not in uri and TOKEN not in uri and "query_range?query=" in uri


def test_on_load_gets_the_journal_fields_with_the_lease(api):
    api.lines.append(({"app": "a"}, T0, "x", None))
    events = []

    class Lease:  # what jitbench.access hands out: ids in the open, the value only via secret()
        lease_id = "identity/oidc/token/loki-read/abc"
        grant_id = "g-1"

        def secret(self, name):
            return TOKEN

        def __repr__(self):
            return "Lease(loki-read)"
    store = Store(on_load=events.append)
    load_loki(store, api.url, '{app="a"}', T0, T0 + 10, token=Lease())
    (event,) = events
    assert event["lease_id"] == "identity/oidc/token/loki-read/abc" and event["rows"] == 1
    assert event["kind"] == "http" and event["format"] == "loki" and TOKEN not in json.dumps(event)


def test_page_loki_is_usable_without_a_store(api):
    for i in range(12):
        api.lines.append(({"app": "a"}, T0 + i // 3, f"l{i}", None))
    seen = []
    client = HttpClient(api.url, token=TOKEN)
    window = page_loki(client, "/loki/api/v1/query_range", "{}", T0, T0 + 10,
                       lambda found, rejects: seen.extend(e.line for e in found), limit=4)
    assert window.complete and window.lines == 12 and sorted(seen) == sorted(f"l{i}" for i in range(12))


# -- Tempo and Jaeger: responses fetched here, parsed by the trace readers ----------------------

PROTO_TRACE = "5b8efff798038103d269b633813fc60c"
TELEMETRYGEN_TRACE = "83a9efd15c1c98a977e0711cc93ee28b"


def _tempo_v1(path) -> dict:
    # Tempo's v1 trace-by-id answer is the OTLP document with resourceSpans called batches
    return {"batches": json.loads(path.read_text())["resourceSpans"]}


@pytest.fixture
def traces_api(api, shared_data):
    api.routes[f"/api/traces/{PROTO_TRACE}"] = _tempo_v1(shared_data / "opentelemetry-proto" / "trace.json")
    api.routes[f"/api/traces/{TELEMETRYGEN_TRACE}"] = _tempo_v1(shared_data / "jaeger" / "otlp2jaeger-in.json")
    return api


def test_tempo_by_id_loads_spans_and_a_missing_trace_is_a_reject(traces_api):
    store = Store()
    summary = load_tempo(store, traces_api.url, [PROTO_TRACE, "ffffffffffffffffffffffffffffffff",
                                                 TELEMETRYGEN_TRACE], token=TOKEN)
    assert (summary.rows, summary.rejects) == (3, 1) and summary.format == "tempo"
    assert sorted(store.sql("select distinct trace_id from spans").trace_id) == sorted(
        [PROTO_TRACE, TELEMETRYGEN_TRACE])
    reject = store.sql("select location, error from rejects").iloc[0]
    assert reject.location.endswith("/api/traces/ffffffffffffffffffffffffffffffff") and "404" in reject.error
    assert store.sql("select kind from sources").kind[0] == "http"


def test_tempo_search_loads_every_found_trace_and_warns_at_the_limit(traces_api):
    traces_api.routes["/api/search"] = {"traces": [{"traceID": PROTO_TRACE, "rootServiceName": "my.service"},
                                                   {"traceID": TELEMETRYGEN_TRACE}], "metrics": {}}
    store = Store()
    with pytest.warns(LoadWarning, match="limit=2"):
        summary = load_tempo(store, traces_api.url, query="{ status = error }", start=T0, end=T0 + 10**12,
                             limit=2, token=TOKEN)
    assert summary.rows == 3 and any("more may match" in w for w in summary.warnings)
    search = next(r for r in traces_api.requests if r[0] == "/api/search")
    assert search[1]["q"] == "{ status = error }" and search[1]["start"] == str(T0 // 10**9)
    # under the limit: complete, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_tempo(Store(), traces_api.url, query="{}", start=T0, end=T0 + 1, limit=20,
                          token=TOKEN).warnings == []


def test_tempo_without_credentials_is_denied(traces_api):
    with pytest.raises(SourceDenied, match="401"):
        load_tempo(Store(), traces_api.url, PROTO_TRACE)


def test_jaeger_search_by_service(api, shared_data):
    api.routes["/api/traces"] = json.loads((shared_data / "jaeger" / "otlp2jaeger-out.json").read_text())
    store = Store()
    summary = load_jaeger(store, api.url, "telemetrygen", start="2026-11-29T13:45:00Z",
                          end="2026-11-29T14:30:00Z", tags={"error": "true"}, limit=20, token=TOKEN)
    assert summary.rows == 2 and summary.format == "jaeger" and summary.warnings == []
    assert store.sql("select distinct service_name from spans").service_name.tolist() == ["telemetrygen"]
    params = next(r[1] for r in api.requests if r[0] == "/api/traces")
    assert params["service"] == "telemetrygen" and json.loads(params["tags"]) == {"error": "true"}
    assert params["start"] == str(1795959900 * 10**6)  # microseconds
    with pytest.warns(LoadWarning, match="limit=1"):
        load_jaeger(Store(), api.url, "telemetrygen", start=T0, end=T0 + 1, limit=1, token=TOKEN)
