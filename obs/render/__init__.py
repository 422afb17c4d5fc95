"""Render a bundle's environment to files: every renderer, then the kustomization."""
from __future__ import annotations

import difflib

from obs.errors import DefinitionError
from obs.files import RAW_BUDGET, Files
from obs.model.bundle import Bundle
from obs.model.environment import Environment
from obs.instrumentation import render as instrumentation
from obs.render import (
    alertmanager, backends, clusters, collector, grafana, jaeger, kubernetes, mesh, monitors, prometheus,
    prometheusrule, rollouts, thanos,
)
from obs.render.base import RenderContext, RenderedFile, Renderer

# Each renderer owns a part of the output folder; add new ones here.
RENDERERS: tuple[Renderer, ...] = (
    prometheus.render,
    prometheusrule.render,
    grafana.render,
    backends.render_tempo,
    backends.render_loki,
    jaeger.render,
    mesh.render,
    instrumentation.render,
    collector.render,
    alertmanager.render,
    monitors.render,
    rollouts.render,
    thanos.render,
    clusters.render,
)


def render_environment(bundle: Bundle, env: Environment, ctx: RenderContext | None = None,
                       check_overrides: bool = True, raw_budget: int = RAW_BUDGET) -> Files:
    """All files of one environment, path -> bytes, sorted by path (held compressed past
    `raw_budget` bytes, see obs.files). Pass `ctx` to share what was built with the linters that
    run on the same context; `check_overrides=False` (for `obs params`) keeps an override no
    definition reads from failing."""
    ctx = ctx or RenderContext(bundle=bundle, env=env, defs=bundle.definitions(env))
    files = Files(raw_budget=raw_budget)  # serialised as they come, so the rendered data can be freed
    for renderer in RENDERERS:
        for rendered in renderer(ctx):
            if rendered.path in files:
                raise DefinitionError(env.definition, "output", f"two definitions render {rendered.path}",
                                      "give them different names")
            files.add(rendered.path, rendered.to_bytes())
    for kustomization in (kubernetes.kustomization(ctx, files), *kubernetes.overlay_kustomizations(ctx, files)):
        files.add(kustomization.path, kustomization.to_bytes())
    if check_overrides:
        check_overrides_read(env)
        if ctx.defs.owners is not None:
            ctx.defs.owners.check_team_overrides(env)
    return files


def check_overrides_read(env: Environment) -> None:
    """An override no definition reads is an error naming the nearest key that is read."""
    unused = env.unused_overrides()
    if not unused:
        return
    known = sorted(env.declared())
    hints = []
    for key in unused:
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hints.append(f"{key} (did you mean {near[0]!r}?)" if near else key)
    raise DefinitionError(env.definition, "overrides", f"no definition reads {', '.join(hints)}",
                          "fix the key's spelling or remove the override; `obs params` lists every key")


__all__ = ["RENDERERS", "RenderContext", "RenderedFile", "render_environment"]
