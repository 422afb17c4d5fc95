"""Series Tempo's metrics generator remote-writes (service graphs and span metrics), with the
external labels obs gives its registry (`source`, the cluster label)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from obs.catalog.source import MetricSource

if TYPE_CHECKING:
    from obs.backends.tempo import Tempo

_GRAPH = ("client", "server", "connection_type")
_SPAN = ("service", "span_name", "span_kind", "status_code")
PROCESSOR_SERIES = {
    "service-graphs": {
        "traces_service_graph_request_total": _GRAPH, "traces_service_graph_request_failed_total": _GRAPH,
        **{f"traces_service_graph_request_{side}_seconds_{suffix}": _GRAPH + (("le",) if suffix == "bucket" else ())
           for side in ("server", "client") for suffix in ("bucket", "count", "sum")},
        "traces_service_graph_unpaired_spans_total": ("client", "server"),
        "traces_service_graph_dropped_spans_total": ("client", "server"),
    },
    "span-metrics": {
        "traces_spanmetrics_calls_total": _SPAN, "traces_spanmetrics_size_total": _SPAN,
        **{f"traces_spanmetrics_latency_{suffix}": _SPAN + (("le",) if suffix == "bucket" else ())
           for suffix in ("bucket", "count", "sum")},
    },
}


def tempo_source(tempo: Tempo | None, cluster_label: str) -> MetricSource | None:
    """The generator's series for the processors any tenant enables (None without a generator)."""
    if tempo is None or not tempo.metrics_generator:
        return None
    processors = {p for limits in (tempo.defaults, *tempo.tenants.values()) for p in limits.processors}
    series = {m: labels for p in sorted(processors) for m, labels in PROCESSOR_SERIES.get(p, {}).items()}
    return MetricSource("tempo metrics generator", series, labels=("source", cluster_label)) if series else None
