"""Pod and container-resource alerts of seed 003 section 6.2 (pod.rules, resource.rules).

Fixed from the seed: PodOOMKilled needs a recent restart (the last-terminated-reason gauge stays 1
long after an OOM); resource ratios use the limit, else the request, and label which one
(`basis`), and containers with neither are reported by ContainerResourceUnbounded instead of
vanishing from the ratio; cAdvisor's pod-cgroup series (container="") are excluded.
"""
from __future__ import annotations

import math

from obs.model.params import COUNT, Range
from obs import AlertRule, AlertTest, Environment, FiringAlert
from obs.model.rules import ClockValues
from obs.promql import by, on
from obs.packs.kube import (
    test_namespace, cadvisor_series, container_selector, container_series, ksm_and, ksm_max, ksm_sel, phase_series,
    pod_series,
)
from obs.packs.testdata import (
    clock, counter, flat, fmt, humanize_bytes, humanize_duration, humanize_percentage, minutes, steps,
)

# A container's usage over its limit (or request when no limit is set): above 1 when it uses more than requested.
USAGE = Range(0, 10, low_open=True, meaning="usage / limit (or request): 0.9 is 90%")

POD = ("namespace", "pod")
CONTAINER = ("namespace", "pod", "container")
MiB = 1024 * 1024


def _container_labels(env: Environment, pod: str, container: str) -> dict[str, str]:
    return {env.cluster_label: env.sample_cluster, "namespace": test_namespace(env), "pod": pod, "container": container}


def _restarts(env: Environment, pod: str, container: str) -> str:
    return container_series(env, "kube_pod_container_status_restarts_total", pod, container)


