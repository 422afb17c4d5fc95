"""What differs per cluster of a fleet and is not a collector (obs.render.collector stamps those):
each cluster's kube-prometheus-stack values, with its cluster label and external labels, what its
Prometheus must accept (remote writes, exemplars: obs.topologies.prometheus), alerts to
the environment's Alertmanager and, with a global store, the Thanos sidecar or remote write into
Receive (obs.render.thanos)."""
from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import urlsplit

from obs.mappings import deep_merge
from obs.model.environment import Environment
from obs.model.fleet import Cluster
from obs.render import thanos
from obs.render.base import RenderContext, RenderedFile
from obs.render.layout import cluster_dir
from obs.topologies.prometheus import prometheus_stack_values

PROMETHEUS_VALUES = "prometheus/kube-prometheus-stack-values.yaml"


def alerting_values(env: Environment) -> dict[str, Any]:
    """A fleet's clusters send their alerts to the environment's Alertmanager (`urls.alertmanager`,
    where obs's routing is deployed with the environment-wide resources), not to one of their own."""
    url = urlsplit(env.urls.alertmanager)
    target = {"scheme": url.scheme, "static_configs": [{"targets": [url.netloc]}],
              **({"path_prefix": url.path} if url.path.strip("/") else {})}
    return {"alertmanager": {"enabled": False},
            "prometheus": {"prometheusSpec": {"additionalAlertManagerConfigs": [target]}}}


def prometheus_values(env: Environment, cluster: Cluster) -> dict[str, Any]:
    """One cluster's kube-prometheus-stack values."""
    values = deep_merge(prometheus_stack_values(env, cluster), alerting_values(env))
    if env.global_store is not None:
        values = deep_merge(values, thanos.prometheus_values(env, cluster))
    return values


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    """Each cluster's Prometheus values (fleets only: one cluster's are in grafana/ as before)."""
    if not ctx.env.fleet:
        return
    for cluster in ctx.env.clusters:
        yield RenderedFile(f"{cluster_dir(ctx.env, cluster)}{PROMETHEUS_VALUES}", prometheus_values(ctx.env, cluster))
