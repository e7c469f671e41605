"""The widget on a real grant: its buttons renew and revoke in OpenBao, keeper events reach it.

Against the session's real OpenBao and PostgreSQL (a database lease is a child
of the grant). The keeper is driven with ``tick()`` so each step is deterministic.
"""
from __future__ import annotations

import json

import hvac
import pytest

from jitbench.access import Grant, Keeper
from jitbench.widgets import grant_widget
from jitbench.widgets.fallback import WIDGET_VIEW

pytestmark = [pytest.mark.vault, pytest.mark.postgres]


def click(widget, action):
    """Deliver the comm message grant.js sends with model.send({action})."""
    widget._handle_msg({"content": {"data": {"method": "custom", "content": {"action": action}}},
                        "buffers": []})


def token_ttl(root, accessor):
    return root.auth.token.lookup_accessor(accessor)["data"]["ttl"]


def test_buttons_renew_and_revoke_in_vault(root, user):
    grant = Grant.open(user, incident="INC-W1", reason="widget renew/revoke", ttl="40s", max_ttl="10m")
    try:
        lease = grant.lease_database("readonly")
        keeper = Keeper(grant, interval=1)            # not started: the widget only needs its events
        data, _ = grant._repr_mimebundle_()           # what a cell's last expression displays
        widget = grant_widget(grant)
        assert widget._keeper is keeper and data[WIDGET_VIEW]["model_id"] == widget.model_id
        assert [(x["kind"], x["role"], x["state"]) for x in widget.leases] == [("database", "readonly", "active")]
        assert token_ttl(root, grant.accessor) <= 40

        click(widget, "renew")
        assert token_ttl(root, grant.accessor) > 500          # renewed in Vault toward max_ttl
        assert widget.expires == grant.expires.timestamp() * 1000 and widget.status.startswith("renewed")

        shown = json.dumps(widget.get_state(), default=str) + json.dumps(grant._repr_mimebundle_()[0])
        held = [grant._token, *lease.secrets().values()]
        assert all(len(value) >= 8 and value not in shown for value in held)

        click(widget, "revoke")
        with pytest.raises(hvac.exceptions.VaultError):
            root.auth.token.lookup_accessor(grant.accessor)   # the grant token is gone
        with pytest.raises(hvac.exceptions.VaultError):
            root.sys.read_lease(lease.lease_id)               # and its lease with it
        assert widget.state == "revoked" and widget.leases[0]["state"] == "revoked"
        assert widget.status == "revoked; leases confirmed gone"
    finally:
        grant.close()


def test_external_revoke_seen_by_keeper_turns_widget_revoked(root, user):
    grant = Grant.open(user, incident="INC-W2", reason="widget external revoke", ttl="1m")
    try:
        keeper = Keeper(grant, interval=1)
        widget = grant_widget(grant, keeper)
        keeper.tick()
        assert widget.state == "active"
        root.auth.token.revoke_accessor(grant.accessor)       # e.g. an operator, from the bao CLI
        keeper.tick()
        assert widget.state == "revoked" and "outside jitbench" in widget.status
    finally:
        grant.close()
