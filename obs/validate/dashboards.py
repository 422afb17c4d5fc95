"""Tier-1 checks on every rendered dashboard, and the tier-2 promtool parse of their queries.

Each finding names the dashboard, the panel (or variable) and the fix."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Sequence

from obs.grafana.dashboard import Dashboard
from obs.grafana.datasources import DATASOURCE_VARIABLE, GRAFANA_BUILTIN
from obs.grafana.panels import GRID_COLUMNS, PANEL_TYPES
from obs.grafana.units import is_unit, suggestions
from obs.render.base import RenderContext
from obs.render.grafana import DASHBOARDS_DIR, dashboard_bytes, dashboard_json, datasources
from obs.validate import dashboard_queries as q
from obs.validate.dashboard_schema import datasource_of, panels, schema_problems
from obs.validate.lint import LintIssue

# kubectl's client-side apply keeps the whole object in an annotation limited to 256 KiB.
CONFIGMAP_APPLY_LIMIT = 256 * 1024
# The API server refuses a ConfigMap whose data (keys and values) exceeds 1 MiB.
CONFIGMAP_LIMIT = 1024 * 1024
STANDARD_VARIABLES = (DATASOURCE_VARIABLE, "cluster")
UNIT_PANELS = ("timeseries", "stat", "bargauge", "heatmap", "table")


class _Findings:
    """Collects issues for one dashboard."""

    def __init__(self, name: str) -> None:
        self.definition = f"dashboard {name!r}"
        self.issues: list[LintIssue] = []

    def error(self, check: str, where: str, problem: str, fix: str) -> None:
        self.issues.append(LintIssue("error", self.definition, check, f"{where}: {problem} (fix: {fix})"))


def _title(panel: dict[str, Any]) -> str:
    return f"panel {panel.get('title', '') or '#' + str(panel.get('id', '?'))!r}"


def check_schema(board: dict[str, Any], out: _Findings) -> None:
    for where, problem in schema_problems(board):
        out.error("schema", where, problem, "emit only what Grafana's dashboard schema allows "
                                            "(build panels with the obs.grafana factories)")


def check_layout(board: dict[str, Any], out: _Findings) -> None:
    """Nothing past column 24, no overlaps, unique ids and titles."""
    placed: list[tuple[dict[str, Any], dict[str, int]]] = []
    ids: dict[Any, str] = {}
    titles: dict[str, str] = {}
    for panel in panels(board):
        name = _title(panel)
        pos = panel.get("gridPos") or {}
        if pos.get("x", 0) + pos.get("w", 0) > GRID_COLUMNS:
            out.error("layout", name, f"ends at column {pos.get('x', 0) + pos.get('w', 0)}, past {GRID_COLUMNS}",
                      "make it narrower or let obs lay it out")
        for other, other_pos in placed:
            if (pos and pos["x"] < other_pos["x"] + other_pos["w"] and other_pos["x"] < pos["x"] + pos["w"]
                    and pos["y"] < other_pos["y"] + other_pos["h"] and other_pos["y"] < pos["y"] + pos["h"]):
                out.error("layout", name, f"overlaps {_title(other)}", "give panels distinct grid positions")
        if pos:
            placed.append((panel, pos))
        if panel.get("id") in ids:
            out.error("unique-ids", name, f"has id {panel.get('id')} like {ids[panel['id']]}", "number panels uniquely")
        ids.setdefault(panel.get("id"), name)
        title = panel.get("title", "")
        if title in titles:
            out.error("unique-titles", name, "has the same title as another panel", "give each panel its own title")
        titles.setdefault(title, name)


def _used_text(board: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, text) of everything that may reference a variable."""
    for panel in panels(board):
        name = _title(panel)
        yield name, panel.get("title", "")
        yield name, str(datasource_of(panel).get("uid", ""))
        if panel.get("repeat"):
            yield name, "$" + panel["repeat"]
        for target in panel.get("targets", []):
            yield f"{name}, query {target.get('refId', '?')}", target.get("expr", "")
            yield f"{name}, query {target.get('refId', '?')}", str(datasource_of(target).get("uid", ""))
    for variable in board.get("templating", {}).get("list", []):
        where = f"variable {variable.get('name')!r}"
        yield where, str(variable.get("query", ""))
        yield where, str(datasource_of(variable).get("uid", ""))


