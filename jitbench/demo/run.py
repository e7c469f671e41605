"""``jitbench demo``: the whole idea on this machine, with nothing else running.

One call of :func:`run_demo` generates an incident, starts a real OpenBao and
a real PostgreSQL holding the shop, configures the database secrets engine,
runs the investigation runbook under a just-in-time grant, writes the
post-mortem bundle, confirms that access was revoked, and stops what it
started.  The culprit in the summary is what the analysis found in the loaded
data, never what the generator says it injected.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import RevocationUnconfirmed
from .findings import Finding
from .generate import generate
from .servers import SHOP_DB, DemoServers
from .shop import seed as seed_shop

INCIDENT_ID = "INC-DEMO"
REASON = "checkout returns 5xx since 14:02"
TEMPLATE = "shop-incident"


@dataclass
class DemoResult:
    """What a demo run did: where the report is, what was found, and that access ended."""

    out: Path
    finding: Finding | None
    grant_id: str | None
    revoked: bool
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    servers: dict = field(default_factory=dict)
    kept: bool = False

    @property
    def report(self) -> Path | None:
        html = [p for p in self.files if p.suffix == ".html"]
        return html[0] if html else None


def run_demo(out: str | Path = "jitbench-demo", *, keep: bool = False, seed: int = 7,
             traces_per_minute: float = 20, vault_port: int | None = None, pg_port: int | None = None,
             investigate: bool = True, echo: Callable[[str], None] = print) -> DemoResult:
    """Run the demo end to end and return a :class:`DemoResult`; ``echo`` gets one line per step.

    ``keep`` leaves both servers running (see ``jitbench demo --stop``);
    ``investigate=False`` (implies ``keep``) only prepares them and the data,
    for an interactive session (Binder's ``start``).
    ``vault_port``/``pg_port`` pin the ports (default: free ones); a taken port
    is a :class:`~jitbench.errors.ServerStartError` before anything starts.

    >>> result = run_demo("./jitbench-demo")                 # doctest: +SKIP
    >>> result.finding.headline(), result.report, result.revoked
    """
    from .. import access

    started = time.monotonic()
    say = echo
    echo = lambda line: say(f"{time.monotonic() - started:5.1f}s {line}" if line.startswith("[") else f"       {line}")  # noqa: E731
    out = Path(out).resolve()
    keep = keep or not investigate
    servers = DemoServers(vault_port, pg_port)
    servers.check_ports()
    with tempfile.TemporaryDirectory(prefix="jitbench-demo-data-") as data_dir:
        echo("[1/6] generating the incident: a shop of 10 services in 3 regions, a baseline hour + 30 min")
        incident = generate(data_dir, seed=seed, traces_per_minute=traces_per_minute)
        echo(f"      {incident.traces:,} traces, {incident.spans:,} spans, {incident.logs:,} log records")
        echo("[2/6] starting OpenBao (dev server) and PostgreSQL")
        servers.start()
        kept = False
        try:
            pids = servers.pids()
            echo(f"      OpenBao {servers.bao.addr} (pid {pids['openbao']}), "
                 f"PostgreSQL {servers.pg.host}:{servers.pg.port} (pid {pids['postgres']})")
            echo("[3/6] seeding the shop database and configuring the database secrets engine")
            counts = seed_shop(servers.create_shop_database(), incident, seed=seed)
            root = access.connect(servers.bao.addr, token=servers.bao.root_token)
            dev = access.setup.configure_dev(root, servers.pg)
            user = access.login_userpass(access.connect(servers.bao.addr), dev.user, dev.password)
            echo(f"      {counts['orders']:,} orders, {counts['customers']:,} customers; "
                 f"role '{dev.db_role}' (read-only), user '{dev.user}'")
            if investigate:
                echo(f"[4/6] running the runbook '{TEMPLATE}' under a 15 min grant for {INCIDENT_ID}")
                files, grant_id, finding = _investigate(user, servers, incident, out)
                echo("[5/6] confirming that access was revoked")
                revoked = _confirm_revoked(root, servers, grant_id)
            else:
                files, grant_id, finding, revoked = [], None, None, False
            result = DemoResult(out=out, finding=finding, grant_id=grant_id, revoked=revoked, files=files,
                                servers=servers.describe())
            if keep:
                servers.detach(user.token)
                kept = True
                result.kept = True
                _export_for_lab(servers, data_dir, out, echo)
            else:
                echo("[6/6] stopping OpenBao and PostgreSQL")
        finally:
            if not kept:
                servers.stop()
    result.seconds = time.monotonic() - started
    return result


def _investigate(user, servers: DemoServers, incident, out: Path) -> tuple[list[Path], str | None, Finding | None]:
    """Run the template with papermill under a grant; returns the bundle's files, the grant id and the finding."""
    from .. import runbooks
    from ..store import Store
    from .findings import find_culprit

    params = {
        "incident_id": INCIDENT_ID, "reason": REASON,
        "traces": str(incident.traces_path), "logs": str(incident.logs_path),
        "window_start": incident.window[0], "window_end": incident.window[1],
        "baseline_start": incident.baseline[0], "baseline_end": incident.baseline[1],
        "db_host": servers.pg.host, "db_port": servers.pg.port, "db_name": SHOP_DB, "db_role": "readonly",
    }
    result = runbooks.run(TEMPLATE, params, out=out, client=user, progress=True)
    files = sorted(p for p in result.bundle.rglob("*") if p.is_file())
    # the summary's finding is re-derived from the bundle's evidence, as a reviewer without access would
    store = Store()
    try:
        for table in ("spans", "logs"):
            path = result.bundle / "evidence" / f"{table}.parquet"
            if path.exists():
                store.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [str(path)])
        finding = find_culprit(store, incident.window, incident.baseline)
    finally:
        store.close()
    return files, result.grant_id, finding


