"""Unit tests of the widget model with a fake grant: messages in, traits out (no kernel)."""
from __future__ import annotations

import json
import time

from jitbench.errors import RevocationUnconfirmed
from jitbench.widgets import GrantWidget, drop_grant_widget_state, grant_mimebundle, grant_widget
from jitbench.widgets.fallback import WIDGET_VIEW


def click(widget, action):
    """Deliver the comm message grant.js sends with model.send({action})."""
    widget._handle_msg({"content": {"data": {"method": "custom", "content": {"action": action}}},
                        "buffers": []})


def test_traits_mirror_the_grant_and_hold_no_secret(fake_grant, fake_keeper):
    w = GrantWidget(fake_grant, fake_keeper, near_expiry_seconds=90)
    assert (w.grant_id, w.incident, w.reason, w.state) == (
        fake_grant.id, "INC-7", "checkout 5xx since 14:02", "active")
    assert w.expires == fake_grant.expires.timestamp() * 1000
    assert w.near_expiry_seconds == 90
    assert [(x["kind"], x["role"], x["revocable_early"]) for x in w.leases] == [
        ("database", "readonly", True), ("identity-token", "loki-read", False)]
    synced = json.dumps(w.get_state(), default=str) + repr(w)
    for value in fake_grant.held() + [lease.lease_id for lease in fake_grant.leases]:
        assert value not in synced


def test_near_expiry_threshold_comes_from_config(fake_grant, monkeypatch):
    monkeypatch.setenv("JITBENCH_NEAR_EXPIRY", "300")
    assert GrantWidget(fake_grant).near_expiry_seconds == 300


def test_renew_click_reaches_the_grant_and_updates_expiry(fake_grant, fake_keeper):
    w = GrantWidget(fake_grant, fake_keeper)
    before = w.expires
    click(w, "renew")
    assert fake_grant.calls == ["renew"]
    assert w.expires == before + 10 * 60 * 1000
    assert w.status.startswith("renewed, expires ") and w.pending == ""


def test_revoke_click_reaches_the_grant(fake_grant, fake_keeper):
    w = GrantWidget(fake_grant, fake_keeper)
    click(w, "revoke")
    assert fake_grant.calls == ["revoke"]
    assert w.state == "revoked" and {x["state"] for x in w.leases} == {"revoked"}


def test_unknown_message_does_nothing(fake_grant):
    w = GrantWidget(fake_grant)
    click(w, "drop table")
    w._handle_msg({"content": {"data": {"method": "custom", "content": "renew"}}, "buffers": []})
    assert fake_grant.calls == []


def test_failed_action_is_one_line_status_not_a_traceback(fake_grant):
    w = GrantWidget(fake_grant)
    fake_grant.fail_with = RevocationUnconfirmed("lease database/creds/readonly/x still valid after 5 s")
    click(w, "revoke")
    assert w.status.startswith("revoke failed: lease database/creds/readonly/x still valid")
    assert "\n" not in w.status and w.state == "active" and w.pending == ""
    # A foreign exception's text may quote a credential: only its type is shown.
    fake_grant.fail_with = RuntimeError(f"bad token {fake_grant.token}")
    click(w, "renew")
    assert w.status == "renew failed (RuntimeError)"


def test_keeper_events_update_the_model(fake_grant, fake_keeper):
    w = GrantWidget(fake_grant, fake_keeper)
    fake_grant.expires = fake_grant.expires.replace(year=fake_grant.expires.year + 1)
    fake_keeper.emit({"type": "renewed", "grant_id": fake_grant.id})
    assert w.expires == fake_grant.expires.timestamp() * 1000 and "renewed" in w.status
    fake_keeper.emit({"type": "near_expiry", "grant_id": fake_grant.id})
    assert "expires soon" in w.status
    fake_keeper.emit({"type": "error", "grant_id": fake_grant.id, "message": "Vault unreachable"})
    assert w.status == "Vault unreachable"
    fake_keeper.emit({"type": "external_revoke", "grant_id": "g-someone-else"})
    assert w.state == "active"
    fake_keeper.emit({"type": "external_revoke", "grant_id": fake_grant.id})
    assert w.state == "revoked" and "outside jitbench" in w.status


def test_expired_event_and_close_unsubscribes(fake_grant, fake_keeper):
    w = GrantWidget(fake_grant, fake_keeper)
    fake_keeper.emit({"type": "expired", "grant_id": fake_grant.id})
    assert w.state == "expired"
    w.close()
    assert fake_keeper.callbacks == []