def check_variables(board: dict[str, Any], out: _Findings) -> None:
    """Standard variables present, refreshed on time change, every $variable defined."""
    variables: dict[str, Any] = {}
    for variable in board.get("templating", {}).get("list", []):
        if variable.get("name") in variables:
            out.error("unique-variables", f"variable {variable.get('name')!r}", "is defined twice",
                      "give each variable its own name")
        variables.setdefault(variable.get("name"), variable)
    for name in STANDARD_VARIABLES:
        if name not in variables:
            out.error("standard-variables", "templating", f"has no ${name} variable",
                      "add obs.grafana.variables.standard(env, metric)")
    for name, variable in variables.items():
        if variable.get("type") == "query" and variable.get("refresh") != 2:
            out.error("variable-refresh", f"variable {name!r}", "does not refresh when the time range changes",
                      "set refresh to 2 (obs.grafana.variables do)")
    undefined: dict[str, list[str]] = {}
    for where, text in _used_text(board):
        for ref in sorted(q.variable_refs(text)):
            if not ref.startswith("__") and ref not in variables:
                undefined.setdefault(ref, []).append(where)
    for ref, places in undefined.items():
        more = f" and {len(places) - 1} more place(s)" if len(places) > 1 else ""
        out.error("undefined-variable", places[0], f"uses ${ref}{more}, which is not defined",
                  f"define a '{ref}' variable or fix the name")
    used = {ref for where, text in _used_text(board) for ref in q.variable_refs(text)}
    for name in variables:
        if name not in used:
            out.error("unused-variable", f"variable {name!r}", "is not used by any panel, query or other variable",
                      "use it in a query (e.g. a matcher on its label) or remove it")


