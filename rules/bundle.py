"""The reference bundle: everything in rules/, dashboards/ and collector/, for staging and prod."""
from collector import backends, instrumentation, topologies
from dashboards import build as build_dashboards
from obs import Bundle, Definitions, Environment
from rules import alerting, otel, slos, web, workloads
from rules.environments import ENVIRONMENTS


def define(env: Environment) -> Definitions:
    """The reference definitions for one environment."""
    boards = build_dashboards(env, bundle.name)
    return Definitions(
        rule_packs=[workloads.pack(env, boards.workloads), web.pack(env, boards.service_overview),
                    otel.pack(env, boards.collector, boards.service_overview), alerting.pack(env, boards.workloads)],
        slos=slos.slos(env, boards.slo),
        dashboards=boards.all(),
        collectors=topologies.collectors(env),
        tempo=backends.tempo(env),
        loki=backends.loki(env),
        instrumentation=[instrumentation.instrumentation(env)],
        alertmanager=alerting.alertmanager(env),
        services=alerting.services(env),
    )


bundle = Bundle(name="reference", environments=ENVIRONMENTS, define=define)
