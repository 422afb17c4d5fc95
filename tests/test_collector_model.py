"""The collector model rejects the seed guide's mistakes (004, section 4.2) before otelcol is ever called,
and renders safe configs and Kubernetes objects."""
from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from obs.render.layout import cluster_dir

from obs.topologies.agent import agent as agent_for
from collector.topologies import collectors
from obs.collector import (
    Collector, Connector, Exporter, Extension, Pipeline, Processor, Receiver, SecretEnv, Telemetry, from_config,
    render_config,
)
from obs.collector.builder import binary_path, build, manifest, manifest_hash, reference_manifest
from obs.collector.kubernetes import manifests
from obs.collector.names import headless_host
from obs.collector.registry import COLLECTOR_VERSION, REGISTRY, specs
from obs.errors import DefinitionError
from obs.render import RenderContext, render_environment
from obs.render.collector import check_collectors
from rules.environments import ENVIRONMENTS

LIMITER = Processor("memory_limiter", {"check_interval": "1s", "limit_percentage": 80})
BATCH = Processor("batch")
OTLP = Receiver("otlp", {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:4317"}}})
DEBUG = Exporter("debug")


def seed_config(**overrides: Any) -> dict[str, Any]:
    """A minimal valid config in the seed's shape; `overrides` replace top-level sections."""
    config: dict[str, Any] = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:4317"}}}},
        "processors": {"memory_limiter": {"check_interval": "1s", "limit_mib": 1500}, "batch": {}},
        "exporters": {"debug": {}},
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "batch"],
                                             "exporters": ["debug"]}}},
    }
    config.update(overrides)
    return config


def rejects(match: str, make) -> DefinitionError:
    with pytest.raises(DefinitionError, match=match) as info:
        make()
    return info.value


def test_minimal_seed_shaped_config_is_accepted():
    collector = from_config("seed", seed_config())
    assert render_config(collector)["service"]["pipelines"]["traces"]["exporters"] == ["debug"]


def test_loki_exporter_is_rejected_with_the_otlp_http_fix():
    config = seed_config(exporters={"loki": {"endpoint": "http://loki:3100/loki/api/v1/push"}})
    error = rejects("exporter 'loki' cannot be used", lambda: from_config("seed", config))
    assert "otlp_http" in error.fix and "/otlp" in error.fix


def test_memory_ballast_is_rejected_with_memory_limiter_and_gomemlimit():
    config = seed_config(extensions={"memory_ballast": {"size_mib": 512}})
    error = rejects("memory_ballast", lambda: from_config("seed", config))
    assert "memory_limiter" in error.fix and "GOMEMLIMIT" in error.fix


def test_logging_exporter_is_rejected_for_debug():
    error = rejects("logging", lambda: Exporter("logging", {"verbosity": "detailed"}))
    assert "debug" in error.fix


def test_kubernetes_parser_operator_is_rejected_for_container():
    receiver = {"include": ["/var/log/pods/*/*/*.log"],
                "operators": [{"type": "kubernetes_parser", "id": "parser-k8s-logs"}]}
    error = rejects("kubernetes_parser", lambda: Receiver("file_log", receiver))
    assert error.field == "config.operators[0].type" and "type: container" in error.fix


def test_telemetry_metrics_address_is_rejected_for_readers():
    service = {**seed_config()["service"], "telemetry": {"metrics": {"level": "detailed", "address": "0.0.0.0:8888"}}}
    error = rejects("metrics.address", lambda: from_config("seed", seed_config(service=service)))
    assert "readers" in error.fix


def test_cors_wildcard_is_rejected():
    protocols = {"http": {"endpoint": "${env:MY_POD_IP}:4318", "cors": {"allowed_origins": ["*"]}}}
    rejects("CORS wildcard", lambda: Receiver("otlp", {"protocols": protocols}))


@pytest.mark.parametrize("type_", ["pprof", "zpages"])
def test_debug_extensions_must_listen_on_localhost(type_):
    rejects("not bound to localhost", lambda: Extension(type_, {"endpoint": "0.0.0.0:1777"}))
    rejects("not bound to localhost", lambda: Extension(type_))
    assert Extension(type_, {"endpoint": "localhost:1777"}).type == type_


