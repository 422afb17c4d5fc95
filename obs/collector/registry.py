"""The component registry: the one source of truth for which collector components obs can emit.

Each entry maps a component type (as written in a collector config) to its Go module and version,
the signals it supports and its stability. The builder manifest, the model's checks and the test
that cross-checks `otelcol components` all read this table.

Pinned version: v0.160.0, not v0.162.0. The Go module proxy reachable here does not serve several
contrib-internal modules at v0.161.0/v0.162.0 (pkg/stanza, internal/kubelet, internal/gopsutilenv, the
resourcedetection detectors, the loadbalancing exporter), so a v0.162.0 build cannot resolve; v0.160.0
resolves fully (the kubeletstats receiver at v0.159.0, whose internal/kubelet v0.160.0 is not served).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Mapping

Kind = Literal["receiver", "processor", "exporter", "extension", "connector"]
Signal = Literal["traces", "metrics", "logs"]

KINDS: tuple[Kind, ...] = ("receiver", "processor", "exporter", "extension", "connector")
SIGNALS: tuple[Signal, ...] = ("traces", "metrics", "logs")

COLLECTOR_VERSION = "v0.160.0"
"""The one pinned collector version (core and contrib modules, and the builder)."""
STABLE_MODULES_VERSION = "v1.66.0"
"""The version of the collector's 1.x modules (confmap providers) released with COLLECTOR_VERSION."""
CONTRIB_IMAGE = "otel/opentelemetry-collector-contrib:0.160.0"
"""The upstream image containing every registered component (for clusters not running our build)."""

_CORE = "go.opentelemetry.io/collector"
_CONTRIB = "github.com/open-telemetry/opentelemetry-collector-contrib"
ALL: tuple[Signal, ...] = SIGNALS


@dataclass(frozen=True)
class ComponentSpec:
    """One component type: where it lives, what it handles, how mature it is.

    `signals` lists the pipeline signals it can be used in; for a connector, `connects` lists the
    (exporting-pipeline signal, receiving-pipeline signal) pairs instead."""

    kind: Kind
    type: str
    module: str
    signals: tuple[Signal, ...] = ()
    connects: tuple[tuple[Signal, Signal], ...] = ()
    stability: str = "beta"
    """The lowest stability over the signals it is registered for (as `otelcol components` reports it)."""
    version: str = COLLECTOR_VERSION

    @property
    def gomod(self) -> str:
        """The builder manifest's `gomod` line: module and version."""
        return f"{self.module} {self.version}"


def _spec(kind: Kind, type_: str, module: str, signals: tuple[Signal, ...] = (), stability: str = "beta",
          version: str = COLLECTOR_VERSION, connects: tuple[tuple[Signal, Signal], ...] = ()) -> ComponentSpec:
    return ComponentSpec(kind, type_, module, signals, connects, stability, version)


_SPECS: tuple[ComponentSpec, ...] = (
    _spec("receiver", "otlp", f"{_CORE}/receiver/otlpreceiver", ALL, "stable"),
    _spec("receiver", "file_log", f"{_CONTRIB}/receiver/filelogreceiver", ("logs",)),
    _spec("receiver", "host_metrics", f"{_CONTRIB}/receiver/hostmetricsreceiver", ("metrics",)),
    # Spans from clients that do not speak OTLP: Envoy/Istio's Zipkin tracer, Jaeger SDKs and agents.
    _spec("receiver", "zipkin", f"{_CONTRIB}/receiver/zipkinreceiver", ("traces",)),
    _spec("receiver", "jaeger", f"{_CONTRIB}/receiver/jaegerreceiver", ("traces",)),
    _spec("receiver", "kubelet_stats", f"{_CONTRIB}/receiver/kubeletstatsreceiver", ("metrics",),
          version="v0.159.0"),
    _spec("processor", "batch", f"{_CORE}/processor/batchprocessor", ALL),
    _spec("processor", "memory_limiter", f"{_CORE}/processor/memorylimiterprocessor", ALL),
    _spec("processor", "k8s_attributes", f"{_CONTRIB}/processor/k8sattributesprocessor", ALL),
    _spec("processor", "resource_detection", f"{_CONTRIB}/processor/resourcedetectionprocessor", ALL),
    _spec("processor", "tail_sampling", f"{_CONTRIB}/processor/tailsamplingprocessor", ("traces",)),
    _spec("processor", "resource", f"{_CONTRIB}/processor/resourceprocessor", ALL),
    _spec("processor", "transform", f"{_CONTRIB}/processor/transformprocessor", ALL),
    _spec("processor", "filter", f"{_CONTRIB}/processor/filterprocessor", ALL, "alpha"),
    _spec("exporter", "otlp_grpc", f"{_CORE}/exporter/otlpexporter", ALL, "stable"),
    _spec("exporter", "otlp_http", f"{_CORE}/exporter/otlphttpexporter", ALL, "stable"),
    _spec("exporter", "debug", f"{_CORE}/exporter/debugexporter", ALL, "alpha"),
    _spec("exporter", "load_balancing", f"{_CONTRIB}/exporter/loadbalancingexporter", ALL, "alpha"),
    _spec("exporter", "prometheus_remote_write", f"{_CONTRIB}/exporter/prometheusremotewriteexporter",
          ("metrics",)),
    _spec("exporter", "file", f"{_CONTRIB}/exporter/fileexporter", ALL, "alpha"),
    _spec("connector", "span_metrics", f"{_CONTRIB}/connector/spanmetricsconnector",
          connects=(("traces", "metrics"),), stability="alpha"),
    _spec("extension", "zpages", f"{_CORE}/extension/zpagesextension"),
    _spec("extension", "health_check", f"{_CONTRIB}/extension/healthcheckextension", stability="alpha"),
    _spec("extension", "pprof", f"{_CONTRIB}/extension/pprofextension"),
    _spec("extension", "file_storage", f"{_CONTRIB}/extension/storage/filestorage"),
)

