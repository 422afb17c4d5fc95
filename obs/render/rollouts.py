"""rollouts/: an AnalysisTemplate per canary-gated service, in the service's namespace (beside
its Rollout), with their own kustomization. Not part of the root kustomization, which moves
every object into the monitoring namespace."""
from __future__ import annotations

from typing import Iterable

from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import object_metadata
from obs.rollouts import analysis_template

ROLLOUTS_DIR = "rollouts"


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    paths = []
    for service in ctx.defs.services:
        if service.canary is None:
            continue
        name = f"{service.name}-slo"
        metadata = {**object_metadata(ctx, name, {"app.kubernetes.io/name": service.name}),
                    "namespace": service.namespace}
        path = f"analysistemplate-{service.namespace}-{service.name}.yaml"
        paths.append(path)
        yield RenderedFile(f"{ROLLOUTS_DIR}/{path}", analysis_template(
            service, ctx.defs.slos, ctx.env.urls.prometheus, metadata))
    if paths:
        yield RenderedFile(f"{ROLLOUTS_DIR}/kustomization.yaml", {
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": sorted(paths)})
