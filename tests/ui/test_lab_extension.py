"""The JupyterLab extension in real headless Chromium against real OpenBao and PostgreSQL.

One walk through what an on-call engineer sees: a grant opened outside the
browser appears as a ticking countdown in the status bar (amber when it is the
one about to expire), the side panel lists grants and leases, Revoke there
really revokes in Vault (token and database lease gone), an expired grant is
red, the item hides when nothing is left, polling stops while the tab is
hidden, and "New investigation" in the launcher creates and opens a notebook.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from jitbench import access

from conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.vault, pytest.mark.postgres, pytest.mark.slow]


def alive(openbao, accessor: str) -> bool:
    try:
        access.connect(openbao.addr, token=openbao.root_token).auth.token.lookup_accessor(accessor)
        return True
    except Exception:
        return False


def test_countdown_panel_and_revoke(jupyterlab, lab_home, lab_page, openbao, vault_access):
    page = lab_page
    status = page.locator("#jitbench-status")
    root = access.connect(openbao.addr, token=openbao.root_token)
    assert not status.is_visible(), "no grant yet: the status item must be hidden"

    long = access.Grant.open(root, incident="INC-7", reason="checkout 5xx since 14:02", ttl="10m",
                             max_ttl="30m", origin="cli")
    lease = long.lease_database(vault_access.db_role)
    short = access.Grant.open(root, incident="INC-8", reason="payments latency", ttl="100s", origin="cli")

    # the soonest expiry is shown, amber because it is inside the 2-minute threshold
    page.wait_for_function("document.querySelector('#jitbench-status')?.dataset.grantId === %s"
                           % json.dumps(short.id), timeout=30_000)
    first = status.inner_text()
    page.wait_for_timeout(2100)
    second = status.inner_text()
    assert "INC-8" in first and first != second, (first, second)
    assert status.get_attribute("data-urgency") == "near"
    page.screenshot(path=str(ARTIFACTS / "statusbar-countdown.png"))

    # clicking the countdown opens the side panel with both grants and the lease
    status.click()
    panel = page.locator("#jitbench-grants-panel")
    card = panel.locator(f".jp-jitbench-grant[data-grant-id='{long.id}']")
    card.wait_for(timeout=10_000)
    assert "checkout 5xx since 14:02" in card.inner_text()
    assert "database readonly" in card.locator(".jp-jitbench-lease").inner_text()
    assert panel.locator(f".jp-jitbench-grant[data-grant-id='{short.id}']").is_visible()
    page.screenshot(path=str(ARTIFACTS / "grants-panel.png"))

    # renew from the panel: Vault extends the token
    ttl_before = root.auth.token.lookup_accessor(long.accessor)["data"]["ttl"]
    card.locator(".jp-jitbench-renew").click()
    deadline = time.monotonic() + 30
    while root.auth.token.lookup_accessor(long.accessor)["data"]["ttl"] <= ttl_before + 60:
        assert time.monotonic() < deadline, "Renew in the panel did not extend the grant in Vault"
        time.sleep(0.2)

    # revoke from the panel: Vault no longer knows the token, and the database lease is gone
    card.locator(".jp-jitbench-revoke").click()
    page.wait_for_selector(f"#jitbench-grants-panel .jp-jitbench-grant[data-grant-id='{long.id}']"
                           "[data-state='revoked']", timeout=30_000)
    assert not alive(openbao, long.accessor)
    with pytest.raises(Exception):
        root.sys.read_lease(lease.lease_id)
    assert alive(openbao, short.accessor), "only the grant whose button was clicked is revoked"
    page.screenshot(path=str(ARTIFACTS / "grants-panel-revoked.png"))

    panel.locator(f".jp-jitbench-grant[data-grant-id='{short.id}'] .jp-jitbench-revoke").click()
    page.wait_for_function("!document.querySelector('#jitbench-status')?.offsetParent", timeout=30_000)
    assert not alive(openbao, short.accessor)

    # a grant past its expiry shows red until it is old news
    expired_at = datetime.now(timezone.utc) - timedelta(seconds=5)
    access.state.write_grant({"id": "g-expired", "accessor": "gone", "incident": "INC-9", "reason": "old",
                              "issued": (expired_at - timedelta(minutes=5)).isoformat(),
                              "expires": expired_at.isoformat(), "state": "active", "leases": [
                                  {"lease_id": "identity/oidc/token/gateway", "kind": "identity-token",
                                   "role": "gateway", "revocable_early": False, "state": "active"}]})
    page.wait_for_function("document.querySelector('#jitbench-status')?.dataset.grantId === 'g-expired'",
                           timeout=30_000)
    assert status.get_attribute("data-urgency") == "expired" and "expired" in status.inner_text()
    expired_card = panel.locator(".jp-jitbench-grant[data-grant-id='g-expired']")
    assert "cannot be revoked early" in expired_card.inner_text()
    assert expired_card.locator(".jp-jitbench-countdown").get_attribute("data-urgency") == "expired"
    page.screenshot(path=str(ARTIFACTS / "statusbar-expired.png"))

    held = access.held_secrets()
    for text in (page.content(), jupyterlab.log_text()):
        assert not any(value in text for value in held), "a held secret reached the page or the server log"


def test_new_investigation_from_the_launcher(jupyterlab, lab_home, lab_page):
    page = lab_page
    card = page.locator(".jp-LauncherCard", has_text="New investigation")
    card.first.click()
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    tab = page.locator(".lm-TabBar-tabLabel", has_text="investigation").first
    tab.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "new-investigation.png"))
    made = sorted(p.name for p in jupyterlab.root_dir.glob("investigation*.ipynb"))
    assert made, "no investigation notebook was written"
    assert "jb.investigate(" in (jupyterlab.root_dir / made[-1]).read_text()


def test_polling_pauses_while_the_tab_is_hidden(jupyterlab, lab_home, lab_page):
    page = lab_page
    with page.expect_request(lambda r: "/jitbench/grants" in r.url, timeout=15_000):
        pass  # the extension polls /jitbench/grants while the tab is visible
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url) if "/jitbench/grants" in r.url else None)
    page.evaluate("""() => {
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.wait_for_timeout(1000)
    calls.clear()
    page.wait_for_timeout(8_000)  # more than one 5 s polling interval
    page.evaluate("""() => {
        delete document.hidden; delete document.visibilityState;
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    assert calls == [], f"polled {len(calls)} times while hidden"