def _datasource_refs(board: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for panel in panels(board):
        if panel.get("type") != "row":
            yield _title(panel), panel.get("datasource")
            for target in panel.get("targets", []):
                yield f"{_title(panel)}, query {target.get('refId', '?')}", target.get("datasource")
    for variable in board.get("templating", {}).get("list", []):
        if "datasource" in variable:
            yield f"variable {variable.get('name')!r}", variable["datasource"]
    for annotation in board.get("annotations", {}).get("list", []):
        yield f"annotation {annotation.get('name')!r}", annotation.get("datasource")


def check_datasources(board: dict[str, Any], provisioned: dict[str, str], out: _Findings) -> None:
    """Every datasource uid is provisioned, or a datasource variable of the right type; Prometheus
    panels use the $datasource variable."""
    variables = {v.get("name"): v for v in board.get("templating", {}).get("list", [])}
    for where, ref in _datasource_refs(board):
        if ref is not None and not isinstance(ref, dict):
            out.error("datasource", where, f"datasource {ref!r} is the legacy by-name form",
                      "write a {\"type\", \"uid\"} reference (obs.grafana.datasources.ref)")
            continue
        ref = ref or {}
        uid, kind = ref.get("uid", ""), ref.get("type", "")
        refs = q.variable_refs(uid)
        if ref == GRAFANA_BUILTIN:
            continue
        if refs:
            name = next(iter(refs))
            variable = variables.get(name, {})
            if variable.get("type") != "datasource" or variable.get("query") != kind:
                out.error("datasource", where, f"uid {uid!r} is not a {kind or '?'} datasource variable",
                          f"define ${name} as a datasource variable of type {kind}")
        elif uid not in provisioned:
            out.error("datasource", where, f"uid {uid!r} is not provisioned",
                      f"use one of {sorted(provisioned)} (obs.grafana.datasources)")
        elif provisioned[uid] != kind:
            out.error("datasource", where, f"uid {uid!r} is a {provisioned[uid]} datasource, not {kind!r}",
                      f"set the type to {provisioned[uid]!r}")
        elif kind == "prometheus":
            out.error("datasource-variable", where, f"hard-codes Prometheus uid {uid!r}",
                      "use the $datasource variable (obs.grafana.datasources.prometheus())")
        elif where.startswith("panel"):
            out.error("datasource-variable", where, f"hard-codes {kind or 'datasource'} uid {uid!r}",
                      "use a datasource variable of that type, e.g. obs.grafana.datasources.loki() with "
                      "obs.grafana.variables.loki_datasource()")


def check_panels(board: dict[str, Any], out: _Findings) -> None:
    """Titles, units, thresholds, and the PromQL rules of grafana/dashboard-linter."""
    for panel in panels(board):
        name = _title(panel)
        if not panel.get("title", "").strip():
            out.error("panel-title", name, "has no title", "say what the panel shows")
        if panel.get("type") == "row":
            continue
        if not str(panel.get("description", "")).strip():
            out.error("panel-description", name, "has no description",
                      "pass description= saying what the panel shows and how to read it (shown in the panel's "
                      "info tooltip)")
        if panel.get("type") not in PANEL_TYPES:
            out.error("panel-type", name, f"has the legacy or unknown type {panel.get('type')!r}",
                      f"use a current panel type: {', '.join(PANEL_TYPES)}")
        if "maxDataPoints" in panel:
            out.error("full-resolution", name, f"caps maxDataPoints at {panel['maxDataPoints']!r}",
                      "drop maxDataPoints so Grafana queries at full resolution")
        legend = (panel.get("options") or {}).get("legend") or {}
        if panel.get("type") == "timeseries" and (legend.get("showLegend") is False or legend.get("displayMode") == "hidden"):
            out.error("legend", name, "hides its legend", "show the legend (obs.grafana.timeseries does) so series "
                                                          "can be told apart")
        ref_ids = [t.get("refId") for t in panel.get("targets", [])]
        for ref_id in sorted({r for r in ref_ids if ref_ids.count(r) > 1}, key=str):
            out.error("unique-ids", name, f"has several queries with refId {ref_id!r}",
                      "give each query its own refId (A, B, ...)")
        defaults = panel.get("fieldConfig", {}).get("defaults", {})
        if panel.get("type") in UNIT_PANELS and not defaults.get("unit"):
            out.error("panel-units", name, "has no unit", "pass unit=, e.g. 'reqps', 's', 'bytes', 'percentunit'")
        check_unit_ids(panel, name, out)
        steps = (defaults.get("thresholds") or {}).get("steps", [])
        if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
            out.error("thresholds", name, f"threshold steps {steps!r} are not a list of {{color, value}}",
                      "pass thresholds=[(value, colour), ...] in ascending order")
            continue
        values = [s.get("value") for s in steps]
        if not steps or values[0] is not None or values[1:] != sorted(v for v in values[1:] if v is not None):
            out.error("thresholds", name, f"threshold steps {values} are not a null base then ascending values",
                      "pass thresholds=[(value, colour), ...] in ascending order")
        for target in panel.get("targets", []):
            if datasource_of(target).get("type") != "prometheus":
                continue
            where, expr = f"{name}, query {target.get('refId', '?')}", target.get("expr", "")
            for problem in q.rate_window_problems(expr):
                out.error("rate-interval", where, problem, "use [$__rate_interval]")
            for metric in q.unaggregated_counters(expr):
                out.error("counter-rate", where, f"counter {metric} is used without rate/irate/increase",
                          f"wrap it, e.g. sum by (...) (rate({metric}[$__rate_interval]))")
            for matcher in q.literal_job_matchers(expr):
                label = matcher.split("=", 1)[0]
                out.error("job-instance-variable", where, f"selects {matcher} with a fixed value",
                          f"use a variable, e.g. {label}=~\"${label}\"")
            if "intervalFactor" in target and target["intervalFactor"] != 1:
                out.error("full-resolution", where, "has intervalFactor != 1", "drop intervalFactor")


def check_unit_ids(panel: dict[str, Any], name: str, out: _Findings) -> None:
    """Every unit (the default and the overrides') is one Grafana knows: an unknown id is shown as a
    bare suffix and loses Grafana's scaling (1500 reqps -> '1.50K req/s')."""
    field_config = panel.get("fieldConfig") or {}
    units = [(name, (field_config.get("defaults") or {}).get("unit"))]
    for index, override in enumerate(field_config.get("overrides") or []):
        units += [(f"{name}, override {index}", prop.get("value")) for prop in override.get("properties") or []
                  if prop.get("id") == "unit"]
    for where, unit in units:
        if unit and not (isinstance(unit, str) and is_unit(unit)):
            close = suggestions(str(unit))
            out.error("unknown-unit", where, f"unit {unit!r} is not a Grafana unit id",
                      (f"did you mean {' or '.join(repr(c) for c in close)}? " if close else "")
                      + "see obs.grafana.units.UNITS, or write a custom unit such as 'suffix: pods'")


def check_nulls(board: dict[str, Any], out: _Findings) -> None:
    """No null anywhere except a threshold's base step (null means -Infinity there)."""
    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if item is None and not (key == "value" and "/steps/" in path + "/"):
                    out.error("nulls", path or "(top level)", f"'{key}' is null", "omit the key instead")
                walk(item, f"{path}/{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}/{index}")
    walk(board, "")


def lint_board(board: dict[str, Any], name: str, provisioned: dict[str, str],
               may_have_nulls: bool = True) -> list[LintIssue]:
    """All tier-1 findings for one dashboard's JSON (`may_have_nulls` False: its JSON text has no
    `null`, so the walk looking for them is skipped)."""
    out = _Findings(name)
    for check in (check_schema, check_layout, check_variables, check_panels):
        check(board, out)
    if may_have_nulls:
        check_nulls(board, out)
    check_datasources(board, provisioned, out)
    return out.issues


def _references(ctx: RenderContext) -> Iterator[LintIssue]:
    """Dashboards belong to this bundle (their uid says so); alerts link to rendered dashboards."""
    uids = {d.uid for d in ctx.defs.all_dashboards()}
    for board in ctx.defs.all_dashboards():
        if board.bundle != ctx.bundle.name:
            yield LintIssue("error", board.definition, "uid",
                            f"bundle {board.bundle!r} differs from the bundle {ctx.bundle.name!r} it is in, so "
                            f"its uid {board.uid!r} misleads (fix: pass bundle={ctx.bundle.name!r})")
    for pack in ctx.defs.all_rule_packs():
        for alert in pack.alerts:
            if isinstance(alert.dashboard, Dashboard) and alert.dashboard.uid not in uids:
                yield LintIssue("error", alert.definition, "dashboard-link",
                                f"links to dashboard {alert.dashboard.name!r}, which this bundle does not render "
                                "(fix: add it to Definitions(dashboards=...))")


def lint_dashboards(ctx: RenderContext) -> Iterator[LintIssue]:
    """The tier-1 linter over every dashboard of an environment."""
    if not ctx.defs.all_dashboards():
        return
    provisioned = {ds["uid"]: ds["type"] for ds in datasources(ctx.env, ctx.defs.jaeger)["datasources"]}
    yield from _references(ctx)
    for board in ctx.defs.all_dashboards():
        content = dashboard_bytes(ctx, board)
        yield from lint_board(dashboard_json(ctx, board), board.name, provisioned, b"null" in content)
        size = len(content)
        if size + len(f"{board.name}.json") > CONFIGMAP_LIMIT:
            yield LintIssue("error", board.definition, "configmap-size",
                            f"{size} bytes of JSON exceed the {CONFIGMAP_LIMIT} bytes (1 MiB) Kubernetes allows in "
                            "a ConfigMap, so the dashboard could not be applied (fix: split the dashboard)")
        elif size > CONFIGMAP_APPLY_LIMIT:
            yield LintIssue("warning", board.definition, "configmap-size",
                            f"{size} bytes of JSON exceed the {CONFIGMAP_APPLY_LIMIT} bytes `kubectl apply` can "
                            "keep in its last-applied annotation (fix: split the dashboard, or apply server-side)")


def promtool_check_dashboards(folders: Sequence[Path]) -> str:
    """Tier 2: every PromQL query in the written dashboards parses with promtool."""
    queries: list[q.QueryRef] = []
    root = folders[0].parent if folders else Path(".")
    for folder in folders:
        for path in sorted((folder / DASHBOARDS_DIR).glob("*.json")):
            board = json.loads(path.read_text())
            queries.extend(q.prometheus_queries(board, str(path.relative_to(root))))
    count = q.check_queries(queries)
    return f"promtool dashboard queries: {count} queries OK"
