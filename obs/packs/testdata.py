"""Helpers for the reference packs' unit tests: series shaped like the real exporters emit,
value strings for promtool, and Python twins of Prometheus' template functions so expected
descriptions follow from the (overridable) thresholds."""
from __future__ import annotations

import math
import re

from typing import Sequence

from obs.model.environment import Environment
from obs.catalog.promql import select
from obs.errors import DefinitionError
from obs.model.checks import duration_seconds
from obs.model.rules import ClockValues
from obs.model.samples import preferred as owned, regex_examples
from obs.promql import series

# What each scrape source puts on its series besides the metric's own labels.
SOURCE_LABELS: dict[str, dict[str, str]] = {
    "kube_state_metrics": {"job": "kube-state-metrics", "instance": "10.42.0.7:8080"},
    "cadvisor": {"job": "kubelet", "metrics_path": "/metrics/cadvisor", "instance": "10.0.1.12:10250",
                 "node": "node-a", "endpoint": "https-metrics"},
    # OTLP -> collector prometheus_remote_write -> Prometheus (checked with v0.160 and Prometheus 2.42):
    # job = service.namespace/service.name, instance = service.instance.id, plus the scope name;
    # cluster and namespace copied from the resource by the gateway (topologies.common.promote_labels).
    "otel_services": {"job": "shop/checkout", "instance": "627cc493-f310-47de-96bd-71410b7dec09",
                      "namespace": "shop", "otel_scope_name": "opentelemetry.instrumentation.flask"},
    # The collector's pull reader: resource attributes go to target_info, not onto each series.
    "otel_collector": {"job": "otel-collector", "instance": "10.42.1.9:8888", "namespace": "monitoring",
                       "pod": "otel-gateway-5d9c7b8f6-k2j4x"},
    # Thanos Rule through the operator's governing Service (port web, 10902).
    "thanos_ruler": {"job": "thanos-ruler-operated", "instance": "10.42.3.4:10902", "namespace": "monitoring",
                     "pod": "thanos-ruler-obs-global-0"},
}


def matchers(selector: str) -> list[tuple[str, str, str]]:
    """(label, operator, value) of every matcher in a selector such as 'job="x", ns=~"a|b"' (read
    by the coherence check's PromQL tokenizer)."""
    return [m for found in select(f"{{{selector}}}").selectors for m in found.matchers]


def _matches(op: str, pattern: str, value: str) -> bool:
    if op == "=":
        return value == pattern
    if op == "!=":
        return value != pattern
    try:
        found = re.fullmatch(pattern, value) is not None
    except re.error:
        return False
    return found if op == "=~" else not found


def sample_value(rules: list[tuple[str, str]], preferred: str) -> str | None:
    """A label value that satisfies every (operator, value) rule: `preferred` when it does, else
    one derived from the rules; None when no candidate fits."""
    candidates = [value for op, value in rules if op == "="] + [preferred]
    for op, value in rules:
        if op == "=~":
            candidates += regex_examples(value)
    candidates += ["x", "default", "app"]
    return next((c for c in candidates if all(_matches(op, v, c) for op, v in rules)), None)


def sample_label(env: Environment, source: str, label: str, preferred: str) -> str:
    """A value of `label` that the environment's `source` selector selects, for test series: the
    owner's real values first while a pack is built for one team (obs.model.team.Owners.packs)."""
    rules = [(op, value) for name, op, value in matchers(env.selector(source)) if name == label]
    value = next((v for v in owned(label) if all(_matches(op, p, v) for op, p in rules)), None) \
        or sample_value(rules, preferred)
    if value is None:
        raise DefinitionError(env.definition, f"selectors[{source!r}]",
                              f"no test value of {label!r} satisfies {env.selector(source)!r}",
                              f'add an equality matcher for the test data, e.g. {label}="{preferred}"')
    return value


def selector_labels(env: Environment, source: str) -> dict[str, str]:
    """Labels a series of `source` carries in `env`: the defaults above, with each label the
    environment's selector constrains set to a value that selector selects, so selector
    overrides (another namespace, job or cluster) keep the packs' cases valid."""
    labels = dict(SOURCE_LABELS[source])
    for name in {name for name, _, _ in matchers(env.selector(source))}:
        labels[name] = sample_label(env, source, name, labels.get(name, "x"))
    labels[env.cluster_label] = env.sample_cluster
    return labels


def source_series(env: Environment, source: str, metric: str, **labels: str) -> str:
    """A series literal of `metric` as scraped from `source` in `env` (cluster label included)."""
    return series(metric, **{**selector_labels(env, source), **labels})


def ksm(env: Environment, metric: str, **labels: str) -> str:
    """A kube-state-metrics v2 series (the object's labels, e.g. namespace, pod, uid, container)."""
    return source_series(env, "kube_state_metrics", metric, **labels)


def cadvisor(env: Environment, metric: str, **labels: str) -> str:
    """A cAdvisor series from the kubelet's /metrics/cadvisor endpoint."""
    return source_series(env, "cadvisor", metric, **labels)


def flat(value: float, minutes: int) -> str:
    """A gauge holding `value` for `minutes` + 1 samples at 1m."""
    return f"{fmt(value)}x{minutes}"


def clock(seconds: float, minutes: int) -> ClockValues:
    """A timestamp gauge (kube_pod_created, kube_job_status_start_time) holding the instant
    `seconds` after the test's clock start for `minutes` + 1 samples: each test engine starts its
    clock elsewhere, so a timestamp is never written as a bare number (0 meant the epoch)."""
    return ClockValues(flat(seconds, minutes))


def counter(per_minute: float, minutes: int, start: float = 0) -> str:
    """A counter growing by `per_minute` each minute."""
    return f"{fmt(start)}+{fmt(per_minute)}x{minutes}"


def steps(values: Sequence[float]) -> str:
    """Explicit samples, one a minute."""
    return " ".join(fmt(v) for v in values)


def fmt(value: float) -> str:
    """A number as promtool reads it, without a trailing '.0'."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def minutes(duration: str) -> int:
    """Whole minutes in a Prometheus duration."""
    return int(duration_seconds(duration) // 60)


def humanize_percentage(value: float) -> str:
    """Prometheus' `humanizePercentage`."""
    return f"{value * 100:.4g}%"


def humanize_duration(value: float) -> str:
    """Prometheus' `humanizeDuration` (seconds -> '1h 10m 0s', '250ms', '1.5s')."""
    if value == 0:
        return "0s"
    if abs(value) >= 1:
        sign = "-" if value < 0 else ""
        whole = int(abs(value))
        secs, mins = whole % 60, whole // 60 % 60
        hours, days = whole // 3600 % 24, whole // 86400
        if days:
            return f"{sign}{days}d {hours}h {mins}m {secs}s"
        if hours:
            return f"{sign}{hours}h {mins}m {secs}s"
        if mins:
            return f"{sign}{mins}m {secs}s"
        return f"{sign}{_g4(abs(value))}s"
    prefix = ""
    for unit in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(value) >= 1:
            break
        prefix, value = unit, value * 1000
    return f"{_g4(value)}{prefix}s"


def humanize_bytes(value: float) -> str:
    """Prometheus' `humanize1024` (1536 -> '1.5ki')."""
    if abs(value) <= 1:
        return _g4(value)
    prefix = ""
    for unit in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(value) < 1024:
            break
        prefix, value = unit, value / 1024
    return f"{_g4(value)}{prefix}"


def _g4(value: float) -> str:
    """Go's %.4g (Python's matches it for the magnitudes alerts use)."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.4g}"
