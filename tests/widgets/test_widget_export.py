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

    saved = json.dumps(nb)
    for value in (token, password):
        assert value not in html and value not in saved
