"""Series of the standard cluster exporters as kube-prometheus-stack scrapes them: kube-state-metrics
v2, the kubelet's cAdvisor and /metrics endpoints, node_exporter, and Prometheus' own (up,
ALERTS). Only the series obs's packs and dashboards use and their usual siblings; declare others
with `MetricSource`.

Scrape labels: the Prometheus Operator adds job, instance, namespace, service, endpoint, pod and
container; kube-state-metrics is scraped with honorLabels, so namespace/pod/container are the
object's. The cluster label comes from the cluster's Prometheus (relabelings and external labels
obs renders with `obs.topologies.prometheus.cluster_label_values`; see docs/label-provenance.md).
"""
from __future__ import annotations

from obs.catalog.source import MetricSource

SCRAPE = ("job", "instance", "namespace", "service", "endpoint", "pod", "container")


def _series(table: dict[tuple[str, ...], tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """{(labels...): (metric, ...)} -> {metric: labels}."""
    return {metric: labels for labels, metrics in table.items() for metric in metrics}


_POD = ("namespace", "pod", "uid")
_CONTAINER = (*_POD, "container")
_RESOURCE = (*_CONTAINER, "node", "resource", "unit")

KUBE_STATE_METRICS = _series({
    (*_POD, "host_ip", "pod_ip", "node", "created_by_kind", "created_by_name", "priority_class", "host_network"):
        ("kube_pod_info",),
    (*_POD, "phase"): ("kube_pod_status_phase",),
    (*_POD, "condition"): ("kube_pod_status_ready", "kube_pod_status_scheduled"),
    (*_POD, "reason"): ("kube_pod_status_reason",),
    _POD: ("kube_pod_created", "kube_pod_start_time", "kube_pod_completion_time", "kube_pod_deletion_timestamp",
           "kube_pod_status_scheduled_time", "kube_pod_status_ready_time"),
    (*_POD, "owner_kind", "owner_name", "owner_is_controller"): ("kube_pod_owner",),
    (*_CONTAINER, "image", "image_spec", "image_id", "container_id"): ("kube_pod_container_info",),
    _CONTAINER: ("kube_pod_container_status_restarts_total", "kube_pod_container_status_ready",
                 "kube_pod_container_status_running", "kube_pod_container_status_waiting",
                 "kube_pod_container_status_terminated", "kube_pod_container_state_started"),
    (*_CONTAINER, "reason"): ("kube_pod_container_status_waiting_reason",
                              "kube_pod_container_status_terminated_reason",
                              "kube_pod_container_status_last_terminated_reason"),
    _RESOURCE: ("kube_pod_container_resource_requests", "kube_pod_container_resource_limits"),
    ("namespace", "deployment"): ("kube_deployment_spec_replicas", "kube_deployment_status_replicas",
                                  "kube_deployment_status_replicas_available",
                                  "kube_deployment_status_replicas_unavailable",
                                  "kube_deployment_status_replicas_updated", "kube_deployment_status_replicas_ready",
                                  "kube_deployment_status_observed_generation",
                                  "kube_deployment_metadata_generation", "kube_deployment_created",
                                  "kube_deployment_spec_paused"),
    ("namespace", "deployment", "condition", "status"): ("kube_deployment_status_condition",),
    ("namespace", "statefulset"): ("kube_statefulset_replicas", "kube_statefulset_status_replicas",
                                   "kube_statefulset_status_replicas_ready", "kube_statefulset_status_replicas_current",
                                   "kube_statefulset_status_replicas_updated",
                                   "kube_statefulset_status_replicas_available",
                                   "kube_statefulset_status_observed_generation",
                                   "kube_statefulset_metadata_generation", "kube_statefulset_created"),
    ("namespace", "statefulset", "revision"): ("kube_statefulset_status_current_revision",
                                               "kube_statefulset_status_update_revision"),
    ("namespace", "daemonset"): ("kube_daemonset_status_desired_number_scheduled",
                                 "kube_daemonset_status_current_number_scheduled",
                                 "kube_daemonset_status_number_ready", "kube_daemonset_status_number_available",
                                 "kube_daemonset_status_number_unavailable",
                                 "kube_daemonset_status_number_misscheduled",
                                 "kube_daemonset_status_updated_number_scheduled",
                                 "kube_daemonset_status_observed_generation", "kube_daemonset_metadata_generation"),
    ("namespace", "job_name"): ("kube_job_status_active", "kube_job_status_succeeded", "kube_job_status_start_time",
                                "kube_job_status_completion_time", "kube_job_spec_completions",
                                "kube_job_spec_parallelism", "kube_job_created", "kube_job_info"),
    ("namespace", "job_name", "reason"): ("kube_job_status_failed",),
    ("namespace", "job_name", "condition"): ("kube_job_failed", "kube_job_complete"),
    ("namespace", "job_name", "owner_kind", "owner_name", "owner_is_controller"): ("kube_job_owner",),
    ("namespace", "cronjob"): ("kube_cronjob_next_schedule_time", "kube_cronjob_status_last_schedule_time",
                               "kube_cronjob_status_active", "kube_cronjob_spec_suspend", "kube_cronjob_created"),
    ("namespace", "cronjob", "schedule", "concurrency_policy"): ("kube_cronjob_info",),
    ("node", "kernel_version", "os_image", "container_runtime_version", "kubelet_version", "kubeproxy_version",
     "provider_id", "internal_ip", "system_uuid", "pod_cidr"): ("kube_node_info",),
    ("node", "condition", "status"): ("kube_node_status_condition",),
    ("node", "resource", "unit"): ("kube_node_status_allocatable", "kube_node_status_capacity"),
    ("node",): ("kube_node_spec_unschedulable", "kube_node_created"),
    ("node", "key", "value", "effect"): ("kube_node_spec_taint",),
    ("namespace", "phase"): ("kube_namespace_status_phase",),
    ("namespace",): ("kube_namespace_created", "kube_namespace_labels"),
    ("namespace", "persistentvolumeclaim", "storageclass", "volumename"): ("kube_persistentvolumeclaim_info",),
    ("namespace", "persistentvolumeclaim", "phase"): ("kube_persistentvolumeclaim_status_phase",),
    ("namespace", "persistentvolumeclaim"): ("kube_persistentvolumeclaim_resource_requests_storage_bytes",),
    ("namespace", "horizontalpodautoscaler"): ("kube_horizontalpodautoscaler_spec_max_replicas",
                                               "kube_horizontalpodautoscaler_spec_min_replicas",
                                               "kube_horizontalpodautoscaler_status_current_replicas",
                                               "kube_horizontalpodautoscaler_status_desired_replicas"),
    ("namespace", "replicaset", "owner_kind", "owner_name", "owner_is_controller"): ("kube_replicaset_owner",),
    ("namespace", "resourcequota", "resource", "type"): ("kube_resourcequota",),
})

_CADVISOR_CONTAINER = ("namespace", "pod", "container", "id", "image", "name")
CADVISOR = _series({
    (*_CADVISOR_CONTAINER, "cpu"): ("container_cpu_usage_seconds_total",),
    _CADVISOR_CONTAINER: ("container_cpu_cfs_periods_total", "container_cpu_cfs_throttled_periods_total",
                          "container_cpu_cfs_throttled_seconds_total", "container_memory_working_set_bytes",
                          "container_memory_rss", "container_memory_cache", "container_memory_usage_bytes",
                          "container_memory_swap", "container_memory_max_usage_bytes", "container_oom_events_total",
                          "container_spec_memory_limit_bytes", "container_spec_cpu_quota",
                          "container_spec_cpu_period", "container_spec_cpu_shares", "container_last_seen",
                          "container_start_time_seconds"),
    (*_CADVISOR_CONTAINER, "failure_type", "scope"): ("container_memory_failures_total",),
    (*_CADVISOR_CONTAINER, "interface"): ("container_network_receive_bytes_total",
                                          "container_network_transmit_bytes_total",
                                          "container_network_receive_packets_total",
                                          "container_network_transmit_packets_total",
                                          "container_network_receive_packets_dropped_total",
                                          "container_network_transmit_packets_dropped_total",
                                          "container_network_receive_errors_total",
                                          "container_network_transmit_errors_total"),
    (*_CADVISOR_CONTAINER, "device"): ("container_fs_reads_bytes_total", "container_fs_writes_bytes_total",
                                       "container_fs_usage_bytes", "container_fs_limit_bytes",
                                       "container_fs_reads_total", "container_fs_writes_total"),
})

KUBELET = _series({
    ("namespace", "pod", "pod_uid", "container", "probe_type", "result"): ("prober_probe_total",),
    ("namespace", "persistentvolumeclaim"): ("kubelet_volume_stats_available_bytes",
                                             "kubelet_volume_stats_capacity_bytes", "kubelet_volume_stats_used_bytes",
                                             "kubelet_volume_stats_inodes", "kubelet_volume_stats_inodes_used",
                                             "kubelet_volume_stats_inodes_free"),
    (): ("kubelet_running_pods", "kubelet_pleg_relist_duration_seconds_count",
         "kubelet_pleg_relist_duration_seconds_sum"),
    ("le",): ("kubelet_pleg_relist_duration_seconds_bucket",),
    ("container_state",): ("kubelet_running_containers",),
    ("operation_type",): ("kubelet_runtime_operations_total", "kubelet_runtime_operations_errors_total"),
})

NODE_EXPORTER = _series({
    ("cpu", "mode"): ("node_cpu_seconds_total",),
    (): ("node_load1", "node_load5", "node_load15", "node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes",
         "node_memory_MemFree_bytes", "node_memory_Buffers_bytes", "node_memory_Cached_bytes",
         "node_memory_SwapTotal_bytes", "node_memory_SwapFree_bytes", "node_boot_time_seconds", "node_time_seconds",
         "node_vmstat_pgmajfault", "node_filefd_allocated", "node_filefd_maximum"),
    ("device", "fstype", "mountpoint"): ("node_filesystem_avail_bytes", "node_filesystem_size_bytes",
                                         "node_filesystem_free_bytes", "node_filesystem_files",
                                         "node_filesystem_files_free", "node_filesystem_readonly",
                                         "node_filesystem_device_error"),
    ("device",): ("node_network_receive_bytes_total", "node_network_transmit_bytes_total",
                  "node_network_receive_errs_total", "node_network_transmit_errs_total",
                  "node_network_receive_drop_total", "node_network_transmit_drop_total", "node_network_up",
                  "node_disk_io_time_seconds_total", "node_disk_read_bytes_total", "node_disk_written_bytes_total",
                  "node_disk_reads_completed_total", "node_disk_writes_completed_total",
                  "node_disk_io_time_weighted_seconds_total"),
    ("nodename", "release", "version", "machine", "sysname", "domainname"): ("node_uname_info",),
})

# Every scrape target has these; Prometheus writes ALERTS for each pending/firing alert.
PROMETHEUS = {"up": (), "scrape_duration_seconds": (), "scrape_samples_scraped": (),
              "scrape_samples_post_metric_relabeling": (), "scrape_series_added": ()}
ALERTS = {"ALERTS": ("alertname", "alertstate", "severity"), "ALERTS_FOR_STATE": ("alertname", "severity")}


def kube_state_metrics(cluster_label: str = "cluster") -> MetricSource:
    return MetricSource("kube-state-metrics", KUBE_STATE_METRICS, labels=(*SCRAPE, cluster_label))


def cadvisor(cluster_label: str = "cluster") -> MetricSource:
    return MetricSource("cadvisor", CADVISOR, labels=(*SCRAPE, "node", "metrics_path", cluster_label))


def kubelet(cluster_label: str = "cluster") -> MetricSource:
    return MetricSource("kubelet", KUBELET, labels=(*SCRAPE, "node", "metrics_path", cluster_label))


def node_exporter(cluster_label: str = "cluster") -> MetricSource:
    return MetricSource("node-exporter", NODE_EXPORTER, labels=(*SCRAPE, cluster_label))


def prometheus(cluster_label: str = "cluster") -> MetricSource:
    """Prometheus' own per-target and alert series (they exist wherever Prometheus runs); the
    per-target series carry the target labels of every scrape (the kubelet's node and metrics_path)."""
    return MetricSource("prometheus", {**PROMETHEUS, **ALERTS}, labels=(*SCRAPE, "node", "metrics_path", cluster_label))


def cluster_exporters(cluster_label: str = "cluster") -> tuple[MetricSource, ...]:
    """The exporters every kube-prometheus-stack cluster runs: the default of `Definitions.sources`."""
    return (kube_state_metrics(cluster_label), cadvisor(cluster_label), kubelet(cluster_label),
            node_exporter(cluster_label))
