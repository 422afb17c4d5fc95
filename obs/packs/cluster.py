"""Cluster reachability: `ClusterDown` fires when every kubelet of a cluster seen in the last hour is
down, or the cluster stopped sending. It is the source of the cluster-wide inhibition (an
Alertmanager `source_inhibits_scope` rule mutes the rest of that cluster's alerts)."""
from __future__ import annotations

from obs import AlertRule, AlertTest, Environment, FiringAlert, RuleGroup, RulePack
from obs.packs.assemble import with_dashboard
from obs.packs.testdata import source_series
from obs.promql import selector

CLUSTER_DOWN = "ClusterDown"


def cluster_down(env: Environment) -> AlertRule:
    """Every kubelet target of a cluster seen in the last hour is down, or the cluster stopped
    sending: the alert that mutes the rest of that cluster's alerts."""
    cluster = env.cluster_label
    up = selector("up", env.selector("kubelet"))
    kubelet = source_series(env, "cadvisor", "up", metrics_path="/metrics")
    fires = [FiringAlert({cluster: env.sample_cluster}, f"No kubelet of cluster {env.sample_cluster} is up: its nodes or its "
                         "metrics pipeline are down.")]
    return AlertRule(
        name=CLUSTER_DOWN,
        expr=f"max by ({cluster}) (max_over_time({up}[1h])) unless max by ({cluster}) ({up} == 1)",
        for_="5m", severity="critical",
        summary="A cluster's kubelets are all unreachable",
        description="No kubelet of cluster {{ $labels." + cluster + " }} is up: its nodes or its metrics "
                    "pipeline are down.",
        tests=[AlertTest("every kubelet down", {kubelet: "1x5 0x20"}, at="15m", fires=fires),
               AlertTest("cluster stopped sending", {kubelet: "1x5"}, at="20m", fires=fires),
               AlertTest("kubelets up", {kubelet: "1x20"}, at="15m")],
    )


def pack(env: Environment, dashboard: object | None = None) -> RulePack:
    """The cluster-down alert, linked to `dashboard` when given."""
    return RulePack("cluster", [RuleGroup("cluster.rules", [with_dashboard(cluster_down(env), dashboard)])],
                    description="Cluster reachability: the source of the cluster-wide inhibition")
