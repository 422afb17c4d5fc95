"""Series the OpenTelemetry side of a bundle puts into Prometheus, derived from its definitions:
instrumented services (semantic-convention instruments), the collectors' host_metrics,
kubelet_stats and span_metrics components, and the collectors' own telemetry.

What becomes a label after the prometheus_remote_write exporter: the data point's attributes
(dots -> underscores), `job` (service.namespace/service.name) and `instance` (service.instance.id)
from the resource, the scope (`otel_scope_name`, `otel_scope_version`), the exporter's
`external_labels`, attributes a `transform` processor copies onto data points (obs's gateway
promotes the cluster label and `namespace`), and every resource attribute only when
`resource_to_telemetry_conversion` is enabled. Other resource attributes reach Prometheus only
on `target_info`.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, Sequence

from obs.catalog.source import Instrument, MetricSource, instrument_series
from obs.collector import selfmetrics
from obs.collector.names import service_name

if TYPE_CHECKING:
    from obs.collector.model import Collector
    from obs.instrumentation.model import Instrumentation

_HTTP_COMMON = ("http.request.method", "url.scheme", "server.address", "server.port")
_HTTP_RESPONSE = (*_HTTP_COMMON, "http.response.status_code", "error.type", "network.protocol.name",
                  "network.protocol.version")
_RPC = ("rpc.system", "rpc.service", "rpc.method", "rpc.grpc.status_code", "network.transport", "server.address",
        "server.port", "error.type")
_DB = ("db.system.name", "db.namespace", "db.operation.name", "db.collection.name", "db.response.status_code",
       "error.type", "server.address", "server.port")

# Stable HTTP, RPC and database client/server instruments (every SDK's instrumentations emit some).
SEMCONV = (
    Instrument("http.server.request.duration", "s", "histogram", (*_HTTP_RESPONSE, "http.route")),
    Instrument("http.server.active_requests", "{request}", "updowncounter", _HTTP_COMMON),
    Instrument("http.server.request.body.size", "By", "histogram", (*_HTTP_RESPONSE, "http.route")),
    Instrument("http.server.response.body.size", "By", "histogram", (*_HTTP_RESPONSE, "http.route")),
    Instrument("http.client.request.duration", "s", "histogram", _HTTP_RESPONSE),
    Instrument("http.client.active_requests", "{request}", "updowncounter", _HTTP_COMMON),
    Instrument("rpc.server.duration", "ms", "histogram", _RPC),
    Instrument("rpc.client.duration", "ms", "histogram", _RPC),
    Instrument("db.client.operation.duration", "s", "histogram", _DB),
)
# Runtime instruments of each language's SDK/agent (semantic conventions where stable).
RUNTIME = {
    "java": (Instrument("jvm.memory.used", "By", "updowncounter", ("jvm.memory.type", "jvm.memory.pool.name")),
             Instrument("jvm.memory.limit", "By", "updowncounter", ("jvm.memory.type", "jvm.memory.pool.name")),
             Instrument("jvm.gc.duration", "s", "histogram", ("jvm.gc.name", "jvm.gc.action")),
             Instrument("jvm.thread.count", "{thread}", "updowncounter", ("jvm.thread.daemon", "jvm.thread.state")),
             Instrument("jvm.class.loaded", "{class}", "counter"),
             Instrument("jvm.cpu.recent_utilization", "1", "gauge")),
    "go": (Instrument("go.memory.used", "By", "updowncounter", ("go.memory.type",)),
           Instrument("go.goroutine.count", "{goroutine}", "updowncounter")),
    "nodejs": (Instrument("nodejs.eventloop.delay.p99", "s", "gauge"),
               Instrument("v8js.memory.heap.used", "By", "gauge", ("v8js.heap.space.name",))),
    "python": (Instrument("process.cpu.time", "s", "counter", ("cpu.mode",)),
               Instrument("process.memory.usage", "By", "updowncounter")),
}

HOST_METRICS = {
    "cpu": (Instrument("system.cpu.time", "s", "counter", ("cpu", "state")),
            Instrument("system.cpu.utilization", "1", "gauge", ("cpu", "state"))),
    "memory": (Instrument("system.memory.usage", "By", "updowncounter", ("state",)),
               Instrument("system.memory.utilization", "1", "gauge", ("state",))),
    "load": tuple(Instrument(f"system.cpu.load_average.{w}", "{thread}", "gauge") for w in ("1m", "5m", "15m")),
    "disk": (Instrument("system.disk.io", "By", "counter", ("device", "direction")),
             Instrument("system.disk.operations", "{operation}", "counter", ("device", "direction")),
             Instrument("system.disk.io_time", "s", "counter", ("device",)),
             Instrument("system.disk.operation_time", "s", "counter", ("device", "direction")),
             Instrument("system.disk.pending_operations", "{operation}", "updowncounter", ("device",))),
    "network": (Instrument("system.network.io", "By", "counter", ("device", "direction")),
                Instrument("system.network.packets", "{packet}", "counter", ("device", "direction")),
                Instrument("system.network.errors", "{error}", "counter", ("device", "direction")),
                Instrument("system.network.dropped", "{packet}", "counter", ("device", "direction")),
                Instrument("system.network.connections", "{connection}", "updowncounter", ("protocol", "state"))),
    "filesystem": (Instrument("system.filesystem.usage", "By", "updowncounter",
                              ("device", "mode", "mountpoint", "type", "state")),
                   Instrument("system.filesystem.utilization", "1", "gauge", ("device", "mode", "mountpoint", "type")),
                   Instrument("system.filesystem.inodes.usage", "{inode}", "updowncounter",
                              ("device", "mode", "mountpoint", "type", "state"))),
}


def _kubelet(scope: str) -> tuple[Instrument, ...]:
    return (Instrument(f"{scope}.cpu.usage", "{cpu}", "gauge"), Instrument(f"{scope}.cpu.time", "s", "counter"),
            Instrument(f"{scope}.memory.usage", "By", "gauge"),
            Instrument(f"{scope}.memory.working_set", "By", "gauge"),
            Instrument(f"{scope}.memory.rss", "By", "gauge"), Instrument(f"{scope}.filesystem.usage", "By", "gauge"),
            Instrument(f"{scope}.filesystem.available", "By", "gauge"),
            Instrument(f"{scope}.filesystem.capacity", "By", "gauge"))


KUBELET_STATS = {
    "node": (*_kubelet("k8s.node"), Instrument("k8s.node.network.io", "By", "counter", ("interface", "direction")),
             Instrument("k8s.node.network.errors", "1", "counter", ("interface", "direction"))),
    "pod": (*_kubelet("k8s.pod"), Instrument("k8s.pod.network.io", "By", "counter", ("interface", "direction")),
            Instrument("k8s.pod.network.errors", "1", "counter", ("interface", "direction"))),
    "container": _kubelet("container"),
}
SCOPE = ("otel_scope_name", "otel_scope_version")
RESOURCE_ATTRIBUTES = ("service.name", "service.namespace", "service.version", "service.instance.id",
                       "deployment.environment.name", "telemetry.sdk.name", "telemetry.sdk.language",
                       "telemetry.sdk.version", "k8s.cluster.name", "k8s.namespace.name", "k8s.pod.name",
                       "k8s.pod.uid", "k8s.node.name", "k8s.container.name", "k8s.deployment.name",
                       "k8s.statefulset.name", "k8s.daemonset.name", "host.name", "os.type")
_SET_ATTRIBUTE = re.compile(r'set\(\s*(?:datapoint\.)?attributes\["([^"]+)"\]')
_DELETE_KEY = re.compile(r'delete_key\(\s*(?:datapoint\.)?attributes\s*,\s*"([^"]+)"\s*\)')


def _label(attribute: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", attribute)


def _metric_components(collectors: Sequence[Collector], kind: str, type_: str) -> Iterable[dict]:
    for collector in collectors:
        for pipeline in collector.pipelines:
            if pipeline.signal != "metrics" and kind != "connector":
                continue
            parts = {"receiver": pipeline.receivers, "processor": pipeline.processors,
                     "exporter": pipeline.exporters, "connector": pipeline.exporters}[kind]
            for component in parts:
                if component.type == type_:
                    yield dict(component.config)


def promoted_labels(collectors: Sequence[Collector]) -> frozenset[str]:
    """Labels every OTLP metric carries in Prometheus after these collectors: job, instance and
    the scope, external labels, attributes transform processors set on data points, and the
    resource attributes when resource-to-telemetry conversion is on."""
    labels = {"job", "instance", *SCOPE}
    for config in _metric_components(collectors, "exporter", "prometheus_remote_write"):
        labels.update(config.get("external_labels", {}) or {})
        if (config.get("resource_to_telemetry_conversion") or {}).get("enabled"):
            labels.update(_label(a) for a in RESOURCE_ATTRIBUTES)
    for statement in _metric_statements(collectors):
        labels.update(_SET_ATTRIBUTE.findall(statement))
    return frozenset(labels)


def _metric_statements(collectors: Sequence[Collector]) -> Iterable[str]:
    for config in _metric_components(collectors, "processor", "transform"):
        for block in config.get("metric_statements", []):
            for statement in block.get("statements", []) if isinstance(block, dict) else [block]:
                yield str(statement)


def dropped_labels(collectors: Sequence[Collector]) -> frozenset[str]:
    """Labels a transform processor deletes from data points (`delete_key(attributes, "k")`)."""
    return frozenset(_label(key) for statement in _metric_statements(collectors)
                     for key in _DELETE_KEY.findall(statement))


def without(source: MetricSource, dropped: frozenset[str]) -> MetricSource:
    """`source` as Prometheus sees it when the pipeline deletes the `dropped` attributes."""
    if not dropped:
        return source
    return MetricSource(source.name, {m: set(labels) - dropped for m, labels in source.series.items()},
                        labels=set(source.labels) - dropped, values=source.values)


def service_sources(instrumentations: Sequence[Instrumentation], promoted: frozenset[str]) -> list[MetricSource]:
    """One source per instrumented service: the semantic-convention instruments plus its runtime's."""
    sources = []
    for inst in instrumentations:
        for service in inst.services:
            series = instrument_series((*SEMCONV, *RUNTIME.get(service.language, ())))
            sources.append(MetricSource(f"{inst.name}: {service.namespace}/{service.name} ({service.language})",
                                        series, labels=promoted,
                                        values={}))
    return sources


