"""Routing generated from the teams: one route per team on the `team` label (severity below it),
the teams' receivers, one intent per team and severity, and the inhibitions that make one outage
one page. Hand-written routes, receivers and intents can be added before the teams' own.

    team_routing(env, teams, platform_team="platform", fallback=Receiver("platform-email", [...]))
"""
from __future__ import annotations

from typing import Sequence

from obs.alertmanager.config import Alertmanager
from obs.alertmanager.matchers import Matcher
from obs.alertmanager.receivers import Receiver
from obs.alertmanager.routing import (
    Inhibition, Intent, Route, TimeInterval, critical_inhibits_warning, slo_page_inhibits_ticket,
)
from obs.labels import TEAM
from obs.model.environment import Environment
from obs.model.team import SEVERITY_RECEIVERS, Owners, Team

NULL = "null"
# The HTTP alerts of obs.packs: per service (opentelemetry) and per route (web).
SERVICE_ALERTS = ("HighErrorRate", "HighLatency")
ROUTE_ALERTS = ("WebHighErrorRate", "WebHighResponseTime")


def _team_route(team: Team, null: str) -> Route:
    """`team="<name>"`, then by severity: the escalation (continue) and page for critical, ticket
    for warning, chat for info, each active in the team's time intervals (pages always); a severity
    without a receiver goes to the null receiver on purpose."""
    active = tuple(t.name for t in team.time_intervals)
    children = []
    if team.escalation is not None:
        children.append(Route(team.escalation.name, match={"severity": "critical"}, continue_=True))
    for severity, kind in SEVERITY_RECEIVERS.items():
        receiver = getattr(team.receivers, kind)
        timing = {"group_wait": "10s", "repeat_interval": "1h"} if kind == "page" else \
            {"active_in": active, "repeat_interval": "24h"} if receiver is not None else {}
        children.append(Route(receiver.name if receiver else null, match={"severity": severity}, **timing))
    return Route(null, match={TEAM: team.name}, routes=children)


def _team_intents(team: Team, null: str) -> list[Intent]:
    out = []
    for severity, kind in SEVERITY_RECEIVERS.items():
        receiver = getattr(team.receivers, kind)
        names = [receiver.name if receiver else null]
        if severity == "critical" and team.escalation is not None:
            names.insert(0, team.escalation.name)
        out.append(Intent({TEAM: team.name, "severity": severity}, names,
                          why=f"{team.name} {severity} -> {' + '.join(names)}"))
    return out


def outage_inhibitions(cluster_label: str, service_alerts: Sequence[str] = SERVICE_ALERTS,
                       route_alerts: Sequence[str] = ROUTE_ALERTS) -> list[Inhibition]:
    """One outage, one page: an SLO page mutes the HTTP alerts of the same service (`job`) and
    team; a service-level HTTP alert mutes the per-route ones of the same service. (An SLO's
    alerts carry `job` when it is built with obs.packs.slos.http_slos.)"""
    both = (*service_alerts, *route_alerts)
    return [
        Inhibition({"slo_severity": "page"}, [Matcher("alertname", "|".join(both), "=~")],
                   (cluster_label, TEAM, "job")),
        Inhibition([Matcher("alertname", "|".join(service_alerts), "=~")],
                   [Matcher("alertname", "|".join(route_alerts), "=~")], (cluster_label, TEAM, "namespace", "job")),
    ]


def team_routing(env: Environment, teams: Sequence[Team], platform_team: str, fallback: Receiver,
                 name: str = "obs", routes: Sequence[Route] = (), receivers: Sequence[Receiver] = (),
                 intents: Sequence[Intent] = (), inhibitions: Sequence[Inhibition] = (),
                 time_intervals: Sequence[TimeInterval] = ()) -> Alertmanager:
    """The Alertmanager of `teams`: hand-written `routes`/`receivers`/`intents` first, then one
    route and three intents per team (the platform team last). `fallback` only catches what no
    route takes; no intent names it, so an alert falling through fails `obs test`. `inhibitions`
    come on top of obs's: a critical mutes the warning of the same alert, an SLO page its ticket,
    and `outage_inhibitions`."""
    owners = Owners(teams, platform_team)
    ordered = [t for t in owners.teams if t is not owners.platform] + [owners.platform]
    cluster = env.cluster_label
    intervals = {t.name: t for team in ordered for t in team.time_intervals}
    intervals.update({t.name: t for t in time_intervals})
    return Alertmanager(
        name=name,
        route=Route(fallback.name, group_by=("alertname", cluster, TEAM, "namespace"), group_wait="30s",
                    group_interval="5m", repeat_interval="4h",
                    routes=[*routes, *(_team_route(t, NULL) for t in ordered)]),
        receivers=[fallback, Receiver(NULL), *receivers, *owners.receivers()],
        intents=[*intents, *(i for t in ordered for i in _team_intents(t, NULL))],
        inhibitions=[critical_inhibits_warning((cluster, TEAM, "namespace")), slo_page_inhibits_ticket((cluster,)),
                     *outage_inhibitions(cluster), *inhibitions],
        time_intervals=sorted(intervals.values(), key=lambda t: t.name),
    )
