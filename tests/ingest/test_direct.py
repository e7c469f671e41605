"""The fast path (DuckDB reads a clean file itself) gives exactly the rows of the careful path.

Every test loads the same bytes twice, once as usual and once with the fast path switched
off, and compares every table; the log says which path ran.  Files that are not clean
(a bad line, a bad id, an old field name) must fall back with nothing written twice.
"""
from __future__ import annotations

import base64
import gzip
import json
import logging
import random
import time

import pytest
import zstandard

from jitbench.ingest import direct
from jitbench.ingest.registry import Source
from jitbench.store import Store

TABLES = {"spans": "trace_id, span_id", "span_events": "trace_id, span_id, time, name",
          "span_links": "trace_id, span_id, linked_span_id", "rejects": "location"}
ONE_PASS = "read by DuckDB in one pass"
FELL_BACK = "read line by line instead"


def anyvalue(value) -> dict:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [anyvalue(v) for v in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": kv(value)}}
    return {"stringValue": value}


def kv(attrs: dict) -> list:
    return [{"key": k, "value": anyvalue(v)} for k, v in attrs.items()]


def make_span(rnd: random.Random, i: int, events: bool, links: bool) -> dict:
    trace = rnd.getrandbits(128).to_bytes(16, "big")
    span_id = rnd.getrandbits(64).to_bytes(8, "big")
    b64 = i % 5 == 0   # the protobuf JSON mapping's base64 ids, as some exporters write them
    attrs = {"http.method": "GET", "http.status_code": rnd.choice([200, 503]), "retry": i % 2 == 0,
             "ratio": 0.25, "note": 'quote " and \\ and ünïcode ✓', "neg": -7}
    if i % 7 == 0:
        attrs["tags"] = ["a", 1]          # arrays and kvlists take the general conversion
    if i % 11 == 0:
        attrs["nested"] = {"k": "v"}
    span = {"traceId": base64.b64encode(trace).decode() if b64 else trace.hex().upper() if i % 3 == 0 else trace.hex(),
            "spanId": base64.b64encode(span_id).decode() if b64 else span_id.hex(),
            "parentSpanId": "" if i % 4 == 0 else f"{rnd.getrandbits(64):016x}",
            "name": f"op {i % 9}", "kind": rnd.choice([1, 2, 3, "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER"]),
            "startTimeUnixNano": str(1_700_000_000_000_000_000 + i * 1_000_003),
            "endTimeUnixNano": str(1_700_000_000_000_000_000 + i * 1_000_003 + rnd.randint(1, 10**9)),
            "attributes": kv(attrs) if i % 13 else [],
            "status": rnd.choice([{}, {"code": 2, "message": "upstream 503"}, {"code": "STATUS_CODE_OK"}])}
    if i % 17 == 0:
        span["traceState"] = "vendor=1"
    if events and i % 3 == 0:
        span["events"] = [{"timeUnixNano": str(1_700_000_000_500_000_000 + i), "name": "exception",
                           "attributes": kv({"exception.type": "Timeout", "attempt": i})}]
    if links and i % 4 == 1:
        span["links"] = [{"traceId": trace.hex(), "spanId": f"{i:016x}", "attributes": kv({"why": "retry"})}]
    return span


def otlp_lines(n_lines: int, spans_per_line: int = 40, events: bool = False, links: bool = False,
               seed: int = 3) -> list[str]:
    rnd = random.Random(seed)
    lines, i = [], 0
    for _ in range(n_lines):
        resources = []
        for service in ("api", "db", None):
            spans = []
            for _ in range(spans_per_line // 3):
                spans.append(make_span(rnd, i, events, links))
                i += 1
            attrs = {"host.name": "node-1"} | ({"service.name": service} if service else {})
            resources.append({"resource": {"attributes": kv(attrs)},
                              "scopeSpans": [{"scope": {"name": "lib", "version": "1.0"}, "spans": spans}]})
        lines.append(json.dumps({"resourceSpans": resources}, separators=(",", ":"), ensure_ascii=False))
    return lines


def load_both(path, monkeypatch, caplog, file_store=None):
    """Load ``path`` with the fast path allowed and with it switched off; return the two tables' rows."""
    results = []
    for allowed in (True, False):
        with monkeypatch.context() as patch:
            if not allowed:
                patch.setattr(direct, "eligible", lambda source: False)
            with Store(file_store) as store, caplog.at_level(logging.DEBUG, logger="jitbench.ingest.direct"):
                caplog.clear()
                summary = store.load(path, progress=False)
                rows = {t: store.sql(f"SELECT * EXCLUDE (source_id) FROM {t} ORDER BY {o}").to_dict("records")
                        for t, o in TABLES.items()}
                logged = caplog.text
                results.append((summary, rows, logged))
        if file_store is not None:
            file_store.unlink()
    return results


def write(tmp_path, name: str, lines: list, compress=None):
    data = b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if compress == "gzip"
                     else zstandard.ZstdCompressor().compress(data) if compress == "zstd" else data)
    return path


@pytest.mark.parametrize("events,links", [(False, False), (True, False), (False, True), (True, True)])
def test_clean_file_one_pass_same_rows(tmp_path, monkeypatch, caplog, events, links):
    path = write(tmp_path, "t.jsonl", otlp_lines(30, events=events, links=links))
    (fast, fast_rows, fast_log), (careful, careful_rows, _) = load_both(path, monkeypatch, caplog)
    assert ONE_PASS in fast_log and FELL_BACK not in fast_log
    assert fast_rows == careful_rows
    assert fast.rows == careful.rows == 30 * 39 and fast.rejects == 0
    assert bool(fast_rows["span_events"]) == events and bool(fast_rows["span_links"]) == links


def test_events_past_the_head_are_found(tmp_path, monkeypatch, caplog):
    # the first 64 KiB show no events: the spans-only pass refuses, the two-pass read takes over
    lines = otlp_lines(60) + otlp_lines(2, events=True, seed=9)
    path = write(tmp_path, "late.jsonl", lines)
    assert b'"events"' not in path.read_bytes()[:64 * 1024]
    (fast, fast_rows, fast_log), (_, careful_rows, _) = load_both(path, monkeypatch, caplog)
    assert ONE_PASS in fast_log and "span events or links" in fast_log
    assert fast_rows == careful_rows and len(fast_rows["span_events"]) > 0
    assert fast.rows == len(careful_rows["spans"])


@pytest.mark.parametrize("compress", ["gzip", "zstd"])
def test_compressed_files_one_pass(tmp_path, monkeypatch, caplog, compress):
    # two members/frames back to back, as appending to a rotated .gz or .zst leaves them
    first = write(tmp_path, f"a.jsonl.{compress}", otlp_lines(4, events=True, seed=1), compress)
    second = write(tmp_path, f"b.jsonl.{compress}", otlp_lines(6, events=True, seed=2), compress)
    path = tmp_path / f"t.jsonl.{compress}"
    path.write_bytes(first.read_bytes() + second.read_bytes())
    (fast, fast_rows, fast_log), (_, careful_rows, _) = load_both(path, monkeypatch, caplog)
    assert ONE_PASS in fast_log and fast_rows == careful_rows and fast.rows == 10 * 39


@pytest.mark.parametrize("bad", [
    "{not json at all",
    '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"0011223344556677"}]}]}]}',
    '{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"0011223344556677"}]}]}]}',
    '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00112233445566770011223344556677",'
    '"spanId":"0011223344556677","startTimeUnixNano":"soon"}]}]}]}',
    '{"resourceSpans":[{"instrumentationLibrarySpans":[{"spans":[{"traceId":"00112233445566770011223344556677",'
    '"spanId":"0011223344556677"}]}]}]}',
    '{"batches":[]}',
    '{}',
    b"\xff\xfe\x00binary garbage",
])
def test_unclean_file_falls_back_with_nothing_twice(tmp_path, monkeypatch, caplog, bad):
    lines = otlp_lines(20, events=True, links=True)
    lines.insert(11, bad)
    path = write(tmp_path, "dirty.jsonl", lines)
    (fast, fast_rows, fast_log), (careful, careful_rows, _) = load_both(path, monkeypatch, caplog)
    assert FELL_BACK in fast_log and ONE_PASS not in fast_log
    assert fast_rows == careful_rows
    assert (fast.rows, fast.rejects) == (careful.rows, careful.rejects)
    assert fast.rows >= 20 * 39


def test_file_store_one_pass_and_settings_restored(tmp_path, monkeypatch, caplog):
    path = write(tmp_path, "t.jsonl", otlp_lines(20, events=True))
    db = tmp_path / "inv.duckdb"
    with Store(db) as store:
        before = store.sql("SELECT current_setting('threads') t, current_setting('memory_limit') m, "
                           "current_setting('preserve_insertion_order') p").to_dict("records")
        store.load(path, progress=False)
        after = store.sql("SELECT current_setting('threads') t, current_setting('memory_limit') m, "
                          "current_setting('preserve_insertion_order') p").to_dict("records")
        # the memory limit comes back as DuckDB prints it, rounded to 0.1 GiB
        assert [(r["t"], r["p"], r["m"][:2]) for r in before] == [(r["t"], r["p"], r["m"][:2]) for r in after]
    db.unlink()
    (fast, fast_rows, fast_log), (_, careful_rows, _) = load_both(path, monkeypatch, caplog, file_store=db)
    assert ONE_PASS in fast_log and fast_rows == careful_rows


def test_real_collector_lines_one_pass(shared_data, monkeypatch, caplog):
    # the specification's file-exporter sample (empty ids, empty scope, events): one pass, same rows
    sample = shared_data / "opentelemetry-specification" / "file-exporter.md.traces.jsonl"
    (fast, fast_rows, fast_log), (careful, careful_rows, _) = load_both(sample, monkeypatch, caplog)
    assert ONE_PASS in fast_log and FELL_BACK not in fast_log
    assert fast_rows == careful_rows and (fast.rows, fast.rejects) == (careful.rows, careful.rejects)
    assert fast.rows > 0


def test_file_names_are_not_patterns_to_duckdb(tmp_path):
    # DuckDB expands [..] in a path: "t[1].jsonl" would read "t1.jsonl"; such a file is read line by line
    folder = tmp_path / "d"
    folder.mkdir()
    write(folder, "t[1].jsonl", otlp_lines(2, seed=1))
    write(folder, "t1.jsonl", otlp_lines(3, seed=2))
    with Store() as store:
        summary = store.load(folder, progress=False)
        assert summary.rows == 5 * 39
        assert store.sql("SELECT count(DISTINCT (trace_id, span_id)) AS n FROM spans").n[0] == 5 * 39


def test_odd_attribute_lists_take_the_general_conversion(tmp_path, monkeypatch, caplog):
    # an item without a value, a null value, an extra field, another key order: not the common
    # shape, so the text replacement would not give JSON; the general conversion takes them
    odd = [{"key": "a", "value": {"stringValue": "x"}}, {"key": "k2"}, {"key": "k3", "value": None},
           {"value": {"intValue": "7"}, "key": "swapped"}, {"key": "e", "value": {"boolValue": True}, "extra": 1},
           {"key": "b", "value": {"intValue": "5"}}]
    spans = [make_span(random.Random(i), i, False, False) | {"attributes": odd[:n]} for i, n in enumerate(range(1, 7))]
    line = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]})
    path = write(tmp_path, "odd.jsonl", [line, line])
    (fast, fast_rows, fast_log), (_, careful_rows, _) = load_both(path, monkeypatch, caplog)
    assert ONE_PASS in fast_log and fast_rows == careful_rows and fast.rows == 12
    longest = max((json.loads(r["attributes"]) for r in fast_rows["spans"]), key=len)
    assert longest == {"a": "x", "k2": None, "k3": None, "swapped": 7, "e": True, "b": 5}


def test_progress_follows_duckdb_and_rewinds_when_the_pass_declines(tmp_path):
    # DuckDB reports 40% then 80%: the bar advances by bytes; a declined pass gives them back,
    # since the careful read that follows counts the file again from its first byte
    path = write(tmp_path, "t.jsonl", otlp_lines(3))
    source = Source(uri=str(path), path=path)
    steps = iter([40.0, 80.0])

    class Connection:
        def query_progress(self):
            return next(steps, 80.0)

    seen = []
    source.advance = seen.append
    progress = direct._Progress(Connection(), source)
    progress.thread.start()
    deadline = time.monotonic() + 5
    while sum(seen) < int(source.size * 0.8) and time.monotonic() < deadline:
        time.sleep(0.05)
    progress.rewind()
    size = source.size
    assert seen[:2] == [int(size * 0.4), int(size * 0.8) - int(size * 0.4)]
    assert seen[-1] == -int(size * 0.8) and sum(seen) == 0
