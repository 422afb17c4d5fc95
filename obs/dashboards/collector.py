"""OpenTelemetry Collector health: accepted/refused/failed items per receiver and sent/failed items
per exporter for each signal, exporter queue size against capacity, memory and CPU.

Metric names come from obs.collector.selfmetrics: what the pinned collector (v0.160.0) exposes on
its Prometheus endpoint, checked against the running binary (counters carry no `_total` suffix,
units are not appended: `otelcol_receiver_accepted_spans`, `otelcol_process_memory_rss`)."""
from __future__ import annotations

from typing import Sequence

from obs import Environment
from obs.collector import Collector
from obs.collector.kubernetes import collector_scope
from obs.collector import selfmetrics as m
from obs.grafana import Dashboard, Query, Row, stat, timeseries, variables

# Signal key in obs.collector.selfmetrics -> (row title, what its items are called).
SIGNALS = {"traces": ("Traces", "spans"), "metrics": ("Metrics", "metric points"), "logs": ("Logs", "log records")}
JOB = 'job=~"$job"'
RECEIVER = ("receiver", "transport")


def _rate(env: Environment, metric: str) -> str:
    return f"rate({metric}{{{variables.scope(env, JOB)}}}[$__rate_interval])"


def _sum(env: Environment, metric: str, *labels: str) -> str:
    by = f" by ({', '.join(labels)})" if labels else ""
    return f"sum{by} ({_rate(env, metric)})"


def _signal_row(env: Environment, signal: str) -> Row:
    title, items = SIGNALS[signal]
    return Row(title, [
        timeseries(f"{title}: received {items} per second",
                   *[Query(_sum(env, table[signal], *RECEIVER), legend=f"{what} {{{{receiver}}}}/{{{{transport}}}}")
                     for what, table in (("accepted", m.RECEIVER_ACCEPTED), ("refused", m.RECEIVER_REFUSED),
                                         ("failed", m.RECEIVER_FAILED))], unit="short",
                                         description=f"{items.capitalize()} per second the receivers accept, refuse "
                                                     "(back-pressure, e.g. from the memory limiter) and fail, by "
                                                     "receiver and transport."),
        timeseries(f"{title}: exported {items} per second",
                   Query(_sum(env, m.EXPORTER_SENT[signal], "exporter"), legend="sent {{exporter}}"),
                   Query(_sum(env, m.EXPORTER_SEND_FAILED[signal], "exporter"), legend="send failed {{exporter}}"),
                   Query(_sum(env, m.EXPORTER_ENQUEUE_FAILED[signal], "exporter"),
                         legend="enqueue failed {{exporter}}"), unit="short",
                         description=f"{items.capitalize()} per second the exporters send, fail to send and fail to "
                                     "enqueue (queue full), by exporter."),
    ])


def _failure_ratio(env: Environment, signal: str) -> str:
    failed, sent = m.EXPORTER_SEND_FAILED[signal], m.EXPORTER_SENT[signal]
    return f"sum({_rate(env, failed)})\n/ (sum({_rate(env, failed)}) + sum({_rate(env, sent)}))"


def dashboard(env: Environment, bundle: str, collectors: Sequence[Collector] | None = None) -> Dashboard:
    """The health dashboard of `collectors` (default: the jobs the environment's `otel_collector`
    selector selects); its Collector variable lists their jobs."""
    env = collector_scope(env, collectors)
    jobs = variables.scope(env, env.selector("otel_collector"))
    job = variables.label_values("job", f"{m.PROCESS_UPTIME}{{{jobs}}}", "job", "Collector")
    scope = variables.scope(env, JOB)
    size, capacity = f"{m.EXPORTER_QUEUE_SIZE}{{{scope}}}", f"{m.EXPORTER_QUEUE_CAPACITY}{{{scope}}}"
    return Dashboard(
        name="otel-collector", title="OpenTelemetry Collector health", bundle=bundle,
        description="Pipelines of the OpenTelemetry Collector: what receivers accept, refuse and fail, what "
                    "exporters send and fail, queue saturation, memory and CPU.",
        tags=["opentelemetry", "collector"],
        variables=[*variables.standard(env, m.PROCESS_UPTIME), job],
        panels=[
            Row("Overview", [
                *[stat(f"Export failure ratio: {title.lower()}", _failure_ratio(env, signal), unit="percentunit",
                       decimals=2, width=6, thresholds=[(0.001, "orange"), (0.01, "red")],
                       description=f"Share of {title.lower()} data the exporters failed to send: failed / (failed + "
                                   "sent). Orange from 0.1%, red from 1%.")
                  for signal, (title, _) in SIGNALS.items()],
                stat("Max queue fill", f"max({size}\n/ {capacity})", unit="percentunit", width=6,
                     thresholds=[(0.5, "orange"), (0.8, "red")],
                     description="The fullest exporter sending queue (size / capacity); a full queue drops data. "
                                 "Orange from 50%, red from 80%."),
            ]),
            *[_signal_row(env, signal) for signal in SIGNALS],
            Row("Queues and resources", [
                timeseries("Exporter queue size vs capacity",
                           Query(f"max by (exporter, data_type) ({size})", legend="{{exporter}} {{data_type}} size"),
                           Query(f"max by (exporter, data_type) ({capacity})",
                                 legend="{{exporter}} {{data_type}} capacity"), unit="short",
                                 description="Items waiting in each exporter's sending queue against its capacity."),
                timeseries("Memory",
                           Query(f"max by (instance) ({m.PROCESS_MEMORY_RSS}{{{scope}}})", legend="{{instance}} RSS"),
                           Query(f"max by (instance) ({m.PROCESS_HEAP_ALLOC}{{{scope}}})",
                                 legend="{{instance}} Go heap"), unit="bytes",
                                 description="Resident memory (RSS) and Go heap of each collector instance; compare "
                                             "with the memory limiter's limit."),
                timeseries("CPU", Query(_sum(env, m.PROCESS_CPU_SECONDS, "instance"), legend="{{instance}}"),
                           unit="short", description="CPU cores each collector instance uses."),
                timeseries("Processor items in vs out",
                           Query(_sum(env, m.PROCESSOR_INCOMING, "processor", "otel_signal"),
                                 legend="{{processor}} {{otel_signal}} in"),
                           Query(_sum(env, m.PROCESSOR_OUTGOING, "processor", "otel_signal"),
                                 legend="{{processor}} {{otel_signal}} out"), unit="short",
                                 description="Items entering and leaving each processor by signal; a gap is data a "
                                             "processor filtered, sampled or dropped."),
            ]),
        ],
    )
