"""Application logs (JSON lines, logfmt, plain text with a pattern) into the ``logs`` table."""
from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jitbench.errors import IngestError
from jitbench.ingest import LoadWarning
from jitbench.ingest.logs import (hex_id, json_log_row, parse_lines, parse_logfmt, severity_number,
                                  sniff_log_format, to_unix_ns)
from jitbench.store import Store

NS = 1_795_960_920_000_000_000  # 2026-11-29T14:02:00Z


# -- normalisation ------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("2026-11-29T14:02:00Z", NS),
    ("2026-11-29T14:02:00.123456789Z", NS + 123456789),
    ("2026-11-29T15:02:00.5+01:00", NS + 500_000_000),
    ("2026-11-29 09:02:00,25-0500", NS + 250_000_000),
    ("2026-11-29T14:02:00", NS),                      # no offset: UTC
    (1795960920, NS), (1795960920.25, NS + 250_000_000), ("1795960920.000000001", NS + 1),
    (1795960920123, NS + 123_000_000), (1795960920123456, NS + 123_456_000),
    (1795960920123456789, NS + 123456789), ("1795960920123456789", NS + 123456789),
])
def test_times_in_every_unit_become_utc_nanoseconds(value, expected):
    assert to_unix_ns(value) == expected


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T00:00:00Z", True, [1], {"t": 1}, 10**25])
def test_unreadable_times_are_refused(bad):
    with pytest.raises(ValueError):
        to_unix_ns(bad)


@pytest.mark.parametrize("level, number", [
    ("TRACE", 1), ("debug", 5), ("Info", 9), ("INFORMATION", 9), ("notice", 10), ("WARN", 13),
    ("warning", 13), ("ERROR", 17), ("err", 17), ("critical", 22), ("FATAL", 21), ("emerg", 24),
    ("ERROR2", 18), (30, 9), (50, 17), ("60", 21), (9, 9), ("bogus", None), (None, None), (99, None),
])
def test_severity_text_and_numbers_map_to_otlp(level, number):
    assert severity_number(level) == number


def test_ids_become_lower_hex_from_any_case_uuid_or_base64():
    assert hex_id("4BF92F3577B34DA6A3CE929D0E0E4736") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert hex_id("4bf92f35-77b3-4da6-a3ce-929d0e0e4736") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert hex_id("S/kvNXezTaajzpKdDg5HNg==") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert hex_id("00F067AA0BA902B7", (16,)) == "00f067aa0ba902b7"
    assert hex_id("0" * 32) is None and hex_id("") is None and hex_id("not-an-id") is None


# -- field names of common logging libraries ----------------------------------------------------

@pytest.mark.parametrize("record, want", [
    # zap / logrus / slog
    ({"ts": 1795960920.5, "level": "error", "msg": "boom", "trace_id": "AB" * 16, "user": "u1"},
     (NS + 500_000_000, "error", 17, "boom", "ab" * 16, None, {"user": "u1"})),
    # pino / bunyan: numeric level, epoch ms
    ({"time": 1795960920123, "level": 40, "msg": "slow", "pid": 7, "hostname": "h"},
     (NS + 123_000_000, "40", 13, "slow", None, None, {"pid": 7, "hostname": "h"})),
    # Elastic Common Schema: nested log.level, trace.id, span.id, service.name
    ({"@timestamp": "2026-11-29T14:02:00Z", "log": {"level": "WARN", "logger": "x"}, "message": "m",
      "trace": {"id": "cd" * 16}, "span": {"id": "ef" * 8}, "service": {"name": "cart"}},
     (NS, "WARN", 13, "m", "cd" * 16, "ef" * 8, {"log": {"logger": "x"}})),
    # structlog: event is the message; python json logger: levelname, asctime
    ({"timestamp": "2026-11-29T14:02:00Z", "event": "started", "level": "info", "otelTraceID": "01" * 16},
     (NS, "info", 9, "started", "01" * 16, None, None)),
    # a trace id that is not an id stays an attribute
    ({"time": NS, "severity": "Information", "body": {"k": [1, 2]}, "traceId": "n/a"},
     (NS, "Information", 9, '{"k":[1,2]}', None, None, {"traceId": "n/a"})),
])
def test_common_field_names_are_recognised(record, want):
    row = json_log_row(json.dumps(record))
    time, _, level, number, service, body, trace_id, span_id, attributes, _ = row
    assert (time, level, number, body, trace_id, span_id) == want[:6]
    assert (json.loads(attributes) if attributes else None) == want[6]
    if "service" in record:
        assert service == "cart"


