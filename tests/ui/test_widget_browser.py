"""The grant widget in real JupyterLab and headless Chromium (D1's fixtures in tests/ui/conftest.py).

1. Two widgets on fake grants, then ``time.sleep(10)`` in another cell: while the
   kernel is busy the countdown keeps changing, and the grant moved to expire 4 s
   into the sleep turns amber then red in the browser alone. The browser's clock
   is an hour fast: the countdown follows the kernel's clock all the same.
2. Real grants (OpenBao) as a cell's last expression: clicking Revoke in the
   widget revokes the grant token in Vault; a grant revoked from outside turns
   red through the keeper's background thread.
Screenshots go to test-artifacts/ui/.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import hvac
import nbformat
import pytest

from conftest import ARTIFACTS, open_lab_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


SETUP_CELL = '''
from datetime import datetime, timedelta, timezone
from jitbench.widgets import display_grant

class Lease:
    def __init__(self, kind, role, revocable_early, expires):
        self.kind, self.role, self.revocable_early, self.expires = kind, role, revocable_early, expires
        self.state = "active"

class Grant:
    def __init__(self, incident, seconds):
        self.id, self.incident, self.reason = "g-" + incident, incident, "browser countdown test"
        self.state, self.renewable = "active", True
        self.expires = datetime.now(timezone.utc) + timedelta(seconds=seconds)
        self.leases = [Lease("database", "readonly", True, self.expires),
                       Lease("identity-token", "loki-read", False, self.expires)]
    def renew(self): self.expires += timedelta(minutes=10)
    def revoke(self): self.state = "revoked"

long_grant, short_grant = Grant("INC-LONG", 600), Grant("INC-SHORT", 600)
long_widget, short_widget = display_grant(long_grant), display_grant(short_grant)
'''

# The short grant is moved to expire 4 s after the sleep starts: it must go
# amber -> red in the browser while the kernel sleeps.
SLEEP_CELL = '''
import time
short_grant.expires = datetime.now(timezone.utc) + timedelta(seconds=4)
short_widget.refresh()
time.sleep(10)
'''

# Starts a cell without waiting for it: the command's promise settles only
# when the cell has finished.
RUN_CELL = '''(index) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = index;
  window.jupyterapp.commands.execute('notebook:run-cell');
}'''


def write_notebook(root: Path, name: str, *sources: str) -> str:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, Path(root) / name)
    return name


def wait_for_kernel(page) -> None:
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
                           timeout=90_000)


# The browser's clock runs an hour ahead of the kernel's: without the widget's
# offset measurement every grant would show as expired.
SKEWED_CLOCK = "(() => { const real = Date.now.bind(Date); Date.now = () => real() + 3600 * 1000; })()"


def test_countdown_ticks_while_kernel_is_busy(jupyterlab, browser):
    name = write_notebook(jupyterlab.root_dir, "widget-countdown.ipynb", SETUP_CELL, SLEEP_CELL)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.add_init_script(SKEWED_CLOCK)
    page.goto(f"{jupyterlab.url}/lab/tree/{name}?token={jupyterlab.token}&reset")
    try:
        wait_for_kernel(page)
        page.evaluate(RUN_CELL, 0)
        long = page.locator(".jitbench-grant", has_text="INC-LONG")
        short = page.locator(".jitbench-grant", has_text="INC-SHORT")
        countdown = long.locator(".jitbench-countdown")
        short.locator(".jitbench-countdown").wait_for(timeout=90_000)
        page.wait_for_function("document.querySelectorAll('.jp-InputPrompt')[0].textContent.includes('[1]')",
                               timeout=30_000)

        page.evaluate(RUN_CELL, 1)
        # the sleep cell runs: its prompt shows [*] until the kernel is free again
        busy_prompt = page.locator(".jp-Cell").nth(1).locator(".jp-InputPrompt", has_text="[*]")
        busy_prompt.wait_for(timeout=30_000)
        page.wait_for_function("document.querySelector('.jitbench-grant[data-level=near]')", timeout=5_000)
        level_before = short.get_attribute("data-level")

        first = countdown.inner_text()
        page.wait_for_timeout(2500)
        second = countdown.inner_text()
        page.wait_for_timeout(2500)
        third = countdown.inner_text()
        still_busy = busy_prompt.count() == 1
        page.screenshot(path=str(ARTIFACTS / "widget-countdown-busy-kernel.png"), full_page=True)

        assert still_busy, "the kernel finished before the countdown was read twice"
        assert first.endswith(" left") and len({first, second, third}) == 3, (first, second, third)
        assert page.locator(".jitbench-grant", has_text="INC-LONG").get_attribute("data-level") == "ok"
        # the short grant expired during the sleep: red, set by the browser alone
        assert level_before == "near"
        assert short.get_attribute("data-level") == "expired"
        assert short.locator(".jitbench-countdown").inner_text() == "expired"
        assert short.locator(".jitbench-renew").is_disabled()
        rows = long.locator(".jitbench-lease")
        assert rows.count() == 2
        assert rows.nth(0).inner_text().split("\t")[:2] == ["database", "readonly"]
        assert rows.nth(1).locator(".jitbench-lease-mark").inner_text() == "cannot be revoked early"
        assert rows.nth(0).locator(".jitbench-lease-mark").inner_text() == ""
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "widget-countdown-failure.png"), full_page=True)
        raise
    finally:
        page.close()


REAL_GRANT_CELL = '''
from jitbench.access import Grant, Keeper, connect
grant = Grant.open(connect(), incident="INC-WIDGET", reason="revoke from the widget", ttl="5m")
keeper = Keeper(grant, interval=2).start()
grant
'''

# Revoked from outside (an operator with the bao CLI): the keeper's thread sees it
# and the widget turns red without any cell running.
WATCHED_GRANT_CELL = '''
other = Grant.open(connect(), incident="INC-OUTSIDE", reason="revoked by an operator", ttl="5m")
other_keeper = Keeper(other, interval=1).start()
other
'''


def alive(openbao, accessor: str) -> bool:
    try:
        hvac.Client(url=openbao.addr, token=openbao.root_token).auth.token.lookup_accessor(accessor)
        return True
    except hvac.exceptions.VaultError:
        return False


@pytest.mark.vault
def test_revoke_button_revokes_the_real_grant_in_vault(jupyterlab, lab_home, browser, openbao):
    from playwright.sync_api import expect

    name = write_notebook(jupyterlab.root_dir, "widget-revoke.ipynb", REAL_GRANT_CELL, WATCHED_GRANT_CELL)
    page = open_lab_page(jupyterlab, browser, name)
    try:
        wait_for_kernel(page)
        page.evaluate(RUN_CELL, 0)
        card = page.locator(".jitbench-grant", has_text="INC-WIDGET")
        card.wait_for(timeout=90_000)
        expect(card.locator(".jitbench-countdown")).to_have_text(re.compile(r"^[45]:\d\d left$"))
        page.wait_for_function("document.querySelectorAll('.jp-InputPrompt')[0].textContent.includes('[1]')",
                               timeout=30_000)
        page.evaluate(RUN_CELL, 1)
        other = page.locator(".jitbench-grant", has_text="INC-OUTSIDE")
        other.wait_for(timeout=60_000)
        # the kernel's grants, found through the local state the lab shares (ids, no secrets)
        records = {rec["incident"]: rec for rec in
                   (json.loads(p.read_text()) for p in (lab_home / "grants").glob("g-*.json"))}
        record = records["INC-WIDGET"]
        assert alive(openbao, record["accessor"])

        hvac.Client(url=openbao.addr, token=openbao.root_token).auth.token.revoke_accessor(
            records["INC-OUTSIDE"]["accessor"])
        expect(other).to_have_attribute("data-state", "revoked", timeout=30_000)
        expect(other.locator(".jitbench-grant-status")).to_contain_text("revoked outside jitbench")
        expect(card).to_have_attribute("data-state", "active")

        card.locator(".jitbench-revoke").click()
        expect(card).to_have_attribute("data-state", "revoked", timeout=30_000)
        expect(card.locator(".jitbench-grant-status")).to_have_text("revoked; leases confirmed gone")
        assert not alive(openbao, record["accessor"])
        page.screenshot(path=str(ARTIFACTS / "widget-revoked.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "widget-revoke-failure.png"), full_page=True)
        raise
    finally:
        page.close()
