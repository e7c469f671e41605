"""The normalisation rules: Python and SQL forms give the same answers, including adversarial text."""
from __future__ import annotations

import json

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitbench.ingest import normalize as n
from jitbench.ingest.otlp import KV

con = duckdb.connect()


def sql(expr: str, value):
    return con.execute(f"SELECT {expr} FROM (SELECT ?::VARCHAR AS x)", [value]).fetchall()[0][0]


@pytest.mark.parametrize("value,expected", [
    ("5B8EFFF798038103D269B633813FC60C", "5b8efff798038103d269b633813fc60c"),
    ("W47/95gDgQPSabYzgTn8YA==", "5b8efff798038103d269b6338139fc60"),
    ("7u4Ze+w8sXQ=", "eeee197bec3cb174"),
    ("0000000000000001", "0000000000000001"),
    ("", ""),
])
def test_hex_id_python_and_sql_agree(value, expected):
    assert n.hex_id(value) == expected
    assert sql(n.sql_hex_id("x"), value) == expected


def test_hex_id_rejects_what_is_neither():
    with pytest.raises(ValueError, match="neither hex nor base64"):
        n.hex_id("not-an-id!")
    assert sql(n.sql_hex_id("x"), "not-an-id!") is None


@pytest.mark.parametrize("value", ["2", "SPAN_KIND_SERVER", "server", "7", None, "bogus"])
def test_span_kind_python_and_sql_agree(value):
    assert n.span_kind(value) == sql(n.sql_enum("x", n.SPAN_KINDS, "SPAN_KIND_", "UNSPECIFIED"), value)


@pytest.mark.parametrize("value", ["0", "1", "2", "STATUS_CODE_ERROR", "STATUS_CODE_OK", None])
def test_status_python_and_sql_agree(value):
    assert n.status_code(value) == sql(n.sql_enum("x", n.STATUS_CODES, "STATUS_CODE_", "UNSET"), value)


def test_times():
    assert n.time_ns("1581452772000000321") == 1581452772000000321
    assert n.time_ns(1485467191639875, "us") == 1485467191639875000
    assert n.time_ns(1700000000123, "ms") == 1700000000123000000
    assert n.time_ns("2020-02-11T20:26:12.000000321Z") == 1581452772000000321
    assert n.time_ns("2020-02-11T21:26:12.000000321+01:00") == 1581452772000000321
    assert n.time_ns("2020-02-11 20:26:12") == 1581452772000000000
    with pytest.raises(ValueError, match="RFC 3339"):
        n.time_ns("yesterday")
    assert con.execute(f"SELECT epoch_ns({n.sql_time_ns('x')}) FROM (SELECT '1581452772000000321' AS x)"
                       ).fetchall()[0][0] == 1581452772000000321


scalar = st.one_of(
    st.builds(lambda s: {"stringValue": s}, st.text(max_size=12)),
    st.builds(lambda s: {"stringValue": s}, st.sampled_from(['}},{"key":"x', 'a"b', "back\\slash\\", '"value":{}',
                                                              ',"value":{"stringValue":', "é中", "}}]", '"}}]',
                                                              ',"value":{"intValue":"1"'])),
    st.builds(lambda i: {"intValue": str(i)}, st.integers(-2**63, 2**63 - 1)),
    st.builds(lambda i: {"intValue": i}, st.integers(-1000, 1000)),     # a number, not the mapping's string
    st.sampled_from([None, {}]),                                       # no value at all
    st.builds(lambda b: {"boolValue": b}, st.booleans()),
    st.builds(lambda f: {"doubleValue": f}, st.floats(allow_nan=False, allow_infinity=False, width=32)),
    st.builds(lambda v: {"arrayValue": {"values": v}}, st.lists(st.builds(lambda s: {"stringValue": s},
                                                                          st.text(max_size=3)), max_size=2)),
)
keys = st.one_of(st.text(max_size=10), st.sampled_from(['}},{"key":', 'a"b', "\\", "service.name"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(keys, scalar), max_size=6, unique_by=lambda kv: kv[0]))
def test_attribute_text_conversion_matches_python(pairs):
    """The text-replacement fast path and the general path both equal the Python reading."""
    kv = [{"key": k, "value": v} for k, v in pairs]
    text = json.dumps(kv, ensure_ascii=False)
    fast = con.execute(f"SELECT {n.sql_attributes_text('x', KV)} FROM (SELECT ?::JSON AS x)", [text]).fetchall()[0][0]
    want = n.kv_object(kv)
    got = json.loads(fast)
    assert got.keys() == want.keys()
    for key, value in want.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-6)
        elif isinstance(value, list):
            assert got[key] == {"values": [{"stringValue": s} for s in value]}   # arrays keep OTLP form
        else:
            assert got[key] == value
