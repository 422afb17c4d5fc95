"""Ready-made rule packs and SLOs, parameterised like kubernetes-mixin's `_config`, in Python.

Every pack is a function of the `Environment`: thresholds and `for` are overridable per
environment (`env.param('<Alert>.threshold')`, `'<Alert>.for'`), the sources are chosen by the
environment's selectors (`kube_state_metrics`, `cadvisor`, `namespaces`, `otel_services`,
`otel_collector`), the cluster label is `env.cluster_label`, and links come from `env.urls`.
Each alert carries promtool cases that follow the parameters: with
`selectors={"namespaces": 'namespace="acme"'}` the test objects live in namespace `acme`.

    from obs.packs import opentelemetry, slos, web, workloads
    workloads.pack(env, dashboard=boards.workloads)             # Kubernetes workloads, pods, Jobs
    web.pack(env, dashboard=boards.service_overview)            # per-route HTTP RED alerts
    opentelemetry.pack(env, boards.collector, boards.service_overview, collectors=collectors)
    slos.http_slos(env, service="cart", job="acme/cart")         # availability + latency SLOs

Modules: `workloads` (with `pods`, `kube`), `web` and `http` (HTTP alerts on the stable OTel
semantic conventions), `opentelemetry` (service alerts and collector self-monitoring), `thanos` (the
global ruler's self-monitoring, which obs adds to every environment with a global store), `slos`,
`assemble` (group alert makers into a pack) and `testdata` (series shaped like the exporters').
"""
