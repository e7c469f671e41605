"""Every fact of ../shared/data/README.md, reproduced by loading those files through Store.load.

One store per test module (loading is the expensive part); each file is one load, so
`source_id` picks out a file's rows.
"""
from __future__ import annotations

import json

import pytest

from jitbench.store import Store

FILES = {
    "trace": "opentelemetry-proto/trace.json",
    "logs": "opentelemetry-proto/logs.json",
    "events": "opentelemetry-proto/events.json",
    "fe_traces": "opentelemetry-specification/file-exporter.md.traces.jsonl",
    "fe_logs": "opentelemetry-specification/file-exporter.md.logs.jsonl",
    "ui01": "jaeger/ui_01.json",
    "o2j_in": "jaeger/otlp2jaeger-in.json",
    "o2j_out": "jaeger/otlp2jaeger-out.json",
    "gettrace": "jaeger/GetTrace.json",
    "multi_lines": "jaeger-ui/otlp2jaeger-multi-in.json.txt",
    "multi_combined": "jaeger-ui/otlp2jaeger-multi-in-combined.json",
    "multi_out": "jaeger-ui/oltp2jaeger-multi-out.json",
    "in_error": "jaeger-ui/otlp2jaeger-in-error.json",
}
ZIPKIN = ["yelp", "skew", "ascend", "messaging", "messaging2", "messaging-kafka", "envoy", "simple-db-p6",
          "smartthings-oauth-authorization"]


@pytest.fixture(scope="module")
def loaded(shared_data):
    store = Store()
    ids = {}
    for key, rel in FILES.items():
        ids[key] = store.load(shared_data / rel)
    for name in ZIPKIN:
        ids[name] = store.load(shared_data / "zipkin" / f"{name}.json")
    yield store, {k: s.source_id for k, s in ids.items()}, ids
    store.close()


def one(store, query, params=None):
    return store.con.execute(query, params or []).fetchall()[0][0]


def spans_of(store, sid, where="true"):
    return one(store, f"select count(*) from spans where source_id = ? and ({where})", [sid])


def test_every_load_is_clean(loaded):
    store, sids, summaries = loaded
    for key, summary in summaries.items():
        assert summary.rejects == 0, (key, store.sql(f"select * from rejects where source_id={summary.source_id}"))
        assert summary.rows > 0, key
    formats = {k: s.format for k, s in summaries.items()}
    assert formats["ui01"] == formats["o2j_out"] == formats["multi_out"] == "jaeger"
    assert formats["yelp"] == "zipkin" and formats["trace"] == formats["fe_traces"] == "otlp-traces"
    assert formats["logs"] == formats["fe_logs"] == "otlp-logs"


def test_otlp_proto_trace(loaded):
    store, sids, _ = loaded
    row = store.sql(f"select * from spans where source_id = {sids['trace']}").iloc[0]
    assert row.trace_id == "5b8efff798038103d269b633813fc60c"          # UPPERCASE in the file
    assert row.span_id == "eee19b7ec3c1b174" and row.parent_span_id == "eee19b7ec3c1b173"
    assert row.kind == "SERVER" and row.service_name == "my.service" and row.status_code == "UNSET"
    assert row.duration_ns == 1_000_000_000
    assert one(store, "select epoch_ns(start_time) from spans where source_id = ?", [sids["trace"]]) \
        == 1544712660000000000
    assert (row.scope_name, row.scope_version) == ("my.library", "1.0.0")
    # an orphan, not a root: its parent is not in the file
    assert one(store, "select count(*) from orphan_spans where source_id = ?", [sids["trace"]]) == 1
    assert one(store, "select count(*) from root_spans where source_id = ?", [sids["trace"]]) == 0


