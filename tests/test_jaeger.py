"""Jaeger v2 beside Tempo: the definition's checks, the rendered config and Kubernetes objects, the
gateway's OTLP export to it, the real `jaeger validate` on every storage kind, and end to end: the
generated agent and gateway (real otelcol) in front of the real Jaeger running the generated config,
fed one span per protocol a pipeline accepts (OTLP, Zipkin JSON, Jaeger Thrift/HTTP, Jaeger gRPC,
and an Envoy sidecar's span with the mesh's custom tags), every one read back from Jaeger's query API."""
from __future__ import annotations

import secrets
import socket
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from obs import Bundle, Definitions, Environment
from obs.backends.jaeger import BadgerStore, ElasticsearchStore, Jaeger, MemoryStore, render_config
from obs.errors import DefinitionError
from obs.render import render_environment
from obs.render.base import RenderContext
from obs.render.jaeger import STATIC_ENV, manifests
from obs.render.layout import cluster_dir
from obs.serialize import to_yaml
from obs.topologies import AGENT, GATEWAY, agent_and_gateway
from obs.validate.jaeger import check_configs, validate_file
from tests.collector_harness import free_loopback_ips, free_port, pod_env, runnable_config
from tests.support import require_tool, wait_for
from tests.trace_clients import (
    jaeger_post_spans, jaeger_thrift_batch, jaeger_trace, send_jaeger_grpc, send_jaeger_thrift, send_zipkin,
)

ENV = Environment("staging", cluster="stg-1")
ES = ElasticsearchStore(server_urls=["https://es.logging.svc:9200"], secret="jaeger-es", retention_days=7)


@pytest.fixture(scope="module")
def jaeger_bin() -> Path:
    from obs.tools.find import jaeger
    return require_tool(jaeger)


def ctx_for(jaeger: Jaeger | None) -> RenderContext:
    bundle = Bundle("t", [ENV], lambda env: Definitions(jaeger=jaeger))
    return RenderContext(bundle, ENV, bundle.definitions(ENV))


def scrape_target(jaeger: Jaeger) -> tuple[int, str]:
    """(container port, path) the generated ServiceMonitor scrapes: its endpoint's named port on the
    one Service its selector picks, followed through the Service's targetPort to the Deployment."""
    objects = manifests(ctx_for(jaeger), jaeger, render_config(jaeger))
    (monitor,) = [o for o in objects if o["kind"] == "ServiceMonitor"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    (service,) = [o for o in objects if o["kind"] == "Service"
                  and selector.items() <= o["metadata"]["labels"].items()]
    (endpoint,) = monitor["spec"]["endpoints"]
    (port,) = [p for p in service["spec"]["ports"] if p["name"] == endpoint["port"]]
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    container_ports = {p["containerPort"] for c in deployment["spec"]["template"]["spec"]["containers"]
                       for p in c["ports"]}
    assert port["targetPort"] in container_ports
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [ENV.namespace]}
    return port["targetPort"], endpoint["path"]


# ---- definition checks -----------------------------------------------------------------------------

@pytest.mark.parametrize("make,field", [
    (lambda: Jaeger(MemoryStore(), replicas=2), "replicas"),
    (lambda: Jaeger(BadgerStore(), replicas=3), "replicas"),
    (lambda: Jaeger("memory"), "storage"),  # type: ignore[arg-type]
    (lambda: MemoryStore(max_traces=0), "max_traces"),
    (lambda: BadgerStore(retention="7 days"), "retention"),
    (lambda: BadgerStore(path="var/jaeger"), "path"),
    (lambda: ElasticsearchStore(server_urls=[]), "server_urls"),
    (lambda: ElasticsearchStore(server_urls=["es:9200"]), "server_urls[0]"),
    (lambda: ElasticsearchStore(server_urls=["https://elastic:hunter2@es:9200"]), "server_urls[0]"),
    (lambda: ElasticsearchStore(server_urls=["http://es:9200"], index_prefix="Jaeger Main"), "index_prefix"),
    (lambda: ElasticsearchStore(server_urls=["http://es:9200"], retention_days=0), "retention_days"),
    (lambda: ElasticsearchStore(server_urls=["http://es:9200"], cleaner_schedule="daily"), "cleaner_schedule"),
    (lambda: ElasticsearchStore(server_urls=["http://es:9200"], password_env="hunter2!"), "password_env"),
    (lambda: ElasticsearchStore(server_urls=["http://es:9200"], engine="solr"), "engine"),  # type: ignore[arg-type]
])
def test_a_bad_definition_names_its_field(make, field):
    with pytest.raises(DefinitionError) as caught:
        make()
    assert caught.value.field == field
    assert "hunter2" not in str(caught.value)


