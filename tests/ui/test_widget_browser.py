"""The grant widget in real JupyterLab and headless Chromium: the countdown ticks in the browser.

A notebook displays two grant widgets (fake grants, duck-typed like the access
layer's) and then runs ``time.sleep(8)``. While the kernel is busy, the
countdown text must keep changing, and the grant that expires during the sleep
must turn red without any help from the kernel.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import requests

from jitbench.dev.ports import free_port, wait_listening

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"

SETUP_CELL = '''
from datetime import datetime, timedelta, timezone
from jitbench.widgets import display_grant

class Grant:
    def __init__(self, incident, seconds):
        self.id, self.incident, self.reason = "g-" + incident, incident, "browser countdown test"
        self.state, self.renewable, self.leases = "active", True, []
        self.expires = datetime.now(timezone.utc) + timedelta(seconds=seconds)
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


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free loopback port with a token; yields (url, token, root)."""
    root = tmp_path_factory.mktemp("lab-root")
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / ".jupyter-config"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / ".workspaces"),
               JUPYTER_RUNTIME_DIR=str(root / ".runtime"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}",
         "--LabApp.expose_app_in_browser=True", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(root / "lab.log", "wb"))
    try:
        wait_listening(port, "JupyterLab", 60, alive=lambda: proc.poll() is None)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while requests.get(f"{url}/api/status", params={"token": token}, timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "JupyterLab API did not answer"
            time.sleep(0.2)
        yield url, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


def test_countdown_ticks_while_kernel_is_busy(lab, browser):
    url, token, root = lab
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SETUP_CELL),
                                         nbformat.v4.new_code_cell(SLEEP_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "widget.ipynb")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{url}/lab/tree/widget.ipynb?token={token}")
        page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
                               timeout=60_000)
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
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "widget-countdown-failure.png"), full_page=True)
        raise
    finally:
        page.close()