def test_otlp_proto_logs_and_events(loaded):
    store, sids, _ = loaded
    log = store.sql(f"select * from logs where source_id = {sids['logs']}")
    assert len(log) == 1
    rec = log.iloc[0]
    assert (rec.severity_number, rec.severity_text) == (10, "Information")
    assert rec.trace_id == "5b8efff798038103d269b633813fc60c" and rec.service_name == "my.service"
    attrs = json.loads(rec.attributes)
    assert attrs["string.attribute"] == "some string" and attrs["boolean.attribute"] is True
    assert attrs["int.attribute"] == 10 and attrs["double.attribute"] == 637.704
    assert "array.attribute" in attrs and "map.attribute" in attrs
    ev = store.sql(f"select * from logs where source_id = {sids['events']}")
    assert len(ev) == 1 and ev.trace_id.isna().all() and ev.service_name[0] == "my.service"
    assert json.loads(ev.attributes[0])["event.name"] == "browser.page_view"
    assert len(json.loads(ev.body[0])["values"]) == 4  # a kvlistValue body of 4 keys


def test_file_exporter_traces(loaded):
    store, sids, _ = loaded
    sid = sids["fe_traces"]
    assert spans_of(store, sid) == 8
    assert one(store, "select count(distinct trace_id) filter (where trace_id <> '') from spans "
                      "where source_id = ?", [sid]) == 0
    assert spans_of(store, sid, "service_name is null") == 8
    assert spans_of(store, sid, "status_code = 'ERROR' and name = 'operationA' "
                                "and status_message = 'status-cancelled'") == 4
    assert spans_of(store, sid, "name = 'operationA'") == spans_of(store, sid, "name = 'operationB'") == 4
    assert one(store, "select count(*) from span_events where source_id = ?", [sid]) == 8
    assert one(store, "select count(*) from span_links where source_id = ?", [sid]) == 8
    lo, hi = store.con.execute("select min(epoch_ns(start_time)), max(epoch_ns(end_time)) from spans "
                               "where source_id = ?", [sid]).fetchall()[0]
    assert (lo, hi) == (1581452772000000321, 1581452773000004789)  # nanoseconds kept
    assert one(store, "select json_extract_string(resource_attributes, '$.\"resource-attr\"') from spans "
                      "where source_id = ? limit 1", [sid]).startswith("resource-attr-val")


def test_file_exporter_logs(loaded):
    store, sids, _ = loaded
    logs = store.sql(f"select * from logs where source_id = {sids['fe_logs']}")
    assert len(logs) == 8
    assert set(logs.trace_id.dropna()) == {"08040201000000000000000000000000"}
    assert logs.trace_id.notna().sum() == 4
    assert logs.service_name.isna().all() and (logs.severity_number == 9).all()
    assert (logs.severity_text == "Info").all()
    assert logs.body.value_counts().to_dict() == {"This is a log message": 4, "something happened": 4}


def test_otlp2jaeger_in(loaded):
    store, sids, _ = loaded
    sid = sids["o2j_in"]
    df = store.sql(f"select * from spans where source_id = {sid}")
    assert len(df) == 2 and set(df.span_id) == {"e127af99e3b3e074"}            # duplicate kept
    assert set(df.trace_id) == {"83a9efd15c1c98a977e0711cc93ee28b"}
    assert set(df.service_name) == {"telemetrygen"} and (df.status_code == "UNSET").all()
    assert one(store, "select count(*) from root_spans where source_id = ?", [sid]) == 0


def test_gettrace_api_v3(loaded):
    store, sids, _ = loaded
    row = store.sql(f"select * from spans where source_id = {sids['gettrace']}").iloc[0]
    assert row.trace_id == "00000000000000000000000000000001" and row.span_id == "0000000000000002"
    assert row.service_name is None and row.status_code == "ERROR" and row.kind == "SERVER"
    assert row.start_time is None or str(row.start_time) == "NaT"


def test_multi_lines_and_combined_give_the_same_rows(loaded):
    store, sids, _ = loaded
    cols = ("trace_id, span_id, parent_span_id, service_name, name, kind, start_time, end_time, duration_ns, "
            "status_code, attributes, resource_attributes, scope_name, scope_version")
    lines = store.con.execute(f"select {cols} from spans where source_id = ? order by span_id",
                              [sids["multi_lines"]]).fetchall()
    combined = store.con.execute(f"select {cols} from spans where source_id = ? order by span_id",
                                 [sids["multi_combined"]]).fetchall()
    assert lines == combined and len(lines) == 4
    df = store.sql(f"select * from spans where source_id = {sids['multi_lines']}")
    assert set(df.trace_id) == {"c620759e5d60fafb8ee0922b30e06bc6"} and set(df.service_name) == {"example-trace"}
    roots = df[df.parent_span_id.isna()]
    assert list(roots.span_id) == ["eff3153be6b1fb93"] and list(roots.name) == ["main"]  # parentSpanId ""
    assert sorted(df.name) == ["info", "main", "ohboy.do", "ohboy.do"] and (df.kind == "INTERNAL").all()
    assert set(zip(df.scope_name, df.scope_version.fillna(""))) == {("widgets", "1.2.3"), ("ohboy", "")}