def test_tail_sampling_on_a_replicated_deployment_is_rejected():
    sampler = Processor("tail_sampling", {"policies": [{"name": "all", "type": "always_sample"}]})
    pipeline = Pipeline("traces", [OTLP], [DEBUG], [LIMITER, sampler, BATCH])
    error = rejects("splits traces between replicas",
                    lambda: Collector("gw", "deployment", [pipeline], replicas=3))
    assert "statefulset" in error.fix and "traceID" in error.fix


def test_replicated_tail_sampling_needs_a_trace_id_load_balancer():
    sampler = Processor("tail_sampling", {"policies": [{"name": "all", "type": "always_sample"}]})
    lonely = Collector("gw", "statefulset", [Pipeline("traces", [OTLP], [DEBUG], [LIMITER, sampler, BATCH])],
                       replicas=3)
    rejects("no load_balancing exporter routes traces by traceID", lambda: check_collectors([lonely], "obs"))
    balancer = Exporter("load_balancing", {"routing_key": "traceID", "protocol": {"otlp": {}},
                                           "resolver": {"dns": {"hostname": headless_host(lonely, "obs")}}})
    agent = Collector("agent", "daemonset", [Pipeline("traces", [OTLP], [balancer], [LIMITER, BATCH])])
    assert check_collectors([agent, lonely], "obs") == (agent, lonely)


@pytest.mark.parametrize("kind_cls, type_, hint", [
    (Receiver, "otlpp", "did you mean 'otlp'"),
    (Exporter, "otlp", "use 'otlp_grpc'"),
    (Exporter, "otlphttp", "use 'otlp_http'"),
    (Processor, "k8sattributes", "use 'k8s_attributes'"),
    (Connector, "servicegraph", "Tempo's metrics generator"),
    (Receiver, "k8s_events", "k8sobjects"),
])
def test_unknown_removed_and_unavailable_types_name_the_fix(kind_cls, type_, hint):
    error = rejects(re.escape(type_), lambda: kind_cls(type_))
    assert hint in error.fix


def test_component_in_a_pipeline_of_an_unsupported_signal_is_rejected():
    sampler = Processor("tail_sampling")
    error = rejects("does not support metrics", lambda: Pipeline("metrics", [OTLP], [DEBUG], [LIMITER, sampler]))
    assert "traces" in error.fix
    rejects("does not support traces",
            lambda: Pipeline("traces", [OTLP], [Exporter("prometheus_remote_write", {"endpoint": "http://x"})]))
    rejects("does not support traces", lambda: Pipeline("traces", [Receiver("file_log")], [DEBUG]))


def test_connector_sides_follow_the_registry():
    spans = Connector("span_metrics")
    rejects("does not support metrics", lambda: Pipeline("metrics", [OTLP], [spans]))
    feed = Pipeline("traces", [OTLP], [spans], [LIMITER])
    rejects("used on one side only", lambda: Collector("c", "deployment", [feed]))
    read = Pipeline("metrics", [spans], [DEBUG], [LIMITER])
    assert Collector("c", "deployment", [feed, read]).uses("span_metrics")


def test_pipeline_referencing_an_undefined_component_is_rejected():
    service = {"pipelines": {"traces": {"receivers": ["otlp", "jaeger"], "processors": ["memory_limiter"],
                                        "exporters": ["debug"]}}}
    error = rejects("'jaeger' is not defined", lambda: from_config("seed", seed_config(service=service)))
    assert error.field == "service.pipelines.traces.receivers"


def test_defined_but_unused_component_is_rejected():
    config = seed_config(exporters={"debug": {}, "file": {"path": "/tmp/x.json"}})
    rejects("used by no pipeline", lambda: from_config("seed", config))


@pytest.mark.parametrize("processors, problem", [
    ([BATCH, LIMITER], "memory_limiter is not first"),
    ([LIMITER, BATCH, Processor("resource", {"attributes": []})], "batch is not last"),
    ([LIMITER, Processor("tail_sampling"), Processor("k8s_attributes")], "k8s_attributes runs after tail_sampling"),
])
def test_processor_order_is_enforced(processors, problem):
    rejects(problem, lambda: Pipeline("traces", [OTLP], [DEBUG], processors))


def test_every_pipeline_starts_with_memory_limiter():
    rejects("does not start with memory_limiter",
            lambda: Collector("c", "deployment", [Pipeline("traces", [OTLP], [DEBUG], [BATCH])]))