def pod_restarting(env: Environment) -> AlertRule:
    threshold = env.param("PodFrequentlyRestarting.threshold", 5, COUNT)
    for_ = env.param("PodFrequentlyRestarting.for", "10m")
    at = 60 + minutes(for_)

    def case(name: str, per_hour: int) -> AlertTest:
        # Integer restart counts, `per_hour` of them in every 1h window.
        values = steps([i * per_hour // 60 for i in range(at + 1)])
        fires = [FiringAlert(_container_labels(env, "api-6d8f9c7b5-x2k4q", "api"),
                             f"Container api of {test_namespace(env)}/api-6d8f9c7b5-x2k4q restarted about {per_hour} "
                             "times in the last hour.")] if per_hour > threshold else []
        return AlertTest(name, {_restarts(env, "api-6d8f9c7b5-x2k4q", "api"): values}, at=f"{at}m", fires=fires)

    return AlertRule(
        name="PodFrequentlyRestarting",
        expr=f"""
max {by(env, *CONTAINER)} (
  increase({ksm_sel(env, 'kube_pod_container_status_restarts_total')}[1h])
) > {threshold}""",
        for_=for_, severity="warning",
        summary="Container restarts frequently",
        description="Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} restarted "
                    'about {{ $value | printf "%.0f" }} times in the last hour.',
        tests=[case("restarting above the threshold", math.floor(threshold) + 1),
               case("restarting at the threshold", math.floor(threshold))],
    )


def pod_oom_killed(env: Environment) -> AlertRule:
    pod, container = "api-6d8f9c7b5-x2k4q", "api"
    reason = "kube_pod_container_status_last_terminated_reason"

    def case(name: str, restart_at: int, at: int, why: str = "OOMKilled") -> AlertTest:
        series = {_restarts(env, pod, container): f"0x{restart_at - 1} 1x{at - restart_at}",
                  container_series(env, reason, pod, container, reason=why): f"_x{restart_at - 1} 1x{at - restart_at}"}
        recent = at - restart_at < 10 and why == "OOMKilled"
        fires = [FiringAlert(_container_labels(env, pod, container),
                             f"Container {container} of {test_namespace(env)}/{pod} restarted 1 time(s) in the last 10m "
                             "and was last terminated by the OOM killer.")] if recent else []
        return AlertTest(name, series, at=f"{at}m", fires=fires)

    restarts = ksm_sel(env, "kube_pod_container_status_restarts_total")
    return AlertRule(
        name="PodOOMKilled",
        expr=ksm_and(env, CONTAINER,
                     f"max {by(env, *CONTAINER)} (increase({restarts}[10m])) > 0",
                     ksm_max(env, reason, CONTAINER, 'reason="OOMKilled"') + " == 1"),
        severity="warning",
        summary="Container was OOM-killed",
        description="Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} restarted "
                    '{{ $value | printf "%.0f" }} time(s) in the last 10m and was last terminated by the OOM '
                    "killer.",
        tests=[case("OOM-killed 4m ago", restart_at=51, at=55),
               case("OOM-killed an hour ago, no restart since", restart_at=11, at=75),
               case("restarted after an error", restart_at=51, at=55, why="Error")],
    )


def pod_pending(env: Environment) -> AlertRule:
    for_ = env.param("PodPendingTooLong.for", "15m")
    at = minutes(for_) + 5
    pod = "worker-7c9d5f6b8-q8z7m"

    def case(name: str, pending_minutes: int) -> AlertTest:
        running = at - pending_minutes
        timeline = {"Pending": f"1x{at}" if running <= 0 else f"1x{pending_minutes - 1} 0x{running}"}
        if running > 0:
            timeline["Running"] = f"0x{pending_minutes - 1} 1x{running}"
        series: dict[str, str | ClockValues] = {pod_series(env, "kube_pod_created", pod): clock(0, at),
                                                **phase_series(env, pod, timeline)}
        fires = [FiringAlert({env.cluster_label: env.sample_cluster, "namespace": test_namespace(env), "pod": pod},
                             f"Pod {test_namespace(env)}/{pod} has been Pending since it was created "
                             f"{humanize_duration(at * 60)} ago.")] if running <= 0 else []
        return AlertTest(name, series, at=f"{at}m", fires=fires)

    return AlertRule(
        name="PodPendingTooLong",
        expr=ksm_and(env, POD,
                     f"time() - {ksm_max(env, 'kube_pod_created', POD)}",
                     ksm_max(env, "kube_pod_status_phase", POD, 'phase="Pending"') + " == 1"),
        for_=for_, severity="warning",
        summary="Pod has been Pending for too long",
        description="Pod {{ $labels.namespace }}/{{ $labels.pod }} has been Pending since it was created "
                    "{{ $value | humanizeDuration }} ago.",
        tests=[case("never scheduled", at + 1), case("scheduled after 3 minutes", 3)],
    )


def pod_not_ready(env: Environment) -> AlertRule:
    for_ = env.param("PodNotReady.for", "10m")
    at = minutes(for_) + 5
    pod = "api-6d8f9c7b5-x2k4q"

    def case(name: str, ready: str, phase: str) -> AlertTest:
        series: dict[str, str | ClockValues] = {
            pod_series(env, "kube_pod_status_ready", pod, condition=c): flat(int(c == ready), at)
            for c in ("true", "false", "unknown")}
        series[pod_series(env, "kube_pod_created", pod)] = clock(0, at)
        series.update(phase_series(env, pod, {phase: flat(1, at)}))
        fires = [FiringAlert({env.cluster_label: env.sample_cluster, "namespace": test_namespace(env), "pod": pod},
                             f"Pod {test_namespace(env)}/{pod} is Running but has not been Ready for more than {for_}; "
                             f"it was created {humanize_duration(at * 60)} ago.")
                 ] if ready == "false" and phase == "Running" else []
        return AlertTest(name, series, at=f"{at}m", fires=fires)

    return AlertRule(
        name="PodNotReady",
        expr=ksm_and(env, POD,
                     f"time() - {ksm_max(env, 'kube_pod_created', POD)}",
                     ksm_max(env, "kube_pod_status_ready", POD, 'condition="false"') + " == 1",
                     ksm_max(env, "kube_pod_status_phase", POD, 'phase="Running"') + " == 1"),
        for_=for_, severity="warning",
        summary="Pod is running but not ready",
        description="Pod {{ $labels.namespace }}/{{ $labels.pod }} is Running but has not been Ready for more "
                    f"than {for_}; it was created {{{{ $value | humanizeDuration }}}} ago.",
        tests=[case("running, not ready", "false", "Running"), case("running and ready", "true", "Running"),
               case("completed", "false", "Succeeded")],
    )


POD_ALERTS = [pod_restarting, pod_oom_killed, pod_pending, pod_not_ready]


# --- resource.rules -------------------------------------------------------------------------------

def _bound(env: Environment, resource: str) -> str:
    """Each container's limit for `resource`, else its request, labelled basis="limit|request"."""
    limits = ksm_max(env, "kube_pod_container_resource_limits", CONTAINER, f'resource="{resource}"') + " > 0"
    requests = ksm_max(env, "kube_pod_container_resource_requests", CONTAINER, f'resource="{resource}"') + " > 0"
    return (f'label_replace({limits}, "basis", "limit", "", "")\n'
            f"  or\nlabel_replace(({requests}) unless {on(env, *CONTAINER)} ({limits}), "
            '"basis", "request", "", "")')


def cpu_usage(env: Environment) -> str:
    return f"sum {by(env, *CONTAINER)} (rate({container_selector(env, 'container_cpu_usage_seconds_total')}[5m]))"


def memory_usage(env: Environment) -> str:
    return f"max {by(env, *CONTAINER)} ({container_selector(env, 'container_memory_working_set_bytes')})"


# name, resource, usage expression, ksm unit, default threshold, default for, words in the description
_RATIOS = {
    "ContainerHighCPU": ("cpu", cpu_usage, "core", 0.8, "10m", "CPU"),
    "ContainerHighMemory": ("memory", memory_usage, "byte", 0.9, "5m", "memory"),
}


def usage_ratio(name: str):
    """The alert maker for one resource ratio alert of _RATIOS."""
    resource, usage, unit, default, default_for, word = _RATIOS[name]

    def make(env: Environment) -> AlertRule:
        threshold = env.param(f"{name}.threshold", default, USAGE)
        for_ = env.param(f"{name}.for", default_for)
        at = minutes(for_) + 10
        return AlertRule(
            name=name,
            expr=f"(\n{usage(env)}\n  / {on(env, *CONTAINER)} group_left (basis)\n({_bound(env, resource)})\n)"
                 f" > {threshold}",
            for_=for_, severity="warning",
            summary=f"Container {word} usage is close to its limit (or request when it has no limit)",
            description="Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} uses "
                        f"{{{{ $value | humanizePercentage }}}} of its {word} {{{{ $labels.basis }}}}.",
            tests=_ratio_tests(env, resource, unit, threshold, at, word),
        )

    make.__name__ = name
    return make


# Per container: (limit, request) in the resource's unit, as multiples of `size` below.
_CONTAINERS = {"app": (1.0, 0.5), "sidecar": (None, 0.5), "batch": (2.0, 0.1), "besteffort": (None, None)}


def _ratio_tests(env: Environment, resource: str, unit: str, threshold: float, at: int,
                 word: str) -> list[AlertTest]:
    """Containers using `ratio` of their limit or request: one with a limit, one with only a
    request (falls back to it), one with a small request but a large limit (judged by the limit),
    one with neither (ignored here, see ContainerResourceUnbounded), plus the pod cgroup."""
    size = 0.5 if resource == "cpu" else 512 * MiB
    pod = "api-6d8f9c7b5-x2k4q"

    def case(name: str, ratio: float) -> AlertTest:
        series: dict[str, str] = {}
        fires = []
        for container, (limit, request) in _CONTAINERS.items():
            for kind, amount in (("limits", limit), ("requests", request)):
                if amount is not None:
                    series[container_series(env, f"kube_pod_container_resource_{kind}", pod, container,
                                            node="node-a", resource=resource, unit=unit)] = flat(amount * size, at)
            bound = limit if limit is not None else request
            used = (bound if bound is not None else 1.0) * size * (ratio if container != "batch" else 0.3)
            series[_usage_series(env, resource, pod, container)] = _usage_values(resource, used, at)
            if bound is not None and container != "batch" and ratio > threshold:
                basis = "limit" if limit is not None else "request"
                fires.append(FiringAlert(
                    {**_container_labels(env, pod, container), "basis": basis},
                    f"Container {container} of {test_namespace(env)}/{pod} uses {humanize_percentage(ratio)} of its "
                    f"{word} {basis}."))
        series[_usage_series(env, resource, pod, "")] = _usage_values(resource, 10 * size, at)
        return AlertTest(name, series, at=f"{at}m", fires=fires)

    return [case("above the threshold", round(threshold + 0.05, 4)),
            case("below the threshold", round(threshold - 0.1, 4))]


def _usage_series(env: Environment, resource: str, pod: str, container: str) -> str:
    metric = "container_cpu_usage_seconds_total" if resource == "cpu" else "container_memory_working_set_bytes"
    return cadvisor_series(env, metric, pod, container)


def _usage_values(resource: str, used: float, at: int) -> str:
    """CPU: a counter growing by `used` cores; memory: a gauge at `used` bytes."""
    return counter(used * 60, at) if resource == "cpu" else flat(round(used), at)


def resource_unbounded(env: Environment) -> AlertRule:
    for_ = env.param("ContainerResourceUnbounded.for", "30m")
    at = minutes(for_) + 10
    pod = "batch-5f7d8c9b6-m3n4p"
    usage = {"cpu": (cpu_usage(env), 0.25), "memory": (memory_usage(env), 256 * MiB)}

    def case(name: str, bounded: bool) -> AlertTest:
        series = {_usage_series(env, r, pod, "loader"): _usage_values(r, used, at) for r, (_, used) in usage.items()}
        fires = []
        if bounded:
            series[container_series(env, "kube_pod_container_resource_requests", pod, "loader", node="node-a",
                                    resource="memory", unit="byte")] = flat(128 * MiB, at)
            series[container_series(env, "kube_pod_container_resource_limits", pod, "loader", node="node-a",
                                    resource="cpu", unit="core")] = flat(1, at)
        else:
            fires = [FiringAlert({**_container_labels(env, pod, "loader"), "resource": "cpu"},
                                 f"Container loader of {test_namespace(env)}/{pod} uses {fmt(0.25)} CPU cores and sets "
                                 "neither a cpu request nor a cpu limit."),
                     FiringAlert({**_container_labels(env, pod, "loader"), "resource": "memory"},
                                 f"Container loader of {test_namespace(env)}/{pod} uses {humanize_bytes(256 * MiB)}B of "
                                 "memory and sets neither a memory request nor a memory limit.")]
        return AlertTest(name, series, at=f"{at}m", fires=fires)

    used = "\n  or\n".join(f'label_replace({expr}, "resource", "{r}", "", "")' for r, (expr, _) in usage.items())
    bounds = [ksm_max(env, f"kube_pod_container_resource_{kind}", (*CONTAINER, "resource"), 'resource=~"cpu|memory"')
              for kind in ("limits", "requests")]
    return AlertRule(
        name="ContainerResourceUnbounded",
        expr=f"(\n{used}\n)\nunless {on(env, *CONTAINER, 'resource')} {bounds[0]}\n"
             f"unless {on(env, *CONTAINER, 'resource')} {bounds[1]}",
        for_=for_, severity="info",
        summary="Container has no request or limit, so usage alerts cannot judge it",
        description="Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} uses "
                    '{{ if eq $labels.resource "memory" }}{{ $value | humanize1024 }}B of memory'
                    '{{ else }}{{ $value | printf "%.3g" }} CPU cores{{ end }} and sets neither a '
                    "{{ $labels.resource }} request nor a {{ $labels.resource }} limit.",
        tests=[case("no requests or limits", False), case("bounded by a request or a limit", True)],
    )


RESOURCE_ALERTS = [usage_ratio("ContainerHighCPU"), usage_ratio("ContainerHighMemory"), resource_unbounded]
