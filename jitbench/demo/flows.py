"""The shop's request flows: one function per endpoint, writing spans and logs into a :class:`Trace`.

Times are integer nanoseconds.  A handler gets the pod that serves the request
and the time it starts, records its own children, and returns
``(end_ns, http_status, error_message)``.  The incident lives in
:func:`charge`: a ``payment`` pod of the culprit version has a pool of 10
connections instead of 50, so under load its database spans wait for a
connection and some time out after 5 s.
"""
from __future__ import annotations

import json
import random

from .fleet import CULPRIT_VERSION, Fleet, Pod, attrs

MS = 1_000_000
SERVER, CLIENT, INTERNAL = 2, 3, 1
_OK, _UNSET = '{"code":1}', "{}"
_SPAN = ('{"traceId":"%s","spanId":"%s","parentSpanId":"%s","name":%s,"kind":%d,"startTimeUnixNano":"%d",'
         '"endTimeUnixNano":"%d","attributes":%s,"status":%s%s}')
_JSON_CACHE: dict = {}


def _json(value) -> str:
    """Compact JSON of a name or an attribute dict, cached: most spans repeat a few hundred of them."""
    key = tuple(value.items()) if isinstance(value, dict) else value
    text = _JSON_CACHE.get(key)
    if text is None:
        if len(_JSON_CACHE) > 100_000:  # bounded: url paths with ids keep it from growing forever
            _JSON_CACHE.clear()
        text = json.dumps(attrs(value) if isinstance(value, dict) else value, separators=(",", ":"))
        _JSON_CACHE[key] = text
    return text

POOL_TIMEOUT_MS = 5000
POOL_MESSAGE = "connection pool exhausted: size={size} in_use={size} waiting={waiting} waited_ms={waited}"


class Trace:
    """Spans (as OTLP JSON text) and log records of one request, grouped later by pod into resourceSpans.

    Spans are formatted to JSON text as they are made: building dicts for
    ``json.dumps`` costs several times more, and the 1M-span benchmark
    inputs are made with this same code.
    """

    __slots__ = ("rng", "fleet", "region", "trace_id", "spans", "logs", "incident")

    def __init__(self, rng: random.Random, fleet: Fleet, region: str, incident: bool):
        self.rng, self.fleet, self.region, self.incident = rng, fleet, region, incident
        self.trace_id = "%032x" % rng.getrandbits(128)
        self.spans: list[tuple[Pod, str, int]] = []
        self.logs: list[tuple[Pod, int, str, str, str]] = []

    def new_id(self) -> str:
        return "%016x" % self.rng.getrandbits(64)

    def add(self, pod: Pod, span_id: str, parent: str, name: str, kind: int, start: int, end: int,
            values: dict, error: str | None = None, events: list | None = None) -> None:
        if error:
            status = '{"code":2,"message":%s}' % json.dumps(error)
        else:
            status = _UNSET if kind == CLIENT else _OK
        extra = ',"events":' + json.dumps(events, separators=(",", ":")) if events else ""
        self.spans.append((pod, _SPAN % (self.trace_id, span_id, parent, _json(name), kind, start, end,
                                         _json(values), status, extra), start))

    def log(self, pod: Pod, t: int, severity: str, body: str, span_id: str) -> None:
        self.logs.append((pod, t, severity, body, span_id))

    def ms(self, lo: float, hi: float) -> int:
        """A duration between lo and hi milliseconds, skewed towards lo like real latencies."""
        return int((lo + (hi - lo) * self.rng.random() ** 2.5) * MS)


def call(tr: Trace, caller: Pod, callee: str, method: str, route: str, path: str, parent: str, t: int,
         handler) -> tuple[int, int, str | None]:
    """The caller's CLIENT span around the callee's SERVER span, as two instrumented services record them."""
    pod = tr.fleet.pick(callee, tr.region, t)
    client_id, server_id = tr.new_id(), tr.new_id()
    t_server = t + tr.ms(0.2, 1.5)
    t_end, status, error = handler(tr, pod, server_id, t_server)
    t_back = t_end + tr.ms(0.2, 1.5)
    name = f"{method} {route}"
    failed = status >= 500
    tr.add(pod, server_id, client_id, name, SERVER, t_server, t_end,
           {"http.request.method": method, "http.route": route, "url.path": path,
            "http.response.status_code": status, "server.address": callee},
           f"{error or 'HTTP'} ({status})" if failed else None)
    tr.add(caller, client_id, parent, name, CLIENT, t, t_back,
           {"http.request.method": method, "url.full": f"http://{callee}:8080{path}",
            "server.address": callee, "server.port": 8080, "http.response.status_code": status},
           f"HTTP {status}" if failed else None)
    return t_back, status, error


