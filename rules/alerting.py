"""Reference delivery: where alerts go (Alertmanager routing), the services Prometheus scrapes
directly, and the canary gate of the checkout service.

Routing: SLO pages and every other critical alert -> the pager (PagerDuty plus the incident bot's
webhook); tickets (warnings) -> the owning team's Slack channel in business hours (the shop team
by its `team` label, the platform team for the rest); info -> nowhere (an explicit null receiver).
The root receiver (email to the platform team) only catches what no route takes, and no intent
names it, so an alert falling through fails `obs test`.
"""
from __future__ import annotations

from obs import Environment
from obs.alertmanager import (
    Alertmanager, Email, Intent, PagerDuty, Receiver, Route, SecretRef, Slack, Webhook, business_hours,
    critical_inhibits_warning, slo_page_inhibits_ticket, source_inhibits_scope,
)
from obs.model.service import Canary, Scrape, Service
from obs.packs.cluster import CLUSTER_DOWN

PAGER, NULL, FALLBACK = "pager", "null", "platform-email"
SHOP_TICKETS, PLATFORM_TICKETS = "shop-tickets", "platform-tickets"
SLACK = SecretRef("alertmanager-slack", "webhook-url")


def alertmanager(env: Environment) -> Alertmanager:
    """The reference routing of one environment."""
    cluster = env.cluster_label
    tickets = {"active_in": ("business-hours",), "repeat_interval": "24h"}
    return Alertmanager(
        name="obs",
        route=Route(FALLBACK, group_by=("alertname", cluster, "namespace"), group_wait="30s",
                    group_interval="5m", repeat_interval="4h", routes=[
                        Route(NULL, match={"severity": "info"}),
                        Route(PAGER, match={"severity": "critical"}, group_wait="10s", repeat_interval="1h"),
                        Route(SHOP_TICKETS, match={"severity": "warning", "team": "shop"}, **tickets),
                        Route(PLATFORM_TICKETS, match={"severity": "warning"}, **tickets),
                    ]),
        receivers=[
            Receiver(FALLBACK, [Email("platform@example.com", "alertmanager@example.com", "smtp.example.com:587",
                                      "alertmanager", SecretRef("alertmanager-smtp", "password"))]),
            Receiver(NULL),
            Receiver(PAGER, [PagerDuty(SecretRef("alertmanager-pagerduty", "routing-key")),
                             Webhook("http://incident-bot.ops.svc:8080/alerts",
                                     SecretRef("alertmanager-incident-bot", "token"))]),
            Receiver(SHOP_TICKETS, [Slack(SLACK, "#shop-alerts")]),
            Receiver(PLATFORM_TICKETS, [Slack(SLACK, "#platform-alerts")]),
        ],
        intents=[
            Intent({"slo_severity": "page"}, PAGER, why="SLO page -> pager"),
            Intent({"slo_severity": "ticket", "team": "shop"}, SHOP_TICKETS, why="shop SLO ticket -> shop channel"),
            Intent({"slo_severity": "ticket"}, PLATFORM_TICKETS, why="SLO ticket -> platform channel"),
            Intent({"severity": "info"}, NULL, why="info -> nowhere"),
            Intent({"severity": "critical"}, PAGER, why="critical -> pager"),
            Intent({"severity": "warning", "team": "shop"}, SHOP_TICKETS, why="shop warning -> shop channel"),
            Intent({"severity": "warning"}, PLATFORM_TICKETS, why="warning -> platform channel"),
        ],
        inhibitions=[
            critical_inhibits_warning((cluster, "namespace")),
            # An SLO's page mutes its own ticket (different alert names, same SLO).
            slo_page_inhibits_ticket((cluster,)),
            source_inhibits_scope({"alertname": CLUSTER_DOWN}, (cluster,), CLUSTER_DOWN),
        ],
        time_intervals=[business_hours()],
    )


def services(env: Environment) -> list[Service]:
    """Checkout pushes OTLP and is gated as a canary; cart is scraped through its Service, the
    payments worker (no Service) from its pods."""
    return [
        Service("checkout", namespace="shop", canary=Canary()),
        Service("cart", namespace="shop", scrape=Scrape(port="http-metrics")),
        Service("payments-worker", namespace="shop",
                scrape=Scrape(port="metrics", via="pod", interval=env.param("Grafana.scrape_interval", "30s"))),
    ]
