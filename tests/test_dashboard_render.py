"""Grafana output of the reference bundle: dashboards, provisioning with correlations, sidecar
ConfigMaps, and the links between alerts and dashboards."""
from __future__ import annotations

import json
import re
from typing import Any, Iterator

import pytest
import yaml

from obs.grafana.datasources import JAEGER_UID, PROVISIONED
from obs.render.layout import tier_dir
from obs.render import render_environment
from obs.render.grafana import escape_env
from rules.environments import ENVIRONMENTS

NAMES = ("service-overview", "kubernetes-workloads", "otel-collector", "slo")


@pytest.fixture(scope="module", params=[e.name for e in ENVIRONMENTS])
def env_files(request, reference_bundle) -> tuple[Any, dict[str, bytes]]:
    env = reference_bundle.environment(request.param)
    return env, render_environment(reference_bundle, env)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_every_dashboard_has_json_and_a_sidecar_configmap(env_files):
    env, files = env_files
    for name in NAMES:
        content = files[f"grafana/dashboards/{name}.json"]
        board = json.loads(content)
        assert board["uid"] == f"reference-{name}"
        cm = yaml.safe_load(files[f"kubernetes/grafana-dashboard-{name}.yaml"])
        assert cm["kind"] == "ConfigMap" and cm["metadata"]["namespace"] == env.namespace
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert cm["metadata"]["annotations"]["grafana_folder"] == "Observability"
        assert cm["data"][f"{name}.json"].encode() == content
        assert f"kubernetes/grafana-dashboard-{name}.yaml" in yaml.safe_load(files["kustomization.yaml"])["resources"]
        variables = {v["name"] for v in board["templating"]["list"]}
        assert {"datasource", "cluster"} <= variables and ("namespace" in variables) == (name != "slo")
        assert "$__rate_interval" in json.dumps(board) or name == "slo"


def test_datasources_are_linked_and_escaped(env_files):
    env, files = env_files
    text = files["grafana/provisioning/datasources.yaml"].decode()
    doc = yaml.safe_load(text)
    by_uid = {ds["uid"]: ds for ds in doc["datasources"]}
    assert {uid: ds["type"] for uid, ds in by_uid.items()} == {**PROVISIONED, JAEGER_UID: "jaeger"}
    store = env.global_store  # a fleet's Grafana reads Thanos Query (docs/fleet.md)
    assert by_uid["prometheus"]["url"] == (env.urls.prometheus if store is None else store.query_url(env.namespace))
    prom, tempo, loki = by_uid["prometheus"]["jsonData"], by_uid["tempo"]["jsonData"], by_uid["loki"]["jsonData"]
    assert prom["exemplarTraceIdDestinations"][0]["datasourceUid"] == "tempo"
    assert tempo["tracesToLogsV2"]["datasourceUid"] == "loki"
    assert tempo["tracesToMetrics"]["datasourceUid"] == tempo["serviceMap"]["datasourceUid"] == "prometheus"
    assert tempo["nodeGraph"] == {"enabled": True}
    assert {f["datasourceUid"] for f in loki["derivedFields"]} == {"tempo"}
    # Jaeger (the reference has it beside Tempo) gets the same span -> logs and span -> metrics links.
    jaeger = by_uid[JAEGER_UID]
    assert jaeger["url"] == f"http://jaeger-query.{env.namespace}.svc.cluster.local:16686"
    for link in ("tracesToLogsV2", "tracesToMetrics"):
        assert jaeger["jsonData"][link] == tempo[link]
    assert "tracesToLogs" not in tempo  # deprecated by tracesToLogsV2
    assert "lokiSearch" not in tempo  # the Loki tab it configured left Tempo in Grafana 11 (grafana#84346)
    # Grafana expands $NAME / ${NAME} in provisioning files: every literal $ is doubled.
    for value in strings(doc):
        assert re.fullmatch(r"(?:[^$]|\$\$)*", value), value
    assert "$${__value.raw}" in text and "{$$__tags}" in text
    # No secrets inline: nothing obs writes there carries credentials.
    assert not [k for k in strings(doc) if re.search(r"(?i)password|secret|token|api_?key", k)]


def test_escape_env_doubles_every_dollar():
    assert escape_env({"a": ["${__value.raw}", "$x and $$y"], "n": 1}) == {"a": ["$${__value.raw}", "$$x and $$$$y"],
                                                                          "n": 1}


