"""Fleets (issue 19): environments of several clusters, rule placement between each cluster's
Prometheus and a global ruler, and the Thanos side (sidecar and Receive) as code. docs/fleet.md."""
from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
import yaml

import obs
from obs import (
    AlertRule, AlertTest, Bundle, Cluster, Definitions, DefinitionError, Environment, FiringAlert, MetricSource,
    RecordingRule, RuleGroup, RulePack, Thanos,
)
from obs.model.fleet import CLUSTER_TOKEN
from obs.placement import place
from obs.render import render_environment, thanos
from obs.render.clusters import PROMETHEUS_VALUES, prometheus_values
from obs.render.layout import CLUSTER_BASE, parts
from obs.validate import promtool_check_rules, promtool_test_rules
from obs.validate.schemas import CRDSchemas, _CRDLoader, check_manifests, manifests, object_errors
from rules.bundle import define as reference_define
from tests.support import write_rendered, require_tool
from tests.sample_bundle import make_bundle

CRD_DIR = Path(__file__).parent / "schemas" / "crds"
CLUSTERS = [Cluster("prod-eu1", {"region": "eu"}), Cluster("prod-us1", {"region": "us"})]


def fleet(topology: str | None = "sidecar", clusters=CLUSTERS) -> Environment:
    store = None if topology is None else Thanos(topology=topology)
    return Environment("prod", clusters=clusters, global_store=store,
                       selectors={"namespaces": 'namespace!~"kube-system|kube-public"'})


def reference(env: Environment) -> Bundle:
    return Bundle("reference", [env], reference_define)


@pytest.fixture(scope="module", params=["sidecar", "receive"])
def built(request, tmp_path_factory) -> tuple[Environment, dict[str, bytes], Path]:
    """The reference definitions in a two-cluster prod with a global store, rendered and written."""
    env = fleet(request.param)
    results = obs.render(reference(env))
    root = write_rendered(results, tmp_path_factory.mktemp(f"fleet-{request.param}"))[0]
    return env, dict(results[0].files), root


@pytest.fixture(scope="module")
def crds() -> CRDSchemas:
    return CRDSchemas(CRD_DIR)


# --- the model --------------------------------------------------------------------------------

def test_cluster_is_shorthand_for_one_cluster_and_cluster_names_the_only_one():
    one = Environment("prod", cluster="prod-eu1")
    assert one.clusters == (Cluster("prod-eu1"),) and one.cluster == "prod-eu1" and not one.fleet
    assert Environment("prod", clusters=["prod-eu1"]) == one
    two = fleet(None)
    assert [c.name for c in two.clusters] == ["prod-eu1", "prod-us1"] and two.fleet
    with pytest.raises(DefinitionError, match="has 2 clusters") as raised:
        print(two.cluster)
    assert "env.clusters" in raised.value.fix
    assert Environment("prod", cluster="a", global_store=Thanos()).fleet  # a global store splits the output


@pytest.mark.parametrize("kwargs, field, message", [
    ({}, "clusters", "names no cluster"),
    ({"cluster": "a", "clusters": ["b"]}, "cluster", "together with clusters"),
    ({"clusters": ["a", "a"]}, "clusters", "duplicate cluster 'a'"),
    ({"clusters": ["a", 3]}, "clusters", "is not a Cluster"),
    ({"clusters": ["a", "eu/1"]}, "name", "cannot be a folder name"),
    ({"clusters": [Cluster("a", {"cluster": "x"}), "b"]}, "labels", "which obs sets"),
    ({"cluster": "a", "global_store": "thanos"}, "global_store", "is not a global store"),
    ({"clusters": ["a", "b"], "global_store": Thanos(sidecar_address="sidecar.example.net:10901")},
     "sidecar_address", "has no {cluster}"),
])
def test_bad_clusters_name_the_field(kwargs, field, message):
    with pytest.raises(DefinitionError, match=message) as raised:
        Environment("prod", **kwargs)
    assert raised.value.field == field


@pytest.mark.parametrize("kwargs, field", [
    ({"topology": "federation"}, "topology"),
    ({"topology": "receive", "receive_replicas": 1, "replication_factor": 2}, "replication_factor"),
    ({"sidecar_address": ""}, "sidecar_address"),
    ({"objstore_secret": "Bad_Name"}, "objstore_secret"),
    ({"receive_url": "thanos:19291"}, "receive_url"),
])
def test_bad_thanos_settings_name_the_field(kwargs, field):
    with pytest.raises(DefinitionError) as raised:
        Thanos(**kwargs)
    assert raised.value.field == field and raised.value.fix


