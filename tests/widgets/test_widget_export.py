"""A grant as the last expression of a cell, executed by a real kernel and exported to HTML.

The exported HTML must show the static fallback (incident, expiry time in UTC,
state) and no secret the grant held; the saved .ipynb must not carry one either.
"""
from __future__ import annotations

import json
import secrets
import textwrap

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from jitbench.widgets import drop_grant_widget_state
from jitbench.widgets.fallback import WIDGET_VIEW

GRANT_CELL = textwrap.dedent('''
    import os
    from datetime import datetime, timedelta, timezone
    from jitbench.widgets import grant_mimebundle

    class Lease:
        kind, role, state, revocable_early = "database", "readonly", "active", True
        expires = datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        password = os.environ["WIDGET_TEST_PASSWORD"]

    class Grant:
        id, incident, reason, state, renewable = "g-export", "INC-42", "checkout 5xx", "active", True
        expires = datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        token = os.environ["WIDGET_TEST_TOKEN"]
        leases = [Lease()]
        def renew(self): pass
        def revoke(self): pass
        def _repr_mimebundle_(self, include=None, exclude=None):
            return grant_mimebundle(self, include=include, exclude=exclude)

    grant = Grant()
    grant
''')


def test_html_export_shows_fallback_and_no_secret(monkeypatch, tmp_path):
    token, password = "hvs." + secrets.token_urlsafe(24), "pw-" + secrets.token_hex(16)
    # The kernel inherits the environment: the secrets reach it without being in the notebook.
    monkeypatch.setenv("WIDGET_TEST_TOKEN", token)
    monkeypatch.setenv("WIDGET_TEST_PASSWORD", password)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(GRANT_CELL)])
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                   ).execute()

    (output,) = nb.cells[0].outputs
    assert output.output_type == "execute_result"
    assert {WIDGET_VIEW, "text/html", "text/plain"} <= set(output.data)
    assert "expires 2031-01-02 03:04:05 UTC" in output.data["text/plain"]

    drop_grant_widget_state(nb)
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "jitbench grant INC-42" in html
    assert "access expires <b>2031-01-02 03:04:05 UTC</b>" in html
    assert "state <b>active</b>" in html
    # nothing left for a widget manager: no saved state, no loader fetched from a CDN
    assert "widget-state+json" not in html and "unpkg.com" not in html

    saved = json.dumps(nb)
    for value in (token, password):
        assert value not in html and value not in saved


ATTACH_CELL = "from jitbench.access import attach\ngrant = attach()   # JITBENCH_GRANT from the environment\ngrant"


def test_html_export_of_a_real_grant_holds_no_leased_value(user, monkeypatch, tmp_path):
    """A real grant (OpenBao) with a database lease, attached in the kernel as a runbook does."""
    from jitbench.access import Grant, held_secrets

    grant = Grant.open(user, incident="INC-43", reason="export of a real grant", ttl="2m", origin="cli")
    try:
        lease = grant.lease_database("readonly")
        monkeypatch.setenv("JITBENCH_GRANT", grant.id)
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(ATTACH_CELL)])
        NotebookClient(nb, timeout=60, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        (output,) = nb.cells[0].outputs
        assert output.output_type == "execute_result", output
        html, _ = HTMLExporter().from_notebook_node(drop_grant_widget_state(nb))
        assert "jitbench grant INC-43" in html and "access expires <b>" in html
        written = html + json.dumps(nb)
        values = set(held_secrets()) | {grant._token, *lease.secrets().values()}
        assert grant._token in held_secrets() and len(values) >= 3
        assert [v for v in values if v in written] == []
    finally:
        grant.close()
