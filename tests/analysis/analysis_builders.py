"""Traces and logs with a known answer, written straight into a store's tables."""
from __future__ import annotations

import itertools
import json

import pandas as pd

T0 = pd.Timestamp("2026-11-29 14:00:00")
_ids = itertools.count(1)


def new_id(width: int = 16) -> str:
    return f"{next(_ids):0{width}x}"


class TraceBuilder:
    """Build one trace span by span; times are milliseconds after ``t0``."""

    def __init__(self, t0: pd.Timestamp = T0, trace_id: str | None = None):
        self.t0 = t0
        self.trace_id = trace_id or new_id(32)
        self.rows: list[dict] = []

    def span(self, service, name, start_ms, dur_ms, parent=None, *, kind="INTERNAL", status="UNSET",
             message=None, attrs=None, resource=None) -> str:
        span_id = new_id()
        start = self.t0 + pd.Timedelta(milliseconds=start_ms)
        end = start + pd.Timedelta(milliseconds=dur_ms)
        self.rows.append({
            "trace_id": self.trace_id, "span_id": span_id, "parent_span_id": parent, "service_name": service,
            "name": name, "kind": kind, "start_time": start, "end_time": end,
            "duration_ns": int(dur_ms * 1_000_000), "status_code": status, "status_message": message,
            "attributes": json.dumps(attrs or {}),
            "resource_attributes": json.dumps({"service.name": service, **(resource or {})}),
            "source_id": 1,
        })
        return span_id


def insert(store, table: str, rows: list[dict]) -> None:
    """Append rows (dicts of column -> value) to a store table."""
    if not rows:
        return
    frame = pd.DataFrame(rows)
    store.con.register("_rows", frame)
    try:
        store.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    finally:
        store.con.unregister("_rows")


def add_traces(store, *builders: TraceBuilder) -> None:
    insert(store, "spans", [r for b in builders for r in b.rows])


def log(time, body, *, service="checkout", trace_id=None, span_id=None, severity="INFO") -> dict:
    number = {"DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17}[severity]
    return {"time": time, "observed_time": time, "severity_text": severity, "severity_number": number,
            "service_name": service, "body": body, "trace_id": trace_id, "span_id": span_id,
            "attributes": "{}", "resource_attributes": json.dumps({"service.name": service}), "source_id": 1}


def checkout_trace(t0=T0, *, db_ms=20.0, version="1.4.0", region="us-east-1", pod="checkout-1",
                   error=False) -> TraceBuilder:
    """frontend -> checkout -> (cart, postgres SELECT, payment): a typical request."""
    b = TraceBuilder(t0)
    res = {"service.version": version, "cloud.region": region, "k8s.pod.name": pod}
    root = b.span("frontend", "GET /checkout", 0, 60 + db_ms, kind="SERVER", attrs={"http.route": "/checkout"},
                  resource={"cloud.region": region, "service.version": "3.0.0"})
    call = b.span("frontend", "POST checkout", 2, 56 + db_ms, root, kind="CLIENT")
    srv = b.span("checkout", "POST /checkout", 3, 54 + db_ms, call, kind="SERVER",
                 attrs={"http.route": "/checkout"}, resource=res,
                 status="ERROR" if error else "UNSET", message="payment declined" if error else None)
    b.span("cart", "GET /cart", 5, 10, srv, kind="SERVER", resource={"cloud.region": region})
    b.span("checkout", "SELECT orders", 16, db_ms, srv, kind="CLIENT",
           attrs={"db.system": "postgresql", "db.statement": "SELECT * FROM orders WHERE id = $1"}, resource=res)
    b.span("payment", "POST /charge", 18 + db_ms, 35, srv, kind="SERVER", resource={"cloud.region": region},
           status="ERROR" if error else "UNSET", message="declined" if error else None)
    return b


REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-south-1")
INCIDENT = ("2026-11-29T14:00Z", "2026-11-29T14:30Z")
BASELINE = ("2026-11-29T13:00Z", "2026-11-29T14:00Z")


def incident_scenario(store) -> dict:
    """An hour of healthy checkouts in four regions, then checkout 1.5.0 rolled out to eu-west-1 at 14:00:
    its database call takes 900 ms and half its requests fail; logs of a new error appear only then."""
    builders, logs = [], []
    start = T0 - pd.Timedelta("1h")
    for minute in range(90):
        for r, region in enumerate(REGIONS):
            t = start + pd.Timedelta(minutes=minute, seconds=r * 7)
            bad = t >= T0 and region == "eu-west-1"
            b = checkout_trace(t, db_ms=900 if bad else 15 + (minute % 5), region=region,
                               version="1.5.0" if bad else "1.4.0", pod=f"checkout-{region}-{minute % 3}",
                               error=bad and minute % 2 == 0)
            builders.append(b)
            srv = b.rows[2]
            logs.append(log(srv["start_time"] + pd.Timedelta("1ms"), f"order {minute * 10 + r} accepted for user "
                            f"u{r}{minute}", trace_id=b.trace_id, span_id=srv["span_id"]))
            logs.append(log(t, f"cache refresh took {r + minute % 7} ms", service="cart"))
            if bad:
                logs.append(log(srv["end_time"] - pd.Timedelta("2ms"),
                                f"pool exhausted: waited {850 + minute} ms for a connection to 10.0.3.{minute}",
                                severity="ERROR"))     # written without ids: matched by time
    add_traces(store, *builders)
    insert(store, "logs", logs)
    return {"builders": builders}
