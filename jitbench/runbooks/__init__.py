"""Runbooks: parameterised template notebooks run with papermill, published as post-mortems.

- :func:`list_templates` / :func:`find` — the template catalog;
- :func:`validate` — parameters against a template's declared schema;
- :func:`run` — validate, open a grant, execute, always revoke, write the bundle;
- :func:`postmortem` — the same bundle from a notebook run interactively.
"""
from .catalog import Template, find, list_templates
from .postmortem import postmortem
from .run import RunResult, run
from .schema import validate

__all__ = ["RunResult", "Template", "find", "list_templates", "postmortem", "run", "validate"]
