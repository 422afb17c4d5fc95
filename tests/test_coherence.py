"""The coherence check (obs.validate.coherence) against the metric catalogue (obs.catalog), the
PromQL selector extractor, label provenance in the generated configs, and the runtime lints."""
from __future__ import annotations

from dataclasses import replace

import pytest

from obs import (
    SLO, AlertRule, Bundle, Definitions, Environment, EventsSLI, MetricSource, RuleGroup, RulePack, counter_rate,
)
from obs.catalog.promql import select
from obs.catalog.source import Instrument
from obs.collector import Collector, Exporter, Extension, Pipeline, Processor, Receiver
from obs.collector.config import render_config
from obs.collector.kubernetes import manifests
from obs.grafana import Dashboard, Query, timeseries
from obs.packs import opentelemetry
from obs.render.base import RenderContext
from obs.validate import LINTERS
from obs.validate.coherence import lint_coherence
from obs.validate.runtime import lint_probes

ENV = Environment("dev", cluster="dev-1")


def issues(defs: Definitions, env: Environment = ENV, linter=lint_coherence) -> list[str]:
    bundle = Bundle("t", [env], lambda _: defs)
    return [str(i) for i in linter(RenderContext(bundle=bundle, env=env, defs=bundle.definitions(env)))]


def reference_defs(reference_bundle, env_name: str = "prod") -> tuple[Environment, Definitions]:
    env = reference_bundle.environment(env_name)
    return env, reference_bundle.definitions(env)


def alert(expr: str, name: str = "Broken") -> AlertRule:
    return AlertRule(name=name, expr=expr, severity="warning", for_="5m", summary="s",
                     description="{{ $labels.job }}")


def with_pack(defs: Definitions, *rules: AlertRule) -> Definitions:
    return replace(defs, rule_packs=[*defs.rule_packs, RulePack("extra", [RuleGroup("extra.rules", list(rules))])])


@pytest.mark.parametrize("env_name", ["staging", "prod"])
def test_reference_bundle_is_coherent_without_suppressions(reference_bundle, env_name):
    env, defs = reference_defs(reference_bundle, env_name)
    assert issues(defs, env) == []


def test_misspelt_metric_in_a_rule_fails_with_the_nearest_name(reference_bundle):
    env, defs = reference_defs(reference_bundle)
    found = issues(with_pack(defs, alert(
        'sum by (cluster, job) (rate(http_server_request_duration_second_count{job=~".+"}[5m])) > 1')), env)
    assert len(found) == 1, found
    assert "alert 'Broken'" in found[0]
    assert "'http_server_request_duration_second_count'" in found[0]
    assert "did you mean 'http_server_request_duration_seconds_count'" in found[0]


def test_misspelt_label_in_a_rule_and_in_its_grouping_fails(reference_bundle):
    env, defs = reference_defs(reference_bundle)
    found = issues(with_pack(defs, alert(
        'sum by (cluster, nmespace) (kube_pod_status_phase{phase="Pending", pood="x"}) > 1')), env)
    assert any("label 'pood'" in f and "did you mean 'pod'" in f for f in found), found
    assert any("label 'nmespace'" in f and "did you mean 'namespace'" in f for f in found), found


def test_misspelt_label_in_an_slo_fails_naming_the_slo(reference_bundle):
    """The issue's example: the SLO could never burn, and the build said nothing."""
    env, defs = reference_defs(reference_bundle)
    metric = "http_server_request_duration_seconds_count"
    broken = SLO(service="checkout", name="typo", objective=99.0,
                 sli=EventsSLI(bad=counter_rate(metric, 'job="shop/checkout"', 'http_respnose_status_code=~"5.."'),
                               total=counter_rate(metric, 'job="shop/checkout"')))
    found = issues(replace(defs, slos=[*defs.slos, broken]), env)
    assert found and all(f.startswith("error: SLO checkout/typo") for f in found), found
    assert "did you mean 'http_response_status_code'" in found[0]


def test_misspelt_metric_in_a_panel_fails_naming_dashboard_and_panel(reference_bundle):
    env, defs = reference_defs(reference_bundle)
    board = Dashboard("typo", "Typo", "t", panels=[timeseries("CPU limits", Query(
        'sum by (namespace) (kube_pod_container_resource_limit{cluster=~"$cluster", resource="cpu"})'),
        unit="short")])
    found = issues(replace(defs, dashboards=[*defs.dashboards, board]), env)
    assert len(found) == 1, found
    assert "dashboard 'typo'" in found[0] and "panel 'CPU limits'" in found[0]
    assert "did you mean 'kube_pod_container_resource_limits'" in found[0]


