"""The investigation store's tables: one schema whatever the source format.

Ids are lower-case hex text; times are ``TIMESTAMP_NS`` in UTC (nanoseconds
kept); attributes are JSON objects (key -> scalar or JSON value) kept as
DuckDB ``JSON`` text, because flattening to JSON text ingests about twice as
fast as building a MAP, and the analysis functions extract only the keys they
need.  ``source_id`` ties every row to the ``sources`` row of its load.
"""

TABLES: dict[str, str] = {
    "sources": """
        CREATE TABLE IF NOT EXISTS sources (
            source_id     INTEGER PRIMARY KEY,
            kind          VARCHAR NOT NULL,   -- file | http | postgres | memory
            uri           VARCHAR NOT NULL,   -- path, URL or query (never a credential)
            format        VARCHAR,            -- otlp-traces, jaeger, zipkin, loki, ...
            lease_id      VARCHAR,            -- the lease the bytes were read under
            grant_id      VARCHAR,
            loaded_at     TIMESTAMPTZ NOT NULL,
            rows_loaded   BIGINT NOT NULL DEFAULT 0,
            rows_rejected BIGINT NOT NULL DEFAULT 0,
            bytes         BIGINT NOT NULL DEFAULT 0,
            seconds       DOUBLE NOT NULL DEFAULT 0,
            warnings      VARCHAR[]
        )""",
    "spans": """
        CREATE TABLE IF NOT EXISTS spans (
            trace_id            VARCHAR NOT NULL,
            span_id             VARCHAR NOT NULL,
            parent_span_id      VARCHAR,          -- NULL for a root
            trace_state         VARCHAR,
            service_name        VARCHAR,          -- NULL when the source has none
            name                VARCHAR,
            kind                VARCHAR,          -- UNSPECIFIED/INTERNAL/SERVER/CLIENT/PRODUCER/CONSUMER
            start_time          TIMESTAMP_NS,     -- UTC
            end_time            TIMESTAMP_NS,     -- UTC
            duration_ns         BIGINT,
            status_code         VARCHAR,          -- UNSET/OK/ERROR
            status_message      VARCHAR,
            attributes          JSON,
            resource_attributes JSON,
            scope_name          VARCHAR,
            scope_version       VARCHAR,
            source_id           INTEGER
        )""",
    "span_events": """
        CREATE TABLE IF NOT EXISTS span_events (
            trace_id   VARCHAR NOT NULL,
            span_id    VARCHAR NOT NULL,
            time       TIMESTAMP_NS,
            name       VARCHAR,
            attributes JSON,
            source_id  INTEGER
        )""",
    "span_links": """
        CREATE TABLE IF NOT EXISTS span_links (
            trace_id        VARCHAR NOT NULL,
            span_id         VARCHAR NOT NULL,
            linked_trace_id VARCHAR,
            linked_span_id  VARCHAR,
            trace_state     VARCHAR,
            attributes      JSON,
            source_id       INTEGER
        )""",
    "logs": """
        CREATE TABLE IF NOT EXISTS logs (
            time                TIMESTAMP_NS,     -- UTC; observed_time when the record has none
            observed_time       TIMESTAMP_NS,
            severity_text       VARCHAR,
            severity_number     INTEGER,          -- OTLP 1..24; NULL when unknown
            service_name        VARCHAR,
            body                VARCHAR,
            trace_id            VARCHAR,
            span_id             VARCHAR,
            attributes          JSON,
            resource_attributes JSON,
            source_id           INTEGER
        )""",
    "rejects": """
        CREATE TABLE IF NOT EXISTS rejects (
            source_id INTEGER,
            location  VARCHAR NOT NULL,   -- file:line, or URL#response-index
            error     VARCHAR NOT NULL,
            raw       VARCHAR             -- the record's text, cut to 2,000 characters
        )""",
}