def db(tr: Trace, pod: Pod, parent: str, t: int, system: str, statement: str, table: str,
       lo: float = 0.5, hi: float = 8.0, wait_ms: int = 0, timeout: bool = False) -> int:
    """A database CLIENT span; ``wait_ms`` is time spent waiting for a pooled connection first."""
    span_id = tr.new_id()
    operation = statement.split()[0].upper()
    events = None
    error = None
    end = t + wait_ms * MS + (0 if timeout else tr.ms(lo, hi))
    if wait_ms:
        events = [{"timeUnixNano": str(t), "name": "pool.wait",
                   "attributes": attrs({"db.client.connection.pool.name": "payments", "pool.size": 10})}]
    if timeout:
        error = f"PoolTimeout: couldn't get a connection after {POOL_TIMEOUT_MS / 1000:.2f} sec"
        events.append({"timeUnixNano": str(end), "name": "exception", "attributes": attrs({
            "exception.type": "psycopg_pool.PoolTimeout", "exception.message": error.split(": ", 1)[1]})})
    values = {"db.system": system, "db.name": "shop" if system == "postgresql" else "0",
              "db.operation": operation, "db.sql.table": table, "db.statement": statement,
              "server.address": f"{system}.{tr.region}.internal"}
    if system == "postgresql":
        values["db.client.connection.pool.name"] = pod.service
    tr.add(pod, span_id, parent, f"{operation} shop.{table}" if system == "postgresql" else operation,
           CLIENT, t, end, values, error, events)
    return end


# -- handlers: (tr, pod, span_id, t) -> (end, status, error) -------------------

def convert(tr, pod, sid, t):
    return t + tr.ms(0.3, 4), 200, None


def recommend(tr, pod, sid, t):
    # a slow tail in every region and window: a red herring for the latency charts
    slow = tr.rng.random() < 0.03
    return t + (tr.ms(300, 900) if slow else tr.ms(4, 30)), 200, None


def validate_token(tr, pod, sid, t):
    if tr.rng.random() < 0.05:
        tr.log(pod, t, "DEBUG", f"token validated for user u-{tr.rng.randrange(10**6):06d}", sid)
    return t + tr.ms(0.5, 5), 200, None


def stock(tr, pod, sid, t):
    end = db(tr, pod, sid, t + tr.ms(0.1, 1), "postgresql",
             "SELECT sku, quantity FROM stock WHERE sku = $1", "stock")
    return end + tr.ms(0.1, 1), 200, None


def get_cart(tr, pod, sid, t):
    end = db(tr, pod, sid, t + tr.ms(0.1, 0.5), "redis", "HGETALL cart:{id}", "cart", 0.1, 2)
    return end + tr.ms(0.2, 1), 200, None


def reserve(tr, pod, sid, t, order: str):
    end = db(tr, pod, sid, t + tr.ms(0.1, 1), "postgresql",
             "UPDATE stock SET quantity = quantity - $2 WHERE sku = $1 AND quantity >= $2", "stock", 1, 15)
    if tr.rng.random() < 0.002:
        tr.log(pod, end, "WARN", f"stock for order {order} is below the reorder level", sid)
        return end + tr.ms(0.1, 1), 409, None
    tr.log(pod, end, "INFO", f"reserved {tr.rng.randint(1, 5)} items for order {order}", sid)
    return end + tr.ms(0.1, 1), 200, None


def charge(tr, pod, sid, t, order: str):
    t = db(tr, pod, sid, t + tr.ms(0.2, 1), "postgresql",
           "SELECT id, brand, last4 FROM payment_methods WHERE customer_id = $1", "payment_methods")
    wait, timeout = 0, False
    if pod.version == CULPRIT_VERSION and tr.incident:
        # 10 connections for the load 50 used to carry: requests queue for the pool
        if tr.rng.random() < 0.42:
            wait, timeout = POOL_TIMEOUT_MS, True
        else:
            wait = int(tr.ms(150, 4600) / MS)
        tr.log(pod, t + min(wait, 50) * MS, "WARN" if not timeout else "ERROR",
               POOL_MESSAGE.format(size=10, waiting=tr.rng.randint(12, 60), waited=wait), sid)
    end = db(tr, pod, sid, t, "postgresql",
             "INSERT INTO payments (order_id, amount, currency, status) VALUES ($1, $2, $3, 'authorized')",
             "payments", 1, 12, wait_ms=wait, timeout=timeout)
    if timeout:
        tr.log(pod, end, "ERROR", f"charge for order {order} failed: PoolTimeout after {POOL_TIMEOUT_MS} ms", sid)
        return end + tr.ms(0.2, 1), 503, "PoolTimeout"
    if tr.rng.random() < 0.001:
        tr.log(pod, end, "WARN", f"card declined for order {order}", sid)
        return end + tr.ms(0.2, 1), 402, None
    tr.log(pod, end, "INFO", f"charge ch_{tr.rng.getrandbits(40):010x} authorized for order {order}", sid)
    return end + tr.ms(0.2, 1), 200, None


