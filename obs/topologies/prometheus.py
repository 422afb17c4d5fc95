"""The Prometheus side of label provenance: kube-prometheus-stack values that give the series its
exporters scrape (kube-state-metrics, the kubelet's cAdvisor/probes/resource endpoints,
node_exporter) the cluster label, and the cluster's Prometheus the same external label, so rules
and dashboards that aggregate `by (cluster)` see every path alike (docs/label-provenance.md).

External labels alone are not enough: Prometheus adds them only to what leaves it (remote write,
federation, alerts), so a rule or dashboard on the local TSDB would see no cluster label. The
relabelings put it on the stored series too; the kubelet's lists keep the chart's default
`metrics_path` relabeling, which the cAdvisor/kubelet selectors rely on.
"""
from __future__ import annotations

from typing import Any

from obs.collector.kubernetes import cluster_relabelings
from obs.model.environment import Environment
from obs.model.fleet import Cluster

_METRICS_PATH = {"action": "replace", "sourceLabels": ["__metrics_path__"], "targetLabel": "metrics_path"}
KUBELET_ENDPOINTS = ("relabelings", "cAdvisorRelabelings", "probesRelabelings", "resourceRelabelings")


def cluster_label_values(env: Environment, cluster: Cluster | None = None) -> dict[str, Any]:
    """kube-prometheus-stack values stamping `env.cluster_label` = the cluster's name (default: the
    environment's only cluster) on every series the chart's exporters produce and on everything the
    cluster's Prometheus sends out; the cluster's own `labels` join its external labels."""
    cluster = cluster or env.clusters[0]
    stamp = cluster_relabelings(env, cluster.name)
    monitor = {"prometheus": {"monitor": {"relabelings": stamp}}}
    external = {**dict(sorted(cluster.labels.items())), env.cluster_label: cluster.name}
    return {
        "prometheus": {"prometheusSpec": {"externalLabels": external}},
        "kube-state-metrics": monitor,
        "prometheus-node-exporter": monitor,
        "kubelet": {"serviceMonitor": {key: [_METRICS_PATH, *stamp] for key in KUBELET_ENDPOINTS}},
    }
