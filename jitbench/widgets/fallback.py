"""How a grant displays: the live widget plus a static fallback for exports.

A notebook output carries several representations; JupyterLab renders the
widget, while nbconvert's HTML export (a post-mortem) has no kernel to talk
to and shows the ``text/html`` fallback: incident, reason, expiry in UTC and
state at display time - never a secret.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import Any

from jitbench.widgets.grant import GrantWidget

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

# One widget per grant object: displaying a grant twice shows two views of the
# same model instead of subscribing a new widget to the keeper each time.
_widgets: dict[int, GrantWidget] = {}


def _utc(ms: float) -> str:
    if not ms:
        return "no expiry"
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def fallback_text(widget: GrantWidget) -> str:
    """One line of plain text for a grant: incident, state, expiry time in UTC, lease count.

    >>> fallback_text(widget)                                   # doctest: +SKIP
    'jitbench grant INC-7 (checkout 5xx): active, expires 2026-11-29 14:32:00 UTC, 1 lease'
    """
    count = len(widget.leases)
    return (f"jitbench grant {widget.incident} ({widget.reason}): {widget.state}, "
            f"expires {_utc(widget.expires)}, {count} lease{'' if count == 1 else 's'}")


def fallback_html(widget: GrantWidget) -> str:
    """A static HTML card of the grant, for exports: no script, every value escaped."""
    esc = html.escape
    shown_at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            esc(lease["kind"]), esc(lease["role"] or lease["path"]),
            esc("until " + _utc(lease["expires"]) if lease["expires"] else "no expiry"),
            esc(lease["state"]), lease_mark(lease))
        for lease in widget.leases)
    table = f'<table class="jitbench-grant-leases">{rows}</table>' if rows else ""
    return (
        f'<div class="jitbench-grant-static" data-state="{esc(widget.state)}">'
        f"<strong>jitbench grant {esc(widget.incident)}</strong> &mdash; {esc(widget.reason)}<br>"
        f"access expires <b>{esc(_utc(widget.expires))}</b>; state <b>{esc(widget.state)}</b> "
        f"as of {esc(shown_at)}{table}</div>"
    )


def lease_mark(lease: dict) -> str:
    """The warning a lease carries: static (KV) or cannot be revoked early (identity JWT); else ''."""
    if lease.get("static"):
        return "static secret, not just-in-time"
    return "" if lease.get("revocable_early", True) else "cannot be revoked early"


def grant_widget(grant: Any, keeper: Any = None) -> GrantWidget:
    """The one :class:`GrantWidget` of ``grant`` (created on first use, refreshed after)."""
    widget = _widgets.get(id(grant))
    if widget is None or widget.grant is not grant or widget.comm is None:
        widget = GrantWidget(grant, keeper)
        _widgets[id(grant)] = widget
    else:
        # a keeper started after the first display is picked up now
        widget.watch(keeper if keeper is not None else getattr(grant, "keeper", None))
        widget.refresh()
    return widget


def grant_mimebundle(grant: Any, keeper: Any = None, include=None, exclude=None) -> tuple[dict, dict]:
    """The display bundle of a grant: the live widget view plus static HTML and text.

    The access layer's ``Grant._repr_mimebundle_`` returns this, so a grant
    as the last expression of a cell shows the countdown widget, and an HTML
    export shows the fallback.

    >>> def _repr_mimebundle_(self, include=None, exclude=None):   # in Grant
    ...     from jitbench.widgets import grant_mimebundle
    ...     return grant_mimebundle(self, include=include, exclude=exclude)
    """
    widget = grant_widget(grant, keeper)
    data, metadata = widget._repr_mimebundle_()
    data = {WIDGET_VIEW: data[WIDGET_VIEW], "text/html": fallback_html(widget),
            "text/plain": fallback_text(widget)}
    if include:
        data = {k: v for k, v in data.items() if k in include}
    if exclude:
        data = {k: v for k, v in data.items() if k not in exclude}
    return data, metadata


def display_grant(grant: Any, keeper: Any = None) -> GrantWidget:
    """Display a grant's widget (with its fallback) in the current output and return the widget."""
    from IPython.display import display

    data, metadata = grant_mimebundle(grant, keeper)
    display(data, metadata=metadata, raw=True)
    return _widgets[id(grant)]


def drop_grant_widget_state(nb: Any) -> Any:
    """Remove saved grant-widget state from a notebook so its HTML export shows the fallback.

    nbclient/papermill save every widget's state in ``nb.metadata.widgets``;
    nbconvert then prefers the live view, which needs the widget manager from
    a CDN and shows nothing offline. A post-mortem wants the static card, so
    the bundle writer calls this before exporting. Other widgets are kept.
    Returns the same notebook, changed in place.
    """
    widgets = nb.get("metadata", {}).get("widgets")
    if not widgets or WIDGET_STATE not in widgets:
        return nb
    states = widgets[WIDGET_STATE].get("state", {})
    marker = f"{GrantWidget.__module__}.{GrantWidget.__name__}"
    ours = [m for m, s in states.items() if s.get("state", {}).get("_anywidget_id") == marker]
    # each widget also saved the models it points to (its Layout): they go with it
    owned = {value[len("IPY_MODEL_"):] for m in ours for value in states[m].get("state", {}).values()
             if isinstance(value, str) and value.startswith("IPY_MODEL_")}
    for model_id in set(ours) | owned:
        states.pop(model_id, None)
    if not states:
        del nb["metadata"]["widgets"]
    return nb
