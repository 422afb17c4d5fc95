"""Two built trees -> what changed for the people on call, per environment and cluster.

Alerts are compared field by field (a changed comparison literal is a threshold change, shown as one
line); the receivers each changed alert reaches come from each side's own routing tree; Kubernetes
manifests that only carry content shown above (PrometheusRules, dashboard ConfigMaps) or config hashes
are named in one line; generated test data and the manifest are counted, never shown.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence, TypeVar

import yaml

from obs.review.routing import Router
from obs.review.semantics import (
    Alert,
    Collector,
    Dashboard,
    Scope,
    Slo,
    flatten,
)

T = TypeVar("T")
LIMIT = 12  # field changes shown per item before "... N more"


@dataclass(frozen=True)
class Change:
    """One reviewable change: `section` (alerts, routing, slos, dashboards, collectors, kubernetes,
    generated, other), `kind` (added, removed, changed, summary) and human `details`."""
    section: str
    kind: str
    name: str
    details: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ScopeDiff:
    name: str
    status: str  # unchanged, changed, added, removed
    changes: list[Change] = field(default_factory=list)


@dataclass
class Report:
    base: str
    head: str
    scopes: list[ScopeDiff]
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(s.status != "unchanged" for s in self.scopes)


def short(value: Any, width: int = 70) -> str:
    """A value on one line: multi-line text is counted, long text cut."""
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    if "\n" in text.strip():
        return f"({len(text.strip().splitlines())} lines)"
    return text if len(text) <= width else text[:width - 3] + "..."


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any], limit: int = LIMIT,
                  skip: Callable[[str], bool] = lambda path: False) -> list[str]:
    lines = []
    for path in sorted(set(before) | set(after)):
        if skip(path) or before.get(path, ...) == after.get(path, ...):
            continue
        if path not in before:
            lines.append(f"+ {path}: {short(after[path])}")
        elif path not in after:
            lines.append(f"- {path}: {short(before[path])}")
        elif isinstance(before[path], str) and "\n" in before[path] + str(after[path]):
            lines.append(f"{path}: {_lines_changed(before[path], str(after[path]))}")
        else:
            lines.append(f"{path}: {short(before[path])} -> {short(after[path])}")
    return lines[:limit] + ([f"... {len(lines) - limit} more"] if len(lines) > limit else [])


def _lines_changed(before: str, after: str) -> str:
    diff = [d for d in difflib.ndiff(before.splitlines(), after.splitlines()) if d[:1] in "+-"]
    return f"{sum(d.startswith('-') for d in diff)} lines out, {sum(d.startswith('+') for d in diff)} in"


def _keyed(before: Mapping[str, T], after: Mapping[str, T]) -> tuple[list[str], list[str], list[str]]:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    return added, removed, changed


def _expr_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return ["expr " + line[0] + " " + line[1:].strip() for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def _alert_fields(b: Alert, a: Alert) -> list[str]:
    lines: list[str] = []
    if b.expr != a.expr:
        if b.without_thresholds() == a.without_thresholds():
            lines += [f"threshold: {x} -> {y}" for x, y in zip(b.thresholds, a.thresholds, strict=False) if x != y]
        else:
            lines += _expr_lines(b.expr, a.expr)
    for label, x, y in (("for", b.for_, a.for_), ("keep_firing_for", b.keep_firing_for, a.keep_firing_for),
                        ("rule group", f"{b.file}: {b.group}", f"{a.file}: {a.group}"),
                        ("evaluated every", b.interval or "(global)", a.interval or "(global)")):
        if x != y:
            lines.append(f"{label}: {x} -> {y}")
    for kind, x_map, y_map in (("label", b.labels, a.labels), ("annotation", b.annotations, a.annotations)):
        for key in sorted(set(x_map) | set(y_map)):
            if x_map.get(key) != y_map.get(key):
                lines.append(f"{kind} {key}: {short(x_map.get(key))} -> {short(y_map.get(key))}")
    return lines


def _reach(receivers: Sequence[str] | None) -> str:
    return ", ".join(receivers) if receivers else "(no receiver)"


def _team_copies(name: str, keys: Sequence[str]) -> list[str]:
    """The keys of `name`'s per-team copies (obs.review.semantics names them `Name (team X)`)."""
    return [key for key in keys if key.startswith(f"{name} (team ") and key.endswith(")")]


