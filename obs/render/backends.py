"""Tempo and Loki: config files, Loki ruler files, and the ConfigMaps that mount them."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from obs.backends import loki as loki_model
from obs.backends import tempo as tempo_model
from obs.backends.logql import LokiRulePack
from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import KUBERNETES_DIR, object_metadata
from obs.render.prometheus import render_rule_groups
from obs.serialize import to_yaml


def config_map(ctx: RenderContext, name: str, files: dict[str, Any], component: str,
               annotations: dict[str, str] | None = None) -> RenderedFile:
    """A ConfigMap holding rendered YAML files under their file names."""
    return RenderedFile(f"{KUBERNETES_DIR}/{name}.yaml", {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_metadata(ctx, name, {"app.kubernetes.io/name": component}, annotations),
        "data": {key: to_yaml(files[key]).decode() for key in sorted(files)},
    })


def render_tempo(ctx: RenderContext) -> Iterable[RenderedFile]:
    """tempo/tempo.yaml, tempo/overrides.yaml (with tenants) and their ConfigMap."""
    tempo = ctx.defs.tempo
    if tempo is None:
        return
    files = {"tempo.yaml": tempo_model.render_config(ctx.env, tempo)}
    overrides = tempo_model.render_overrides(tempo)
    if overrides is not None:
        files["overrides.yaml"] = overrides
    for name, data in files.items():
        yield RenderedFile(f"tempo/{name}", data)
    yield config_map(ctx, "tempo-config", files, "tempo", {
        "obs.dev/args": " ".join(tempo_model.TEMPO_ARGS),
        "obs.dev/targets": ",".join(tempo.targets),
        "obs.dev/model": tempo_model.MODEL_VERSION,
    })


def loki_rule_file(ctx: RenderContext, pack: LokiRulePack) -> dict[str, Any]:
    """A Loki ruler file: Prometheus rule-file syntax with LogQL expressions."""
    return render_rule_groups(ctx.env, pack)  # type: ignore[arg-type]


def render_loki(ctx: RenderContext) -> Iterable[RenderedFile]:
    """loki/loki.yaml, loki/rules/<tenant>/<pack>.yaml, and ConfigMaps for both."""
    loki = ctx.defs.loki
    if loki is None:
        return
    config = loki_model.render_config(ctx.env, loki)
    yield RenderedFile("loki/loki.yaml", config)
    yield config_map(ctx, "loki-config", {"loki.yaml": config}, "loki", {
        "obs.dev/args": "-config.file=/etc/loki/loki.yaml -config.expand-env=true",
        "obs.dev/targets": ",".join(loki.targets),
        "obs.dev/model": loki_model.MODEL_VERSION,
    })
    by_tenant: dict[str, dict[str, Any]] = defaultdict(dict)
    for pack in loki.rule_packs:
        tenant = loki_model.ruler_tenant(pack)
        data = loki_rule_file(ctx, pack)
        by_tenant[tenant][f"{pack.name}.yaml"] = data
        yield RenderedFile(f"loki/rules/{tenant}/{pack.name}.yaml", data)
    for tenant in sorted(by_tenant):
        yield config_map(ctx, f"loki-rules-{tenant.lower()}", by_tenant[tenant], "loki", {
            "obs.dev/mount-path": f"{loki_model.RULES_DIR}/{tenant}",
        })
