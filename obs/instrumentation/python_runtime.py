"""OpenTelemetry set-up for one service (rendered by obs; do not edit, re-run `obs build`).

Import it first thing in your application and call `setup()`:

    import otel_setup
    telemetry = otel_setup.setup()

Resource: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults obs baked in
below (service.name, service.namespace, service.version, deployment.environment.name).
Export: traces, metrics and logs over OTLP http/protobuf to OTEL_EXPORTER_OTLP_ENDPOINT
(default below). HTTP server metrics follow the stable semantic conventions
(`http.server.request.duration`, seconds; `http_server_request_duration_seconds_*` in Prometheus).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from opentelemetry import metrics, trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

DEFAULTS: dict[str, str] = {}

# Stable HTTP semantic conventions: instrument name, unit and bucket boundaries (seconds).
REQUEST_DURATION = "http.server.request.duration"
REQUEST_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


@dataclass
class Telemetry:
    """The configured providers plus the stable-semconv HTTP server instruments."""

    tracer: trace.Tracer
    meter: metrics.Meter
    logger: logging.Logger
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider

    def __post_init__(self) -> None:
        self.request_duration = self.meter.create_histogram(
            REQUEST_DURATION, unit="s", description="Duration of HTTP server requests.")

    def record_request(self, method: str, route: str, status_code: int, seconds: float,
                       scheme: str = "http") -> None:
        """Record one served request with the stable attribute names."""
        attributes: dict[str, str | int] = {
            "http.request.method": method,
            "http.route": route,
            "http.response.status_code": status_code,
            "url.scheme": scheme,
        }
        if status_code >= 500:
            attributes["error.type"] = str(status_code)
        self.request_duration.record(seconds, attributes)

    def shutdown(self) -> None:
        """Flush and stop every provider (call before the process exits)."""
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        self.logger_provider.shutdown()


def resource() -> Resource:
    """Baked defaults, overridden by OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME."""
    defaults = {k: v for k, v in DEFAULTS.items() if k != "otlp_endpoint" and v}
    return Resource.create(defaults).merge(OTELResourceDetector().detect())


def setup(log_level: int = logging.INFO) -> Telemetry:
    """Configure traces, metrics and logs for this process and return the instruments."""
    os.environ.setdefault("OTEL_EXPORTER_OTLP_ENDPOINT", DEFAULTS["otlp_endpoint"])
    os.environ.setdefault("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    # Instrumentation libraries emit the stable HTTP conventions only (no old http.server.duration).
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    res = resource()

    tracer_provider = TracerProvider(resource=res)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(tracer_provider)

    view = View(instrument_name=REQUEST_DURATION,
                aggregation=ExplicitBucketHistogramAggregation(REQUEST_DURATION_BUCKETS))
    meter_provider = MeterProvider(resource=res, views=[view],
                                   metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter())])
    metrics.set_meter_provider(meter_provider)

    logger_provider = LoggerProvider(resource=res)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    set_logger_provider(logger_provider)
    handler = LoggingHandler(level=log_level, logger_provider=logger_provider)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or log_level, log_level))

    name = res.attributes.get("service.name", "unknown_service")
    return Telemetry(
        tracer=trace.get_tracer(str(name)),
        meter=metrics.get_meter(str(name)),
        logger=logging.getLogger(str(name)),
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
    )
