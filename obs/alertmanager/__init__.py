"""Alertmanager as code: routing tree, receivers with referenced credentials, inhibitions, time
intervals, and the routing intents obs proves with amtool.

    Alertmanager(
        name="main",
        route=Route("fallback", group_by=("alertname", "cluster"), group_wait="30s",
                    group_interval="5m", repeat_interval="4h",
                    routes=[Route("null", match={"severity": "info"}),
                            Route("pager", match={"severity": "critical"})]),
        receivers=[Receiver("fallback", [Email(...)]), Receiver("null"),
                   Receiver("pager", [PagerDuty(SecretRef("pagerduty", "routing-key"))])],
        intents=intents_by_label("severity", {"info": "null", "critical": "pager"}),
    )
"""
from typing import TYPE_CHECKING

from obs.lazy import exports

if TYPE_CHECKING:
    from obs.alertmanager.config import Alertmanager, intents_by_label
    from obs.alertmanager.matchers import Matcher
    from obs.alertmanager.receivers import Email, PagerDuty, Receiver, SecretRef, Slack, Webhook
    from obs.alertmanager.routing import (
        Inhibition, Intent, Route, TimeInterval, TimeRange, business_hours, critical_inhibits_warning,
        slo_page_inhibits_ticket, source_inhibits_scope,
    )
    from obs.alertmanager.teams import outage_inhibitions, team_routing

__all__ = ["Alertmanager", "Email", "Inhibition", "Intent", "Matcher", "PagerDuty", "Receiver", "Route",
           "SecretRef", "Slack", "TimeInterval", "TimeRange", "Webhook", "business_hours",
           "critical_inhibits_warning", "intents_by_label", "outage_inhibitions", "slo_page_inhibits_ticket",
           "source_inhibits_scope", "team_routing"]
__getattr__, __dir__ = exports(__name__, {
    "config": ("Alertmanager", "intents_by_label"),
    "matchers": ("Matcher",),
    "receivers": ("Email", "PagerDuty", "Receiver", "SecretRef", "Slack", "Webhook"),
    "routing": (
        "Inhibition", "Intent", "Route", "TimeInterval", "TimeRange", "business_hours",
        "critical_inhibits_warning", "slo_page_inhibits_ticket", "source_inhibits_scope",
    ),
    "teams": ("outage_inhibitions", "team_routing"),
})
