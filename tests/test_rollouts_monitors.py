"""Canary analysis and scrape monitors: AnalysisTemplates from the SLOs' SLI queries, evaluated by
the real promtool against a healthy and an unhealthy canary; ServiceMonitor/PodMonitor per
directly scraped service with the labels the rules expect."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from obs.render.layout import CLUSTER_BASE

from obs import SLO, Bundle, Cluster, Environment, EventsSLI, RawSLI, Thanos
from obs.errors import DefinitionError, ValidationError
from obs.model.service import Canary, Scrape, Service
from obs.pipeline import Rendered
from obs.render import render_environment
from obs.render.monitors import relabelings
from obs.rollouts import analysis_template, scope
from obs.validate.rollouts import analysis_queries, check_analysis_queries, templates, with_args
from tests.support import write_rendered

CANARY = 'service_version="2.0.0"'
METRIC = "http_server_request_duration_seconds"


# --- the model ---------------------------------------------------------------------------------

def test_scope_adds_the_canary_to_every_selector_outside_strings():
    query = 'sum(rate(a{x="{y}", z=~"1|2"}[5m])) / sum(rate(b{}[5m:1m])) or vector(0)'
    assert scope(query, "c=\"1\"") == ('sum(rate(a{ c="1", x="{y}", z=~"1|2"}[5m])) / '
                                       'sum(rate(b{ c="1" }[5m:1m])) or vector(0)')
    with pytest.raises(ValueError, match="'requests_total' has no braces"):
        scope("sum(rate(requests_total[5m]))")


def test_an_sli_that_cannot_be_scoped_to_the_canary_is_a_definition_error():
    slo = SLO("api", "availability", 99.9, EventsSLI(bad='sum(rate(errors_total[{{window}}]))',
                                                      total='sum(rate(requests_total{job="a"}[{{window}}]))'))
    with pytest.raises(DefinitionError) as err:
        analysis_template(Service("api", "shop", canary=Canary()), [slo], "http://p:9090", {})
    assert err.value.field == "sli" and "errors_total" in str(err.value)


def test_a_canary_without_slos_is_a_definition_error():
    with pytest.raises(DefinitionError, match="no SLO has service='api'"):
        analysis_template(Service("api", "shop", canary=Canary()), [], "http://p:9090", {})


def test_a_raw_sli_becomes_one_minus_its_worst_error_ratio():
    slo = SLO("api", "freshness", 99.0, RawSLI('max(lag_ratio{job="a"}[{{window}}])'))
    template = analysis_template(Service("api", "shop", canary=Canary(window="10m")), [slo], "http://p:9090", {})
    metric = template["spec"]["metrics"][0]
    assert metric["provider"]["prometheus"]["query"] == \
        '1 - max(max(lag_ratio{ {{args.canary-selector}}, job="a"}[10m]))'
    assert metric["successCondition"] == "result[0] >= 0.99"


@pytest.mark.parametrize("build,field", [
    (lambda: Service("api", "shop", scrape=Scrape(port="metrics port")), "scrape.port"),
    (lambda: Service("api", "shop", scrape=Scrape(port="metrics", path="metrics")), "scrape.path"),
    (lambda: Service("api", "shop", scrape=Scrape(port="metrics", via="node")), "scrape.via"),
    (lambda: Service("api", "shop", scrape=Scrape(port="metrics", interval="30")), "scrape.interval"),
    (lambda: Service("api", "shop", canary=Canary(window="30s")), "canary.window"),
    (lambda: Service("api", "shop", canary=Canary(count=0)), "canary.count"),
    (lambda: Service("API", "shop"), "name"),
])
def test_bad_services_are_rejected_naming_the_field(build, field):
    with pytest.raises(DefinitionError) as err:
        build()
    assert err.value.field == field


def test_monitor_relabelings_set_job_namespace_and_pod_but_never_cluster():
    rules = relabelings(Service("cart", "shop", scrape=Scrape(port="http-metrics")))
    assert {r["targetLabel"] for r in rules} == {"job", "namespace", "pod"}
    assert rules[0] == {"action": "replace", "targetLabel": "job", "replacement": "shop/cart"}


def test_reference_monitors_and_templates_are_written_per_environment(reference_folders):
    for folder in reference_folders:
        base = folder / CLUSTER_BASE if (folder / CLUSTER_BASE).is_dir() else folder  # a fleet: every cluster's
        monitor = yaml.safe_load((base / "kubernetes/servicemonitor-shop-cart.yaml").read_text())
        assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["shop"]}
        assert (base / "kubernetes/podmonitor-shop-payments-worker.yaml").is_file()
        assert "kubernetes/servicemonitor-shop-cart.yaml" in (base / "kustomization.yaml").read_text()
        assert "rollouts/" not in (folder / "kustomization.yaml").read_text()  # beside their Rollouts
        template = yaml.safe_load((folder / "rollouts/analysistemplate-shop-checkout.yaml").read_text())
        assert template["metadata"]["namespace"] == "shop"
        assert template["spec"]["args"] == [{"name": "canary-selector"}]
        assert [m["name"] for m in template["spec"]["metrics"]] == ["availability", "latency"]


# --- promtool: parse and evaluate ----------------------------------------------------------------

def test_analysis_queries_parse_and_a_broken_one_fails(reference_folders, promtool_bin, tmp_path):
    assert check_analysis_queries(reference_folders) == "promtool analysis queries: 4 queries OK"
    import shutil
    folder = tmp_path / "prod"
    shutil.copytree(reference_folders[-1], folder)
    path = next((folder / "rollouts").glob("analysistemplate-*.yaml"))
    path.write_text(path.read_text().replace("[5m]", "[5m", 1))
    with pytest.raises(ValidationError, match="analysistemplate-shop-checkout.yaml"):
        check_analysis_queries([folder])


def _traffic(version: str, cluster: str, ok: int, errors: int, slow: float) -> dict[str, str]:
    """Per-minute request counts of one version: `ok` 200s (a `slow` share over 1s) and `errors` 500s."""
    def series(metric: str, code: str, **extra: str) -> str:
        labels = {"job": "shop/checkout", "cluster": cluster, "service_version": version,
                  "http_response_status_code": code, **extra}
        return metric + "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    fast_ok = round(ok * (1 - slow))
    return {series(f"{METRIC}_count", "200"): f"0+{ok}x20", series(f"{METRIC}_count", "500"): f"0+{errors}x20",
            series(f"{METRIC}_bucket", "200", le="1.0"): f"0+{fast_ok}x20",
            series(f"{METRIC}_bucket", "500", le="1.0"): f"0+{errors}x20"}


def _evaluate(template: dict, tmp_path: Path, promtool: Path, cluster: str = "prod-eu1",
              elsewhere: dict[str, str] | None = None) -> None:
    """Each metric's query wrapped in a pass and a fail alert (the successCondition's threshold),
    unit-tested with a healthy canary beside a bad stable version and an unhealthy canary beside a
    good one, in `cluster`, with `elsewhere` (other clusters' series) beside both."""
    rules, names = [], []
    for name, query in analysis_queries(template):
        metric = next(m for m in template["spec"]["metrics"] if m["name"] == name)
        threshold = re.fullmatch(r"result\[0\] >= ([0-9.]+)", metric["successCondition"])[1]
        expr = with_args(query, CANARY)
        rules += [{"alert": f"Canary{name.capitalize()}Passes", "expr": f"({expr}) >= {threshold}"},
                  {"alert": f"Canary{name.capitalize()}Fails", "expr": f"({expr}) < {threshold}"}]
        names.append(name.capitalize())
    healthy = {**_traffic("2.0.0", cluster, 600, 0, 0.0), **_traffic("1.9.0", cluster, 540, 60, 0.5), **(elsewhere or {})}
    unhealthy = {**_traffic("2.0.0", cluster, 570, 30, 0.1), **_traffic("1.9.0", cluster, 600, 0, 0.0),
                 **(elsewhere or {})}

    def case(series: dict[str, str], verdict: str) -> dict:
        other = "Fails" if verdict == "Passes" else "Passes"
        return {"interval": "1m", "input_series": [{"series": s, "values": v} for s, v in series.items()],
                "alert_rule_test": [*({"eval_time": "10m", "alertname": f"Canary{n}{verdict}",
                                       "exp_alerts": [{"exp_labels": {}}]} for n in names),
                                    *({"eval_time": "10m", "alertname": f"Canary{n}{other}", "exp_alerts": []}
                                      for n in names)]}

    (tmp_path / "analysis.yaml").write_text(yaml.safe_dump({"groups": [{"name": "analysis", "rules": rules}]}))
    (tmp_path / "analysis.test.yaml").write_text(yaml.safe_dump({
        "rule_files": ["analysis.yaml"], "evaluation_interval": "1m",
        "tests": [case(healthy, "Passes"), case(unhealthy, "Fails")]}))
    result = subprocess.run([str(promtool), "test", "rules", "analysis.test.yaml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_analysis_passes_a_healthy_canary_and_fails_an_unhealthy_one(reference_folders, promtool_bin, tmp_path):
    for _path, template in templates(reference_folders):
        _evaluate(template, tmp_path, promtool_bin)


def test_an_analysis_query_that_ignores_the_canary_selector_fails_the_evaluation(reference_folders, promtool_bin,
                                                                                tmp_path):
    _, template = next(templates(reference_folders))
    for metric in template["spec"]["metrics"]:
        query = metric["provider"]["prometheus"]["query"]
        metric["provider"]["prometheus"]["query"] = query.replace("{{args.canary-selector}}, ", "")
    with pytest.raises(AssertionError, match="FAILED"):
        _evaluate(template, tmp_path, promtool_bin)


def test_over_a_receive_hashring_each_cluster_gates_its_canary_through_query(reference_bundle, promtool_bin,
                                                                              tmp_path):
    """With a Thanos Receive global store the gateways push the canary's series into Receive, never
    into a cluster's Prometheus (its analysis would find no data: an error, the rollout aborted).
    Each cluster gets its own AnalysisTemplate querying Thanos Query, scoped to its cluster, so the
    same version burning in another cluster neither fails nor passes it (checked by promtool; the
    template without its cluster matcher fails the healthy canary)."""
    env = Environment("fleet", clusters=[Cluster("eu1"), Cluster("us1")], global_store=Thanos("receive"))
    files = render_environment(Bundle("fleet", [env], reference_bundle.define), env)
    assert not [path for path in files if path.startswith("rollouts/")]
    found = {}
    for cluster in ("eu1", "us1"):
        folder = f"clusters/{cluster}/rollouts"
        assert yaml.safe_load(files[f"{folder}/kustomization.yaml"])["resources"] == ["analysistemplate-shop-checkout.yaml"]
        found[cluster] = template = yaml.safe_load(files[f"{folder}/analysistemplate-shop-checkout.yaml"])
        for metric in template["spec"]["metrics"]:
            provider = metric["provider"]["prometheus"]
            assert provider["address"] == env.global_store.query_url(env.namespace)
            assert provider["query"].count(f'cluster="{cluster}", {{{{args.canary-selector}}}}') == \
                provider["query"].count("{{args.canary-selector}}") > 0
    written = write_rendered([Rendered(env, files, ())], tmp_path)
    assert check_analysis_queries(written) == "promtool analysis queries: 4 queries OK"  # both clusters' found
    burning = _traffic("2.0.0", "us1", 300, 300, 0.9)  # the same version failing badly in the other cluster
    _evaluate(found["eu1"], tmp_path, promtool_bin, cluster="eu1", elsewhere=burning)
    for metric in found["eu1"]["spec"]["metrics"]:
        metric["provider"]["prometheus"]["query"] = metric["provider"]["prometheus"]["query"].replace('cluster="eu1", ', "")
    with pytest.raises(AssertionError, match="FAILED"):
        _evaluate(found["eu1"], tmp_path, promtool_bin, cluster="eu1", elsewhere=burning)
