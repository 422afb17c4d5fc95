"""OpenTelemetry alerts (seed 004 section 4.5): service error rate and latency on the stable HTTP
semantic conventions, and the collector's own health.

Collector metric names were read from the pinned collector (v0.160.0, built with ocb) serving its
telemetry through the `service.telemetry.metrics.readers` pull Prometheus exporter at level
`normal`: counters carry NO `_total` suffix there (`otelcol_exporter_send_failed_spans`,
`otelcol_receiver_refused_spans`, ...); queue gauges are labelled `exporter`, `data_type`; tail
sampling decisions are `otelcol_processor_tail_sampling_global_count_traces_sampled{sampled}`
(the seed's `otelcol_processor_tail_sampling_decision` does not exist). A collector that never
sampled a trace has no sampled="true" series at all, so LowTraceSampling treats it as 0%.
"""
from __future__ import annotations

from typing import Sequence

from obs.model.params import RATIO
from obs import AlertRule, AlertTest, Environment, FiringAlert, RulePack
from obs.collector import Collector
from obs.collector.kubernetes import collector_scope
from obs.promql import by, selector
from obs.packs.http import error_ratio_alert, latency_alert
from obs.packs.assemble import AlertMaker, assemble
from obs.packs.testdata import counter, flat, fmt, humanize_percentage, minutes, selector_labels, source_series

SERVICE = ("job",)


def high_error_rate(env: Environment) -> AlertRule:
    return error_ratio_alert(env, "HighErrorRate", SERVICE, "critical", "Service answers with many server errors",
                             threshold=0.05, for_="5m", min_rate=1.0)


def high_latency(env: Environment) -> AlertRule:
    return latency_alert(env, "HighLatency", SERVICE, 0.99, "warning", "Service responds slowly",
                         threshold=1.0, for_="10m", min_rate=1.0)


def _col(env: Environment, metric: str, *matchers: str) -> str:
    return selector(metric, env.selector("otel_collector"), *matchers)


def _col_series(env: Environment, metric: str, **labels: str) -> str:
    return source_series(env, "otel_collector", metric, **labels)


def _col_labels(env: Environment, *keys: str, **values: str) -> dict[str, str]:
    scraped = selector_labels(env, "otel_collector")
    return {env.cluster_label: env.sample_cluster, **{k: scraped[k] for k in keys}, **values}


def queue_full(env: Environment) -> AlertRule:
    threshold = env.param("OTelCollectorQueueFull.threshold", 0.8, RATIO)
    for_ = env.param("OTelCollectorQueueFull.for", "5m")
    at = minutes(for_) + 5
    keys = ("job", "instance", "exporter", "data_type")
    queue = {"exporter": "otlp_grpc/tempo", "data_type": "traces"}

    def case(name: str, used: float) -> AlertTest:
        series = {_col_series(env, "otelcol_exporter_queue_size", **queue): flat(used * 1000, at),
                  _col_series(env, "otelcol_exporter_queue_capacity", **queue): flat(1000, at)}
        fires = [FiringAlert(_col_labels(env, "job", "instance", **queue),
                             f"The traces sending queue of exporter otlp_grpc/tempo on "
                             f"{selector_labels(env, 'otel_collector')['instance']} is "
                             f"{humanize_percentage(used)} full; once full, new data is dropped.")
                 ] if used > threshold else []
        return AlertTest(name, series, at=f"{at}m", fires=fires)

    return AlertRule(
        name="OTelCollectorQueueFull",
        expr=f"max {by(env, *keys)} ({_col(env, 'otelcol_exporter_queue_size')})\n"
             f"  / max {by(env, *keys)} ({_col(env, 'otelcol_exporter_queue_capacity')})\n> {fmt(threshold)}",
        for_=for_, severity="critical",
        summary="OpenTelemetry Collector sending queue is nearly full",
        description="The {{ $labels.data_type }} sending queue of exporter {{ $labels.exporter }} on "
                    "{{ $labels.instance }} is {{ $value | humanizePercentage }} full; once full, new data is "
                    "dropped.",
        tests=[case("queue nearly full", round(threshold + (1 - threshold) / 2, 4)),
               case("queue mostly empty", round(threshold / 2, 4))],
    )


def low_trace_sampling(env: Environment) -> AlertRule:
    threshold = env.param("LowTraceSampling.threshold", 0.05, RATIO)
    for_ = env.param("LowTraceSampling.for", "15m")
    at = minutes(for_) + 20
    metric = "otelcol_processor_tail_sampling_global_count_traces_sampled"
    decisions = _col(env, metric)
    sampled = _col(env, metric, 'sampled="true"')
    total = f"sum {by(env, 'job')} (rate({decisions}[15m]))"

    def case(name: str, share: float) -> AlertTest:
        per_minute = 600
        series = {_col_series(env, metric, decision="not_sampled", sampled="false"): counter(per_minute * (1 - share), at)}
        if share:  # The SDK creates the sampled="true" series only with the first sampled trace.
            series[_col_series(env, metric, decision="sampled", sampled="true")] = counter(per_minute * share, at)
        fires = [FiringAlert(_col_labels(env, "job"),
                             f"Only {humanize_percentage(share)} of the traces that "
                             f"{selector_labels(env, 'otel_collector')['job']} decided on over "
                             "the last 15m were sampled.")] if share < threshold else []
        return AlertTest(name, series, at=f"{at}m", fires=fires)

    return AlertRule(
        name="LowTraceSampling",
        expr=f"(\n  sum {by(env, 'job')} (rate({sampled}[15m]))\n    or\n  0 * {total}\n)\n/ {total}\n"
             f"< {fmt(threshold)}",
        for_=for_, severity="warning",
        summary="Tail sampling keeps very few traces",
        description="Only {{ $value | humanizePercentage }} of the traces that {{ $labels.job }} decided on over "
                    "the last 15m were sampled.",
        tests=[case("a few traces sampled", round(threshold / 2, 4)), case("no trace sampled", 0),
               case("healthy sampling", round(min(1.0, threshold * 4), 4))],
    )


