"""The ``jitbench`` command: a thin click layer over the library.

Commands live in one module each and are imported only when used, so that
``jitbench --help`` stays fast and one broken optional part does not take the
whole command down.
"""
from __future__ import annotations

import importlib
import importlib.util

import click

from ..errors import JitbenchError

# command name -> "module:attribute" (relative to this package)
COMMANDS = {
    "access": "access:access",
    "dev-vault": "access:dev_vault",
    "load": "load:load",
    "templates": "runbooks:templates",
    "run": "runbooks:run",
    "postmortem": "runbooks:postmortem",
    "demo": "demo:demo",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        # a part that is not installed (or not written yet) is left out of --help
        return sorted(n for n, t in COMMANDS.items()
                      if importlib.util.find_spec(f"{__package__}.{t.split(':')[0]}") is not None)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(f"{__package__}.{module}"), attr)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except JitbenchError as err:
            # one line, no traceback: the message already says what to do
            raise click.ClickException(str(err)) from None


@click.group(cls=LazyGroup)
@click.version_option(package_name="jitbench")
def main() -> None:
    """Just-in-time, read-only, time-limited access for incident investigations."""
