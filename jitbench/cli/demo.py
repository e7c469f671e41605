"""``jitbench demo``: generate an incident and investigate it with real OpenBao and PostgreSQL."""
from __future__ import annotations

import click


@click.command()
@click.option("--out", default="jitbench-demo", show_default=True, type=click.Path(file_okay=False),
              help="Directory for the post-mortem bundle.")
@click.option("--keep", is_flag=True, help="Leave OpenBao and PostgreSQL running and print how to open JupyterLab.")
@click.option("--servers-only", is_flag=True,
              help="Only start the servers with the demo data and leave them running (implies --keep); no runbook.")
@click.option("--stop", "stop", is_flag=True, help="Stop the servers a previous --keep left running, then exit.")
@click.option("--seed", default=7, show_default=True, help="Seed of the incident generator.")
@click.option("--traces-per-minute", default=20.0, show_default=True, help="Load of the generated shop.")
@click.option("--vault-port", type=int, default=None, help="Port for OpenBao (default: a free one).")
@click.option("--pg-port", type=int, default=None, help="Port for PostgreSQL (default: a free one).")
def demo(out, keep, servers_only, stop, seed, traces_per_minute, vault_port, pg_port):
    """Run a realistic incident investigation end to end on this machine (about a minute)."""
    from ..demo.servers import state_path, stop_kept

    if stop:
        info = stop_kept()
        click.echo("no servers were left running by `jitbench demo --keep`" if info is None
                   else f"stopped OpenBao ({info['vault_addr']}) and PostgreSQL (port {info['pg_port']})")
        return
    if (keep or servers_only) and state_path().exists():
        raise click.ClickException("a previous `jitbench demo --keep` is still running — "
                                   "run `jitbench demo --stop` first")
    from ..demo.run import run_demo

    result = run_demo(out, keep=keep, seed=seed, traces_per_minute=traces_per_minute,
                      vault_port=vault_port, pg_port=pg_port, investigate=not servers_only, echo=click.echo)
    if servers_only:
        return
    click.echo("")
    if result.finding is None:
        click.echo("found: no failing traces in the incident window")
    else:
        click.secho(f"found: {result.finding.headline()}", bold=True)
        click.echo(f"       why: {result.finding.evidence} (origin of {result.finding.failing_traces} "
                   "of the failing traces examined)")
        if result.finding.new_log_template:
            click.echo(f"       new log template: {result.finding.new_log_template}")
    if result.report:
        click.echo(f"report: {result.report}")
    click.echo(f"bundle: {result.out}")
    state = "revoked and confirmed (no lease or database user left)" if result.revoked else "NOT confirmed revoked"
    click.echo(f"access: grant {result.grant_id} {state}")
    click.echo(f"took {result.seconds:.0f} s" + ("; servers still running (--keep)" if result.kept else ""))
