"""``jitbench postmortem NOTEBOOK``: the bundle of a notebook run interactively.

The kernel that ran the notebook is gone, so its held values are proved
absent through the fingerprints it left in ``$JITBENCH_HOME/fingerprints``;
the grants are found from the grant ids the notebook shows (its widget and
reprs name them), and the journal excerpt is theirs.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from .. import config
from ..errors import RunbookError
from ..redact import Fingerprints
from .bundle import HTML_BUDGET, BundleInput, write_bundle
from .run import RunResult, read_fingerprints

GRANT_ID = re.compile(r"\bg-[0-9a-f]{12}\b")


def _fingerprints(grant_ids: list[str]) -> list[Fingerprints]:
    """The fingerprints left by the kernels of ``grant_ids`` (all of them when none is known)."""
    paths = sorted((config.home() / "fingerprints").glob("fingerprints-*.json"))
    if grant_ids:
        paths = [p for p in paths if any(p.name.startswith(f"fingerprints-{gid}-") for gid in grant_ids)]
    return read_fingerprints(paths, hint="delete it if it belongs to no notebook, then retry")


def postmortem(notebook: str | Path, out: str | Path = "postmortems", *, incident: str | None = None,
               evidence: str | Path | None = None, pii: bool = False,
               html_budget: int = HTML_BUDGET) -> RunResult:
    """Write the redacted, verified bundle of an interactively executed ``notebook``.

    ``incident`` defaults to the incident of the grants the notebook used;
    ``evidence`` is a directory of Parquet extracts to include (e.g. written by
    ``inv.export_evidence(dir)``).

    >>> postmortem("INC-7.ipynb", out="postmortems")   # doctest: +SKIP
    """
    from .. import access

    path = Path(notebook).expanduser()
    try:
        nb = nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise RunbookError(f"notebook {path} does not exist", hint="check the path") from None
    except Exception as err:  # nbformat raises several unrelated types for a bad file
        raise RunbookError(f"notebook {path} cannot be read ({type(err).__name__})",
                           hint="save it from JupyterLab and retry") from None
    grant_ids = sorted(set(GRANT_ID.findall(json.dumps(nb))))
    records, journal = [], []
    for gid in grant_ids:
        try:
            records.append(access.state.read_grant(gid))
        except Exception:  # a grant id shown but unknown here (another machine): no record to add
            continue
        journal += access.journal.read(grant_id=gid)
    incidents = sorted({r.get("incident") for r in records if r.get("incident")})
    incident = incident or (incidents[0] if len(incidents) == 1 else None)
    if not incident:
        raise RunbookError(f"cannot tell which incident {path.name} is about "
                           f"({'grants of ' + ', '.join(incidents) if incidents else 'no known grant in it'})",
                           hint="pass --incident INC-...")
    for rec in records:
        rec.pop("pid", None)
    failed = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                   and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    data = BundleInput(nb=nb, incident=incident, template=path.stem,
                       outcome="ok" if failed is None else "failed", failed_cell=failed,
                       execution_count=nb.cells[failed].get("execution_count") if failed is not None else None,
                       grant=records[0] if len(records) == 1 else {"grants": records}, journal=journal,
                       evidence_dir=Path(evidence) if evidence else None, source=str(path))
    bundle = write_bundle(data, Path(out), held=access.held_secrets(), fingerprints=_fingerprints(grant_ids), pii=pii,
                          html_budget=html_budget)
    return RunResult(bundle, data.outcome, ",".join(r["id"] for r in records), failed,
                     data.execution_count)
