"""HTTP server alerts on the stable OTel semantic conventions as Prometheus stores them.

The SDK's `http.server.request.duration` histogram (unit s) arrives through the collector's
prometheus_remote_write exporter (or Prometheus' OTLP endpoint) as
`http_server_request_duration_seconds_{bucket,count,sum}` with labels `http_request_method`,
`http_response_status_code`, `http_route`, `url_scheme`, `network_protocol_version`, and
`job` = service.namespace/service.name, `instance` = service.instance.id, and `cluster` and
`namespace`, which the gateway copies from the resource (obs.topologies.common.promote_labels).
Every alert keeps `namespace` so Alertmanager can route it to the team owning the namespace.

One maker serves both the per-route web alerts (seed 001) and the per-service OTel alerts
(seed 004): `keys` chooses the grouping, so the two cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from obs.model.params import RATE, RATIO, SECONDS, Range
from obs import AlertRule, AlertTest, Environment, FiringAlert
from obs.promql import by, on, selector
from obs.packs.testdata import (
    counter, fmt, humanize_duration, humanize_percentage, minutes, selector_labels, source_series,
)

METRIC = "http_server_request_duration_seconds"
# The semantic conventions' advised bucket boundaries for http.server.request.duration.
SERVER_ERRORS = 'http_response_status_code=~"5.."'
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)


@dataclass(frozen=True)
class Stream:
    """Test traffic of one label set: `rate` requests per second, all taking between
    `bucket[0]` and `bucket[1]` seconds."""

    route: str
    status: str
    rate: float
    bucket: tuple[float, float] = (0.05, 0.075)


ROUTING = ("namespace",)
"""Labels every service alert keeps besides the cluster label, for Alertmanager routes."""


def _routed(keys: Sequence[str]) -> tuple[str, ...]:
    """`keys` with the routing labels first."""
    return (*ROUTING, *(k for k in keys if k not in ROUTING))


def _sel(env: Environment, metric: str, *matchers: str) -> str:
    return selector(metric, env.selector("otel_services"), *matchers)


def request_rate(env: Environment, keys: Sequence[str], *matchers: str) -> str:
    """Requests per second per group over 5m."""
    return f"sum {by(env, *keys)} (rate({_sel(env, METRIC + '_count', *matchers)}[5m]))"


def _traffic_guard(env: Environment, keys: Sequence[str], min_rate: float) -> str:
    return f"\nand {on(env, *keys)}\n{request_rate(env, keys)} > {fmt(min_rate)}"


def _where(keys: Sequence[str]) -> tuple[str, str]:
    """Description words naming the group, as template and as rendered for the test streams."""
    if "http_route" in keys:
        return "{{ $labels.http_route }} on {{ $labels.job }}", "{route} on {job}"
    return "{{ $labels.job }}", "{job}"


def _series(env: Environment, streams: Sequence[Stream], at: int) -> dict[str, str]:
    """Count, sum and cumulative bucket counters of every stream (1m scrape interval)."""
    out = {}
    for s in streams:
        labels = {"http_request_method": "GET", "http_response_status_code": s.status, "http_route": s.route,
                  "network_protocol_version": "1.1", "url_scheme": "http"}
        per_minute = s.rate * 60
        out[source_series(env, "otel_services", METRIC + "_count", **labels)] = counter(per_minute, at)
        out[source_series(env, "otel_services", METRIC + "_sum", **labels)] = \
            counter(per_minute * sum(s.bucket) / 2, at)
        for le in (*BUCKETS, "+Inf"):
            inside = isinstance(le, str) or le >= s.bucket[1]  # "+Inf" holds every request
            out[source_series(env, "otel_services", METRIC + "_bucket", **labels, le=le if isinstance(le, str) else fmt(le))] = \
                counter(per_minute if inside else 0, at)
    return out


def _groups(env: Environment, keys: Sequence[str], streams: Sequence[Stream]) -> dict[str, list[Stream]]:
    """The test streams as the alert groups them: per route, or all of the service's."""
    job = selector_labels(env, "otel_services")["job"]
    groups: dict[str, list[Stream]] = {}
    for s in streams:
        groups.setdefault(s.route if "http_route" in keys else job, []).append(s)
    return groups


def _labels(env: Environment, keys: Sequence[str], group: str) -> dict[str, str]:
    job = selector_labels(env, "otel_services")["job"]
    source = selector_labels(env, "otel_services")
    labels = {env.cluster_label: env.sample_cluster, "job": job, **{k: source[k] for k in ROUTING}}
    if "http_route" in keys:
        labels["http_route"] = group
    return labels


def _tuned(env: Environment, name: str, threshold: float, for_: str, min_rate: float,
           kind: Range) -> tuple[float, str, float]:
    """The alert's threshold (a `kind` number: a ratio or seconds), `for` and traffic floor, each
    overridable as `<name>.<key>`."""
    return (env.param(f"{name}.threshold", threshold, kind), env.param(f"{name}.for", for_),
            env.param(f"{name}.min_rate", min_rate, RATE))


