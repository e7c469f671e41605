"""The in-notebook grant widget: a browser-side countdown with renew and revoke.

``GrantWidget`` is the anywidget class; ``grant_mimebundle`` is what a grant's
``_repr_mimebundle_`` returns (live widget + static fallback for exports);
``display_grant`` shows one explicitly; ``drop_grant_widget_state`` makes an
executed notebook's HTML export show the static fallback.
"""
from jitbench.widgets.fallback import (
    display_grant,
    drop_grant_widget_state,
    fallback_html,
    fallback_text,
    grant_mimebundle,
    grant_widget,
)
from jitbench.widgets.grant import GrantWidget, epoch_ms, lease_summary

__all__ = ["GrantWidget", "display_grant", "drop_grant_widget_state", "epoch_ms", "fallback_html",
           "fallback_text", "grant_mimebundle", "grant_widget", "lease_summary"]
