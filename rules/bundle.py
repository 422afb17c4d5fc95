"""The reference bundle, composed from the library's packs, dashboards and topologies (obs.packs,
obs.dashboards, obs.topologies) for staging and prod: the first example to copy."""
from collector import backends, instrumentation, mesh, topologies
from dashboards import standard_dashboards
from obs import Bundle, Definitions, Environment
from obs.packs import cluster, opentelemetry, slos, web, workloads
from rules import alerting
from rules.environments import ENVIRONMENTS


def define(env: Environment) -> Definitions:
    """The reference definitions for one environment."""
    collectors = topologies.collectors(env)
    boards = standard_dashboards(env, bundle.name, collectors)
    return Definitions(
        rule_packs=[workloads.pack(env, boards.workloads), web.pack(env, boards.service_overview),
                    opentelemetry.pack(env, boards.collector, boards.service_overview, collectors),
                    cluster.pack(env, boards.workloads)],
        slos=slos.slos(env, boards.slo, collectors),
        dashboards=boards.all(),
        collectors=collectors,
        tempo=backends.tempo(env),
        loki=backends.loki(env),
        jaeger=backends.jaeger(env),
        mesh=mesh.mesh(env),
        instrumentation=[instrumentation.instrumentation(env)],
        alertmanager=alerting.alertmanager(env),
        services=alerting.services(env),
    )


bundle = Bundle(name="reference", environments=ENVIRONMENTS, define=define)
