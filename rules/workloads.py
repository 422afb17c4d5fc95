"""Kubernetes workload alerts (seed 003 section 6.2), on kube-state-metrics v2 and cAdvisor."""
from obs import AlertRule, AlertTest, Environment, FiringAlert, RuleGroup, RulePack
from obs.promql import by, selector, series


def deployment_group(env: Environment) -> RuleGroup:
    ksm = env.selector("kube_state_metrics")
    ns = env.selector("namespaces")
    c = env.cluster_label
    for_ = env.param("DeploymentReplicasMismatch.for", "15m")
    spec = series("kube_deployment_spec_replicas", **{c: "c1"}, namespace="shop", deployment="web",
                  job="kube-state-metrics")
    avail = series("kube_deployment_status_replicas_available", **{c: "c1"}, namespace="shop",
                   deployment="web", job="kube-state-metrics")
    labels = {c: "c1", "namespace": "shop", "deployment": "web"}
    mismatch = AlertRule(
        name="DeploymentReplicasMismatch",
        expr=f"""
max {by(env, 'namespace', 'deployment')} ({selector('kube_deployment_spec_replicas', ksm, ns)})
  - max {by(env, 'namespace', 'deployment')} ({selector('kube_deployment_status_replicas_available', ksm, ns)})
> 0""",
        for_=for_,
        severity="warning",
        summary="Deployment has fewer available replicas than desired",
        description="{{ $labels.namespace }}/{{ $labels.deployment }} has {{ $value }} replica(s) "
                    "fewer available than desired for longer than " + for_ + ".",
        tests=[
            AlertTest("two replicas missing", {spec: "3x60", avail: "1x60"}, at="60m",
                      fires=[FiringAlert(labels, "shop/web has 2 replica(s) fewer available than desired "
                                                 f"for longer than {for_}.")]),
            AlertTest("all available", {spec: "3x60", avail: "3x60"}, at="60m"),
        ],
    )
    return RuleGroup("deployment.rules", [mismatch])


def pack(env: Environment) -> RulePack:
    return RulePack("kubernetes-workloads", [deployment_group(env)],
                    description="Deployments, pods, resources, StatefulSets and Jobs")