def _regrouped(added: list[str], removed: list[str]) -> list[tuple[list[str], list[str]]]:
    """Alerts that went from one copy to one per owning team (a pack gained an owner) or back:
    (keys before, keys after), each a single change instead of one removal and several additions."""
    pairs = [([key], copies) for key in removed if (copies := _team_copies(key, added))]
    return pairs + [(copies, [key]) for key in added if (copies := _team_copies(key, removed))]


def _regrouped_change(keys_before: list[str], keys_after: list[str], before: Scope, after: Scope,
                      rb: Mapping[str, Sequence[str]], ra: Mapping[str, Sequence[str]]) -> Change:
    """One alert split into per-team copies, or copies merged into one: what each copy differs by."""
    split = len(keys_before) == 1
    name = keys_before[0] if split else keys_after[0]
    copies = keys_after if split else keys_before
    teams = ", ".join(key[len(name) + len(" (team "):-1] for key in copies)
    lines = [f"now one copy per owning team: {teams}" if split else f"now one alert (was one copy per team: {teams})"]
    for key in copies:
        b, a = (before.alerts[name], after.alerts[key]) if split else (before.alerts[key], after.alerts[name])
        receivers = (rb.get(name), ra.get(key)) if split else (rb.get(key), ra.get(name))
        prefix = f"{key[len(name) + 1:]}: "
        lines += [prefix + line for line in _alert_fields(b, a)]
        if receivers[0] != receivers[1]:
            lines.append(f"{prefix}receivers: {_reach(receivers[0])} -> {_reach(receivers[1])}")
    data = {"before": {key: _alert_data(before.alerts[key], rb.get(key)) for key in keys_before},
            "after": {key: _alert_data(after.alerts[key], ra.get(key)) for key in keys_after}}
    return Change("alerts", "changed", name, tuple(lines), data)


def compare_alerts(before: Scope, after: Scope, routers: tuple[Router, Router]) -> list[Change]:
    added, removed, changed = _keyed(before.alerts, after.alerts)
    regrouped = _regrouped(added, removed)
    moved_b = [key for keys_before, _ in regrouped for key in keys_before]
    moved_a = [key for _, keys_after in regrouped for key in keys_after]
    added, removed = [k for k in added if k not in moved_a], [k for k in removed if k not in moved_b]
    routing_changed = before.routing != after.routing
    keys_b = removed + moved_b + changed + (sorted(set(before.alerts) & set(after.alerts)) if routing_changed else [])
    keys_a = added + moved_a + changed + (sorted(set(before.alerts) & set(after.alerts)) if routing_changed else [])
    rb, ra = routers[0].receivers(before, sorted(set(keys_b))), routers[1].receivers(after, sorted(set(keys_a)))
    changes = [_regrouped_change(keys_before, keys_after, before, after, rb, ra) for keys_before, keys_after in regrouped]
    for key in added:
        a = after.alerts[key]
        facts = [f"for {a.for_}"] + [f"{k} {a.labels[k]}" for k in ("severity", "team") if k in a.labels]
        changes.append(Change("alerts", "added", key, (
            f"{a.file}: {a.group}; " + ", ".join(facts), "expr: " + short(" ".join(a.expr.split()), 200),
            *([f"receivers: {_reach(ra.get(key))}"] if key in ra else [])),
            {"after": _alert_data(a, ra.get(key))}))
    for key in removed:
        b = before.alerts[key]
        facts = [f"{k} {b.labels[k]}" for k in ("severity", "team") if k in b.labels]
        changes.append(Change("alerts", "removed", key, (
            f"{b.file}: {b.group}" + ("; " + ", ".join(facts) if facts else ""),
            *([f"receivers were: {_reach(rb.get(key))}"] if key in rb else [])),
            {"before": _alert_data(b, rb.get(key))}))
    for key in sorted(set(before.alerts) & set(after.alerts)):
        b, a = before.alerts[key], after.alerts[key]
        lines = _alert_fields(b, a) if key in changed else []
        if key in rb and key in ra and rb[key] != ra[key]:
            lines.append(f"receivers: {_reach(rb[key])} -> {_reach(ra[key])}")
        elif lines and key in ra:
            lines.append(f"receivers: {_reach(ra[key])} (unchanged)")
        if lines:
            changes.append(Change("alerts", "changed", key, tuple(lines),
                                  {"before": _alert_data(b, rb.get(key)), "after": _alert_data(a, ra.get(key))}))
    return changes


