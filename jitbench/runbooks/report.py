"""The self-contained HTML report of an executed notebook.

nbconvert renders the notebook with a template that fetches nothing (no
require.js, MathJax or mermaid from a CDN), plotly figures are rendered from
their JSON with plotly.js embedded once, widgets show their static fallback,
and long outputs are cut so the page stays within a size budget — the whole
data is in the bundle's Parquet extracts.
"""
from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TEMPLATE_DIR = Path(__file__).resolve().parent / "html_template"
TABLE_ROWS = 50  # rows of a long HTML table kept in the report


@functools.lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js library shipped with the plotly package (no network)."""
    from plotly.offline import get_plotlyjs
    return get_plotlyjs()


def _figure_html(spec: dict, n: int) -> str:
    payload = {"data": spec.get("data", []), "layout": spec.get("layout", {}),
               "config": {"responsive": True, **(spec.get("config") or {})}}
    # "</" would end the script element early
    text = json.dumps(payload).replace("</", "<\\/")
    return (f'<div id="jitbench-figure-{n}" class="jitbench-figure" style="min-height:420px"></div>\n'
            f'<script>(function(){{var f={text};'
            f'Plotly.newPlot("jitbench-figure-{n}",f.data,f.layout,f.config);}})();</script>')


def _cut_table(html: str, limit: int) -> str:
    rows = re.split(r"(?=<tr[\s>])", html)
    if len(rows) - 1 <= TABLE_ROWS and len(html) <= limit:
        return html
    head, body = rows[0], rows[1:]
    kept = "".join(body[:TABLE_ROWS + 1])  # +1: the header row
    kept = kept[:limit]
    return (head + kept + "</tbody></table>"
            f"<p class=\"jitbench-cut\"><em>Table cut to {TABLE_ROWS} of {len(body) - 1} rows in this report; "
            "the whole data is in the bundle's evidence/ Parquet files.</em></p>")


def _cut_text(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… output cut at {limit} characters in this report (the .ipynb has it all)\n"


def prepare(nb, output_limit: int = 200_000):
    """A copy of ``nb`` ready for HTML: figures as HTML, widgets as fallback, long outputs cut.

    Returns ``(notebook, figure_count)``.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    figures = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text = out.get("text", "")
                out["text"] = _cut_text("".join(text) if isinstance(text, list) else text, output_limit)
                continue
            data = out.get("data")
            if not data:
                continue
            if PLOTLY_MIME in data:
                figures += 1
                out["data"] = {"text/html": _figure_html(data[PLOTLY_MIME], figures)}
                continue
            data.pop(WIDGET_MIME, None)
            if "text/html" in data:
                html = data["text/html"]
                html = "".join(html) if isinstance(html, list) else html
                data["text/html"] = _cut_table(html, output_limit) if "<table" in html else html
            if "text/plain" in data:
                text = data["text/plain"]
                data["text/plain"] = _cut_text("".join(text) if isinstance(text, list) else text, output_limit)
    return nb, figures


@functools.lru_cache(maxsize=1)
def _exporter():
    # compiling nbconvert's templates takes about a second: once per process is enough
    from nbconvert import HTMLExporter
    return HTMLExporter(template_name="jitbench-report", extra_template_basedirs=[str(TEMPLATE_DIR)])


def render(nb, title: str, output_limit: int = 200_000) -> tuple[str, int]:
    """The report page for ``nb``: ``(html, figure_count)``, with plotly.js embedded once if there are figures."""
    ready, figures = prepare(nb, output_limit)
    body, _ = _exporter().from_notebook_node(ready, resources={"metadata": {"name": title}})
    if figures:
        body = body.replace("</head>", f'<script type="text/javascript">{plotly_js()}</script>\n</head>', 1)
    return body, figures
