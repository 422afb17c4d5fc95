"""Services a bundle declares for delivery checks: how Prometheus scrapes them (when they are
scraped directly instead of pushing OTLP) and whether their canaries are gated on their SLOs.

    Service("cart", namespace="shop", scrape=Scrape(port="http-metrics"))       # -> ServiceMonitor
    Service("checkout", namespace="shop", canary=Canary())                        # -> AnalysisTemplate

`job` is "<namespace>/<name>", the value OTLP-pushed metrics carry (service.namespace/
service.name), so one rule selects a service whichever way its metrics arrive.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Mapping

from obs.errors import DefinitionError
from obs.model.checks import (
    check_duration, check_k8s_labels, check_port_name, check_slug, duration_seconds, frozen_mapping,
)



@dataclass(frozen=True)
class Scrape:
    """Scrape the service's `port` (a named port) at `path` every `interval`: through its
    Kubernetes Service (`via='service'`, a ServiceMonitor) or straight from its pods
    (`via='pod'`, a PodMonitor, for workloads without a Service)."""

    port: str
    path: str = "/metrics"
    interval: str = "30s"
    via: Literal["service", "pod"] = "service"
    scheme: Literal["http", "https"] = "http"

    def check(self, what: str) -> None:
        check_port_name(what, "scrape.port", self.port)
        if not isinstance(self.path, str) or not re.fullmatch(r"/[^\s\x00-\x1f\x7f?#]*", self.path):
            raise DefinitionError(what, "scrape.path", f"{self.path!r} is not an absolute path", "e.g. '/metrics'")
        check_duration(what, "scrape.interval", self.interval)
        if self.via not in ("service", "pod"):
            raise DefinitionError(what, "scrape.via", f"{self.via!r} is not 'service' or 'pod'",
                                  "'service' for a ServiceMonitor, 'pod' for a PodMonitor")
        if self.scheme not in ("http", "https"):
            raise DefinitionError(what, "scrape.scheme", f"{self.scheme!r} is not http or https")


@dataclass(frozen=True)
class Canary:
    """Gate the service's canary on its SLOs (an Argo Rollouts AnalysisTemplate): every
    `interval`, `count` times, the canary's success ratio over `window` must meet each SLO's
    objective; `failure_limit` failed measurements abort the rollout."""

    interval: str = "1m"
    count: int = 5
    failure_limit: int = 1
    window: str = "5m"

    def check(self, what: str) -> None:
        check_duration(what, "canary.interval", self.interval)
        check_duration(what, "canary.window", self.window)
        for name in ("count", "failure_limit"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if name == "count" else 0):
                raise DefinitionError(what, f"canary.{name}", f"{value!r} is not a valid count",
                                      "count >= 1, failure_limit >= 0")
        if duration_seconds(self.window) < duration_seconds(self.interval):
            raise DefinitionError(what, "canary.window", f"{self.window} is shorter than the {self.interval} "
                                  "interval, so requests between measurements are never counted",
                                  "make the window at least the interval")


@dataclass(frozen=True)
class Service:
    """A workload in `namespace`; `selector` holds the labels of its Service (via='service') or
    pods (via='pod'), by default app.kubernetes.io/name=<name>."""

    name: str
    namespace: str
    selector: Mapping[str, str] = field(default_factory=dict)
    scrape: Scrape | None = None
    canary: Canary | None = None

    @property
    def definition(self) -> str:
        return f"service '{self.namespace}/{self.name}'"

    @property
    def job(self) -> str:
        """The job label its metrics carry (scraped or pushed alike)."""
        return f"{self.namespace}/{self.name}"

    def __post_init__(self) -> None:
        what = self.definition
        check_slug(what, "name", self.name)
        check_slug(what, "namespace", self.namespace)
        object.__setattr__(self, "selector", frozen_mapping(self.selector or {"app.kubernetes.io/name": self.name}))
        check_k8s_labels(what, "selector", self.selector)
        if self.scrape is not None:
            if not isinstance(self.scrape, Scrape):
                raise DefinitionError(what, "scrape", f"{self.scrape!r} is not a Scrape",
                                      "write Scrape(port='http-metrics')")
            self.scrape.check(what)
        if self.canary is not None:
            if not isinstance(self.canary, Canary):
                raise DefinitionError(what, "canary", f"{self.canary!r} is not a Canary", "write Canary()")
            self.canary.check(what)


__all__ = ["Canary", "Scrape", "Service"]
