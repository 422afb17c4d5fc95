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

import re
from dataclasses import replace
from typing import Mapping, Sequence

from obs.model.params import OBJECTIVE
from obs import SLO, Environment, EventsSLI, LatencySLI, SLOAlerting, counter_rate, counter_rates
from obs.collector import Collector
from obs.collector.kubernetes import collector_scope
from obs.collector.selfmetrics import RECEIVER_ACCEPTED, RECEIVER_FAILED, RECEIVER_REFUSED
from obs.packs.http import BUCKETS, METRIC, ROUTING, SERVER_ERRORS


def http_slos(env: Environment, service: str = "checkout", job: str = "shop/checkout",
              availability: float = 99.9, latency: float = 99.0, latency_threshold: float = 1.0,
              labels: Mapping[str, str] | None = None, alerting: SLOAlerting = SLOAlerting()) -> list[SLO]:
    """Availability (non-5xx responses) and latency (answered within `latency_threshold` seconds, a
    bucket boundary of the semantic conventions' histogram) of one HTTP service, whose metrics carry
    `job` = service.namespace/service.name. Objectives are overridable per environment as
    `<Service>SLO.availability` / `<Service>SLO.latency` (e.g. CheckoutSLO.latency)."""
    key = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^a-zA-Z0-9]+", service)) + "SLO"
    job_value = env.param(f"{key}.job", job)
    job = f'job="{job_value}"'
    # The service's job on its burn alerts, so an SLO page can mute the same service's HTTP alerts
    # (obs.alertmanager.outage_inhibitions).
    alerting = replace(alerting, labels={"job": job_value, **alerting.labels})
    by = (env.cluster_label, *ROUTING)  # burn alerts keep `namespace` for Alertmanager routes
    labels = dict(labels if labels is not None else {"team": "shop", "tier": "1"})
    available = SLO(
        service=service, name="availability", objective=env.param(f"{key}.availability", availability, OBJECTIVE),
        description="Requests answered without a server error (5xx).",
        sli=EventsSLI(bad=counter_rate(f"{METRIC}_count", job, SERVER_ERRORS, by=by),
                      total=counter_rate(f"{METRIC}_count", job, by=by)),
        labels=labels, min_event_rate=0.05, alerting=alerting)
    fast = SLO(
        service=service, name="latency", objective=env.param(f"{key}.latency", latency, OBJECTIVE),
        description=f"Requests answered within {latency_threshold:g} second(s).",
        sli=LatencySLI(METRIC, latency_threshold, selector=job, buckets=BUCKETS, by=by),
        labels=labels, min_event_rate=0.05, alerting=alerting)
    return [available, fast]


def collector_slo(env: Environment, alerting: SLOAlerting = SLOAlerting(),
                  collectors: Sequence[Collector] | None = None, objective: float = 99.5) -> SLO:
    """Spans the receivers of `collectors` (default: the `otel_collector` selector's jobs)
    accepted, against those they refused or failed."""
    sel = collector_scope(env, collectors).selector("otel_collector")

    def spans(*counters: dict[str, str]) -> str:
        return counter_rates([c["traces"] for c in counters], sel, by=(env.cluster_label,))

    return SLO(
        service="otel-collector", name="span-ingestion", objective=objective,
        description="Spans accepted by the collectors' receivers (refused or failed spans are lost "
                    "or retried by the sender).",
        sli=EventsSLI(bad=spans(RECEIVER_REFUSED, RECEIVER_FAILED),
                      total=spans(RECEIVER_ACCEPTED, RECEIVER_REFUSED, RECEIVER_FAILED)),
        labels={"team": "platform"}, min_event_rate=1.0, alerting=alerting)


def slos(env: Environment, dashboard: object | None = None,
         collectors: Sequence[Collector] | None = None) -> list[SLO]:
    """The checkout service's HTTP SLOs and the collectors' span ingestion SLO; burn-rate alerts
    link to `dashboard` when given."""
    alerting = SLOAlerting(dashboard=dashboard)
    return [*http_slos(env, alerting=alerting), collector_slo(env, alerting, collectors)]
