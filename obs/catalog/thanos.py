"""The global ruler's own series (Thanos Rule v0.41's /metrics, scraped by the management
cluster's Prometheus through the ServiceMonitor obs.render.thanos writes): what its self-monitoring
alerts (obs.packs.thanos) read, with their labels as the real binary exposes them.

Read from `thanos rule` v0.41.0 on loopback (tests/test_thanos_ruler_alerts.py checks every name
on a live /metrics page): rule evaluations are Prometheus' rule-manager series with Thanos'
`strategy` label (`abort`/`warn`); queries to Query and alerts to Alertmanager go through HTTP
clients labelled `client="query"`/`"alertmanager"`; `thanos_alert_sender_errors_total` is per
Alertmanager address and appears with the first failed send.
"""
from __future__ import annotations

from obs.catalog.cluster import SCRAPE
from obs.catalog.source import MetricSource

_GROUP = ("rule_group", "strategy")
_HTTP = ("client", "code", "method")
THANOS_RULER = {
    "prometheus_rule_evaluation_failures_total": _GROUP,
    "prometheus_rule_evaluations_total": _GROUP,
    "prometheus_rule_group_last_evaluation_timestamp_seconds": _GROUP,
    "thanos_rule_evaluation_with_warnings_total": ("strategy",),
    "thanos_rule_loaded_rules": ("file", "group", "strategy"),
    "thanos_rule_config_last_reload_successful": (),
    "http_client_request_total": _HTTP,
    "http_client_request_duration_seconds_bucket": (*_HTTP, "le"),
    "thanos_alert_sender_errors_total": ("alertmanager",),
    "thanos_alert_sender_alerts_dropped_total": (),
    "thanos_alert_queue_alerts_dropped_total": (),
}


def thanos_ruler(cluster_label: str = "cluster") -> MetricSource:
    """Thanos Rule's own telemetry (environments with a global store)."""
    return MetricSource("thanos-ruler", THANOS_RULER, labels=(*SCRAPE, cluster_label))