def test_logfmt_quoting_escapes_and_bare_keys():
    assert parse_logfmt('a=1 b="two words" c="say \\"hi\\"" d= flag') == {
        "a": "1", "b": "two words", "c": 'say "hi"', "d": "", "flag": True}
    for bad in ['a="unterminated', "just words here", 'a=1 b="x"y']:
        with pytest.raises(ValueError):
            parse_logfmt(bad)


# -- loading files --------------------------------------------------------------------------

def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_json_lines_file_loads_with_rejects_carrying_file_and_line(tmp_path):
    lines = [
        json.dumps({"time": "2026-11-29T14:02:00Z", "level": "info", "msg": "ok 1"}),
        '{"time": "2026-11-29T14:02:01Z", "level": "info", "msg": "trunc',      # truncated JSON
        json.dumps({"time": True, "msg": "wrong type for time"}),               # wrong type
        "[1, 2, 3]",                                                            # not an object
        "",                                                                     # blank: skipped
        json.dumps({"time": "2026-11-29T14:02:02Z", "level": "warn", "msg": "ok 2"}),
    ]
    data = "\n".join(lines).encode() + b"\n\xff\xfe\x00garbage\x81\n" + json.dumps({"msg": "ok 3"}).encode()
    path = write(tmp_path, "app.log", data)
    store = Store()
    summary = store.load(str(path))
    assert summary.format == "json-logs"
    assert (summary.rows, summary.rejects) == (3, 4)
    rejects = store.sql("select location, error, raw from rejects order by location")
    assert rejects.location.tolist() == [f"{path}:{n}" for n in (2, 3, 4, 7)]
    assert "not valid JSON" in rejects.error[0] and "time" in rejects.error[1]
    assert "not an object" in rejects.error[2] and "UTF-8" in rejects.error[3]
    assert store.sql("select body from logs order by time nulls last").body.tolist() == ["ok 1", "ok 2", "ok 3"]
    assert store.sql("select rows_loaded, rows_rejected from sources").values.tolist() == [[3, 4]]


def test_empty_file_loads_nothing_and_says_so(tmp_path):
    path = write(tmp_path, "empty.log", b"")
    with pytest.warns(LoadWarning, match="empty"):
        summary = Store().load(str(path), format="json-logs")
    assert summary.rows == 0 and summary.rejects == 0 and summary.warnings


def test_binary_garbage_with_format_forced_is_all_rejects_not_a_crash(tmp_path):
    path = write(tmp_path, "garbage.bin", bytes(range(256)) * 20 + b"\n" + b"\x00\x01\x02\n")
    store = Store()
    with pytest.warns(LoadWarning, match="no rows"):
        summary = store.load(str(path), format="json-logs")
    assert summary.rows == 0 and summary.rejects == summary.rejects > 0
    assert store.sql("select location from rejects").location.str.startswith(f"{path}:").all()


def test_gzip_logfmt_is_sniffed_and_loaded(tmp_path):
    text = ('ts=2026-11-29T14:02:00.000000001Z level=error msg="payment failed" trace_id=' + "ab" * 16 +
            ' span_id=' + "cd" * 8 + ' service=checkout amount=12.5\n'
            'ts=2026-11-29T14:02:01Z level=info msg=ok service=checkout\n'
            'this line is not logfmt at all\n')
    path = write(tmp_path, "app.logfmt.gz", gzip.compress(text.encode()))
    store = Store()
    summary = store.load(str(path))
    assert summary.format == "logfmt" and (summary.rows, summary.rejects) == (2, 1)
    row = store.sql("select * from logs order by time").iloc[0]
    assert row.time.value == NS + 1 and row.severity_number == 17 and row.service_name == "checkout"
    assert row.trace_id == "ab" * 16 and row.span_id == "cd" * 8
    assert json.loads(row.attributes) == {"amount": "12.5"}
    assert store.sql("select location from rejects").location[0] == f"{path}:3"


