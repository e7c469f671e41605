"""Checks shared by the runbook tests: Vault state, template builders, leak searches."""
from __future__ import annotations

import json
from pathlib import Path

import hvac
import nbformat


def token_accessors(root_client) -> set[str]:
    """Every token accessor Vault knows (to prove that no token was created)."""
    return set(root_client.list("auth/token/accessors")["data"]["keys"])


def lease_exists(root_client, lease_id: str) -> bool:
    try:
        root_client.sys.read_lease(lease_id)
        return True
    except hvac.exceptions.InvalidRequest:
        return False


def token_alive(root_client, accessor: str) -> bool:
    try:
        root_client.auth.token.lookup_accessor(accessor)
        return True
    except (hvac.exceptions.Forbidden, hvac.exceptions.InvalidRequest):
        return False


def make_template(path: Path, cells: list, parameters: list[dict], *, roles=(), title="test runbook") -> Path:
    """Write a runbook notebook: markdown/code cells, the first code cell being the parameters cell.

    ``cells`` items are source strings (code) or ``("md", text)`` / ``(tags, source)`` tuples.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.jitbench = {"title": title, "parameters": parameters,
                            "access": {"roles": list(roles), "window": "10m"}}
    for item in cells:
        if isinstance(item, tuple) and item[0] == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(item[1]))
        elif isinstance(item, tuple):
            cell = nbformat.v4.new_code_cell(item[1])
            cell.metadata.tags = list(item[0])
            nb.cells.append(cell)
        else:
            nb.cells.append(nbformat.v4.new_code_cell(item))
    nbformat.write(nb, str(path))
    return path


BASE_PARAMETERS = [
    {"name": "incident_id", "type": "string", "required": True, "description": "incident id"},
    {"name": "reason", "type": "string", "required": True, "description": "why access is needed"},
]


def all_bundle_text(bundle: Path) -> str:
    """Every byte of a bundle as text, plus the Parquet cells, for searching leaked values."""
    import pyarrow.parquet as pq

    parts = []
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        parts.append(path.read_bytes().decode("utf-8", errors="replace"))
        if path.suffix == ".parquet":
            parts.append(json.dumps(pq.read_table(path).to_pylist(), default=str))
    return "\n".join(parts)


def assert_absent(values, text: str, where: str) -> None:
    """Fail without printing any value: test output must not carry secrets either."""
    found = [i for i, v in enumerate(values) if v and v in text]
    assert not found, f"{len(found)} held value(s) found in {where} (indexes {found})"


CHROMIUM = "/usr/bin/chromium"


def render_offline(html_path: Path) -> dict:
    """Open a report in headless Chromium with every network request refused; count drawn figures.

    Returns ``{"figures": n, "svg": n, "blocked": [urls], "errors": [page errors]}``.
    Fails (never skips) when Chromium is missing.
    """
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium"
    blocked, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()

            def route(r):
                if r.request.url.startswith("file://"):
                    return r.continue_()
                blocked.append(r.request.url)
                return r.abort()

            page.route("**/*", route)
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            figures = page.locator(".jitbench-figure").count()
            if figures:
                page.wait_for_function(
                    "n => document.querySelectorAll('.jitbench-figure .main-svg').length >= n", arg=figures,
                    timeout=30000)
            drawn = page.evaluate("document.querySelectorAll('.jitbench-figure .main-svg').length")
        finally:
            browser.close()
    return {"figures": figures, "svg": drawn, "blocked": blocked, "errors": errors}
