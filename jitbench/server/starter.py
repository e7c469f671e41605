"""The notebook behind JupyterLab's "New investigation" entry.

A runbook template (``templates/*.ipynb``, written by the runbooks part) when
one is available, otherwise a small built-in starter that walks through the
notebook API: ask for access, load the window, look, close.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from ..errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$")

BUILTIN_CELLS = [
    ("markdown", "# Investigation\n\nFill in the incident and the window, then run the cells in order. "
                 "Access is read-only and expires on its own; the countdown is in the status bar."),
    ("code", "# parameters\nincident_id = \"INC-0000\"\nreason = \"what you are looking for and why\"\n"
             "window = (\"2026-01-01T00:00Z\", \"2026-01-01T00:30Z\")\naccess = \"30m\""),
    ("code", "import jitbench as jb\n\ninv = jb.investigate(incident_id, reason=reason, window=window, "
             "access=access)\ninv"),
    ("code", "# inv.load(\"traces/*.jsonl.gz\")\n# inv.sql(\"select service_name, count(*) from spans "
             "where status_code = 'ERROR' group by 1\")"),
    ("code", "inv.close()  # revoke everything now rather than at expiry"),
]


def template_dirs() -> list[Path]:
    """Folders searched for runbook templates: the runbooks catalog's (``JITBENCH_TEMPLATES``, the
    package's, the source checkout's), or the package's and the checkout's when it is not installed."""
    try:
        from ..runbooks.catalog import template_dirs as catalog_dirs
    except ImportError:
        package = Path(__file__).resolve().parents[1]
        return [package / "templates", package.parent / "templates"]
    return catalog_dirs()


def list_templates() -> list[dict]:
    """Templates the launcher can offer: ``[{"name": "latency-triage", "title": "..."}]``, sorted by name."""
    found: dict[str, dict] = {}
    for folder in template_dirs():
        for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
            if path.stem in found:
                continue
            try:
                meta = nbformat.read(path, as_version=4).metadata.get("jitbench", {})
            except Exception:  # an unreadable template is not offered; the runbooks part reports it
                continue
            title = meta.get("title") if isinstance(meta, dict) else None
            found[path.stem] = {"name": path.stem, "title": title or path.stem.replace("-", " ")}
    return [found[name] for name in sorted(found)]


def builtin_notebook() -> nbformat.NotebookNode:
    """The built-in starter notebook (used when no template is installed)."""
    nb = nbformat.v4.new_notebook()
    for kind, source in BUILTIN_CELLS:
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        if source.startswith("# parameters"):
            cell.metadata["tags"] = ["parameters"]  # papermill's convention, so the notebook can be a runbook
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def starter_notebook(template: str | None = None) -> nbformat.NotebookNode:
    """The notebook for "New investigation": template ``template`` if given, else the built-in
    starter (:func:`builtin_notebook`). Outputs of a template are dropped.

    >>> starter_notebook(None).cells[0].cell_type     # doctest: +SKIP
    'markdown'
    """
    if template is not None and not _NAME.match(template):
        raise ConfigError(f"{template!r} is not a template name", hint="pick one from GET /jitbench/templates")
    names = [t["name"] for t in list_templates()]
    if template is not None and template not in names:
        raise ConfigError(f"no template {template!r}", hint=f"choose one of: {', '.join(names) or '(none)'}")
    if template is None:
        return builtin_notebook()
    name = template
    path = next(d / f"{name}.ipynb" for d in template_dirs() if (d / f"{name}.ipynb").is_file())
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb
