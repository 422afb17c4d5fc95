"""Kubernetes workload alerts (seed 003 section 6.2) on kube-state-metrics v2 and cAdvisor.

Fixed from the seed: every aggregation keeps the cluster label and deduplicates HA
kube-state-metrics replicas; a Deployment or StatefulSet scaled to 0 never alerts; descriptions
state what $value really is; JobFailed uses the Job's Failed condition (kube_job_status_failed
counts failed pods, which a Job that later succeeds on retry also has).
"""
from __future__ import annotations

from obs.model.params import SECONDS
from obs import AlertRule, AlertTest, Environment, FiringAlert, RulePack
from obs.model.checks import format_duration
from obs.model.rules import ClockValues
from obs.promql import by
from obs.packs import pods
from obs.packs.kube import ksm_and, ksm_max, ksm_sel, test_namespace
from obs.packs.assemble import assemble
from obs.packs.testdata import clock, flat, humanize_duration, ksm, minutes, steps

DEPLOYMENT = ("namespace", "deployment")
STATEFULSET = ("namespace", "statefulset")
JOB = ("namespace", "job_name")


def _deploy(env: Environment, metric: str, **labels: str) -> str:
    return ksm(env, metric, namespace=test_namespace(env), deployment="web", **labels)


def _condition(env: Environment, metric: str, name: str, keys: dict[str, str], status: str,
               at: int) -> dict[str, str]:
    """A ksm condition metric: one series per status (true/false/unknown), 1 for `status`."""
    return {ksm(env, metric, **keys, condition=name, status=s): flat(int(s == status), at)
            for s in ("true", "false", "unknown")}


def _replicas_mismatch(env: Environment, name: str, kind: str, obj: str, metrics: tuple[str, str, str],
                       word: str, default_for: str) -> AlertRule:
    """`desired - have > 0` for one workload kind (`metrics`: desired, have, updated replicas), while
    no rollout makes progress; a workload scaled to 0 never fires."""
    desired, have, updated = metrics
    for_ = env.param(f"{name}.for", default_for)
    at = minutes(for_) + 10
    keys = ("namespace", kind)

    def case(test: str, spec: int, count: int, rolling: bool = False) -> AlertTest:
        fires = [FiringAlert({env.cluster_label: env.sample_cluster, "namespace": test_namespace(env), kind: obj},
                             f"{test_namespace(env)}/{obj} has {spec - count} replica(s) fewer {word} than desired "
                             f"for longer than {for_}.")] if spec > count and not rolling else []
        series = {ksm(env, metric, namespace=test_namespace(env), **{kind: obj}): flat(value, at)
                  for metric, value in ((desired, spec), (have, count))}
        series[ksm(env, updated, namespace=test_namespace(env), **{kind: obj})] = \
            steps([spec - 1 if rolling and i < at - 3 else spec for i in range(at + 1)])
        return AlertTest(test, series, at=f"{at}m", fires=fires)

    return AlertRule(
        name=name,
        expr=ksm_and(env, keys, f"{ksm_max(env, desired, keys)}\n  - {ksm_max(env, have, keys)}\n> 0",
                     f"max {by(env, *keys)} (changes({ksm_sel(env, updated)}[10m])) == 0"),
        for_=for_, severity="warning",
        summary=f"{kind.capitalize().replace('set', 'Set')} has fewer {word} replicas than desired",
        description=f"{{{{ $labels.namespace }}}}/{{{{ $labels.{kind} }}}} has {{{{ $value }}}} replica(s) "
                    f"fewer {word} than desired for longer than {for_}.",
        tests=[case("two replicas missing", 3, 1), case(f"all {word}", 3, 3), case("scaled to zero", 0, 0),
               case("a rollout is replacing replicas", 3, 1, rolling=True)],
    )


def deployment_mismatch(env: Environment) -> AlertRule:
    return _replicas_mismatch(env, "DeploymentReplicasMismatch", "deployment", "web",
                              ("kube_deployment_spec_replicas", "kube_deployment_status_replicas_available",
                               "kube_deployment_status_replicas_updated"), "available", "15m")


