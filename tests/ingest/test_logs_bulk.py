"""The bulk (DuckDB) path of the JSON-lines log reader gives the same rows and rejects as the Python path."""
from __future__ import annotations

import json
import logging
import warnings

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from jitbench.ingest import LoadWarning
from jitbench.ingest.bulk_logs import field_paths
from jitbench.store import Store

TIMES = ["2026-11-29T14:02:00Z", "2026-11-29T14:02:00.123456789Z", "2026-11-29T15:02:00.5+01:00",
         "2026-11-29 09:02:00,25-0500", "2026-11-29T14:02:00", "2026-11-29T14:02Z", " 2026-11-29T14:02:00.1Z ",
         "2026-11-29T14:02:00.1234567Z", "2026-11-29T14:02:00.12345678901Z", "2026-02-31T00:00:00Z",
         "1795960920", "1795960920.25", "1795960920123", 1795960920, 1795960920.25, 1795960920123,
         1795960920123456, 1795960920123456789, 1.79596092e9, "yesterday", True, [1], "", None]
LEVELS = ["info", "WARN", "Warning", "error2", "E", 30, 50, "60", 9, 99, "bogus", True, "", None]
IDS = ["4BF92F3577B34DA6A3CE929D0E0E4736", "4bf92f35-77b3-4da6-a3ce-929d0e0e4736", "S/kvNXezTaajzpKdDg5HNg==",
       "00f067aa0ba902b7", "0" * 32, "not-an-id", 12345, "", None]


def both_paths(tmp_path, data: bytes):
    path = tmp_path / "app.jsonl"
    path.write_bytes(data)
    out = []
    for bulk in (False, True):
        store = Store()
        with warnings.catch_warnings():  # "no rows loaded" is expected of some generated files
            warnings.simplefilter("ignore", LoadWarning)
            store.load(str(path), format="json-logs", bulk=bulk, progress=False)
        rows = store.con.execute("select * exclude (source_id) from logs").fetchall()
        rows = sorted(tuple(map(repr, row)) for row in rows)
        rejects = sorted(store.sql("select location from rejects").location)
        out.append((rows, rejects))
    return out


def test_field_names_are_learned_from_the_head():
    head = b'{"ts": 1, "Level": "info", "msg": "x", "TraceId": "ab"}\n{"time": 2, "message": "y"}\n'
    assert field_paths(head) == {"time": ["time", "ts"], "level": ["Level"], "body": ["message", "msg"],
                                 "trace_id": ["TraceId"]}
    assert field_paths(b'{"log": {"level": "info"}, "message": "x"}\n') is None  # nested roles: Python path
    assert field_paths(b"not json\n") is None


def test_same_rows_and_rejects_on_a_varied_file(tmp_path):
    lines = []
    for i, time in enumerate(TIMES):
        lines.append(json.dumps({"time": time, "level": LEVELS[i % len(LEVELS)], "msg": f"m{i}",
                                 "trace_id": IDS[i % len(IDS)], "span_id": IDS[(i + 3) % len(IDS)],
                                 "service": ["cart", 7, None][i % 3], "n": i, "nested": {"a": [1, {"b": None}]}}))
    lines += [json.dumps({"ts": 1795960920, "lvl": "debug", "message": {"k": [1, 2]}, "severity_number": 18}),
              json.dumps({"ts": 1795960920, "severity_number": "bogus", "level": "info", "body": "b"}),
              json.dumps({"timestamp": "2026-11-29T14:02:00Z", "time": "", "msg": ""}),
              json.dumps({"msg": "no time at all", "observed_time": 1795960920}),
              json.dumps({"msg": "unicode ✓ \u00e9", "x": 1e5, "big": 12345678901234567890}),
              '{"time": "2026-11-29T14:02:00Z", "msg": "trunc', "[1, 2]", '"just a string"', "42", "",
              "   ", '{"time": 1795960920, "msg": "crlf"}\r']
    data = "\n".join(lines).encode() + b"\n\xff\xfe garbage\n" + b'{"msg": "last"}'
    (python_rows, python_rejects), (bulk_rows, bulk_rejects) = both_paths(tmp_path, data)
    assert len(python_rows) > 20 and len(python_rejects) >= 8
    assert bulk_rejects == python_rejects
    assert bulk_rows == python_rows


# floats whose shortest text Python and DuckDB write alike (they differ on 1e+16 and 2.5e-05)
_float = st.floats(-1e15, 1e15).filter(lambda x: x == 0 or abs(x) >= 1e-4)
# control characters are escaped \u001f by Python and \u001F by DuckDB: the same JSON, other text
_text = st.text(st.characters(min_codepoint=32, blacklist_categories=("Cs",)), max_size=12)
_value = st.one_of(st.none(), st.booleans(), st.integers(-10, 2**64), _float, _text,
                   st.sampled_from(TIMES + LEVELS + IDS))


@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({"time": _value, "level": _value, "msg": _value, "trace_id": _value}),
                min_size=1, max_size=8))
def test_same_rows_for_arbitrary_values(tmp_path, records):
    data = "\n".join(json.dumps(r) for r in records).encode()
    (python_rows, python_rejects), (bulk_rows, bulk_rejects) = both_paths(tmp_path, data)
    assert bulk_rejects == python_rejects
    assert bulk_rows == python_rows


def test_clean_file_in_one_pass_gives_the_python_rows(tmp_path, caplog):
    # the varied file without the lines the Python path rejects: DuckDB reads it whole, same rows
    lines = [json.dumps({"time": time, "level": LEVELS[i % len(LEVELS)], "msg": f"m{i}",
                         "trace_id": IDS[i % len(IDS)], "service": ["cart", 7, None][i % 3], "n": i})
             for i, time in enumerate(TIMES * 3)]
    probe = tmp_path / "probe.jsonl"
    probe.write_text("\n".join(lines) + "\n")
    with Store() as store:
        store.load(str(probe), format="json-logs", bulk=False, progress=False)
        bad = {int(loc.rsplit(":", 1)[1]) for loc in store.sql("select location from rejects").location}
    clean = [line for number, line in enumerate(lines, 1) if number not in bad]
    assert bad and len(clean) > 40
    with caplog.at_level(logging.DEBUG, logger="jitbench.ingest.direct"):
        (python_rows, python_rejects), (bulk_rows, bulk_rejects) = both_paths(
            tmp_path, ("\n".join(clean) + "\n").encode())
    assert "read by DuckDB in one pass" in caplog.text and "line by line" not in caplog.text
    assert python_rejects == bulk_rejects == []
    assert bulk_rows == python_rows and len(bulk_rows) == len(clean)
