"""``jitbench load PATH|URL... --db FILE``: a thin click layer over ``Store.load``."""
from __future__ import annotations

import json
import os
import warnings

import click


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="PATH|URL...")
@click.option("--db", required=True, type=click.Path(dir_okay=False),
              help="The investigation's DuckDB file (created if missing).")
@click.option("--format", "format_", default=None, metavar="F",
              help="Skip sniffing: otlp-traces, otlp-logs, jaeger, zipkin, tempo, json-logs, logfmt, text, ...")
@click.option("--pattern", default=None, help="For --format text: a regex with named groups (time, level, msg...).")
@click.option("--token-env", default=None, metavar="VAR",
              help="For URLs: send the bearer token held in this environment variable (never on the command line).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary per source.")
@click.option("--progress/--no-progress", default=None, help="Force the progress bar on or off.")
def load(sources, db, format_, pattern, token_env, as_json, progress) -> None:
    """Load trace and log files (paths, globs, directories, .gz/.zst) or URLs into a store.

    One load, and one summary line, per PATH|URL argument; bad records go to the
    store's `rejects` table with their file:line.  Exits 1 if any source failed.
    """
    from ..errors import JitbenchError
    from ..store import Store

    opts = {"pattern": pattern} if pattern else {}
    failed = 0
    with Store(db) as store, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the summary line already carries the load's warnings
        for source in sources:
            try:
                if source.startswith(("http://", "https://")):
                    source = _fetch(source, token_env)
                summary = store.load(source, format=format_, progress=progress, **opts)
            except JitbenchError as err:
                failed += 1
                click.echo(json.dumps({"uri": str(source), "error": str(err)}) if as_json
                           else f"error: {err}", err=not as_json)
                continue
            click.echo(json.dumps(summary.to_dict()) if as_json else str(summary))
    if failed:
        raise click.exceptions.Exit(1)


def _fetch(url: str, token_env: str | None):
    """GET one URL (an API response: Tempo, Jaeger, Loki, Zipkin) as an in-memory source."""
    from ..errors import ConfigError
    from ..ingest import Source
    from ..ingest.http import HttpClient

    token = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise ConfigError(f"--token-env {token_env}: that environment variable is empty",
                              hint=f"export {token_env}=... first")
    client = HttpClient(url, token=token)
    try:
        body = client.get(url)
    finally:
        client.close()
    return Source.from_bytes(body, client.url(url), kind="http")
