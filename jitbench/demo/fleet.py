"""The demo shop's services, regions and pods: who runs what, where, in which version.

Pure data and a few small builders; :mod:`jitbench.demo.generate` walks it to
write traces and logs.  Kept apart so the notebooks and tests can name the
same services without importing the generator.
"""
from __future__ import annotations

import json
import random

REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-1")

# service -> (version before the incident, language of its SDK, instrumentation scope)
SERVICES = {
    "frontend": ("4.1.0", "nodejs", "@opentelemetry/instrumentation-http"),
    "auth": ("1.9.2", "go", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"),
    "cart": ("1.8.0", "dotnet", "OpenTelemetry.Instrumentation.AspNetCore"),
    "checkout": ("3.4.0", "go", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"),
    "currency": ("2.0.5", "cpp", "opentelemetry-cpp"),
    "email": ("1.2.1", "ruby", "OpenTelemetry::Instrumentation::Rack"),
    "inventory": ("5.0.3", "java", "io.opentelemetry.spring-webmvc-6.0"),
    "payment": ("2.3.0", "python", "opentelemetry.instrumentation.flask"),
    "recommendation": ("0.9.7", "python", "opentelemetry.instrumentation.flask"),
    "shipping": ("1.1.4", "rust", "opentelemetry-http"),
}

CULPRIT = "payment"
CULPRIT_VERSION = "2.3.1"
# a harmless rollout in another region, so "what was deployed?" alone does not answer the question
DECOY = ("frontend", "4.1.1")


def attrs(values: dict) -> list[dict]:
    """OTLP JSON key/value list from a plain dict (ints as strings, as the OTLP JSON mapping says).

    >>> attrs({"http.route": "/cart", "http.response.status_code": 200})[1]
    {'key': 'http.response.status_code', 'value': {'intValue': '200'}}
    """
    out = []
    for key, value in values.items():
        if isinstance(value, bool):
            v = {"boolValue": value}
        elif isinstance(value, int):
            v = {"intValue": str(value)}
        elif isinstance(value, float):
            v = {"doubleValue": value}
        else:
            v = {"stringValue": str(value)}
        out.append({"key": key, "value": v})
    return out


class Pod:
    """One running replica: its resource attributes are prebuilt once and shared by every span."""

    __slots__ = ("service", "version", "region", "name", "resource", "scope", "key", "prefix")

    def __init__(self, service: str, version: str, region: str, name: str):
        self.service, self.version, self.region, self.name = service, version, region, name
        self.key = (service, version, region, name)
        lang = SERVICES[service][1]
        self.resource = {"attributes": attrs({
            "service.name": service, "service.version": version, "service.namespace": "shop",
            "deployment.environment": "production", "cloud.provider": "aws", "cloud.region": region,
            "k8s.namespace.name": "shop", "k8s.pod.name": name, "k8s.deployment.name": service,
            "telemetry.sdk.language": lang, "telemetry.sdk.name": "opentelemetry",
        })}
        self.scope = {"name": SERVICES[service][2], "version": "1.27.0"}
        # the JSON text every resourceSpans entry of this pod starts with
        self.prefix = ('{"resource":%s,"scopeSpans":[{"scope":%s,"spans":['
                       % (json.dumps(self.resource, separators=(",", ":")), json.dumps(self.scope, separators=(",", ":"))))


def _pod_names(rng: random.Random, service: str, n: int) -> list[str]:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    rs = "".join(rng.choice(alphabet) for _ in range(10))
    return [f"{service}-{rs}-{''.join(rng.choice(alphabet) for _ in range(5))}" for _ in range(n)]


class Fleet:
    """Every pod of every service in every region, before and after the rollouts.

    ``pick(service, region, t_ns)`` returns the pod serving a request at that
    time: the culprit region's ``payment`` pods are replaced at ``deploy_ns``,
    the decoy's at ``decoy_ns``.
    """

    def __init__(self, rng: random.Random, culprit_region: str, deploy_ns: int, decoy_region: str, decoy_ns: int):
        self.before: dict[tuple[str, str], list[Pod]] = {}
        self.after: dict[tuple[str, str], tuple[int, list[Pod]]] = {}
        for service, (version, _, _) in SERVICES.items():
            for region in REGIONS:
                n = 3 if service in ("frontend", "checkout", "payment") else 2
                self.before[service, region] = [Pod(service, version, region, name)
                                                for name in _pod_names(rng, service, n)]
        self.after[CULPRIT, culprit_region] = (deploy_ns, [
            Pod(CULPRIT, CULPRIT_VERSION, culprit_region, name) for name in _pod_names(rng, CULPRIT, 3)])
        self.after[DECOY[0], decoy_region] = (decoy_ns, [
            Pod(DECOY[0], DECOY[1], decoy_region, name) for name in _pod_names(rng, DECOY[0], 3)])
        self._rng = rng

    def pick(self, service: str, region: str, t_ns: int) -> Pod:
        after = self.after.get((service, region))
        pods = after[1] if after and t_ns >= after[0] else self.before[service, region]
        return pods[self._rng.randrange(len(pods))]

    def rollouts(self) -> list[tuple[int, Pod]]:
        """(time, pod) of every pod started by a rollout, for the startup log lines."""
        return [(t, pod) for t, pods in self.after.values() for pod in pods]
