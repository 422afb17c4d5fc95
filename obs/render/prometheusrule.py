"""PrometheusRule CRDs (monitoring.coreos.com/v1): one per rule pack and tier. Cluster- and
management-tier ones carry the environment's rule_labels (each Prometheus' ruleSelector: every
cluster's, and the management cluster's for the environment-wide folder); global ones the tier
label the ThanosRuler selects (obs.render.thanos)."""
from __future__ import annotations

from typing import Any, Iterable

from obs.model.rules import RulePack
from obs.render.base import RenderContext, RenderedFile
from obs.render.kubernetes import KUBERNETES_DIR, object_metadata
from obs.render.layout import tier_dir
from obs.render.prometheus import placed_packs, rule_groups_block
from obs.serialize import Block

# The label the ThanosRuler selects the global tier's PrometheusRules by (obs.render.thanos); they
# do not carry the environment's rule_labels, so no cluster's Prometheus picks them up as well.
TIER_LABEL = "obs.dev/rule-tier"
# Thanos Rule's answer to a query some store could not serve: fail the evaluation (abort) rather
# than alert on part of the fleet (warn). docs/fleet.md explains the choice.
PARTIAL_RESPONSE = "abort"


def global_rule_groups(ctx: RenderContext, pack: RulePack) -> dict[str, Any]:
    """A global-tier pack's groups for the ThanosRuler, each with the partial-response strategy
    (a Thanos extension Prometheus rejects, so only in the PrometheusRule, not the rule file)."""
    groups = rule_groups_block(ctx, pack).data["groups"]
    return {"groups": [{"name": g["name"], "partial_response_strategy": PARTIAL_RESPONSE,
                        **{k: v for k, v in g.items() if k != "name"}} for g in groups]}


def render(ctx: RenderContext) -> Iterable[RenderedFile]:
    """One PrometheusRule (monitoring.coreos.com/v1) per rule pack and tier: cluster- and
    management-tier ones labelled for each Prometheus' ruleSelector, global ones for the ThanosRuler's."""
    for tier, part, _ in placed_packs(ctx):
        spec: Block | dict[str, Any]
        if tier == "global":
            labels, spec = {TIER_LABEL: tier}, global_rule_groups(ctx, part)
        else:
            labels, spec = dict(ctx.env.rule_labels), rule_groups_block(ctx, part)
        yield RenderedFile(f"{tier_dir(ctx.env, tier)}{KUBERNETES_DIR}/prometheusrule-{part.name}.yaml", {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": object_metadata(ctx, part.name, labels),
            "spec": spec,
        })