def _failure_ratio(env: Environment, name: str, failed: str, ok: str, keys: tuple[str, ...], labels: dict[str, str],
                   summary: str, what: str, default: float) -> AlertRule:
    """failed / (failed + ok) for a pair of collector counters, per `keys`."""
    threshold = env.param(f"{name}.threshold", default, RATIO)
    for_ = env.param(f"{name}.for", "10m")
    at = minutes(for_) + 10
    rate = {m: f"sum {by(env, 'job', *keys)} (rate({_col(env, m)}[5m]))" for m in (failed, ok)}
    where = " ".join(f"{k} {{{{ $labels.{k} }}}}" for k in keys)

    def case(test: str, share: float) -> AlertTest:
        series = {_col_series(env, failed, **labels): counter(600 * share, at),
                  _col_series(env, ok, **labels): counter(600 * (1 - share), at)}
        fires = [FiringAlert(_col_labels(env, "job", **{k: labels[k] for k in keys}),
                             f"{humanize_percentage(share)} of the spans of "
                             + " ".join(f"{k} {labels[k]}" for k in keys)
                             + f" on {selector_labels(env, 'otel_collector')['job']} {what} over the last 5m.")] if share > threshold else []
        return AlertTest(test, series, at=f"{at}m", fires=fires)

    return AlertRule(
        name=name,
        expr=f"{rate[failed]}\n/\n({rate[failed]} + {rate[ok]})\n> {fmt(threshold)}",
        for_=for_, severity="warning", summary=summary,
        description=f"{{{{ $value | humanizePercentage }}}} of the spans of {where} on {{{{ $labels.job }}}} {what} "
                    "over the last 5m.",
        tests=[case("many failures", round(min(1.0, threshold * 3), 4)), case("few failures", round(threshold / 5, 4))],
    )


def export_failing(env: Environment) -> AlertRule:
    return _failure_ratio(env, "OTelCollectorExportFailing", "otelcol_exporter_send_failed_spans",
                          "otelcol_exporter_sent_spans", ("exporter",),
                          {"exporter": "otlp_grpc/tempo", "server_address": "tempo-distributor.monitoring.svc",
                           "server_port": "4317"},
                          "OpenTelemetry Collector fails to export spans", "could not be exported (dropped)", 0.01)


def receiver_refusing(env: Environment) -> AlertRule:
    return _failure_ratio(env, "OTelCollectorRefusedSpans", "otelcol_receiver_refused_spans",
                          "otelcol_receiver_accepted_spans", ("receiver", "transport"),
                          {"receiver": "otlp", "transport": "grpc"},
                          "OpenTelemetry Collector refuses incoming spans",
                          "were refused (usually by the memory limiter)", 0.01)


def pack(env: Environment, dashboard: object | None = None, service_dashboard: object | None = None,
         collectors: Sequence[Collector] | None = None) -> RulePack:
    """Service error rate and latency, and the health of `collectors` (default: whatever the
    environment's `otel_collector` selector selects): queues, exports, receivers and sampling.
    Collector alerts link to `dashboard`; service alerts to `service_dashboard` when given.
    With teams, build the two halves apart (`services_pack` per owner, `collector_pack` once)."""
    scoped = collector_scope(env, collectors)
    return assemble(env, dashboard, "opentelemetry", "OpenTelemetry services and collector", {
        "opentelemetry.services": [high_error_rate, high_latency],
        "opentelemetry.collector": [_with_env(make, scoped) for make in COLLECTOR_ALERTS],
    }, group_dashboards={"opentelemetry.services": service_dashboard})


def _with_env(make: AlertMaker, env: Environment) -> AlertMaker:
    """`make` called with `env` whatever environment it is given (the collectors' scoped copy)."""
    return lambda _: make(env)


def services_pack(env: Environment, service_dashboard: object | None = None) -> RulePack:
    """Service error rate and latency only (namespaced: build it per owner with Owners.packs)."""
    return assemble(env, service_dashboard, "opentelemetry-services", "OpenTelemetry services",
                    {"opentelemetry.services": [high_error_rate, high_latency]})


def collector_pack(env: Environment, dashboard: object | None = None,
                   collectors: Sequence[Collector] | None = None) -> RulePack:
    """The collectors' health only (the platform team's)."""
    scoped = collector_scope(env, collectors)
    return assemble(env, dashboard, "opentelemetry-collector", "OpenTelemetry Collector health", {
        "opentelemetry.collector": [_with_env(make, scoped) for make in COLLECTOR_ALERTS]})


COLLECTOR_ALERTS = (queue_full, export_failing, receiver_refusing, low_trace_sampling)