def semconv_source(name: str = "otel-services", cluster_label: str = "cluster") -> MetricSource:
    """The semantic-convention instruments of services instrumented outside obs (no
    Definitions.instrumentation), with the labels obs's gateway gives them."""
    return MetricSource(name, instrument_series(SEMCONV),
                        labels=("job", "instance", *SCOPE, cluster_label, "namespace"))


def receiver_sources(collectors: Sequence[Collector], promoted: frozenset[str]) -> list[MetricSource]:
    """host_metrics scrapers, kubelet_stats metric groups and span_metrics connectors the collectors run."""
    instruments: list[Instrument] = []
    for config in _metric_components(collectors, "receiver", "host_metrics"):
        for scraper in config.get("scrapers", {}):
            instruments.extend(HOST_METRICS.get(scraper, ()))
    for config in _metric_components(collectors, "receiver", "kubelet_stats"):
        for group in config.get("metric_groups", ("node", "pod", "container")):
            instruments.extend(KUBELET_STATS.get(group, ()))
    sources = [MetricSource("collector receivers (host_metrics, kubelet_stats)", instrument_series(instruments),
                            labels=promoted)] if instruments else []
    for config in _metric_components(collectors, "connector", "span_metrics"):
        namespace = config.get("namespace", "traces.span.metrics")
        unit = (config.get("histogram") or {}).get("unit", "ms")
        dims = ("service.name", "span.name", "span.kind", "status.code",
                *(d["name"] for d in config.get("dimensions", [])))
        spans = (Instrument(f"{namespace}.calls", "", "counter", dims),
                 Instrument(f"{namespace}.duration", unit, "histogram", dims))
        sources.append(MetricSource(f"span_metrics connector ({namespace})", instrument_series(spans),
                                    labels=promoted))
    return sources


