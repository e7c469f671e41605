"""Writing the post-mortem bundle: redact, render, record, verify, then publish.

Layout of ``DIR/<incident>/<template>-<timestamp>/``::

    <template>.ipynb    the executed notebook, redacted
    report.html         self-contained report (plotly.js embedded once, no CDN)
    journal.jsonl       the access journal lines of this run's grant
    evidence/*.parquet  the store's tables and kept frames, held values removed
    manifest.json       parameters, versions, file hashes, grant, timings, outcome

Everything is first written to a hidden staging directory, then every file is
checked against the held values (exact, for this process) and the salted
fingerprints (for the kernel).  A bundle in which anything survives is deleted
and refused with :class:`~jitbench.errors.RedactionFailed`; otherwise the
staging directory is renamed into place.
"""
from __future__ import annotations

import hashlib
import json
import platform
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path

import nbformat

from ..errors import RedactionFailed
from ..redact import Fingerprints, Scrubber, find_bundle_leaks, scrub_notebook
from . import report

HTML_BUDGET = 5_000_000  # bytes of report content, the embedded plotly.js library not counted
OUTPUT_LIMITS = (200_000, 50_000, 10_000, 2_000)  # characters of one output in the report, tried in turn
VERSIONED = ("jitbench", "papermill", "nbconvert", "nbclient", "ipykernel", "duckdb", "pandas", "pyarrow",
             "plotly", "hvac")
OUTCOME_TEXT = {"failed": "a cell raised an error", "kernel-died": "the kernel died",
                "timeout": "a cell timed out", "interrupted": "the run was interrupted (Ctrl-C)",
                "error": "the notebook could not be executed"}


def _safe(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in str(name)).strip("-.")
    return keep or "unnamed"


def _versions() -> dict:
    found = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            pass
    return found


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class BundleInput:
    """Everything the bundle is made of (the notebook is executed, not yet redacted)."""
    nb: nbformat.NotebookNode
    incident: str
    template: str
    outcome: str = "ok"
    failed_cell: int | None = None
    execution_count: int | None = None
    error: str | None = None
    parameters: dict = field(default_factory=dict)
    grant: dict = field(default_factory=dict)
    journal: list = field(default_factory=list)
    evidence_dir: Path | None = None
    timings: dict = field(default_factory=dict)
    template_sha256: str | None = None
    source: str | None = None


def _mark_failure(nb, data: BundleInput) -> None:
    """Put the failure at the top of the notebook with a link to the cell that failed."""
    what = OUTCOME_TEXT.get(data.outcome, data.outcome)
    # one marker, ours, whatever the failure: drop papermill's (it only knows cell errors)
    papermill_marks = [c for c in nb.cells if "papermill-error-cell-tag" in (c.metadata.get("tags") or [])]
    for i in sorted((nb.cells.index(c) for c in papermill_marks), reverse=True):
        if data.failed_cell is not None and i < data.failed_cell:
            data.failed_cell -= 1
        del nb.cells[i]
    link = ""
    if data.failed_cell is not None and data.failed_cell < len(nb.cells):
        anchor = nbformat.v4.new_markdown_cell('<span id="jitbench-failed-cell"></span>')
        anchor.metadata["tags"] = ["jitbench-failure-anchor"]
        nb.cells.insert(data.failed_cell, anchor)
        label = f"In [{data.execution_count}]" if data.execution_count else f"cell {data.failed_cell}"
        link = f" at <a href=\"#jitbench-failed-cell\">{label}</a>"
    banner = nbformat.v4.new_markdown_cell(
        f'<div style="border:2px solid #c62828;padding:8px;color:#c62828;font-weight:bold">'
        f"Run {data.outcome.upper()}: {what}{link}"
        f"{f' ({data.error})' if data.error else ''}. Access was revoked; this bundle shows the run up to "
        f"that point.</div>")
    banner.metadata["tags"] = ["jitbench-outcome"]
    nb.cells.insert(0, banner)