# ---- rendering -------------------------------------------------------------------------------------

def test_storage_backends_render_as_jaeger_reads_them():
    memory = render_config(Jaeger(MemoryStore(max_traces=500)))
    assert memory["extensions"]["jaeger_storage"]["backends"] == {"traces": {"memory": {"max_traces": 500}}}
    assert memory["extensions"]["jaeger_query"]["storage"] == {"traces": "traces"}
    assert memory["exporters"] == {"jaeger_storage_exporter": {"trace_storage": "traces"}}
    assert memory["service"]["pipelines"]["traces"]["processors"] == ["memory_limiter", "batch"]
    badger = render_config(Jaeger(BadgerStore(path="/data", retention="72h")))["extensions"]["jaeger_storage"]
    assert badger["backends"]["traces"]["badger"]["ttl"] == {"spans": "72h"}
    es = render_config(Jaeger(ES))["extensions"]["jaeger_storage"]["backends"]["traces"]["elasticsearch"]
    # Credentials by reference only; reads look back no further than the cleaner keeps.
    assert es["auth"] == {"basic": {"username": "${env:ES_USERNAME}", "password": "${env:ES_PASSWORD}"}}
    assert es["max_span_age"] == "168h" and es["indices"]["index_prefix"] == "jaeger"
    opensearch = render_config(Jaeger(replace(ES, engine="opensearch", secret=None)))
    backend = opensearch["extensions"]["jaeger_storage"]["backends"]["traces"]
    assert set(backend) == {"opensearch"} and "auth" not in backend["opensearch"]


