"""ServiceMonitor / PodMonitor (monitoring.coreos.com/v1) for each service the bundle scrapes
directly. Relabelings give the labels the rules expect: job = <namespace>/<name> (as OTLP-pushed
metrics have it), namespace and pod. The cluster label is not set here: it comes from
Prometheus' external labels or the remote-write path."""
from __future__ import annotations

from typing import Any, Iterable

from obs.errors import DefinitionError
from obs.model.checks import fit_k8s_name
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


def monitor_name(service: Service) -> str:
    """`<namespace>-<name>`, cut to 63 characters with a hash suffix when longer (obs.model.checks.fit_k8s_name)."""
    return fit_k8s_name(f"{service.namespace}-{service.name}")


def check_unique_names(services: Iterable[Service]) -> None:
    """Two services whose monitors would share a name (`a-b/c` and `a/b-c`): an error naming both,
    rather than two objects of one name that kustomize refuses."""
    seen: dict[str, Service] = {}
    for service in services:
        if service.scrape is None:
            continue
        name = monitor_name(service)
        other = seen.setdefault(name, service)
        if other is not service:
            raise DefinitionError(service.definition, "name", f"its {KIND[service.scrape.via]} would be named "
                                  f"{name!r}, like that of {other.definition}",
                                  "rename one of the services (or its namespace) so '<namespace>-<name>' differ")


def monitor(ctx: RenderContext, service: Service) -> dict[str, Any]:
    """The ServiceMonitor or PodMonitor scraping `service` (which must have `scrape`)."""
    scrape = service.scrape
    assert scrape is not None
    endpoint = {"port": scrape.port, "path": scrape.path, "interval": scrape.interval, "scheme": scrape.scheme,
                "relabelings": relabelings(service)}
    labels = {"app.kubernetes.io/name": service.name, **dict(ctx.env.rule_labels)}
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": KIND[scrape.via],
            "metadata": object_metadata(ctx, monitor_name(service), labels),
            "spec": {"selector": {"matchLabels": dict(sorted(service.selector.items()))},
                     "namespaceSelector": {"matchNames": [service.namespace]},
                     ENDPOINTS[scrape.via]: [endpoint]}}


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    """One monitor per scraped service; every cluster runs the same (the cluster base of a fleet)."""
    check_unique_names(ctx.defs.services)
    for service in ctx.defs.services:
        if service.scrape is not None:
            kind = KIND[service.scrape.via].lower()
            yield RenderedFile(f"{base_dir(ctx.env)}{KUBERNETES_DIR}/{kind}-{service.namespace}-{service.name}.yaml",
                               monitor(ctx, service))
