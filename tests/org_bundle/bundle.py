"""The organisation bundle: payments and storefront are defined in Python, search only in YAML
(teams/search.yaml, included with one line), platform owns the rest. Every receiver is a webhook
whose base URL is the `Paging.base_url` parameter, so a test can point them at a local server."""
from __future__ import annotations

from pathlib import Path

from obs import Bundle, Definitions, Environment, Ownership, Owners, Team, TeamReceivers
from obs.alertmanager import Receiver, Webhook, business_hours, team_routing
from obs.packs import cluster, opentelemetry, slos, web, workloads
from obs.teamfiles import TeamFolder
from obs.topologies import agent_and_gateway

PLATFORM = "platform"
TEAM_FILES = TeamFolder(Path(__file__).parent / "teams")  # the YAML teams, read and checked once

staging = Environment("staging", cluster="staging-eu1", overrides={
    "WebHighErrorRate.threshold": 0.1, "Paging.base_url": "http://paging.ops.svc:8080"})
prod = Environment("prod", cluster="prod-eu1", selectors={"namespaces": 'namespace!~"kube-public"'},
                   overrides={"HighLatency.threshold": 0.5, "Paging.base_url": "http://paging.ops.svc:8080"})


def receiver(env: Environment, name: str) -> Receiver:
    return Receiver(name, [Webhook(f"{env.param('Paging.base_url', 'http://paging.ops.svc:8080')}/{name}")])


def python_teams(env: Environment) -> list[Team]:
    hours = (business_hours(),)

    def team(name: str, owns: Ownership, chat: bool = False) -> Team:
        return Team(name, owns=owns, time_intervals=hours, receivers=TeamReceivers(
            page=receiver(env, f"{name}-page"), ticket=receiver(env, f"{name}-tickets"),
            chat=receiver(env, f"{name}-chat") if chat else None))

    return [
        team("payments", Ownership(namespaces=("payments", "billing"), services=("payments/checkout",
                                   "payments/payments-api", "billing/invoicing"))),
        team("storefront", Ownership(namespaces=("storefront-(eu|us)",),
                                     services=("storefront-eu/web", "storefront-eu/catalog")), chat=True),
        team(PLATFORM, Ownership(namespaces=("monitoring", "kube-system"))),
    ]


def define(env: Environment) -> Definitions:
    teams = [*python_teams(env), *TEAM_FILES.teams(env)]
    owners = Owners(teams, PLATFORM)
    fallback = receiver(env, "platform-fallback")
    collectors = agent_and_gateway(env)
    return Definitions(
        collectors=collectors,
        rule_packs=[*owners.packs(env, workloads.pack), *owners.packs(env, web.pack),
                    *owners.packs(env, opentelemetry.services_pack),
                    opentelemetry.collector_pack(env, collectors=collectors),
                    cluster.pack(env)],
        slos=[*slos.http_slos(env, "checkout", "payments/checkout", labels={"team": "payments"}),
              *slos.http_slos(env, "payments-api", "payments/payments-api", labels={"team": "payments"}),
              *slos.http_slos(env, "web", "storefront-eu/web", availability=99.5, labels={"team": "storefront"}),
              *TEAM_FILES.slos(env)],
        teams=teams,
        platform_team=PLATFORM,
        alertmanager=team_routing(env, teams, PLATFORM, fallback),
    )


bundle = Bundle(name="acme", environments=[staging, prod], define=define)