def test_kubernetes_objects_per_storage():
    kinds = {name: [o["kind"] for o in manifests(ctx_for(j), j, render_config(j))] for name, j in (
        ("memory", Jaeger(MemoryStore())), ("badger", Jaeger(BadgerStore())), ("es", Jaeger(ES, replicas=2)))}
    assert kinds["memory"] == ["ConfigMap", "Deployment", "Service", "Service", "ServiceMonitor"]
    assert kinds["badger"] == ["ConfigMap", "PersistentVolumeClaim", "Deployment", "Service", "Service",
                               "ServiceMonitor"]
    assert kinds["es"] == ["ConfigMap", "Deployment", "Service", "Service", "ServiceMonitor", "CronJob"]
    jaeger = Jaeger(ES, replicas=2)
    objects = {o["kind"]: o for o in manifests(ctx_for(jaeger), jaeger, render_config(jaeger))}
    cleaner = objects["CronJob"]["spec"]
    container = cleaner["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert cleaner["schedule"] == "55 23 * * *" and container["args"] == ["7", "https://es.logging.svc:9200"]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["INDEX_PREFIX"] == "jaeger"
    assert env["ES_PASSWORD"] == {"secretKeyRef": {"name": "jaeger-es", "key": "password"}}
    pod_env_vars = {e["name"]: e for e in objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert pod_env_vars["ES_USERNAME"]["valueFrom"]["secretKeyRef"] == {"name": "jaeger-es", "key": "username"}
    assert objects["Deployment"]["spec"]["replicas"] == 2 and "strategy" not in objects["Deployment"]["spec"]


def test_the_gateway_exports_to_jaeger_only_when_the_bundle_has_it():
    jaeger = Jaeger(MemoryStore())
    with_jaeger = agent_and_gateway(ENV, jaeger=jaeger)[1]
    without = agent_and_gateway(ENV)[1]
    traces = {p.name: p for p in with_jaeger.pipelines}["traces"]
    exporters = {e.id: e for e in traces.exporters}
    assert set(exporters) == {"otlp_grpc/tempo", "otlp_grpc/jaeger"}
    assert exporters["otlp_grpc/jaeger"].config["endpoint"] == "jaeger-collector.monitoring.svc.cluster.local:4317"
    assert not any(e.id == "otlp_grpc/jaeger" for p in without.pipelines for e in p.exporters)


def test_the_reference_bundle_deploys_jaeger_beside_tempo(reference_bundle):
    for env in reference_bundle.environments:
        files = render_environment(reference_bundle, env)
        assert "jaeger/jaeger.yaml" in files and "tempo/tempo.yaml" in files
        gateway = yaml.safe_load(files[f"{cluster_dir(env, env.clusters[0])}collector/{GATEWAY}.yaml"])
        assert gateway["service"]["pipelines"]["traces"]["exporters"] == ["otlp_grpc/tempo", "otlp_grpc/jaeger"]
        assert "kubernetes/jaeger.yaml" in yaml.safe_load(files["kustomization.yaml"])["resources"]


# ---- the real binary -------------------------------------------------------------------------------

@pytest.mark.tools
@pytest.mark.parametrize("jaeger", [Jaeger(MemoryStore()), Jaeger(BadgerStore()), Jaeger(ES, replicas=2),
                                    Jaeger(replace(ES, engine="opensearch"))], ids=["memory", "badger", "es", "os"])
def test_jaeger_validate_accepts_every_storage(jaeger_bin, tmp_path, jaeger):
    path = tmp_path / "jaeger.yaml"
    path.write_bytes(to_yaml(render_config(jaeger)))
    assert validate_file(path, jaeger_bin) == ""


@pytest.mark.tools
def test_jaeger_validate_refuses_a_wrong_key(jaeger_bin, tmp_path):
    config = render_config(Jaeger(MemoryStore()))
    config["extensions"]["jaeger_storage"]["backends"]["traces"]["memory"]["max_tracez"] = 5
    path = tmp_path / "jaeger.yaml"
    path.write_bytes(to_yaml(config))
    assert "max_tracez" in validate_file(path, jaeger_bin)


@pytest.mark.tools
def test_the_build_check_validates_the_reference_configs(jaeger_bin, reference_folders):
    assert check_configs(reference_folders) == f"jaeger validate: {len(reference_folders)} Jaeger configs OK"


# ---- end to end ------------------------------------------------------------------------------------

# Own loopback addresses (MY_POD_IP of each process), so the generated ports need no change.
# Random free loopback addresses (drawn when the module loads): two runs on one machine do not collide.
JAEGER_IP, AGENT_IP, GATEWAY_IP = free_loopback_ips(3)
# The mesh's custom tags (collector/mesh.py) as an Envoy sidecar puts them on its spans.
ENVOY_TAGS = {"cluster_id": "e2e", "environment": "e2e", "region": "us-east-1", "user_agent": "curl/8.5.0",
              "istio.canonical_service": "checkout", "istio.mesh_id": "cluster.local"}


def _require_free(ip: str, ports: tuple[int, ...]) -> None:
    for port in ports:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((ip, port))
            except OSError:
                pytest.fail(f"{ip}:{port} is taken (another test still running?)")


def _send_otlp(trace_id: str, service: str, attributes: dict[str, str]) -> None:
    """One span over OTLP/gRPC with a fixed trace id, as Envoy's OpenTelemetry tracer sends it."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{AGENT_IP}:4317", insecure=True,
                                                                     timeout=5)))
    parent = trace.SpanContext(int(trace_id, 16), int(secrets.token_hex(8), 16), is_remote=True,
                               trace_flags=trace.TraceFlags(1))
    with provider.get_tracer("envoy").start_as_current_span(
            "checkout.shop.svc.cluster.local:8080/*", context=trace.set_span_in_context(trace.NonRecordingSpan(parent)),
            kind=trace.SpanKind.SERVER, attributes=attributes):
        pass
    provider.shutdown()


@pytest.mark.tools
def test_every_protocol_reaches_jaeger_through_the_generated_agent_and_gateway(
        tmp_path, reference_bundle, otelcol_bin, jaeger_bin, started):
    # The reference collectors (the agent receives zipkin and jaeger), every trace kept (tail sampling
    # at 100%), and the generated Jaeger config with memory storage.
    env = Environment("e2e", cluster="e2e", overrides={f"{GATEWAY}.sampling_percentage": 100.0})
    bundle = Bundle("e2e", [env], lambda e: replace(reference_bundle.define(e),
                                                    jaeger=Jaeger(MemoryStore(max_traces=1000))))
    files = render_environment(bundle, env)
    _require_free(JAEGER_IP, (4317, 4318, 8888, 13133, 16685, 16686))
    _require_free(AGENT_IP, (4317, 4318, 8888, 9411, 13133, 14250, 14268, 1777, 55679))
    _require_free(GATEWAY_IP, (4317, 4318, 8888, 13133, 1777, 55679))
    jaeger_config = tmp_path / "jaeger.yaml"
    jaeger_config.write_bytes(files["jaeger/jaeger.yaml"])
    started([jaeger_bin, f"--config=file:{jaeger_config}"], tmp_path / "jaeger.log",
            env={"PATH": "/usr/bin:/bin", "MY_POD_IP": JAEGER_IP, **STATIC_ENV})
    dead = free_port()
    for name, ip, exporters in (
            (GATEWAY, GATEWAY_IP, {"otlp_grpc/jaeger": f"{JAEGER_IP}:4317", "otlp_grpc/tempo": f"127.0.0.1:{dead}",
                                   "otlp_http/loki": f"http://127.0.0.1:{dead}/otlp",
                                   "prometheus_remote_write/mimir": f"http://127.0.0.1:{dead}/api/v1/write"}),
            (AGENT, AGENT_IP, {"load_balancing/gateway": f"{GATEWAY_IP}:4317",
                               "otlp_grpc/gateway": f"{GATEWAY_IP}:4317"})):
        config = runnable_config(yaml.safe_load(files[f"collector/{name}.yaml"]), ip, exporters)
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        started([otelcol_bin, f"--config=file:{path}"], tmp_path / f"{name}.log", env=pod_env(ip, name))
    for ip, port in ((JAEGER_IP, 16686), (JAEGER_IP, 4317), (AGENT_IP, 9411), (AGENT_IP, 14250), (AGENT_IP, 14268),
                     (AGENT_IP, 4317), (GATEWAY_IP, 4317)):
        wait_for(f"{ip}:{port} to listen", lambda ip=ip, port=port: socket.create_connection((ip, port), 1))

    ids = {kind: secrets.token_hex(16) for kind in ("zipkin", "thrift", "grpc", "envoy")}
    assert send_zipkin(AGENT_IP, 9411, ids["zipkin"], secrets.token_hex(8), "zipkin-client", "GET /cart",
                       ENVOY_TAGS) == 202
    assert send_jaeger_thrift(AGENT_IP, 14268, jaeger_thrift_batch(
        ids["thrift"], secrets.token_hex(8), "thrift-client", "thrift-op", {"protocol": "thrift_http"})) == 202
    send_jaeger_grpc(AGENT_IP, 14250, jaeger_post_spans(ids["grpc"], secrets.token_hex(8), "grpc-client", "grpc-op",
                                                        {"protocol": "grpc"}))
    _send_otlp(ids["envoy"], "checkout.shop", ENVOY_TAGS)

    # The gateway holds each trace for tail sampling's decision_wait (10 s) before exporting it.
    found = {kind: wait_for(f"the {kind} trace in Jaeger", lambda t=trace_id: jaeger_trace(JAEGER_IP, 16686, t),
                            attempts=90) for kind, trace_id in ids.items()}
    assert [(s["service"], s["name"]) for s in found["thrift"]] == [("thrift-client", "thrift-op")]
    assert found["thrift"][0]["tags"]["protocol"] == "thrift_http"
    assert [(s["service"], s["name"]) for s in found["grpc"]] == [("grpc-client", "grpc-op")]
    assert found["grpc"][0]["tags"]["protocol"] == "grpc"
    for kind, service in (("zipkin", "zipkin-client"), ("envoy", "checkout.shop")):
        (span,) = found[kind]
        assert span["service"] == service
        assert {k: span["tags"].get(k) for k in ENVOY_TAGS} == ENVOY_TAGS, (kind, span["tags"])
    # The agent and gateway stamped the cluster on every span on the way.
    assert all(s["process_tags"].get("k8s.cluster.name") == "e2e" for spans in found.values() for s in spans)


@pytest.mark.tools
@pytest.mark.parametrize("storage", ["memory", "badger"])
def test_jaeger_runs_the_generated_config_and_answers_health(tmp_path, jaeger_bin, started, storage):
    """The generated config starts (Badger opening its directories) and reports healthy where the
    kubelet probes it."""
    jaeger = Jaeger(MemoryStore() if storage == "memory" else BadgerStore(path=str(tmp_path / "badger")))
    config = tmp_path / "jaeger.yaml"
    config.write_bytes(to_yaml(render_config(jaeger)))
    (ip,) = free_loopback_ips(1)
    _require_free(ip, (4317, 4318, 8888, 13133, 16685, 16686))
    proc = started([jaeger_bin, f"--config=file:{config}"], tmp_path / "jaeger.log",
                   env={"PATH": "/usr/bin:/bin", "MY_POD_IP": ip, **STATIC_ENV})
    status = wait_for("Jaeger's health check", lambda: urllib.request.urlopen(f"http://{ip}:13133/status", timeout=2))
    assert status.status == 200 and proc.poll() is None
    deployment = manifests(ctx_for(jaeger), jaeger, {})[2 if storage == "badger" else 1]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"] == {
        "path": "/status", "port": 13133}
    if storage == "badger":
        assert (tmp_path / "badger" / "keys").is_dir() and (tmp_path / "badger" / "values").is_dir()
    proc.terminate()
    proc.wait(timeout=30)


def test_the_service_monitor_scrapes_the_port_jaegers_own_metrics_listen_on():
    """One ServiceMonitor, selecting exactly the collector Service, whose `metrics` port leads to the
    port of the config's Prometheus reader; labelled for the Prometheus that loads the rules."""
    jaeger = Jaeger(MemoryStore())
    reader = render_config(jaeger)["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]
    assert scrape_target(jaeger) == (reader["prometheus"]["port"], "/metrics")
    (monitor,) = [o for o in manifests(ctx_for(jaeger), jaeger, {}) if o["kind"] == "ServiceMonitor"]
    assert dict(ENV.rule_labels).items() <= monitor["metadata"]["labels"].items()


@pytest.mark.tools
def test_jaeger_serves_its_metrics_where_the_service_monitor_scrapes(tmp_path, jaeger_bin, started):
    """The real Jaeger running the generated config answers the ServiceMonitor's port and path with
    its own telemetry (the collector's otelcol_* series and target_info naming the service)."""
    jaeger = Jaeger(MemoryStore(), name="traces")
    config = tmp_path / "jaeger.yaml"
    config.write_bytes(to_yaml(render_config(jaeger)))
    (ip,) = free_loopback_ips(1)
    _require_free(ip, (4317, 4318, 8888, 13133, 16685, 16686))
    started([jaeger_bin, f"--config=file:{config}"], tmp_path / "jaeger.log",
            env={"PATH": "/usr/bin:/bin", "MY_POD_IP": ip, **STATIC_ENV})
    port, path = scrape_target(jaeger)
    body = wait_for("Jaeger's metrics", lambda: urllib.request.urlopen(f"http://{ip}:{port}{path}", timeout=2).read())
    text = body.decode()
    assert "\notelcol_process_uptime_seconds_total{" in text
    assert 'service_name="traces"' in next(line for line in text.splitlines() if line.startswith("target_info{"))


def test_a_bundle_with_jaeger_needs_the_jaeger_tool(reference_bundle):
    from obs.tools.commands import bundle_needs, reference_needs, selected_tools
    needs = bundle_needs(reference_bundle)
    assert needs.optional == {"jaeger"}
    assert "jaeger" in [t.name for t in selected_tools([], [], needs)]
    # Without Jaeger (or a bundle) it stays optional: installed only with --with-jaeger.
    assert "jaeger" not in [t.name for t in selected_tools([], [], reference_needs())]
    assert "jaeger" in [t.name for t in selected_tools([], ["jaeger"], reference_needs())]