def _confirm_revoked(root, servers: DemoServers, grant_id: str | None) -> bool:
    """True once the journal has the grant's revoke, Vault no longer knows it and no database user is left."""
    from ..access import journal, state

    if grant_id is None:
        return False
    events = [e["event"] for e in journal.read(grant_id)]
    if "revoke" not in events:
        raise RevocationUnconfirmed(f"the journal has no revoke for grant {grant_id}")
    accessor = state.read_grant(grant_id)["accessor"]
    try:
        root.auth.token.lookup_accessor(accessor)
        raise RevocationUnconfirmed(f"Vault still knows the token of grant {grant_id}")
    except RevocationUnconfirmed:
        raise
    except Exception:  # hvac raises InvalidRequest/Forbidden for an unknown accessor: that is the point
        pass
    deadline = time.monotonic() + 10
    while servers.dynamic_users():
        if time.monotonic() > deadline:
            raise RevocationUnconfirmed(f"PostgreSQL still has {len(servers.dynamic_users())} leased user(s)")
        time.sleep(0.1)
    return True


def _export_for_lab(servers: DemoServers, data_dir: str, out: Path, echo) -> None:
    """Keep the generated data beside the bundle and write/print the exports a JupyterLab session needs."""
    import shutil

    from .servers import env_path, token_path

    keep_data = out / "data"
    keep_data.mkdir(parents=True, exist_ok=True)
    for path in Path(data_dir).iterdir():
        shutil.copy2(path, keep_data / path.name)
    lines = [f"export VAULT_ADDR={servers.bao.addr}",
             f'export VAULT_TOKEN="$(cat {token_path()})"',
             f"export PGHOST={servers.pg.host} PGPORT={servers.pg.port} PGDATABASE={SHOP_DB}",
             f"export JITBENCH_DEMO_DATA={keep_data}"]
    env_path().write_text("\n".join(lines) + "\n")
    echo("[6/6] servers left running (--keep). To investigate in JupyterLab:")
    for line in lines:
        echo("  " + line)
    echo("  jupyter lab notebooks/walkthrough.ipynb")
    echo(f"  (or: . {env_path()})   and when done: jitbench demo --stop")
