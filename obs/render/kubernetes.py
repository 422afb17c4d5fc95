"""Kubernetes object metadata, and the kustomizations listing every manifest (the environment's,
and in a fleet the cluster base's and each cluster's)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from obs.errors import DefinitionError
from obs.render.base import RenderContext, RenderedFile
from obs.render.layout import cluster_dir, tier_dir

if TYPE_CHECKING:
    from obs.model.environment import Environment

KUBERNETES_DIR = "kubernetes"
SERVICE_LABEL = "obs.dev/service"  # each Service's own name, so a ServiceMonitor picks exactly one


def object_metadata(ctx: RenderContext, name: str, labels: dict[str, str] | None = None,
                    annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """Metadata every obs-made Kubernetes object carries (namespace, managed-by and part-of labels)."""
    meta: dict[str, Any] = {
        "name": name,
        "namespace": ctx.env.namespace,
        "labels": dict(sorted({
            "app.kubernetes.io/managed-by": "obs",
            "app.kubernetes.io/part-of": ctx.bundle.name,
            **(labels or {}),
        }.items())),
    }
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return meta


def cluster_relabelings(env: Environment, cluster: str | None = None) -> list[dict[str, str]]:
    """ServiceMonitor relabelings stamping the cluster label (`cluster`, default the environment's
    `cluster_stamp`) on every scraped series, so the self-metrics of two clusters stay apart in a
    shared Mimir/Thanos and locally (the Operator already adds `namespace`, `service`, `pod` and `job`)."""
    return [{"action": "replace", "targetLabel": env.cluster_label, "replacement": cluster or env.cluster_stamp}]


def service_monitor(ctx: RenderContext, name: str, labels: dict[str, str], selector: dict[str, str], port: str,
                    interval: str = "30s") -> dict[str, Any]:
    """A ServiceMonitor (monitoring.coreos.com/v1) scraping `/metrics` on the named `port` of the
    Services in the environment's namespace that carry `selector`; labelled with the environment's
    rule_labels like the PrometheusRules, so the same Prometheus picks both up."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": object_metadata(ctx, name, {**labels, **dict(ctx.env.rule_labels)}),
            "spec": {"selector": {"matchLabels": selector},
                     "namespaceSelector": {"matchNames": [ctx.env.namespace]},
                     "endpoints": [{"port": port, "path": "/metrics", "interval": interval}]}}


def _kustomization(ctx: RenderContext, resources: list[str]) -> dict[str, Any]:
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "namespace": ctx.env.namespace, "resources": resources}


def _manifests(paths: Iterable[str], prefix: str) -> list[str]:
    """The Kubernetes manifests under `<prefix>kubernetes/`, relative to `prefix`, sorted."""
    return sorted(p[len(prefix):] for p in paths
                  if p.startswith(f"{prefix}{KUBERNETES_DIR}/") and p.endswith(".yaml")
                  and "/" not in p[len(prefix) + len(KUBERNETES_DIR) + 1:])


def kustomization(ctx: RenderContext, paths: Iterable[str]) -> RenderedFile:
    """kustomization.yaml listing every Kubernetes manifest obs wrote, sorted, then the team's
    `extra_resources` in their order (in a fleet: the environment-wide manifests only)."""
    paths = set(paths)
    resources = _manifests(paths, "")
    for extra in ctx.defs.extra_resources:
        if extra in paths or extra == "kustomization.yaml":
            raise DefinitionError(ctx.env.definition, "extra_resources", f"{extra!r} is a file obs writes",
                                  "list only files obs does not write (obs lists its own manifests)")
    resources += list(ctx.defs.extra_resources)
    return RenderedFile("kustomization.yaml", _kustomization(ctx, resources))


def overlay_kustomizations(ctx: RenderContext, paths: Iterable[str]) -> list[RenderedFile]:
    """A fleet's cluster kustomizations: the cluster base (what every cluster runs alike) and one
    per cluster (the base plus the cluster's own manifests), the path an Argo CD ApplicationSet's
    cluster generator or a Flux Kustomization points at. None outside a fleet."""
    if not ctx.env.fleet:
        return []
    paths = set(paths)
    base = tier_dir(ctx.env, "cluster")
    out = [RenderedFile(f"{base}kustomization.yaml", _kustomization(ctx, _manifests(paths, base)))]
    for cluster in ctx.env.clusters:
        own = cluster_dir(ctx.env, cluster)
        depth = "../" * own.count("/")
        out.append(RenderedFile(f"{own}kustomization.yaml",
                                _kustomization(ctx, [f"{depth}{base.rstrip('/')}", *_manifests(paths, own)])))
    return out
