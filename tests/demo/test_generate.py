"""The incident generator writes well-formed OTLP lines and logs, deterministically, with the incident in them."""
import gzip
import json
import re
from collections import Counter

import pytest

from jitbench.demo import generate
from jitbench.demo.fleet import REGIONS, SERVICES
from jitbench.errors import ParameterError

SMALL = dict(traces_per_minute=12, baseline_minutes=20, incident_minutes=15)


def _spans(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        for line in f:
            for rs in json.loads(line)["resourceSpans"]:
                res = {a["key"]: next(iter(a["value"].values())) for a in rs["resource"]["attributes"]}
                for ss in rs["scopeSpans"]:
                    for s in ss["spans"]:
                        yield res, s


def _logs(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def incident(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("gen"), seed=11, **SMALL)


def test_spans_form_proper_traces_with_the_resource_attributes_a_reader_needs(incident):
    spans = list(_spans(incident.traces_path))
    assert len(spans) == incident.spans > 1000
    ids = {(s["traceId"], s["spanId"]) for _, s in spans}
    assert len(ids) == len(spans), "span ids are unique"
    roots = Counter(s["traceId"] for _, s in spans if not s["parentSpanId"])
    assert len(roots) == incident.traces and set(roots.values()) == {1}, "one root per trace"
    assert all((s["traceId"], s["parentSpanId"]) in ids for _, s in spans if s["parentSpanId"]), "no orphan"
    for res, s in spans:
        assert re.fullmatch("[0-9a-f]{32}", s["traceId"]) and re.fullmatch("[0-9a-f]{16}", s["spanId"])
        assert {"service.name", "service.version", "cloud.region", "k8s.pod.name"} <= res.keys()
        assert int(s["endTimeUnixNano"]) >= int(s["startTimeUnixNano"])
    assert {res["service.name"] for res, _ in spans} == set(SERVICES)
    kinds = Counter(s["kind"] for _, s in spans)
    assert kinds[2] and kinds[3], "both server and client spans"
    db_spans = [s for _, s in spans if any(a["key"] == "db.statement" for a in s["attributes"])]
    assert db_spans and all(any(a["key"] == "db.system" for a in s["attributes"]) for s in db_spans)


def test_the_culprit_version_runs_only_in_one_region_during_the_window_and_fails_there(incident):
    w0 = incident.window[0].timestamp() * 1e9
    culprit_regions, errors = set(), Counter()
    for res, s in _spans(incident.traces_path):
        if res["service.version"] == incident.version and res["service.name"] == incident.service:
            culprit_regions.add(res["cloud.region"])
            assert int(s["startTimeUnixNano"]) >= w0
        if s["status"].get("code") == 2 and res["service.name"] == "checkout":
            errors[res["cloud.region"], int(s["startTimeUnixNano"]) >= w0] += 1
    assert culprit_regions == {incident.region}
    other = [r for r in REGIONS if r != incident.region]
    assert errors[incident.region, True] > 5 * max(1, max(errors[r, True] for r in other))
    assert errors[incident.region, True] > 5 * max(1, errors[incident.region, False])


def test_logs_are_time_ordered_point_at_real_spans_and_bring_a_new_template(incident):
    logs = _logs(incident.logs_path)
    assert len(logs) == incident.logs
    times = [rec["timestamp"] for rec in logs]
    assert times == sorted(times)
    ids = {(s["traceId"], s["spanId"]) for _, s in _spans(incident.traces_path)}
    with_trace = [rec for rec in logs if "trace_id" in rec]
    assert with_trace and all((rec["trace_id"], rec["span_id"]) in ids for rec in with_trace)
    pool = [rec for rec in logs if rec["message"].startswith(incident.log_template)]
    assert pool and {(r["service"], r["service.version"], r["cloud.region"]) for r in pool} == \
        {(incident.service, incident.version, incident.region)}
    w0 = incident.window[0].isoformat().replace("+00:00", "")
    assert all(r["timestamp"] >= w0 for r in pool)


def test_same_seed_same_bytes_other_seed_other_data_and_gzip_holds_the_same(tmp_path):
    a = generate(tmp_path / "a", seed=3, **SMALL)
    b = generate(tmp_path / "b", seed=3, **SMALL)
    c = generate(tmp_path / "c", seed=4, **SMALL)
    z = generate(tmp_path / "z", seed=3, compress=True, **SMALL)
    assert a.traces_path.read_bytes() == b.traces_path.read_bytes()
    assert a.logs_path.read_bytes() == b.logs_path.read_bytes()
    assert a.traces_path.read_bytes() != c.traces_path.read_bytes()
    assert z.traces_path.name.endswith(".jsonl.gz")
    assert gzip.decompress(z.traces_path.read_bytes()) == a.traces_path.read_bytes()
    assert gzip.decompress(z.logs_path.read_bytes()) == a.logs_path.read_bytes()


def test_size_by_span_count_lands_near_the_target(tmp_path):
    inc = generate(tmp_path, spans=20_000, baseline_minutes=10, incident_minutes=5)
    assert 15_000 < inc.spans < 25_000


@pytest.mark.parametrize("kwargs, word", [
    (dict(baseline_minutes=0), "baseline_minutes"),
    (dict(spans=-5), "spans"),
    (dict(traces_per_minute=0), "traces_per_minute"),
])
def test_bad_sizes_are_one_line_errors(tmp_path, kwargs, word):
    with pytest.raises(ParameterError, match=word) as err:
        generate(tmp_path / "out", **kwargs)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists(), "nothing written"
