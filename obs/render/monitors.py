"""ServiceMonitor / PodMonitor (monitoring.coreos.com/v1) for each service the bundle scrapes
directly. Relabelings give the labels the rules expect: job = <namespace>/<name> (as OTLP-pushed
metrics have it), namespace and pod. The cluster label is not set here: it comes from
Prometheus' external labels or the remote-write path."""
from __future__ import annotations

from typing import Any, Iterable

from obs.model.service import Service
from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import KUBERNETES_DIR, object_metadata
from obs.render.layout import base_dir

KIND = {"service": "ServiceMonitor", "pod": "PodMonitor"}
ENDPOINTS = {"service": "endpoints", "pod": "podMetricsEndpoints"}


def relabelings(service: Service) -> list[dict[str, Any]]:
    """Target relabelings (applied after the operator's own, so they win)."""
    return [
        {"action": "replace", "targetLabel": "job", "replacement": service.job},
        {"action": "replace", "sourceLabels": ["__meta_kubernetes_namespace"], "targetLabel": "namespace"},
        {"action": "replace", "sourceLabels": ["__meta_kubernetes_pod_name"], "targetLabel": "pod"},
    ]


def monitor(ctx: RenderContext, service: Service) -> dict[str, Any]:
    """The ServiceMonitor or PodMonitor scraping `service` (which must have `scrape`)."""
    scrape = service.scrape
    assert scrape is not None
    endpoint = {"port": scrape.port, "path": scrape.path, "interval": scrape.interval, "scheme": scrape.scheme,
                "relabelings": relabelings(service)}
    labels = {"app.kubernetes.io/name": service.name, **dict(ctx.env.rule_labels)}
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": KIND[scrape.via],
            "metadata": object_metadata(ctx, f"{service.namespace}-{service.name}"[:63], labels),
            "spec": {"selector": {"matchLabels": dict(sorted(service.selector.items()))},
                     "namespaceSelector": {"matchNames": [service.namespace]},
                     ENDPOINTS[scrape.via]: [endpoint]}}


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    """One monitor per scraped service; every cluster runs the same (the cluster base of a fleet)."""
    for service in ctx.defs.services:
        if service.scrape is not None:
            kind = KIND[service.scrape.via].lower()
            yield RenderedFile(f"{base_dir(ctx.env)}{KUBERNETES_DIR}/{kind}-{service.namespace}-{service.name}.yaml",
                               monitor(ctx, service))
