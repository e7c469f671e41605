"""Unit tests of the runbook parts that need no server: schema, catalog, report, bundle writer."""
from __future__ import annotations

import json

import nbformat
import pytest

from jitbench.errors import ParameterError, RedactionFailed, RunbookError
from jitbench.redact import fingerprint
from jitbench.runbooks import find, list_templates
from jitbench.runbooks.bundle import BundleInput, write_bundle
from jitbench.runbooks.report import prepare, render
from jitbench.runbooks.run import prepare as prepare_run
from jitbench.runbooks.schema import Parameter, Schema, validate

from runbook_checks import assert_absent, make_template

SCHEMA = Schema((Parameter("incident_id", required=True), Parameter("n", "integer", default=3),
                 Parameter("ratio", "number"), Parameter("on", "boolean", default=False),
                 Parameter("at", "datetime"), Parameter("every", "duration", default="1m"),
                 Parameter("services", "list"), Parameter("trace", "trace_id"),
                 Parameter("mode", choices=("fast", "full"), default="fast")))


def test_validation_converts_and_fills_defaults():
    got = validate(SCHEMA, {"incident_id": "INC-1", "n": "7", "ratio": "0.5", "on": "yes",
                            "at": "2026-11-29T15:02:00+01:00", "services": "a, b", "trace": "4BF92F3577B34DA6A3CE929D0E0E4736"})
    assert got == {"incident_id": "INC-1", "n": 7, "ratio": 0.5, "on": True, "at": "2026-11-29T14:02:00Z",
                   "every": "1m", "services": ["a", "b"], "trace": "4bf92f3577b34da6a3ce929d0e0e4736",
                   "mode": "fast"}


@pytest.mark.parametrize("given, message", [
    ({}, "parameter 'incident_id' is required"),
    ({"incident_id": "I", "n": "3.5"}, "parameter 'n': expected an integer (e.g. 20), got '3.5'"),
    ({"incident_id": "I", "on": "maybe"}, "parameter 'on': expected true or false, got 'maybe'"),
    ({"incident_id": "I", "at": "14:02"}, "parameter 'at': expected an ISO 8601 time"),
    ({"incident_id": "I", "every": "soon"}, "parameter 'every': expected a duration"),
    ({"incident_id": "I", "trace": "xyz"}, "parameter 'trace': expected a trace id of 16 or 32 hex digits"),
    ({"incident_id": "I", "mode": "slow"}, "parameter 'mode': expected one of fast, full, got 'slow'"),
    ({"incident_id": "I", "vault_token": "abc"}, "parameter 'vault_token' looks like a secret"),
    ({"incident_id": "I", "mode": "Bearer abcdefgh12345678"}, "parameter 'mode' looks like a secret"),
    ({"incident_id": "I", "nope": 1}, "has no parameter 'nope'"),
])
def test_validation_errors_name_the_parameter(given, message):
    with pytest.raises(ParameterError) as caught:
        validate(SCHEMA, given, "t")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_shipped_templates_declare_schema_and_access():
    names = {t.name for t in list_templates()}
    assert {"latency-spike", "error-burst", "trace-deep-dive", "db-check", "postmortem-summary"} <= names
    for name in ("latency-spike", "error-burst", "trace-deep-dive", "db-check", "postmortem-summary"):
        tpl = find(name)
        declared = tpl.schema.names()
        assert declared[:2] == ["incident_id", "reason"] and tpl.description
        nb = nbformat.read(str(tpl.path), as_version=4)
        [params_cell] = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        for p in declared:  # every declared parameter has a default in the parameters cell
            assert f"{p} = " in params_cell.source, (name, p)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # shipped clean
    assert find("db-check").schema.access.roles == ("readonly",)


def test_templates_need_incident_and_reason(tmp_path):
    tpl = make_template(tmp_path / "x.ipynb", [(["parameters"], "a = 1")], [{"name": "a", "type": "integer"}])
    with pytest.raises(RunbookError, match="declares no 'incident_id' parameter"):
        prepare_run(tpl, {"a": "2"})
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), str(plain))
    with pytest.raises(RunbookError, match="no cell tagged 'parameters'"):
        find(plain)


def _nb_with(outputs) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = outputs
    nb.cells = [cell]
    return nb


def test_report_cuts_long_tables_and_renders_figures_offline():
    import pandas as pd
    import plotly.express as px

    big = pd.DataFrame({"a": range(5000)}).to_html()
    fig = json.loads(px.bar(x=[1, 2], y=[3, 4]).to_json())
    nb = _nb_with([nbformat.v4.new_output("execute_result", data={"text/html": big, "text/plain": "df"}),
                   nbformat.v4.new_output("display_data", data={"application/vnd.plotly.v1+json": fig}),
                   nbformat.v4.new_output("display_data", data={
                       "application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/html": "<b>card</b>"})])
    ready, figures = prepare(nb)
    html = ready.cells[0].outputs[0].data["text/html"]
    assert figures == 1 and html.count("<tr") == 51 and "cut to 50 of 5000 rows" in html
    assert "application/vnd.jupyter.widget-view+json" not in ready.cells[0].outputs[2].data
    page, n = render(nb, "t")
    assert n == 1 and "cdnjs" not in page and "require.min.js" not in page and "<b>card</b>" in page


def test_bundle_with_a_surviving_value_is_refused_and_nothing_is_left(tmp_path):
    secret = "Zq9-s3cr3t-value-77"
    nb = _nb_with([nbformat.v4.new_output("stream", name="stdout", text="Z q 9")])
    # the value reached the notebook in a form no rule knows: only its fingerprint can find it
    nb.cells[0].outputs[0]["text"] = "pw is " + secret
    with pytest.raises(RedactionFailed) as caught:
        write_bundle(BundleInput(nb=nb, incident="INC-1", template="t"), tmp_path, fingerprints=[fingerprint([secret])])
    assert_absent([secret], str(caught.value), "the error")
    assert "report.html" in str(caught.value) and "2 more place(s)" in str(caught.value)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_bundle_layout_and_manifest(tmp_path):
    nb = _nb_with([nbformat.v4.new_output("stream", name="stdout", text="hello")])
    bundle = write_bundle(BundleInput(nb=nb, incident="INC/1 x", template="t", parameters={"n": 1},
                                      journal=[{"event": "grant", "grant_id": "g-1"}]), tmp_path)
    assert bundle.parent.name == "INC-1-x" and bundle.name.startswith("t-")
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert set(manifest["files"]) == {"t.ipynb", "report.html", "journal.jsonl"}
    assert manifest["parameters"] == {"n": 1} and manifest["versions"]["papermill"]
    assert manifest["outcome"]["status"] == "ok" and manifest["report"]["figures"] == 0
    assert not [p for p in tmp_path.rglob(".*partial*")]


def test_report_is_cut_to_its_budget_and_the_notebook_keeps_everything(tmp_path):
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"line {i} " + "x" * 150_000)
               for i in range(40)]  # 6 MB of output
    bundle = write_bundle(BundleInput(nb=_nb_with(outputs), incident="INC-2", template="big"), tmp_path,
                          html_budget=3_000_000)
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["report"]["bytes"] <= 3_000_000 and not manifest["report"]["over_budget"]
    assert manifest["report"]["output_limit"] == 50_000
    assert "output cut at 50000 characters" in (bundle / "report.html").read_text()
    assert (bundle / "big.ipynb").stat().st_size > 6_000_000
