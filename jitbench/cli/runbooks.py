"""``jitbench templates``, ``jitbench run`` and ``jitbench postmortem``: thin click wrappers."""
from __future__ import annotations

import sys

import click


@click.command()
@click.argument("name", required=False)
def templates(name):
    """List the runbook templates, or describe template NAME."""
    from ..runbooks import find, list_templates

    if name:
        click.echo(find(name).describe())
        return
    for tpl in list_templates():
        click.echo(f"{tpl.name:24} {tpl.title}")


@click.command()
@click.argument("template")
@click.option("-p", "--parameter", "params", nargs=2, multiple=True, metavar="NAME VALUE",
              help="a template parameter (repeatable)")
@click.option("-f", "--params-file", type=click.Path(dir_okay=False), help="YAML file of name: value")
@click.option("--out", default="postmortems", show_default=True, type=click.Path(file_okay=False),
              help="where bundles go: OUT/<incident>/<template>-<timestamp>/")
@click.option("--pii/--no-pii", default=False, help="also mask e-mails, IPs and card numbers (stable hash)")
@click.option("--progress/--no-progress", default=True, help="show a progress bar per cell")
@click.option("--html-budget", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="MB of report content (plotly.js not counted); longer outputs are cut harder")
def run(template, params, params_file, out, pii, progress, html_budget):
    """Run TEMPLATE under a fresh grant and write its post-mortem bundle.

    The grant is opened with the run's incident_id and reason, handed to the
    kernel, and revoked whatever happens; the exit status is non-zero when a
    cell failed (the bundle is still written).
    """
    from ..runbooks import run as run_runbook

    try:
        result = run_runbook(template, dict(params), params_file=params_file, out=out, pii=pii,
                             progress=progress, html_budget=int(html_budget * 1e6))
    except KeyboardInterrupt:
        click.echo("interrupted: access revoked, partial bundle written", err=True)
        sys.exit(130)
    click.echo(f"ok: {result.bundle} (grant {result.grant_id} revoked, {result.seconds:.1f} s)")


@click.command()
@click.argument("notebook", type=click.Path(dir_okay=False))
@click.option("--out", default="postmortems", show_default=True, type=click.Path(file_okay=False))
@click.option("--incident", default=None, help="the incident id, when the notebook's grants do not say")
@click.option("--evidence", default=None, type=click.Path(file_okay=False), help="directory of Parquet extracts")
@click.option("--pii/--no-pii", default=False, help="also mask e-mails, IPs and card numbers (stable hash)")
def postmortem(notebook, out, incident, evidence, pii):
    """Write the redacted, verified post-mortem bundle of NOTEBOOK."""
    from ..runbooks import postmortem as write_postmortem

    result = write_postmortem(notebook, out, incident=incident, evidence=evidence, pii=pii)
    click.echo(f"{result.outcome}: {result.bundle}")
