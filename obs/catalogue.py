"""The catalogue of a bundle, per environment: alerts, SLOs, dashboards (with their suppressions) and
the other definitions, as data and as text, JSON or Markdown (`obs list --format`). Output is
deterministic: definition order, no timestamps."""
from __future__ import annotations

import json
from typing import Any, Callable, Sequence, cast

from obs.alertmanager.cases import alert_label_sets
from obs.catalog.asserted import asserted_source
from obs.labels import TEAM
from obs.model.bundle import Bundle, Definitions
from obs.model.environment import Environment
from obs.model.rules import AlertRule
from obs.model.suppress import Suppress
from obs.placement import place
from obs.render.prometheus import dashboard_url, runbook_url


def _suppressions(items: object) -> list[dict[str, str]]:
    """A definition's `suppress` (Suppress objects once the definition is constructed)."""
    return [{"rule": s.rule, "reason": s.reason, **({"panel": s.panel} if s.panel else {})}
            for s in cast(Sequence[Suppress], items)]


def _receivers(defs: Definitions, alert: AlertRule) -> list[str]:
    """The receivers the Alertmanager's intents name for the alert's label sets, in routing order."""
    if defs.alertmanager is None:
        return []
    found: dict[str, None] = {}
    for _, labels in alert_label_sets(alert):
        intent = defs.alertmanager.intended(labels)
        found.update(dict.fromkeys(intent.receivers if intent else ()))
    return list(found)


def _alert(env: Environment, defs: Definitions, pack: str, group: str, alert: AlertRule) -> dict[str, Any]:
    board = alert.dashboard
    key = f"{alert.name}.threshold"
    declared = env.declared().get(key)
    team = defs.owners.team(alert.labels[TEAM]) if defs.owners and TEAM in alert.labels else None
    overrides = {**env.overrides, **(team.overrides if team else {})}  # a team's own overrides win
    return {
        "name": alert.name, "pack": pack, "group": group, "severity": alert.severity, "for": alert.for_,
        "threshold": None if declared is None else overrides.get(key, declared[0]),
        "team": alert.labels.get(TEAM), "receivers": _receivers(defs, alert),
        "summary": alert.summary, "runbook_url": runbook_url(env, alert),
        "dashboard": None if board is None else {"name": getattr(board, "name", board.uid),
                                                 "url": dashboard_url(env, board)},
        "tests": len(alert.tests), "suppressed": _suppressions(alert.suppress),
    }


def environment_catalogue(bundle: Bundle, env: Environment) -> dict[str, Any]:
    """One environment's catalogue as plain data."""
    defs = bundle.definitions(env)
    packs = defs.all_rule_packs()
    tiers = place(env, defs)
    return {
        "name": env.name, "cluster": ", ".join(c.name for c in env.clusters), "namespace": env.namespace,
        "rule_packs": [{"name": p.name, "groups": [
            {"name": g.name, "tier": tiers.tier(p, g),
             "recording_rules": [r.name for r in g.rules if not isinstance(r, AlertRule)]}
            for g in p.groups]} for p in packs],
        "alerts": [_alert(env, defs, p.name, g.name, a) for p in packs for g in p.groups for a in g.alerts],
        "teams": [{"name": t.name, "namespaces": list(t.owns.namespaces), "services": list(t.owns.services),
                   "jobs": list(t.owns.jobs), "platform": t.name == defs.platform_team,
                   "receivers": {kind: getattr(t.receivers, kind).name for kind in ("page", "ticket", "chat")
                                 if getattr(t.receivers, kind) is not None}} for t in defs.teams],
        "slos": [{"service": s.service, "name": s.name, "objective": s.objective, "period": s.period,
                  "sli": s.sli.kind, "description": s.description, "suppressed": _suppressions(s.suppress),
                  **({"asserted_source": s.asserted_source,
                      "asserted_metrics": sorted(asserted.series)}
                     if (asserted := asserted_source(s, env.cluster_label)) else {})}
                 for s in defs.slos],
        "dashboards": [{"name": d.name, "title": d.title, "uid": d.uid, "url": dashboard_url(env, d),
                        "suppressed": _suppressions(d.suppress)} for d in defs.all_dashboards()],
        "collectors": [c.name for c in defs.collectors],
        "instrumentation": [i.name for i in defs.instrumentation],
        "backends": [name for name in ("tempo", "loki", "jaeger") if getattr(defs, name) is not None],
    }


def catalogue(bundle: Bundle, envs: Sequence[Environment]) -> dict[str, Any]:
    """The whole catalogue: the bundle's name and one entry per environment."""
    return {"bundle": bundle.name, "environments": [environment_catalogue(bundle, env) for env in envs]}


def _suppressed_lines(items: list[dict[str, str]], indent: str) -> list[str]:
    return [f"{indent}suppressed [{s['rule']}]" + (f" on panel {s['panel']!r}" if "panel" in s else "")
            + f": {s['reason']}" for s in items]


