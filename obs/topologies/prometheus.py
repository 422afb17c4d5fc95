"""The Prometheus side of the pipeline, as kube-prometheus-stack values.

Label provenance: values that give the series its
exporters scrape (kube-state-metrics, the kubelet's cAdvisor/probes/resource endpoints,
node_exporter) the cluster label, and the cluster's Prometheus the same external label, so rules
and dashboards that aggregate `by (cluster)` see every path alike (docs/label-provenance.md).

External labels alone are not enough: Prometheus adds them only to what leaves it (remote write,
federation, alerts), so a rule or dashboard on the local TSDB would see no cluster label. The
relabelings put it on the stored series too; the kubelet's lists keep the chart's default
`metrics_path` relabeling, which the cAdvisor/kubelet selectors rely on.

Ingest: what the rest of the generated stack sends Prometheus, it must accept. The collector
gateways, Tempo's metrics generator and the Loki ruler remote-write to Prometheus' receiver (unless
a Thanos Receive hashring takes the writes), which Prometheus serves only with
`--web.enable-remote-write-receiver`; span metrics and instrumented apps carry exemplars (the
trace ids Grafana's exemplar links open), which Prometheus drops unless `exemplar-storage` is on.
"""
from __future__ import annotations

from typing import Any

from obs.render.kubernetes import cluster_relabelings
from obs.mappings import deep_merge
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


# Prometheus' feature flag for storing exemplars (in 2.x and 3.x): without it every exemplar the
# gateways, Tempo and scrapes deliver is dropped and Grafana's metric-to-trace links show nothing.
EXEMPLAR_FEATURE = "exemplar-storage"


def ingest_values(env: Environment) -> dict[str, Any]:
    """kube-prometheus-stack values making the cluster's Prometheus accept what obs's pipeline sends
    it: exemplars always; remote writes when `env.remote_write_url` is Prometheus itself; with a
    Receive hashring, Prometheus' own remote write carries its exemplars along (obs.render.thanos)."""
    spec: dict[str, Any] = {"enableFeatures": [EXEMPLAR_FEATURE]}
    if env.prometheus_receives_writes:
        spec["enableRemoteWriteReceiver"] = True
    return {"prometheus": {"prometheusSpec": spec}}


def prometheus_stack_values(env: Environment, cluster: Cluster | None = None) -> dict[str, Any]:
    """One cluster's kube-prometheus-stack Prometheus values: label provenance and ingest."""
    return deep_merge(cluster_label_values(env, cluster), ingest_values(env))
