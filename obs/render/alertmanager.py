"""Alertmanager outputs: alertmanager/alertmanager.yaml, the routing cases amtool proves
(alertmanager/routing-tests.yaml), and kubernetes/alertmanagerconfig-<name>.yaml (the chart's
Alertmanager runs it: obs.alertmanager.crd.chart_values, in the stack values obs.render.grafana writes)."""
from __future__ import annotations

from typing import Iterable

from obs.alertmanager.cases import routing_cases
from obs.alertmanager.config_file import render_config
from obs.alertmanager.crd import render_spec
from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import KUBERNETES_DIR, object_metadata

ALERTMANAGER_DIR = "alertmanager"
CONFIG_FILE = f"{ALERTMANAGER_DIR}/alertmanager.yaml"
ROUTING_TESTS = f"{ALERTMANAGER_DIR}/routing-tests.yaml"


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    config = ctx.defs.alertmanager
    if config is None:
        return
    yield RenderedFile(CONFIG_FILE, render_config(config))
    yield RenderedFile(ROUTING_TESTS, {
        "alertmanager": config.name,
        "default_receiver": config.default_receiver,
        # Mount these Secrets into the Alertmanager (spec.secrets): the *_file paths point into them.
        "secrets": config.secrets(),
        "cases": routing_cases(config, ctx.defs.all_rule_packs(), ctx.defs.owners),
    })
    yield RenderedFile(f"{KUBERNETES_DIR}/alertmanagerconfig-{config.name}.yaml", {
        "apiVersion": "monitoring.coreos.com/v1alpha1",
        "kind": "AlertmanagerConfig",
        "metadata": object_metadata(ctx, config.name, dict(ctx.env.rule_labels)),
        "spec": render_spec(config),
    })