def deployment_rollout_stuck(env: Environment) -> AlertRule:
    for_ = env.param("DeploymentRolloutStuck.for", "5m")
    at = minutes(for_) + 5
    keys = {"namespace": test_namespace(env), "deployment": "web"}

    def case(name: str, stuck: bool) -> AlertTest:
        series = _condition(env, "kube_deployment_status_condition", "Progressing", keys,
                            "false" if stuck else "true", at)
        series[_deploy(env, "kube_deployment_status_replicas_updated")] = flat(1, at)
        fires = [FiringAlert({env.cluster_label: env.sample_cluster, **keys},
                             f"The rollout of {test_namespace(env)}/web passed its progress deadline "
                             f"(Progressing=False for more than {for_}); 1 replica(s) run the new pod "
                             "template.")] if stuck else []
        return AlertTest(name, series, at=f"{at}m", fires=fires)

    return AlertRule(
        name="DeploymentRolloutStuck",
        expr=ksm_and(env, DEPLOYMENT,
                     ksm_max(env, "kube_deployment_status_replicas_updated", DEPLOYMENT),
                     ksm_max(env, "kube_deployment_status_condition", DEPLOYMENT,
                             'condition="Progressing"', 'status="false"') + " == 1"),
        for_=for_, severity="warning",
        summary="Deployment rollout is stuck",
        description="The rollout of {{ $labels.namespace }}/{{ $labels.deployment }} passed its progress "
                    f"deadline (Progressing=False for more than {for_}); {{{{ $value }}}} replica(s) run "
                    "the new pod template.",
        tests=[case("progress deadline exceeded", True), case("progressing", False)],
    )


def deployment_unavailable(env: Environment) -> AlertRule:
    for_ = env.param("DeploymentNoAvailableReplicas.for", "5m")
    at = minutes(for_) + 5

    def case(name: str, spec: int, available: int) -> AlertTest:
        fires = [FiringAlert({env.cluster_label: env.sample_cluster, "namespace": test_namespace(env), "deployment": "web"},
                             f"{test_namespace(env)}/web wants {spec} replica(s) but has had none available for "
                             f"{for_}.")] if spec and not available else []
        return AlertTest(name, {_deploy(env, "kube_deployment_spec_replicas"): flat(spec, at),
                                _deploy(env, "kube_deployment_status_replicas_available"): flat(available, at)},
                         at=f"{at}m", fires=fires)

    return AlertRule(
        name="DeploymentNoAvailableReplicas",
        expr=ksm_and(env, DEPLOYMENT,
                     ksm_max(env, "kube_deployment_spec_replicas", DEPLOYMENT) + " > 0",
                     ksm_max(env, "kube_deployment_status_replicas_available", DEPLOYMENT) + " == 0"),
        for_=for_, severity="critical",
        summary="Deployment has no available replicas",
        description="{{ $labels.namespace }}/{{ $labels.deployment }} wants {{ $value }} replica(s) but has "
                    f"had none available for {for_}.",
        tests=[case("none available", 2, 0), case("scaled to zero", 0, 0), case("one available", 2, 1)],
    )


def _sts(env: Environment, metric: str, **labels: str) -> str:
    return ksm(env, metric, namespace=test_namespace(env), statefulset="db", **labels)


def statefulset_mismatch(env: Environment) -> AlertRule:
    return _replicas_mismatch(env, "StatefulSetReplicasMismatch", "statefulset", "db",
                              ("kube_statefulset_replicas", "kube_statefulset_status_replicas_ready",
                               "kube_statefulset_status_replicas_updated"), "ready", "15m")


def statefulset_rollout(env: Environment) -> AlertRule:
    for_ = env.param("StatefulSetUpdateNotRolledOut.for", "15m")
    window = env.param("StatefulSetUpdateNotRolledOut.progress_window", "10m")
    at = minutes(for_) + minutes(window) + 5
    revisions = ("kube_statefulset_status_current_revision", "kube_statefulset_status_update_revision")

    def case(name: str, updated: str, new_current: bool, stuck: bool) -> AlertTest:
        series = {_sts(env, "kube_statefulset_replicas"): flat(3, at),
                  _sts(env, "kube_statefulset_status_replicas_updated"): updated,
                  _sts(env, revisions[0], revision="db-5c6b8d7f9" if new_current else "db-7d9f6c4b8"): flat(1, at),
                  _sts(env, revisions[1], revision="db-5c6b8d7f9"): flat(1, at)}
        fires = [FiringAlert({env.cluster_label: env.sample_cluster, "namespace": test_namespace(env), "statefulset": "db"},
                             f"2 of {test_namespace(env)}/db's replicas still run the old revision and the update has not "
                             f"progressed for longer than {for_}.")] if stuck else []
        return AlertTest(name, series, at=f"{at}m", fires=fires)

    old_revision = (f"max {by(env, *STATEFULSET)} (\n{ksm_sel(env, revisions[0])}\n  unless\n"
                    f"{ksm_sel(env, revisions[1])}\n)")
    return AlertRule(
        name="StatefulSetUpdateNotRolledOut",
        expr=ksm_and(env, STATEFULSET,
                     f"{ksm_max(env, 'kube_statefulset_replicas', STATEFULSET)}\n"
                     f"  - {ksm_max(env, 'kube_statefulset_status_replicas_updated', STATEFULSET)} > 0",
                     old_revision,
                     f"max {by(env, *STATEFULSET)} (changes("
                     f"{ksm_sel(env, 'kube_statefulset_status_replicas_updated')}[{window}])) == 0"),
        for_=for_, severity="warning",
        summary="StatefulSet update has not been rolled out",
        description="{{ $value }} of {{ $labels.namespace }}/{{ $labels.statefulset }}'s replicas still run "
                    f"the old revision and the update has not progressed for longer than {for_}.",
        tests=[case("update stalled", flat(1, at), False, stuck=True),
               case("one more replica updated 3m ago", steps([1 if i < at - 3 else 2 for i in range(at + 1)]),
                    False, stuck=False),
               case("update done", flat(3, at), True, stuck=False)],
    )


