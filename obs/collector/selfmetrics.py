"""The collector's own metrics, as the pinned version (v0.160.0) exports them at `level: normal`
through the pull Prometheus reader obs renders (upstream defaults: no type suffix, no unit suffix,
so counters have NO `_total`). Rule packs and dashboards should use these constants; a test scrapes
the real binary and checks every name here and every `otelcol_*` name in rules/ and dashboards/.

Labels: receivers carry `receiver` and `transport`, exporters `exporter` (queue metrics also
`data_type`), processors `processor` and `otel_signal`.
"""
from __future__ import annotations

RECEIVER_ACCEPTED = {"traces": "otelcol_receiver_accepted_spans", "metrics": "otelcol_receiver_accepted_metric_points",
                     "logs": "otelcol_receiver_accepted_log_records"}
RECEIVER_REFUSED = {"traces": "otelcol_receiver_refused_spans", "metrics": "otelcol_receiver_refused_metric_points",
                    "logs": "otelcol_receiver_refused_log_records"}
RECEIVER_FAILED = {"traces": "otelcol_receiver_failed_spans", "metrics": "otelcol_receiver_failed_metric_points",
                   "logs": "otelcol_receiver_failed_log_records"}
EXPORTER_SENT = {"traces": "otelcol_exporter_sent_spans", "metrics": "otelcol_exporter_sent_metric_points",
                 "logs": "otelcol_exporter_sent_log_records"}
EXPORTER_SEND_FAILED = {"traces": "otelcol_exporter_send_failed_spans",
                        "metrics": "otelcol_exporter_send_failed_metric_points",
                        "logs": "otelcol_exporter_send_failed_log_records"}
EXPORTER_QUEUE_SIZE = "otelcol_exporter_queue_size"
EXPORTER_QUEUE_CAPACITY = "otelcol_exporter_queue_capacity"
EXPORTER_IN_FLIGHT = "otelcol_exporter_in_flight_requests"
PROCESSOR_INCOMING = "otelcol_processor_incoming_items"
PROCESSOR_OUTGOING = "otelcol_processor_outgoing_items"
BATCH_SEND_SIZE = "otelcol_processor_batch_batch_send_size"  # histogram: _bucket, _sum, _count
BATCH_TIMEOUT_TRIGGER = "otelcol_processor_batch_timeout_trigger_send"
PROCESS_UPTIME = "otelcol_process_uptime"  # counter, seconds
PROCESS_CPU_SECONDS = "otelcol_process_cpu_seconds"
PROCESS_MEMORY_RSS = "otelcol_process_memory_rss"
PROCESS_HEAP_ALLOC = "otelcol_process_runtime_heap_alloc_bytes"
PROCESS_TOTAL_SYS_MEMORY = "otelcol_process_runtime_total_sys_memory_bytes"
# Appear once a sending queue was full (the test overflows a queue to see them).
EXPORTER_ENQUEUE_FAILED = {"traces": "otelcol_exporter_enqueue_failed_spans",
                           "metrics": "otelcol_exporter_enqueue_failed_metric_points",
                           "logs": "otelcol_exporter_enqueue_failed_log_records"}


def names() -> set[str]:
    """Every name above (the test checks each against the running binary)."""
    names = {EXPORTER_QUEUE_SIZE, EXPORTER_QUEUE_CAPACITY, EXPORTER_IN_FLIGHT, PROCESSOR_INCOMING,
             PROCESSOR_OUTGOING, BATCH_SEND_SIZE, BATCH_TIMEOUT_TRIGGER, PROCESS_UPTIME, PROCESS_CPU_SECONDS,
             PROCESS_MEMORY_RSS, PROCESS_HEAP_ALLOC, PROCESS_TOTAL_SYS_MEMORY}
    for table in (RECEIVER_ACCEPTED, RECEIVER_REFUSED, RECEIVER_FAILED, EXPORTER_SENT, EXPORTER_SEND_FAILED,
                  EXPORTER_ENQUEUE_FAILED):
        names.update(table.values())
    return names