REGISTRY: Mapping[tuple[Kind, str], ComponentSpec] = MappingProxyType({(s.kind, s.type): s for s in _SPECS})

# Components that must never be emitted: removed or renamed upstream, with the fix.
REMOVED: Mapping[tuple[Kind, str], str] = MappingProxyType({
    ("exporter", "loki"): "the loki exporter was removed; use an otlp_http exporter to Loki's OTLP "
                          "endpoint (endpoint: http://<loki>/otlp)",
    ("exporter", "logging"): "the logging exporter was removed; use the debug exporter",
    ("exporter", "jaeger"): "the jaeger exporter was removed; Jaeger accepts OTLP, use an otlp_grpc exporter",
    ("exporter", "otlp"): "the exporter type 'otlp' was renamed; use 'otlp_grpc'",
    ("exporter", "otlphttp"): "the exporter type 'otlphttp' was renamed; use 'otlp_http'",
    ("extension", "memory_ballast"): "the memory_ballast extension was removed; use the memory_limiter "
                                     "processor (first in every pipeline) and set GOMEMLIMIT",
    ("processor", "spanmetrics"): "the spanmetrics processor was removed; use the span_metrics connector",
    **{key: f"the type {key[1]!r} was renamed; use {new!r}" for key, new in {  # type: ignore[misc]
        ("receiver", "filelog"): "file_log", ("receiver", "hostmetrics"): "host_metrics",
        ("receiver", "kubeletstats"): "kubelet_stats", ("processor", "k8sattributes"): "k8s_attributes",
        ("processor", "resourcedetection"): "resource_detection",
        ("exporter", "loadbalancing"): "load_balancing",
        ("exporter", "prometheusremotewrite"): "prometheus_remote_write",
        ("connector", "spanmetrics"): "span_metrics",
    }.items()},
})

# Real components obs leaves out on purpose, with the alternative.
UNAVAILABLE: Mapping[tuple[Kind, str], str] = MappingProxyType({
    ("connector", "servicegraph"): "not buildable at the pinned version here (the Go proxy serves only "
                                   "v0.158.0); service graphs come from Tempo's metrics generator",
    ("receiver", "k8sobjects"): "not buildable at the pinned version here (the Go proxy serves only "
                                "v0.111.0); collect Kubernetes events with a dedicated exporter",
    ("receiver", "k8s_events"): "deprecated and not buildable here; see the k8sobjects receiver",
    ("exporter", "prometheus"): "not buildable at the pinned version here; use prometheusremotewrite",
    ("extension", "basicauth"): "not buildable at the pinned version here; put credentials in headers "
                                "as ${env:NAME}",
})

# filelog/stanza operator types that were removed, with the replacement.
REMOVED_OPERATORS: Mapping[str, str] = MappingProxyType({
    "kubernetes_parser": "there is no kubernetes_parser operator; use `type: container` (parses "
                         "docker, containerd and CRI-O logs and adds k8s.pod/namespace/container attributes)",
})


def spec(kind: Kind, type_: str) -> ComponentSpec | None:
    """The registered spec, or None."""
    return REGISTRY.get((kind, type_))


def specs() -> tuple[ComponentSpec, ...]:
    """Every registered component, in registry order."""
    return _SPECS