def test_in_error_has_null_service(loaded):
    store, sids, _ = loaded
    df = store.sql(f"select * from spans where source_id = {sids['in_error']}")
    assert len(df) == 1 and df.service_name.isna().all()
    assert df.trace_id[0] == "83a9efd15c1c98a977e0711cc93ee28b"


def test_jaeger_ui_01(loaded):
    store, sids, _ = loaded
    sid = sids["ui01"]
    df = store.sql(f"select * from spans where source_id = {sid}")
    assert len(df) == 5 and set(df.trace_id) == {"0000000000000001"}
    assert one(store, "select count(distinct (trace_id, span_id)) from spans where source_id = ?", [sid]) == 4
    assert df.service_name.value_counts().to_dict() == {"service-y": 3, "service-x": 2}
    err = df[df.status_code == "ERROR"]
    assert list(zip(err.service_name, err.name)) == [("service-x", "some-operation")]
    assert df.parent_span_id.isna().sum() == 2                         # no in-trace CHILD_OF
    assert one(store, "select count(*) from span_events where source_id = ?", [sid]) == 2
    links = store.sql(f"select * from span_links where source_id = {sid}")
    # 5 references: 3 in-trace CHILD_OF are parents; FOLLOWS_FROM and the other trace's CHILD_OF are links
    assert len(links) == 2 and "00000000000000ff" in set(links.linked_trace_id)
    tags = json.loads(err.attributes.iloc[0])
    assert tags["javascript_limit"] == 9223372036854775222 and tags["temperature"] == 72.5
    assert tags["blob"] == "AAAwOQ==" and tags["error"] is True
    assert set(df.start_time.astype("int64")) == {1485467191639875000}


def _id(value):
    return value if isinstance(value, str) else None


