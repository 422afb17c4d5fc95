"""Each dashboard check catches a broken dashboard (naming dashboard, panel and fix), and the
reference dashboards pass them all, promtool's parse included."""
from __future__ import annotations

import copy
import importlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest

from obs import AlertRule, Definitions, RuleGroup, RulePack
from obs.errors import ValidationError
from obs.grafana import timeseries
from obs.render import RenderContext, render_environment
from obs.validate.dashboards import lint_board, lint_dashboards, promtool_check_dashboards
from rules.environments import staging

PROVISIONED = {"prometheus": "prometheus", "tempo": "tempo", "loki": "loki"}


@pytest.fixture(scope="module")
def ctx(reference_bundle) -> RenderContext:
    return RenderContext(reference_bundle, staging, reference_bundle.definitions(staging))


@pytest.fixture(scope="module")
def files(reference_bundle) -> dict[str, bytes]:
    return render_environment(reference_bundle, staging)


@pytest.fixture(scope="module")
def clean(files) -> dict[str, Any]:
    return json.loads(files["grafana/dashboards/service-overview.json"])


def _panel(board: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in board["panels"] if p.get("title") == title)


def _target(board: dict[str, Any], title: str = "Requests") -> dict[str, Any]:
    return _panel(board, title)["targets"][0]


BREAKAGES: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("schema", lambda b: b.update(rows=[]), "'rows' was unexpected"),
    ("schema", lambda b: _panel(b, "Requests").update(span=6), "'span' was unexpected"),
    ("schema", lambda b: _panel(b, "Requests")["options"].pop("reduceOptions"), "'reduceOptions' is a required"),
    ("schema", lambda b: _target(b).update(intervalFactor="2"), "intervalFactor"),
    ("layout", lambda b: _panel(b, "Error ratio")["gridPos"].update(x=20), "past 24"),
    ("layout", lambda b: _panel(b, "Error ratio")["gridPos"].update(x=0), "overlaps panel 'Requests'"),
    ("unique-ids", lambda b: _panel(b, "Error ratio").update(id=_panel(b, "Requests")["id"]), "has id"),
    ("unique-titles", lambda b: _panel(b, "Error ratio").update(title="Requests"), "same title"),
    ("standard-variables", lambda b: b["templating"]["list"].pop(1), "no $cluster"),
    ("variable-refresh", lambda b: b["templating"]["list"][2].update(refresh=1), "time range changes"),
    ("undefined-variable", lambda b: _target(b).update(expr=_target(b)["expr"].replace("$service", "$svc")),
     "uses $svc"),
    ("datasource", lambda b: _panel(b, "Requests").update(datasource={"type": "prometheus", "uid": "mimir"}),
     "'mimir' is not provisioned"),
    ("datasource", lambda b: _panel(b, "Requests").update(datasource={"type": "prometheus", "uid": "loki"}),
     "is a loki datasource"),
    ("datasource-variable", lambda b: _target(b).update(datasource={"type": "prometheus", "uid": "prometheus"}),
     "hard-codes Prometheus uid"),
    ("panel-title", lambda b: _panel(b, "Requests").update(title=" "), "has no title"),
    ("panel-units", lambda b: _panel(b, "Requests")["fieldConfig"]["defaults"].pop("unit"), "has no unit"),
    ("thresholds", lambda b: _panel(b, "Error ratio")["fieldConfig"]["defaults"]["thresholds"]["steps"].reverse(),
     "null base then ascending"),
    ("rate-interval", lambda b: _target(b).update(expr=_target(b)["expr"].replace("$__rate_interval", "5m")),
     "fixed window"),
    ("counter-rate", lambda b: _target(b).update(expr="sum(http_server_request_duration_seconds_count)"),
     "counter http_server_request_duration_seconds_count"),
    ("counter-rate", lambda b: _target(b).update(expr="sum(otelcol_exporter_send_failed_spans)"),
     "otelcol_exporter_send_failed_spans"),
    ("job-instance-variable", lambda b: _target(b).update(expr=_target(b)["expr"].replace("$service", "checkout")),
     'job="checkout"'),
    ("nulls", lambda b: _panel(b, "Requests").update(description=None), "'description' is null"),
    # Hand-edited or imported JSON: legacy forms are findings, never a crash of the checker.
    ("panel-type", lambda b: _panel(b, "Requests").update(type="graph"), "legacy or unknown type 'graph'"),
    ("panel-type", lambda b: _panel(b, "Requests").update(type="singlestat"), "use a current panel type"),
    ("datasource", lambda b: _panel(b, "Requests").update(datasource="Prometheus"), "legacy by-name form"),
    ("datasource", lambda b: _target(b).update(datasource="Prometheus"), "legacy by-name form"),
    ("thresholds", lambda b: _panel(b, "Requests")["fieldConfig"]["defaults"]["thresholds"].update(steps="80,90"),
     "not a list of {color, value}"),
    ("full-resolution", lambda b: _panel(b, "Requests").update(maxDataPoints=100), "caps maxDataPoints"),
    ("legend", lambda b: _panel(b, "Latency")["options"]["legend"].update(showLegend=False), "hides its legend"),
    ("unique-ids", lambda b: _panel(b, "Latency")["targets"][1].update(refId="A"), "several queries with refId 'A'"),
    ("job-instance-variable", lambda b: _target(b).update(expr='sum(rate(x_total{instance="a:9090"}[$__rate_interval]))'),
     'instance="a:9090" with a fixed value (fix: use a variable, e.g. instance=~"$instance")'),
    ("unique-variables", lambda b: b["templating"]["list"].append(copy.deepcopy(b["templating"]["list"][1])),
     "variable 'cluster': is defined twice"),
]


