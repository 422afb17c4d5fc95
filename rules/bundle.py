"""The reference bundle, composed from the library's packs, dashboards and topologies (obs.packs,
obs.dashboards, obs.topologies) for staging and prod: the first example to copy.

Namespaced packs are built once per owning team (`Owners.packs`: each selects its team's
namespaces and carries `team`); cluster-wide and collector packs are the platform team's."""
from collector import backends, instrumentation, mesh, topologies
from dashboards import standard_dashboards
from obs import Bundle, Definitions, Environment, Owners
from obs.packs import cluster, opentelemetry, slos, web, workloads
from rules import alerting
from rules.environments import ENVIRONMENTS


def define(env: Environment) -> Definitions:
    """The reference definitions for one environment."""
    collectors = topologies.collectors(env)
    boards = standard_dashboards(env, bundle.name, collectors)
    teams = alerting.teams(env)
    owners = Owners(teams, alerting.PLATFORM)
    return Definitions(
        rule_packs=[*owners.packs(env, lambda e: workloads.pack(e, boards.workloads)),
                    *owners.packs(env, lambda e: web.pack(e, boards.service_overview)),
                    *owners.packs(env, lambda e: opentelemetry.services_pack(e, boards.service_overview)),
                    opentelemetry.collector_pack(env, boards.collector, collectors),
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
        teams=teams,
        platform_team=alerting.PLATFORM,
    )


bundle = Bundle(name="reference", environments=ENVIRONMENTS, define=define)
