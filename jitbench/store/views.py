"""Views over the normalised tables that most investigations start from.

They cost nothing until queried and always reflect every load so far.
"""

VIEWS: dict[str, str] = {
    # spans with the figures people read: milliseconds and a root flag
    "spans_ms": """
        CREATE OR REPLACE VIEW spans_ms AS
        SELECT *, duration_ns / 1e6 AS duration_ms, parent_span_id IS NULL AS is_root
        FROM spans""",
    "root_spans": """
        CREATE OR REPLACE VIEW root_spans AS
        SELECT *, duration_ns / 1e6 AS duration_ms FROM spans WHERE parent_span_id IS NULL""",
    # a parent that is not in the store: the trace was cut (sampling, a window edge, a lost batch)
    "orphan_spans": """
        CREATE OR REPLACE VIEW orphan_spans AS
        SELECT s.* FROM spans s
        WHERE s.parent_span_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM spans p WHERE p.trace_id = s.trace_id AND p.span_id = s.parent_span_id)""",
    "traces": """
        CREATE OR REPLACE VIEW traces AS
        SELECT trace_id,
               min(start_time) AS start_time,
               max(end_time) AS end_time,
               (epoch_ns(max(end_time)) - epoch_ns(min(start_time))) / 1e6 AS duration_ms,
               count(*) AS spans,
               count(DISTINCT service_name) AS services,
               count(*) FILTER (WHERE status_code = 'ERROR') AS error_spans,
               any_value(name) FILTER (WHERE parent_span_id IS NULL) AS root_name,
               any_value(service_name) FILTER (WHERE parent_span_id IS NULL) AS root_service
        FROM spans GROUP BY trace_id""",
}