def test_rule_group_tier_is_checked():
    with pytest.raises(DefinitionError, match="'central' is not a tier"):
        RuleGroup("g", [RecordingRule("a:b", "sum(up)")], tier="central")


# --- layout -----------------------------------------------------------------------------------

def test_one_cluster_without_a_global_store_keeps_the_layout_byte_for_byte():
    bundle = make_bundle()
    same = Bundle("sample", [Environment("dev", clusters=[Cluster("dev-1")])], bundle.define)
    assert obs.render(same)[0].files == obs.render(bundle)[0].files
    assert not any(p.startswith(("clusters/", f"{CLUSTER_BASE}/")) for p in obs.render(bundle)[0].files)


def test_environment_wide_output_is_rendered_once_and_clusters_hold_only_what_differs(built):
    env, files, _ = built
    per_cluster = {c.name: sorted(p.split("/", 2)[2] for p in files if p.startswith(f"clusters/{c.name}/"))
                   for c in env.clusters}
    first, second = per_cluster.values()
    # over a Receive hashring each cluster gates its canaries through Query on its own series
    rollouts = ["rollouts/analysistemplate-shop-checkout.yaml", "rollouts/kustomization.yaml"] \
        if env.global_store.topology == "receive" else []
    assert first == second == sorted([
        "collector/otel-collector-agent.yaml", "collector/otel-collector-gateway.yaml",
        "kubernetes/collector-otel-collector-agent.yaml", "kubernetes/collector-otel-collector-gateway.yaml",
        "kustomization.yaml", PROMETHEUS_VALUES, *rollouts])
    # rules, dashboards, Alertmanager and backends once, outside the clusters
    for once in ("alertmanager/alertmanager.yaml", "kubernetes/grafana-dashboard-slo.yaml", "tempo/tempo.yaml",
                 "kubernetes/thanos-query.yaml", "kubernetes/thanosruler-obs-global.yaml",
                 f"{CLUSTER_BASE}/prometheus/rules/kubernetes-workloads-shop.yaml",
                 f"{CLUSTER_BASE}/kubernetes/servicemonitor-shop-cart.yaml"):
        assert once in files
    assert not any(CLUSTER_TOKEN.encode() in data for data in files.values())


def test_each_cluster_stamps_its_own_name_and_checksums_its_own_config(built):
    env, files, _ = built
    for cluster in env.clusters:
        where = f"clusters/{cluster.name}"
        config = files[f"{where}/collector/otel-collector-gateway.yaml"]
        stamp = yaml.safe_load(config)["processors"]["resource/cluster"]["attributes"][0]
        assert stamp == {"key": "k8s.cluster.name", "value": cluster.name, "action": "upsert"}
        objects = list(yaml.safe_load_all(files[f"{where}/kubernetes/collector-otel-collector-gateway.yaml"]))
        workload = next(o for o in objects if o["kind"] == "StatefulSet")
        annotations = workload["spec"]["template"]["metadata"]["annotations"]
        assert annotations["checksum/config"] == hashlib.sha256(config).hexdigest()
        configmap = next(o for o in objects if o["kind"] == "ConfigMap")
        assert next(iter(configmap["data"].values())).encode() == config
        monitor = next(o for o in objects if o["kind"] == "ServiceMonitor")
        assert monitor["spec"]["endpoints"][0]["relabelings"][-1]["replacement"] == cluster.name
        values = yaml.safe_load(files[f"{where}/{PROMETHEUS_VALUES}"])
        assert values["prometheus"]["prometheusSpec"]["externalLabels"] == {"cluster": cluster.name,
                                                                            **cluster.labels}


def _kustomize() -> list[str]:
    from obs.tools.find import kustomize
    return [str(require_tool(kustomize)), "build"]