def error_ratio_alert(env: Environment, name: str, keys: Sequence[str], severity: str, summary: str,
                      threshold: float, for_: str, min_rate: float) -> AlertRule:
    """5xx responses / all responses per group, above `threshold` with at least `min_rate` req/s."""
    keys = _routed(keys)
    threshold, for_, min_rate = _tuned(env, name, threshold, for_, min_rate, RATIO)
    at = minutes(for_) + 10
    where, where_test = _where(keys)

    def case(test: str, streams: list[Stream]) -> AlertTest:
        fires = []
        for group, members in _groups(env, keys, streams).items():
            total = sum(s.rate * 300 for s in members) / 300
            errors = sum(s.rate * 300 for s in members if s.status.startswith("5")) / 300
            if total > min_rate and errors / total > threshold:
                labels = _labels(env, keys, group)
                fires.append(FiringAlert(labels, f"{humanize_percentage(errors / total)} of requests to "
                                         f"{where_test.format(route=group, job=labels['job'])} failed with a "
                                         "5xx status over the last 5m."))
        return AlertTest(test, _series(env, streams, at), at=f"{at}m", fires=fires)

    ratio = round(min(threshold + 0.05, (1 + threshold) / 2), 4)  # an error share the threshold allows
    busy = max(20 * min_rate, 1)
    low = min_rate / 2
    return AlertRule(
        name=name,
        expr=f"(\n  {request_rate(env, keys, SERVER_ERRORS)}\n/\n  "
             f"{request_rate(env, keys)}\n) > {fmt(threshold)}{_traffic_guard(env, keys, min_rate)}",
        for_=for_, severity=severity, summary=summary,
        description=f"{{{{ $value | humanizePercentage }}}} of requests to {where} failed with a 5xx status "
                    "over the last 5m.",
        tests=[
            case("5xx above the threshold; a quiet route failing entirely", [
                Stream("/api/cart", "200", busy * (1 - ratio)), Stream("/api/cart", "503", busy * ratio),
                Stream("/api/orders", "200", busy * (1 - ratio)), Stream("/api/orders", "500", busy * ratio),
                Stream("/admin/export", "500", low)]),
            case("only client errors and few 5xx", [
                Stream("/api/cart", "200", busy * (1 - threshold / 2)),
                Stream("/api/cart", "500", busy * threshold / 2), Stream("/api/cart", "404", busy * 5)]),
        ],
    )


def latency_alert(env: Environment, name: str, keys: Sequence[str], quantile: float, severity: str,
                  summary: str, threshold: float, for_: str, min_rate: float) -> AlertRule:
    """The `quantile` of request duration per group above `threshold` seconds."""
    keys = _routed(keys)
    threshold, for_, min_rate = _tuned(env, name, threshold, for_, min_rate, SECONDS)
    at = minutes(for_) + 10
    where, where_test = _where(keys)
    edges = (0, *BUCKETS)
    slow = next((lo, hi) for lo, hi in zip(edges, edges[1:], strict=False) if lo >= threshold)
    fast = next((lo, hi) for lo, hi in reversed(list(zip(edges, edges[1:], strict=False))) if hi <= threshold)
    percentile = f"{quantile * 100:g}th percentile"

    def case(test: str, streams: list[Stream]) -> AlertTest:
        fires = []
        for group, members in _groups(env, keys, streams).items():
            value = _histogram_quantile(quantile, members)
            if sum(s.rate for s in members) > min_rate and value > threshold:
                labels = _labels(env, keys, group)
                fires.append(FiringAlert(labels, f"The {percentile} of request duration of "
                                         f"{where_test.format(route=group, job=labels['job'])} is "
                                         f"{humanize_duration(value)} over the last 5m."))
        return AlertTest(test, _series(env, streams, at), at=f"{at}m", fires=fires)

    busy = max(20 * min_rate, 1)
    return AlertRule(
        name=name,
        expr=f"histogram_quantile({quantile},\n  sum {by(env, *keys, 'le')} "
             f"(rate({_sel(env, METRIC + '_bucket')}[5m]))\n) > {fmt(threshold)}{_traffic_guard(env, keys, min_rate)}",
        for_=for_, severity=severity, summary=summary,
        description=f"The {percentile} of request duration of {where} is {{{{ $value | humanizeDuration }}}} "
                    "over the last 5m.",
        tests=[
            case("slow requests; a quiet slow route", [Stream("/api/cart", "200", busy, slow),
                                                       Stream("/admin/export", "200", min_rate / 2, slow)]),
            case("fast requests", [Stream("/api/cart", "200", busy, fast),
                                   Stream("/api/orders", "200", busy, fast)]),
        ],
    )


def _histogram_quantile(q: float, streams: Sequence[Stream]) -> float:
    """Prometheus' histogram_quantile over the streams' buckets (linear within a bucket)."""
    total = sum(s.rate for s in streams)
    rank, below = q * total, 0.0
    for lo, hi in zip((0, *BUCKETS), BUCKETS, strict=False):  # each bucket with its lower edge
        count = sum(s.rate for s in streams if s.bucket == (lo, hi))
        if below + count >= rank and count:
            return lo + (hi - lo) * (rank - below) / count
        below += count
    return BUCKETS[-1]
