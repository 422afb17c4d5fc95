"""The reference bundle's environments: staging and prod differ in thresholds, selectors and URLs."""
from obs import Environment, Urls

staging = Environment(
    name="staging",
    cluster="staging-eu1",
    urls=Urls(grafana="https://grafana.staging.example.com",
              runbooks="https://runbooks.example.com/obs"),
    overrides={
        "DeploymentReplicasMismatch.for": "20m",
    },
)

prod = Environment(
    name="prod",
    cluster="prod-eu1",
    urls=Urls(grafana="https://grafana.example.com",
              runbooks="https://runbooks.example.com/obs"),
    selectors={"namespaces": 'namespace!~"kube-system|kube-public"'},
)

ENVIRONMENTS = (staging, prod)