def _self_metric_labels(metric: str) -> tuple[str, ...]:
    if metric.startswith("otelcol_receiver_"):
        return ("receiver", "transport")
    if metric in (selfmetrics.EXPORTER_QUEUE_SIZE, selfmetrics.EXPORTER_QUEUE_CAPACITY):
        return ("exporter", "data_type")
    if metric.startswith("otelcol_exporter_"):
        return ("exporter", "server_address", "server_port")
    if metric.startswith("otelcol_processor_"):
        return ("processor", "otel_signal")
    return ()


TAIL_SAMPLING = {"otelcol_processor_tail_sampling_global_count_traces_sampled": ("sampled", "decision"),
                 "otelcol_processor_tail_sampling_count_traces_sampled": ("policy", "sampled", "decision")}
BATCH_HISTOGRAM = selfmetrics.BATCH_SEND_SIZE
# The pull reader's series: the Operator's scrape labels, the scope and the service identity.
SELF_LABELS = ("job", "instance", "namespace", "service", "endpoint", "pod", "container", *SCOPE,
               "service_name", "service_instance_id", "service_version")


def collector_source(collectors: Sequence[Collector], cluster_label: str) -> MetricSource | None:
    """The collectors' own telemetry as their ServiceMonitors scrape it (`job` = Service name; the
    cluster label from the ServiceMonitor's relabeling, which output='operator' collectors lack)."""
    if not collectors:
        return None
    series: dict[str, tuple[str, ...]] = {}
    for metric in selfmetrics.names():
        if metric == BATCH_HISTOGRAM:
            series.update({f"{metric}_bucket": ("processor", "le"), f"{metric}_count": ("processor",),
                           f"{metric}_sum": ("processor",)})
        else:
            series[metric] = _self_metric_labels(metric)
    if any(c.uses("tail_sampling") for c in collectors):
        series.update(TAIL_SAMPLING)
    relabelled = all(c.output != "operator" for c in collectors)
    return MetricSource("collector self-metrics", series,
                        labels=(*SELF_LABELS, *((cluster_label,) if relabelled else ())),
                        values={"job": sorted(service_name(c) for c in collectors)})


def target_info(promoted: frozenset[str]) -> MetricSource:
    """target_info: one series per resource, every resource attribute a label."""
    return MetricSource("target_info (prometheus_remote_write)",
                        {"target_info": tuple(_label(a) for a in RESOURCE_ATTRIBUTES)}, labels=promoted)