@pytest.mark.parametrize("headers, problem", [
    ({"x-api-key": "${AWS_API_KEY}"}, r"write \$\{env:AWS_API_KEY\}"),
    ({"x-api-key": "s3cr3t"}, "written literally"),
    ({"Authorization": "Bearer s3cr3t"}, "written literally"),
])
def test_secrets_only_as_env_references(headers, problem):
    rejects(problem, lambda: Exporter("otlp_grpc/aws", {"endpoint": "otlp.example.com:4317", "headers": headers}))


def test_passwords_in_urls_only_as_env_references():
    rejects("literal password", lambda: Exporter("prometheus_remote_write/m", {
        "endpoint": "https://metrics:s3cr3t@mimir.example.com/api/v1/push"}))
    Exporter("prometheus_remote_write/m", {"endpoint": "https://metrics:${env:MIMIR_PASSWORD}@mimir.example.com/api/v1/push"})
    Exporter("prometheus_remote_write/m", {"endpoint": "https://mimir.example.com/api/v1/push"})


def test_env_references_must_be_provided_by_the_pod():
    exporter = Exporter("otlp_grpc/aws", {"endpoint": "otlp.example.com:4317",
                                          "headers": {"x-api-key": "${env:AWS_API_KEY}"}})
    pipeline = Pipeline("traces", [OTLP], [exporter], [LIMITER])
    rejects(r"references \$\{env:AWS_API_KEY\}", lambda: Collector("c", "deployment", [pipeline]))
    ok = Collector("c", "deployment", [pipeline], secrets={"AWS_API_KEY": SecretEnv("aws", "api-key")})
    assert "AWS_API_KEY" in ok.env_refs()


def test_one_id_with_two_configs_is_rejected():
    other = Exporter("debug", {"verbosity": "detailed"})
    rejects("two different configs", lambda: Collector("c", "deployment", [
        Pipeline("traces", [OTLP], [DEBUG], [LIMITER]), Pipeline("logs", [OTLP], [other], [LIMITER])]))


def test_seed_guide_config_is_rejected_as_a_whole():
    """The guide's own config (abridged to its mistakes) fails on the first removed component."""
    seed = yaml.safe_load("""
receivers:
  otlp: {protocols: {grpc: {endpoint: 0.0.0.0:4317}, http: {endpoint: 0.0.0.0:4318, cors: {allowed_origins: ["*"]}}}}
processors: {batch: {}, memory_limiter: {limit_mib: 1500}}
exporters: {loki: {endpoint: "http://loki.monitoring.svc:3100/loki/api/v1/push"}}
extensions: {memory_ballast: {size_mib: 512}}
service:
  extensions: [memory_ballast]
  pipelines: {logs: {receivers: [otlp], processors: [memory_limiter, batch], exporters: [loki]}}
""")
    rejects("CORS wildcard|cannot be used", lambda: from_config("seed", seed))


# --- the reference topologies ---------------------------------------------------------------------------

@pytest.fixture(scope="module", params=[e.name for e in ENVIRONMENTS])
def env_collectors(request):
    env = next(e for e in ENVIRONMENTS if e.name == request.param)
    return env, {c.name: c for c in collectors(env)}


def test_reference_configs_bind_safely_and_order_processors(env_collectors):
    _, found = env_collectors
    for collector in found.values():
        config = render_config(collector)
        text = yaml.safe_dump(config)
        assert "0.0.0.0" not in text and "cors" not in text
        assert config["extensions"]["pprof"]["endpoint"].startswith("localhost:")
        assert config["extensions"]["zpages"]["endpoint"].startswith("localhost:")
        for pipeline in config["service"]["pipelines"].values():
            assert pipeline["processors"][0] == "memory_limiter"
            assert pipeline["processors"][-1] in ("batch", "memory_limiter")
        assert "address" not in config["service"]["telemetry"]["metrics"]


def test_agent_routes_traces_by_trace_id_to_the_gateway_headless_service(env_collectors):
    env, found = env_collectors
    agent, gateway = found["otel-collector-agent"], found["otel-collector-gateway"]
    config = render_config(agent)
    balancer = config["exporters"]["load_balancing/gateway"]
    assert balancer["routing_key"] == "traceID"
    assert balancer["resolver"]["dns"]["hostname"] == headless_host(gateway, env.namespace)
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["load_balancing/gateway"]
    assert config["receivers"]["file_log"]["operators"] == [{"type": "container", "id": "container-parser"}]
    storage = config["receivers"]["file_log"]["storage"]
    assert storage in config["service"]["extensions"]
    assert any(config["extensions"][storage]["directory"].startswith(m) for m in agent.state_paths)