def quote(tr, pod, sid, t):
    if tr.rng.random() < 0.003:
        tr.log(pod, t, "ERROR", "carrier rate API timed out after 800 ms", sid)
        return t + 800 * MS, 504, "carrier timeout"
    return t + tr.ms(2, 25), 200, None


def send_email(tr, pod, sid, t, order: str):
    tr.log(pod, t, "INFO", f"confirmation for order {order} queued", sid)
    return t + tr.ms(3, 40), 202, None


def checkout(tr, pod, sid, t):
    order = f"o-{tr.rng.getrandbits(32):08x}"
    t, *_ = call(tr, pod, "cart", "GET", "/cart/{id}", "/cart/c", sid, t + tr.ms(0.1, 1), get_cart)
    t, status, _ = call(tr, pod, "inventory", "POST", "/reserve", "/reserve", sid, t,
                        lambda *a: reserve(*a, order))
    if status != 200:
        tr.log(pod, t, "WARN", f"order {order} rejected: out of stock", sid)
        return t, 409, None
    t, *_ = call(tr, pod, "currency", "GET", "/convert", "/convert", sid, t, convert)
    t, status, error = call(tr, pod, "payment", "POST", "/charge", "/charge", sid, t,
                            lambda *a: charge(*a, order))
    if status >= 500:
        tr.log(pod, t, "ERROR", f"order {order} failed: payment returned {status}", sid)
        return t + tr.ms(0.1, 1), 502, f"payment {error}"
    if status != 200:
        return t, 402, None
    t, status, error = call(tr, pod, "shipping", "POST", "/quote", "/quote", sid, t, quote)
    if status >= 500:
        tr.log(pod, t, "ERROR", f"order {order} failed: shipping returned {status}", sid)
        return t + tr.ms(0.1, 1), 502, f"shipping {error}"
    t, *_ = call(tr, pod, "email", "POST", "/send", "/send", sid, t, lambda *a: send_email(*a, order))
    tr.log(pod, t, "INFO", f"order {order} placed", sid)
    return t + tr.ms(0.1, 1), 200, None


# -- entry points: frontend SERVER spans ---------------------------------------

def _frontend(tr: Trace, t: int, method: str, route: str, path: str, body) -> None:
    pod = tr.fleet.pick("frontend", tr.region, t)
    sid = tr.new_id()
    end, status, error = body(pod, sid, t + tr.ms(0.2, 2))
    end += tr.ms(0.2, 3)
    failed = status >= 500
    tr.add(pod, sid, "", f"{method} {route}", SERVER, t, end,
           {"http.request.method": method, "http.route": route, "url.path": path,
            "http.response.status_code": status, "user_agent.original": "Mozilla/5.0"},
           f"upstream {error} ({status})" if failed else None)
    severity = "ERROR" if failed else "INFO"
    tr.log(pod, end, severity, f"{method} {path} {status} {(end - t) // MS} ms", sid)


def product_page(tr: Trace, t: int) -> None:
    item = f"SKU-{tr.rng.randrange(2000):04d}"

    def body(pod, sid, t):
        t, *_ = call(tr, pod, "currency", "GET", "/convert", "/convert", sid, t, convert)
        t, *_ = call(tr, pod, "inventory", "GET", "/stock/{sku}", f"/stock/{item}", sid, t, stock)
        t, *_ = call(tr, pod, "recommendation", "GET", "/recommendations", "/recommendations", sid, t, recommend)
        return t, 200, None
    _frontend(tr, t, "GET", "/product/{id}", f"/product/{item}", body)


def cart_page(tr: Trace, t: int) -> None:
    def body(pod, sid, t):
        t, *_ = call(tr, pod, "auth", "POST", "/validate", "/validate", sid, t, validate_token)
        return call(tr, pod, "cart", "GET", "/cart/{id}", "/cart/c", sid, t, get_cart)
    _frontend(tr, t, "GET", "/cart", "/cart", body)


def checkout_page(tr: Trace, t: int) -> None:
    def body(pod, sid, t):
        t, *_ = call(tr, pod, "auth", "POST", "/validate", "/validate", sid, t, validate_token)
        t, status, error = call(tr, pod, "checkout", "POST", "/checkout", "/checkout", sid, t, checkout)
        return t, (500 if status >= 500 else status), error
    _frontend(tr, t, "POST", "/checkout", "/checkout", body)


# (flow, share of requests): product pages dominate, a fifth of requests check out
MIX = ((product_page, 0.55), (cart_page, 0.25), (checkout_page, 0.20))
