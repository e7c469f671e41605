"""Bad input: the load finishes, every bad record is in `rejects` with its location, counts add up."""
from __future__ import annotations

import gzip
import json
import warnings

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jitbench.errors import IngestError, UnknownFormat
from jitbench.ingest import LoadWarning
from jitbench.store import Store


def span(i: int, **over) -> dict:
    base = {"traceId": f"{i:032x}", "spanId": f"{i + 1:016x}", "name": f"op{i}", "kind": 2,
            "startTimeUnixNano": str(1_700_000_000_000_000_000 + i), "endTimeUnixNano": str(1_700_000_001_000_000_000 + i),
            "status": {"code": 2 if i % 3 == 0 else 0}}
    base.update(over)
    return base


def line(*spans, service="svc") -> str:
    return json.dumps({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "t"}, "spans": list(spans)}]}]})


@pytest.fixture
def store():
    s = Store()
    yield s
    s.close()


def test_mixed_file_keeps_good_rows_and_locates_bad_ones(store, tmp_path):
    path = tmp_path / "mixed.jsonl"
    lines = [line(span(1), span(2)),                                     # 1: two good spans
             line(span(3))[:40],                                         # 2: truncated
             None,                                                        # 3: binary garbage
             line(span(4, startTimeUnixNano="abc"), span(5)),            # 4: one span of wrong type
             json.dumps({"hello": "world"}),                              # 5: JSON, not OTLP
             "",                                                          # 6: blank (skipped)
             line(span(6, traceId=123, spanId={"x": 1}), span(7)),      # 7: wrong types for ids
             line(span(8))]                                               # 8: good
    with open(path, "wb") as f:
        for text in lines:
            f.write(b"\xff\xfe\x00garbage\x9c" if text is None else text.encode())
            f.write(b"\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a load with rows and rejects is not a warning
        summary = store.load(path)
    assert summary.rows == 5 and summary.rejects == 5          # spans 1,2,5,7,8 ; lines 2,3,5 + spans 4,6
    rejects = store.sql("select * from rejects order by location")
    where = {r.location.rsplit(":", 1)[1]: r.error for r in rejects.itertuples()}
    assert set(where) == {"2", "3", "4", "5", "7"}
    assert "not valid JSON" in where["2"] and "not UTF-8" in where["3"]
    assert "startTimeUnixNano is not a number: abc" in where["4"]
    assert "not an OTLP" in where["5"] and "spanId" in where["7"]
    assert all(loc.startswith(str(path)) for loc in rejects.location)
    assert sorted(store.sql("select name from spans").name) == ["op1", "op2", "op5", "op7", "op8"]
    # the raw text of a reject is kept (cut), a binary line as NULL rather than mojibake
    assert rejects.set_index(rejects.location.str.rsplit(":", n=1).str[1]).raw["2"] == lines[1]
    row = store.sql("select rows_loaded, rows_rejected from sources").iloc[0]
    assert (row.rows_loaded, row.rows_rejected) == (5, 5)


def test_empty_file_loads_nothing_and_says_so(store, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    with pytest.warns(LoadWarning) as caught:
        summary = store.load(path)
    assert any("no rows loaded" in str(w.message) for w in caught)
    assert (summary.rows, summary.rejects) == (0, 0)
    assert any("empty" in w for w in summary.warnings) and "warning: " in str(summary)


def test_zero_span_document(store, tmp_path):
    path = tmp_path / "zero.json"
    path.write_text('{\n  "resourceSpans": []\n}\n')
    with pytest.warns(LoadWarning, match="no rows loaded"):
        summary = store.load(path)
    assert summary.format == "otlp-traces" and (summary.rows, summary.rejects) == (0, 0)


def test_binary_file_is_an_unknown_format_naming_what_was_seen(store, tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UnknownFormat) as err:
        store.load(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "binary data" in message and "format=" in message
    assert store.count("spans") == 0 and len(store.sql("select * from sources")) == 0  # nothing half-done


def test_unreadable_text_is_one_clear_line(store, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(IngestError) as err:   # plain text: the text reader wants a pattern
        store.load(path, format=None)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_unknown_format_name_lists_the_known_ones(store, tmp_path):
    path = tmp_path / "x.json"
    path.write_text(line(span(1)))
    with pytest.raises(UnknownFormat, match="otlp-traces") as err:
        store.load(path, format="otlp-tracez")
    assert "zipkin" in str(err.value)


def test_missing_path_and_empty_glob(store, tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        store.load(tmp_path / "nope.json")
    with pytest.raises(IngestError, match="no file matches"):
        store.load(str(tmp_path / "*.jsonl"))


def test_jaeger_and_zipkin_bad_records(store, tmp_path):
    jaeger = tmp_path / "jaeger.json"
    jaeger.write_text(json.dumps({"data": [{"traceID": "01", "processes": {"p1": {"serviceName": "a"}}, "spans": [
        {"traceID": "01", "spanID": "02", "operationName": "ok", "startTime": 1, "duration": 2, "processID": "p1"},
        {"spanID": "03", "operationName": "no trace id", "startTime": 1, "duration": 2},
        {"traceID": "01", "spanID": "zz-not-hex", "operationName": "bad id"}]}]}))
    summary = store.load(jaeger)
    assert (summary.format, summary.rows, summary.rejects) == ("jaeger", 1, 2)
    locations = set(store.sql("select location from rejects").location)
    assert locations == {f"{jaeger}#data[0].spans[1]", f"{jaeger}#data[0].spans[2]"}
    zipkin = tmp_path / "zipkin.json"
    zipkin.write_text('[{"traceId": "aa", "id": "bb", "timestamp": 1, "name": "x"},\n {"traceId": "aa", "id": ')
    with pytest.warns(LoadWarning, match="no rows loaded"):
        summary = store.load(zipkin, format="zipkin")
    assert (summary.rows, summary.rejects) == (0, 1)
    assert store.sql(f"select location from rejects where source_id = {summary.source_id}").location[0] \
        == f"{zipkin}:2"


def test_compressed_globs_and_directories(store, tmp_path):
    plain = line(span(1), span(2)) + "\n" + line(span(3)) + "\n"
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.jsonl.gz").write_bytes(gzip.compress(plain.encode()))
    (tmp_path / "d" / "b.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(plain.encode()))
    (tmp_path / "d" / "c.jsonl").write_text(plain)
    (tmp_path / "d" / ".hidden").write_text("ignored")
    gz = store.load(tmp_path / "d" / "a.jsonl.gz")
    zst = store.load(tmp_path / "d" / "b.jsonl.zst")
    assert gz.rows == zst.rows == 3
    assert gz.bytes == (tmp_path / "d" / "a.jsonl.gz").stat().st_size          # bytes as stored
    whole = store.load(tmp_path / "d")
    assert (whole.rows, whole.files) == (9, 3)
    globbed = store.load(str(tmp_path / "d" / "*.jsonl*"))
    assert (globbed.rows, globbed.files) == (9, 3)
    cols = "trace_id, span_id, name, start_time, end_time, status_code"
    rows = [store.con.execute(f"select {cols} from spans where source_id = ? order by all", [s.source_id]).fetchall()
            for s in (gz, zst)]
    assert rows[0] == rows[1]


def test_directory_with_a_stranger_file(store, tmp_path):
    (tmp_path / "a.jsonl").write_text(line(span(1)) + "\n")
    (tmp_path / "README.bin").write_bytes(bytes(range(200)))
    with pytest.warns(LoadWarning) as caught:
        summary = store.load(tmp_path)
    assert any("unknown format" in str(w.message) for w in caught)
    assert (summary.rows, summary.rejects) == (1, 1)
    assert store.sql("select location from rejects").location[0] == str(tmp_path / "README.bin")
    (tmp_path / "notes.txt").write_text("plain text the text reader cannot read without a pattern\n")
    with pytest.warns(LoadWarning) as caught:
        summary = store.load(tmp_path)
    assert any("notes.txt: not loaded" in str(w.message) for w in caught)
    assert (summary.rows, summary.rejects) == (1, 2)


def test_a_failing_reader_leaves_the_store_as_it_was(store, tmp_path, monkeypatch):
    from jitbench.ingest import registry
    registry.formats()  # builtins in, then a private copy so the test reader does not outlive the test
    monkeypatch.setattr(registry, "_READERS", dict(registry._READERS))
    from jitbench.ingest import Reader, register

    def explode(store_, source, source_id, **opts):
        store_.insert("spans", [{"trace_id": "aa", "span_id": "bb", "source_id": source_id}])
        raise RuntimeError("disk on fire")

    register(Reader("test-explode", "spans", lambda head: 0, explode))
    path = tmp_path / "x.jsonl"
    path.write_text(line(span(1)) + "\n")
    with pytest.raises(RuntimeError):
        store.load(path, format="test-explode")
    assert store.count("spans") == 0 and len(store.sql("select * from sources")) == 0


# (a file that starts with gzip's or zstd's magic bytes is a compressed file, and a corrupt one is an error)
garbage = st.one_of(st.binary(min_size=1, max_size=60).filter(
                        lambda b: b"\n" not in b and b.strip() and not b.startswith((b"\x1f\x8b\x08", b"\x28\xb5\x2f\xfd"))),
                    st.just(b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "ab'),
                    st.just(b'[1, 2, 3]'), st.just(b'"just a string"'), st.just(b'{"resourceLogs": []}'))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.integers(0, 4), garbage), min_size=1, max_size=12))
def test_property_rows_and_rejects_add_up(tmp_path, items):
    """Any mix of good lines (n spans each) and garbage: rows = good spans, rejects = garbage lines."""
    path = tmp_path / "prop.jsonl"
    good_spans, bad_lines, out, counter = 0, set(), [], 0
    for number, item in enumerate(items, 1):
        if isinstance(item, int):
            spans = [span(counter + k) for k in range(item)]
            counter += item
            good_spans += item
            out.append(line(*spans).encode())
        else:
            try:
                json.loads(item)
                valid_otlp = b"resourceSpans" in item
            except ValueError:
                valid_otlp = False
            if not valid_otlp:
                bad_lines.add(number)
            out.append(item)
    path.write_bytes(b"\n".join(out) + b"\n")
    with Store() as store, warnings.catch_warnings():
        warnings.simplefilter("ignore", LoadWarning)
        try:
            summary = store.load(path, format="otlp-traces")
        except UnknownFormat:
            pytest.fail("an explicit format must never be sniffed")
        assert summary.rows == good_spans
        located = {int(loc.rsplit(":", 1)[1]) for loc in store.sql("select location from rejects").location}
        assert located == bad_lines and summary.rejects == len(bad_lines)


def test_corrupt_gzip_is_one_clear_line(store, tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress((line(span(1)) + "\n").encode() * 50)[:60])   # cut short
    with pytest.raises(IngestError) as err:
        store.load(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value) and "complete" in str(err.value)
    assert len(store.sql("select * from sources")) == 0


def test_gzip_cut_after_the_head_is_one_clear_line(store, tmp_path):
    import random
    rnd = random.Random(3)
    payload = "".join(line(span(i), service=f"{rnd.getrandbits(64):x}") + "\n" for i in range(3000)).encode()
    whole = gzip.compress(payload, compresslevel=1)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 3 // 4])
    with pytest.raises(IngestError, match="past line") as err:
        store.load(path)
    assert "\n" not in str(err.value) and "cut-off" in str(err.value)
    assert store.count("spans") == 0 and len(store.sql("select * from sources")) == 0
