"""The reference bundle's environments: staging and prod differ in thresholds, selectors and URLs.
Prod spans two clusters federated by Thanos (sidecars, Query, a store gateway, the ThanosRuler
evaluating SLO budgets and burn-rate alerts over both): docs/fleet.md."""
from obs import Cluster, Environment, Thanos, Urls

staging = Environment(
    name="staging",
    cluster="staging-eu1",
    urls=Urls(grafana="https://grafana.staging.example.com",
              runbooks="https://runbooks.example.com/obs"),
    overrides={
        "DeploymentReplicasMismatch.for": "20m",
        # Staging tolerates more: noisy test traffic, batch jobs on smaller nodes.
        "ContainerHighCPU.threshold": 0.9,
        "WebHighErrorRate.threshold": 0.1,
        "JobRunningTooLong.threshold": 7200,
    },
)

prod = Environment(
    name="prod",
    clusters=[Cluster("prod-eu1", {"region": "eu"}), Cluster("prod-us1", {"region": "us"})],
    global_store=Thanos(topology="sidecar", sidecar_address="thanos-sidecar.{cluster}.example.internal:10901"),
    urls=Urls(grafana="https://grafana.example.com",
              runbooks="https://runbooks.example.com/obs"),
    selectors={"namespaces": 'namespace!~"kube-system|kube-public"'},
    overrides={
        # Prod pages earlier on user-facing latency and restarts, and on a filling collector queue.
        "HighLatency.threshold": 0.5,
        "PodFrequentlyRestarting.threshold": 3,
        "OTelCollectorQueueFull.for": "2m",
    },
)

ENVIRONMENTS = (staging, prod)