def test_mimebundle_has_widget_view_and_secret_free_fallback(fake_grant, fake_keeper):
    data, _ = grant_mimebundle(fake_grant, fake_keeper)
    assert set(data) == {WIDGET_VIEW, "text/html", "text/plain"}
    expiry = fake_grant.expires.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert expiry in data["text/plain"] and expiry in data["text/html"]
    assert "INC-7" in data["text/html"] and "cannot be revoked early" in data["text/html"]
    assert "<script" not in data["text/html"]
    text = json.dumps(data)
    for value in fake_grant.held():
        assert value not in text
    # displaying the same grant again reuses its widget (one keeper subscription)
    again, _ = grant_mimebundle(fake_grant, fake_keeper)
    assert again[WIDGET_VIEW]["model_id"] == data[WIDGET_VIEW]["model_id"]
    assert len(fake_keeper.callbacks) == 1


def test_fallback_escapes_html(fake_grant):
    fake_grant.reason = "<img src=x onerror=alert(1)>"
    data, _ = grant_mimebundle(fake_grant)
    assert "<img" not in data["text/html"] and "&lt;img" in data["text/html"]


def test_drop_grant_widget_state_keeps_other_widgets():
    ours = {"state": {"_anywidget_id": "jitbench.widgets.grant.GrantWidget", "layout": "IPY_MODEL_l"}}
    layout = {"state": {"_model_name": "LayoutModel"}}
    other = {"state": {"_model_name": "IntSliderModel"}}
    nb = {"metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {
        "state": {"a": ours, "l": layout, "b": other}}}}}
    drop_grant_widget_state(nb)
    assert list(nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]) == ["b"]
    nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"] = {"a": ours, "l": layout}
    assert "widgets" not in drop_grant_widget_state(nb)["metadata"]


def test_lease_external_revoke_keeps_grant_active(fake_grant, fake_keeper):
    w = GrantWidget(fake_grant, fake_keeper)
    fake_grant.leases[0].state = "revoked"
    fake_keeper.emit({"type": "external_revoke", "grant_id": fake_grant.id,
                      "lease_id": fake_grant.leases[0].lease_id, "path": "database/creds/readonly"})
    assert w.state == "active" and w.leases[0]["state"] == "revoked"
    assert w.status == "lease database/creds/readonly was revoked outside jitbench"


def test_keeper_started_after_first_display_is_followed(fake_grant, fake_keeper):
    data, _ = grant_mimebundle(fake_grant)
    fake_grant.keeper = fake_keeper
    again, _ = grant_mimebundle(fake_grant)
    assert again[WIDGET_VIEW] == data[WIDGET_VIEW] and len(fake_keeper.callbacks) == 1
    widget = grant_widget(fake_grant)
    fake_grant.state = "expired"   # what the access layer's keeper records before it emits
    fake_keeper.emit({"type": "expired", "grant_id": fake_grant.id})
    assert widget.state == "expired" and widget.status == "access expired"


def test_renew_at_the_end_of_the_window_says_so(fake_grant):
    fake_grant.max_expires = fake_grant.expires
    fake_grant.renew = lambda: fake_grant.calls.append("renew")     # Vault gave no more time
    w = GrantWidget(fake_grant)
    click(w, "renew")
    assert fake_grant.calls == ["renew"]
    expected = fake_grant.expires.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert w.status == (f"leases renewed; the grant is at the end of its window ({expected}): "
                        "request a new grant")


def test_revoke_of_an_attached_grant_names_the_owner(fake_grant):
    fake_grant.revoke = lambda: fake_grant.calls.append("revoke")   # owner=False: only its leases go
    w = GrantWidget(fake_grant)
    click(w, "revoke")
    assert w.state == "active" and f"jitbench access revoke {fake_grant.id}" in w.status


def test_clock_request_is_answered_with_the_kernel_time(fake_grant, monkeypatch):
    w = GrantWidget(fake_grant)
    sent = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    before = time.time() * 1000
    click(w, "clock")
    (reply,) = sent
    assert reply["type"] == "clock" and before <= reply["now"] <= time.time() * 1000
    assert fake_grant.calls == []


def test_static_kv_read_is_marked_static_not_unrevocable(fake_grant):
    kv = type(fake_grant.leases[0])("kv", None, None, revocable_early=False)
    kv.path, kv.static = "secret/data/app", True
    fake_grant.leases.append(kv)
    w = GrantWidget(fake_grant)
    assert w.leases[-1] == {"kind": "kv", "role": "", "path": "secret/data/app", "expires": 0.0,
                            "state": "active", "revocable_early": False, "static": True}
    html = grant_mimebundle(fake_grant)[0]["text/html"]
    assert "<td>secret/data/app</td><td>no expiry</td><td>active</td><td>static secret, not just-in-time</td>" in html
    assert html.count("cannot be revoked early") == 1          # only the identity token
