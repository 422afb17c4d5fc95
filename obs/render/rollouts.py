"""rollouts/: an AnalysisTemplate per canary-gated service, in the service's namespace (beside
its Rollout), with their own kustomization. Not part of the root kustomization, which moves
every object into the monitoring namespace.

Where the canary's series are decides where the templates go. Normally each cluster's Prometheus
holds them (scraped, or pushed by its collector gateway into its remote-write receiver): one
environment-wide `rollouts/` whose templates query `urls.prometheus`, the Prometheus of whichever
cluster runs the Rollout. With a Thanos Receive global store the gateways push into Receive and
a cluster's Prometheus never sees those series: each cluster gets its own
`clusters/<cluster>/rollouts/`, querying Thanos Query for its own cluster's canary."""
from __future__ import annotations

from typing import Iterable

from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import object_metadata
from obs.render.layout import cluster_dir
from obs.rollouts import analysis_template

ROLLOUTS_DIR = "rollouts"


def _templates(ctx: RenderContext, folder: str, prometheus: str, matchers: str = "") -> Iterable[RenderedFile]:
    paths = []
    for service in ctx.defs.services:
        if service.canary is None:
            continue
        name = f"{service.name}-slo"
        metadata = {**object_metadata(ctx, name, {"app.kubernetes.io/name": service.name}),
                    "namespace": service.namespace}
        path = f"analysistemplate-{service.namespace}-{service.name}.yaml"
        paths.append(path)
        yield RenderedFile(f"{folder}/{path}", analysis_template(service, ctx.defs.slos, prometheus, metadata,
                                                                 matchers))
    if paths:
        yield RenderedFile(f"{folder}/kustomization.yaml", {
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": sorted(paths)})


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    env, store = ctx.env, ctx.env.global_store
    if store is None or env.prometheus_receives_writes:
        yield from _templates(ctx, ROLLOUTS_DIR, env.urls.prometheus)
        return
    for cluster in env.clusters:
        yield from _templates(ctx, f"{cluster_dir(env, cluster)}{ROLLOUTS_DIR}", store.query_url(env.namespace),
                              f'{env.cluster_label}="{cluster.name}"')
