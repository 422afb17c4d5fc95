"""Reference SLOs: availability and latency of an OpenTelemetry-instrumented HTTP service, and
the trace pipeline of the OpenTelemetry Collector itself.

The HTTP SLIs read the SDK's `http.server.request.duration` histogram as Prometheus stores it
(`http_server_request_duration_seconds_{bucket,count}`, `job` = service.namespace/service.name,
e.g. "shop/checkout": the OTLP -> Prometheus mapping, seen in the instrumentation round trip). The collector
SLI counts spans its receivers accepted against those they refused or failed, under the names the
pinned collector really exports (obs.collector.selfmetrics: v0.160 has no `_total` suffix; checked
by scraping the binary).
"""
from __future__ import annotations

from obs import SLO, Environment, EventsSLI, LatencySLI, SLOAlerting, counter_rate, counter_rates
from obs.collector.selfmetrics import RECEIVER_ACCEPTED, RECEIVER_FAILED, RECEIVER_REFUSED
from rules.http import BUCKETS, METRIC, SERVER_ERRORS


def http_slos(env: Environment, alerting: SLOAlerting = SLOAlerting()) -> list[SLO]:
    """Availability (non-5xx responses) and latency (answered within 1s) of one HTTP service."""
    service = "checkout"
    job = f'job="{env.param("CheckoutSLO.job", "shop/checkout")}"'
    by = (env.cluster_label,)
    labels = {"team": "shop", "tier": "1"}
    availability = SLO(
        service=service, name="availability", objective=env.param("CheckoutSLO.availability", 99.9),
        description="Requests answered without a server error (5xx).",
        sli=EventsSLI(bad=counter_rate(f"{METRIC}_count", job, SERVER_ERRORS, by=by),
                      total=counter_rate(f"{METRIC}_count", job, by=by)),
        labels=labels, min_event_rate=0.05, alerting=alerting)
    latency = SLO(
        service=service, name="latency", objective=env.param("CheckoutSLO.latency", 99.0),
        description="Requests answered within 1 second.",
        sli=LatencySLI(METRIC, 1.0, selector=job, buckets=BUCKETS, by=by),
        labels=labels, min_event_rate=0.05, alerting=alerting)
    return [availability, latency]


def collector_slo(env: Environment, alerting: SLOAlerting = SLOAlerting()) -> SLO:
    """Spans the collectors' receivers accepted, against those refused or failed."""
    sel = env.selector("otel_collector")

    def spans(*counters: dict[str, str]) -> str:
        return counter_rates([c["traces"] for c in counters], sel, by=(env.cluster_label,))

    return SLO(
        service="otel-collector", name="span-ingestion", objective=99.5,
        description="Spans accepted by the collectors' receivers (refused or failed spans are lost "
                    "or retried by the sender).",
        sli=EventsSLI(bad=spans(RECEIVER_REFUSED, RECEIVER_FAILED),
                      total=spans(RECEIVER_ACCEPTED, RECEIVER_REFUSED, RECEIVER_FAILED)),
        labels={"team": "platform"}, min_event_rate=1.0, alerting=alerting)


def slos(env: Environment, dashboard: object | None = None) -> list[SLO]:
    """Every reference SLO for one environment; burn-rate alerts link to `dashboard` when given."""
    alerting = SLOAlerting(dashboard=dashboard)
    return [*http_slos(env, alerting), collector_slo(env, alerting)]