def test_plain_text_with_a_pattern(tmp_path):
    path = write(tmp_path, "nginx.log", b"2026-11-29T14:02:00Z ERROR [checkout] upstream timed out\n"
                                        b"    at frame 1\n"
                                        b"2026-11-29T14:02:03Z INFO [cart] ok\n")
    store = Store()
    summary = store.load(str(path), format="text",
                         pattern=r"(?P<time>\S+) (?P<level>\w+) \[(?P<service>[^\]]+)\] (?P<msg>.*)")
    assert (summary.rows, summary.rejects) == (2, 1)
    df = store.sql("select service_name, body, severity_number from logs order by time")
    assert df.values.tolist() == [["checkout", "upstream timed out", 17], ["cart", "ok", 9]]
    assert "does not match" in store.sql("select error from rejects").error[0]


def test_plain_text_multiline_joins_stack_traces_to_their_record(tmp_path):
    path = write(tmp_path, "java.log", b"    orphan line before any record\n"
                                       b"2026-11-29T14:02:00Z ERROR [checkout] payment failed\n"
                                       b"java.lang.IllegalStateException: declined\n"
                                       b"    at Pay.charge(Pay.java:42)\n"
                                       b"\xff\xfe not utf-8\n"
                                       b"2026-11-29T14:02:03Z INFO [cart] ok\n")
    store = Store()
    summary = store.load(str(path), format="text", multiline=True,
                         pattern=r"(?P<time>\S+Z) (?P<level>\w+) \[(?P<service>[^\]]+)\] (?P<msg>.*)")
    assert (summary.rows, summary.rejects) == (2, 2)
    bodies = store.sql("select body from logs order by time").body.tolist()
    assert bodies == ["payment failed\njava.lang.IllegalStateException: declined\n    at Pay.charge(Pay.java:42)",
                      "ok"]
    assert sorted(store.sql("select location from rejects").location) == [f"{path}:1", f"{path}:5"]


def test_plain_text_without_a_pattern_asks_for_one(tmp_path):
    path = write(tmp_path, "app.txt", b"Nov 29 14:02:00 host app[1]: hello\n")
    store = Store()
    with pytest.raises(IngestError, match="pass pattern="):
        store.load(str(path))
    with pytest.raises(IngestError, match="bad pattern"):
        store.load(str(path), format="text", pattern="(unclosed")
    assert store.sql("select count(*) n from sources").n[0] == 0


def test_sniffing_tells_json_logs_from_otlp_lines_and_logfmt():
    assert sniff_log_format(b'{"level":"info","msg":"x","ts":1}\n') == "json-logs"
    assert sniff_log_format(b'{"resourceLogs":[{"resource":{}}]}\n') is None
    assert sniff_log_format(b'{"resourceSpans":[]}\n') is None
    assert sniff_log_format(b'{"data":{"resultType":"streams","result":[]}}') is None
    assert sniff_log_format(b"ts=1 level=info msg=x\nts=2 level=warn msg=y\n") == "logfmt"
    assert sniff_log_format(b"hello world\n") is None


def test_format_overrides_sniffing(tmp_path):
    # logfmt-looking lines read as text with a pattern when the user says so
    path = write(tmp_path, "x.log", b"a=1 b=2\n")
    store = Store()
    summary = store.load(str(path), format="text", pattern=r"a=(?P<a>\d) b=(?P<msg>\d)")
    assert summary.format == "text" and store.sql("select body from logs").body[0] == "2"


# -- property: every non-blank line is a row or a reject, never both, never lost -----------------

_line = st.one_of(
    st.builds(lambda t, m: json.dumps({"time": t, "msg": m}),
              st.integers(0, 2**62), st.text(max_size=20)),
    st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s),
    st.binary(max_size=30).filter(lambda b: b"\n" not in b and b"\r" not in b),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, max_size=30))
def test_rows_and_rejects_account_for_every_line(lines):
    raw = [ln if isinstance(ln, bytes) else ln.encode() for ln in lines]
    rows, rejects = [], []
    for r, j in parse_lines(raw, json_log_row, "f", chunk=7):
        rows += r
        rejects += j
    non_blank = [ln for ln in raw if ln.decode("utf-8", "replace").strip()]
    assert len(rows) + len(rejects) == len(non_blank)
    assert all(r.location.startswith("f:") for r in rejects)
    assert len({r.location for r in rejects}) == len(rejects)