def as_text(data: dict[str, Any]) -> str:
    lines = []
    for env in data["environments"]:
        lines.append(f"environment {env['name']} (cluster {env['cluster']}, namespace {env['namespace']})")
        for team in env["teams"]:
            owns = ", ".join(f"{kind} {' '.join(team[kind])}" for kind in ("namespaces", "services", "jobs")
                             if team[kind]) or "nothing of its own"
            role = " (platform: owns whatever no other team owns)" if team["platform"] else ""
            lines.append(f"  team {team['name']}{role}: {owns}; receivers "
                         + (", ".join(f"{k} {v}" for k, v in team["receivers"].items()) or "none"))
        alerts = env["alerts"]
        for pack in env["rule_packs"]:
            lines.append(f"  rule pack {pack['name']}")
            for group in pack["groups"]:
                tier = f" ({group['tier']} tier)" if group["tier"] != "cluster" else ""
                lines.append(f"    group {group['name']}{tier}")
                for alert in (a for a in alerts if a["pack"] == pack["name"] and a["group"] == group["name"]):
                    threshold = "" if alert["threshold"] is None else f"threshold {alert['threshold']}, "
                    owner = f"team {alert['team']}, " if alert["team"] else ""
                    receivers = f" -> {', '.join(alert['receivers'])}" if alert["receivers"] else ""
                    lines.append(f"      alert {alert['name']} [{alert['severity']}, {threshold}for {alert['for']}, "
                                 f"{owner}{alert['tests']} tests]{receivers}")
                    lines += _suppressed_lines(alert["suppressed"], "        ")
                lines += [f"      record {name}" for name in group["recording_rules"]]
        for slo in env["slos"]:
            lines.append(f"  slo {slo['service']}/{slo['name']} [{slo['objective']}% over {slo['period']}]")
            if "asserted_source" in slo:
                lines.append(f"    metrics asserted by {slo['asserted_source']}: {', '.join(slo['asserted_metrics'])}")
            lines += _suppressed_lines(slo["suppressed"], "    ")
        for board in env["dashboards"]:
            lines.append(f"  dashboard {board['name']} ({board['title']})")
            lines += _suppressed_lines(board["suppressed"], "    ")
        lines += [f"  collector {name}" for name in env["collectors"]]
        lines += [f"  instrumentation {name}" for name in env["instrumentation"]]
        lines += [f"  {name} config" for name in env["backends"]]
    return "\n".join(lines) + "\n"


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _cell(value: Any) -> str:
    """A Markdown table cell: pipes escaped, newlines folded."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: list[Sequence[Any]]) -> list[str]:
    """A Markdown table without the columns that are empty in every row."""
    keep = [i for i in range(len(header)) if any(str(row[i]) for row in rows)]
    out = ["| " + " | ".join(header[i] for i in keep) + " |", "|" + "---|" * len(keep)]
    return out + ["| " + " | ".join(_cell(row[i]) for i in keep) + " |" for row in rows] + [""]


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})"


def _suppressed_cell(items: list[dict[str, str]]) -> str:
    return "; ".join(f"{s['rule']}" + (f" ({s['panel']})" if "panel" in s else "") + f": {s['reason']}"
                     for s in items)


def as_markdown(data: dict[str, Any]) -> str:
    lines = [f"# Bundle {data['bundle']}", ""]
    for env in data["environments"]:
        lines += [f"## Environment {env['name']}", "",
                  f"Cluster `{env['cluster']}`, namespace `{env['namespace']}`.", ""]
        if env["alerts"]:
            lines += ["### Alerts", ""] + _table(
                ("Alert", "Severity", "Threshold", "For", "Team", "Receivers", "Summary", "Runbook", "Dashboard",
                 "Suppressed"),
                [(a["name"], a["severity"], "" if a["threshold"] is None else a["threshold"], a["for"],
                  a["team"] or "", ", ".join(a["receivers"]), a["summary"], _link("runbook", a["runbook_url"]),
                  _link(a["dashboard"]["name"], a["dashboard"]["url"]) if a["dashboard"] else "",
                  _suppressed_cell(a["suppressed"])) for a in env["alerts"]])
        if env["slos"]:
            lines += ["### SLOs", ""] + _table(
                ("Service", "SLO", "Objective", "Period", "SLI", "Description", "Suppressed"),
                [(s["service"], s["name"], f"{s['objective']}%", s["period"], s["sli"], s["description"],
                  _suppressed_cell(s["suppressed"])) for s in env["slos"]])
        if env["dashboards"]:
            lines += ["### Dashboards", ""] + _table(
                ("Dashboard", "Title", "Suppressed"),
                [(d["name"], _link(d["title"], d["url"]), _suppressed_cell(d["suppressed"]))
                 for d in env["dashboards"]])
    return "\n".join(lines).rstrip("\n") + "\n"


RENDER: dict[str, Callable[[dict[str, Any]], str]] = {"text": as_text, "json": as_json, "markdown": as_markdown}
