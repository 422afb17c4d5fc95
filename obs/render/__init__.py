"""Render a bundle's environment to files: every renderer, then the kustomization."""
from __future__ import annotations

from obs.errors import DefinitionError
from obs.files import Files
from obs.model.bundle import Bundle
from obs.model.environment import Environment
from obs.instrumentation import render as instrumentation
from obs.render import (
    alertmanager, backends, clusters, collector, grafana, kubernetes, monitors, prometheus, prometheusrule, rollouts,
    thanos,
)
from obs.render.base import RenderContext, RenderedFile, Renderer

# Each renderer owns a part of the output folder; add new ones here.
RENDERERS: tuple[Renderer, ...] = (
    prometheus.render,
    prometheusrule.render,
    grafana.render,
    backends.render_tempo,
    backends.render_loki,
    instrumentation.render,
    collector.render,
    alertmanager.render,
    monitors.render,
    rollouts.render,
    thanos.render,
    clusters.render,
)


def render_environment(bundle: Bundle, env: Environment, ctx: RenderContext | None = None) -> Files:
    """All files of one environment, path -> bytes, sorted by path (held compressed, see
    obs.files). Pass `ctx` to share what was built with the linters that run on the same context."""
    ctx = ctx or RenderContext(bundle=bundle, env=env, defs=bundle.definitions(env))
    files = Files()  # serialised as they come, so the rendered data can be freed
    for renderer in RENDERERS:
        for rendered in renderer(ctx):
            if rendered.path in files:
                raise DefinitionError(env.definition, "output", f"two definitions render {rendered.path}",
                                      "give them different names")
            files.add(rendered.path, rendered.to_bytes())
    for kustomization in (kubernetes.kustomization(ctx, files), *kubernetes.overlay_kustomizations(ctx, files)):
        files.add(kustomization.path, kustomization.to_bytes())
    unused = env.unused_overrides()
    if unused:
        raise DefinitionError(env.definition, "overrides", f"no definition reads {', '.join(unused)}",
                              "fix the key's spelling or remove the override")
    return files


__all__ = ["RENDERERS", "RenderContext", "RenderedFile", "render_environment"]
