"""OpenTelemetry set-up for one service (rendered by obs; do not edit, re-run `obs build`).

Import it first thing in your application and call `setup()`; wrap a WSGI app to get a server
span and the request-duration histogram per request (or call `record_request` yourself):

    import otel_setup
    telemetry = otel_setup.setup()
    app = telemetry.wsgi(app, route=lambda environ: "/orders/{id}")

Resource: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults obs baked in
below (service.name, service.namespace, service.version, deployment.environment.name).
Export: traces, metrics and logs over OTLP http/protobuf. Endpoint, sampler and propagators come
from the OTEL_* environment; ENV_DEFAULTS fills in what the environment does not set (before the
SDK is imported, so the propagators it loads at import honour them too). HTTP server metrics follow the stable semantic conventions
(`http.server.request.duration`, seconds; `http_server_request_duration_seconds_*` in Prometheus).
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

ENV_DEFAULTS: dict[str, str] = {
    'OTEL_EXPORTER_OTLP_ENDPOINT': 'http://gateway.monitoring.svc:4318',
    'OTEL_EXPORTER_OTLP_PROTOCOL': 'http/protobuf',
    'OTEL_TRACES_EXPORTER': 'otlp',
    'OTEL_METRICS_EXPORTER': 'otlp',
    'OTEL_LOGS_EXPORTER': 'otlp',
    'OTEL_TRACES_SAMPLER': 'parentbased_traceidratio',
    'OTEL_PROPAGATORS': 'tracecontext,baggage',
    'OTEL_SEMCONV_STABILITY_OPT_IN': 'http',
    'OTEL_METRIC_EXPORT_INTERVAL': '15000',
    'OTEL_TRACES_SAMPLER_ARG': '0.25',
}
for _name, _value in ENV_DEFAULTS.items():
    os.environ.setdefault(_name, _value)

from opentelemetry import metrics, trace  # noqa: E402  (after the environment defaults)
from opentelemetry._logs import set_logger_provider  # noqa: E402
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler  # noqa: E402
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader  # noqa: E402
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View  # noqa: E402
from opentelemetry.sdk.resources import OTELResourceDetector, Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402
from opentelemetry.trace import SpanKind, Status, StatusCode  # noqa: E402

DEFAULTS: dict[str, str] = {
    'service.name': 'api',
    'service.namespace': 'shop',
    'deployment.environment.name': 'dev',
}

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

    def record_request(self, method: str, route: str | None, status_code: int, seconds: float,
                       scheme: str = "http") -> None:
        """Record one served request with the stable attribute names (`route` is the template,
        e.g. '/orders/{id}', never the raw path; None when unknown)."""
        self.request_duration.record(seconds, request_attributes(method, route, status_code, scheme))

    def wsgi(self, app: Callable[..., Iterable[bytes]],
             route: Callable[[dict[str, Any]], str | None] = lambda environ: None) -> Callable[..., list[bytes]]:
        """Wrap a WSGI app: one SERVER span and one duration measurement per request."""
        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            method, name = environ.get("REQUEST_METHOD", "GET"), route(environ)
            scheme = environ.get("wsgi.url_scheme", "http")
            status = [500]

            def capture(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                status[0] = int(line.split(" ", 1)[0])
                return start_response(line, headers, exc_info)

            start = time.perf_counter()
            with self.tracer.start_as_current_span(f"{method} {name}" if name else method,
                                                   kind=SpanKind.SERVER) as span:
                try:
                    return list(app(environ, capture))
                finally:
                    attributes = request_attributes(method, name, status[0], scheme)
                    span.set_attributes(attributes)
                    if status[0] >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                    self.request_duration.record(time.perf_counter() - start, attributes)
        return wrapped

    def shutdown(self) -> None:
        """Flush and stop every provider (call before the process exits)."""
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        self.logger_provider.shutdown()


def request_attributes(method: str, route: str | None, status_code: int, scheme: str) -> dict[str, str | int]:
    """Stable HTTP server attributes; error.type is the status code for 5xx answers."""
    attributes: dict[str, str | int] = {"http.request.method": method, "http.response.status_code": status_code,
                                        "url.scheme": scheme}
    if route:
        attributes["http.route"] = route
    if status_code >= 500:
        attributes["error.type"] = str(status_code)
    return attributes


def resource() -> Resource:
    """Baked defaults, overridden by OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME."""
    return Resource.create(dict(DEFAULTS)).merge(OTELResourceDetector().detect())


def setup(log_level: int = logging.INFO) -> Telemetry:
    """Configure traces, metrics and logs for this process and return the instruments."""
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
