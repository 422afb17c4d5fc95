"""The global store's own series (Thanos v0.41's /metrics pages, scraped by the management
cluster's Prometheus through the ServiceMonitors obs.render.thanos writes): what the global ruler's
self-monitoring alerts (obs.packs.thanos) and the Thanos dashboard (obs.dashboards.thanos) read,
with their labels as the real binaries expose them.

Read from `thanos query`, `store`, `receive` and `rule` v0.41.0 on loopback (tests/test_thanos_ruler_alerts.py
and tests/test_thanos_dashboard.py check every name on live /metrics pages): rule evaluations are
Prometheus' rule-manager series with Thanos' `strategy` label (`abort`/`warn`); queries to Query
and alerts to Alertmanager go through HTTP clients labelled `client="query"`/`"alertmanager"`;
`thanos_alert_sender_errors_total` and `thanos_alert_sender_alerts_sent_total` are per
Alertmanager address and appear with the first failed and the first accepted send. Query's and
Receive's HTTP APIs are labelled by `handler` (`query`, `query_range`, `series`, ..., Receive's
remote write: `receive`) and `tenant`; Receive's TSDB series carry the `tenant` they belong to.
"""
from __future__ import annotations

from obs.catalog.cluster import SCRAPE
from obs.catalog.source import MetricSource

_GROUP = ("rule_group", "strategy")
_HTTP_CLIENT = ("client", "code", "method")
_HTTP = ("code", "handler", "method", "tenant")
_GRPC = ("grpc_method", "grpc_service", "grpc_type")
# On every component: its version, and the gRPC server of its Store API (Query's, the store gateway's, ...).
_COMMON = {
    "thanos_build_info": ("branch", "goarch", "goos", "goversion", "revision", "tags", "version"),
    "grpc_server_handled_total": (*_GRPC, "grpc_code"),
    "grpc_server_handling_seconds_bucket": (*_GRPC, "le"),
}
THANOS_RULER = {
    **_COMMON,
    "prometheus_rule_evaluation_failures_total": _GROUP,
    "prometheus_rule_evaluations_total": _GROUP,
    "prometheus_rule_group_iterations_total": _GROUP,
    "prometheus_rule_group_iterations_missed_total": _GROUP,
    "prometheus_rule_group_last_evaluation_timestamp_seconds": _GROUP,
    "thanos_rule_evaluation_with_warnings_total": ("strategy",),
    "thanos_rule_loaded_rules": ("file", "group", "strategy"),
    "thanos_rule_config_last_reload_successful": (),
    "http_client_request_total": _HTTP_CLIENT,
    "http_client_request_duration_seconds_bucket": (*_HTTP_CLIENT, "le"),
    "thanos_alert_sender_alerts_sent_total": ("alertmanager",),
    "thanos_alert_sender_errors_total": ("alertmanager",),
    "thanos_alert_sender_alerts_dropped_total": (),
    "thanos_alert_queue_alerts_dropped_total": (),
}
THANOS_QUERY = {
    **_COMMON,
    "http_requests_total": _HTTP,
    "http_request_duration_seconds_bucket": (*_HTTP, "le"),
    # one series per connected Store API endpoint type: sidecar, receive, store, rule
    "thanos_store_nodes_grpc_connections": ("external_labels", "store_type"),
    "grpc_client_handled_total": (*_GRPC, "grpc_code"),
}
THANOS_STORE = {
    **_COMMON,
    "thanos_bucket_store_blocks_loaded": (),
    "thanos_bucket_store_block_loads_total": (),
    "thanos_bucket_store_block_load_failures_total": (),
    "thanos_blocks_meta_sync_failures_total": (),
    "thanos_store_server_series_requested_bucket": ("le",),
}
THANOS_RECEIVE = {
    **_COMMON,
    "http_requests_total": _HTTP,
    "http_request_duration_seconds_bucket": (*_HTTP, "le"),
    "thanos_receive_replications_total": ("result",),
    "thanos_receive_forward_requests_total": ("result",),
    "thanos_receive_write_samples_bucket": ("code", "tenant", "le"),
    "prometheus_tsdb_head_samples_appended_total": ("tenant", "type"),
    "prometheus_tsdb_head_series": ("tenant",),
}


def _source(name: str, series: dict[str, tuple[str, ...]], cluster_label: str) -> MetricSource:
    return MetricSource(name, series, labels=(*SCRAPE, cluster_label))


def thanos_ruler(cluster_label: str = "cluster") -> MetricSource:
    """Thanos Rule's own telemetry (environments with a global store)."""
    return _source("thanos-ruler", THANOS_RULER, cluster_label)


def thanos_sources(cluster_label: str = "cluster", receive: bool = False) -> list[MetricSource]:
    """The own telemetry of every global-store component obs runs: Query, the store gateway, the
    ruler and, in topology `receive`, Receive."""
    sources = [_source("thanos-query", THANOS_QUERY, cluster_label), _source("thanos-store", THANOS_STORE, cluster_label),
               thanos_ruler(cluster_label)]
    return [*sources, _source("thanos-receive", THANOS_RECEIVE, cluster_label)] if receive else sources