def test_dashboard_provider_points_at_the_bundle_folder(env_files):
    _, files = env_files
    provider = yaml.safe_load(files["grafana/provisioning/dashboards.yaml"])["providers"][0]
    assert provider["type"] == "file" and provider["folder"] == "Observability"
    assert provider["options"]["path"].endswith("/reference")


def test_alerts_and_dashboards_link_both_ways(env_files):
    env, files = env_files
    rules = yaml.safe_load(files[f"{tier_dir(env, 'cluster')}prometheus/rules/kubernetes-workloads-shop.yaml"])  # per team
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    assert alerts
    for alert in alerts:
        assert alert["annotations"]["dashboard_url"] == f"{env.urls.grafana}/d/reference-kubernetes-workloads"
    board = json.loads(files["grafana/dashboards/kubernetes-workloads.json"])
    links = {link["title"]: link["url"] for link in board["links"]}
    for alert in alerts:
        assert links[f"Runbook: {alert['alert']}"] == alert["annotations"]["runbook_url"]


def test_no_dashboards_means_no_grafana_output(reference_bundle):
    from dataclasses import replace

    from obs import Bundle
    bare = Bundle("bare", reference_bundle.environments,
                  lambda env: replace(reference_bundle.define(env), dashboards=[], rule_packs=[]))
    files = render_environment(bare, bare.environments[0])
    values = "grafana/kube-prometheus-stack-values.yaml"  # the cluster label is still stamped
    assert not [p for p in files if (p.startswith("grafana/") and p != values) or "grafana-dashboard" in p]
    assert "grafana" not in yaml.safe_load(files[values]) and b"externalLabels" in files[values]


def _grafana_regex(pattern: str) -> re.Pattern[str]:
    """A variable's `/pattern/` as Grafana writes it (the capture group becomes the value)."""
    assert pattern.startswith("/") and pattern.endswith("/"), pattern
    return re.compile(pattern[1:-1])


def test_logs_panel_matches_lokis_service_name_of_each_instrumented_service(reference_bundle):
    """Prometheus' job for OTLP metrics is `service.namespace/service.name`, Loki's OTLP label is
    `service_name` = service.name: the logs query must use the derived name, not the job."""
    env = reference_bundle.environments[0]
    board = json.loads(render_environment(reference_bundle, env)["grafana/dashboards/service-overview.json"])
    variables = {v["name"]: v for v in board["templating"]["list"]}
    exprs = [t["expr"] for p in board["panels"] if p["type"] == "logs" for t in p["targets"]]
    assert exprs == ['{service_name="$service_name"}']
    derived = variables["service_name"]
    assert derived["hide"] == 2 and 'job="$service"' in derived["query"] and derived["query"].endswith(", job)")
    services = [s for inst in reference_bundle.definitions(env).instrumentation for s in inst.services]
    assert services
    for service in services:
        job = f"{service.namespace}/{service.name}" if service.namespace else service.name
        assert _grafana_regex(derived["regex"]).match(job).group(1) == service.name
    assert _grafana_regex(derived["regex"]).match("checkout").group(1) == "checkout"


def test_sidecar_values_make_the_chart_honour_obs_configmaps(env_files):
    """kube-prometheus-stack's defaults ignore the folder annotation, watch only Grafana's namespace
    and provision a default Prometheus of their own (uid `prometheus`, like obs's): the values obs
    writes switch on exactly what its ConfigMaps use, and the datasources travel in a ConfigMap."""
    env, files = env_files
    sidecar = yaml.safe_load(files["grafana/kube-prometheus-stack-values.yaml"])["grafana"]["sidecar"]
    dashboards, datasources = sidecar["dashboards"], sidecar["datasources"]
    cm = yaml.safe_load(files["kubernetes/grafana-dashboard-service-overview.yaml"])
    assert cm["metadata"]["labels"][dashboards["label"]] == dashboards["labelValue"]
    assert dashboards["folderAnnotation"] in cm["metadata"]["annotations"]
    assert dashboards["provider"]["foldersFromFilesStructure"] is True
    assert dashboards["searchNamespace"] == datasources["searchNamespace"] == cm["metadata"]["namespace"]
    ds_cm = yaml.safe_load(files["kubernetes/grafana-datasources.yaml"])
    assert ds_cm["metadata"]["labels"][datasources["label"]] == datasources["labelValue"]
    assert [c.encode() for c in ds_cm["data"].values()] == [files["grafana/provisioning/datasources.yaml"]]
    assert "kubernetes/grafana-datasources.yaml" in yaml.safe_load(files["kustomization.yaml"])["resources"]
    provisioned = yaml.safe_load(files["grafana/provisioning/datasources.yaml"])["datasources"]
    assert [ds["uid"] for ds in provisioned if ds.get("isDefault")] == ["prometheus"]
    assert datasources["defaultDatasourceEnabled"] is False