def _cross_format(store, otlp_sid, jaeger_sid):
    o = store.sql(f"select * from spans where source_id = {otlp_sid} order by span_id, start_time")
    j = store.sql(f"select * from spans where source_id = {jaeger_sid} order by span_id, start_time")
    assert len(o) == len(j)
    for a, b in zip(o.itertuples(), j.itertuples()):
        assert a.span_id == b.span_id and a.trace_id == b.trace_id and a.name == b.name
        assert a.service_name == b.service_name
        start = int(a.start_time.value)
        assert int(b.start_time.value) == start // 1000 * 1000                     # startTime_us = ns // 1000
        assert b.duration_ns == (a.duration_ns // 1000) * 1000                      # truncated, not rounded
        assert _id(a.parent_span_id) == _id(b.parent_span_id)
    return o, j


def test_otlp_to_jaeger_cross_format(loaded):
    store, sids, _ = loaded
    o, j = _cross_format(store, sids["o2j_in"], sids["o2j_out"])
    assert (j.kind == "SERVER").all()                                   # span.kind=server tag
    o, j = _cross_format(store, sids["multi_combined"], sids["multi_out"])
    # the truncation cases of the README
    assert sorted(j.duration_ns // 1000) == [46460, 71355, 173150, 176321]
    assert j.parent_span_id.isna().sum() == 1 and j[j.parent_span_id.isna()].name.tolist() == ["main"]
    assert set(j.scope_name) == {"widgets", "ohboy"}


ZIPKIN_FACTS = {  # name: (spans, distinct ids, shared, roots, errors, services)
    "yelp": (16, 13, 4, 1, 0, {"yelp-main": 7, "mobile_api": 5, "spectre": 1, "yelp_main/api_proxy": 1,
                               "unknown": 1, "routing": 1}),
    "skew": (4, 3, 1, 1, 0, {"servicea": 2, "serviceb": 2}),
    "ascend": (8, 6, 2, 1, 0, {"mobile-gateway": 3, "content-service": 3, "auth-service": 2}),
    "messaging": (4, 4, 0, 1, 0, {"frontend": 2, "backend": 2}),
    "messaging2": (11, 11, 1, 1, 0, {"transfer-service": 5, "mobile-gateway": 2, "auth-service": 2,
                                     "notification-service": 2}),
    "messaging-kafka": (28, 28, 0, 1, 3, {"servicea": 22, "serviceb": 6}),
    "envoy": (1, 1, 1, 1, 0, {}),
    "simple-db-p6": (5, 5, 0, 1, 0, {"bootifulmeters": 5}),
    "smartthings-oauth-authorization": (175, 130, 45, 1, 2, {"auth": 73, "datamgmt": 65, "stlogin": 17,
                                                             "pusher": 11, "account": 5, "bouncer": 2,
                                                             "paperboy": 1, "dove": 1}),
}


@pytest.mark.parametrize("name", list(ZIPKIN_FACTS))
def test_zipkin_facts(loaded, name):
    store, sids, _ = loaded
    sid = sids[name]
    n, distinct, shared, roots, errors, services = ZIPKIN_FACTS[name]
    df = store.sql(f"select * from spans where source_id = {sid}")
    assert len(df) == n
    assert len(set(zip(df.trace_id, df.span_id))) == distinct
    assert sum(json.loads(a).get("zipkin.shared") is True for a in df.attributes) == shared
    assert df.parent_span_id.isna().sum() == roots
    assert (df.status_code == "ERROR").sum() == errors
    assert df.service_name.dropna().value_counts().to_dict() == services
    if not services:
        assert df.service_name.isna().all()                                       # envoy: no local service


def test_zipkin_details(loaded):
    store, sids, _ = loaded
    assert set(store.sql(f"select trace_id from spans where source_id = {sids['messaging']}").trace_id) == \
        {"5aab74dbb904746bb33447baae403ed6"}                                     # 128-bit id
    kinds = store.sql(f"select kind from spans where source_id = {sids['messaging']}").kind
    assert {"PRODUCER", "CONSUMER"} <= set(kinds)
    kafka = store.sql(f"select * from spans where source_id = {sids['messaging-kafka']}")
    assert set(kafka[kafka.status_code == "ERROR"].name) == {"on-message"}
    assert set(kafka[kafka.status_code == "ERROR"].service_name) == {"serviceb"}
    assert sum(json.loads(a).get("peer.service") == "kafka" for a in kafka.attributes) == 16
    st = store.sql(f"select * from spans where source_id = {sids['smartthings-oauth-authorization']}")
    assert st.duration_ns.isna().sum() == 19 and st.end_time.isna().sum() == 19
    assert set(st[st.status_code == "ERROR"].span_id) == {"c47bff7f7964b321"}
    assert set(st[st.status_code == "ERROR"].status_message) == {"401"}
    assert set(st.trace_id) == {"8ce82b2e9ed820ba"}
    lo, hi = store.con.execute("select min(epoch_us(start_time)), max(epoch_us(end_time)) from spans "
                               "where source_id = ?", [sids["smartthings-oauth-authorization"]]).fetchall()[0]
    assert (lo, hi) == (1543334626873100, 1543334727221545)
    assert one(store, "select count(*) from span_events where source_id = ?",
               [sids["smartthings-oauth-authorization"]]) == 9
    assert one(store, "select count(*) from span_events where source_id = ?", [sids["yelp"]]) == 1


def test_every_load_has_a_sources_row(loaded):
    store, sids, summaries = loaded
    src = store.sql("select * from sources order by source_id")
    assert len(src) == len(summaries)
    for s in summaries.values():
        row = src[src.source_id == s.source_id].iloc[0]
        assert (row.rows_loaded, row.rows_rejected, row.bytes) == (s.rows, s.rejects, s.bytes)
        assert row.kind == "file" and row.uri.endswith((".json", ".jsonl", ".txt"))