def _job(env: Environment, metric: str, **labels: str) -> str:
    return ksm(env, metric, namespace=test_namespace(env), job_name="report-28410", **labels)


def _job_condition(env: Environment, metric: str, value: int, at: int) -> dict[str, str]:
    """kube_job_complete / kube_job_failed: one series per `condition` (true/false/unknown)."""
    return {_job(env, metric, condition=c): flat(int(c == "true") * value, at) for c in ("true", "false", "unknown")}


def job_failed(env: Environment) -> AlertRule:
    at = 40
    started = {_job(env, "kube_job_status_start_time"): clock(0, at)}
    failed_pods = {_job(env, "kube_job_status_failed", reason=reason): flat(int(reason == "BackoffLimitExceeded"), at)
                   for reason in ("BackoffLimitExceeded", "DeadlineExceeded", "Evicted")}
    # Older ksm v2 releases count failed pods without a reason; a Job that succeeded on retry has some.
    retried = {_job(env, "kube_job_status_failed"): flat(2, at), _job(env, "kube_job_status_succeeded"): flat(1, at),
               **_job_condition(env, "kube_job_complete", 1, at)}
    return AlertRule(
        name="JobFailed",
        expr=ksm_and(env, JOB, f"time() - {ksm_max(env, 'kube_job_status_start_time', JOB)}",
                     ksm_max(env, "kube_job_failed", JOB, 'condition="true"') + " == 1"),
        severity="warning",
        summary="Job failed",
        description="Job {{ $labels.namespace }}/{{ $labels.job_name }}, started {{ $value | humanizeDuration }} "
                    "ago, failed (its Failed condition is True); the alert clears when the Job is deleted.",
        tests=[AlertTest("backoff limit exceeded",
                         {**started, **_job_condition(env, "kube_job_failed", 1, at), **failed_pods}, at=f"{at}m",
                         fires=[FiringAlert({env.cluster_label: env.sample_cluster, "namespace": test_namespace(env),
                                             "job_name": "report-28410"},
                                            f"Job {test_namespace(env)}/report-28410, started {humanize_duration(at * 60)} ago, "
                                            "failed (its Failed condition is True); the alert clears when the Job "
                                            "is deleted.")]),
               AlertTest("pods failed but a retry succeeded", {**started, **retried}, at=f"{at}m")],
    )


def job_running_too_long(env: Environment) -> AlertRule:
    threshold = env.param("JobRunningTooLong.threshold", 3600, SECONDS)
    limit = format_duration(threshold)
    at = int(threshold) // 60 + 10

    def case(name: str, active: int) -> AlertTest:
        series: dict[str, str | ClockValues] = {_job(env, "kube_job_status_start_time"): clock(0, at),
                                                _job(env, "kube_job_status_active"): flat(active, at)}
        fires = [FiringAlert({env.cluster_label: env.sample_cluster, "namespace": test_namespace(env), "job_name": "report-28410"},
                             f"Job {test_namespace(env)}/report-28410 has been running for {humanize_duration(at * 60)}, "
                             f"longer than {limit}.")] if active else []
        return AlertTest(name, series, at=f"{at}m", fires=fires)

    return AlertRule(
        name="JobRunningTooLong",
        expr=ksm_and(env, JOB,
                     f"time() - {ksm_max(env, 'kube_job_status_start_time', JOB)} > {threshold}",
                     ksm_max(env, "kube_job_status_active", JOB) + " > 0"),
        severity="warning",
        summary="Job is running for too long",
        description="Job {{ $labels.namespace }}/{{ $labels.job_name }} has been running for "
                    f"{{{{ $value | humanizeDuration }}}}, longer than {limit}.",
        tests=[case("still active", 1), case("finished", 0)],
    )


def pack(env: Environment, dashboard: object | None = None) -> RulePack:
    """Deployments, pods, resources, StatefulSets and Jobs."""
    return assemble(env, dashboard, "kubernetes-workloads", "Deployments, pods, resources, StatefulSets and Jobs", {
        "deployment.rules": [deployment_mismatch, deployment_rollout_stuck, deployment_unavailable],
        "pod.rules": pods.POD_ALERTS,
        "resource.rules": pods.RESOURCE_ALERTS,
        "statefulset.rules": [statefulset_mismatch, statefulset_rollout],
        "job.rules": [job_failed, job_running_too_long],
    })