def test_gateway_samples_after_k8s_attributes_and_exports_with_queues(env_collectors):
    env, found = env_collectors
    config = render_config(found["otel-collector-gateway"])
    traces = config["service"]["pipelines"]["traces"]["processors"]
    assert traces.index("k8s_attributes") < traces.index("tail_sampling") < traces.index("batch")
    assert config["exporters"]["otlp_http/loki"]["endpoint"] == f"{env.urls.loki}/otlp"
    for exporter in ("otlp_grpc/tempo", "otlp_http/loki"):
        assert config["exporters"][exporter]["sending_queue"]["enabled"] is True
        assert config["exporters"][exporter]["retry_on_failure"]["enabled"] is True
    assert config["exporters"]["prometheus_remote_write/mimir"]["headers"]["Authorization"] == \
        "Bearer ${env:REMOTE_WRITE_TOKEN}"
    assert "span_metrics" in config["service"]["pipelines"]["metrics"]["receivers"]


def _objects(kind: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def test_kubernetes_objects_for_agent_and_gateway(reference_bundle):
    env = reference_bundle.environments[0]
    ctx = RenderContext(reference_bundle, env, reference_bundle.definitions(env))
    found = {c.name: c for c in ctx.defs.collectors}
    agent = manifests(ctx, found["otel-collector-agent"])
    daemonset = _objects("DaemonSet", agent)[0]
    container = daemonset["spec"]["template"]["spec"]["containers"][0]
    env_vars = {e["name"]: e for e in container["env"]}
    assert env_vars["GOMEMLIMIT"]["value"] == f"{found['otel-collector-agent'].memory_limit_mib * 80 // 100}MiB"
    assert env_vars["MY_POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert {p["name"]: p.get("hostPort") for p in container["ports"]}["otlp-grpc"] == 4317
    writable = [m for m in container["volumeMounts"] if not m.get("readOnly")]
    assert [m["mountPath"] for m in writable] == list(found["otel-collector-agent"].state_paths)
    # the node agent runs on tainted nodes too: pods there send to their node's agent
    assert daemonset["spec"]["template"]["spec"]["tolerations"] == [{"operator": "Exists"}]
    rules = _objects("ClusterRole", agent)[0]["rules"]
    assert any("pods" in r["resources"] for r in rules) and any("nodes/stats" in r["resources"] for r in rules)
    gateway = manifests(ctx, found["otel-collector-gateway"])
    statefulset = _objects("StatefulSet", gateway)[0]
    headless = [s for s in _objects("Service", gateway) if s["spec"].get("clusterIP") == "None"]
    assert statefulset["spec"]["serviceName"] == headless[0]["metadata"]["name"]
    secret_env = {e["name"]: e for e in statefulset["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "secretKeyRef" in secret_env["REMOTE_WRITE_TOKEN"]["valueFrom"]
    config_map = _objects("ConfigMap", gateway)[0]
    assert yaml.safe_load(config_map["data"]["collector.yaml"]) == render_config(found["otel-collector-gateway"])


def test_operator_output_is_an_opentelemetrycollector_with_the_same_config(reference_bundle):
    env = reference_bundle.environments[0]
    ctx = RenderContext(reference_bundle, env, reference_bundle.definitions(env))
    gateway = next(c for c in ctx.defs.collectors if c.workload == "statefulset")
    operated = Collector(**{**{f: getattr(gateway, f) for f in gateway.__dataclass_fields__}, "output": "operator"})
    objects = manifests(ctx, operated)
    resource = _objects("OpenTelemetryCollector", objects)[0]
    assert resource["apiVersion"] == "opentelemetry.io/v1beta1"
    assert resource["spec"]["mode"] == "statefulset" and resource["spec"]["config"] == render_config(gateway)
    assert "tolerations" not in resource["spec"]  # none declared, none rendered
    assert not _objects("StatefulSet", objects) and _objects("ServiceAccount", objects)
    # The Operator names the Services it creates <name>-collector and <name>-collector-headless: the
    # agent's load_balancing resolver and OTLP exporter must use those names.
    assert headless_host(operated, "monitoring") == "otel-collector-gateway-collector-headless.monitoring.svc.cluster.local"
    agent = next(c for c in ctx.defs.collectors if c.workload == "daemonset")
    config = render_config(agent_for(env, operated))
    assert config["exporters"]["load_balancing/gateway"]["resolver"]["dns"]["hostname"] == \
        headless_host(operated, env.namespace)
    assert config["exporters"]["otlp_grpc/gateway"]["endpoint"] == \
        f"otel-collector-gateway-collector.{env.namespace}.svc.cluster.local:4317"
    assert render_config(agent)["exporters"]["otlp_grpc/gateway"]["endpoint"].startswith(
        f"otel-collector-gateway.{env.namespace}.svc")
    check_collectors([agent_for(env, operated), operated], env.namespace)


def test_bundle_outputs_configs_manifests_and_an_exact_builder_manifest(reference_bundle):
    for env in reference_bundle.environments:
        files = render_environment(reference_bundle, env)
        assert render_environment(reference_bundle, env) == files  # deterministic
        for cluster in env.clusters:  # one cluster: the environment's folder; a fleet: each cluster's
            where = cluster_dir(env, cluster)
            assert {f"{where}collector/otel-collector-agent.yaml", f"{where}collector/otel-collector-gateway.yaml",
                    f"{where}kubernetes/collector-otel-collector-agent.yaml"} <= set(files)
            assert "kubernetes/collector-otel-collector-gateway.yaml" in files[f"{where}kustomization.yaml"].decode()
        built = yaml.safe_load(files["collector/builder-manifest.yaml"])
        used = {c.spec.gomod for coll in reference_bundle.definitions(env).collectors
                for kind in coll.components().values() for c in kind.values()}
        listed = {m["gomod"] for kind in ("receivers", "processors", "exporters", "connectors", "extensions")
                  for m in built.get(kind, ())}
        assert listed == used


def test_builder_cache_is_keyed_by_manifest_content(tmp_path):
    full = reference_manifest()
    small = manifest([REGISTRY[("receiver", "otlp")], REGISTRY[("exporter", "debug")]])
    assert manifest_hash(full) != manifest_hash(small)
    moved = {**full, "dist": {**full["dist"], "output_path": "/elsewhere"}}
    assert manifest_hash(moved) == manifest_hash(full)
    cached = binary_path(small, tmp_path)
    cached.parent.mkdir(parents=True)
    cached.write_text("#!/bin/sh\n")
    assert build(small, tmp_path) == cached  # a cache hit neither installs the builder nor calls go
    assert not (tmp_path / f"builder-{COLLECTOR_VERSION}").exists()


def test_registry_pins_one_collector_version():
    versions = {s.version for s in specs()}
    assert versions <= {COLLECTOR_VERSION, "v0.159.0"}  # kubelet_stats: see the registry docstring
    assert [s.type for s in specs() if s.version != COLLECTOR_VERSION] == ["kubelet_stats"]


def test_telemetry_renders_a_pull_reader():
    telemetry = render_config(Collector("c", "deployment", [Pipeline("logs", [OTLP], [DEBUG], [LIMITER])],
                                        telemetry=Telemetry(metrics_port=9999)))["service"]["telemetry"]
    assert telemetry["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]["port"] == 9999


def test_exporters_to_a_multi_tenant_tempo_or_loki_must_send_the_tenant(reference_bundle):
    """Prod's Tempo and Loki run multi-tenant: a push without X-Scope-OrgID is refused ('no org id'),
    so obs rejects such an exporter; the reference gateway sends its cluster's tenant."""
    from obs.render.collector import check_tenants
    prod = reference_bundle.environment("prod")
    ctx = RenderContext(reference_bundle, prod, reference_bundle.definitions(prod))
    gateway = render_config(next(c for c in ctx.defs.collectors if c.workload == "statefulset"))
    for exporter in ("otlp_grpc/tempo", "otlp_http/loki"):
        assert gateway["exporters"][exporter]["headers"] == {"X-Scope-OrgID": "cluster-primary"}
    check_tenants(ctx.defs.collectors, ctx)
    for name, endpoint in (("Tempo", "tempo.monitoring.svc.cluster.local:4317"),
                           ("Loki", "http://loki-gateway.monitoring.svc/otlp")):
        exporter = Exporter("otlp_grpc/x" if name == "Tempo" else "otlp_http/x", {"endpoint": endpoint})
        lonely = Collector("gw", "statefulset", [Pipeline("logs", [OTLP], [exporter], [LIMITER, BATCH])])
        error = rejects(f"{name} runs multi-tenant", lambda lonely=lonely: check_tenants([lonely], ctx))
        assert error.field == "headers" and "X-Scope-OrgID" in error.fix
        tenanted = Exporter(exporter.id, {"endpoint": endpoint, "headers": {"x-scope-orgid": "t"}})
        check_tenants([Collector("gw", "statefulset", [Pipeline("logs", [OTLP], [tenanted], [LIMITER, BATCH])])], ctx)
    staging = reference_bundle.environment("staging")
    staged = RenderContext(reference_bundle, staging, reference_bundle.definitions(staging))
    staged_gateway = render_config(next(c for c in staged.defs.collectors if c.workload == "statefulset"))
    assert not any("headers" in staged_gateway["exporters"][e] for e in ("otlp_grpc/tempo", "otlp_http/loki"))


def test_collectors_own_metrics_are_scraped_as_the_alerts_select_them(reference_bundle):
    """Without a scrape target the self-monitoring alerts and the collector SLO never see data: each
    collector gets a ServiceMonitor on its metrics port, labelled for the same Prometheus as the rules,
    whose job (the Service name) matches the otel_collector selector; the headless Service has no
    metrics port, so no replica is scraped twice."""
    env = reference_bundle.environment("prod")
    ctx = RenderContext(reference_bundle, env, reference_bundle.definitions(env))
    job = re.fullmatch(r'job=~"(.*)"', env.selector("otel_collector")).group(1)
    for collector in ctx.defs.collectors:
        objects = manifests(ctx, collector)
        monitor = _objects("ServiceMonitor", objects)[0]
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert dict(env.rule_labels).items() <= monitor["metadata"]["labels"].items()
        assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
        selected = [s for s in _objects("Service", objects)
                    if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()]
        scraped = [s for s in selected if any(p["name"] == "metrics" for p in s["spec"]["ports"])]
        assert [s["metadata"]["name"] for s in scraped] == [collector.name]
        assert re.fullmatch(job, collector.name)
        assert {p["port"] for p in scraped[0]["spec"]["ports"] if p["name"] == "metrics"} == \
            {collector.telemetry.metrics_port}


@pytest.mark.parametrize("endpoints, ports, problem", [
    ({"grpc": "${env:MY_POD_IP}:4317"}, {"otlp-grpc": 4317, "otlp-http": 4318}, "Service port 4318 reaches no receiver"),
    ({"grpc": "localhost:4317"}, {"otlp-grpc": 4317}, "Service port 4317 reaches no receiver"),
    ({"grpc": "${env:MY_POD_IP}:4317", "http": "${env:MY_POD_IP}:4319"}, {"otlp-grpc": 4317},
     "listens on port 4319 but no Service port"),
])
def test_service_ports_match_the_receivers(reference_bundle, endpoints, ports, problem):
    """A Service port with no receiver (or only a localhost one) behind it, or a receiver port no
    Service exposes, loses what pods send; kubelet_stats' URL endpoint is not a listener."""
    env = reference_bundle.environment("staging")
    ctx = RenderContext(reference_bundle, env, reference_bundle.definitions(env))
    kubelet = Receiver("kubelet_stats", {"auth_type": "serviceAccount", "endpoint": "https://${env:K8S_NODE_NAME}:10250"})

    def collector(endpoints: dict[str, str], ports: dict[str, int]) -> Collector:
        otlp = Receiver("otlp", {"protocols": {p: {"endpoint": e} for p, e in endpoints.items()}})
        return Collector("gw", "deployment", [Pipeline("metrics", [otlp, kubelet], [DEBUG], [LIMITER, BATCH])],
                         ports=ports)

    error = rejects(problem, lambda: manifests(ctx, collector(endpoints, ports)))
    assert error.field.startswith("ports")
    good = {"grpc": "${env:MY_POD_IP}:4317", "http": "${env:MY_POD_IP}:4318"}
    assert _objects("Deployment", manifests(ctx, collector(good, {"otlp-grpc": 4317, "otlp-http": 4318})))


def test_tolerations_are_checked():
    with pytest.raises(DefinitionError, match="field 'tolerations'.*is not a toleration"):
        Collector("agent", "daemonset", [Pipeline("traces", [OTLP], [Exporter("debug")], [LIMITER, BATCH])],
                  tolerations=[{"operator": "Always"}])
