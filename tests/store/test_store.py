"""Store: tables and views, SQL to DataFrames, load bookkeeping, the journal hook, file persistence."""
from __future__ import annotations

import json

import pytest

from jitbench.errors import StoreError
from jitbench.store import LoadSummary, Store
from jitbench.store.schema import TABLES


def otlp_line(trace: str, spans: list[tuple[str, str | None, str, int]]) -> str:
    """One file-exporter line: spans as (span_id, parent, status_code, duration_ms)."""
    return json.dumps({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "checkout"}}]}, "scopeSpans": [{"spans": [
            {"traceId": trace, "spanId": sid, "parentSpanId": parent or "", "name": f"op-{sid[-1]}",
             "startTimeUnixNano": str(1_700_000_000_000_000_000),
             "endTimeUnixNano": str(1_700_000_000_000_000_000 + ms * 1_000_000), "status": {"code": code}}
            for sid, parent, code, ms in spans]}]}]})


@pytest.fixture
def traces_file(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(otlp_line("a" * 32, [("1" * 16, None, 0, 100), ("2" * 16, "1" * 16, 2, 40),
                                         ("3" * 16, "1" * 16, 1, 10)]) + "\n"
                    + otlp_line("b" * 32, [("4" * 16, "9" * 16, 0, 5)]) + "\n")
    return path


def test_tables_and_views_exist_and_are_empty():
    with Store() as store:
        names = set(store.sql("select table_name from duckdb_tables()").table_name)
        assert set(TABLES) <= names
        views = set(store.sql("select view_name from duckdb_views() where not internal").view_name)
        assert {"spans_ms", "root_spans", "orphan_spans", "traces"} <= views
        assert all(store.count(t) == 0 for t in TABLES)


def test_views_answer_what_they_say(traces_file):
    with Store() as store:
        store.load(traces_file)
        traces = store.sql("select * from traces order by trace_id")
        assert list(traces.spans) == [3, 1] and list(traces.error_spans) == [1, 0]
        assert traces.root_name[0] == "op-1" and traces.root_service[0] == "checkout"
        assert traces.duration_ms[0] == pytest.approx(100.0)
        assert list(store.sql("select span_id from root_spans").span_id) == ["1" * 16]
        assert list(store.sql("select span_id from orphan_spans").span_id) == ["4" * 16]
        ms = store.sql("select span_id, duration_ms, is_root from spans_ms order by span_id")
        assert list(ms.duration_ms) == [100.0, 40.0, 10.0, 5.0] and list(ms.is_root) == [True, False, False, False]


def test_sql_returns_dataframes_and_takes_params(traces_file):
    with Store() as store:
        store.load(traces_file)
        df = store.sql("select status_code, count(*) as n from spans where service_name = ? group by 1 order by 1",
                       ["checkout"])
        assert dict(zip(df.status_code, df.n)) == {"ERROR": 1, "OK": 1, "UNSET": 2}


def test_bad_sql_is_one_line_store_error():
    with Store() as store, pytest.raises(StoreError) as err:
        store.sql("select nope from spans")
    assert "\n" not in str(err.value) and "nope" in str(err.value)
    with Store() as store, pytest.raises(StoreError, match="no table 'span'"):
        store.count("span")


def test_load_books_a_sources_row_and_calls_on_load(traces_file):
    events = []
    with Store(on_load=events.append) as store:
        lease = type("Lease", (), {"lease_id": "database/creds/readonly/abc", "grant_id": "g-1"})()
        summary = store.load(traces_file, lease=lease)
        assert isinstance(summary, LoadSummary)
        assert (summary.rows, summary.rejects, summary.files) == (4, 0, 1)
        assert summary.bytes == traces_file.stat().st_size and summary.seconds > 0
        src = store.sql("select * from sources").iloc[0]
        assert (src.kind, src.uri, src.format, src.lease_id, src.grant_id) == \
            ("file", str(traces_file), "otlp-traces", "database/creds/readonly/abc", "g-1")
        assert (src.rows_loaded, src.rows_rejected, src.bytes) == (4, 0, summary.bytes)
        assert set(store.sql("select distinct source_id from spans").source_id) == {summary.source_id}
    assert events == [{"source": 1, "uri": str(traces_file), "format": "otlp-traces",
                       "lease_id": "database/creds/readonly/abc", "grant_id": "g-1", "rows": 4, "rejects": 0,
                       "bytes": summary.bytes, "seconds": round(summary.seconds, 3), "kind": "file"}]
    line = str(summary)
    assert "\n" not in line and "4 rows (otlp-traces)" in line and "0 rejected" in line


def test_file_store_keeps_its_data(tmp_path, traces_file):
    db = tmp_path / "inc.duckdb"
    with Store(db) as store:
        first = store.load(traces_file)
    with Store(db) as store:
        assert store.count("spans") == 4
        second = store.load(traces_file)
        assert second.source_id == first.source_id + 1 and store.count("spans") == 8


def test_unopenable_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(tmp_path / "no" / "such" / "dir" / "x.duckdb")


def test_insert_and_add_rejects_for_readers():
    with Store() as store:
        store.insert("logs", [{"time": 1_700_000_000_123_456_789, "body": "hello", "attributes": {"a": [1, 2]},
                               "source_id": 7}])
        row = store.con.execute("select epoch_ns(time), body, attributes->>'$.a[1]' from logs").fetchall()[0]
        assert row == (1_700_000_000_123_456_789, "hello", "2")
        assert store.add_rejects(7, [("f.jsonl:3", "bad\nthing", "x" * 5000)]) == 1
        rej = store.sql("select * from rejects").iloc[0]
        assert rej.error == "bad thing" and len(rej.raw) == 2000


def test_store_never_downloads_extensions():
    with Store() as store:
        settings = dict(store.con.execute("select name, value from duckdb_settings() where name in "
                                          "('autoinstall_known_extensions', 'autoload_known_extensions')").fetchall())
        assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
