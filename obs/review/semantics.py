"""What a built tree means, read from the written files only (never from the definitions), so it works
for any bundle, any obs version that wrote it and any layout: `<env>/` or `<env>/clusters/<cluster>/`.

Each file lands in exactly one place: rule files give alerts and recording rules (SLO metadata is read
from the SLO recording rules obs writes), alertmanager.yaml the routing tree, dashboards JSON the panels,
collector configs the pipelines, YAML documents with a kind and a name the Kubernetes resources.
Generated test data and the manifest are kept only to be summarised.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from obs.errors import ObsError
from obs.labels import TEAM
from obs.output import MANIFEST

# Files that are generated proof or bookkeeping: summarised in one line, never dumped.
GENERATED = {"promtool tests": re.compile(r"(^|/)prometheus/tests/[^/]+\Z"),
             "routing cases": re.compile(r"(^|/)alertmanager/routing-tests\.yaml\Z"),
             "manifest": re.compile(rf"(^|/){re.escape(MANIFEST)}\Z")}
_ROUTING = re.compile(r"(^|/)alertmanager/alertmanager\.yaml\Z")
PROMETHEUS_RULES = re.compile(r"(^|/)prometheus/rules/[^/]+\.ya?ml\Z")  # what a Prometheus evaluates
_COMPARISON = re.compile(r"(?P<op>[<>]=?|==|!=)\s*(?P<bool>bool\s+)?(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(?![\w.])",
                         re.IGNORECASE)
_SLO_SELECTOR = re.compile(r'slo_name="(?P<name>[^"]+)", slo_service="(?P<service>[^"]+)"')
_WINDOWS = re.compile(r'"long_window", "(?P<long>\w+)", "", ""\), "short_window", "(?P<short>\w+)"')
_CONSTANT = re.compile(r"\+ (?P<value>[0-9.e+-]+)\Z")


@dataclass(frozen=True)
class Alert:
    """One alerting rule as written, with where it is evaluated."""
    name: str
    file: str
    group: str
    interval: str
    expr: str
    for_: str
    keep_firing_for: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]

    @property
    def thresholds(self) -> tuple[str, ...]:
        """The numeric literals the expression compares against, in order (`> 0.1` -> '> 0.1')."""
        return tuple(f"{m['op']} {m['num']}" for m in _COMPARISON.finditer(self.expr))

    def without_thresholds(self) -> str:
        return _COMPARISON.sub(lambda m: m["op"] + " #", self.expr)


@dataclass(frozen=True)
class Slo:
    """An SLO as its written metadata rules and burn-rate alerts state it."""
    service: str
    name: str
    objective: float
    period_days: float
    windows: tuple[str, ...]

    @property
    def budget_minutes(self) -> float:
        return (1 - self.objective) * self.period_days * 24 * 60


@dataclass(frozen=True)
class Panel:
    title: str
    type: str
    queries: tuple[str, ...]
    unit: str


@dataclass(frozen=True)
class Dashboard:
    title: str
    file: str
    panels: Mapping[str, Panel]
    settings: Mapping[str, Any]  # everything but the panels, flattened


@dataclass(frozen=True)
class Collector:
    file: str
    pipelines: Mapping[str, Mapping[str, tuple[str, ...]]]
    components: Mapping[str, Mapping[str, Any]]  # 'receivers/otlp' -> flattened config


@dataclass(frozen=True)
class Resource:
    kind: str
    namespace: str
    name: str
    file: str
    fields: Mapping[str, Any]  # flattened

    @property
    def key(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


@dataclass
class Scope:
    """One environment, or one cluster of an environment (`prod/clusters/prod-eu1`)."""
    name: str
    alerts: dict[str, Alert] = field(default_factory=dict)
    records: dict[str, str] = field(default_factory=dict)  # 'file: record{labels}' -> expr
    routing: str | None = None  # alertmanager.yaml text
    routing_file: Path | None = None
    routing_cases: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # alert -> label sets
    slos: dict[str, Slo] = field(default_factory=dict)
    dashboards: dict[str, Dashboard] = field(default_factory=dict)
    collectors: dict[str, Collector] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    generated: dict[str, dict[str, bytes]] = field(default_factory=dict)  # category -> path -> bytes
    other: dict[str, Any] = field(default_factory=dict)  # path -> flattened content (or text)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf path -> value. List items with a `name` (containers, ports, env) are keyed by it, so a
    reordering or an insertion does not show as every later item changing."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            tag = f"[{item['name']}]" if isinstance(item, dict) and isinstance(item.get("name"), str) else f"[{i}]"
            out.update(flatten(item, prefix + tag))
        return out or {prefix: []}
    return {prefix: value}


def scope_of(relative: str) -> tuple[str, str]:
    """('prod/clusters/prod-eu1', 'prometheus/rules/x.yaml') for 'prod/clusters/prod-eu1/prometheus/...'."""
    parts = relative.split("/")
    if len(parts) > 3 and parts[1] == "clusters":
        return "/".join(parts[:3]), "/".join(parts[3:])
    return parts[0], "/".join(parts[1:])


def environments(root: Path) -> list[Path]:
    """The environment folders of a built root: those holding an obs manifest (a folder that is itself
    an environment counts as one)."""
    if not root.is_dir():
        raise ObsError(f"{root}: not a folder (fix: pass a folder `obs build` wrote, or a git ref)")
    if (root / MANIFEST).is_file():
        return [root]
    found = sorted(p for p in root.iterdir() if p.is_dir() and (p / MANIFEST).is_file())
    if not found:
        raise ObsError(f"{root}: no environment folder with a {MANIFEST} (fix: pass the --out folder of `obs build`)")
    return found


def load(root: Path) -> dict[str, Scope]:
    """Every scope of a built root, by name."""
    scopes: dict[str, Scope] = {}
    for env in environments(root):
        for path in sorted(p for p in env.rglob("*") if p.is_file() and not p.is_symlink()):
            name, relative = scope_of(f"{env.name}/{path.relative_to(env).as_posix()}")
            scope = scopes.setdefault(name, Scope(name))
            _read(scope, relative, path)
    for scope in scopes.values():
        _name_copies(scope)
        _derive_slos(scope)
    return scopes


def _name_copies(scope: Scope) -> None:
    """Key each alert by its name; an alert with copies (a pack built once per owning team) by name
    and team, as a reviewer thinks of them, or by name, file and group where the team does not
    tell the copies apart, numbered in file order where those do not either (two rules of one
    name in one group, e.g. a warning and a critical threshold)."""
    copies: dict[str, list[Alert]] = {}
    for alert in scope.alerts.values():
        copies.setdefault(alert.name, []).append(alert)
    keys: dict[int, str] = {}
    for name, alerts in copies.items():
        teams = [alert.labels.get(TEAM) for alert in alerts]
        by_team = None not in teams and len(set(teams)) == len(teams)
        named = [name if len(alerts) == 1 else f"{name} (team {team})" if by_team
                 else f"{name} ({alert.file}, {alert.group})" for alert, team in zip(alerts, teams, strict=True)]
        for index, (alert, key) in enumerate(zip(alerts, named, strict=True)):
            keys[id(alert)] = key if named.count(key) == 1 else f"{key} #{named[:index].count(key) + 1}"
    scope.alerts = {keys[id(alert)]: alert for alert in scope.alerts.values()}  # in reading order


def _read(scope: Scope, relative: str, path: Path) -> None:
    for category, pattern in GENERATED.items():
        if pattern.search(relative):
            scope.generated.setdefault(category, {})[relative] = path.read_bytes()
            if category == "routing cases":
                _read_cases(scope, path)
            return
    if _ROUTING.search(relative):
        scope.routing, scope.routing_file = path.read_text(), path
        return
    if relative.endswith(".json"):
        doc = _json(path)
        if isinstance(doc, dict) and isinstance(doc.get("panels"), list):
            scope.dashboards[str(doc.get("uid") or relative)] = _dashboard(relative, doc)
        else:
            scope.other[relative] = flatten(doc)
        return
    if not relative.endswith((".yaml", ".yml")):
        scope.other[relative] = path.read_text(errors="replace")
        return
    for index, doc in enumerate(_yaml(path)):
        where = relative if index == 0 else f"{relative}#{index}"
        if isinstance(doc, dict) and isinstance(doc.get("groups"), list):
            _rules(scope, relative, doc)  # Prometheus, and the Loki ruler's LogQL alerts too
        elif isinstance(doc, dict) and isinstance((doc.get("service") or {}).get("pipelines"), dict):
            scope.collectors[relative] = _collector(relative, doc)
        elif isinstance(doc, dict) and doc.get("kind") and isinstance(doc.get("metadata"), dict) \
                and doc["metadata"].get("name"):
            resource = Resource(str(doc["kind"]), str(doc["metadata"].get("namespace") or ""),
                                str(doc["metadata"]["name"]), relative, flatten(doc))
            scope.resources[resource.key] = resource
        else:
            scope.other[where] = flatten(doc)


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        return path.read_text(errors="replace")


def _yaml(path: Path) -> Iterator[Any]:
    try:
        yield from [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ObsError(f"{path}: not valid YAML ({exc.__class__.__name__}) (fix: rebuild the folder with `obs build`)") \
            from None


def _rules(scope: Scope, relative: str, doc: Mapping[str, Any]) -> None:
    for group in doc["groups"]:
        interval = str(group.get("interval") or "")
        for rule in group.get("rules") or []:
            if "alert" in rule:
                alert = Alert(str(rule["alert"]), relative, str(group.get("name")), interval, str(rule.get("expr", "")),
                              str(rule.get("for") or "0s"), str(rule.get("keep_firing_for") or "0s"),
                              {str(k): str(v) for k, v in (rule.get("labels") or {}).items()},
                              {str(k): str(v) for k, v in (rule.get("annotations") or {}).items()})
                scope.alerts[str(len(scope.alerts))] = alert  # in reading order; keyed for good in _name_copies
            elif "record" in rule:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted((rule.get("labels") or {}).items()))
                scope.records[f"{rule['record']}{{{labels}}} ({relative})"] = str(rule.get("expr", ""))


def _read_cases(scope: Scope, path: Path) -> None:
    doc = next(iter(_yaml(path)), None) or {}
    for case in doc.get("cases") or []:
        labels = {str(k): str(v) for k, v in (case.get("labels") or {}).items()}
        scope.routing_cases.setdefault(str(case.get("alert")), []).append(labels)


def _panels(panels: list[Any]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        if isinstance(panel, dict):
            yield panel
            yield from _panels(panel.get("panels") or [])


def _dashboard(relative: str, doc: dict[str, Any]) -> Dashboard:
    panels: dict[str, Panel] = {}
    for panel in _panels(doc["panels"]):
        if panel.get("type") == "row":
            continue
        title = str(panel.get("title") or f"panel {panel.get('id')}")
        key, n = title, 1
        while key in panels:
            n += 1
            key = f"{title} #{n}"
        queries = tuple(str(t.get("expr") or t.get("query") or "") for t in panel.get("targets") or [])
        unit = str(((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit") or "")
        panels[key] = Panel(title, str(panel.get("type")), queries, unit)
    settings = flatten({k: v for k, v in doc.items() if k != "panels"})
    return Dashboard(str(doc.get("title") or relative), relative, panels, settings)


def _collector(relative: str, doc: dict[str, Any]) -> Collector:
    pipelines = {str(name): {part: tuple(str(c) for c in (spec or {}).get(part) or ())
                             for part in ("receivers", "processors", "exporters")}
                 for name, spec in doc["service"]["pipelines"].items()}
    components: dict[str, Mapping[str, Any]] = {}
    for section in ("receivers", "processors", "exporters", "connectors", "extensions"):
        for name, config in (doc.get(section) or {}).items():
            components[f"{section}/{name}"] = flatten(config or {})
    rest = {k: v for k, v in doc["service"].items() if k != "pipelines"}
    if rest:
        components["service"] = flatten(rest)
    return Collector(relative, pipelines, components)


def _derive_slos(scope: Scope) -> None:
    """SLOs from the metadata rules obs writes (slo:objective:ratio, slo:time_period:days) and the
    windows of their burn-rate alerts."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for key, expr in scope.records.items():
        record = key.split("{", 1)[0]
        if record not in ("slo:objective:ratio", "slo:time_period:days"):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', key.split("{", 1)[1].rsplit("}", 1)[0]))
        value = _CONSTANT.search(expr.strip())
        if "slo_service" in labels and value:
            found.setdefault((labels["slo_service"], labels.get("slo_name", "")), {})[record] = float(value["value"])
    windows: dict[tuple[str, str], list[str]] = {}
    for alert in scope.alerts.values():
        selector = _SLO_SELECTOR.search(alert.expr)
        if selector:
            severity = alert.labels.get("slo_severity") or alert.labels.get("severity", "")
            pairs = "+".join(f"{m['long']}/{m['short']}" for m in _WINDOWS.finditer(alert.expr))
            windows.setdefault((selector["service"], selector["name"]), []).append(f"{severity} {pairs}".strip())
    for (service, name), values in sorted(found.items()):
        if "slo:objective:ratio" in values:
            scope.slos[f"{service}/{name}"] = Slo(service, name, values["slo:objective:ratio"],
                                                 values.get("slo:time_period:days", 30.0),
                                                 tuple(sorted(windows.get((service, name), []))))