def _alert_data(alert: Alert, receivers: Sequence[str] | None) -> dict[str, Any]:
    return {"file": alert.file, "group": alert.group, "interval": alert.interval, "expr": alert.expr,
            "thresholds": list(alert.thresholds), "for": alert.for_, "keep_firing_for": alert.keep_firing_for,
            "labels": dict(alert.labels), "annotations": dict(alert.annotations),
            "receivers": None if receivers is None else list(receivers)}


def compare_records(before: Scope, after: Scope) -> list[Change]:
    added, removed, changed = _keyed(before.records, after.records)
    if not (added or removed or changed):
        return []
    counts = ", ".join(f"{len(keys)} {what}" for what, keys in (("added", added), ("removed", removed),
                                                                 ("changed", changed)) if keys)
    names = sorted({k.split("{", 1)[0] for k in added + removed + changed})
    return [Change("recording rules", "summary", "recording rules", (f"{counts}: {', '.join(names)}",),
                   {"added": added, "removed": removed, "changed": changed})]


def compare_routing(before: Scope, after: Scope) -> list[Change]:
    if before.routing == after.routing:
        return []
    if before.routing is None or after.routing is None:
        return [Change("routing", "added" if before.routing is None else "removed", "alertmanager.yaml")]
    b, a = yaml.safe_load(before.routing) or {}, yaml.safe_load(after.routing) or {}
    names = ({r.get("name") for r in b.get("receivers") or []}, {r.get("name") for r in a.get("receivers") or []})
    lines = [f"+ receiver {n}" for n in sorted(names[1] - names[0])] + [f"- receiver {n}" for n in sorted(names[0] - names[1])]
    lines += field_changes(flatten(b), flatten(a), skip=lambda p: p.startswith("receivers[") and (
        p.split("]", 1)[0][10:] not in names[0] & names[1]))
    return [Change("routing", "changed", "alertmanager.yaml", tuple(lines))]


def _percent(objective: float) -> str:
    return f"{objective * 100:.6g}%"


def compare_slos(before: Scope, after: Scope) -> list[Change]:
    added, removed, changed = _keyed(before.slos, after.slos)
    changes = [Change("slos", "added", k, (_slo_line(after.slos[k]),)) for k in added]
    changes += [Change("slos", "removed", k, (_slo_line(before.slos[k]),)) for k in removed]
    for key in changed:
        b, a = before.slos[key], after.slos[key]
        lines = []
        if b.objective != a.objective:
            lines.append(f"objective: {_percent(b.objective)} -> {_percent(a.objective)}")
        if b.period_days != a.period_days:
            lines.append(f"period: {b.period_days:g}d -> {a.period_days:g}d")
        if b.budget_minutes != a.budget_minutes:
            lines.append(f"error budget: {b.budget_minutes:.1f} -> {a.budget_minutes:.1f} minutes per {a.period_days:g}d")
        if b.windows != a.windows:
            lines.append(f"windows: {'; '.join(b.windows)} -> {'; '.join(a.windows)}")
        changes.append(Change("slos", "changed", key, tuple(lines),
                              {"before": _slo_data(b), "after": _slo_data(a)}))
    return changes


def _slo_line(slo: Slo) -> str:
    return (f"objective {_percent(slo.objective)} over {slo.period_days:g}d "
            f"(budget {slo.budget_minutes:.1f} minutes); windows {'; '.join(slo.windows) or '(none)'}")


def _slo_data(slo: Slo) -> dict[str, Any]:
    return {"objective": slo.objective, "period_days": slo.period_days, "budget_minutes": round(slo.budget_minutes, 3),
            "windows": list(slo.windows)}


