"""``jitbench access ...`` and ``jitbench dev-vault``: a thin click layer over :mod:`jitbench.access`."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import click

from ..access.durations import human, now, parse_iso


@click.group()
def access() -> None:
    """Just-in-time grants: request, list, renew, revoke, exec."""


def _grant_line(rec: dict) -> str:
    expires = parse_iso(rec.get("expires"))
    status = rec.get("state", "?")
    if status == "active" and expires is not None:
        left = (expires - now()).total_seconds()
        status = f"active, {human(left)} left" if left > 0 else "expired"
    leases = ", ".join(f"{l['kind']}:{l.get('role') or l['path']}"
                       + ("" if l.get("revocable_early") or l.get("static") else " (cannot be revoked early)")
                       for l in rec.get("leases", []))
    return (f"{rec['id']}  {rec.get('incident')}  {status}  expires {rec.get('expires')}  "
            f"by {rec.get('user')}  \"{rec.get('reason')}\"" + (f"  leases: {leases}" if leases else ""))


@access.command()
@click.option("--incident", required=True, help="Incident id, e.g. INC-2041 (recorded in Vault and the journal).")
@click.option("--reason", required=True, help="Why you need access (recorded in Vault's audit log).")
@click.option("--ttl", default=None, help="Access window, e.g. 15m (default JITBENCH_ACCESS_WINDOW or 30m).")
@click.option("--max-ttl", default=None, help="Longest the window may be renewed to (default: --ttl).")
@click.option("--database", "databases", multiple=True, metavar="ROLE", help="Also lease database credentials.")
@click.option("--print-credentials", is_flag=True, help="Print the leased database credentials (secret!).")
@click.option("--json", "as_json", is_flag=True, help="Print the grant as JSON (no secret values).")
def request(incident, reason, ttl, max_ttl, databases, print_credentials, as_json) -> None:
    """Open a grant that outlives this command (until its TTL or `jitbench access revoke`)."""
    from ..access import Grant, connect, state
    grant = Grant.open(connect(), incident=incident, reason=reason, ttl=ttl, max_ttl=max_ttl, origin="cli")
    leases = [grant.lease_database(role) for role in databases]
    rec = state.read_grant(grant.id)
    if as_json:
        click.echo(json.dumps(rec, indent=1))
    else:
        click.echo(_grant_line(rec))
        click.echo(f"attach from a notebook with jitbench.access.attach({grant.id!r}), or JITBENCH_GRANT={grant.id}")
    if print_credentials:
        for lease in leases:
            click.echo(f"{lease.role}: user={lease.secret('username')} password={lease.secret('password')}", err=True)


@access.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the grants as a JSON list.")
@click.option("--all", "show_all", is_flag=True, help="Include revoked and expired grants.")
def list_(as_json, show_all) -> None:
    """List the grants in the local state (newest first)."""
    from ..access import state
    from ..access.stored import expire_overdue
    expire_overdue()
    grants = state.list_grants()
    if not show_all:
        grants = [g for g in grants if g.get("state") == "active"]
    if as_json:
        click.echo(json.dumps(grants, indent=1))
    elif not grants:
        click.echo("no active grants (jitbench access request --incident ID --reason TEXT)")
    for rec in [] if as_json else grants:
        click.echo(_grant_line(rec))


@access.command()
@click.argument("grant_id")
@click.option("--increment", default=None, help="New remaining window, e.g. 10m (default: up to the max).")
@click.option("--reason", default=None, help="Why more time is needed (journaled with the renewal).")
def renew(grant_id, increment, reason) -> None:
    """Extend a grant toward its max window (never beyond)."""
    from ..access import renew_grant
    click.echo(_grant_line(renew_grant(grant_id, increment=increment, reason=reason)))


@access.command()
@click.argument("grant_id", required=False)
@click.option("--all", "revoke_all", is_flag=True, help="Revoke every active grant in the local state.")
def revoke(grant_id, revoke_all) -> None:
    """Revoke a grant (or --all) by accessor with your own token; waits until Vault confirms."""
    from ..access import revoke_grant, state
    if bool(grant_id) == bool(revoke_all):
        raise click.UsageError("give a grant id or --all")
    ids = [grant_id] if grant_id else [g["id"] for g in state.list_grants() if g.get("state") == "active"]
    for gid in ids:
        click.echo(_grant_line(revoke_grant(gid)))
    if not ids:
        click.echo("no active grants")


def _env_name(role: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", role.upper())


@access.command(name="exec", context_settings={"ignore_unknown_options": True})
@click.option("--incident", required=True, help="Incident id.")
@click.option("--reason", required=True, help="Why you need access.")
@click.option("--ttl", default=None, help="Access window, e.g. 15m.")
@click.option("--database", "databases", multiple=True, metavar="ROLE", help="Lease database credentials.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(incident, reason, ttl, databases, command) -> None:
    """Run COMMAND with leased credentials in its environment; revoke when it exits.

    The first --database role is PGUSER/PGPASSWORD; every role is also
    JITBENCH_DB_<ROLE>_USER/_PASSWORD. VAULT_TOKEN is the grant's token and
    JITBENCH_GRANT its id.
    """
    from ..access import Grant, Keeper, connect
    grant = Grant.open(connect(), incident=incident, reason=reason, ttl=ttl, origin="kernel")
    with Keeper(grant):
        env = dict(os.environ, JITBENCH_GRANT=grant.id, VAULT_TOKEN=grant._token, VAULT_ADDR=grant.vault_addr)
        for i, role in enumerate(databases):
            lease = grant.lease_database(role)
            user, password = lease.secret("username"), lease.secret("password")
            env[f"JITBENCH_DB_{_env_name(role)}_USER"], env[f"JITBENCH_DB_{_env_name(role)}_PASSWORD"] = user, password
            if i == 0:
                env["PGUSER"], env["PGPASSWORD"] = user, password
        try:
            code = subprocess.call(list(command), env=env)
        except FileNotFoundError:
            raise click.ClickException(f"command not found: {command[0]}") from None
        except KeyboardInterrupt:
            code = 130
    click.get_current_context().exit(code)


@click.command(name="dev-vault")
@click.option("--pg-dsn", default=None, envvar="JITBENCH_PG_DSN",
              help="PostgreSQL superuser DSN Vault should manage (default: start one). "
                   "Prefer the JITBENCH_PG_DSN variable: a password on the command line shows in `ps`.")
@click.option("--port", type=int, default=None, help="OpenBao port (default: a free one).")
@click.option("--role", default="readonly", show_default=True, help="Name of the read-only database role.")
def dev_vault(pg_dsn, port, role) -> None:
    """Start an OpenBao dev server (+ PostgreSQL unless --pg-dsn), configure it, print `export` lines, wait."""
    import signal
    import threading
    from urllib.parse import unquote, urlparse

    from ..access import connect, login_userpass
    from ..access.setup import configure_dev
    from ..dev import DevOpenBao, DevPostgres

    class Target:
        def __init__(self, dsn: str):
            u = urlparse(dsn)
            self.host, self.port = u.hostname or "127.0.0.1", u.port or 5432
            self.user, self.password = unquote(u.username or "postgres"), unquote(u.password or "")

    pg = None if pg_dsn else DevPostgres()
    with DevOpenBao(port=port) as bao:
        try:
            target = Target(pg_dsn) if pg_dsn else pg.start()
            dev = configure_dev(connect(bao.addr, bao.root_token), target, role=role)
            user = login_userpass(connect(bao.addr), dev.user, dev.password)
            click.echo(f"export VAULT_ADDR={bao.addr}")
            click.echo(f"export VAULT_TOKEN={user.token}")
            click.echo(f"export PGHOST={target.host} PGPORT={target.port}")
            click.echo(f"# dev only: userpass {dev.user} / {dev.password}; root token {bao.root_token}; "
                       f"database role {role!r}, identity token role {dev.token_role!r}")
            click.echo("# Ctrl-C stops the servers", err=True)
            sys.stdout.flush()
            # a flag set by the signal, polled: Ctrl-C or SIGTERM at any moment ends the wait cleanly
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            if pg is not None:
                pg.stop()
