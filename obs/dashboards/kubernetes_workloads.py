"""Kubernetes workloads: the signals of seed 003 section 6.1 (replicas, rollout progress, CPU and
memory against requests and limits, restarts, OOM kills, pending pods, probe failures), on
kube-state-metrics v2, cAdvisor and the kubelet's prober metrics."""
from __future__ import annotations

from obs import Environment
from obs.grafana import Dashboard, Query, Row, bargauge, stat, table, timeseries, variables

WORKLOAD = ("namespace", "deployment")
CONTAINERS = 'container!="", container!="POD"'
NOT_PROGRESSING = ('condition="Progressing"', 'status="false"')
PROBE_FAILED = 'result="failed"'


def _s(env: Environment, metric: str, *matchers: str) -> str:
    return f"{metric}{{{variables.scope(env, *matchers)}}}"


def _by(*labels: str) -> str:
    return f"by ({', '.join(labels)})"


def _usage_vs(env: Environment, resource: str, usage: str, unit: str, title: str) -> list:
    """Usage summed per namespace against requests and limits, and the top pods by usage/limit."""
    ns = _by("namespace")
    pod = _by("namespace", "pod")
    requests = _s(env, "kube_pod_container_resource_requests", f'resource="{resource}"')
    limits = _s(env, "kube_pod_container_resource_limits", f'resource="{resource}"')
    return [
        timeseries(f"{title}: usage vs requests and limits",
                   Query(f"sum {ns} ({usage})", legend="{{namespace}} usage"),
                   Query(f"sum {ns} ({requests})", legend="{{namespace}} requests"),
                   Query(f"sum {ns} ({limits})", legend="{{namespace}} limits"), unit=unit,
                   description=f"{title} used per namespace against the sum of its requests and limits: usage above "
                               "requests is borrowed, usage at the limit is throttled (CPU) or killed (memory)."),
        timeseries(f"{title}: usage / limit, top 10 pods",
                   Query(f"topk(10, sum {pod} ({usage})\n/ sum {pod} ({limits}))", legend="{{namespace}}/{{pod}}"),
                   unit="percentunit", thresholds=[(0.8, "orange"), (0.9, "red")],
                   description=f"The 10 pods closest to their limit ({title.lower()} used divided by the limit). "
                               "Orange from 80%, red from 90%."),
    ]


def dashboard(env: Environment, bundle: str) -> Dashboard:
    """The workloads dashboard for one cluster and a set of namespaces."""
    deployment = _by(*WORKLOAD)
    spec = _s(env, "kube_deployment_spec_replicas")
    available = _s(env, "kube_deployment_status_replicas_available")
    cpu = f"rate({_s(env, 'container_cpu_usage_seconds_total', CONTAINERS)}[$__rate_interval])"
    memory = _s(env, "container_memory_working_set_bytes", CONTAINERS)
    restarts = _s(env, "kube_pod_container_status_restarts_total")
    oom = _s(env, "kube_pod_container_status_last_terminated_reason", 'reason="OOMKilled"')
    pending = _s(env, "kube_pod_status_phase", 'phase="Pending"')
    return Dashboard(
        name="kubernetes-workloads", title="Kubernetes workloads", bundle=bundle,
        description="Deployments and pods: replicas, rollouts, resources against requests and limits, "
                    "restarts, OOM kills, scheduling and probes.",
        tags=["kubernetes"],
        variables=variables.standard(env, "kube_pod_info"),
        panels=[
            Row("Overview", [
                stat("Deployments missing replicas",
                     f"count(sum {deployment} ({spec})\n> sum {deployment} ({available}))", unit="none",
                     width=6, thresholds=[(1, "orange")],
                     description="Deployments with fewer available replicas than desired."),
                stat("Pending pods", f"sum({pending})", unit="none", width=6, thresholds=[(1, "orange"), (5, "red")],
                     description="Pods waiting to be scheduled or started (phase Pending). Orange from 1, red from "
                                 "5."),
                stat("Containers last OOM-killed", f"sum({oom})", unit="none", width=6, thresholds=[(1, "red")],
                     description="Containers whose last termination was an out-of-memory kill: raise their memory "
                                 "limit or find the leak."),
                stat("Restarts in range", Query(f"sum(increase({restarts}[$__range]))", instant=True), unit="none",
                     width=6, thresholds=[(1, "orange"), (10, "red")],
                     description="Container restarts over the selected time range."),
            ]),
            Row("Replicas and rollouts", [
                timeseries("Desired vs available replicas",
                           Query(f"sum {deployment} ({spec})", legend="{{namespace}}/{{deployment}} desired"),
                           Query(f"sum {deployment} ({available})", legend="{{namespace}}/{{deployment}} available"),
                           unit="none",
                           description="Replicas each deployment asks for against those available; a gap that stays "
                                       "means a stuck rollout or pods that cannot be scheduled."),
                bargauge("Rollout progress (updated / desired)",
                         f"sum {deployment} ({_s(env, 'kube_deployment_status_replicas_updated')})\n"
                         f"/ sum {deployment} ({spec} > 0)", unit="percentunit", max=1,
                         thresholds=[(0.5, "orange"), (1, "green")],
                         description="Share of each deployment's replicas on its newest version; below 100% while a "
                                     "rollout runs."),
                table("Deployments not progressing",
                      f"max {deployment} ({_s(env, 'kube_deployment_status_condition', *NOT_PROGRESSING)}) == 1",
                      unit="none", description="Deployments whose rollout exceeded its progress deadline "
                                               "(Progressing condition false); 1 per deployment."),
            ]),
            Row("CPU and memory", [
                *_usage_vs(env, "cpu", cpu, "short", "CPU cores"),
                *_usage_vs(env, "memory", memory, "bytes", "Memory"),
            ]),
            Row("Pod health", [
                timeseries("Container restarts",
                           Query(f"sum {_by('namespace', 'pod', 'container')} "
                                 f"(increase({restarts}[$__rate_interval])) > 0",
                                 legend="{{namespace}}/{{pod}}/{{container}}"), unit="none", draw_style="bars",
                                 description="Container restarts per interval by pod and container; only containers "
                                             "that restarted are shown."),
                table("OOM-killed containers (last termination)",
                      f"max {_by('namespace', 'pod', 'container')} ({oom}) == 1",
                      unit="none", description="Containers whose last termination reason is OOMKilled; 1 per "
                                               "container."),
                timeseries("Pending pods by namespace",
                           Query(f"sum {_by('namespace')} ({pending})", legend="{{namespace}}"),
                           unit="none", description="Pods in phase Pending per namespace."),
                timeseries("Failed probes",
                           Query(f"sum {_by('namespace', 'pod', 'probe_type')} "
                                 f"(rate({_s(env, 'prober_probe_total', PROBE_FAILED)}[$__rate_interval]))",
                                 legend="{{namespace}}/{{pod}} {{probe_type}}"), unit="ops",
                                 description="Failed liveness, readiness and startup probes per second by pod and "
                                             "probe type (the kubelet's prober metrics)."),
            ]),
        ],
    )