def compare_dashboards(before: Scope, after: Scope) -> list[Change]:
    added, removed, changed = _keyed(before.dashboards, after.dashboards)
    changes = [Change("dashboards", "added", after.dashboards[k].title, (
                      f"{after.dashboards[k].file}, {len(after.dashboards[k].panels)} panels",)) for k in added]
    changes += [Change("dashboards", "removed", before.dashboards[k].title, (before.dashboards[k].file,)) for k in removed]
    for key in changed:
        changes.append(Change("dashboards", "changed", after.dashboards[key].title,
                              tuple(_dashboard_lines(before.dashboards[key], after.dashboards[key]))))
    return changes


def _dashboard_lines(b: Dashboard, a: Dashboard) -> list[str]:
    p_added, p_removed, p_changed = _keyed(b.panels, a.panels)
    lines = [f"+ panel {k!r} ({a.panels[k].type}, unit {a.panels[k].unit or '(none)'})" for k in p_added]
    lines += [f"- panel {k!r}" for k in p_removed]
    for key in p_changed:
        x, y = b.panels[key], a.panels[key]
        if x.type != y.type:
            lines.append(f"panel {key!r}: type {x.type} -> {y.type}")
        if x.unit != y.unit:
            lines.append(f"panel {key!r}: unit {x.unit or '(none)'} -> {y.unit or '(none)'}")
        for i in range(max(len(x.queries), len(y.queries))):
            q = (x.queries[i] if i < len(x.queries) else None, y.queries[i] if i < len(y.queries) else None)
            if q[0] != q[1]:
                lines.append(f"panel {key!r} query {i + 1}: {_query(q[0])} -> {_query(q[1])}")
    return lines + field_changes(b.settings, a.settings, limit=5)


def _query(query: str | None) -> str:
    return "(none)" if query is None else " ".join(query.split())


def compare_collectors(before: Scope, after: Scope) -> list[Change]:
    added, removed, changed = _keyed(before.collectors, after.collectors)
    changes = [Change("collectors", "added", k, (f"pipelines {', '.join(sorted(after.collectors[k].pipelines))}",))
               for k in added]
    changes += [Change("collectors", "removed", k) for k in removed]
    for key in changed:
        changes.append(Change("collectors", "changed", key,
                              tuple(_collector_lines(before.collectors[key], after.collectors[key]))))
    return changes


def _collector_lines(b: Collector, a: Collector) -> list[str]:
    lines = [f"+ pipeline {k}: {_pipeline(a.pipelines[k])}" for k in sorted(set(a.pipelines) - set(b.pipelines))]
    lines += [f"- pipeline {k}" for k in sorted(set(b.pipelines) - set(a.pipelines))]
    for key in sorted(set(a.pipelines) & set(b.pipelines)):
        if a.pipelines[key] != b.pipelines[key]:
            lines.append(f"pipeline {key}: {_pipeline(b.pipelines[key])} -> {_pipeline(a.pipelines[key])}")
    c_added, c_removed, c_changed = _keyed(b.components, a.components)
    lines += [f"+ {k}" for k in c_added] + [f"- {k}" for k in c_removed]
    for key in c_changed:
        lines += [f"{key} {line}" for line in field_changes(b.components[key], a.components[key])]
    return lines


def _pipeline(parts: Mapping[str, Sequence[str]]) -> str:
    return " | ".join(",".join(parts[p]) or "-" for p in ("receivers", "processors", "exporters"))


def _carried(kind: str, path: str) -> bool:
    """Fields whose content `obs diff` shows elsewhere (rules, dashboards, collector configs)."""
    return (kind == "PrometheusRule" and path.startswith("spec.groups")) or \
        (kind in ("ConfigMap", "OpenTelemetryCollector") and path.startswith(("data.", "spec.config")))


def _not_shown(kind: str) -> Callable[[str], bool]:
    def skip(path: str) -> bool:
        return _carried(kind, path) or _hash(path)
    return skip


def _hash(path: str) -> bool:
    leaf = path.rsplit(".", 1)[-1].lower()
    return "checksum" in leaf or leaf.endswith(("hash", "sha256"))


