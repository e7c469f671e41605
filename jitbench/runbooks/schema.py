"""The parameter schema a template declares, and validation of a run's parameters.

A template's notebook metadata carries, under ``jitbench``::

    {"title": "Latency spike", "description": "...",
     "parameters": [{"name": "incident_id", "type": "string", "required": true,
                     "description": "..."}, ...],
     "access": {"roles": ["readonly"], "window": "30m"}}

Validation happens before anything else (no grant, no kernel): every problem
is a :class:`~jitbench.errors.ParameterError` naming the parameter, what was
expected and what was given.  Parameters that look like secrets are refused:
access is declared by the template and opened by jitbench, because papermill
writes parameters into the executed notebook for everyone to read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..errors import ParameterError
from ..redact import apply_rules

TYPES = ("string", "integer", "number", "boolean", "datetime", "duration", "list", "trace_id")
SECRET_NAME = re.compile(r"pass(word|wd)?$|^pwd$|secret|token|api[_-]?key|credential|private[_-]?key|dsn$",
                         re.IGNORECASE)
DURATION = re.compile(r"^\d+(\.\d+)?(ms|s|m|h|d)$")
TRACE_ID = re.compile(r"^[0-9a-f]{16}([0-9a-f]{16})?$")


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: name, type, required, default, choices, description."""
    name: str
    type: str = "string"
    required: bool = False
    default: Any = None
    choices: tuple = ()
    description: str = ""

    @classmethod
    def from_dict(cls, d: dict, template: str = "template") -> "Parameter":
        if not isinstance(d, dict) or not d.get("name"):
            raise ParameterError(f"{template}: a parameter declaration has no name",
                                 hint="each entry of metadata.jitbench.parameters needs a 'name'")
        kind = d.get("type", "string")
        if kind not in TYPES:
            raise ParameterError(f"{template}: parameter {d['name']!r} has unknown type {kind!r}",
                                 hint=f"use one of {', '.join(TYPES)}")
        return cls(d["name"], kind, bool(d.get("required", False)), d.get("default"),
                   tuple(d.get("choices") or ()), d.get("description", ""))

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "required": self.required, "default": self.default,
                "choices": list(self.choices), "description": self.description}


@dataclass(frozen=True)
class Access:
    """What a template needs from Vault: the roles it leases and the grant window."""
    roles: tuple = ()
    window: str = "30m"

    @classmethod
    def from_dict(cls, d: dict | None) -> "Access":
        d = d or {}
        return cls(tuple(d.get("roles") or ()), str(d.get("window") or "30m"))


@dataclass(frozen=True)
class Schema:
    """A template's parameters (in declaration order) and access needs."""
    parameters: tuple = ()
    access: Access = field(default_factory=Access)

    @classmethod
    def from_metadata(cls, metadata: dict, template: str = "template") -> "Schema":
        meta = (metadata or {}).get("jitbench") or {}
        params = tuple(Parameter.from_dict(p, template) for p in meta.get("parameters") or ())
        return cls(params, Access.from_dict(meta.get("access")))

    def names(self) -> list[str]:
        return [p.name for p in self.parameters]


def _fail(p: Parameter, value: Any, expected: str) -> ParameterError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "...'"
    return ParameterError(f"parameter {p.name!r}: expected {expected}, got {shown}",
                          hint=p.description and f"{p.name} is: {p.description}")


def _convert(p: Parameter, value: Any) -> Any:
    """``value`` (a string from the command line, or a YAML/Python value) as ``p.type``."""
    kind, text = p.type, value.strip() if isinstance(value, str) else value
    if kind == "string":
        if not isinstance(text, (str, int, float)) or isinstance(text, bool):
            raise _fail(p, value, "a string")
        return str(text)
    if kind == "integer":
        try:
            if isinstance(text, bool) or (isinstance(text, float) and not text.is_integer()):
                raise ValueError
            return int(text)
        except (TypeError, ValueError):
            raise _fail(p, value, "an integer (e.g. 20)") from None
    if kind == "number":
        try:
            if isinstance(text, bool):
                raise ValueError
            return float(text)
        except (TypeError, ValueError):
            raise _fail(p, value, "a number (e.g. 0.95)") from None
    if kind == "boolean":
        if isinstance(text, bool):
            return text
        low = str(text).lower()
        if low in ("true", "yes", "1", "on"):
            return True
        if low in ("false", "no", "0", "off"):
            return False
        raise _fail(p, value, "true or false")
    if kind == "datetime":
        if isinstance(text, datetime):
            moment = text
        else:
            try:
                moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
            except ValueError:
                raise _fail(p, value, "an ISO 8601 time (e.g. 2026-11-29T14:02:00Z)") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        # kept as text: papermill writes parameters as Python literals
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "duration":
        if not isinstance(text, str) or not DURATION.match(text):
            raise _fail(p, value, "a duration (e.g. 30m, 90s, 2h)")
        return text
    if kind == "list":
        if isinstance(text, (list, tuple)):
            return [str(v) for v in text]
        if not isinstance(text, str):
            raise _fail(p, value, "a comma-separated list")
        return [v.strip() for v in text.split(",") if v.strip()]
    if kind == "trace_id":
        tid = str(text).lower()
        if not TRACE_ID.match(tid):
            raise _fail(p, value, "a trace id of 16 or 32 hex digits")
        return tid
    raise _fail(p, value, f"one of the types {TYPES}")  # unreachable: types checked at declaration


def _looks_secret(value: Any) -> bool:
    texts = value if isinstance(value, list) else [value]
    return any(isinstance(t, str) and apply_rules(t) != t for t in texts)


def validate(schema: Schema, given: dict[str, Any], template: str = "template") -> dict[str, Any]:
    """The run's parameters converted to their declared types, defaults filled in.

    Raises :class:`ParameterError` for an unknown name, a missing required
    parameter, a wrong type, a value outside ``choices``, or anything that
    looks like a secret.

    >>> s = Schema((Parameter("top", "integer", default=10),))
    >>> validate(s, {"top": "5"})
    {'top': 5}
    """
    known = {p.name: p for p in schema.parameters}
    for name, value in given.items():
        if SECRET_NAME.search(name) or _looks_secret(value):
            raise ParameterError(f"parameter {name!r} looks like a secret; refused",
                                 hint=("access is declared by the template and opened by jitbench "
                                       "(papermill writes parameters into the notebook)"))
        if name not in known:
            raise ParameterError(f"{template} has no parameter {name!r}",
                                 hint=f"its parameters are: {', '.join(known) or 'none'}")
    out: dict[str, Any] = {}
    for p in schema.parameters:
        if p.name in given and given[p.name] is not None:
            value = _convert(p, given[p.name])
        elif p.required:
            raise ParameterError(f"{template}: parameter {p.name!r} is required",
                                 hint=f"pass -p {p.name} VALUE ({p.type}{': ' + p.description if p.description else ''})")
        elif p.default is None:
            continue
        else:
            value = _convert(p, p.default)
        if p.choices and value not in p.choices:
            raise _fail(p, value, "one of " + ", ".join(map(str, p.choices)))
        out[p.name] = value
    return out
