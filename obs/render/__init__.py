"""Render a bundle's environment to files: every renderer, then the kustomization."""
from __future__ import annotations

import difflib
from typing import Iterable

from obs.errors import DefinitionError
from obs.files import RAW_BUDGET, Files
from obs.lazy import When
from obs.model.bundle import Bundle
from obs.model.environment import Environment
from obs.render import clusters, grafana, kubernetes, prometheus, prometheusrule, rollouts, thanos
from obs.render.prometheus import RULE_GROUPS
from obs.render.base import WHOLE, DivisibleRenderer, RenderContext, RenderedFile, Renderer, Share


def _tempo() -> Renderer:
    from obs.render import backends
    return backends.render_tempo


def _loki() -> Renderer:
    from obs.render import backends
    return backends.render_loki


def _jaeger() -> Renderer:
    from obs.render import jaeger
    return jaeger.render


def _mesh() -> Renderer:
    from obs.render import mesh
    return mesh.render


def _instrumentation() -> Renderer:
    from obs.instrumentation import render as instrumentation
    return instrumentation.render


def _collectors() -> Renderer:
    from obs.render import collector
    return collector.render


def _alertmanager() -> Renderer:
    from obs.render import alertmanager
    return alertmanager.render


def _monitors() -> Renderer:
    from obs.render import monitors
    return monitors.render


# Each renderer owns a part of the output folder; add new ones here (`When`: imported for an
# environment that has the component).
RENDERERS: tuple[Renderer, ...] = (
    prometheus.render,
    prometheusrule.render,
    grafana.render,
    When(lambda ctx: ctx.defs.tempo is not None, _tempo),
    When(lambda ctx: ctx.defs.loki is not None, _loki),
    When(lambda ctx: ctx.defs.jaeger is not None, _jaeger),
    When(lambda ctx: ctx.defs.mesh is not None, _mesh),
    When(lambda ctx: ctx.defs.instrumentation, _instrumentation),
    When(lambda ctx: ctx.defs.collectors, _collectors),
    When(lambda ctx: ctx.defs.alertmanager is not None, _alertmanager),
    When(lambda ctx: ctx.defs.services, _monitors),
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
    ctx.forget(RULE_GROUPS)  # the rule files and PrometheusRules are rendered: no linter reads them
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
