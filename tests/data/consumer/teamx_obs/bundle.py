"""Team X: three HTTP services in two namespaces, its own collector names, its own cluster label
and thresholds; composed only from the installed obs library."""
from obs import Bundle, Definitions, Environment, SLOAlerting, Urls
from obs.catalog.cluster import cluster_exporters
from obs.catalog.otel import semconv_source
from obs.dashboards import standard_dashboards
from obs.packs import opentelemetry, slos, web, workloads
from obs.topologies import agent_and_gateway

SERVICES = {"search": "team-a/search", "ranking": "team-a/ranking", "billing": "team-b/billing"}
SELECTORS = {
    "namespaces": 'namespace=~"team-a|team-b"',
    "otel_services": 'job=~"team-(a|b)/.+"',
    "kube_state_metrics": 'job="ksm"',
}


def define(env: Environment) -> Definitions:
    collectors = agent_and_gateway(env, agent_name="tx-node", gateway_name="tx-hub")
    boards = standard_dashboards(env, bundle.name, collectors)
    return Definitions(
        rule_packs=[workloads.pack(env, boards.workloads), web.pack(env, boards.service_overview),
                    opentelemetry.pack(env, boards.collector, boards.service_overview, collectors)],
        slos=[slo for service, job in SERVICES.items()
              for slo in slos.http_slos(env, service=service, job=job, availability=99.5, latency=95.0,
                                        latency_threshold=0.5, labels={"team": "x"},
                                        alerting=SLOAlerting(dashboard=boards.slo))],
        dashboards=boards.all(),
        collectors=collectors,
        # What produces the series the rules and panels read: the cluster's exporters, and services
        # instrumented with OpenTelemetry SDKs (HTTP semantic conventions) outside obs.
        sources=[*cluster_exporters(env.cluster_label), semconv_source(cluster_label=env.cluster_label)],
    )


bundle = Bundle(
    name="teamx",
    environments=[Environment("dev", cluster="dev-9", cluster_label="k8s_cluster", selectors=SELECTORS,
                              urls=Urls(grafana="https://grafana.x.example.org"),
                              overrides={"WebHighErrorRate.threshold": 0.2, "HighLatency.for": "15m",
                                         "ContainerHighCPU.threshold": 0.95})],
    define=define,
)
