"""Running a runbook: validate, open the grant, execute, always revoke, write the bundle.

The order is the point.  Parameters are validated before anything starts (a
typo costs no Vault token); the grant is opened with the run's incident and
reason and handed to the kernel through its environment; whatever happens
during execution — success, a cell error, a dead kernel, Ctrl-C — the grant is
revoked (and the revocation confirmed) before the bundle is written.
"""
from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import CellFailed, RunbookError
from ..investigation import PII_ENV, PII_SALT_ENV, RUN_DIR_ENV
from ..redact import Fingerprints
from .bundle import HTML_BUDGET, BundleInput, write_bundle
from .catalog import Template, find
from .execute import execute
from .schema import validate



@dataclass
class RunResult:
    """What a run produced: ``bundle`` directory, ``outcome``, ``grant_id``, the failing cell if any."""
    bundle: Path
    outcome: str
    grant_id: str
    failed_cell: int | None = None
    execution_count: int | None = None
    error: str | None = None
    seconds: float = 0.0
    timings: dict | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def read_params_file(path: str | Path) -> dict:
    """Parameters from a YAML (or JSON) file holding one mapping."""
    import yaml

    path = Path(path).expanduser()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RunbookError(f"cannot read parameters file {path} ({err.strerror})", hint="check the path") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise RunbookError(f"parameters file {path}{where} is not valid YAML",
                           hint="write one 'name: value' per line") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RunbookError(f"parameters file {path} must hold a mapping of name: value",
                           hint="write one 'name: value' per line")
    return data


def prepare(template: str | Path | Template, parameters: dict | None = None,
            params_file: str | Path | None = None) -> tuple[Template, dict]:
    """The template and its validated parameters; raises before anything is opened."""
    tpl = template if isinstance(template, Template) else find(template)
    given = dict(read_params_file(params_file)) if params_file else {}
    given.update(parameters or {})
    values = validate(tpl.schema, given, tpl.name)
    for needed in ("incident_id", "reason"):
        if needed not in tpl.schema.names():
            raise RunbookError(f"template {tpl.name} declares no {needed!r} parameter",
                               hint="every runbook needs incident_id and reason: they go on the grant")
    return tpl, values


def read_fingerprints(paths, *, hint: str) -> list[Fingerprints]:
    """The kernels' fingerprints at ``paths``; an unreadable file refuses the bundle (it cannot prove anything)."""
    found = []
    for path in paths:
        try:
            found.append(Fingerprints.from_json(json.loads(Path(path).read_text())))
        except (ValueError, KeyError, OSError):
            raise RunbookError(f"the fingerprints file {path} is unreadable; bundle not written",
                               hint=hint) from None
    return found


def _cell_label(ex) -> str:
    """How the message names the failing cell: its number, In [n] and its first line of code."""
    if ex.failed_cell is None:
        return "before any cell ran"
    from ..redact import apply_rules

    source = ex.nb.cells[ex.failed_cell].source
    first = apply_rules(next((line.strip() for line in source.splitlines() if line.strip()), ""))
    first = first if len(first) <= 50 else first[:47] + "..."
    count = f" (In [{ex.execution_count}])" if ex.execution_count else ""
    return f"cell {ex.failed_cell}{count} `{first}`"


def run(template: str | Path | Template, parameters: dict | None = None, *, params_file=None,
        out: str | Path = "postmortems", client=None, progress: bool = True, pii: bool = False,
        kernel_name: str | None = None, cell_timeout: float | None = None,
        html_budget: int = HTML_BUDGET) -> RunResult:
    """Run a runbook end to end and return its :class:`RunResult`.

    Raises :class:`ParameterError`/:class:`RunbookError` before the grant is
    opened for bad input; :class:`CellFailed` (with ``.result``) after the
    bundle was written when the run failed; re-raises ``KeyboardInterrupt``
    after revoking and writing the bundle.

    >>> run("error-burst", {"incident_id": "INC-7", "reason": "5xx", "traces": "t.jsonl"})  # doctest: +SKIP
    RunResult(bundle=PosixPath('postmortems/INC-7/error-burst-20261129T141500Z'), outcome='ok', ...)
    """
    from .. import access

    started = time.monotonic()
    timings: dict[str, float] = {}
    tpl, values = prepare(template, parameters, params_file)
    timings["validate"] = time.monotonic() - started

    t = time.monotonic()
    client = client if client is not None else access.connect()
    grant = access.Grant.open(client, incident=values["incident_id"], reason=values["reason"],
                              ttl=tpl.schema.access.window, origin="runbook")
    timings["grant"] = time.monotonic() - t
    runs = config.home() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{grant.id}-", dir=runs))
    revoke_error = None
    try:
        # the kernel gets the grant, not the user's own token
        env = {**grant.handoff_env(), RUN_DIR_ENV: str(run_dir), "JITBENCH_HOME": str(config.home()),
               "VAULT_TOKEN": None, "BAO_TOKEN": None}
        pii_salt = secrets.token_bytes(16)  # one per run: masks join within a bundle, not across bundles
        if pii:
            env[PII_ENV], env[PII_SALT_ENV] = "1", pii_salt.hex()
        t = time.monotonic()
        try:
            ex = execute(tpl.path, values, env=env, progress=progress, kernel_name=kernel_name,
                         cell_timeout=cell_timeout)
        finally:
            timings["execute"] = time.monotonic() - t
            t = time.monotonic()
            try:
                grant.revoke()
            except Exception as err:  # still write the bundle; the error is raised after
                revoke_error = err
            timings["revoke"] = time.monotonic() - t

        t = time.monotonic()
        record = access.state.read_grant(grant.id)
        record.pop("pid", None)
        data = BundleInput(nb=ex.nb, incident=values["incident_id"], template=tpl.name, outcome=ex.outcome,
                           failed_cell=ex.failed_cell, execution_count=ex.execution_count, error=ex.error,
                           parameters=values, grant=record, journal=access.journal.read(grant_id=grant.id),
                           evidence_dir=run_dir / "evidence", timings=timings, template_sha256=tpl.sha256(),
                           source=str(tpl.path))
        # the user's own token is held too, even when it came from VAULT_TOKEN rather than a login
        held = access.held_secrets() | ({client.token} if getattr(client, "token", None) else set())
        fingerprints = read_fingerprints(sorted(run_dir.glob("fingerprints-*.json")), hint="re-run the runbook")
        bundle = write_bundle(data, Path(out), held=held, fingerprints=fingerprints,
                              pii=pii, pii_salt=pii_salt, html_budget=html_budget)
        timings["bundle"] = time.monotonic() - t
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)

    timings["total"] = time.monotonic() - started
    result = RunResult(bundle, ex.outcome, grant.id, ex.failed_cell, ex.execution_count, ex.error,
                       timings["total"], timings)
    if revoke_error is not None:
        raise revoke_error
    if ex.outcome == "interrupted":
        raise KeyboardInterrupt
    if not ex.ok:
        where = _cell_label(ex)
        err = CellFailed(f"runbook {tpl.name} {ex.outcome} at {where}: {ex.error}; grant {grant.id} revoked; "
                         f"bundle written to {bundle}", hint="open report.html, the failure is marked at the top")
        err.result = result
        raise err
    return result
