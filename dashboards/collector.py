"""OpenTelemetry Collector health: accepted/refused/failed items per receiver and sent/failed items
per exporter for each signal, exporter queue size against capacity, memory and CPU.

Metric names are those the pinned collector (v0.160.0) exposes on its Prometheus endpoint,
checked against the running binary: counters carry no `_total` suffix and units are not appended
(`otelcol_receiver_accepted_spans`, `otelcol_process_memory_rss`, `otelcol_process_cpu_seconds`)."""
from __future__ import annotations

from obs import Environment
from obs.grafana import Dashboard, Query, Row, stat, timeseries, variables

# Signal title -> the item name in the collector's metric names.
SIGNALS = {"Traces": "spans", "Metrics": "metric_points", "Logs": "log_records"}
JOB = 'job=~"$job"'


def _rate(env: Environment, metric: str) -> str:
    return f"rate({metric}{{{variables.scope(env, JOB)}}}[$__rate_interval])"


def _sum(env: Environment, metric: str, *labels: str) -> str:
    by = f" by ({', '.join(labels)})" if labels else ""
    return f"sum{by} ({_rate(env, metric)})"


def _signal_row(env: Environment, title: str, item: str) -> Row:
    receiver = ("receiver", "transport")
    return Row(title, [
        timeseries(f"{title}: received {item} per second",
                   Query(_sum(env, f"otelcol_receiver_accepted_{item}", *receiver),
                         legend="accepted {{receiver}}/{{transport}}"),
                   Query(_sum(env, f"otelcol_receiver_refused_{item}", *receiver),
                         legend="refused {{receiver}}/{{transport}}"),
                   Query(_sum(env, f"otelcol_receiver_failed_{item}", *receiver),
                         legend="failed {{receiver}}/{{transport}}"), unit="short"),
        timeseries(f"{title}: exported {item} per second",
                   Query(_sum(env, f"otelcol_exporter_sent_{item}", "exporter"), legend="sent {{exporter}}"),
                   Query(_sum(env, f"otelcol_exporter_send_failed_{item}", "exporter"),
                         legend="send failed {{exporter}}"),
                   Query(_sum(env, f"otelcol_exporter_enqueue_failed_{item}", "exporter"),
                         legend="enqueue failed {{exporter}}"), unit="short"),
    ])


def _failure_ratio(env: Environment, item: str) -> str:
    failed = f"otelcol_exporter_send_failed_{item}"
    sent = f"otelcol_exporter_sent_{item}"
    return f"sum({_rate(env, failed)})\n/ (sum({_rate(env, failed)}) + sum({_rate(env, sent)}))"


def dashboard(env: Environment, bundle: str) -> Dashboard:
    """The collector health dashboard for the chosen collector jobs."""
    uptime = "otelcol_process_uptime"
    job = variables.label_values("job", f"{uptime}{{{variables.scope(env)}}}", "job", "Collector")
    scope = variables.scope(env, JOB)
    return Dashboard(
        name="otel-collector", title="OpenTelemetry Collector health", bundle=bundle,
        description="Pipelines of the OpenTelemetry Collector: what receivers accept, refuse and fail, what "
                    "exporters send and fail, queue saturation, memory and CPU.",
        tags=["opentelemetry", "collector"],
        variables=[*variables.standard(env, uptime), job],
        panels=[
            Row("Overview", [
                stat(f"Export failure ratio: {signal.lower()}", Query(_failure_ratio(env, item)),
                     unit="percentunit", decimals=2, width=6, thresholds=[(0.001, "orange"), (0.01, "red")])
                for signal, item in SIGNALS.items()
            ] + [
                stat("Max queue fill", f"max(otelcol_exporter_queue_size{{{scope}}}\n"
                                       f"/ otelcol_exporter_queue_capacity{{{scope}}})",
                     unit="percentunit", width=6, thresholds=[(0.5, "orange"), (0.8, "red")]),
            ]),
            *[_signal_row(env, signal, item) for signal, item in SIGNALS.items()],
            Row("Queues and resources", [
                timeseries("Exporter queue size vs capacity",
                           Query(f"max by (exporter, data_type) (otelcol_exporter_queue_size{{{scope}}})",
                                 legend="{{exporter}} {{data_type}} size"),
                           Query(f"max by (exporter, data_type) (otelcol_exporter_queue_capacity{{{scope}}})",
                                 legend="{{exporter}} {{data_type}} capacity"), unit="short"),
                timeseries("Memory",
                           Query(f"max by (instance) (otelcol_process_memory_rss{{{scope}}})",
                                 legend="{{instance}} RSS"),
                           Query(f"max by (instance) (otelcol_process_runtime_heap_alloc_bytes{{{scope}}})",
                                 legend="{{instance}} Go heap"), unit="bytes"),
                timeseries("CPU", Query(_sum(env, "otelcol_process_cpu_seconds", "instance"), legend="{{instance}}"),
                           unit="short"),
                timeseries("Processor items in vs out",
                           Query(_sum(env, "otelcol_processor_incoming_items", "processor", "otel_signal"),
                                 legend="{{processor}} {{otel_signal}} in"),
                           Query(_sum(env, "otelcol_processor_outgoing_items", "processor", "otel_signal"),
                                 legend="{{processor}} {{otel_signal}} out"), unit="short"),
            ]),
        ],
    )
