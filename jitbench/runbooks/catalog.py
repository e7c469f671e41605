"""Finding templates: the shipped ones, the directories in ``JITBENCH_TEMPLATES``, or a path.

A template is a notebook with a papermill ``parameters`` cell and, in its
metadata, the jitbench schema (see :mod:`.schema`).  Its name is the file's
stem: ``jitbench run latency-spike`` finds ``latency-spike.ipynb``.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..errors import RunbookError
from .schema import Schema


def template_dirs() -> list[Path]:
    """Where templates are looked up, first match wins.

    ``$JITBENCH_TEMPLATES`` (``os.pathsep``-separated), then the templates
    shipped inside the package (wheel install), then the source tree's
    ``templates/`` (editable install).
    """
    dirs = [Path(p).expanduser() for p in os.environ.get("JITBENCH_TEMPLATES", "").split(os.pathsep) if p]
    here = Path(__file__).resolve().parent.parent
    dirs += [here / "templates", here.parent / "templates"]
    return [d for d in dirs if d.is_dir()]


@dataclass(frozen=True)
class Template:
    """A runbook notebook: ``name``, ``path``, ``title``, ``description`` and its :class:`Schema`."""
    name: str
    path: Path
    title: str
    description: str
    schema: Schema

    @classmethod
    def read(cls, path: Path) -> "Template":
        """The template at ``path``; :class:`RunbookError` if it is not a usable template."""
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception as err:  # nbformat raises several unrelated types for a bad file
            raise RunbookError(f"template {path} cannot be read: {type(err).__name__}",
                               hint="check that it is a valid .ipynb file") from None
        meta = nb.metadata.get("jitbench") or {}
        if not any("parameters" in (c.metadata.get("tags") or []) for c in nb.cells):
            raise RunbookError(f"template {path} has no cell tagged 'parameters'",
                               hint="tag the cell that sets the defaults with 'parameters' (papermill)")
        return cls(path.stem, path, meta.get("title", path.stem), meta.get("description", ""),
                   Schema.from_metadata(nb.metadata, path.stem))

    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def describe(self) -> str:
        """A few lines for ``jitbench templates NAME``: title, parameters, access needs."""
        lines = [f"{self.name}: {self.title}", f"  {self.description}" if self.description else "",
                 "  parameters:"]
        for p in self.schema.parameters:
            extra = ("required" if p.required else f"default {p.default!r}") + (
                f", one of {', '.join(map(str, p.choices))}" if p.choices else "")
            lines.append(f"    {p.name} ({p.type}, {extra}) {p.description}".rstrip())
        lines.append(f"  access: roles {', '.join(self.schema.access.roles) or 'none'}; "
                     f"window {self.schema.access.window}")
        return "\n".join(line for line in lines if line)


def list_templates() -> list[Template]:
    """Every template found, by name (the first directory wins for a duplicated name)."""
    seen: dict[str, Template] = {}
    for d in template_dirs():
        for path in sorted(d.glob("*.ipynb")):
            if path.stem not in seen:
                seen[path.stem] = Template.read(path)
    return sorted(seen.values(), key=lambda t: t.name)


def find(name_or_path: str | Path) -> Template:
    """The template called ``name_or_path`` (a name from the catalog, or a path to a notebook).

    >>> find("latency-spike").schema.access.roles   # doctest: +SKIP
    ()
    """
    path = Path(name_or_path).expanduser()
    if path.suffix == ".ipynb" or path.exists():
        if not path.is_file():
            raise RunbookError(f"template {path} does not exist", hint="check the path")
        return Template.read(path)
    for d in template_dirs():
        candidate = d / f"{name_or_path}.ipynb"
        if candidate.is_file():
            return Template.read(candidate)
    names = sorted({p.stem for d in template_dirs() for p in d.glob("*.ipynb")})
    raise RunbookError(f"no template named {str(name_or_path)!r}",
                       hint=f"available: {', '.join(names) or 'none'} (see `jitbench templates`)")