def test_resource_attribute_selected_as_a_label_is_reported_as_dropped(reference_bundle):
    env, defs = reference_defs(reference_bundle)
    found = issues(with_pack(defs, alert(
        'sum by (cluster, job) (rate(http_server_request_duration_seconds_count{k8s_namespace_name="shop"}[5m])) > 1')),
        env)
    assert len(found) == 1 and "resource attribute" in found[0] and "promote_labels" in found[0], found


def test_a_declared_source_makes_its_series_known():
    rule = alert('sum by (cluster, psp) (rate(payments_settled_total{currency="EUR"}[5m])) > 1')
    defs = Definitions(rule_packs=[RulePack("p", [RuleGroup("p.rules", [rule])])])
    assert any("payments_settled_total" in f for f in issues(defs))
    source = MetricSource("payments", {"payments_settled_total": ["currency", "psp"]},
                          labels=["job", "instance", "cluster"])
    assert issues(replace(defs, sources=[source])) == []


def small_collector(name: str = "c", extensions: tuple = ()) -> Collector:
    otlp = Receiver("otlp", {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:4317"}}})
    limiter = Processor("memory_limiter", {"check_interval": "1s", "limit_percentage": 80,
                                           "spike_limit_percentage": 20})
    return Collector(name, "deployment", ports={"otlp": 4317}, extensions=list(extensions),
                     pipelines=[Pipeline("traces", [otlp], [Exporter("debug")], [limiter])])


def test_self_monitoring_selector_must_match_a_declared_collector():
    collector = small_collector("edge")
    unscoped = opentelemetry.pack(ENV)  # default selector job=~"otel-collector.*"
    found = issues(Definitions(rule_packs=[unscoped], collectors=[collector]))
    assert any("matches no job the bundle produces (edge)" in f for f in found), found
    scoped = opentelemetry.pack(ENV, collectors=[collector])
    assert not [f for f in issues(Definitions(rule_packs=[scoped], collectors=[collector])) if "matches no" in f]


def test_recording_rules_are_sources_for_later_rules():
    record = "namespace:kube_pod_status_phase:sum"
    from obs import RecordingRule
    rules = [RecordingRule(record, "sum by (cluster, namespace, phase) (kube_pod_status_phase)"),
             alert(f'{record}{{phase="Pending", pod="x"}} > 1')]
    found = issues(Definitions(rule_packs=[RulePack("p", [RuleGroup("g", rules)])]))
    assert len(found) == 1 and "label 'pod'" in found[0], found


def test_selector_extractor_handles_grafana_variables_and_clauses():
    selection = select('topk(10, sum by (namespace, $group) (rate(x_total{cluster=~"$cluster", a!=""}'
                       '[$__rate_interval]))) / on (cluster) group_left (team) '
                       'label_replace(y{job=~"[[job]]"}, "dst", "$1", "src", "(.*)") offset 5m')
    assert [(s.metric, s.labels) for s in selection.selectors] == [("x_total", ("cluster", "a")), ("y", ("job",))]
    assert selection.grouping == {"by": {"namespace"}, "on": {"cluster"}, "group_left": {"team"}}
    assert selection.created == {"dst"} and selection.read == {"src"}
    assert select('{__name__="up", job="a"} == bool 1').selectors[0].metric == "up"


def test_instruments_are_named_as_prometheus_stores_them():
    assert set(Instrument("http.server.request.duration", "s", "histogram", ("http.route",))
               .prometheus_names()) == {f"http_server_request_duration_seconds_{s}" for s in ("bucket", "count", "sum")}
    assert Instrument("system.disk.io", "By", "counter", ("device",)).prometheus_names() == {
        "system_disk_io_bytes_total": frozenset({"device"})}
    assert list(Instrument("jvm.cpu.recent_utilization", "1", "gauge").prometheus_names()) == [
        "jvm_cpu_recent_utilization_ratio"]
    assert list(Instrument("http.server.active_requests", "{request}", "updowncounter").prometheus_names()) == [
        "http_server_active_requests"]


def test_gateway_promotes_cluster_and_namespace_and_service_monitors_stamp_cluster(reference_bundle):
    env, defs = reference_defs(reference_bundle)
    gateway = next(c for c in defs.collectors if c.workload == "statefulset")
    config = render_config(gateway)
    assert "transform/labels" in config["service"]["pipelines"]["metrics"]["processors"]
    statements = config["processors"]["transform/labels"]["metric_statements"][0]["statements"]
    assert any('attributes["cluster"]' in s and "k8s.cluster.name" in s for s in statements)
    assert any('attributes["namespace"]' in s and "service.namespace" in s for s in statements)
    ctx = RenderContext(bundle=reference_bundle, env=env, defs=defs)
    monitor = next(o for o in manifests(ctx, gateway) if o["kind"] == "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["relabelings"] == [
        {"action": "replace", "targetLabel": "cluster", "replacement": env.cluster_stamp}]


def _probed(health: dict | None) -> tuple[dict, list[str]]:
    collector = small_collector(extensions=(Extension("health_check", health),) if health is not None else ())
    defs = Definitions(collectors=[collector])
    bundle = Bundle("t", [ENV], lambda _: defs)
    ctx = RenderContext(bundle=bundle, env=ENV, defs=bundle.definitions(ENV))
    workload = next(o for o in manifests(ctx, collector) if o["kind"] == "Deployment")
    return workload["spec"]["template"]["spec"]["containers"][0], [str(i) for i in lint_probes(ctx)]


def test_probes_target_the_endpoint_the_health_check_extension_serves():
    container, lint = _probed({"endpoint": "${env:MY_POD_IP}:13000", "path": "/health"})
    assert container["livenessProbe"] == container["readinessProbe"] == {"httpGet": {"path": "/health",
                                                                                     "port": 13000}}
    assert {"name": "health", "containerPort": 13000, "protocol": "TCP"} in container["ports"]
    assert lint == []


@pytest.mark.parametrize("health", [{}, {"endpoint": "localhost:13133"}, {"endpoint": "127.0.0.1:13133"}])
def test_health_check_on_loopback_gets_no_probes_and_a_warning(health):
    container, lint = _probed(health)
    assert "livenessProbe" not in container and "readinessProbe" not in container
    assert not any(p["name"] == "health" for p in container["ports"])
    assert len(lint) == 1 and "probe-endpoint" in lint[0] and "${env:MY_POD_IP}:13133" in lint[0]


def test_coherence_and_probe_lints_run_with_every_build():
    """The build's linter table (its probe lint is imported only for environments with collectors)
    reports both findings, as the linters called directly do."""
    _, direct = _probed({"endpoint": "localhost:13133"})
    collector = small_collector(extensions=(Extension("health_check", {"endpoint": "localhost:13133"}),))
    unknown = AlertRule(name="Unknown", expr="sum by (cluster) (rate(no_such_metric_total[5m])) > 0",
                        severity="warning", summary="s", description="d")
    defs = Definitions(collectors=[collector], rule_packs=[RulePack("p", [RuleGroup("g", [unknown])])])
    bundle = Bundle("t", [ENV], lambda _: defs)
    ctx = RenderContext(bundle=bundle, env=ENV, defs=bundle.definitions(ENV))
    found = [str(issue) for linter in LINTERS for issue in linter(ctx)]
    assert direct[0] in found
    assert [i for i in found if "no_such_metric_total" in i] == [str(i) for i in lint_coherence(ctx)
                                                                 if "no_such_metric_total" in str(i)] != []


def test_prometheus_values_stamp_the_cluster_and_keep_metrics_path():
    from obs.topologies.prometheus import KUBELET_ENDPOINTS, cluster_label_values
    values = cluster_label_values(ENV)
    stamp = {"action": "replace", "targetLabel": "cluster", "replacement": "dev-1"}
    assert values["prometheus"]["prometheusSpec"]["externalLabels"] == {"cluster": "dev-1"}
    assert values["kube-state-metrics"]["prometheus"]["monitor"]["relabelings"] == [stamp]
    for key in KUBELET_ENDPOINTS:
        relabelings = values["kubelet"]["serviceMonitor"][key]
        assert stamp in relabelings and any(r.get("targetLabel") == "metrics_path" for r in relabelings)


def test_cluster_label_the_pipeline_does_not_add_is_reported():
    """Operator-managed collectors get no obs ServiceMonitor, so nothing stamps the cluster label on
    their self-metrics: the self-monitoring alerts' `by (cluster, ...)` would group nothing."""
    collector = replace(small_collector("edge"), output="operator")
    found = issues(Definitions(rule_packs=[opentelemetry.pack(ENV, collectors=[collector])], collectors=[collector]))
    cluster = [f for f in found if "label 'cluster'" in f and "otelcol_exporter_queue_size" in f]
    assert cluster and "docs/label-provenance.md" in cluster[0], found


def test_services_instrumented_outside_obs_are_declared_with_the_semconv_source():
    """With no `sources` and no instrumentation, OTel semantic-convention services are assumed; a
    bundle that declares its sources without them is told how to add them."""
    from obs.catalog.cluster import cluster_exporters
    from obs.catalog.otel import semconv_source
    from obs.packs import web
    defs = Definitions(rule_packs=[web.pack(ENV)])
    assert issues(defs) == []
    found = issues(replace(defs, sources=[*cluster_exporters()]))
    assert found and all("semconv_source()" in f for f in found), found
    assert issues(replace(defs, sources=[*cluster_exporters(), semconv_source()])) == []


def test_build_refuses_an_incoherent_bundle(tmp_path):
    """The check is part of `obs build` (lint errors stop it before anything is written)."""
    from obs import ValidationError, build
    rule = alert('sum by (cluster, job) (rate(http_server_request_duration_second_count[5m])) > 1')
    bundle = Bundle("t", [ENV], lambda _: Definitions(rule_packs=[RulePack("p", [RuleGroup("g", [rule])])]))
    with pytest.raises(ValidationError, match=r"\[coherence\].*http_server_request_duration_second_count"):
        build(bundle, tmp_path / "out", check_with_tools=False)
    assert not (tmp_path / "out").exists()


def test_label_a_dashboard_variable_lists_must_exist(reference_bundle):
    from obs.grafana import variables
    env, defs = reference_defs(reference_bundle)
    pods = variables.label_values("pod", "kube_pod_info", "pood", "Pod")
    board = Dashboard("vars", "Vars", "t", variables=[pods], panels=[timeseries("Pods", Query(
        'sum by (pod) (kube_pod_info{pod=~"$pod"})'), unit="short")])
    found = issues(replace(defs, dashboards=[*defs.dashboards, board]), env)
    assert len(found) == 1 and "variable 'pod'" in found[0] and "did you mean 'pod'" in found[0], found


def test_tempo_metrics_generator_series_are_known(reference_bundle):
    env, defs = reference_defs(reference_bundle)
    rule = alert('sum by (cluster, client, server) (rate(traces_service_graph_request_failed_total[5m])) > 1')
    assert issues(with_pack(defs, rule), env) == []
    assert any("traces_service_graph_request_failed_total" in f
               for f in issues(with_pack(replace(defs, tempo=replace(defs.tempo, metrics_generator=False)), rule), env))


def test_selector_on_a_label_the_pipeline_deletes_is_reported(reference_bundle):
    env, defs = reference_defs(reference_bundle)
    drop = Processor("transform/drop_route", {"metric_statements": [
        {"context": "datapoint", "statements": ['delete_key(attributes, "http.route")']}]})

    def dropping(collector: Collector) -> Collector:
        pipelines = [replace(p, processors=[*p.processors[:-1], drop, p.processors[-1]]) if p.name == "metrics" else p
                     for p in collector.pipelines]
        return replace(collector, pipelines=pipelines)
    found = issues(replace(defs, collectors=[dropping(c) for c in defs.collectors]), env)
    route = [f for f in found if "'http_route'" in f]
    assert route and all("delete_key" in f for f in route), found
    assert any(f.startswith("error: alert 'WebHighErrorRate'") for f in route)
    assert any(f.startswith("error: dashboard 'service-overview'") for f in route)


def test_a_check_passed_by_one_expression_of_a_shape_does_not_hide_another_ones_problem():
    """Expressions of one shape share a passed check only when the literals that decide it are the
    same: here a known-values label (the collector job), a metric named in a string, a label name."""
    collector = small_collector("edge")
    rules = [alert(f'sum by (cluster, job) (rate(otelcol_receiver_refused_spans{{job="{job}"}}[5m])) > 1', name)
             for name, job in (("Good", "edge"), ("WrongJob", "edgy"))]
    rules += [alert(f'sum by (cluster) (rate({{__name__="{metric}"}}[5m])) > 1', name)
              for name, metric in (("GoodName", "up"), ("WrongName", "upp"))]
    found = issues(Definitions(rule_packs=[RulePack("p", [RuleGroup("g", rules)])], collectors=[collector]))
    assert any("alert 'WrongJob'" in f and "matches no job the bundle produces" in f for f in found), found
    assert any("alert 'WrongName'" in f and "'upp'" in f for f in found), found
    assert len(found) == 2, found  # nothing on Good and GoodName


def test_shaped_splits_literals_as_the_full_pattern_does():
    """`shaped`'s quick split (double quotes only, no escapes) finds what _STRING_SPLIT finds."""
    from obs.catalog.promql import _STRING_SPLIT, shaped
    for expr in ['sum by (cluster) (rate(x{job="shop/a", code=~"5.."}[5m])) / on() group_left y{le="0.5"}',
                 'label_replace(up{job="a"}, "dst", "$1", "src", "(.*)")', 'vector(1)']:
        parts = _STRING_SPLIT.split(expr)
        found = shaped(expr)
        assert found is not None and found.strings == tuple(s[1:-1] for s in parts[1::2])
        assert found.key == ('""'.join(parts[::2]) if len(parts) > 1 else expr)
    escaped = shaped('up{job="a\\"b", env=\'x\'}')  # escapes and single quotes take the full pattern
    assert escaped is not None and escaped.strings == ('a"b', "x")


def test_blank_strings_empties_literals_as_the_pattern_does():
    from obs.model.checks import PROMQL_STRING_RE, blank_strings
    for expr in ['sum by (job) (rate(x{job="a", code=~"5.."}[5m]))', "x{job='a'}", 'x{job="a\\"b"}',
                 'x{a="it\'s"}', "x{a=`raw`}", 'x{a="unclosed}', "vector(1)"]:
        assert blank_strings(expr) == PROMQL_STRING_RE.sub('""', expr)
        assert blank_strings(expr, keep_length=True) == \
            PROMQL_STRING_RE.sub(lambda m: '"' + " " * (len(m[0]) - 2) + '"', expr)


def test_catalogue_skips_only_rules_that_would_add_nothing():
    """`Catalogue.add_rules` skips a rule like one added before (same series, reads, static label
    names) unless a label set grew since; the labels equal adding every rule, twice, in order."""
    from obs.catalog.catalogue import Catalogue, reads_of
    from obs.model.rules import RecordingRule

    source = MetricSource("app", {"req_total": ["code", "route"]}, labels=["job", "cluster"])
    rules = [RecordingRule("x:e", "x:f + 0"),  # reads x:f before it is recorded: seen on the second pass
             RecordingRule("x:a", "x:b * 2"), RecordingRule("x:b", "x:c + 0"),  # a chain read backwards
             RecordingRule("x:c", "sum by (cluster, route) (rate(req_total[5m]))", {"team": "t"}),
             RecordingRule("x:f", "sum by (cluster) (rate(req_total[5m]))", {"tier": "1"}),
             RecordingRule("x:e", "x:f + 0"),  # as the first, after x:f grew: added again
             RecordingRule("x:g", 'label_replace(x:c, "dst", "$1", "route", "(.*)")')]
    alerts = [alert("x:e > 1", "E"), alert("x:g > 1", "G"), alert("ALERTS > 0", "Again")]
    naive = Catalogue()
    naive.add(source)
    for _ in range(2):
        for rule in rules:
            naive.add_recording_rule(rule)
    for rule in alerts:
        naive.add_alert_rule(rule)
    skipping = Catalogue()
    skipping.add(source)
    skipping.add_rules([(r, reads_of(r.expr)) for r in [*alerts[:1], *rules, *alerts[1:]]])  # alerts go last
    assert skipping.labels == naive.labels and skipping.origin == naive.origin
    assert skipping.labels["x:e"] == {"cluster", "tier"}
    assert "team" in skipping.labels["x:b"] and "team" not in skipping.labels["x:a"]  # two passes, not three


def test_asserted_sources_of_one_query_shape_keep_their_own_metric_and_label_names():
    """asserted_source works the series out once per query shapes and the literals naming metrics
    and labels: SLOs differing in label values share it, a metric or label named by a literal not."""
    from obs.catalog.asserted import asserted_source

    def source(bad: str, total: str):
        slo = SLO("s", "n", 99.9, EventsSLI(bad=bad, total=total), asserted_source="teams/s.yaml")
        found = asserted_source(slo, "cluster")
        return {m: set(labels) for m, labels in found.series.items()}, set(found.labels)
    total = 'sum by (cluster, code) (rate(x_total{job="a"}[{{window}}]))'
    first = source('sum by (cluster) (rate({__name__="x_total", job="a", code="5"}[{{window}}]))', total)
    assert first == ({"x_total": {"job", "code"}}, {"cluster"})
    assert source('sum by (cluster) (rate({__name__="x_total", job="b", code="4"}[{{window}}]))', total) == first
    assert source('sum by (cluster) (rate({__name__="y_total", job="a", code="5"}[{{window}}]))', total) == \
        ({"x_total": {"job"}, "y_total": {"job", "code"}}, {"cluster"})
    assert source('sum by (cluster) (rate({__name__="x_total", job="a", "le"="5"}[{{window}}]))', total) == \
        ({"x_total": {"job", "le"}}, {"cluster"})