def kustomize_build(folder: Path) -> list[dict]:
    done = subprocess.run([*_kustomize(), str(folder)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    # _CRDLoader: YAML 1.1 reads AlertmanagerConfig's bare `matchType: =` as a tag; keep it a string
    return [doc for doc in yaml.load_all(done.stdout, Loader=_CRDLoader) if doc]


def test_kustomize_builds_every_overlay(built):
    env, _, root = built
    whole = kustomize_build(root)
    kinds = {o["kind"] for o in whole}
    assert {"ThanosRuler", "PrometheusRule", "Deployment", "StatefulSet", "Service", "ConfigMap"} <= kinds
    tiers = {o["metadata"]["name"]: o["metadata"]["labels"].get("obs.dev/rule-tier")
             for o in whole if o["kind"] == "PrometheusRule"}
    # global-tier rules for the ThanosRuler; the ruler's self-monitoring for the management cluster's Prometheus
    assert tiers.pop("thanos-ruler") is None and set(tiers.values()) == {"global"}
    base = kustomize_build(root / CLUSTER_BASE)
    for cluster in env.clusters:
        objects = kustomize_build(root / "clusters" / cluster.name)
        assert len(objects) > len(base)
        names = {(o["kind"], o["metadata"]["name"]) for o in objects}
        assert {(o["kind"], o["metadata"]["name"]) for o in base} <= names
        rules = [o for o in objects if o["kind"] == "PrometheusRule"]
        assert rules and all(o["metadata"]["labels"]["release"] == "kube-prometheus-stack" for o in rules)
        assert all(o["metadata"]["namespace"] == env.namespace for o in objects if not o["kind"].startswith("Cluster"))
        configs = [o for o in objects if o["kind"] == "ConfigMap" and "collector" in o["metadata"]["name"]]
        assert configs and all(f"value: {cluster.name}" in next(iter(c["data"].values())) for c in configs)


def test_one_cluster_kustomization_builds_as_before(tmp_path):
    root = write_rendered(obs.render(make_bundle()), tmp_path)[0]
    assert [o["kind"] for o in kustomize_build(root)] == ["PrometheusRule"]


# --- placement ------------------------------------------------------------------------------------

def test_slo_budgets_and_alerts_go_global_and_slis_and_workload_alerts_stay_in_the_clusters(built):
    env = built[0]
    tiers = dict(place(env, reference(env).definitions(env)).tiers)
    assert tiers[("slo-checkout", "slo-checkout-availability-alerts")] == "global"
    assert tiers[("slo-checkout", "slo-checkout-availability-meta")] == "global"
    assert all(tier == "cluster" for (pack, _), tier in tiers.items() if pack in ("kubernetes-workloads", "cluster"))
    sli = tiers[("slo-checkout", "slo-checkout-availability-sli")]
    # the checkout SLI reads what the gateways push: in the clusters with sidecars, global with Receive
    assert sli == ("cluster" if env.global_store.topology == "sidecar" else "global")
    collector_sli = tiers[("slo-otel-collector", "slo-otel-collector-span-ingestion-sli")]
    assert collector_sli == "cluster"  # scraped self-metrics: in the clusters in both topologies


def test_global_rules_carry_the_tier_label_and_abort_on_partial_responses(built):
    _, files, _ = built
    rule = yaml.safe_load(files["kubernetes/prometheusrule-slo-checkout.yaml"])
    assert rule["metadata"]["labels"]["obs.dev/rule-tier"] == "global" and "release" not in rule["metadata"]["labels"]
    assert {g["partial_response_strategy"] for g in rule["spec"]["groups"]} == {"abort"}
    plain = yaml.safe_load(files["prometheus/rules/slo-checkout.yaml"])  # for any ruler: no Thanos extension
    assert all("partial_response_strategy" not in g for g in plain["groups"])
    ruler = yaml.safe_load(files["kubernetes/thanosruler-obs-global.yaml"])
    assert ruler["spec"]["ruleSelector"] == {"matchLabels": {"obs.dev/rule-tier": "global"}}
    datasource = yaml.safe_load(files["grafana/provisioning/datasources.yaml"])["datasources"][0]
    assert datasource["url"] == ruler["spec"]["queryEndpoints"][0] == "http://thanos-query.monitoring.svc.cluster.local:10902"


def _sources() -> list[MetricSource]:
    return [MetricSource("app", {"http_requests_total": ["code"]}, labels=["job", "cluster"])]


def _bundle(env: Environment, *groups: RuleGroup, sources=None) -> Bundle:
    return Bundle("b", [env], lambda e: Definitions(rule_packs=[RulePack("p", list(groups))],
                                                    sources=_sources() if sources is None else sources))


RATIO = RecordingRule("job:http_errors:ratio_rate5m",
                      'sum by (cluster, job) (rate(http_requests_total{code=~"5.."}[5m])) / '
                      'sum by (cluster, job) (rate(http_requests_total[5m]))')
FLEET_RATIO = RecordingRule("fleet:http_errors:ratio_rate5m", "avg by (job) (job:http_errors:ratio_rate5m)")


def test_a_cluster_rule_reading_a_globally_recorded_series_fails_naming_rule_and_series():
    env = fleet()
    reader = RecordingRule("fleet:http_errors:max", "max(fleet:http_errors:ratio_rate5m)")
    bundle = _bundle(env, RuleGroup("sli", [RATIO]), RuleGroup("fleet", [FLEET_RATIO], tier="global"),
                     RuleGroup("reader", [reader], tier="cluster"))
    with pytest.raises(DefinitionError) as raised:
        render_environment(bundle, env)
    error = raised.value
    assert "fleet:http_errors:max" in error.definition and "group 'reader'" in error.definition
    assert "fleet:http_errors:ratio_rate5m" in error.problem and "global tier" in error.problem
    assert error.field == "tier" and "tier='global'" in error.fix
    # without a tier the reader follows its data to the global tier
    moved = _bundle(env, RuleGroup("sli", [RATIO]), RuleGroup("fleet", [FLEET_RATIO], tier="global"),
                    RuleGroup("reader", [reader]))
    assert place(env, moved.definitions(env)).tiers[("p", "reader")] == "global"


def test_a_global_rule_reading_a_series_no_store_has_fails():
    env = fleet()
    bundle = _bundle(env, RuleGroup("fleet", [RecordingRule("x:y:z", "sum(http_request_total)")], tier="global"))
    with pytest.raises(DefinitionError, match="reads http_request_total, which reaches no store") as raised:
        render_environment(bundle, env)
    assert "x:y:z" in raised.value.definition


def test_receive_topology_pushed_series_never_reach_a_cluster_rule():
    env = fleet("receive")
    bundle = reference(env)
    defs = bundle.definitions(env)
    sli = next(g for p in defs.all_rule_packs() if p.name == "slo-checkout"
               for g in p.groups if g.name.endswith("-sli"))
    forced = Bundle("b", [env], lambda e: Definitions(
        rule_packs=[RulePack("forced", [RuleGroup("sli", sli.rules, tier="cluster")])],
        collectors=defs.collectors, instrumentation=defs.instrumentation))
    with pytest.raises(DefinitionError, match="straight into Thanos Receive") as raised:
        render_environment(forced, env)
    assert raised.value.field == "tier"


def test_without_a_global_store_every_tier_runs_in_each_cluster():
    env = fleet(None)
    bundle = _bundle(env, RuleGroup("sli", [RATIO]), RuleGroup("fleet", [FLEET_RATIO], tier="global"))
    files = render_environment(bundle, env)
    assert f"{CLUSTER_BASE}/prometheus/rules/p.yaml" in files and "prometheus/rules/p.yaml" not in files
    assert "kubernetes/thanos-query.yaml" not in files
    groups = yaml.safe_load(files[f"{CLUSTER_BASE}/prometheus/rules/p.yaml"])["groups"]
    assert [g["name"] for g in groups] == ["sli", "fleet"]


def test_global_alert_tests_load_the_cluster_tier_rules(promtool_bin, tmp_path):
    env = fleet()
    fires = [FiringAlert({"cluster": "prod-eu1", "job": "api"}, "api in prod-eu1 fails 100% of requests.")]
    series = {'http_requests_total{cluster="prod-eu1", job="api", code="500"}': "0+60x20"}
    alert = AlertRule("ApiErrors", "max by (cluster, job) (job:http_errors:ratio_rate5m) > 0.5", "critical",
                      "API errors", "{{ $labels.job }} in {{ $labels.cluster }} fails "
                      "{{ $value | humanizePercentage }} of requests.",
                      tests=[AlertTest("burst", series, at="10m", fires=fires)])
    bundle = _bundle(env, RuleGroup("sli", [RATIO]), RuleGroup("alerts", [alert], tier="global"))
    root = write_rendered(obs.render(bundle), tmp_path)[0]
    test = yaml.safe_load((root / "prometheus/tests/p.test.yaml").read_text())
    assert test["rule_files"] == ["../rules/p.yaml", f"../../{CLUSTER_BASE}/prometheus/rules/p.yaml"]
    # p's two files and its test, and the global ruler's self-monitoring (obs.packs.thanos) with its tests
    assert promtool_check_rules([root]) == "promtool check rules: 3 files OK"
    assert promtool_test_rules([root]) == "promtool test rules: 2 files OK"


def test_the_reference_fleet_rules_and_tests_pass_promtool(built, promtool_bin):
    _, _, root = built
    assert promtool_check_rules([root]).startswith("promtool check rules:")
    count = sum(1 for part in parts([root]) for _ in (part / "prometheus" / "tests").glob("*.yaml"))
    assert promtool_test_rules([root]) == f"promtool test rules: {count} files OK"


# --- the Thanos side --------------------------------------------------------------------------------

def test_every_manifest_matches_its_schema(built, crds):
    _, _, root = built
    assert check_manifests([root], crds) > 0
    kinds = {obj["kind"] for _, obj in manifests(root)}
    assert {"ThanosRuler", "Deployment", "StatefulSet", "Service", "PrometheusRule"} <= kinds


def test_sidecar_query_reads_every_sidecar_and_the_bucket_deduplicating_on_the_replica_label(crds):
    env = fleet("sidecar")
    args = thanos.query_args(env)
    assert args[0] == "query" and "--query.replica-label=prometheus_replica" in args
    assert "--endpoint=thanos-sidecar.prod-eu1.example.internal:10901" in args
    assert "--endpoint=thanos-sidecar.prod-us1.example.internal:10901" in args
    assert "--endpoint=dnssrv+_grpc._tcp.thanos-store.monitoring.svc.cluster.local" in args
    values = prometheus_values(env, env.clusters[0])
    spec = dict(values["prometheus"]["prometheusSpec"])
    # alerts go to the environment's Alertmanager (the chart turns this list into a Secret reference)
    assert spec.pop("additionalAlertManagerConfigs") == [
        {"scheme": "http", "static_configs": [{"targets": ["alertmanager-operated.monitoring.svc:9093"]}]}]
    assert values["alertmanager"] == {"enabled": False}
    assert spec["thanos"] == {"objectStorageConfig": {"name": "thanos-objstore", "key": "objstore.yml"}}
    assert spec["replicaExternalLabelName"] == "prometheus_replica"
    # the gateways write to each cluster's own Prometheus in this topology: it must accept them
    assert spec["enableRemoteWriteReceiver"] is True and spec["enableFeatures"] == ["exemplar-storage"]
    # the values are a Prometheus CR's spec: check them against the CRD
    prometheus = {"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus",
                  "metadata": {"name": "k8s", "namespace": "monitoring"}, "spec": spec}
    assert object_errors(prometheus, crds) == []


def test_receive_hashring_replicates_and_the_clusters_write_into_it(crds):
    env = fleet("receive")
    store = env.global_store
    ring = thanos.hashring(env)
    assert len(ring[0]["endpoints"]) == store.receive_replicas == 3
    args = thanos.receive_args(env)
    assert f"--receive.replication-factor={store.replication_factor}" in args
    assert "--receive.hashrings-file=/etc/thanos/hashring/hashrings.json" in args
    assert "--query.replica-label=receive_replica" in thanos.query_args(env)
    spec = dict(prometheus_values(env, env.clusters[1])["prometheus"]["prometheusSpec"])
    spec.pop("additionalAlertManagerConfigs")
    assert spec["remoteWrite"] == [{"url": thanos.receive_url(env), "sendExemplars": True}]
    assert "enableRemoteWriteReceiver" not in spec  # Receive takes the writes, not Prometheus
    assert f"--tsdb.max-exemplars={thanos.RECEIVE_MAX_EXEMPLARS}" in args
    prometheus = {"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus",
                  "metadata": {"name": "k8s", "namespace": "monitoring"}, "spec": spec}
    assert object_errors(prometheus, crds) == []
    gateway = next(c for c in reference(env).definitions(env).collectors if c.workload == "statefulset")
    exporter = gateway.components()["exporter"]["prometheus_remote_write/mimir"]
    assert exporter.config["endpoint"] == thanos.receive_url(env) == env.remote_write_url
    files = render_environment(reference(env), env)
    tempo = yaml.safe_load(files["tempo/tempo.yaml"])["metrics_generator"]["storage"]["remote_write"]
    loki = yaml.safe_load(files["loki/loki.yaml"])["ruler"]["remote_write"]["clients"]["prometheus"]
    assert tempo[0]["url"] == loki["url"] == thanos.receive_url(env)


def test_the_bucket_config_is_only_referenced(built):
    env, files, _ = built
    for path in ("kubernetes/thanos-store.yaml", *(["kubernetes/thanos-receive.yaml"]
                                                   if env.global_store.topology == "receive" else [])):
        objects = list(yaml.safe_load_all(files[path]))
        assert not any(o["kind"] == "Secret" for o in objects)
        stateful = next(o for o in objects if o["kind"] == "StatefulSet")
        volume = next(v for v in stateful["spec"]["template"]["spec"]["volumes"] if v["name"] == "objstore")
        assert volume["secret"]["secretName"] == "thanos-objstore"
        assert "--objstore.config-file=/etc/thanos/objstore/objstore.yml" in \
            stateful["spec"]["template"]["spec"]["containers"][0]["args"]


# --- docs/fleet.md: the Argo CD and Flux YAML point at what obs writes ------------------------------

def test_the_documented_argo_cd_and_flux_resources_point_at_the_written_overlays(tmp_path):
    text = (Path(__file__).parent.parent / "docs" / "fleet.md").read_text()
    docs = [d for block in text.split("```yaml\n")[1:] for d in yaml.safe_load_all(block.split("```")[0]) if d]
    env = fleet()
    root = write_rendered(obs.render(reference(env)), tmp_path / "gitops")[0].parent.parent
    appset = next(d for d in docs if d["kind"] == "ApplicationSet")
    assert "clusters" in appset["spec"]["generators"][0]
    template = appset["spec"]["template"]["spec"]["source"]["path"]
    paths = [template.replace("{{.name}}", c.name) for c in env.clusters]
    paths += [d["spec"]["source"]["path"] for d in docs if d["kind"] == "Application"]
    paths += [d["spec"]["path"].removeprefix("./") for d in docs if d["apiVersion"].startswith("kustomize.toolkit")]
    assert len(paths) == 5 and "gitops/prod" in paths
    for path in paths:
        if path.endswith("prod-us1") and not any(p.endswith("prod-us1") for p in paths[:2]):
            continue
        assert (root / path / "kustomization.yaml").is_file(), path
        assert kustomize_build(root / path)


def test_the_manifest_covers_cluster_folders_and_check_sees_drift_in_them(tmp_path):
    bundle = _bundle(fleet(), RuleGroup("sli", [RATIO]), RuleGroup("fleet", [FLEET_RATIO], tier="global"))
    obs.build(bundle, tmp_path, check_with_tools=False)
    assert obs.check(bundle, tmp_path) == {"prod": []}
    base_rules = tmp_path / "prod" / CLUSTER_BASE / "prometheus" / "rules" / "p.yaml"
    overlay = tmp_path / "prod" / "clusters" / "prod-us1" / "kustomization.yaml"
    base_rules.write_text(base_rules.read_text().replace("5m", "10m"))
    overlay.unlink()
    drift = " ".join(map(str, obs.check(bundle, tmp_path)["prod"]))
    assert f"{CLUSTER_BASE}/prometheus/rules/p.yaml" in drift and "clusters/prod-us1/kustomization.yaml" in drift
    obs.build(bundle, tmp_path, check_with_tools=False)
    assert obs.check(bundle, tmp_path) == {"prod": []} and overlay.is_file()


def test_a_global_aggregation_may_drop_the_cluster_label_a_cluster_one_may_not():
    env = fleet()
    ctx_ok = obs.render(_bundle(env, RuleGroup("sli", [RATIO]), RuleGroup("fleet", [FLEET_RATIO], tier="global")))
    assert not any(i.check == "cluster-label" for i in ctx_ok[0].errors)
    local = obs.render(_bundle(env, RuleGroup("sli", [RATIO]), RuleGroup("fleet", [FLEET_RATIO], tier="cluster")))
    assert [i.check for i in local[0].errors] == ["cluster-label"]


def test_every_thanos_component_is_scraped_once(built):
    env, files, _ = built
    monitors = list(yaml.safe_load_all(files["kubernetes/servicemonitor-thanos.yaml"]))
    services = [o for path in ("kubernetes/thanos-query.yaml", "kubernetes/thanos-store.yaml",
                               "kubernetes/thanos-receive.yaml") if path in files
                for o in yaml.safe_load_all(files[path]) if o["kind"] == "Service"]
    for monitor in monitors[:-1]:
        wanted = monitor["spec"]["selector"]["matchLabels"]
        chosen = [s for s in services if wanted.items() <= s["metadata"]["labels"].items()]
        assert len(chosen) == 1
        assert monitor["spec"]["endpoints"][0]["port"] in {p["name"] for p in chosen[0]["spec"]["ports"]}
    assert monitors[-1]["spec"]["selector"]["matchLabels"] == {"operated-thanos-ruler": "true"}
    assert len(monitors) == (4 if env.global_store.topology == "receive" else 3)
