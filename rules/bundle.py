"""The reference bundle: everything in rules/, dashboards/ and collector/, for staging and prod."""
from collector import backends, instrumentation, topologies
from obs import Bundle, Definitions, Environment
from rules import otel, web, workloads
from rules.environments import ENVIRONMENTS


def define(env: Environment) -> Definitions:
    """The reference definitions for one environment."""
    return Definitions(
        rule_packs=[workloads.pack(env), web.pack(env), otel.pack(env)],
        collectors=topologies.collectors(env),
        tempo=backends.tempo(env),
        loki=backends.loki(env),
        instrumentation=[instrumentation.instrumentation(env)],
    )


bundle = Bundle(name="reference", environments=ENVIRONMENTS, define=define)