@pytest.mark.parametrize("check, breakage, words", BREAKAGES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BREAKAGES)])
def test_each_check_catches_a_broken_dashboard(clean, check, breakage, words):
    board = copy.deepcopy(clean)
    breakage(board)
    issues = [i for i in lint_board(board, "service-overview", PROVISIONED) if i.check == check]
    assert issues, f"{check} did not catch the breakage"
    text = "\n".join(map(str, issues))
    assert "dashboard 'service-overview'" in text and "fix:" in text and words in text, text


def test_clean_reference_dashboards_pass(ctx):
    assert list(lint_dashboards(ctx)) == []


def test_oversized_dashboard_gets_a_configmap_size_warning(ctx, monkeypatch):
    checks = importlib.import_module("obs.validate.dashboards")
    monkeypatch.setattr(checks, "CONFIGMAP_APPLY_LIMIT", 1000)
    issues = list(lint_dashboards(ctx))
    assert {i.level for i in issues} == {"warning"} and {i.check for i in issues} == {"configmap-size"}
    assert len(issues) == len(ctx.defs.dashboards)


def test_alert_linking_to_an_unrendered_dashboard_is_an_error(ctx):
    stray = replace(ctx.defs.dashboards[0], name="not-rendered")
    alert = AlertRule(name="Stray", expr="up == 0", severity="info", summary="s",
                      description="{{ $labels.job }} down", dashboard=stray)
    defs = replace(ctx.defs, rule_packs=[RulePack("stray", [RuleGroup("g", [alert])])])
    issues = list(lint_dashboards(replace(ctx, defs=defs)))
    assert [i.check for i in issues] == ["dashboard-link"] and "not-rendered" in issues[0].message


def test_dashboard_of_another_bundle_is_an_error(ctx):
    foreign = replace(ctx.defs.dashboards[0], bundle="other")
    defs = Definitions(dashboards=[foreign])
    assert "uid" in [i.check for i in lint_dashboards(replace(ctx, defs=defs))]


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for path, content in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(content)


def test_promtool_parses_every_reference_query(files, tmp_path, promtool_bin):
    _write(tmp_path / "staging", files)
    assert promtool_check_dashboards([tmp_path / "staging"]).endswith("queries OK")


def test_promtool_names_file_panel_and_query_of_a_query_that_does_not_parse(files, tmp_path, promtool_bin):
    _write(tmp_path / "staging", files)
    path = tmp_path / "staging/grafana/dashboards/service-overview.json"
    board = json.loads(path.read_text())
    _target(board, "Error ratio")["expr"] = "sum(rate(x[$__rate_interval])"
    path.write_text(json.dumps(board))
    with pytest.raises(ValidationError) as info:
        promtool_check_dashboards([tmp_path / "staging"])
    message = str(info.value)
    assert "staging/grafana/dashboards/service-overview.json: panel 'Error ratio', query A" in message
    assert "unclosed left parenthesis" in message


def test_macros_and_variables_are_substituted_before_parsing(tmp_path, ctx, promtool_bin):
    board = replace(ctx.defs.dashboards[0], panels=[timeseries(
        "Macros", 'sum(increase(x_total{job=~"${service:regex}"}[$__range])) / $__range_s '
                  '+ sum(rate(x_total{namespace=~"$namespace"}[$__rate_interval]))', unit="none")])
    _write(tmp_path / "staging", {"grafana/dashboards/m.json": json.dumps(board.to_json()).encode()})
    # the panel's query plus the label_values() selectors of cluster, namespace, service, route, service_name
    assert promtool_check_dashboards([tmp_path / "staging"]) == "promtool dashboard queries: 6 queries OK"


def test_variables_in_ranges_and_groupings_are_substituted_so_valid_queries_parse(tmp_path, ctx, promtool_bin):
    """A `[$window]` range or a `by ($group)` grouping is valid once Grafana interpolates it; the
    parse check must not reject it (promtool 2.x reads `[1]` and `by (1)` as syntax errors)."""
    board = replace(ctx.defs.dashboards[0], panels=[timeseries(
        "Variables", 'topk($k, sum by ($group) (rate(x_total{job=~"$job"}[$window])))\n'
                     '/ on (${group:csv}) group_left sum by ($group) (max_over_time(y[$window:$__interval]))',
        unit="none")])
    _write(tmp_path / "staging", {"grafana/dashboards/v.json": json.dumps(board.to_json()).encode()})
    assert promtool_check_dashboards([tmp_path / "staging"]).endswith("queries OK")