def write_bundle(data: BundleInput, out_root: Path, *, held=(), fingerprints: list[Fingerprints] = (),
                 pii: bool = False, pii_salt: bytes = b"jitbench", html_budget: int = HTML_BUDGET,
                 now: datetime | None = None) -> Path:
    """Write, verify and publish the bundle of one run; returns its directory.

    ``held`` are the secret values this process holds; ``fingerprints`` those
    of the kernel.  Raises :class:`RedactionFailed` (and leaves nothing on
    disk) if any held value survives redaction.
    """
    moment = now or datetime.now(timezone.utc)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    parent = Path(out_root).expanduser() / _safe(data.incident)
    final = parent / f"{_safe(data.template)}-{stamp}"
    n = 1
    while final.exists():
        n += 1
        final = parent / f"{_safe(data.template)}-{stamp}-{n}"
    staging = parent / f".{final.name}.partial-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True, mode=0o700)
    try:
        scrubber = Scrubber(held, pii=pii, salt=pii_salt)
        nb = scrub_notebook(data.nb, scrubber)
        if data.outcome != "ok":
            _mark_failure(nb, data)
        nb.metadata["jitbench_run"] = {"incident": data.incident, "template": data.template,
                                       "outcome": data.outcome, "grant_id": data.grant.get("id")}
        nb_path = staging / f"{_safe(data.template)}.ipynb"
        nbformat.write(nb, str(nb_path))

        # cut long outputs harder until the report fits its budget (the .ipynb and Parquet keep everything)
        for output_limit in OUTPUT_LIMITS:
            html, figures = report.render(nb, f"{data.incident} {data.template}", output_limit)
            library = len(report.plotly_js().encode()) if figures else 0
            html_bytes = len(html.encode())
            over_budget = html_bytes - library > html_budget
            if not over_budget:
                break
        (staging / "report.html").write_text(html, encoding="utf-8")

        with open(staging / "journal.jsonl", "w", encoding="utf-8") as f:
            for line in data.journal:
                f.write(json.dumps(scrubber.data(line), sort_keys=True) + "\n")

        evidence = []
        if data.evidence_dir is not None and Path(data.evidence_dir).is_dir():
            target = staging / "evidence"
            target.mkdir()
            for src in sorted(Path(data.evidence_dir).glob("*.parquet")):
                shutil.copy2(src, target / src.name)
                evidence.append(f"evidence/{src.name}")

        files = {str(p.relative_to(staging)): {"sha256": _sha256(p), "bytes": p.stat().st_size}
                 for p in sorted(staging.rglob("*")) if p.is_file()}
        manifest = {
            "incident": data.incident, "template": data.template, "template_sha256": data.template_sha256,
            "source": data.source, "created": moment.isoformat().replace("+00:00", "Z"),
            "parameters": scrubber.data(data.parameters),
            "outcome": {"status": data.outcome, "failed_cell": data.failed_cell,
                        "execution_count": data.execution_count, "error": data.error},
            "grant": scrubber.data(data.grant), "timings": {k: round(v, 3) for k, v in data.timings.items()},
            "versions": _versions(), "files": files, "evidence": evidence,
            "report": {"bytes": html_bytes, "plotly_js_bytes": library, "figures": figures,
                       "budget": html_budget, "over_budget": over_budget, "output_limit": output_limit},
            "redaction": {"held_values": scrubber.held_count,
                          "fingerprinted_pieces": sum(fp.count for fp in fingerprints), "pii": pii,
                          "verified": True},
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")

        leaks = find_bundle_leaks(staging, fingerprints, held, skip=[report.plotly_js()] if figures else [])
        if leaks:
            raise RedactionFailed(f"bundle refused: a held secret survived redaction in {leaks[0]}"
                                  + (f" and {len(leaks) - 1} more place(s)" if len(leaks) > 1 else ""))
        staging.rename(final)
        return final
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