def compare_resources(before: Scope, after: Scope) -> list[Change]:
    added, removed, changed = _keyed(before.resources, after.resources)
    changes = [Change("kubernetes", "added", k, (after.resources[k].file,)) for k in added]
    changes += [Change("kubernetes", "removed", k, (before.resources[k].file,)) for k in removed]
    carriers, hashed = [], []
    for key in changed:
        b, a = before.resources[key], after.resources[key]
        lines = field_changes(b.fields, a.fields, skip=_not_shown(a.kind))
        if lines:
            changes.append(Change("kubernetes", "changed", key, tuple(lines)))
        elif any(_carried(a.kind, p) for p in set(b.fields) | set(a.fields) if b.fields.get(p, ...) != a.fields.get(p, ...)):
            carriers.append(key)
        else:
            hashed.append(key)
    if carriers:
        changes.append(Change("kubernetes", "summary", "carriers",
                              (f"{', '.join(carriers)}: carry the changes above",), {"resources": carriers}))
    if hashed:
        changes.append(Change("kubernetes", "summary", "hashes",
                              (f"config hashes updated in {', '.join(hashed)}",), {"resources": hashed}))
    return changes


def compare_other(before: Scope, after: Scope) -> list[Change]:
    added, removed, changed = _keyed(before.other, after.other)
    changes = [Change("other", "added", k) for k in added] + [Change("other", "removed", k) for k in removed]
    for key in changed:
        b, a = before.other[key], after.other[key]
        lines = field_changes(b, a) if isinstance(b, dict) and isinstance(a, dict) else \
            [_lines_changed(str(b), str(a))]
        changes.append(Change("other", "changed", key, tuple(lines)))
    return changes


def compare_generated(before: Scope, after: Scope) -> list[Change]:
    changes = []
    for category in sorted(set(before.generated) | set(after.generated)):
        b, a = before.generated.get(category, {}), after.generated.get(category, {})
        added, removed, changed = _keyed(b, a)
        if not (added or removed or changed):
            continue
        if category == "manifest":
            old, new = _manifest_entries(b), _manifest_entries(a)
            hashes = sum(old.get(p) != new.get(p) for p in set(old) | set(new))
            changes.append(Change("generated", "summary", category, (f"{hashes} file hashes updated; not shown",)))
            continue
        parts = [f"{len(keys)} {what}" for what, keys in (("regenerated", changed), ("added", added),
                                                           ("removed", removed)) if keys]
        names = [k.rsplit("/", 1)[-1] for k in changed + added + removed]
        shown = ", ".join(names[:4]) + (f", ... {len(names) - 4} more" if len(names) > 4 else "")
        changes.append(Change("generated", "summary", category, (f"{', '.join(parts)} ({shown}); not shown",),
                              {"changed": changed, "added": added, "removed": removed}))
    return changes


def _manifest_entries(files: Mapping[str, bytes]) -> dict[str, str]:
    """'<folder>/<path>' -> sha256 over the manifests of one scope."""
    entries = {}
    for where, content in files.items():
        for line in content.decode(errors="replace").splitlines():
            sha, _, path = line.partition("  ")
            if path and not line.startswith("#"):
                entries[f"{where}:{path}"] = sha
    return entries


def _counts(scope: Scope) -> str:
    return (f"{len(scope.alerts)} alerts, {len(scope.slos)} SLOs, {len(scope.dashboards)} dashboards, "
            f"{len(scope.collectors)} collector configs, {len(scope.resources)} Kubernetes resources")


def compare_scope(name: str, before: Scope | None, after: Scope | None, routers: tuple[Router, Router]) -> ScopeDiff:
    if before is None or after is None:
        present = after or before
        assert present is not None
        return ScopeDiff(name, "added" if before is None else "removed", [Change(
            "scope", "added" if before is None else "removed", name,
            (_counts(present),))])
    changes = compare_alerts(before, after, routers)
    for compare in (compare_routing, compare_records, compare_slos, compare_dashboards, compare_collectors, compare_resources,
                    compare_other, compare_generated):
        changes += compare(before, after)
    return ScopeDiff(name, "changed" if changes else "unchanged", changes)


def compare(before: Mapping[str, Scope], after: Mapping[str, Scope], base: str, head: str) -> Report:
    """The report over every scope of either tree, sorted by name."""
    routers = (Router(), Router())
    scopes = [compare_scope(name, before.get(name), after.get(name), routers)
              for name in sorted(set(before) | set(after))]
    notes = sorted({f"receivers not computed: {r.missing}" for r in routers if r.missing})
    return Report(base, head, scopes, notes)
