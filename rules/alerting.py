"""Reference delivery: the teams (who owns what, where their alerts go), the Alertmanager routing
generated from them, the services Prometheus scrapes directly, and the canary gate of checkout.

Two teams: `shop` owns namespace shop and its services; `platform` owns monitoring and
kube-system and, as the platform team, whatever no other team owns (the cluster, the collectors,
every other namespace). Each team has a pager (critical alerts and SLO pages, which also reach the
incident bot as escalation) and a Slack channel for tickets (warnings, business hours); info goes
nowhere (the null receiver). The root receiver (email to the platform team) only catches what no
route takes, and no intent names it, so an alert falling through fails `obs test`.
"""
from __future__ import annotations

from obs import Environment, Ownership, Team, TeamReceivers
from obs.alertmanager import (
    Alertmanager, Email, PagerDuty, Receiver, SecretRef, Slack, Webhook, business_hours, source_inhibits_scope,
    team_routing,
)
from obs.model.service import Canary, Scrape, Service
from obs.packs.cluster import CLUSTER_DOWN

PLATFORM = "platform"
SLACK = SecretRef("alertmanager-slack", "webhook-url")
INCIDENT_BOT = Receiver("incident-bot", [Webhook("http://incident-bot.ops.svc:8080/alerts",
                                                 SecretRef("alertmanager-incident-bot", "token"))])
FALLBACK = Receiver("platform-email", [Email("platform@example.com", "alertmanager@example.com",
                                             "smtp.example.com:587", "alertmanager",
                                             SecretRef("alertmanager-smtp", "password"))])


def teams(env: Environment) -> list[Team]:
    """The reference teams (the same in staging and prod)."""
    hours = (business_hours(),)
    return [
        Team("shop", owns=Ownership(namespaces=("shop",),
                                    services=("checkout", "cart", "payments", "payments-worker", "storefront",
                                              "inventory")),
             receivers=TeamReceivers(page=Receiver("shop-pager", [PagerDuty(SecretRef("alertmanager-pagerduty",
                                                                                      "shop-routing-key"))]),
                                     ticket=Receiver("shop-tickets", [Slack(SLACK, "#shop-alerts")])),
             time_intervals=hours, escalation=INCIDENT_BOT),
        Team(PLATFORM, owns=Ownership(namespaces=("monitoring", "kube-system")),
             receivers=TeamReceivers(page=Receiver("platform-pager", [PagerDuty(SecretRef("alertmanager-pagerduty",
                                                                                          "routing-key"))]),
                                     ticket=Receiver("platform-tickets", [Slack(SLACK, "#platform-alerts")])),
             time_intervals=hours, escalation=INCIDENT_BOT),
    ]


def alertmanager(env: Environment) -> Alertmanager:
    """The reference routing of one environment, generated from the teams; a cluster down mutes
    every other alert of that cluster."""
    return team_routing(env, teams(env), PLATFORM, FALLBACK, inhibitions=[
        source_inhibits_scope({"alertname": CLUSTER_DOWN}, (env.cluster_label,), CLUSTER_DOWN)])


def services(env: Environment) -> list[Service]:
    """Checkout pushes OTLP and is gated as a canary; cart is scraped through its Service, the
    payments worker (no Service) from its pods."""
    return [
        Service("checkout", namespace="shop", canary=Canary()),
        Service("cart", namespace="shop", scrape=Scrape(port="http-metrics")),
        Service("payments-worker", namespace="shop",
                scrape=Scrape(port="metrics", via="pod", interval=env.param("Grafana.scrape_interval", "30s"))),
    ]
