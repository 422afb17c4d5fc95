"""Render a bundle's environment to files: every renderer, then the kustomization."""
from __future__ import annotations

import difflib
from typing import Iterable

from obs.errors import DefinitionError
from obs.files import RAW_BUDGET, Files
from obs.model.bundle import Bundle
from obs.model.environment import Environment
from obs.instrumentation import render as instrumentation
from obs.render import (
    alertmanager, backends, clusters, collector, grafana, jaeger, kubernetes, mesh, monitors, prometheus,
    prometheusrule, rollouts, thanos,
)
from obs.render.base import WHOLE, DivisibleRenderer, RenderContext, RenderedFile, Renderer, Share

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
# Renderers whose work another process can share (`render_share`): many independent files each.
DIVISIBLE: tuple[DivisibleRenderer, ...] = (
    prometheus.render_unit_tests,
)


def render_environment(bundle: Bundle, env: Environment, ctx: RenderContext | None = None,
                       check_overrides: bool = True, raw_budget: int = RAW_BUDGET) -> Files:
    """All files of one environment, path -> bytes, sorted by path (held compressed past
    `raw_budget` bytes, see obs.files). Pass `ctx` to share what was built with the linters that
    run on the same context; `check_overrides=False` (for `obs params`) keeps an override no
    definition reads from failing."""
    ctx = ctx or RenderContext(bundle=bundle, env=env, defs=bundle.definitions(env))
    return finish_environment(ctx, render_files(ctx, raw_budget=raw_budget), check_overrides)


def render_files(ctx: RenderContext, share: Share = WHOLE, raw_budget: int = RAW_BUDGET) -> Files:
    """Every renderer's files, of the divisible renderers only `share` (`render_share` renders
    the others elsewhere); no kustomization yet (`finish_environment`)."""
    files = Files(raw_budget=raw_budget)  # serialised as they come, so the rendered data can be freed
    for renderer in RENDERERS:
        add_files(ctx.env, files, ((rendered.path, rendered.to_bytes()) for rendered in renderer(ctx)))
    add_files(ctx.env, files, render_share(ctx, share).items())
    return files


def render_share(ctx: RenderContext, share: Share) -> dict[str, bytes]:
    """The divisible renderers' files of `share`, serialised (to send from another process)."""
    return {rendered.path: rendered.to_bytes() for renderer in DIVISIBLE for rendered in renderer(ctx, share)}


def add_files(env: Environment, files: Files, rendered: Iterable[tuple[str, bytes]]) -> None:
    """Add rendered files; a path two definitions render is an error."""
    for path, content in rendered:
        if path in files:
            raise DefinitionError(env.definition, "output", f"two definitions render {path}",
                                  "give them different names")
        files.add(path, content)


def finish_environment(ctx: RenderContext, files: Files, check_overrides: bool = True) -> Files:
    """`files` (every renderer's, all shares) with the kustomizations listing them; then the
    environment's overrides must all have been read."""
    for kustomization in (kubernetes.kustomization(ctx, files), *kubernetes.overlay_kustomizations(ctx, files)):
        files.add(kustomization.path, kustomization.to_bytes())
    if check_overrides:
        check_overrides_read(ctx.env)
        if ctx.defs.owners is not None:
            ctx.defs.owners.check_team_overrides(ctx.env)
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


__all__ = ["DIVISIBLE", "RENDERERS", "RenderContext", "RenderedFile", "Share", "add_files", "finish_environment",
           "render_environment", "render_files", "render_share"]
