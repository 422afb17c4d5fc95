"""Kubernetes manifests: PrometheusRule CRDs, and the kustomization listing every manifest."""
from __future__ import annotations

from typing import Any, Iterable

from obs.errors import DefinitionError
from obs.render.base import RenderContext, RenderedFile
from obs.render.prometheus import rule_groups_block

KUBERNETES_DIR = "kubernetes"


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


def render_prometheus_rules(ctx: RenderContext) -> Iterable[RenderedFile]:
    """One PrometheusRule (monitoring.coreos.com/v1) per rule pack, labelled for the ruleSelector."""
    for pack in ctx.defs.all_rule_packs():
        yield RenderedFile(f"{KUBERNETES_DIR}/prometheusrule-{pack.name}.yaml", {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": object_metadata(ctx, pack.name, dict(ctx.env.rule_labels)),
            "spec": rule_groups_block(ctx, pack),
        })


def kustomization(ctx: RenderContext, paths: Iterable[str]) -> RenderedFile:
    """kustomization.yaml listing every Kubernetes manifest obs wrote, sorted, then the team's
    `extra_resources` in their order."""
    paths = set(paths)
    resources = sorted(p for p in paths if p.startswith(f"{KUBERNETES_DIR}/") and p.endswith(".yaml"))
    for extra in ctx.defs.extra_resources:
        if extra in paths or extra == "kustomization.yaml":
            raise DefinitionError(ctx.env.definition, "extra_resources", f"{extra!r} is a file obs writes",
                                  "list only files obs does not write (obs lists its own manifests)")
    resources += list(ctx.defs.extra_resources)
    return RenderedFile("kustomization.yaml", {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": ctx.env.namespace,
        "resources": resources,
    })
