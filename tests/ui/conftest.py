"""JupyterLab with jitbench (server + lab extension) against the real OpenBao, and headless Chromium.

Reusable by every browser test:
- ``jupyterlab`` (session, in tests/conftest.py): a running :class:`jitbench.server.devlab.DevJupyterLab`;
  ``.url``, ``.token``, ``.root_dir``, ``.home`` (its ``JITBENCH_HOME``), ``.log_text()``;
  the user's ``VAULT_TOKEN`` is the OpenBao root token.
- ``lab_home``: points this test's ``JITBENCH_HOME`` at the lab's, so grants a test opens
  are the ones the lab shows; removes them afterwards.
- ``browser`` (session): Playwright Chromium from /usr/bin/chromium (fails, never skips, when missing).
- ``lab_page`` (module): a page logged in to JupyterLab, with the app started; ``open_lab_page(lab, browser, path)``
  does the same for a given ``/lab/tree/<path>``.
- ``vault_access`` (session): OpenBao configured for jitbench on the test PostgreSQL.
Screenshots go to ``test-artifacts/ui/`` (``ARTIFACTS``).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from jitbench.server.devlab import DevJupyterLab

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium driven by Playwright; a missing Chromium is a failure, not a skip."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium (make browser)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_lab_page(lab: DevJupyterLab, browser, path: str = ""):
    """A new page on ``/lab`` (or ``/lab/tree/<path>``), logged in, once JupyterLab has started."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    target = f"{lab.url}/lab/tree/{path}" if path else f"{lab.url}/lab"
    page.goto(f"{target}?token={lab.token}&reset")
    page.wait_for_selector("#jp-main-statusbar", timeout=90_000)
    return page


@pytest.fixture(scope="module")
def lab_page(jupyterlab, browser):
    """One JupyterLab page per test module (loading JupyterLab takes seconds; tests share it)."""
    page = open_lab_page(jupyterlab, browser)
    yield page
    page.close()