def test_latency_panels_show_exemplars_that_link_to_tempo(env_files):
    """Every latency panel (timeseries or heatmap over the duration histogram) asks for exemplars,
    and the Prometheus datasource turns their `trace_id` label into a Tempo link."""
    _, files = env_files
    board = json.loads(files["grafana/dashboards/service-overview.json"])
    latency = [p for p in board["panels"] if p["type"] in ("timeseries", "heatmap")
               and any("_bucket" in t["expr"] for t in p["targets"])]
    assert {p["type"] for p in latency} == {"timeseries", "heatmap"}
    assert all(t["exemplar"] is True for p in latency for t in p["targets"]), [p["title"] for p in latency]
    prom = next(ds for ds in yaml.safe_load(files["grafana/provisioning/datasources.yaml"])["datasources"]
                if ds["type"] == "prometheus")
    assert prom["jsonData"]["exemplarTraceIdDestinations"] == [
        {"name": "trace_id", "datasourceUid": "tempo", "urlDisplayLabel": "View trace"}]


def _grafana_interpolate(expr: str, values: dict[str, str]) -> str:
    for name, value in sorted(values.items(), key=lambda item: -len(item[0])):
        expr = expr.replace("$" + name, value)
    return expr


def test_error_ratio_panels_read_zero_not_no_data_when_nothing_fails(reference_bundle, tmp_path, promtool_bin):
    """Evaluated by promtool on OTel HTTP series: 0 while only 2xx flows (no 5xx series exists),
    0.25 once a quarter of the requests fail."""
    from obs.tools import run_tool
    board = json.loads(render_environment(reference_bundle, reference_bundle.environments[0])[
        "grafana/dashboards/service-overview.json"])
    values = {"__rate_interval": "5m", "cluster": ".*", "namespace": ".*", "service": "shop/checkout", "route": ".+"}
    exprs = {p["title"]: _grafana_interpolate(p["targets"][0]["expr"], values)
             for p in board["panels"] if p["title"].startswith("Error ratio")}
    assert set(exprs) == {"Error ratio", "Error ratio by route", "Error ratio: $route"}
    series = 'http_server_request_duration_seconds_count{job="shop/checkout", http_route="/pay", '
    healthy = [{"series": series + 'http_response_status_code="200"}', "values": "0+60x20"}]
    failing = [{"series": series + 'http_response_status_code="200"}', "values": "0+45x20"},
               {"series": series + 'http_response_status_code="503"}', "values": "0+15x20"}]
    tests = [{"interval": "1m", "input_series": input_series, "promql_expr_test": [
        {"expr": expr, "eval_time": "15m",
         "exp_samples": [{"labels": '{http_route="/pay"}' if "by (http_route)" in expr else "{}", "value": value}]}
        for expr in exprs.values()]} for input_series, value in ((healthy, 0), (failing, 0.25))]
    (tmp_path / "empty.yaml").write_text("groups: []\n")
    (tmp_path / "test.yaml").write_text(yaml.safe_dump({"rule_files": ["empty.yaml"], "tests": tests}))
    result = run_tool([promtool_bin, "test", "rules", "test.yaml"], cwd=tmp_path)
    assert result.returncode == 0, result.output


def test_traces_to_logs_tags_are_labels_loki_indexes(env_files):
    """Grafana builds `{label="value", ...}` from the span's attributes: every label must be one Loki
    makes of an indexed OTLP resource attribute, and service namespace and name must both be there."""
    from obs.backends.loki import INDEX_ATTRIBUTES
    _, files = env_files
    tempo = next(ds for ds in yaml.safe_load(files["grafana/provisioning/datasources.yaml"])["datasources"]
                 if ds["type"] == "tempo")
    tags = {t["key"]: t["value"] for t in tempo["jsonData"]["tracesToLogsV2"]["tags"]}
    assert {"service.name", "service.namespace"} <= set(tags) <= set(INDEX_ATTRIBUTES)
    assert all(label == key.replace(".", "_") for key, label in tags.items())
